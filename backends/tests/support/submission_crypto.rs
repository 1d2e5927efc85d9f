//! The citizen's side of a FIT-Connect submission, without any transport:
//! JWEs made the way the browser makes them (RSA-OAEP-256 + A256GCM), the
//! metadata document and a Hundesteuer form. Shared by the integration tests
//! (`support/fitconnect.rs`) and the load benchmark (`src/bin/load-bench.rs`,
//! which includes this file with `#[path]`), so it must not panic on a key
//! that came over the network: everything returns `anyhow::Result`.

use anyhow::{anyhow, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::bn::BigNum;
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::{Padding, Rsa};
use openssl::symm::{encrypt_aead, Cipher};
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

pub const HUND: &str = "99089005001000";
pub const HILDEN: &str = "051580016016";
pub const PDF: &[u8] = b"%PDF-1.4\n% Sachkundenachweis nach LHundG NRW, Testdokument\n%%EOF\n";
pub const ATT1: &str = "0b6c8e52-4d1e-4f3a-9c1b-6a2f0e7d5c11";
pub const DOG_NAME: &str = "Bello-Quasimodo-4711";

fn b64_field(jwk: &Value, name: &str) -> anyhow::Result<Vec<u8>> {
    let text = jwk[name]
        .as_str()
        .ok_or_else(|| anyhow!("JWK has no string field {name:?}"))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .with_context(|| format!("JWK field {name:?} is not base64url"))
}

/// A compact JWE for the destination key `jwk`, as WebCrypto makes it.
pub fn encrypt_for(jwk: &Value, plaintext: &[u8], cty: &str) -> anyhow::Result<String> {
    let header = json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": jwk["kid"], "cty": cty});
    encrypt_with_header(jwk, plaintext, &header)
}

/// A compact JWE with a protected header of the caller's making.
pub fn encrypt_with_header(
    jwk: &Value,
    plaintext: &[u8],
    header: &Value,
) -> anyhow::Result<String> {
    let n = BigNum::from_slice(&b64_field(jwk, "n")?)?;
    let e = BigNum::from_slice(&b64_field(jwk, "e")?)?;
    let pkey = PKey::from_rsa(Rsa::from_public_components(n, e)?)?;
    let mut cek = [0u8; 32];
    openssl::rand::rand_bytes(&mut cek)?;
    let mut iv = [0u8; 12];
    openssl::rand::rand_bytes(&mut iv)?;
    let mut enc = Encrypter::new(&pkey)?;
    enc.set_rsa_padding(Padding::PKCS1_OAEP)?;
    enc.set_rsa_oaep_md(MessageDigest::sha256())?;
    enc.set_rsa_mgf1_md(MessageDigest::sha256())?;
    let mut wrapped = vec![0u8; enc.encrypt_len(&cek)?];
    let len = enc.encrypt(&cek, &mut wrapped)?;
    wrapped.truncate(len);
    let protected = URL_SAFE_NO_PAD.encode(header.to_string());
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        &cek,
        Some(&iv),
        protected.as_bytes(),
        plaintext,
        &mut tag,
    )?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        URL_SAFE_NO_PAD.encode(wrapped),
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(ct),
        URL_SAFE_NO_PAD.encode(tag)
    ))
}

pub fn sha512_hex(b: &[u8]) -> String {
    Sha512::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// FIT-Connect metadata for `data` and the attachments `(id, bytes, mime, filename)`.
/// Without `authenticationInformation`: the Onlinedienst's attestation is
/// bound to the submission id, so the tests add it once announced
/// (`support/fitconnect.rs`), and the load benchmark sends none.
pub fn metadata(schema_uri: &str, data: &[u8], attachments: &[(&str, &[u8], &str, &str)]) -> Value {
    json!({
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json",
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": sha512_hex(data)},
                "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"},
            },
            "attachments": attachments.iter().map(|(id, bytes, mime, name)| json!({
                "attachmentId": id,
                "hash": {"type": "sha512", "content": sha512_hex(bytes)},
                "purpose": "attachment",
                "mimeType": mime,
                "filename": name,
            })).collect::<Vec<_>>(),
        },
        "additionalReferenceInfo": {"applicationDate": "2026-11-28"},
    })
}

/// A Hundesteuer application for Erika (two dogs); with `with_sachkunde` the
/// first dog refers to the attachment [`ATT1`].
pub fn hund_data(with_sachkunde: bool) -> Value {
    let mut dog = json!({
        "F99100002": DOG_NAME,
        "F99100003": "Staffordshire Bullterrier",
        "F99100004": "2026-10-01",
        "F99100007": "276098100123456",
        "F99100005": with_sachkunde,
    });
    if with_sachkunde {
        dog["F99100006"] = json!(ATT1);
    }
    json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        "F60000229": "1964-08-12",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "40721", "F60000247": "Hilden"},
        "G99100001": [dog, {
            "F99100002": "Luna",
            "F99100003": "Mischling (Pudel, Terrier)",
            "F99100004": "2025-03-15",
            "F99100005": false,
        }],
        "F60000240": "erika.mustermann@example.org",
    })
}
