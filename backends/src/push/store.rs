//! The push stand-in's tables: subscriptions and the messages that arrived.
//! Test aids: the newest [`KEEP_MESSAGES`] messages and [`KEEP_SUBSCRIPTIONS`]
//! subscriptions are kept, older ones are deleted on insert.

use rusqlite::{params, Connection, OptionalExtension};

pub const MIGRATIONS: &[&str] = &["CREATE TABLE push_subscriptions (
        id TEXT PRIMARY KEY,
        app_server_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        gone INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE push_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        subscription_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL
    );
    CREATE INDEX push_messages_by_subscription ON push_messages (subscription_id, seq);"];

pub const KEEP_MESSAGES: i64 = 2000;
pub const KEEP_SUBSCRIPTIONS: i64 = 2000;

pub struct Subscription {
    pub app_server_key: String,
    pub gone: bool,
}

pub struct Message {
    pub id: String,
    pub received_at: i64,
    pub headers: String,
    pub body: Vec<u8>,
}

pub fn create(c: &Connection, id: &str, key: &str, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO push_subscriptions (id, app_server_key, created_at) VALUES (?1, ?2, ?3)",
        params![id, key, now],
    )?;
    c.execute(
        "DELETE FROM push_subscriptions WHERE id IN (SELECT id FROM push_subscriptions
         ORDER BY created_at DESC, id LIMIT -1 OFFSET ?1)",
        params![KEEP_SUBSCRIPTIONS],
    )?;
    Ok(())
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<Subscription>> {
    c.query_row(
        "SELECT app_server_key, gone FROM push_subscriptions WHERE id = ?1",
        params![id],
        |r| {
            Ok(Subscription {
                app_server_key: r.get(0)?,
                gone: r.get::<_, i64>(1)? != 0,
            })
        },
    )
    .optional()
}

/// Marks a subscription gone; `false` if there is none.
pub fn mark_gone(c: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "UPDATE push_subscriptions SET gone = 1 WHERE id = ?1",
        params![id],
    )? == 1)
}

pub fn add_message(c: &Connection, subscription: &str, m: &Message) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO push_messages (id, subscription_id, received_at, headers, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![m.id, subscription, m.received_at, m.headers, m.body],
    )?;
    c.execute(
        "DELETE FROM push_messages WHERE seq <= (SELECT MAX(seq) FROM push_messages) - ?1",
        params![KEEP_MESSAGES],
    )?;
    Ok(())
}

pub fn messages(c: &Connection, subscription: &str) -> rusqlite::Result<Vec<Message>> {
    let mut st = c.prepare(
        "SELECT id, received_at, headers, body FROM push_messages
         WHERE subscription_id = ?1 ORDER BY seq",
    )?;
    let rows = st.query_map(params![subscription], |r| {
        Ok(Message {
            id: r.get(0)?,
            received_at: r.get(1)?,
            headers: r.get(2)?,
            body: r.get(3)?,
        })
    })?;
    rows.collect()
}
