//! The attestation signing keys and their lifecycle (issue #18): keys are
//! rolled over without downtime and without breaking a verifier that
//! caches the relay's JWKS.
//!
//! * **next**: prepared (`buergeramt-relay keys prepare`), published in the
//!   JWKS, not signing yet, so that verifiers learn it before it is used;
//! * **active**: signing; exactly one (a unique index says so);
//! * **retired**: no longer signing; still published until every
//!   attestation it signed has expired ([`LIFETIME_SECONDS`] after its
//!   retirement, plus [`PUBLISH_MARGIN`]), then dropped from the JWKS and its
//!   private key deleted. A prepared key withdrawn before it signed is not
//!   published at all.
//!
//! `activate` makes a next key active and retires the active one in one
//! transaction. Every instance reads the key state from the database at
//! most every [`KeyPolicy::refresh`] ([`KeyRing`]), so an `activate` on one
//! instance (or the command line) reaches all within that time, without a
//! restart. The order and the waits: docs/deploy.md, "Key rollover".

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contract::attestation::Attestation;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use serde_json::{json, Value};

use crate::attestation::{Attester, LIFETIME_SECONDS};
use crate::db::{params, Connection, Db, Error, OptionalExtension, Result};
use crate::error::RelayError;

/// The key table (a schema step of `db::MIGRATIONS`). The private key is
/// NULL once the key is dropped.
pub const MIGRATION: &str = "
CREATE TABLE relay_attestation_keys (
    kid TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    jwk TEXT NOT NULL,
    pem TEXT,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    dropped_at BIGINT
);
CREATE UNIQUE INDEX relay_attestation_keys_one_active
    ON relay_attestation_keys (state) WHERE state = 'active';
";

/// Default time between two reads of the key state by one instance.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(30);
/// The longest refresh allowed: a retired key stays published
/// [`PUBLISH_MARGIN`] longer than its attestations live, which must cover
/// an instance still signing with it until its next read.
pub const MAX_REFRESH: Duration = Duration::from_secs(300);
/// Published beyond the lifetime of the last attestation a retired key can
/// have signed: the refresh time of the instances and clock skew.
pub const PUBLISH_MARGIN: i64 = 600;
/// Default least time between `prepare` and `activate`: verifiers cache the
/// JWKS for its `max-age` ([`JWKS_MAX_AGE`]), the instances for their
/// refresh time; two hours leave room.
pub const DEFAULT_MIN_WAIT: i64 = 2 * 3600;
/// `Cache-Control: max-age` of the published JWKS.
pub const JWKS_MAX_AGE: i64 = 3600;
/// A prepared key waiting longer than this is reported by `check-config`.
pub const NEXT_STALE: i64 = 7 * 86_400;

/// Serialises the lifecycle commands on PostgreSQL (`Connection::lock`).
const LOCK: &str = "relay-attestation-keys";

/// How the instances follow the key state, from the environment
/// (`RELAY_KEYS_REFRESH_SECS`, `RELAY_KEYS_MIN_WAIT_SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    pub refresh: Duration,
    /// Seconds between `prepare` and `activate` (unless `--force`).
    pub min_wait: i64,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            refresh: DEFAULT_REFRESH,
            min_wait: DEFAULT_MIN_WAIT,
        }
    }
}

impl KeyPolicy {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut p = KeyPolicy::default();
        if let Some(v) = var("RELAY_KEYS_REFRESH_SECS") {
            let secs: u64 = v.trim().parse().map_err(|_| {
                anyhow::anyhow!("RELAY_KEYS_REFRESH_SECS must be a number of seconds")
            })?;
            if secs == 0 || secs > MAX_REFRESH.as_secs() {
                anyhow::bail!(
                    "RELAY_KEYS_REFRESH_SECS must be between 1 and {}",
                    MAX_REFRESH.as_secs()
                );
            }
            p.refresh = Duration::from_secs(secs);
        }
        if let Some(v) = var("RELAY_KEYS_MIN_WAIT_SECS") {
            p.min_wait = v
                .trim()
                .parse::<u32>()
                .map_err(|_| {
                    anyhow::anyhow!("RELAY_KEYS_MIN_WAIT_SECS must be a number of seconds")
                })?
                .into();
        }
        Ok(p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "next" => Ok(KeyState::Next),
            "active" => Ok(KeyState::Active),
            "retired" => Ok(KeyState::Retired),
            other => Err(Error::other(format!("unknown key state {other:?}"))),
        }
    }
}

