//! The app's JWE framing against the stand-in authority's decryption
//! (`backends::fitconnect::jwe`, OpenSSL), natively:
//!
//! * the JWE in `tests/vectors/jwe.json` was produced in headless Chromium
//!   by `browser::webcrypto::encrypt_jwe` (see tests/web_jwe.rs); the
//!   authority's code opens it with the test-only private key, and refuses
//!   every tampered copy;
//! * a JWE encrypted here with OpenSSL and framed by `domain::jwe::compact`
//!   opens the same way.
#![cfg(not(target_arch = "wasm32"))]

use backends::fitconnect::jwe::{open, JweError as AuthorityError};
use buergeramt::domain::jwe::{
    b64url_decode, b64url_encode, check_encryption_key, compact, protected_header_b64,
    EncryptionJwk, CTY_JSON,
};
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::{encrypt_aead, Cipher};

const VECTORS: &str = include_str!("vectors/jwe.json");

struct Vectors {
    jwk: EncryptionJwk,
    private: PKey<Private>,
    plaintext: String,
    jwe: String,
}

fn vectors() -> Vectors {
    let v: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let der = b64url_decode(v["private_key_pkcs8_b64url"].as_str().unwrap()).unwrap();
    Vectors {
        jwk: serde_json::from_value(v["jwk"].clone()).unwrap(),
        private: PKey::private_key_from_pkcs8(&der).unwrap(),
        plaintext: v["plaintext"].as_str().unwrap().to_string(),
        jwe: v["jwe"].as_str().unwrap().to_string(),
    }
}

fn flip(jwe: &str, index: usize, byte: usize) -> String {
    let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
    let mut bytes = b64url_decode(&parts[index]).unwrap();
    bytes[byte] ^= 0x80;
    parts[index] = b64url_encode(&bytes);
    parts.join(".")
}

#[test]
fn the_browser_vector_opens_with_the_authority_code() {
    let v = vectors();
    assert_eq!(check_encryption_key(&v.jwk), Ok(()));
    let plain = open(&v.jwe, &v.private, &v.jwk.kid).unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), v.plaintext);
}

#[test]
fn tampered_copies_of_the_vector_are_refused() {
    let v = vectors();
    let kid = v.jwk.kid.as_str();
    for (index, byte, what) in [
        (1, 0, "wrapped key"),
        (1, 300, "wrapped key"),
        (2, 3, "iv"),
        (3, 0, "ciphertext"),
        (3, 40, "ciphertext"),
        (4, 15, "tag"),
    ] {
        assert_eq!(
            open(&flip(&v.jwe, index, byte), &v.private, kid),
            Err(AuthorityError::Decrypt),
            "{what}"
        );
    }
    // Another (still well-formed) header is other additional data.
    let parts: Vec<&str> = v.jwe.split('.').collect();
    let other_header = protected_header_b64(kid, "text/plain");
    let forged = [
        other_header.as_str(),
        parts[1],
        parts[2],
        parts[3],
        parts[4],
    ]
    .join(".");
    assert_eq!(open(&forged, &v.private, kid), Err(AuthorityError::Decrypt));
    // A truncated ciphertext or a missing part.
    let short = [
        parts[0],
        parts[1],
        parts[2],
        &parts[3][..parts[3].len() - 4],
        parts[4],
    ]
    .join(".");
    assert_eq!(open(&short, &v.private, kid), Err(AuthorityError::Decrypt));
    assert_eq!(
        open(&parts[..4].join("."), &v.private, kid),
        Err(AuthorityError::Parts(4))
    );
    // The right ciphertext for another key id is not even tried.
    assert!(matches!(
        open(&v.jwe, &v.private, "another-kid"),
        Err(AuthorityError::WrongKid { .. })
    ));
}

/// Encrypts like the browser does, but with OpenSSL, and frames with the
/// app's `compact` (which gets ciphertext||tag as WebCrypto returns it).
fn openssl_jwe(private: &PKey<Private>, kid: &str, cty: &str, plaintext: &[u8]) -> String {
    let public = PKey::public_key_from_pem(&private.public_key_to_pem().unwrap()).unwrap();
    let mut cek = [0u8; 32];
    openssl::rand::rand_bytes(&mut cek).unwrap();
    let mut iv = [0u8; 12];
    openssl::rand::rand_bytes(&mut iv).unwrap();
    let mut enc = Encrypter::new(&public).unwrap();
    enc.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    enc.set_rsa_oaep_md(MessageDigest::sha256()).unwrap();
    enc.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
    let mut wrapped = vec![0u8; enc.encrypt_len(&cek).unwrap()];
    let n = enc.encrypt(&cek, &mut wrapped).unwrap();
    wrapped.truncate(n);
    let header = protected_header_b64(kid, cty);
    let mut tag = [0u8; 16];
    let mut sealed = encrypt_aead(
        Cipher::aes_256_gcm(),
        &cek,
        Some(&iv),
        header.as_bytes(),
        plaintext,
        &mut tag,
    )
    .unwrap();
    sealed.extend_from_slice(&tag);
    compact(&header, &wrapped, &iv, &sealed).unwrap()
}

#[test]
fn compact_framing_opens_with_the_authority_code() {
    let v = vectors();
    let kid = v.jwk.kid.as_str();
    let data = r#"{"antwort":"Grüße aus Köln"}"#.as_bytes();
    let jwe = openssl_jwe(&v.private, kid, CTY_JSON, data);
    assert_eq!(open(&jwe, &v.private, kid).unwrap(), data);

    // A file of 1 MiB with another type, and an empty one.
    let file: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let jwe = openssl_jwe(&v.private, kid, "image/png", &file);
    let parsed = backends::fitconnect::jwe::parse(&jwe).unwrap();
    assert_eq!(parsed.header.cty, "image/png");
    assert_eq!(open(&jwe, &v.private, kid).unwrap(), file);
    let jwe = openssl_jwe(&v.private, kid, "text/plain", b"");
    assert_eq!(open(&jwe, &v.private, kid).unwrap(), b"");

    // And the authority refuses a tampered tag of it.
    let jwe = openssl_jwe(&v.private, kid, CTY_JSON, data);
    assert_eq!(
        open(&flip(&jwe, 4, 0), &v.private, kid),
        Err(AuthorityError::Decrypt)
    );
}
