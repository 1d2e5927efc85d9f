//! HTTP to the relay, the app's only server (docs/relay.md). One module per
//! concern of its API; nothing outside `api/` talks to the network. Pages
//! reach it through one client in context, [`Backends`] ([`use_backends`]).
//! Every failure is a typed [`ApiError`]; the UI turns it into a German
//! sentence that says what to do (`components::error`).
//!
//! Every request carries `Buergeramt-Api: 1` (the relay's version and CSRF
//! rule) and the session cookie (same origin); no token ever. A GET made
//! while a component renders is cancelled when that component goes away
//! (`on_cleanup`), so navigating away drops what is still loading.
//!
//! Every request goes through [`exchange`]: it has a timeout (an
//! `AbortController`), so a backend that never answers ends in a message
//! rather than a spinner; idempotent requests are retried on transient
//! failures as `domain::retry` decides, honouring `Retry-After`, and the
//! wait is announced to whoever listens ([`set_retry_listener`]).
//!
//! While any request is under way (retries and waits included), `<html>`
//! carries `data-idle="false"`; `"true"` once the last one ended
//! ([`Pending`]). Browser tests without auto-waiting (e2e-webdriver/) wait
//! for that, never for a fixed time.

pub mod account_data;
pub mod applications;
pub mod catalogue;
pub mod config;
pub mod mandates;
pub mod notify;
pub mod postbox;
pub mod session;
pub mod termine;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use contract::relay::{
    API_PREFIX, API_VERSION, BACKGROUND_HEADER, ERROR_API_VERSION, VERSION_HEADER,
};
use leptos::prelude::{provide_context, use_context};

use crate::domain::retry::{next_delay, parse_retry_after, Outcome, Policy};

/// The one client of the relay's API, provided in context by the app
/// ([`provide_backends`]) and taken by pages with [`use_backends`]. Its
/// methods live beside their routes: [`catalogue`], [`session`],
/// [`postbox`], [`applications`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backends {
    _relay: (),
}

impl Backends {
    /// The relay of this origin, under [`API_PREFIX`].
    pub const fn relay() -> Self {
        Backends { _relay: () }
    }

    /// The URL of an API path (`catalogue/locations?q=…`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{API_PREFIX}/{}", path.trim_start_matches('/'))
    }
}

/// Makes [`Backends`] available to everything below (called by the app).
pub fn provide_backends() {
    provide_context(Backends::relay());
}

/// The client; outside the app's tree the relay of this origin all the same.
pub fn use_backends() -> Backends {
    use_context::<Backends>().unwrap_or_else(Backends::relay)
}

/// What can go wrong when talking to a backend.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer at all: offline, DNS, connection dropped, CORS.
    #[error("network error: {0}")]
    Network(String),
    /// No answer within the time limit.
    #[error("no answer within {0} ms")]
    Timeout(u32),
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
    /// The relay speaks a newer API than this tab: reload the page.
    #[error("the server was updated")]
    Outdated,
}

impl ApiError {
    /// Might the same call succeed a moment later (no answer in time, no
    /// connection, the server overloaded or failing)?
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) | ApiError::Timeout(_) => true,
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
            ApiError::Decode(_) | ApiError::Outdated => false,
        }
    }

    /// What the citizen should be told, as an i18n-independent kind.
    pub fn kind(&self) -> crate::domain::errors::ErrorKind {
        use crate::domain::errors::ErrorKind;
        match self {
            ApiError::Network(_) => ErrorKind::Offline,
            ApiError::Timeout(_) => ErrorKind::Timeout,
            ApiError::Status { status, .. } => ErrorKind::from_status(*status),
            ApiError::Decode(_) => ErrorKind::BadAnswer,
            ApiError::Outdated => ErrorKind::Outdated,
        }
    }

    /// The server did not accept the access token (expired, revoked,
    /// missing): the citizen has to log in again.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Status { status: 401, .. })
    }
}

