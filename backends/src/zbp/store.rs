//! SQLite tables of the postbox: messages (with their attachments' bytes)
//! and application status messages. All queries are scoped by the caller.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::idp::TrustLevel;

pub const MIGRATIONS: &[&str] = &["
CREATE TABLE zbp_messages (
    id TEXT PRIMARY KEY,
    mailbox_uuid TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'status', 'info')),
    sender TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    service TEXT,
    application_id TEXT,
    reference TEXT,
    level TEXT NOT NULL,
    retrieval_confirmation_address TEXT,
    reply_address TEXT,
    appealable INTEGER NOT NULL DEFAULT 0,
    deadline TEXT,
    delivered_at INTEGER NOT NULL,
    opened_at INTEGER,
    is_read INTEGER NOT NULL DEFAULT 0,
    deleted_at INTEGER
);
CREATE INDEX zbp_messages_mailbox ON zbp_messages(mailbox_uuid, delivered_at);
CREATE INDEX zbp_messages_deleted ON zbp_messages(deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TABLE zbp_attachments (
    message_id TEXT NOT NULL REFERENCES zbp_messages(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    content_length INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (message_id, id)
);
CREATE TABLE zbp_status (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_uuid TEXT NOT NULL,
    application_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('INITIATED', 'SUBMITTED', 'RECEIVED', 'PROCESSING', 'ACTION_REQUIRED', 'COMPLETED')),
    public_service_name TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    created_date INTEGER NOT NULL,
    status_details TEXT NOT NULL,
    additional_information TEXT,
    reference TEXT,
    level TEXT NOT NULL,
    message_id TEXT
);
CREATE INDEX zbp_status_app ON zbp_status(application_id, seq);
CREATE INDEX zbp_status_mailbox ON zbp_status(mailbox_uuid, seq);
"];

/// A stored message (without attachment bytes).
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub mailbox_uuid: String,
    pub kind: String,
    pub sender: String,
    pub title: String,
    pub content: String,
    pub service: Option<String>,
    pub application_id: Option<String>,
    pub reference: Option<String>,
    pub level: TrustLevel,
    pub retrieval_confirmation_address: Option<String>,
    pub reply_address: Option<String>,
    pub appealable: bool,
    pub deadline: Option<String>,
    pub delivered_at: i64,
    pub opened_at: Option<i64>,
    pub read: bool,
    pub deleted_at: Option<i64>,
    pub attachments: Vec<AttachmentRow>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: String,
    pub filename: String,
    pub mime_type: String,
    pub sha512: String,
    pub content_length: i64,
}

/// The column list of the queries below, as a literal (SQL is built only
/// from literals, at compile time: `tests/security.rs`).
macro_rules! message_columns {
    () => {
        "id, mailbox_uuid, kind, sender, title, content, service, application_id, reference, level, \
retrieval_confirmation_address, reply_address, appealable, deadline, delivered_at, opened_at, is_read, deleted_at"
    };
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    let level: String = r.get(9)?;
    Ok(MessageRow {
        id: r.get(0)?,
        mailbox_uuid: r.get(1)?,
        kind: r.get(2)?,
        sender: r.get(3)?,
        title: r.get(4)?,
        content: r.get(5)?,
        service: r.get(6)?,
        application_id: r.get(7)?,
        reference: r.get(8)?,
        // An unreadable level locks the message as tightly as possible.
        level: level.parse().unwrap_or(TrustLevel::Level4),
        retrieval_confirmation_address: r.get(10)?,
        reply_address: r.get(11)?,
        appealable: r.get::<_, i64>(12)? != 0,
        deadline: r.get(13)?,
        delivered_at: r.get(14)?,
        opened_at: r.get(15)?,
        read: r.get::<_, i64>(16)? != 0,
        deleted_at: r.get(17)?,
        attachments: Vec::new(),
    })
}

