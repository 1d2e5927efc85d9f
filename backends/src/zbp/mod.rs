//! Postbox (ZBP) stand-in: messages, application status, trust-level locks,
//! trash. Shapes and rules: `docs/backends.md` §4.
//!
//! Citizens reach their mailbox with the Bearer token of `/idp`; the mailbox
//! is the token's `mailboxUuid`. Another mailbox's message is "not found".
//! The content (and attachments) of a message above the token's trust level
//! is withheld (403 with the level needed). Opening a message records
//! `openedAt` once: that is when a decision counts as delivered.
//!
//! Other modules deliver with [`deliver`] and [`record_status`].

pub mod deadline;
pub mod notice;
mod reader;
mod store;

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json as AxumJson, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

use crate::error::extract::{Path, Query};
use crate::idp::{Principal, TrustLevel};
use crate::{error, ApiError, AppState};
use reader::reader;
pub use reader::{LEVEL_HEADER, MAILBOX_HEADER, SCOPE_ZBP};

pub use store::{MessageRow, StatusRow};

/// How long a deleted message stays in the trash.
pub const TRASH_RETENTION_SECS: i64 = 30 * 24 * 60 * 60;
/// How often the periodic task empties expired trash.
const PURGE_INTERVAL_SECS: u64 = 60 * 60;

/// Routes under `/zbp`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("zbp", store::MIGRATIONS)?;
    state.db.migrate("zbp_notices", notice::MIGRATIONS)?;
    spawn_purger(state);
    Ok(Router::new()
        .route("/v1/messages", get(list_messages))
        .route("/v1/messages/unread-count", get(unread_count))
        .route(
            "/v1/messages/{id}",
            get(read_message).delete(delete_message),
        )
        .route("/v1/messages/{id}/read", post(mark_read))
        .route("/v1/messages/{id}/unread", post(mark_unread))
        .route(
            "/v1/messages/{id}/attachments/{attachment_id}",
            get(download),
        )
        .route("/v1/trash", get(list_trash))
        .route("/v1/trash/{id}/restore", post(restore))
        .route("/v1/applications", get(list_applications))
        .route(
            "/v1/applications/{application_id}/status",
            get(status_history),
        )
        .fallback(error::not_found))
}

/// Empties expired trash every hour (only when a Tokio runtime is running).
fn spawn_purger(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(PURGE_INTERVAL_SECS));
        loop {
            tick.tick().await;
            if let Err(e) = purge_trash(&state, now()).await {
                tracing::warn!(error = %e, "emptying the postbox trash failed");
            }
        }
    });
}

pub fn now() -> i64 {
    crate::idp::now_secs()
}

/// ISO 8601 UTC (`2026-11-29T10:15:00Z`).
pub fn iso(unix: i64) -> Option<String> {
    chrono::DateTime::<chrono::Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Deletes messages that have been in the trash for [`TRASH_RETENTION_SECS`]
/// at `now`; returns how many.
pub async fn purge_trash(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let cutoff = now - TRASH_RETENTION_SECS;
    Ok(state.db.call(move |c| store::purge(c, cutoff)).await?)
}

// ---------------------------------------------------------------- delivery

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A Bescheid.
    Decision,
    /// A note about an application's progress.
    Status,
    /// Anything else (e.g. a rejected submission).
    Info,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Decision => "decision",
            MessageKind::Status => "status",
            MessageKind::Info => "info",
        }
    }
}

pub struct NewAttachment {
    pub filename: String,
    pub mime_type: String,
    pub content: Vec<u8>,
}

