//! Shared helpers for the PVOG integration tests: one app per test binary.
#![allow(dead_code)]

use axum::{body::Body, http::Request, Router};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::OnceLock;
use tower::ServiceExt;

pub const KOELN: &str = "053150000000";
pub const HILDEN: &str = "051580016016";

/// The whole server over a temporary data directory, built once per test binary
/// (seeding SQLite and building the search index takes a moment).
pub fn app() -> Router {
    static APP: OnceLock<(tempfile::TempDir, Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config =
            backends::Config::for_tests(dir.path().join("data"), dir.path().join("no-dist"));
        let state = backends::AppState::open(config).unwrap();
        let app = backends::app(state).unwrap();
        (dir, app)
    })
    .1
    .clone()
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// GET `uri`; returns status and parsed JSON body (Null when not JSON).
pub async fn get(uri: &str) -> (u16, Value) {
    let resp = app()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// GET `uri`; returns status and raw body text.
pub async fn get_text(uri: &str) -> (u16, String) {
    let resp = app()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Searches at `ars` with `q` and extra query parameters; asserts 200.
pub async fn search(ars: &str, q: &str, extra: &str) -> Value {
    let (status, body) = get(&format!(
        "/pvog/v7/servicedescriptions/{ars}?q={}{extra}",
        enc(q)
    ))
    .await;
    assert_eq!(status, 200, "search {q:?}: {body}");
    body
}

pub fn ids(page: &Value) -> Vec<String> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn names(page: &Value) -> Vec<String> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}
