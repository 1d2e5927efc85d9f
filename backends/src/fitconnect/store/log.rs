//! The event log table: signed SETs per case, appended and read in order.
//! A row written by a request is pending first (`jws` empty, the claims in
//! `claims`) until `signer.rs` signs it in place, keeping its position.

use rusqlite::{params, OptionalExtension};

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

/// Inserts one pending event: its claims, to be signed by `signer.rs`
/// (inside the caller's transaction, so it stands or falls with the state
/// change it records).
pub(super) fn insert_pending(
    c: &rusqlite::Connection,
    case_id: &str,
    id: &str,
    claims: &str,
    at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO fitconnect_events (case_id, submission_id, jws, claims, created_at)
         VALUES (?1, ?2, '', ?3, ?4)",
        params![case_id, id, claims, at],
    )?;
    Ok(())
}

/// Up to `limit` pending events (of one case, or all), oldest first: their
/// position and claims.
pub async fn pending_events(
    state: &AppState,
    case_id: Option<&str>,
    limit: i64,
) -> Result<Vec<(i64, String)>, ApiError> {
    let case_id = case_id.map(str::to_string);
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, claims FROM fitconnect_events
                 WHERE jws = '' AND (?1 IS NULL OR case_id = ?1) ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![case_id, limit], |r| {
                    Ok((
                        r.get(0)?,
                        r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    ))
                })?
                .collect::<Result<Vec<_>, _>>();
            rows
        })
        .await?)
}

/// Stores the signatures of pending events; a row signed meanwhile (by the
/// worker or a reader) keeps its first signature.
pub async fn complete_events(state: &AppState, signed: Vec<(i64, String)>) -> Result<(), ApiError> {
    state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            for (seq, jws) in &signed {
                tx.execute(
                    "UPDATE fitconnect_events SET jws = ?2, claims = NULL WHERE seq = ?1 AND jws = ''",
                    params![seq, jws],
                )?;
            }
            tx.commit()
        })
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
