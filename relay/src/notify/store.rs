//! What the relay keeps for notices (schema step 9): per citizen the
//! postbox handle, the account's address and the language
//! (`relay_notify_citizens`), the e-mail choice (`relay_notify_email`), the
//! push devices (`relay_notify_devices`). The watcher's and the sender's
//! tables are in [`super::watch`] and [`super::outbox`]. Plain, portable
//! SQL (SQLite and PostgreSQL).

use contract::notify::{EmailSetting, EmailSource, Lang, PushDevice};

use crate::db::{params, Connection, OptionalExtension};
use crate::privacy::iso_utc;

/// Schema step 9.
pub const MIGRATION: &str = "
CREATE TABLE relay_notify_citizens (
    sub TEXT PRIMARY KEY,
    mailbox_uuid TEXT,
    account_email TEXT,
    lang TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE relay_notify_email (
    sub TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    source TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    confirm_hash TEXT,
    confirm_expires BIGINT,
    confirmation_sent_at BIGINT,
    choice_id TEXT NOT NULL,
    unsubscribe_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX relay_notify_email_confirm ON relay_notify_email(confirm_hash);
CREATE TABLE relay_notify_devices (
    id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sent_at BIGINT
);
CREATE INDEX relay_notify_devices_sub ON relay_notify_devices(sub);
CREATE TABLE relay_notify_watch (
    submission_id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    case_id TEXT NOT NULL,
    primed INTEGER NOT NULL DEFAULT 0,
    completed_at BIGINT,
    checked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX relay_notify_watch_sub ON relay_notify_watch(sub);
CREATE TABLE relay_notify_seen (
    sub TEXT NOT NULL,
    signal TEXT NOT NULL,
    case_id TEXT,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (sub, signal)
);
CREATE TABLE relay_notify_outbox (
    id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    account_ok INTEGER NOT NULL,
    again INTEGER NOT NULL DEFAULT 0,
    first_signal_at BIGINT NOT NULL,
    send_after BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    claim TEXT,
    UNIQUE (sub, channel, target)
);
CREATE TABLE relay_notify_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
";

pub fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::De => "de",
        Lang::En => "en",
    }
}

pub fn parse_lang(s: &str) -> Lang {
    if s == "en" {
        Lang::En
    } else {
        Lang::De
    }
}

/// What the relay knows of a citizen for notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenInfo {
    pub sub: String,
    pub mailbox_uuid: Option<String>,
    pub account_email: Option<String>,
    pub lang: Lang,
}

/// The stored e-mail choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    pub sub: String,
    pub address: String,
    pub source: EmailSource,
    pub confirmed: bool,
    pub confirmation_sent_at: Option<i64>,
    pub choice_id: String,
}

impl EmailRow {
    pub fn setting(&self) -> EmailSetting {
        EmailSetting {
            address: self.address.clone(),
            source: self.source,
            confirmed: self.confirmed,
            confirmation_sent_at: (!self.confirmed)
                .then_some(self.confirmation_sent_at)
                .flatten()
                .map(iso_utc),
        }
    }
}

/// A push device with its keys (never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub sub: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub label: String,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
}

impl Device {
    pub fn shown(&self) -> PushDevice {
        PushDevice {
            id: self.id.clone(),
            label: self.label.clone(),
            created_at: iso_utc(self.created_at),
            last_sent_at: self.last_sent_at.map(iso_utc),
        }
    }
}

/// Keeps what the login says (postbox handle, account address) and the
/// language (`None`: keep the stored one).
pub fn refresh(
    c: &Connection,
    sub: &str,
    mailbox: Option<&str>,
    account_email: Option<&str>,
    lang: Option<Lang>,
    now: i64,
) -> crate::db::Result<CitizenInfo> {
    let known = citizen(c, sub)?;
    let lang = lang.or(known.as_ref().map(|k| k.lang)).unwrap_or_default();
    c.execute(
        "INSERT INTO relay_notify_citizens (sub, mailbox_uuid, account_email, lang, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sub) DO UPDATE SET mailbox_uuid = ?2, account_email = ?3, lang = ?4,
             updated_at = ?5",
        params![sub, mailbox, account_email, lang_name(lang), now],
    )?;
    // A choice of the account's address follows the account.
    if let Some(a) = account_email {
        c.execute(
            "UPDATE relay_notify_email SET address = ?2 WHERE sub = ?1 AND source = 'account'",
            params![sub, a],
        )?;
    }
    Ok(CitizenInfo {
        sub: sub.to_string(),
        mailbox_uuid: mailbox.map(str::to_string),
        account_email: account_email.map(str::to_string),
        lang,
    })
}

pub fn citizen(c: &Connection, sub: &str) -> crate::db::Result<Option<CitizenInfo>> {
    c.query_row(
        "SELECT sub, mailbox_uuid, account_email, lang FROM relay_notify_citizens WHERE sub = ?1",
        params![sub],
        |r| {
            Ok(CitizenInfo {
                sub: r.get(0)?,
                mailbox_uuid: r.get(1)?,
                account_email: r.get(2)?,
                lang: parse_lang(&r.get::<_, String>(3)?),
            })
        },
    )
    .optional()
}

