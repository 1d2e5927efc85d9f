//! The console's audit log (#18): who did what to which case, when, and
//! how it ended. Append-only in two ways:
//!
//! * the table refuses `UPDATE` and `DELETE` (triggers that `RAISE(ABORT)`);
//! * the rows are a hash chain: each stores the SHA-256 of the previous
//!   row's hash and its own canonical content ([`hash_of`]); [`verify`]
//!   recomputes the chain and names the first row that was changed,
//!   removed or moved.
//!
//! An entry holds ids, status names, dates and counts, never what the
//! application or the clerk's texts say. The actor is the clerk's account
//! and login session as the console knows them; a system task (the
//! reminders) is an actor too. `actor_on_behalf_of` and `mandate_ref` are
//! for mandates (acting for someone else) and stay empty: there is no
//! mandate feature yet (docs/authority.md, "Protokoll").

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Clerk;
use crate::{ApiError, AppState};

pub(super) const MIGRATION: &str = "
CREATE TABLE behoerde_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_session TEXT,
    actor_on_behalf_of TEXT,
    mandate_ref TEXT,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    submission_id TEXT,
    case_id TEXT,
    subject TEXT,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_code INTEGER,
    refers_to INTEGER,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX behoerde_audit_submission ON behoerde_audit (submission_id, seq);
CREATE INDEX behoerde_audit_case ON behoerde_audit (case_id, seq);
CREATE INDEX behoerde_audit_subject ON behoerde_audit (subject, seq);
CREATE TRIGGER behoerde_audit_no_update BEFORE UPDATE ON behoerde_audit
BEGIN SELECT RAISE(ABORT, 'behoerde_audit is append-only'); END;
CREATE TRIGGER behoerde_audit_no_delete BEFORE DELETE ON behoerde_audit
BEGIN SELECT RAISE(ABORT, 'behoerde_audit is append-only'); END;
";

/// The previous hash of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest id kept in an entry; longer ones are cut (they are not ids).
const MAX_ID_CHARS: usize = 100;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A clerk's account.
    Clerk,
    /// A task of the stand-in itself (the reminders).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Clerk => "clerk",
            ActorKind::System => "system",
        }
    }
}

/// How the actor reached the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The HTML pages (session cookie).
    Console,
    /// The JSON API (bearer token).
    Api,
    /// No request: a background task.
    Automatic,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Console => "console",
            Channel::Api => "api",
            Channel::Automatic => "automatic",
        }
    }
}

/// The actor of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The clerk's username, or the system task's name.
    pub id: String,
    /// The login session (the first 12 hex digits of its token's SHA-256),
    /// so that people sharing one account can be told apart by login.
    pub session: Option<String>,
    pub channel: Channel,
    /// For mandates (acting for someone else): whom the actor acted for.
    /// Always `None` until the relay attests mandates.
    pub on_behalf_of: Option<String>,
    /// For mandates: the reference of the attested mandate. Always `None`.
    pub mandate_ref: Option<String>,
}

impl Actor {
    pub fn clerk(clerk: &Clerk, channel: Channel) -> Self {
        Self {
            kind: ActorKind::Clerk,
            id: clerk.username.clone(),
            session: Some(clerk.session.clone()),
            channel,
            on_behalf_of: None,
            mandate_ref: None,
        }
    }