/// A message to put into a mailbox. `content` is plain text.
pub struct NewMessage {
    pub mailbox_uuid: String,
    pub kind: MessageKind,
    pub sender: String,
    pub title: String,
    pub content: String,
    pub service: Option<String>,
    pub application_id: Option<String>,
    pub reference: Option<String>,
    /// The level needed to open it.
    pub level: TrustLevel,
    /// A decision with a Rechtsbehelf: its deadline is fixed when it is opened.
    pub appealable: bool,
    pub retrieval_confirmation_address: Option<String>,
    pub reply_address: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

fn insert_message(
    conn: &rusqlite::Connection,
    id: &str,
    m: &NewMessage,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO zbp_messages (id, mailbox_uuid, kind, sender, title, content, service, application_id,
            reference, level, retrieval_confirmation_address, reply_address, appealable, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            id,
            m.mailbox_uuid,
            m.kind.as_str(),
            m.sender,
            m.title,
            m.content,
            m.service,
            m.application_id,
            m.reference,
            m.level.as_str(),
            m.retrieval_confirmation_address,
            m.reply_address,
            m.appealable,
            now
        ],
    )?;
    // BundID mails the account about it, later and without content (notice.rs).
    notice::enqueue(conn, id, &m.mailbox_uuid, now)?;
    for (i, a) in m.attachments.iter().enumerate() {
        let sha: String = Sha512::digest(&a.content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        conn.execute(
            "INSERT INTO zbp_attachments (message_id, id, position, filename, mime_type, sha512, content_length, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                id,
                crate::idp::random_uuid(),
                i as i64,
                a.filename,
                a.mime_type,
                sha,
                a.content.len() as i64,
                a.content
            ],
        )?;
    }
    Ok(())
}

/// Puts a message into a mailbox inside the caller's transaction
/// (`deliveredAt` = `now`); returns its id.
pub fn deliver_in(
    conn: &rusqlite::Connection,
    m: &NewMessage,
    now: i64,
) -> rusqlite::Result<String> {
    let id = crate::idp::random_uuid();
    insert_message(conn, &id, m, now)?;
    Ok(id)
}

/// The applications whose latest status is `status`: that status of each,
/// oldest first (the authority's view).
pub async fn latest_statuses(state: &AppState, status: Status) -> Result<Vec<StatusRow>, ApiError> {
    Ok(state
        .db
        .call(move |c| store::latest_statuses(c, status.as_str()))
        .await?)
}

/// Puts a message into a mailbox (`deliveredAt` = now); returns its id.
pub async fn deliver(state: &AppState, m: NewMessage) -> Result<String, ApiError> {
    let id = crate::idp::random_uuid();
    let now = now();
    let mid = id.clone();
    state
        .db
        .call(move |c| insert_message(c, &mid, &m, now))
        .await?;
    Ok(id)
}

/// Application status as ZBP names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Initiated,
    Submitted,
    Received,
    Processing,
    ActionRequired,
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Initiated => "INITIATED",
            Status::Submitted => "SUBMITTED",
            Status::Received => "RECEIVED",
            Status::Processing => "PROCESSING",
            Status::ActionRequired => "ACTION_REQUIRED",
            Status::Completed => "COMPLETED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Initiated,
            Status::Submitted,
            Status::Received,
            Status::Processing,
            Status::ActionRequired,
            Status::Completed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// German label (console, message titles).
    pub fn german(self) -> &'static str {
        match self {
            Status::Initiated => "Begonnen",
            Status::Submitted => "Eingereicht",
            Status::Received => "Eingang bestätigt",
            Status::Processing => "In Bearbeitung",
            Status::ActionRequired => "Handlung nötig",
            Status::Completed => "Abgeschlossen",
        }
    }
}

/// A status of an application, with the postbox message that tells the
/// citizen about it: `message` is delivered as kind `status` unless
/// `message_id` already names one (e.g. the Bescheid).
pub struct NewStatus {
    pub mailbox_uuid: String,
    pub application_id: String,
    pub status: Status,
    pub public_service_name: String,
    pub sender_name: String,
    pub status_details: String,
    pub additional_information: Option<String>,
    pub reference: Option<String>,
    pub level: TrustLevel,
    pub message_id: Option<String>,
    /// Text of the accompanying status message (plain text).
    pub message_text: String,
}

