//! The deadlines of FIT-Connect (BACKENDS.md §3), applied by [`sweep`]:
//!
//! * a submission `submitted` but neither accepted nor rejected within the
//!   deadline (`Config::fitconnect_deadline_seconds`, default 14 days, from
//!   `submittedAt`) is rejected with the problem [`DEADLINE_PROBLEM`];
//! * an `incomplete` submission older than the deadline (from `createdAt`)
//!   loses its uploads and becomes `deleted`, with a `delete-submission` event;
//! * events older than [`EVENT_RETENTION_SECONDS`] (730 days) are removed.
//!
//! The sweep runs only in its own background task ([`spawn_periodic`],
//! started by the router: at once, then every [`SWEEP_INTERVAL`]), never on
//! a request. Between sweeps the console refuses to decide an overdue
//! submission (`authority.rs`), so nothing overdue is accepted.

use std::time::Duration;

use serde_json::json;

use super::events::{self, Problem};
use super::store;
use crate::{ApiError, AppState};

/// Events are kept this long (730 days).
pub const EVENT_RETENTION_SECONDS: i64 = 730 * 24 * 3600;
/// How often the background task sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);
/// Problem name (ours: FIT-Connect names none for this case) of the
/// automatic rejection after the deadline:
/// `https://schema.fitko.de/fit-connect/events/problems/deadline-exceeded`.
pub const DEADLINE_PROBLEM: &str = "deadline-exceeded";

/// What one sweep changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub rejected: usize,
    pub deleted: usize,
    pub purged_events: usize,
}

/// Applies the deadlines once (see the module documentation).
pub async fn sweep(state: &AppState) -> Result<Swept, ApiError> {
    let now = events::now();
    let deadline = i64::try_from(state.config.fitconnect_deadline_seconds).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(deadline);
    let mut out = Swept::default();

    let late = store::overdue(state, "submitted", "submitted_at", cutoff).await?;
    let stale = store::overdue(state, "incomplete", "created_at", cutoff).await?;
    // Signing needs the keys (loaded once; only when there is work).
    let keys = if late.is_empty() && stale.is_empty() {
        None
    } else {
        Some(super::load_keys(state).await?)
    };
    let iss = super::base_url(state);
    let period = period_text(state.config.fitconnect_deadline_seconds);
    for (id, case_id) in late {
        let Some(keys) = &keys else { break };
        let problem = Problem::new(
            DEADLINE_PROBLEM,
            "Frist abgelaufen",
            format!(
                "Die Behörde hat die Einreichung nicht innerhalb der Frist von {period} \
                 angenommen; sie wurde automatisch zurückgewiesen."
            ),
            "submission",
        );
        let jws = events::sign(
            keys,
            &iss,
            &id,
            &case_id,
            "reject-submission",
            json!({"problems": [problem]}),
        )?;
        // False when the authority decided meanwhile: then nothing is overdue.
        if store::transition(state, &id, &case_id, "submitted", "rejected", Some(jws)).await? {
            out.rejected += 1;
        }
    }
    for (id, case_id) in stale {
        let Some(keys) = &keys else { break };
        let jws = events::sign(keys, &iss, &id, &case_id, "delete-submission", json!({}))?;
        if store::delete_incomplete(state, &id, &case_id, jws).await? {
            out.deleted += 1;
        }
    }
    out.purged_events = store::purge_events(state, now - EVENT_RETENTION_SECONDS).await?;
    Ok(out)
}

/// "14 Tagen", or "120 Sekunden" for a deadline that is not whole days.
fn period_text(secs: u64) -> String {
    const DAY: u64 = 24 * 3600;
    match secs {
        s if s % DAY == 0 && s / DAY == 1 => "1 Tag".to_string(),
        s if s % DAY == 0 => format!("{} Tagen", s / DAY),
        s => format!("{s} Sekunden"),
    }
}

/// Starts the periodic sweep on the current tokio runtime (none outside a
/// runtime: then nothing sweeps but a direct [`sweep`]). The first sweep
/// runs at once, so a restarted server catches up.
pub fn spawn_periodic(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep(&state).await {
                Ok(s) if s != Swept::default() => tracing::info!(
                    rejected = s.rejected,
                    deleted = s.deleted,
                    purged_events = s.purged_events,
                    "FIT-Connect deadline sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "FIT-Connect deadline sweep failed"),
            }
        }
    });
}
