//! Limits of the provider that do not depend on whether an account or card
//! exists: per-client rate limits (password logins, registrations, PIN
//! entries per IP address and time window) and the failure counters per
//! username and per card number.
//!
//! Both live in SQLite, so a restart forgets nothing. The failure counters
//! are kept per *name typed*, whether or not such an account or card exists:
//! an unknown username is locked after the same number of wrong passwords as
//! a real one, and an unknown card number is blocked after three wrong PINs
//! like a real card, so neither answer tells which names exist.

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts, HeaderValue},
    response::Response,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::net::{IpAddr, SocketAddr};

/// The module's own migrations (`schema_migrations` module `idp_limits`).
pub const MIGRATIONS: &[&str] = &["
CREATE TABLE idp_rate_limits (
    action TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (action, client)
);
CREATE TABLE idp_attempts (
    kind TEXT NOT NULL CHECK (kind IN ('password', 'eid_pin', 'eid_puk')),
    key TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, key)
);
INSERT INTO idp_attempts (kind, key, failed, locked_until, last_at)
    SELECT 'password', username, failed, locked_until, CAST(strftime('%s', 'now') AS INTEGER)
    FROM idp_accounts WHERE failed > 0 OR locked_until > 0;
INSERT INTO idp_attempts (kind, key, failed, last_at)
    SELECT 'eid_pin', card_id, wrong_pins, CAST(strftime('%s', 'now') AS INTEGER)
    FROM idp_eid_cards WHERE wrong_pins > 0;
ALTER TABLE idp_eid_cards ADD COLUMN puk_hash TEXT;
"];

/// Default time window of the per-client limits (seconds).
pub const DEFAULT_WINDOW_SECS: u64 = 600;
/// Default password logins per client and window.
pub const DEFAULT_LOGIN_LIMIT: u64 = 300;
/// Default PIN and PUK entries (eID, ELSTER) per client and window.
pub const DEFAULT_PIN_LIMIT: u64 = 300;
/// Default registrations per client and window.
pub const DEFAULT_REGISTER_LIMIT: u64 = 30;

/// Failures of a password are forgotten after this long without another
/// failure (for every username alike, known or not).
pub const PASSWORD_FAILURE_MEMORY_SECS: i64 = 24 * 3600;

/// Per-client limits of the login forms (`BUERGERAMT_IDP_*`, docs/backends.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Length of one window in seconds (`BUERGERAMT_IDP_RATE_WINDOW_SECONDS`).
    pub window_secs: u64,
    /// Password logins (`BUERGERAMT_IDP_LOGIN_LIMIT`).
    pub login: u64,
    /// PIN and PUK entries (`BUERGERAMT_IDP_PIN_LIMIT`).
    pub pin: u64,
    /// Registrations (`BUERGERAMT_IDP_REGISTER_LIMIT`).
    pub register: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            window_secs: DEFAULT_WINDOW_SECS,
            login: DEFAULT_LOGIN_LIMIT,
            pin: DEFAULT_PIN_LIMIT,
            register: DEFAULT_REGISTER_LIMIT,
        }
    }
}

impl RateLimits {
    /// From the environment; unset variables keep the defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let d = Self::default();
        let num = |name: &str, default: u64| -> anyhow::Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 && n <= 1_000_000_000 => Ok(n),
                    _ => anyhow::bail!("{name} must be a positive number, got {v:?}"),
                },
            }
        };
        Ok(Self {
            window_secs: num("BUERGERAMT_IDP_RATE_WINDOW_SECONDS", d.window_secs)?,
            login: num("BUERGERAMT_IDP_LOGIN_LIMIT", d.login)?,
            pin: num("BUERGERAMT_IDP_PIN_LIMIT", d.pin)?,
            register: num("BUERGERAMT_IDP_REGISTER_LIMIT", d.register)?,
        })
    }

    fn limit(&self, action: Action) -> u64 {
        match action {
            Action::Login => self.login,
            Action::Pin => self.pin,
            Action::Register => self.register,
        }
    }
}

/// What a client does, each with its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Pin,
    Register,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Pin => "pin",
            Action::Register => "register",
        }
    }
}

/// The calling client as the rate limits count it: the peer's IP address
/// (IPv6 by its /64 network, which one subscriber usually has whole). Behind
/// no proxy, so no forwarding header is believed. Without connection
/// information (a router called in-process) all calls count as one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client(pub String);

