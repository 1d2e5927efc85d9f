//! Sending an application the FIT-Connect way (BACKENDS.md §3): announce
//! with an idempotency key, encrypt and upload each attachment, encrypt
//! metadata and data, submit. Every step is recorded in the draft first,
//! so a retry after any failure continues the same submission and never
//! creates a second one; the draft itself stays until the server confirms.

use leptos::prelude::*;

use super::context::Apply;
use super::seal::{certified_key, seal_and_submit, upload_file, Envelope, FileToSend, SealError};
use crate::api::applications::submit::{Announcement, ServiceType};
use crate::api::ApiError;
use crate::browser::drafts::StorageError;
use crate::browser::webcrypto::{self, CryptoError};
use crate::domain::form::draft::Sending;
use crate::domain::form::{attachments, to_data};
use crate::domain::session::Session;

/// Where the send is, for the progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Announcing,
    /// Attachment `n` of `of` (from 1): encrypting, then the sent fraction.
    Attachment {
        n: usize,
        of: usize,
        name: String,
        sent: Option<f64>,
    },
    Submitting,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("the login level is too low")]
    LevelTooLow,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A chosen file is no longer on this device.
    #[error("file {0} is missing from the device")]
    FileGone(String),
    #[error("the destination is not active")]
    Inactive,
    /// The destination's key is not certified for the destination the route
    /// promised (its x5c chain, `domain::x509`): nothing was sent.
    #[error(transparent)]
    UntrustedKey(crate::domain::x509::X509Error),
}

/// What the server said at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub submission_id: String,
    pub case_id: String,
    pub status: String,
}

fn seal(e: SealError) -> SendError {
    match e {
        SealError::Api(a) => api(a),
        SealError::Crypto(c) => SendError::Crypto(c),
        SealError::Untrusted(x) => SendError::UntrustedKey(x),
        SealError::Storage(s) => SendError::Storage(s),
        SealError::FileGone(name) => SendError::FileGone(name),
    }
}

fn api(e: ApiError) -> SendError {
    match &e {
        ApiError::Status { status: 401, .. } => SendError::NotLoggedIn,
        ApiError::Status { status: 403, .. } => SendError::LevelTooLow,
        _ => SendError::Api(e),
    }
}

/// Today in the browser's time zone, `YYYY-MM-DD`.
fn today() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

/// Sends the application in the draft; `progress` follows each step.
pub async fn send(
    apply: Apply,
    session: Session,
    progress: RwSignal<Option<Progress>>,
) -> Result<Sent, SendError> {
    let loaded = apply.loaded.get_value();
    let backends = crate::api::Backends::relay();
    let form = loaded.form.clone();
    let params = &loaded.route.destination_parameters;
    if params.status != "active" {
        return Err(SendError::Inactive);
    }
    let Some(draft) = apply.draft.get_untracked() else {
        return Err(SendError::Storage(StorageError::Unavailable(
            "no draft".into(),
        )));
    };
    let files = attachments(&form, &draft.answers);
    let file_ids: Vec<String> = files.iter().map(|(_, f)| f.id.clone()).collect();

    // 1. A send that got as far as the server: ask how far.
    let mut sending = draft.sending.clone();
    if let Some(s) = &sending {
        if let Some(id) = &s.submission_id {
            match backends.status(id).await {
                Ok(st) if st.status != "incomplete" => {
                    return Ok(Sent {
                        submission_id: st.submission_id,
                        case_id: st.case_id,
                        status: st.status,
                    })
                }
                Ok(_) if s.attachment_ids == file_ids => {}
                Ok(_) | Err(ApiError::Status { status: 404, .. }) => sending = None,
                Err(e) => return Err(api(e)),
            }
        } else if s.attachment_ids != file_ids {
            sending = None;
        }
    }

    // The destination's key, fresh, and checked (algorithm, key_ops, size,
    // and its certificate chain: the leaf must name this destination and
    // chain up to the root compiled into the app) before anything goes to
    // the server: a bad or uncertified key sends nothing.
    let destination_id = sending
        .as_ref()
        .map(|s| s.destination_id.clone())
        .unwrap_or_else(|| loaded.route.destination_id.clone());
    let key = certified_key(&backends, &destination_id, &params.encryption_kid)
        .await
        .map_err(seal)?;

    // 2. Announce (idempotent: the key is stored before the request).
    let mut sending = match sending {
        Some(s) => s,
        None => Sending {
            idempotency_key: webcrypto::random_uuid()?,
            destination_id: loaded.route.destination_id.clone(),
            attachment_ids: file_ids.clone(),
            submission_id: None,
            case_id: None,
            reference: None,
        },
    };
    if sending.submission_id.is_none() {
        let s = sending.clone();
        apply.record(move |d| d.sending = Some(s));
        apply.save_now().await;
        progress.set(Some(Progress::Announcing));
        let announced = backends
            .announce(
                &sending.idempotency_key,
                &loaded.ars,
                &Announcement {
                    destination_id: sending.destination_id.clone(),
                    announced_attachments: sending.attachment_ids.clone(),
                    service_type: ServiceType {
                        name: loaded.service_name.clone(),
                        identifier: format!("urn:de:fim:leika:leistung:{}", loaded.leika),
                    },
                    case_id: None,
                },
            )
            .await
            .map_err(api)?;
        sending.submission_id = Some(announced.submission_id);
        sending.case_id = Some(announced.case_id);
        sending.reference = announced.sender_reference;
        let s = sending.clone();
        apply.record(move |d| d.sending = Some(s));
        apply.save_now().await;
    }
    let submission_id = sending.submission_id.clone().unwrap_or_default();

    // 3. (fetched above, before anything was announced)

    // 4. Attachments: read from the draft store, hash, encrypt, upload.
    let store = apply
        .store()
        .ok_or_else(|| SendError::Storage(StorageError::Unavailable("draft store".into())))?;
    let mut metas = Vec::with_capacity(files.len());
    for (i, (_, file)) in files.iter().enumerate() {
        let of = files.len();
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
            false,
            move |sent| {
                progress.set(Some(Progress::Attachment {
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

    // 5. Metadata and data, then submit.
    progress.set(Some(Progress::Submitting));
    let data = serde_json::to_vec(&to_data(&form, &draft.answers))
        .map_err(|e| SendError::Api(ApiError::Decode(e.to_string())))?;
    let st = seal_and_submit(
        &backends,
        &key,
        &session,
        &data,
        Envelope {
            submission_id: &submission_id,
            schema_uri: &loaded.schema_uri,
            attachments: &metas,
            reference: sending.reference.as_deref(),
            date: &today(),
        },
    )
    .await
    .map_err(seal)?;
    Ok(Sent {
        submission_id: st.submission_id,
        case_id: st.case_id,
        status: st.status,
    })
}
