//! Authorization codes, the provider's sessions and the access and refresh
//! tokens issued in them (stored as SHA-256 hex, never in the clear).

use rusqlite::{params, Connection, OptionalExtension};

use crate::idp::{hash_secret, random_token};

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
