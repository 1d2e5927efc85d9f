//! Helpers of `tests/notify.rs`: the citizen's side of a push subscription
//! (keys made with OpenSSL, the stand-in's push service), the mail sink's
//! API, records and statuses as the authority writes them.

#![allow(dead_code)]

use backends::zbp::{self, NewStatus, Status};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::trust::TrustLevel;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey, PointConversionForm};
use openssl::nid::Nid;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

pub fn uuid() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).unwrap();
    contract::encoding::uuid_from_bytes(b)
}

/// The user agent's keys of a subscription.
pub struct Agent {
    pub p256dh: String,
    pub private: String,
    pub auth: String,
}

pub fn agent() -> Agent {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = EcKey::generate(&group).unwrap();
    let mut ctx = BigNumContext::new().unwrap();
    let point = key
        .public_key()
        .to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)
        .unwrap();
    let mut auth = [0u8; 16];
    openssl::rand::rand_bytes(&mut auth).unwrap();
    Agent {
        p256dh: b64(&point),
        private: b64(&key.private_key().to_vec_padded(32).unwrap()),
        auth: b64(&auth),
    }
}

/// A subscription at the stand-in's push service for the relay's VAPID
/// key: (id, endpoint).
pub async fn subscribe(vapid: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/push/v1/subscriptions", stand_in().url))
        .json(&json!({ "applicationServerKey": vapid }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    (
        v["id"].as_str().unwrap().to_string(),
        v["endpoint"].as_str().unwrap().to_string(),
    )
}

/// What arrived at the subscription, oldest first.
pub async fn pushed(id: &str) -> Vec<Value> {
    let v: Value = reqwest::get(format!(
        "{}/push/v1/subscriptions/{id}/messages",
        stand_in().url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["messages"].as_array().cloned().unwrap_or_default()
}

/// The plaintext of a push message, decrypted as the user agent does.
pub async fn decrypt(a: &Agent, message: &Value) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/push/v1/decrypt", stand_in().url))
        .json(&json!({"message": message["body"], "privateKey": a.private, "auth": a.auth}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["plaintext"].as_str().unwrap().to_string()
}

/// The mails the sink got for `to` from the relay (`mail_from`), newest first.
pub async fn mails(to: &str, from: &str) -> Vec<Value> {
    let v: Value = reqwest::get(format!(
        "{}/mail/api/messages?to={}",
        stand_in().url,
        contract::encoding::url_encode(to)
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["envelope"]["from"].as_str() == Some(from))
        .collect()
}

/// The token after `marker` (`…/bestaetigen#`) in a mail's text.
pub fn token_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The citizen's pseudonym and postbox handle for `b`'s session.
pub async fn citizen_of(relay: &Relay, b: &Browser) -> (String, String) {
    let cookie = b.cookie(&relay.url, SESSION_COOKIE).expect("a session");
    relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT sub, attributes FROM relay_sessions WHERE id_hash = ?1",
                relay::params![relay::session::sha256_hex(&cookie)],
                |r| {
                    let attrs: String = r.get(1)?;
                    let v: Value = serde_json::from_str(&attrs).unwrap();
                    let mailbox = v
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["name"] == "mailboxUuid")
                        .unwrap()["value"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    Ok((r.get(0)?, mailbox))
                },
            )
        })
        .await
        .unwrap()
}

/// A submitted application of `sub` in the relay's record (as if it had
/// been forwarded): its submission id.
pub async fn submitted(relay: &Relay, sub: &str) -> String {
    let (id, case, sub) = (uuid(), uuid(), sub.to_string());
    let sid = id.clone();
    relay
        .state
        .db
        .call(move |c| {
            c.execute(
                "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at,
                     submitted_at, service_name, level)
                 VALUES (?1, ?2, ?3, ?4, ?4, 'Hundesteuer anmelden', 'STORK-QAA-Level-1')",
                relay::params![sid, case, sub, relay::session::now()],
            )
        })
        .await
        .unwrap();
    id
}

/// A status of the application as the authority console writes it, with
/// its postbox message.
pub async fn status(mailbox: &str, application: &str, s: Status) {
    zbp::record_status(
        &stand_in().state,
        NewStatus {
            mailbox_uuid: mailbox.into(),
            application_id: application.into(),
            status: s,
            public_service_name: "Hundesteuer anmelden (Benachrichtigung)".into(),
            sender_name: "Steueramt Hilden".into(),
            status_details: format!("{} (Details)", s.german()),
            additional_information: None,
            reference: Some("HST-2026-000099".into()),
            level: TrustLevel::Level1,
            message_id: None,
            message_text: format!("Text zu {}", s.german()),
        },
    )
    .await
    .unwrap();
}

/// The app's call with the API header and a JSON body.
pub async fn call(b: &mut Browser, method: Method, url: &str, body: Value) -> Resp {
    b.send_body(
        method,
        url,
        &[("buergeramt-api", "1")],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// Registers a device for the agent at `endpoint`.
pub async fn add_device(b: &mut Browser, base: &str, endpoint: &str, a: &Agent) -> Resp {
    call(
        b,
        Method::POST,
        &format!("{base}/notifications/push"),
        json!({"endpoint": endpoint, "keys": {"p256dh": a.p256dh, "auth": a.auth}, "label": "Firefox unter Linux", "lang": "de"}),
    )
    .await
}

pub async fn run(relay: &Relay) -> (usize, usize) {
    relay::notify::run_once(&relay.state)
        .await
        .expect("a notice pass")
}
