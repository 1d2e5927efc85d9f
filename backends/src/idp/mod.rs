//! BundID-shaped OpenID Connect provider (the stand-in for issue 4).
//!
//! Authorization Code flow with PKCE (S256 only), trust levels as
//! `acr_values` (`STORK-QAA-Level-1|3|4`), server-rendered login pages for the
//! three login methods (Benutzername/Passwort, ELSTER-Zertifikat, Online-Ausweis,
//! the latter two simulated), RS256 ID tokens, opaque access tokens, userinfo
//! with per-attribute trust, refresh and end_session. See docs/backends.md §2.
//!
//! Other modules authenticate citizens with [`authenticate`].

pub mod clients;
pub mod credential_first;
mod eid;
mod elster;
pub mod hashing;
mod keys;
pub mod limits;
mod login;
mod oidc;
mod pages;
mod register;
pub mod saml;
mod store;
pub mod trust;

use axum::{
    http::{header, HeaderMap},
    routing::{get, post},
    Extension, Router,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use contract::saml::ATTRIBUTES;
pub use keys::{SigningKey, KEY_FILE};
pub use trust::{GermanName, TrustLevel};

use crate::{error, error::ApiError, AppState};

/// An authorization code is valid this long (seconds).
pub const CODE_TTL_SECS: i64 = 60;
/// A login transaction (authorize request until login) is valid this long.
pub const LOGIN_TX_TTL_SECS: i64 = 15 * 60;
/// Wrong passwords (or ELSTER PINs) before a temporary lock.
pub const MAX_PASSWORD_FAILURES: i64 = 5;
/// How long such a lock lasts (seconds).
pub const LOCK_SECS: i64 = 15 * 60;
/// Wrong eID PINs before the card's PIN is blocked (as on the real card).
pub const MAX_EID_PIN_FAILURES: i64 = 3;
/// How often a card's PUK can be used (right or wrong), as on the real card.
pub const MAX_PUK_USES: i64 = 10;
/// How often one login session may be extended with a refresh token
/// (the app counts the same, see [`contract::limits::MAX_REFRESHES`]).
pub const MAX_REFRESHES: i64 = contract::limits::MAX_REFRESHES as i64;

/// How the citizen logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    Password,
    Elster,
    Eid,
}

impl LoginMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginMethod::Password => "password",
            LoginMethod::Elster => "elster",
            LoginMethod::Eid => "eid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password" => Some(LoginMethod::Password),
            "elster" => Some(LoginMethod::Elster),
            "eid" => Some(LoginMethod::Eid),
            _ => None,
        }
    }

    /// The trust level this method reaches.
    pub fn level(self) -> TrustLevel {
        match self {
            LoginMethod::Password => TrustLevel::Level1,
            LoginMethod::Elster => TrustLevel::Level3,
            LoginMethod::Eid => TrustLevel::Level4,
        }
    }

    /// Authentication method references (RFC 8176).
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            LoginMethod::Password => &["pwd"],
            LoginMethod::Elster => &["swk", "pin"],
            LoginMethod::Eid => &["hwk", "pin"],
        }
    }

    /// German name as on the login page.
    pub fn german_name(self) -> &'static str {
        match self {
            LoginMethod::Password => "Benutzername und Passwort",
            LoginMethod::Elster => "ELSTER-Zertifikat",
            LoginMethod::Eid => "Online-Ausweis",
        }
    }

    pub const ALL: [LoginMethod; 3] =
        [LoginMethod::Password, LoginMethod::Elster, LoginMethod::Eid];
}

/// The e-mail address of the account that owns the postbox `mailbox_uuid`:
/// its `mail` attribute (the Basis account's, else another source's), or
/// `None` (no such citizen, or no address, e.g. an eID-only citizen). BundID
/// mails it about new postbox mail (`zbp::notice`).
pub fn mailbox_address(
    conn: &rusqlite::Connection,
    mailbox_uuid: &str,
) -> rusqlite::Result<Option<String>> {
    rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT a.value FROM idp_citizens c JOIN idp_attributes a ON a.citizen_id = c.id
         WHERE c.mailbox_uuid = ?1 AND a.name = 'mail' AND TRIM(a.value) <> ''
         ORDER BY CASE a.source WHEN 'account' THEN 0 WHEN 'elster' THEN 1 ELSE 2 END
         LIMIT 1",
        rusqlite::params![mailbox_uuid],
        |r| r.get::<_, String>(0),
    ))
}

/// What the provider module shares between its handlers.
pub struct Idp {
    pub key: SigningKey,
    pub issuer: String,
    pub session_seconds: i64,
    /// The SAML 2.0 side (issue #20): its key, entity id and endpoints.
    pub saml: saml::Saml,
}

