//! Sending an application the FIT-Connect way (BACKENDS.md §3): announce
//! with an idempotency key, encrypt and upload each attachment, encrypt
//! metadata and data, submit. Every step is recorded in the draft first,
//! so a retry after any failure continues the same submission and never
//! creates a second one; the draft itself stays until the server confirms.

use leptos::prelude::*;

use super::context::Apply;
use super::seal::{certified_key, seal_and_submit, upload_file, Envelope, FileToSend, SealError};
use crate::api::applications::submit::{Announcement, ServiceType};
use crate::api::mandates::MandateError;
use crate::api::ApiError;
use crate::browser::drafts::StorageError;
use crate::browser::webcrypto::{self, CryptoError, EncryptionKey};
use crate::domain::form::draft::{Draft, Sending};
use crate::domain::form::{attachments, fee_basis, to_data};
use crate::domain::session::Session;
use contract::payment::{FitPaymentInformation, PaymentState, StartPayment};

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
    /// The form has a fee that is not paid (or not verified) yet: the fee
    /// step must come first. Carries the relay's state when there is one.
    #[error("the fee is not paid")]
    PaymentDue(Option<Box<PaymentState>>),
    /// The fee was paid for other answers than the ones now in the form.
    #[error("the fee was paid for other answers")]
    PaymentConflict,
    /// "Vertretung nachweisen": the relay did not take the request for a
    /// mandate (the child is 18 already, the Betreuerausweis has ended, …);
    /// nothing was sent, the draft stays.
    #[error(transparent)]
    MandateRequest(MandateError),
}

/// What the server said at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub submission_id: String,
    pub case_id: String,
    pub status: String,
    /// The fee as the relay verified it (paid or waived), for the receipt.
    pub payment: Option<PaymentState>,
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
        ApiError::Status { status: 402, .. } => SendError::PaymentDue(None),
        _ => SendError::Api(e),
    }
}

fn mandate(e: MandateError) -> SendError {
    match e {
        MandateError::LoginRequired => SendError::NotLoggedIn,
        MandateError::InsufficientLevel => SendError::LevelTooLow,
        MandateError::Api(a) => api(a),
        other => SendError::MandateRequest(other),
    }
}