/// Time limits and retry policy; `/config.json` may change them (`net`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Per attempt, from sending to the last byte of the answer.
    pub timeout_ms: u32,
    /// For one attachment upload (large files on slow lines).
    pub upload_timeout_ms: u32,
    pub policy: Policy,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            timeout_ms: 20_000,
            upload_timeout_ms: 300_000,
            policy: Policy::default(),
        }
    }
}

/// JSON answers larger than this are refused (a misbehaving backend must
/// not freeze a cheap phone); attachments are not limited here.
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Called with the pending retry, or `None` once it is under way.
type RetryListener = Rc<dyn Fn(Option<RetryWait>)>;

thread_local! {
    static TUNING: Cell<Tuning> = Cell::new(Tuning::default());
    static RETRY_LISTENER: RefCell<Option<RetryListener>> = const { RefCell::new(None) };
    static WAITING: Cell<u32> = const { Cell::new(0) };
    static PENDING: Cell<u32> = const { Cell::new(0) };
}

pub fn tuning() -> Tuning {
    TUNING.with(Cell::get)
}

pub fn set_tuning(t: Tuning) {
    TUNING.with(|c| c.set(t));
}

/// An automatic retry the app is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryWait {
    /// The wait in ms.
    pub delay_ms: u64,
    /// 429 (or a 503 with Retry-After): the service said it is overloaded.
    pub busy: bool,
}

/// Whoever shows "we try again in N seconds" (one listener, the layout's
/// status line). `None` is sent when no retry is pending any more.
pub fn set_retry_listener(f: impl Fn(Option<RetryWait>) + 'static) {
    RETRY_LISTENER.with(|l| *l.borrow_mut() = Some(Rc::new(f)));
}

fn announce_wait(wait: Option<RetryWait>) {
    let pending = WAITING.with(|w| {
        let n = match wait {
            Some(_) => w.get().saturating_add(1),
            None => w.get().saturating_sub(1),
        };
        w.set(n);
        n
    });
    // Several calls may wait at once: clear only when the last one resumes.
    if wait.is_none() && pending > 0 {
        return;
    }
    let listener = RETRY_LISTENER.with(|l| l.borrow().clone());
    if let Some(f) = listener {
        f(wait);
    }
}

/// One request under way while alive: the first sets `<html data-idle>`
/// to `"false"`, dropping the last (answered, failed or cancelled) to
/// `"true"`.
pub(crate) struct Pending;

impl Pending {
    pub(crate) fn start() -> Self {
        Self::count(1);
        Pending
    }

    fn count(step: i32) {
        let n = PENDING.with(|p| {
            let n = p.get().saturating_add_signed(step);
            p.set(n);
            n
        });
        if n <= 1 {
            crate::browser::mark_idle(n == 0);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        Self::count(-1);
    }
}

/// Waits `ms` with `setTimeout`.
pub async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let ok = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u64) as i32,
            )
            .ok()
        });
        if ok.is_none() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// One request, as data, so it can be sent again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Req<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<String>,
    /// Cancels the request from outside (stale search-as-you-type).
    pub signal: Option<&'a web_sys::AbortSignal>,
    /// Fetch bypassing the HTTP cache (a key set that may have rotated).
    pub no_store: bool,
}

impl<'a> Req<'a> {
    pub fn get(url: &'a str) -> Self {
        Req {
            method: "GET",
            url,
            headers: vec![
                ("Accept", "application/json".into()),
                (VERSION_HEADER, API_VERSION.to_string()),
            ],
            ..Default::default()
        }
    }

    /// The same request with another method.
    pub fn with_method(mut self, method: &'a str) -> Self {
        self.method = method;
        self
    }

    /// With `body` as its JSON body (and its `Content-Type`).
    pub fn with_json<T: serde::Serialize>(mut self, body: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
        self.headers
            .push(("Content-Type", "application/json".into()));
        self.body = Some(body);
        Ok(self)
    }

    /// The same request accepting `types` instead of JSON.
    pub fn accept(mut self, types: &str) -> Self {
        if let Some(h) = self.headers.iter_mut().find(|(n, _)| *n == "Accept") {
            h.1 = types.to_string();
        }
        self
    }

    /// A poll in the background: the relay does not count it as activity.
    pub fn background(mut self) -> Self {
        self.headers.push((BACKGROUND_HEADER, "1".into()));
        self
    }
}

