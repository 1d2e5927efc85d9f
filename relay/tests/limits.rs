//! Limits and quotas (issue #18): rates per client address and session
//! (429 with `Retry-After`), `X-Forwarded-For` only from trusted proxies,
//! the citizen's quota of open applications and attachment bytes, and
//! bodies refused before they are read.
//!
//! The tests of this file run one at a time (one of them measures the
//! process's memory while a large body is sent).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const HUND: &str = "99089005001000";
const HILDEN: &str = "051580016016";
const ATT: &str = "0b6c8e52-4d1e-4f3a-9c1b-6a2f0e7d5c11";
const ATT2: &str = "1c7d9f63-5e2f-4a4b-8d2c-7b3f1f8e6d22";
const MIB: usize = 1024 * 1024;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `GET /api/v1/login` from a fresh client (no cookies) with `headers`.
async fn start_login(relay: &Relay, headers: &[(&str, &str)]) -> Resp {
    Browser::new()
        .send(
            Method::GET,
            &format!("{}/api/v1/login?level={L1}", relay.url),
            headers,
            None,
        )
        .await
}

fn assert_limited(r: &Resp, window: u64) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=window).contains(&wait), "Retry-After {wait}");
    assert_eq!(r.json()["error"], "rate_limited");
    assert!(r.json()["message"].as_str().unwrap().contains("warten"));
    assert!(r.json()["messageEn"].as_str().unwrap().contains("wait"));
}

