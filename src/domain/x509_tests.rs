//! Native tests of the chain checks, with the vectors of
//! `tests/vectors/x509/` (made by the stand-in's test PKI:
//! `cargo test -p backends --lib pki::tests::write_vectors -- --ignored`).
//! The signatures, which the app verifies with WebCrypto, are verified here
//! with OpenSSL from the same [`SignatureCheck`]s.

use super::*;
use serde_json::Value;

const TEST_ROOT_PEM: &str = include_str!("../../backends/pki/test-root.crt.pem");

fn test_root() -> Vec<u8> {
    let b64: String = TEST_ROOT_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64_decode(&b64).unwrap()
}

fn vector(name: &str) -> (EncryptionJwk, String, i64) {
    let text = match name {
        "valid" => include_str!("../../tests/vectors/x509/valid.json"),
        "expired" => include_str!("../../tests/vectors/x509/expired.json"),
        "other-destination" => include_str!("../../tests/vectors/x509/other-destination.json"),
        "foreign-root" => include_str!("../../tests/vectors/x509/foreign-root.json"),
        "pkcs1" => include_str!("../../tests/vectors/x509/pkcs1.json"),
        _ => unreachable!(),
    };
    let v: Value = serde_json::from_str(text).unwrap();
    (
        serde_json::from_value(v["jwk"].clone()).unwrap(),
        v["destinationId"].as_str().unwrap().to_string(),
        v["now"].as_i64().unwrap(),
    )
}

fn check(name: &str) -> Result<Vec<SignatureCheck>, X509Error> {
    let (jwk, dest, now) = vector(name);
    check_key_chain(&jwk, &dest, &test_root(), now)
}

/// What WebCrypto does in the app: RSASSA-PSS verification with the
/// issuer's SPKI, hash and salt length from the check.
#[cfg(not(target_arch = "wasm32"))]
fn verifies(c: &SignatureCheck) -> bool {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Padding;
    use openssl::sign::{RsaPssSaltlen, Verifier};
    let key = PKey::public_key_from_der(&c.issuer_spki).unwrap();
    let md = match c.hash {
        "SHA-256" => MessageDigest::sha256(),
        "SHA-384" => MessageDigest::sha384(),
        _ => MessageDigest::sha512(),
    };
    let mut v = Verifier::new(md, &key).unwrap();
    v.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
    v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(c.salt_length as i32))
        .unwrap();
    v.set_rsa_mgf1_md(md).unwrap();
    v.verify_oneshot(&c.signature, &c.signed).unwrap_or(false)
}

#[test]
fn the_compiled_in_root_is_the_test_root_unless_configured() {
    if option_env!("BUERGERAMT_PKI_ROOT").is_none() {
        assert_eq!(TRUSTED_ROOT, &test_root()[..]);
    }
}

#[test]
fn a_valid_chain_gives_one_pss_check_per_certificate_ending_at_the_root() {
    let checks = check("valid").unwrap();
    assert_eq!(checks.len(), 2);
    for c in &checks {
        assert_eq!((c.hash, c.salt_length), ("SHA-256", 32));
    }
    let root = test_root();
    assert_eq!(checks[1].issuer_spki, parse(&root).unwrap().spki);
    #[cfg(not(target_arch = "wasm32"))]
    {
        assert!(checks.iter().all(verifies));
        // A flipped bit in the signed part does not verify.
        let mut bad = checks[0].clone();
        let last = bad.signed.len() - 1;
        bad.signed[last] ^= 1;
        assert!(!verifies(&bad));
    }
}

#[test]
fn a_tampered_key_is_refused() {
    let (mut jwk, dest, now) = vector("valid");
    let mut n = base64url_decode(&jwk.n).unwrap();
    n[100] ^= 0x40;
    jwk.n = super::super::jose::base64url_encode(&n);
    assert_eq!(
        check_key_chain(&jwk, &dest, &test_root(), now),
        Err(X509Error::KeyMismatch)
    );
    let (mut jwk, ..) = vector("valid");
    jwk.e = "AQAD".into();
    assert_eq!(
        check_key_chain(&jwk, &dest, &test_root(), now),
        Err(X509Error::KeyMismatch)
    );
}