fn attachments_of(conn: &Connection, message_id: &str) -> rusqlite::Result<Vec<AttachmentRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, filename, mime_type, sha512, content_length FROM zbp_attachments
         WHERE message_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![message_id], |r| {
        Ok(AttachmentRow {
            id: r.get(0)?,
            filename: r.get(1)?,
            mime_type: r.get(2)?,
            sha512: r.get(3)?,
            content_length: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// The messages of a mailbox, newest first; `trash` selects deleted or not.
pub fn list(conn: &Connection, mailbox: &str, trash: bool) -> rusqlite::Result<Vec<MessageRow>> {
    let sql = concat!(
        "SELECT ",
        message_columns!(),
        " FROM zbp_messages WHERE mailbox_uuid = ?1 AND (deleted_at IS NOT NULL) = ?2
         ORDER BY delivered_at DESC, rowid DESC"
    );
    let mut stmt = conn.prepare(sql)?;
    let mut out = stmt
        .query_map(params![mailbox, trash], message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for m in &mut out {
        m.attachments = attachments_of(conn, &m.id)?;
    }
    Ok(out)
}

/// One message of a mailbox (another mailbox's id is simply not found).
pub fn get(conn: &Connection, mailbox: &str, id: &str) -> rusqlite::Result<Option<MessageRow>> {
    let sql = concat!(
        "SELECT ",
        message_columns!(),
        " FROM zbp_messages WHERE mailbox_uuid = ?1 AND id = ?2"
    );
    let Some(mut m) = conn
        .query_row(sql, params![mailbox, id], message_row)
        .optional()?
    else {
        return Ok(None);
    };
    m.attachments = attachments_of(conn, &m.id)?;
    Ok(Some(m))
}

/// Records the first opening (and the deadline of an appealable decision)
/// and marks the message read.
pub fn mark_opened(
    conn: &Connection,
    mailbox: &str,
    id: &str,
    now: i64,
    deadline: Option<&str>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE zbp_messages SET
            deadline = CASE WHEN opened_at IS NULL AND appealable = 1 THEN ?4 ELSE deadline END,
            opened_at = COALESCE(opened_at, ?3),
            is_read = 1
         WHERE mailbox_uuid = ?1 AND id = ?2",
        params![mailbox, id, now, deadline],
    )?;
    Ok(())
}

/// Sets the read flag; `false` if there is no such message.
pub fn set_read(conn: &Connection, mailbox: &str, id: &str, read: bool) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE zbp_messages SET is_read = ?3 WHERE mailbox_uuid = ?1 AND id = ?2",
        params![mailbox, id, read],
    )? > 0)
}

/// Moves to the trash (`Some(now)`) or restores (`None`); `false` if there
/// is no such message in the expected place.
pub fn set_deleted(
    conn: &Connection,
    mailbox: &str,
    id: &str,
    at: Option<i64>,
) -> rusqlite::Result<bool> {
    let sql = if at.is_some() {
        "UPDATE zbp_messages SET deleted_at = ?3 WHERE mailbox_uuid = ?1 AND id = ?2 AND deleted_at IS NULL"
    } else {
        "UPDATE zbp_messages SET deleted_at = ?3 WHERE mailbox_uuid = ?1 AND id = ?2 AND deleted_at IS NOT NULL"
    };
    Ok(conn.execute(sql, params![mailbox, id, at])? > 0)
}

/// Number of unread messages outside the trash.
pub fn unread(conn: &Connection, mailbox: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM zbp_messages WHERE mailbox_uuid = ?1 AND is_read = 0 AND deleted_at IS NULL",
        params![mailbox],
        |r| r.get(0),
    )
}

