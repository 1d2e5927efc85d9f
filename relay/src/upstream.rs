//! Calls to upstreams that want an OAuth2 client-credentials token (PVOG,
//! FIT-Connect): the token is fetched once, cached until shortly before it
//! expires, and concurrent requests share one refresh. A 401 from the
//! upstream drops the cached token and the call is tried once more.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

use crate::config::Service;
use crate::error::UpstreamError;

/// A token is renewed this long before its `expires_in` runs out.
pub const RENEW_MARGIN: Duration = Duration::from_secs(30);
/// Largest JSON answer the relay accepts from an upstream.
pub const MAX_UPSTREAM_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Cached {
    token: String,
    renew_at: Instant,
}

/// One upstream with its credentials and its cached token.
pub struct Upstream {
    service: Service,
    http: reqwest::Client,
    current: RwLock<Option<Cached>>,
    /// Held while a new token is fetched: the others wait for it.
    refreshing: Mutex<()>,
    fetched: std::sync::atomic::AtomicU64,
    /// Calls, errors and durations for `/metrics`.
    pub stats: crate::ops::metrics::UpstreamStats,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: String,
    expires_in: Option<u64>,
}

/// An upstream's answer: status and body, already size-checked.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub body: Vec<u8>,
}

impl Upstream {
    pub fn new(service: Service, http: reqwest::Client) -> Arc<Self> {
        Arc::new(Upstream {
            service,
            http,
            current: RwLock::new(None),
            refreshing: Mutex::new(()),
            fetched: Default::default(),
            stats: Default::default(),
        })
    }

    /// How many tokens were fetched so far (for tests and the health page).
    pub fn tokens_fetched(&self) -> u64 {
        self.fetched.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid token: the cached one, or a new one (one fetch for all waiters).
    pub async fn token(&self) -> Result<String, UpstreamError> {
        if let Some(t) = self.fresh().await {
            return Ok(t);
        }
        let _guard = self.refreshing.lock().await;
        // Someone else may have refreshed while we waited.
        if let Some(t) = self.fresh().await {
            return Ok(t);
        }
        let cached = self.fetch_token().await?;
        let token = cached.token.clone();
        *self.current.write().await = Some(cached);
        Ok(token)
    }

    async fn fresh(&self) -> Option<String> {
        let now = Instant::now();
        self.current
            .read()
            .await
            .as_ref()
            .filter(|c| c.renew_at > now)
            .map(|c| c.token.clone())
    }

    /// Forgets `token` if it is still the cached one (the upstream refused it).
    async fn forget(&self, token: &str) {
        let mut cur = self.current.write().await;
        if cur.as_ref().is_some_and(|c| c.token == token) {
            *cur = None;
        }
    }

    async fn fetch_token(&self) -> Result<Cached, UpstreamError> {
        self.fetched
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let s = &self.service;
        let resp = self
            .http
            .post(&s.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", s.client_id.as_str()),
                ("client_secret", s.client_secret.as_str()),
                ("scope", s.scope.as_str()),
            ])
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 400 || status == 401 || status == 403 {
            tracing::error!(status, url = %s.token_url, "the upstream refused our client credentials");
            return Err(UpstreamError::Credentials);
        }
        let body = read_limited(resp).await?;
        if !(200..300).contains(&status) {
            return Err(UpstreamError::Status {
                status,
                retry_after: None,
            });
        }
        let t: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| UpstreamError::Malformed(format!("token answer: {e}")))?;
        if t.access_token.is_empty() || !t.token_type.eq_ignore_ascii_case("bearer") {
            return Err(UpstreamError::Malformed(
                "token answer without a Bearer token".into(),
            ));
        }
        // No expires_in: keep it one minute. Never longer than a day.
        let life = Duration::from_secs(t.expires_in.unwrap_or(60).min(86_400));
        Ok(Cached {
            token: t.access_token,
            renew_at: Instant::now() + life.saturating_sub(RENEW_MARGIN),
        })
    }

    /// `GET base_url + path_and_query` with the token; a 401 renews the token once.
    pub async fn get(&self, path_and_query: &str) -> Result<Answer, UpstreamError> {
        self.call(Call::get(path_and_query)).await
    }

    /// `GET` of a JSON document: `None` for 404, an error for any other
    /// non-2xx status or a body that is not JSON (`what` names it).
    pub async fn get_json(
        &self,
        path_and_query: &str,
        what: &str,
    ) -> Result<Option<serde_json::Value>, UpstreamError> {
        let a = self.get(path_and_query).await?;
        if a.status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&a.status) {
            return Err(UpstreamError::Status {
                status: a.status,
                retry_after: a.retry_after,
            });
        }
        serde_json::from_slice(&a.body)
            .map(Some)
            .map_err(|e| UpstreamError::Malformed(format!("{what}: {e}")))
    }

    /// Any call with the service token; a 401 renews the token once.
    pub async fn call(&self, c: Call<'_>) -> Result<Answer, UpstreamError> {
        let started = Instant::now();
        let result = self.call_counted(c).await;
        let outcome = result.as_ref().map(|a| a.status);
        self.stats.record(outcome, started.elapsed());
        result
    }

    async fn call_counted(&self, c: Call<'_>) -> Result<Answer, UpstreamError> {
        let url = format!("{}{}", self.service.base_url, c.path_and_query);
        let mut retried = false;
        loop {
            let token = self.token().await?;
            let mut req = self
                .http
                .request(c.method.clone(), &url)
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, c.accept);
            for (k, v) in &c.headers {
                req = req.header(*k, v.as_str());
            }
            if let Some((body, content_type)) = &c.body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, *content_type)
                    .body(body.clone());
            }
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status().as_u16();
            if status == 401 && !retried {
                self.forget(&token).await;
                retried = true;
                continue;
            }
            if status == 401 {
                tracing::error!(status, path = %without_query(&url), "the upstream refused our token");
                return Err(UpstreamError::Credentials);
            }
            let header = |name: reqwest::header::HeaderName| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after =
                header(reqwest::header::RETRY_AFTER).and_then(|v| v.trim().parse::<u64>().ok());
            let content_type = header(reqwest::header::CONTENT_TYPE);
            let content_disposition = header(reqwest::header::CONTENT_DISPOSITION);
            let body = read_limited(resp).await?;
            return Ok(Answer {
                status,
                retry_after,
                content_type,
                content_disposition,
                body,
            });
        }
    }
}

