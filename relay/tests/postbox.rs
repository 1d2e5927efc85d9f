//! The postbox through the relay: the relay calls the (strict) ZBP as the
//! Onlinedienst, names the citizen from the session, and the ZBP locks what
//! is above the login's level. The relay folds each application's status
//! messages into one item.

mod support;

use backends::zbp::{self, MessageKind, NewAttachment, NewMessage, NewStatus, Status};
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

const JONAS: How<'static> = How::Password("jonas.schmidt", "Elster-Konto-7");
const FOLD_APP: &str = "relay-fold-application-1";
const FOLD_SERVICE: &str = "Hundesteuer anmelden (Faltung)";

/// A status of `FOLD_APP` as the authority console writes it
/// (backends/src/behoerde/actions.rs `status_for` + `zbp::record_status`):
/// one status message per status. Returns the message's id.
async fn status(mailbox: &str, s: Status, message_id: Option<String>) -> String {
    zbp::record_status(
        &stand_in().state,
        NewStatus {
            mailbox_uuid: mailbox.into(),
            application_id: FOLD_APP.into(),
            status: s,
            public_service_name: FOLD_SERVICE.into(),
            sender_name: "Steueramt Hilden".into(),
            status_details: format!("{} (Details)", s.german()),
            additional_information: None,
            reference: Some("HST-2026-000042".into()),
            level: TrustLevel::Level1,
            message_id,
            message_text: format!("Text zu {}", s.german()),
        },
    )
    .await
    .unwrap()
}

/// "Bescheid erlassen" as the console does it: the Bescheid (a decision
/// message) and the status COMPLETED pointing at it (no status message).
async fn decide(mailbox: &str) -> String {
    let mut m = message(
        mailbox,
        "Bescheid: Faltung",
        TrustLevel::Level1,
        Some(b"%PDF-1.7"),
    );
    m.kind = MessageKind::Decision;
    m.application_id = Some(FOLD_APP.into());
    m.service = Some(FOLD_SERVICE.into());
    m.appealable = true;
    let id = zbp::deliver(&stand_in().state, m).await.unwrap();
    assert_eq!(
        status(mailbox, Status::Completed, Some(id.clone())).await,
        id
    );
    id
}

/// The ZBP's own unread count (messages, not items), asked as the relay does.
async fn zbp_unread(relay: &Relay, mailbox: &str) -> u64 {
    let token = relay.state.shared.zbp.token().await.unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/zbp/v1/messages/unread-count", stand_in().url))
        .bearer_auth(token)
        .header(relay::postbox::MAILBOX_HEADER, mailbox)
        .header(relay::postbox::LEVEL_HEADER, L1)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    v["unread"].as_u64().unwrap()
}