const EMAIL_COLUMNS: &str =
    "sub, address, source, confirmed, confirmation_sent_at, choice_id FROM relay_notify_email";

fn email_row(r: &crate::db::Row) -> crate::db::Result<EmailRow> {
    Ok(EmailRow {
        sub: r.get(0)?,
        address: r.get(1)?,
        source: if r.get::<_, String>(2)? == "account" {
            EmailSource::Account
        } else {
            EmailSource::Other
        },
        confirmed: r.get(3)?,
        confirmation_sent_at: r.get(4)?,
        choice_id: r.get(5)?,
    })
}

pub fn email(c: &Connection, sub: &str) -> crate::db::Result<Option<EmailRow>> {
    c.query_row(
        &format!("SELECT {EMAIL_COLUMNS} WHERE sub = ?1"),
        params![sub],
        email_row,
    )
    .optional()
}

/// A new e-mail choice, replacing any earlier one.
pub struct NewEmail<'a> {
    pub address: &'a str,
    pub source: EmailSource,
    pub confirm_hash: Option<String>,
    pub confirm_expires: Option<i64>,
    pub choice_id: &'a str,
    pub unsubscribe_hash: &'a str,
}

pub fn put_email(c: &Connection, sub: &str, e: &NewEmail<'_>, now: i64) -> crate::db::Result<()> {
    c.execute(
        "DELETE FROM relay_notify_email WHERE sub = ?1",
        params![sub],
    )?;
    let account = e.source == EmailSource::Account;
    c.execute(
        "INSERT INTO relay_notify_email (sub, address, source, confirmed, confirm_hash,
             confirm_expires, confirmation_sent_at, choice_id, unsubscribe_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            sub,
            e.address,
            if account { "account" } else { "other" },
            account,
            e.confirm_hash,
            e.confirm_expires,
            (!account).then_some(now),
            e.choice_id,
            e.unsubscribe_hash,
            now
        ],
    )?;
    Ok(())
}

pub fn delete_email(c: &Connection, sub: &str) -> crate::db::Result<usize> {
    c.execute(
        "DELETE FROM relay_notify_email WHERE sub = ?1",
        params![sub],
    )
}

/// Confirms by the token's hash (single use, before `now` passes its
/// end): the confirmed address.
pub fn confirm(c: &mut Connection, hash: &str, now: i64) -> crate::db::Result<Option<EmailRow>> {
    let tx = c.transaction()?;
    let row = tx
        .query_row(
            &format!(
                "SELECT {EMAIL_COLUMNS} WHERE confirm_hash = ?1 AND confirmed = 0
                 AND confirm_expires > ?2"
            ),
            params![hash, now],
            email_row,
        )
        .optional()?;
    let Some(row) = row else {
        tx.commit()?;
        return Ok(None);
    };
    let n = tx.execute(
        "UPDATE relay_notify_email SET confirmed = 1, confirm_hash = NULL, confirm_expires = NULL
         WHERE sub = ?1 AND confirm_hash = ?2",
        params![row.sub, hash],
    )?;
    tx.commit()?;
    Ok((n == 1).then_some(EmailRow {
        confirmed: true,
        ..row
    }))
}

/// Switches e-mail notices off by the unsubscribe token's hash.
pub fn unsubscribe(c: &mut Connection, hash: &str) -> crate::db::Result<Option<EmailRow>> {
    let tx = c.transaction()?;
    let row = tx
        .query_row(
            &format!("SELECT {EMAIL_COLUMNS} WHERE unsubscribe_hash = ?1"),
            params![hash],
            email_row,
        )
        .optional()?;
    if let Some(r) = &row {
        tx.execute(
            "DELETE FROM relay_notify_email WHERE sub = ?1 AND unsubscribe_hash = ?2",
            params![r.sub, hash],
        )?;
        tx.execute(
            "DELETE FROM relay_notify_outbox WHERE sub = ?1 AND channel = 'email'",
            params![r.sub],
        )?;
    }
    tx.commit()?;
    Ok(row)
}

const DEVICE_COLUMNS: &str =
    "id, sub, endpoint, p256dh, auth, label, created_at, last_sent_at FROM relay_notify_devices";

fn device(r: &crate::db::Row) -> crate::db::Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        sub: r.get(1)?,
        endpoint: r.get(2)?,
        p256dh: r.get(3)?,
        auth: r.get(4)?,
        label: r.get(5)?,
        created_at: r.get(6)?,
        last_sent_at: r.get(7)?,
    })
}

pub fn devices(c: &Connection, sub: &str) -> crate::db::Result<Vec<Device>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {DEVICE_COLUMNS} WHERE sub = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map(params![sub], device)?;
    rows.collect()
}

