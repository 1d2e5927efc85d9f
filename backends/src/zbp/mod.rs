//! Postbox (ZBP) stand-in: messages, application status, trust-level locks,
//! trash. Shapes and rules: `docs/backends.md` §4.
//!
//! Citizens reach their mailbox with the Bearer token of `/idp`; the mailbox
//! is the token's `mailboxUuid`. Another mailbox's message is "not found".
//! The content (and attachments) of a message above the token's trust level
//! is withheld (403 with the level needed). Opening a message records
//! `openedAt` once: that is when a decision counts as delivered.
//!
//! Other modules deliver with [`deliver`] and [`record_status`].

mod citizen;
pub mod deadline;
mod delivery;
pub mod notice;
mod reader;
mod store;

use axum::{
    routing::{get, post},
    Router,
};

use crate::{error, ApiError, AppState};
pub use citizen::{file_response, safe_filename};
pub use delivery::{
    application_statuses, application_submitted, deliver, deliver_in, latest_statuses,
    record_status, MessageKind, NewAttachment, NewMessage, NewStatus, Status, Submitted,
};
use reader::reader;
pub use reader::{LEVEL_HEADER, MAILBOX_HEADER, SCOPE_ZBP};

pub use store::{MessageRow, StatusRow};

/// How long a deleted message stays in the trash.
pub const TRASH_RETENTION_SECS: i64 = 30 * 24 * 60 * 60;
/// How often the periodic task empties expired trash.
const PURGE_INTERVAL_SECS: u64 = 60 * 60;

/// Routes under `/zbp`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("zbp", store::MIGRATIONS)?;
    state.db.migrate("zbp_notices", notice::MIGRATIONS)?;
    spawn_purger(state);
    Ok(Router::new()
        .route("/v1/messages", get(citizen::list_messages))
        .route("/v1/messages/unread-count", get(citizen::unread_count))
        .route(
            "/v1/messages/{id}",
            get(citizen::read_message).delete(citizen::delete_message),
        )
        .route("/v1/messages/{id}/read", post(citizen::mark_read))
        .route("/v1/messages/{id}/unread", post(citizen::mark_unread))
        .route(
            "/v1/messages/{id}/attachments/{attachment_id}",
            get(citizen::download),
        )
        .route("/v1/trash", get(citizen::list_trash))
        .route("/v1/trash/{id}/restore", post(citizen::restore))
        .route("/v1/applications", get(citizen::list_applications))
        .route(
            "/v1/applications/{application_id}/status",
            get(citizen::status_history),
        )
        .fallback(error::not_found))
}

/// Empties expired trash every hour (only when a Tokio runtime is running).
fn spawn_purger(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(PURGE_INTERVAL_SECS));
        loop {
            tick.tick().await;
            if let Err(e) = purge_trash(&state, now()).await {
                tracing::warn!(error = %e, "emptying the postbox trash failed");
            }
        }
    });
}

pub fn now() -> i64 {
    crate::idp::now_secs()
}

/// ISO 8601 UTC (`2026-11-29T10:15:00Z`).
pub fn iso(unix: i64) -> Option<String> {
    chrono::DateTime::<chrono::Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Deletes messages that have been in the trash for [`TRASH_RETENTION_SECS`]
/// at `now`; returns how many.
pub async fn purge_trash(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let cutoff = now - TRASH_RETENTION_SECS;
    Ok(state.db.call(move |c| store::purge(c, cutoff)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(
            safe_filename("Bescheid Hundesteuer.pdf"),
            "Bescheid_Hundesteuer.pdf"
        );
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("..\\x\\Änderung.pdf"), "Anderung.pdf");
        assert_eq!(safe_filename("\"; evil=1"), "___evil_1");
        assert_eq!(safe_filename(""), "anlage");
        assert_eq!(safe_filename(".hidden"), "hidden");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "INITIATED",
            "SUBMITTED",
            "RECEIVED",
            "PROCESSING",
            "ACTION_REQUIRED",
            "COMPLETED",
        ] {
            assert_eq!(Status::parse(s).map(Status::as_str), Some(s));
        }
        assert_eq!(Status::parse("DONE"), None);
    }
}
