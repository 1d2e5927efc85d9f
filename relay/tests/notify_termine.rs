//! Notices (issue #24) about an appointment the office cancelled (a
//! closure at the appointment system): a push notice once; the citizen's
//! own cancellation is none.

mod notify_common;
mod support;

use backends::termine::authority::{block, NewBlock};
use contract::termine as t;
use notify_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const AUSWEIS: &str = "99088001001000";

fn office() -> String {
    backends::termine::offices::all_ids()
        .into_iter()
        .find(|id| {
            backends::termine::offices::office(id)
                .is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .unwrap()
        .to_string()
}

/// A day with free times at least `ahead` days away (days since 1970).
fn open_day(ahead: i64) -> i64 {
    let o = backends::termine::offices::office(&office()).unwrap();
    let mut d = t::unix_to_local(relay::session::now()).0 + ahead;
    while t::weekday(d) != 2 || o.starts(d, d, 900).is_empty() {
        d += 1;
    }
    d
}

/// Books the first free time of `day` logged in; its manage token.
async fn book(b: &mut Browser, relay: &Relay, day: i64) -> String {
    let d = t::format_date(day);
    let r = b
        .api(
            Method::GET,
            &format!(
                "{}/api/v1/termine/stellen/{}/slots?service={AUSWEIS}&from={d}&to={d}",
                relay.url,
                office()
            ),
        )
        .await;
    let list: t::SlotList = serde_json::from_str(&r.body).unwrap();
    let start = list.days[0].slots[0].start.clone();
    let h = call(
        b,
        Method::POST,
        &format!("{}/api/v1/termine/holds", relay.url),
        json!({"office": office(), "service": AUSWEIS, "start": start}),
    )
    .await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
    let id = h.json()["holdId"].as_str().unwrap().to_string();
    let c = call(
        b,
        Method::POST,
        &format!("{}/api/v1/termine/holds/{id}/confirm", relay.url),
        json!({}),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    c.json()["manageToken"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_appointment_cancelled_by_the_office_is_a_notice() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/konto", ERIKA).await;
    let day = open_day(9);
    book(&mut b, &relay, day).await;
    let own = book(&mut b, &relay, open_day(16)).await;
    let vapid = b.get(&format!("{base}/notifications")).await.json()["vapidPublicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (sid, endpoint) = subscribe(&vapid).await;
    let r = add_device(&mut b, &base, &endpoint, &agent()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(run(&relay).await, (0, 0), "what was there is no news");
    // The citizen cancels one herself: no notice.
    let r = b
        .send(
            Method::POST,
            &format!("{base}/termine/buchung/cancel"),
            &[("buergeramt-api", "1"), (t::MANAGE_TOKEN_HEADER, &own)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    assert_eq!(run(&relay).await, (0, 0));

    // The office closes that day: the booking is cancelled by the office.
    let blocked = block(
        &stand_in().state,
        NewBlock {
            office: office(),
            counter: None,
            start: day * 86_400 - 7_200,
            end: day * 86_400 + 86_400,
            reason: "Betriebsausflug (Testdaten)".into(),
            created_by: "sachbearbeitung".into(),
        },
        relay::session::now(),
    )
    .await
    .unwrap();
    assert_eq!(blocked.cancelled.len(), 1);
    assert_eq!(run(&relay).await, (1, 1));
    assert_eq!(run(&relay).await, (0, 0), "once");
    assert_eq!(pushed(&sid).await.len(), 1);
}
