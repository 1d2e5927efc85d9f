//! The queries of mandates for children and cared-for persons (issue #25,
//! [`super::requests`]); plain, portable SQL like [`super::store`].
//!
//! Such a mandate is a row of `relay_mandates` like any other, with:
//!
//! * `grantor` = `declared:<mandate id>`: the person concerned has no
//!   account here, so no citizen ever sees it under `granted`;
//! * the grantor's names and the `snapshot` as the applicant declared
//!   them (`givenName`, `surname`, `birthdate`, self-declared);
//! * `request_submission`: the submission by which it was requested (the
//!   relay's own service); FIT-Connect's status of that submission
//!   decides it (`accepted`: active, `rejected`: refused);
//! * `care_scope`: Betreuung only, the Aufgabenkreise.

use contract::mandate::{Kind, Party, State};
use contract::mandate_request::Declared;
use contract::relay::{Attribute, AttributeTrust};

use super::store::{self, Stored};
use crate::db::{params, Connection, OptionalExtension};

/// The schema step of issue #25, part "children and cared-for persons".
pub const MIGRATION: &str = "
ALTER TABLE relay_mandates ADD COLUMN request_submission TEXT;
ALTER TABLE relay_mandates ADD COLUMN care_scope TEXT;
CREATE UNIQUE INDEX relay_mandates_request ON relay_mandates(request_submission);
";

/// The `grantor` of a requested mandate: nobody's account.
pub fn declared_grantor(id: &str) -> String {
    format!("declared:{id}")
}

/// The snapshot of a requested mandate: what the applicant declared.
pub fn declared_snapshot(p: &Declared) -> Vec<Attribute> {
    let one = |name: &str, value: &str| Attribute {
        name: name.into(),
        value: value.into(),
        trust: AttributeTrust::SelfDeclared,
        source: "declared".into(),
    };
    vec![
        one("givenName", &p.given_names),
        one("surname", &p.family_name),
        one("birthdate", &p.birth_date),
    ]
}

/// A request, checked ([`super::requests`]).
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The id a new mandate gets (a repeated request keeps the first one).
    pub id: String,
    pub submission_id: String,
    pub grantee: String,
    pub grantee_party: Party,
    pub kind: Kind,
    pub person: Declared,
    pub valid_until: String,
    pub ends_at: i64,
    pub care_scope: Option<String>,
}

/// How a request went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// A new pending mandate.
    Made(Box<Stored>),
    /// The same submission's pending mandate, its declared data replaced.
    Replaced(Box<Stored>),
    /// The submission's mandate is no longer pending (decided or ended).
    Decided,
    /// The asker has [`contract::mandate::MAX_ACTIVE`] already.
    TooMany,
}

/// Makes the pending mandate of `r.submission_id`, or replaces the
/// declared data of the one made before (of the same asker), in one
/// transaction.
pub fn request(c: &mut Connection, r: &NewRequest, now: i64) -> crate::db::Result<Requested> {
    let tx = c.transaction()?;
    // A repeated request on another instance waits for this one.
    tx.lock(&format!("mandate request {}", r.submission_id))?;
    let known: Option<(String, String, String)> = tx
        .query_row(
            "SELECT id, state, grantee FROM relay_mandates WHERE request_submission = ?1",
            params![r.submission_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let snapshot =
        serde_json::to_string(&declared_snapshot(&r.person)).map_err(crate::db::Error::other)?;
    if let Some((id, state, grantee)) = known {
        // The record is the asker's own (checked by the caller), and so
        // is its mandate; anything else is not theirs to change.
        let changed = tx.execute(
            "UPDATE relay_mandates SET kind = ?2, grantor_given = ?3, grantor_family = ?4,
                 grantee_given = ?5, grantee_family = ?6, valid_until = ?7, ends_at = ?8,
                 care_scope = ?9, snapshot = ?10
             WHERE id = ?1 AND state = 'pending' AND grantee = ?11",
            params![
                id,
                r.kind.as_str(),
                r.person.given_names,
                r.person.family_name,
                r.grantee_party.given_names,
                r.grantee_party.family_name,
                r.valid_until,
                r.ends_at,
                r.care_scope,
                snapshot,
                r.grantee
            ],
        )?;
        let after = store::by_id(&tx, &id, now)?;
        tx.commit()?;
        return Ok(match after {
            Some(m) if changed == 1 && state == "pending" && grantee == r.grantee => {
                Requested::Replaced(Box::new(m))
            }
            _ => Requested::Decided,
        });
    }
    let active: i64 = tx.query_row(
        "SELECT COUNT(*) FROM relay_mandates
         WHERE grantee = ?1 AND state IN ('active', 'pending') AND ends_at > ?2",
        params![r.grantee, now],
        |row| row.get(0),
    )?;
    if active >= contract::mandate::MAX_ACTIVE as i64 {
        tx.commit()?;
        return Ok(Requested::TooMany);
    }
    tx.execute(
        "INSERT INTO relay_mandates (id, kind, state, grantor, grantee, grantor_given,
             grantor_family, grantee_given, grantee_family, services, postbox, created_at,
             valid_until, ends_at, ended_at, snapshot, request_submission, care_scope)
         VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?8, NULL, 0, ?9, ?10, ?11, NULL, ?12,
             ?13, ?14)",
        params![
            r.id,
            r.kind.as_str(),
            declared_grantor(&r.id),
            r.grantee,
            r.person.given_names,
            r.person.family_name,
            r.grantee_party.given_names,
            r.grantee_party.family_name,
            now,
            r.valid_until,
            r.ends_at,
            snapshot,
            r.submission_id,
            r.care_scope
        ],
    )?;
    let made = store::by_id(&tx, &r.id, now)?;
    tx.commit()?;
    Ok(made.map_or(Requested::Decided, |m| Requested::Made(Box::new(m))))
}