/// A complete answer: status, `Retry-After`, body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error for a non-2xx answer.
    pub fn status_error(&self) -> ApiError {
        if self.status == 409 && self.has_error(ERROR_API_VERSION) {
            return ApiError::Outdated;
        }
        ApiError::Status {
            status: self.status,
            retry_after: self
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, js_sys::Date::now()))
                .map(|ms| {
                    crate::domain::retry::seconds_for_display(ms).min(u32::MAX as u64) as u32
                }),
        }
    }

    /// Is this the relay's JSON error with the code `code`
    /// (`{"error":"<code>",…}`, docs/relay.md)? A plain search: the codes
    /// are distinct words, and nothing else of the body is needed.
    pub fn has_error(&self, code: &str) -> bool {
        self.body.len() <= 4096 && self.body.windows(code.len()).any(|w| w == code.as_bytes())
    }

    /// The body of a 2xx answer as JSON; errors become typed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.ok() {
            return Err(self.status_error());
        }
        decode_json(&self.body)
    }

    pub fn text(&self) -> Result<String, ApiError> {
        if !self.ok() {
            return Err(self.status_error());
        }
        String::from_utf8(self.body.clone()).map_err(|e| ApiError::Decode(e.to_string()))
    }
}

/// JSON with a size limit; the error names the problem, never the data.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_JSON_BYTES {
        return Err(ApiError::Decode(format!(
            "answer too large ({} bytes)",
            body.len()
        )));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Decode(e.to_string()))
}

fn js_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "request failed".into())
}

/// One attempt with the time limit; reads the whole body.
async fn attempt(req: &Req<'_>, timeout_ms: u32) -> Result<Answer, ApiError> {
    let controller = web_sys::AbortController::new().map_err(|e| ApiError::Network(js_text(&e)))?;
    if req.signal.is_some_and(|s| s.aborted()) {
        return Err(ApiError::Network("aborted".into()));
    }
    let timed_out = Rc::new(Cell::new(false));
    let on_timeout = {
        let controller = controller.clone();
        let timed_out = timed_out.clone();
        Closure::<dyn Fn()>::new(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let on_outer_abort = {
        let controller = controller.clone();
        Closure::<dyn Fn()>::new(move || controller.abort())
    };
    if let Some(s) = req.signal {
        let _ =
            s.add_event_listener_with_callback("abort", on_outer_abort.as_ref().unchecked_ref());
    }
    let window = web_sys::window();
    let timer = window.as_ref().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.as_ref().unchecked_ref(),
            timeout_ms.min(i32::MAX as u32) as i32,
        )
        .ok()
    });
    let result = send_and_read(req, &controller.signal()).await;
    if let (Some(w), Some(t)) = (&window, timer) {
        w.clear_timeout_with_handle(t);
    }
    if let Some(s) = req.signal {
        let _ =
            s.remove_event_listener_with_callback("abort", on_outer_abort.as_ref().unchecked_ref());
    }
    drop(on_timeout);
    drop(on_outer_abort);
    result.map_err(|e| {
        if timed_out.get() {
            ApiError::Timeout(timeout_ms)
        } else {
            ApiError::Network(e)
        }
    })
}

