//! Submission: route, destination, key, announce, upload, submit
//! (BACKENDS.md §3 steps 1–5). Encryption happens before these calls, in
//! `browser::webcrypto`; only JWE strings and ids go over the wire.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::{exchange, get_json, get_json_authed, tuning, ApiError, Req};
use crate::domain::config::join;
use crate::domain::jwe::EncryptionJwk;
use crate::domain::oidc::url_encode;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRef {
    pub schema_uri: String,
    #[serde(default)]
    pub mime_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicKeys {
    #[serde(default)]
    pub keys: Vec<EncryptionJwk>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationParameters {
    pub status: String,
    #[serde(default)]
    pub submission_schemas: Vec<SchemaRef>,
    pub encryption_kid: String,
    #[serde(default)]
    pub public_keys: Option<PublicKeys>,
    /// Ours: the level the form needs (STORK name).
    #[serde(default)]
    pub trust_level: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
}

/// One destination that takes the service at the place.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub destination_id: String,
    pub destination_name: String,
    pub destination_parameters: DestinationParameters,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Routes {
    #[serde(default)]
    routes: Vec<Route>,
}

/// `GET /routes?leikaKey=&ars=`: who takes this service at this place.
pub async fn routes(base: &str, leika: &str, ars: &str) -> Result<Vec<Route>, ApiError> {
    let url = join(
        base,
        &format!(
            "routes?leikaKey={}&ars={}",
            url_encode(leika),
            url_encode(ars)
        ),
    );
    Ok(get_json::<Routes>(&url).await?.routes)
}

/// The form schema behind a destination's `schemaUri`, as text.
pub async fn schema_text(uri: &str) -> Result<String, ApiError> {
    let mut req = Req::get(uri);
    req.headers = vec![("Accept", "application/schema+json, application/json".into())];
    let text = exchange(&req, true).await?.text()?;
    if text.len() > crate::api::MAX_JSON_BYTES {
        return Err(ApiError::Decode("schema too large".into()));
    }
    Ok(text)
}

/// `GET /v1/destinations/{id}/keys/{kid}`: the key to encrypt for, fetched
/// at send time so a rotated key is never missed.
pub async fn key(base: &str, destination_id: &str, kid: &str) -> Result<EncryptionJwk, ApiError> {
    get_json(&join(
        base,
        &format!(
            "v1/destinations/{}/keys/{}",
            url_encode(destination_id),
            url_encode(kid)
        ),
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceType {
    pub name: String,
    pub identifier: String,
}

/// The announcement body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    pub destination_id: String,
    pub announced_attachments: Vec<String>,
    pub service_type: ServiceType,
    /// Ours: names (never values) of the account attributes in the form.
    pub disclosed_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announced {
    pub submission_id: String,
    pub case_id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub submission_id: String,
    pub case_id: String,
    pub status: String,
    #[serde(default)]
    pub submitted_at: Option<i64>,
    #[serde(default)]
    pub destination_id: Option<String>,
}

/// Sends a request with the citizen's token and a JSON body; reads the
/// JSON answer. Retried only with an `Idempotency-Key` (the server answers
/// a repeat with the same result).
async fn send_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    token: &str,
    body: &impl Serialize,
    idempotency_key: Option<&str>,
) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    let mut req = Req {
        method,
        body: Some(body),
        ..Req::get(url).bearer(token)
    };
    req.headers
        .push(("Content-Type", "application/json".into()));
    if let Some(k) = idempotency_key {
        req.headers.push(("Idempotency-Key", k.to_string()));
    }
    exchange(&req, idempotency_key.is_some()).await?.json()
}

/// `POST /v1/submissions` with an `Idempotency-Key`: the same key answers
/// with the same submission, so a retry never makes a second application.
pub async fn announce(
    base: &str,
    token: &str,
    idempotency_key: &str,
    body: &Announcement,
) -> Result<Announced, ApiError> {
    send_json(
        "POST",
        &join(base, "v1/submissions"),
        token,
        body,
        Some(idempotency_key),
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubmitBody<'a> {
    encrypted_metadata: &'a str,
    encrypted_data: &'a str,
}

/// `PUT /v1/submissions/{id}`: metadata and data, both JWE.
pub async fn submit(
    base: &str,
    token: &str,
    submission_id: &str,
    encrypted_metadata: &str,
    encrypted_data: &str,
) -> Result<Status, ApiError> {
    send_json(
        "PUT",
        &join(
            base,
            &format!("v1/submissions/{}", url_encode(submission_id)),
        ),
        token,
        &SubmitBody {
            encrypted_metadata,
            encrypted_data,
        },
        None,
    )
    .await
}

/// `GET /v1/submissions/{id}`: how far a submission got.
pub async fn status(base: &str, token: &str, submission_id: &str) -> Result<Status, ApiError> {
    get_json_authed(
        &join(
            base,
            &format!("v1/submissions/{}", url_encode(submission_id)),
        ),
        token,
    )
    .await
}

/// `PUT /v1/submissions/{id}/attachments/{attachmentId}` with the JWE as
/// `application/jose`. Uses XMLHttpRequest because fetch reports no upload
/// progress; `on_progress` gets the sent fraction (0.0–1.0).
pub async fn put_attachment(
    base: &str,
    token: &str,
    submission_id: &str,
    attachment_id: &str,
    jwe: &str,
    on_progress: impl Fn(f64) + 'static,
) -> Result<(), ApiError> {
    let url = join(
        base,
        &format!(
            "v1/submissions/{}/attachments/{}",
            url_encode(submission_id),
            url_encode(attachment_id)
        ),
    );
    let net = |e: wasm_bindgen::JsValue| ApiError::Network(format!("{e:?}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(net)?;
    xhr.open("PUT", &url).map_err(net)?;
    let limit = tuning().upload_timeout_ms;
    xhr.set_timeout(limit);
    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_timeout = {
        let timed_out = timed_out.clone();
        Closure::<dyn Fn()>::new(move || timed_out.set(true))
    };
    xhr.set_ontimeout(Some(on_timeout.as_ref().unchecked_ref()));
    xhr.set_request_header("Authorization", &format!("Bearer {token}"))
        .map_err(net)?;
    xhr.set_request_header("Content-Type", "application/jose")
        .map_err(net)?;
    let progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                on_progress(e.loaded() / e.total());
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let done = js_sys::Promise::new(&mut |resolve, _reject| {
        let r1 = resolve.clone();
        let on_end = Closure::once_into_js(move || {
            let _ = r1.call0(&wasm_bindgen::JsValue::NULL);
        });
        xhr.set_onloadend(Some(on_end.unchecked_ref()));
    });
    xhr.send_with_opt_str(Some(jwe)).map_err(net)?;
    let _ = wasm_bindgen_futures::JsFuture::from(done).await;
    drop(progress);
    xhr.set_ontimeout(None);
    drop(on_timeout);
    match xhr.status() {
        Ok(0) if timed_out.get() => Err(ApiError::Timeout(limit)),
        Ok(0) => Err(ApiError::Network("upload interrupted".into())),
        Ok(s) if (200..300).contains(&s) => Ok(()),
        Ok(s) => Err(ApiError::Status {
            status: s,
            retry_after: xhr
                .get_response_header("retry-after")
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse().ok()),
        }),
        Err(e) => Err(net(e)),
    }
}