/// Records a status and (unless `message_id` is given) delivers its status
/// message, in one transaction. Returns the message id.
pub async fn record_status(state: &AppState, s: NewStatus) -> Result<String, ApiError> {
    let now = now();
    let new_id = crate::idp::random_uuid();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let message_id = match &s.message_id {
                Some(id) => id.clone(),
                None => {
                    let m = NewMessage {
                        mailbox_uuid: s.mailbox_uuid.clone(),
                        kind: MessageKind::Status,
                        sender: s.sender_name.clone(),
                        title: format!("{}: {}", s.public_service_name, s.status.german()),
                        content: s.message_text.clone(),
                        service: Some(s.public_service_name.clone()),
                        application_id: Some(s.application_id.clone()),
                        reference: s.reference.clone(),
                        level: s.level,
                        appealable: false,
                        retrieval_confirmation_address: None,
                        reply_address: None,
                        attachments: Vec::new(),
                    };
                    insert_message(&tx, &new_id, &m, now)?;
                    new_id
                }
            };
            store::insert_status(
                &tx,
                &StatusRow {
                    mailbox_uuid: s.mailbox_uuid,
                    application_id: s.application_id,
                    status: s.status.as_str().to_string(),
                    public_service_name: s.public_service_name,
                    sender_name: s.sender_name,
                    created_date: now,
                    status_details: s.status_details,
                    additional_information: s.additional_information,
                    reference: s.reference,
                    level: s.level,
                    message_id: Some(message_id.clone()),
                },
            )?;
            tx.commit()?;
            Ok(message_id)
        })
        .await?)
}

/// The statuses of an application (the authority's view), oldest first.
pub async fn application_statuses(
    state: &AppState,
    application_id: &str,
) -> Result<Vec<StatusRow>, ApiError> {
    let id = application_id.to_string();
    Ok(state
        .db
        .call(move |c| store::statuses(c, &id, None))
        .await?)
}

/// A handed-in submission, as FIT-Connect reports it to the postbox.
pub struct Submitted<'a> {
    pub mailbox_uuid: &'a str,
    pub submission_id: &'a str,
    /// The sender's short reference (else FIT-Connect's caseId).
    pub reference: &'a str,
    pub service_name: &'a str,
    pub authority: &'a str,
    pub level: TrustLevel,
    /// `submitted`, or `rejected` when the automatic check failed.
    pub status: &'a str,
}

/// Called by FIT-Connect right after a submission was handed in
/// (`status` is `submitted`, or `rejected` when the automatic check failed):
/// the citizen's application gets the status SUBMITTED (and a rejection
/// note when the check failed). Failures are logged, never raised: the
/// submission itself has succeeded.
pub async fn application_submitted(state: &AppState, sub: Submitted<'_>) {
    let Submitted {
        mailbox_uuid,
        submission_id,
        reference,
        service_name,
        authority,
        level,
        status,
    } = sub;
    let base = |st: Status, details: &str, text: String| NewStatus {
        mailbox_uuid: mailbox_uuid.to_string(),
        application_id: submission_id.to_string(),
        status: st,
        public_service_name: service_name.to_string(),
        sender_name: authority.to_string(),
        status_details: details.to_string(),
        additional_information: None,
        reference: Some(reference.to_string()),
        level,
        message_id: None,
        message_text: text,
    };
    let submitted = base(
        Status::Submitted,
        "Ihr Antrag wurde verschlüsselt übermittelt.",
        format!(
            "Ihr Antrag „{service_name}“ wurde verschlüsselt an {authority} übermittelt.\n\nVorgangsnummer: {reference}\n\nSie erhalten eine Nachricht, sobald die Behörde den Eingang bestätigt."
        ),
    );
    if let Err(e) = record_status(state, submitted).await {
        tracing::error!(error = %e, submission_id, "postbox: recording SUBMITTED failed");
        return;
    }
    if status == "rejected" {
        let rejected = base(
            Status::Completed,
            "Der Antrag wurde bei der Eingangsprüfung zurückgewiesen.",
            format!(
                "Ihr Antrag „{service_name}“ konnte nicht verarbeitet werden: Die automatische Eingangsprüfung hat Fehler festgestellt (zum Beispiel eine beschädigte Anlage).\n\nVorgangsnummer: {reference}\n\nBitte stellen Sie den Antrag erneut."
            ),
        );
        if let Err(e) = record_status(state, rejected).await {
            tracing::error!(error = %e, submission_id, "postbox: recording the rejection failed");
        }
    }
}

