//! Server-side sessions. The browser holds one cookie with a random id
//! (`__Host-buergeramt` over https, `HttpOnly`, `SameSite=Lax`); the
//! database keeps its SHA-256, the citizen's level and attributes, and the
//! identity provider's tokens, which never leave the relay.

use crate::db::{params, Connection, OptionalExtension};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::{request::Parts, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::relay::{Attribute, SessionSummary};
use contract::trust::TrustLevel;
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::RelayError;
use crate::{RelayState, Shared};

/// How often one login may be extended (as the identity provider allows).
pub const MAX_EXTENSIONS: u32 = contract::limits::MAX_REFRESHES;
/// Cookie of a login transaction (from `/login` to `/login/callback`).
pub const LOGIN_COOKIE: &str = "buergeramt_login";
/// A login transaction is valid this long (seconds).
pub const LOGIN_TX_SECS: i64 = 15 * 60;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// 32 random bytes, base64url.
pub fn random_token() -> Result<String, RelayError> {
    let mut b = [0u8; 32];
    openssl::rand::rand_bytes(&mut b).map_err(|e| RelayError::Internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub use site::same_secret;

/// The session cookie's name: `__Host-` only where the browser accepts it (https).
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-buergeramt"
    } else {
        "buergeramt_session"
    }
}

/// `Set-Cookie` for `name=value`, or for deleting it when `value` is `None`.
pub fn set_cookie(name: &str, value: Option<&str>, https: bool, max_age: i64) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let text = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age={max_age}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=0"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The value of cookie `name` in the request, if well-formed.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    site::cookie_value(headers, name).filter(|v| {
        !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A live session as stored.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub public_id: String,
    pub sub: String,
    pub level: TrustLevel,
    pub method: String,
    pub attributes: Vec<Attribute>,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub expires_at: i64,
    pub max_expires_at: i64,
    pub extensions: u32,
}

impl Session {
    pub fn seconds_left(&self, now: i64) -> u64 {
        (self.expires_at.min(self.max_expires_at) - now).max(0) as u64
    }
}

/// What a new session starts with.
pub struct NewSession {
    pub sub: String,
    pub level: TrustLevel,
    pub method: String,
    pub attributes: Vec<Attribute>,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub expires_at: i64,
    pub device: String,
}

/// The columns [`row_to_session`] reads, in its order (a macro, so that
/// every statement stays one literal).
macro_rules! session_columns {
    () => {
        "id_hash, public_id, sub, level, method, attributes, access_token,
         refresh_token, id_token, expires_at, max_expires_at, extensions"
    };
}

fn row_to_session(r: &crate::db::Row) -> crate::db::Result<Session> {
    let level: String = r.get(3)?;
    let attributes: String = r.get(5)?;
    Ok(Session {
        id_hash: r.get(0)?,
        public_id: r.get(1)?,
        sub: r.get(2)?,
        level: TrustLevel::parse(&level).unwrap_or(TrustLevel::Level1),
        method: r.get(4)?,
        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
        access_token: r.get(6)?,
        refresh_token: r.get(7)?,
        id_token: r.get(8)?,
        expires_at: r.get(9)?,
        max_expires_at: r.get(10)?,
        extensions: r.get::<_, i64>(11)?.clamp(0, u32::MAX as i64) as u32,
    })
}

/// Creates a session and returns its cookie value.
pub fn create(
    conn: &Connection,
    s: &NewSession,
    max_seconds: i64,
) -> crate::db::Result<(String, String)> {
    let cookie = random_token().map_err(|e| crate::db::Error::Other(e.to_string()))?;
    let public_id = random_token().map_err(|e| crate::db::Error::Other(e.to_string()))?;
    let public_id: String = public_id.chars().take(16).collect();
    let now = now();
    // Ended sessions are swept here, at login, not on every request.
    conn.execute(
        "DELETE FROM relay_sessions WHERE expires_at <= ?1 OR max_expires_at <= ?1",
        params![now],
    )?;
    let attributes = serde_json::to_string(&s.attributes).unwrap_or_else(|_| "[]".into());
    conn.execute(
        concat!(
            "INSERT INTO relay_sessions (",
            session_columns!(),
            ", device, created_at, last_seen_at, saml_subject)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13, ?13, ?14)"
        ),
        params![
            sha256_hex(&cookie),
            public_id,
            s.sub,
            s.level.as_acr(),
            s.method,
            attributes,
            s.access_token,
            s.refresh_token,
            s.id_token,
            s.expires_at,
            now + max_seconds,
            s.device,
            now,
            // A SAML login: found by the IdP's logout (saml::slo_idp).
            crate::saml::slo_idp::saml_subject(&s.id_token),
        ],
    )?;
    Ok((cookie, public_id))
}

