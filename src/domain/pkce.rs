//! PKCE (RFC 7636, S256 only) and the random values of the login round trip.
//!
//! The SHA-256 itself runs in the browser (WebCrypto `subtle.digest`, see
//! `api::idp`); this module holds the pure parts: base64url without padding,
//! turning random bytes into a verifier, checking a verifier's alphabet and
//! length, turning a digest into the challenge, and comparing `state`.

/// base64url alphabet (RFC 4648 §5).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// How many random bytes make a verifier (32 bytes → 43 characters).
pub const VERIFIER_BYTES: usize = 32;

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

/// A verifier from random bytes (base64url, 43 characters for 32 bytes).
pub fn verifier_from_random(bytes: &[u8; VERIFIER_BYTES]) -> String {
    base64url_encode(bytes)
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge from the SHA-256 digest of the verifier's ASCII bytes.
pub fn challenge_from_digest(digest: &[u8; 32]) -> String {
    base64url_encode(digest)
}

/// A random `state` or `nonce` value (from 16+ random bytes).
pub fn random_token(bytes: &[u8]) -> String {
    base64url_encode(bytes)
}

/// Constant-time comparison of two strings (length leaks, content does not).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Why the callback's `state` is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("no login was started in this tab")]
    NoPendingLogin,
    #[error("the answer carries no state")]
    Missing,
    #[error("the state does not match the login started here")]
    Mismatch,
}

/// The `state` coming back must equal the one we stored when starting.
pub fn check_state(stored: Option<&str>, received: Option<&str>) -> Result<(), StateError> {
    let stored = stored
        .filter(|s| !s.is_empty())
        .ok_or(StateError::NoPendingLogin)?;
    let received = received
        .filter(|s| !s.is_empty())
        .ok_or(StateError::Missing)?;
    if constant_time_eq(stored, received) {
        Ok(())
    } else {
        Err(StateError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_pair() {
        // The RFC's verifier comes from these 32 octets.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(verifier_from_random(&octets), RFC_VERIFIER);
        assert!(is_valid_verifier(RFC_VERIFIER));
        let digest: [u8; 32] = Sha256::digest(RFC_VERIFIER.as_bytes()).into();
        assert_eq!(challenge_from_digest(&digest), RFC_CHALLENGE);
    }

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
    fn verifier_rules() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a~.-_".repeat(26)[..128]));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        assert_eq!(verifier_from_random(&[0; 32]).len(), 43);
    }

    #[test]
    fn state_must_match_the_stored_one() {
        assert_eq!(check_state(Some("abc"), Some("abc")), Ok(()));
        assert_eq!(
            check_state(Some("abc"), Some("abd")),
            Err(StateError::Mismatch)
        );
        assert_eq!(
            check_state(Some("abc"), Some("abcd")),
            Err(StateError::Mismatch)
        );
        assert_eq!(check_state(Some("abc"), None), Err(StateError::Missing));
        assert_eq!(check_state(Some("abc"), Some("")), Err(StateError::Missing));
        assert_eq!(
            check_state(None, Some("abc")),
            Err(StateError::NoPendingLogin)
        );
        assert_eq!(
            check_state(Some(""), Some("")),
            Err(StateError::NoPendingLogin)
        );
    }
}
