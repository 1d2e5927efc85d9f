//! Notices and "Meine Daten" (issue #24): the export lists the notice
//! settings (addresses, devices without keys), deleting the data removes
//! every notice row, the retention sweep removes seen signals with their
//! case.

mod notify_common;
mod support;

use backends::zbp::Status;
use notify_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

async fn count(relay: &Relay, table: &'static str, sub: &str) -> i64 {
    let sub = sub.to_string();
    relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE sub = ?1"),
                relay::params![sub],
                |r| r.get(0),
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_export_lists_the_settings_and_deletion_removes_them() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let (sub, mailbox) = citizen_of(&relay, &b).await;
    let app = submitted(&relay, &sub).await;
    let r = call(
        &mut b,
        Method::PUT,
        &format!("{base}/notifications/email"),
        json!({"lang": "en"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let vapid = r.json()["vapidPublicKey"].as_str().unwrap().to_string();
    let a = agent();
    let (_, endpoint) = subscribe(&vapid).await;
    assert_eq!(
        add_device(&mut b, &base, &endpoint, &a).await.status,
        StatusCode::CREATED
    );
    run(&relay).await;
    status(&mailbox, &app, Status::Received).await;
    run(&relay).await;
    assert!(count(&relay, "relay_notify_seen", &sub).await > 0);

    let export = b.api(Method::GET, &format!("{base}/account/export")).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    let doc = export.json();
    let n = &doc["notifications"];
    assert_eq!(n["email"]["address"], "erika.mustermann@example.org");
    assert_eq!(n["email"]["source"], "account");
    assert_eq!(n["push"][0]["label"], "Firefox unter Linux");
    assert_eq!(n["push"][0]["pushService"], stand_in().url.as_str());
    assert_eq!(
        n["lang"], "de",
        "the language of the last choice (the device)"
    );
    for secret in [&a.auth, &a.p256dh, &endpoint] {
        assert!(
            !export.body.contains(secret.as_str()),
            "no keys, no endpoint"
        );
    }

    // The retention sweep: the seen signals go with their case's record.
    let app2 = app.clone();
    relay
        .state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM relay_submissions WHERE submission_id = ?1",
                relay::params![app2],
            )?;
            relay::privacy::sweep(c, relay::session::now())
        })
        .await
        .unwrap();
    let s2 = sub.clone();
    let left: Vec<String> = relay
        .state
        .db
        .call(move |c| {
            let mut stmt = c.prepare("SELECT signal FROM relay_notify_seen WHERE sub = ?1")?;
            let rows = stmt.query_map(relay::params![s2], |r| r.get(0))?;
            rows.collect()
        })
        .await
        .unwrap();
    assert_eq!(
        left,
        ["termine:primed"],
        "only the appointments' marker is left"
    );
    assert_eq!(count(&relay, "relay_notify_watch", &sub).await, 0);

    let handle = b.get(&format!("{base}/session")).await.json()["handle"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        &mut b,
        Method::DELETE,
        &format!("{base}/account/data"),
        json!({"confirm": "LÖSCHEN", "handle": handle}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for table in [
        "relay_notify_citizens",
        "relay_notify_email",
        "relay_notify_devices",
        "relay_notify_outbox",
    ] {
        assert_eq!(count(&relay, table, &sub).await, 0, "{table}");
    }
}
