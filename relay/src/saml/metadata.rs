//! The SP's metadata (what BundID's onboarding asks for) and the IdP's
//! metadata (fetched, cached, and refused without a signing key).

use std::sync::Arc;
use std::time::{Duration, Instant};

use contract::saml as c;
use samael::metadata::EntityDescriptor;
use tokio::sync::Mutex;

use super::config::{IdpMetadataSource, SamlConfig};
use super::keys::KeyPair;
use super::xml_escape as esc;

/// How long fetched IdP metadata is used before it is read again.
const IDP_METADATA_TTL: Duration = Duration::from_secs(3600);

/// Our `md:EntityDescriptor`: ACS (HTTP-POST), SLO (HTTP-Redirect), the
/// signing and the encryption certificate, signed requests, signed
/// assertions wanted, the attributes we ask for.
pub fn sp_metadata(config: &SamlConfig, signing: &KeyPair, encryption: &KeyPair) -> String {
    let requested: String = super::request::requested_attributes()
        .iter()
        .map(|(name, oid, required)| {
            format!(
                r#"<md:RequestedAttribute FriendlyName="{name}" Name="{oid}" NameFormat="{}" isRequired="{required}"/>"#,
                c::ATTRNAME_FORMAT_URI
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{entity}"><md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="{samlp}"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{sig}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{enc}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><md:EncryptionMethod Algorithm="{gcm}"/><md:EncryptionMethod Algorithm="{oaep}"/></md:KeyDescriptor><md:SingleLogoutService Binding="{redirect}" Location="{slo}"/><md:NameIDFormat>{transient}</md:NameIDFormat><md:AssertionConsumerService Binding="{post}" Location="{acs}" index="0" isDefault="true"/><md:AttributeConsumingService index="0" isDefault="true"><md:ServiceName xml:lang="de">{name}</md:ServiceName>{requested}</md:AttributeConsumingService></md:SPSSODescriptor></md:EntityDescriptor>
"#,
        md = c::NS_MD,
        ds = c::NS_DS,
        samlp = c::NS_SAMLP,
        entity = esc(&config.entity_id),
        sig = signing.cert_base64(),
        enc = encryption.cert_base64(),
        gcm = c::ALG_AES256_GCM,
        oaep = c::ALG_RSA_OAEP_MGF1P,
        redirect = c::BINDING_REDIRECT,
        post = c::BINDING_POST,
        slo = esc(&config.slo_url),
        acs = esc(&config.acs_url),
        transient = c::NAMEID_TRANSIENT,
        name = esc(&config.display_name),
    )
}

/// What the relay takes from the IdP's metadata.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// The IdP's signing certificates (DER). Never empty.
    pub signing_certs: Vec<Vec<u8>>,
    /// SingleSignOnService, HTTP-Redirect binding.
    pub sso_redirect: String,
    /// SingleLogoutService, HTTP-Redirect binding, if offered.
    pub slo_redirect: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("no IdP metadata configured (RELAY_SAML_IDP_METADATA_URL or _FILE)")]
    NotConfigured,
    #[error("IdP metadata could not be read: {0}")]
    Unreachable(String),
    #[error("IdP metadata refused: {0}")]
    Invalid(String),
}

/// Parses IdP metadata. Fails closed: without a signing certificate there
/// is nothing to verify responses against, so there is no login at all.
pub fn parse_idp_metadata(xml: &str) -> Result<IdpMetadata, MetadataError> {
    let bad = |m: &str| MetadataError::Invalid(m.to_string());
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(bad("a DOCTYPE"));
    }
    let ed: EntityDescriptor = xml
        .parse()
        .map_err(|e| MetadataError::Invalid(format!("{e}")))?;
    let entity_id = ed.entity_id.clone().ok_or_else(|| bad("no entityID"))?;
    let idp = ed
        .idp_sso_descriptors
        .as_ref()
        .and_then(|d| d.first())
        .ok_or_else(|| bad("no IDPSSODescriptor"))?;
    let mut signing_certs = Vec::new();
    for kd in &idp.key_descriptors {
        // `use` missing means both signing and encryption.
        if kd.key_use.as_deref().is_some_and(|u| u != "signing") {
            continue;
        }
        for cert in kd.key_info.x509_data.iter().flat_map(|d| &d.certificates) {
            let clean: String = cert.chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean)
                .map_err(|_| bad("a certificate that is not base64"))?;
            openssl::x509::X509::from_der(&der)
                .map_err(|_| bad("a certificate that is not X.509"))?;
            signing_certs.push(der);
        }
    }
    if signing_certs.is_empty() {
        return Err(bad("no signing certificate: no login without one"));
    }
    let redirect = |eps: &Vec<samael::metadata::Endpoint>| {
        eps.iter()
            .find(|e| e.binding == c::BINDING_REDIRECT)
            .map(|e| e.location.clone())
    };
    let sso_redirect = redirect(&idp.single_sign_on_services)
        .ok_or_else(|| bad("no SingleSignOnService with the HTTP-Redirect binding"))?;
    Ok(IdpMetadata {
        entity_id,
        signing_certs,
        sso_redirect,
        slo_redirect: redirect(&idp.single_logout_services),
    })
}

