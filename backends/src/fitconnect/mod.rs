//! FIT-Connect-shaped submission API: routes, destinations and keys, announce,
//! attachments, submit, event log, and the receiving authority's side
//! (decrypt, check, accept or reject). Shapes: `docs/backends.md` §3.
//!
//! Only ciphertext is stored: the JWE strings exactly as the citizen's device
//! produced them. The authority side decrypts on demand ([`decrypted`]) and
//! never writes the plaintext back.

pub mod attestation;
pub mod authority;
mod background;
mod check;
pub mod deadline;
pub mod destinations;
mod events;
pub mod followup;
pub mod forms;
pub mod jwe;
pub mod keys;
pub mod mandate_requests;
pub mod mandates;
pub mod pki;
mod signer;
mod store;
pub mod subscriber;

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::extract::{Path, Query};
use crate::{error, ApiError, AppState};

pub use authority::{accept, decrypted, reject, DecryptedSubmission, Problem};

/// The submission limits the app keeps to: largest JWE for one attachment
/// (a 10 MiB file is about 13.4 MiB as JWE), largest JWE for the data or the
/// metadata, most attachments announced, most identity attributes disclosed.
pub use contract::limits::{
    MAX_ATTACHMENTS, MAX_ATTACHMENT_JWE_BYTES, MAX_DATA_JWE_BYTES, MAX_DISCLOSED,
};
/// Event type URI prefix.
pub const EVENT_PREFIX: &str = "https://schema.fitko.de/fit-connect/events/";

/// Routes under `/fitconnect`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    store::migrate(&state.db)?;
    mandates::migrate(&state.db)?;
    // The RSA 4096 keys are loaded (or generated, seconds) once per process
    // by [`load_keys`]: the server binary calls it before it listens, tests
    // that never touch FIT-Connect do not pay.
    destinations::all().map_err(anyhow::Error::msg)?;
    // The authority's two background tasks: the subscriber receives (and
    // decrypts) what was handed in, the sweep applies the deadlines.
    subscriber::spawn(state);
    signer::spawn(state);
    deadline::spawn_periodic(state);
    Ok(Router::new()
        .route("/routes", get(routes))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/schemas/{file}", get(schema_file))
        .route("/v1/destinations/{id}", get(destination))
        .route("/v1/destinations/{id}/keys/{kid}", get(destination_key))
        .route("/v1/submissions", post(announce))
        .route("/v1/submissions/{id}", get(status).put(submit))
        .route(
            "/v1/submissions/{id}/attachments/{attachment_id}",
            put(upload_attachment),
        )
        .route("/v1/cases/{case_id}/events", get(events))
        .fallback(error::not_found))
}

/// Errors beyond [`ApiError`]: the level a service needs, and body size.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
}

impl From<crate::db::DbError> for FitError {
    fn from(e: crate::db::DbError) -> Self {
        FitError::Api(e.into())
    }
}

impl IntoResponse for FitError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            FitError::Api(e) => e.into_response(),
            FitError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                axum::Json(json!({"error": "payload_too_large", "message": message})),
            )
                .into_response(),
        }
    }
}

/// The authority's keys, loaded once per data directory (`keys::keys`
/// caches them) and off the async threads (the first call may generate two
/// RSA 4096 keys, which takes a moment). Everything that signs or decrypts
/// gets them from here and hands them down.
pub async fn load_keys(state: &AppState) -> Result<std::sync::Arc<keys::Keys>, ApiError> {
    // Loaded already (every request after the first): no thread hop.
    if let Some(k) = keys::cached(&state.config.data_dir) {
        return Ok(k);
    }
    let dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || keys::keys(&dir))
        .await
        .map_err(internal)?
        .map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// Base URL of this API as the app sees it (for `schemaUri`, `submissionUrl`).
pub fn base_url(state: &AppState) -> String {
    state
        .config
        .app
        .fitconnect
        .trim_end_matches('/')
        .to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteQuery {
    leika_key: Option<String>,
    ars: Option<String>,
}

/// `GET /routes?leikaKey=&ars=`
async fn routes(
    State(state): State<AppState>,
    Query(q): Query<RouteQuery>,
) -> Result<Response, FitError> {
    let leika = q.leika_key.unwrap_or_default();
    let ars = q.ars.unwrap_or_default();
    if leika.len() != 14 || !leika.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest("leikaKey must be a 14-digit LeiKa key".into()).into());
    }
    if ars.len() != 12 || !ars.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(
            "ars must be a 12-digit Amtlicher Regionalschlüssel".into(),
        )
        .into());
    }
    let keys = load_keys(&state).await?;
    let base = base_url(&state);
    let found: Vec<Value> = destinations::all()
        .map_err(internal)?
        .iter()
        .filter(|d| d.leika == leika && d.serves(&ars))
        .map(|d| d.route_json(&base, &keys, &ars))
        .collect();
    Ok(axum::Json(
        json!({"count": found.len(), "totalCount": found.len(), "offset": 0, "routes": found}),
    )
    .into_response())
}

