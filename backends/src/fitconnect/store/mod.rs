//! SQLite tables of the submission API. Only JWE strings (ciphertext) and
//! signed events are stored, never decrypted content.

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{db::Db, ApiError, AppState};

const MIGRATIONS: [&str; 2] = [
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
];

pub fn migrate(db: &Db) -> Result<(), crate::db::DbError> {
    db.migrate("fitconnect", &MIGRATIONS)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random (version 4) UUID, lower case.
pub fn random_uuid() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(contract::encoding::uuid_from_bytes(b))
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
}

/// Creates the submission (or, for a repeated `Idempotency-Key` of the same
/// citizen and the same request, returns the existing one) and records the
/// `create-submission` event.
pub async fn announce(state: &AppState, new: NewSubmission) -> Result<Announced, super::FitError> {
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
                )
                .into());
            }
            return Ok(Announced {
                submission_id: id,
                case_id,
            });
        }
    }
    let id = random_uuid()?;
    let case_id = random_uuid()?;
    let created = now();
    let event = super::authority::event_set(
        state,
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
                  idempotency_key, request_hash, created_at, disclosed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'incomplete', ?8, ?9, ?10, ?11)",
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
                    disclosed_json
                ],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO fitconnect_events (case_id, submission_id, jws, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![case2, id2, event, created],
                )?;
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
                    encrypted_metadata, encrypted_data, created_at, submitted_at
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

/// A submission of this citizen; someone else's is "not found".
pub async fn owned(state: &AppState, id: &str, citizen: &str) -> Result<Submission, ApiError> {
    let s = get(state, id).await?;
    if s.citizen != citizen {
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

/// Stores metadata and data and sets `submitted`; false if it was no longer
/// `incomplete`. In the same transaction, one disclosure row per attribute
/// announced in `disclosedAttributes` records that `destination_name` has
/// received it now.
pub async fn submit(
    state: &AppState,
    id: &str,
    metadata: String,
    data: String,
    destination_name: String,
) -> Result<bool, ApiError> {
    let id = id.to_string();
    let at = now();
    let n = state
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
                let (citizen, service, disclosed): (String, String, String) = tx.query_row(
                    "SELECT citizen, service_name, disclosed FROM fitconnect_submissions WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                let names: Vec<String> = serde_json::from_str(&disclosed).unwrap_or_default();
                for (position, name) in names.iter().enumerate() {
                    tx.execute(
                        "INSERT OR IGNORE INTO fitconnect_disclosures
                         (submission_id, citizen, position, attribute, destination_name, service_name, disclosed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![id, citizen, position as i64, name, destination_name, service, at],
                    )?;
                }
            }
            tx.commit()?;
            Ok(n)
        })
        .await?;
    Ok(n == 1)
}

/// One line of `GET /v1/submissions` (the citizen's own, newest first).
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: String,
    pub case_id: String,
    pub destination_id: String,
    pub leika: String,
    pub service_name: String,
    pub status: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
}

/// Most submissions one list answer carries.
pub const MAX_LISTED: i64 = 500;

/// The citizen's submissions, newest first (at most [`MAX_LISTED`]).
pub async fn list(state: &AppState, citizen: &str) -> Result<Vec<Listed>, ApiError> {
    let citizen = citizen.to_string();
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, case_id, destination_id, leika, service_name, status, created_at, submitted_at
                 FROM fitconnect_submissions WHERE citizen = ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![citizen, MAX_LISTED], |r| {
                    Ok(Listed {
                        id: r.get(0)?,
                        case_id: r.get(1)?,
                        destination_id: r.get(2)?,
                        leika: r.get(3)?,
                        service_name: r.get(4)?,
                        status: r.get(5)?,
                        created_at: r.get(6)?,
                        submitted_at: r.get(7)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?)
}

/// What one submission disclosed: attribute names, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub submission_id: String,
    pub destination_name: String,
    pub service_name: String,
    pub attributes: Vec<String>,
    pub submitted_at: i64,
}

/// The citizen's disclosures, one entry per submission, newest first
/// (attributes in the order the app named them).
pub async fn disclosures(state: &AppState, citizen: &str) -> Result<Vec<Disclosure>, ApiError> {
    let citizen = citizen.to_string();
    Ok(state
        .db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT d.submission_id, d.destination_name, d.service_name, d.attribute, d.disclosed_at
                 FROM fitconnect_disclosures d JOIN fitconnect_submissions s ON s.id = d.submission_id
                 WHERE d.citizen = ?1
                 ORDER BY d.disclosed_at DESC, s.rowid DESC, d.position ASC",
            )?;
            let rows = stmt
                .query_map(params![citizen], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out: Vec<Disclosure> = Vec::new();
            for (sid, dest, service, attribute, at) in rows {
                match out.last_mut() {
                    Some(last) if last.submission_id == sid => last.attributes.push(attribute),
                    _ => out.push(Disclosure {
                        submission_id: sid,
                        destination_name: dest,
                        service_name: service,
                        attributes: vec![attribute],
                        submitted_at: at,
                    }),
                }
            }
            Ok(out)
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
                tx.execute(
                    "INSERT INTO fitconnect_events (case_id, submission_id, jws, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![case_id, id, event, at],
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await?)
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
                    tx.execute(
                        "INSERT INTO fitconnect_events (case_id, submission_id, jws, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![case_id, id, jws, at],
                    )?;
                }
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await?)
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
        .call(move |c| {
            c.execute(
                "INSERT INTO fitconnect_events (case_id, submission_id, jws, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![case_id, id, jws, at],
            )
        })
        .await?;
    Ok(())
}

/// A page of the case's event log, if the case belongs to `citizen`.
pub async fn events(
    state: &AppState,
    case_id: &str,
    citizen: &str,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<String>), ApiError> {
    let (case_id, citizen) = (case_id.to_string(), citizen.to_string());
    let found = state
        .db
        .call(move |c| {
            let owner: Option<String> = c
                .query_row(
                    "SELECT citizen FROM fitconnect_submissions WHERE case_id = ?1",
                    params![case_id],
                    |r| r.get(0),
                )
                .optional()?;
            if owner.as_deref() != Some(citizen.as_str()) {
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