/// "Vertretung nachweisen" only: tells the relay what the form declares
/// before the attestation is asked for (the relay attests the request and
/// keeps the mandate pending). Again on every retry: the relay answers the
/// same submission's request alike.
async fn request_mandate(
    backends: &crate::api::Backends,
    leika: &str,
    data: &serde_json::Value,
    submission_id: &str,
) -> Result<(), SendError> {
    use crate::domain::mandates::{is_request_service, request};
    if !is_request_service(leika) {
        return Ok(());
    }
    let req = request(data, submission_id).map_err(|what| {
        SendError::MandateRequest(MandateError::InvalidRequest {
            log: format!("form: {what}"),
        })
    })?;
    match backends.request_mandate(&req).await {
        Ok(_) => Ok(()),
        Err(e) => {
            if let MandateError::InvalidRequest { log } = &e {
                // The relay's reason, for whoever looks into the console;
                // the citizen reads the page's own words.
                web_sys::console::warn_1(&format!("Vertretung nachweisen: {log}").into());
            }
            Err(mandate(e))
        }
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

/// The payment calls' errors: 409 is a fee paid for other answers.
fn pay_api(e: ApiError) -> SendError {
    match &e {
        ApiError::Status { status: 409, .. } => SendError::PaymentConflict,
        _ => api(e),
    }
}

/// Steps 1–2: how far an earlier send got, the destination's certified key,
/// the announcement (idempotent, recorded in the draft first).
enum Ready {
    /// The application had already gone out.
    Sent(Sent),
    Announced {
        key: EncryptionKey,
        sending: Sending,
        draft: Box<Draft>,
    },
}

async fn announced(apply: Apply, progress: RwSignal<Option<Progress>>) -> Result<Ready, SendError> {
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
                    let payment = backends.payment(&st.submission_id).await.ok();
                    return Ok(Ready::Sent(Sent {
                        submission_id: st.submission_id,
                        case_id: st.case_id,
                        status: st.status,
                        payment,
                    }));
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
                loaded.for_mandate.as_deref(),
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
    Ok(Ready::Announced {
        key,
        sending,
        draft: Box::new(draft),
    })
}

/// Announces the application if needed (the relay ties the payment to it)
/// and starts paying its fee, or answers the payment already started.
pub async fn start_paying(
    apply: Apply,
    return_path: String,
    progress: RwSignal<Option<Progress>>,
) -> Result<PaymentState, SendError> {
    let (sending, draft) = match announced(apply, progress).await? {
        Ready::Sent(s) => return s.payment.ok_or(SendError::PaymentDue(None)),
        Ready::Announced { sending, draft, .. } => (sending, draft),
    };
    progress.set(None);
    let form = apply.loaded.with_value(|l| l.form.clone());
    let id = sending.submission_id.unwrap_or_default();
    crate::api::Backends::relay()
        .start_payment(
            &id,
            &StartPayment {
                fee_basis: fee_basis(&form, &draft.answers),
                return_path,
            },
        )
        .await
        .map_err(pay_api)
}

/// The payment as the relay has just verified it with the provider;
/// `None` before the application was announced or a payment started.
pub async fn payment_state(apply: Apply) -> Result<Option<PaymentState>, SendError> {
    let id = apply.draft.with_untracked(|d| {
        d.as_ref()
            .and_then(|d| d.sending.as_ref())
            .and_then(|s| s.submission_id.clone())
    });
    let Some(id) = id else {
        return Ok(None);
    };
    match crate::api::Backends::relay().payment(&id).await {
        Ok(s) => Ok(Some(s)),
        Err(ApiError::Status { status: 404, .. }) => Ok(None),
        Err(e) => Err(pay_api(e)),
    }
}

/// The fee settled for the answers being sent: paid and verified, or
/// waived by them (the relay records the waiver now). `None`: no fee.
async fn settled_fee(
    backends: &crate::api::Backends,
    apply: Apply,
    draft: &Draft,
    submission_id: &str,
    return_path: String,
) -> Result<Option<PaymentState>, SendError> {
    let form = apply.loaded.with_value(|l| l.form.clone());
    let Some(schedule) = &form.fee_schedule else {
        return Ok(None);
    };
    let basis = fee_basis(&form, &draft.answers);
    let state = if schedule.due(&basis).amount == 0 {
        // Waived by the answers: the relay records the waiver (or refuses
        // with 409 when a fee was paid for other answers).
        start(backends, submission_id, basis, return_path).await?
    } else {
        match backends.payment(submission_id).await {
            Ok(s) if s.state.settled() && s.fee_basis != basis => {
                // Settled for answers changed since: the relay decides.
                start(backends, submission_id, basis, return_path).await?
            }
            Ok(s) => s,
            Err(ApiError::Status { status: 404, .. }) => return Err(SendError::PaymentDue(None)),
            Err(e) => return Err(pay_api(e)),
        }
    };
    if !state.state.settled() {
        return Err(SendError::PaymentDue(Some(Box::new(state))));
    }
    Ok(Some(state))
}

async fn start(
    backends: &crate::api::Backends,
    submission_id: &str,
    fee_basis: std::collections::BTreeMap<String, serde_json::Value>,
    return_path: String,
) -> Result<PaymentState, SendError> {
    backends
        .start_payment(
            submission_id,
            &StartPayment {
                fee_basis,
                return_path,
            },
        )
        .await
        .map_err(pay_api)
}

/// Sends the application in the draft; `progress` follows each step.
/// `return_path`: the fee step's URL (for a fee the answers waive, the
/// relay records the waiver with it).
pub async fn send(
    apply: Apply,
    session: Session,
    return_path: String,
    progress: RwSignal<Option<Progress>>,
) -> Result<Sent, SendError> {
    let backends = crate::api::Backends::relay();
    let loaded = apply.loaded.get_value();
    let form = loaded.form.clone();
    let (key, sending, draft) = match announced(apply, progress).await? {
        Ready::Sent(s) => return Ok(s),
        Ready::Announced {
            key,
            sending,
            draft,
        } => (key, sending, *draft),
    };
    let files = attachments(&form, &draft.answers);
    let submission_id = sending.submission_id.clone().unwrap_or_default();
    let data_value = to_data(&form, &draft.answers);

    // For "Vertretung nachweisen": the request for the mandate, before
    // anything is uploaded (a request that does not fit sends nothing).
    request_mandate(&backends, &loaded.leika, &data_value, &submission_id).await?;

    // 3. The fee: paid and verified with the provider by the relay, or
    // waived by the answers. Nothing is uploaded before.
    let payment = settled_fee(&backends, apply, &draft, &submission_id, return_path).await?;
    let payment_info = payment.as_ref().and_then(|p| {
        p.payment_information
            .as_ref()
            .map(|i| FitPaymentInformation::of(&p.reference, p.amount, i))
    });

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

    // 5. Metadata and data, then submit (under a Vollmacht, the decision
    // goes to the person concerned's postbox; for a child, to one's own).
    progress.set(Some(Progress::Submitting));
    let reply_to = apply.reply_mailbox();
    let data = serde_json::to_vec(&data_value)
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
            payment: payment_info.as_ref(),
            reply_to: reply_to.as_deref(),
        },
    )
    .await
    .map_err(seal)?;
    Ok(Sent {
        submission_id: st.submission_id,
        case_id: st.case_id,
        status: st.status,
        payment,
    })
}

/// After a send: keeps the answers and the fee in memory for the receipt
/// (never in storage), discards the draft, and answers the confirmation's
/// URL.
pub async fn finish(apply: Apply, sent: &Sent) -> String {
    apply.sent_answers.set(
        apply
            .draft
            .with_untracked(|d| d.as_ref().map(|d| d.answers.clone())),
    );
    apply.sent_payment.set(sent.payment.clone());
    apply.discard().await;
    let sent_url = apply.loaded.with_value(|l| l.url("gesendet"));
    format!(
        "{}{}einreichung={}",
        sent_url,
        if sent_url.contains('?') { '&' } else { '?' },
        crate::domain::search_url::encode(&sent.submission_id)
    )
}
