//! Reading SAML requests (AuthnRequest, LogoutRequest) and their two
//! bindings: HTTP-Redirect (DEFLATE + base64, the signature over the query
//! string as the binding defines it) and HTTP-POST (base64, an enveloped
//! XML signature, verified by xmlsec).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml::{ALG_RSA_SHA256, AUTHN_METHODS, NS_AKDB_REQUEST, NS_SAML, NS_SAMLP};
use contract::trust::TrustLevel;
use openssl::hash::MessageDigest;
use openssl::sign::Verifier;
use openssl::x509::X509;

use super::sp::Sp;
use super::xml;

/// Largest request accepted (base64 or inflated XML).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Why a request was refused (shown on the error page, never a login).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Die Anfrage ist kein lesbarer SAML-Request ({0}).")]
    Malformed(&'static str),
    #[error("Der Dienst „{0}“ ist nicht registriert.")]
    UnknownIssuer(String),
    #[error("Die Anfrage ist nicht signiert.")]
    Unsigned,
    #[error("Die Signatur der Anfrage ist ungültig.")]
    BadSignature,
    #[error("Das Signaturverfahren wird nicht angenommen (nur rsa-sha256).")]
    SigAlg,
    #[error("Die Anfrage ist an eine andere Adresse gerichtet (Destination).")]
    Destination,
    #[error("Die Rücksprungadresse (AssertionConsumerServiceURL) ist für diesen Dienst nicht registriert.")]
    Acs,
    #[error("Die Anfrage ist zu alt oder aus der Zukunft (IssueInstant).")]
    Stale,
    #[error("Diese Anfrage wurde schon einmal gestellt (ID).")]
    Replay,
    #[error("Diese Abmeldebestätigung gehört zu keiner laufenden Abmeldung (InResponseTo).")]
    NotOurs,
    #[error("Das verlangte Vertrauensniveau ist ungültig: {0}")]
    Level(String),
    #[error("Ein verlangtes Attribut ist unbekannt: {0}")]
    Attribute(String),
}

/// A query string split into its raw (still percent-encoded) values.
pub fn raw_pairs(query: &str) -> Result<Vec<(String, String)>, Refusal> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if out.iter().any(|(seen, _)| seen == k) {
            return Err(Refusal::Malformed("ein Parameter kommt mehrfach vor"));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

pub fn percent_decode(s: &str) -> Result<String, Refusal> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(Refusal::Malformed("Prozentkodierung"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Refusal::Malformed("kein UTF-8"))
}

/// A message of the Redirect binding: the inflated XML and the RelayState,
/// after its query signature verified with one of the SP's certificates.
pub struct Redirected {
    pub xml: String,
    pub relay_state: Option<String>,
}

/// Decodes `SAMLRequest` (base64 of raw DEFLATE) of the Redirect binding.
pub fn inflate(b64: &str) -> Result<String, Refusal> {
    use std::io::Read;
    if b64.len() > MAX_REQUEST_BYTES {
        return Err(Refusal::Malformed("zu groß"));
    }
    let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let deflated = STANDARD
        .decode(clean)
        .map_err(|_| Refusal::Malformed("kein Base64"))?;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| Refusal::Malformed("kein DEFLATE"))?;
    if out.len() > MAX_REQUEST_BYTES {
        return Err(Refusal::Malformed("zu groß"));
    }
    String::from_utf8(out).map_err(|_| Refusal::Malformed("kein UTF-8"))
}

/// The issuer named in a request, read before anything is trusted (only to
/// choose whose certificate verifies it).
pub fn claimed_issuer(xml: &str) -> Result<String, Refusal> {
    let doc = roxmltree::Document::parse(xml).map_err(|_| Refusal::Malformed("kein XML"))?;
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name((NS_SAML, "Issuer")))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or(Refusal::Malformed("kein Issuer"))
}

