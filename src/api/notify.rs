//! Notices outside the app (`/api/v1/notifications…`, docs/relay.md
//! "Notices", issue #24): the citizen's choice of e-mail and push, and the
//! two links every e-mail carries (confirm an address, unsubscribe), which
//! work without a login.

use contract::notify::{
    AddPush, ChooseEmail, NotificationSettings, PushDevice, TokenBody, TokenDone,
    ERROR_BAD_ADDRESS, ERROR_BAD_SUBSCRIPTION, ERROR_BAD_TOKEN, ERROR_EMAIL_UNAVAILABLE,
    ERROR_NO_ACCOUNT_ADDRESS,
};

use super::{exchange, Answer, ApiError, Backends, Req};
use crate::domain::search_url::encode;

/// What can go wrong with the notice settings, each with its own advice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotifyError {
    /// The address was not taken: check it.
    #[error("the address is not valid")]
    BadAddress,
    /// The account has no e-mail address: enter one.
    #[error("the account has no e-mail address")]
    NoAccountAddress,
    /// The browser's push subscription was not taken (or too many devices).
    #[error("the push subscription was not accepted")]
    BadSubscription,
    /// A link from an e-mail is unknown, used or expired.
    #[error("the link is not valid")]
    BadToken,
    /// This Bürgeramt sends no e-mail (no mail server configured): push
    /// still works.
    #[error("e-mail notices are not available")]
    EmailUnavailable,
    /// Not logged in (any more).
    #[error("not logged in")]
    LoginRequired,
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn check(a: Answer) -> Result<Answer, NotifyError> {
    if a.ok() {
        return Ok(a);
    }
    Err(match a.status {
        400 | 422 if a.has_error(ERROR_BAD_ADDRESS) => NotifyError::BadAddress,
        400 | 422 if a.has_error(ERROR_NO_ACCOUNT_ADDRESS) => NotifyError::NoAccountAddress,
        400 | 422 | 409 if a.has_error(ERROR_BAD_SUBSCRIPTION) => NotifyError::BadSubscription,
        400 | 404 | 410 if a.has_error(ERROR_BAD_TOKEN) => NotifyError::BadToken,
        503 if a.has_error(ERROR_EMAIL_UNAVAILABLE) => NotifyError::EmailUnavailable,
        401 => NotifyError::LoginRequired,
        _ => a.status_error().into(),
    })
}

impl Backends {
    /// The citizen's notice settings (login required).
    pub async fn notification_settings(&self) -> Result<NotificationSettings, NotifyError> {
        let url = self.url("notifications");
        let a = check(exchange(&Req::get(&url), true).await?)?;
        Ok(a.json()?)
    }

    /// Chooses where e-mail notices go (`address: None`: the account's).
    /// Another address stays unconfirmed until its link is followed.
    pub async fn choose_email(&self, choice: &ChooseEmail) -> Result<(), NotifyError> {
        let url = self.url("notifications/email");
        let req = Req::get(&url).with_method("PUT").with_json(choice)?;
        check(exchange(&req, false).await?)?;
        Ok(())
    }

    /// No more e-mail notices.
    pub async fn stop_email(&self) -> Result<(), NotifyError> {
        let url = self.url("notifications/email");
        check(exchange(&Req::get(&url).with_method("DELETE"), false).await?)?;
        Ok(())
    }

    /// Registers this browser's push subscription.
    pub async fn add_push(&self, add: &AddPush) -> Result<PushDevice, NotifyError> {
        let url = self.url("notifications/push");
        let req = Req::get(&url).with_method("POST").with_json(add)?;
        Ok(check(exchange(&req, false).await?)?.json()?)
    }

    /// No more push notices on one device.
    pub async fn remove_push(&self, id: &str) -> Result<(), NotifyError> {
        let url = self.url(&format!("notifications/push/{}", encode(id)));
        let a = exchange(&Req::get(&url).with_method("DELETE"), false).await?;
        // Gone already is what was asked for.
        if a.status == 404 {
            return Ok(());
        }
        check(a)?;
        Ok(())
    }

    /// Confirms an address by the token from its confirmation mail.
    pub async fn confirm_email(&self, token: &str) -> Result<TokenDone, NotifyError> {
        self.by_token("notifications/email/confirm", token).await
    }

    /// Ends e-mail notices by the token from a notice mail.
    pub async fn unsubscribe_email(&self, token: &str) -> Result<TokenDone, NotifyError> {
        self.by_token("notifications/unsubscribe", token).await
    }

    async fn by_token(&self, path: &str, token: &str) -> Result<TokenDone, NotifyError> {
        let url = self.url(path);
        let body = TokenBody {
            token: token.to_string(),
        };
        let req = Req::get(&url).with_method("POST").with_json(&body)?;
        Ok(check(exchange(&req, false).await?)?.json()?)
    }
}