/// The live session of `cookie` (a read only: ended ones are swept at login).
pub fn find(conn: &Connection, cookie: &str) -> crate::db::Result<Option<Session>> {
    conn.query_row(
        concat!(
            "SELECT ",
            session_columns!(),
            " FROM relay_sessions WHERE id_hash = ?1 AND expires_at > ?2 AND max_expires_at > ?2"
        ),
        params![sha256_hex(cookie), now()],
        row_to_session,
    )
    .optional()
}

/// Marks activity (not for background polls).
pub fn touch(conn: &Connection, id_hash: &str) -> crate::db::Result<()> {
    conn.execute(
        "UPDATE relay_sessions SET last_seen_at = ?1 WHERE id_hash = ?2",
        params![now(), id_hash],
    )?;
    Ok(())
}

/// Stores the tokens of an extension.
pub fn extended(
    conn: &Connection,
    id_hash: &str,
    access: &str,
    refresh: Option<&str>,
    expires_at: i64,
) -> crate::db::Result<()> {
    conn.execute(
        "UPDATE relay_sessions SET access_token = ?1, refresh_token = COALESCE(?2, refresh_token),
                expires_at = ?3, extensions = extensions + 1, last_seen_at = ?4
         WHERE id_hash = ?5",
        params![access, refresh, expires_at, now(), id_hash],
    )?;
    Ok(())
}

/// Deletes sessions of `sub` (all, or the one with `public_id`) and returns
/// their ID tokens, to end them at the identity provider too.
pub fn delete_for(
    conn: &Connection,
    sub: &str,
    public_id: Option<&str>,
) -> crate::db::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT id_token FROM relay_sessions WHERE sub = ?1 AND (CAST(?2 AS TEXT) IS NULL OR public_id = ?2)
         AND expires_at > ?3 AND max_expires_at > ?3",
    )?;
    let tokens = stmt
        .query_map(params![sub, public_id, now()], |r| r.get::<_, String>(0))?
        .collect::<crate::db::Result<Vec<_>>>()?;
    conn.execute(
        "DELETE FROM relay_sessions WHERE sub = ?1 AND (CAST(?2 AS TEXT) IS NULL OR public_id = ?2)",
        params![sub, public_id],
    )?;
    Ok(tokens)
}

/// Deletes one session by its id hash; returns its ID token.
pub fn delete(conn: &Connection, id_hash: &str) -> crate::db::Result<Option<String>> {
    let t = conn
        .query_row(
            "SELECT id_token FROM relay_sessions WHERE id_hash = ?1",
            params![id_hash],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute(
        "DELETE FROM relay_sessions WHERE id_hash = ?1",
        params![id_hash],
    )?;
    Ok(t)
}

/// The citizen's live sessions, newest first.
pub fn list(conn: &Connection, sub: &str, current: &str) -> crate::db::Result<Vec<SessionSummary>> {
    let mut stmt = conn.prepare(
        "SELECT public_id, device, level, created_at, last_seen_at, id_hash
         FROM relay_sessions WHERE sub = ?1 AND expires_at > ?2 AND max_expires_at > ?2
         ORDER BY created_at DESC LIMIT 100",
    )?;
    let rows = stmt.query_map(params![sub, now()], |r| {
        let level: String = r.get(2)?;
        let id_hash: String = r.get(5)?;
        Ok(SessionSummary {
            id: r.get(0)?,
            device: r.get(1)?,
            level: TrustLevel::parse(&level).unwrap_or(TrustLevel::Level1),
            created_at: r.get(3)?,
            last_seen_at: r.get(4)?,
            current: id_hash == current,
        })
    })?;
    rows.collect()
}

/// "Firefox auf Linux" from a User-Agent; never the whole string.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "unbekanntem System"
    };
    format!("{browser} auf {os}")
}

