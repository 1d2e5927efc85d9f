//! The postbox through the relay: the relay calls the (strict) ZBP as the
//! Onlinedienst, names the citizen from the session, and the ZBP locks what
//! is above the login's level.

mod support;

use backends::zbp::{self, MessageKind, NewAttachment, NewMessage};
use contract::trust::TrustLevel;
use reqwest::{Method, StatusCode};
use support::*;

fn message(mailbox: &str, title: &str, level: TrustLevel, attachment: Option<&[u8]>) -> NewMessage {
    NewMessage {
        mailbox_uuid: mailbox.into(),
        kind: if level == TrustLevel::Level4 {
            MessageKind::Decision
        } else {
            MessageKind::Info
        },
        sender: "Stadt Hilden (Testdaten)".into(),
        title: title.into(),
        content: format!("Inhalt von {title}"),
        service: None,
        application_id: None,
        reference: None,
        level,
        appealable: false,
        retrieval_confirmation_address: None,
        reply_address: None,
        attachments: attachment
            .map(|b| {
                vec![NewAttachment {
                    filename: "bescheid.pdf".into(),
                    mime_type: "application/pdf".into(),
                    content: b.to_vec(),
                }]
            })
            .unwrap_or_default(),
    }
}

async fn mailbox_of(b: &mut Browser, relay: &Relay) -> String {
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    s["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "mailboxUuid")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_postbox_comes_through_the_relay_with_the_login_level() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/postfach", ERIKA).await;
    let mailbox = mailbox_of(&mut b, &relay).await;
    let st = &stand_in().state;
    let info = zbp::deliver(
        st,
        message(&mailbox, "Hinweis (Relay-Test)", TrustLevel::Level1, None),
    )
    .await
    .unwrap();
    let pdf = b"%PDF-1.7 relay test";
    let decision = zbp::deliver(
        st,
        message(
            &mailbox,
            "Bescheid (Relay-Test)",
            TrustLevel::Level4,
            Some(pdf),
        ),
    )
    .await
    .unwrap();
    let base = format!("{}/api/v1/postbox", relay.url);

    let list = b.get(&format!("{base}/messages?q=Relay-Test")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.headers["cache-control"], "no-store");
    assert_eq!(list.json()["count"], 2, "{}", list.body);
    assert_eq!(list.json()["mailboxUuid"], mailbox.as_str());
    let unread = b.get(&format!("{base}/messages/unread-count")).await.json();
    assert!(unread["unread"].as_u64().unwrap() >= 2);

    // At Level-1: the info opens, the decision is locked, also its file.
    let r = b.get(&format!("{base}/messages/{info}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["content"], "Inhalt von Hinweis (Relay-Test)");
    let r = b.get(&format!("{base}/messages/{decision}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["requiredLevel"], L4);
    let list = b.get(&format!("{base}/messages?q=Relay-Test")).await.json();
    let locked = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == decision.as_str())
        .cloned()
        .unwrap();
    assert!(locked.get("content").is_none());
    assert_eq!(locked["attachments"], serde_json::json!([]));

    // Step-up to Level-4: now it opens, and the file comes through unchanged.
    login(&mut b, &relay, L4, "/postfach", ERIKA_EID).await;
    let r = b.get(&format!("{base}/messages/{decision}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let att = r.json()["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = format!("{base}/messages/{decision}/attachments/{att}");
    let f = b.get(&file).await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    assert_eq!(f.headers["content-type"], "application/pdf");
    assert_eq!(f.body.as_bytes(), pdf);
    // The file stays locked for a Level-1 login of the same citizen.
    let mut basic = Browser::new();
    login(&mut basic, &relay, L1, "/", ERIKA).await;
    assert_eq!(basic.get(&file).await.status, StatusCode::FORBIDDEN);

    // Marking needs the API header (CSRF), then works.
    let r = b
        .send(
            Method::POST,
            &format!("{base}/messages/{info}/unread"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .api(Method::POST, &format!("{base}/messages/{info}/unread"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // Another citizen cannot see it; nobody without a session can.
    let mut max = Browser::new();
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    let r = max.get(&format!("{base}/messages/{info}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = Browser::new().get(&format!("{base}/messages")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_strict_zbp_refuses_citizens_and_anonymous_callers() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let token = access_token_of(&relay, &b).await;
    let url = format!("{}/zbp/v1/messages", stand_in().url);
    let http = reqwest::Client::new();
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a citizen's token is not enough"
    );
    // A service token without the citizen named is a bad request.
    let t = relay.state.shared.zbp.token().await.unwrap();
    let r = http.get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
