//! Signatures and decryption of a `samlp:Response`, with xmlsec through
//! samael: every `ds:Signature` in the document verified against the IdP
//! metadata's signing certificates only (rsa-sha256 only), the document
//! reduced to what those signatures cover, and everything read from that
//! reduced, verified XML, never by a second search of the original.
//!
//! What the relay adds to samael 0.0.22 (its weaknesses, issue #20): no
//! verification without a certificate ([`super::metadata`] refuses such
//! metadata); the response itself must be signed, and so must the
//! assertion, by a signature whose reference is that assertion's ID;
//! encrypted assertions are decrypted here with RSA-OAEP and AES-GCM only,
//! and the decrypted assertion's signature is verified again.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use libxml::parser::{Parser, ParserOptions};
use libxml::tree::{Document, Node};
use openssl::pkey::{PKey, Private};
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, CryptoProvider, ReduceMode, XmlSec,
};

/// Why a response was refused (logged; the citizen sees the outcome).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("not well-formed XML or not a samlp:Response: {0}")]
    Malformed(String),
    #[error("signature: {0}")]
    Signature(String),
    #[error("encryption: {0}")]
    Encryption(String),
}

fn ns_is(n: &Node, ns: &str, name: &str) -> bool {
    n.get_name() == name && n.get_namespace().is_some_and(|x| x.get_href() == ns)
}

pub(super) fn children<'a>(
    n: &'a Node,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node> + 'a {
    n.get_child_elements()
        .into_iter()
        .filter(move |c| ns_is(c, ns, name))
}

pub(super) fn child(n: &Node, ns: &str, name: &str) -> Option<Node> {
    children(n, ns, name).next()
}

/// Every element named `name` in `ns` below `n` (inclusive).
fn descendants(n: &Node, ns: &str, name: &str, out: &mut Vec<Node>) {
    if ns_is(n, ns, name) {
        out.push(n.clone());
    }
    for c in n.get_child_elements() {
        descendants(&c, ns, name, out);
    }
}

/// Strict parsing: no recovery of broken XML, no network, no DTD.
pub fn parse_strict(xml: &str) -> Result<Document, Refusal> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(Refusal::Malformed("a DOCTYPE".into()));
    }
    let opts = ParserOptions {
        recover: false,
        no_net: true,
        ..ParserOptions::default()
    };
    Parser::default()
        .parse_string_with_options(xml, opts)
        .map_err(|e| Refusal::Malformed(format!("{e:?}")))
}

/// `xml` reduced to what valid signatures by `certs` cover; its root must
/// be the element `name` with the id `id` (so that a signature covers it).
fn verified_root(
    xml: &str,
    certs: &[CertificateDer],
    name: &str,
    id: &str,
) -> Result<Document, Refusal> {
    let reduced = XmlSec::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        certs,
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(&[AllowedSignatureAlgorithm::RsaSha256]),
    )
    .map_err(|e| Refusal::Signature(e.to_string()))?;
    let doc = parse_strict(&reduced)?;
    let root = doc
        .get_root_element()
        .ok_or_else(|| Refusal::Signature("nothing signed".into()))?;
    if root.get_name() != name || root.get_attribute("ID").as_deref() != Some(id) {
        return Err(Refusal::Signature(format!(
            "the {name} itself is not signed"
        )));
    }
    Ok(doc)
}

/// The signature directly inside `el` must reference `el` by its ID.
fn signs_itself(el: &Node) -> bool {
    let Some(id) = el.get_attribute("ID") else {
        return false;
    };
    let refs: Vec<String> = children(el, c::NS_DS, "Signature")
        .flat_map(|s| children(&s, c::NS_DS, "SignedInfo").collect::<Vec<_>>())
        .flat_map(|si| children(&si, c::NS_DS, "Reference").collect::<Vec<_>>())
        .filter_map(|r| r.get_attribute("URI"))
        .collect();
    refs.len() == 1 && refs[0] == format!("#{id}")
}

/// The verified response and its verified assertion (if any), as XML
/// documents reduced to signed content.
pub struct Verified {
    pub response: Document,
    pub assertion: Option<Document>,
}

