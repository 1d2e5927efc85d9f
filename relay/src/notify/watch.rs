//! The watcher: where notices come from. Only for citizens with a channel
//! that notices reach (a confirmed address or a device), it looks at each
//! of their forwarded, submitted applications (`relay_submissions`) that is
//! not finished:
//!
//! * FIT-Connect's event log of the case (`GET /v1/cases/{case}/events`,
//!   the sender's token): `accept-submission` and `reject-submission`,
//!   keyed by the SET's `jti`;
//! * the ZBP's status of the application (`GET
//!   /v1/applications/{submissionId}/status`, the service token, the
//!   stored `mailboxUuid`, `Zbp-Trust-Level: STORK-QAA-Level-1`: the lowest
//!   on purpose, the relay never reads a locked status's words, it only
//!   learns that one came): RECEIVED, PROCESSING, ACTION_REQUIRED and
//!   COMPLETED, keyed by application, status, `createdDate` and
//!   `messageId`.
//!
//! A key is a signal once per citizen (`relay_notify_seen`, unique). The
//! first look at a case submitted before the citizen's notices were on
//! (and at every case after notices were switched on again) only marks
//! what is there as seen; a case submitted while they were on counts from
//! its first look, so an authority that answers before the watcher's next
//! pass is not missed. A case is no longer watched 30 days
//! after its COMPLETED. One instance watches at a time (a lease in
//! `relay_notify_lease`); each pass looks at `cases_per_pass` cases, those
//! looked at longest ago first; an upstream error leaves the case for the
//! next pass.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::encoding::url_encode;

use super::outbox::{self, Origin};
use crate::db::{params, Connection, OptionalExtension};
use crate::error::{RelayError, UpstreamError};
use crate::postbox::{LEVEL_HEADER, MAILBOX_HEADER};
use crate::session;
use crate::upstream::Call;
use crate::RelayState;

/// A finished case is watched this long after its COMPLETED.
pub const AFTER_COMPLETED_SECS: i64 = 30 * 86_400;
/// The statuses that are signals (INITIATED and SUBMITTED are the
/// citizen's own doing).
const STATUSES: &[&str] = &["RECEIVED", "PROCESSING", "ACTION_REQUIRED", "COMPLETED"];
/// The level named to the ZBP (docs: above).
const WATCH_LEVEL: &str = "STORK-QAA-Level-1";

/// Takes (or keeps) the watcher's lease: true if this instance may watch.
pub fn lease(c: &Connection, holder: &str, now: i64, secs: i64) -> crate::db::Result<bool> {
    let n = c.execute(
        "INSERT INTO relay_notify_lease (name, holder, until_at) VALUES ('watch', ?1, ?2)
         ON CONFLICT (name) DO UPDATE SET holder = ?1, until_at = ?2
         WHERE relay_notify_lease.until_at < ?3 OR relay_notify_lease.holder = ?1",
        params![holder, now + secs, now],
    )?;
    Ok(n == 1)
}

/// The active-citizen condition on a `sub` column.
const ACTIVE: &str =
    "(EXISTS (SELECT 1 FROM relay_notify_email e WHERE e.sub = {s} AND e.confirmed = 1)
     OR EXISTS (SELECT 1 FROM relay_notify_devices d WHERE d.sub = {s}))";

fn active(col: &str) -> String {
    ACTIVE.replace("{s}", col)
}

/// One case to look at.
#[derive(Debug, Clone)]
struct Case {
    submission_id: String,
    sub: String,
    case_id: String,
    mailbox: Option<String>,
}

