//! Authority console: server-rendered pages (German) and a JSON API to
//! process submissions: confirm receipt, start processing, ask the citizen
//! for something, reject, decide (a PDF Bescheid into the postbox).
//! Shapes and the clerk login: `docs/backends.md` §5, `docs/authority.md`.
//!
//! Clerks log in with their own accounts (argon2id, seeded). The pages use
//! a session cookie (`HttpOnly; SameSite=Strict`) and a CSRF value in every
//! form; the JSON API uses a Bearer token from `POST /behoerde/api/login`
//! and never the cookie, so it needs no CSRF value.

pub mod actions;
pub mod bescheid;
mod followups;
mod info;
mod pages;
pub mod reminders;
mod render;

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json as AxumJson, Router,
};
use rusqlite::{params, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::extract::{Json, Path};
use crate::idp::{hash_password, hash_secret, now_secs, random_token, verify_password_async};
use crate::{error, ApiError, AppState};
use actions::Action;

/// Seeded clerk accounts: (username, password, display name). One clerk
/// handles every destination (docs/authority.md).
pub const CLERKS: &[(&str, &str, &str)] = &[(
    "sachbearbeitung",
    "Amt-NRW-2026",
    "Sam Sachbearbeitung (Testkonto)",
)];

/// A console session lasts 8 hours, an API token 1 hour.
pub const SESSION_SECS: i64 = 8 * 60 * 60;
pub const API_TOKEN_SECS: i64 = 60 * 60;
/// Wrong passwords before a clerk account is locked for 15 minutes.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_SECS: i64 = 15 * 60;

const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE behoerde_clerks (
    username TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE behoerde_sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES behoerde_clerks(username) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'api')),
    csrf TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
",
    reminders::MIGRATION,
];

/// Routes under `/behoerde`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("behoerde", MIGRATIONS)?;
    seed_clerks(state)?;
    // Reminders before a request's deadline, on the deadline sweep's tick.
    reminders::spawn_periodic(state);
    Ok(Router::new()
        .route("/", get(pages::home))
        .route("/static/behoerde.css", get(pages::stylesheet))
        .route("/anmelden", get(pages::login_page).post(pages::login))
        .route("/abmelden", post(pages::logout))
        .route("/eingang", get(pages::inbox))
        .route("/antraege/{id}", get(pages::detail))
        .route(
            "/antraege/{id}/anlagen/{attachment_id}",
            get(pages::attachment),
        )
        .route("/antraege/{id}/{action}", post(pages::act))
        .route("/api/login", post(api_login))
        .route("/api/logout", post(api_logout))
        .route("/api/submissions", get(api_list))
        .route("/api/submissions/{id}", get(api_get))
        .route(
            "/api/submissions/{id}/attachments/{attachment_id}",
            get(api_attachment),
        )
        .route("/api/submissions/{id}/accept", post(api_accept))
        .route("/api/submissions/{id}/processing", post(api_processing))
        .route(
            "/api/submissions/{id}/request-action",
            post(api_request_action),
        )
        .route("/api/submissions/{id}/fulfilled", post(api_fulfilled))
        .route("/api/submissions/{id}/reject", post(api_reject))
        .route("/api/submissions/{id}/decide", post(api_decide))
        .fallback(error::not_found))
}

/// The clerk's password: `BUERGERAMT_CLERK_PASSWORD` (at least 12
/// characters), else the seeded test password, which is refused when the
/// stand-in listens on anything but loopback.
fn clerk_password(
    loopback: bool,
    configured: Option<String>,
    seeded: &str,
) -> anyhow::Result<String> {
    match configured {
        Some(p) if p.chars().count() >= 12 => Ok(p),
        Some(_) => anyhow::bail!("BUERGERAMT_CLERK_PASSWORD must be at least 12 characters"),
        None if loopback => Ok(seeded.to_string()),
        None => anyhow::bail!(
            "the stand-in is not bound to loopback: set BUERGERAMT_CLERK_PASSWORD, the seeded test password is refused"
        ),
    }
}