pub fn device_by_id(c: &Connection, id: &str) -> crate::db::Result<Option<Device>> {
    c.query_row(
        &format!("SELECT {DEVICE_COLUMNS} WHERE id = ?1"),
        params![id],
        device,
    )
    .optional()
}

/// Why a device was not added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddDevice {
    Added,
    TooMany,
}

/// Adds the device; the same endpoint again replaces its row (whoever had
/// it). At most `max` per citizen.
pub fn add_device(c: &mut Connection, d: &Device, max: usize) -> crate::db::Result<AddDevice> {
    let tx = c.transaction()?;
    tx.lock(&format!("notify devices {}", d.sub))?;
    tx.execute(
        "DELETE FROM relay_notify_devices WHERE endpoint = ?1",
        params![d.endpoint],
    )?;
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM relay_notify_devices WHERE sub = ?1",
        params![d.sub],
        |r| r.get(0),
    )?;
    if usize::try_from(n).unwrap_or(usize::MAX) >= max {
        return Ok(AddDevice::TooMany);
    }
    tx.execute(
        "INSERT INTO relay_notify_devices (id, sub, endpoint, p256dh, auth, label, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            d.id,
            d.sub,
            d.endpoint,
            d.p256dh,
            d.auth,
            d.label,
            d.created_at
        ],
    )?;
    tx.commit()?;
    Ok(AddDevice::Added)
}

/// Deletes the citizen's own device; false when it is not theirs.
pub fn delete_device(c: &Connection, sub: &str, id: &str) -> crate::db::Result<bool> {
    let n = c.execute(
        "DELETE FROM relay_notify_devices WHERE id = ?1 AND sub = ?2",
        params![id, sub],
    )?;
    if n > 0 {
        c.execute(
            "DELETE FROM relay_notify_outbox WHERE channel = 'push' AND target = ?1",
            params![id],
        )?;
    }
    Ok(n > 0)
}

/// Does the citizen have a channel that notices reach (a confirmed
/// address or a device)?
pub fn is_active(c: &Connection, sub: &str) -> crate::db::Result<bool> {
    let n: i64 = c.query_row(
        "SELECT (SELECT COUNT(*) FROM relay_notify_email WHERE sub = ?1 AND confirmed = 1)
              + (SELECT COUNT(*) FROM relay_notify_devices WHERE sub = ?1)",
        params![sub],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// After a change of the settings: a citizen whose notices were off and
/// are on now starts from what is there (every case is looked at afresh,
/// and what it holds counts as seen).
pub fn after_change(c: &Connection, sub: &str, was_active: bool) -> crate::db::Result<()> {
    if !was_active && is_active(c, sub)? {
        c.execute(
            "UPDATE relay_notify_watch SET primed = 0 WHERE sub = ?1",
            params![sub],
        )?;
        c.execute(
            "DELETE FROM relay_notify_seen WHERE sub = ?1 AND signal = ?2",
            params![sub, super::termine::PRIMED],
        )?;
    }
    Ok(())
}

/// Everything about `sub` (deletion of the account's data).
pub fn delete_all(c: &Connection, sub: &str) -> crate::db::Result<()> {
    for table in [
        "relay_notify_outbox",
        "relay_notify_seen",
        "relay_notify_watch",
        "relay_notify_devices",
        "relay_notify_email",
        "relay_notify_citizens",
    ] {
        c.execute(&format!("DELETE FROM {table} WHERE sub = ?1"), params![sub])?;
    }
    Ok(())
}

/// An unconfirmed address is forgotten this long after its link expired.
pub const UNCONFIRMED_KEPT_SECS: i64 = 7 * 86_400;
/// A citizen's notice record without any choice, this long after the last use.
pub const IDLE_CITIZEN_SECS: i64 = 30 * 86_400;

/// Retention (`crate::privacy::sweep`): seen signals and watched cases go
/// with their case's record; unconfirmed addresses 7 days after their link
/// expired; a citizen's record without any choice 30 days after its last
/// use.
pub fn sweep(c: &Connection, now: i64) -> crate::db::Result<()> {
    c.execute(
        "DELETE FROM relay_notify_seen WHERE case_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM relay_submissions s WHERE s.case_id = relay_notify_seen.case_id)",
        params![],
    )?;
    c.execute(
        "DELETE FROM relay_notify_watch WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_notify_watch.submission_id)",
        params![],
    )?;
    c.execute(
        "DELETE FROM relay_notify_email WHERE confirmed = 0 AND confirm_expires <= ?1",
        params![now - UNCONFIRMED_KEPT_SECS],
    )?;
    c.execute(
        "DELETE FROM relay_notify_citizens WHERE updated_at <= ?1
             AND NOT EXISTS (SELECT 1 FROM relay_notify_email e WHERE e.sub = relay_notify_citizens.sub)
             AND NOT EXISTS (SELECT 1 FROM relay_notify_devices d WHERE d.sub = relay_notify_citizens.sub)",
        params![now - IDLE_CITIZEN_SECS],
    )?;
    Ok(())
}
