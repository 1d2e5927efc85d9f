//! "Meine Daten" (issue #18): what the relay stores about a citizen can be
//! downloaded (`GET /api/v1/account/export`) and deleted
//! (`DELETE /api/v1/account/data`) by the citizen, and everything it stores
//! is kept only for the periods of `contract::relay::retention`, enforced
//! by [`sweep`] (docs/security.md "Retention").
//!
//! What the relay stores about a citizen, all keyed by the identity
//! provider's pseudonym (`sub`):
//! * `relay_sessions`: each login (device, level, method, the attributes
//!   the provider sent, times) and the provider's tokens (for a SAML login,
//!   BundID's name id and its SHA-256, which a logout at BundID looks up);
//! * `relay_submissions`: the record of each application and follow-up it
//!   forwarded (ids, reference, service, authority, level, times, the JWE
//!   authentication tags);
//! * `relay_disclosures`: which account attributes it handed out for which
//!   application;
//! * `relay_mandates`, `relay_mandate_uses`, `relay_mandate_codes`,
//!   `relay_mandate_tries`: mandates in both roles, their use log, the
//!   citizen's code and wrong tries (`crate::mandates::store`);
//! * `relay_payments`: each application's fee (amount, Kassenzeichen, the
//!   fee basis, the provider's transaction and what it said), kept and
//!   deleted with the application's record.
//!
//! Login transactions (`relay_login_tx`) belong to no citizen yet; the
//! counters of references, the keys in `relay_meta` and the in-memory
//! catalogue are no personal data.
//!
//! All SQL of this feature is here, plain and portable (no `INSERT OR`, no
//! SQLite date functions, integers as seconds).

mod document;
mod records;
mod sweep;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use contract::relay::{
    DataDeleted, DeleteData, ErrorBody, DELETE_CONFIRMATION, ERROR_CONFIRMATION, VERSION_HEADER,
};
use serde_json::Value;

use crate::error::RelayError;
use crate::session::{self, Citizen};
use crate::RelayState;
pub use document::{date_in_germany, document, iso_utc};
pub use records::{
    delete_all, stored, Deleted, Stored, StoredDisclosure, StoredSession, StoredSubmission,
};
pub use sweep::{case_kept_until, spawn_sweep, sweep, Swept};

/// The delete request is tiny JSON.
pub const MAX_DELETE_BYTES: usize = 1024;

/// The routes (under `/api/v1`).
pub fn router() -> Router<RelayState> {
    Router::new().route("/account/export", get(export)).route(
        "/account/data",
        delete(delete_data).layer(DefaultBodyLimit::max(MAX_DELETE_BYTES)),
    )
}

// ---------------------------------------------------------------------------
// The routes.

/// Whether the request comes from the app itself: the API header (a
/// navigation or a cross-site form cannot send it) and no cross-site
/// `Sec-Fetch-Site`. The export is a GET, which the general guard lets
/// through; a download started by another site is refused all the same.
fn from_the_app(headers: &HeaderMap) -> bool {
    headers.contains_key(VERSION_HEADER)
        && headers
            .get("sec-fetch-site")
            .is_none_or(|v| matches!(v.to_str(), Ok("same-origin" | "none")))
}

/// `GET /api/v1/account/export`: the document above, as a download.
pub async fn export(
    State(st): State<RelayState>,
    headers: HeaderMap,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    if !from_the_app(&headers) {
        return Err(RelayError::CrossSite);
    }
    let sub = s.sub.clone();
    let stored = st.db.call(move |c| stored(c, &sub)).await?;
    let now = session::now();
    let handle = session::handle(&st.shared, &s.sub);
    let mut doc = document(&stored, &s.sub, &handle, &s.id_hash, now);
    // The fees (`crate::payment`): amount, Kassenzeichen, fee basis, state.
    doc["payments"] = Value::Array(crate::payment::exported(&st, &s.sub).await?);
    // The notice settings (`crate::notify`): addresses, devices (no keys).
    doc["notifications"] = crate::notify::exported(&st, &s.sub).await?;
    // Mandates granted and received, and their use log (issue #25).
    doc["mandates"] = crate::mandates::exported(&st, &s.sub).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| RelayError::Internal(e.to_string()))?;
    let (y, m, d) = date_in_germany(now);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        contract::relay::export_filename(y, m, d)
    );
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// 400 `confirmation_required`: the deletion needs the citizen's fresh
/// confirmation for this login.
fn confirmation_required() -> Response {
    let mut resp = (
        StatusCode::BAD_REQUEST,
        Json(ErrorBody {
            error: ERROR_CONFIRMATION.into(),
            message: "Bitte bestätigen Sie das Löschen noch einmal. Es wurde nichts gelöscht."
                .into(),
            message_en: "Please confirm the deletion once more. Nothing was deleted.".into(),
            required_level: None,
        }),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `DELETE /api/v1/account/data` with [`DeleteData`]: deletes everything
/// above about the citizen, ends all their sessions (here and at the
/// identity provider) and clears this browser's cookie.
pub async fn delete_data(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, RelayError> {
    let Ok(req) = serde_json::from_slice::<DeleteData>(&body) else {
        return Ok(confirmation_required());
    };
    let handle = session::handle(&st.shared, &s.sub);
    if req.confirm != DELETE_CONFIRMATION || req.handle != handle {
        return Ok(confirmation_required());
    }
    let sub = s.sub.clone();
    let deleted = st.db.call(move |c| delete_all(c, &sub)).await?;
    for t in &deleted.id_tokens {
        st.shared.oidc.end_session(t).await;
    }
    let mut resp = Json(DataDeleted {
        sessions: deleted.sessions,
        applications: deleted.applications,
        follow_ups: deleted.follow_ups,
        disclosures: deleted.disclosures,
    })
    .into_response();
    let https = st.shared.config.https();
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(session::cookie_name(https), None, https, 0),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::relay::retention;

    #[test]
    fn only_the_apps_own_calls_export() {
        let mut h = HeaderMap::new();
        assert!(!from_the_app(&h), "a navigation has no API header");
        h.insert(VERSION_HEADER, HeaderValue::from_static("1"));
        assert!(from_the_app(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!from_the_app(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(from_the_app(&h));
    }

    #[test]
    fn the_login_transaction_lives_as_long_as_stated() {
        assert_eq!(retention::LOGIN_MINUTES * 60, session::LOGIN_TX_SECS);
    }
}
