//! ID token signature checks with WebCrypto (wasm-bindgen-test, headless
//! Chromium). The vectors in `tests/vectors/idtoken.json` are an RSA 2048
//! public key (JWK) and tokens signed once with its private key (openssl);
//! the private key is not kept.
#![cfg(target_arch = "wasm32")]

use buergeramt::api::idp::{verify_id_token, AuthError};
use buergeramt::domain::oidc::{Expected, IdTokenError, Jwk, Jwks};
use buergeramt::domain::pkce::{base64url_decode, base64url_encode};
use buergeramt::domain::trust::TrustLevel;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/idtoken.json");

struct Vectors {
    jwks: Jwks,
    token: String,
    expired: String,
}

fn vectors() -> Vectors {
    let v: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let jwk: Jwk = serde_json::from_value(v["jwk"].clone()).unwrap();
    Vectors {
        jwks: Jwks { keys: vec![jwk] },
        token: v["token"].as_str().unwrap().to_string(),
        expired: v["expired_token"].as_str().unwrap().to_string(),
    }
}

fn expected(nonce: &str) -> Expected<'_> {
    Expected {
        issuer: "http://127.0.0.1:8080/idp",
        client_id: "buergeramt-app",
        nonce,
        now: 1_764_367_400,
    }
}

fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

#[wasm_bindgen_test]
async fn a_correctly_signed_token_verifies() {
    let v = vectors();
    let level = verify_id_token(&v.token, &v.jwks, &expected("test-nonce-123")).await;
    assert_eq!(level, Ok(TrustLevel::Level4));
}

#[wasm_bindgen_test]
async fn a_tampered_payload_fails() {
    let v = vectors();
    let p = parts(&v.token);
    let payload = String::from_utf8(base64url_decode(&p[1]).unwrap()).unwrap();
    let forged = payload.replace("test-sub", "evil-sub");
    assert_ne!(payload, forged);
    let token = format!("{}.{}.{}", p[0], base64url_encode(forged.as_bytes()), p[2]);
    let r = verify_id_token(&token, &v.jwks, &expected("test-nonce-123")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::BadSignature)));

    // Raising the level in the token is caught the same way.
    let raised = payload.replace("Level-4", "Level-3");
    let token = format!("{}.{}.{}", p[0], base64url_encode(raised.as_bytes()), p[2]);
    let r = verify_id_token(&token, &v.jwks, &expected("test-nonce-123")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::BadSignature)));
}

#[wasm_bindgen_test]
async fn a_tampered_signature_fails() {
    let v = vectors();
    let p = parts(&v.token);
    let mut sig = base64url_decode(&p[2]).unwrap();
    sig[10] ^= 0x01;
    let token = format!("{}.{}.{}", p[0], p[1], base64url_encode(&sig));
    let r = verify_id_token(&token, &v.jwks, &expected("test-nonce-123")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::BadSignature)));
}

#[wasm_bindgen_test]
async fn another_key_or_kid_fails() {
    let v = vectors();
    let mut other = v.jwks.clone();
    let mut n = base64url_decode(other.keys[0].n.as_deref().unwrap()).unwrap();
    n[100] ^= 0x40;
    other.keys[0].n = Some(base64url_encode(&n));
    let r = verify_id_token(&v.token, &other, &expected("test-nonce-123")).await;
    assert!(
        matches!(
            r,
            Err(AuthError::IdToken(
                IdTokenError::BadSignature | IdTokenError::UnknownKey
            ))
        ),
        "{r:?}"
    );
    let mut renamed = v.jwks.clone();
    renamed.keys[0].kid = Some("another-kid".into());
    let r = verify_id_token(&v.token, &renamed, &expected("test-nonce-123")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::UnknownKey)));
}

#[wasm_bindgen_test]
async fn alg_none_is_refused_even_with_the_right_claims() {
    let v = vectors();
    let p = parts(&v.token);
    let header = base64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    for token in [
        format!("{header}.{}.", p[1]),
        format!("{header}.{}.{}", p[1], p[2]),
    ] {
        let r = verify_id_token(&token, &v.jwks, &expected("test-nonce-123")).await;
        assert_eq!(
            r,
            Err(AuthError::IdToken(IdTokenError::Algorithm("none".into())))
        );
    }
}

#[wasm_bindgen_test]
async fn valid_signature_but_wrong_claims_fail() {
    let v = vectors();
    let r = verify_id_token(&v.expired, &v.jwks, &expected("test-nonce-123")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::Expired)));
    let r = verify_id_token(&v.token, &v.jwks, &expected("another-nonce")).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::Nonce)));
    let mut want = expected("test-nonce-123");
    want.client_id = "other-app";
    let r = verify_id_token(&v.token, &v.jwks, &want).await;
    assert_eq!(r, Err(AuthError::IdToken(IdTokenError::Audience)));
}