/// Verifies the Redirect binding's signature: `Signature` over
/// `SAMLRequest=…&RelayState=…&SigAlg=…` (or `SAMLResponse`), the values
/// exactly as received, `SigAlg` only rsa-sha256.
pub fn verify_redirect(
    pairs: &[(String, String)],
    message: &str,
    sp: &Sp,
) -> Result<Redirected, Refusal> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let payload = get(message).ok_or(Refusal::Malformed("die Nachricht fehlt"))?;
    let (Some(sig_alg), Some(signature)) = (get("SigAlg"), get("Signature")) else {
        return Err(Refusal::Unsigned);
    };
    if percent_decode(sig_alg)? != ALG_RSA_SHA256 {
        return Err(Refusal::SigAlg);
    }
    let mut signed = format!("{message}={payload}");
    if let Some(rs) = get("RelayState") {
        signed.push_str(&format!("&RelayState={rs}"));
    }
    signed.push_str(&format!("&SigAlg={sig_alg}"));
    let sig = STANDARD
        .decode(percent_decode(signature)?.replace(' ', "+"))
        .map_err(|_| Refusal::BadSignature)?;
    let ok = sp
        .signing
        .iter()
        .any(|der| verify_rsa_sha256(der, signed.as_bytes(), &sig));
    if !ok {
        return Err(Refusal::BadSignature);
    }
    let relay_state = get("RelayState").map(percent_decode).transpose()?;
    Ok(Redirected {
        xml: inflate(&percent_decode(payload)?.replace(' ', "+"))?,
        relay_state,
    })
}

fn verify_rsa_sha256(cert_der: &[u8], data: &[u8], sig: &[u8]) -> bool {
    let Ok(cert) = X509::from_der(cert_der) else {
        return false;
    };
    let Ok(key) = cert.public_key() else {
        return false;
    };
    let Ok(mut v) = Verifier::new(MessageDigest::sha256(), &key) else {
        return false;
    };
    v.verify_oneshot(sig, data).unwrap_or(false)
}

/// Verifies the POST binding's enveloped signature with xmlsec and returns
/// only the signed content (which must be the whole request).
pub fn verify_post(xml_text: &str, sp: &Sp, root: &str) -> Result<String, Refusal> {
    let has_signature = xml_text.contains("Signature");
    for der in &sp.signing {
        if let Ok(reduced) = xml::verified(xml_text, der) {
            let doc = roxmltree::Document::parse(&reduced).map_err(|_| Refusal::BadSignature)?;
            if !doc.root_element().has_tag_name((NS_SAMLP, root)) {
                return Err(Refusal::BadSignature);
            }
            return Ok(reduced);
        }
    }
    Err(if has_signature {
        Refusal::BadSignature
    } else {
        Refusal::Unsigned
    })
}

/// What the IdP takes from an AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: String,
    pub issuer: String,
    pub issue_instant: i64,
    pub destination: Option<String>,
    pub acs: Option<String>,
    /// The level the login must reach (Level-1 without a requested context).
    pub level: TrustLevel,
    /// Attribute names from `akdb:RequestedAttributes` (`None`: none named).
    pub attributes: Option<Vec<String>>,
    /// Login ways from `akdb:AuthnMethods` (`None`: not restricted).
    pub methods: Option<Vec<String>>,
}

fn child<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name((ns, name)))
}

