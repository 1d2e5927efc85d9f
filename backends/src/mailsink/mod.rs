//! Mail sink (`/mail`, issue #24): a small SMTP server of our own on a
//! loopback port ([`smtp`], `BUERGERAMT_SMTP_PORT`) that keeps every mail
//! it receives in the stand-in's database, and pages for the tester:
//!
//! * `GET /mail`: the received mails (German, KERN), newest first, each
//!   with its text part and its HTML part (sanitised, and as escaped
//!   source); `?to=` filters by recipient.
//! * `GET /mail/api/messages?to=`: the same as JSON, for tests.
//!
//! The page shows the newest [`PAGE_LIMIT`] mails, the API answers the
//! newest [`API_LIMIT`].
//! * `GET /mail/static/mail.css`: the page's own stylesheet.
//!
//! Loopback only, like the push stand-in. In production mail goes
//! through the operator's SMTP relay instead: docs/backends.md, "Push
//! service and mail sink".

pub mod mime;
pub mod page;
pub mod smtp;
pub mod store;

use axum::{
    extract::{Extension, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Json as AxumJson, Router,
};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

use crate::error::extract::Query;
use crate::static_files::Site;
use crate::{error, ApiError, AppState};

/// Routes under `/mail`, all loopback-only.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("mailsink", store::MIGRATIONS)?;
    Ok(Router::new()
        .route("/", get(inbox))
        .route("/api/messages", get(api_messages))
        .route("/static/mail.css", get(stylesheet))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(crate::push::loopback::only)))
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

/// One received mail, parsed for showing.
pub struct Mail {
    pub id: i64,
    pub received_at: i64,
    pub from: String,
    pub to: Vec<String>,
    pub size: usize,
    pub parsed: mime::Parsed,
}

/// How many mails the page shows, and the API answers, at most.
pub const PAGE_LIMIT: usize = 50;
pub const API_LIMIT: usize = 100;

async fn load(state: &AppState, to: Option<String>, limit: usize) -> Result<Vec<Mail>, ApiError> {
    let to = to.filter(|t| !t.trim().is_empty());
    let rows = state
        .db
        .call(move |c| store::list(c, to.as_deref(), limit))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Mail {
            id: r.id,
            received_at: r.received_at,
            from: r.from,
            to: r.to,
            size: r.raw.len(),
            parsed: mime::parse(&r.raw),
        })
        .collect())
}

/// `GET /mail/api/messages?to=`
async fn api_messages(
    State(state): State<AppState>,
    Query(f): Query<Filter>,
) -> Result<AxumJson<serde_json::Value>, ApiError> {
    let mails = load(&state, f.to, API_LIMIT).await?;
    let list: Vec<_> = mails
        .iter()
        .map(|m| {
            let p = &m.parsed;
            json!({
                "id": m.id,
                "receivedAt": crate::push::rfc3339(m.received_at),
                "envelope": {"from": m.from, "to": m.to},
                "from": p.header("from"),
                "to": p.header("to"),
                "subject": p.header("subject"),
                "date": p.header("date"),
                "messageId": p.header("message-id"),
                "contentType": p.header("content-type"),
                "text": p.text,
                "html": p.html,
                "attachments": p.attachments.iter().map(|(t, n)| json!({"contentType": t, "filename": n})).collect::<Vec<_>>(),
                "size": m.size,
            })
        })
        .collect();
    Ok(AxumJson(json!({ "messages": list })))
}

/// `GET /mail`
async fn inbox(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Query(f): Query<Filter>,
) -> Result<Response, ApiError> {
    let to = f.to.clone().filter(|t| !t.trim().is_empty());
    let mails = load(&state, to.clone(), PAGE_LIMIT).await?;
    Ok(page::inbox(&site.stylesheets(), to.as_deref(), &mails))
}

/// `GET /mail/static/mail.css`
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::CSS,
    )
        .into_response()
}