/// One call to an upstream.
pub struct Call<'a> {
    pub method: reqwest::Method,
    pub path_and_query: &'a str,
    pub accept: &'static str,
    pub headers: Vec<(&'static str, String)>,
    /// The body, forwarded byte for byte, with its content type.
    pub body: Option<(bytes::Bytes, &'static str)>,
}

impl<'a> Call<'a> {
    pub fn get(path_and_query: &'a str) -> Self {
        Call {
            method: reqwest::Method::GET,
            path_and_query,
            accept: "application/json",
            headers: Vec::new(),
            body: None,
        }
    }
}

/// An upstream's answer as the relay's: status, body, and the headers the
/// app needs (content type and disposition, `Retry-After`). A 5xx becomes
/// the relay's `upstream` error; 2xx and 4xx (the upstream's own JSON
/// errors, e.g. a level lock) pass through.
pub fn respond(a: Answer) -> Result<axum::response::Response, crate::error::RelayError> {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    if a.status >= 500 {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        }
        .into());
    }
    let status = StatusCode::from_u16(a.status)
        .map_err(|_| UpstreamError::Malformed(format!("status {}", a.status)))?;
    let mut resp = (status, a.body).into_response();
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, a.content_type),
        (header::CONTENT_DISPOSITION, a.content_disposition),
        (header::RETRY_AFTER, a.retry_after.map(|r| r.to_string())),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}

pub(crate) fn transport(e: reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        UpstreamError::Timeout
    } else {
        // Without the URL: its query may hold what a citizen searched for.
        UpstreamError::Unreachable(e.without_url().to_string())
    }
}

/// A URL for the log: no query (it may hold a citizen's search words).
pub(crate) fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Reads a body of at most [`MAX_UPSTREAM_BYTES`].
pub(crate) async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_UPSTREAM_BYTES as u64)
    {
        return Err(UpstreamError::Malformed("answer too large".into()));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if out.len() + chunk.len() > MAX_UPSTREAM_BYTES {
            return Err(UpstreamError::Malformed("answer too large".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The HTTP client every upstream shares: time limit, no redirects followed
/// (an upstream that redirects is misconfigured), no cookies.
pub fn http_client(timeout_ms: u64) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_millis(timeout_ms))
        .connect_timeout(Duration::from_millis(timeout_ms.min(5_000)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("buergeramt-relay/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::without_query;

    #[test]
    fn logged_urls_carry_no_query() {
        assert_eq!(
            without_query("http://zbp/zbp/api/v1/mailboxes/m/messages?q=Max+Mustermann"),
            "http://zbp/zbp/api/v1/mailboxes/m/messages"
        );
        assert_eq!(without_query("http://pvog/x#frag"), "http://pvog/x");
        assert_eq!(without_query("http://pvog/x"), "http://pvog/x");
    }
}