fn seed_clerks(state: &AppState) -> anyhow::Result<()> {
    let loopback = state.config.bind.ip().is_loopback();
    let configured = std::env::var("BUERGERAMT_CLERK_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    for (user, seeded, name) in CLERKS {
        let pw = &clerk_password(loopback, configured.clone(), seeded)?;
        if configured.is_some() || !loopback {
            // A configured password replaces whatever was stored before.
            let hash = hash_password(pw)?;
            state.db.call_sync(|c| {
                c.execute(
                    "UPDATE behoerde_clerks SET password_hash = ?1 WHERE username = ?2",
                    params![hash, user],
                )
            })?;
        }
        let exists = state.db.call_sync(|c| {
            c.query_row(
                "SELECT 1 FROM behoerde_clerks WHERE username = ?1",
                params![user],
                |_| Ok(()),
            )
            .optional()
        })?;
        if exists.is_none() {
            let hash = hash_password(pw)?;
            state.db.call_sync(|c| {
                c.execute(
                    "INSERT INTO behoerde_clerks (username, name, password_hash) VALUES (?1, ?2, ?3)",
                    params![user, name, hash],
                )
            })?;
        }
    }
    Ok(())
}

/// A logged-in clerk.
#[derive(Debug, Clone)]
pub struct Clerk {
    pub username: String,
    pub name: String,
    /// The session's CSRF value (cookie sessions).
    pub csrf: String,
}

pub enum LoginError {
    Wrong,
    Locked { minutes: i64 },
}

/// Checks a clerk's password (counting failures); on success opens a
/// session of `kind` and returns its token and the clerk.
pub async fn log_in(
    state: &AppState,
    username: &str,
    password: &str,
    kind: &'static str,
) -> Result<Result<(String, Clerk), LoginError>, ApiError> {
    let now = now_secs();
    let user = username.trim().to_string();
    let u = user.clone();
    let row: Option<(String, String, i64)> = state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT name, password_hash, locked_until FROM behoerde_clerks WHERE username = ?1",
                params![u],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await?;
    let Some((name, hash, locked_until)) = row else {
        // Same work for unknown names, so timing does not tell them apart.
        let _ = verify_password_async(password.to_string(), dummy_hash()).await;
        return Ok(Err(LoginError::Wrong));
    };
    if locked_until > now {
        return Ok(Err(LoginError::Locked {
            minutes: (locked_until - now + 59) / 60,
        }));
    }
    // Count the attempt before the password is checked, so that guesses sent
    // in parallel cannot all get past the lock (a right password resets it).
    let u = user.clone();
    let reserved = state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE behoerde_clerks SET failures = failures + 1
                 WHERE username = ?1 AND locked_until <= ?2 AND failures < ?3",
                params![u, now, MAX_FAILURES],
            )
        })
        .await?;
    if reserved == 0 {
        return Ok(Err(LoginError::Locked {
            minutes: LOCK_SECS / 60,
        }));
    }
    if !verify_password_async(password.to_string(), hash).await {
        let u = user.clone();
        let locked = state
            .db
            .call(move |c| {
                c.execute(
                    "UPDATE behoerde_clerks SET locked_until = ?2, failures = 0 WHERE username = ?1 AND failures >= ?3",
                    params![u, now + LOCK_SECS, MAX_FAILURES],
                )
            })
            .await?;
        if locked > 0 {
            return Ok(Err(LoginError::Locked {
                minutes: LOCK_SECS / 60,
            }));
        }
        return Ok(Err(LoginError::Wrong));
    }
    let token = random_token();
    let csrf = random_token();
    let ttl = if kind == "api" {
        API_TOKEN_SECS
    } else {
        SESSION_SECS
    };
    let (th, u, cs) = (hash_secret(&token), user.clone(), csrf.clone());
    state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE behoerde_clerks SET failures = 0 WHERE username = ?1",
                params![u],
            )?;
            c.execute("DELETE FROM behoerde_sessions WHERE expires_at <= ?1", params![now])?;
            c.execute(
                "INSERT INTO behoerde_sessions (token_hash, username, kind, csrf, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![th, u, kind, cs, now + ttl],
            )
        })
        .await?;
    Ok(Ok((
        token,
        Clerk {
            username: user,
            name,
            csrf,
        },
    )))
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&random_token()).unwrap_or_default())
        .clone()
}

