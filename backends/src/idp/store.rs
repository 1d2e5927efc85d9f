//! The provider's tables, the seeded test citizens, and its queries.
//!
//! Secrets are never stored in the clear: passwords and PINs as argon2 hashes,
//! login-transaction CSRF tokens, authorization codes and access/refresh
//! tokens as SHA-256 hex (they are long random values, so a fast hash is enough).

use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_secret, random_token, random_uuid, LoginMethod};
use crate::config::Config;

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

// ---------------------------------------------------------------- codes, sessions, tokens

pub struct CodeRow {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: String,
    pub code_challenge: String,
    pub citizen_id: i64,
    pub method: String,
    pub acr: String,
    pub auth_time: i64,
    pub expires_at: i64,
    pub used: bool,
    pub session_id: Option<String>,
}

/// Fetches the code and marks it used in one step (single use, whatever follows).
pub fn take_code(conn: &Connection, code: &str) -> rusqlite::Result<Option<CodeRow>> {
    let h = hash_secret(code);
    let row = conn
        .query_row(
            "SELECT client_id, redirect_uri, scope, nonce, code_challenge, citizen_id, method, acr,
                    auth_time, expires_at, used, session_id
             FROM idp_codes WHERE code_hash = ?1",
            params![h],
            |r| {
                Ok(CodeRow {
                    client_id: r.get(0)?,
                    redirect_uri: r.get(1)?,
                    scope: r.get(2)?,
                    nonce: r.get(3)?,
                    code_challenge: r.get(4)?,
                    citizen_id: r.get(5)?,
                    method: r.get(6)?,
                    acr: r.get(7)?,
                    auth_time: r.get(8)?,
                    expires_at: r.get(9)?,
                    used: r.get::<_, i64>(10)? != 0,
                    session_id: r.get(11)?,
                })
            },
        )
        .optional()?;
    if row.is_some() {
        conn.execute(
            "UPDATE idp_codes SET used = 1 WHERE code_hash = ?1",
            params![h],
        )?;
    }
    Ok(row)
}

pub fn link_code_to_session(
    conn: &Connection,
    code: &str,
    session_id: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE idp_codes SET session_id = ?2 WHERE code_hash = ?1",
        params![hash_secret(code), session_id],
    )?;
    Ok(())
}

pub struct SessionRow {
    pub id: String,
    pub citizen_id: i64,
    pub client_id: String,
    pub scope: String,
    pub nonce: String,
    pub method: String,
    pub acr: String,
    pub auth_time: i64,
    pub expires_at: i64,
    pub refreshes: i64,
    pub revoked: bool,
}

#[allow(clippy::too_many_arguments)]
pub fn create_session(
    conn: &Connection,
    citizen_id: i64,
    client_id: &str,
    scope: &str,
    nonce: &str,
    method: &str,
    acr: &str,
    auth_time: i64,
    expires_at: i64,
) -> rusqlite::Result<String> {
    let id = random_token();
    conn.execute(
        "INSERT INTO idp_sessions (id, citizen_id, client_id, scope, nonce, method, acr, auth_time, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, citizen_id, client_id, scope, nonce, method, acr, auth_time, expires_at],
    )?;
    Ok(id)
}

pub fn session(conn: &Connection, id: &str) -> rusqlite::Result<Option<SessionRow>> {
    conn.query_row(
        "SELECT id, citizen_id, client_id, scope, nonce, method, acr, auth_time, expires_at,
                refreshes, revoked
         FROM idp_sessions WHERE id = ?1",
        params![id],
        |r| {
            Ok(SessionRow {
                id: r.get(0)?,
                citizen_id: r.get(1)?,
                client_id: r.get(2)?,
                scope: r.get(3)?,
                nonce: r.get(4)?,
                method: r.get(5)?,
                acr: r.get(6)?,
                auth_time: r.get(7)?,
                expires_at: r.get(8)?,
                refreshes: r.get(9)?,
                revoked: r.get::<_, i64>(10)? != 0,
            })
        },
    )
    .optional()
}

/// Revokes a session and every token issued in it.
pub fn revoke_session(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE idp_sessions SET revoked = 1 WHERE id = ?1",
        params![id],
    )?;
    conn.execute(
        "UPDATE idp_tokens SET revoked = 1 WHERE session_id = ?1",
        params![id],
    )?;
    Ok(())
}

/// Issues a fresh access and refresh token pair (revoking earlier ones of
/// the session) valid until `expires_at`. Returns (access, refresh).
pub fn issue_tokens(
    conn: &Connection,
    session_id: &str,
    expires_at: i64,
) -> rusqlite::Result<(String, String)> {
    conn.execute(
        "UPDATE idp_tokens SET revoked = 1 WHERE session_id = ?1",
        params![session_id],
    )?;
    let access = random_token();
    let refresh = random_token();
    for (tok, kind) in [(&access, "access"), (&refresh, "refresh")] {
        conn.execute(
            "INSERT INTO idp_tokens (token_hash, session_id, kind, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash_secret(tok), session_id, kind, expires_at],
        )?;
    }
    Ok((access, refresh))
}

pub fn extend_session(
    conn: &Connection,
    session_id: &str,
    expires_at: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE idp_sessions SET expires_at = ?2, refreshes = refreshes + 1 WHERE id = ?1",
        params![session_id, expires_at],
    )?;
    Ok(())
}

pub struct TokenRow {
    pub session_id: String,
    pub expires_at: i64,
    pub revoked: bool,
}

