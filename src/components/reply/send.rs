//! Sending an answer as a follow-up submission in the application's case:
//! announce with the case id and an idempotency key, encrypt and upload each
//! file (those FIT-Connect already holds are skipped, so a broken upload
//! resumes), encrypt metadata and data, submit. Each step is recorded in
//! the draft first; a retry continues the same submission, never a second.

use contract::followup::is_late;
use leptos::prelude::*;

use super::Reply;
use crate::api::applications::submit::{Announcement, ServiceType};
use crate::api::ApiError;
use crate::browser::drafts::StorageError;
use crate::browser::webcrypto::{self, CryptoError};
use crate::components::apply::seal::{
    certified_key, seal_and_submit, upload_file, Envelope, FileToSend, SealError,
};
use crate::components::followup::today;
use crate::domain::followup::ReplySending;
use crate::domain::session::Session;

/// The name given to files the citizen adds beyond the requested ones (in
/// the data the authority reads, so German).
pub const EXTRA_DOCUMENT: &str = "Weitere Unterlage";

#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Announcing,
    /// File `n` of `of` (from 1), the sent fraction once uploading.
    File {
        n: usize,
        of: usize,
        name: String,
        sent: Option<f64>,
    },
    Submitting,
}

impl Progress {
    /// Overall fraction for the progress bar (0.0–1.0).
    pub fn fraction(&self) -> f64 {
        match self {
            Progress::Announcing => 0.05,
            Progress::File { n, of, sent, .. } => {
                let per = 0.85 / (*of).max(1) as f64;
                0.1 + per * ((*n - 1) as f64 + sent.unwrap_or(0.0))
            }
            Progress::Submitting => 0.95,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplyError {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("the login level is too low")]
    LevelTooLow,
    #[error("too many follow-ups in this case")]
    Quota,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("file {0} is missing from the device")]
    FileGone(String),
    /// Not active, or it names no follow-up schema.
    #[error("the destination takes no follow-ups")]
    Inactive,
    #[error(transparent)]
    UntrustedKey(crate::domain::x509::X509Error),
}

fn seal(e: SealError) -> ReplyError {
    match e {
        SealError::Api(a) => api(a),
        SealError::Crypto(c) => ReplyError::Crypto(c),
        SealError::Untrusted(x) => ReplyError::UntrustedKey(x),
        SealError::Storage(s) => ReplyError::Storage(s),
        SealError::FileGone(name) => ReplyError::FileGone(name),
    }
}

fn api(e: ApiError) -> ReplyError {
    match &e {
        ApiError::Status { status: 401, .. } => ReplyError::NotLoggedIn,
        ApiError::Status { status: 403, .. } => ReplyError::LevelTooLow,
        ApiError::Status { status: 409, .. } => ReplyError::Quota,
        _ => ReplyError::Api(e),
    }
}

/// What the server confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub submission_id: String,
    pub reference: Option<String>,
    /// After the request's deadline (accepted all the same).
    pub late: bool,
}

/// `YYYY-MM-DD` of today in Germany.
fn today_iso() -> String {
    let (y, m, d) = contract::calendar::civil_from_days(today());
    format!("{y:04}-{m:02}-{d:02}")
}

