//! The receiving authority's subscriber: it fetches what the Zustelldienst
//! holds, decrypts it with the authority's private key and checks it, as
//! FIT-Connect's Subscriber API client of a real authority does.
//!
//! The flow:
//!
//! 1. `PUT /v1/submissions/{id}` (the Zustelldienst, `mod.rs`) stores the
//!    JWEs as they came, sets `submitted`, records `submit-submission` with
//!    the authentication tags and answers 202. No key is touched there;
//!    then it calls [`notify`].
//! 2. The subscriber task ([`spawn`], started by the router) wakes on that
//!    notification and on a periodic tick ([`TICK`], the first at once, so a
//!    restart or a missed wake is caught) and runs [`run_once`]: every
//!    `submitted` submission not yet received is decrypted and checked
//!    (`check.rs`: hashes, schema URI, attachments, the form's JSON Schema).
//! 3. Checks failed: `reject-submission` with the problems, status
//!    `rejected` (the citizen sees it in Meine Anträge). Passed: the
//!    submission is marked received and appears in the clerk's inbox, still
//!    `submitted` until the clerk accepts or rejects it. Both in one
//!    transaction with the receipt, so each submission is received once.
//!    An application made under a mandate has who applied for whom kept
//!    with it first (`mandates.rs`), a request for a mandate its request
//!    (`mandate_requests.rs`), for the console's list.
//! 4. The citizen's postbox gets the status SUBMITTED (and the rejection),
//!    if the decrypted metadata name a postbox in
//!    `replyChannel.idBundMailbox.idBundMailboxAddress`: the Zustelldienst knows only the
//!    sender, never the citizen.
//!
//! Passes never overlap (one lock per data directory), so a test that calls
//! [`run_once`] after a submit sees it fully received, postbox included.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{Notify, OwnedMutexGuard};

use super::keys::Keys;
use super::{attestation, check, destinations, events, store};
use crate::{ApiError, AppState};

/// How often the subscriber looks for submissions without being woken.
pub const TICK: Duration = Duration::from_secs(15);
/// Submissions received per query.
const BATCH: i64 = 50;

/// The wake-up and the pass lock of one data directory's subscriber.
struct Shared {
    wake: Notify,
    pass: Arc<tokio::sync::Mutex<()>>,
}

fn shared(state: &AppState) -> Arc<Shared> {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Shared>>>> = OnceLock::new();
    let all = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means a panic elsewhere; the map is still usable.
    let mut map = all.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(state.config.data_dir.clone())
        .or_insert_with(|| {
            Arc::new(Shared {
                wake: Notify::new(),
                pass: Arc::new(tokio::sync::Mutex::new(())),
            })
        })
        .clone()
}

/// Tells the subscriber that something was handed in (never blocks; a wake
/// while a pass runs is kept for the next one).
pub fn notify(state: &AppState) {
    shared(state).wake.notify_one();
}

/// While the guard lives no pass runs (for tests that look at a submission
/// between submit and receipt).
pub async fn paused(state: &AppState) -> OwnedMutexGuard<()> {
    shared(state).pass.clone().lock_owned().await
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    /// Received and ready for the clerk.
    pub ready: usize,
    /// Received and rejected by the checks.
    pub rejected: usize,
}

/// Starts the subscriber on the current tokio runtime (none outside a
/// runtime: then only [`run_once`] receives).
pub fn spawn(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    let shared = shared(&state);
    handle.spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shared.wake.notified() => {}
                _ = tick.tick() => {}
            }
            match run_once(&state).await {
                Ok(r) if r != Received::default() => tracing::info!(
                    ready = r.ready,
                    rejected = r.rejected,
                    "FIT-Connect subscriber received submissions"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "FIT-Connect subscriber pass failed"),
            }
        }
    });
}