/// Routes under `/idp`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    hashing::configure(state.config.argon2_concurrency);
    state.db.migrate("idp", store::MIGRATIONS)?;
    state.db.migrate("idp_clients", clients::MIGRATIONS)?;
    state.db.migrate("idp_limits", limits::MIGRATIONS)?;
    state.db.migrate("idp_saml", saml::MIGRATIONS)?;
    let config = state.config.clone();
    state.db.call_sync(|conn| {
        store::register_clients(conn, &config)?;
        clients::register(conn, &config.clients)
    })?;
    let now = now_secs();
    state
        .db
        .call_sync(|conn| Ok(store::seed(conn, now)))?
        .map_err(|e| anyhow::anyhow!("seeding the test citizens failed: {e}"))?;
    state
        .db
        .call_sync(|conn| Ok(eid::seed_puks(conn)))?
        .map_err(|e| anyhow::anyhow!("giving the test cards their PUKs failed: {e}"))?;
    let key = SigningKey::load_or_create(&state.config.data_dir)?;
    let idp = Arc::new(Idp {
        key,
        issuer: issuer(state),
        session_seconds: i64::try_from(state.config.session_seconds).unwrap_or(i64::MAX / 4),
        saml: saml::Saml::new(state)?,
    });
    Ok(Router::new()
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/jwks", get(oidc::jwks))
        .route("/authorize", get(login::authorize))
        .route("/login/{tx}", get(login::login_page))
        .route("/login/{tx}/password", post(login::password_login))
        .route(
            "/login/{tx}/register",
            get(register::register_page).post(register::register),
        )
        .route("/login/{tx}/elster", post(elster::elster_login))
        .route("/login/{tx}/eid", get(eid::eid_page).post(eid::eid_login))
        .route("/login/{tx}/eid/puk", post(eid::eid_unblock))
        .route("/token", post(oidc::token))
        .route("/userinfo", get(oidc::userinfo))
        .route(
            "/end_session",
            get(oidc::end_session_get).post(oidc::end_session_post),
        )
        .route("/static/idp.css", get(pages::stylesheet))
        // SAML 2.0 (issue #20, `saml/`).
        .route("/saml/metadata", get(saml::metadata::metadata))
        .route(
            "/saml/sso",
            get(saml::sso::sso_redirect).post(saml::sso::sso_post),
        )
        .route("/saml/slo", get(saml::slo::slo_redirect))
        .route(
            "/saml/abmelden",
            get(saml::abmelden::page).post(saml::abmelden::logout),
        )
        .route("/saml/autopost.js", get(saml::autopost_js))
        .route("/login/{tx}/saml/cancel", post(saml::cancel))
        .fallback(error::not_found)
        .layer(Extension(idp)))
}

/// `<public_url>/idp`
pub fn issuer(state: &AppState) -> String {
    format!("{}/idp", state.config.public_url)
}

/// A citizen authenticated by a Bearer access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable pseudonym (bPK2-like), the ID token's `sub`.
    pub sub: String,
    /// Trust level reached at login.
    pub acr: TrustLevel,
    pub method: LoginMethod,
    /// Handle of the citizen's postbox.
    pub mailbox_uuid: String,
    /// When the login happened (Unix seconds).
    pub auth_time: i64,
    /// When the access token (and the session) expires (Unix seconds).
    pub expires_at: i64,
}

/// Why a Bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    #[error("no Bearer access token")]
    Missing,
    #[error("the access token is unknown, expired or revoked")]
    Invalid,
}

/// Authenticates the request's `Authorization: Bearer <access token>`.
/// Other modules (postbox, FIT-Connect) use this; it answers 401 when the
/// token is missing, unknown, revoked or expired.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    match principal(state, headers).await? {
        Ok((p, _)) => Ok(p),
        Err(_) => Err(ApiError::Unauthorized),
    }
}

/// A citizen as an authority addresses them: postbox and postal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub sub: String,
    pub mailbox_uuid: String,
    /// "Vorname Nachname", if known.
    pub name: Option<String>,
    /// Street, postcode and place, if known.
    pub address: Vec<String>,
}

/// Looks a citizen up by `sub` (the FIT-Connect submission's owner). Verified
/// attributes (eID, then ELSTER) win over the account's self-declared ones.
pub async fn recipient(state: &AppState, sub: &str) -> Result<Option<Recipient>, ApiError> {
    let sub = sub.to_string();
    let found = state
        .db
        .call(move |conn| {
            let id: Option<i64> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT id FROM idp_citizens WHERE sub = ?1",
                rusqlite::params![sub],
                |r| r.get(0),
            ))?;
            let Some(id) = id else { return Ok(None) };
            Ok(Some((
                store::citizen_ids(conn, id)?,
                store::attributes(conn, id)?,
            )))
        })
        .await?;
    let Some((ids, attrs)) = found else {
        return Ok(None);
    };
    let get = |name: &str| -> Option<String> {
        ["eid", "elster", "account"].iter().find_map(|src| {
            attrs
                .iter()
                .find(|(s, n, v)| s == src && n == name && !v.trim().is_empty())
                .map(|(_, _, v)| v.clone())
        })
    };
    let name = match (get("givenName"), get("surname")) {
        (Some(g), Some(s)) => Some(format!("{g} {s}")),
        (None, Some(s)) => Some(s),
        (Some(g), None) => Some(g),
        (None, None) => None,
    };
    let mut address = Vec::new();
    if let Some(street) = get("postalAddress") {
        address.push(street);
    }
    let place = [get("postalCode"), get("localityName")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !place.is_empty() {
        address.push(place);
    }
    Ok(Some(Recipient {
        sub: ids.sub,
        mailbox_uuid: ids.mailbox_uuid,
        name,
        address,
    }))
}

