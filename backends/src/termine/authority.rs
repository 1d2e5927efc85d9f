//! The office's side: the day's appointments per counter, and blocked
//! times (closures). A block cancels the bookings it covers (each gets a
//! notice in the outbox) and drops the holds.

use contract::termine as t;
use rusqlite::{params, TransactionBehavior};

use super::book::notice;
use super::offices;
use super::store::{self, Row};
use crate::{ApiError, AppState};

/// A block to add: `counter` `None` closes every counter.
#[derive(Debug, Clone)]
pub struct NewBlock {
    pub office: String,
    pub counter: Option<i64>,
    pub start: i64,
    pub end: i64,
    pub reason: String,
    pub created_by: String,
}

/// What a block did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub block_id: i64,
    /// References of the bookings it cancelled.
    pub cancelled: Vec<String>,
    /// Holds it released.
    pub released_holds: usize,
}

/// Adds a block and cancels what it covers, in one transaction.
pub async fn block(state: &AppState, b: NewBlock, now: i64) -> Result<Blocked, ApiError> {
    let o = offices::office(&b.office).ok_or(ApiError::NotFound)?;
    if b.end <= b.start {
        return Err(ApiError::Unprocessable(
            "the end must be after the start".into(),
        ));
    }
    if b.counter
        .is_some_and(|k| k < 1 || k > i64::from(o.counters))
    {
        return Err(ApiError::Unprocessable("no such counter".into()));
    }
    let reason = b.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::Unprocessable(
            "a reason is required (at most 500 characters)".into(),
        ));
    }
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO termine_blocks (office, counter, start_at, end_at, reason, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![b.office, b.counter, b.start, b.end, reason, b.created_by, now],
            )?;
            let block_id = tx.last_insert_rowid();
            let hit = |r: &Row| b.counter.is_none_or(|k| k == r.counter);
            let affected: Vec<Row> = {
                let mut st = tx.prepare(
                    "SELECT id FROM termine_appointments
                     WHERE office = ?1 AND start_at < ?3 AND end_at > ?2 AND state IN ('held', 'booked')",
                )?;
                let ids: Vec<String> = st
                    .query_map(params![b.office, b.start, b.end], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut rows = Vec::new();
                for id in ids {
                    if let Some(r) = store::by_id(&tx, &id)? {
                        rows.push(r);
                    }
                }
                rows.into_iter().filter(hit).collect()
            };
            let mut cancelled = Vec::new();
            let mut released_holds = 0;
            for r in affected {
                if r.state == "held" {
                    tx.execute("DELETE FROM termine_appointments WHERE id = ?1", params![r.id])?;
                    released_holds += 1;
                    continue;
                }
                tx.execute(
                    "UPDATE termine_appointments SET state = 'cancelled_by_office', cancelled_at = ?2,
                        cancel_reason = ?3 WHERE id = ?1",
                    params![r.id, now, reason],
                )?;
                tx.execute("DELETE FROM termine_units WHERE appointment_id = ?1", params![r.id])?;
                if let Some(r) = store::by_id(&tx, &r.id)? {
                    notice(&tx, &r, "Termin von der Behörde abgesagt", now)?;
                }
                cancelled.extend(r.reference);
            }
            tx.commit()?;
            Ok(Blocked {
                block_id,
                cancelled,
                released_holds,
            })
        })
        .await?)
}

/// One line of the day's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEntry {
    pub counter: i64,
    pub start: String,
    pub end: String,
    pub reference: String,
    pub service: String,
    pub name: String,
    pub persons: i64,
    pub cancelled: bool,
}

/// The bookings of `office` on `day` (Berlin), by counter and time, and the
/// day's blocks: (counter or all, start, end, reason).
pub async fn day(
    state: &AppState,
    office: &str,
    day: i64,
) -> Result<(Vec<DayEntry>, Vec<(Option<i64>, String, String, String)>), ApiError> {
    let o = offices::office(office).ok_or(ApiError::NotFound)?;
    let from = t::local_to_unix(day, 0).ok_or(ApiError::NotFound)?;
    let to = t::local_to_unix(day + 1, 0).ok_or(ApiError::NotFound)?;
    let id = o.id().to_string();
    let (rows, blocks) = state
        .db
        .call(move |c| {
            let rows = store::of_office(c, &id, from, to)?;
            let mut st = c.prepare(
                "SELECT counter, start_at, end_at, reason FROM termine_blocks
                 WHERE office = ?1 AND start_at < ?3 AND end_at > ?2 ORDER BY start_at",
            )?;
            let blocks = st
                .query_map(params![id, from, to], |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, blocks))
        })
        .await?;
    let entries = rows
        .into_iter()
        .map(|r| DayEntry {
            counter: r.counter,
            start: t::rfc3339(r.start_at),
            end: t::rfc3339(r.end_at),
            reference: r.reference.unwrap_or_default(),
            service: o
                .service(&r.service)
                .map(|s| s.name.clone())
                .unwrap_or(r.service),
            name: r.name.unwrap_or_default(),
            persons: r.persons,
            cancelled: r.state == "cancelled_by_office",
        })
        .collect();
    let blocks = blocks
        .into_iter()
        .map(|(k, s, e, why)| (k, t::rfc3339(s), t::rfc3339(e), why))
        .collect();
    Ok((entries, blocks))
}

/// The outbox: notices of the appointment with this reference
/// ((e-mail, subject, body), oldest first).
pub async fn notices_of(
    state: &AppState,
    reference: &str,
) -> Result<Vec<(String, String, String)>, ApiError> {
    let reference = reference.to_string();
    Ok(state
        .db
        .call(move |c| {
            let id: Option<String> = rusqlite::OptionalExtension::optional(c.query_row(
                "SELECT id FROM termine_appointments WHERE reference = ?1",
                params![reference],
                |r| r.get(0),
            ))?;
            match id {
                Some(id) => store::notices(c, &id),
                None => Ok(Vec::new()),
            }
        })
        .await?)
}
