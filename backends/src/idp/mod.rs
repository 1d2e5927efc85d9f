//! BundID-shaped OpenID Connect provider: discovery, authorize (PKCE), token, userinfo, end_session, login pages.

use axum::Router;

use crate::{error, AppState};

/// Routes under `/idp`.
pub fn router(_state: &AppState) -> anyhow::Result<Router<AppState>> {
    Ok(Router::new().fallback(error::not_found))
}
