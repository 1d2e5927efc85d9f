//! The provider's tables, the seeded test citizens, and its queries.
//!
//! Secrets are never stored in the clear: passwords and PINs as argon2 hashes,
//! login-transaction CSRF tokens, authorization codes and access/refresh
//! tokens as SHA-256 hex (they are long random values, so a fast hash is enough).

mod seed;
mod tokens;

use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_secret, random_token, random_uuid, LoginMethod};
use crate::config::Config;
pub use seed::seed;
pub use tokens::{
    create_session, extend_session, issue_tokens, link_code_to_session, revoke_session, session,
    take_code, token, CodeRow, SessionRow,
};

pub const MIGRATIONS: &[&str] = &["
CREATE TABLE idp_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE idp_client_uris (
    client_id TEXT NOT NULL REFERENCES idp_clients(client_id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('redirect', 'post_logout')),
    uri TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);
CREATE TABLE idp_citizens (
    id INTEGER PRIMARY KEY,
    sub TEXT NOT NULL UNIQUE,
    mailbox_uuid TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE idp_attributes (
    citizen_id INTEGER NOT NULL REFERENCES idp_citizens(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('account', 'elster', 'eid')),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (citizen_id, source, name)
);
CREATE TABLE idp_accounts (
    username TEXT PRIMARY KEY,
    citizen_id INTEGER NOT NULL UNIQUE REFERENCES idp_citizens(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE idp_elster_certs (
    cert_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES idp_citizens(id) ON DELETE CASCADE,
    pin_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE idp_eid_cards (
    card_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    document_type TEXT NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES idp_citizens(id) ON DELETE CASCADE,
    pin_hash TEXT NOT NULL,
    wrong_pins INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE idp_login_tx (
    id TEXT PRIMARY KEY,
    csrf_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    acr_requested TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE idp_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    citizen_id INTEGER NOT NULL REFERENCES idp_citizens(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    acr TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    session_id TEXT
);
CREATE TABLE idp_sessions (
    id TEXT PRIMARY KEY,
    citizen_id INTEGER NOT NULL REFERENCES idp_citizens(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT NOT NULL,
    method TEXT NOT NULL,
    acr TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    refreshes INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE idp_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES idp_sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idp_tokens_session ON idp_tokens(session_id);
"];

/// Registers the app as client (from the configuration, at every start).
pub fn register_clients(conn: &mut Connection, config: &Config) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let client = &config.app.client_id;
    tx.execute(
        "INSERT INTO idp_clients (client_id, name) VALUES (?1, 'Bürgeramt NRW')
         ON CONFLICT (client_id) DO NOTHING",
        params![client],
    )?;
    tx.execute(
        "DELETE FROM idp_client_uris WHERE client_id = ?1",
        params![client],
    )?;
    tx.execute(
        "INSERT INTO idp_client_uris (client_id, kind, uri) VALUES (?1, 'redirect', ?2)",
        params![client, config.app.redirect_uri],
    )?;
    let mut logout = vec![format!("{}/", config.public_url)];
    if let Some(o) = crate::config::origin_of(&config.app.redirect_uri) {
        logout.push(format!("{o}/"));
    }
    for uri in logout {
        tx.execute(
            "INSERT OR IGNORE INTO idp_client_uris (client_id, kind, uri) VALUES (?1, 'post_logout', ?2)",
            params![client, uri],
        )?;
    }
    tx.commit()
}

pub fn client_exists(conn: &Connection, client_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM idp_clients WHERE client_id = ?1",
        params![client_id],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
}

pub fn uri_registered(
    conn: &Connection,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM idp_client_uris WHERE client_id = ?1 AND kind = ?2 AND uri = ?3",
        params![client_id, kind, uri],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
}

// ---------------------------------------------------------------- citizens

pub fn create_citizen(conn: &Connection, now: i64) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO idp_citizens (sub, mailbox_uuid, created_at) VALUES (?1, ?2, ?3)",
        params![random_token(), random_uuid(), now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_attributes(
    conn: &Connection,
    citizen_id: i64,
    source: &str,
    attrs: &[(&str, String)],
) -> rusqlite::Result<()> {
    for (name, value) in attrs {
        if value.trim().is_empty() {
            continue;
        }
        conn.execute(
            "INSERT INTO idp_attributes (citizen_id, source, name, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (citizen_id, source, name) DO UPDATE SET value = excluded.value",
            params![citizen_id, source, name, value],
        )?;
    }
    Ok(())
}

pub struct CitizenIds {
    pub sub: String,
    pub mailbox_uuid: String,
}

pub fn citizen_ids(conn: &Connection, citizen_id: i64) -> rusqlite::Result<CitizenIds> {
    conn.query_row(
        "SELECT sub, mailbox_uuid FROM idp_citizens WHERE id = ?1",
        params![citizen_id],
        |r| {
            Ok(CitizenIds {
                sub: r.get(0)?,
                mailbox_uuid: r.get(1)?,
            })
        },
    )
}

/// All stored attributes as (source, name, value).
pub fn attributes(
    conn: &Connection,
    citizen_id: i64,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT source, name, value FROM idp_attributes WHERE citizen_id = ?1 ORDER BY source, name",
    )?;
    let rows = stmt.query_map(params![citizen_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect()
}

// ---------------------------------------------------------------- accounts

pub struct AccountRow {
    pub citizen_id: i64,
    pub password_hash: String,
}

pub fn account(conn: &Connection, username: &str) -> rusqlite::Result<Option<AccountRow>> {
    conn.query_row(
        "SELECT citizen_id, password_hash FROM idp_accounts WHERE username = ?1",
        params![username],
        |r| {
            Ok(AccountRow {
                citizen_id: r.get(0)?,
                password_hash: r.get(1)?,
            })
        },
    )
    .optional()
}

/// Reserves one attempt at `key`'s secret before it is checked, counting it
/// as failed up front: guesses sent in parallel cannot all pass the lock
/// check before the first failure is written. `false` when `key` is locked
/// or `max` attempts are already counted (then the secret must not be
/// checked). A right secret then clears the count ([`clear_failures`]), a
/// wrong one keeps it ([`record_failure`]).
pub fn reserve_attempt(
    conn: &Connection,
    table: LockTable,
    key: &str,
    now: i64,
    max: i64,
) -> rusqlite::Result<bool> {
    let (reserve, _, _) = table.sql();
    Ok(conn.execute(reserve, params![key, now, max])? > 0)
}

/// After a wrong secret (its attempt already counted by
/// [`reserve_attempt`]): the `max`-th failure locks for `lock_secs`.
/// Returns the lock end if locked now.
pub fn record_failure(
    conn: &Connection,
    table: LockTable,
    key: &str,
    now: i64,
    max: i64,
    lock_secs: i64,
) -> rusqlite::Result<Option<i64>> {
    let (_, sql_get, sql_lock) = table.sql();
    let failed: i64 = conn.query_row(sql_get, params![key], |r| r.get(0))?;
    if failed >= max {
        let until = now + lock_secs;
        conn.execute(sql_lock, params![key, until])?;
        return Ok(Some(until));
    }
    Ok(None)
}

pub fn clear_failures(conn: &Connection, table: LockTable, key: &str) -> rusqlite::Result<()> {
    let sql = match table {
        LockTable::Elster => {
            "UPDATE idp_elster_certs SET failed = 0, locked_until = 0 WHERE cert_id = ?1"
        }
    };
    conn.execute(sql, params![key])?;
    Ok(())
}

/// Tables with a per-row lock. Passwords and eID cards are counted per name
/// typed instead ([`super::limits`]), whether or not the account or card exists.
#[derive(Clone, Copy)]
pub enum LockTable {
    Elster,
}

impl LockTable {
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LockTable::Elster => (
                "UPDATE idp_elster_certs SET failed = failed + 1
                 WHERE cert_id = ?1 AND locked_until <= ?2 AND failed < ?3",
                "SELECT failed FROM idp_elster_certs WHERE cert_id = ?1",
                "UPDATE idp_elster_certs SET failed = 0, locked_until = ?2 WHERE cert_id = ?1",
            ),
        }
    }
}

pub fn create_account(
    conn: &mut Connection,
    username: &str,
    password_hash: &str,
    attrs: &[(&str, String)],
    now: i64,
) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    let id = create_citizen(&tx, now)?;
    tx.execute(
        "INSERT INTO idp_accounts (username, citizen_id, password_hash) VALUES (?1, ?2, ?3)",
        params![username, id, password_hash],
    )?;
    set_attributes(&tx, id, "account", attrs)?;
    tx.commit()?;
    Ok(id)
}

// ---------------------------------------------------------------- ELSTER, eID

pub struct CertRow {
    pub cert_id: String,
    pub label: String,
    pub citizen_id: i64,
    pub pin_hash: String,
    pub locked_until: i64,
}

pub fn elster_certs(conn: &Connection) -> rusqlite::Result<Vec<CertRow>> {
    let mut stmt = conn.prepare(
        "SELECT cert_id, label, citizen_id, pin_hash, locked_until FROM idp_elster_certs ORDER BY cert_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CertRow {
            cert_id: r.get(0)?,
            label: r.get(1)?,
            citizen_id: r.get(2)?,
            pin_hash: r.get(3)?,
            locked_until: r.get(4)?,
        })
    })?;
    rows.collect()
}

// ---------------------------------------------------------------- login transactions

pub struct LoginTx {
    pub id: String,
    pub csrf_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub acr_requested: String,
    pub expires_at: i64,
    pub completed: bool,
}

pub fn insert_tx(conn: &Connection, t: &LoginTx) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM idp_login_tx WHERE expires_at < ?1",
        params![t.expires_at - 24 * 3600],
    )?;
    conn.execute(
        "INSERT INTO idp_login_tx (id, csrf_hash, client_id, redirect_uri, scope, state, nonce,
            code_challenge, acr_requested, expires_at, completed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)",
        params![
            t.id,
            t.csrf_hash,
            t.client_id,
            t.redirect_uri,
            t.scope,
            t.state,
            t.nonce,
            t.code_challenge,
            t.acr_requested,
            t.expires_at
        ],
    )?;
    Ok(())
}

pub fn get_tx(conn: &Connection, id: &str) -> rusqlite::Result<Option<LoginTx>> {
    conn.query_row(
        "SELECT id, csrf_hash, client_id, redirect_uri, scope, state, nonce, code_challenge,
                acr_requested, expires_at, completed
         FROM idp_login_tx WHERE id = ?1",
        params![id],
        |r| {
            Ok(LoginTx {
                id: r.get(0)?,
                csrf_hash: r.get(1)?,
                client_id: r.get(2)?,
                redirect_uri: r.get(3)?,
                scope: r.get(4)?,
                state: r.get(5)?,
                nonce: r.get(6)?,
                code_challenge: r.get(7)?,
                acr_requested: r.get(8)?,
                expires_at: r.get(9)?,
                completed: r.get::<_, i64>(10)? != 0,
            })
        },
    )
    .optional()
}

/// Completes the transaction (once) and issues an authorization code for it.
/// Returns `None` if it was already completed.
pub fn complete_tx(
    conn: &mut Connection,
    tx_id: &str,
    citizen_id: i64,
    method: LoginMethod,
    now: i64,
    code_ttl: i64,
) -> rusqlite::Result<Option<(String, LoginTx)>> {
    let t = conn.transaction()?;
    let changed = t.execute(
        "UPDATE idp_login_tx SET completed = 1 WHERE id = ?1 AND completed = 0",
        params![tx_id],
    )?;
    if changed != 1 {
        return Ok(None);
    }
    let Some(login) = get_tx(&t, tx_id)? else {
        return Ok(None);
    };
    // Housekeeping: forget codes and sessions that ended more than a day ago
    // (their tokens go with them).
    let horizon = now - 24 * 3600;
    t.execute(
        "DELETE FROM idp_codes WHERE expires_at < ?1",
        params![horizon],
    )?;
    t.execute(
        "DELETE FROM idp_sessions WHERE expires_at < ?1",
        params![horizon],
    )?;
    let code = random_token();
    t.execute(
        "INSERT INTO idp_codes (code_hash, client_id, redirect_uri, scope, nonce, code_challenge,
            citizen_id, method, acr, auth_time, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            hash_secret(&code),
            login.client_id,
            login.redirect_uri,
            login.scope,
            login.nonce,
            login.code_challenge,
            citizen_id,
            method.as_str(),
            method.level().as_str(),
            now,
            now + code_ttl
        ],
    )?;
    t.commit()?;
    Ok(Some((code, login)))
}
