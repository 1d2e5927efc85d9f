//! The receiving authority's side: decrypt with its private key, check the
//! metadata hashes and the form schema, and write the signed event log
//! (`submit-submission`, `accept-submission`, `reject-submission`).
//!
//! Hashes follow FIT-Connect: `contentStructure.data.hash` and each
//! attachment's `hash` are SHA-512 (lower-case hex) over the *plaintext*
//! (the JSON data bytes exactly as encrypted, the attachment file bytes).

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;

use super::{destinations, forms, jwe, keys, store, EVENT_PREFIX};
use crate::{ApiError, AppState};

/// One problem reported in `reject-submission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `https://schema.fitko.de/fit-connect/events/problems/<name>`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub detail: String,
    /// What the problem is about: `data`, `metadata`, `attachment:<id>` or a JSON pointer into the data.
    pub instance: String,
}

impl Problem {
    pub fn new(
        name: &str,
        title: &str,
        detail: impl Into<String>,
        instance: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("{EVENT_PREFIX}problems/{name}"),
            title: title.to_string(),
            detail: detail.into(),
            instance: instance.into(),
        }
    }
}

/// One decrypted attachment.
#[derive(Debug, Clone)]
pub struct DecryptedAttachment {
    pub attachment_id: String,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    pub purpose: Option<String>,
    pub content: Vec<u8>,
}

/// A submission as the authority console sees it (never stored).
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
}

