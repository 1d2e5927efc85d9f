//! `App` as a router's fallback: the SPA fallback, caching, encodings, the
//! paths that are not the app, and the security headers on every answer.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use http_body_util::BodyExt;
use site::{App, NotApp, Origins};
use tower::ServiceExt;

const INDEX: &str =
    "<!DOCTYPE html><html><head><script>document.documentElement.dataset.x=1</script>\
<script type=\"module\" src=\"/app-0123456789abcdef.js\"></script></head><body></body></html>";

fn app(dist: &std::path::Path) -> Router {
    let not_app = NotApp::new(&["/api", "/healthz"], || {
        (StatusCode::NOT_FOUND, "not the app").into_response()
    });
    let app = App::load(dist, not_app, Origins::same_origin()).unwrap();
    Router::new().fallback_service(app.service())
}

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn serves_the_app_with_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(
        dir.path().join("app-0123456789abcdef.js"),
        "let a = 1;\n".repeat(100),
    )
    .unwrap();
    let router = app(dir.path());

    let (status, h, body) = send(&router, get("/antrag/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, INDEX.as_bytes());
    assert_eq!(h[header::CACHE_CONTROL], "no-cache");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");

    let (status, h, _) = send(
        &router,
        Request::get("/app-0123456789abcdef.js")
            .header(header::ACCEPT_ENCODING, "gzip, br")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "br");
    assert!(h[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));

    for path in ["/api", "/api/v1/x", "/healthz/x"] {
        let (status, h, body) = send(&router, get(path)).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::NOT_FOUND, &b"not the app"[..]),
            "{path}"
        );
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    }
    let (status, h, _) = send(&router, get("/app-ffffffffffffffff.js")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    let (status, h, _) = send(&router, Request::post("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(h[header::ALLOW], "GET, HEAD");
}

#[tokio::test]
async fn a_missing_dist_is_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let router = app(&dir.path().join("nothing-here"));
    let (status, h, _) = send(&router, get("/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
}
