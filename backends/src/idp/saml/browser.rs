//! The IdP's browser session (issue #20): which SAML sessions belong to
//! one browser, so that a logout at the IdP can end them all.
//!
//! A successful SAML login sets the cookie [`COOKIE`] (random, 256 bits;
//! HttpOnly, SameSite=Lax, `Path=/idp`, as long as a session lives) and
//! stores only its SHA-256 with the session (`idp_saml_sessions.browser`).
//! Every login makes a new value and moves the browser's open sessions
//! from the old value to it, so a value planted in a browser before a
//! login controls nothing afterwards.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

use crate::html::cookie_value;
use crate::idp::hash_secret;
use crate::AppState;

/// The browser session cookie.
pub const COOKIE: &str = "idp_saml_sso";

/// The cookie's value when it looks like one of ours (43 characters of
/// base64url), else `None`.
pub fn token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// What is stored of a cookie value.
pub fn hash(token: &str) -> String {
    hash_secret(token)
}

/// The stored form of this browser's cookie, if it sent one.
pub fn of(headers: &HeaderMap) -> Option<String> {
    token(headers).map(|t| hash(&t))
}

fn secure(state: &AppState) -> &'static str {
    if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// Adds the cookie `token` (valid `max_age` seconds) to `resp`.
pub fn set(state: &AppState, mut resp: Response, token: &str, max_age: i64) -> Response {
    let c = format!(
        "{COOKIE}={token}; Max-Age={max_age}; Path=/idp; HttpOnly; SameSite=Lax{}",
        secure(state)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Removes the cookie from the browser.
pub fn clear(state: &AppState, mut resp: Response) -> Response {
    let c = format!(
        "{COOKIE}=; Max-Age=0; Path=/idp; HttpOnly; SameSite=Lax{}",
        secure(state)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Within a login's transaction: the open sessions of the browser's old
/// cookie (if any) move to the new one.
pub fn relink(
    conn: &rusqlite::Connection,
    old: Option<&str>,
    new: &str,
) -> rusqlite::Result<usize> {
    let Some(old) = old else { return Ok(0) };
    conn.execute(
        "UPDATE idp_saml_sessions SET browser = ?1 WHERE browser = ?2 AND ended = 0",
        rusqlite::params![new, old],
    )
}

/// One open SAML session of a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub session_index: String,
    pub sp: String,
    pub name_id: String,
}

/// The browser's open (not ended, not expired) sessions, oldest first,
/// leaving out those with `except_sp`.
pub fn open_sessions(
    conn: &rusqlite::Connection,
    browser: &str,
    except_sp: Option<&str>,
    now: i64,
) -> rusqlite::Result<Vec<Open>> {
    let mut st = conn.prepare(
        "SELECT session_index, sp, name_id FROM idp_saml_sessions
         WHERE browser = ?1 AND ended = 0 AND expires_at > ?2 AND (?3 IS NULL OR sp <> ?3)
         ORDER BY rowid",
    )?;
    let rows = st.query_map(rusqlite::params![browser, now, except_sp], |r| {
        Ok(Open {
            session_index: r.get(0)?,
            sp: r.get(1)?,
            name_id: r.get(2)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_cookies_count() {
        let mut h = HeaderMap::new();
        let good = crate::idp::random_token();
        h.insert(header::COOKIE, format!("{COOKIE}={good}").parse().unwrap());
        assert_eq!(token(&h).as_deref(), Some(good.as_str()));
        assert_eq!(of(&h), Some(hash(&good)));
        h.insert(header::COOKIE, format!("{COOKIE}=kurz").parse().unwrap());
        assert_eq!(token(&h), None);
    }
}
