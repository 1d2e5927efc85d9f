//! The postbox stand-in (`/zbp`): owner-only access, the trust-level lock,
//! delivery and opening timestamps, read/unread, trash with restore and the
//! 30-day purge, downloads, and the status FIT-Connect records on submit.

mod support;
use support::fitconnect::*;

use axum::http::{header, Method, StatusCode};
use axum::Router;
use backends::idp::TrustLevel;
use backends::zbp::{self, MessageKind, NewAttachment, NewMessage};
use backends::AppState;
use serde_json::Value;

async fn mailbox(app: &Router, token: &str) -> String {
    let r = get(app, "/idp/userinfo", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["mailboxUuid"].as_str().unwrap().to_string()
}

fn message(
    mailbox: &str,
    title: &str,
    content: &str,
    level: TrustLevel,
    kind: MessageKind,
) -> NewMessage {
    NewMessage {
        mailbox_uuid: mailbox.to_string(),
        kind,
        sender: "Steueramt Hilden".into(),
        title: title.into(),
        content: content.into(),
        service: Some("Hundesteuer anmelden".into()),
        application_id: Some("app-1".into()),
        reference: Some("AZ-4711".into()),
        level,
        appealable: kind == MessageKind::Decision,
        retrieval_confirmation_address: None,
        reply_address: Some("steueramt@hilden.example".into()),
        attachments: Vec::new(),
    }
}

async fn deliver(state: &AppState, m: NewMessage) -> String {
    zbp::deliver(state, m).await.unwrap()
}

async fn list(app: &Router, token: &str, query: &str) -> Value {
    let r = get(app, &format!("/zbp/v1/messages{query}"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn post(app: &Router, uri: &str, token: &str) -> StatusCode {
    call(app, Method::POST, uri, Some(token), &[], None)
        .await
        .status
}

async fn unread(app: &Router, token: &str) -> i64 {
    let r = get(app, "/zbp/v1/messages/unread-count", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["unread"].as_i64().unwrap()
}

#[tokio::test]
async fn owner_only_and_the_level_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let basis = erika_basis(&app).await;
    let eid = login(&app, How::Eid("eid-erika", "123456")).await;
    let max = login(&app, How::Password("max.beispiel", "Beispiel-Basis-1")).await;
    let erika_box = mailbox(&app, &basis).await;
    assert_eq!(
        mailbox(&app, &eid).await,
        erika_box,
        "one citizen, one postbox"
    );

    let low = deliver(
        &state,
        message(
            &erika_box,
            "Eingangsbestätigung",
            "Wir haben Ihren Antrag erhalten.",
            TrustLevel::Level1,
            MessageKind::Status,
        ),
    )
    .await;
    let mut m = message(
        &erika_box,
        "Bescheid: Wohnsitz",
        "Geheimwort Kastanienbaum steht nur im Inhalt.",
        TrustLevel::Level4,
        MessageKind::Decision,
    );
    m.attachments.push(NewAttachment {
        filename: "Bescheid.pdf".into(),
        mime_type: "application/pdf".into(),
        content: b"%PDF-1.7 test".to_vec(),
    });
    let high = deliver(&state, m).await;

    // No token, a bad token.
    assert_eq!(
        get(&app, "/zbp/v1/messages", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/zbp/v1/messages", Some("nope")).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Level-1: both listed, the Level-4 one locked with metadata only.
    let l = list(&app, &basis, "").await;
    assert_eq!(l["count"], 2);
    assert_eq!(l["unread"], 2);
    let msgs = l["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["id"], high.as_str(), "newest first");
    assert!(
        msgs.iter().all(|m| m.get("content").is_none()),
        "the list never carries content"
    );
    assert_eq!(msgs[0]["locked"], true);
    assert_eq!(msgs[0]["requiredLevel"], "STORK-QAA-Level-4");
    assert_eq!(msgs[0]["attachments"], serde_json::json!([]));
    assert_eq!(msgs[0]["attachmentCount"], 1);
    assert_eq!(msgs[1]["locked"], false);
    assert!(msgs[1].get("requiredLevel").is_none());
    assert_eq!(msgs[1]["storkQaaLevel"], "STORK-QAA-Level-1");

    // Reading or downloading the locked one: 403 with the level, nothing recorded.
    let r = get(&app, &format!("/zbp/v1/messages/{high}"), Some(&basis)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "insufficient_level");
    assert_eq!(r.json()["requiredLevel"], "STORK-QAA-Level-4");
    assert!(!r.body.contains("Kastanienbaum"));
    let att_id = {
        let l4 = list(&app, &eid, "").await;
        l4["messages"][0]["attachments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = get(
        &app,
        &format!("/zbp/v1/messages/{high}/attachments/{att_id}"),
        Some(&basis),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["requiredLevel"], "STORK-QAA-Level-4");
    // The locked content cannot be found by searching either.
    assert_eq!(list(&app, &basis, "?q=kastanienbaum").await["count"], 0);
    assert_eq!(list(&app, &eid, "?q=KASTANIENBAUM").await["count"], 1);
    let l4 = list(&app, &eid, "").await;
    assert_eq!(l4["messages"][0]["openedAt"], Value::Null);
    assert_eq!(l4["messages"][0]["locked"], false);

    // Another citizen: 404 for everything, never the data.
    for uri in [
        format!("/zbp/v1/messages/{low}"),
        format!("/zbp/v1/messages/{high}"),
        format!("/zbp/v1/messages/{high}/attachments/{att_id}"),
    ] {
        let r = get(&app, &uri, Some(&max)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!r.body.contains("Eingangsbestätigung") && !r.body.contains("Kastanienbaum"));
    }
    assert_eq!(
        post(&app, &format!("/zbp/v1/messages/{low}/read"), &max).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, &format!("/zbp/v1/messages/{low}/unread"), &max).await,
        StatusCode::NOT_FOUND
    );
    let del = call(
        &app,
        Method::DELETE,
        &format!("/zbp/v1/messages/{low}"),
        Some(&max),
        &[],
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &max, "").await["count"], 0);
    assert_eq!(unread(&app, &max).await, 0);
    assert_eq!(
        unread(&app, &basis).await,
        2,
        "nothing of Max's attempts touched Erika's messages"
    );

    // Level-4 opens it: openedAt and the appeal deadline are recorded once.
    let before = zbp::now();
    let r = get(&app, &format!("/zbp/v1/messages/{high}"), Some(&eid)).await;
    let after = zbp::now();
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = r.json();
    assert_eq!(
        m["content"],
        "Geheimwort Kastanienbaum steht nur im Inhalt."
    );
    assert_eq!(m["read"], true);
    assert_eq!(m["appealable"], true);
    let opened = m["openedAt"].as_str().unwrap().to_string();
    let expected: Vec<String> = [before, after]
        .iter()
        .map(|t| {
            zbp::deadline::appeal_deadline(*t)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    assert!(
        expected.contains(&m["deadline"].as_str().unwrap().to_string()),
        "{m}"
    );
    assert!(m["deliveredAt"].as_str().unwrap() <= opened.as_str());
    assert!(m["deliveredAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = get(&app, &format!("/zbp/v1/messages/{high}"), Some(&eid))
        .await
        .json();
    assert_eq!(
        again["openedAt"],
        opened.as_str(),
        "openedAt is the first opening"
    );
    assert_eq!(again["deadline"], m["deadline"]);
    // The status message is not appealable and has no deadline.
    let low_m = get(&app, &format!("/zbp/v1/messages/{low}"), Some(&basis))
        .await
        .json();
    assert_eq!(low_m["deadline"], Value::Null);
    assert_eq!(low_m["appealable"], false);
    assert_eq!(unread(&app, &basis).await, 0);
}

#[tokio::test]
async fn read_unread_trash_restore_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let token = erika_basis(&app).await;
    let mb = mailbox(&app, &token).await;
    let a = deliver(
        &state,
        message(
            &mb,
            "Statusmeldung",
            "In Bearbeitung",
            TrustLevel::Level1,
            MessageKind::Status,
        ),
    )
    .await;
    let b = deliver(
        &state,
        message(
            &mb,
            "Bescheid",
            "Ihr Hund ist angemeldet.",
            TrustLevel::Level1,
            MessageKind::Decision,
        ),
    )
    .await;
    assert_eq!(unread(&app, &token).await, 2);

    // Filters.
    assert_eq!(list(&app, &token, "?kind=decision").await["count"], 1);
    assert_eq!(list(&app, &token, "?kind=status").await["count"], 1);
    assert_eq!(list(&app, &token, "?kind=info").await["count"], 0);
    assert_eq!(list(&app, &token, "?q=hund%20angemeldet").await["count"], 1);
    let bad = get(&app, "/zbp/v1/messages?kind=spam", Some(&token)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"], "bad_request");

    // Opening marks read; "unread" keeps openedAt.
    let opened = get(&app, &format!("/zbp/v1/messages/{b}"), Some(&token))
        .await
        .json();
    let opened_at = opened["openedAt"].as_str().unwrap().to_string();
    assert_eq!(unread(&app, &token).await, 1);
    assert_eq!(
        list(&app, &token, "?unread=true").await["messages"][0]["id"],
        a.as_str()
    );
    assert_eq!(
        post(&app, &format!("/zbp/v1/messages/{b}/unread"), &token).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(unread(&app, &token).await, 2);
    let l = list(&app, &token, "?unread=true").await;
    let bm = l["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == b.as_str())
        .unwrap()
        .clone();
    assert_eq!(bm["read"], false);
    assert_eq!(
        bm["openedAt"],
        opened_at.as_str(),
        "marking unread does not un-open"
    );
    assert_eq!(
        post(&app, &format!("/zbp/v1/messages/{a}/read"), &token).await,
        StatusCode::NO_CONTENT
    );
    let am = get(&app, "/zbp/v1/messages", Some(&token)).await.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == a.as_str())
        .unwrap()
        .clone();
    assert_eq!(am["read"], true);
    assert_eq!(am["openedAt"], Value::Null, "marking read is not opening");

    // Trash and restore.
    let del = call(
        &app,
        Method::DELETE,
        &format!("/zbp/v1/messages/{a}"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let again = call(
        &app,
        Method::DELETE,
        &format!("/zbp/v1/messages/{a}"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "already in the trash");
    let l = list(&app, &token, "").await;
    assert_eq!(l["count"], 1);
    let trash = get(&app, "/zbp/v1/trash", Some(&token)).await.json();
    assert_eq!(trash["count"], 1);
    let t = &trash["messages"][0];
    assert_eq!(t["id"], a.as_str());
    assert!(t["deletedAt"].is_string());
    assert!(t["purgeAt"].as_str().unwrap() > t["deletedAt"].as_str().unwrap());
    assert_eq!(
        post(&app, &format!("/zbp/v1/trash/{a}/restore"), &token).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post(&app, &format!("/zbp/v1/trash/{a}/restore"), &token).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(list(&app, &token, "").await["count"], 2);
    assert_eq!(
        get(&app, "/zbp/v1/trash", Some(&token)).await.json()["count"],
        0
    );

    // 30 days: kept for 29, purged after 30.
    let del = call(
        &app,
        Method::DELETE,
        &format!("/zbp/v1/messages/{a}"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let day = 24 * 60 * 60;
    assert_eq!(
        zbp::purge_trash(&state, zbp::now() + 29 * day)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        get(&app, "/zbp/v1/trash", Some(&token)).await.json()["count"],
        1
    );
    assert_eq!(
        zbp::purge_trash(&state, zbp::now() + 30 * day + 5)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        get(&app, "/zbp/v1/trash", Some(&token)).await.json()["count"],
        0
    );
    assert_eq!(
        get(&app, &format!("/zbp/v1/messages/{a}"), Some(&token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, &format!("/zbp/v1/trash/{a}/restore"), &token).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        list(&app, &token, "").await["count"],
        1,
        "messages outside the trash stay"
    );
}

#[tokio::test]
async fn attachments_download_with_safe_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let token = erika_basis(&app).await;
    let mb = mailbox(&app, &token).await;
    let mut m = message(
        &mb,
        "Unterlagen",
        "Anbei",
        TrustLevel::Level1,
        MessageKind::Info,
    );
    let bytes = b"%PDF-1.7\nBescheid\n%%EOF\n".to_vec();
    m.attachments.push(NewAttachment {
        filename: "../Bescheid \"Ä\".pdf".into(),
        mime_type: "application/pdf".into(),
        content: bytes.clone(),
    });
    m.attachments.push(NewAttachment {
        filename: "seite.html".into(),
        mime_type: "text/html".into(),
        content: b"<script>alert(1)</script>".to_vec(),
    });
    let id = deliver(&state, m).await;
    let l = list(&app, &token, "").await;
    let atts = l["messages"][0]["attachments"].as_array().unwrap().clone();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0]["sha512sum"], sha512_hex(&bytes));
    assert_eq!(atts[0]["contentLength"], bytes.len());
    assert_eq!(atts[0]["filename"], "../Bescheid \"Ä\".pdf");
    let r = get(
        &app,
        &format!(
            "/zbp/v1/messages/{id}/attachments/{}",
            atts[0]["id"].as_str().unwrap()
        ),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_bytes(), &bytes[..]);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    let cd = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"Bescheid__A_.pdf\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''Bescheid%20%22%C3%84%22.pdf"),
        "{cd}"
    );
    // Downloading counts as opening.
    assert!(list(&app, &token, "").await["messages"][0]["openedAt"].is_string());
    // HTML is never served as HTML.
    let r = get(
        &app,
        &format!(
            "/zbp/v1/messages/{id}/attachments/{}",
            atts[1]["id"].as_str().unwrap()
        ),
        Some(&token),
    )
    .await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // An unknown attachment id.
    let r = get(
        &app,
        &format!("/zbp/v1/messages/{id}/attachments/nope"),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_submission_gets_the_status_submitted() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let token = erika_basis(&app).await;
    let max = login(&app, How::Password("max.beispiel", "Beispiel-Basis-1")).await;
    let (sub, case) = submit_hundesteuer(&app, &token).await;

    let apps = get(&app, "/zbp/v1/applications", Some(&token)).await.json();
    assert_eq!(apps["count"], 1);
    assert_eq!(apps["applications"][0]["applicationId"], sub.as_str());
    assert_eq!(apps["applications"][0]["status"], "SUBMITTED");
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&token),
    )
    .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    let h = h.json();
    let st = &h["statuses"][0];
    assert_eq!(st["status"], "SUBMITTED");
    assert_eq!(st["reference"], case.as_str());
    assert_eq!(st["publicServiceName"], "Hundesteuer anmelden");
    assert!(st["senderName"].as_str().unwrap().len() > 3);
    assert!(st["createdDate"].is_string());
    assert!(st["statusDetails"].is_string());
    // Its postbox message.
    let mid = st["messageId"].as_str().unwrap();
    let m = get(&app, &format!("/zbp/v1/messages/{mid}"), Some(&token))
        .await
        .json();
    assert_eq!(m["kind"], "status");
    assert_eq!(m["applicationId"], sub.as_str());
    assert!(m["content"].as_str().unwrap().contains(&case));
    // Not for anyone else.
    let other = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&max),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, "/zbp/v1/applications", Some(&max)).await.json()["count"],
        0
    );
}