/// One key as stored, without its private part.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub state: KeyState,
    /// The public JWK.
    pub jwk: Value,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub dropped_at: Option<i64>,
    /// The private key is still stored.
    pub has_private: bool,
}

impl KeyInfo {
    /// Until when a retired key that signed stays published; `None` for
    /// keys published without end (next, active) or not at all.
    pub fn published_until(&self) -> Option<i64> {
        match (self.state, self.activated_at, self.retired_at) {
            (KeyState::Retired, Some(_), Some(r)) if self.dropped_at.is_none() => {
                Some(r.saturating_add(LIFETIME_SECONDS + PUBLISH_MARGIN))
            }
            _ => None,
        }
    }

    pub fn published(&self, now: i64) -> bool {
        match self.state {
            KeyState::Next | KeyState::Active => true,
            KeyState::Retired => self.published_until().is_some_and(|t| now < t),
        }
    }

    /// Retired, past its publication, private key still stored.
    fn due_for_drop(&self, now: i64) -> bool {
        self.state == KeyState::Retired && self.dropped_at.is_none() && !self.published(now)
    }
}

/// Every key, oldest first.
pub fn list(c: &Connection) -> Result<Vec<KeyInfo>> {
    let rows = c.query_rows(
        "SELECT kid, state, jwk, pem IS NOT NULL, created_at, activated_at, retired_at, dropped_at
         FROM relay_attestation_keys ORDER BY created_at, kid",
        params![],
    )?;
    rows.iter()
        .map(|r| {
            let jwk: String = r.get(2)?;
            Ok(KeyInfo {
                kid: r.get(0)?,
                state: KeyState::parse(&r.get::<_, String>(1)?)?,
                jwk: serde_json::from_str(&jwk).map_err(Error::other)?,
                has_private: r.get(3)?,
                created_at: r.get(4)?,
                activated_at: r.get(5)?,
                retired_at: r.get(6)?,
                dropped_at: r.get(7)?,
            })
        })
        .collect()
}

fn new_pem() -> Result<String> {
    let make = || -> anyhow::Result<String> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let pkey = PKey::from_ec_key(EcKey::generate(&group)?)?;
        Ok(String::from_utf8(pkey.private_key_to_pem_pkcs8()?)?)
    };
    make().map_err(Error::other)
}

/// Stores `pem` in `state` unless its kid is stored (or, for an active
/// key, another is active); returns the kid.
fn insert(c: &Connection, pem: &str, state: KeyState, now: i64) -> Result<String> {
    let a = Attester::from_pem(pem).map_err(Error::other)?;
    let activated = (state == KeyState::Active).then_some(now);
    c.execute(
        "INSERT INTO relay_attestation_keys (kid, state, jwk, pem, created_at, activated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        params![
            a.kid(),
            state.as_str(),
            a.jwk().to_string(),
            pem,
            now,
            activated
        ],
    )?;
    Ok(a.kid().to_string())
}

fn active_kid(c: &Connection) -> Result<Option<String>> {
    c.query_row(
        "SELECT kid FROM relay_attestation_keys WHERE state = 'active'",
        params![],
        |r| r.get(0),
    )
    .optional()
}

/// At start: an active key exists afterwards. The key of a relay before
/// the key table (`relay_meta`) becomes the active one, same kid, so that
/// authorities go on verifying; else one is made. Instances starting at
/// once agree on one (the unique index).
pub fn ensure_active(c: &Connection) -> Result<String> {
    if let Some(kid) = active_kid(c)? {
        return Ok(kid);
    }
    let legacy: Option<String> = c
        .query_row(
            "SELECT value FROM relay_meta WHERE key = 'attestation_key'",
            params![],
            |r| r.get(0),
        )
        .optional()?;
    let pem = match legacy {
        Some(pem) => pem,
        None => new_pem()?,
    };
    insert(c, &pem, KeyState::Active, crate::session::now())?;
    active_kid(c)?.ok_or_else(|| {
        Error::other("no active attestation key: see `buergeramt-relay keys list` and activate one")
    })
}

