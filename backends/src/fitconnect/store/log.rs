//! The event log table: signed SETs per case, appended and read in order.

use rusqlite::{params, OptionalExtension};

use super::super::events::now;
use crate::{ApiError, AppState};

/// Inserts one event row (inside the caller's transaction, if any).
pub(super) fn insert(
    c: &rusqlite::Connection,
    case_id: &str,
    id: &str,
    jws: &str,
    at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO fitconnect_events (case_id, submission_id, jws, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![case_id, id, jws, at],
    )?;
    Ok(())
}

/// Appends an event without a status change.
pub async fn append_event(
    state: &AppState,
    id: &str,
    case_id: &str,
    jws: String,
) -> Result<(), ApiError> {
    let (id, case_id) = (id.to_string(), case_id.to_string());
    let at = now();
    state
        .db
        .call(move |c| insert(c, &case_id, &id, &jws, at))
        .await?;
    Ok(())
}

/// A page of the case's event log, if the case belongs to `owner` (the
/// sender that announced it).
pub async fn events(
    state: &AppState,
    case_id: &str,
    owner: &str,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<String>), ApiError> {
    let (case_id, owner) = (case_id.to_string(), owner.to_string());
    let found = state
        .db
        .call(move |c| {
            let found: Option<String> = c
                .query_row(
                    "SELECT citizen FROM fitconnect_submissions WHERE case_id = ?1",
                    params![case_id],
                    |r| r.get(0),
                )
                .optional()?;
            if found.as_deref() != Some(owner.as_str()) {
                return Ok(None);
            }
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM fitconnect_events WHERE case_id = ?1",
                params![case_id],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(
                "SELECT jws FROM fitconnect_events WHERE case_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
            )?;
            let log = stmt
                .query_map(
                    params![case_id, limit as i64, offset.min(i64::MAX as u64) as i64],
                    |r| r.get(0),
                )?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(Some((total as u64, log)))
        })
        .await?;
    found.ok_or(ApiError::NotFound)
}

/// Removes events recorded at or before `cutoff`; returns how many.
pub async fn purge_events(state: &AppState, cutoff: i64) -> Result<usize, ApiError> {
    Ok(state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM fitconnect_events WHERE created_at <= ?1",
                params![cutoff],
            )
        })
        .await?)
}
