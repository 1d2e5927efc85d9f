//! Operations: `check-config` (the binary, against the stand-in and against
//! broken configurations), the TLS certificate check against a listener
//! with certificates made here, `/readyz` and `/metrics`.

mod support;

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::Duration;

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use relay::ops::check::Level;
use relay::ops::tls;
use reqwest::{Method, StatusCode};
use support::{relay, relay_with, stand_in, Browser};

const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";

/// A port nobody listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `buergeramt-relay check-config` with the stand-in's configuration and `vars`.
fn check_config(vars: &[(&str, &str)]) -> (Output, String) {
    let s = stand_in();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_buergeramt-relay"));
    cmd.arg("check-config");
    for (k, _) in std::env::vars() {
        if k.starts_with("RELAY_") || k == "PORT" {
            cmd.env_remove(k);
        }
    }
    cmd.env("RELAY_UPSTREAM", &s.url)
        .env("RELAY_DATA", dir.path().join("relay"))
        .env("RELAY_PUBLIC_URL", "http://127.0.0.1:8080")
        .env("RELAY_SMTP_URL", &s.smtp_url);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the relay binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for secret in [
        relay::config::DEV_OIDC_SECRET,
        relay::config::DEV_SENDER_SECRET,
        "0123456789abcdef-never-printed",
    ] {
        assert!(!all.contains(secret), "a secret was printed:\n{all}");
    }
    (out, stdout)
}

fn wait_for_stand_in() {
    let url = format!("{}/healthz", stand_in().url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..600 {
            if let Ok(r) = reqwest::get(&url).await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the stand-in did not come up");
    });
}

#[test]
fn check_config_against_the_stand_in_is_all_ok() {
    wait_for_stand_in();
    let (out, text) = check_config(&[]);
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let (summary, checks) = lines.split_last().unwrap();
    assert!(summary.ends_with(" 0 WARN, 0 FAIL"), "{text}");
    for l in checks {
        assert!(l.starts_with("OK  "), "not OK: {l}\n{text}");
    }
    for name in [
        "configuration",
        "public_url",
        "identity secret",
        "data_dir",
        "database",
        "identity discovery",
        "identity features",
        "identity jwks",
        "identity client",
        "pvog token",
        "pvog api",
        "zbp token",
        "zbp api",
        "fitconnect token",
        "fitconnect api",
    ] {
        assert!(
            checks.iter().any(|l| l[6..].starts_with(name)),
            "no check {name}:\n{text}"
        );
    }
    assert!(text.contains("authorization_response_iss_parameter_supported"));
}

#[test]
fn check_config_fails_for_an_unreachable_upstream() {
    wait_for_stand_in();
    let token_url = format!("http://127.0.0.1:{}/idp/token", closed_port());
    let (out, text) = check_config(&[("RELAY_PVOG_TOKEN_URL", &token_url)]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains("pvog token"))
        .unwrap_or_else(|| panic!("no FAIL for pvog's token:\n{text}"));
    assert!(line.contains("cannot connect"), "{line}");
    assert!(
        text.contains("OK    zbp token"),
        "the others still pass:\n{text}"
    );
}

