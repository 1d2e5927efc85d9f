//! Notices (issue #24): an SMTP server that cannot be reached is tried
//! again later, and the notice arrives once it can.

mod notify_common;
mod support;

use notify_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const FROM: &str = "buergeramt@buergeramt.example";

#[tokio::test]
async fn an_unreachable_smtp_server_is_tried_again() {
    // A port nobody listens on yet; later a forwarder to the sink.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let relay =
        relay_with(move |c| c.notify.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
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
    let (sub, _) = citizen_of(&relay, &b).await;
    // The account's address needs no confirmation mail.
    let r = call(
        &mut b,
        Method::PUT,
        &format!("{base}/notifications/email"),
        json!({"lang": "en"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let account = "jonas.schmidt@example.org";
    let before = mails(account, FROM).await.len();
    let now = relay::session::now();
    relay
        .state
        .db
        .call(move |c| {
            relay::notify::watch::own_signal(c, &sub, "payment:retry:PAID", None, now, 0)
        })
        .await
        .unwrap();
    assert_eq!(run(&relay).await, (0, 1));
    let attempts: i64 = relay
        .state
        .db
        .call(|c| {
            c.query_row(
                "SELECT attempts FROM relay_notify_outbox",
                relay::params![],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(attempts, 1, "kept for another try");
    assert_eq!(mails(account, FROM).await.len(), before);

    // The server is back.
    let sink: std::net::SocketAddr = stand_in()
        .smtp_url
        .trim_start_matches("smtp://")
        .parse()
        .unwrap();
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = l.accept().await {
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(sink).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    });
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
    let got = mails(account, FROM).await;
    assert_eq!(got.len(), before + 1);
    assert_eq!(
        got[0]["subject"],
        contract::notify::notice_title(contract::notify::Lang::En)
    );
    assert!(got[0]["text"]
        .as_str()
        .unwrap()
        .contains(contract::notify::notice_text(contract::notify::Lang::En)));
}
