//! The push service stand-in (`/push`, issue #24): Web Push messages made
//! by an independent sender (the `web-push` crate: `ece` encryption,
//! jwt-simple VAPID) are accepted, stored and decrypt with the
//! subscription's keys (`backends::push::ece`, OpenSSL); VAPID and the
//! `aes128gcm` shape are checked like a push service does; gone and
//! unknown subscriptions answer 410 and 404; nothing answers off loopback.

mod push_common;
mod support;
use push_common::*;
use support::fitconnect::open;

use axum::http::{header, Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::net::SocketAddr;

#[tokio::test]
async fn a_web_push_message_is_accepted_kept_and_decrypts_with_the_subscriptions_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let vapid = keys();
    let (id, endpoint) = subscribe(&app, &vapid).await;
    let ua = agent();
    let text = "Sie haben eine neue Nachricht im Bürgeramt-Postfach.";
    let (headers, body) = web_push(&endpoint, &ua, &vapid, text.as_bytes());
    let r = post_message(&app, &endpoint, &headers, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
    assert!(
        location.starts_with(&format!("{ORIGIN}/push/v1/messages/")),
        "{location}"
    );
    assert_eq!(r.headers.get("ttl").unwrap(), "3600");

    let got = local(
        &app,
        Method::GET,
        &format!("/push/v1/subscriptions/{id}/messages"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let v = got.json();
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m["headers"]["contentEncoding"], "aes128gcm");
    assert_eq!(m["headers"]["ttl"], 3600);
    assert_eq!(m["headers"]["urgency"], "high");
    assert!(m["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("vapid t="));
    assert!(m["receivedAt"].as_str().unwrap().ends_with('Z'));
    let stored = URL_SAFE_NO_PAD.decode(m["body"].as_str().unwrap()).unwrap();
    assert_eq!(stored, body, "the raw body is kept as it came");
    assert!(
        !String::from_utf8_lossy(&stored).contains("Nachricht"),
        "encrypted"
    );

    // The user agent's side, as a function and as the e2e's route.
    let plain = backends::push::ece::decrypt(&stored, &ua.keys.d, &ua.auth).unwrap();
    assert_eq!(plain, text.as_bytes());
    let r = local(
        &app,
        Method::POST,
        "/push/v1/decrypt",
        &[("content-type", "application/json".into())],
        json!({"message": m["body"], "privateKey": b64(&ua.keys.d), "auth": b64(&ua.auth)})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["plaintext"], text);

    // Another subscription's keys (or a wrong auth secret) do not decrypt it.
    let other = agent();
    assert_eq!(
        backends::push::ece::decrypt(&stored, &other.keys.d, &ua.auth),
        Err(backends::push::ece::EceError::Decrypt)
    );
    assert_eq!(
        backends::push::ece::decrypt(&stored, &ua.keys.d, &other.auth),
        Err(backends::push::ece::EceError::Decrypt)
    );
    let r = local(
        &app,
        Method::POST,
        "/push/v1/decrypt",
        &[("content-type", "application/json".into())],
        json!({"message": m["body"], "privateKey": b64(&ua.keys.d), "auth": b64(&other.auth)})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

#[tokio::test]
async fn vapid_is_checked_like_a_push_service() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let vapid = keys();
    let (id, endpoint) = subscribe(&app, &vapid).await;
    let ua = agent();
    let (headers, body) = web_push(&endpoint, &ua, &vapid, b"x");
    let good =
        json!({"aud": ORIGIN, "exp": now() + 3600, "sub": "mailto:betrieb@buergeramt.example"});
    let stranger = keys();
    let claims = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    let cases: Vec<(&str, Option<String>, StatusCode)> = vec![
        (
            "our own token",
            Some(vapid_header(&vapid, &vapid.public, good.clone())),
            StatusCode::CREATED,
        ),
        (
            "https sub",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["sub"] = json!("https://buergeramt.example/kontakt")),
            )),
            StatusCode::CREATED,
        ),
        ("missing", None, StatusCode::UNAUTHORIZED),
        (
            "bearer",
            Some("Bearer abc".into()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no k",
            Some(
                vapid_header(&vapid, &vapid.public, good.clone())
                    .split(", k=")
                    .next()
                    .unwrap()
                    .to_string(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "valid, but another key",
            Some(vapid_header(&stranger, &stranger.public, good.clone())),
            StatusCode::FORBIDDEN,
        ),
        (
            "signed by another key than k",
            Some(vapid_header(&stranger, &vapid.public, good.clone())),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "expired",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["exp"] = json!(now() - 1)),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "more than 24 h",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["exp"] = json!(now() + 25 * 3600)),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no exp",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "aud without the port",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["aud"] = json!("http://127.0.0.1")),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "aud of another service",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["aud"] = json!("https://fcm.googleapis.com")),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no aud",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| {
                    c.as_object_mut().unwrap().remove("aud");
                }),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "sub not a URL",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["sub"] = json!("betrieb@buergeramt.example")),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "sub http",
            Some(vapid_header(
                &vapid,
                &vapid.public,
                claims(&|c| c["sub"] = json!("http://buergeramt.example")),
            )),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    let mut accepted = 0;
    for (what, auth, want) in cases {
        let h = with(&headers, "authorization", auth);
        let r = post_message(&app, &endpoint, &h, body.clone()).await;
        assert_eq!(r.status, want, "{what}: {}", r.body);
        if want == StatusCode::CREATED {
            accepted += 1;
        } else {
            // autopush's error shape, which web-push reads.
            let v = r.json();
            assert_eq!(v["code"], want.as_u16(), "{what}");
            assert!(
                v["errno"].is_number() && v["message"].is_string(),
                "{what}: {v}"
            );
        }
        if want == StatusCode::UNAUTHORIZED {
            assert_eq!(
                r.headers.get(header::WWW_AUTHENTICATE).unwrap(),
                "vapid",
                "{what}"
            );
        }
    }
    // A token of HS256 (not ES256) is refused too.
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(b"k"),
    )
    .unwrap();
    let h = with(
        &headers,
        "authorization",
        Some(format!("vapid t={hs}, k={}", b64(&vapid.public))),
    );
    assert_eq!(
        post_message(&app, &endpoint, &h, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );

    let got = local(
        &app,
        Method::GET,
        &format!("/push/v1/subscriptions/{id}/messages"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(
        got.json()["messages"].as_array().unwrap().len(),
        accepted,
        "only accepted messages are kept"
    );
}

#[tokio::test]
async fn the_payload_encoding_and_headers_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let vapid = keys();
    let (_, endpoint) = subscribe(&app, &vapid).await;
    let ua = agent();
    let (headers, body) = web_push(&endpoint, &ua, &vapid, b"Sie haben eine neue Nachricht.");
    let mut bad_rs = body.clone();
    bad_rs[16..20].copy_from_slice(&17u32.to_be_bytes());
    let mut small_rs = body.clone();
    small_rs[16..20].copy_from_slice(&20u32.to_be_bytes());
    let mut no_keyid = body[..21].to_vec();
    no_keyid[20] = 0;
    no_keyid.extend_from_slice(&body[21 + 65..]);
    let mut bad_point = body.clone();
    for b in &mut bad_point[22..86] {
        *b = 7;
    }
    let mut no_point = body.clone();
    no_point[21] = 0x02;
    let cases: Vec<(&str, Headers, Vec<u8>, StatusCode)> = vec![
        (
            "as sent",
            headers.clone(),
            body.clone(),
            StatusCode::CREATED,
        ),
        (
            "no TTL",
            with(&headers, "ttl", None),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "TTL not a number",
            with(&headers, "ttl", Some("eine Stunde".into())),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "TTL 0",
            with(&headers, "ttl", Some("0".into())),
            body.clone(),
            StatusCode::CREATED,
        ),
        (
            "no Content-Encoding",
            with(&headers, "content-encoding", None),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "aesgcm",
            with(&headers, "content-encoding", Some("aesgcm".into())),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad Urgency",
            with(&headers, "urgency", Some("sofort".into())),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "Topic",
            with(&headers, "topic", Some("postfach".into())),
            body.clone(),
            StatusCode::CREATED,
        ),
        (
            "bad Topic",
            with(&headers, "topic", Some("neue Nachricht".into())),
            body.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "shorter than the header",
            headers.clone(),
            body[..20].to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        ("rs 17", headers.clone(), bad_rs, StatusCode::BAD_REQUEST),
        (
            "record longer than rs",
            headers.clone(),
            small_rs,
            StatusCode::BAD_REQUEST,
        ),
        (
            "no key id",
            headers.clone(),
            no_keyid,
            StatusCode::BAD_REQUEST,
        ),
        (
            "key id not on the curve",
            headers.clone(),
            bad_point,
            StatusCode::BAD_REQUEST,
        ),
        (
            "key id not uncompressed",
            headers.clone(),
            no_point,
            StatusCode::BAD_REQUEST,
        ),
        (
            "record without a tag",
            headers.clone(),
            body[..86 + 10].to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "4097 bytes",
            with(&headers, "content-length", None),
            vec![0u8; 4097],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "no payload at all",
            with(
                &with(&headers, "content-encoding", None),
                "content-length",
                None,
            ),
            vec![],
            StatusCode::CREATED,
        ),
    ];
    for (what, h, b, want) in cases {
        let h = with(&h, "content-length", Some(b.len().to_string()));
        let r = post_message(&app, &endpoint, &h, b).await;
        assert_eq!(r.status, want, "{what}: {}", r.body);
    }
    // Announced too large: refused before the body is read.
    let h = with(&headers, "content-length", Some("5000".into()));
    let r = post_message(&app, &endpoint, &h, vec![0u8; 5000]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["errno"], 104);
}

#[tokio::test]
async fn gone_subscriptions_answer_410_and_unknown_ones_404() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let vapid = keys();
    let (id, endpoint) = subscribe(&app, &vapid).await;
    let ua = agent();
    let (headers, body) = web_push(&endpoint, &ua, &vapid, b"eins");
    assert_eq!(
        post_message(&app, &endpoint, &headers, body.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let d = local(
        &app,
        Method::DELETE,
        &format!("/push/v1/subscriptions/{id}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.body);
    let r = post_message(&app, &endpoint, &headers, body.clone()).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
    assert_eq!(r.json()["code"], 410);
    // What arrived before stays readable, and says the subscription is gone.
    let got = local(
        &app,
        Method::GET,
        &format!("/push/v1/subscriptions/{id}/messages"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["subscription"]["gone"], true);
    assert_eq!(got.json()["messages"].as_array().unwrap().len(), 1);

    let unknown = format!("{ORIGIN}/push/v1/send/unbekannt");
    assert_eq!(
        post_message(&app, &unknown, &headers, body).await.status,
        StatusCode::NOT_FOUND
    );
    for (m, uri) in [
        (Method::DELETE, "/push/v1/subscriptions/unbekannt"),
        (Method::GET, "/push/v1/subscriptions/unbekannt/messages"),
    ] {
        assert_eq!(
            local(&app, m, uri, &[], vec![]).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    // A subscription needs a real P-256 key.
    let r = local(
        &app,
        Method::POST,
        "/push/v1/subscriptions",
        &[("content-type", "application/json".into())],
        json!({"applicationServerKey": b64(&[4u8; 65])})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn nothing_answers_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let vapid = keys();
    let (id, endpoint) = subscribe(&app, &vapid).await;
    let ua = agent();
    let (headers, body) = web_push(&endpoint, &ua, &vapid, b"x");
    let h: Vec<(&str, String)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let json_h = [("content-type", "application/json".to_string())];
    let routes: Vec<(Method, String, &Pairs, Body8)> = vec![
        (
            Method::POST,
            "/push/v1/subscriptions".into(),
            &json_h,
            json!({"applicationServerKey": b64(&vapid.public)})
                .to_string()
                .into_bytes(),
        ),
        (Method::POST, path_of(&endpoint), &h, body.clone()),
        (
            Method::GET,
            format!("/push/v1/subscriptions/{id}/messages"),
            &[],
            vec![],
        ),
        (
            Method::POST,
            "/push/v1/decrypt".into(),
            &json_h,
            b"{}".to_vec(),
        ),
        (
            Method::DELETE,
            format!("/push/v1/subscriptions/{id}"),
            &[],
            vec![],
        ),
        (Method::GET, "/mail".into(), &[], vec![]),
        (Method::GET, "/mail/api/messages".into(), &[], vec![]),
        (Method::GET, "/mail/static/mail.css".into(), &[], vec![]),
    ];
    for (m, uri, hs, b) in &routes {
        for peer in [
            None,
            Some("192.0.2.7:443"),
            Some("[2001:db8::1]:443"),
            Some("[::ffff:192.0.2.7]:443"),
        ] {
            let r = from(&app, peer, m.clone(), uri, hs, b.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{m} {uri} from {peer:?}: {}",
                r.body
            );
        }
    }
    // Nothing was changed by them: the subscription is still there, empty.
    let got = from(
        &app,
        Some("[::1]:1234"),
        Method::GET,
        &format!("/push/v1/subscriptions/{id}/messages"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["subscription"]["gone"], false);
    assert!(got.json()["messages"].as_array().unwrap().is_empty());
}

/// Through a real server (peer addresses from the socket, as `main.rs`
/// serves): a loopback client is answered.
#[tokio::test]
async fn a_real_loopback_client_is_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /push/v1/subscriptions/unbekannt/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 404"), "{out}");
    server.abort();
}
