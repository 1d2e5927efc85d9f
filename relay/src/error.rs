//! Typed errors of the relay. Every one becomes a JSON answer
//! `{"error", "message", "messageEn"}` (contract::relay::ErrorBody) whose
//! message tells the citizen what to do next, in German and English.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use contract::relay::{self as api, ErrorBody};

/// Why an upstream call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("upstream answered {status}")]
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    #[error("upstream did not answer in time")]
    Timeout,
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    #[error("upstream answer malformed: {0}")]
    Malformed(String),
    #[error("upstream refused our credentials")]
    Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("login required")]
    LoginRequired,
    #[error("not found")]
    NotFound,
    #[error("cross-site request refused")]
    CrossSite,
    #[error("API version mismatch")]
    ApiVersion,
    #[error("the login's level is below {0}")]
    Level(contract::trust::TrustLevel),
    /// The case has `contract::followup::MAX_FOLLOW_UPS_PER_CASE`
    /// follow-ups already: a quota, not a rate (409, not 429, which the
    /// app takes as "busy, try again").
    #[error("the case has as many follow-ups as it may")]
    TooManyFollowUps,
    /// Too many requests of one kind from this address or session in the
    /// current window ([`crate::limits`]): 429 with `Retry-After`.
    #[error("rate limit reached")]
    RateLimited { retry_after: u64 },
    /// A citizen's quota ([`crate::limits`]): a limit, not a rate.
    #[error("quota exceeded: {0:?}")]
    Quota(Quota),
    /// A body over the route's limit (413).
    #[error("body too large")]
    TooLarge,
    /// The form has a fee that is neither paid (verified with the
    /// provider) nor waived: 402 `payment_required`.
    #[error("the fee is not paid")]
    PaymentRequired,
    /// A payment was made for the application with another fee basis
    /// (409 `payment_conflict`).
    #[error("paid with another fee basis")]
    PaymentConflict,
    /// The application's form has no fee (404 `no_fee`).
    #[error("the form has no fee")]
    NoFee,
    /// The application was sent already (409 `already_submitted`).
    #[error("the application was sent already")]
    AlreadySubmitted,
    /// A signed notification whose signature does not verify (401).
    #[error("the signature does not verify")]
    BadSignature,
    /// A mandate call refused (issue #25, `crate::mandates`): its own
    /// code and words.
    #[error("mandate: {0:?}")]
    Mandate(crate::mandates::MandateError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The error code of [`RelayError::TooManyFollowUps`].
pub const ERROR_TOO_MANY_FOLLOW_UPS: &str = "too_many_follow_ups";
/// The error code of [`RelayError::RateLimited`] (429).
pub const ERROR_RATE_LIMITED: &str = "rate_limited";
/// The error code of [`RelayError::Quota`] (409 or 413).
pub const ERROR_QUOTA_EXCEEDED: &str = "quota_exceeded";
/// The error code of [`RelayError::TooLarge`] (413).
pub const ERROR_TOO_LARGE: &str = "too_large";

/// The error code of [`RelayError::NoFee`] (404).
pub const ERROR_NO_FEE: &str = "no_fee";
/// The error code of [`RelayError::AlreadySubmitted`] (409).
pub const ERROR_ALREADY_SUBMITTED: &str = "already_submitted";
/// The error code of [`RelayError::BadSignature`] (401).
pub const ERROR_BAD_SIGNATURE: &str = "bad_signature";

/// Which quota is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// As many announced, unsent submissions as allowed (409).
    OpenApplications,
    /// The attachments of the open submissions together (413).
    AttachmentBytes,
}

impl From<crate::db::Error> for RelayError {
    fn from(e: crate::db::Error) -> Self {
        RelayError::Internal(format!("database: {e}"))
    }
}

