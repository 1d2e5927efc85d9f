//! The event log's signer. `create-submission` (announce) and
//! `submit-submission` (submit) are not signed on the request path: the
//! request writes the event's claims as a pending row of the log in the
//! same transaction as the state change (so ordering holds and nothing is
//! lost across a restart) and answers; this worker signs the pending rows
//! in log order shortly after, on the background threads
//! (`background.rs`, below the requests' priority). As on the real
//! platform, an answer never contains the event; the log is read later.
//!
//! A reader never sees a pending row: `GET /v1/cases/{case}/events` signs
//! the case's pending rows itself (on demand) if it comes before the worker.
//!
//! The worker wakes on [`notify`] and on a periodic tick ([`TICK`], the
//! first at once, so rows left pending by a restart are signed at start).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::{background, events, load_keys, store};
use crate::{ApiError, AppState};

/// How often the signer looks for pending rows without being woken.
pub const TICK: Duration = Duration::from_secs(5);
/// Pending rows signed per query.
const BATCH: i64 = 32;

fn wake(state: &AppState) -> Arc<Notify> {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Notify>>>> = OnceLock::new();
    let all = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means a panic elsewhere; the map is still usable.
    let mut map = all.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(state.config.data_dir.clone())
        .or_insert_with(|| Arc::new(Notify::new()))
        .clone()
}

/// Tells the signer that a pending row was written (never blocks).
pub fn notify(state: &AppState) {
    wake(state).notify_one();
}

/// Starts the signer on the current tokio runtime (none outside a runtime:
/// then readers sign on demand).
pub fn spawn(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    let wake = wake(&state);
    handle.spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tick.tick() => {}
            }
            if let Err(e) = sign_pending(&state, None).await {
                tracing::warn!(error = %e, "FIT-Connect event signer pass failed");
            }
        }
    });
}

/// Signs pending rows (of one case, or all) until none is left; returns
/// how many this call signed. The worker's signatures run on the background
/// threads; a reader's (`case` given) on the blocking pool at the requests'
/// priority, since a request waits for them. A row signed by someone else
/// in the meantime keeps that signature.
pub async fn sign_pending(state: &AppState, case: Option<&str>) -> Result<usize, ApiError> {
    let keys = load_keys(state).await?;
    let mut signed = 0;
    loop {
        let pending = store::pending_events(state, case, BATCH).await?;
        if pending.is_empty() {
            return Ok(signed);
        }
        let mut running = tokio::task::JoinSet::new();
        for (seq, claims) in pending {
            let keys = keys.clone();
            let job = move || events::sign_claims(&keys, &claims).map(|jws| (seq, jws));
            if case.is_some() {
                running.spawn(async move {
                    tokio::task::spawn_blocking(job)
                        .await
                        .map_err(|e| ApiError::Internal(e.to_string()))?
                });
            } else {
                running.spawn(async move { background::run(job).await? });
            }
        }
        let mut done = Vec::new();
        while let Some(r) = running.join_next().await {
            done.push(r.map_err(|e| ApiError::Internal(e.to_string()))??);
        }
        signed += done.len();
        store::complete_events(state, done).await?;
    }
}
