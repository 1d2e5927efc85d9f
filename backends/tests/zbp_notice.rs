//! BundID's own e-mail notice about new postbox mail (issue #24,
//! `backends::zbp::notice`): one mail to the address of the account that
//! owns the mailbox, without anything about the message; messages within
//! the window make one mail; no address, no mail; an SMTP failure is
//! retried later and the mail then sent once. The tests drive the sender
//! with their own `now` (`run_once`), so nothing waits.

mod support;
use support::fitconnect::{open, send, Resp};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use backends::idp::TrustLevel;
use backends::zbp::notice::{self, Mailer, Report, SmtpTarget};
use backends::zbp::{self, MessageKind, NewMessage, NewStatus, Status};
use backends::AppState;
use serde_json::Value;
use std::net::SocketAddr;

const ERIKA: &str = "erika.mustermann@example.org";
/// What the message says; none of it may reach the notice.
const SECRETS: [&str; 6] = [
    "Hundesteuer-Geheimtitel",
    "Steueramt Geheimstadt",
    "Geheimdienstleistung anmelden",
    "Inhalt: Ihr Hund Bello schuldet 120 Euro",
    "AZ-GEHEIM-4711",
    "Level-4",
];

async fn local_get(app: &Router, uri: &str) -> Resp {
    let mut req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(
        "127.0.0.1:40000".parse::<SocketAddr>().unwrap(),
    ));
    send(app, req).await
}