/// The relay's unread count (items).
async fn count(b: &mut Browser, base: &str) -> u64 {
    let r = b.get(&format!("{base}/messages/unread-count")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["unread"].as_u64().unwrap()
}

fn items(list: &serde_json::Value) -> Vec<serde_json::Value> {
    list["messages"].as_array().cloned().unwrap_or_default()
}

fn earlier_ids(item: &serde_json::Value) -> Vec<String> {
    item["earlier"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn status_messages_of_one_application_are_one_item() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/postfach", JONAS).await;
    let mailbox = mailbox_of(&mut b, &relay).await;
    let base = format!("{}/api/v1/postbox", relay.url);
    assert_eq!(
        count(&mut b, &base).await,
        0,
        "Jonas's postbox starts empty"
    );

    // Sent, received, processed, a question: four status messages.
    let submitted = status(&mailbox, Status::Submitted, None).await;
    let received = status(&mailbox, Status::Received, None).await;
    let processing = status(&mailbox, Status::Processing, None).await;
    let newest = status(&mailbox, Status::ActionRequired, None).await;
    assert_eq!(
        zbp_unread(&relay, &mailbox).await,
        4,
        "the ZBP counts messages"
    );
    assert_eq!(
        count(&mut b, &base).await,
        1,
        "the relay counts the application once"
    );

    let list = b.get(&format!("{base}/messages")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.json();
    assert_eq!(list["count"], 1, "{list}");
    assert_eq!(list["unread"], 1);
    let item = &items(&list)[0];
    assert_eq!(item["id"], newest.as_str());
    assert_eq!(item["kind"], "status");
    assert_eq!(item["read"], false);
    assert_eq!(
        earlier_ids(item),
        [processing.clone(), received.clone(), submitted.clone()]
    );
    assert_eq!(
        item["earlier"][2]["title"],
        format!("{FOLD_SERVICE}: Eingereicht")
    );
    assert!(item["earlier"][2]["deliveredAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(item["earlier"][2]["read"], false);

    // Filters look at items: an earlier message's words find the item.
    for (q, n) in [
        ("q=Eingereicht", 1),
        ("q=Eingereicht&kind=status&unread=true", 1),
        ("kind=decision", 0),
        ("unread=true", 1),
        ("q=kein-treffer-xyz", 0),
    ] {
        let l = b.get(&format!("{base}/messages?{q}")).await.json();
        assert_eq!(l["count"], n, "{q}: {l}");
        if n == 1 {
            assert_eq!(items(&l)[0]["id"], newest.as_str(), "{q}");
            assert_eq!(earlier_ids(&items(&l)[0]).len(), 3, "{q}");
        }
    }
    let r = b.get(&format!("{base}/messages?kind=reminder")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get(&format!("{base}/messages?unread=ja")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Opening the newest reads the whole item.
    let r = b.get(&format!("{base}/messages/{newest}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let opened = r.json();
    assert_eq!(opened["content"], "Text zu Handlung nötig");
    assert_eq!(
        earlier_ids(&opened),
        [processing.clone(), received.clone(), submitted.clone()]
    );
    assert!(
        opened["earlier"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["read"] == true),
        "{opened}"
    );
    assert_eq!(zbp_unread(&relay, &mailbox).await, 0, "read at the ZBP too");
    assert_eq!(count(&mut b, &base).await, 0);
    // Each earlier one still opens on its own, as itself.
    let r = b.get(&format!("{base}/messages/{received}")).await.json();
    assert_eq!(r["title"], format!("{FOLD_SERVICE}: Eingang bestätigt"));
    assert!(earlier_ids(&r).is_empty(), "{r}");

    // "Als ungelesen markieren": the newest only; "gelesen" reads the group.
    let r = b
        .api(Method::POST, &format!("{base}/messages/{newest}/unread"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(zbp_unread(&relay, &mailbox).await, 1);
    assert_eq!(count(&mut b, &base).await, 1);
    let r = b
        .api(Method::POST, &format!("{base}/messages/{submitted}/unread"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(count(&mut b, &base).await, 1, "still one item");
    let r = b
        .api(Method::POST, &format!("{base}/messages/{newest}/read"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(zbp_unread(&relay, &mailbox).await, 0);
    assert_eq!(count(&mut b, &base).await, 0);

    // The Bescheid is an item of its own (its status COMPLETED has no
    // status message of its own).
    let bescheid = decide(&mailbox).await;
    assert_eq!(count(&mut b, &base).await, 1);
    let list = b.get(&format!("{base}/messages")).await.json();
    assert_eq!(list["count"], 2, "{list}");
    assert_eq!(items(&list)[0]["id"], bescheid.as_str(), "{list}");
    assert_eq!(items(&list)[1]["id"], newest.as_str());
    let l = b.get(&format!("{base}/messages?kind=status")).await.json();
    assert_eq!(l["count"], 1);

    // Deleting the item moves the whole group; restoring brings it back.
    let r = b
        .api(Method::DELETE, &format!("{base}/messages/{newest}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let inbox = b.get(&format!("{base}/messages")).await.json();
    assert_eq!(inbox["count"], 1, "only the Bescheid stays: {inbox}");
    let trash = b.get(&format!("{base}/trash")).await.json();
    assert_eq!(trash["count"], 1, "{trash}");
    assert_eq!(items(&trash)[0]["id"], newest.as_str());
    assert_eq!(earlier_ids(&items(&trash)[0]).len(), 3);
    assert_eq!(trash["unread"], 1, "the unread Bescheid outside the trash");
    let t = b.get(&format!("{base}/trash?q=Eingereicht")).await.json();
    assert_eq!(t["count"], 1, "{t}");
    let r = b
        .api(Method::POST, &format!("{base}/trash/{newest}/restore"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(b.get(&format!("{base}/trash")).await.json()["count"], 0);
    let inbox = b.get(&format!("{base}/messages")).await.json();
    assert_eq!(inbox["count"], 2);
    assert_eq!(
        earlier_ids(&items(&inbox)[1]),
        [processing.clone(), received.clone(), submitted.clone()]
    );

    // An earlier message deleted on its own goes alone.
    let r = b
        .api(Method::DELETE, &format!("{base}/messages/{received}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let inbox = b.get(&format!("{base}/messages")).await.json();
    assert_eq!(
        earlier_ids(&items(&inbox)[1]),
        [processing.clone(), submitted.clone()]
    );
    let trash = b.get(&format!("{base}/trash")).await.json();
    assert_eq!(trash["count"], 1);
    assert_eq!(items(&trash)[0]["id"], received.as_str());
    assert!(earlier_ids(&items(&trash)[0]).is_empty());
    let r = b
        .api(Method::POST, &format!("{base}/trash/{received}/restore"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let inbox = b.get(&format!("{base}/messages")).await.json();
    assert_eq!(earlier_ids(&items(&inbox)[1]).len(), 3);

    // Unknown messages stay unknown.
    let r = b
        .api(
            Method::POST,
            &format!("{base}/messages/no-such-message/read"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .api(Method::DELETE, &format!("{base}/messages/no-such-message"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