/// `GET /.well-known/jwks.json`: the key that signs the event log.
async fn jwks(State(state): State<AppState>) -> Result<Response, FitError> {
    let keys = load_keys(&state).await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(keys.signing_jwks()),
    )
        .into_response())
}

/// `GET /schemas/<slug>.schema.json`
async fn schema_file(Path(file): Path<String>) -> Result<Response, FitError> {
    let slug = file
        .strip_suffix(".schema.json")
        .ok_or(ApiError::NotFound)?;
    let text = if slug == contract::followup::SCHEMA_SLUG {
        forms::follow_up().map_err(internal)?.text
    } else {
        forms::all()
            .map_err(internal)?
            .iter()
            .find(|f| f.slug == slug)
            .ok_or(ApiError::NotFound)?
            .text
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/schema+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
        .into_response())
}

/// `GET /v1/destinations/{id}`
async fn destination(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, FitError> {
    let d = destinations::by_id(&id)
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
    let keys = load_keys(&state).await?;
    Ok(axum::Json(d.destination_json(&base_url(&state), &keys)).into_response())
}

/// `GET /v1/destinations/{id}/keys/{kid}`
async fn destination_key(
    State(state): State<AppState>,
    Path((id, kid)): Path<(String, String)>,
) -> Result<Response, FitError> {
    let d = destinations::by_id(&id)
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
    let keys = load_keys(&state).await?;
    if kid != keys.encryption.kid {
        return Err(ApiError::NotFound.into());
    }
    // With the x5c chain whose leaf names this destination (pki.rs).
    Ok(axum::Json(keys.encryption_jwk(&d.id)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AnnounceBody {
    destination_id: String,
    #[serde(default)]
    announced_attachments: Vec<String>,
    service_type: ServiceType,
    /// A follow-up: the existing case (of this sender) it joins.
    #[serde(default)]
    case_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceType {
    name: String,
    identifier: String,
}

/// Reads a request body of at most `limit` bytes (413 as JSON beyond).
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, FitError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| FitError::TooLarge(limit))
}

/// Parses a JSON body after authentication (so a missing token is a 401, not a 400).
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.split(';').next().map(str::trim) != Some("application/json") {
        return Err(ApiError::BadRequest(
            "Content-Type must be application/json".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// A lower-case UUID like `3f2a…-…`.
pub use contract::encoding::is_uuid;

/// The Onlinedienst calling: FIT-Connect's Submission API knows senders
/// (OAuth2 client credentials, scope `fitconnect:send`), never citizens. A
/// citizen's access token is refused (401), a token without the scope 403.
async fn sender(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<crate::idp::clients::ServiceCaller, ApiError> {
    crate::idp::clients::service_caller(state, headers, crate::idp::clients::SCOPE_FITCONNECT).await
}

/// `POST /v1/submissions`: announce a submission.
async fn announce(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, FitError> {
    let sender = sender(&state, &headers).await?;
    load_keys(&state).await?;
    let body = read_limited(body, 64 * 1024).await?;
    let body: AnnounceBody = json_body(&headers, &body)?;
    let d = destinations::by_id(&body.destination_id)
        .map_err(internal)?
        .ok_or_else(|| ApiError::Unprocessable("unknown destinationId".into()))?;
    if body.service_type.identifier != d.identifier() {
        return Err(ApiError::Unprocessable(format!(
            "destination {} does not offer {}; it offers {}",
            d.id,
            body.service_type.identifier,
            d.identifier()
        ))
        .into());
    }
    if body.service_type.name.trim().is_empty() || body.service_type.name.len() > 300 {
        return Err(
            ApiError::BadRequest("serviceType.name must be 1 to 300 characters".into()).into(),
        );
    }
    if body.announced_attachments.len() > MAX_ATTACHMENTS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_ATTACHMENTS} attachments may be announced"
        ))
        .into());
    }
    let mut seen = std::collections::HashSet::new();
    for a in &body.announced_attachments {
        if !is_uuid(a) {
            return Err(ApiError::BadRequest(format!("{a:?} is not a lower-case UUID")).into());
        }
        if !seen.insert(a) {
            return Err(ApiError::BadRequest(format!("attachment {a} announced twice")).into());
        }
    }
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim();
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 200 visible ASCII characters".into(),
                )
                .into());
            }
            Some(k.to_string())
        }
    };
    let case = match &body.case_id {
        None => None,
        Some(case_id) => Some(followup_case(&state, case_id, &sender.client_id, d).await?),
    };
    let new = store::NewSubmission {
        citizen: sender.client_id.clone(),
        destination_id: d.id.clone(),
        leika: d.leika.clone(),
        service_name: body.service_type.name.trim().to_string(),
        announced: body.announced_attachments.clone(),
        disclosed: Vec::new(),
        idempotency_key,
        case,
    };
    let outcome = store::announce(&state, new).await?;
    signer::notify(&state);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "submissionId": outcome.submission_id,
            "caseId": outcome.case_id,
            "destinationId": d.id,
        })),
    )
        .into_response())
}

