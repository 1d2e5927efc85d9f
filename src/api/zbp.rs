//! The citizen's postbox (ZBP stand-in, docs/backends.md §4). The only
//! module that calls `/zbp`. Every call carries the session's access token;
//! the base URL is `AppConfig::zbp`.

use wasm_bindgen::{closure::Closure, JsCast};

use super::{exchange, Answer, ApiError, Req};
use crate::app::ConfigContext;
use crate::domain::config::join;
use crate::domain::oidc::url_encode;
use crate::domain::postbox::{
    Attachment, LevelLock, ListParams, Message, MessageList, StatusHistory, UnreadCount,
};
use crate::domain::trust::TrustLevel;

/// What can go wrong with the postbox.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZbpError {
    /// 401: the session is missing or no longer valid.
    #[error("not logged in")]
    Unauthorized,
    /// 403 `insufficient_level`: the message needs a login at this level.
    #[error("needs a login at {0}")]
    Locked(TrustLevel),
    /// 404: no such message (or not this citizen's).
    #[error("not found")]
    NotFound,
    /// Anything else (network, server, unreadable answer, the browser).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ZbpError {
    /// The citizen-facing kind for the generic error notice.
    pub fn kind(&self) -> crate::domain::errors::ErrorKind {
        use crate::domain::errors::ErrorKind;
        match self {
            ZbpError::Unauthorized => ErrorKind::NotLoggedIn,
            ZbpError::Locked(_) => ErrorKind::Forbidden,
            ZbpError::NotFound => ErrorKind::NotFound,
            ZbpError::Api(e) => e.kind(),
        }
    }

    /// As an [`ApiError`] for [`crate::components::error::ErrorNotice`].
    pub fn to_api(&self) -> ApiError {
        match self {
            ZbpError::Api(e) => e.clone(),
            ZbpError::Unauthorized => ApiError::Status {
                status: 401,
                retry_after: None,
            },
            ZbpError::Locked(_) => ApiError::Status {
                status: 403,
                retry_after: None,
            },
            ZbpError::NotFound => ApiError::Status {
                status: 404,
                retry_after: None,
            },
        }
    }
}

/// The postbox base URL from the runtime config (waits for `/config.json`).
pub async fn base(ctx: Option<ConfigContext>) -> Result<String, ZbpError> {
    match ctx {
        Some(c) => c.0.await.map(|c| c.zbp).map_err(ZbpError::from),
        None => Err(ApiError::Decode("runtime config missing".into()).into()),
    }
}

/// Sends a request with the token; maps error statuses to [`ZbpError`].
/// Reads, marking read/unread and restoring are safe to repeat and are
/// retried on transient failures; moving to the trash is not.
async fn send(method: &str, url: &str, token: &str) -> Result<Answer, ZbpError> {
    let req = Req {
        method,
        ..Req::get(url).bearer(token)
    };
    let resp = exchange(&req, method != "DELETE").await?;
    if resp.ok() {
        return Ok(resp);
    }
    Err(match resp.status {
        401 => ZbpError::Unauthorized,
        404 => ZbpError::NotFound,
        403 => {
            let lock = super::decode_json::<LevelLock>(&resp.body).ok();
            match lock.and_then(|l| l.level()) {
                Some(level) => ZbpError::Locked(level),
                None => resp.status_error().into(),
            }
        }
        _ => resp.status_error().into(),
    })
}

async fn get<T: serde::de::DeserializeOwned>(url: &str, token: &str) -> Result<T, ZbpError> {
    Ok(send("GET", url, token).await?.json()?)
}

fn message_url(base: &str, id: &str, tail: &str) -> String {
    join(base, &format!("v1/messages/{}{tail}", url_encode(id)))
}

/// The inbox or the trash, filtered as `params` says, newest first.
pub async fn list(base: &str, token: &str, params: &ListParams) -> Result<MessageList, ZbpError> {
    let path = if params.trash {
        "v1/trash"
    } else {
        "v1/messages"
    };
    let q = params.api_query();
    let url = if q.is_empty() {
        join(base, path)
    } else {
        join(base, &format!("{path}?{q}"))
    };
    let mut list: MessageList = get(&url, token).await?;
    crate::domain::postbox::newest_first(&mut list.messages);
    Ok(list)
}

/// Unread messages outside the trash.
pub async fn unread_count(base: &str, token: &str) -> Result<u32, ZbpError> {
    let c: UnreadCount = get(&join(base, "v1/messages/unread-count"), token).await?;
    Ok(c.unread)
}

/// One message with its content. Opens it (records `openedAt` the first
/// time, marks it read). Above the session's level: [`ZbpError::Locked`].
pub async fn message(base: &str, token: &str, id: &str) -> Result<Message, ZbpError> {
    get(&message_url(base, id, ""), token).await
}

pub async fn mark_read(base: &str, token: &str, id: &str) -> Result<(), ZbpError> {
    send("POST", &message_url(base, id, "/read"), token)
        .await
        .map(drop)
}

/// Marks it unread again (`openedAt` stays).
pub async fn mark_unread(base: &str, token: &str, id: &str) -> Result<(), ZbpError> {
    send("POST", &message_url(base, id, "/unread"), token)
        .await
        .map(drop)
}

/// Moves it into the trash (kept 30 days).
pub async fn delete(base: &str, token: &str, id: &str) -> Result<(), ZbpError> {
    send("DELETE", &message_url(base, id, ""), token)
        .await
        .map(drop)
}

/// Takes it out of the trash.
pub async fn restore(base: &str, token: &str, id: &str) -> Result<(), ZbpError> {
    let url = join(base, &format!("v1/trash/{}/restore", url_encode(id)));
    send("POST", &url, token).await.map(drop)
}

/// Every status of one application, oldest first.
pub async fn application_status(
    base: &str,
    token: &str,
    application_id: &str,
) -> Result<StatusHistory, ZbpError> {
    let url = join(
        base,
        &format!("v1/applications/{}/status", url_encode(application_id)),
    );
    get(&url, token).await
}

/// Downloads an attachment and hands it to the browser as a file: fetch
/// with the token → Blob → object URL → a temporary `<a download>` that is
/// clicked and removed; the URL is revoked a moment later.
pub async fn download(
    base: &str,
    token: &str,
    message_id: &str,
    attachment: &Attachment,
) -> Result<(), ZbpError> {
    let url = message_url(
        base,
        message_id,
        &format!("/attachments/{}", url_encode(&attachment.id)),
    );
    let resp = send("GET", &url, token).await?;
    save_as(&resp.body, &attachment.mime_type, &attachment.filename).map_err(|e| {
        ZbpError::Api(ApiError::Decode(format!(
            "browser refused the download: {e}"
        )))
    })
}

fn save_as(bytes: &[u8], mime: &str, filename: &str) -> Result<(), String> {
    let js_err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let body = document.body().ok_or("no body")?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(if mime.is_empty() {
        "application/octet-stream"
    } else {
        mime
    });
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js_err)?;
    let object_url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    let link = document
        .create_element("a")
        .map_err(js_err)?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "not an anchor".to_string())?;
    link.set_href(&object_url);
    link.set_download(filename);
    link.set_hidden(true);
    body.append_child(&link).map_err(js_err)?;
    link.click();
    link.remove();
    // Revoking right away can cancel the download in some browsers.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&object_url);
    });
    window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)
        .map_err(js_err)?;
    Ok(())
}