impl Client {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Client(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client(v4.to_string()),
                None => {
                    let s = v6.segments();
                    Client(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Client::of(c.0.ip()))
            .unwrap_or_else(|| Client("unbekannt".into())))
    }
}

/// Counts one `action` of `client` now; `Err(seconds)` when the client is
/// over its limit, with the seconds until its window ends.
pub fn hit(
    conn: &Connection,
    limits: &RateLimits,
    action: Action,
    client: &Client,
    now: i64,
) -> rusqlite::Result<Result<(), u64>> {
    let window = i64::try_from(limits.window_secs).unwrap_or(i64::MAX / 4);
    let limit = i64::try_from(limits.limit(action)).unwrap_or(i64::MAX);
    conn.execute(
        "DELETE FROM idp_rate_limits WHERE window_start <= ?1",
        params![now.saturating_sub(window)],
    )?;
    conn.execute(
        "INSERT INTO idp_rate_limits (action, client, window_start, hits) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (action, client) DO UPDATE SET hits = hits + 1",
        params![action.as_str(), client.0, now],
    )?;
    let (start, hits): (i64, i64) = conn.query_row(
        "SELECT window_start, hits FROM idp_rate_limits WHERE action = ?1 AND client = ?2",
        params![action.as_str(), client.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if hits > limit {
        let left = start.saturating_add(window).saturating_sub(now).max(1);
        return Ok(Err(u64::try_from(left).unwrap_or(1)));
    }
    Ok(Ok(()))
}

/// Adds `Retry-After: secs` to an answer.
pub fn with_retry_after(mut resp: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

// ---------------------------------------------------------------- failure counters

/// What is counted per name: wrong passwords per username, wrong PINs and
/// PUK uses per card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Password,
    EidPin,
    EidPuk,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Password => "password",
            Kind::EidPin => "eid_pin",
            Kind::EidPuk => "eid_puk",
        }
    }
}

/// The counter of one name: failures (or uses) counted, lock end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub failed: i64,
    pub locked_until: i64,
}

/// Forgets stale password counters: unlocked, and no failure for a day.
fn forget_stale(conn: &Connection, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM idp_attempts WHERE kind = 'password' AND locked_until <= ?1 AND last_at < ?2",
        params![now, now - PASSWORD_FAILURE_MEMORY_SECS],
    )?;
    Ok(())
}

