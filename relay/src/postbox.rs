//! The citizen's postbox (ZBP) through the relay. The relay calls the ZBP as
//! the Onlinedienst (its service token: the stand-in's equivalent of the
//! BPKI certificate) and names the citizen from the session: their postbox
//! handle (`mailboxUuid`) and the level of their login, which the ZBP uses
//! to lock messages above it. The app never learns a token.
//!
//! The ZBP sends a message per status change of an application; the relay
//! presents the postbox per item ([`fold`]): the status messages of one
//! application are one item (the newest, listing the earlier ones), in the
//! lists, their filters and the unread count. Opening or marking read a
//! status message reads the earlier ones of its application too; deleting
//! and restoring take them along. Marking unread is per message.
//!
//! Under a mandate with the postbox (issue #25), the read routes take
//! `?for=<mandate id>`: the grantor's postbox at the grantee's own level,
//! each read logged; the write routes (and the trash and the status
//! lists) with `for` answer 403 `mandate_read_only`.
//!
//! Other answers of the ZBP (JSON, or the attachment's bytes) pass through
//! with their status; a 5xx, a timeout or a refused service token become
//! the relay's own `upstream` error.

mod fold;

use std::collections::HashSet;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use contract::encoding::url_encode;
use contract::postbox::{Message, MessageList, UnreadCount};
use reqwest::Method;

use crate::catalogue::segment;
use crate::error::{RelayError, UpstreamError};
use crate::mandates::access::{postbox_view, refuse_for};
use crate::session::{Citizen, Session};
use crate::upstream::{Answer, Call};
use crate::RelayState;
use fold::Filter;

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

async fn call(
    state: &RelayState,
    s: &Session,
    method: Method,
    path: String,
    accept: &'static str,
) -> Result<Answer, RelayError> {
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
    Ok(state.shared.zbp.call(call).await?)
}

async fn forward(
    state: &RelayState,
    s: &Session,
    method: Method,
    path: String,
    accept: &'static str,
) -> Result<Response, RelayError> {
    crate::upstream::respond(call(state, s, method, path, accept).await?)
}

fn id(s: &str) -> Result<String, RelayError> {
    Ok(url_encode(segment(s)?))
}

/// A message id from the ZBP as a path segment; `None` if it is not one.
fn zbp_id(s: &str) -> Option<String> {
    segment(s).ok().map(url_encode)
}

fn failed(a: &Answer) -> RelayError {
    UpstreamError::Status {
        status: a.status,
        retry_after: a.retry_after,
    }
    .into()
}

/// One more message of a group changed: done, or already gone (404).
async fn act(
    state: &RelayState,
    s: &Session,
    method: Method,
    path: String,
) -> Result<(), RelayError> {
    let a = call(state, s, method, path, "application/json").await?;
    if (200..300).contains(&a.status) || a.status == 404 {
        Ok(())
    } else {
        Err(failed(&a))
    }
}

/// A whole list of the ZBP (`/v1/messages` or `/v1/trash`, maybe with `?q=`).
async fn fetch_list(
    state: &RelayState,
    s: &Session,
    path: &str,
) -> Result<MessageList, RelayError> {
    let a = call(state, s, Method::GET, path.to_string(), "application/json").await?;
    if !(200..300).contains(&a.status) {
        return Err(failed(&a));
    }
    serde_json::from_slice(&a.body)
        .map_err(|e| UpstreamError::Malformed(format!("postbox list: {e}")).into())
}

