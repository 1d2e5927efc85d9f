//! Authority console: server-rendered pages (German) and a JSON API to
//! process submissions: confirm receipt, start processing, ask the citizen
//! for something, reject, decide (a PDF Bescheid into the postbox).
//! Shapes and the clerk login: `docs/backends.md` §5, `docs/authority.md`.
//!
//! Clerks log in with their own accounts (argon2id, seeded). The pages use
//! a session cookie (`HttpOnly; SameSite=Strict`) and a CSRF value in every
//! form; the JSON API uses a Bearer token from `POST /behoerde/api/login`
//! and never the cookie, so it needs no CSRF value (`api.rs`).
//!
//! Every clerk action, and every opening of an application or a file, is
//! written into the append-only, hash-chained audit log (`audit.rs`,
//! `trail.rs`), readable at `/behoerde/protokoll` (`protocol.rs`).

pub mod actions;
mod api;
pub mod audit;
pub mod bescheid;
mod followups;
mod inbox;
mod info;
mod login_pages;
mod mandate;
mod mandate_request;
mod pages;
pub mod payment;
mod protocol;
pub mod reminders;
mod render;
mod termine;
mod trail;

use axum::{
    routing::{get, post},
    Router,
};
use rusqlite::{params, OptionalExtension};

use crate::idp::{hash_password, hash_secret, now_secs, random_token, verify_password_async};
use crate::{error, ApiError, AppState};
use api::*;
use audit::{Actor, Channel, NewEntry, Outcome};

/// Seeded clerk accounts: (username, password, display name). One clerk
/// handles every destination (docs/authority.md).
pub const CLERKS: &[(&str, &str, &str)] = &[(
    "sachbearbeitung",
    "Amt-NRW-2026",
    "Sam Sachbearbeitung (Testkonto)",
)];

/// A console session lasts 8 hours, an API token 1 hour.
pub const SESSION_SECS: i64 = 8 * 60 * 60;
pub const API_TOKEN_SECS: i64 = 60 * 60;
/// Wrong passwords before a clerk account is locked for 15 minutes.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_SECS: i64 = 15 * 60;

const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE behoerde_clerks (
    username TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE behoerde_sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES behoerde_clerks(username) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'api')),
    csrf TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
",
    reminders::MIGRATION,
    audit::MIGRATION,
];

/// Routes under `/behoerde`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("behoerde", MIGRATIONS)?;
    seed_clerks(state)?;
    // Reminders before a request's deadline, on the deadline sweep's tick.
    reminders::spawn_periodic(state);
    Ok(Router::new()
        .route("/", get(pages::home))
        .route("/static/behoerde.css", get(pages::stylesheet))
        .route(
            "/anmelden",
            get(login_pages::login_page).post(login_pages::login),
        )
        .route("/abmelden", post(login_pages::logout))
        .route("/eingang", get(inbox::inbox))
        .route("/antraege/{id}", get(pages::detail))
        .route(
            "/antraege/{id}/anlagen/{attachment_id}",
            get(pages::attachment),
        )
        .route("/antraege/{id}/{action}", post(pages::act))
        .route("/protokoll", get(protocol::page))
        .route("/termine", get(termine::day_page))
        .route("/termine/sperren", post(termine::block))
        .route("/api/login", post(api_login))
        .route("/api/logout", post(api_logout))
        .route("/api/submissions", get(api_list))
        .route("/api/submissions/{id}", get(api_get))
        .route(
            "/api/submissions/{id}/attachments/{attachment_id}",
            get(api_attachment),
        )
        .route("/api/submissions/{id}/accept", post(api_accept))
        .route("/api/submissions/{id}/processing", post(api_processing))
        .route(
            "/api/submissions/{id}/request-action",
            post(api_request_action),
        )
        .route("/api/submissions/{id}/fulfilled", post(api_fulfilled))
        .route("/api/submissions/{id}/reject", post(api_reject))
        .route("/api/submissions/{id}/decide", post(api_decide))
        .fallback(error::not_found))
}

