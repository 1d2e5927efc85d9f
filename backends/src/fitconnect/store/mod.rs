//! SQLite tables of the Zustelldienst. Only JWE strings (ciphertext) and
//! signed events are stored, never decrypted content: nothing here holds or
//! asks for a private key.
//!
//! The bottom layer of `fitconnect`: it imports none of the services above
//! it (`authority`, `subscriber`, `deadline`). This file: the tables and the
//! sender's side (announce, upload, submit); [`inbox`]: what the authority
//! reads and decides; [`log`]: the event log.

mod inbox;
mod log;

pub use inbox::{
    delete_incomplete, follow_ups, inbox, inbox_entry, mark_received, overdue, transition,
    unreceived, InboxEntry,
};
pub use log::{complete_events, events, pending_events, purge_events};

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::events::{now, random_uuid};
use crate::{db::Db, ApiError, AppState};

const MIGRATIONS: [&str; 5] = [
    "
CREATE TABLE fitconnect_submissions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    citizen TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    leika TEXT NOT NULL,
    service_name TEXT NOT NULL,
    announced TEXT NOT NULL,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT NOT NULL,
    encrypted_metadata TEXT,
    encrypted_data TEXT,
    created_at INTEGER NOT NULL,
    submitted_at INTEGER,
    UNIQUE (citizen, idempotency_key)
);
CREATE TABLE fitconnect_attachments (
    submission_id TEXT NOT NULL REFERENCES fitconnect_submissions(id) ON DELETE CASCADE,
    attachment_id TEXT NOT NULL,
    jwe TEXT NOT NULL,
    PRIMARY KEY (submission_id, attachment_id)
);
CREATE TABLE fitconnect_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    jws TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX fitconnect_events_case ON fitconnect_events(case_id, seq);
",
    "
ALTER TABLE fitconnect_submissions ADD COLUMN disclosed TEXT NOT NULL DEFAULT '[]';
CREATE INDEX fitconnect_submissions_citizen ON fitconnect_submissions(citizen, created_at);
CREATE INDEX fitconnect_submissions_status ON fitconnect_submissions(status);
CREATE INDEX fitconnect_events_created ON fitconnect_events(created_at);
CREATE TABLE fitconnect_disclosures (
    submission_id TEXT NOT NULL REFERENCES fitconnect_submissions(id) ON DELETE CASCADE,
    citizen TEXT NOT NULL,
    position INTEGER NOT NULL,
    attribute TEXT NOT NULL,
    destination_name TEXT NOT NULL,
    service_name TEXT NOT NULL,
    disclosed_at INTEGER NOT NULL,
    PRIMARY KEY (submission_id, attribute)
);
CREATE INDEX fitconnect_disclosures_citizen ON fitconnect_disclosures(citizen, disclosed_at);
",
    // When the authority's subscriber fetched and checked a submission
    // (NULL: submitted, not yet received). Handed in before this step means
    // checked at once, as the old request path did.
    "
ALTER TABLE fitconnect_submissions ADD COLUMN received_at INTEGER;
UPDATE fitconnect_submissions SET received_at = submitted_at
 WHERE status IN ('submitted', 'accepted', 'rejected');
",
    // A case holds several submissions (follow-ups, #17): `case_id` loses
    // its UNIQUE, `follows` names the case's application (NULL: the
    // application itself). SQLite cannot drop a constraint, so the table is
    // rebuilt with its two child tables, every row kept. The children are
    // rebuilt first against the new table, so dropping the old one cascades
    // into nothing; the renames then carry the references along.
    "
CREATE TABLE fitconnect_submissions_v4 (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    citizen TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    leika TEXT NOT NULL,
    service_name TEXT NOT NULL,
    announced TEXT NOT NULL,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT NOT NULL,
    encrypted_metadata TEXT,
    encrypted_data TEXT,
    created_at INTEGER NOT NULL,
    submitted_at INTEGER,
    disclosed TEXT NOT NULL DEFAULT '[]',
    received_at INTEGER,
    follows TEXT,
    UNIQUE (citizen, idempotency_key)
);
INSERT INTO fitconnect_submissions_v4
    (rowid, id, case_id, citizen, destination_id, leika, service_name, announced, status,
     idempotency_key, request_hash, encrypted_metadata, encrypted_data, created_at,
     submitted_at, disclosed, received_at, follows)
SELECT rowid, id, case_id, citizen, destination_id, leika, service_name, announced, status,
       idempotency_key, request_hash, encrypted_metadata, encrypted_data, created_at,
       submitted_at, disclosed, received_at, NULL
  FROM fitconnect_submissions;
