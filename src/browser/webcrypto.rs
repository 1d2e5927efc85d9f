//! Encryption for the authority with WebCrypto only (no JavaScript crypto
//! library): JWE compact, RSA-OAEP-256 + A256GCM, as FIT-Connect expects.
//!
//! The pure framing and checks are in `domain::jwe`; this module does the
//! WebCrypto calls: import the destination's key, make a random content key,
//! encrypt, wrap, and hash.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{fill_random, js_error_text, object, subtle};
use crate::domain::jwe::{
    self, check_encryption_key, protected_header_b64, EncryptionJwk, JweError, IV_BYTES,
};
use crate::domain::x509::{self, SignatureCheck, X509Error};

/// Why an encryption step failed. The UI turns each into a German message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The browser has no WebCrypto (very old, or not a secure context).
    #[error("WebCrypto is not available: {0}")]
    Unsupported(String),
    /// The destination's key is not usable (size, type, algorithm).
    #[error("the authority's key is not usable: {0}")]
    BadKey(#[from] JweError),
    /// WebCrypto refused an operation.
    #[error("encryption failed: {0}")]
    Failed(String),
}

/// Why [`import_certified_key`] did not hand out a key. (Its own type, so
/// that [`CryptoError`], which the first-load code also handles, stays as
/// it is.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertifiedKeyError {
    /// The key's certificate chain does not prove that it belongs to the
    /// destination (`domain::x509`).
    #[error("the authority's key is not certified: {0}")]
    Untrusted(#[from] X509Error),
    /// The key itself is not usable, or WebCrypto failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

fn failed(e: JsValue) -> CryptoError {
    CryptoError::Failed(js_error_text(&e))
}

fn unsupported(e: JsValue) -> CryptoError {
    CryptoError::Unsupported(js_error_text(&e))
}

/// A destination's public key, imported for RSA-OAEP with SHA-256.
#[derive(Clone, Debug)]
pub struct EncryptionKey {
    /// The key id, written into every JWE header.
    pub kid: String,
    key: web_sys::CryptoKey,
}

/// Checks (`domain::jwe::check_encryption_key`) and imports a destination's
/// public key for wrapping content keys.
pub async fn import_encryption_key(jwk: &EncryptionJwk) -> Result<EncryptionKey, CryptoError> {
    check_encryption_key(jwk)?;
    let subtle = subtle().map_err(unsupported)?;
    // Only the members WebCrypto needs; `key_ops` is left out so that the
    // requested usage alone decides (it was checked above).
    let key_data = object(&[
        ("kty", &"RSA".into()),
        ("n", &jwk.n.as_str().into()),
        ("e", &jwk.e.as_str().into()),
        ("alg", &jwe::ALG.into()),
        ("ext", &JsValue::TRUE),
    ])
    .map_err(failed)?;
    let algorithm =
        object(&[("name", &"RSA-OAEP".into()), ("hash", &"SHA-256".into())]).map_err(failed)?;
    let usages = Array::of1(&"wrapKey".into());
    let promise = subtle
        .import_key_with_object("jwk", &key_data, &algorithm, false, &usages)
        .map_err(failed)?;
    let key = JsFuture::from(promise)
        .await
        .map_err(|e| CryptoError::BadKey(JweError::KeyRejected(js_error_text(&e))))?;
    let key: web_sys::CryptoKey = key
        .dyn_into()
        .map_err(|_| CryptoError::Failed("importKey did not return a key".into()))?;
    Ok(EncryptionKey {
        kid: jwk.kid.clone(),
        key,
    })
}

/// The destination's key, imported only once its `x5c` chain proves that
/// it belongs to `destination_id`: structure, validity, names and the key
/// itself are checked against the root compiled into the app
/// (`domain::x509`), then every signature with WebCrypto, and only then is
/// the key imported ([`import_encryption_key`]).
pub async fn import_certified_key(
    jwk: &EncryptionJwk,
    destination_id: &str,
) -> Result<EncryptionKey, CertifiedKeyError> {
    check_encryption_key(jwk).map_err(CryptoError::from)?;
    let checks = x509::check_key_chain(jwk, destination_id, x509::TRUSTED_ROOT, now_seconds())?;
    for check in &checks {
        if !verify_certificate_signature(check).await? {
            return Err(X509Error::Signature.into());
        }
    }
    Ok(import_encryption_key(jwk).await?)
}

/// The browser's clock, seconds since the epoch.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// Verifies one certificate signature, RSASSA-PSS with the hash and salt
/// length the certificate names, with the issuer's key. `Ok(false)` when it
/// does not verify or WebCrypto refuses the issuer's key.
pub async fn verify_certificate_signature(check: &SignatureCheck) -> Result<bool, CryptoError> {
    let subtle = subtle().map_err(unsupported)?;
    let algorithm =
        object(&[("name", &"RSA-PSS".into()), ("hash", &check.hash.into())]).map_err(failed)?;
    let spki = Uint8Array::from(&check.issuer_spki[..]);
    let usages = Array::of1(&"verify".into());
    let Ok(promise) = subtle.import_key_with_object("spki", &spki, &algorithm, false, &usages)
    else {
        return Ok(false);
    };
    let Ok(key) = JsFuture::from(promise).await else {
        return Ok(false);
    };
    let key: web_sys::CryptoKey = key
        .dyn_into()
        .map_err(|_| CryptoError::Failed("importKey did not return a key".into()))?;
    let params = object(&[
        ("name", &"RSA-PSS".into()),
        ("saltLength", &check.salt_length.into()),
    ])
    .map_err(failed)?;
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &params,
            &key,
            &check.signature,
            &check.signed,
        )
        .map_err(failed)?;
    Ok(JsFuture::from(promise)
        .await
        .is_ok_and(|v| v.as_bool() == Some(true)))
}