/// The case a follow-up announcement names: a lower-case UUID (400), a
/// case of this sender (else 422 "unknown case", so that another sender
/// learns nothing), for the same destination and service (422), whose
/// application was handed in (409 while it is incomplete, or once it is
/// deleted or rejected).
async fn followup_case(
    state: &AppState,
    case_id: &str,
    owner: &str,
    d: &destinations::Destination,
) -> Result<store::CaseRef, FitError> {
    if !is_uuid(case_id) {
        return Err(ApiError::BadRequest("caseId must be a lower-case UUID".into()).into());
    }
    let app = match store::case_application(state, case_id).await {
        Ok(a) if a.citizen == owner => a,
        Ok(_) | Err(ApiError::NotFound) => {
            return Err(ApiError::Unprocessable("unknown case".into()).into())
        }
        Err(e) => return Err(e.into()),
    };
    if app.destination_id != d.id {
        return Err(
            ApiError::Unprocessable("the case belongs to another destination".into()).into(),
        );
    }
    if app.leika != d.leika {
        return Err(ApiError::Unprocessable("the case is about another service".into()).into());
    }
    if matches!(app.status.as_str(), "incomplete" | "deleted" | "rejected") {
        return Err(ApiError::Conflict(format!(
            "the case's application is {}; only a handed-in application can get a follow-up",
            app.status
        ))
        .into());
    }
    Ok(store::CaseRef {
        case_id: app.case_id,
        application_id: app.id,
    })
}

/// `GET /v1/submissions/{id}`
async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, FitError> {
    let sender = sender(&state, &headers).await?;
    let s = store::owned(&state, &id, &sender.client_id).await?;
    Ok(axum::Json(json!({
        "submissionId": s.id,
        "caseId": s.case_id,
        "destinationId": s.destination_id,
        "serviceType": {"name": s.service_name, "identifier": format!("urn:de:fim:leika:leistung:{}", s.leika)},
        "status": s.status,
        "announcedAttachments": s.announced,
        "uploadedAttachments": s.uploaded,
        "createdAt": s.created_at,
        "submittedAt": s.submitted_at,
    }))
    .into_response())
}

/// `PUT /v1/submissions/{id}/attachments/{attachment_id}` (body: JWE, `application/jose`).
async fn upload_attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, attachment_id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, FitError> {
    let sender = sender(&state, &headers).await?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.split(';').next().map(str::trim) != Some("application/jose") {
        return Err(ApiError::BadRequest("Content-Type must be application/jose".into()).into());
    }
    let keys = load_keys(&state).await?;
    let body = read_limited(body, MAX_ATTACHMENT_JWE_BYTES).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| {
            ApiError::BadRequest("the body must be a JWE in compact serialisation".into())
        })?
        .trim()
        .to_string();
    check_jwe(&keys, &text, "attachment")?;
    let s = store::owned(&state, &id, &sender.client_id).await?;
    if !s.announced.contains(&attachment_id) {
        return Err(ApiError::NotFound.into());
    }
    if s.status != "incomplete" {
        return Err(ApiError::Conflict(format!(
            "the submission is {}; attachments can no longer change",
            s.status
        ))
        .into());
    }
    store::put_attachment(&state, &id, &attachment_id, text).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Structure and key check of a JWE on the way in (no decryption here).