CREATE TABLE fitconnect_attachments_v4 (
    submission_id TEXT NOT NULL REFERENCES fitconnect_submissions_v4(id) ON DELETE CASCADE,
    attachment_id TEXT NOT NULL,
    jwe TEXT NOT NULL,
    PRIMARY KEY (submission_id, attachment_id)
);
INSERT INTO fitconnect_attachments_v4 SELECT submission_id, attachment_id, jwe FROM fitconnect_attachments;
CREATE TABLE fitconnect_disclosures_v4 (
    submission_id TEXT NOT NULL REFERENCES fitconnect_submissions_v4(id) ON DELETE CASCADE,
    citizen TEXT NOT NULL,
    position INTEGER NOT NULL,
    attribute TEXT NOT NULL,
    destination_name TEXT NOT NULL,
    service_name TEXT NOT NULL,
    disclosed_at INTEGER NOT NULL,
    PRIMARY KEY (submission_id, attribute)
);
INSERT INTO fitconnect_disclosures_v4
SELECT submission_id, citizen, position, attribute, destination_name, service_name, disclosed_at
  FROM fitconnect_disclosures;
DROP TABLE fitconnect_attachments;
DROP TABLE fitconnect_disclosures;
DROP TABLE fitconnect_submissions;
ALTER TABLE fitconnect_submissions_v4 RENAME TO fitconnect_submissions;
ALTER TABLE fitconnect_attachments_v4 RENAME TO fitconnect_attachments;
ALTER TABLE fitconnect_disclosures_v4 RENAME TO fitconnect_disclosures;
CREATE INDEX fitconnect_submissions_citizen ON fitconnect_submissions(citizen, created_at);
CREATE INDEX fitconnect_submissions_status ON fitconnect_submissions(status);
CREATE INDEX fitconnect_submissions_case ON fitconnect_submissions(case_id, created_at);
CREATE INDEX fitconnect_submissions_follows ON fitconnect_submissions(follows);
CREATE INDEX fitconnect_disclosures_citizen ON fitconnect_disclosures(citizen, disclosed_at);
",
    // Events written by requests are pending until `signer.rs` signs them
    // in place (#19): `jws` is empty meanwhile and `claims` holds what will
    // be signed.
    "
ALTER TABLE fitconnect_events ADD COLUMN claims TEXT;
CREATE INDEX fitconnect_events_pending ON fitconnect_events(seq) WHERE jws = '';
",
];

pub fn migrate(db: &Db) -> Result<(), crate::db::DbError> {
    db.migrate("fitconnect", &MIGRATIONS)
}

pub struct NewSubmission {
    pub citizen: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    pub announced: Vec<String>,
    /// Names of the identity attributes the app prefilled (never values).
    pub disclosed: Vec<String>,
    pub idempotency_key: Option<String>,
    /// A follow-up: the case it joins and the case's application (its
    /// first submission).
    pub case: Option<CaseRef>,
}

/// The case a follow-up joins.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub case_id: String,
    /// The application's submission id.
    pub application_id: String,
}

pub struct Announced {
    pub submission_id: String,
    pub case_id: String,
}

/// A stored submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub case_id: String,
    pub citizen: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    pub announced: Vec<String>,
    pub uploaded: Vec<String>,
    pub status: String,
    pub encrypted_metadata: Option<String>,
    pub encrypted_data: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    /// When the authority's subscriber received it (`None`: not yet).
    pub received_at: Option<i64>,
    /// A follow-up: the submission id of its case's application.
    pub follows: Option<String>,
}