/// The bytes of one attachment: (filename, mime type, content).
pub fn attachment(
    conn: &Connection,
    message_id: &str,
    attachment_id: &str,
) -> rusqlite::Result<Option<(String, String, Vec<u8>)>> {
    conn.query_row(
        "SELECT filename, mime_type, content FROM zbp_attachments WHERE message_id = ?1 AND id = ?2",
        params![message_id, attachment_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// Deletes what has been in the trash since `cutoff` or longer; returns how many.
pub fn purge(conn: &mut Connection, cutoff: i64) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE zbp_status SET message_id = NULL WHERE message_id IN
           (SELECT id FROM zbp_messages WHERE deleted_at IS NOT NULL AND deleted_at <= ?1)",
        params![cutoff],
    )?;
    let n = tx.execute(
        "DELETE FROM zbp_messages WHERE deleted_at IS NOT NULL AND deleted_at <= ?1",
        params![cutoff],
    )?;
    tx.commit()?;
    Ok(n)
}

/// One application status message.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub mailbox_uuid: String,
    pub application_id: String,
    pub status: String,
    pub public_service_name: String,
    pub sender_name: String,
    pub created_date: i64,
    pub status_details: String,
    pub additional_information: Option<String>,
    pub reference: Option<String>,
    pub level: TrustLevel,
    pub message_id: Option<String>,
}

fn status_row(r: &Row<'_>) -> rusqlite::Result<StatusRow> {
    let level: String = r.get(9)?;
    Ok(StatusRow {
        mailbox_uuid: r.get(0)?,
        application_id: r.get(1)?,
        status: r.get(2)?,
        public_service_name: r.get(3)?,
        sender_name: r.get(4)?,
        created_date: r.get(5)?,
        status_details: r.get(6)?,
        additional_information: r.get(7)?,
        reference: r.get(8)?,
        level: level.parse().unwrap_or(TrustLevel::Level4),
        message_id: r.get(10)?,
    })
}

/// The column list of the queries below, as a literal (SQL is built only
/// from literals, at compile time: `tests/security.rs`).
macro_rules! status_columns {
    () => {
        "mailbox_uuid, application_id, status, public_service_name, sender_name, created_date, \
status_details, additional_information, reference, level, message_id"
    };
}

pub fn insert_status(conn: &Connection, s: &StatusRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO zbp_status (mailbox_uuid, application_id, status, public_service_name, sender_name,
            created_date, status_details, additional_information, reference, level, message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            s.mailbox_uuid,
            s.application_id,
            s.status,
            s.public_service_name,
            s.sender_name,
            s.created_date,
            s.status_details,
            s.additional_information,
            s.reference,
            s.level.as_str(),
            s.message_id
        ],
    )?;
    Ok(())
}

/// The statuses of an application, oldest first; `mailbox` scopes them to a
/// citizen (`None`: the authority's view).
pub fn statuses(
    conn: &Connection,
    application_id: &str,
    mailbox: Option<&str>,
) -> rusqlite::Result<Vec<StatusRow>> {
    let sql = concat!("SELECT ", status_columns!(), " FROM zbp_status WHERE application_id = ?1 AND (?2 IS NULL OR mailbox_uuid = ?2) ORDER BY seq");
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![application_id, mailbox], status_row)?;
    rows.collect()
}

/// Every status of a mailbox, oldest first.
pub fn mailbox_statuses(conn: &Connection, mailbox: &str) -> rusqlite::Result<Vec<StatusRow>> {
    let sql = concat!(
        "SELECT ",
        status_columns!(),
        " FROM zbp_status WHERE mailbox_uuid = ?1 ORDER BY seq"
    );
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![mailbox], status_row)?;
    rows.collect()
}

/// The applications whose latest status is `status`: that status of each,
/// oldest first (the authority's view, every mailbox).
pub fn latest_statuses(conn: &Connection, status: &str) -> rusqlite::Result<Vec<StatusRow>> {
    let sql = concat!(
        "SELECT ",
        status_columns!(),
        " FROM zbp_status s WHERE s.status = ?1 \
         AND s.seq = (SELECT MAX(t.seq) FROM zbp_status t WHERE t.application_id = s.application_id) \
         ORDER BY s.seq"
    );
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![status], status_row)?;
    rows.collect()
}
