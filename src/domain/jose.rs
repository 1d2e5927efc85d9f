//! The bits of JOSE the app still needs itself: base64url (RFC 4648 §5,
//! for JWE and the event log's JWS), a JWS header, JWKs and the choice of a
//! signature key. The login's tokens are the relay's business
//! (`relay/src/oidc.rs`); the app never sees one.

use serde::{Deserialize, Serialize};

/// base64url alphabet (RFC 4648 §5).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

/// Decoding failed: a character outside base64url, or an impossible length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not base64url")]
pub struct Base64Error;

fn value_of(c: u8) -> Result<u32, Base64Error> {
    match c {
        b'A'..=b'Z' => Ok(u32::from(c - b'A')),
        b'a'..=b'z' => Ok(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Ok(u32::from(c - b'0') + 52),
        b'-' => Ok(62),
        b'_' => Ok(63),
        _ => Err(Base64Error),
    }
}

/// base64url, padding optional (JWTs have none; some JWKS add it).
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let text = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 == 1 {
        return Err(Base64Error);
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value_of(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Ok(out)
}

/// The JOSE header of a JWS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JwtHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

/// One key of a JWKS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// An RSA signature key for `alg` (or without `alg`), named by `kid`, or
/// the only such key when there is no `kid`. Used for the FIT-Connect event
/// log's signatures.
pub fn select_signing_key<'a>(jwks: &'a Jwks, kid: Option<&str>, alg: &str) -> Option<&'a Jwk> {
    let usable = |k: &&Jwk| {
        k.kty == "RSA"
            && k.alg.as_deref().is_none_or(|a| a == alg)
            && k.use_.as_deref().is_none_or(|u| u == "sig")
            && k.n.is_some()
            && k.e.is_some()
    };
    let mut candidates = jwks.keys.iter().filter(usable);
    match kid {
        Some(kid) => candidates.find(|k| k.kid.as_deref() == Some(kid)),
        None => {
            let first = candidates.next()?;
            candidates.next().is_none().then_some(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        let data: Vec<u8> = (0u8..=255).collect();
        for len in 0..40 {
            let enc = base64url_encode(&data[..len]);
            assert!(!enc.contains(['=', '+', '/']));
            assert_eq!(base64url_decode(&enc).unwrap(), &data[..len]);
        }
        assert_eq!(base64url_encode(b"\xfb\xff"), "-_8");
        assert_eq!(base64url_decode("AQAB").unwrap(), [1, 0, 1]);
        assert_eq!(base64url_decode("AQ==").unwrap(), [1]);
    }

    #[test]
    fn base64url_refuses_other_alphabets() {
        assert!(base64url_decode("a+b/").is_err());
        assert!(base64url_decode("abcde").is_err());
        assert!(base64url_decode("ab c").is_err());
    }

    #[test]
    fn key_selection_by_kid() {
        let key = |kid: &str, alg: Option<&str>, use_: Option<&str>| Jwk {
            kty: "RSA".into(),
            kid: Some(kid.into()),
            alg: alg.map(Into::into),
            use_: use_.map(Into::into),
            n: Some("AQAB".into()),
            e: Some("AQAB".into()),
        };
        let jwks = Jwks {
            keys: vec![
                key("enc", Some("RSA-OAEP"), Some("enc")),
                key("a", Some("RS256"), Some("sig")),
                key("b", None, None),
            ],
        };
        let pick = |kid| select_signing_key(&jwks, kid, "RS256").and_then(|k| k.kid.as_deref());
        assert_eq!(pick(Some("a")), Some("a"));
        assert_eq!(pick(Some("b")), Some("b"));
        assert_eq!(pick(Some("enc")), None);
        assert_eq!(pick(Some("zz")), None);
        assert_eq!(pick(None), None, "ambiguous");
        let single = Jwks {
            keys: vec![key("a", None, None)],
        };
        assert!(select_signing_key(&single, None, "RS256").is_some());
    }
}
