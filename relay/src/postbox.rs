//! The citizen's postbox (ZBP) through the relay. The relay calls the ZBP as
//! the Onlinedienst (its service token: the stand-in's equivalent of the
//! BPKI certificate) and names the citizen from the session: their postbox
//! handle (`mailboxUuid`) and the level of their login, which the ZBP uses
//! to lock messages above it. The app never learns a token.
//!
//! Answers of the ZBP (JSON, or the attachment's bytes) pass through with
//! their status; a 5xx, a timeout or a refused service token become the
//! relay's own `upstream` error.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use contract::encoding::url_encode;
use reqwest::Method;

use crate::catalogue::{pass, segment};
use crate::error::RelayError;
use crate::session::{Citizen, Session};
use crate::upstream::Call;
use crate::RelayState;

/// Header naming the citizen's postbox at the ZBP (docs/backends.md §4).
pub const MAILBOX_HEADER: &str = "zbp-mailbox-uuid";
/// Header with the level of the citizen's login, attested by the relay.
pub const LEVEL_HEADER: &str = "zbp-trust-level";

pub fn router() -> Router<RelayState> {
    Router::new()
        .route("/messages", get(messages))
        .route("/messages/unread-count", get(unread_count))
        .route("/messages/{id}", get(message).delete(delete_message))
        .route("/messages/{id}/read", post(mark_read))
        .route("/messages/{id}/unread", post(mark_unread))
        .route("/messages/{id}/attachments/{att}", get(attachment))
        .route("/trash", get(trash))
        .route("/trash/{id}/restore", post(restore))
        .route("/applications", get(applications))
        .route("/applications/{id}/status", get(application_status))
}

/// The citizen's postbox handle, from the identity provider's attributes.
fn mailbox(s: &Session) -> Result<String, RelayError> {
    s.attributes
        .iter()
        .find(|a| a.name == "mailboxUuid")
        .map(|a| a.value.clone())
        .filter(|v| contract::encoding::is_uuid(v))
        .ok_or_else(|| RelayError::Internal("the login carries no postbox handle".into()))
}

async fn forward(
    state: &RelayState,
    s: &Session,
    method: Method,
    path: String,
    accept: &'static str,
) -> Result<Response, RelayError> {
    let call = Call {
        method,
        path_and_query: &path,
        accept,
        headers: vec![
            (MAILBOX_HEADER, mailbox(s)?),
            (LEVEL_HEADER, s.level.as_acr().to_string()),
        ],
        body: None,
    };
    let a = state.shared.zbp.call(call).await?;
    crate::upstream::respond(a)
}

fn id(s: &str) -> Result<String, RelayError> {
    Ok(url_encode(segment(s)?))
}

const LIST_PARAMS: &[&str] = &["unread", "kind", "q"];

/// `GET /api/v1/postbox/messages?unread=&kind=&q=`
async fn messages(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let q = pass(q.as_deref(), LIST_PARAMS)?;
    forward(
        &st,
        &s,
        Method::GET,
        format!("/v1/messages{q}"),
        "application/json",
    )
    .await
}

/// `GET /api/v1/postbox/messages/unread-count`
async fn unread_count(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::GET,
        "/v1/messages/unread-count".into(),
        "application/json",
    )
    .await
}

/// `GET /api/v1/postbox/messages/{id}`
async fn message(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::GET,
        format!("/v1/messages/{}", id(&m)?),
        "application/json",
    )
    .await
}

/// `DELETE /api/v1/postbox/messages/{id}`: into the trash.
async fn delete_message(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::DELETE,
        format!("/v1/messages/{}", id(&m)?),
        "application/json",
    )
    .await
}

/// `POST /api/v1/postbox/messages/{id}/read`
async fn mark_read(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::POST,
        format!("/v1/messages/{}/read", id(&m)?),
        "application/json",
    )
    .await
}

/// `POST /api/v1/postbox/messages/{id}/unread`
async fn mark_unread(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::POST,
        format!("/v1/messages/{}/unread", id(&m)?),
        "application/json",
    )
    .await
}

/// `GET /api/v1/postbox/messages/{id}/attachments/{att}`: the file itself.
async fn attachment(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path((m, att)): Path<(String, String)>,
) -> Result<Response, RelayError> {
    let path = format!("/v1/messages/{}/attachments/{}", id(&m)?, id(&att)?);
    forward(&st, &s, Method::GET, path, "*/*").await
}

/// `GET /api/v1/postbox/trash?unread=&kind=&q=`
async fn trash(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let q = pass(q.as_deref(), LIST_PARAMS)?;
    forward(
        &st,
        &s,
        Method::GET,
        format!("/v1/trash{q}"),
        "application/json",
    )
    .await
}

/// `POST /api/v1/postbox/trash/{id}/restore`
async fn restore(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::POST,
        format!("/v1/trash/{}/restore", id(&m)?),
        "application/json",
    )
    .await
}

/// `GET /api/v1/postbox/applications`: the latest status per application.
async fn applications(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    forward(
        &st,
        &s,
        Method::GET,
        "/v1/applications".into(),
        "application/json",
    )
    .await
}

/// `GET /api/v1/postbox/applications/{id}/status`
async fn application_status(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(a): Path<String>,
) -> Result<Response, RelayError> {
    let path = format!("/v1/applications/{}/status", id(&a)?);
    forward(&st, &s, Method::GET, path, "application/json").await
}