    pub fn system(task: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: task.to_string(),
            session: None,
            channel: Channel::Automatic,
            on_behalf_of: None,
            mandate_ref: None,
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written before a changing action's first write; its result follows
    /// as its own entry (`refers_to`). Alone, the action's end is unknown.
    Begun,
    /// Done.
    Done,
    /// Refused (a 4xx answer: not found, wrong state, bad input).
    Refused(u16),
    /// Failed (a 5xx answer).
    Failed(u16),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Begun => "begun",
            Outcome::Done => "done",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "failed",
        }
    }

    fn code(self) -> Option<i64> {
        match self {
            Outcome::Refused(c) | Outcome::Failed(c) => Some(i64::from(c)),
            _ => None,
        }
    }

    /// The outcome of an error answer.
    pub fn of_error(e: &ApiError) -> Self {
        let code = e.status().as_u16();
        if code >= 500 {
            Outcome::Failed(code)
        } else {
            Outcome::Refused(code)
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub actor: Actor,
    /// `login`, `logout`, `open`, `attachment`, `payment-check`, `accept`, `processing`,
    /// `request-action`, `fulfilled`, `reject`, `decide`, `reminder`.
    pub action: &'static str,
    /// The application (the FIT-Connect submission in the Posteingang).
    pub submission_id: Option<String>,
    /// Its FIT-Connect case.
    pub case_id: Option<String>,
    /// Another id the action touched (the submission holding a file).
    pub subject: Option<String>,
    /// Ids, status names, dates and counts only (a JSON object).
    pub detail: Value,
    pub outcome: Outcome,
    /// The `begun` entry this one ends.
    pub refers_to: Option<i64>,
}

impl NewEntry {
    pub fn new(actor: &Actor, action: &'static str, outcome: Outcome) -> Self {
        Self {
            actor: actor.clone(),
            action,
            submission_id: None,
            case_id: None,
            subject: None,
            detail: json!({}),
            outcome,
            refers_to: None,
        }
    }

    /// On the application `submission_id` (cut when it is too long to be an id).
    pub fn on(mut self, submission_id: &str, case_id: Option<&str>) -> Self {
        self.submission_id = Some(id(submission_id));
        self.case_id = case_id.map(id);
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// An id from a request, as the log keeps it.
fn id(s: &str) -> String {
    s.chars().take(MAX_ID_CHARS).collect()
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub actor_kind: String,
    pub actor_session: Option<String>,
    pub actor_on_behalf_of: Option<String>,
    pub mandate_ref: Option<String>,
    pub channel: String,
    pub action: String,
    pub submission_id: Option<String>,
    pub case_id: Option<String>,
    pub subject: Option<String>,
    pub detail: String,
    pub outcome: String,
    pub outcome_code: Option<i64>,
    pub refers_to: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical content a row's hash covers: every column but the two
/// hashes, in this order, as JSON.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    actor_kind: &'a str,
    actor_session: Option<&'a str>,
    actor_on_behalf_of: Option<&'a str>,
    mandate_ref: Option<&'a str>,
    channel: &'a str,
    action: &'a str,
    submission_id: Option<&'a str>,
    case_id: Option<&'a str>,
    subject: Option<&'a str>,
    detail: &'a str,
    outcome: &'a str,
    outcome_code: Option<i64>,
    refers_to: Option<i64>,
}

impl Entry {
    fn canonical(&self) -> String {
        let c = Canonical {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            actor_kind: &self.actor_kind,
            actor_session: self.actor_session.as_deref(),
            actor_on_behalf_of: self.actor_on_behalf_of.as_deref(),
            mandate_ref: self.mandate_ref.as_deref(),
            channel: &self.channel,
            action: &self.action,
            submission_id: self.submission_id.as_deref(),
            case_id: self.case_id.as_deref(),
            subject: self.subject.as_deref(),
            detail: &self.detail,
            outcome: &self.outcome,
            outcome_code: self.outcome_code,
            refers_to: self.refers_to,
        };
        // A struct of strings and numbers always serialises.
        serde_json::to_string(&c).unwrap_or_default()
    }

    /// The parsed `detail` (an empty object if it is not JSON).
    pub fn detail_json(&self) -> Value {
        serde_json::from_str(&self.detail).unwrap_or_else(|_| json!({}))
    }
}

/// SHA-256 (hex) of the previous row's hash, a line feed and the row's
/// canonical content.
pub fn hash_of(prev_hash: &str, entry: &Entry) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(entry.canonical().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        actor_kind: r.get(3)?,
        actor_session: r.get(4)?,
        actor_on_behalf_of: r.get(5)?,
        mandate_ref: r.get(6)?,
        channel: r.get(7)?,
        action: r.get(8)?,
        submission_id: r.get(9)?,
        case_id: r.get(10)?,
        subject: r.get(11)?,
        detail: r.get(12)?,
        outcome: r.get(13)?,
        outcome_code: r.get(14)?,
        refers_to: r.get(15)?,
        prev_hash: r.get(16)?,
        hash: r.get(17)?,
    })
}

/// Appends `e` at `now` inside the caller's transaction (so the action's
/// writes and its entry commit together or not at all); its number.
pub fn append_in(conn: &Connection, e: &NewEntry, now: i64) -> rusqlite::Result<i64> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM behoerde_audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (last_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_string()));
    let detail = if e.detail.is_object() {
        e.detail.to_string()
    } else {
        "{}".to_string()
    };
    let mut entry = Entry {
        seq: last_seq + 1,
        at: now,
        actor: e.actor.id.clone(),
        actor_kind: e.actor.kind.as_str().to_string(),
        actor_session: e.actor.session.clone(),
        actor_on_behalf_of: e.actor.on_behalf_of.clone(),
        mandate_ref: e.actor.mandate_ref.clone(),
        channel: e.actor.channel.as_str().to_string(),
        action: e.action.to_string(),
        submission_id: e.submission_id.clone(),
        case_id: e.case_id.clone(),
        subject: e.subject.clone(),
        detail,
        outcome: e.outcome.as_str().to_string(),
        outcome_code: e.outcome.code(),
        refers_to: e.refers_to,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = hash_of(&entry.prev_hash, &entry);
    conn.execute(
        "INSERT INTO behoerde_audit (seq, at, actor, actor_kind, actor_session, actor_on_behalf_of, mandate_ref, channel, action, submission_id, case_id, subject, detail, outcome, outcome_code, refers_to, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            entry.seq,
            entry.at,
            entry.actor,
            entry.actor_kind,
            entry.actor_session,
            entry.actor_on_behalf_of,
            entry.mandate_ref,
            entry.channel,
            entry.action,
            entry.submission_id,
            entry.case_id,
            entry.subject,
            entry.detail,
            entry.outcome,
            entry.outcome_code,
            entry.refers_to,
            entry.prev_hash,
            entry.hash
        ],
    )?;
    Ok(entry.seq)
}