/// Encrypts `plaintext` for the destination: a fresh random AES-256-GCM key
/// (extractable only so that it can be wrapped), a random 96-bit IV, the
/// ASCII of the base64url protected header as additional data, a 128-bit
/// tag, and the key wrapped with RSA-OAEP-256. Returns the compact JWE.
pub async fn encrypt_jwe(
    key: &EncryptionKey,
    cty: &str,
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    let subtle = subtle().map_err(unsupported)?;
    let header = protected_header_b64(&key.kid, cty);

    let gen_params =
        object(&[("name", &"AES-GCM".into()), ("length", &256.into())]).map_err(failed)?;
    let usages = Array::of1(&"encrypt".into());
    let cek = JsFuture::from(
        subtle
            .generate_key_with_object(&gen_params, true, &usages)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    let cek: web_sys::CryptoKey = cek
        .dyn_into()
        .map_err(|_| CryptoError::Failed("generateKey did not return a key".into()))?;

    let mut iv = [0u8; IV_BYTES];
    fill_random(&mut iv).map_err(unsupported)?;
    let iv_js = Uint8Array::from(&iv[..]);
    let aad = Uint8Array::from(header.as_bytes());
    let params = object(&[
        ("name", &"AES-GCM".into()),
        ("iv", &iv_js),
        ("additionalData", &aad),
        ("tagLength", &128.into()),
    ])
    .map_err(failed)?;
    let sealed = JsFuture::from(
        subtle
            .encrypt_with_object_and_u8_array(&params, &cek, plaintext)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    let sealed = Uint8Array::new(&sealed).to_vec();

    let wrap_params = object(&[("name", &"RSA-OAEP".into())]).map_err(failed)?;
    let wrapped = JsFuture::from(
        subtle
            .wrap_key_with_object("raw", &cek, &key.key, &wrap_params)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    let wrapped = Uint8Array::new(&wrapped).to_vec();

    Ok(jwe::compact(&header, &wrapped, &iv, &sealed)?)
}

/// Hex SHA-512 of `bytes` (WebCrypto `digest`), as the metadata's hashes.
pub async fn sha512_hex(bytes: &[u8]) -> Result<String, CryptoError> {
    let subtle = subtle().map_err(unsupported)?;
    let digest = JsFuture::from(
        subtle
            .digest_with_str_and_u8_array("SHA-512", bytes)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    Ok(jwe::hex(&Uint8Array::new(&digest).to_vec()))
}

/// Hex SHA-256 of `bytes` (WebCrypto `digest`).
pub async fn sha256_hex(bytes: &[u8]) -> Result<String, CryptoError> {
    let subtle = subtle().map_err(unsupported)?;
    let digest = JsFuture::from(
        subtle
            .digest_with_str_and_u8_array("SHA-256", bytes)
            .map_err(failed)?,
    )
    .await
    .map_err(failed)?;
    Ok(jwe::hex(&Uint8Array::new(&digest).to_vec()))
}

/// A random version-4 UUID in lower case (`crypto.getRandomValues`), e.g.
/// for attachment ids.
pub fn random_uuid() -> Result<String, CryptoError> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes).map_err(unsupported)?;
    Ok(contract::encoding::uuid_from_bytes(bytes))
}
