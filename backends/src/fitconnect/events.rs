//! The signed event log's building blocks: one event as a SET (compact JWS
//! `PS512`), the `problems` of `reject-submission`, and the JWE
//! authentication tags that `submit-submission` and `accept-submission`
//! carry. A leaf: it knows the keys, never the tables.

use serde::Serialize;
use serde_json::{json, Value};

use super::keys::Keys;
use super::EVENT_PREFIX;
use crate::ApiError;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random (version 4) UUID, lower case.
pub fn random_uuid() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(contract::encoding::uuid_from_bytes(b))
}

/// One problem reported in `reject-submission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `https://schema.fitko.de/fit-connect/events/problems/<name>`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub detail: String,
    /// What the problem is about: `data`, `metadata`, `submission`,
    /// `attachment:<id>`, or for the form data a JSON pointer (`/F60000228`).
    pub instance: String,
}

impl Problem {
    pub fn new(
        name: &str,
        title: &str,
        detail: impl Into<String>,
        instance: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("{EVENT_PREFIX}problems/{name}"),
            title: title.to_string(),
            detail: detail.into(),
            instance: instance.into(),
        }
    }
}

/// The claims of one SET for the case's event log, as JSON text: what a
/// pending row holds until the signer signs it (`iat` and `jti` are fixed
/// here, when the event happens, not when it is signed).
pub fn claims(
    iss: &str,
    submission_id: &str,
    case_id: &str,
    event: &str,
    payload: Value,
) -> Result<String, ApiError> {
    let mut events = serde_json::Map::new();
    events.insert(format!("{EVENT_PREFIX}{event}"), payload);
    Ok(json!({
        "iss": iss,
        "sub": format!("submission:{submission_id}"),
        "txn": format!("case:{case_id}"),
        "iat": now(),
        "jti": random_uuid()?,
        "events": events,
    })
    .to_string())
}

/// Signs claims made by [`claims`]: the compact JWS the event log holds.
pub fn sign_claims(keys: &Keys, claims: &str) -> Result<String, ApiError> {
    let claims: Value =
        serde_json::from_str(claims).map_err(|e| ApiError::Internal(e.to_string()))?;
    keys.sign_set(&claims)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Signs one SET for the case's event log; `iss` is the API's base URL.
pub fn sign(
    keys: &Keys,
    iss: &str,
    submission_id: &str,
    case_id: &str,
    event: &str,
    payload: Value,
) -> Result<String, ApiError> {
    sign_claims(keys, &claims(iss, submission_id, case_id, event, payload)?)
}

/// [`sign`] on a background thread (`background.rs`: below the requests'
/// priority): an RSA 4096 signature takes milliseconds of CPU, which would
/// stall every other request on the async worker. For work no request
/// waits for (the subscriber's rejections).
pub async fn sign_off_thread(
    keys: std::sync::Arc<Keys>,
    iss: String,
    submission_id: String,
    case_id: String,
    event: &'static str,
    payload: Value,
) -> Result<String, ApiError> {
    super::background::run(move || sign(&keys, &iss, &submission_id, &case_id, event, payload))
        .await?
}

/// `{authenticationTags: {metadata, data, attachments: {<id>: tag}}}`: the
/// last part of each JWE, which binds the event to exactly this ciphertext.
pub fn authentication_tags(
    metadata: Option<&str>,
    data: Option<&str>,
    attachments: &[(String, String)],
) -> Value {
    let tag = |jwe_text: &str| jwe_text.rsplit('.').next().unwrap_or("").to_string();
    let mut att = serde_json::Map::new();
    for (id, text) in attachments {
        att.insert(id.clone(), Value::String(tag(text)));
    }
    json!({"authenticationTags": {
        "metadata": tag(metadata.unwrap_or("")),
        "data": tag(data.unwrap_or("")),
        "attachments": att,
    }})
}