/// Signs one SET for the case's event log.
pub fn event_set(
    state: &AppState,
    submission_id: &str,
    case_id: &str,
    event: &str,
    payload: Value,
) -> Result<String, ApiError> {
    let keys = keys::keys(&state.config.data_dir).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut events = serde_json::Map::new();
    events.insert(format!("{EVENT_PREFIX}{event}"), payload);
    let claims = json!({
        "iss": super::base_url(state),
        "sub": format!("submission:{submission_id}"),
        "txn": format!("case:{case_id}"),
        "iat": store::now(),
        "jti": store::random_uuid()?,
        "events": events,
    });
    keys.sign_set(&claims)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn tags(s: &store::Submission, attachments: &[(String, String)]) -> Value {
    let tag = |jwe_text: &str| jwe_text.rsplit('.').next().unwrap_or("").to_string();
    let mut att = serde_json::Map::new();
    for (id, text) in attachments {
        att.insert(id.clone(), Value::String(tag(text)));
    }
    json!({
        "metadata": tag(s.encrypted_metadata.as_deref().unwrap_or("")),
        "data": tag(s.encrypted_data.as_deref().unwrap_or("")),
        "attachments": att,
    })
}

/// Records `submit-submission` (called right after the status became `submitted`).
pub async fn record_submit(state: &AppState, s: &store::Submission) -> Result<(), ApiError> {
    let s = store::get(state, &s.id).await?;
    let attachments = store::attachments(state, &s.id).await?;
    let jws = event_set(
        state,
        &s.id,
        &s.case_id,
        "submit-submission",
        json!({"authenticationTags": tags(&s, &attachments)}),
    )?;
    store::append_event(state, &s.id, &s.case_id, jws).await
}

/// Decrypts and checks a submission; `Err` lists every problem found.
fn check(
    state: &AppState,
    s: &store::Submission,
    attachments: &[(String, String)],
) -> Result<DecryptedSubmission, Vec<Problem>> {
    let internal = |e: String| vec![Problem::new("internal", "Interner Fehler", e, "submission")];
    let keys = keys::keys(&state.config.data_dir).map_err(|e| internal(e.to_string()))?;
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
    let metadata_bytes = open(s.encrypted_metadata.as_deref(), "metadata", &mut problems);
    let data_bytes = open(s.encrypted_data.as_deref(), "data", &mut problems);
    let mut plain_attachments = Vec::new();
    for (id, text) in attachments {
        if let Some(p) = open(Some(text), &format!("attachment:{id}"), &mut problems) {
            plain_attachments.push((id.clone(), p));
        }
    }
    let (Some(metadata_bytes), Some(data_bytes)) = (metadata_bytes, data_bytes) else {
        return Err(problems);
    };
    let parse = |bytes: &[u8], what: &str, problems: &mut Vec<Problem>| -> Value {
        serde_json::from_slice(bytes).unwrap_or_else(|e| {
            problems.push(Problem::new(
                "syntax-violation",
                "Kein gültiges JSON",
                e.to_string(),
                what,
            ));
            Value::Null
        })
    };
    let metadata = parse(&metadata_bytes, "metadata", &mut problems);
    let data = parse(&data_bytes, "data", &mut problems);
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
    let schema_uri = dest.schema_uri(&super::base_url(state));
    let declared = &cs["data"]["submissionSchema"];
    if declared["schemaUri"] != schema_uri.as_str() || declared["mimeType"] != "application/json" {
        problems.push(Problem::new(
            "unsupported-schema",
            "Unbekanntes Schema",
            format!("contentStructure.data.submissionSchema must be {{schemaUri: {schema_uri}, mimeType: application/json}}"),
            "metadata",
        ));
    }
    // Attachments: exactly the announced ones, each with a matching hash.
    let listed: BTreeMap<String, &Value> = cs["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x["attachmentId"].as_str()?.to_string(), x)))
                .collect()
        })
        .unwrap_or_default();
    let mut decrypted_attachments = Vec::new();
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
        let Some((_, content)) = plain_attachments.iter().find(|(a, _)| a == id) else {
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
        decrypted_attachments.push(DecryptedAttachment {
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
    // The form itself.
    let report = forms::validate(&dest.form.schema, &data);
    for v in &report.violations {
        problems.push(Problem::new(
            "schema-violation",
            "Angaben entsprechen nicht dem Formular",
            format!("{}: {}", v.path, v.message),
            format!("data:{}", v.path),
        ));
    }
    for r in &report.attachments {
        match decrypted_attachments
            .iter()
            .find(|a| a.attachment_id == r.attachment_id)
        {
            None => problems.push(Problem::new(
                "missing-attachment",
                "Anlage fehlt",
                format!(
                    "{} refers to attachment {} which was not submitted",
                    r.path, r.attachment_id
                ),
                format!("data:{}", r.path),
            )),
            Some(a) => {
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
                        format!("data:{}", r.path),
                    ));
                }
                if r.max_bytes.is_some_and(|max| a.content.len() as u64 > max) {
                    problems.push(Problem::new(
                        "schema-violation",
                        "Datei zu groß",
                        format!("{}: the file is larger than allowed", r.path),
                        format!("data:{}", r.path),
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
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
    })
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

/// Runs right after submit: a submission that cannot be decrypted, whose
/// hashes do not match or whose data breaks the schema is rejected at once
/// (`reject-submission` with the problems). Returns the resulting status.
pub async fn validate_on_submit(state: &AppState, id: &str) -> Result<String, ApiError> {
    let s = store::get(state, id).await?;
    let attachments = store::attachments(state, id).await?;
    let st = state.clone();
    let outcome = {
        let s = s.clone();
        tokio::task::spawn_blocking(move || check(&st, &s, &attachments).map(|_| ()))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
    };
    match outcome {
        Ok(()) => Ok(s.status),
        Err(problems) => {
            reject(state, id, problems).await?;
            Ok("rejected".into())
        }
    }
}

/// The decrypted submission for the authority console. Fails with
/// `Unprocessable` (listing the problems) if it does not decrypt or check.
pub async fn decrypted(
    state: &AppState,
    submission_id: &str,
) -> Result<DecryptedSubmission, ApiError> {
    super::deadline::sweep(state).await?;
    let s = store::get(state, submission_id).await?;
    if s.encrypted_data.is_none() {
        return Err(ApiError::Conflict(
            "the submission has not been submitted yet".into(),
        ));
    }
    let attachments = store::attachments(state, submission_id).await?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || check(&st, &s, &attachments))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|problems| {
            ApiError::Unprocessable(
                problems
                    .iter()
                    .map(|p| p.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
}

/// Accepts a `submitted` submission: `accept-submission` with the JWE tags.
pub async fn accept(state: &AppState, submission_id: &str) -> Result<(), ApiError> {
    super::load_keys(state).await?;
    // An overdue submission was rejected by the deadline: not acceptable any more.
    super::deadline::sweep(state).await?;
    let s = store::get(state, submission_id).await?;
    if s.status != "submitted" {
        return Err(ApiError::Conflict(format!(
            "the submission is {}",
            s.status
        )));
    }
    let attachments = store::attachments(state, submission_id).await?;
    let jws = event_set(
        state,
        &s.id,
        &s.case_id,
        "accept-submission",
        json!({"authenticationTags": tags(&s, &attachments)}),
    )?;
    if !store::transition(state, &s.id, &s.case_id, "submitted", "accepted", Some(jws)).await? {
        return Err(ApiError::Conflict(
            "the submission changed meanwhile".into(),
        ));
    }
    Ok(())
}

/// Rejects a `submitted` submission: `reject-submission` with `problems`.
pub async fn reject(
    state: &AppState,
    submission_id: &str,
    problems: Vec<Problem>,
) -> Result<(), ApiError> {
    super::load_keys(state).await?;
    super::deadline::sweep(state).await?;
    let s = store::get(state, submission_id).await?;
    if s.status != "submitted" {
        return Err(ApiError::Conflict(format!(
            "the submission is {}",
            s.status
        )));
    }
    let jws = event_set(
        state,
        &s.id,
        &s.case_id,
        "reject-submission",
        json!({"problems": problems}),
    )?;
    if !store::transition(state, &s.id, &s.case_id, "submitted", "rejected", Some(jws)).await? {
        return Err(ApiError::Conflict(
            "the submission changed meanwhile".into(),
        ));
    }
    Ok(())
}

// ------------------------------------------- the postbox and the console

/// Tells the citizen's postbox that a submission was handed in (status
/// SUBMITTED, plus the rejection when the automatic check failed). Never
/// fails the submission: problems are logged.
pub async fn notify_postbox(
    state: &AppState,
    mailbox_uuid: &str,
    submission_id: &str,
    status: &str,
) {
    let s = match store::get(state, submission_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, submission_id, "postbox notification: submission not found");
            return;
        }
    };
    let Ok(Some(dest)) = destinations::by_id(&s.destination_id) else {
        tracing::error!(submission_id, "postbox notification: unknown destination");
        return;
    };
    crate::zbp::application_submitted(
        state,
        crate::zbp::Submitted {
            mailbox_uuid,
            submission_id: &s.id,
            case_id: &s.case_id,
            service_name: &dest.form.title,
            authority: &dest.authority,
            level: dest.form.level,
            status,
        },
    )
    .await;
}

/// A submission as the authority's inbox lists it (no content).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    /// `submitted`, `accepted` or `rejected`.
    pub status: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    /// The owner's `sub` (to find the citizen's postbox).
    #[serde(skip)]
    pub citizen: String,
}

/// The column list of the queries below, as a literal (SQL is built only
/// from literals, at compile time: `tests/security.rs`).
macro_rules! inbox_columns {
    () => {
        "id, case_id, destination_id, leika, service_name, status, created_at, submitted_at, citizen"
    };
}

fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxEntry> {
    Ok(InboxEntry {
        submission_id: r.get(0)?,
        case_id: r.get(1)?,
        destination_id: r.get(2)?,
        leika: r.get(3)?,
        service_name: r.get(4)?,
        status: r.get(5)?,
        created_at: r.get(6)?,
        submitted_at: r.get(7)?,
        citizen: r.get(8)?,
    })
}

/// Every handed-in submission (not `incomplete`), newest first.
pub async fn inbox(state: &AppState) -> Result<Vec<InboxEntry>, ApiError> {
    Ok(state
        .db
        .call(|c| {
            let sql = concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM fitconnect_submissions WHERE status != 'incomplete'
                 ORDER BY submitted_at DESC, rowid DESC"
            );
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map([], inbox_row)?;
            rows.collect()
        })
        .await?)
}

/// One handed-in submission's inbox entry (`NotFound` for unknown or incomplete ones).
pub async fn inbox_entry(state: &AppState, submission_id: &str) -> Result<InboxEntry, ApiError> {
    let id = submission_id.to_string();
    state
        .db
        .call(move |c| {
            let sql = concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM fitconnect_submissions WHERE id = ?1 AND status != 'incomplete'"
            );
            rusqlite::OptionalExtension::optional(c.query_row(sql, [id], inbox_row))
        })
        .await?
        .ok_or(ApiError::NotFound)
}
