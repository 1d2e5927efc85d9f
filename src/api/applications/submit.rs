//! Submission: route, destination, key, announce, upload, submit
//! (BACKENDS.md §3 steps 1–5). Encryption happens before these calls, in
//! `browser::webcrypto`; only JWE strings and ids go over the wire.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::{exchange, get_json, tuning, ApiError, Backends, Req};
use crate::domain::jwe::EncryptionJwk;
use crate::domain::search_url::encode as url_encode;

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

/// The file name of a schema URI (`…/schemas/antrag-wohngeld.json`): the
/// relay serves the schemas of its destinations by name only.
pub fn schema_file(uri: &str) -> Option<&str> {
    let path = uri.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name.chars().any(|c| c.is_ascii_alphanumeric());
    ok.then_some(name)
}

impl Backends {
    /// Who takes this service at this place (FIT-Connect's routing).
    pub async fn routes(&self, leika: &str, ars: &str) -> Result<Vec<Route>, ApiError> {
        let url = self.url(&format!(
            "submission/routes?leikaKey={}&ars={}",
            url_encode(leika),
            url_encode(ars)
        ));
        Ok(get_json::<Routes>(&url).await?.routes)
    }

    /// The form schema behind a destination's `schemaUri`, as text.
    pub async fn schema_text(&self, uri: &str) -> Result<String, ApiError> {
        let file = schema_file(uri)
            .ok_or_else(|| ApiError::Decode(format!("not a schema name: {uri:?}")))?;
        let url = self.url(&format!("submission/schemas/{file}"));
        let req = Req::get(&url).accept("application/schema+json, application/json");
        let text = exchange(&req, true).await?.text()?;
        if text.len() > crate::api::MAX_JSON_BYTES {
            return Err(ApiError::Decode("schema too large".into()));
        }
        Ok(text)
    }

    /// The key to encrypt for, fetched at send time so a rotated key is
    /// never missed.
    pub async fn key(&self, destination_id: &str, kid: &str) -> Result<EncryptionJwk, ApiError> {
        get_json(&self.url(&format!(
            "submission/destinations/{}/keys/{}",
            url_encode(destination_id),
            url_encode(kid)
        )))
        .await
    }
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
    /// A follow-up joins this existing case (FIT-Connect's `caseId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announced {
    pub submission_id: String,
    pub case_id: String,
    /// The relay's short reference (`HST-2026-004711`), for the metadata.
    #[serde(default)]
    pub sender_reference: Option<String>,
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
    /// The relay's short reference of the application.
    #[serde(default)]
    pub sender_reference: Option<String>,
    /// The attachments FIT-Connect holds already (a resumed send skips them).
    #[serde(default)]
    pub uploaded_attachments: Vec<String>,
}

/// Sends a request with a JSON body; reads the JSON answer. Retried only
/// with an `Idempotency-Key` (the server answers a repeat with the same
/// result).
pub(super) async fn send_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: &impl Serialize,
    idempotency_key: Option<&str>,
) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    let mut req = Req {
        method,
        body: Some(body),
        ..Req::get(url)
    };
    req.headers
        .push(("Content-Type", "application/json".into()));
    if let Some(k) = idempotency_key {
        req.headers.push(("Idempotency-Key", k.to_string()));
    }
    exchange(&req, idempotency_key.is_some()).await?.json()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubmitBody<'a> {
    encrypted_metadata: &'a str,
    encrypted_data: &'a str,
}

impl Backends {
    /// Announces a submission with an `Idempotency-Key`: the same key
    /// answers with the same submission, so a retry never makes a second
    /// application.
    /// `ars`: the citizen's place (the relay records the authority there);
    /// `for_mandate`: made for someone else under that mandate (issue #25).
    pub async fn announce(
        &self,
        idempotency_key: &str,
        ars: &str,
        for_mandate: Option<&str>,
        body: &Announcement,
    ) -> Result<Announced, ApiError> {
        let mut path = format!("applications?ars={}", url_encode(ars));
        if let Some(m) = for_mandate {
            path.push_str(&format!(
                "&{}={}",
                contract::mandate::FOR_PARAM,
                url_encode(m)
            ));
        }
        send_json("POST", &self.url(&path), body, Some(idempotency_key)).await
    }

    /// Sends metadata and data, both JWE.
    /// The relay's attestation for this submission and this data (a JWS
    /// that goes, unread, into the encrypted metadata).
    pub async fn attestation(
        &self,
        submission_id: &str,
        data_hash: &str,
    ) -> Result<String, ApiError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Ask<'a> {
            data_hash: &'a str,
        }
        #[derive(Deserialize)]
        struct Given {
            attestation: String,
        }
        let given: Given = send_json(
            "POST",
            &self.url(&format!(
                "applications/{}/attestation",
                url_encode(submission_id)
            )),
            &Ask { data_hash },
            None,
        )
        .await?;
        Ok(given.attestation)
    }

    pub async fn submit(
        &self,
        submission_id: &str,
        encrypted_metadata: &str,
        encrypted_data: &str,
    ) -> Result<Status, ApiError> {
        send_json(
            "PUT",
            &self.url(&format!("applications/{}", url_encode(submission_id))),
            &SubmitBody {
                encrypted_metadata,
                encrypted_data,
            },
            None,
        )
        .await
    }

    /// How far a submission got.
    pub async fn status(&self, submission_id: &str) -> Result<Status, ApiError> {
        get_json(&self.url(&format!("applications/{}", url_encode(submission_id)))).await
    }

    /// Uploads one attachment's JWE as `application/jose`. Uses
    /// XMLHttpRequest because fetch reports no upload progress;
    /// `on_progress` gets the sent fraction (0.0–1.0).
    pub async fn put_attachment(
        &self,
        submission_id: &str,
        attachment_id: &str,
        jwe: &str,
        on_progress: impl Fn(f64) + 'static,
    ) -> Result<(), ApiError> {
        let url = self.url(&format!(
            "applications/{}/attachments/{}",
            url_encode(submission_id),
            url_encode(attachment_id)
        ));
        put_jose(&url, jwe, on_progress).await
    }
}

async fn put_jose(
    url: &str,
    jwe: &str,
    on_progress: impl Fn(f64) + 'static,
) -> Result<(), ApiError> {
    let _pending = super::super::Pending::start();
    super::super::config::ready().await;
    let net = |e: wasm_bindgen::JsValue| ApiError::Network(format!("{e:?}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(net)?;
    xhr.open("PUT", url).map_err(net)?;
    let limit = tuning().upload_timeout_ms;
    xhr.set_timeout(limit);
    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_timeout = {
        let timed_out = timed_out.clone();
        Closure::<dyn Fn()>::new(move || timed_out.set(true))
    };
    xhr.set_ontimeout(Some(on_timeout.as_ref().unchecked_ref()));
    xhr.set_request_header(
        contract::relay::VERSION_HEADER,
        &contract::relay::API_VERSION.to_string(),
    )
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

#[cfg(test)]
mod tests {
    use super::schema_file;

    #[test]
    fn schema_names_are_taken_from_the_uri_and_checked() {
        assert_eq!(
            schema_file("http://127.0.0.1:8070/fitconnect/schemas/wohngeld-1.0.json"),
            Some("wohngeld-1.0.json")
        );
        assert_eq!(schema_file("urn:x/a.json?v=1#top"), Some("a.json"));
        for bad in [
            "",
            "https://x.example/",
            "/schemas/..",
            "/s/a%2Fb",
            "/s/ä.json",
        ] {
            assert_eq!(schema_file(bad), None, "{bad}");
        }
    }
}
