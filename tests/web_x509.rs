//! The destination key's certificate chain in the browser (WebCrypto,
//! headless Chromium): the RSASSA-PSS signatures of the vectors in
//! `tests/vectors/x509/` verify, a foreign root's do not, and
//! `import_certified_key` refuses what `domain::x509` refuses.
#![cfg(target_arch = "wasm32")]

use buergeramt::browser::webcrypto::{
    import_certified_key, verify_certificate_signature, CertifiedKeyError,
};
use buergeramt::domain::jwe::EncryptionJwk;
use buergeramt::domain::x509::{check_key_chain, X509Error, TRUSTED_ROOT};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn vector(text: &str) -> (EncryptionJwk, String, i64) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    (
        serde_json::from_value(v["jwk"].clone()).unwrap(),
        v["destinationId"].as_str().unwrap().to_string(),
        v["now"].as_i64().unwrap(),
    )
}

const VALID: &str = include_str!("vectors/x509/valid.json");
const FOREIGN: &str = include_str!("vectors/x509/foreign-root.json");
const OTHER: &str = include_str!("vectors/x509/other-destination.json");

#[wasm_bindgen_test]
async fn the_test_chain_verifies_with_webcrypto() {
    let (jwk, dest, now) = vector(VALID);
    let checks = check_key_chain(&jwk, &dest, TRUSTED_ROOT, now).unwrap();
    assert_eq!(checks.len(), 2);
    for c in &checks {
        assert_eq!(verify_certificate_signature(c).await, Ok(true));
    }
    // One changed byte in the signed part, the signature or the salt length.
    let mut bad = checks[0].clone();
    bad.signed[10] ^= 1;
    assert_eq!(verify_certificate_signature(&bad).await, Ok(false));
    let mut bad = checks[1].clone();
    bad.signature[0] ^= 1;
    assert_eq!(verify_certificate_signature(&bad).await, Ok(false));
    let mut bad = checks[1].clone();
    bad.salt_length = 20;
    assert_eq!(verify_certificate_signature(&bad).await, Ok(false));
    // An issuer key WebCrypto cannot import does not verify anything.
    let mut bad = checks[0].clone();
    bad.issuer_spki = vec![0x30, 0x00];
    assert_eq!(verify_certificate_signature(&bad).await, Ok(false));
}

#[wasm_bindgen_test]
async fn a_foreign_root_fails_at_its_signature() {
    let (jwk, dest, now) = vector(FOREIGN);
    let checks = check_key_chain(&jwk, &dest, TRUSTED_ROOT, now).unwrap();
    assert_eq!(verify_certificate_signature(&checks[0]).await, Ok(true));
    assert_eq!(verify_certificate_signature(&checks[1]).await, Ok(false));
    // The browser's clock: the chain is valid today, so only the signature fails.
    assert_eq!(
        import_certified_key(&jwk, &dest).await.err(),
        Some(CertifiedKeyError::Untrusted(X509Error::Signature))
    );
}

#[wasm_bindgen_test]
async fn the_valid_chain_gives_a_key_and_another_destination_does_not() {
    let (jwk, dest, _) = vector(VALID);
    let key = import_certified_key(&jwk, &dest).await.unwrap();
    assert_eq!(key.kid, "x509-test-vector");
    let (jwk, dest, _) = vector(OTHER);
    assert_eq!(
        import_certified_key(&jwk, &dest).await.err(),
        Some(CertifiedKeyError::Untrusted(X509Error::WrongDestination))
    );
}
