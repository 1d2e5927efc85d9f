//! Notices (issue #24) about a fee the provider's signed notification
//! made final while the citizen was away: one push notice, once.

mod notify_common;
mod support;

use backends::payment::{notify, store as provider_store};
use notify_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const FZG: &str = "99063001001000";
const MUENCHEN: &str = "091620000000";

#[tokio::test]
async fn a_fee_paid_while_away_is_a_notice() {
    let relay = relay_with(|c| c.payment.endpoint_id = "t-notice".into()).await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L4, "/", ERIKA_EID).await;
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={FZG}&ars={MUENCHEN}"
        ))
        .await;
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Führungszeugnis beantragen",
                        "identifier": format!("urn:de:fim:leika:leistung:{FZG}")},
    });
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications"),
            &[("buergeramt-api", "1"), ("idempotency-key", "notice-fee")],
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["submissionId"].as_str().unwrap().to_string();
    let r = call(
        &mut b,
        Method::POST,
        &format!("{base}/applications/{id}/payment"),
        json!({"feeBasis": {"F99600003": "Private Zwecke"},
               "returnPath": format!("/antrag/fuehrungszeugnis?antrag={id}")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tx = r.json()["txId"].as_str().unwrap().to_string();

    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (sid, endpoint) = subscribe(&vapid).await;
    assert_eq!(
        add_device(&mut b, &base, &endpoint, &agent()).await.status,
        StatusCode::CREATED
    );
    // The citizen has left the app.
    relay
        .state
        .db
        .call(|c| {
            c.execute(
                "UPDATE relay_sessions SET last_seen_at = 0",
                relay::params![],
            )
        })
        .await
        .unwrap();

    // Paid at the provider; its signed notification tells the relay.
    let now = relay::session::now();
    let row = stand_in()
        .state
        .db
        .call(move |c| {
            provider_store::pay(
                c,
                &tx,
                contract::payment::PaymentMethod::Wallet,
                "Test-Wallet",
                "ZB-notice",
                now,
            )?;
            provider_store::by_id(c, &tx)
        })
        .await
        .unwrap()
        .unwrap();
    let post = |jws: String| {
        let url = format!("{base}/payment/notify");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/jose")
                .body(jws)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        post(notify::signed(&stand_in().state, &row, now).unwrap()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(run(&relay).await, (0, 1));
    // The same notification again: no second notice.
    assert_eq!(
        post(notify::signed(&stand_in().state, &row, now).unwrap()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(run(&relay).await, (0, 0));
    assert_eq!(pushed(&sid).await.len(), 1);
}