fn check_jwe(keys: &keys::Keys, text: &str, what: &str) -> Result<(), FitError> {
    let parsed = jwe::parse(text)
        .map_err(|e| ApiError::BadRequest(format!("the {what} is not an acceptable JWE: {e}")))?;
    if parsed.header.kid != keys.encryption.kid {
        return Err(ApiError::BadRequest(format!(
            "the {what} was encrypted for an unknown key {:?}",
            parsed.header.kid
        ))
        .into());
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubmitBody {
    encrypted_metadata: String,
    encrypted_data: String,
}

/// `PUT /v1/submissions/{id}`: hand in metadata and data (both JWE).
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, FitError> {
    let sender = sender(&state, &headers).await?;
    let keys = load_keys(&state).await?;
    let body = read_limited(body, 2 * MAX_DATA_JWE_BYTES + 1024).await?;
    let body: SubmitBody = json_body(&headers, &body)?;
    if body.encrypted_metadata.len() > MAX_DATA_JWE_BYTES
        || body.encrypted_data.len() > MAX_DATA_JWE_BYTES
    {
        return Err(FitError::TooLarge(MAX_DATA_JWE_BYTES));
    }
    check_jwe(&keys, &body.encrypted_metadata, "metadata")?;
    check_jwe(&keys, &body.encrypted_data, "data")?;
    let s = store::owned(&state, &id, &sender.client_id).await?;
    if s.status != "incomplete" {
        let same = s.encrypted_metadata.as_deref() == Some(body.encrypted_metadata.as_str())
            && s.encrypted_data.as_deref() == Some(body.encrypted_data.as_str());
        if same {
            return Ok(submit_answer(&s.id, &s.case_id, &s.status));
        }
        return Err(ApiError::Conflict(format!("the submission is already {}", s.status)).into());
    }
    let missing: Vec<&String> = s
        .announced
        .iter()
        .filter(|a| !s.uploaded.contains(a))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "announced attachments not uploaded yet: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    // The Zustelldienst's part ends here: it records `submit-submission`
    // with the JWEs' tags (pending: signed by `signer.rs` right after, in
    // the same transaction as the status) and tells the authority's
    // subscriber, which decrypts and checks later (subscriber.rs). Nothing
    // is decrypted or signed here.
    let attachments = store::attachments(&state, &id).await?;
    let claims = events::claims(
        &base_url(&state),
        &s.id,
        &s.case_id,
        "submit-submission",
        events::authentication_tags(
            Some(&body.encrypted_metadata),
            Some(&body.encrypted_data),
            &attachments,
        ),
    )?;
    let won = store::submit(
        &state,
        &id,
        &s.case_id,
        body.encrypted_metadata.clone(),
        body.encrypted_data.clone(),
        claims,
    )
    .await?;
    if !won {
        // A concurrent identical request got there first.
        let s = store::owned(&state, &id, &sender.client_id).await?;
        let same = s.encrypted_metadata.as_deref() == Some(body.encrypted_metadata.as_str())
            && s.encrypted_data.as_deref() == Some(body.encrypted_data.as_str());
        if same {
            return Ok(submit_answer(&s.id, &s.case_id, &s.status));
        }
        return Err(ApiError::Conflict(format!("the submission is already {}", s.status)).into());
    }
    signer::notify(&state);
    subscriber::notify(&state);
    Ok(submit_answer(&s.id, &s.case_id, "submitted"))
}

fn submit_answer(id: &str, case_id: &str, status: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"submissionId": id, "caseId": case_id, "status": status})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct EventQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

/// `GET /v1/cases/{case_id}/events?offset=&limit=`
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(q): Query<EventQuery>,
) -> Result<Response, FitError> {
    let sender = sender(&state, &headers).await?;
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let (mut total, mut log) =
        store::events(&state, &case_id, &sender.client_id, offset, limit).await?;
    // Asked before the signer got there: sign the case's pending events now
    // and read again, so no reader ever sees an unsigned one (again if a new
    // event of the case came in between).
    let mut rounds = 0;
    while log.iter().any(String::is_empty) {
        rounds += 1;
        if rounds > 5 {
            return Err(ApiError::Internal("the case's events stay unsigned".into()).into());
        }
        signer::sign_pending(&state, Some(&case_id)).await?;
        (total, log) = store::events(&state, &case_id, &sender.client_id, offset, limit).await?;
    }
    Ok(axum::Json(json!({
        "offset": offset,
        "count": log.len(),
        "totalCount": total,
        "eventLog": log,
    }))
    .into_response())
}