async fn send_and_read(req: &Req<'_>, signal: &web_sys::AbortSignal) -> Result<Answer, String> {
    use gloo_net::http::Request;
    let mut builder = match req.method {
        "POST" => Request::post(req.url),
        "PUT" => Request::put(req.url),
        "DELETE" => Request::delete(req.url),
        _ => Request::get(req.url),
    };
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    if req.no_store {
        builder = builder.cache(web_sys::RequestCache::NoStore);
    }
    builder = builder.abort_signal(Some(signal));
    let resp = match &req.body {
        Some(body) => {
            builder
                .body(body.clone())
                .map_err(|e| e.to_string())?
                .send()
                .await
        }
        None => builder.send().await,
    }
    .map_err(|e| e.to_string())?;
    let status = resp.status();
    let retry_after = resp.headers().get("retry-after");
    let body = resp.binary().await.map_err(|e| e.to_string())?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// Sends `req`; `retry` allows further attempts on transient failures
/// (only for requests that are safe to repeat). Returns the last answer,
/// whatever its status; only "no answer" is an `Err`.
pub(crate) async fn exchange(req: &Req<'_>, retry: bool) -> Result<Answer, ApiError> {
    let _pending = Pending::start();
    // The time limit is read once /config.json has set it.
    config::ready().await;
    exchange_within(req, retry, tuning().timeout_ms).await
}

thread_local! {
    /// Requests that end when their component does: id → controller.
    static IN_FLIGHT: RefCell<Vec<(u64, web_sys::AbortController)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Aborts the request `id` if it is still under way.
fn abort_in_flight(id: u64) {
    let found = IN_FLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        f.iter()
            .position(|(i, _)| *i == id)
            .map(|pos| f.swap_remove(pos).1)
    });
    if let Some(c) = found {
        c.abort();
    }
}

/// [`exchange`] with its own time limit per attempt. A GET without a signal
/// of its own is cancelled when the reactive owner it was started in is
/// cleaned up (the page or component that asked went away); a state change
/// is never cut off half-way.
pub(crate) async fn exchange_within(
    req: &Req<'_>,
    retry: bool,
    timeout_ms: u32,
) -> Result<Answer, ApiError> {
    let _pending = Pending::start();
    if req.signal.is_some() || req.method != "GET" {
        return exchange_inner(req, retry, timeout_ms).await;
    }
    let Ok(controller) = web_sys::AbortController::new() else {
        return exchange_inner(req, retry, timeout_ms).await;
    };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    IN_FLIGHT.with(|f| f.borrow_mut().push((id, controller.clone())));
    if leptos::prelude::Owner::current().is_some() {
        leptos::prelude::on_cleanup(move || abort_in_flight(id));
    }
    let signal = controller.signal();
    let own = Req {
        signal: Some(&signal),
        ..req.clone()
    };
    let result = exchange_inner(&own, retry, timeout_ms).await;
    IN_FLIGHT.with(|f| f.borrow_mut().retain(|(i, _)| *i != id));
    result
}

async fn exchange_inner(req: &Req<'_>, retry: bool, timeout_ms: u32) -> Result<Answer, ApiError> {
    let t = tuning();
    let mut n = 1;
    loop {
        let result = attempt(req, timeout_ms).await;
        let (outcome, retry_after) = match &result {
            Ok(a) if a.ok() => return result,
            Ok(a) => (Outcome::Status(a.status), a.retry_after.as_deref()),
            Err(ApiError::Timeout(_)) => (Outcome::Timeout, None),
            Err(_) if req.signal.is_some_and(|s| s.aborted()) => return result,
            Err(_) => (Outcome::Network, None),
        };
        let ra_ms = retry_after.and_then(|v| parse_retry_after(v, js_sys::Date::now()));
        let delay = if retry {
            next_delay(&t.policy, n, outcome, ra_ms, js_sys::Math::random())
        } else {
            None
        };
        let Some(delay_ms) = delay else {
            return result;
        };
        let busy = matches!(outcome, Outcome::Status(429)) || ra_ms.is_some();
        announce_wait(Some(RetryWait { delay_ms, busy }));
        sleep(delay_ms).await;
        announce_wait(None);
        if req.signal.is_some_and(|s| s.aborted()) {
            return Err(ApiError::Network("aborted".into()));
        }
        n += 1;
    }
}

/// GET a JSON document.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    exchange(&Req::get(url), true).await?.json()
}

/// GET a JSON document bypassing the HTTP cache.
pub async fn get_json_fresh<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    let req = Req {
        no_store: true,
        ..Req::get(url)
    };
    exchange(&req, true).await?.json()
}

/// GET a JSON document; aborting `signal` cancels the request (used to drop
/// stale search-as-you-type requests).
pub async fn get_json_abortable<T: DeserializeOwned>(
    url: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<T, ApiError> {
    let req = Req {
        signal,
        ..Req::get(url)
    };
    exchange(&req, true).await?.json()
}