/// Verifies a decoded `SAMLResponse`.
pub fn verify_response(
    xml: &str,
    idp_certs: &[Vec<u8>],
    sp_key: &PKey<Private>,
) -> Result<Verified, Refusal> {
    if idp_certs.is_empty() {
        // Fail closed (samael would skip the check without a key).
        return Err(Refusal::Signature("no IdP signing certificate".into()));
    }
    let certs: Vec<CertificateDer> = idp_certs
        .iter()
        .map(|d| CertificateDer::from(d.clone()))
        .collect();
    let original = parse_strict(xml)?;
    let root = original
        .get_root_element()
        .ok_or_else(|| Refusal::Malformed("empty".into()))?;
    if !ns_is(&root, c::NS_SAMLP, "Response") {
        return Err(Refusal::Malformed("the root is not samlp:Response".into()));
    }
    let response_id = root
        .get_attribute("ID")
        .ok_or_else(|| Refusal::Malformed("no ID".into()))?;
    // One assertion anywhere in the document, or none (a refusal).
    let mut found = Vec::new();
    descendants(&root, c::NS_SAML, "Assertion", &mut found);
    descendants(&root, c::NS_SAML, "EncryptedAssertion", &mut found);
    if found.len() > 1 {
        return Err(Refusal::Signature("more than one assertion".into()));
    }
    let response = verified_root(xml, &certs, "Response", &response_id)?;
    let vroot = response
        .get_root_element()
        .ok_or_else(|| Refusal::Signature("nothing signed".into()))?;
    let plain: Vec<Node> = children(&vroot, c::NS_SAML, "Assertion").collect();
    let encrypted: Vec<Node> = children(&vroot, c::NS_SAML, "EncryptedAssertion").collect();
    let assertion = match (plain.as_slice(), encrypted.as_slice(), found.first()) {
        ([], [], None) => None,
        ([a], [], Some(orig)) => {
            // The assertion's own signature: all signatures in the document
            // were verified above; this one must be the assertion's, and
            // reference exactly it.
            let id = a.get_attribute("ID").unwrap_or_default();
            if orig.get_attribute("ID").as_deref() != Some(id.as_str()) || !signs_itself(orig) {
                return Err(Refusal::Signature(
                    "the assertion is not signed itself".into(),
                ));
            }
            let text = original.node_to_string(orig);
            // Its own document with the namespaces it uses in scope.
            let standalone = standalone_assertion(&text);
            Some(verified_root(&standalone, &certs, "Assertion", &id)?)
        }
        ([], [e], Some(_)) => {
            let plaintext = decrypt(e, sp_key)?;
            let doc = parse_strict(&plaintext)?;
            let r = doc
                .get_root_element()
                .ok_or_else(|| Refusal::Encryption("empty".into()))?;
            if !ns_is(&r, c::NS_SAML, "Assertion") || !signs_itself(&r) {
                return Err(Refusal::Signature(
                    "the decrypted assertion is not signed itself".into(),
                ));
            }
            let id = r.get_attribute("ID").unwrap_or_default();
            Some(verified_root(&plaintext, &certs, "Assertion", &id)?)
        }
        _ => {
            return Err(Refusal::Signature(
                "the assertion is not covered by the response's signature".into(),
            ))
        }
    };
    Ok(Verified {
        response,
        assertion,
    })
}

