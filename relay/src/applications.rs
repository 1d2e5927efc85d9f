//! The citizen's applications through the relay (FIT-Connect Submission API).
//!
//! The browser encrypts; the relay forwards the JWEs byte for byte and never
//! holds a key that could decrypt them. It records which submission and
//! which case belong to which citizen when they are announced, and refuses
//! every later call on a submission or case that is not the citizen's own
//! (404) before it reaches the upstream. Bodies are limited per route, and
//! the session is checked before a body is read.
//!
//! **Interim (until issue #16):** the stand-in's FIT-Connect still learns the
//! citizen from a citizen's access token, so these calls carry the token the
//! relay holds for the session (never the browser). Issue #16 switches them
//! to the sender's client credentials, with the citizen's list kept here.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use contract::encoding::{is_uuid, url_encode};
use contract::limits::{MAX_ATTACHMENT_JWE_BYTES, MAX_DATA_JWE_BYTES};
use reqwest::Method;
use rusqlite::{params, OptionalExtension};
use serde::Deserialize;

use crate::catalogue::pass;
use crate::error::RelayError;
use crate::session::{self, Citizen, Session};
use crate::upstream::Call;
use crate::RelayState;

/// An announcement is small JSON.
pub const MAX_ANNOUNCE_BYTES: usize = 64 * 1024;
/// `{encryptedMetadata, encryptedData}`: two JWEs and some JSON around them.
pub const MAX_SUBMIT_BYTES: usize = 2 * MAX_DATA_JWE_BYTES + 64 * 1024;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route(
            "/applications",
            get(list)
                .post(announce)
                .layer(DefaultBodyLimit::max(MAX_ANNOUNCE_BYTES)),
        )
        .route(
            "/applications/{id}",
            get(status)
                .put(submit)
                .layer(DefaultBodyLimit::max(MAX_SUBMIT_BYTES)),
        )
        .route(
            "/applications/{id}/attachments/{att}",
            put(attachment).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_JWE_BYTES)),
        )
        .route("/cases/{case}/events", get(events))
        .route("/disclosures", get(disclosures))
}

