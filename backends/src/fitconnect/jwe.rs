//! JWE compact serialisation as FIT-Connect uses it: `RSA-OAEP-256` key
//! wrapping and `A256GCM` content encryption, nothing else.
//!
//! [`parse`] is pure (no key needed): five base64url parts, a protected
//! header with exactly the members we know, the right algorithms and sizes.
//! [`decrypt`] unwraps the content key with the authority's private key
//! through OpenSSL (constant-time RSA with blinding) and opens AES-256-GCM
//! with the ASCII of the base64url protected header as additional data.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::encrypt::Decrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::{decrypt_aead, Cipher};

/// The only key-management algorithm accepted.
pub const ALG: &str = "RSA-OAEP-256";
/// The only content-encryption algorithm accepted.
pub const ENC: &str = "A256GCM";

/// Header members we understand; any other (e.g. `zip`, `crit`, `jku`) is refused.
const KNOWN_HEADER_MEMBERS: [&str; 5] = ["alg", "enc", "kid", "cty", "typ"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    #[error("a JWE in compact serialisation has 5 parts, this one has {0}")]
    Parts(usize),
    #[error("the {0} is not valid unpadded base64url")]
    Base64(&'static str),
    #[error("the protected header is not a JSON object")]
    Header,
    #[error("the protected header member {0:?} is not supported")]
    UnknownMember(String),
    #[error("alg must be RSA-OAEP-256, not {0:?}")]
    Alg(String),
    #[error("enc must be A256GCM, not {0:?}")]
    Enc(String),
    #[error("the protected header lacks {0:?}")]
    Missing(&'static str),
    #[error("the {0} has the wrong length")]
    Length(&'static str),
    #[error("the JWE was encrypted for key {found:?}, expected {expected:?}")]
    WrongKid { expected: String, found: String },
    #[error("decryption failed (wrong key, or the JWE was altered)")]
    Decrypt,
}

/// The protected header of an accepted JWE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub alg: String,
    pub enc: String,
    pub kid: String,
    pub cty: String,
}

/// A parsed (not yet decrypted) JWE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwe<'a> {
    pub header: Header,
    /// The protected header exactly as sent (the AAD of AES-GCM).
    pub protected: &'a str,
    pub encrypted_key: Vec<u8>,
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub tag: Vec<u8>,
    /// The authentication tag as sent (base64url), for `accept-submission`.
    pub tag_b64: &'a str,
}

fn b64(part: &str, what: &'static str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(part.as_bytes())
        .map_err(|_| JweError::Base64(what))
}

/// Parses a compact JWE and checks its header; no key involved.
pub fn parse(compact: &str) -> Result<Jwe<'_>, JweError> {
    let parts: Vec<&str> = compact.trim().split('.').collect();
    if parts.len() != 5 {
        return Err(JweError::Parts(parts.len()));
    }
    let header_json = b64(parts[0], "protected header")?;
    let value: serde_json::Value =
        serde_json::from_slice(&header_json).map_err(|_| JweError::Header)?;
    let obj = value.as_object().ok_or(JweError::Header)?;
    if let Some(unknown) = obj
        .keys()
        .find(|k| !KNOWN_HEADER_MEMBERS.contains(&k.as_str()))
    {
        return Err(JweError::UnknownMember(unknown.clone()));
    }
    let member = |name: &'static str| -> Result<String, JweError> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(JweError::Header),
            None => Err(JweError::Missing(name)),
        }
    };
    let alg = member("alg")?;
    if alg != ALG {
        return Err(JweError::Alg(alg));
    }
    let enc = member("enc")?;
    if enc != ENC {
        return Err(JweError::Enc(enc));
    }
    let kid = member("kid")?;
    let cty = member("cty")?;
    let encrypted_key = b64(parts[1], "encrypted key")?;
    // RSA 2048..4096 bits: 256..512 bytes.
    if !(256..=512).contains(&encrypted_key.len()) {
        return Err(JweError::Length("encrypted key"));
    }
    let iv = b64(parts[2], "initialisation vector")?;
    if iv.len() != 12 {
        return Err(JweError::Length("initialisation vector"));
    }
    let ciphertext = b64(parts[3], "ciphertext")?;
    let tag = b64(parts[4], "authentication tag")?;
    if tag.len() != 16 {
        return Err(JweError::Length("authentication tag"));
    }
    Ok(Jwe {
        header: Header { alg, enc, kid, cty },
        protected: parts[0],
        encrypted_key,
        iv,
        ciphertext,
        tag,
        tag_b64: parts[4],
    })
}