/// Receives every submitted submission not received yet (see the module
/// documentation). Waits for a pass already running.
///
/// The decryption and checks of up to [`workers`] submissions run at once
/// (each on a background thread, `background.rs`, below the requests'
/// priority: three RSA 4096 unwraps and more per
/// submission, so one at a time would leave all cores but one idle); what
/// they found is recorded one submission after another, oldest first, as
/// before.
pub async fn run_once(state: &AppState) -> Result<Received, ApiError> {
    let shared = shared(state);
    let _pass = shared.pass.lock().await;
    let mut out = Received::default();
    let mut keys: Option<Arc<Keys>> = None;
    loop {
        let ids = store::unreceived(state, BATCH).await?;
        if ids.is_empty() {
            break;
        }
        if keys.is_none() {
            keys = Some(super::load_keys(state).await?);
        }
        let Some(keys) = keys.clone() else { break };
        let progressed = receive_batch(state, &keys, &ids, &mut out).await?;
        if !progressed || (ids.len() as i64) < BATCH {
            break;
        }
    }
    Ok(out)
}

/// How many submissions are decrypted and checked at once: the cores.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
}

/// Prepares `ids` concurrently and records them in their order; true if
/// any was received. After an error nothing more is started or recorded;
/// the preparations already running finish and the error is returned.
async fn receive_batch(
    state: &AppState,
    keys: &Arc<Keys>,
    ids: &[String],
    out: &mut Received,
) -> Result<bool, ApiError> {
    let mut running = tokio::task::JoinSet::new();
    let mut done: std::collections::BTreeMap<usize, Option<Prepared>> = Default::default();
    let (mut started, mut next) = (0usize, 0usize);
    let mut progressed = false;
    let mut failed: Option<ApiError> = None;
    while next < ids.len() && failed.is_none() {
        while started < ids.len() && running.len() < workers() {
            let (state, keys, id) = (state.clone(), keys.clone(), ids[started].clone());
            let index = started;
            running.spawn(async move { (index, prepare(&state, &keys, &id).await) });
            started += 1;
        }
        match running.join_next().await {
            Some(Ok((index, Ok(p)))) => {
                done.insert(index, p);
            }
            Some(Ok((_, Err(e)))) => failed = Some(e),
            Some(Err(e)) => failed = Some(ApiError::Internal(e.to_string())),
            None => break,
        }
        while let Some(p) = done.remove(&next) {
            next += 1;
            let Some(p) = p else { continue };
            match record(state, keys, p).await {
                Ok(Some(true)) => out.ready += 1,
                Ok(Some(false)) => out.rejected += 1,
                Ok(None) => continue,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            progressed = true;
        }
    }
    while running.join_next().await.is_some() {}
    match failed {
        Some(e) => Err(e),
        None => Ok(progressed),
    }
}

/// One submission decrypted and checked, not recorded yet.
struct Prepared {
    s: store::Submission,
    inspection: check::Inspection,
    /// The signed `reject-submission` of an application that failed the
    /// checks (signed here, in parallel with the others; a follow-up's
    /// verdict is made by `followup::receive`).
    rejection: Option<String>,
}

/// Reads, decrypts and checks one submission; `None` if it was not (or no
/// longer) waiting, or cannot be decided now.
async fn prepare(
    state: &AppState,
    keys: &Arc<Keys>,
    id: &str,
) -> Result<Option<Prepared>, ApiError> {
    let s = store::get(state, id).await?;
    if s.status != "submitted" || s.received_at.is_some() {
        return Ok(None);
    }
    let attachments = store::attachments(state, id).await?;
    let base = super::base_url(state);
    let Some(inspection) = inspect(state, keys, &base, &s, attachments).await? else {
        tracing::warn!(
            submission_id = id,
            "the attestation's key is not known and the keys cannot be read now: later"
        );
        return Ok(None);
    };
    let rejection = match (&inspection.outcome, &s.follows) {
        (Err(problems), None) => Some(
            events::sign_off_thread(
                keys.clone(),
                base,
                s.id.clone(),
                s.case_id.clone(),
                "reject-submission",
                json!({"problems": problems}),
            )
            .await?,
        ),
        _ => None,
    };
    Ok(Some(Prepared {
        s,
        inspection,
        rejection,
    }))
}

/// Records what [`prepare`] found: `Some(true)` ready for the clerk,
/// `Some(false)` rejected, `None` if another pass got there first.
async fn record(state: &AppState, keys: &Arc<Keys>, p: Prepared) -> Result<Option<bool>, ApiError> {
    let Prepared {
        s,
        inspection,
        rejection,
    } = p;
    let id = s.id.as_str();
    // A later submission of a case: the answer to a request (followup.rs).
    if let Some(application_id) = s.follows.clone() {
        return super::followup::receive(state, keys, &s, &application_id, inspection).await;
    }
    let ready = inspection.outcome.is_ok();
    // Who applied for whom, kept before the receipt (a failed write leaves
    // the submission for the next pass; a repeated one replaces itself).
    if let Ok(Some(m)) = inspection.outcome.as_ref().map(|d| &d.attestation.mandate) {
        super::mandates::keep(&state.db, id, m).await?;
    }
    // A request for a mandate (the service "Vertretung nachweisen"), kept
    // alike for the console's list.
    if let Ok(Some(r)) = inspection
        .outcome
        .as_ref()
        .map(|d| &d.attestation.mandate_request)
    {
        super::mandate_requests::keep(&state.db, id, r).await?;
    }
    let won = store::mark_received(state, id, &s.case_id, rejection).await?;
    if !won {
        return Ok(None);
    }
    let postbox = inspection.metadata.as_ref().and_then(check::postbox_ref);
    match postbox {
        Some(mailbox) => {
            let reference = inspection
                .metadata
                .as_ref()
                .and_then(check::sender_reference)
                .unwrap_or(&s.case_id);
            notify_postbox(state, &s, mailbox, reference, ready).await
        }
        None => tracing::info!(
            submission_id = id,
            "no postbox in replyChannel.idBundMailbox: the citizen is not notified"
        ),
    }
    Ok(Some(ready))
}

/// Decrypts and checks off the async threads, with the attestation keys the
/// authority trusts. When the attestation names a key not known yet, the
/// registered Onlinedienste's keys are read again and it runs once more.
/// `None` (try again later, nothing is decided): the key is still unknown
/// but the last read of the keys did not reach every registered
/// Onlinedienst, so a rejection could be wrong.
pub async fn inspect(
    state: &AppState,
    keys: &Arc<Keys>,
    base: &str,
    s: &store::Submission,
    attachments: Vec<(String, String)>,
) -> Result<Option<check::Inspection>, ApiError> {
    let attachments = Arc::new(attachments);
    let run = |signers| {
        let (keys, s, base, attachments) = (
            keys.clone(),
            s.clone(),
            base.to_string(),
            attachments.clone(),
        );
        async move {
            // On the background threads: below the requests' priority.
            super::background::run(move || check::inspect(&keys, &signers, &base, &s, &attachments))
                .await
        }
    };
    let (known, _) = attestation::keys_for(state, None).await;
    let first = run(known.clone()).await?;
    let kid = first
        .metadata
        .as_ref()
        .and_then(attestation::jws_of)
        .and_then(attestation::kid_of);
    match kid {
        Some(kid) if !known.contains_key(&kid) => {
            let (signers, current) = attestation::keys_for(state, Some(&kid)).await;
            if signers.contains_key(&kid) {
                return run(signers).await.map(Some);
            }
            Ok(current.then_some(first))
        }
        _ => Ok(Some(first)),
    }
}

/// The status SUBMITTED (and the rejection) into the citizen's postbox.
/// Never fails the receipt: problems are logged by `zbp`.
async fn notify_postbox(
    state: &AppState,
    s: &store::Submission,
    mailbox: &str,
    reference: &str,
    ready: bool,
) {
    let Ok(Some(dest)) = destinations::by_id(&s.destination_id) else {
        tracing::error!(submission_id = %s.id, "postbox notification: unknown destination");
        return;
    };
    crate::zbp::application_submitted(
        state,
        crate::zbp::Submitted {
            mailbox_uuid: mailbox,
            submission_id: &s.id,
            reference,
            service_name: &dest.form.title,
            authority: &dest.authority,
            level: dest.form.level,
            status: if ready { "submitted" } else { "rejected" },
        },
    )
    .await;
}