/// Reads a (verified) AuthnRequest.
pub fn parse_authn_request(xml_text: &str) -> Result<AuthnRequest, Refusal> {
    let doc = roxmltree::Document::parse(xml_text).map_err(|_| Refusal::Malformed("kein XML"))?;
    let r = doc.root_element();
    if !r.has_tag_name((NS_SAMLP, "AuthnRequest")) {
        return Err(Refusal::Malformed("kein AuthnRequest"));
    }
    if r.attribute("Version") != Some("2.0") {
        return Err(Refusal::Malformed("Version ist nicht 2.0"));
    }
    let id = r
        .attribute("ID")
        .filter(|i| !i.is_empty() && i.len() <= 256)
        .ok_or(Refusal::Malformed("ID fehlt"))?
        .to_string();
    let issue_instant = r
        .attribute("IssueInstant")
        .and_then(xml::parse_instant)
        .ok_or(Refusal::Malformed("IssueInstant fehlt"))?;
    let issuer = child(r, NS_SAML, "Issuer")
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .ok_or(Refusal::Malformed("kein Issuer"))?;
    if let Some(b) = r.attribute("ProtocolBinding") {
        if b != contract::saml::BINDING_POST {
            return Err(Refusal::Acs);
        }
    }
    if r.attribute("AssertionConsumerServiceIndex").is_some() {
        return Err(Refusal::Acs);
    }
    let level = match child(r, NS_SAMLP, "RequestedAuthnContext") {
        None => TrustLevel::Level1,
        Some(ctx) => {
            if ctx.attribute("Comparison") != Some("minimum") {
                return Err(Refusal::Level("Comparison muss „minimum“ sein".into()));
            }
            let refs: Vec<_> = ctx
                .children()
                .filter(|c| c.has_tag_name((NS_SAML, "AuthnContextClassRef")))
                .collect();
            let [one] = refs.as_slice() else {
                return Err(Refusal::Level("genau eine AuthnContextClassRef".into()));
            };
            let text = one.text().unwrap_or("").trim();
            TrustLevel::parse(text).map_err(|_| Refusal::Level(text.to_string()))?
        }
    };
    let akdb = child(r, NS_SAMLP, "Extensions")
        .and_then(|e| child(e, NS_AKDB_REQUEST, "AuthenticationRequest"));
    let mut attributes = None;
    let mut methods = None;
    if let Some(a) = akdb {
        if let Some(list) = child(a, NS_AKDB_REQUEST, "RequestedAttributes") {
            let mut names = Vec::new();
            for ra in list
                .children()
                .filter(|c| c.has_tag_name((NS_AKDB_REQUEST, "RequestedAttribute")))
            {
                let oid = ra.attribute("Name").unwrap_or("");
                let name = contract::saml::name_of(oid)
                    .ok_or_else(|| Refusal::Attribute(oid.to_string()))?;
                names.push(name.to_string());
            }
            attributes = Some(names);
        }
        if let Some(list) = child(a, NS_AKDB_REQUEST, "AuthnMethods") {
            let mut allowed = Vec::new();
            for m in list.children().filter(|c| c.is_element()) {
                let name = m.tag_name().name();
                let disabled = m
                    .children()
                    .find(|c| c.tag_name().name() == "Enabled")
                    .and_then(|c| c.text())
                    .is_some_and(|t| t.trim() == "false");
                if AUTHN_METHODS.contains(&name) && !disabled {
                    allowed.push(name.to_string());
                }
            }
            methods = Some(allowed);
        }
    }
    Ok(AuthnRequest {
        id,
        issuer,
        issue_instant,
        destination: r.attribute("Destination").map(str::to_string),
        acs: r
            .attribute("AssertionConsumerServiceURL")
            .map(str::to_string),
        level,
        attributes,
        methods,
    })
}

/// What the IdP takes from a LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issuer: String,
    pub issue_instant: i64,
    pub destination: Option<String>,
    pub name_id: String,
    pub session_index: Option<String>,
}

/// Reads a (verified) LogoutRequest.
pub fn parse_logout_request(xml_text: &str) -> Result<LogoutRequest, Refusal> {
    let doc = roxmltree::Document::parse(xml_text).map_err(|_| Refusal::Malformed("kein XML"))?;
    let r = doc.root_element();
    if !r.has_tag_name((NS_SAMLP, "LogoutRequest")) || r.attribute("Version") != Some("2.0") {
        return Err(Refusal::Malformed("kein LogoutRequest 2.0"));
    }
    let text = |n: Option<roxmltree::Node>| n.and_then(|n| n.text()).map(|t| t.trim().to_string());
    Ok(LogoutRequest {
        id: r
            .attribute("ID")
            .filter(|i| !i.is_empty() && i.len() <= 256)
            .ok_or(Refusal::Malformed("ID fehlt"))?
            .to_string(),
        issuer: text(child(r, NS_SAML, "Issuer")).ok_or(Refusal::Malformed("kein Issuer"))?,
        issue_instant: r
            .attribute("IssueInstant")
            .and_then(xml::parse_instant)
            .ok_or(Refusal::Malformed("IssueInstant fehlt"))?,
        destination: r.attribute("Destination").map(str::to_string),
        name_id: text(child(r, NS_SAML, "NameID")).ok_or(Refusal::Malformed("keine NameID"))?,
        session_index: text(child(r, NS_SAMLP, "SessionIndex")),
    })
}

