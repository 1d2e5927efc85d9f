//! What every `/api/` request passes: the API version, the cross-site
//! check of state-changing calls, and the cache rules (personal answers
//! `no-store`; the catalogue sets its own).
//!
//! A state-changing call (anything but GET/HEAD/OPTIONS) is accepted only
//! * with the `Buergeramt-Api` header (a cross-site form cannot send it, and
//!   a cross-site `fetch` with it needs a CORS preflight, which the relay
//!   never grants), and
//! * when `Sec-Fetch-Site` (if sent) is `same-origin` or `none`, and
//! * when `Origin` (if sent) is the relay's own origin or an allowed one.
//!
//! The session cookie is `SameSite=Lax` besides. Routes that must accept a
//! cross-site request are GETs bound to their own proof (the login callback:
//! the login cookie and `state`); docs/relay.md lists them.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use contract::relay::{API_PREFIX, API_VERSION, VERSION_HEADER};

use crate::error::RelayError;
use crate::RelayState;

/// Route prefixes (under the API prefix) whose answers are not personal:
/// they set their own cache rules. Everything else is `no-store`.
pub const PUBLIC: &[&str] = &["/catalogue/", "/submission/"];

/// Routes (under the API prefix) that take a POST from another server,
/// bound to their own proof (a signature or a token checked by the
/// handler), not to the app's headers: the payment provider's notification
/// and the one-click unsubscribe of notice e-mails.
pub const SIGNED: &[&str] = &[
    crate::payment::NOTIFY_PATH,
    // RFC 8058 one-click unsubscribe from a mail provider; bound to the
    // unsubscribe token (`crate::notify::settings`).
    crate::notify::settings::UNSUBSCRIBE_PATH,
    // The SAML IdP's response (HTTP-POST binding); bound to its signature,
    // an AuthnRequest id we sent, and then the login cookie
    // (`crate::saml`).
    "/saml/acs",
];

/// Why a request was refused before its handler.
fn check(state: &RelayState, req: &Request) -> Result<(), RelayError> {
    let path = req.uri().path();
    let under_api = path == "/api" || path.starts_with("/api/");
    if !under_api {
        return Ok(());
    }
    let ours = path == API_PREFIX || path.starts_with(&format!("{API_PREFIX}/"));
    let version = req.headers().get(VERSION_HEADER);
    if !ours || version.is_some_and(|v| v.to_str().ok() != Some(&API_VERSION.to_string())) {
        return Err(RelayError::ApiVersion);
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let signed = *req.method() == Method::POST
        && path
            .strip_prefix(API_PREFIX)
            .is_some_and(|rest| SIGNED.contains(&rest));
    if safe || signed {
        return Ok(());
    }
    if version.is_none() {
        return Err(RelayError::CrossSite);
    }
    if let Some(site) = req.headers().get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return Err(RelayError::CrossSite);
        }
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let config = &state.shared.config;
        let ok = origin
            .to_str()
            .is_ok_and(|o| o == config.public_url || config.allowed_origins.iter().any(|a| a == o));
        if !ok {
            return Err(RelayError::CrossSite);
        }
    }
    Ok(())
}

/// The middleware around the whole router.
pub async fn api_guard(State(state): State<RelayState>, req: Request, next: Next) -> Response {
    if let Err(e) = check(&state, &req) {
        return e.into_response();
    }
    let path = req.uri().path();
    let public = PUBLIC.iter().any(|p| {
        path.strip_prefix(API_PREFIX)
            .is_some_and(|rest| rest.starts_with(p))
    });
    let personal = path.starts_with("/api/") && !public;
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if personal {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(&API_VERSION.to_string()) {
        h.insert(VERSION_HEADER, v);
    }
    resp
}

pub async fn not_found() -> RelayError {
    RelayError::NotFound
}