impl RelayError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str, &'static str) {
        match self {
            RelayError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Die Anfrage ist ungültig. Bitte prüfen Sie Ihre Eingabe.",
                "The request is invalid. Please check what you entered.",
            ),
            RelayError::LoginRequired => (
                StatusCode::UNAUTHORIZED,
                api::ERROR_LOGIN_REQUIRED,
                "Sie sind nicht (mehr) angemeldet. Bitte melden Sie sich an; Ihre Eingaben bleiben erhalten.",
                "You are not logged in (any more). Please log in; what you entered is kept.",
            ),
            RelayError::Level(_) => (
                StatusCode::FORBIDDEN,
                api::ERROR_INSUFFICIENT_LEVEL,
                "Dafür brauchen Sie eine Anmeldung mit höherem Vertrauensniveau. Bitte melden Sie sich erneut an, zum Beispiel mit dem Online-Ausweis; Ihre Eingaben bleiben erhalten.",
                "This needs a login at a higher level of trust. Please log in again, for example with your eID card; what you entered is kept.",
            ),
            RelayError::TooManyFollowUps => (
                StatusCode::CONFLICT,
                ERROR_TOO_MANY_FOLLOW_UPS,
                "Zu diesem Antrag können Sie keine weiteren Unterlagen nachreichen. Bitte wenden Sie sich direkt an die Behörde.",
                "You cannot send any more documents for this application. Please contact the authority directly.",
            ),
            RelayError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                ERROR_RATE_LIMITED,
                "Von Ihrem Anschluss kamen gerade sehr viele Anfragen. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut; Ihre Eingaben bleiben erhalten.",
                "There were very many requests from your connection just now. Please wait a few minutes and try again; what you entered is kept.",
            ),
            RelayError::Quota(Quota::OpenApplications) => (
                StatusCode::CONFLICT,
                ERROR_QUOTA_EXCEEDED,
                "Sie haben schon viele begonnene, noch nicht abgeschickte Anträge. Bitte schicken Sie zuerst einen davon ab (Meine Anträge); nicht abgeschickte Anträge werden nach 30 Tagen gelöscht. Ihre Eingaben bleiben erhalten.",
                "You already have many started applications that were not sent. Please send one of them first (My applications); unsent applications are deleted after 30 days. What you entered is kept.",
            ),
            RelayError::Quota(Quota::AttachmentBytes) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ERROR_QUOTA_EXCEEDED,
                "Ihre Anhänge in noch nicht abgeschickten Anträgen sind zusammen zu groß. Bitte verkleinern Sie die Dateien (zum Beispiel als PDF in geringerer Auflösung) oder schicken Sie zuerst begonnene Anträge ab.",
                "The attachments of your applications not yet sent are too large together. Please make the files smaller (for example as a PDF at a lower resolution) or send the applications you started first.",
            ),
            RelayError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ERROR_TOO_LARGE,
                "Die Datei ist zu groß. Bitte verkleinern Sie sie (zum Beispiel als PDF in geringerer Auflösung) und versuchen Sie es erneut.",
                "The file is too large. Please make it smaller (for example as a PDF at a lower resolution) and try again.",
            ),
            RelayError::PaymentRequired => (
                StatusCode::PAYMENT_REQUIRED,
                contract::payment::ERROR_PAYMENT_REQUIRED,
                "Für diesen Antrag ist eine Gebühr zu zahlen. Bitte bezahlen Sie sie im Schritt „Bezahlen“ (oder über „Jetzt bezahlen“ in Meine Anträge) und senden Sie den Antrag dann ab; Ihre Eingaben bleiben erhalten.",
                "This application has a fee. Please pay it in the \"Pay\" step (or with \"Pay now\" in My applications), then send the application; what you entered is kept.",
            ),
            RelayError::PaymentConflict => (
                StatusCode::CONFLICT,
                contract::payment::ERROR_PAYMENT_CONFLICT,
                "Die Gebühr für diesen Antrag wurde schon bezahlt, und zwar für andere Angaben zum Verwendungszweck. Bitte stellen Sie die Angaben wieder her, mit denen Sie bezahlt haben, oder wenden Sie sich an die Behörde.",
                "The fee for this application was already paid, for other answers about the purpose. Please restore the answers you paid with, or contact the authority.",
            ),
            RelayError::NoFee => (
                StatusCode::NOT_FOUND,
                ERROR_NO_FEE,
                "Für diesen Antrag ist keine Gebühr zu zahlen. Sie können ihn direkt absenden.",
                "This application has no fee. You can send it right away.",
            ),
            RelayError::AlreadySubmitted => (
                StatusCode::CONFLICT,
                ERROR_ALREADY_SUBMITTED,
                "Dieser Antrag wurde schon abgesendet. Sie finden ihn unter Meine Anträge.",
                "This application was sent already. You find it under My applications.",
            ),
            RelayError::BadSignature => (
                StatusCode::UNAUTHORIZED,
                ERROR_BAD_SIGNATURE,
                "Die Signatur der Nachricht ist ungültig.",
                "The message's signature is invalid.",
            ),
            RelayError::Mandate(e) => e.parts(),
            RelayError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Das Gesuchte gibt es nicht (mehr).",
                "What you asked for does not exist (any more).",
            ),
            RelayError::CrossSite => (
                StatusCode::FORBIDDEN,
                api::ERROR_CSRF,
                "Diese Anfrage kam nicht von Bürgeramt und wurde abgelehnt. Bitte nutzen Sie die Seite direkt.",
                "This request did not come from Bürgeramt and was refused. Please use the site directly.",
            ),
            RelayError::ApiVersion => (
                StatusCode::CONFLICT,
                api::ERROR_API_VERSION,
                "Bürgeramt wurde aktualisiert. Bitte laden Sie die Seite neu; Ihre Entwürfe bleiben erhalten.",
                "Bürgeramt has been updated. Please reload the page; your drafts are kept.",
            ),
            RelayError::Upstream(UpstreamError::Status { status: 404, .. }) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Das Gesuchte gibt es nicht (mehr).",
                "What you asked for does not exist (any more).",
            ),
            RelayError::Upstream(UpstreamError::Status { status: 400, .. }) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Die Anfrage ist ungültig. Bitte prüfen Sie Ihre Eingabe.",
                "The request is invalid. Please check what you entered.",
            ),
            RelayError::Upstream(UpstreamError::Status {
                status: 429 | 503, ..
            }) => (
                StatusCode::SERVICE_UNAVAILABLE,
                api::ERROR_UPSTREAM,
                "Der Dienst ist gerade stark ausgelastet. Bitte versuchen Sie es in einigen Minuten erneut.",
                "The service is very busy right now. Please try again in a few minutes.",
            ),
            RelayError::Upstream(UpstreamError::Timeout) => (
                StatusCode::GATEWAY_TIMEOUT,
                api::ERROR_UPSTREAM,
                "Der Dienst hat nicht rechtzeitig geantwortet. Bitte versuchen Sie es gleich noch einmal.",
                "The service did not answer in time. Please try again shortly.",
            ),
            RelayError::Upstream(_) => (
                StatusCode::BAD_GATEWAY,
                api::ERROR_UPSTREAM,
                "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut; Ihre Eingaben bleiben erhalten.",
                "The service cannot be reached right now. Please try again later; what you entered is kept.",
            ),
            RelayError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.",
                "Something went wrong on our side. Please try again later.",
            ),
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let (status, code, de, en) = self.parts();
        match &self {
            RelayError::Internal(detail) => tracing::error!(%detail, "relay error"),
            RelayError::Upstream(e) => tracing::warn!(error = %e, "upstream call failed"),
            _ => {}
        }
        let mut resp = (
            status,
            Json(ErrorBody {
                error: code.into(),
                message: de.into(),
                message_en: en.into(),
                required_level: match &self {
                    RelayError::Level(l) => Some(l.as_str().to_string()),
                    _ => None,
                },
            }),
        )
            .into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let RelayError::Upstream(UpstreamError::Status {
            retry_after: Some(s),
            ..
        }) = &self
        {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        if let RelayError::RateLimited { retry_after } = &self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_failures_map_to_gateway_statuses() {
        let s = |e: UpstreamError| RelayError::from(e).into_response().status();
        assert_eq!(s(UpstreamError::Timeout), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            s(UpstreamError::Malformed("x".into())),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            s(UpstreamError::Status {
                status: 500,
                retry_after: None
            }),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            s(UpstreamError::Status {
                status: 404,
                retry_after: None
            }),
            StatusCode::NOT_FOUND
        );
        let busy = RelayError::from(UpstreamError::Status {
            status: 429,
            retry_after: Some(7),
        })
        .into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn limits_and_quotas() {
        let r = RelayError::RateLimited { retry_after: 42 }.into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "42");
        let s = |e: RelayError| e.into_response().status();
        assert_eq!(
            s(RelayError::Quota(Quota::OpenApplications)),
            StatusCode::CONFLICT
        );
        assert_eq!(
            s(RelayError::Quota(Quota::AttachmentBytes)),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(s(RelayError::TooLarge), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
