//! `/config.json`: where the backends live, read at start. An optional
//! `net` block sets time limits and the retry policy (tests use short
//! ones; production keeps the defaults of [`super::Tuning`]).

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

/// Loads and checks the runtime configuration.
pub async fn load() -> Result<AppConfig, ApiError> {
    // A small file from the app's own server: a short limit of its own
    // (the configurable ones are not known yet).
    let answer = exchange_within(&Req::get("/config.json"), true, CONFIG_TIMEOUT_MS).await?;
    let config: AppConfig = answer.json()?;
    config.validate().map_err(ApiError::Decode)?;
    if let Ok(WithNet { net: Some(net) }) = answer.json::<WithNet>() {
        super::set_tuning(apply(net, tuning()));
    }
    Ok(config)
}
