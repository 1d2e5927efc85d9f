//! FIT-Connect-shaped submission API: routes, destinations and keys, announce, attachments, submit, event log.

use axum::Router;

use crate::{error, AppState};

/// Routes under `/fitconnect`.
pub fn router(_state: &AppState) -> anyhow::Result<Router<AppState>> {
    Ok(Router::new().fallback(error::not_found))
}
