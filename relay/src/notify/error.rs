//! The notices' own errors, answered like the relay's others:
//! `{"error", "message", "messageEn"}`, `no-store`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use contract::notify as n;
use contract::relay::ErrorBody;

use crate::error::RelayError;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("not a plausible e-mail address")]
    BadAddress,
    #[error("the account has no e-mail address")]
    NoAccountAddress,
    #[error("push subscription not usable: {0}")]
    BadSubscription(&'static str),
    #[error("token unknown, used or expired")]
    BadToken,
    #[error("no SMTP server configured")]
    EmailUnavailable,
    #[error(transparent)]
    Relay(#[from] RelayError),
}

impl From<crate::db::Error> for NotifyError {
    fn from(e: crate::db::Error) -> Self {
        NotifyError::Relay(e.into())
    }
}

impl IntoResponse for NotifyError {
    fn into_response(self) -> Response {
        let e = match self {
            NotifyError::Relay(e) => return e.into_response(),
            other => other,
        };
        let (status, code, de, en) = match &e {
            NotifyError::Relay(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.",
                "Something went wrong on our side. Please try again later.",
            ),
            NotifyError::BadAddress => (
                StatusCode::BAD_REQUEST,
                n::ERROR_BAD_ADDRESS,
                "Diese E-Mail-Adresse ist nicht gültig. Bitte prüfen Sie Ihre Eingabe.",
                "This e-mail address is not valid. Please check what you entered.",
            ),
            NotifyError::NoAccountAddress => (
                StatusCode::BAD_REQUEST,
                n::ERROR_NO_ACCOUNT_ADDRESS,
                "Ihr Konto hat keine E-Mail-Adresse. Bitte geben Sie eine andere Adresse an.",
                "Your account has no e-mail address. Please enter another address.",
            ),
            NotifyError::BadSubscription(_) => (
                StatusCode::BAD_REQUEST,
                n::ERROR_BAD_SUBSCRIPTION,
                "Benachrichtigungen auf diesem Gerät konnten nicht eingerichtet werden. Bitte versuchen Sie es in einem anderen Browser oder entfernen Sie ein anderes Gerät.",
                "Notices on this device could not be set up. Please try another browser or remove another device.",
            ),
            NotifyError::BadToken => (
                StatusCode::BAD_REQUEST,
                n::ERROR_BAD_TOKEN,
                "Dieser Link ist ungültig, schon benutzt oder abgelaufen. Sie können Ihre Benachrichtigungen im Konto einstellen.",
                "This link is invalid, used already or expired. You can set up your notices in your account.",
            ),
            NotifyError::EmailUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                n::ERROR_EMAIL_UNAVAILABLE,
                "Benachrichtigungen per E-Mail sind hier zurzeit nicht möglich. Sie können Benachrichtigungen auf diesem Gerät wählen.",
                "Notices by e-mail are not available here at the moment. You can choose notices on this device.",
            ),
        };
        if let NotifyError::BadSubscription(why) = &e {
            tracing::info!(why, "push subscription refused");
        }
        let mut resp = (
            status,
            Json(ErrorBody {
                error: code.into(),
                message: de.into(),
                message_en: en.into(),
                required_level: None,
            }),
        )
            .into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}
