//! The IdP's answers: a signed `samlp:Response` whose Assertion is itself
//! signed (enveloped, exclusive c14n, rsa-sha256, sha256) and then, when the
//! SP has an encryption certificate, encrypted (RSA-OAEP key transport,
//! AES-256-GCM data); the auto-submitting HTML form that carries it to the
//! ACS; the signed LogoutResponse.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml::{
    ALG_AES256_GCM, ALG_RSA_OAEP_MGF1P, ATTRNAME_FORMAT_URI, NAMEID_TRANSIENT, NS_AKDB_REQUEST,
    NS_DS, NS_SAML, NS_SAMLP, STATUS_SUCCESS,
};
use contract::trust::TrustLevel;
use openssl::rsa::Padding;
use openssl::symm::{encrypt_aead, Cipher};
use openssl::x509::X509;

use super::keys::SamlKey;
use super::xml::{self, esc, instant, new_id, signature_template, XmlError};
use crate::idp::oidc::Attribute;

/// `http://www.w3.org/2001/04/xmlenc#`
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// How long an assertion is valid (and the bearer confirmation).
pub const ASSERTION_SECONDS: i64 = contract::saml::MAX_ASSERTION_SECONDS;

/// One login to answer.
pub struct Success<'a> {
    pub issuer: &'a str,
    pub sp_entity: &'a str,
    pub acs: &'a str,
    pub in_response_to: &'a str,
    pub name_id: &'a str,
    pub session_index: &'a str,
    pub level: TrustLevel,
    pub auth_instant: i64,
    /// The attributes released, each with the level that vouches for it.
    pub attributes: Vec<(Attribute, TrustLevel)>,
    pub now: i64,
}

/// The `akdb:TrustLevel` of a released attribute: the level of its source
/// (card Level-4, ELSTER Level-3, the citizen's own entry Level-1); the
/// identifiers the IdP issues itself (bPK2, mailboxUuid) as sure as the
/// login.
pub fn trust_of(a: &Attribute, login: TrustLevel) -> TrustLevel {
    match (a.name.as_str(), a.source.as_str()) {
        ("bPK2" | "mailboxUuid", _) => login,
        (_, "eid") => TrustLevel::Level4,
        (_, "elster") => TrustLevel::Level3,
        _ => TrustLevel::Level1,
    }
}

fn assertion_xml(s: &Success<'_>, key: &SamlKey) -> String {
    let id = new_id();
    let not_after = instant(s.now + ASSERTION_SECONDS);
    let mut attrs = String::new();
    for (a, level) in &s.attributes {
        attrs.push_str(&format!(
            "<saml:Attribute Name=\"{}\" NameFormat=\"{ATTRNAME_FORMAT_URI}\" FriendlyName=\"{}\" akdb:TrustLevel=\"{}\"><saml:AttributeValue xsi:type=\"xs:string\">{}</saml:AttributeValue></saml:Attribute>",
            esc(&a.oid),
            esc(&a.name),
            level.as_str(),
            esc(&a.value)
        ));
    }
    format!(
        "<saml:Assertion xmlns:saml=\"{NS_SAML}\" xmlns:akdb=\"{NS_AKDB_REQUEST}\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\">\
<saml:Issuer>{issuer}</saml:Issuer>{sig}\
<saml:Subject><saml:NameID Format=\"{NAMEID_TRANSIENT}\" NameQualifier=\"{issuer}\" SPNameQualifier=\"{sp}\">{name_id}</saml:NameID>\
<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData NotOnOrAfter=\"{not_after}\" Recipient=\"{acs}\" InResponseTo=\"{irt}\"/></saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore=\"{now}\" NotOnOrAfter=\"{not_after}\"><saml:AudienceRestriction><saml:Audience>{sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant=\"{auth}\" SessionIndex=\"{si}\"><saml:AuthnContext><saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
<saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>",
        now = instant(s.now),
        issuer = esc(s.issuer),
        sig = signature_template(&id, &key.cert_b64),
        sp = esc(s.sp_entity),
        name_id = esc(s.name_id),
        acs = esc(s.acs),
        irt = esc(s.in_response_to),
        auth = instant(s.auth_instant),
        si = esc(s.session_index),
        level = s.level.as_str(),
    )
}

