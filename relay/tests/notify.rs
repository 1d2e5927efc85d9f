//! Notices outside the app (issue #24) against the stand-in: the settings
//! API, confirm and unsubscribe tokens, Web Push end to end (the stand-in's
//! push service; decrypted as the user agent does), e-mail end to end (its
//! mail sink) with the account-address rule, batching, dedup across
//! passes and instances, 410 and retries.

mod notify_common;
mod support;

use backends::zbp::Status;
use contract::notify::{self as n, Lang, PushPayload};
use notify_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const FROM: &str = "buergeramt@buergeramt.example";

#[tokio::test]
async fn settings_need_a_login_and_check_what_they_get() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut anon = Browser::new();
    let r = anon.get(&format!("{base}/notifications")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &mut anon,
        Method::PUT,
        &format!("{base}/notifications/email"),
        json!({"lang": "de"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let r = b.get(&format!("{base}/notifications")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let s: n::NotificationSettings = serde_json::from_str(&r.body).unwrap();
    assert_eq!(s.email, None);
    assert!(s.push.is_empty());
    assert_eq!(
        s.account_email.as_deref(),
        Some("erika.mustermann@example.org")
    );
    assert_eq!(b64_len(&s.vapid_public_key), 65);

    // Addresses: checked; without the API header refused (CSRF rule).
    let url = format!("{base}/notifications/email");
    let r = call(
        &mut b,
        Method::PUT,
        &url,
        json!({"address": "erika@", "lang": "de"}),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_address"))
    );
    let r = b
        .send_body(
            Method::PUT,
            &url,
            &[],
            "application/json",
            b"{\"lang\":\"de\"}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(&mut b, Method::PUT, &url, json!({"lang": "de", "x": 1})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Push subscriptions: a known push service only, real keys, ≤ 10.
    let a = agent();
    let push = format!("{base}/notifications/push");
    for endpoint in [
        "https://evil.example/fcm/send/1",
        "http://169.254.169.254/latest/meta-data",
        &format!("{}/idp/token", stand_in().url),
    ] {
        let r = add_device(&mut b, &base, endpoint, &a).await;
        assert_eq!(
            r.json()["error"],
            "bad_subscription",
            "{endpoint}: {}",
            r.body
        );
    }
    let fcm = "https://fcm.googleapis.com/fcm/send/sample-1";
    let mut bad = agent();
    bad.auth = b64(&[1u8; 15]);
    assert_eq!(
        add_device(&mut b, &base, fcm, &bad).await.json()["error"],
        "bad_subscription"
    );
    let mut bad = agent();
    bad.p256dh = b64(&[4u8; 65]);
    assert_eq!(
        add_device(&mut b, &base, fcm, &bad).await.json()["error"],
        "bad_subscription"
    );
    let first = add_device(&mut b, &base, fcm, &a).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // The same endpoint again replaces the row.
    let again = add_device(&mut b, &base, fcm, &a).await;
    assert_eq!(again.status, StatusCode::CREATED);
    for i in 2..=n::MAX_DEVICES {
        let r = add_device(
            &mut b,
            &base,
            &format!("https://fcm.googleapis.com/fcm/send/sample-{i}"),
            &agent(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.body);
    }
    let over = add_device(
        &mut b,
        &base,
        "https://web.push.apple.com/sample-11",
        &agent(),
    )
    .await;
    assert_eq!(over.json()["error"], "bad_subscription");
    let s = b.get(&format!("{base}/notifications")).await.json();
    assert_eq!(s["push"].as_array().unwrap().len(), n::MAX_DEVICES);
    let id = again.json()["id"].as_str().unwrap().to_string();
    assert!(s["push"].to_string().contains(&id));
    assert!(!s.to_string().contains(&a.auth), "keys are never shown");

    // Another citizen cannot remove it; its owner can.
    let mut jonas = Browser::new();
    login(
        &mut jonas,
        &relay,
        L1,
        "/",
        How::Password("jonas.schmidt", "Elster-Konto-7"),
    )
    .await;
    let r = jonas.api(Method::DELETE, &format!("{push}/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b.api(Method::DELETE, &format!("{push}/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = b.api(Method::DELETE, &format!("{push}/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn b64_len(s: &str) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
        .len()
}

#[tokio::test]
async fn confirmation_links_are_single_use_and_expire() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let addr = format!("bestaetigen-{}@example.org", &uuid()[..8]);
    let r = call(
        &mut b,
        Method::PUT,
        &format!("{base}/notifications/email"),
        json!({"address": addr, "lang": "en"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["email"]["confirmed"], false);
    assert!(r.json()["email"]["confirmationSentAt"].is_string());
    let mail = mails(&addr, FROM).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["subject"], "Please confirm your e-mail address");
    let text = mail[0]["text"].as_str().unwrap();
    let token = token_after(text, &format!("{}{}#", relay.url, n::CONFIRM_PATH));
    assert!(mail[0]["html"].as_str().unwrap().contains(&token));

    // Another device, no login: confirmed once.
    let mut other = Browser::new();
    let confirm = format!("{base}/notifications/email/confirm");
    let r = call(
        &mut other,
        Method::POST,
        &confirm,
        json!({ "token": token }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["maskedAddress"], n::mask_address(&addr));
    let r = call(
        &mut other,
        Method::POST,
        &confirm,
        json!({ "token": token }),
    )
    .await;
    assert_eq!(r.json()["error"], "bad_token");
    let s = b.get(&format!("{base}/notifications")).await.json();
    assert_eq!(s["email"]["confirmed"], true);
    assert_eq!(s["lang"], "en");

    // A link past its 48 hours does nothing.
    let addr2 = format!("spaet-{}@example.org", &uuid()[..8]);
    call(
        &mut b,
        Method::PUT,
        &format!("{base}/notifications/email"),
        json!({"address": addr2, "lang": "de"}),
    )
    .await;
    let token2 = token_after(
        mails(&addr2, FROM).await[0]["text"].as_str().unwrap(),
        "bestaetigen#",
    );
    relay
        .state
        .db
        .call(|c| {
            c.execute(
                "UPDATE relay_notify_email SET confirm_expires = 1",
                relay::params![],
            )
        })
        .await
        .unwrap();
    let r = call(
        &mut other,
        Method::POST,
        &confirm,
        json!({ "token": token2 }),
    )
    .await;
    assert_eq!(r.json()["error"], "bad_token");
    let r = call(&mut other, Method::POST, &confirm, json!({ "token": "x!" })).await;
    assert_eq!(r.json()["error"], "bad_token");
    // Switching off: one call.
    assert_eq!(
        b.api(Method::DELETE, &format!("{base}/notifications/email"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(b.get(&format!("{base}/notifications")).await.json()["email"].is_null());
}

#[tokio::test]
async fn push_notices_carry_only_the_sentence_batch_and_stop_at_410() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let app = submitted(&relay, &sub).await;
    status(&mailbox, &app, Status::Received).await;
    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let a = agent();
    let (sid, endpoint) = subscribe(&vapid).await;
    let r = add_device(&mut b, &base, &endpoint, &a).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // What was there when push was switched on is no news.
    assert_eq!(run(&relay).await, (0, 0));
    assert!(pushed(&sid).await.is_empty());

    // Two statuses before the next pass: one notice.
    status(&mailbox, &app, Status::Processing).await;
    status(&mailbox, &app, Status::ActionRequired).await;
    assert_eq!(run(&relay).await, (2, 1));
    let got = pushed(&sid).await;
    assert_eq!(got.len(), 1);
    let h = &got[0]["headers"];
    assert_eq!(
        (h["contentEncoding"].as_str(), h["urgency"].as_str()),
        (Some("aes128gcm"), Some("normal"))
    );
    assert_eq!(h["ttl"], 2 * 24 * 3600, "two days");
    assert_eq!(h["topic"], "buergeramt-postfach");
    let plain = decrypt(&a, &got[0]).await;
    assert_eq!(
        plain,
        serde_json::to_string(&PushPayload::notice(Lang::De)).unwrap()
    );
    assert!(!plain.contains("Hundesteuer"));

    // Never twice for the same message.
    assert_eq!(run(&relay).await, (0, 0));
    assert_eq!(pushed(&sid).await.len(), 1);
    let s = b.get(&format!("{base}/notifications")).await.json();
    assert!(s["push"][0]["lastSentAt"].is_string());

    // The subscription is gone at the push service: 410 removes the device.
    reqwest::Client::new()
        .delete(format!("{}/push/v1/subscriptions/{sid}", stand_in().url))
        .send()
        .await
        .unwrap();
    status(&mailbox, &app, Status::Completed).await;
    assert_eq!(run(&relay).await, (1, 1));
    let s = b.get(&format!("{base}/notifications")).await.json();
    assert_eq!(s["push"].as_array().unwrap().len(), 0, "{s}");
    let rows: i64 = relay
        .state
        .db
        .call(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM relay_notify_outbox",
                relay::params![],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn mail_notices_follow_the_account_rule_and_one_click_unsubscribes() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(
        &mut b,
        &relay,
        L1,
        "/konto",
        How::Password("jonas.schmidt", "Elster-Konto-7"),
    )
    .await;
    let account = "jonas.schmidt@example.org";
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let app = submitted(&relay, &sub).await;
    let email = format!("{base}/notifications/email");

    // The account's address: on at once. A case's status is BundID's to
    // mail there, not the relay's.
    let r = call(&mut b, Method::PUT, &email, json!({"lang": "de"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["email"]["source"], "account");
    assert_eq!(r.json()["email"]["confirmed"], true);
    let before = mails(account, FROM).await.len();
    assert_eq!(run(&relay).await.0, 0);
    status(&mailbox, &app, Status::Received).await;
    assert_eq!(run(&relay).await, (1, 0));
    assert_eq!(
        mails(account, FROM).await.len(),
        before,
        "no relay mail about postbox mail"
    );
    // The relay's own signal (a payment) does go to the account's address.
    let now = relay::session::now();
    let own = relay
        .state
        .db
        .call(move |c| relay::notify::watch::own_signal(c, &sub, "payment:test:PAID", None, now, 0))
        .await
        .unwrap();
    assert!(own);
    assert_eq!(run(&relay).await, (0, 1));
    let got = mails(account, FROM).await;
    assert_eq!(got.len(), before + 1);
    assert_eq!(got[0]["subject"], n::notice_title(Lang::De));

    // Another address, confirmed: it gets the case's signals.
    let other = format!("jonas-{}@example.org", &uuid()[..8]);
    call(
        &mut b,
        Method::PUT,
        &email,
        json!({"address": other, "lang": "de"}),
    )
    .await;
    let token = token_after(
        mails(&other, FROM).await[0]["text"].as_str().unwrap(),
        "bestaetigen#",
    );
    let r = call(
        &mut Browser::new(),
        Method::POST,
        &format!("{email}/confirm"),
        json!({ "token": token }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(run(&relay).await, (0, 0), "switched on again: nothing old");
    status(&mailbox, &app, Status::Processing).await;
    assert_eq!(run(&relay).await, (1, 1));
    let got = mails(&other, FROM).await;
    assert_eq!(got.len(), 2, "the confirmation and one notice");
    let notice = &got[0];
    assert_eq!(notice["subject"], n::notice_title(Lang::De));
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains(n::notice_text(Lang::De)));
    assert!(text.contains(&format!("{}/postfach", relay.url)));
    for secret in ["Hundesteuer", "Steueramt", "HST-", "Bearbeitung"] {
        assert!(
            !text.contains(secret) && !notice["html"].as_str().unwrap().contains(secret),
            "{secret}"
        );
    }

    // One click from the mail provider (cross-site, no API header).
    let token = token_after(text, "abbestellen#");
    let mut provider = Browser::new();
    let one_click = format!("{base}/notifications/unsubscribe?token={token}");
    let r = provider
        .send(
            Method::POST,
            &one_click,
            &[
                ("origin", "https://mail.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            Some(&[("List-Unsubscribe", "One-Click")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(b.get(&format!("{base}/notifications")).await.json()["email"].is_null());
    let r = provider
        .send(
            Method::POST,
            &one_click,
            &[],
            Some(&[("List-Unsubscribe", "One-Click")]),
        )
        .await;
    assert_eq!(r.json()["error"], "bad_token");
    status(&mailbox, &app, Status::Completed).await;
    run(&relay).await;
    assert_eq!(
        mails(&other, FROM).await.len(),
        2,
        "no mail after unsubscribing"
    );
}

#[tokio::test]
async fn two_instances_on_one_database_send_one_notice() {
    let first = relay().await;
    let (dir, url) = (
        first.state.shared.config.data_dir.clone(),
        first.state.shared.config.database.url.clone(),
    );
    let second = relay_with(move |c| {
        c.data_dir = dir;
        c.database.url = url;
    })
    .await;
    let base = format!("{}/api/v1", first.url);
    let mut b = Browser::new();
    login(&mut b, &first, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&first, &b).await;
    let app = submitted(&first, &sub).await;
    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        second.state.shared.notify.vapid.public_key, vapid,
        "one VAPID key"
    );
    let a = agent();
    let (sid, endpoint) = subscribe(&vapid).await;
    add_device(&mut b, &base, &endpoint, &a).await;
    let _ = tokio::join!(run(&first), run(&second));
    status(&mailbox, &app, Status::Received).await;
    let ((s1, d1), (s2, d2)) = tokio::join!(run(&first), run(&second));
    let _ = tokio::join!(run(&first), run(&second));
    assert_eq!((s1 + s2, d1 + d2), (1, 1));
    assert_eq!(pushed(&sid).await.len(), 1);
}

#[tokio::test]
async fn a_failing_push_service_is_tried_again_later() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let service = axum::Router::new().route(
        "/wp/{id}",
        axum::routing::post(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "90")]).into_response()
                } else {
                    StatusCode::CREATED.into_response()
                }
            }
        }),
    );
    use axum::response::IntoResponse;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}/wp/", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, service).await });
    let prefix = origin.clone();
    let relay = relay_with(move |c| c.notify.push_origins.push(prefix)).await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let app = submitted(&relay, &sub).await;
    let r = add_device(&mut b, &base, &format!("{origin}device-1"), &agent()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    run(&relay).await;
    status(&mailbox, &app, Status::Received).await;
    assert_eq!(run(&relay).await, (1, 1));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let (attempts, wait): (i64, i64) = relay
        .state
        .db
        .call(|c| {
            c.query_row(
                "SELECT attempts, next_try_at FROM relay_notify_outbox",
                relay::params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(attempts, 1);
    assert!(
        wait - relay::session::now() >= 85,
        "Retry-After honoured (90 s > 30 s)"
    );
    assert_eq!(run(&relay).await, (0, 0), "not before its time");
    relay
        .state
        .db
        .call(|c| {
            c.execute(
                "UPDATE relay_notify_outbox SET next_try_at = 0",
                relay::params![],
            )
        })
        .await
        .unwrap();
    assert_eq!(run(&relay).await, (0, 1));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let left: i64 = relay
        .state
        .db
        .call(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM relay_notify_outbox",
                relay::params![],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(left, 0, "delivered on the second try");
}

#[tokio::test]
async fn signals_wait_for_the_batch_window() {
    let relay = relay_with(|c| c.notify.batch_window_secs = 20).await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let app = submitted(&relay, &sub).await;
    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (sid, endpoint) = subscribe(&vapid).await;
    add_device(&mut b, &base, &endpoint, &agent()).await;
    run(&relay).await;
    status(&mailbox, &app, Status::Received).await;
    assert_eq!(
        run(&relay).await,
        (1, 0),
        "waits for more within the window"
    );
    status(&mailbox, &app, Status::Processing).await;
    assert_eq!(run(&relay).await, (1, 0));
    // The window passed (moved back instead of waited for).
    relay
        .state
        .db
        .call(|c| {
            c.execute(
                "UPDATE relay_notify_outbox SET send_after = 0, next_try_at = 0",
                relay::params![],
            )
        })
        .await
        .unwrap();
    assert_eq!(run(&relay).await, (0, 1));
    assert_eq!(pushed(&sid).await.len(), 1, "two signals, one notice");
}

#[tokio::test]
async fn a_case_sent_while_notices_are_on_counts_from_its_first_look() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (sid, endpoint) = subscribe(&vapid).await;
    add_device(&mut b, &base, &endpoint, &agent()).await;
    run(&relay).await;
    // Push was on before the application went out (a second earlier).
    relay
        .state
        .db
        .call(|c| {
            c.execute(
                "UPDATE relay_notify_devices SET created_at = created_at - 10",
                relay::params![],
            )
        })
        .await
        .unwrap();
    let app = submitted(&relay, &sub).await;
    // The authority answers before the watcher first looks at the case.
    status(&mailbox, &app, Status::Received).await;
    assert_eq!(run(&relay).await, (1, 1), "not taken for the past");
    assert_eq!(pushed(&sid).await.len(), 1);
}