/// The clerk's password: `BUERGERAMT_CLERK_PASSWORD` (at least 12
/// characters), else the seeded test password, which is refused when the
/// stand-in listens on anything but loopback.
fn clerk_password(
    loopback: bool,
    configured: Option<String>,
    seeded: &str,
) -> anyhow::Result<String> {
    match configured {
        Some(p) if p.chars().count() >= 12 => Ok(p),
        Some(_) => anyhow::bail!("BUERGERAMT_CLERK_PASSWORD must be at least 12 characters"),
        None if loopback => Ok(seeded.to_string()),
        None => anyhow::bail!(
            "the stand-in is not bound to loopback: set BUERGERAMT_CLERK_PASSWORD, the seeded test password is refused"
        ),
    }
}

fn seed_clerks(state: &AppState) -> anyhow::Result<()> {
    let loopback = state.config.bind.ip().is_loopback();
    let configured = std::env::var("BUERGERAMT_CLERK_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    for (user, seeded, name) in CLERKS {
        let pw = &clerk_password(loopback, configured.clone(), seeded)?;
        if configured.is_some() || !loopback {
            // A configured password replaces whatever was stored before.
            let hash = hash_password(pw)?;
            state.db.call_sync(|c| {
                c.execute(
                    "UPDATE behoerde_clerks SET password_hash = ?1 WHERE username = ?2",
                    params![hash, user],
                )
            })?;
        }
        let exists = state.db.call_sync(|c| {
            c.query_row(
                "SELECT 1 FROM behoerde_clerks WHERE username = ?1",
                params![user],
                |_| Ok(()),
            )
            .optional()
        })?;
        if exists.is_none() {
            let hash = hash_password(pw)?;
            state.db.call_sync(|c| {
                c.execute(
                    "INSERT INTO behoerde_clerks (username, name, password_hash) VALUES (?1, ?2, ?3)",
                    params![user, name, hash],
                )
            })?;
        }
    }
    Ok(())
}

/// A logged-in clerk.
#[derive(Debug, Clone)]
pub struct Clerk {
    pub username: String,
    pub name: String,
    /// The session's CSRF value (cookie sessions).
    pub csrf: String,
    /// The login session, for the audit log: the first 12 hex digits of
    /// its token's SHA-256 (the token itself is never stored).
    pub session: String,
}

/// The first 12 hex digits of a session token's hash.
fn session_ref(token_hash: &str) -> String {
    token_hash.chars().take(12).collect()
}

pub enum LoginError {
    Wrong,
    Locked { minutes: i64 },
}

