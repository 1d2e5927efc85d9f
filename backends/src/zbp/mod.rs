//! Postbox (ZBP) stand-in: messages, application status, trust-level locks, trash.

use axum::Router;

use crate::{error, AppState};

/// Routes under `/zbp`.
pub fn router(_state: &AppState) -> anyhow::Result<Router<AppState>> {
    Ok(Router::new().fallback(error::not_found))
}