/// Like [`authenticate`], but says why a token was refused.
pub(crate) async fn principal(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Result<(Principal, i64), TokenProblem>, ApiError> {
    let Some(token) = bearer(headers) else {
        return Ok(Err(TokenProblem::Missing));
    };
    let now = now_secs();
    let found = state
        .db
        .call(move |conn| {
            let Some(t) = store::token(conn, &token, "access")? else {
                return Ok(None);
            };
            if t.revoked || t.expires_at <= now {
                return Ok(None);
            }
            let Some(s) = store::session(conn, &t.session_id)? else {
                return Ok(None);
            };
            if s.revoked || s.expires_at <= now {
                return Ok(None);
            }
            let ids = store::citizen_ids(conn, s.citizen_id)?;
            Ok(Some((s, ids, t.expires_at)))
        })
        .await?;
    let Some((s, ids, expires_at)) = found else {
        return Ok(Err(TokenProblem::Invalid));
    };
    let (Ok(acr), Some(method)) = (s.acr.parse::<TrustLevel>(), LoginMethod::parse(&s.method))
    else {
        return Err(ApiError::Internal(format!(
            "session {} has an unknown acr/method",
            s.id
        )));
    };
    Ok(Ok((
        Principal {
            sub: ids.sub,
            acr,
            method,
            mailbox_uuid: ids.mailbox_uuid,
            auth_time: s.auth_time,
            expires_at: expires_at.min(s.expires_at),
        },
        s.citizen_id,
    )))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty() && token.len() <= 512).then(|| token.to_string())
}

// ---------------------------------------------------------------- helpers

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if openssl::rand::rand_bytes(&mut buf).is_ok() {
        return buf;
    }
    // OpenSSL's CSPRNG failed: read the kernel's directly. Without any
    // randomness no secret can be issued, so that is a fatal fault.
    use std::io::Read;
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf));
    if let Err(e) = read {
        panic!("no source of randomness available: {e}");
    }
    buf
}

/// 256 random bits, base64url (43 characters).
pub(crate) fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A random (version 4) UUID, lower case.
pub(crate) fn random_uuid() -> String {
    contract::encoding::uuid_from_bytes(random_bytes::<16>())
}

/// SHA-256 hex of a high-entropy secret (tokens, codes, CSRF values).
pub(crate) fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// PKCE S256: base64url(SHA-256(verifier)).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Argon2id hash (PHC string) of a password or PIN.
pub(crate) fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Verifies off the async threads (argon2 takes tens of milliseconds and
/// 19 MiB), at most `BUERGERAMT_ARGON2_CONCURRENCY` at once ([`hashing`]).
pub(crate) async fn verify_password_async(password: String, phc: String) -> bool {
    hashing::pool().verify(password, phc).await
}

/// [`hash_password`] off the async threads, bounded like
/// [`verify_password_async`].
pub(crate) async fn hash_password_async(password: String) -> anyhow::Result<String> {
    hashing::pool().hash(password).await
}

/// Percent-encoding for query values (RFC 3986 unreserved kept), as the app
/// does it.
pub(crate) use contract::encoding::url_encode;

/// `uri` with the query parameters appended (keeping an existing query).
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(&url_encode(k));
        out.push('=');
        out.push_str(&url_encode(v));
        sep = '&';
    }
    out
}

/// PKCE verifier/challenge syntax: 43–128 characters of base64url
/// (challenge) or of the RFC 7636 unreserved set (verifier).
pub(crate) fn valid_pkce_value(s: &str, allow_unreserved: bool) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'-'
                || b == b'_'
                || (allow_unreserved && (b == b'.' || b == b'~'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(valid_pkce_value(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            false
        ));
        assert!(!valid_pkce_value("short", false));
        assert!(!valid_pkce_value(&"a".repeat(129), false));
        assert!(!valid_pkce_value(&format!("{}=", "a".repeat(43)), false));
        assert!(valid_pkce_value(&format!("{}.~", "a".repeat(43)), true));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("geheim-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let mut memory = Vec::new();
        assert!(hashing::verify_with("geheim-123", &h, &mut memory));
        assert!(!hashing::verify_with("geheim-124", &h, &mut memory));
        assert!(!hashing::verify_with(
            "geheim-123",
            "not a hash",
            &mut memory
        ));
    }

    #[test]
    fn helpers() {
        assert_eq!(url_encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
        assert_eq!(
            with_query("https://x/cb?a=1", &[("code", "x y")]),
            "https://x/cb?a=1&code=x%20y"
        );
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
    }
}
