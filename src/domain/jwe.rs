//! JWE compact serialisation for FIT-Connect submissions, the pure parts.
//!
//! The browser encrypts (WebCrypto, `browser::webcrypto`): RSA-OAEP with
//! SHA-256 wraps a random AES-256 key, AES-GCM with a 96-bit IV and a 128-bit
//! tag encrypts the payload, and the additional data is the ASCII of the
//! base64url protected header. This module builds the protected header,
//! frames the five parts, checks the destination's public key before it is
//! used, builds the submission metadata (schema metadata 1.x subset, see
//! docs/backends.md "What the client encrypts") and turns random bytes into
//! attachment ids.

use serde::Deserialize;
use serde_json::{json, Value};

use super::jose::{base64url_decode, base64url_encode};

/// The only key-management algorithm FIT-Connect uses.
pub const ALG: &str = "RSA-OAEP-256";
/// The only content-encryption algorithm FIT-Connect uses.
pub const ENC: &str = "A256GCM";
/// AES-GCM initialisation vector length in bytes (96 bits).
pub const IV_BYTES: usize = 12;
/// AES-GCM authentication tag length in bytes (128 bits).
pub const TAG_BYTES: usize = 16;
/// The smallest RSA modulus accepted for a destination's key, in bits.
pub const MIN_RSA_BITS: usize = 4096;
/// `cty` of the data and the metadata.
pub const CTY_JSON: &str = "application/json";
/// `$schema` of the metadata (FIT-Connect schema metadata 1.2.0).
pub const METADATA_SCHEMA: &str =
    "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json";

/// Why a JWE could not be framed or a key is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    /// A part is not unpadded base64url.
    #[error("not base64url")]
    Base64,
    /// The protected header is empty or not base64url.
    #[error("the protected header is not base64url")]
    Header,
    /// The IV is not 96 bits.
    #[error("the initialisation vector must be 12 bytes, not {0}")]
    IvLength(usize),
    /// AES-GCM output shorter than its 16-byte tag.
    #[error("the AES-GCM output is shorter than its 16-byte tag ({0} bytes)")]
    TooShort(usize),
    /// The wrapped content key is empty.
    #[error("the encrypted key is empty")]
    EmptyKey,
    /// The destination's key is not an RSA key.
    #[error("the key type must be RSA, not {0:?}")]
    KeyType(String),
    /// The destination's key is meant for another algorithm.
    #[error("the key's alg must be RSA-OAEP-256, not {0:?}")]
    KeyAlg(String),
    /// The destination's key may not wrap keys.
    #[error("the key's key_ops do not include wrapKey")]
    KeyOps,
    /// The modulus is too small (or not decodable).
    #[error("the RSA modulus has {0} bits, at least 4096 are required")]
    KeySize(usize),
    /// The public exponent is missing or not decodable.
    #[error("the RSA public exponent is not valid")]
    KeyExponent,
    /// The key has no `kid`.
    #[error("the key has no kid")]
    KeyId,
    /// The key passed these checks but the browser refused to import it.
    #[error("the browser refused the key: {0}")]
    KeyRejected(String),
}

/// base64url without padding (the one implementation is in `domain::jose`).
pub fn b64url_encode(bytes: &[u8]) -> String {
    base64url_encode(bytes)
}

