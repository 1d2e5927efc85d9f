//! The citizen's side of the postbox (`/zbp/v1/…`): listing, reading,
//! marking, trash, attachments and the status of their applications, each
//! within the Bearer token's mailbox and trust level.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json as AxumJson,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    deadline, iso, now, purge_trash, reader, store, MessageRow, StatusRow, TRASH_RETENTION_SECS,
};
use crate::error::extract::{Path, Query};
use crate::idp::Principal;
use crate::{ApiError, AppState};

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
pub(super) struct ListQuery {
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
pub(super) async fn list_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    messages(&state, &headers, q, false).await
}

/// `GET /zbp/v1/trash?unread=&kind=&q=`
pub(super) async fn list_trash(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    messages(&state, &headers, q, true).await
}

/// `GET /zbp/v1/messages/unread-count`
pub(super) async fn unread_count(
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
pub(super) async fn read_message(
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
pub(super) async fn mark_read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_read(&state, &headers, id, true).await
}

/// `POST /zbp/v1/messages/{id}/unread` (keeps `openedAt`)
pub(super) async fn mark_unread(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_read(&state, &headers, id, false).await
}

/// `DELETE /zbp/v1/messages/{id}`: into the trash.
pub(super) async fn delete_message(
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
pub(super) async fn restore(
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
pub(super) async fn download(
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
pub(super) async fn status_history(
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
pub(super) async fn list_applications(
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