#[test]
fn check_config_refuses_dev_secrets_for_remote_upstreams_and_bad_files() {
    wait_for_stand_in();
    let (out, text) = check_config(&[
        (
            "RELAY_FITCONNECT_TOKEN_URL",
            "https://fitconnect.invalid/token",
        ),
        (
            "RELAY_FITCONNECT_CLIENT_SECRET",
            relay::config::DEV_SENDER_SECRET,
        ),
        ("RELAY_PUBLIC_URL", "http://buergeramt.example"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("fitconnect secret")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("WARN") && l.contains("public_url")),
        "{text}"
    );
    // A file whose error would quote a secret, and a short metrics token.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.toml");
    std::fs::write(
        &file,
        "[pvog]\nclient_secret = 0123456789\nscope = \"0123456789abcdef-never-printed\"\n",
    )
    .unwrap();
    let (out, text) = check_config(&[("RELAY_CONFIG", file.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("FAIL  configuration"), "{text}");
    assert!(
        !text.contains("0123456789\n") && !text.contains("= 0123456789"),
        "{text}"
    );
    let (out, text) = check_config(&[("RELAY_METRICS_TOKEN", "short")]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("RELAY_METRICS_TOKEN"), "{text}");
    let (out, text) = check_config(&[("RELAY_LOG_FORMAT", "xml")]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  log format"), "{text}");
    let (out, text) = check_config(&[("RELAY_LOG_FORMAT", "json")]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("OK    log format          JSON lines"),
        "{text}"
    );
}

// ------------------------------------------------------------ TLS

fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn name(cn: &str) -> openssl::x509::X509Name {
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", cn).unwrap();
    n.build()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A CA and its key.
fn ca() -> (X509, PKey<Private>) {
    let k = key();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name("Test CA")).unwrap();
    b.set_issuer_name(&name("Test CA")).unwrap();
    b.set_pubkey(&k).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now() - 86_400 * 400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1000).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.sign(&k, MessageDigest::sha256()).unwrap();
    (b.build(), k)
}

/// A server certificate for `ip` (or a DNS name), valid until `days` from now.
fn leaf(ca: &(X509, PKey<Private>), san_ip: Option<&str>, days: i64) -> (X509, PKey<Private>) {
    let k = key();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name("upstream")).unwrap();
    b.set_issuer_name(ca.0.subject_name()).unwrap();
    b.set_pubkey(&k).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now() - 86_400 * 300).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now() + 86_400 * days + 3600).unwrap())
        .unwrap();
    let mut san = SubjectAlternativeName::new();
    match san_ip {
        Some(ip) => san.ip(ip),
        None => san.dns("other.example"),
    };
    let san = san.build(&b.x509v3_context(Some(&ca.0), None)).unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca.1, MessageDigest::sha256()).unwrap();
    (b.build(), k)
}

/// A TLS listener on loopback serving `cert`; returns its port.
fn tls_listener(cert: (X509, PKey<Private>)) -> u16 {
    let mut a = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    a.set_certificate(&cert.0).unwrap();
    a.set_private_key(&cert.1).unwrap();
    let acceptor = a.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            if let Ok(mut tls) = acceptor.accept(s) {
                let _ = tls.shutdown();
            }
        }
    });
    port
}

#[test]
fn tls_check_reads_validity_and_expiry_of_the_peer_certificate() {
    let ca = ca();
    let trusting = {
        let mut b = tls::connector_builder().unwrap();
        b.cert_store_mut().add_cert(ca.0.clone()).unwrap();
        b.build()
    };
    let t = Duration::from_secs(5);
    let check = |port: u16, c: &openssl::ssl::SslConnector| tls::check("127.0.0.1", port, c, t);

    let fine = tls_listener(leaf(&ca, Some("127.0.0.1"), 400));
    let (l, text) = check(fine, &trusting);
    assert_eq!(l, Level::Ok, "{text}");
    assert!(text.contains("(400 days)"), "{text}");

    let soon = tls_listener(leaf(&ca, Some("127.0.0.1"), 10));
    let (l, text) = check(soon, &trusting);
    assert_eq!(l, Level::Warn, "{text}");
    assert!(text.contains("in 10 days"), "{text}");

    let expired = tls_listener(leaf(&ca, Some("127.0.0.1"), -3));
    let (l, text) = check(expired, &trusting);
    assert_eq!(l, Level::Fail, "{text}");
    assert!(text.contains("expired"), "{text}");

    let other_name = tls_listener(leaf(&ca, None, 400));
    let (l, text) = check(other_name, &trusting);
    assert_eq!(l, Level::Fail, "a certificate for another host: {text}");

    let system_roots = tls::connector_builder().unwrap().build();
    let (l, text) = check(fine, &system_roots);
    assert_eq!(l, Level::Fail, "an unknown CA: {text}");
    assert!(text.starts_with("not valid:"), "{text}");

    let (l, text) = check(closed_port(), &trusting);
    assert_eq!(l, Level::Fail, "{text}");
    assert!(text.starts_with("cannot connect"), "{text}");
}

// ------------------------------------------------------------ readyz, metrics

