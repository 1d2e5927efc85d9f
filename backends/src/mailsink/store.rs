//! The mails the sink received, raw, in the stand-in's database. A test
//! aid: the newest [`KEEP`] are kept, older ones deleted on insert.

use rusqlite::{params, Connection};

use crate::db::DbError;
use crate::Db;

pub const MIGRATIONS: &[&str] = &["CREATE TABLE mailsink_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at INTEGER NOT NULL,
        mail_from TEXT NOT NULL,
        rcpt_to TEXT NOT NULL,
        raw BLOB NOT NULL
    );"];

pub const KEEP: i64 = 500;

pub struct Stored {
    pub id: i64,
    pub received_at: i64,
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// Keeps a mail; its id.
pub async fn insert(db: &Db, from: String, to: Vec<String>, raw: Vec<u8>) -> Result<i64, DbError> {
    let to = serde_json::to_string(&to).unwrap_or_else(|_| "[]".into());
    let now = crate::idp::now_secs();
    db.call(move |c| {
        c.execute(
            "INSERT INTO mailsink_messages (received_at, mail_from, rcpt_to, raw) VALUES (?1, ?2, ?3, ?4)",
            params![now, from, to, raw],
        )?;
        let id = c.last_insert_rowid();
        c.execute(
            "DELETE FROM mailsink_messages WHERE id <= ?1",
            params![id - KEEP],
        )?;
        Ok(id)
    })
    .await
}

/// The newest `limit` mails, newest first; only those to `to` (an
/// envelope recipient, case-insensitive) when given.
pub fn list(c: &Connection, to: Option<&str>, limit: usize) -> rusqlite::Result<Vec<Stored>> {
    let mut st = c.prepare(
        "SELECT id, received_at, mail_from, rcpt_to, raw FROM mailsink_messages ORDER BY id DESC",
    )?;
    let rows = st.query_map([], |r| {
        let to: String = r.get(3)?;
        Ok(Stored {
            id: r.get(0)?,
            received_at: r.get(1)?,
            from: r.get(2)?,
            to: serde_json::from_str(&to).unwrap_or_default(),
            raw: r.get(4)?,
        })
    })?;
    let want = to.map(|t| t.trim().to_lowercase());
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= limit {
            break;
        }
        let row = row?;
        if want
            .as_ref()
            .is_none_or(|w| row.to.iter().any(|t| t.to_lowercase() == *w))
        {
            out.push(row);
        }
    }
    Ok(out)
}
