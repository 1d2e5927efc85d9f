//! Retention: the sweep that deletes what is kept longer than
//! `contract::relay::retention` allows.

use std::time::Duration;

use contract::relay::retention;

use super::StoredSubmission;
use crate::db::{params, Connection, Db};
use crate::session;

/// What one [`sweep`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    pub sessions: usize,
    pub login_transactions: usize,
    pub submissions: usize,
    pub disclosures: usize,
}

impl Swept {
    pub fn any(&self) -> bool {
        self.sessions + self.login_transactions + self.submissions + self.disclosures > 0
    }
}

/// Removes what is past its retention period at `now` (Unix seconds):
/// * sessions that ended (their end or their hard limit passed);
/// * login transactions past their 15 minutes;
/// * cases (an application with its follow-ups) in which something was
///   sent, [`retention::CASE_DAYS`] after the last thing sent or announced
///   in the case; cases in which nothing was ever sent,
///   [`retention::UNSENT_DAYS`] after the last announcement;
/// * disclosure entries [`retention::DISCLOSURE_DAYS`] after their
///   application was sent, and any whose record is gone.
///
/// Every statement deletes by a condition on `now`, so several relay
/// instances may sweep at the same time: whoever comes second finds
/// nothing left (SQLite serialises the writers; PostgreSQL's row locks
/// make a concurrent DELETE of the same rows wait and then skip them).
pub fn sweep(c: &mut Connection, now: i64) -> crate::db::Result<Swept> {
    let tx = c.transaction()?;
    let sessions = tx.execute(
        "DELETE FROM relay_sessions WHERE expires_at <= ?1 OR max_expires_at <= ?1",
        params![now],
    )?;
    let login_transactions = tx.execute(
        "DELETE FROM relay_login_tx WHERE expires_at <= ?1",
        params![now],
    )?;
    let submissions = tx.execute(
        "DELETE FROM relay_submissions WHERE case_id IN (
             SELECT case_id FROM relay_submissions GROUP BY case_id
             HAVING (COUNT(submitted_at) > 0 AND MAX(CASE
                         WHEN submitted_at IS NOT NULL AND submitted_at > created_at
                         THEN submitted_at ELSE created_at END) <= ?1)
                 OR (COUNT(submitted_at) = 0 AND MAX(created_at) <= ?2))",
        params![
            now - retention::days(retention::CASE_DAYS),
            now - retention::days(retention::UNSENT_DAYS)
        ],
    )?;
    let expired = tx.execute(
        "DELETE FROM relay_disclosures WHERE submission_id IN (
             SELECT submission_id FROM relay_submissions
             WHERE submitted_at IS NOT NULL AND submitted_at <= ?1)",
        params![now - retention::days(retention::DISCLOSURE_DAYS)],
    )?;
    // A fee's record goes with its application's record.
    tx.execute(
        "DELETE FROM relay_payments WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_payments.submission_id)",
        params![],
    )?;
    // Notices (`crate::notify`): seen signals and watched cases go with
    // their case's record; stale choices and citizens without any.
    crate::notify::store::sweep(&tx, now)?;
    // Mandates (`crate::mandates::store::sweep`): codes, snapshots of ended
    // mandates, ended mandates and uses after their period.
    crate::mandates::store::sweep(&tx, now)?;
    let orphans = tx.execute(
        "DELETE FROM relay_disclosures WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_disclosures.submission_id)",
        params![],
    )?;
    tx.commit()?;
    Ok(Swept {
        sessions,
        login_transactions,
        submissions,
        disclosures: expired + orphans,
    })
}

/// Runs [`sweep`] now and then every [`retention::SWEEP_MINUTES`], in the
/// background, for as long as the runtime lives. Started once per relay
/// instance ([`RelayState::with_db`]); instances sharing the database may
/// all run it.
pub fn spawn_sweep(db: Db) {
    tokio::spawn(async move {
        let period = Duration::from_secs(retention::SWEEP_MINUTES.unsigned_abs() * 60);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match db.call(|c| sweep(c, session::now())).await {
                Ok(s) if s.any() => tracing::info!(
                    sessions = s.sessions,
                    login_transactions = s.login_transactions,
                    submissions = s.submissions,
                    disclosures = s.disclosures,
                    "retention sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; next time again"),
            }
        }
    });
}

/// When the record of the case of `rows` (all rows of one case) is due for
/// deletion under [`sweep`]'s rule.
pub fn case_kept_until(rows: &[&StoredSubmission]) -> Option<i64> {
    let last_sent = rows
        .iter()
        .filter_map(|r| r.submitted_at.map(|s| s.max(r.created_at)))
        .max();
    let last_announced = rows.iter().map(|r| r.created_at).max()?;
    Some(match last_sent {
        Some(sent) => sent.max(last_announced) + retention::days(retention::CASE_DAYS),
        None => last_announced + retention::days(retention::UNSENT_DAYS),
    })
}