/// Creates the submission (or, for a repeated `Idempotency-Key` of the same
/// citizen and the same request, returns the existing one) and records the
/// `create-submission` event.
pub async fn announce(state: &AppState, new: NewSubmission) -> Result<Announced, ApiError> {
    let announced_json =
        serde_json::to_string(&new.announced).map_err(|e| ApiError::Internal(e.to_string()))?;
    let disclosed_json =
        serde_json::to_string(&new.disclosed).map_err(|e| ApiError::Internal(e.to_string()))?;
    let request_hash = {
        let mut h = Sha256::new();
        h.update(new.destination_id.as_bytes());
        h.update([0]);
        h.update(new.leika.as_bytes());
        h.update([0]);
        h.update(new.service_name.as_bytes());
        h.update([0]);
        h.update(announced_json.as_bytes());
        if !new.disclosed.is_empty() {
            h.update([0]);
            h.update(disclosed_json.as_bytes());
        }
        if let Some(case) = &new.case {
            h.update([1]);
            h.update(case.case_id.as_bytes());
        }
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    if let Some(key) = new.idempotency_key.clone() {
        let citizen = new.citizen.clone();
        let existing = state
            .db
            .call(move |c| {
                c.query_row(
                    "SELECT id, case_id, request_hash FROM fitconnect_submissions
                     WHERE citizen = ?1 AND idempotency_key = ?2",
                    params![citizen, key],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .optional()
            })
            .await?;
        if let Some((id, case_id, hash)) = existing {
            if hash != request_hash {
                return Err(ApiError::Conflict(
                    "this Idempotency-Key was used for a different announcement".into(),
                ));
            }
            return Ok(Announced {
                submission_id: id,
                case_id,
            });
        }
    }
    let id = random_uuid()?;
    let (case_id, follows) = match &new.case {
        Some(c) => (c.case_id.clone(), Some(c.application_id.clone())),
        None => (random_uuid()?, None),
    };
    let created = now();
    // The event is signed later (`signer.rs`); its claims are fixed now.
    let event = super::events::claims(
        &super::base_url(state),
        &id,
        &case_id,
        "create-submission",
        serde_json::json!({}),
    )?;
    let (id2, case2, key) = (id.clone(), case_id.clone(), new.idempotency_key.clone());
    let citizen = new.citizen.clone();
    let inserted = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO fitconnect_submissions
                 (id, case_id, citizen, destination_id, leika, service_name, announced, status,
                  idempotency_key, request_hash, created_at, disclosed, follows)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'incomplete', ?8, ?9, ?10, ?11, ?12)",
                params![
                    id2,
                    case2,
                    citizen,
                    new.destination_id,
                    new.leika,
                    new.service_name,
                    announced_json,
                    key,
                    request_hash,
                    created,
                    disclosed_json,
                    follows
                ],
            )?;
            if n == 1 {
                log::insert_pending(&tx, &case2, &id2, &event, created)?;
            }
            tx.commit()?;
            if n == 1 {
                return Ok(None);
            }
            // Lost a race with the same Idempotency-Key: answer with the winner.
            c.query_row(
                "SELECT id, case_id FROM fitconnect_submissions WHERE citizen = ?1 AND idempotency_key = ?2",
                params![citizen, key],
                |r| Ok(Some((r.get::<_, String>(0)?, r.get::<_, String>(1)?))),
            )
        })
        .await?;
    Ok(match inserted {
        None => Announced {
            submission_id: id,
            case_id,
        },
        Some((submission_id, case_id)) => Announced {
            submission_id,
            case_id,
        },
    })
}

fn load(c: &rusqlite::Connection, id: &str) -> Result<Option<Submission>, rusqlite::Error> {
    let row = c
        .query_row(
            "SELECT id, case_id, citizen, destination_id, leika, service_name, announced, status,
                    encrypted_metadata, encrypted_data, created_at, submitted_at, received_at, follows
             FROM fitconnect_submissions WHERE id = ?1",
            params![id],
            |r| {
                Ok(Submission {
                    id: r.get(0)?,
                    case_id: r.get(1)?,
                    citizen: r.get(2)?,
                    destination_id: r.get(3)?,
                    leika: r.get(4)?,
                    service_name: r.get(5)?,
                    announced: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                    uploaded: Vec::new(),
                    status: r.get(7)?,
                    encrypted_metadata: r.get(8)?,
                    encrypted_data: r.get(9)?,
                    created_at: r.get(10)?,
                    submitted_at: r.get(11)?,
                    received_at: r.get(12)?,
                    follows: r.get(13)?,
                })
            },
        )
        .optional()?;
    let Some(mut s) = row else { return Ok(None) };
    let mut stmt = c.prepare(
        "SELECT attachment_id FROM fitconnect_attachments WHERE submission_id = ?1 ORDER BY attachment_id",
    )?;
    s.uploaded = stmt
        .query_map(params![id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(s))
}

/// Any submission (authority side).
pub async fn get(state: &AppState, id: &str) -> Result<Submission, ApiError> {
    let id = id.to_string();
    state
        .db
        .call(move |c| load(c, &id))
        .await?
        .ok_or(ApiError::NotFound)
}

/// The application of a case: its first submission (`NotFound` for an
/// unknown case).
pub async fn case_application(state: &AppState, case_id: &str) -> Result<Submission, ApiError> {
    let case_id = case_id.to_string();
    state
        .db
        .call(move |c| {
            let id: Option<String> = c
                .query_row(
                    "SELECT id FROM fitconnect_submissions WHERE case_id = ?1 AND follows IS NULL
                     ORDER BY created_at, rowid LIMIT 1",
                    params![case_id],
                    |r| r.get(0),
                )
                .optional()?;
            match id {
                Some(id) => load(c, &id),
                None => Ok(None),
            }
        })
        .await?
        .ok_or(ApiError::NotFound)
}

/// A submission of this owner (the sender that announced it); another's is "not found".
pub async fn owned(state: &AppState, id: &str, owner: &str) -> Result<Submission, ApiError> {
    let s = get(state, id).await?;
    if s.citizen != owner {
        return Err(ApiError::NotFound);
    }
    Ok(s)
}

/// The attachment JWEs of a submission, by attachment id.
pub async fn attachments(state: &AppState, id: &str) -> Result<Vec<(String, String)>, ApiError> {
    let id = id.to_string();
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT attachment_id, jwe FROM fitconnect_attachments WHERE submission_id = ?1 ORDER BY attachment_id",
            )?;
            let rows = stmt
                .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?)
}