/// Drops the retired keys past their publication: the private key is
/// deleted (also the copy a relay before the key table kept in
/// `relay_meta`). Returns how many.
pub fn purge(c: &Connection, now: i64) -> Result<usize> {
    let n = c.execute(
        "UPDATE relay_attestation_keys SET pem = NULL, dropped_at = ?1
         WHERE state = 'retired' AND dropped_at IS NULL
           AND (activated_at IS NULL OR retired_at < ?2)",
        params![now, now - LIFETIME_SECONDS - PUBLISH_MARGIN],
    )?;
    if n > 0 {
        c.execute(
            "DELETE FROM relay_meta WHERE key = 'attestation_key' AND value NOT IN
             (SELECT pem FROM relay_attestation_keys WHERE pem IS NOT NULL)",
            params![],
        )?;
    }
    Ok(n)
}

/// `keys prepare`: a new key in state next. One at a time.
pub fn prepare(c: &mut Connection, now: i64) -> Result<String> {
    let tx = c.transaction()?;
    tx.lock(LOCK)?;
    if let Some(k) = list(&tx)?.into_iter().find(|k| k.state == KeyState::Next) {
        return Err(Error::other(format!(
            "key {} is already prepared: activate or retire it first",
            k.kid
        )));
    }
    let kid = insert(&tx, &new_pem()?, KeyState::Next, now)?;
    purge(&tx, now)?;
    tx.commit()?;
    Ok(kid)
}

fn find(c: &Connection, kid: &str) -> Result<KeyInfo> {
    list(c)?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| Error::other(format!("no key {kid}")))
}

/// `keys activate <kid>`: the next key `kid` signs from now on, the active
/// one is retired. Refused before `min_wait` seconds since `prepare`
/// unless `force` (verifiers that cached the JWKS without `kid` would
/// reject what it signs). Returns the retired kid.
pub fn activate(
    c: &mut Connection,
    kid: &str,
    now: i64,
    min_wait: i64,
    force: bool,
) -> Result<Option<String>> {
    let tx = c.transaction()?;
    tx.lock(LOCK)?;
    let k = find(&tx, kid)?;
    match k.state {
        KeyState::Next => {}
        KeyState::Active => return Err(Error::other(format!("key {kid} is already active"))),
        KeyState::Retired => {
            return Err(Error::other(format!(
                "key {kid} is retired; prepare a new one"
            )))
        }
    }
    let ready = k.created_at.saturating_add(min_wait);
    if now < ready && !force {
        return Err(Error::other(format!(
            "key {kid} was prepared {} s ago; verifiers may not know it yet (they cache the JWKS): \
             activate at {} or later, or with --force if verifiers that cached may fail",
            now - k.created_at,
            crate::privacy::iso_utc(ready)
        )));
    }
    let old = active_kid(&tx)?;
    tx.execute(
        "UPDATE relay_attestation_keys SET state = 'retired', retired_at = ?1 WHERE state = 'active'",
        params![now],
    )?;
    tx.execute(
        "UPDATE relay_attestation_keys SET state = 'active', activated_at = ?1
         WHERE kid = ?2 AND state = 'next'",
        params![now, kid],
    )?;
    purge(&tx, now)?;
    tx.commit()?;
    Ok(old)
}

/// What `retire` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retired {
    /// A prepared key withdrawn: it never signed, it is not published.
    Withdrawn,
    /// Already retired (by `activate`); published until then.
    Already { until: Option<i64> },
    /// Dropped from the JWKS at once (`--now`): what it signed no longer
    /// verifies.
    Dropped,
}

/// `keys retire <kid> [--now]`: withdraws a prepared key; for a key that
/// `activate` retired, reports until when it is published or, with
/// `drop_now` (a compromised key), drops it at once. The active key cannot
/// be retired: activate another.
pub fn retire(c: &mut Connection, kid: &str, now: i64, drop_now: bool) -> Result<Retired> {
    let tx = c.transaction()?;
    tx.lock(LOCK)?;
    let k = find(&tx, kid)?;
    let out = match k.state {
        KeyState::Active => {
            return Err(Error::other(format!(
                "key {kid} is the active key: prepare and activate another first"
            )))
        }
        KeyState::Next => {
            tx.execute(
                "UPDATE relay_attestation_keys SET state = 'retired', retired_at = ?1,
                 dropped_at = ?1, pem = NULL WHERE kid = ?2",
                params![now, kid],
            )?;
            Retired::Withdrawn
        }
        KeyState::Retired if drop_now && k.dropped_at.is_none() => {
            tx.execute(
                "UPDATE relay_attestation_keys SET dropped_at = ?1, pem = NULL WHERE kid = ?2",
                params![now, kid],
            )?;
            Retired::Dropped
        }
        KeyState::Retired => Retired::Already {
            until: k.published_until(),
        },
    };
    purge(&tx, now)?;
    tx.commit()?;
    Ok(out)
}

