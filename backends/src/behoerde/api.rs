//! The console's JSON API (`/behoerde/api/…`): a Bearer token from
//! `POST /behoerde/api/login`, never the cookie, so no CSRF value. Shapes:
//! docs/backends.md §5. Every call on a submission is in the audit log
//! (`audit.rs`), as the pages' are.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json as AxumJson,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::actions::Action;
use super::audit::{Actor, Channel};
use super::trail;
use super::{end_session, followups, info, log_in, session, Clerk, LoginError, API_TOKEN_SECS};
use crate::error::extract::{Json, Path};
use crate::{ApiError, AppState};

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

async fn api_clerk(state: &AppState, headers: &HeaderMap) -> Result<Clerk, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    session(state, &token, "api")
        .await?
        .ok_or(ApiError::Unauthorized)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginBody {
    username: String,
    password: String,
}

/// `POST /behoerde/api/login {username, password}` → `{token, tokenType, expiresIn}`
pub(super) async fn api_login(
    State(state): State<AppState>,
    Json(b): Json<LoginBody>,
) -> Result<Response, ApiError> {
    match log_in(&state, &b.username, &b.password, "api").await? {
        Ok((token, clerk)) => Ok((
            [(header::CACHE_CONTROL, "no-store")],
            AxumJson(json!({
                "token": token,
                "tokenType": "Bearer",
                "expiresIn": API_TOKEN_SECS,
                "clerk": {"username": clerk.username, "name": clerk.name},
            })),
        )
            .into_response()),
        Err(LoginError::Wrong) => Err(ApiError::Unauthorized),
        Err(LoginError::Locked { minutes }) => Err(ApiError::TooManyRequests {
            retry_after_secs: (minutes * 60) as u64,
        }),
    }
}

/// `POST /behoerde/api/logout`
pub(super) async fn api_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let clerk = api_clerk(&state, &headers).await?;
    if let Some(t) = bearer(&headers) {
        end_session(&state, &t, &Actor::clerk(&clerk, Channel::Api)).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn iso(t: Option<i64>) -> Value {
    json!(t.and_then(crate::zbp::iso))
}

fn entry_json(e: &crate::fitconnect::authority::InboxEntry, latest: Option<&str>) -> Value {
    let dest = crate::fitconnect::destinations::by_id(&e.destination_id)
        .ok()
        .flatten();
    json!({
        "submissionId": e.submission_id,
        "caseId": e.case_id,
        "destinationId": e.destination_id,
        "destinationName": dest.map(|d| d.name.as_str()),
        "authority": dest.map(|d| d.authority.as_str()),
        "leikaKey": e.leika,
        "serviceName": dest.map(|d| d.form.title.as_str()).unwrap_or(e.service_name.as_str()),
        "status": e.status,
        "applicationStatus": latest,
        "submittedAt": iso(e.submitted_at),
    })
}

/// `GET /behoerde/api/submissions`
pub(super) async fn api_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api_clerk(&state, &headers).await?;
    let entries = crate::fitconnect::authority::inbox(&state).await?;
    let mut list = Vec::new();
    for e in &entries {
        let st = crate::zbp::application_statuses(&state, &e.submission_id).await?;
        list.push(entry_json(e, st.last().map(|s| s.status.as_str())));
    }
    Ok(AxumJson(json!({"count": list.len(), "submissions": list})).into_response())
}

