//! HTTP to the backends. One module per backend; nothing outside `api/`
//! talks to the network. Every failure is a typed [`ApiError`]; the UI turns
//! it into a German sentence that says what to do (`components::error`).

pub mod config;
pub mod fitconnect;
pub mod idp;
pub mod pvog;
pub mod zbp;

use serde::de::DeserializeOwned;

/// What can go wrong when talking to a backend.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer at all: offline, DNS, connection dropped, CORS.
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with an error status.
    #[error("HTTP status {status}")]
    Status {
        status: u16,
        /// Seconds from a `Retry-After` header (429/503).
        retry_after: Option<u32>,
    },
    /// The answer was not what we expected (malformed JSON, wrong shape).
    #[error("unexpected response: {0}")]
    Decode(String),
}

impl ApiError {
    /// What the citizen should be told, as an i18n-independent kind.
    pub fn kind(&self) -> crate::domain::errors::ErrorKind {
        use crate::domain::errors::ErrorKind;
        match self {
            ApiError::Network(_) => ErrorKind::Offline,
            ApiError::Status { status, .. } => ErrorKind::from_status(*status),
            ApiError::Decode(_) => ErrorKind::BadAnswer,
        }
    }

    /// The server did not accept the access token (expired, revoked,
    /// missing): the citizen has to log in again.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Status { status: 401, .. })
    }
}

/// GET a JSON document.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    get_json_abortable(url, None).await
}

/// GET a JSON document; aborting `signal` cancels the request (used to drop
/// stale search-as-you-type requests).
pub async fn get_json_abortable<T: DeserializeOwned>(
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<T, ApiError> {
    let resp = gloo_net::http::Request::get(url)
        .header("Accept", "application/json")
        .abort_signal(signal)
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read_json(resp).await
}

/// GET a JSON document with `Authorization: Bearer <access_token>`. A 401
/// comes back as `ApiError::Status { status: 401, .. }`
/// ([`ApiError::is_unauthorized`]).
pub async fn get_json_authed<T: DeserializeOwned>(
    url: &str,
    access_token: &str,
) -> Result<T, ApiError> {
    let resp = gloo_net::http::Request::get(url)
        .header("Accept", "application/json")
        .header("Authorization", &format!("Bearer {access_token}"))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read_json(resp).await
}

/// The status check and JSON decoding shared by the request helpers.
pub(crate) async fn read_json<T: DeserializeOwned>(
    resp: gloo_net::http::Response,
) -> Result<T, ApiError> {
    let text = read_text(resp).await?;
    serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The body of a successful answer; an error status becomes [`ApiError::Status`].
pub(crate) async fn read_text(resp: gloo_net::http::Response) -> Result<String, ApiError> {
    if !resp.ok() {
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.trim().parse().ok());
        return Err(ApiError::Status {
            status: resp.status(),
            retry_after,
        });
    }
    resp.text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}