/// What the IdP takes from an SP's LogoutResponse (the answer to the
/// IdP's own LogoutRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    pub issuer: String,
    pub issue_instant: i64,
    pub destination: Option<String>,
    pub in_response_to: String,
    /// The top-level `StatusCode` value.
    pub status: String,
}

/// Reads a (verified) LogoutResponse.
pub fn parse_logout_response(xml_text: &str) -> Result<LogoutResponse, Refusal> {
    let doc = roxmltree::Document::parse(xml_text).map_err(|_| Refusal::Malformed("kein XML"))?;
    let r = doc.root_element();
    if !r.has_tag_name((NS_SAMLP, "LogoutResponse")) || r.attribute("Version") != Some("2.0") {
        return Err(Refusal::Malformed("kein LogoutResponse 2.0"));
    }
    if r.attribute("ID").is_none_or(str::is_empty) {
        return Err(Refusal::Malformed("ID fehlt"));
    }
    let text = |n: Option<roxmltree::Node>| n.and_then(|n| n.text()).map(|t| t.trim().to_string());
    Ok(LogoutResponse {
        issuer: text(child(r, NS_SAML, "Issuer")).ok_or(Refusal::Malformed("kein Issuer"))?,
        issue_instant: r
            .attribute("IssueInstant")
            .and_then(xml::parse_instant)
            .ok_or(Refusal::Malformed("IssueInstant fehlt"))?,
        destination: r.attribute("Destination").map(str::to_string),
        in_response_to: r
            .attribute("InResponseTo")
            .filter(|i| !i.is_empty() && i.len() <= 256)
            .ok_or(Refusal::Malformed("InResponseTo fehlt"))?
            .to_string(),
        status: child(r, NS_SAMLP, "Status")
            .and_then(|s| child(s, NS_SAMLP, "StatusCode"))
            .and_then(|c| c.attribute("Value"))
            .ok_or(Refusal::Malformed("kein StatusCode"))?
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_attributes_of_a_request() {
        let x = format!(
            r#"<samlp:AuthnRequest xmlns:samlp="{NS_SAMLP}" xmlns:saml="{NS_SAML}" ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp/acs"><saml:Issuer>sp</saml:Issuer><samlp:Extensions><akdb:AuthenticationRequest xmlns:akdb="{NS_AKDB_REQUEST}" Version="2"><akdb:AuthnMethods><akdb:Benutzername><akdb:Enabled>false</akdb:Enabled></akdb:Benutzername><akdb:eID/></akdb:AuthnMethods><akdb:RequestedAttributes><akdb:RequestedAttribute Name="urn:oid:2.5.4.42" RequiredAttribute="true"/></akdb:RequestedAttributes></akdb:AuthenticationRequest></samlp:Extensions><samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>STORK-QAA-Level-3</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"#
        );
        let r = parse_authn_request(&x).unwrap();
        assert_eq!(r.level, TrustLevel::Level3);
        assert_eq!(r.attributes, Some(vec!["givenName".to_string()]));
        assert_eq!(r.methods, Some(vec!["eID".to_string()]));
        let bad = x.replace("STORK-QAA-Level-3", "hoch");
        assert!(matches!(parse_authn_request(&bad), Err(Refusal::Level(_))));
        let exact = x.replace("minimum", "exact");
        assert!(matches!(
            parse_authn_request(&exact),
            Err(Refusal::Level(_))
        ));
    }

    #[test]
    fn query_values_stay_raw() {
        let p = raw_pairs("SAMLRequest=a%2Bb&RelayState=x").unwrap();
        assert_eq!(p[0].1, "a%2Bb");
        assert_eq!(percent_decode(&p[0].1).unwrap(), "a+b");
        assert!(raw_pairs("a=1&a=2").is_err());
    }
}