/// The counter of `key` (zero when nothing is counted).
pub fn count(conn: &Connection, kind: Kind, key: &str, now: i64) -> rusqlite::Result<Count> {
    if kind == Kind::Password {
        forget_stale(conn, now)?;
    }
    Ok(conn
        .query_row(
            "SELECT failed, locked_until FROM idp_attempts WHERE kind = ?1 AND key = ?2",
            params![kind.as_str(), key],
            |r| {
                Ok(Count {
                    failed: r.get(0)?,
                    locked_until: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Counts one attempt at `key` before its secret is checked (as failed, up
/// front: parallel guesses cannot all pass before the first failure is
/// written). `false` when `key` is locked or `max` attempts are counted
/// already; then the secret must not be checked.
pub fn reserve(
    conn: &Connection,
    kind: Kind,
    key: &str,
    now: i64,
    max: i64,
) -> rusqlite::Result<bool> {
    if kind == Kind::Password {
        forget_stale(conn, now)?;
    }
    Ok(conn.execute(
        "INSERT INTO idp_attempts (kind, key, failed, locked_until, last_at) VALUES (?1, ?2, 1, 0, ?3)
         ON CONFLICT (kind, key) DO UPDATE SET failed = failed + 1, last_at = ?3
         WHERE locked_until <= ?3 AND failed < ?4",
        params![kind.as_str(), key, now, max],
    )? > 0)
}

/// After a wrong secret (already counted by [`reserve`]): the `max`-th
/// failure locks `key` until `now + lock_secs` (and starts the count
/// anew). Returns the counter after the failure.
pub fn failed(
    conn: &Connection,
    kind: Kind,
    key: &str,
    now: i64,
    max: i64,
    lock_secs: Option<i64>,
) -> rusqlite::Result<Count> {
    let c = count(conn, kind, key, now)?;
    match lock_secs {
        Some(secs) if c.failed >= max => {
            let until = now + secs;
            conn.execute(
                "UPDATE idp_attempts SET failed = 0, locked_until = ?3 WHERE kind = ?1 AND key = ?2",
                params![kind.as_str(), key, until],
            )?;
            Ok(Count {
                failed: 0,
                locked_until: until,
            })
        }
        _ => Ok(c),
    }
}

/// A right secret: the counter of `key` starts from zero.
pub fn clear(conn: &Connection, kind: Kind, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM idp_attempts WHERE kind = ?1 AND key = ?2",
        params![kind.as_str(), key],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> crate::Db {
        let db = crate::Db::in_memory().unwrap();
        db.migrate("idp", super::super::store::MIGRATIONS).unwrap();
        db.migrate("idp_limits", MIGRATIONS).unwrap();
        db
    }

    #[test]
    fn limits_come_from_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            RateLimits::from_lookup(env(&[])).unwrap(),
            RateLimits::default()
        );
        let l = RateLimits::from_lookup(env(&[
            ("BUERGERAMT_IDP_LOGIN_LIMIT", "3"),
            ("BUERGERAMT_IDP_RATE_WINDOW_SECONDS", " 60 "),
        ]))
        .unwrap();
        assert_eq!((l.login, l.window_secs, l.pin), (3, 60, DEFAULT_PIN_LIMIT));
        for bad in ["0", "-1", "viele", ""] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([("BUERGERAMT_IDP_PIN_LIMIT", bad)]));
            assert!(RateLimits::from_lookup(env(pairs)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_client_over_its_limit_waits_for_the_window() {
        let db = db();
        let limits = RateLimits {
            window_secs: 100,
            login: 2,
            pin: 1,
            register: 1,
        };
        let a = Client("192.0.2.1".into());
        let b = Client("192.0.2.2".into());
        db.call_sync(|c| {
            assert_eq!(hit(c, &limits, Action::Login, &a, 1000)?, Ok(()));
            assert_eq!(hit(c, &limits, Action::Login, &a, 1010)?, Ok(()));
            assert_eq!(hit(c, &limits, Action::Login, &a, 1030)?, Err(70));
            // Other clients and other actions have their own counters.
            assert_eq!(hit(c, &limits, Action::Login, &b, 1030)?, Ok(()));
            assert_eq!(hit(c, &limits, Action::Pin, &a, 1030)?, Ok(()));
            // A new window.
            assert_eq!(hit(c, &limits, Action::Login, &a, 1100)?, Ok(()));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn ipv6_clients_count_by_their_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(Client::of(ip("127.0.0.1")).0, "127.0.0.1");
        assert_eq!(Client::of(ip("::ffff:192.0.2.7")).0, "192.0.2.7");
        assert_eq!(
            Client::of(ip("2001:db8:1:2:3:4:5:6")),
            Client::of(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            Client::of(ip("2001:db8:1:2::1")),
            Client::of(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn counters_lock_known_and_unknown_names_alike() {
        let db = db();
        db.call_sync(|c| {
            for i in 1..=5 {
                assert!(reserve(c, Kind::Password, "wer-auch-immer", 100, 5)?);
                let after = failed(c, Kind::Password, "wer-auch-immer", 100, 5, Some(900))?;
                if i < 5 {
                    assert_eq!(after.failed, i);
                } else {
                    assert_eq!(after.locked_until, 1000);
                }
            }
            assert!(!reserve(c, Kind::Password, "wer-auch-immer", 999, 5)?);
            assert!(reserve(c, Kind::Password, "wer-auch-immer", 1000, 5)?);
            // Stale failures are forgotten after a day.
            assert_eq!(count(c, Kind::Password, "wer-auch-immer", 1000)?.failed, 1);
            assert_eq!(
                count(c, Kind::Password, "wer-auch-immer", 1000 + 86_401)?,
                Count::default()
            );
            // Cards: no lock time, the count stays.
            for _ in 0..3 {
                assert!(reserve(c, Kind::EidPin, "karte", 5, 3)?);
            }
            assert!(!reserve(c, Kind::EidPin, "karte", 10_000_000, 3)?);
            assert_eq!(count(c, Kind::EidPin, "karte", 10_000_000)?.failed, 3);
            clear(c, Kind::EidPin, "karte")?;
            assert!(reserve(c, Kind::EidPin, "karte", 5, 3)?);
            Ok(())
        })
        .unwrap();
    }
}
