//! The authority console on a site of its own (`BUERGERAMT_CONSOLE_URL`):
//! the app's host sends console paths there, the console's host serves
//! nothing else, and the redirects carry the security headers.

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use backends::{app, AppState, Config};
use tower::ServiceExt;

fn server(dir: &std::path::Path) -> Router {
    let mut config = Config::for_tests(dir.join("data"), dir.join("no-dist"));
    config.console_url = Some("http://localhost:8080".into());
    app(AppState::open(config).unwrap()).unwrap()
}

async fn ask(
    app: &Router,
    method: Method,
    host: &str,
    path: &str,
) -> (StatusCode, Option<String>, bool) {
    let r = app
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, host)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    let location = r
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    let framed = r.headers().contains_key(header::X_FRAME_OPTIONS);
    (r.status(), location, framed)
}

#[tokio::test]
async fn the_console_and_the_app_answer_only_on_their_own_host() {
    let dir = tempfile::tempdir().unwrap();
    let app = server(dir.path());
    let (app_host, console_host) = ("127.0.0.1:8080", "localhost:8080");

    // Console paths on the app's host: to the console (GET), refused otherwise.
    let (s, loc, headers) = ask(&app, Method::GET, app_host, "/behoerde/anmelden?x=1").await;
    assert_eq!(s, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        loc.as_deref(),
        Some("http://localhost:8080/behoerde/anmelden?x=1")
    );
    assert!(headers, "redirects carry the security headers");
    let (s, _, _) = ask(&app, Method::POST, app_host, "/behoerde/api/login").await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);

    // The console's own host serves it.
    let (s, _, _) = ask(&app, Method::GET, console_host, "/behoerde/anmelden").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = ask(&app, Method::POST, console_host, "/behoerde/api/login").await;
    assert_ne!(s, StatusCode::MISDIRECTED_REQUEST);

    // Nothing else on the console's host.
    let (s, loc, _) = ask(
        &app,
        Method::GET,
        console_host,
        "/idp/.well-known/openid-configuration",
    )
    .await;
    assert_eq!(s, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        loc.as_deref(),
        Some("http://127.0.0.1:8080/idp/.well-known/openid-configuration")
    );
    let (s, _, _) = ask(&app, Method::POST, console_host, "/idp/token").await;
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);
    let (s, _, _) = ask(&app, Method::GET, console_host, "/healthz").await;
    assert_eq!(s, StatusCode::OK);

    // The app's own paths stay where they are.
    let (s, _, _) = ask(
        &app,
        Method::GET,
        app_host,
        "/idp/.well-known/openid-configuration",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}