/// base64url, padding tolerated.
pub fn b64url_decode(text: &str) -> Result<Vec<u8>, JweError> {
    base64url_decode(text).map_err(|_| JweError::Base64)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The protected header `{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":…,"cty":…}`
/// as base64url without padding. Its ASCII is also the AES-GCM additional data.
pub fn protected_header_b64(kid: &str, cty: &str) -> String {
    // serde_json::json! would sort the members; the order is fixed here so
    // that the header reads the same everywhere.
    let header = format!(
        "{{\"alg\":{},\"enc\":{},\"kid\":{},\"cty\":{}}}",
        Value::from(ALG),
        Value::from(ENC),
        Value::from(kid),
        Value::from(cty)
    );
    b64url_encode(header.as_bytes())
}

/// Frames a compact JWE from its parts.
///
/// `ciphertext_with_tag` is what WebCrypto's AES-GCM returns: the ciphertext
/// followed by the 16-byte tag; it is split here. `iv` must be 12 bytes.
pub fn compact(
    header_b64: &str,
    encrypted_key: &[u8],
    iv: &[u8],
    ciphertext_with_tag: &[u8],
) -> Result<String, JweError> {
    if header_b64.is_empty() || header_b64.contains('=') || base64url_decode(header_b64).is_err() {
        return Err(JweError::Header);
    }
    if encrypted_key.is_empty() {
        return Err(JweError::EmptyKey);
    }
    if iv.len() != IV_BYTES {
        return Err(JweError::IvLength(iv.len()));
    }
    let Some(split) = ciphertext_with_tag.len().checked_sub(TAG_BYTES) else {
        return Err(JweError::TooShort(ciphertext_with_tag.len()));
    };
    let (ciphertext, tag) = ciphertext_with_tag.split_at(split);
    Ok(format!(
        "{header_b64}.{}.{}.{}.{}",
        b64url_encode(encrypted_key),
        b64url_encode(iv),
        b64url_encode(ciphertext),
        b64url_encode(tag)
    ))
}

/// A destination's public encryption key as FIT-Connect serves it
/// (`GET /v1/destinations/{id}/keys/{kid}`).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EncryptionJwk {
    /// Key type, must be `RSA`.
    pub kty: String,
    /// Modulus, base64url big-endian.
    pub n: String,
    /// Public exponent, base64url big-endian.
    pub e: String,
    /// Key id, goes into the JWE header.
    pub kid: String,
    /// `RSA-OAEP-256` if present.
    #[serde(default)]
    pub alg: Option<String>,
    /// Must contain `wrapKey` if present.
    #[serde(default)]
    pub key_ops: Option<Vec<String>>,
    /// Public key use (`enc`), informational.
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    /// The certificate chain (standard base64 DER, leaf first), checked by
    /// `domain::x509::check_key_chain` before the key is used.
    #[serde(default)]
    pub x5c: Option<Vec<String>>,
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn bit_length(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => &[],
    };
    match trimmed.first() {
        Some(top) => (trimmed.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// Checks that a destination's key may be used: RSA, `alg` RSA-OAEP-256 if
/// given, `key_ops` with `wrapKey` if given, a modulus of at least 4096 bits,
/// a usable exponent and a `kid`.
pub fn check_encryption_key(jwk: &EncryptionJwk) -> Result<(), JweError> {
    if jwk.kty != "RSA" {
        return Err(JweError::KeyType(jwk.kty.chars().take(20).collect()));
    }
    if let Some(alg) = &jwk.alg {
        if alg != ALG {
            return Err(JweError::KeyAlg(alg.chars().take(40).collect()));
        }
    }
    if let Some(ops) = &jwk.key_ops {
        if !ops.iter().any(|o| o == "wrapKey") {
            return Err(JweError::KeyOps);
        }
    }
    if jwk.kid.trim().is_empty() {
        return Err(JweError::KeyId);
    }
    let n = b64url_decode(&jwk.n).map_err(|_| JweError::KeySize(0))?;
    let bits = bit_length(&n);
    if bits < MIN_RSA_BITS {
        return Err(JweError::KeySize(bits));
    }
    let e = b64url_decode(&jwk.e).map_err(|_| JweError::KeyExponent)?;
    let e_bits = bit_length(&e);
    // Odd and greater than 1 (3, 65537, …), and not absurdly long.
    if !(2..=64).contains(&e_bits) || e.last().is_none_or(|last| last & 1 == 0) {
        return Err(JweError::KeyExponent);
    }
    Ok(())
}

/// One attachment as listed in the metadata's `contentStructure.attachments`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// The announced attachment id (a UUID).
    pub attachment_id: String,
    /// Hex SHA-512 of the plaintext file bytes.
    pub sha512_hex: String,
    /// `form`, `attachment` or `report`; uploads from the citizen are `attachment`.
    pub purpose: String,
    /// The file's media type, e.g. `application/pdf`.
    pub mime_type: String,
    /// The file name as the citizen chose it.
    pub filename: String,
}

impl AttachmentMeta {
    /// An upload by the citizen (`purpose: attachment`).
    pub fn upload(attachment_id: &str, sha512_hex: &str, mime_type: &str, filename: &str) -> Self {
        AttachmentMeta {
            attachment_id: attachment_id.to_string(),
            sha512_hex: sha512_hex.to_string(),
            purpose: "attachment".to_string(),
            mime_type: mime_type.to_string(),
            filename: filename.to_string(),
        }
    }
}

/// The submission metadata (FIT-Connect schema metadata 1.x, the subset the
/// stand-in checks): data hash and schema, the attachments, the relay's
/// attestation as the `identificationReport` (a JWS the browser passes on
/// unread, see `contract::attestation`), the application date (`YYYY-MM-DD`)
/// with the relay's short reference (`senderReference`) and, when
/// the account has one, the BundID postbox to answer to (`replyChannel`
/// `idBundMailbox`): FIT-Connect does not know the citizen, so the
/// authority learns where to answer from here.
pub fn metadata(
    data_sha512_hex: &str,
    schema_uri: &str,
    attachments: &[AttachmentMeta],
    attestation: &str,
    application_date: &str,
    sender_reference: Option<&str>,
    reply_mailbox: Option<&str>,
) -> Value {
    let attachments: Vec<Value> = attachments
        .iter()
        .map(|a| {
            json!({
                "attachmentId": a.attachment_id,
                "hash": {"type": "sha512", "content": a.sha512_hex},
                "purpose": a.purpose,
                "mimeType": a.mime_type,
                "filename": a.filename,
            })
        })
        .collect();
    let mut meta = json!({
        "$schema": METADATA_SCHEMA,
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": data_sha512_hex},
                "submissionSchema": {"schemaUri": schema_uri, "mimeType": CTY_JSON},
            },
            "attachments": attachments,
        },
        "authenticationInformation": [{
            "type": contract::attestation::REPORT_TYPE,
            "version": contract::attestation::REPORT_VERSION,
            "content": attestation,
        }],
        "additionalReferenceInfo": {"applicationDate": application_date},
    });
    if let Some(r) = sender_reference.map(str::trim).filter(|r| !r.is_empty()) {
        meta["additionalReferenceInfo"]["senderReference"] = json!(r);
    }
    if let Some(mailbox) = reply_mailbox.filter(|m| !m.trim().is_empty()) {
        meta["replyChannel"] = json!({"idBundMailbox": {"idBundMailboxAddress": mailbox.trim()}});
    }
    meta
}

