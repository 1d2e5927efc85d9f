//! The browser's JWE encryption (WebCrypto, headless Chromium): encrypt with
//! `encrypt_jwe` for the test-only RSA 4096 key in `tests/vectors/jwe.json`,
//! then decrypt here with WebCrypto and that key's private half. The same
//! file carries one JWE made by `encrypt_jwe`, which `tests/jwe_native.rs`
//! decrypts with the stand-in authority's OpenSSL code.
#![cfg(target_arch = "wasm32")]

use buergeramt::browser::subtle;
use buergeramt::browser::webcrypto::{
    encrypt_jwe, import_encryption_key, random_uuid, sha512_hex, CryptoError, EncryptionKey,
};
use buergeramt::domain::jwe::{b64url_decode, b64url_encode, EncryptionJwk, JweError};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/jwe.json");

fn vectors() -> serde_json::Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn test_jwk() -> EncryptionJwk {
    serde_json::from_value(vectors()["jwk"].clone()).unwrap()
}

async fn public_key() -> EncryptionKey {
    import_encryption_key(&test_jwk()).await.unwrap()
}

fn obj(members: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in members {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o
}

/// Decrypts a compact JWE with the test private key, all in WebCrypto:
/// RSA-OAEP-256 for the content key, then AES-GCM with the header as AAD.
/// `Err` if any step refuses.
async fn decrypt(jwe: &str) -> Result<Vec<u8>, JsValue> {
    let parts: Vec<&str> = jwe.split('.').collect();
    assert_eq!(parts.len(), 5);
    let subtle = subtle().unwrap();
    let pkcs8 = b64url_decode(vectors()["private_key_pkcs8_b64url"].as_str().unwrap()).unwrap();
    let alg = obj(&[("name", "RSA-OAEP".into()), ("hash", "SHA-256".into())]);
    let private: web_sys::CryptoKey = JsFuture::from(subtle.import_key_with_object(
        "pkcs8",
        &Uint8Array::from(&pkcs8[..]),
        &alg,
        false,
        &Array::of1(&"decrypt".into()),
    )?)
    .await?
    .dyn_into()?;
    let wrapped = b64url_decode(parts[1]).unwrap();
    let cek = JsFuture::from(subtle.decrypt_with_object_and_u8_array(
        &obj(&[("name", "RSA-OAEP".into())]),
        &private,
        &wrapped,
    )?)
    .await?;
    let cek = Uint8Array::new(&cek).to_vec();
    assert_eq!(cek.len(), 32, "a 256-bit content key");
    let aes: web_sys::CryptoKey = JsFuture::from(subtle.import_key_with_object(
        "raw",
        &Uint8Array::from(&cek[..]),
        &obj(&[("name", "AES-GCM".into())]),
        false,
        &Array::of1(&"decrypt".into()),
    )?)
    .await?
    .dyn_into()?;
    let mut sealed = b64url_decode(parts[3]).unwrap();
    sealed.extend(b64url_decode(parts[4]).unwrap());
    let iv = b64url_decode(parts[2]).unwrap();
    let params = obj(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(&iv[..]).into()),
        (
            "additionalData",
            Uint8Array::from(parts[0].as_bytes()).into(),
        ),
        ("tagLength", 128.into()),
    ]);
    let plain =
        JsFuture::from(subtle.decrypt_with_object_and_u8_array(&params, &aes, &sealed)?).await?;
    Ok(Uint8Array::new(&plain).to_vec())
}

fn replace_part(jwe: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = jwe.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

fn flip(jwe: &str, index: usize, byte: usize) -> String {
    let mut bytes = b64url_decode(jwe.split('.').nth(index).unwrap()).unwrap();
    bytes[byte] ^= 0x01;
    replace_part(jwe, index, &b64url_encode(&bytes))
}

#[wasm_bindgen_test]
async fn encrypt_then_decrypt_with_the_private_key() {
    let plaintext = vectors()["plaintext"].as_str().unwrap().to_string();
    let key = public_key().await;
    let jwe = encrypt_jwe(&key, "application/json", plaintext.as_bytes())
        .await
        .unwrap();
    // Printed so that a fresh vector can be pasted into tests/vectors/jwe.json.
    console_log!("JWE vector: {jwe}");

    let parts: Vec<&str> = jwe.split('.').collect();
    assert_eq!(parts.len(), 5);
    let header = String::from_utf8(b64url_decode(parts[0]).unwrap()).unwrap();
    assert_eq!(
        header,
        r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"test-only-jwe-key-1","cty":"application/json"}"#
    );
    assert_eq!(b64url_decode(parts[1]).unwrap().len(), 512, "RSA 4096 wrap");
    assert_eq!(b64url_decode(parts[2]).unwrap().len(), 12, "96-bit IV");
    assert_eq!(
        b64url_decode(parts[3]).unwrap().len(),
        plaintext.len(),
        "GCM keeps the length"
    );
    assert_eq!(b64url_decode(parts[4]).unwrap().len(), 16, "128-bit tag");
    assert!(!jwe.contains(&plaintext[..20]));

    assert_eq!(decrypt(&jwe).await.unwrap(), plaintext.as_bytes());
}