// ---------------------------------------------------------------- citizen API

fn level_allows(p: &Principal, m: &MessageRow) -> bool {
    p.acr.satisfies(m.level)
}

fn attachments_json(m: &MessageRow) -> Vec<Value> {
    m.attachments
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "filename": a.filename,
                "mimeType": a.mime_type,
                "sha512sum": a.sha512,
                "contentLength": a.content_length,
            })
        })
        .collect()
}

/// A message as JSON; `content` only when `with_content` (and the level allows).
fn message_json(p: &Principal, m: &MessageRow, with_content: bool) -> Value {
    let open = level_allows(p, m);
    let mut v = json!({
        "id": m.id,
        "mailboxUuid": m.mailbox_uuid,
        "kind": m.kind,
        "sender": m.sender,
        "title": m.title,
        "service": m.service,
        "applicationId": m.application_id,
        "reference": m.reference,
        "storkQaaLevel": m.level.as_str(),
        "locked": !open,
        "deliveredAt": iso(m.delivered_at),
        "openedAt": m.opened_at.and_then(iso),
        "read": m.read,
        "deletedAt": m.deleted_at.and_then(iso),
        "purgeAt": m.deleted_at.and_then(|d| iso(d + TRASH_RETENTION_SECS)),
        "appealable": m.appealable,
        "deadline": m.deadline,
        "retrievalConfirmationAddress": m.retrieval_confirmation_address,
        "replyAddress": m.reply_address,
        "attachmentCount": m.attachments.len(),
    });
    if open {
        v["attachments"] = json!(attachments_json(m));
        if with_content {
            v["content"] = json!(m.content);
        }
    } else {
        v["requiredLevel"] = json!(m.level.as_str());
        v["attachments"] = json!([]);
    }
    v
}

fn insufficient(m: &MessageRow) -> Response {
    (
        StatusCode::FORBIDDEN,
        AxumJson(json!({
            "error": "insufficient_level",
            "message": format!("this message needs a login at {}", m.level.as_str()),
            "requiredLevel": m.level.as_str(),
        })),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// `true`: only unread messages.
    unread: Option<bool>,
    /// `decision`, `status` or `info`.
    kind: Option<String>,
    /// Words that must all occur (case-insensitively) in sender, title,
    /// service, reference, or the content of an openable message.
    q: Option<String>,
}

fn matches(p: &Principal, m: &MessageRow, q: &ListQuery, words: &[String]) -> bool {
    if q.unread == Some(true) && m.read {
        return false;
    }
    if let Some(k) = &q.kind {
        if &m.kind != k {
            return false;
        }
    }
    if words.is_empty() {
        return true;
    }
    let mut hay = format!(
        "{} {} {} {}",
        m.sender,
        m.title,
        m.service.as_deref().unwrap_or(""),
        m.reference.as_deref().unwrap_or("")
    );
    // A locked message's content must not be findable.
    if level_allows(p, m) {
        hay.push(' ');
        hay.push_str(&m.content);
    }
    let hay = hay.to_lowercase();
    words.iter().all(|w| hay.contains(w.as_str()))
}

async fn messages(
    state: &AppState,
    headers: &HeaderMap,
    q: ListQuery,
    trash: bool,
) -> Result<Response, ApiError> {
    let p = reader(state, headers).await?;
    if let Some(k) = &q.kind {
        if !matches!(k.as_str(), "decision" | "status" | "info") {
            return Err(ApiError::BadRequest(
                "kind must be decision, status or info".into(),
            ));
        }
    }
    let text = q.q.clone().unwrap_or_default();
    if text.chars().count() > contract::limits::MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "q is at most {} characters",
            contract::limits::MAX_QUERY_CHARS
        )));
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if trash {
        purge_trash(state, now()).await?;
    }
    let mailbox = p.mailbox_uuid.clone();
    let (rows, unread) = state
        .db
        .call(move |c| {
            Ok((
                store::list(c, &mailbox, trash)?,
                store::unread(c, &mailbox)?,
            ))
        })
        .await?;
    let list: Vec<Value> = rows
        .iter()
        .filter(|m| matches(&p, m, &q, &words))
        .map(|m| message_json(&p, m, false))
        .collect();
    Ok(AxumJson(json!({
        "mailboxUuid": p.mailbox_uuid,
        "count": list.len(),
        "unread": unread,
        "messages": list,
    }))
    .into_response())
}

