//! Small XML helpers of the SAML side: escaping, times, ids, the signature
//! template and the calls into xmlsec (through samael) that sign and verify.
//!
//! Nothing here verifies a signature by hand: [`verified`] hands the
//! document and the one trusted certificate to xmlsec and gets back only
//! the content the signature covers (samael's
//! `ReduceMode::ValidateAndMarkNoAncestors`), with only rsa-sha256/sha256
//! allowed. What is read afterwards is read from that reduced document.

use contract::saml::{ALG_RSA_SHA256, ALG_SHA256, NS_DS};
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};

/// Exclusive XML canonicalisation (without comments).
pub const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform.
pub const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Escapes text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// `xs:dateTime` in UTC with seconds (`2026-12-03T10:00:00Z`).
pub fn instant(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Reads an `xs:dateTime` (with offset or `Z`, fractions allowed).
pub fn parse_instant(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.timestamp())
}

/// A fresh XML id (an NCName: starts with `_`), 160 random bits.
pub fn new_id() -> String {
    format!("_{}", super::super::random_uuid().replace('-', ""))
}

/// The `ds:Signature` template for the element with id `id`, placed after
/// its `Issuer`: exclusive c14n, rsa-sha256, sha256, enveloped; the IdP's
/// certificate in `KeyInfo`.
pub fn signature_template(id: &str, cert_b64: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"{ALG_EXC_C14N}\"/>\
<ds:SignatureMethod Algorithm=\"{ALG_RSA_SHA256}\"/>\
<ds:Reference URI=\"#{id}\"><ds:Transforms>\
<ds:Transform Algorithm=\"{ALG_ENVELOPED}\"/><ds:Transform Algorithm=\"{ALG_EXC_C14N}\"/>\
</ds:Transforms><ds:DigestMethod Algorithm=\"{ALG_SHA256}\"/><ds:DigestValue></ds:DigestValue>\
</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>\
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
</ds:Signature>"
    )
}

#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("the XML signature is missing or does not verify")]
    BadSignature,
}

/// Signs the first signature template of `xml` (a whole document whose root
/// carries the referenced `ID`) with xmlsec. Returns the document without
/// the XML declaration, ready to be embedded.
pub fn sign(xml: &str, key_der: &[u8]) -> Result<String, XmlError> {
    let signed = Crypto::sign_xml(xml, key_der).map_err(|e| XmlError::Sign(e.to_string()))?;
    Ok(strip_declaration(&signed).to_string())
}

/// The document without a leading `<?xml …?>` declaration.
pub fn strip_declaration(xml: &str) -> &str {
    let t = xml.trim_start();
    match (t.starts_with("<?xml"), t.find("?>")) {
        (true, Some(end)) => t[end + 2..].trim_start(),
        _ => t,
    }
}

/// Verifies every signature in `xml` against `cert_der` (rsa-sha256 with
/// sha256 digests only) and returns only what they cover, rooted at the
/// signed element. Unsigned documents are refused.
pub fn verified(xml: &str, cert_der: &[u8]) -> Result<String, XmlError> {
    let certs = [CertificateDer::from(cert_der.to_vec())];
    Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        &certs,
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(&[AllowedSignatureAlgorithm::RsaSha256]),
    )
    .map_err(|_| XmlError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_escaping() {
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_instant("1970-01-01T00:01:00.5Z"), Some(60));
        assert_eq!(parse_instant("gestern"), None);
        assert_eq!(esc("a<\"&'>"), "a&lt;&quot;&amp;&apos;&gt;");
        assert_eq!(strip_declaration("<?xml version=\"1.0\"?>\n<a/>"), "<a/>");
        assert!(new_id().starts_with('_'));
    }
}
