//! Push service stand-in (`/push`, issue #24): what FCM or Mozilla's
//! autopush do for Web Push (RFC 8030), with VAPID (RFC 8292) and the
//! `aes128gcm` payload shape of RFC 8291, reachable only from loopback.
//!
//! * `POST /push/v1/subscriptions` (test aid): a subscription for an
//!   application server key, as a browser's `pushManager.subscribe()` gets
//!   one from its push service: an endpoint `…/push/v1/send/{id}`.
//! * `POST /push/v1/send/{id}`: a push message, checked like a push
//!   service does, stored, 201 with a `Location`.
//! * `DELETE /push/v1/subscriptions/{id}` (test aid): the subscription is
//!   gone (the user revoked it); sends answer 410.
//! * `GET /push/v1/subscriptions/{id}/messages` (test aid): what arrived.
//! * `POST /push/v1/decrypt` (test aid): plays the user agent and decrypts
//!   a message with the subscription's private key and auth secret
//!   ([`ece::decrypt`]), for the e2e.
//!
//! Shapes and what the real services do differently: docs/backends.md,
//! "Push service and mail sink".

pub mod ece;
pub mod loopback;
pub mod store;
pub mod vapid;

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json as AxumJson, Router,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::extract::{Json, Path};
use crate::{error, ApiError, AppState};

/// Largest push message body a push service must take (RFC 8291 §4).
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// The longest TTL kept (FCM's four weeks); longer ones are shortened.
pub const MAX_TTL_SECS: u64 = 2_419_200;

/// Routes under `/push`, all loopback-only.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("push", store::MIGRATIONS)?;
    Ok(Router::new()
        .route("/v1/subscriptions", post(subscribe))
        .route("/v1/subscriptions/{id}", delete(unsubscribe))
        .route("/v1/subscriptions/{id}/messages", get(messages))
        .route("/v1/send/{id}", post(send))
        .route("/v1/decrypt", post(decrypt))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(loopback::only)))
}

/// An error of the push endpoint, shaped like autopush's
/// (`{"code", "errno", "error", "message"}`, what `web-push` parses).
#[derive(Debug)]
pub struct PushError {
    status: StatusCode,
    errno: u16,
    message: String,
}

impl PushError {
    fn new(status: StatusCode, errno: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            errno,
            message: message.into(),
        }
    }
}

impl IntoResponse for PushError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.status.as_u16(),
            "errno": self.errno,
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        let mut resp = (self.status, AxumJson(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("vapid"));
        }
        resp
    }
}

impl From<ApiError> for PushError {
    fn from(e: ApiError) -> Self {
        PushError::new(e.status(), 999, e.to_string())
    }
}

impl From<crate::db::DbError> for PushError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::from(e).into()
    }
}

fn now() -> i64 {
    crate::idp::now_secs()
}

fn random_id() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

fn b64(field: &str, v: &str) -> Result<Vec<u8>, ApiError> {
    URL_SAFE_NO_PAD
        .decode(v.trim().trim_end_matches('='))
        .map_err(|_| ApiError::BadRequest(format!("{field} is not base64url")))
}

/// The push resource's origin (the VAPID `aud`): this server's public one.
fn origin(state: &AppState) -> String {
    crate::config::origin_of(&state.config.public_url)
        .unwrap_or_else(|| state.config.public_url.clone())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribeBody {
    application_server_key: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Subscribed {
    id: String,
    endpoint: String,
    application_server_key: String,
}

/// `POST /push/v1/subscriptions`
async fn subscribe(
    State(state): State<AppState>,
    Json(b): Json<SubscribeBody>,
) -> Result<Response, ApiError> {
    let key_bytes = b64("applicationServerKey", &b.application_server_key)?;
    ece::public_key(&key_bytes).map_err(|_| {
        ApiError::BadRequest("applicationServerKey is not an uncompressed P-256 point".into())
    })?;
    let key = URL_SAFE_NO_PAD.encode(&key_bytes);
    let id = random_id()?;
    let (i, k) = (id.clone(), key.clone());
    let at = now();
    state.db.call(move |c| store::create(c, &i, &k, at)).await?;
    let endpoint = format!("{}/push/v1/send/{id}", state.config.public_url);
    Ok((
        StatusCode::CREATED,
        AxumJson(Subscribed {
            id,
            endpoint,
            application_server_key: key,
        }),
    )
        .into_response())
}

/// `DELETE /push/v1/subscriptions/{id}`
async fn unsubscribe(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state.db.call(move |c| store::mark_gone(c, &id)).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::NotFound),
    }
}

