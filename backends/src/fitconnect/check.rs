//! The authority's inspection of one submission: decrypt with its private
//! key, then check what FIT-Connect's subscriber checks. Pure (no tables,
//! no async): the subscriber and the console run it off the async threads.
//!
//! Hashes follow FIT-Connect: `contentStructure.data.hash` and each
//! attachment's `hash` are SHA-512 (lower-case hex) over the *plaintext*
//! (the JSON data bytes exactly as encrypted, the attachment file bytes).
//! The data are validated against the destination's form schema
//! (`forms.rs`, the `jsonschema` crate), a follow-up's (a later submission
//! of the case) against the follow-up schema; each violation becomes a
//! `schema-violation` problem whose `instance` is a JSON pointer into the data.
//! The Onlinedienst's attestation is verified too (`attestation.rs`): without
//! a valid one, or with a changed eID-verified field, the submission fails.

use serde_json::Value;
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;

use contract::attestation::Attestation;
use jsonwebtoken::DecodingKey;
use std::collections::HashMap;

use super::attestation;
use super::events::Problem;
use super::keys::Keys;
use super::store::Submission;
use super::{destinations, jwe};

/// One decrypted attachment.
#[derive(Debug, Clone)]
pub struct DecryptedAttachment {
    pub attachment_id: String,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    pub purpose: Option<String>,
    pub content: Vec<u8>,
}

/// A submission as the authority sees it (never stored).
#[derive(Debug, Clone)]
pub struct DecryptedSubmission {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    pub status: String,
    pub submitted_at: Option<i64>,
    pub metadata: Value,
    pub data: Value,
    pub attachments: Vec<DecryptedAttachment>,
    /// What the Onlinedienst attested (verified): the actual login's level,
    /// how and when, and the verified attributes.
    pub attestation: Attestation,
}

/// What the inspection found. `metadata` is there whenever the metadata
/// decrypted and parsed, even if other checks failed (the reply channel is
/// in it).
#[derive(Debug)]
pub struct Inspection {
    pub metadata: Option<Value>,
    pub outcome: Result<DecryptedSubmission, Vec<Problem>>,
}

/// The citizen's postbox (`replyChannel.idBundMailbox.idBundMailboxAddress`, a lower-case
/// UUID) named in decrypted metadata; `None` if absent or malformed.
pub fn postbox_ref(metadata: &Value) -> Option<&str> {
    metadata["replyChannel"]["idBundMailbox"]["idBundMailboxAddress"]
        .as_str()
        .filter(|r| contract::encoding::is_uuid(r))
}

/// The sender's short reference of the application
/// (`additionalReferenceInfo.senderReference`, e.g. `HST-2026-004711`),
/// if the metadata has a plausible one: 1 to 36 printable characters.
pub fn sender_reference(metadata: &Value) -> Option<&str> {
    metadata["additionalReferenceInfo"]["senderReference"]
        .as_str()
        .map(str::trim)
        .filter(|r| (1..=36).contains(&r.chars().count()) && !r.chars().any(char::is_control))
}

/// Decrypts `s` (with its attachment JWEs) and checks it; `base` is the
/// API's base URL (for the expected `schemaUri`), `signers` the
/// Onlinedienste's attestation keys the authority trusts.
pub fn inspect(
    keys: &Keys,
    signers: &HashMap<String, DecodingKey>,
    base: &str,
    s: &Submission,
    attachments: &[(String, String)],
) -> Inspection {
    let mut metadata = None;
    let outcome = run(keys, signers, base, s, attachments, &mut metadata);
    Inspection { metadata, outcome }
}

