//! Appointments (issue #22) through the relay, under `/api/v1/termine/`.
//! The relay calls the appointment system as the Onlinedienst (its
//! client-credentials token, scope `termine:book`) and forwards the
//! citizen's address (for the per-address limits there) and, when logged
//! in, the citizen's `sub` (for "Meine Termine").
//!
//! The manage token travels in the `termine-manage-token` header, never
//! in a URL: it is the only key to a booking made without login, and it
//! shows that booking and nothing else. The `.ics` file is built here.
//! docs/relay.md, "Appointments".

pub mod ics;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use contract::encoding::url_encode;
use contract::termine::{self as t, Booking, ConfirmRequest};
use reqwest::Method;

use crate::catalogue::{pass, segment};
use crate::error::{RelayError, UpstreamError};
use crate::session::{Citizen, MaybeCitizen};
use crate::upstream::{Answer, Call};
use crate::RelayState;

pub use contract::termine::MANAGE_PATH;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route("/stellen/{office}", get(office))
        .route("/stellen/{office}/slots", get(slots))
        .route("/holds", post(hold))
        .route("/holds/{id}", delete(release))
        .route("/holds/{id}/confirm", post(confirm))
        .route("/buchung", get(view))
        .route("/buchung/change", post(change))
        .route("/buchung/cancel", post(cancel))
        .route("/buchung/ics", get(calendar))
        .route("/meine", get(mine))
}

fn client_ip(state: &RelayState, ext: &axum::http::Extensions, h: &HeaderMap) -> String {
    crate::limits::client_ip(
        ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()),
        h,
        &state.shared.config.limits.trusted_proxies,
    )
    .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

/// The manage token from the app's request (a base64url value).
fn token(h: &HeaderMap) -> Result<String, RelayError> {
    h.get(t::MANAGE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| {
            (16..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .ok_or(RelayError::NotFound)
}

async fn call(
    state: &RelayState,
    method: Method,
    path: &str,
    headers: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
) -> Result<Answer, RelayError> {
    let call = Call {
        method,
        path_and_query: path,
        accept: "application/json",
        headers,
        body: body.map(|b| (bytes::Bytes::from(b.to_string()), "application/json")),
    };
    Ok(state.shared.termine.call(call).await?)
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The upstream's answer as the relay's (4xx pass through, 5xx is ours).
fn respond(a: Answer) -> Result<Response, RelayError> {
    Ok(no_store(crate::upstream::respond(a)?))
}

async fn office(
    State(state): State<RelayState>,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    let path = format!("/v1/offices/{}", url_encode(segment(&id)?));
    respond(call(&state, Method::GET, &path, Vec::new(), None).await?)
}

async fn slots(
    State(state): State<RelayState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let query = pass(q.as_deref(), &["service", "from", "to", "persons"])?;
    let path = format!("/v1/offices/{}/slots{query}", url_encode(segment(&id)?));
    respond(call(&state, Method::GET, &path, Vec::new(), None).await?)
}

async fn hold(
    State(state): State<RelayState>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Json(req): Json<t::HoldRequest>,
) -> Result<Response, RelayError> {
    let ip = client_ip(&state, &ext, &headers);
    let body = serde_json::to_value(&req).map_err(|e| RelayError::Internal(e.to_string()))?;
    respond(
        call(
            &state,
            Method::POST,
            "/v1/holds",
            vec![(t::CLIENT_IP_HEADER, ip)],
            Some(body),
        )
        .await?,
    )
}

async fn release(
    State(state): State<RelayState>,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    let path = format!("/v1/holds/{}", url_encode(segment(&id)?));
    respond(call(&state, Method::DELETE, &path, Vec::new(), None).await?)
}

/// `givenName surname` and `mail` (BundID's name) of the login, where the
/// app left them out.
fn prefill(req: &mut ConfirmRequest, s: &crate::session::Session) {
    let attr = |n: &str| {
        s.attributes
            .iter()
            .find(|a| a.name == n)
            .map(|a| a.value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if req.name.trim().is_empty() {
        let name: Vec<String> = [attr("givenName"), attr("surname")]
            .into_iter()
            .flatten()
            .collect();
        req.name = name.join(" ");
    }
    if req.email.trim().is_empty() {
        req.email = attr("mail").or_else(|| attr("email")).unwrap_or_default();
    }
}

async fn confirm(
    State(state): State<RelayState>,
    MaybeCitizen(session): MaybeCitizen,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(mut req): Json<ConfirmRequest>,
) -> Result<Response, RelayError> {
    let mut up = vec![(t::CLIENT_IP_HEADER, client_ip(&state, &ext, &headers))];
    if let Some(s) = &session {
        prefill(&mut req, s);
        up.push((t::CITIZEN_HEADER, s.sub.clone()));
    }
    let path = format!("/v1/holds/{}/confirm", url_encode(segment(&id)?));
    let body = serde_json::to_value(&req).map_err(|e| RelayError::Internal(e.to_string()))?;
    respond(call(&state, Method::POST, &path, up, Some(body)).await?)
}

async fn by_token(
    state: &RelayState,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: Option<serde_json::Value>,
) -> Result<Answer, RelayError> {
    let tok = token(headers)?;
    call(
        state,
        method,
        path,
        vec![(t::MANAGE_TOKEN_HEADER, tok)],
        body,
    )
    .await
}

async fn view(State(state): State<RelayState>, headers: HeaderMap) -> Result<Response, RelayError> {
    respond(by_token(&state, Method::GET, "/v1/booking", &headers, None).await?)
}

async fn change(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Json(req): Json<t::ChangeRequest>,
) -> Result<Response, RelayError> {
    let body = serde_json::to_value(&req).map_err(|e| RelayError::Internal(e.to_string()))?;
    respond(
        by_token(
            &state,
            Method::POST,
            "/v1/booking/change",
            &headers,
            Some(body),
        )
        .await?,
    )
}

async fn cancel(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    respond(by_token(&state, Method::POST, "/v1/booking/cancel", &headers, None).await?)
}

/// `GET /api/v1/termine/buchung/ics`: the booking as `text/calendar`.
async fn calendar(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    let tok = token(&headers)?;
    let a = by_token(&state, Method::GET, "/v1/booking", &headers, None).await?;
    if a.status != 200 {
        return respond(a);
    }
    let b: Booking = serde_json::from_slice(&a.body)
        .map_err(|e| UpstreamError::Malformed(format!("booking: {e}")))?;
    let public = &state.shared.config.public_url;
    let host = public
        .split_once("://")
        .map(|x| x.1)
        .unwrap_or(public)
        .split(['/', ':'])
        .next()
        .unwrap_or("buergeramt");
    let link = format!("{public}{MANAGE_PATH}#{tok}");
    let text = ics::calendar(&b, host, &link, crate::session::now())
        .ok_or_else(|| UpstreamError::Malformed("booking times".into()))?;
    let file = format!("attachment; filename=\"termin-{}.ics\"", b.reference);
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response())
}

/// `GET /api/v1/termine/meine`: the logged-in citizen's bookings.
async fn mine(
    State(state): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    respond(
        call(
            &state,
            Method::GET,
            "/v1/bookings",
            vec![(t::CITIZEN_HEADER, s.sub.clone())],
            None,
        )
        .await?,
    )
}