/// The Assertion encrypted for `cert`: a fresh AES-256 key and 96-bit IV,
/// AES-256-GCM over the signed assertion (IV ‖ ciphertext ‖ tag, as XML
/// Encryption 1.1 says), the key wrapped with RSA-OAEP (MGF1, SHA-1 as
/// `rsa-oaep-mgf1p` defines).
pub fn encrypt_assertion(signed: &str, cert: &X509) -> Result<String, XmlError> {
    let fail = |e: openssl::error::ErrorStack| XmlError::Sign(format!("encryption: {e}"));
    let mut aes_key = [0u8; 32];
    let mut iv = [0u8; 12];
    openssl::rand::rand_bytes(&mut aes_key).map_err(fail)?;
    openssl::rand::rand_bytes(&mut iv).map_err(fail)?;
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        &aes_key,
        Some(&iv),
        &[],
        signed.as_bytes(),
        &mut tag,
    )
    .map_err(fail)?;
    let mut data = iv.to_vec();
    data.extend_from_slice(&ct);
    data.extend_from_slice(&tag);
    let rsa = cert.public_key().and_then(|k| k.rsa()).map_err(fail)?;
    let mut wrapped = vec![0u8; rsa.size() as usize];
    let n = rsa
        .public_encrypt(&aes_key, &mut wrapped, Padding::PKCS1_OAEP)
        .map_err(fail)?;
    wrapped.truncate(n);
    Ok(format!(
        "<saml:EncryptedAssertion xmlns:saml=\"{NS_SAML}\"><xenc:EncryptedData xmlns:xenc=\"{NS_XENC}\" Type=\"http://www.w3.org/2001/04/xmlenc#Element\">\
<xenc:EncryptionMethod Algorithm=\"{ALG_AES256_GCM}\"/>\
<ds:KeyInfo xmlns:ds=\"{NS_DS}\"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"{ALG_RSA_OAEP_MGF1P}\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/></xenc:EncryptionMethod>\
<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>\
<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>",
        STANDARD.encode(&wrapped),
        STANDARD.encode(&data),
    ))
}

fn status_xml(code: &str, sub: Option<&str>, message: Option<&str>) -> String {
    let inner = sub
        .map(|s| format!("<samlp:StatusCode Value=\"{s}\"/>"))
        .unwrap_or_default();
    let msg = message
        .map(|m| format!("<samlp:StatusMessage>{}</samlp:StatusMessage>", esc(m)))
        .unwrap_or_default();
    format!("<samlp:Status><samlp:StatusCode Value=\"{code}\">{inner}</samlp:StatusCode>{msg}</samlp:Status>")
}

/// A `samlp:Response` (or `LogoutResponse`, by `element`) signed with the
/// IdP's key; `body` follows the Status.
#[allow(clippy::too_many_arguments)]
fn signed_message(
    element: &str,
    key: &SamlKey,
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    status: &str,
    body: &str,
    now: i64,
) -> Result<String, XmlError> {
    let id = new_id();
    let xml_text = format!(
        "<samlp:{element} xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\" InResponseTo=\"{}\">\
<saml:Issuer>{}</saml:Issuer>{}{status}{body}</samlp:{element}>",
        instant(now),
        esc(destination),
        esc(in_response_to),
        esc(issuer),
        signature_template(&id, &key.cert_b64),
    );
    xml::sign(&xml_text, &key.key_der)
}

/// The signed Response of a successful login; the assertion signed, and
/// encrypted when `encrypt_for` is given.
pub fn success(
    s: &Success<'_>,
    key: &SamlKey,
    encrypt_for: Option<&X509>,
) -> Result<String, XmlError> {
    let assertion = xml::sign(&assertion_xml(s, key), &key.key_der)?;
    let assertion = match encrypt_for {
        Some(cert) => encrypt_assertion(&assertion, cert)?,
        None => assertion,
    };
    signed_message(
        "Response",
        key,
        s.issuer,
        s.acs,
        s.in_response_to,
        &status_xml(STATUS_SUCCESS, None, None),
        &assertion,
        s.now,
    )
}

/// A signed Response without an assertion: `status` (top level) with
/// `sub_status` (e.g. Responder + AuthnFailed for a cancelled login).
#[allow(clippy::too_many_arguments)]
pub fn failure(
    key: &SamlKey,
    issuer: &str,
    acs: &str,
    in_response_to: &str,
    status: &str,
    sub_status: &str,
    message: &str,
    now: i64,
) -> Result<String, XmlError> {
    signed_message(
        "Response",
        key,
        issuer,
        acs,
        in_response_to,
        &status_xml(status, Some(sub_status), Some(message)),
        "",
        now,
    )
}