/// The inbox or the trash as items, filtered. `count` counts the items
/// shown, `unread` the unread items outside the trash.
async fn list(
    state: &RelayState,
    s: &Session,
    raw: Option<&str>,
    trash: bool,
) -> Result<Response, RelayError> {
    let filter = Filter::parse(raw)?;
    let place = if trash { "/v1/trash" } else { "/v1/messages" };
    // The ZBP finds the words (also in the content it may show); the relay
    // applies its answer to whole items.
    let search = filter
        .q
        .as_ref()
        .map(|q| format!("{place}?q={}", url_encode(q)));
    let (all, found, inbox) = tokio::join!(
        fetch_list(state, s, place),
        async {
            match &search {
                Some(p) => fetch_list(state, s, p).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            if trash {
                fetch_list(state, s, "/v1/messages").await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let all = all?;
    let matched: HashSet<String> = found?
        .map(|l| l.messages.into_iter().map(|m| m.id).collect())
        .unwrap_or_default();
    let items = fold::fold(all.messages);
    let unread = match inbox? {
        Some(i) => fold::unread_items(&fold::fold(i.messages)),
        None => fold::unread_items(&items),
    };
    let messages: Vec<Message> = items
        .into_iter()
        .filter(|m| filter.keeps(m, &matched))
        .collect();
    Ok(Json(MessageList {
        mailbox_uuid: all.mailbox_uuid,
        count: u32::try_from(messages.len()).unwrap_or(u32::MAX),
        unread,
        messages,
    })
    .into_response())
}

/// Does `op` to each earlier status message of the item `m` leads in
/// `place` (`/v1/messages` or `/v1/trash`), oldest last; nothing if `m`
/// leads no item there. Called before `m` itself changes, so that a failure
/// leaves the item where it was and a retry finishes it.
async fn with_group(
    state: &RelayState,
    s: &Session,
    m: &str,
    place: &str,
    op: impl Fn(&str) -> (Method, String),
) -> Result<(), RelayError> {
    let list = fetch_list(state, s, place).await?;
    let Some((_, earlier)) = fold::item_of(&list.messages, segment(m)?) else {
        return Ok(());
    };
    for e in earlier {
        if let Some(e) = zbp_id(&e.id) {
            let (method, path) = op(&e);
            act(state, s, method, path).await?;
        }
    }
    Ok(())
}

/// `GET /api/v1/postbox/messages?unread=&kind=&q=`: items, status
/// messages folded per application.
async fn messages(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let (s, q, _) = postbox_view(&st, s, q.as_deref()).await?;
    list(&st, &s, q.as_deref(), false).await
}

/// `GET /api/v1/postbox/messages/unread-count`: unread items, a folded
/// application counted once.
async fn unread_count(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let (s, _, _) = postbox_view(&st, s, q.as_deref()).await?;
    let inbox = fetch_list(&st, &s, "/v1/messages").await?;
    let unread = fold::unread_items(&fold::fold(inbox.messages));
    Ok(Json(UnreadCount { unread }).into_response())
}

/// `GET /api/v1/postbox/messages/{id}`: opens it. The newest status
/// message of an application comes with the earlier ones, which are marked
/// read now: opening the item reads it all.
async fn message(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let (s, _, for_someone) = postbox_view(&st, s, q.as_deref()).await?;
    let a = call(
        &st,
        &s,
        Method::GET,
        format!("/v1/messages/{}", id(&m)?),
        "application/json",
    )
    .await?;
    if a.status != 200 {
        return crate::upstream::respond(a);
    }
    let Ok(mut opened) = serde_json::from_slice::<Message>(&a.body) else {
        return crate::upstream::respond(a);
    };
    if opened.status_of().is_none() {
        return crate::upstream::respond(a);
    }
    let trash = opened.deleted_at.is_some();
    let path = if trash { "/v1/trash" } else { "/v1/messages" };
    let place = match fetch_list(&st, &s, path).await {
        Ok(l) => l.messages,
        Err(e) => {
            // The message itself is open; it goes out without its group.
            tracing::warn!(error = %e, "postbox: the group of an opened status message is unknown");
            return crate::upstream::respond(a);
        }
    };
    let earlier: Vec<Message> = fold::item_of(&place, &opened.id)
        .map(|(_, e)| e.into_iter().cloned().collect())
        .unwrap_or_default();
    for mut e in earlier {
        // A grantee reading under a mandate marks nothing.
        let mark = !(e.read || trash || for_someone);
        if let (true, Some(eid)) = (mark, zbp_id(&e.id)) {
            let path = format!("/v1/messages/{eid}/read");
            match act(&st, &s, Method::POST, path).await {
                Ok(()) => e.read = true,
                Err(err) => {
                    tracing::warn!(error = %err, "postbox: an earlier status message stays unread")
                }
            }
        }
        opened.earlier.push(e.as_earlier());
    }
    Ok(Json(opened).into_response())
}

/// `DELETE /api/v1/postbox/messages/{id}`: into the trash; the newest
/// status message of an application takes the earlier ones along (the
/// whole item goes). An earlier one alone goes alone.
async fn delete_message(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
    let path = format!("/v1/messages/{}", id(&m)?);
    with_group(&st, &s, &m, "/v1/messages", |e| {
        (Method::DELETE, format!("/v1/messages/{e}"))
    })
    .await?;
    forward(&st, &s, Method::DELETE, path, "application/json").await
}

/// `POST /api/v1/postbox/messages/{id}/read`: the newest status message of
/// an application with the earlier ones.
async fn mark_read(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
    let path = format!("/v1/messages/{}/read", id(&m)?);
    let inbox = fetch_list(&st, &s, "/v1/messages").await?;
    let unread: Vec<String> = fold::item_of(&inbox.messages, segment(&m)?)
        .map(|(_, e)| {
            e.into_iter()
                .filter(|e| !e.read)
                .filter_map(|e| zbp_id(&e.id))
                .collect()
        })
        .unwrap_or_default();
    for e in unread {
        act(&st, &s, Method::POST, format!("/v1/messages/{e}/read")).await?;
    }
    forward(&st, &s, Method::POST, path, "application/json").await
}

/// `POST /api/v1/postbox/messages/{id}/unread`: this message only (the
/// item is unread again).
async fn mark_unread(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
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
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let (s, _, _) = postbox_view(&st, s, q.as_deref()).await?;
    let path = format!("/v1/messages/{}/attachments/{}", id(&m)?, id(&att)?);
    forward(&st, &s, Method::GET, path, "*/*").await
}

/// `GET /api/v1/postbox/trash?unread=&kind=&q=`: folded like the inbox.
async fn trash(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
    list(&st, &s, q.as_deref(), true).await
}

/// `POST /api/v1/postbox/trash/{id}/restore`: the newest status message of
/// an application in the trash brings the earlier ones there back along.
async fn restore(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(m): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
    let path = format!("/v1/trash/{}/restore", id(&m)?);
    with_group(&st, &s, &m, "/v1/trash", |e| {
        (Method::POST, format!("/v1/trash/{e}/restore"))
    })
    .await?;
    forward(&st, &s, Method::POST, path, "application/json").await
}

/// `GET /api/v1/postbox/applications`: the latest status per application.
async fn applications(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
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
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    refuse_for(&st, &s, q.as_deref()).await?;
    let path = format!("/v1/applications/{}/status", id(&a)?);
    forward(&st, &s, Method::GET, path, "application/json").await
}