/// Decrypts a parsed JWE with the private key whose thumbprint is `kid`.
///
/// A failed key unwrap is not reported separately: as RFC 7516 §11.5
/// advises, a random key is used instead, so that the caller (and the
/// timing) only ever sees one kind of failure.
pub fn decrypt(jwe: &Jwe<'_>, key: &PKey<Private>, kid: &str) -> Result<Vec<u8>, JweError> {
    if jwe.header.kid != kid {
        return Err(JweError::WrongKid {
            expected: kid.to_string(),
            found: jwe.header.kid.clone(),
        });
    }
    let mut random_cek = [0u8; 32];
    openssl::rand::rand_bytes(&mut random_cek).map_err(|_| JweError::Decrypt)?;
    let cek = match unwrap_key(key, &jwe.encrypted_key) {
        Some(k) if k.len() == 32 => k,
        _ => random_cek.to_vec(),
    };
    decrypt_aead(
        Cipher::aes_256_gcm(),
        &cek,
        Some(&jwe.iv),
        jwe.protected.as_bytes(),
        &jwe.ciphertext,
        &jwe.tag,
    )
    .map_err(|_| JweError::Decrypt)
}

/// Parses and decrypts in one go.
pub fn open(compact: &str, key: &PKey<Private>, kid: &str) -> Result<Vec<u8>, JweError> {
    decrypt(&parse(compact)?, key, kid)
}

fn unwrap_key(key: &PKey<Private>, wrapped: &[u8]) -> Option<Vec<u8>> {
    let mut d = Decrypter::new(key).ok()?;
    d.set_rsa_padding(Padding::PKCS1_OAEP).ok()?;
    d.set_rsa_oaep_md(MessageDigest::sha256()).ok()?;
    d.set_rsa_mgf1_md(MessageDigest::sha256()).ok()?;
    let len = d.decrypt_len(wrapped).ok()?;
    let mut out = vec![0u8; len];
    let n = d.decrypt(wrapped, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_part(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn compact(header: &serde_json::Value) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            enc_part(header),
            URL_SAFE_NO_PAD.encode([7u8; 512]),
            URL_SAFE_NO_PAD.encode([1u8; 12]),
            URL_SAFE_NO_PAD.encode(b"ciphertext"),
            URL_SAFE_NO_PAD.encode([2u8; 16]),
        )
    }

    fn good_header() -> serde_json::Value {
        serde_json::json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "k1", "cty": "application/json"})
    }

    #[test]
    fn a_well_formed_jwe_parses() {
        let s = compact(&good_header());
        let j = parse(&s).unwrap();
        assert_eq!(j.header.kid, "k1");
        assert_eq!(j.header.cty, "application/json");
        assert_eq!(j.iv.len(), 12);
        assert_eq!(j.tag.len(), 16);
        assert_eq!(j.protected, s.split('.').next().unwrap());
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let s = compact(&good_header());
        let four: Vec<&str> = s.split('.').take(4).collect();
        assert_eq!(parse(&four.join(".")), Err(JweError::Parts(4)));
        assert_eq!(parse(&format!("{s}.x")), Err(JweError::Parts(6)));
        let mut h = good_header();
        h["alg"] = "RSA-OAEP".into();
        assert_eq!(parse(&compact(&h)), Err(JweError::Alg("RSA-OAEP".into())));
        let mut h = good_header();
        h["alg"] = "dir".into();
        assert!(matches!(parse(&compact(&h)), Err(JweError::Alg(_))));
        let mut h = good_header();
        h["enc"] = "A128CBC-HS256".into();
        assert!(matches!(parse(&compact(&h)), Err(JweError::Enc(_))));
        let mut h = good_header();
        h["zip"] = "DEF".into();
        assert_eq!(
            parse(&compact(&h)),
            Err(JweError::UnknownMember("zip".into()))
        );
        let mut h = good_header();
        h.as_object_mut().unwrap().remove("kid");
        assert_eq!(parse(&compact(&h)), Err(JweError::Missing("kid")));
        let mut h = good_header();
        h.as_object_mut().unwrap().remove("cty");
        assert_eq!(parse(&compact(&h)), Err(JweError::Missing("cty")));
        assert_eq!(
            parse(&format!("{}.b.c.d.e", URL_SAFE_NO_PAD.encode("[1]"))),
            Err(JweError::Header)
        );
        let bad_b64 = s.replacen('.', ".!!!", 1);
        assert!(matches!(parse(&bad_b64), Err(JweError::Base64(_))));
    }
}