/// `GET /behoerde/api/submissions/{id}`: decrypted data, attachments, statuses.
pub(super) async fn api_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let clerk = api_clerk(&state, &headers).await?;
    let case = trail::open(&state, &Actor::clerk(&clerk, Channel::Api), &id).await?;
    let mut v = entry_json(&case.entry, case.statuses.last().map(|s| s.status.as_str()));
    v["trustLevel"] = json!(case.level().as_str());
    v["reference"] = json!(case.reference());
    v["statuses"] = json!(case
        .statuses
        .iter()
        .map(|s| json!({"status": s.status, "createdDate": crate::zbp::iso(s.created_date), "statusDetails": s.status_details, "additionalInformation": s.additional_information, "messageId": s.message_id}))
        .collect::<Vec<_>>());
    v["followUps"] = followups::json(&case.follow_ups);
    v["openRequest"] = match followups::latest_request(&case.statuses) {
        Some((asked, fulfilled)) => json!({
            "messageId": asked.message_id,
            "request": asked.request,
            "answered": followups::answered(&case.follow_ups, &asked.message_id),
            "fulfilled": fulfilled,
        }),
        None => Value::Null,
    };
    // What the console warns about the fee (`payment/`), as `{title, text}`.
    if let Some(r) = super::payment::of_case(&case) {
        v["feeWarnings"] = json!(r
            .warnings
            .iter()
            .map(|w| json!({"title": w.title, "text": w.text}))
            .collect::<Vec<_>>());
    }
    // A request for a mandate for a child or a cared-for person (issue
    // #25), as attested and checked against the form's data, and what the
    // clerk decided (FIT-Connect: accepted = confirmed, rejected = refused).
    if let Some(r) = super::mandate_request::of_case(&case) {
        v["mandateRequest"] = json!(r);
        v["mandateRequest"]["decision"] = json!(match case.entry.status.as_str() {
            "accepted" => "confirmed",
            "rejected" => "refused",
            _ => "open",
        });
    }
    match case.content {
        Ok(d) => {
            v["metadata"] = d.metadata;
            v["data"] = d.data;
            // The login as the Onlinedienst attested it (verified).
            v["attestation"] = json!(d.attestation);
            v["attachments"] = json!(d
                .attachments
                .iter()
                .map(|a| json!({"attachmentId": a.attachment_id, "filename": a.filename, "mimeType": a.mime_type, "purpose": a.purpose, "size": a.content.len()}))
                .collect::<Vec<_>>());
        }
        Err(problems) => {
            v["decryptionProblems"] = json!(problems);
        }
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], AxumJson(v)).into_response())
}

/// `GET /behoerde/api/submissions/{id}/attachments/{attachment_id}`: decrypted file.
pub(super) async fn api_attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, att)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let clerk = api_clerk(&state, &headers).await?;
    trail::attachment_file(&state, &Actor::clerk(&clerk, Channel::Api), &id, &att).await
}

async fn api_action(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    action: Action,
) -> Result<Response, ApiError> {
    let clerk = api_clerk(state, headers).await?;
    let name = action.name();
    let out = trail::perform(state, &Actor::clerk(&clerk, Channel::Api), id, action).await?;
    tracing::info!(clerk = %clerk.username, submission = %id, action = name, "behoerde action");
    Ok(AxumJson(json!({
        "submissionId": id,
        "applicationStatus": out.status.as_str(),
        "messageId": out.message_id,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct MessageBody {
    message: String,
    /// Answer by this day (`YYYY-MM-DD`, today or later).
    #[serde(default)]
    deadline: Option<String>,
    /// The requested documents' names.
    #[serde(default)]
    documents: Vec<String>,
    /// Their allowed types (default: PDF, JPEG, PNG).
    #[serde(default)]
    accept: Option<Vec<String>>,
    /// Their largest size in bytes (default and at most 10 MiB).
    #[serde(default)]
    max_bytes: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ProcessingBody {
    #[serde(default)]
    expected_decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReasonBody {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionBody {
    decision: String,
}

pub(super) async fn api_accept(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_action(&s, &h, &id, Action::Accept).await
}

/// `POST …/processing`, body optional: `{expectedDecision}`.
pub(super) async fn api_processing(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Who asks comes before what the body says: no validation hints without a login.
    api_clerk(&s, &h).await?;
    let b: ProcessingBody = if body.iter().all(u8::is_ascii_whitespace) {
        ProcessingBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let date = b.expected_decision.unwrap_or_default();
    api_action(&s, &h, &id, Action::StartProcessing(date)).await
}

pub(super) async fn api_fulfilled(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_action(&s, &h, &id, Action::Fulfilled).await
}

pub(super) async fn api_request_action(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<MessageBody>, ApiError>,
) -> Result<Response, ApiError> {
    // Who asks comes before what the body says: no validation hints without a login.
    api_clerk(&s, &h).await?;
    let Json(b) = body?;
    let input = info::RequestInput {
        text: b.message,
        deadline: b.deadline.unwrap_or_default(),
        documents: b.documents,
        accept: b.accept,
        max_bytes: b.max_bytes,
    };
    api_action(&s, &h, &id, Action::RequestAction(input)).await
}

pub(super) async fn api_reject(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ReasonBody>, ApiError>,
) -> Result<Response, ApiError> {
    // Who asks comes before what the body says: no validation hints without a login.
    api_clerk(&s, &h).await?;
    let Json(b) = body?;
    api_action(&s, &h, &id, Action::Reject(b.reason)).await
}

pub(super) async fn api_decide(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<DecisionBody>, ApiError>,
) -> Result<Response, ApiError> {
    // Who asks comes before what the body says: no validation hints without a login.
    api_clerk(&s, &h).await?;
    let Json(b) = body?;
    api_action(&s, &h, &id, Action::Decide(b.decision)).await
}
