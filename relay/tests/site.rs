//! The relay serves the built app (`dist/`) as the stand-in does: index.html
//! for every path outside `/api/` and `/healthz`, hashed assets immutable,
//! brotli and gzip by `Accept-Encoding`, ETag revalidation, and the security
//! headers with a CSP that allows the inline script by its hash and
//! connections to its own origin only.

mod support;

use std::path::PathBuf;

use base64::Engine;
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use sha2::Digest;
use support::*;

const INLINE: &str = "document.documentElement.dataset.kernTheme='light';";
const HASHED: &str = "/app-0123456789abcdef.js";

fn index_html() -> String {
    format!(
        "<!DOCTYPE html><html lang=\"de\"><head><script>{INLINE}</script>\
         <script type=\"module\" src=\"{HASHED}\"></script></head><body></body></html>"
    )
}

fn hashed_js() -> String {
    "export function start() { return 'Bürgeramt'; }\n".repeat(40)
}

/// A small dist/: index.html with an inline script, a hashed asset, a plain file.
fn dist() -> PathBuf {
    let dir = support::scratch_dir().join("dist");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), index_html()).unwrap();
    std::fs::write(dir.join(&HASHED[1..]), hashed_js()).unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\nAllow: /\n").unwrap();
    dir
}

async fn relay_with_app() -> Relay {
    let dist = dist();
    relay_with(|c| c.dist_dir = dist).await
}

async fn get(url: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .to_str()
        .unwrap()
}

/// The stand-in's security headers, with `connect-src 'self'` only.
fn assert_security_headers(headers: &HeaderMap) {
    let csp = h(headers, "content-security-policy");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(INLINE));
    assert!(
        csp.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"
        )),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(csp.contains("form-action 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h(headers, "x-frame-options"), "DENY");
    assert_eq!(h(headers, "x-content-type-options"), "nosniff");
    assert_eq!(h(headers, "referrer-policy"), "no-referrer");
    assert_eq!(h(headers, "cross-origin-opener-policy"), "same-origin");
    assert!(h(headers, "permissions-policy").contains("camera=()"));
}

#[tokio::test]
async fn index_html_for_the_root_and_every_app_path() {
    let relay = relay_with_app().await;
    for path in ["/", "/antrag/123", "/postfach?ungelesen=1", "/index.html"] {
        let (status, headers, body) = get(&format!("{}{path}", relay.url), &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, index_html().as_bytes(), "{path}");
        assert_eq!(h(&headers, "content-type"), "text/html; charset=utf-8");
        assert_eq!(h(&headers, "cache-control"), "no-cache", "{path}");
        assert!(headers.contains_key(header::ETAG));
        assert_security_headers(&headers);
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_other_files_revalidated() {
    let relay = relay_with_app().await;
    let (status, headers, body) = get(&format!("{}{HASHED}", relay.url), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, hashed_js().as_bytes());
    assert_eq!(
        h(&headers, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        h(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_security_headers(&headers);

    let (status, headers, body) = get(&format!("{}/robots.txt", relay.url), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"User-agent: *\nAllow: /\n");
    assert_eq!(h(&headers, "cache-control"), "no-cache");

    // A stale hashed asset is a real 404, not the app.
    let (status, headers, body) = get(&format!("{}/app-ffffffffffffffff.js", relay.url), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(body, index_html().as_bytes());
    assert_security_headers(&headers);
}

#[tokio::test]
async fn brotli_and_gzip_by_accept_encoding() {
    let relay = relay_with_app().await;
    let url = format!("{}{HASHED}", relay.url);
    let raw = hashed_js();
    let (status, headers, body) = get(&url, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&headers, "content-encoding"), "br");
    assert_eq!(h(&headers, "vary"), "Accept-Encoding");
    assert_eq!(body, site::brotli_bytes(raw.as_bytes()).unwrap());
    assert!(body.len() < raw.len());

    let (_, headers, body) = get(&url, &[("accept-encoding", "gzip, br;q=0")]).await;
    assert_eq!(h(&headers, "content-encoding"), "gzip");
    assert_eq!(body, site::gzip_bytes(raw.as_bytes()).unwrap());

    let (_, headers, body) = get(&url, &[]).await;
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(body, raw.as_bytes());
}

#[tokio::test]
async fn etag_revalidation_answers_304() {
    let relay = relay_with_app().await;
    let url = format!("{}/antrag/123", relay.url);
    let (_, headers, _) = get(&url, &[]).await;
    let etag = h(&headers, "etag").to_string();
    let (status, headers, body) = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h(&headers, "etag"), etag);
    assert_security_headers(&headers);
    let (status, _, _) = get(&url, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_api_and_healthz_are_never_the_app() {
    let relay = relay_with_app().await;
    let mut b = Browser::new();
    for path in ["/api/v1/nope", "/api/v1/postbox/nope", "/healthz/nope"] {
        let r = b.get(&format!("{}{path}", relay.url)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
        assert_eq!(r.json()["error"], "not_found", "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
    }
    for path in ["/api/v2/session", "/api", "/api/nope"] {
        let r = b.get(&format!("{}{path}", relay.url)).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.body);
        assert_eq!(r.json()["error"], "api_version", "{path}");
    }
    let r = b.get(&format!("{}/healthz", relay.url)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    // Personal API answers stay no-store.
    let r = b.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(r.json()["loggedIn"], false);
    assert_eq!(r.headers["cache-control"], "no-store");
    // Only GET and HEAD reach the app.
    let r = b
        .send(
            reqwest::Method::POST,
            &format!("{}/antrag/123", relay.url),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers["allow"], "GET, HEAD");
}

#[tokio::test]
async fn without_a_built_app_the_api_still_works() {
    let relay = relay().await;
    let (status, headers, _) = get(&format!("{}/", relay.url), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(h(&headers, "content-security-policy").contains("connect-src 'self';"));
    let (status, _, _) = get(&format!("{}/healthz", relay.url), &[]).await;
    assert_eq!(status, StatusCode::OK);
}