/// Appends `e` in a transaction of its own; its number.
pub async fn append(state: &AppState, e: NewEntry) -> Result<i64, ApiError> {
    let now = crate::zbp::now();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let seq = append_in(&tx, &e, now)?;
            tx.commit()?;
            Ok(seq)
        })
        .await?)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows checked.
    pub entries: i64,
    /// The last row's hash (note it elsewhere to notice a rewritten chain).
    pub head: Option<String>,
    /// The first problem, in German (`None`: the chain verifies).
    pub problem: Option<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Recomputes the whole chain: numbers without gaps from 1, each row's
/// `prev_hash` the previous row's hash, each hash its content's, and no
/// number handed out beyond the last row (SQLite's `sqlite_sequence`).
pub fn verify_conn(conn: &Connection) -> rusqlite::Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, actor_kind, actor_session, actor_on_behalf_of, mandate_ref, channel, action, submission_id, case_id, subject, detail, outcome, outcome_code, refers_to, prev_hash, hash
         FROM behoerde_audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let (mut expected_seq, mut prev) = (1i64, GENESIS.to_string());
    let mut entries = 0;
    let mut problem = None;
    while let Some(r) = rows.next()? {
        let e = row(r)?;
        entries += 1;
        if problem.is_some() {
            continue;
        }
        if e.seq != expected_seq {
            problem = Some(match e.seq - expected_seq {
                1 => format!("Eintrag {expected_seq} fehlt."),
                _ => format!("Die Einträge {expected_seq} bis {} fehlen.", e.seq - 1),
            });
        } else if e.prev_hash != prev {
            problem = Some(format!(
                "Eintrag {} passt nicht zum vorigen (die Kette ist unterbrochen).",
                e.seq
            ));
        } else if hash_of(&e.prev_hash, &e) != e.hash {
            problem = Some(format!("Eintrag {} wurde verändert.", e.seq));
        }
        expected_seq = e.seq + 1;
        prev = e.hash;
    }
    let head = (entries > 0).then_some(prev);
    if problem.is_none() {
        let handed_out: Option<i64> = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'behoerde_audit'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let last = expected_seq - 1;
        if let Some(n) = handed_out.filter(|n| *n > last) {
            problem = Some(match n - last {
                1 => format!("Der letzte Eintrag ({n}) fehlt."),
                _ => format!("Die letzten Einträge ({} bis {n}) fehlen.", last + 1),
            });
        }
    }
    Ok(Verification {
        entries,
        head,
        problem,
    })
}

/// [`verify_conn`] on the stand-in's database.
pub async fn verify(state: &AppState) -> Result<Verification, ApiError> {
    Ok(state.db.call(|c| verify_conn(c)).await?)
}

