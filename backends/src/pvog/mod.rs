//! PVOG Suchdienst stand-in: locations, service search and details, organisation units, online services (see docs/backends.md).

use axum::Router;

use crate::{error, AppState};

/// Routes under `/pvog`.
pub fn router(_state: &AppState) -> anyhow::Result<Router<AppState>> {
    Ok(Router::new().fallback(error::not_found))
}
