//! Appointments the office cancelled (a closure at the appointment
//! system): an own-record signal of the relay. For citizens whose notices
//! are on, each pass asks the appointment system for their bookings (`GET
//! /v1/bookings` with `termine-citizen`, as "Meine Termine" does) and
//! takes every `cancelledByOffice` booking as a signal, keyed by its
//! reference. A citizen's own cancellations (`cancelled`) are none. The
//! first look after notices were switched on only marks what is there as
//! seen (the marker key `termine:primed`). At most `cases_per_pass`
//! citizens per pass, in turn (a cursor per instance).

use contract::termine::{BookingList, BookingStatus, CITIZEN_HEADER};

use super::outbox::{self, Origin};
use super::watch::seen;
use crate::db::{params, Connection};
use crate::error::UpstreamError;
use crate::session;
use crate::upstream::Call;
use crate::RelayState;

/// Marks that a citizen's bookings were looked at once since notices were on.
pub const PRIMED: &str = "termine:primed";

/// Active citizens after `cursor` (wrapping around), at most `limit`.
fn citizens(c: &Connection, cursor: &str, limit: i64) -> crate::db::Result<Vec<String>> {
    let query = "SELECT n.sub FROM relay_notify_citizens n
         WHERE n.sub > ?1
           AND (EXISTS (SELECT 1 FROM relay_notify_email e WHERE e.sub = n.sub AND e.confirmed = 1)
                OR EXISTS (SELECT 1 FROM relay_notify_devices d WHERE d.sub = n.sub))
         ORDER BY n.sub LIMIT ?2";
    let read = |from: &str| -> crate::db::Result<Vec<String>> {
        let mut stmt = c.prepare(query)?;
        let rows = stmt.query_map(params![from, limit], |r| r.get(0))?;
        rows.collect()
    };
    let mut subs = read(cursor)?;
    if subs.is_empty() && !cursor.is_empty() {
        subs = read("")?;
    }
    Ok(subs)
}

async fn cancelled_by_office(st: &RelayState, sub: &str) -> Result<Vec<String>, UpstreamError> {
    let a = st
        .shared
        .termine
        .call(Call {
            headers: vec![(CITIZEN_HEADER, sub.to_string())],
            ..Call::get("/v1/bookings")
        })
        .await?;
    if a.status == 404 {
        return Ok(Vec::new());
    }
    if !(200..300).contains(&a.status) {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        });
    }
    let list: BookingList = serde_json::from_slice(&a.body)
        .map_err(|e| UpstreamError::Malformed(format!("bookings: {e}")))?;
    Ok(list
        .bookings
        .into_iter()
        .filter(|b| b.status == BookingStatus::CancelledByOffice)
        .map(|b| format!("termine:{}:cancelledByOffice", b.reference))
        .collect())
}

fn record(
    c: &mut Connection,
    sub: &str,
    keys: &[String],
    now: i64,
    window: i64,
) -> crate::db::Result<usize> {
    let tx = c.transaction()?;
    if !super::store::is_active(&tx, sub)? {
        tx.commit()?;
        return Ok(0);
    }
    let primed = !seen(&tx, sub, PRIMED, None, now)?;
    let mut fresh = 0;
    for k in keys {
        if seen(&tx, sub, k, None, now)? {
            fresh += 1;
        }
    }
    if primed && fresh > 0 {
        outbox::enqueue(&tx, sub, Origin::Own, now, window)?;
    }
    tx.commit()?;
    Ok(if primed { fresh } else { 0 })
}

/// One look at the appointments of the next citizens: new signals.
pub async fn pass(st: &RelayState) -> Result<usize, crate::RelayError> {
    let cfg = &st.shared.config.notify;
    let limit = i64::try_from(cfg.cases_per_pass).unwrap_or(200);
    let window = i64::try_from(cfg.batch_window_secs).unwrap_or(20);
    let cursor = st
        .shared
        .notify
        .termine_cursor
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let subs = st.db.call(move |c| citizens(c, &cursor, limit)).await?;
    let mut signals = 0;
    for sub in subs {
        if let Ok(mut c) = st.shared.notify.termine_cursor.lock() {
            c.clone_from(&sub);
        }
        match cancelled_by_office(st, &sub).await {
            Ok(keys) => {
                let now = session::now();
                signals += st
                    .db
                    .call(move |c| record(c, &sub, &keys, now, window))
                    .await?;
            }
            Err(e) => {
                tracing::warn!(error = %e, "notices: appointments could not be read; next pass again")
            }
        }
    }
    Ok(signals)
}
