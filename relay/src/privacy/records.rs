//! Everything the relay stores about one citizen: read for the export, and
//! deleted in one transaction.

use serde_json::Value;

use crate::db::{params, Connection};
use crate::session;

// ---------------------------------------------------------------------------
// Reading: everything stored about one citizen.

/// One stored session, without its secrets (cookie hash, tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id_hash: String,
    pub public_id: String,
    pub device: String,
    pub level: String,
    pub method: String,
    pub attributes: Value,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub max_expires_at: i64,
    pub extensions: i64,
}

/// One stored submission record (an application, or a follow-up when
/// `follows` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    pub submission_id: String,
    pub case_id: String,
    pub reference: String,
    pub service_name: String,
    pub service_identifier: String,
    pub destination_id: String,
    pub destination_name: String,
    pub level: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub sent_tags: Value,
    pub follows: Option<String>,
}

/// One stored disclosure row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDisclosure {
    pub submission_id: String,
    pub attribute: String,
}

/// Everything the relay stores keyed by one citizen's `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stored {
    pub sessions: Vec<StoredSession>,
    pub submissions: Vec<StoredSubmission>,
    pub disclosures: Vec<StoredDisclosure>,
}

/// Reads every row the relay holds about `sub`, in one transaction (a
/// consistent picture).
pub fn stored(c: &mut Connection, sub: &str) -> crate::db::Result<Stored> {
    let tx = c.transaction()?;
    let sessions = {
        let mut stmt = tx.prepare(
            "SELECT id_hash, public_id, device, level, method, attributes, created_at,
                    last_seen_at, expires_at, max_expires_at, extensions
             FROM relay_sessions WHERE sub = ?1 ORDER BY created_at DESC, public_id",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            let attributes: String = r.get(5)?;
            Ok(StoredSession {
                id_hash: r.get(0)?,
                public_id: r.get(1)?,
                device: r.get(2)?,
                level: r.get(3)?,
                method: r.get(4)?,
                attributes: serde_json::from_str(&attributes).unwrap_or(Value::Array(vec![])),
                created_at: r.get(6)?,
                last_seen_at: r.get(7)?,
                expires_at: r.get(8)?,
                max_expires_at: r.get(9)?,
                extensions: r.get(10)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let submissions = {
        let mut stmt = tx.prepare(
            "SELECT submission_id, case_id, reference, service_name, service_identifier,
                    destination_id, destination_name, level, created_at, submitted_at,
                    sent_tags, follows
             FROM relay_submissions WHERE sub = ?1
             ORDER BY created_at DESC, announced_ms DESC, submission_id",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            let tags: String = r.get(10)?;
            Ok(StoredSubmission {
                submission_id: r.get(0)?,
                case_id: r.get(1)?,
                reference: r.get(2)?,
                service_name: r.get(3)?,
                service_identifier: r.get(4)?,
                destination_id: r.get(5)?,
                destination_name: r.get(6)?,
                level: r.get(7)?,
                created_at: r.get(8)?,
                submitted_at: r.get(9)?,
                sent_tags: serde_json::from_str(&tags).unwrap_or(Value::Object(Default::default())),
                follows: r.get(11)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let disclosures = {
        let mut stmt = tx.prepare(
            "SELECT submission_id, attribute FROM relay_disclosures WHERE sub = ?1
             ORDER BY submission_id, position",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            Ok(StoredDisclosure {
                submission_id: r.get(0)?,
                attribute: r.get(1)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    tx.commit()?;
    Ok(Stored {
        sessions,
        submissions,
        disclosures,
    })
}

// ---------------------------------------------------------------------------
// Deleting: everything about one citizen, in one transaction.

/// What [`delete_all`] removed, and the ID tokens of the sessions that were
/// still live (to end them at the identity provider too).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deleted {
    pub id_tokens: Vec<String>,
    pub sessions: u32,
    pub applications: u32,
    pub follow_ups: u32,
    pub disclosures: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Deletes every row the relay holds about `sub`: sessions (on every
/// device), application and follow-up records, disclosure entries, the
/// attachment bytes counted for their quota. One
/// transaction: all of it or nothing.
pub fn delete_all(c: &mut Connection, sub: &str) -> crate::db::Result<Deleted> {
    let tx = c.transaction()?;
    let id_tokens = {
        let mut stmt = tx.prepare(
            "SELECT id_token FROM relay_sessions
             WHERE sub = ?1 AND expires_at > ?2 AND max_expires_at > ?2",
        )?;
        let rows = stmt.query_map(params![sub, session::now()], |r| r.get::<_, String>(0))?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let sessions = tx.execute(
        "DELETE FROM relay_sessions WHERE sub = ?1 AND expires_at > ?2 AND max_expires_at > ?2",
        params![sub, session::now()],
    )?;
    // Ended ones (not swept yet) go too; they are not counted as ended now.
    tx.execute("DELETE FROM relay_sessions WHERE sub = ?1", params![sub])?;
    let disclosures = tx.execute("DELETE FROM relay_disclosures WHERE sub = ?1", params![sub])?;
    // The fees' records (`crate::payment`); the provider keeps its bookings.
    tx.execute("DELETE FROM relay_payments WHERE sub = ?1", params![sub])?;
    // The notice settings, devices, seen signals, queued notices (`crate::notify`).
    crate::notify::store::delete_all(&tx, sub)?;
    // Mandates (`crate::mandates`): ended in both roles, the grantor's
    // snapshot and the citizen's code deleted; the mandate and its use log
    // stay for the other party until their retention ends.
    crate::mandates::store::end_all_of(&tx, sub, session::now())?;
    // The attachment bytes counted for the quota of open applications
    // (`crate::limits`), keyed by the submissions about to go.
    tx.execute(
        "DELETE FROM relay_attachment_bytes WHERE submission_id IN (
             SELECT submission_id FROM relay_submissions WHERE sub = ?1)",
        params![sub],
    )?;
    let follow_ups = tx.execute(
        "DELETE FROM relay_submissions WHERE sub = ?1 AND follows IS NOT NULL",
        params![sub],
    )?;
    let applications = tx.execute("DELETE FROM relay_submissions WHERE sub = ?1", params![sub])?;
    tx.commit()?;
    Ok(Deleted {
        id_tokens,
        sessions: count(sessions),
        applications: count(applications),
        follow_ups: count(follow_ups),
        disclosures: count(disclosures),
    })
}