/// `GET /zbp/v1/messages?unread=&kind=&q=`
async fn list_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    messages(&state, &headers, q, false).await
}

/// `GET /zbp/v1/trash?unread=&kind=&q=`
async fn list_trash(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    messages(&state, &headers, q, true).await
}

/// `GET /zbp/v1/messages/unread-count`
async fn unread_count(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let mailbox = p.mailbox_uuid.clone();
    let n = state.db.call(move |c| store::unread(c, &mailbox)).await?;
    Ok(AxumJson(json!({"unread": n})).into_response())
}

async fn owned(state: &AppState, p: &Principal, id: &str) -> Result<MessageRow, ApiError> {
    let mailbox = p.mailbox_uuid.clone();
    let id = id.to_string();
    state
        .db
        .call(move |c| store::get(c, &mailbox, &id))
        .await?
        .ok_or(ApiError::NotFound)
}

/// Records the opening (first time only) and returns the message as stored then.
async fn open_message(
    state: &AppState,
    p: &Principal,
    m: &MessageRow,
) -> Result<MessageRow, ApiError> {
    let at = now();
    let deadline = if m.appealable && m.opened_at.is_none() {
        deadline::appeal_deadline(at).map(|d| d.format("%Y-%m-%d").to_string())
    } else {
        None
    };
    let mailbox = p.mailbox_uuid.clone();
    let id = m.id.clone();
    state
        .db
        .call(move |c| {
            store::mark_opened(c, &mailbox, &id, at, deadline.as_deref())?;
            store::get(c, &mailbox, &id)
        })
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /zbp/v1/messages/{id}`: the whole message; opening it records `openedAt`.
async fn read_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let m = owned(&state, &p, &id).await?;
    if !level_allows(&p, &m) {
        return Ok(insufficient(&m));
    }
    let m = open_message(&state, &p, &m).await?;
    let mut resp = AxumJson(message_json(&p, &m, true)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn set_read(
    state: &AppState,
    headers: &HeaderMap,
    id: String,
    read: bool,
) -> Result<Response, ApiError> {
    let p = reader(state, headers).await?;
    let mailbox = p.mailbox_uuid.clone();
    if !state
        .db
        .call(move |c| store::set_read(c, &mailbox, &id, read))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /zbp/v1/messages/{id}/read`
async fn mark_read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_read(&state, &headers, id, true).await
}

/// `POST /zbp/v1/messages/{id}/unread` (keeps `openedAt`)
async fn mark_unread(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_read(&state, &headers, id, false).await
}

/// `DELETE /zbp/v1/messages/{id}`: into the trash.
async fn delete_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let mailbox = p.mailbox_uuid.clone();
    let at = now();
    if !state
        .db
        .call(move |c| store::set_deleted(c, &mailbox, &id, Some(at)))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /zbp/v1/trash/{id}/restore`
async fn restore(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    purge_trash(&state, now()).await?;
    let mailbox = p.mailbox_uuid.clone();
    if !state
        .db
        .call(move |c| store::set_deleted(c, &mailbox, &id, None))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An ASCII-only stand-in for a file name (for the plain `filename=`).
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out: String = base
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            'ä' => 'a',
            'ö' => 'o',
            'ü' => 'u',
            'Ä' => 'A',
            'Ö' => 'O',
            'Ü' => 'U',
            'ß' => 's',
            _ => '_',
        })
        .collect();
    while out.starts_with('.') {
        out.remove(0);
    }
    out.truncate(120);
    if out.is_empty() {
        "anlage".into()
    } else {
        out
    }
}

/// A file download: the given type (or `application/octet-stream` for
/// anything unusual), `attachment` disposition with an ASCII and a UTF-8 name.
pub fn file_response(filename: &str, mime: &str, content: Vec<u8>) -> Response {
    const SAFE: &[&str] = &[
        "application/pdf",
        "image/jpeg",
        "image/png",
        "text/plain",
        "application/json",
    ];
    let mime: &'static str = SAFE
        .iter()
        .find(|m| **m == mime)
        .copied()
        .unwrap_or("application/octet-stream");
    let plain = safe_filename(filename);
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("");
    let disposition = format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{}",
        crate::idp::url_encode(if base.is_empty() { &plain } else { base })
    );
    let mut resp = (StatusCode::OK, content).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /zbp/v1/messages/{id}/attachments/{attachment_id}`: the file; like
