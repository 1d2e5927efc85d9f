//! The mandates' tables and every query on them (plain, portable SQL: it
//! runs on SQLite and PostgreSQL alike; times are integers).
//!
//! * `relay_mandate_codes`: one live code per citizen (the grantee asks for
//!   it), as a SHA-256 hash, with the asker's name and its expiry.
//! * `relay_mandates`: each mandate with both parties' `sub` and names, its
//!   scope, its validity (the last day and the instant it ends), its state
//!   and, while it is active, the grantor's login attributes at grant time
//!   (`snapshot`: what the grantee may prefill with, `mailboxUuid` too).
//! * `relay_mandate_uses`: the log of every use and every refusal.
//! * `relay_mandate_tries`: wrong codes per grantor, for the limit.
//! * `relay_submissions.mandate_id`, `.for_sub`: an application made under
//!   a mandate, and for whom.
//!
//! Mandates for children and cared-for persons have their own queries in
//! [`super::request_store`].

use contract::mandate::{Action, Kind, Mandate, Party, ServiceRef, State, Use};
use contract::relay::Attribute;
use serde_json::{json, Value};

use crate::db::{params, Connection, OptionalExtension, Row};

mod records;
pub use records::{mandate_of_record, mandates_of_records, mark_record, record_for, records_for};

/// The schema step of issue #25.
pub const MIGRATION: &str = "
CREATE TABLE relay_mandate_codes (
    sub TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    given_names TEXT NOT NULL,
    family_name TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX relay_mandate_codes_expiry ON relay_mandate_codes(expires_at);
CREATE TABLE relay_mandates (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    grantor TEXT NOT NULL,
    grantee TEXT NOT NULL,
    grantor_given TEXT NOT NULL,
    grantor_family TEXT NOT NULL,
    grantee_given TEXT NOT NULL,
    grantee_family TEXT NOT NULL,
    services TEXT,
    postbox INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    valid_until TEXT NOT NULL,
    ends_at BIGINT NOT NULL,
    ended_at BIGINT,
    snapshot TEXT
);
CREATE INDEX relay_mandates_grantor ON relay_mandates(grantor, state);
CREATE INDEX relay_mandates_grantee ON relay_mandates(grantee, state);
CREATE TABLE relay_mandate_uses (
    mandate_id TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    action TEXT NOT NULL,
    service TEXT,
    grantor TEXT NOT NULL,
    grantee TEXT NOT NULL
);
CREATE INDEX relay_mandate_uses_mandate ON relay_mandate_uses(mandate_id);
CREATE INDEX relay_mandate_uses_grantor ON relay_mandate_uses(grantor, at_us);
CREATE INDEX relay_mandate_uses_grantee ON relay_mandate_uses(grantee, at_us);
CREATE TABLE relay_mandate_tries (
    sub TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX relay_mandate_tries_sub ON relay_mandate_tries(sub, at);
ALTER TABLE relay_submissions ADD COLUMN mandate_id TEXT;
ALTER TABLE relay_submissions ADD COLUMN for_sub TEXT;
CREATE INDEX relay_submissions_for ON relay_submissions(for_sub);
";

/// Wrong codes per grantor within [`TRY_WINDOW`] before 429.
pub const MAX_WRONG_CODES: i64 = 10;
/// The window of [`MAX_WRONG_CODES`] (seconds).
pub const TRY_WINDOW: i64 = 3600;
/// How long the use log and an ended mandate are kept after it ended
/// (docs/security.md, "Retention"): three years, the regular limitation
/// period (§ 195 BGB) within which a grantor may need to show who acted.
pub const USES_DAYS: i64 = 3 * 365;

/// Microseconds since the epoch: orders the uses.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One mandate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// As its parties see it, with the state at `now`.
    pub mandate: Mandate,
    pub grantor: String,
    pub grantee: String,
    /// When it ends (Unix seconds).
    pub ends_at: i64,
    /// The grantor's attributes at grant time; `None` once it ended.
    pub snapshot: Option<Vec<Attribute>>,
}

impl Stored {
    /// Whether it lets the grantee act at `now`.
    pub fn is_active(&self) -> bool {
        self.mandate.state.is_active()
    }
}

const COLUMNS: &str = "id, kind, state, grantor, grantee, grantor_given, grantor_family,
    grantee_given, grantee_family, services, postbox, created_at, valid_until, ends_at,
    ended_at, snapshot, care_scope";

pub fn kind_of(s: &str) -> Kind {
    match s {
        "sorgerecht" => Kind::Sorgerecht,
        "betreuung" => Kind::Betreuung,
        _ => Kind::Vollmacht,
    }
}

pub fn state_str(s: State) -> &'static str {
    match s {
        State::Pending => "pending",
        State::Active => "active",
        State::Revoked => "revoked",
        State::Returned => "returned",
        State::Expired => "expired",
        State::Refused => "refused",
    }
}