/// `GET /push/v1/subscriptions/{id}/messages`
async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AxumJson<serde_json::Value>, ApiError> {
    let i = id.clone();
    let (sub, list) = state
        .db
        .call(move |c| Ok((store::get(c, &i)?, store::messages(c, &i)?)))
        .await?;
    let sub = sub.ok_or(ApiError::NotFound)?;
    let list: Vec<_> = list
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id,
                "receivedAt": rfc3339(m.received_at),
                "headers": serde_json::from_str::<serde_json::Value>(&m.headers).unwrap_or_default(),
                "body": URL_SAFE_NO_PAD.encode(&m.body),
                "size": m.body.len(),
            })
        })
        .collect();
    Ok(AxumJson(json!({
        "subscription": {"id": id, "gone": sub.gone, "applicationServerKey": sub.app_server_key},
        "messages": list,
    })))
}

pub(crate) fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// What a push service checks in the headers besides VAPID: TTL, the
/// encoding, Urgency and Topic. The headers to keep, as JSON.
fn check_headers(h: &HeaderMap, has_body: bool) -> Result<(u64, serde_json::Value), PushError> {
    let bad = |errno, m: &str| PushError::new(StatusCode::BAD_REQUEST, errno, m);
    let ttl = header_str(h, "ttl").ok_or_else(|| bad(111, "Missing TTL header"))?;
    if ttl.is_empty() || ttl.len() > 12 || !ttl.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(112, "TTL must be a number of seconds"));
    }
    let ttl = ttl.parse::<u64>().unwrap_or(MAX_TTL_SECS).min(MAX_TTL_SECS);
    let encoding = header_str(h, "content-encoding");
    if has_body && !encoding.is_some_and(|e| e.eq_ignore_ascii_case("aes128gcm")) {
        return Err(bad(
            110,
            "a payload needs Content-Encoding: aes128gcm (RFC 8291)",
        ));
    }
    let urgency = header_str(h, "urgency");
    if let Some(u) = urgency {
        if !["very-low", "low", "normal", "high"].contains(&u) {
            return Err(bad(110, "Urgency is very-low, low, normal or high"));
        }
    }
    let topic = header_str(h, "topic");
    if let Some(t) = topic {
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(bad(110, "Topic is at most 32 base64url characters"));
        }
    }
    let kept = json!({
        "ttl": ttl,
        "contentEncoding": encoding,
        "contentType": header_str(h, "content-type"),
        "urgency": urgency,
        "topic": topic,
        "authorization": header_str(h, "authorization"),
    });
    Ok((ttl, kept))
}

/// `POST /push/v1/send/{id}`: a Web Push message from an application server.
async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PushError> {
    let i = id.clone();
    let sub = state.db.call(move |c| store::get(c, &i)).await?;
    let sub =
        sub.ok_or_else(|| PushError::new(StatusCode::NOT_FOUND, 102, "No such subscription"))?;
    if sub.gone {
        return Err(PushError::new(
            StatusCode::GONE,
            106,
            "The subscription is no longer valid",
        ));
    }
    vapid::check(
        header_str(&headers, "authorization"),
        &sub.app_server_key,
        &origin(&state),
        now(),
    )
    .map_err(|e| match e {
        vapid::VapidError::WrongKey => PushError::new(StatusCode::FORBIDDEN, 109, e.to_string()),
        other => PushError::new(StatusCode::UNAUTHORIZED, 109, other.to_string()),
    })?;
    let too_large = || {
        PushError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            104,
            format!("A push message has at most {MAX_MESSAGE_BYTES} bytes"),
        )
    };
    let announced = header_str(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_MESSAGE_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .map_err(|_| too_large())?;
    let (ttl, kept) = check_headers(&headers, !bytes.is_empty())?;
    if !bytes.is_empty() {
        ece::Header::parse(&bytes)
            .map_err(|e| PushError::new(StatusCode::BAD_REQUEST, 110, e.to_string()))?;
    }
    let message = store::Message {
        id: random_id()?,
        received_at: now(),
        headers: kept.to_string(),
        body: bytes.to_vec(),
    };
    let location = format!(
        "{}/push/v1/messages/{}",
        state.config.public_url, message.id
    );
    state
        .db
        .call(move |c| store::add_message(c, &id, &message))
        .await?;
    let mut resp = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut().insert("ttl", HeaderValue::from(ttl));
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DecryptBody {
    /// The message body as it arrived (base64url, from `…/messages`).
    message: String,
    /// The subscription's private scalar (32 bytes, base64url).
    private_key: String,
    /// The subscription's auth secret (16 bytes, base64url).
    auth: String,
}

/// `POST /push/v1/decrypt`: the user agent's side, for the e2e.
async fn decrypt(Json(b): Json<DecryptBody>) -> Result<AxumJson<serde_json::Value>, ApiError> {
    let message = b64("message", &b.message)?;
    let d = b64("privateKey", &b.private_key)?;
    let auth = b64("auth", &b.auth)?;
    let plain =
        ece::decrypt(&message, &d, &auth).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    Ok(AxumJson(json!({
        "plaintext": String::from_utf8_lossy(&plain),
        "plaintextBase64": URL_SAFE_NO_PAD.encode(&plain),
    })))
}