pub fn token(conn: &Connection, token: &str, kind: &str) -> rusqlite::Result<Option<TokenRow>> {
    conn.query_row(
        "SELECT session_id, expires_at, revoked FROM idp_tokens WHERE token_hash = ?1 AND kind = ?2",
        params![hash_secret(token), kind],
        |r| {
            Ok(TokenRow {
                session_id: r.get(0)?,
                expires_at: r.get(1)?,
                revoked: r.get::<_, i64>(2)? != 0,
            })
        },
    )
    .optional()
}

// ---------------------------------------------------------------- seed

/// One seeded test citizen; documented in docs/test-citizens.md.
struct Seed {
    username: Option<(&'static str, &'static str)>,
    account: &'static [(&'static str, &'static str)],
    elster: Option<(&'static str, &'static str, &'static str)>,
    elster_attrs: &'static [(&'static str, &'static str)],
    eid: Option<(&'static str, &'static str, &'static str, &'static str)>,
    eid_attrs: &'static [(&'static str, &'static str)],
}

const SEEDS: &[Seed] = &[
    // Erika Mustermann: Basis account (self-declared, slightly sloppy data)
    // plus the specimen Personalausweis linked to the same citizen.
    Seed {
        username: Some(("erika", "Mustermann-2026")),
        account: &[
            ("givenName", "Erika"),
            ("surname", "Mustermann"),
            ("birthdate", "1964-08-12"),
            ("postalAddress", "Heidestr. 17"),
            ("postalCode", "51147"),
            ("localityName", "Köln"),
            ("country", "D"),
            ("mail", "erika.mustermann@example.org"),
            ("telephoneNumber", "+49 221 12345678"),
        ],
        elster: None,
        elster_attrs: &[],
        eid: Some((
            "eid-erika",
            "Personalausweis (Musterausweis) – Erika Mustermann",
            "ID",
            "123456",
        )),
        eid_attrs: &[
            ("givenName", "Erika"),
            ("surname", "Mustermann"),
            ("birthName", "Gabler"),
            ("birthdate", "1964-08-12"),
            ("placeOfBirth", "Berlin"),
            ("nationality", "D"),
            ("postalAddress", "Heidestraße 17"),
            ("postalCode", "51147"),
            ("localityName", "Köln"),
            ("country", "D"),
            ("documentType", "ID"),
        ],
    },
    // Basis account only.
    Seed {
        username: Some(("max.beispiel", "Beispiel-Basis-1")),
        account: &[
            ("givenName", "Max"),
            ("surname", "Beispiel"),
            ("birthdate", "1990-03-01"),
            ("postalAddress", "Königsallee 1"),
            ("postalCode", "40212"),
            ("localityName", "Düsseldorf"),
            ("country", "D"),
            ("mail", "max.beispiel@example.org"),
        ],
        elster: None,
        elster_attrs: &[],
        eid: None,
        eid_attrs: &[],
    },
    // ELSTER software certificate, with a Basis account for the e-mail address.
    Seed {
        username: Some(("jonas.schmidt", "Elster-Konto-7")),
        account: &[
            ("givenName", "Jonas"),
            ("surname", "Schmidt"),
            ("mail", "jonas.schmidt@example.org"),
        ],
        elster: Some((
            "elster-jonas",
            "ELSTER-Softwarezertifikat jonas-schmidt.pfx (Jonas Schmidt)",
            "Elster-PIN-2026",
        )),
        elster_attrs: &[
            ("givenName", "Jonas"),
            ("surname", "Schmidt"),
            ("birthdate", "1985-11-23"),
            ("postalAddress", "Hansaring 50"),
            ("postalCode", "48155"),
            ("localityName", "Münster"),
            ("country", "D"),
        ],
        eid: None,
        eid_attrs: &[],
    },
    // eID only: an electronic residence permit (eAT), no Basis account.
    Seed {
        username: None,
        account: &[],
        elster: None,
        elster_attrs: &[],
        eid: Some((
            "eid-leyla",
            "Elektronischer Aufenthaltstitel (eAT) – Leyla Yılmaz",
            "AR",
            "654321",
        )),
        eid_attrs: &[
            ("givenName", "Leyla"),
            ("surname", "Yılmaz"),
            ("birthdate", "1993-05-17"),
            ("placeOfBirth", "İzmir"),
            ("nationality", "TUR"),
            ("postalAddress", "Westenhellweg 12"),
            ("postalCode", "44137"),
            ("localityName", "Dortmund"),
            ("country", "D"),
            ("documentType", "AR"),
        ],
    },
];

fn owned(attrs: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    attrs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Seeds the test citizens once (when no citizen exists yet).
pub fn seed(conn: &mut Connection, now: i64) -> anyhow::Result<()> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM idp_citizens", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for s in SEEDS {
        let id = create_citizen(&tx, now)?;
        if let Some((user, pw)) = s.username {
            tx.execute(
                "INSERT INTO idp_accounts (username, citizen_id, password_hash) VALUES (?1, ?2, ?3)",
                params![user, id, super::hash_password(pw)?],
            )?;
        }
        set_attributes(&tx, id, "account", &owned(s.account))?;
        if let Some((cert, label, pin)) = s.elster {
            tx.execute(
                "INSERT INTO idp_elster_certs (cert_id, label, citizen_id, pin_hash) VALUES (?1, ?2, ?3, ?4)",
                params![cert, label, id, super::hash_password(pin)?],
            )?;
            set_attributes(&tx, id, "elster", &owned(s.elster_attrs))?;
        }
        if let Some((card, label, doc, pin)) = s.eid {
            tx.execute(
                "INSERT INTO idp_eid_cards (card_id, label, document_type, citizen_id, pin_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![card, label, doc, id, super::hash_password(pin)?],
            )?;
            set_attributes(&tx, id, "eid", &owned(s.eid_attrs))?;
        }
    }
    tx.commit()?;
    Ok(())
}