/// Adds FIT-Connect's `paymentInformation` (a paid fee) to `metadata`.
pub fn add_payment(metadata: &mut Value, payment: &contract::payment::FitPaymentInformation) {
    if let (Some(m), Ok(p)) = (metadata.as_object_mut(), serde_json::to_value(payment)) {
        m.insert("paymentInformation".into(), p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_json(b64: &str) -> String {
        String::from_utf8(b64url_decode(b64).unwrap()).unwrap()
    }

    #[test]
    fn the_protected_header_is_exact() {
        let h = protected_header_b64("k-1", "application/json");
        assert_eq!(
            header_json(&h),
            r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k-1","cty":"application/json"}"#
        );
        assert!(!h.contains('='));
        // Odd characters in kid/cty are JSON-escaped, never break the JSON.
        let h = protected_header_b64("a\"b", "image/png");
        let v: Value = serde_json::from_str(&header_json(&h)).unwrap();
        assert_eq!(v["kid"], "a\"b");
        assert_eq!(v["cty"], "image/png");
        assert_eq!(v.as_object().unwrap().len(), 4);
    }

    #[test]
    fn compact_has_five_parts_and_splits_the_tag() {
        let h = protected_header_b64("k", CTY_JSON);
        let key = [9u8; 512];
        let iv = [1u8; 12];
        let mut ct = b"secret".to_vec();
        let tag = [0xabu8; 16];
        ct.extend_from_slice(&tag);
        let jwe = compact(&h, &key, &iv, &ct).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], h);
        assert_eq!(b64url_decode(parts[1]).unwrap(), key);
        assert_eq!(b64url_decode(parts[2]).unwrap(), iv);
        assert_eq!(b64url_decode(parts[3]).unwrap(), b"secret");
        assert_eq!(b64url_decode(parts[4]).unwrap(), tag);
        assert!(!jwe.contains('='));
    }

    #[test]
    fn an_empty_plaintext_is_just_a_tag() {
        let h = protected_header_b64("k", CTY_JSON);
        let jwe = compact(&h, &[1], &[0; 12], &[7; 16]).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        assert_eq!(parts[3], "");
        assert_eq!(b64url_decode(parts[4]).unwrap(), [7; 16]);
    }

    #[test]
    fn bad_parts_are_refused() {
        let h = protected_header_b64("k", CTY_JSON);
        assert_eq!(
            compact(&h, &[1], &[0; 16], &[0; 20]),
            Err(JweError::IvLength(16))
        );
        assert_eq!(
            compact(&h, &[1], &[0; 11], &[0; 20]),
            Err(JweError::IvLength(11))
        );
        assert_eq!(
            compact(&h, &[1], &[0; 12], &[0; 15]),
            Err(JweError::TooShort(15))
        );
        assert_eq!(
            compact(&h, &[], &[0; 12], &[0; 16]),
            Err(JweError::EmptyKey)
        );
        assert_eq!(compact("", &[1], &[0; 12], &[0; 16]), Err(JweError::Header));
        assert_eq!(
            compact("a+b/", &[1], &[0; 12], &[0; 16]),
            Err(JweError::Header)
        );
        assert_eq!(
            compact("eyJ9==", &[1], &[0; 12], &[0; 16]),
            Err(JweError::Header)
        );
    }

    #[test]
    fn hex_and_base64url() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        assert_eq!(b64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(b64url_decode("a+b/"), Err(JweError::Base64));
    }

    fn modulus(bits: usize, leading_zero: bool) -> String {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80; // top bit set: exactly `bits` bits
        if leading_zero {
            n.insert(0, 0);
        }
        b64url_encode(&n)
    }

    fn jwk(bits: usize) -> EncryptionJwk {
        EncryptionJwk {
            kty: "RSA".into(),
            n: modulus(bits, false),
            e: "AQAB".into(),
            kid: "kid-1".into(),
            alg: Some("RSA-OAEP-256".into()),
            key_ops: Some(vec!["wrapKey".into()]),
            use_: None,
            x5c: None,
        }
    }

    #[test]
    fn a_good_key_passes() {
        assert_eq!(check_encryption_key(&jwk(4096)), Ok(()));
        assert_eq!(check_encryption_key(&jwk(8192)), Ok(()));
        // A leading zero byte does not count.
        let mut k = jwk(4096);
        k.n = modulus(4096, true);
        assert_eq!(check_encryption_key(&k), Ok(()));
        // alg and key_ops are optional.
        let mut k = jwk(4096);
        k.alg = None;
        k.key_ops = None;
        assert_eq!(check_encryption_key(&k), Ok(()));
        // The shape FIT-Connect serves deserialises.
        let served: EncryptionJwk = serde_json::from_value(json!({
            "kty": "RSA", "n": modulus(4096, false), "e": "AQAB", "kid": "x",
            "alg": "RSA-OAEP-256", "key_ops": ["wrapKey"], "use": "enc", "x5c": ["ignored"]
        }))
        .unwrap();
        assert_eq!(check_encryption_key(&served), Ok(()));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            check_encryption_key(&jwk(2048)),
            Err(JweError::KeySize(2048))
        );
        // 4095 bits: top byte 0x7f…
        let mut k = jwk(4096);
        let mut n = b64url_decode(&k.n).unwrap();
        n[0] = 0x7f;
        k.n = b64url_encode(&n);
        assert_eq!(check_encryption_key(&k), Err(JweError::KeySize(4095)));
        // A leading zero byte does not make a small key big.
        let mut k = jwk(4096);
        k.n = modulus(4088, true);
        assert_eq!(check_encryption_key(&k), Err(JweError::KeySize(4088)));
        let mut k = jwk(4096);
        k.n = "!!".into();
        assert_eq!(check_encryption_key(&k), Err(JweError::KeySize(0)));
        let mut k = jwk(4096);
        k.kty = "EC".into();
        assert_eq!(
            check_encryption_key(&k),
            Err(JweError::KeyType("EC".into()))
        );
        let mut k = jwk(4096);
        k.alg = Some("RSA-OAEP".into());
        assert_eq!(
            check_encryption_key(&k),
            Err(JweError::KeyAlg("RSA-OAEP".into()))
        );
        let mut k = jwk(4096);
        k.key_ops = Some(vec!["verify".into(), "encrypt".into()]);
        assert_eq!(check_encryption_key(&k), Err(JweError::KeyOps));
        let mut k = jwk(4096);
        k.e = "AA".into();
        assert_eq!(check_encryption_key(&k), Err(JweError::KeyExponent));
        let mut k = jwk(4096);
        k.e = "AQ".into(); // 1
        assert_eq!(check_encryption_key(&k), Err(JweError::KeyExponent));
        let mut k = jwk(4096);
        k.e = "AQAA".into(); // even
        assert_eq!(check_encryption_key(&k), Err(JweError::KeyExponent));
        let mut k = jwk(4096);
        k.kid = " ".into();
        assert_eq!(check_encryption_key(&k), Err(JweError::KeyId));
    }

    #[test]
    fn metadata_has_the_checked_shape() {
        let report = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
        let att = AttachmentMeta::upload("0b7e-uuid", "ABCD", "application/pdf", "x.pdf");
        let m = metadata(
            "deadbeef",
            "https://example.org/schema.json",
            &[att],
            report,
            "2026-11-28",
            None,
            None,
        );
        let expected = json!({
            "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json",
            "contentStructure": {
                "data": {
                    "hash": {"type": "sha512", "content": "deadbeef"},
                    "submissionSchema": {"schemaUri": "https://example.org/schema.json", "mimeType": "application/json"}
                },
                "attachments": [{
                    "attachmentId": "0b7e-uuid",
                    "hash": {"type": "sha512", "content": "ABCD"},
                    "purpose": "attachment",
                    "mimeType": "application/pdf",
                    "filename": "x.pdf"
                }]
            },
            "authenticationInformation": [{
                "type": "identificationReport",
                "version": "1.0.0",
                "content": report
            }],
            "additionalReferenceInfo": {"applicationDate": "2026-11-28"}
        });
        assert_eq!(m, expected);
        // No attachments: an empty list, not a missing member.
        let m = metadata("aa", "s", &[], report, "2026-01-01", Some(" "), Some(""));
        assert_eq!(m["contentStructure"]["attachments"], json!([]));
        assert!(m.get("replyChannel").is_none(), "no postbox, no channel");
        assert!(m["additionalReferenceInfo"]
            .get("senderReference")
            .is_none());
        // The relay's short reference, and the postbox to answer to as
        // FIT-Connect's idBundMailbox channel.
        let m = metadata(
            "aa",
            "s",
            &[],
            report,
            "2026-01-01",
            Some("HST-2026-000001"),
            Some("5e0c"),
        );
        assert_eq!(
            m["additionalReferenceInfo"],
            json!({"applicationDate": "2026-01-01", "senderReference": "HST-2026-000001"})
        );
        assert_eq!(
            m["replyChannel"],
            json!({"idBundMailbox": {"idBundMailboxAddress": "5e0c"}})
        );
    }
}
