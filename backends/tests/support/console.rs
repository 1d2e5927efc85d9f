//! The authority console's logins, for tests outside `tests/behoerde.rs`.

use super::csrf_of;
use super::fitconnect::{call, post_form, send, Resp};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::json;

pub const CLERK: &str = "sachbearbeitung";
pub const CLERK_PW: &str = "Amt-NRW-2026";

/// The `name=value` part of the response's `Set-Cookie` named `name`.
pub fn cookie_pair(r: &Resp, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
}

/// A GET with an optional `Cookie` header.
pub async fn page(app: &Router, uri: &str, cookie: Option<&str>) -> Resp {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

/// The login form: its `behoerde_login` cookie and CSRF value.
pub async fn login_form(app: &Router) -> (String, String) {
    let p = page(app, "/behoerde/anmelden", None).await;
    assert_eq!(p.status, StatusCode::OK);
    let cookie = cookie_pair(&p, "behoerde_login").expect("login cookie");
    let csrf = csrf_of(&p.body).expect("csrf field");
    (cookie, csrf)
}

/// Submits the console's login form; the raw answer.
pub async fn page_login(app: &Router, user: &str, password: &str) -> Resp {
    let (cookie, csrf) = login_form(app).await;
    post_form(
        app,
        "/behoerde/anmelden",
        Some(&cookie),
        &[("csrf", &csrf), ("username", user), ("password", password)],
    )
    .await
}

/// Logs the test clerk into the console pages; the session cookie pair.
pub async fn console_login(app: &Router) -> String {
    let r = page_login(app, CLERK, CLERK_PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    cookie_pair(&r, "behoerde_session").expect("session cookie")
}

/// `POST /behoerde/api/login`; the raw answer.
pub async fn api_login(app: &Router, user: &str, password: &str) -> Resp {
    call(
        app,
        Method::POST,
        "/behoerde/api/login",
        None,
        &[],
        Some((
            "application/json",
            json!({"username": user, "password": password}).to_string(),
        )),
    )
    .await
}

/// A bearer token of the test clerk for the console's JSON API.
pub async fn api_token(app: &Router) -> String {
    let r = api_login(app, CLERK, CLERK_PW).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_string()
}