fn run(
    keys: &Keys,
    signers: &HashMap<String, DecodingKey>,
    base: &str,
    s: &Submission,
    attachments: &[(String, String)],
    metadata_out: &mut Option<Value>,
) -> Result<DecryptedSubmission, Vec<Problem>> {
    let internal = |e: String| vec![Problem::new("internal", "Interner Fehler", e, "submission")];
    let key = &keys.encryption.private;
    let kid = keys.encryption.kid.as_str();
    let dest = destinations::by_id(&s.destination_id)
        .map_err(internal)?
        .ok_or_else(|| internal("unknown destination".into()))?;
    let mut problems = Vec::new();
    let open = |text: Option<&str>, what: &str, problems: &mut Vec<Problem>| -> Option<Vec<u8>> {
        match jwe::open(text.unwrap_or(""), key, kid) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(Problem::new(
                    "encryption-issue",
                    "Entschlüsselung fehlgeschlagen",
                    e.to_string(),
                    what,
                ));
                None
            }
        }
    };
    let parse = |bytes: &[u8], what: &str, problems: &mut Vec<Problem>| -> Option<Value> {
        match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(Problem::new(
                    "syntax-violation",
                    "Kein gültiges JSON",
                    e.to_string(),
                    what,
                ));
                None
            }
        }
    };
    let metadata_bytes = open(s.encrypted_metadata.as_deref(), "metadata", &mut problems);
    let metadata = metadata_bytes
        .as_deref()
        .and_then(|b| parse(b, "metadata", &mut problems));
    metadata_out.clone_from(&metadata);
    let data_bytes = open(s.encrypted_data.as_deref(), "data", &mut problems);
    let mut plain_attachments = Vec::new();
    for (id, text) in attachments {
        if let Some(p) = open(Some(text), &format!("attachment:{id}"), &mut problems) {
            plain_attachments.push((id.clone(), p));
        }
    }
    let data = data_bytes
        .as_deref()
        .and_then(|b| parse(b, "data", &mut problems));
    let (Some(metadata), Some(data_bytes), Some(data)) = (metadata, data_bytes, data) else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let cs = &metadata["contentStructure"];
    // Data hash and schema.
    let hash = &cs["data"]["hash"];
    if hash["type"] != "sha512" || !hex_eq(&hash["content"], &data_bytes) {
        problems.push(Problem::new(
            "hash-mismatch",
            "Prüfsumme der Daten stimmt nicht",
            "contentStructure.data.hash must be {type: sha512, content: hex SHA-512 of the plaintext data}",
            "data",
        ));
    }
    // A follow-up (a later submission of the case) declares and meets the
    // follow-up schema; the application its form's.
    let follow_up = s.follows.is_some();
    let schema_uri = if follow_up {
        destinations::follow_up_schema_uri(base)
    } else {
        dest.schema_uri(base)
    };
    let declared = &cs["data"]["submissionSchema"];
    if declared["schemaUri"] != schema_uri.as_str() || declared["mimeType"] != "application/json" {
        problems.push(Problem::new(
            "unsupported-schema",
            "Unbekanntes Schema",
            format!("contentStructure.data.submissionSchema must be {{schemaUri: {schema_uri}, mimeType: application/json}}"),
            "metadata",
        ));
    }
    let decrypted_attachments = check_attachments(s, cs, &plain_attachments, &mut problems);
    // What the Onlinedienst vouches for: bound to this submission and data.
    let data_hex: String = Sha512::digest(&data_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let expected = attestation::Expected {
        data_sha512_hex: &data_hex,
        form_level: dest.form.level,
        leika: &dest.leika,
        application: (!follow_up).then_some(&data),
    };
    let attested = match attestation::verify(&metadata, signers, s, &expected) {
        Ok(a) => {
            // eID-locked fields are the application form's; a follow-up has none.
            if !follow_up {
                problems.extend(attestation::locked_fields(
                    &dest.form.schema,
                    dest.form.level,
                    &data,
                    &a,
                ));
            }
            Some(a)
        }
        Err(p) => {
            problems.push(p);
            None
        }
    };
    // The form itself (or the follow-up schema).
    let report = if follow_up {
        super::forms::follow_up().map_err(internal)?.validate(&data)
    } else {
        dest.form.validate(&data)
    };
    for v in &report.violations {
        problems.push(Problem::new(
            "schema-violation",
            "Angaben entsprechen nicht dem Formular",
            format!("{}: {}", v.path, v.message),
            v.path.clone(),
        ));
    }
    for r in &report.attachments {
        let Some(a) = decrypted_attachments
            .iter()
            .find(|a| a.attachment_id == r.attachment_id)
        else {
            problems.push(Problem::new(
                "missing-attachment",
                "Anlage fehlt",
                format!("{} refers to an attachment that was not submitted", r.path),
                r.path.clone(),
            ));
            continue;
        };
        let mime_ok = a
            .mime_type
            .as_deref()
            .is_some_and(|m| r.accept.iter().any(|x| x == m));
        if !mime_ok {
            problems.push(Problem::new(
                "schema-violation",
                "Dateityp nicht erlaubt",
                format!(
                    "{}: the file type must be one of {}",
                    r.path,
                    r.accept.join(", ")
                ),
                r.path.clone(),
            ));
        }
        if r.max_bytes.is_some_and(|max| a.content.len() as u64 > max) {
            problems.push(Problem::new(
                "schema-violation",
                "Datei zu groß",
                format!("{}: the file is larger than allowed", r.path),
                r.path.clone(),
            ));
        }
    }
    let Some(attested) = attested.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    Ok(DecryptedSubmission {
        submission_id: s.id.clone(),
        case_id: s.case_id.clone(),
        destination_id: s.destination_id.clone(),
        leika: s.leika.clone(),
        service_name: s.service_name.clone(),
        status: s.status.clone(),
        submitted_at: s.submitted_at,
        metadata,
        data,
        attachments: decrypted_attachments,
        attestation: attested,
    })
}

