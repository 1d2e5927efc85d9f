//! Client-credentials tokens and upstream faults, against a small fake
//! upstream that counts token requests and misbehaves on demand.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use relay::config::Service;
use relay::upstream::Upstream;
use support::*;

#[derive(Clone)]
struct Fake {
    tokens: Arc<AtomicU64>,
    expires_in: u64,
    /// Lets the test hold token answers back, to pile up waiters.
    gate: Arc<tokio::sync::Semaphore>,
}

async fn token(State(f): State<Fake>) -> Response {
    let _permit = f.gate.acquire().await;
    let n = f.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(serde_json::json!({
        "access_token": format!("t{n}"),
        "token_type": "Bearer",
        "expires_in": f.expires_in,
    }))
    .into_response()
}

async fn locations(headers: HeaderMap, Query(q): Query<Vec<(String, String)>>) -> Response {
    let q = q
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match q {
        "fail" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "busy" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "9")], "{}").into_response(),
        "bad" => (StatusCode::OK, "<html>not json").into_response(),
        "slow" => {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            axum::Json(serde_json::json!([])).into_response()
        }
        // The first token "expired" early at the upstream.
        "stale" if auth == "Bearer t1" => StatusCode::UNAUTHORIZED.into_response(),
        _ if auth.starts_with("Bearer t") => {
            axum::Json(serde_json::json!([{"auth": auth}])).into_response()
        }
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn fake(expires_in: u64) -> (String, Fake) {
    let f = Fake {
        tokens: Arc::new(AtomicU64::new(0)),
        expires_in,
        gate: Arc::new(tokio::sync::Semaphore::new(1000)),
    };
    let app = Router::new()
        .route("/token", post(token))
        .route("/v2/locations", get(locations))
        .with_state(f.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, f)
}

fn service(url: &str) -> Service {
    Service {
        base_url: url.into(),
        token_url: format!("{url}/token"),
        client_id: "c".into(),
        client_secret: "s".into(),
        scope: "pvog:read".into(),
    }
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let (url, f) = fake(300).await;
    let up = Upstream::new(service(&url), relay::upstream::http_client(3000).unwrap());
    // Hold the first answer until all callers wait for it.
    let held = f.gate.clone().acquire_many_owned(1000).await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let up = up.clone();
            tokio::spawn(async move { up.token().await })
        })
        .collect();
    tokio::task::yield_now().await;
    drop(held);
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap(), "t1");
    }
    assert_eq!(f.tokens.load(Ordering::SeqCst), 1);
    assert_eq!(up.token().await.unwrap(), "t1", "cached");
    assert_eq!(f.tokens.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    // expires_in at the renewal margin: stale at once, so every call renews.
    let (url, f) = fake(relay::upstream::RENEW_MARGIN.as_secs()).await;
    let up = Upstream::new(service(&url), relay::upstream::http_client(3000).unwrap());
    assert_eq!(up.token().await.unwrap(), "t1");
    assert_eq!(up.token().await.unwrap(), "t2");
    assert_eq!(f.tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let (url, f) = fake(300).await;
    let up = Upstream::new(service(&url), relay::upstream::http_client(3000).unwrap());
    let a = up.get("/v2/locations?q=stale").await.unwrap();
    assert_eq!(a.status, 200);
    assert!(String::from_utf8_lossy(&a.body).contains("Bearer t2"));
    assert_eq!(f.tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn upstream_faults_become_clear_messages() {
    let (url, _f) = fake(300).await;
    let relay = relay_with(|c| {
        c.pvog = service(&url);
        c.upstream_timeout_ms = 500;
    })
    .await;
    let mut b = Browser::new();
    let cases = [
        ("fail", StatusCode::BAD_GATEWAY, "nicht erreichbar"),
        ("bad", StatusCode::BAD_GATEWAY, "nicht erreichbar"),
        ("slow", StatusCode::GATEWAY_TIMEOUT, "nicht rechtzeitig"),
        ("busy", StatusCode::SERVICE_UNAVAILABLE, "ausgelastet"),
    ];
    for (q, status, words) in cases {
        let r = b
            .get(&format!("{}/api/v1/catalogue/locations?q={q}", relay.url))
            .await;
        assert_eq!(r.status, status, "{q}: {}", r.body);
        let j = r.json();
        assert_eq!(j["error"], "upstream", "{q}");
        assert!(j["message"].as_str().unwrap().contains(words), "{q}: {j}");
        assert!(!j["messageEn"].as_str().unwrap().is_empty());
        assert_eq!(
            r.headers["cache-control"], "no-store",
            "errors are not cached"
        );
        if q == "busy" {
            assert_eq!(r.headers["retry-after"], "9");
        }
    }
    let ok = b
        .get(&format!("{}/api/v1/catalogue/locations?q=ok", relay.url))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_client_credentials_are_not_the_citizens_fault() {
    let s = stand_in();
    let relay = relay_with(|c| c.pvog.client_secret = "not-the-secret-at-all".into()).await;
    let mut b = Browser::new();
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/locations?q=Hilden",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(r.json()["error"], "upstream");
    // The stand-in's token endpoint: the sender's credentials work, a wrong
    // secret and the relay's OIDC client do not get service tokens.
    let form = |id: &str, secret: &str| {
        vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".to_string(), id.to_string()),
            ("client_secret".to_string(), secret.to_string()),
        ]
    };
    let http = reqwest::Client::new();
    let post = |f: Vec<(String, String)>| http.post(format!("{}/idp/token", s.url)).form(&f).send();
    let ok = post(form("buergeramt-onlinedienst", "dev-sender-secret"))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let j: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(
        j["scope"],
        "pvog:read fitconnect:send zbp:deliver termine:book payment:create"
    );
    let bad = post(form("buergeramt-onlinedienst", "wrong"))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let relay_client = post(form("buergeramt-relay", "dev-relay-secret"))
        .await
        .unwrap();
    assert_eq!(relay_client.status(), StatusCode::BAD_REQUEST);
    let j: serde_json::Value = relay_client.json().await.unwrap();
    assert_eq!(j["error"], "unauthorized_client");
}

#[tokio::test]
async fn an_unreachable_identity_provider_sends_the_citizen_back_with_a_reason() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let relay = relay_with(|c| c.identity.issuer = format!("http://127.0.0.1:{dead}/idp")).await;
    let mut b = Browser::new();
    let r = b
        .get(&format!(
            "{}/api/v1/login?level=STORK-QAA-Level-3&return=/antrag/1",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/antrag/1?anmeldung=dienst");
    assert_eq!(
        b.cookie(&relay.url, "buergeramt_login"),
        None,
        "no transaction was kept"
    );
}
