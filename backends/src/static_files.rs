//! Serves the built app from `dist/`. The work is the `site` crate's (shared
//! with the relay): files in memory with brotli and gzip variants, hashed
//! assets immutable for a year, ETag revalidation, and the fallback to
//! `index.html` for unknown paths. What is the stand-in's own: its API
//! prefixes ([`API_PREFIXES`]) never fall back to the app but answer JSON 404s.

use axum::{
    extract::Extension,
    http::{HeaderMap, Method, Uri},
    response::{IntoResponse, Response},
};
use std::sync::{Arc, OnceLock};

pub use site::{brotli_bytes, gzip_bytes, inline_scripts, is_hashed, Asset, NotApp, Site};

use crate::{error::ApiError, API_PREFIXES};

/// The stand-in's paths that are not the app, answering JSON 404s.
pub fn not_app() -> &'static NotApp {
    static NOT_APP: OnceLock<NotApp> = OnceLock::new();
    NOT_APP.get_or_init(|| NotApp::new(&API_PREFIXES, || ApiError::NotFound.into_response()))
}

/// Fallback handler: API prefixes get JSON 404s, files are served, every
/// other path gets the app's index.html.
pub async fn serve(
    Extension(site): Extension<Arc<Site>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    site.serve(not_app(), &method, &uri, &headers)
}
