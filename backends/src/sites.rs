//! The authority console on a site of its own (`BUERGERAMT_CONSOLE_URL`).
//!
//! Cookies are not kept apart by port, so a console on the app's host would
//! share the site with the citizen app and the login pages: a script in one
//! could act with a clerk's cookie. With a console URL configured (under
//! `make run`: the app on `127.0.0.1`, the console on `localhost`), the one
//! server answers by host name:
//!
//! * `/behoerde/…` on any other host: a GET or HEAD is redirected (308) to
//!   the same path on the console's host; anything else is refused (421).
//! * Anything but `/behoerde/…`, `/healthz` and the built app's static files
//!   (the console's pages use its stylesheet, fonts and icon) on the
//!   console's host: a GET or HEAD is redirected to the app; anything else is
//!   refused (421).
//!
//! Without a console URL (tests, a single-host deployment) nothing changes.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// The two sites' origins, and the built app's files.
#[derive(Clone)]
pub struct Sites {
    /// e.g. `http://localhost:8080`
    pub console: String,
    /// e.g. `http://127.0.0.1:8080`
    pub app: String,
    /// The console's pages use the app's stylesheet, fonts and icon: those
    /// files (and nothing that starts the app) are served on both hosts.
    pub shared: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

impl Sites {
    /// The files of `site` that both hosts serve: everything but the pages
    /// and scripts that would start the app or its service worker.
    pub fn new(console: String, app: String, site: Arc<crate::static_files::Site>) -> Self {
        Sites {
            console,
            app,
            shared: Arc::new(move |path: &str| {
                site.get(path).is_some_and(|a| {
                    !a.content_type.starts_with("text/html")
                        && !a.content_type.contains("javascript")
                        && !a.content_type.starts_with("application/wasm")
                })
            }),
        }
    }
}

/// `scheme://host:port` → `host:port` (what the Host header carries).
fn authority(origin: &str) -> &str {
    origin.split_once("://").map(|x| x.1).unwrap_or(origin)
}

fn is_console_path(path: &str) -> bool {
    path == "/behoerde" || path.starts_with("/behoerde/")
}

/// Where a request belongs, if not here: the origin to send it to.
pub fn misplaced(sites: &Sites, host: &str, path: &str) -> Option<String> {
    let on_console = host.eq_ignore_ascii_case(authority(&sites.console));
    match (on_console, is_console_path(path)) {
        (false, true) => Some(sites.console.clone()),
        (true, false) if path != "/healthz" && !(sites.shared)(path) => Some(sites.app.clone()),
        _ => None,
    }
}

pub async fn separate(State(sites): State<Arc<Sites>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some(target) = misplaced(&sites, &host, req.uri().path()) else {
        return next.run(req).await;
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let location = format!("{target}{path_and_query}");
        if let Ok(v) = HeaderValue::from_str(&location) {
            return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, v)]).into_response();
        }
    }
    (
        StatusCode::MISDIRECTED_REQUEST,
        Json(serde_json::json!({
            "error": "misdirected",
            "message": format!("Diese Adresse gehört zu {target}."),
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Sites {
        Sites {
            console: "http://localhost:8080".into(),
            app: "http://127.0.0.1:8080".into(),
            shared: Arc::new(|p: &str| p == "/app-0123456789abcdef.css" || p == "/favicon.svg"),
        }
    }

    #[test]
    fn the_console_host_serves_the_shared_files_only() {
        let s = sites();
        for p in ["/app-0123456789abcdef.css", "/favicon.svg"] {
            assert_eq!(misplaced(&s, "localhost:8080", p), None, "{p}");
        }
        for p in [
            "/index.html",
            "/antrag/1.2",
            "/sw.js",
            "/idp/static/idp.css",
        ] {
            assert_eq!(
                misplaced(&s, "localhost:8080", p).as_deref(),
                Some("http://127.0.0.1:8080"),
                "{p}"
            );
        }
    }

    #[test]
    fn each_site_keeps_its_own_paths() {
        let s = sites();
        assert_eq!(
            misplaced(&s, "127.0.0.1:8080", "/behoerde/anmelden").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(
            misplaced(&s, "127.0.0.1:8080", "/behoerde").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(misplaced(&s, "127.0.0.1:8080", "/behoerdex"), None);
        assert_eq!(misplaced(&s, "127.0.0.1:8080", "/postfach"), None);
        assert_eq!(misplaced(&s, "localhost:8080", "/behoerde/eingang"), None);
        assert_eq!(misplaced(&s, "LOCALHOST:8080", "/behoerde/eingang"), None);
        assert_eq!(misplaced(&s, "localhost:8080", "/healthz"), None);
        assert_eq!(
            misplaced(&s, "localhost:8080", "/").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            misplaced(&s, "localhost:8080", "/idp/authorize").as_deref(),
            Some("http://127.0.0.1:8080")
        );
    }
}