/// reading, downloading opens the message.
async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let m = owned(&state, &p, &id).await?;
    if !level_allows(&p, &m) {
        return Ok(insufficient(&m));
    }
    let mid = m.id.clone();
    let (filename, mime, content) = state
        .db
        .call(move |c| store::attachment(c, &mid, &attachment_id))
        .await?
        .ok_or(ApiError::NotFound)?;
    open_message(&state, &p, &m).await?;
    Ok(file_response(&filename, &mime, content))
}

fn status_json(p: &Principal, s: &StatusRow) -> Value {
    let open = p.acr.satisfies(s.level);
    json!({
        "applicationId": s.application_id,
        "status": s.status,
        "publicServiceName": s.public_service_name,
        "senderName": s.sender_name,
        "createdDate": iso(s.created_date),
        "statusDetails": if open { Some(&s.status_details) } else { None },
        "additionalInformation": if open { s.additional_information.as_ref() } else { None },
        "reference": s.reference,
        "messageId": s.message_id,
        "storkQaaLevel": s.level.as_str(),
        "locked": !open,
    })
}

/// `GET /zbp/v1/applications/{application_id}/status`: oldest first.
async fn status_history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(application_id): Path<String>,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let mailbox = p.mailbox_uuid.clone();
    let app = application_id.clone();
    let rows = state
        .db
        .call(move |c| store::statuses(c, &app, Some(&mailbox)))
        .await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound);
    }
    let list: Vec<Value> = rows.iter().map(|s| status_json(&p, s)).collect();
    Ok(AxumJson(json!({
        "applicationId": application_id,
        "status": rows.last().map(|s| s.status.as_str()),
        "statuses": list,
    }))
    .into_response())
}

/// `GET /zbp/v1/applications`: each application of the mailbox with its
/// latest status, most recently changed first.
async fn list_applications(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = reader(&state, &headers).await?;
    let mailbox = p.mailbox_uuid.clone();
    let rows = state
        .db
        .call(move |c| store::mailbox_statuses(c, &mailbox))
        .await?;
    let mut latest: Vec<&StatusRow> = Vec::new();
    for s in rows.iter().rev() {
        if !latest.iter().any(|l| l.application_id == s.application_id) {
            latest.push(s);
        }
    }
    let list: Vec<Value> = latest.iter().map(|s| status_json(&p, s)).collect();
    Ok(AxumJson(json!({"count": list.len(), "applications": list})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(
            safe_filename("Bescheid Hundesteuer.pdf"),
            "Bescheid_Hundesteuer.pdf"
        );
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("..\\x\\Änderung.pdf"), "Anderung.pdf");
        assert_eq!(safe_filename("\"; evil=1"), "___evil_1");
        assert_eq!(safe_filename(""), "anlage");
        assert_eq!(safe_filename(".hidden"), "hidden");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "INITIATED",
            "SUBMITTED",
            "RECEIVED",
            "PROCESSING",
            "ACTION_REQUIRED",
            "COMPLETED",
        ] {
            assert_eq!(Status::parse(s).map(Status::as_str), Some(s));
        }
        assert_eq!(Status::parse("DONE"), None);
    }
}