/// An unsigned LogoutResponse (Success) for the HTTP-Redirect binding,
/// where the query signature ([`redirect_url`]) covers it.
pub fn logout_response_unsigned(
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    now: i64,
) -> String {
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\" InResponseTo=\"{}\">\
<saml:Issuer>{}</saml:Issuer>{}</samlp:LogoutResponse>",
        new_id(),
        instant(now),
        esc(destination),
        esc(in_response_to),
        esc(issuer),
        status_xml(STATUS_SUCCESS, None, None),
    )
}

/// The HTTP-Redirect binding's URL for a response message: `SAMLResponse`
/// (raw DEFLATE, base64), `RelayState`, `SigAlg` (rsa-sha256) and the
/// IdP's `Signature` over exactly that query string.
pub fn redirect_url(
    target: &str,
    message_xml: &str,
    relay_state: Option<&str>,
    key: &SamlKey,
) -> Result<String, XmlError> {
    redirect_url_with(target, "SAMLResponse", message_xml, relay_state, key)
}

/// [`redirect_url`] for a message in the query parameter `param`
/// (`SAMLRequest` for the IdP's own LogoutRequest, `SAMLResponse`).
pub fn redirect_url_with(
    target: &str,
    param: &str,
    message_xml: &str,
    relay_state: Option<&str>,
    key: &SamlKey,
) -> Result<String, XmlError> {
    use std::io::Write;
    let fail = |e: String| XmlError::Sign(format!("redirect binding: {e}"));
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(message_xml.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let deflated = z.finish().map_err(|e| fail(e.to_string()))?;
    let enc = crate::idp::url_encode;
    let mut query = format!("{param}={}", enc(&STANDARD.encode(deflated)));
    if let Some(rs) = relay_state {
        query.push_str(&format!("&RelayState={}", enc(rs)));
    }
    query.push_str(&format!("&SigAlg={}", enc(contract::saml::ALG_RSA_SHA256)));
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key.key)
        .map_err(|e| fail(e.to_string()))?;
    let sig = signer
        .sign_oneshot_to_vec(query.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let sep = if target.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{target}{sep}{query}&Signature={}",
        enc(&STANDARD.encode(sig))
    ))
}

/// A signed LogoutResponse (Success).
pub fn logout_response(
    key: &SamlKey,
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    now: i64,
) -> Result<String, XmlError> {
    signed_message(
        "LogoutResponse",
        key,
        issuer,
        destination,
        in_response_to,
        &status_xml(STATUS_SUCCESS, None, None),
        "",
        now,
    )
}

/// The page that carries a message to the SP by HTTP-POST: a form with
/// `SAMLResponse` and `RelayState` and a button; `/idp/saml/autopost.js`
/// (same origin, allowed by the CSP's `script-src 'self'`) submits it at
/// once, without script the citizen presses the button.
pub fn autopost_page(
    target: &str,
    field: &str,
    message_xml: &str,
    relay_state: Option<&str>,
) -> String {
    let b64 = STANDARD.encode(message_xml.as_bytes());
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                esc(r)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Weiterleitung</title>\
<script src=\"/idp/saml/autopost.js\" defer></script></head><body>\
<form id=\"saml-post\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"{field}\" value=\"{b64}\">{relay}\
<p>Sie werden zum Dienst zurückgeleitet.</p><button type=\"submit\">Weiter zum Dienst</button></form></body></html>",
        esc(target)
    )
}

/// The same-origin script that submits the form of [`autopost_page`].
pub const AUTOPOST_JS: &str =
    "document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('saml-post');if(f){f.submit();}});\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_response_is_signed() {
        let dir = tempfile::tempdir().unwrap();
        let key = SamlKey::load_or_create(dir.path()).unwrap();
        let x = failure(&key, "idp", "https://sp/acs", "_r", "s", "t", "m", 0);
        let x = x.unwrap();
        assert!(x.contains("<ds:SignatureValue>"), "{x}");
        let back = xml::verified(&x, &key.cert_der()).unwrap();
        assert!(back.contains("samlp:Response"), "{back}");
    }
}