/// Checks a clerk's password (counting failures); on success opens a
/// session of `kind` and returns its token and the clerk.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: &str,
    kind: &'static str,
) -> Result<Result<(String, Clerk), LoginError>, ApiError> {
    let now = now_secs();
    let user = username.trim().to_string();
    let u = user.clone();
    let row: Option<(String, String, i64)> = state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT name, password_hash, locked_until FROM behoerde_clerks WHERE username = ?1",
                params![u],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await?;
    let Some((name, hash, locked_until)) = row else {
        // Same work for unknown names, so timing does not tell them apart.
        let _ = verify_password_async(password.to_string(), dummy_hash()).await;
        return Ok(Err(LoginError::Wrong));
    };
    if locked_until > now {
        return Ok(Err(LoginError::Locked {
            minutes: (locked_until - now + 59) / 60,
        }));
    }
    // Count the attempt before the password is checked, so that guesses sent
    // in parallel cannot all get past the lock (a right password resets it).
    let u = user.clone();
    let reserved = state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE behoerde_clerks SET failures = failures + 1
                 WHERE username = ?1 AND locked_until <= ?2 AND failures < ?3",
                params![u, now, MAX_FAILURES],
            )
        })
        .await?;
    if reserved == 0 {
        return Ok(Err(LoginError::Locked {
            minutes: LOCK_SECS / 60,
        }));
    }
    if !verify_password_async(password.to_string(), hash).await {
        let u = user.clone();
        let locked = state
            .db
            .call(move |c| {
                c.execute(
                    "UPDATE behoerde_clerks SET locked_until = ?2, failures = 0 WHERE username = ?1 AND failures >= ?3",
                    params![u, now + LOCK_SECS, MAX_FAILURES],
                )
            })
            .await?;
        if locked > 0 {
            return Ok(Err(LoginError::Locked {
                minutes: LOCK_SECS / 60,
            }));
        }
        return Ok(Err(LoginError::Wrong));
    }
    let token = random_token();
    let csrf = random_token();
    let ttl = if kind == "api" {
        API_TOKEN_SECS
    } else {
        SESSION_SECS
    };
    let th = hash_secret(&token);
    let clerk = Clerk {
        username: user.clone(),
        name,
        csrf: csrf.clone(),
        session: session_ref(&th),
    };
    // The session and its audit entry, together or not at all.
    let entry = NewEntry::new(&Actor::clerk(&clerk, channel(kind)), "login", Outcome::Done);
    let (u, cs) = (user, csrf);
    state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE behoerde_clerks SET failures = 0 WHERE username = ?1",
                params![u],
            )?;
            tx.execute("DELETE FROM behoerde_sessions WHERE expires_at <= ?1", params![now])?;
            tx.execute(
                "INSERT INTO behoerde_sessions (token_hash, username, kind, csrf, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![th, u, kind, cs, now + ttl],
            )?;
            audit::append_in(&tx, &entry, now)?;
            tx.commit()
        })
        .await?;
    Ok(Ok((token, clerk)))
}

/// The audit channel of a session kind.
fn channel(kind: &str) -> Channel {
    if kind == "api" {
        Channel::Api
    } else {
        Channel::Console
    }
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&random_token()).unwrap_or_default())
        .clone()
}

/// The clerk of a session token of `kind`, if valid.
pub async fn session(
    state: &AppState,
    token: &str,
    kind: &'static str,
) -> Result<Option<Clerk>, ApiError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let th = hash_secret(token);
    let now = now_secs();
    Ok(state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT s.username, k.name, s.csrf FROM behoerde_sessions s JOIN behoerde_clerks k USING (username)
                 WHERE s.token_hash = ?1 AND s.kind = ?2 AND s.expires_at > ?3",
                params![th, kind, now],
                |r| {
                    Ok(Clerk {
                        username: r.get(0)?,
                        name: r.get(1)?,
                        csrf: r.get(2)?,
                        session: session_ref(&th),
                    })
                },
            )
            .optional()
        })
        .await?)
}

/// Ends the session of `token`, with the `logout` entry of `actor` in the
/// same transaction.
pub async fn end_session(state: &AppState, token: &str, actor: &Actor) -> Result<(), ApiError> {
    let th = hash_secret(token);
    let entry = NewEntry::new(actor, "logout", Outcome::Done);
    let now = now_secs();
    state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let ended = tx.execute(
                "DELETE FROM behoerde_sessions WHERE token_hash = ?1",
                params![th],
            )?;
            if ended > 0 {
                audit::append_in(&tx, &entry, now)?;
            }
            tx.commit()
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::clerk_password;

    #[test]
    fn the_seeded_clerk_password_only_on_loopback() {
        assert_eq!(clerk_password(true, None, "seed").unwrap(), "seed");
        let e = clerk_password(false, None, "seed").unwrap_err();
        assert!(e.to_string().contains("BUERGERAMT_CLERK_PASSWORD"), "{e}");
        assert_eq!(
            clerk_password(false, Some("a-long-password".into()), "seed").unwrap(),
            "a-long-password"
        );
        assert!(clerk_password(true, Some("short".into()), "seed").is_err());
    }
}
