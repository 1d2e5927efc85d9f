//! Authority console: server-rendered pages and a JSON API to process submissions.

use axum::Router;

use crate::{error, AppState};

/// Routes under `/behoerde`.
pub fn router(_state: &AppState) -> anyhow::Result<Router<AppState>> {
    Ok(Router::new().fallback(error::not_found))
}
