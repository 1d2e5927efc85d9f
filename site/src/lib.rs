//! Serves the built app (`dist/`) as the stand-in (`backends/`) and the relay
//! (`relay/`) both do: files in memory with brotli and gzip variants, hashed
//! assets immutable, ETag revalidation, the SPA fallback to `index.html`, and
//! the security headers with a CSP that allows exactly the inline scripts of
//! `index.html`.
//!
//! What differs per server is a parameter: the paths that are not the app
//! and their answer ([`NotApp`]), and the origins the app may reach besides
//! its own ([`Origins`]).

mod files;
mod request;
mod security;

use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

pub use files::{brotli_bytes, gzip_bytes, inline_scripts, is_hashed, Asset, NotApp, Site};
pub use request::{cookie_value, same_secret};
pub use security::{security_headers, set_security_headers, ContentSecurityPolicy, Origins};

/// The app as one router fallback: the site, the paths that are not the
/// app, and the security headers on every answer. Cheap to clone.
#[derive(Clone)]
pub struct App {
    site: Arc<Site>,
    not_app: Arc<NotApp>,
    csp: Arc<ContentSecurityPolicy>,
}

impl App {
    /// The CSP allows the inline scripts of the site's `index.html`.
    pub fn new(site: Site, not_app: NotApp, origins: impl Into<Origins>) -> Self {
        let csp = ContentSecurityPolicy::new(&site.inline_script_hashes(), origins);
        Self {
            site: Arc::new(site),
            not_app: Arc::new(not_app),
            csp: Arc::new(csp),
        }
    }

    /// Loads `dist` (a missing directory is not fatal, see [`Site::load`]).
    pub fn load(
        dist: &std::path::Path,
        not_app: NotApp,
        origins: impl Into<Origins>,
    ) -> anyhow::Result<Self> {
        Ok(Self::new(Site::load(dist)?, not_app, origins))
    }

    pub fn site(&self) -> &Arc<Site> {
        &self.site
    }

    pub fn csp(&self) -> &ContentSecurityPolicy {
        &self.csp
    }

    /// [`Site::serve`] with the security headers.
    pub fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
        let mut resp = self.site.serve(&self.not_app, method, uri, headers);
        set_security_headers(resp.headers_mut(), &self.csp);
        resp
    }

    /// For `Router::fallback_service`: every method, any path.
    pub fn service(&self) -> axum::routing::MethodRouter {
        let app = self.clone();
        axum::routing::any(move |method: Method, uri: Uri, headers: HeaderMap| {
            let app = app.clone();
            async move { app.answer(&method, &uri, &headers) }
        })
    }
}