/// Extractor: the request's live session, or 401 `login_required`.
/// Marks activity unless the request is a background poll.
pub struct Citizen(pub Session);

/// Extractor: the session if there is one.
pub struct MaybeCitizen(pub Option<Session>);

async fn load(parts: &Parts, db: &Db, https: bool) -> Result<Option<Session>, RelayError> {
    let Some(c) = cookie(&parts.headers, cookie_name(https)) else {
        return Ok(None);
    };
    let background = parts
        .headers
        .contains_key(contract::relay::BACKGROUND_HEADER);
    // Nested routers see a shortened path; the original one decides.
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let is_read_of_session = path == format!("{}/session", contract::relay::API_PREFIX);
    let mark = !background && !is_read_of_session;
    db.call(move |conn| {
        let s = find(conn, &c)?;
        if let (Some(s), true) = (&s, mark) {
            touch(conn, &s.id_hash)?;
        }
        Ok(s)
    })
    .await
}

impl<S> FromRequestParts<S> for MaybeCitizen
where
    S: Send + Sync,
    RelayState: FromRef<S>,
{
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let st = RelayState::from_ref(state);
        Ok(MaybeCitizen(
            load(parts, &st.db, st.shared.config.https()).await?,
        ))
    }
}

impl<S> FromRequestParts<S> for Citizen
where
    S: Send + Sync,
    RelayState: FromRef<S>,
{
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let st = RelayState::from_ref(state);
        load(parts, &st.db, st.shared.config.https())
            .await?
            .map(Citizen)
            .ok_or(RelayError::LoginRequired)
    }
}

/// The stable, non-secret handle of a citizen: HMAC-SHA256 of `sub` with the
/// relay's handle key (the same for every instance: it lives in the database).
pub fn handle(shared: &Shared, sub: &str) -> String {
    use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
    let mac = PKey::hmac(&shared.handle_key)
        .and_then(|k| {
            let mut s = Signer::new(MessageDigest::sha256(), &k)?;
            s.update(sub.as_bytes())?;
            s.sign_to_vec()
        })
        .unwrap_or_else(|_| {
            Sha256::digest([&shared.handle_key[..], sub.as_bytes()].concat()).to_vec()
        });
    URL_SAFE_NO_PAD.encode(&mac[..16])
}

/// The handle key: made once, shared by every instance through the database.
pub fn handle_key(conn: &Connection) -> crate::db::Result<Vec<u8>> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT value FROM relay_meta WHERE key = 'handle_key'",
            params![],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(k) = existing.and_then(|v| URL_SAFE_NO_PAD.decode(v).ok()) {
        return Ok(k);
    }
    let fresh = random_token().map_err(|e| crate::db::Error::Other(e.to_string()))?;
    // Another instance may have won the race: keep whichever was first.
    conn.execute(
        "INSERT INTO relay_meta (key, value) VALUES ('handle_key', ?1) ON CONFLICT (key) DO NOTHING",
        params![fresh],
    )?;
    let v: String = conn.query_row(
        "SELECT value FROM relay_meta WHERE key = 'handle_key'",
        params![],
        |r| r.get(0),
    )?;
    URL_SAFE_NO_PAD
        .decode(v)
        .map_err(|e| crate::db::Error::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn cookies_are_read_strictly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; buergeramt_session=abc_DEF-9; b=2"),
        );
        assert_eq!(
            cookie(&h, "buergeramt_session").as_deref(),
            Some("abc_DEF-9")
        );
        assert_eq!(cookie(&h, "c"), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("buergeramt_session=a;b"),
        );
        assert_eq!(cookie(&h, "buergeramt_session").as_deref(), Some("a"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("buergeramt_session=a%20b"),
        );
        assert_eq!(cookie(&h, "buergeramt_session"), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("__Host-buergeramt", Some("v"), true, 60);
        let c = c.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!c.contains("Domain"), "__Host- cookies carry no Domain");
        let plain = set_cookie("buergeramt_session", None, false, 0);
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert_eq!(cookie_name(true), "__Host-buergeramt");
    }

    #[test]
    fn devices_are_named_briefly() {
        assert_eq!(
            device_label("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            "Firefox auf Linux"
        );
        assert_eq!(
            device_label("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"),
            "Chrome auf Android"
        );
        assert_eq!(device_label(""), "Browser auf unbekanntem System");
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