#[test]
fn a_chain_from_a_foreign_root_with_the_same_name_fails_its_signature() {
    // Structurally fine (the foreign root copies our root's name) …
    let checks = check("foreign-root").unwrap();
    // … but the intermediate must verify under our root's key, and does not.
    assert_eq!(
        checks[1].issuer_spki,
        parse(&test_root()).unwrap().spki.to_vec()
    );
    #[cfg(not(target_arch = "wasm32"))]
    {
        assert!(verifies(&checks[0]), "the leaf is fine under its own CA");
        assert!(!verifies(&checks[1]));
    }
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    assert_eq!(check("expired"), Err(X509Error::Validity(0)));
    let (jwk, dest, _) = vector("valid");
    // 2026-05-01: before the leaf's notBefore (2026-06-01).
    assert_eq!(
        check_key_chain(&jwk, &dest, &test_root(), 1_777_593_600),
        Err(X509Error::Validity(0))
    );
    // 2045: after the leaf's and the intermediate's notAfter.
    assert_eq!(
        check_key_chain(&jwk, &dest, &test_root(), 2_366_841_600),
        Err(X509Error::Validity(0))
    );
}

#[test]
fn a_certificate_naming_another_destination_is_refused() {
    assert_eq!(check("other-destination"), Err(X509Error::WrongDestination));
    let (jwk, _, now) = vector("valid");
    let other = "00000000-0000-5000-8000-000000000000";
    assert_eq!(
        check_key_chain(&jwk, other, &test_root(), now),
        Err(X509Error::WrongDestination)
    );
}

#[test]
fn a_signature_other_than_pss_is_refused() {
    assert_eq!(check("pkcs1"), Err(X509Error::Algorithm(0)));
}

#[test]
fn broken_or_missing_chains_are_refused() {
    let (mut jwk, dest, now) = vector("valid");
    let root = test_root();
    let chain = jwk.x5c.clone().unwrap();
    jwk.x5c = None;
    assert_eq!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::NoChain)
    );
    jwk.x5c = Some(vec!["not base64!".into()]);
    assert_eq!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::Base64)
    );
    // Truncated DER.
    let der = base64_decode(&chain[0]).unwrap();
    let cut = super::super::jose::base64url_encode(&der[..der.len() - 10])
        .replace('-', "+")
        .replace('_', "/");
    jwk.x5c = Some(vec![cut, chain[1].clone()]);
    assert!(matches!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::Der(_))
    ));
    // The leaf alone does not reach the root; the order matters.
    jwk.x5c = Some(vec![chain[0].clone()]);
    assert_eq!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::Issuer(0))
    );
    jwk.x5c = Some(vec![chain[1].clone(), chain[0].clone()]);
    assert!(check_key_chain(&jwk, &dest, &root, now).is_err());
    // The leaf as its own issuer: not its issuer (and not a CA).
    jwk.x5c = Some(vec![chain[0].clone(), chain[0].clone()]);
    assert_eq!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::Issuer(0))
    );
    jwk.x5c = Some(vec![chain[0].clone(); 5]);
    assert_eq!(
        check_key_chain(&jwk, &dest, &root, now),
        Err(X509Error::ChainLength(5))
    );
    // Another root: the chain does not end there.
    let intermediate = base64_decode(&chain[1]).unwrap();
    jwk.x5c = Some(chain.clone());
    assert_eq!(
        check_key_chain(&jwk, &dest, &intermediate, now),
        Err(X509Error::Issuer(1))
    );
    assert_eq!(
        check_key_chain(&jwk, &dest, b"\x30\x00", now),
        Err(X509Error::Root)
    );
}

#[test]
fn times_and_key_usage_bits_are_read_right() {
    assert_eq!(time(0x17, b"700101000000Z"), Ok(0));
    assert_eq!(time(0x17, b"491231235959Z"), Ok(2_524_607_999));
    assert_eq!(time(0x18, b"20270101000000Z"), Ok(1_798_761_600));
    assert_eq!(time(0x18, b"20240229120000Z"), Ok(1_709_208_000));
    assert!(time(0x18, b"20241301000000Z").is_err());
    assert!(time(0x17, b"700101000000+0100").is_err());
    let valid = vector("valid").0.x5c.unwrap();
    let leaf = base64_decode(&valid[0]).unwrap();
    let leaf = parse(&leaf).unwrap();
    assert_eq!(leaf.key_usage, Some(KEY_ENCIPHERMENT));
    assert_eq!(leaf.ca, Some((false, None)));
    let ca = base64_decode(&valid[1]).unwrap();
    let ca = parse(&ca).unwrap();
    assert_eq!(ca.key_usage, Some(KEY_CERT_SIGN | (1 << 6)));
    assert_eq!(ca.ca, Some((true, Some(0))));
}
