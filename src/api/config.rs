//! `/config.json`: where the backends live, read at start.

use super::{get_json, ApiError};
use crate::domain::config::AppConfig;

/// Loads and checks the runtime configuration.
pub async fn load() -> Result<AppConfig, ApiError> {
    let config: AppConfig = get_json("/config.json").await?;
    config.validate().map_err(ApiError::Decode)?;
    Ok(config)
}