#[tokio::test]
async fn logins_are_limited_per_address_and_a_forged_forwarded_for_changes_nothing() {
    let _one = SERIAL.lock().await;
    let relay = relay_with(|c| c.limits.login_per_ip = 3).await;
    for i in 0..3 {
        let r = start_login(&relay, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {i}: {}", r.body);
    }
    assert_limited(&start_login(&relay, &[]).await, 600);
    // The peer (127.0.0.1) is no trusted proxy: its X-Forwarded-For is
    // not believed, the counted address stays the peer's.
    for forged in ["203.0.113.9", "198.51.100.1, 203.0.113.10"] {
        let r = start_login(&relay, &[("x-forwarded-for", forged)]).await;
        assert_limited(&r, 600);
    }
    // The callback counts in the same bucket.
    let r = Browser::new()
        .get(&format!(
            "{}/api/v1/login/callback?code=x&state=y",
            relay.url
        ))
        .await;
    assert_limited(&r, 600);
    // Other routes are not limited.
    let r = Browser::new()
        .get(&format!("{}/api/v1/session", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let _one = SERIAL.lock().await;
    let relay = relay_with(|c| {
        c.limits.login_per_ip = 2;
        c.limits.trusted_proxies = vec![relay::limits::Cidr::parse("127.0.0.0/8").unwrap()];
    })
    .await;
    let a = [("x-forwarded-for", "203.0.113.7")];
    for _ in 0..2 {
        assert_eq!(start_login(&relay, &a).await.status, StatusCode::SEE_OTHER);
    }
    assert_limited(&start_login(&relay, &a).await, 600);
    // Another client behind the proxy has its own count; what the client
    // itself wrote in front of its address (forged) does not matter.
    let b = [("x-forwarded-for", "203.0.113.7, 198.51.100.20")];
    for _ in 0..2 {
        assert_eq!(start_login(&relay, &b).await.status, StatusCode::SEE_OTHER);
    }
    assert_limited(&start_login(&relay, &b).await, 600);
    // Several proxies: the right-most address that is not one of them.
    let c = [("x-forwarded-for", "203.0.113.7, 198.51.100.30, 127.0.0.9")];
    assert_eq!(start_login(&relay, &c).await.status, StatusCode::SEE_OTHER);
    // The proxy's own requests (no header) count as the proxy.
    assert_eq!(start_login(&relay, &[]).await.status, StatusCode::SEE_OTHER);
}

async fn announce(b: &mut Browser, base: &str, body: &str, key: &str) -> Resp {
    b.send_body(
        Method::POST,
        &format!("{base}/applications?ars={HILDEN}"),
        &[("buergeramt-api", "1"), ("idempotency-key", key)],
        "application/json",
        body.as_bytes().to_vec(),
    )
    .await
}

async fn announcement(b: &mut Browser, base: &str) -> String {
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={HUND}&ars={HILDEN}"
        ))
        .await;
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    json!({
        "destinationId": dest,
        "announcedAttachments": [ATT, ATT2],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
    })
    .to_string()
}

#[tokio::test]
async fn submissions_are_limited_per_session() {
    let _one = SERIAL.lock().await;
    let relay = relay_with(|c| c.limits.submit_per_session = 3).await;
    let base = format!("{}/api/v1", relay.url);
    let mut erika = Browser::new();
    login(&mut erika, &relay, L1, "/", ERIKA).await;
    for i in 0..3 {
        let r = announce(&mut erika, &base, "{}", &format!("k{i}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
    let r = announce(&mut erika, &base, "{}", "k3").await;
    assert_limited(&r, 600);
    // Uploads and submits are in the same bucket.
    let r = erika
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{ATT}/attachments/{ATT2}"),
            &[("buergeramt-api", "1")],
            "application/jose",
            b"a.b.c.d.e".to_vec(),
        )
        .await;
    assert_limited(&r, 600);
    // Another session from the same address is not affected.
    let mut max = Browser::new();
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    let r = announce(&mut max, &base, "{}", "m").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn open_applications_are_a_quota() {
    let _one = SERIAL.lock().await;
    let relay = relay_with(|c| c.limits.open_applications = 2).await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let body = announcement(&mut b, &base).await;
    let mut ids = Vec::new();
    for k in ["q1", "q2"] {
        let r = announce(&mut b, &base, &body, k).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["submissionId"].as_str().unwrap().to_string());
    }
    let r = announce(&mut b, &base, &body, "q3").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "quota_exceeded");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("abgeschickt"));
    assert!(
        r.headers.get("retry-after").is_none(),
        "a quota, not a rate"
    );
    // Another citizen's quota is their own.
    let mut max = Browser::new();
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    let r = announce(&mut max, &base, &body, "m1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Nothing tells Max whether a submission id is Erika's or nobody's.
    let theirs = max.get(&format!("{base}/applications/{}", ids[0])).await;
    let nobody = max.get(&format!("{base}/applications/{ATT}")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!((theirs.status, theirs.body), (nobody.status, nobody.body));
    // A submitted application no longer counts.
    let id = ids[0].clone();
    relay
        .state
        .db
        .call(move |c| relay::records::mark_submitted(c, &id, 1))
        .await
        .unwrap();
    let r = announce(&mut b, &base, &body, "q4").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// The answer to a chunked PUT of `total` bytes, streamed slowly from
/// another thread: status, body, and how much had been sent when the
/// answer arrived. Peak VmRSS growth of this process meanwhile, in KiB.
struct Streamed {
    status: u16,
    body: String,
    sent_before_answer: usize,
    rss_growth_kib: i64,
    rss_before_kib: i64,
}

fn vm_rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn put_chunked(relay_url: &str, path: &str, cookie: Option<&str>, total: usize) -> Streamed {
    let host = relay_url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream
        .set_write_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let cookie = cookie
        .map(|c| format!("cookie: {SESSION_COOKIE}={c}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nhost: {host}\r\nbuergeramt-api: 1\r\n\
         content-type: application/jose\r\ntransfer-encoding: chunked\r\n{cookie}\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let rss_before = vm_rss_kib();
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(vm_rss_kib().max(0) as usize, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let sent = Arc::new(AtomicUsize::new(0));
    let writer = {
        let mut w = stream.try_clone().unwrap();
        let sent = sent.clone();
        std::thread::spawn(move || {
            let chunk = vec![b'a'; 64 * 1024];
            while sent.load(Ordering::Relaxed) < total {
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if w.write_all(&frame).is_err() {
                    return;
                }
                let n = sent.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
                if n.is_multiple_of(MIB) {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
            let _ = w.write_all(b"0\r\n\r\n");
        })
    };
    // The answer: its head, then a body of Content-Length bytes.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut sent_before_answer = None;
    let header_end = loop {
        let n = stream.read(&mut buf).expect("an answer");
        assert!(n > 0, "connection closed without an answer");
        sent_before_answer.get_or_insert(sent.load(Ordering::Relaxed));
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..header_end]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while got.len() < header_end + length {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    Streamed {
        status,
        body: String::from_utf8_lossy(&got[header_end..]).to_string(),
        sent_before_answer: sent_before_answer.unwrap_or(0),
        rss_growth_kib: peak.load(Ordering::Relaxed) as i64 - rss_before,
        rss_before_kib: rss_before,
    }
}

#[tokio::test]
async fn an_unauthenticated_body_is_refused_before_it_is_read() {
    let _one = SERIAL.lock().await;
    let relay = relay().await;
    let path = format!("/api/v1/applications/{ATT}/attachments/{ATT2}");
    let url = relay.url.clone();
    let total = 30 * MIB;
    let r = tokio::task::spawn_blocking(move || put_chunked(&url, &path, None, total))
        .await
        .unwrap();
    eprintln!(
        "unauthenticated 30 MiB upload: answered {} after {} KiB sent; VmRSS {} KiB before, peak growth {} KiB",
        r.status,
        r.sent_before_answer / 1024,
        r.rss_before_kib,
        r.rss_growth_kib
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("login_required"), "{}", r.body);
    assert!(
        r.sent_before_answer < total,
        "answered while the client was still sending ({} of {total})",
        r.sent_before_answer
    );
    // Reading 30 MiB would grow the process by about that much.
    assert!(
        r.rss_growth_kib < 12 * 1024,
        "VmRSS grew by {} KiB",
        r.rss_growth_kib
    );
}

#[tokio::test]
async fn attachment_bytes_are_counted_as_they_pass() {
    let _one = SERIAL.lock().await;
    let relay = relay_with(|c| c.limits.attachment_bytes = 1000).await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let body = announcement(&mut b, &base).await;
    let r = announce(&mut b, &base, &body, "a1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["submissionId"].as_str().unwrap().to_string();
    let upload = |att: &'static str, n: usize| {
        let url = format!("{base}/applications/{id}/attachments/{att}");
        (url, vec![b'a'; n])
    };
    let (u1, b1) = upload(ATT, 600);
    let r = b
        .send_body(
            Method::PUT,
            &u1,
            &[("buergeramt-api", "1")],
            "application/jose",
            b1,
        )
        .await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let (u2, b2) = upload(ATT2, 600);
    let r = b
        .send_body(
            Method::PUT,
            &u2,
            &[("buergeramt-api", "1")],
            "application/jose",
            b2,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"], "quota_exceeded");
    // The same attachment again replaces its bytes; what is left fits.
    let (u1, b1) = upload(ATT, 700);
    let r = b
        .send_body(
            Method::PUT,
            &u1,
            &[("buergeramt-api", "1")],
            "application/jose",
            b1,
        )
        .await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let (u2, b2) = upload(ATT2, 300);
    let r = b
        .send_body(
            Method::PUT,
            &u2,
            &[("buergeramt-api", "1")],
            "application/jose",
            b2,
        )
        .await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let sid = id.clone();
    let counted: i64 = relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM relay_attachment_bytes
                 WHERE submission_id = ?1",
                relay::params![sid],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(counted, 1000, "700 + 300: the replaced 600 no longer count");
    // Without a Content-Length the bytes are counted as they arrive: the
    // answer comes before the client has sent them all.
    let cookie = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    let path = format!("/api/v1/applications/{id}/attachments/{ATT2}");
    let url = relay.url.clone();
    let total = 8 * MIB;
    let r = tokio::task::spawn_blocking(move || put_chunked(&url, &path, Some(&cookie), total))
        .await
        .unwrap();
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("quota_exceeded"), "{}", r.body);
    assert!(r.sent_before_answer < total, "{}", r.sent_before_answer);
}
