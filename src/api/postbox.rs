//! The citizen's postbox through the relay (`/api/v1/postbox/…`,
//! docs/relay.md): the relay calls the ZBP as the Onlinedienst and names the
//! citizen from the session cookie. Shapes: `contract::postbox` (the relay
//! folds each application's status messages into one item) and
//! docs/backends.md §4. Under a mandate with the postbox (issue #25) the
//! read calls take the mandate id and add `?for=`; the relay refuses every
//! write under a mandate.

use wasm_bindgen::{closure::Closure, JsCast};

use super::{exchange, Answer, ApiError, Backends, Req};
use crate::domain::postbox::mandate::{refusal, with_for, Refusal};
use crate::domain::postbox::{
    Attachment, LevelLock, ListParams, Message, MessageList, StatusHistory, UnreadCount,
};
use crate::domain::search_url::encode as url_encode;
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
    /// 403 `mandate_not_valid`: the mandate named with `for` has ended, is
    /// past its end or does not include the postbox.
    #[error("the mandate does not (or no longer) allow reading this postbox")]
    MandateNotValid,
    /// 403 `mandate_read_only`: under a mandate the postbox can only be read.
    #[error("under a mandate the postbox is read-only")]
    MandateReadOnly,
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
            ZbpError::Locked(_) | ZbpError::MandateNotValid | ZbpError::MandateReadOnly => {
                ErrorKind::Forbidden
            }
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
            ZbpError::Locked(_) | ZbpError::MandateNotValid | ZbpError::MandateReadOnly => {
                ApiError::Status {
                    status: 403,
                    retry_after: None,
                }
            }
            ZbpError::NotFound => ApiError::Status {
                status: 404,
                retry_after: None,
            },
        }
    }
}

/// Sends a request; maps error statuses to [`ZbpError`] (403
/// `mandate_not_valid` and `mandate_read_only` to their own). Reads, marking
/// read/unread and restoring are safe to repeat and are retried on
/// transient failures; moving to the trash is not.
async fn send(req: Req<'_>) -> Result<Answer, ZbpError> {
    let retry = req.method != "DELETE";
    let resp = exchange(&req, retry).await?;
    if resp.ok() {
        return Ok(resp);
    }
    // Under a mandate (`for=`): the relay's own refusals.
    match refusal(resp.status, |c| resp.has_error(c)) {
        Some(Refusal::NotValid) => return Err(ZbpError::MandateNotValid),
        Some(Refusal::ReadOnly) => return Err(ZbpError::MandateReadOnly),
        None => {}
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

async fn get<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, ZbpError> {
    Ok(send(Req::get(url)).await?.json()?)
}

async fn post(url: &str) -> Result<(), ZbpError> {
    send(Req::get(url).with_method("POST")).await.map(drop)
}

impl Backends {
    fn message_url(&self, id: &str, tail: &str) -> String {
        self.url(&format!("postbox/messages/{}{tail}", url_encode(id)))
    }

    /// The inbox or the trash, filtered as `params` says, newest first;
    /// with `params.fuer` the grantor's inbox under that mandate (the trash
    /// under a mandate: [`ZbpError::MandateReadOnly`]).
    pub async fn postbox_list(&self, params: &ListParams) -> Result<MessageList, ZbpError> {
        let path = if params.trash {
            "postbox/trash"
        } else {
            "postbox/messages"
        };
        let q = params.api_query();
        let url = if q.is_empty() {
            self.url(path)
        } else {
            self.url(&format!("{path}?{q}"))
        };
        let mut list: MessageList = get(&url).await?;
        crate::domain::postbox::newest_first(&mut list.messages);
        Ok(list)
    }

    /// Unread items outside the trash (an application's status messages
    /// count once). A poll in the background: it does not keep the session
    /// alive.
    pub async fn unread_count(&self) -> Result<u32, ZbpError> {
        let url = self.url("postbox/messages/unread-count");
        let c: UnreadCount = send(Req::get(&url).background()).await?.json()?;
        Ok(c.unread)
    }

    /// One message with its content. Opens it (records `openedAt` the first
    /// time, marks it read; the newest status message of an application
    /// also the earlier ones, which it lists). Above the session's level:
    /// [`ZbpError::Locked`]. With `fuer`, the grantor's message under that
    /// mandate, at the citizen's own level (the relay marks no earlier
    /// status message read for them).
    pub async fn message(&self, id: &str, fuer: Option<&str>) -> Result<Message, ZbpError> {
        get(&with_for(self.message_url(id, ""), fuer)).await
    }

    pub async fn mark_read(&self, id: &str) -> Result<(), ZbpError> {
        post(&self.message_url(id, "/read")).await
    }

    /// Marks it unread again (`openedAt` stays).
    pub async fn mark_unread(&self, id: &str) -> Result<(), ZbpError> {
        post(&self.message_url(id, "/unread")).await
    }

    /// Moves it into the trash (kept 30 days); the newest status message of
    /// an application takes the earlier ones along.
    pub async fn delete_message(&self, id: &str) -> Result<(), ZbpError> {
        send(Req::get(&self.message_url(id, "")).with_method("DELETE"))
            .await
            .map(drop)
    }

    /// Takes it out of the trash (with the earlier status messages that
    /// went along).
    pub async fn restore_message(&self, id: &str) -> Result<(), ZbpError> {
        post(&self.url(&format!("postbox/trash/{}/restore", url_encode(id)))).await
    }

    /// Every status of one application, oldest first.
    pub async fn application_status(
        &self,
        application_id: &str,
    ) -> Result<StatusHistory, ZbpError> {
        get(&self.url(&format!(
            "postbox/applications/{}/status",
            url_encode(application_id)
        )))
        .await
    }

    /// Downloads an attachment and hands it to the browser as a file: fetch
    /// → Blob → object URL → a temporary `<a download>` that is clicked and
    /// removed; the URL is revoked a moment later.
    /// With `fuer`, from the grantor's postbox under that mandate.
    pub async fn download(
        &self,
        message_id: &str,
        attachment: &Attachment,
        fuer: Option<&str>,
    ) -> Result<(), ZbpError> {
        let url = with_for(
            self.message_url(
                message_id,
                &format!("/attachments/{}", url_encode(&attachment.id)),
            ),
            fuer,
        );
        let resp = send(Req::get(&url).accept("*/*")).await?;
        save_as(&resp.body, &attachment.mime_type, &attachment.filename).map_err(|e| {
            ZbpError::Api(ApiError::Decode(format!(
                "browser refused the download: {e}"
            )))
        })
    }
}

pub(crate) fn save_as(bytes: &[u8], mime: &str, filename: &str) -> Result<(), String> {
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