/// The pending mandate that `grantee` requested by `submission_id`.
pub fn pending_of_submission(
    c: &Connection,
    submission_id: &str,
    grantee: &str,
    now: i64,
) -> crate::db::Result<Option<Stored>> {
    let id: Option<String> = c
        .query_row(
            "SELECT id FROM relay_mandates
             WHERE request_submission = ?1 AND grantee = ?2 AND state = 'pending'",
            params![submission_id, grantee],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => Ok(store::by_id(c, &id, now)?.filter(|m| m.mandate.state == State::Pending)),
        None => Ok(None),
    }
}

/// The request submission of mandate `id` while it is pending.
pub fn pending_request(c: &Connection, id: &str) -> crate::db::Result<Option<String>> {
    Ok(c.query_row(
        "SELECT request_submission FROM relay_mandates WHERE id = ?1 AND state = 'pending'",
        params![id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// `grantee`'s pending requested mandates: (mandate id, submission id).
pub fn pending_requests(c: &Connection, grantee: &str) -> crate::db::Result<Vec<(String, String)>> {
    let mut stmt = c.prepare(
        "SELECT id, request_submission FROM relay_mandates
         WHERE grantee = ?1 AND state = 'pending' AND request_submission IS NOT NULL
         ORDER BY created_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![grantee, contract::mandate::MAX_ACTIVE as i64],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    rows.collect()
}

/// What the authority decided on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `accept-submission`: the mandate becomes active.
    Accepted,
    /// `reject-submission`: refused.
    Refused,
    /// The request submission is gone (never sent, deleted after its
    /// deadline): nobody decided it; it ends as expired, not refused.
    Gone,
}

/// Applies `decision` to mandate `id` if it is still pending (so twice, or
/// on two instances at once, changes it once); true if it changed now.
/// A refused or gone one loses its snapshot at once.
pub fn decide(c: &Connection, id: &str, decision: Decision, now: i64) -> crate::db::Result<bool> {
    let n = match decision {
        Decision::Accepted => c.execute(
            "UPDATE relay_mandates SET state = 'active'
             WHERE id = ?1 AND state = 'pending' AND ends_at > ?2",
            params![id, now],
        )?,
        Decision::Refused => c.execute(
            "UPDATE relay_mandates SET state = 'refused', ended_at = ?2, snapshot = NULL
             WHERE id = ?1 AND state = 'pending'",
            params![id, now],
        )?,
        Decision::Gone => c.execute(
            "UPDATE relay_mandates SET state = 'expired', ended_at = ?2, snapshot = NULL
             WHERE id = ?1 AND state = 'pending'",
            params![id, now],
        )?,
    };
    Ok(n == 1)
}

#[cfg(test)]
#[path = "request_store_tests.rs"]
mod tests;
