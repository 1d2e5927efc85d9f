//! Mandates (Vollmachten, issue #25; docs/relay.md "Mandates"): the code a
//! grantee reads out, the grant, the lists of both sides, ending one, the
//! use log and the grantor's data for a form. The wire types and paths are
//! `contract::mandate`; the relay's errors are `contract::relay::ErrorBody`.

use contract::mandate::{Code, Grant, Mandate, Mandates, Person, Uses, CODE_PATH, PATH, USES_PATH};
use contract::mandate_request::{Request, ERROR_INVALID_REQUEST, REQUESTS_PATH};
use contract::relay::{ErrorBody, ERROR_API_VERSION, ERROR_INSUFFICIENT_LEVEL};

use super::{decode_json, exchange, Answer, ApiError, Backends, Req};
use crate::domain::search_url::{encode, query_string};

/// What can go wrong with mandates, each with its own advice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MandateError {
    /// The login is below Level-3: log in with ELSTER or the Online-Ausweis.
    #[error("the login's level is too low")]
    InsufficientLevel,
    /// The relay refused the input (a wrong or expired code, a bad date, …)
    /// and said why, in German and English.
    #[error("refused: {error}")]
    Refused {
        error: String,
        message: String,
        message_en: String,
    },
    /// A request for a mandate for a child or a cared-for person
    /// (`contract::mandate_request`) does not fit: the child is 18 already,
    /// the Betreuerausweis has ended, or the data is malformed. The
    /// relay's message is for the log only; the citizen reads a fixed text.
    #[error("the mandate request was refused: {log}")]
    InvalidRequest { log: String },
    /// Too many wrong codes: wait, then try again.
    #[error("too many attempts")]
    TooManyAttempts { retry_after: Option<u32> },
    /// Not logged in (any more).
    #[error("not logged in")]
    LoginRequired,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl MandateError {
    /// The relay's own message in the language shown, if it sent one.
    pub fn message(&self, german: bool) -> Option<&str> {
        match self {
            MandateError::Refused {
                message,
                message_en,
                ..
            } => Some(if german || message_en.is_empty() {
                message
            } else {
                message_en
            })
            .filter(|m| !m.is_empty())
            .map(String::as_str),
            _ => None,
        }
    }
}

fn check(a: Answer) -> Result<Answer, MandateError> {
    if a.ok() {
        return Ok(a);
    }
    Err(match a.status {
        401 => MandateError::LoginRequired,
        403 if a.has_error(ERROR_INSUFFICIENT_LEVEL) => MandateError::InsufficientLevel,
        429 => match a.status_error() {
            ApiError::Status { retry_after, .. } => MandateError::TooManyAttempts { retry_after },
            _ => MandateError::TooManyAttempts { retry_after: None },
        },
        409 if a.has_error(ERROR_API_VERSION) => a.status_error().into(),
        400 if a.has_error(ERROR_INVALID_REQUEST) => MandateError::InvalidRequest {
            log: decode_json::<ErrorBody>(&a.body)
                .map(|b| b.message.chars().take(500).collect())
                .unwrap_or_default(),
        },
        400 | 409 | 422 => match decode_json::<ErrorBody>(&a.body) {
            Ok(b) => MandateError::Refused {
                // Bounded: it is shown, and comes from outside.
                error: b.error.chars().take(64).collect(),
                message: b.message.chars().take(500).collect(),
                message_en: b.message_en.chars().take(500).collect(),
            },
            Err(_) => a.status_error().into(),
        },
        _ => a.status_error().into(),
    })
}

impl Backends {
    /// A fresh code for the citizen to read out (replaces their earlier one).
    pub async fn mandate_code(&self) -> Result<Code, MandateError> {
        let url = self.url(CODE_PATH);
        let req = Req::get(&url).with_method("POST");
        Ok(check(exchange(&req, false).await?)?.json()?)
    }

    /// Grants a mandate to the holder of `grant.code` (Level-3 or higher).
    pub async fn grant_mandate(&self, grant: &Grant) -> Result<Mandate, MandateError> {
        let url = self.url(PATH);
        let req = Req::get(&url).with_method("POST").with_json(grant)?;
        Ok(check(exchange(&req, false).await?)?.json()?)
    }

    /// Asks for a mandate for a child or a cared-for person: what the form
    /// of the announced, not yet sent submission declares. The relay keeps
    /// it pending (the same answer again for the same submission) until
    /// the authority decides.
    pub async fn request_mandate(&self, request: &Request) -> Result<Mandate, MandateError> {
        let url = self.url(REQUESTS_PATH);
        let req = Req::get(&url).with_method("POST").with_json(request)?;
        Ok(check(exchange(&req, false).await?)?.json()?)
    }

    /// The mandates the citizen granted and received.
    pub async fn mandates(&self) -> Result<Mandates, MandateError> {
        let url = self.url(PATH);
        Ok(check(exchange(&Req::get(&url), true).await?)?.json()?)
    }

    /// Revokes (grantor) or gives back (grantee) a mandate. The relay
    /// answers 204 or the mandate as it is now.
    pub async fn end_mandate(&self, id: &str) -> Result<Option<Mandate>, MandateError> {
        let url = self.url(&format!("{PATH}/{}", encode(id)));
        let a = check(exchange(&Req::get(&url).with_method("DELETE"), false).await?)?;
        if a.status == 204 || a.body.is_empty() {
            return Ok(None);
        }
        Ok(Some(a.json()?))
    }

    /// The use log: by the citizen's grantees, and the citizen's own uses.
    pub async fn mandate_uses(&self) -> Result<Uses, MandateError> {
        let url = self.url(USES_PATH);
        Ok(check(exchange(&Req::get(&url), true).await?)?.json()?)
    }

    /// The grantor's data for a form of `service` (a LeiKa URN), as far as
    /// the mandate covers it; the relay logs it as a use.
    pub async fn mandate_person(&self, id: &str, service: &str) -> Result<Person, MandateError> {
        let url = self.url(&format!(
            "{PATH}/{}/person?{}",
            encode(id),
            query_string([("service", service.to_string())])
        ));
        Ok(check(exchange(&Req::get(&url), true).await?)?.json()?)
    }
}