/// The signer and the JWKS as last read.
#[derive(Clone)]
struct Snapshot {
    signer: Arc<Attester>,
    jwks: Value,
    read_at: Instant,
}

/// What an instance signs with and publishes, read from the database at
/// most every refresh time (shared by its handlers).
pub struct KeyRing {
    db: Db,
    refresh_ms: AtomicU64,
    last: Mutex<Option<Snapshot>>,
    /// One read at a time; the others wait for it.
    reading: tokio::sync::Mutex<()>,
}

impl KeyRing {
    /// Makes sure a key is active (see [`ensure_active`]) and reads the state.
    pub async fn open(db: Db, refresh: Duration) -> anyhow::Result<Self> {
        db.call(|c| ensure_active(c))
            .await
            .map_err(|e| anyhow::anyhow!("attestation key: {e}"))?;
        let ring = KeyRing {
            db,
            refresh_ms: AtomicU64::new(0),
            last: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        };
        ring.set_refresh(refresh);
        ring.snapshot()
            .await
            .map_err(|e| anyhow::anyhow!("attestation key: {e}"))?;
        Ok(ring)
    }

    /// Changes the refresh time (tests use a short one); at most [`MAX_REFRESH`].
    pub fn set_refresh(&self, every: Duration) {
        let ms = every.min(MAX_REFRESH).as_millis();
        self.refresh_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn refresh(&self) -> Duration {
        Duration::from_millis(self.refresh_ms.load(Ordering::Relaxed))
    }

    fn cached(&self) -> Option<Snapshot> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn snapshot(&self) -> Result<Snapshot, RelayError> {
        let fresh = |s: &Option<Snapshot>| {
            s.as_ref()
                .filter(|s| s.read_at.elapsed() < self.refresh())
                .cloned()
        };
        if let Some(s) = fresh(&self.cached()) {
            return Ok(s);
        }
        let _one = self.reading.lock().await;
        let before = self.cached();
        if let Some(s) = fresh(&before) {
            return Ok(s);
        }
        let have = before.as_ref().map(|s| s.signer.clone());
        match self.db.call(move |c| read(c, have)).await {
            Ok(s) => {
                *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
                Ok(s)
            }
            // The database is away: sign with the key last read (published
            // long enough, see PUBLISH_MARGIN), ask again after the refresh time.
            Err(e) => match before {
                Some(mut s) => {
                    tracing::warn!(error = %e, "attestation keys not read; the last ones are used");
                    s.read_at = Instant::now();
                    *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
                    Ok(s)
                }
                None => Err(e),
            },
        }
    }

    /// Signs with the active key.
    pub async fn sign(&self, claims: &Attestation) -> Result<String, RelayError> {
        self.snapshot().await?.signer.sign(claims)
    }

    /// The kid this instance signs with now.
    pub async fn signing_kid(&self) -> Result<String, RelayError> {
        Ok(self.snapshot().await?.signer.kid().to_string())
    }

    /// `{"keys": [...]}`: next, active and retired keys still published.
    pub async fn jwks(&self) -> Result<Value, RelayError> {
        Ok(self.snapshot().await?.jwks)
    }
}

/// Reads the key state; the active key's private key only when it is not
/// `have` already. Drops the keys past their publication on the way.
fn read(c: &mut Connection, have: Option<Arc<Attester>>) -> Result<Snapshot> {
    let now = crate::session::now();
    let mut keys = list(c)?;
    if keys.iter().any(|k| k.due_for_drop(now)) {
        purge(c, now)?;
        keys = list(c)?;
    }
    let active = keys
        .iter()
        .find(|k| k.state == KeyState::Active)
        .ok_or_else(|| Error::other("no active attestation key"))?;
    let signer = match have {
        Some(a) if a.kid() == active.kid => a,
        _ => {
            let pem: String = c.query_row(
                "SELECT pem FROM relay_attestation_keys WHERE kid = ?1 AND pem IS NOT NULL",
                params![active.kid],
                |r| r.get(0),
            )?;
            Arc::new(Attester::from_pem(&pem).map_err(Error::other)?)
        }
    };
    let published: Vec<Value> = keys
        .iter()
        .filter(|k| k.published(now))
        .map(|k| k.jwk.clone())
        .collect();
    Ok(Snapshot {
        signer,
        jwks: json!({ "keys": published }),
        read_at: Instant::now(),
    })
}