/// The IdP's metadata, read when first needed and again after an hour.
pub struct IdpMetadataCache {
    source: Option<IdpMetadataSource>,
    http: reqwest::Client,
    cached: Mutex<Option<(Instant, Arc<IdpMetadata>)>>,
}

impl IdpMetadataCache {
    pub fn new(source: Option<IdpMetadataSource>, http: reqwest::Client) -> Self {
        Self {
            source,
            http,
            cached: Mutex::new(None),
        }
    }

    pub async fn get(&self) -> Result<Arc<IdpMetadata>, MetadataError> {
        let mut cached = self.cached.lock().await;
        if let Some((at, m)) = cached.as_ref() {
            if at.elapsed() < IDP_METADATA_TTL {
                return Ok(m.clone());
            }
        }
        let text = match &self.source {
            None => return Err(MetadataError::NotConfigured),
            Some(IdpMetadataSource::File(p)) => std::fs::read_to_string(p)
                .map_err(|e| MetadataError::Unreachable(format!("{}: {e}", p.display())))?,
            Some(IdpMetadataSource::Url(u)) => {
                let r = self
                    .http
                    .get(u)
                    .send()
                    .await
                    .map_err(|e| MetadataError::Unreachable(e.to_string()))?;
                if !r.status().is_success() {
                    return Err(MetadataError::Unreachable(format!("{u}: {}", r.status())));
                }
                let body = r
                    .bytes()
                    .await
                    .map_err(|e| MetadataError::Unreachable(e.to_string()))?;
                if body.len() > 1024 * 1024 {
                    return Err(MetadataError::Invalid("larger than 1 MiB".into()));
                }
                String::from_utf8(body.to_vec())
                    .map_err(|_| MetadataError::Invalid("not UTF-8".into()))?
            }
        };
        let parsed = match parse_idp_metadata(&text) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                // Fail closed, loudly: no login until the metadata is fixed.
                tracing::error!(error = %e, "SAML: IdP metadata refused, no login possible");
                *cached = None;
                return Err(e);
            }
        };
        *cached = Some((Instant::now(), parsed.clone()));
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idp(key: bool, slo: bool) -> String {
        let kp = super::super::keys::generate("t").unwrap();
        let kd = if key {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                kp.cert_base64()
            )
        } else {
            // An encryption key is no signing key.
            format!(
                r#"<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                kp.cert_base64()
            )
        };
        let slo = if slo {
            format!(
                r#"<md:SingleLogoutService Binding="{}" Location="https://idp.example/slo"/>"#,
                c::BINDING_REDIRECT
            )
        } else {
            String::new()
        };
        format!(
            r#"<md:EntityDescriptor xmlns:md="{}" xmlns:ds="{}" entityID="https://idp.example"><md:IDPSSODescriptor protocolSupportEnumeration="{}">{kd}{slo}<md:SingleSignOnService Binding="{}" Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
            c::NS_MD,
            c::NS_DS,
            c::NS_SAMLP,
            c::BINDING_REDIRECT
        )
    }

    #[test]
    fn metadata_without_a_signing_key_is_refused() {
        let m = parse_idp_metadata(&idp(true, true)).unwrap();
        assert_eq!(m.signing_certs.len(), 1);
        assert_eq!(m.sso_redirect, "https://idp.example/sso");
        assert_eq!(m.slo_redirect.as_deref(), Some("https://idp.example/slo"));
        assert!(parse_idp_metadata(&idp(true, false))
            .unwrap()
            .slo_redirect
            .is_none());
        assert!(matches!(
            parse_idp_metadata(&idp(false, true)),
            Err(MetadataError::Invalid(_))
        ));
        let doctype = format!("<!DOCTYPE x [<!ENTITY e \"x\">]>{}", idp(true, true));
        assert!(parse_idp_metadata(&doctype).is_err());
    }
}
