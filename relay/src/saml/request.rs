//! The AuthnRequest with BundID's AKDB extension, the LogoutRequest and
//! the LogoutResponse, sent with the HTTP-Redirect binding: the XML (ours,
//! Extensions included: samael's types would drop them) deflated into
//! `SAMLRequest` (or `SAMLResponse`), and the whole query signed with the
//! SP's key (rsa-sha256, SAML bindings §3.4.4.1), so the signature covers
//! the entire message.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use contract::trust::TrustLevel;
use openssl::hash::MessageDigest;
use openssl::sign::Signer;
use std::io::Write;

use super::keys::KeyPair;
use super::{xml_escape as esc, SamlConfig};

/// The attributes the relay asks for (name, OID, required): what the OIDC
/// path's scopes give today; the pseudonym is required.
pub fn requested_attributes() -> Vec<(&'static str, &'static str, bool)> {
    c::ATTRIBUTES
        .iter()
        .filter(|(n, _)| *n != "documentType")
        .map(|(n, o)| (*n, *o, *n == "bPK2"))
        .collect()
}

/// A new request id (an NCName: `_` and 32 hex digits).
pub fn new_id() -> anyhow::Result<String> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b)?;
    Ok(format!(
        "_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// `xs:dateTime` in UTC.
pub fn instant(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The AuthnRequest XML.
pub fn authn_request_xml(
    config: &SamlConfig,
    id: &str,
    destination: &str,
    level: TrustLevel,
    now: i64,
) -> String {
    let methods: String = c::AUTHN_METHODS
        .iter()
        .map(|m| format!("<akdb:{m}><akdb:Enabled>true</akdb:Enabled></akdb:{m}>"))
        .collect();
    let attrs: String = requested_attributes()
        .iter()
        .map(|(_, oid, req)| {
            format!(r#"<akdb:RequestedAttribute Name="{oid}" RequiredAttribute="{req}"/>"#)
        })
        .collect();
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" xmlns:akdb="{akdb}" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}" AssertionConsumerServiceURL="{acs}" ProtocolBinding="{post}" ForceAuthn="true"><saml:Issuer>{issuer}</saml:Issuer><samlp:Extensions><akdb:AuthenticationRequest Version="{ver}"><akdb:AuthnMethods>{methods}</akdb:AuthnMethods><akdb:RequestedAttributes>{attrs}</akdb:RequestedAttributes><akdb:DisplayInformation><akdb:Version><akdb:OrganizationDisplayName>{org}</akdb:OrganizationDisplayName><akdb:OnlineServiceId>{svc}</akdb:OnlineServiceId></akdb:Version></akdb:DisplayInformation></akdb:AuthenticationRequest></samlp:Extensions><samlp:NameIDPolicy Format="{transient}" AllowCreate="true"/><samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"#,
        samlp = c::NS_SAMLP,
        saml = c::NS_SAML,
        akdb = c::NS_AKDB_REQUEST,
        now = instant(now),
        dest = esc(destination),
        acs = esc(&config.acs_url),
        post = c::BINDING_POST,
        issuer = esc(&config.entity_id),
        ver = c::AKDB_REQUEST_VERSION,
        org = esc(&config.display_name),
        svc = esc(&config.online_service_id),
        transient = c::NAMEID_TRANSIENT,
        level = level.as_acr(),
    )
}

/// A LogoutRequest for the name id and session index the IdP gave.
pub fn logout_request_xml(
    config: &SamlConfig,
    id: &str,
    destination: &str,
    name_id: &str,
    session_index: Option<&str>,
    now: i64,
) -> String {
    let index = session_index
        .map(|s| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", esc(s)))
        .unwrap_or_default();
    format!(
        r#"<samlp:LogoutRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer><saml:NameID Format="{transient}">{name}</saml:NameID>{index}</samlp:LogoutRequest>"#,
        samlp = c::NS_SAMLP,
        saml = c::NS_SAML,
        now = instant(now),
        dest = esc(destination),
        issuer = esc(&config.entity_id),
        transient = c::NAMEID_TRANSIENT,
        name = esc(name_id),
    )
}

/// A LogoutResponse (success) to the IdP's LogoutRequest `in_response_to`.
pub fn logout_response_xml(
    config: &SamlConfig,
    id: &str,
    destination: &str,
    in_response_to: &str,
    now: i64,
) -> String {
    format!(
        r#"<samlp:LogoutResponse xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}" InResponseTo="{irt}"><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{success}"/></samlp:Status></samlp:LogoutResponse>"#,
        samlp = c::NS_SAMLP,
        saml = c::NS_SAML,
        now = instant(now),
        dest = esc(destination),
        irt = esc(in_response_to),
        issuer = esc(&config.entity_id),
        success = c::STATUS_SUCCESS,
    )
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The HTTP-Redirect URL of a request: `SAMLRequest` (deflated, base64),
/// `SigAlg` and the signature over exactly that query.
pub fn redirect_url(endpoint: &str, xml: &str, key: &KeyPair) -> anyhow::Result<String> {
    redirect_url_with(endpoint, "SAMLRequest", xml, None, key)
}

/// The HTTP-Redirect URL of a message in `param` (`SAMLRequest` or
/// `SAMLResponse`) with `RelayState` if given, signed over
/// `param=…[&RelayState=…]&SigAlg=…` (SAML bindings §3.4.4.1).
pub fn redirect_url_with(
    endpoint: &str,
    param: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: &KeyPair,
) -> anyhow::Result<String> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(xml.as_bytes())?;
    let deflated = z.finish()?;
    let mut query = format!("{param}={}", enc(&STANDARD.encode(deflated)));
    if let Some(rs) = relay_state {
        query.push_str(&format!("&RelayState={}", enc(rs)));
    }
    query.push_str(&format!("&SigAlg={}", enc(c::ALG_RSA_SHA256)));
    let mut signer = Signer::new(MessageDigest::sha256(), &key.key)?;
    signer.update(query.as_bytes())?;
    let sig = signer.sign_to_vec()?;
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{endpoint}{sep}{query}&Signature={}",
        enc(&STANDARD.encode(sig))
    ))
}