/// An assertion cut out of its response, with the namespaces of the SAML
/// profile declared on it (a declaration already there is not repeated).
fn standalone_assertion(text: &str) -> String {
    let mut decls = String::new();
    for (p, ns) in [
        ("saml", c::NS_SAML),
        ("samlp", c::NS_SAMLP),
        ("ds", c::NS_DS),
        ("akdb", c::NS_AKDB_REQUEST),
        ("xs", "http://www.w3.org/2001/XMLSchema"),
        ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ] {
        let head = text.split_once('>').map(|(h, _)| h).unwrap_or(text);
        if !head.contains(&format!("xmlns:{p}=")) {
            decls.push_str(&format!(r#" xmlns:{p}="{ns}""#));
        }
    }
    match text.find(|ch: char| ch.is_whitespace() || ch == '>') {
        Some(at) => format!("{}{}{}", &text[..at], decls, &text[at..]),
        None => text.to_string(),
    }
}

const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

fn algorithm(n: &Node) -> Option<String> {
    child(n, NS_XENC, "EncryptionMethod").and_then(|m| m.get_attribute("Algorithm"))
}

fn cipher_value(n: &Node) -> Result<Vec<u8>, Refusal> {
    let v = child(n, NS_XENC, "CipherData")
        .and_then(|d| child(&d, NS_XENC, "CipherValue"))
        .ok_or_else(|| Refusal::Encryption("no CipherValue".into()))?
        .get_content();
    let clean: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD
        .decode(clean)
        .map_err(|_| Refusal::Encryption("CipherValue is not base64".into()))
}

/// Decrypts an `EncryptedAssertion`: RSA-OAEP key transport, AES-GCM data.
fn decrypt(ea: &Node, sp_key: &PKey<Private>) -> Result<String, Refusal> {
    let bad = |m: &str| Refusal::Encryption(m.to_string());
    let data = child(ea, NS_XENC, "EncryptedData").ok_or_else(|| bad("no EncryptedData"))?;
    let data_alg = algorithm(&data).ok_or_else(|| bad("no data algorithm"))?;
    if !c::DATA_ENCRYPTION_ALLOWED.contains(&data_alg.as_str()) {
        return Err(Refusal::Encryption(format!(
            "data algorithm refused: {data_alg}"
        )));
    }
    // The EncryptedKey inside the data's KeyInfo, or next to the data.
    let key_el = child(&data, c::NS_DS, "KeyInfo")
        .and_then(|k| child(&k, NS_XENC, "EncryptedKey"))
        .or_else(|| child(ea, NS_XENC, "EncryptedKey"))
        .ok_or_else(|| bad("no EncryptedKey"))?;
    let key_alg = algorithm(&key_el).ok_or_else(|| bad("no key algorithm"))?;
    if !c::KEY_TRANSPORT_ALLOWED.contains(&key_alg.as_str()) {
        return Err(Refusal::Encryption(format!(
            "key transport refused: {key_alg}"
        )));
    }
    let method = child(&key_el, NS_XENC, "EncryptionMethod").ok_or_else(|| bad("no method"))?;
    let oaep_md = match child(&method, c::NS_DS, "DigestMethod")
        .and_then(|d| d.get_attribute("Algorithm"))
        .as_deref()
    {
        None | Some("http://www.w3.org/2000/09/xmldsig#sha1") => {
            openssl::hash::MessageDigest::sha1()
        }
        Some(c::ALG_SHA256) => openssl::hash::MessageDigest::sha256(),
        Some(other) => return Err(Refusal::Encryption(format!("OAEP digest refused: {other}"))),
    };
    if let Some(mgf) = child(&method, "http://www.w3.org/2009/xmlenc11#", "MGF")
        .and_then(|m| m.get_attribute("Algorithm"))
    {
        if mgf != "http://www.w3.org/2009/xmlenc11#mgf1sha1" {
            return Err(Refusal::Encryption(format!("MGF refused: {mgf}")));
        }
    }
    let wrapped = cipher_value(&key_el)?;
    let mut d = openssl::encrypt::Decrypter::new(sp_key).map_err(|_| bad("key"))?;
    d.set_rsa_padding(openssl::rsa::Padding::PKCS1_OAEP)
        .map_err(|_| bad("padding"))?;
    d.set_rsa_oaep_md(oaep_md).map_err(|_| bad("oaep"))?;
    d.set_rsa_mgf1_md(openssl::hash::MessageDigest::sha1())
        .map_err(|_| bad("mgf1"))?;
    let mut key = vec![0u8; d.decrypt_len(&wrapped).map_err(|_| bad("key length"))?];
    let n = d
        .decrypt(&wrapped, &mut key)
        .map_err(|_| bad("the key does not decrypt"))?;
    key.truncate(n);
    let cipher = match (data_alg.as_str(), key.len()) {
        (c::ALG_AES256_GCM, 32) => openssl::symm::Cipher::aes_256_gcm(),
        (c::ALG_AES128_GCM, 16) => openssl::symm::Cipher::aes_128_gcm(),
        _ => return Err(bad("key length does not fit the algorithm")),
    };
    let body = cipher_value(&data)?;
    if body.len() < 12 + 16 {
        return Err(bad("ciphertext too short"));
    }
    let (iv, rest) = body.split_at(12);
    let (ct, tag) = rest.split_at(rest.len() - 16);
    let plain = openssl::symm::decrypt_aead(cipher, &key, Some(iv), &[], ct, tag)
        .map_err(|_| bad("the data does not decrypt (tag)"))?;
    String::from_utf8(plain).map_err(|_| bad("not UTF-8"))
}