async fn get(url: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Polls `/readyz` until it is 200 (at most a minute).
async fn ready(url: &str) -> serde_json::Value {
    for _ in 0..600 {
        let (status, body) = get(&format!("{url}/readyz"), None).await;
        if status == StatusCode::OK {
            return serde_json::from_str(&body).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never became ready");
}

fn value_of(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn readyz_is_200_once_the_catalogue_and_the_provider_are_known() {
    let r = relay().await;
    let v = ready(&r.url).await;
    assert_eq!(v["status"], "ready");
    assert_eq!(v["database"], true);
    assert_eq!(v["catalogue"], true);
    assert_eq!(v["identityProvider"], true);
    let (status, body) = get(&format!("{}/healthz", r.url), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let (status, _) = get(&format!("{}/metrics", r.url), Some(METRICS_TOKEN)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no token configured, no metrics"
    );
}

#[tokio::test]
async fn readyz_is_503_and_metrics_count_errors_when_upstreams_are_down() {
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let r = relay_with(|c| {
        c.pvog.base_url = format!("{closed}/pvog");
        c.identity.issuer = format!("{closed}/idp");
        c.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await;
    let (status, body) = get(&format!("{}/readyz", r.url), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "not_ready");
    assert_eq!(v["database"], true);
    assert_eq!(v["catalogue"], false);
    assert_eq!(v["identityProvider"], false);
    let url = format!("{}/metrics", r.url);
    for _ in 0..300 {
        let (_, m) = get(&url, Some(METRICS_TOKEN)).await;
        if value_of(&m, "relay_upstream_errors_total{upstream=\"pvog\"}").unwrap_or(0.0) >= 1.0 {
            let unreachable =
                "relay_upstream_requests_total{upstream=\"pvog\",outcome=\"unreachable\"}";
            assert!(value_of(&m, unreachable).unwrap() >= 1.0, "{m}");
            assert_eq!(
                value_of(&m, "relay_upstream_errors_total{upstream=\"zbp\"}"),
                Some(0.0)
            );
            let ready503 =
                "relay_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"5xx\"}";
            assert_eq!(value_of(&m, ready503), Some(1.0), "{m}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the failed catalogue crawl was never counted");
}

#[tokio::test]
async fn metrics_need_the_token_and_name_route_templates_only() {
    let r = relay_with(|c| c.metrics_token = Some(METRICS_TOKEN.into())).await;
    ready(&r.url).await;
    let url = format!("{}/metrics", r.url);
    assert_eq!(get(&url, None).await.0, StatusCode::NOT_FOUND);
    let wrong = format!("{METRICS_TOKEN}x");
    assert_eq!(get(&url, Some(&wrong)).await.0, StatusCode::NOT_FOUND);
    let mut b = Browser::new();
    let personal = format!("{}/api/v1/sessions/raw-id-4711", r.url);
    assert_eq!(
        b.api(Method::DELETE, &personal).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.api(Method::DELETE, &personal).await.status,
        StatusCode::UNAUTHORIZED
    );
    let old = b
        .api(Method::GET, &format!("{}/api/v2/whatever-4711", r.url))
        .await;
    assert_eq!(old.status, StatusCode::CONFLICT);
    b.get(&format!("{}/antrag/4711?ort=4711", r.url)).await;
    let (status, m) = get(&url, Some(METRICS_TOKEN)).await;
    eprintln!("{m}");
    assert_eq!(status, StatusCode::OK);
    // Names and labels only: a sample's value (the uptime 2.211471151
    // once) may hold any digits.
    let named: Vec<&str> = m
        .lines()
        .map(|l| match l.starts_with('#') {
            true => l,
            false => l.rsplit_once(' ').map_or(l, |(name, _)| name),
        })
        .collect();
    assert!(
        !named.iter().any(|l| l.contains("4711")),
        "a raw path leaked into the metrics:\n{m}"
    );
    let sessions = "relay_http_requests_total{method=\"DELETE\",route=\"/api/v1/sessions/{id}\",status=\"4xx\"}";
    assert_eq!(value_of(&m, sessions), Some(2.0), "{m}");
    let count = "relay_http_request_duration_seconds_count{method=\"DELETE\",route=\"/api/v1/sessions/{id}\"}";
    assert_eq!(value_of(&m, count), Some(2.0), "{m}");
    assert!(
        m.contains("route=\"(api unmatched)\",status=\"4xx\"}"),
        "{m}"
    );
    assert!(m.contains("route=\"(app)\""), "{m}");
    let pvog_ok = "relay_upstream_requests_total{upstream=\"pvog\",outcome=\"2xx\"}";
    assert!(
        value_of(&m, pvog_ok).unwrap() >= 1.0,
        "the catalogue crawl: {m}"
    );
    assert!(value_of(&m, "relay_uptime_seconds").unwrap() > 0.0);
    let line = m
        .lines()
        .find(|l| l.starts_with("# TYPE relay_http_requests_total"));
    assert_eq!(line, Some("# TYPE relay_http_requests_total counter"));
}
