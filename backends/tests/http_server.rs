//! The stand-in server as a whole: static app, config, health, security
//! headers, JSON errors. Runs against a temporary data dir and a small dist.

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use backends::{app, AppState, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct TestSite {
    _dir: tempfile::TempDir,
    router: Router,
}

const INDEX: &str = r#"<!DOCTYPE html><html lang="de"><head>
<link rel="stylesheet" href="/kern.min-0123456789abcdef.css" integrity="sha384-x"/>
<script type="module">import init from '/buergeramt-0123456789abcdef.js';await init();</script>
</head><body></body></html>"#;

fn site() -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(
        dist.join("buergeramt-0123456789abcdef_bg.wasm"),
        b"\0asm".repeat(500),
    )
    .unwrap();
    std::fs::write(
        dist.join("kern.min-0123456789abcdef.css"),
        "body{color:#000}".repeat(100),
    )
    .unwrap();
    let config = Config::for_tests(dir.path().join("data"), dist);
    let state = AppState::open(config).unwrap();
    TestSite {
        router: app(state).unwrap(),
        _dir: dir,
    }
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
async fn index_has_csp_allowing_only_the_loader_hash() {
    let s = site();
    let (status, headers, body) = send(&s.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("<html"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    // The hash of exactly the inline loader.
    use base64::Engine;
    use sha2::Digest;
    let loader = "import init from '/buergeramt-0123456789abcdef.js';await init();";
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test]
async fn unknown_app_paths_fall_back_to_index_html() {
    let s = site();
    for path in [
        "/hilfe",
        "/leistungen/99085001012000",
        "/irgendwas/tief/drin",
    ] {
        let (status, headers, _) = send(&s.router, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    // A missing file with an extension is a real 404, not the app.
    let (status, _, _) = send(&s.router, get("/buergeramt-ffffffffffffffff.js")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_prefixes_answer_json_404_not_the_app() {
    let s = site();
    for path in [
        "/pvog/nope",
        "/idp/nope",
        "/fitconnect/nope",
        "/zbp/nope",
        "/behoerde/nope",
        "/zbp",
    ] {
        let (status, headers, body) = send(&s.router, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{path}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "not_found");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_compressed_by_accept_encoding() {
    let s = site();
    let path = "/buergeramt-0123456789abcdef_bg.wasm";
    let req = Request::get(path)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&s.router, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut plain).unwrap();
    assert_eq!(plain, b"\0asm".repeat(500));

    let req = Request::get(path)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&s.router, req).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");

    let (_, headers, body) = send(&s.router, get(path)).await;
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(body.len(), 2000);
}

#[tokio::test]
async fn etag_revalidation_answers_304() {
    let s = site();
    let (_, headers, _) = send(&s.router, get("/")).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let req = Request::get("/")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&s.router, req).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
}

#[tokio::test]
async fn config_json_and_healthz() {
    let s = site();
    let (status, headers, body) = send(&s.router, get("/config.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["client_id"], "buergeramt-app");
    assert_eq!(v["pvog"], "http://127.0.0.1:8080/pvog");
    assert_eq!(
        v["redirect_uri"],
        "http://127.0.0.1:8080/anmelden/rueckkehr"
    );

    let (status, _, body) = send(&s.router, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], true);
}

#[tokio::test]
async fn writes_to_the_app_are_refused_with_json() {
    let s = site();
    let req = Request::post("/hilfe").body(Body::from("x")).unwrap();
    let (status, headers, body) = send(&s.router, req).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, HEAD");
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "method_not_allowed");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = site();
    let big = vec![b'a'; 31 * 1024 * 1024];
    let req = Request::post("/zbp/x")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let (status, _, _) = send(&s.router, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || Config::for_tests(dir.path().join("data"), dir.path().join("no-dist"));
    {
        let state = AppState::open(cfg()).unwrap();
        state
            .db
            .migrate("persist", &["CREATE TABLE p (v TEXT);"])
            .unwrap();
        state
            .db
            .call(|c| c.execute("INSERT INTO p (v) VALUES (?1)", ["bleibt"]))
            .await
            .unwrap();
    }
    let state = AppState::open(cfg()).unwrap();
    let v: String = state
        .db
        .call(|c| c.query_row("SELECT v FROM p", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(v, "bleibt");
    // Without a built app, pages say how to build it instead of failing.
    let router = app(state).unwrap();
    let (status, _, body) = send(&router, get("/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8(body).unwrap().contains("make run"));
}