/// New cases of active citizens into the watch list, finished ones out;
/// the cases due now.
fn due(c: &Connection, now: i64, limit: i64) -> crate::db::Result<Vec<Case>> {
    c.execute(
        &format!(
            "INSERT INTO relay_notify_watch (submission_id, sub, case_id, primed)
             SELECT s.submission_id, s.sub, s.case_id,
                    CASE WHEN EXISTS (SELECT 1 FROM relay_notify_devices d
                                      WHERE d.sub = s.sub AND d.created_at < s.submitted_at)
                           OR EXISTS (SELECT 1 FROM relay_notify_email e
                                      WHERE e.sub = s.sub AND e.confirmed = 1
                                        AND e.created_at < s.submitted_at)
                         THEN 1 ELSE 0 END
             FROM relay_submissions s
             WHERE s.follows IS NULL AND s.submitted_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM relay_notify_watch w
                               WHERE w.submission_id = s.submission_id)
               AND {}",
            active("s.sub")
        ),
        params![],
    )?;
    c.execute(
        "DELETE FROM relay_notify_watch WHERE completed_at IS NOT NULL AND completed_at <= ?1",
        params![now - AFTER_COMPLETED_SECS],
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT w.submission_id, w.sub, w.case_id, n.mailbox_uuid
         FROM relay_notify_watch w LEFT JOIN relay_notify_citizens n ON n.sub = w.sub
         WHERE {}
         ORDER BY w.checked_at, w.submission_id LIMIT ?1",
        active("w.sub")
    ))?;
    let rows = stmt.query_map(params![limit], |r| {
        Ok(Case {
            submission_id: r.get(0)?,
            sub: r.get(1)?,
            case_id: r.get(2)?,
            mailbox: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// The claims of a compact JWS, unverified: a signal only makes the relay
/// send a notice without content, and the log comes from FIT-Connect over
/// the relay's own authenticated connection.
fn set_claims(jws: &str) -> Option<serde_json::Value> {
    let payload = jws.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// The case's accept and reject events: `fit:<jti>`.
async fn events(st: &RelayState, case: &str) -> Result<Vec<String>, UpstreamError> {
    let path = format!("/v1/cases/{}/events?offset=0&limit=500", url_encode(case));
    let Some(log) = st.shared.fitconnect.get_json(&path, "event log").await? else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for set in log["eventLog"].as_array().into_iter().flatten() {
        let Some(claims) = set.as_str().and_then(set_claims) else {
            continue;
        };
        let decided = claims["events"].as_object().is_some_and(|e| {
            e.keys()
                .any(|k| k.ends_with("/accept-submission") || k.ends_with("/reject-submission"))
        });
        if let (true, Some(jti)) = (decided, claims["jti"].as_str()) {
            keys.push(format!("fit:{jti}"));
        }
    }
    Ok(keys)
}

/// The application's statuses at the ZBP: `zbp:<app>:<status>:<created>:<message>`,
/// and whether it is COMPLETED.
async fn statuses(
    st: &RelayState,
    submission: &str,
    mailbox: &str,
) -> Result<(Vec<String>, bool), UpstreamError> {
    let path = format!("/v1/applications/{}/status", url_encode(submission));
    let a = st
        .shared
        .zbp
        .call(Call {
            headers: vec![
                (MAILBOX_HEADER, mailbox.to_string()),
                (LEVEL_HEADER, WATCH_LEVEL.to_string()),
            ],
            ..Call::get(&path)
        })
        .await?;
    if a.status == 404 {
        return Ok((Vec::new(), false));
    }
    if !(200..300).contains(&a.status) {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        });
    }
    let v: serde_json::Value = serde_json::from_slice(&a.body)
        .map_err(|e| UpstreamError::Malformed(format!("application status: {e}")))?;
    let (mut keys, mut completed) = (Vec::new(), false);
    for s in v["statuses"].as_array().into_iter().flatten() {
        let status = s["status"].as_str().unwrap_or("");
        if !STATUSES.contains(&status) {
            continue;
        }
        completed |= status == "COMPLETED";
        let part = |k: &str| s[k].as_str().unwrap_or("").to_string();
        keys.push(format!(
            "zbp:{}:{status}:{}:{}",
            part("applicationId"),
            part("createdDate"),
            part("messageId")
        ));
    }
    Ok((keys, completed))
}

/// Marks `key` seen for `sub`; true when it is new.
pub fn seen(
    c: &Connection,
    sub: &str,
    key: &str,
    case: Option<&str>,
    now: i64,
) -> crate::db::Result<bool> {
    let n = c.execute(
        "INSERT INTO relay_notify_seen (sub, signal, case_id, seen_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sub, signal) DO NOTHING",
        params![sub, key, case, now],
    )?;
    Ok(n == 1)
}

/// Records what a look at the case found; queues a notice for anything new
/// (unless this was the first look).
fn record(
    c: &mut Connection,
    case: &Case,
    keys: &[String],
    completed: bool,
    now: i64,
    window: i64,
) -> crate::db::Result<usize> {
    let tx = c.transaction()?;
    let primed: Option<bool> = tx
        .query_row(
            "SELECT primed FROM relay_notify_watch WHERE submission_id = ?1",
            params![case.submission_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(primed) = primed else {
        tx.commit()?;
        return Ok(0);
    };
    let mut fresh = 0;
    for k in keys {
        if seen(&tx, &case.sub, k, Some(&case.case_id), now)? {
            fresh += 1;
        }
    }
    if primed && fresh > 0 {
        outbox::enqueue(&tx, &case.sub, Origin::Upstream, now, window)?;
    }
    tx.execute(
        "UPDATE relay_notify_watch SET primed = 1, checked_at = ?2,
             completed_at = CASE WHEN ?3 = 1 AND completed_at IS NULL THEN ?2 ELSE completed_at END
         WHERE submission_id = ?1",
        params![case.submission_id, now, i64::from(completed)],
    )?;
    tx.commit()?;
    Ok(if primed { fresh } else { 0 })
}

async fn look(st: &RelayState, case: &Case) -> Result<(Vec<String>, bool), UpstreamError> {
    let mut keys = events(st, &case.case_id).await?;
    let mut completed = false;
    if let Some(mailbox) = &case.mailbox {
        let (more, done) = statuses(st, &case.submission_id, mailbox).await?;
        keys.extend(more);
        completed = done;
    }
    Ok((keys, completed))
}

/// One watch pass (if this instance holds the lease): how many new signals.
pub async fn pass(st: &RelayState) -> Result<usize, RelayError> {
    let cfg = &st.shared.config.notify;
    let holder = st.shared.notify.holder.clone();
    let interval = i64::try_from(cfg.watch_interval_secs).unwrap_or(15);
    let lease_secs = (interval * 4).max(60);
    let limit = i64::try_from(cfg.cases_per_pass).unwrap_or(200);
    let window = i64::try_from(cfg.batch_window_secs).unwrap_or(20);
    let cases = st
        .db
        .call(move |c| {
            if !lease(c, &holder, session::now(), lease_secs)? {
                return Ok(Vec::new());
            }
            due(c, session::now(), limit)
        })
        .await?;
    let mut signals = 0;
    for case in cases {
        let found = look(st, &case).await;
        let now = session::now();
        let case2 = case.clone();
        match found {
            Ok((keys, completed)) => {
                signals += st
                    .db
                    .call(move |c| record(c, &case2, &keys, completed, now, window))
                    .await?;
            }
            Err(e) => {
                tracing::warn!(error = %e, "notices: a case could not be looked at; next pass again");
                st.db
                    .call(move |c| {
                        c.execute(
                            "UPDATE relay_notify_watch SET checked_at = ?2 WHERE submission_id = ?1",
                            params![case2.submission_id, now],
                        )
                    })
                    .await?;
            }
        }
    }
    Ok(signals)
}

/// A signal of the relay's own records (a payment made final): once per
/// key, only for a citizen whose notices are on.
pub fn own_signal(
    c: &mut Connection,
    sub: &str,
    key: &str,
    case: Option<&str>,
    now: i64,
    window: i64,
) -> crate::db::Result<bool> {
    let tx = c.transaction()?;
    if !super::store::is_active(&tx, sub)? || !seen(&tx, sub, key, case, now)? {
        tx.commit()?;
        return Ok(false);
    }
    outbox::enqueue(&tx, sub, Origin::Own, now, window)?;
    tx.commit()?;
    Ok(true)
}
