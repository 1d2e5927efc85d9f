//! The authority's side of the tables: the submissions its subscriber has
//! not received yet, the inbox of received ones, and the status changes
//! (receipt, accept, reject, the deadlines). Each change that writes an
//! event writes it in the same transaction.

use rusqlite::params;

use super::super::events::now;
use crate::{ApiError, AppState};

/// A received submission as the authority's inbox lists it (no content).
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    /// `submitted` (received, not decided yet), `accepted`, `rejected` or `deleted`.
    pub status: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
}

/// The column list of the queries below, as a literal (SQL is built only
/// from literals, at compile time: `tests/security.rs`).
macro_rules! inbox_columns {
    () => {
        "id, case_id, destination_id, leika, service_name, status, created_at, submitted_at"
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
    })
}

/// Every handed-in application the subscriber has received (a `submitted`
/// one not yet received is not the clerk's yet), newest first. Follow-ups
/// are not listed: they belong to their application.
pub async fn inbox(state: &AppState) -> Result<Vec<InboxEntry>, ApiError> {
    Ok(state
        .db
        .call(|c| {
            let sql = concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM fitconnect_submissions
                 WHERE status != 'incomplete' AND (status != 'submitted' OR received_at IS NOT NULL)
                   AND follows IS NULL
                 ORDER BY submitted_at DESC, rowid DESC"
            );
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map([], inbox_row)?;
            rows.collect()
        })
        .await?)
}

/// One inbox entry (`NotFound` for unknown, incomplete or not yet received
/// ones, and for follow-ups).
pub async fn inbox_entry(state: &AppState, submission_id: &str) -> Result<InboxEntry, ApiError> {
    let id = submission_id.to_string();
    state
        .db
        .call(move |c| {
            let sql = concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM fitconnect_submissions
                 WHERE id = ?1 AND status != 'incomplete'
                   AND (status != 'submitted' OR received_at IS NOT NULL)
                   AND follows IS NULL"
            );
            rusqlite::OptionalExtension::optional(c.query_row(sql, [id], inbox_row))
        })
        .await?
        .ok_or(ApiError::NotFound)
}

/// The follow-ups of an application that passed the subscriber's checks
/// (received, not rejected), oldest first.
pub async fn follow_ups(
    state: &AppState,
    application_id: &str,
) -> Result<Vec<InboxEntry>, ApiError> {
    let id = application_id.to_string();
    Ok(state
        .db
        .call(move |c| {
            let sql = concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM fitconnect_submissions
                 WHERE follows = ?1 AND status IN ('submitted', 'accepted')
                   AND received_at IS NOT NULL
                 ORDER BY submitted_at, rowid"
            );
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map([id], inbox_row)?;
            rows.collect()
        })
        .await?)
}

/// Ids of `submitted` submissions the subscriber has not received yet,
/// oldest first (at most `limit`).
pub async fn unreceived(state: &AppState, limit: i64) -> Result<Vec<String>, ApiError> {
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT id FROM fitconnect_submissions
                 WHERE status = 'submitted' AND received_at IS NULL
                 ORDER BY submitted_at, rowid LIMIT ?1",
            )?;
            let rows = stmt
                .query_map(params![limit], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await?)
}

/// Records that the subscriber received a `submitted` submission; with
/// `rejection` (a signed `reject-submission`) it becomes `rejected` and the
/// event is appended, in the same transaction. False if it was received
/// already or is no longer `submitted`.
pub async fn mark_received(
    state: &AppState,
    id: &str,
    case_id: &str,
    rejection: Option<String>,
) -> Result<bool, ApiError> {
    let (id, case_id) = (id.to_string(), case_id.to_string());
    let at = now();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let n = match &rejection {
                None => tx.execute(
                    "UPDATE fitconnect_submissions SET received_at = ?2
                     WHERE id = ?1 AND status = 'submitted' AND received_at IS NULL",
                    params![id, at],
                )?,
                Some(jws) => {
                    let n = tx.execute(
                        "UPDATE fitconnect_submissions SET received_at = ?2, status = 'rejected'
                         WHERE id = ?1 AND status = 'submitted' AND received_at IS NULL",
                        params![id, at],
                    )?;
                    if n == 1 {
                        super::log::insert(&tx, &case_id, &id, jws, at)?;
                    }
                    n
                }
            };
            tx.commit()?;
            Ok(n == 1)
        })
        .await?)
}

/// Ids and case ids of submissions in `status` whose `column` time is at or
/// before `cutoff` (deadline sweep).
pub async fn overdue(
    state: &AppState,
    status: &'static str,
    column: &'static str,
    cutoff: i64,
) -> Result<Vec<(String, String)>, ApiError> {
    let sql = match column {
        "submitted_at" => {
            "SELECT id, case_id FROM fitconnect_submissions
             WHERE status = ?1 AND submitted_at IS NOT NULL AND submitted_at <= ?2"
        }
        _ => {
            "SELECT id, case_id FROM fitconnect_submissions
             WHERE status = ?1 AND created_at <= ?2"
        }
    };
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(sql)?;
            let rows = stmt
                .query_map(params![status, cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, String)>, _>>()?;
            Ok(rows)
        })
        .await?)
}

/// Deletes an `incomplete` submission's content (attachments, any
/// ciphertext) and marks it `deleted`, appending `event`
/// (`delete-submission`) in the same transaction. The row stays so the
/// citizen's list and event log can say what happened. False if it was no
/// longer `incomplete`.
pub async fn delete_incomplete(
    state: &AppState,
    id: &str,
    case_id: &str,
    event: String,
) -> Result<bool, ApiError> {
    let (id, case_id) = (id.to_string(), case_id.to_string());
    let at = now();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE fitconnect_submissions
                 SET status = 'deleted', encrypted_metadata = NULL, encrypted_data = NULL
                 WHERE id = ?1 AND status = 'incomplete'",
                params![id],
            )?;
            if n == 1 {
                tx.execute(
                    "DELETE FROM fitconnect_attachments WHERE submission_id = ?1",
                    params![id],
                )?;
                super::log::insert(&tx, &case_id, &id, &event, at)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await?)
}

/// Sets `status` if it is currently `from`, appending `event` in the same
/// transaction; false if the status was something else.
pub async fn transition(
    state: &AppState,
    id: &str,
    case_id: &str,
    from: &'static str,
    to: &'static str,
    event: Option<String>,
) -> Result<bool, ApiError> {
    let (id, case_id) = (id.to_string(), case_id.to_string());
    let at = now();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE fitconnect_submissions SET status = ?3 WHERE id = ?1 AND status = ?2",
                params![id, from, to],
            )?;
            if n == 1 {
                if let Some(jws) = event {
                    super::log::insert(&tx, &case_id, &id, &jws, at)?;
                }
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await?)
}
