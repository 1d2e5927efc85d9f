//! `/config.json`, read once at start: the relay's API version and whether
//! its catalogue is sample data. An optional `net` block sets time limits
//! and the retry policy (tests use short ones; production keeps the
//! defaults of [`super::Tuning`]). Every other request waits for it once
//! ([`ready`]), so the configured limits apply from the first call on.

use std::cell::RefCell;

use serde::Deserialize;

use super::{exchange_within, tuning, ApiError, Req, Tuning};
use crate::domain::config::AppConfig;
use crate::domain::retry::Policy;

/// `net` in `/config.json`; every field optional.
#[derive(Debug, Default, Deserialize)]
struct Net {
    timeout_ms: Option<u32>,
    upload_timeout_ms: Option<u32>,
    retry_attempts: Option<u32>,
    retry_base_ms: Option<u64>,
    retry_max_backoff_ms: Option<u64>,
    retry_after_max_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct WithNet {
    #[serde(default)]
    net: Option<Net>,
}

/// The configured values, each kept within sane bounds.
fn apply(net: Net, base: Tuning) -> Tuning {
    let p = base.policy;
    Tuning {
        timeout_ms: net
            .timeout_ms
            .map_or(base.timeout_ms, |v| v.clamp(100, 120_000)),
        upload_timeout_ms: net
            .upload_timeout_ms
            .map_or(base.upload_timeout_ms, |v| v.clamp(100, 3_600_000)),
        policy: Policy {
            max_attempts: net
                .retry_attempts
                .map_or(p.max_attempts, |v| v.clamp(1, 10)),
            base_ms: net.retry_base_ms.map_or(p.base_ms, |v| v.min(60_000)),
            max_backoff_ms: net
                .retry_max_backoff_ms
                .map_or(p.max_backoff_ms, |v| v.min(120_000)),
            max_retry_after_ms: net
                .retry_after_max_ms
                .map_or(p.max_retry_after_ms, |v| v.min(600_000)),
        },
    }
}

/// Time limit for `/config.json` itself, per attempt.
const CONFIG_TIMEOUT_MS: u32 = 8_000;

/// Where the configuration is served.
pub const CONFIG_URL: &str = "/config.json";

/// Where the one load of the configuration stands.
enum State {
    NotStarted,
    /// Under way; these wait for it.
    Loading(Vec<std::task::Waker>),
    Done(Result<AppConfig, ApiError>),
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State::NotStarted) };
}

async fn fetch() -> Result<AppConfig, ApiError> {
    // A small file from the app's own server: a short limit of its own
    // (the configurable ones are not known yet).
    let answer = exchange_within(&Req::get(CONFIG_URL), true, CONFIG_TIMEOUT_MS).await?;
    let config: AppConfig = answer.json()?;
    if config.validate().is_err() {
        return Err(ApiError::Outdated);
    }
    if let Ok(WithNet { net: Some(net) }) = answer.json::<WithNet>() {
        super::set_tuning(apply(net, tuning()));
    }
    Ok(config)
}

/// Waits for the one load of `/config.json`; the first caller starts it.
struct Ready;

impl std::future::Future for Ready {
    type Output = Result<AppConfig, ApiError>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            match &mut *s {
                State::Done(result) => std::task::Poll::Ready(result.clone()),
                State::Loading(waiters) => {
                    waiters.push(cx.waker().clone());
                    std::task::Poll::Pending
                }
                State::NotStarted => {
                    *s = State::Loading(vec![cx.waker().clone()]);
                    wasm_bindgen_futures::spawn_local(async {
                        let result = fetch().await;
                        let done = STATE.with(|s| s.replace(State::Done(result)));
                        if let State::Loading(waiters) = done {
                            waiters.into_iter().for_each(std::task::Waker::wake);
                        }
                    });
                    std::task::Poll::Pending
                }
            }
        })
    }
}

/// Waits until `/config.json` was read (or failed: the defaults apply).
pub async fn ready() {
    let _ = Ready.await;
}