/// One page of entries, newest first, and how many there are in all;
/// `filter` keeps the entries whose application, case or other id is it.
pub async fn page(
    state: &AppState,
    filter: Option<String>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Entry>, i64), ApiError> {
    let offset = i64::from(page.saturating_sub(1)) * i64::from(per_page);
    let limit = i64::from(per_page);
    Ok(state
        .db
        .call(move |c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM behoerde_audit
                 WHERE ?1 IS NULL OR submission_id = ?1 OR case_id = ?1 OR subject = ?1",
                params![filter],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(
                "SELECT seq, at, actor, actor_kind, actor_session, actor_on_behalf_of, mandate_ref, channel, action, submission_id, case_id, subject, detail, outcome, outcome_code, refers_to, prev_hash, hash
                 FROM behoerde_audit
                 WHERE ?1 IS NULL OR submission_id = ?1 OR case_id = ?1 OR subject = ?1
                 ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
            )?;
            let list = stmt
                .query_map(params![filter, limit, offset], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((list, total))
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> crate::db::Db {
        let db = crate::db::Db::in_memory().unwrap();
        db.migrate("audit-test", &[MIGRATION]).unwrap();
        db
    }

    fn entry(action: &'static str) -> NewEntry {
        let clerk = Clerk {
            username: "sachbearbeitung".into(),
            name: "Sam".into(),
            csrf: "x".into(),
            session: "0123456789ab".into(),
        };
        NewEntry::new(
            &Actor::clerk(&clerk, Channel::Console),
            action,
            Outcome::Done,
        )
        .on("sub-1", Some("case-1"))
        .detail(json!({"from": "RECEIVED", "to": "PROCESSING"}))
    }

    #[test]
    fn a_chain_of_three_verifies_and_links() {
        let db = db();
        for (i, a) in ["open", "processing", "decide"].into_iter().enumerate() {
            let seq = db
                .call_sync(|c| append_in(c, &entry(a), 1_700_000_000 + i as i64))
                .unwrap();
            assert_eq!(seq, i as i64 + 1);
        }
        let v = db.call_sync(|c| verify_conn(c)).unwrap();
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.entries, 3);
        let rows: Vec<(String, String)> = db
            .call_sync(|c| {
                let mut s = c.prepare("SELECT prev_hash, hash FROM behoerde_audit ORDER BY seq")?;
                let v = s
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>();
                v
            })
            .unwrap();
        assert_eq!(rows[0].0, GENESIS);
        assert_eq!(rows[1].0, rows[0].1);
        assert_eq!(rows[2].0, rows[1].1);
        assert_eq!(v.head.as_deref(), Some(rows[2].1.as_str()));
    }

    #[test]
    fn the_hash_covers_every_field() {
        let db = db();
        db.call_sync(|c| append_in(c, &entry("open"), 1)).unwrap();
        let e = db
            .call_sync(|c| {
                c.query_row(
                    "SELECT seq, at, actor, actor_kind, actor_session, actor_on_behalf_of, mandate_ref, channel, action, submission_id, case_id, subject, detail, outcome, outcome_code, refers_to, prev_hash, hash FROM behoerde_audit",
                    [],
                    row,
                )
            })
            .unwrap();
        assert_eq!(hash_of(&e.prev_hash, &e), e.hash);
        let changes: [fn(&mut Entry); 6] = [
            |e| e.actor = "jemand".into(),
            |e| e.at += 1,
            |e| e.actor_on_behalf_of = Some("x".into()),
            |e| e.outcome = "refused".into(),
            |e| e.detail = "{}".into(),
            |e| e.seq = 2,
        ];
        for change in changes {
            let mut x = e.clone();
            change(&mut x);
            assert_ne!(hash_of(&x.prev_hash, &x), e.hash, "{x:?}");
        }
        assert_ne!(hash_of(GENESIS.replace('0', "1").as_str(), &e), e.hash);
    }

    #[test]
    fn a_non_object_detail_is_stored_as_an_empty_object() {
        let db = db();
        let e = entry("open").detail(json!("Erika Mustermann"));
        db.call_sync(|c| append_in(c, &e, 1)).unwrap();
        let d: String = db
            .call_sync(|c| c.query_row("SELECT detail FROM behoerde_audit", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(d, "{}");
    }
}