pub async fn send(
    reply: Reply,
    session: Session,
    progress: RwSignal<Option<Progress>>,
) -> Result<Sent, ReplyError> {
    let backends = crate::api::Backends::relay();
    let target = reply.target.get_value();
    let late = is_late(target.request.deadline.as_deref(), today());
    let Some(draft) = reply.draft.get_untracked() else {
        return Err(ReplyError::Storage(StorageError::Unavailable(
            "no draft".into(),
        )));
    };
    let ids = draft.attachment_ids();
    let sent = |submission_id: String, reference: Option<String>| Sent {
        submission_id,
        reference: reference.or_else(|| target.reference.clone()),
        late,
    };

    // 1. A send that got as far as the server: how far?
    let mut sending = draft.sending.clone();
    let mut uploaded: Vec<String> = Vec::new();
    if let Some(id) = sending.as_ref().and_then(|s| s.submission_id.clone()) {
        match backends.status(&id).await {
            Ok(st) if st.status != "incomplete" => {
                return Ok(sent(st.submission_id, st.sender_reference));
            }
            Ok(st) if sending.as_ref().is_some_and(|s| s.attachment_ids == ids) => {
                uploaded = st.uploaded_attachments;
            }
            Ok(_) | Err(ApiError::Status { status: 404, .. }) => sending = None,
            Err(e) => return Err(api(e)),
        }
    } else if sending.as_ref().is_some_and(|s| s.attachment_ids != ids) {
        sending = None;
    }

    // 2. The destination: active, its follow-up schema, its key (fresh,
    // with the certificate chain checked) before anything is announced.
    let dest = backends
        .follow_up_target(&target.destination_id)
        .await
        .map_err(api)?;
    let Some(schema_uri) = dest.schema_uri.filter(|_| dest.status == "active") else {
        return Err(ReplyError::Inactive);
    };
    let key = certified_key(&backends, &target.destination_id, &dest.encryption_kid)
        .await
        .map_err(seal)?;

    // 3. Announce in the case (the key is stored before the request).
    let mut sending = match sending {
        Some(s) => s,
        None => ReplySending {
            idempotency_key: webcrypto::random_uuid()?,
            attachment_ids: ids.clone(),
            submission_id: None,
            reference: None,
        },
    };
    if sending.submission_id.is_none() {
        let s = sending.clone();
        reply.edit(move |d| d.sending = Some(s));
        reply.save_now().await;
        progress.set(Some(Progress::Announcing));
        let announced = backends
            .announce_follow_up(
                &sending.idempotency_key,
                &Announcement {
                    destination_id: target.destination_id.clone(),
                    announced_attachments: ids.clone(),
                    service_type: ServiceType {
                        name: target.service_name.clone(),
                        identifier: target.service_identifier.clone(),
                    },
                    case_id: Some(target.case_id.clone()),
                },
            )
            .await
            .map_err(api)?;
        sending.submission_id = Some(announced.submission_id);
        sending.reference = announced.sender_reference;
        let s = sending.clone();
        reply.edit(move |d| d.sending = Some(s));
        reply.save_now().await;
    }
    let submission_id = sending.submission_id.clone().unwrap_or_default();

    // 4. The files: from the draft store, hashed, encrypted, uploaded
    // (unless FIT-Connect holds them already).
    let store = reply
        .store()
        .ok_or_else(|| ReplyError::Storage(StorageError::Unavailable("draft store".into())))?;
    let mut files = draft.files.clone();
    files.sort_by_key(|f| ids.iter().position(|i| *i == f.id));
    let of = files.len();
    let mut metas = Vec::with_capacity(of);
    for (i, file) in files.iter().enumerate() {
        let name = file.name.clone();
        let meta = upload_file(
            &backends,
            &key,
            &store,
            &submission_id,
            FileToSend {
                id: &file.id,
                name: &file.name,
                mime: &file.mime,
            },
            uploaded.contains(&file.id),
            move |sent| {
                progress.set(Some(Progress::File {
                    n: i + 1,
                    of,
                    name: name.clone(),
                    sent,
                }))
            },
        )
        .await
        .map_err(seal)?;
        metas.push(meta);
    }

    // 5. Data and metadata, then submit.
    progress.set(Some(Progress::Submitting));
    let answer = draft.answer(&target.request, EXTRA_DOCUMENT);
    let data = serde_json::to_vec(&answer)
        .map_err(|e| ReplyError::Api(ApiError::Decode(e.to_string())))?;
    let reference = sending.reference.clone().or(target.reference.clone());
    let st = seal_and_submit(
        &backends,
        &key,
        &session,
        &data,
        Envelope {
            submission_id: &submission_id,
            schema_uri: &schema_uri,
            attachments: &metas,
            reference: reference.as_deref(),
            date: &today_iso(),
            payment: None,
            reply_to: None,
        },
    )
    .await
    .map_err(seal)?;
    Ok(sent(st.submission_id, st.sender_reference.or(reference)))
}