#[wasm_bindgen_test]
async fn each_encryption_uses_a_fresh_key_and_iv() {
    let key = public_key().await;
    let a = encrypt_jwe(&key, "application/json", b"{}").await.unwrap();
    let b = encrypt_jwe(&key, "application/json", b"{}").await.unwrap();
    let pa: Vec<&str> = a.split('.').collect();
    let pb: Vec<&str> = b.split('.').collect();
    assert_eq!(pa[0], pb[0]);
    assert_ne!(pa[1], pb[1]);
    assert_ne!(pa[2], pb[2]);
    assert_eq!(decrypt(&a).await.unwrap(), b"{}");
    assert_eq!(decrypt(&b).await.unwrap(), b"{}");
}

#[wasm_bindgen_test]
async fn attachments_keep_their_type_and_bytes() {
    let key = public_key().await;
    // 3 MiB of varied bytes, a PDF's type in the header.
    let bytes: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let jwe = encrypt_jwe(&key, "application/pdf", &bytes).await.unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&b64url_decode(jwe.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["cty"], "application/pdf");
    assert_eq!(decrypt(&jwe).await.unwrap(), bytes);
    // An empty file is still a valid JWE (just the tag).
    let empty = encrypt_jwe(&key, "text/plain", b"").await.unwrap();
    assert_eq!(decrypt(&empty).await.unwrap(), b"");
}

#[wasm_bindgen_test]
async fn tampering_fails_to_decrypt() {
    let key = public_key().await;
    let jwe = encrypt_jwe(&key, "application/json", br#"{"betrag":"120"}"#)
        .await
        .unwrap();
    assert!(decrypt(&jwe).await.is_ok());
    // A byte of the ciphertext, of the tag, of the wrapped key.
    assert!(decrypt(&flip(&jwe, 3, 5)).await.is_err(), "ciphertext");
    assert!(decrypt(&flip(&jwe, 4, 0)).await.is_err(), "tag");
    assert!(decrypt(&flip(&jwe, 1, 100)).await.is_err(), "wrapped key");
    assert!(decrypt(&flip(&jwe, 2, 0)).await.is_err(), "iv");
    // The header is authenticated: another cty (same key, same ciphertext) fails.
    let forged = b64url_encode(
        br#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"test-only-jwe-key-1","cty":"text/plain"}"#,
    );
    assert!(
        decrypt(&replace_part(&jwe, 0, &forged)).await.is_err(),
        "header"
    );
}

#[wasm_bindgen_test]
async fn the_committed_vector_decrypts_here_too() {
    let v = vectors();
    let jwe = v["jwe"].as_str().unwrap();
    assert_eq!(
        decrypt(jwe).await.unwrap(),
        v["plaintext"].as_str().unwrap().as_bytes()
    );
}

#[wasm_bindgen_test]
async fn unusable_keys_are_refused_before_use() {
    let mut small = test_jwk();
    let n = b64url_decode(&small.n).unwrap();
    small.n = b64url_encode(&n[..256]); // 2048 bits
    assert_eq!(
        import_encryption_key(&small).await.unwrap_err(),
        CryptoError::BadKey(JweError::KeySize(2048))
    );
    let mut sign_only = test_jwk();
    sign_only.key_ops = Some(vec!["verify".into()]);
    assert_eq!(
        import_encryption_key(&sign_only).await.unwrap_err(),
        CryptoError::BadKey(JweError::KeyOps)
    );
    let mut other_alg = test_jwk();
    other_alg.alg = Some("RSA1_5".into());
    assert!(matches!(
        import_encryption_key(&other_alg).await,
        Err(CryptoError::BadKey(JweError::KeyAlg(_)))
    ));
}

#[wasm_bindgen_test]
async fn sha512_and_uuids() {
    assert_eq!(
        sha512_hex(b"abc").await.unwrap(),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    let a = random_uuid().unwrap();
    let b = random_uuid().unwrap();
    assert_ne!(a, b);
    for u in [&a, &b] {
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert!(u
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
    }
}