/// The relay's own record: submission and case → citizen (schema step 2).
pub const MIGRATION: &str = "
CREATE TABLE relay_submissions (
    submission_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX relay_submissions_sub ON relay_submissions(sub);
CREATE INDEX relay_submissions_case ON relay_submissions(case_id);
";

async fn forward(
    state: &RelayState,
    s: &Session,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<(Bytes, &'static str)>,
) -> Result<(u16, Vec<u8>, Response), RelayError> {
    let call = Call {
        method,
        path_and_query: &path,
        accept: "application/json",
        headers,
        body,
        bearer: Some(s.access_token.clone()),
    };
    let a = state.shared.fitconnect.call(call).await?;
    if a.status == 401 {
        // The login behind this session has ended at the provider.
        let id_hash = s.id_hash.clone();
        state.db.call(move |c| session::delete(c, &id_hash)).await?;
        return Err(RelayError::LoginRequired);
    }
    let (status, body) = (a.status, a.body.clone());
    Ok((status, body, crate::upstream::respond(a)?))
}

/// Refuses (404) a submission or case that is not the citizen's own.
async fn owned(
    state: &RelayState,
    s: &Session,
    column: &'static str,
    id: &str,
) -> Result<(), RelayError> {
    if !is_uuid(id) {
        return Err(RelayError::NotFound);
    }
    let (sub, id) = (s.sub.clone(), id.to_string());
    let sql = match column {
        "case" => "SELECT 1 FROM relay_submissions WHERE case_id = ?1 AND sub = ?2 LIMIT 1",
        _ => "SELECT 1 FROM relay_submissions WHERE submission_id = ?1 AND sub = ?2",
    };
    let found = state
        .db
        .call(move |c| c.query_row(sql, params![id, sub], |_| Ok(())).optional())
        .await?;
    found.ok_or(RelayError::NotFound)
}

/// The request's `Idempotency-Key`, passed on when well-formed.
fn idempotency(headers: &HeaderMap) -> Result<Vec<(&'static str, String)>, RelayError> {
    match headers.get("idempotency-key") {
        None => Ok(Vec::new()),
        Some(v) => {
            let v = v
                .to_str()
                .ok()
                .filter(|v| {
                    !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic())
                })
                .ok_or_else(|| RelayError::BadRequest("Idempotency-Key is malformed".into()))?;
            Ok(vec![("idempotency-key", v.to_string())])
        }
    }
}

/// `GET /api/v1/applications`: the citizen's submissions.
async fn list(State(st): State<RelayState>, Citizen(s): Citizen) -> Result<Response, RelayError> {
    Ok(
        forward(&st, &s, Method::GET, "/v1/submissions".into(), vec![], None)
            .await?
            .2,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Announced {
    submission_id: String,
    case_id: String,
}

/// `POST /api/v1/applications`: announce; the relay records the owner.
async fn announce(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RelayError> {
    let extra = idempotency(&headers)?;
    let (status, answer, resp) = forward(
        &st,
        &s,
        Method::POST,
        "/v1/submissions".into(),
        extra,
        Some((body, "application/json")),
    )
    .await?;
    if (200..300).contains(&status) {
        let a: Announced = serde_json::from_slice(&answer).map_err(|e| {
            RelayError::Upstream(crate::error::UpstreamError::Malformed(format!(
                "announce: {e}"
            )))
        })?;
        if !is_uuid(&a.submission_id) || !is_uuid(&a.case_id) {
            return Err(RelayError::Upstream(
                crate::error::UpstreamError::Malformed("announce: ids are not UUIDs".into()),
            ));
        }
        let sub = s.sub.clone();
        st.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (submission_id) DO NOTHING",
                    params![a.submission_id, a.case_id, sub, session::now()],
                )
            })
            .await?;
    }
    Ok(resp)
}

/// `GET /api/v1/applications/{id}`: the submission's status.
async fn status(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    owned(&st, &s, "submission", &id).await?;
    let path = format!("/v1/submissions/{}", url_encode(&id));
    Ok(forward(&st, &s, Method::GET, path, vec![], None).await?.2)
}

/// `PUT /api/v1/applications/{id}`: `{encryptedMetadata, encryptedData}`, byte for byte.
async fn submit(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, RelayError> {
    owned(&st, &s, "submission", &id).await?;
    let path = format!("/v1/submissions/{}", url_encode(&id));
    let body = Some((body, "application/json"));
    Ok(forward(&st, &s, Method::PUT, path, vec![], body).await?.2)
}

/// `PUT /api/v1/applications/{id}/attachments/{att}`: one JWE (`application/jose`).
async fn attachment(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path((id, att)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RelayError> {
    owned(&st, &s, "submission", &id).await?;
    if !is_uuid(&att) {
        return Err(RelayError::NotFound);
    }
    let jose = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/jose"));
    if !jose {
        return Err(RelayError::BadRequest(
            "an attachment is application/jose".into(),
        ));
    }
    let path = format!(
        "/v1/submissions/{}/attachments/{}",
        url_encode(&id),
        url_encode(&att)
    );
    let body = Some((body, "application/jose"));
    Ok(forward(&st, &s, Method::PUT, path, vec![], body).await?.2)
}

/// `GET /api/v1/cases/{case}/events?offset=&limit=`: the case's event log (signed SETs).
async fn events(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(case): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    owned(&st, &s, "case", &case).await?;
    let q = pass(q.as_deref(), &["offset", "limit"])?;
    let path = format!("/v1/cases/{}/events{q}", url_encode(&case));
    Ok(forward(&st, &s, Method::GET, path, vec![], None).await?.2)
}

/// `GET /api/v1/disclosures`: which authority received which attributes.
async fn disclosures(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    Ok(
        forward(&st, &s, Method::GET, "/v1/disclosures".into(), vec![], None)
            .await?
            .2,
    )
}