/// The clerk of a session token of `kind`, if valid.
pub async fn session(
    state: &AppState,
    token: &str,
    kind: &'static str,
) -> Result<Option<Clerk>, ApiError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let th = hash_secret(token);
    let now = now_secs();
    Ok(state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT s.username, k.name, s.csrf FROM behoerde_sessions s JOIN behoerde_clerks k USING (username)
                 WHERE s.token_hash = ?1 AND s.kind = ?2 AND s.expires_at > ?3",
                params![th, kind, now],
                |r| {
                    Ok(Clerk {
                        username: r.get(0)?,
                        name: r.get(1)?,
                        csrf: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .await?)
}

pub async fn end_session(state: &AppState, token: &str) -> Result<(), ApiError> {
    let th = hash_secret(token);
    state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM behoerde_sessions WHERE token_hash = ?1",
                params![th],
            )
        })
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- JSON API

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
struct LoginBody {
    username: String,
    password: String,
}

/// `POST /behoerde/api/login {username, password}` → `{token, tokenType, expiresIn}`
async fn api_login(
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
async fn api_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api_clerk(&state, &headers).await?;
    if let Some(t) = bearer(&headers) {
        end_session(&state, &t).await?;
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
async fn api_list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
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
async fn api_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_clerk(&state, &headers).await?;
    let case = actions::load(&state, &id).await?;
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
async fn api_attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, att)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    api_clerk(&state, &headers).await?;
    attachment_file(&state, &id, &att).await
}

pub(crate) async fn attachment_file(
    state: &AppState,
    id: &str,
    att: &str,
) -> Result<Response, ApiError> {
    // An application in the inbox, or a follow-up of one.
    crate::fitconnect::authority::application_of(state, id).await?;
    let d = crate::fitconnect::decrypted(state, id).await?;
    let a = d
        .attachments
        .into_iter()
        .find(|a| a.attachment_id == att)
        .ok_or(ApiError::NotFound)?;
    let name = a
        .filename
        .unwrap_or_else(|| format!("{}.bin", a.attachment_id));
    Ok(crate::zbp::file_response(
        &name,
        a.mime_type.as_deref().unwrap_or(""),
        a.content,
    ))
}

async fn api_action(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    action: Action,
) -> Result<Response, ApiError> {
    let clerk = api_clerk(state, headers).await?;
    let name = action.name();
    let out = actions::perform(state, id, action).await?;
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
struct MessageBody {
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
struct ProcessingBody {
    #[serde(default)]
    expected_decision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: String,
}

async fn api_accept(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_action(&s, &h, &id, Action::Accept).await
}

/// `POST …/processing`, body optional: `{expectedDecision}`.
async fn api_processing(
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

async fn api_fulfilled(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    api_action(&s, &h, &id, Action::Fulfilled).await
}

async fn api_request_action(
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

async fn api_reject(
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

async fn api_decide(
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

#[cfg(test)]
mod tests {
    use super::clerk_password;

    #[test]
    fn the_seeded_clerk_password_only_on_loopback() {
        assert_eq!(clerk_password(true, None, "seed").unwrap(), "seed");
        let e = clerk_password(false, None, "seed").unwrap_err();
        assert!(e.to_string().contains("BUERGERAMT_CLERK_PASSWORD"), "{e}");
        assert_eq!(
            clerk_password(false, Some("a-long-password".into()), "seed").unwrap(),
            "a-long-password"
        );
        assert!(clerk_password(true, Some("short".into()), "seed").is_err());
    }
}