/// Exactly the announced attachments, each listed in the metadata with a
/// matching hash and a purpose.
fn check_attachments(
    s: &Submission,
    cs: &Value,
    plain: &[(String, Vec<u8>)],
    problems: &mut Vec<Problem>,
) -> Vec<DecryptedAttachment> {
    let listed: BTreeMap<String, &Value> = cs["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x["attachmentId"].as_str()?.to_string(), x)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for id in &s.announced {
        let Some(meta) = listed.get(id) else {
            problems.push(Problem::new(
                "missing-attachment",
                "Anlage fehlt in den Metadaten",
                format!("attachment {id} was announced but is not in contentStructure.attachments"),
                format!("attachment:{id}"),
            ));
            continue;
        };
        let Some((_, content)) = plain.iter().find(|(a, _)| a == id) else {
            continue;
        };
        if meta["hash"]["type"] != "sha512" || !hex_eq(&meta["hash"]["content"], content) {
            problems.push(Problem::new(
                "hash-mismatch",
                "Prüfsumme der Anlage stimmt nicht",
                format!("the SHA-512 of attachment {id} does not match the metadata"),
                format!("attachment:{id}"),
            ));
        }
        let purpose = meta["purpose"].as_str().map(str::to_string);
        if !matches!(purpose.as_deref(), Some("form" | "attachment" | "report")) {
            problems.push(Problem::new(
                "syntax-violation",
                "Zweck der Anlage fehlt",
                "purpose must be form, attachment or report",
                format!("attachment:{id}"),
            ));
        }
        out.push(DecryptedAttachment {
            attachment_id: id.clone(),
            filename: meta["filename"].as_str().map(str::to_string),
            mime_type: meta["mimeType"].as_str().map(str::to_string),
            purpose,
            content: content.clone(),
        });
    }
    for id in listed.keys() {
        if !s.announced.contains(id) {
            problems.push(Problem::new(
                "attachment-mismatch",
                "Anlage nicht angekündigt",
                format!("attachment {id} is in the metadata but was not announced"),
                format!("attachment:{id}"),
            ));
        }
    }
    out
}

fn hex_eq(expected: &Value, content: &[u8]) -> bool {
    let Some(expected) = expected.as_str() else {
        return false;
    };
    let actual: String = Sha512::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected.eq_ignore_ascii_case(&actual)
}