fn state_of(s: &str) -> State {
    match s {
        "pending" => State::Pending,
        "active" => State::Active,
        "revoked" => State::Revoked,
        "returned" => State::Returned,
        "refused" => State::Refused,
        // Unknown: taken as ended, never as active.
        _ => State::Expired,
    }
}

pub fn action_str(a: Action) -> &'static str {
    match a {
        Action::Prefill => "prefill",
        Action::Apply => "apply",
        Action::Submit => "submit",
        Action::Status => "status",
        Action::Postbox => "postbox",
        Action::Refused => "refused",
    }
}

fn action_of(s: &str) -> Action {
    match s {
        "prefill" => Action::Prefill,
        "apply" => Action::Apply,
        "submit" => Action::Submit,
        "status" => Action::Status,
        "postbox" => Action::Postbox,
        _ => Action::Refused,
    }
}

fn read(r: &Row, now: i64) -> crate::db::Result<Stored> {
    let services: Option<String> = r.get(9)?;
    let snapshot: Option<String> = r.get(15)?;
    let ends_at: i64 = r.get(13)?;
    let mut state = state_of(&r.get::<_, String>(2)?);
    let mut ended_at: Option<i64> = r.get(14)?;
    if state == State::Active && now >= ends_at {
        state = State::Expired;
        ended_at = Some(ends_at);
    }
    Ok(Stored {
        mandate: Mandate {
            id: r.get(0)?,
            kind: kind_of(&r.get::<_, String>(1)?),
            state,
            grantor: Party {
                given_names: r.get(5)?,
                family_name: r.get(6)?,
            },
            grantee: Party {
                given_names: r.get(7)?,
                family_name: r.get(8)?,
            },
            // An unreadable list covers nothing rather than everything.
            services: services.map(|s| serde_json::from_str(&s).unwrap_or_default()),
            postbox: r.get::<_, i64>(10)? != 0,
            created_at: r.get(11)?,
            valid_until: r.get(12)?,
            ended_at,
            care_scope: r.get(16)?,
        },
        grantor: r.get(3)?,
        grantee: r.get(4)?,
        ends_at,
        snapshot: snapshot.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// Stores `sub`'s new code (its hash), replacing an earlier one.
pub fn put_code(
    c: &Connection,
    sub: &str,
    code_hash: &str,
    asker: &Party,
    expires_at: i64,
) -> crate::db::Result<()> {
    c.execute(
        "INSERT INTO relay_mandate_codes (sub, code_hash, given_names, family_name, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sub) DO UPDATE SET code_hash = excluded.code_hash,
             given_names = excluded.given_names, family_name = excluded.family_name,
             expires_at = excluded.expires_at",
        params![
            sub,
            code_hash,
            asker.given_names,
            asker.family_name,
            expires_at
        ],
    )?;
    Ok(())
}

/// Wrong codes of `sub` in the window ending at `now`, and the oldest's time.
pub fn wrong_tries(c: &Connection, sub: &str, now: i64) -> crate::db::Result<(i64, i64)> {
    c.query_row(
        "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM relay_mandate_tries WHERE sub = ?1 AND at > ?2",
        params![sub, now - TRY_WINDOW],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// A new mandate, before its code is taken.
#[derive(Debug, Clone)]
pub struct NewMandate {
    pub id: String,
    pub grantor: String,
    pub grantor_party: Party,
    pub services: Option<Vec<ServiceRef>>,
    pub postbox: bool,
    pub valid_until: String,
    pub ends_at: i64,
    pub snapshot: Vec<Attribute>,
}

/// How a grant went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    Made(Box<Stored>),
    /// Wrong, expired or used: one answer (the try is counted).
    CodeInvalid,
    /// The grantor's own code.
    OwnCode,
    /// The grantor or the grantee has [`contract::mandate::MAX_ACTIVE`].
    TooMany,
}

/// Takes the code (once: of two instances racing, one wins) and makes the
/// mandate, in one transaction.
pub fn grant(
    c: &mut Connection,
    code_hash: &str,
    m: &NewMandate,
    now: i64,
) -> crate::db::Result<Granted> {
    let tx = c.transaction()?;
    let code: Option<(String, String, String)> = tx
        .query_row(
            "SELECT sub, given_names, family_name FROM relay_mandate_codes
             WHERE code_hash = ?1 AND expires_at > ?2",
            params![code_hash, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((grantee, given, family)) = code else {
        tx.execute(
            "INSERT INTO relay_mandate_tries (sub, at) VALUES (?1, ?2)",
            params![m.grantor, now],
        )?;
        tx.commit()?;
        return Ok(Granted::CodeInvalid);
    };
    if grantee == m.grantor {
        tx.commit()?;
        return Ok(Granted::OwnCode);
    }
    let active = |col: &str, sub: &str| -> crate::db::Result<i64> {
        tx.query_row(
            &format!(
                "SELECT COUNT(*) FROM relay_mandates
                 WHERE {col} = ?1 AND state IN ('active', 'pending') AND ends_at > ?2"
            ),
            params![sub, now],
            |r| r.get(0),
        )
    };
    let max = contract::mandate::MAX_ACTIVE as i64;
    if active("grantor", &m.grantor)? >= max || active("grantee", &grantee)? >= max {
        tx.commit()?;
        return Ok(Granted::TooMany);
    }
    let taken = tx.execute(
        "DELETE FROM relay_mandate_codes WHERE code_hash = ?1 AND sub = ?2 AND expires_at > ?3",
        params![code_hash, grantee, now],
    )?;
    if taken != 1 {
        // Another instance took it first.
        tx.execute(
            "INSERT INTO relay_mandate_tries (sub, at) VALUES (?1, ?2)",
            params![m.grantor, now],
        )?;
        tx.commit()?;
        return Ok(Granted::CodeInvalid);
    }
    let services = match &m.services {
        Some(s) => Some(serde_json::to_string(s).map_err(crate::db::Error::other)?),
        None => None,
    };
    let snapshot = serde_json::to_string(&m.snapshot).map_err(crate::db::Error::other)?;
    tx.execute(
        "INSERT INTO relay_mandates (id, kind, state, grantor, grantee, grantor_given,
             grantor_family, grantee_given, grantee_family, services, postbox, created_at,
             valid_until, ends_at, ended_at, snapshot)
         VALUES (?1, 'vollmacht', 'active', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
             NULL, ?13)",
        params![
            m.id,
            m.grantor,
            grantee,
            m.grantor_party.given_names,
            m.grantor_party.family_name,
            given,
            family,
            services,
            m.postbox,
            now,
            m.valid_until,
            m.ends_at,
            snapshot
        ],
    )?;
    let made = by_id(&tx, &m.id, now)?;
    tx.commit()?;
    Ok(made.map_or(Granted::CodeInvalid, |s| Granted::Made(Box::new(s))))
}

/// One mandate by id, its state at `now`.
pub fn by_id(c: &Connection, id: &str, now: i64) -> crate::db::Result<Option<Stored>> {
    c.query_row(
        &["SELECT ", COLUMNS, " FROM relay_mandates WHERE id = ?1"].concat(),
        params![id],
        |r| read(r, now),
    )
    .optional()
}

/// The mandates `sub` granted and received, newest first.
pub fn of_citizen(
    c: &Connection,
    sub: &str,
    now: i64,
) -> crate::db::Result<(Vec<Stored>, Vec<Stored>)> {
    let list = |col: &str| -> crate::db::Result<Vec<Stored>> {
        let mut stmt = c.prepare(
            &[
                "SELECT ",
                COLUMNS,
                " FROM relay_mandates WHERE ",
                col,
                " = ?1 ORDER BY created_at DESC, id LIMIT 200",
            ]
            .concat(),
        )?;
        let rows = stmt.query_map(params![sub], |r| read(r, now))?;
        rows.collect()
    };
    Ok((list("grantor")?, list("grantee")?))
}

/// The grantor revokes, the grantee gives back: `None` if `sub` is
/// neither. An ended mandate stays as it is. The snapshot goes at once.
pub fn end(c: &mut Connection, id: &str, sub: &str, now: i64) -> crate::db::Result<Option<Stored>> {
    let tx = c.transaction()?;
    let Some(m) = by_id(&tx, id, now)? else {
        return Ok(None);
    };
    let state = if m.grantor == sub {
        State::Revoked
    } else if m.grantee == sub {
        State::Returned
    } else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE relay_mandates SET state = ?2, ended_at = ?3, snapshot = NULL
         WHERE id = ?1 AND state IN ('active', 'pending') AND ends_at > ?3",
        params![id, state_str(state), now],
    )?;
    // Past its end already: it stays expired; its snapshot goes too.
    tx.execute(
        "UPDATE relay_mandates SET snapshot = NULL WHERE id = ?1",
        params![id],
    )?;
    let after = by_id(&tx, id, now)?;
    tx.commit()?;
    Ok(after)
}

/// Writes one use (or refusal) into the log.
pub fn log_use(
    c: &Connection,
    m: &Stored,
    action: Action,
    service: Option<&str>,
) -> crate::db::Result<()> {
    c.execute(
        "INSERT INTO relay_mandate_uses (mandate_id, at_us, action, service, grantor, grantee)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            m.mandate.id,
            now_us(),
            action_str(action),
            service,
            m.grantor,
            m.grantee
        ],
    )?;
    Ok(())
}

/// The uses of mandates `sub` granted (`by_grantees`) and `sub`'s own
/// uses of mandates they received, newest first.
pub fn uses(c: &Connection, sub: &str) -> crate::db::Result<(Vec<Use>, Vec<Use>)> {
    let list = |col: &str| -> crate::db::Result<Vec<Use>> {
        let mut stmt = c.prepare(&format!(
            "SELECT u.at_us, u.mandate_id, m.grantor_given, m.grantor_family, m.grantee_given,
                    m.grantee_family, u.action, u.service
             FROM relay_mandate_uses u JOIN relay_mandates m ON m.id = u.mandate_id
             WHERE u.{col} = ?1 ORDER BY u.at_us DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(
            params![sub, contract::mandate::MAX_USES_LISTED as i64],
            |r| {
                Ok(Use {
                    at: r.get::<_, i64>(0)?.div_euclid(1_000_000),
                    mandate_id: r.get(1)?,
                    grantor: Party {
                        given_names: r.get(2)?,
                        family_name: r.get(3)?,
                    },
                    grantee: Party {
                        given_names: r.get(4)?,
                        family_name: r.get(5)?,
                    },
                    action: action_of(&r.get::<_, String>(6)?),
                    service: r.get(7)?,
                })
            },
        )?;
        rows.collect()
    };
    Ok((list("grantor")?, list("grantee")?))
}

/// "Meine Daten": ends every mandate of `sub` in both roles (revoked as
/// grantor, given back as grantee), deletes the snapshots, the code and
/// the counted tries. The mandates and the use log stay for the other
/// party until their retention ends.
pub fn end_all_of(c: &Connection, sub: &str, now: i64) -> crate::db::Result<usize> {
    let a = c.execute(
        "UPDATE relay_mandates SET state = 'revoked', ended_at = ?2, snapshot = NULL
         WHERE grantor = ?1 AND state IN ('active', 'pending') AND ends_at > ?2",
        params![sub, now],
    )?;
    let b = c.execute(
        "UPDATE relay_mandates SET state = 'returned', ended_at = ?2, snapshot = NULL
         WHERE grantee = ?1 AND state IN ('active', 'pending') AND ends_at > ?2",
        params![sub, now],
    )?;
    c.execute(
        "UPDATE relay_mandates SET snapshot = NULL WHERE grantor = ?1 OR grantee = ?1",
        params![sub],
    )?;
    c.execute(
        "DELETE FROM relay_mandate_codes WHERE sub = ?1",
        params![sub],
    )?;
    c.execute(
        "DELETE FROM relay_mandate_tries WHERE sub = ?1",
        params![sub],
    )?;
    Ok(a + b)
}

/// Retention: codes past their end, tries past their window, snapshots of
/// mandates past their end; mandates ended [`USES_DAYS`] ago with their
/// uses, and uses older than that.
pub fn sweep(c: &Connection, now: i64) -> crate::db::Result<usize> {
    c.execute(
        "DELETE FROM relay_mandate_codes WHERE expires_at <= ?1",
        params![now],
    )?;
    c.execute(
        "DELETE FROM relay_mandate_tries WHERE at <= ?1",
        params![now - TRY_WINDOW],
    )?;
    c.execute(
        "UPDATE relay_mandates SET state = 'expired', ended_at = ends_at, snapshot = NULL
         WHERE state IN ('active', 'pending') AND ends_at <= ?1",
        params![now],
    )?;
    let cutoff = now - contract::relay::retention::days(USES_DAYS);
    let uses = c.execute(
        "DELETE FROM relay_mandate_uses WHERE at_us <= ?1 OR mandate_id IN (
             SELECT id FROM relay_mandates WHERE ended_at IS NOT NULL AND ended_at <= ?2)",
        params![cutoff.saturating_mul(1_000_000), cutoff],
    )?;
    let mandates = c.execute(
        "DELETE FROM relay_mandates WHERE ended_at IS NOT NULL AND ended_at <= ?1",
        params![cutoff],
    )?;
    Ok(uses + mandates)
}

/// "Meine Daten": the citizen's mandates (both roles, without the
/// snapshot's values) and the uses, for the export document.
pub fn exported(c: &Connection, sub: &str, now: i64) -> crate::db::Result<Value> {
    let (granted, received) = of_citizen(c, sub, now)?;
    let (by_grantees, own) = uses(c, sub)?;
    let kept = |m: &Stored| {
        m.mandate
            .ended_at
            .map(|e| e + contract::relay::retention::days(USES_DAYS))
    };
    let show = |list: &[Stored]| -> Vec<Value> {
        list.iter()
            .map(|m| {
                json!({
                    "mandate": m.mandate,
                    "snapshotKept": m.snapshot.as_ref().map(|s| s.iter().map(|a| a.name.clone()).collect::<Vec<_>>()),
                    "keptUntil": kept(m).map(crate::privacy::iso_utc),
                })
            })
            .collect()
    };
    Ok(json!({
        "granted": show(&granted),
        "received": show(&received),
        "usesByGrantees": by_grantees,
        "ownUses": own,
    }))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