pub async fn put_attachment(
    state: &AppState,
    id: &str,
    attachment_id: &str,
    jwe: String,
) -> Result<(), ApiError> {
    let (id, aid) = (id.to_string(), attachment_id.to_string());
    let n = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let status: Option<String> = tx
                .query_row(
                    "SELECT status FROM fitconnect_submissions WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            if status.as_deref() != Some("incomplete") {
                return Ok(0);
            }
            let n = tx.execute(
                "INSERT INTO fitconnect_attachments (submission_id, attachment_id, jwe) VALUES (?1, ?2, ?3)
                 ON CONFLICT (submission_id, attachment_id) DO UPDATE SET jwe = excluded.jwe",
                params![id, aid, jwe],
            )?;
            tx.commit()?;
            Ok(n)
        })
        .await?;
    if n == 0 {
        return Err(ApiError::Conflict(
            "the submission was submitted meanwhile".into(),
        ));
    }
    Ok(())
}

/// Stores metadata and data (the JWEs, as they came) and sets `submitted`;
/// false if it was no longer `incomplete`. The subscriber receives it later.
/// (`_destination_name` fed the old disclosure rows, which are gone.)
/// Hands in metadata and data and records the pending `submit-submission`
/// event (its claims) in the same transaction; false if the submission was
/// no longer incomplete (nothing written then).
pub async fn submit(
    state: &AppState,
    id: &str,
    case_id: &str,
    metadata: String,
    data: String,
    event_claims: String,
) -> Result<bool, ApiError> {
    let (id, case_id) = (id.to_string(), case_id.to_string());
    let at = now();
    let won = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE fitconnect_submissions
                 SET encrypted_metadata = ?2, encrypted_data = ?3, status = 'submitted', submitted_at = ?4
                 WHERE id = ?1 AND status = 'incomplete'",
                params![id, metadata, data, at],
            )?;
            if n == 1 {
                log::insert_pending(&tx, &case_id, &id, &event_claims, at)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await?;
    Ok(won)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rebuild of step 4 keeps every row (and the attachments, which a
    /// cascading drop would have taken) and lets a case hold several
    /// submissions.
    #[test]
    fn the_case_migration_keeps_rows_and_allows_follow_ups() {
        let db = Db::in_memory().unwrap();
        db.migrate("fitconnect", &MIGRATIONS[..3]).unwrap();
        db.call_sync(|c| {
            c.execute_batch(
                "INSERT INTO fitconnect_submissions (id, case_id, citizen, destination_id, leika,
                   service_name, announced, status, request_hash, created_at)
                 VALUES ('s1', 'c1', 'sender', 'd', '1', 'x', '[\"a1\"]', 'submitted', 'h', 1);
                 INSERT INTO fitconnect_attachments VALUES ('s1', 'a1', 'jwe');",
            )
        })
        .unwrap();
        migrate(&db).unwrap();
        let (subs, atts, follows): (i64, i64, Option<String>) = db
            .call_sync(|c| {
                c.query_row(
                    "SELECT (SELECT COUNT(*) FROM fitconnect_submissions),
                            (SELECT COUNT(*) FROM fitconnect_attachments), follows
                     FROM fitconnect_submissions WHERE id = 's1'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .unwrap();
        assert_eq!((subs, atts, follows), (1, 1, None));
        db.call_sync(|c| {
            c.execute(
                "INSERT INTO fitconnect_submissions (id, case_id, citizen, destination_id, leika,
                   service_name, announced, status, request_hash, created_at, follows)
                 VALUES ('s2', 'c1', 'sender', 'd', '1', 'x', '[]', 'incomplete', 'h2', 2, 's1')",
                [],
            )
        })
        .unwrap();
        // The references moved to the rebuilt table: deleting cascades.
        let left: i64 = db
            .call_sync(|c| {
                c.execute("DELETE FROM fitconnect_submissions WHERE id = 's1'", [])?;
                c.query_row("SELECT COUNT(*) FROM fitconnect_attachments", [], |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(left, 0);
    }
}