/// The mails at the sink (newest first), for `to` or all.
async fn mails(app: &Router, to: Option<&str>) -> Vec<Value> {
    let uri = match to {
        Some(to) => format!("/mail/api/messages?to={to}"),
        None => "/mail/api/messages".to_string(),
    };
    let r = local_get(app, &uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["messages"].as_array().unwrap().clone()
}

/// A server with the mail sink, and a mailer for it.
async fn server() -> (tempfile::TempDir, Router, AppState, Mailer) {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let sink = backends::mailsink::smtp::spawn(0, state.db.clone())
        .await
        .unwrap();
    let mailer = Mailer::from_config(&state.config, Some(sink))
        .unwrap()
        .expect("the sink is configured");
    (dir, app, state, mailer)
}

fn mailbox_of(state: &AppState, sql: &'static str) -> String {
    state
        .db
        .call_sync(|c| c.query_row(sql, [], |r| r.get(0)))
        .unwrap()
}

/// Erika's postbox: her Basis account has a `mail` attribute.
fn erika(state: &AppState) -> String {
    mailbox_of(
        state,
        "SELECT c.mailbox_uuid FROM idp_citizens c JOIN idp_accounts a ON a.citizen_id = c.id
         WHERE a.username = 'erika'",
    )
}

/// Leyla's postbox: eID only, no account, no address.
fn leyla(state: &AppState) -> String {
    mailbox_of(
        state,
        "SELECT c.mailbox_uuid FROM idp_citizens c JOIN idp_eid_cards e ON e.citizen_id = c.id
         WHERE e.card_id = 'eid-leyla'",
    )
}

fn secret_message(mailbox: &str) -> NewMessage {
    NewMessage {
        mailbox_uuid: mailbox.to_string(),
        kind: MessageKind::Decision,
        sender: SECRETS[1].into(),
        title: SECRETS[0].into(),
        content: SECRETS[3].into(),
        service: Some(SECRETS[2].into()),
        application_id: Some("app-geheim".into()),
        reference: Some(SECRETS[4].into()),
        level: TrustLevel::Level4,
        appealable: true,
        retrieval_confirmation_address: None,
        reply_address: None,
        attachments: Vec::new(),
    }
}

async fn run(state: &AppState, mailer: &Mailer, now: i64) -> Report {
    notice::run_once(state, mailer, now).await.unwrap()
}

fn sent(n: usize) -> Report {
    Report {
        sent: n,
        ..Report::default()
    }
}

#[tokio::test]
async fn a_delivered_message_makes_one_mail_to_the_account_without_content() {
    let (_dir, app, state, mailer) = server().await;
    let mailbox = erika(&state);
    let t0 = zbp::now();
    zbp::deliver(&state, secret_message(&mailbox))
        .await
        .unwrap();
    let t1 = zbp::now();

    // Not before the window is over (more may come), then exactly once.
    assert_eq!(run(&state, &mailer, t0 + 59).await, Report::default());
    assert!(mails(&app, None).await.is_empty());
    assert_eq!(run(&state, &mailer, t1 + 60).await, sent(1));
    assert_eq!(run(&state, &mailer, t1 + 3600).await, Report::default());

    let list = mails(&app, Some(ERIKA)).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(mails(&app, None).await.len(), 1, "nobody else is mailed");
    let m = &list[0];
    assert_eq!(m["subject"], notice::SUBJECT);
    assert_eq!(m["envelope"]["to"][0], ERIKA);
    assert!(m["from"].as_str().unwrap().contains("BundID"), "{m}");
    let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
    let html = m["html"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text, notice::text_body("http://127.0.0.1:8080/postfach"));
    assert!(html.contains(notice::SENTENCE), "{html}");
    assert!(
        html.contains("<a href=\"http://127.0.0.1:8080/postfach\">"),
        "the app's postbox at the relay's origin: {html}"
    );
    for secret in SECRETS.iter().chain(&["Bescheid", "STORK", "Frist"]) {
        for (part, body) in [
            ("subject", m["subject"].as_str().unwrap()),
            ("text", &text),
            ("html", &html),
        ] {
            assert!(!body.contains(secret), "{part} names {secret:?}: {body}");
        }
    }
}

#[tokio::test]
async fn messages_within_the_window_make_one_mail_and_one_mail_per_window_at_most() {
    let (_dir, app, state, mailer) = server().await;
    let mailbox = erika(&state);
    let t0 = zbp::now();
    zbp::deliver(&state, secret_message(&mailbox))
        .await
        .unwrap();
    // A status with its own status message (the console's path), and a
    // message delivered inside another transaction (the reminders' path).
    zbp::record_status(
        &state,
        NewStatus {
            mailbox_uuid: mailbox.clone(),
            application_id: "app-geheim".into(),
            status: Status::Received,
            public_service_name: SECRETS[2].into(),
            sender_name: SECRETS[1].into(),
            status_details: "Eingang bestätigt".into(),
            additional_information: None,
            reference: Some(SECRETS[4].into()),
            level: TrustLevel::Level1,
            message_id: None,
            message_text: SECRETS[3].into(),
        },
    )
    .await
    .unwrap();
    let mb = mailbox.clone();
    state
        .db
        .call_sync(move |c| zbp::deliver_in(c, &secret_message(&mb), t0 + 30))
        .unwrap();

    assert_eq!(run(&state, &mailer, t0 + 59).await, Report::default());
    assert_eq!(run(&state, &mailer, t0 + 61).await, sent(1));
    assert_eq!(run(&state, &mailer, t0 + 200).await, Report::default());
    assert_eq!(
        mails(&app, Some(ERIKA)).await.len(),
        1,
        "three messages, one mail"
    );
    let settled: i64 = state
        .db
        .call_sync(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM zbp_notices WHERE outcome = 'sent' AND attempts = 1",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(settled, 3, "each message is marked as notified");

    // The next message starts a new window.
    let mb = mailbox.clone();
    state
        .db
        .call_sync(move |c| zbp::deliver_in(c, &secret_message(&mb), t0 + 300))
        .unwrap();
    assert_eq!(run(&state, &mailer, t0 + 359).await, Report::default());
    assert_eq!(run(&state, &mailer, t0 + 360).await, sent(1));
    assert_eq!(mails(&app, Some(ERIKA)).await.len(), 2);
}

#[tokio::test]
async fn a_mailbox_without_an_address_gets_no_mail() {
    let (_dir, app, state, mailer) = server().await;
    let t0 = zbp::now();
    zbp::deliver(&state, secret_message(&leyla(&state)))
        .await
        .unwrap();
    // A mailbox no account owns.
    zbp::deliver(
        &state,
        secret_message("00000000-0000-4000-8000-000000000000"),
    )
    .await
    .unwrap();
    let r = run(&state, &mailer, t0 + 120).await;
    assert_eq!(
        r,
        Report {
            no_address: 2,
            ..Report::default()
        }
    );
    assert_eq!(run(&state, &mailer, t0 + 3600).await, Report::default());
    assert!(mails(&app, None).await.is_empty());
}

#[tokio::test]
async fn an_smtp_failure_is_retried_later_and_the_mail_sent_once() {
    let (_dir, app, state, mailer) = server().await;
    // A port nobody listens on: the SMTP server is down.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let broken = Mailer::new(
        &SmtpTarget {
            host: "127.0.0.1".into(),
            port: down,
        },
        notice::postbox_link(&state.config),
    )
    .unwrap();
    let t0 = zbp::now();
    zbp::deliver(&state, secret_message(&erika(&state)))
        .await
        .unwrap();
    let t = t0 + 61;
    let failed = Report {
        failed: 1,
        ..Report::default()
    };
    assert_eq!(run(&state, &broken, t).await, failed);
    // Backoff: 30 s after the first failure, 60 s after the second.
    assert_eq!(notice::retry_delay(1), 30);
    assert_eq!(run(&state, &broken, t + 29).await, Report::default());
    assert_eq!(run(&state, &broken, t + 30).await, failed);
    assert_eq!(run(&state, &mailer, t + 30 + 59).await, Report::default());
    assert!(mails(&app, None).await.is_empty());
    // The server is back.
    assert_eq!(run(&state, &mailer, t + 30 + 60).await, sent(1));
    assert_eq!(run(&state, &mailer, t + 5000).await, Report::default());
    let list = mails(&app, None).await;
    assert_eq!(list.len(), 1, "sent once: {list:?}");
    assert_eq!(list[0]["envelope"]["to"][0], ERIKA);
    let attempts: i64 = state
        .db
        .call_sync(|c| c.query_row("SELECT attempts FROM zbp_notices", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(attempts, 3);
}

#[tokio::test]
async fn without_a_sink_or_url_there_is_no_mailer() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, state) = open(dir.path());
    assert!(Mailer::from_config(&state.config, None).unwrap().is_none());
    let mut config = (*state.config).clone();
    config.bundid_smtp_url = Some("smtp://127.0.0.1:2526".into());
    let m = Mailer::from_config(&config, None).unwrap().unwrap();
    assert_eq!(m.target(), "127.0.0.1:2526");
}
