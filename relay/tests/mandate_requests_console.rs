//! Mandates for children and cared-for persons (issue #25), the whole way
//! through the relay against the stand-in: the request handed in with the
//! proof as the app does it, checked by the authority's subscriber, and
//! decided by the clerk in the console's JSON API; the relay reads the
//! decision from FIT-Connect.

mod mandate_requests_common;
mod support;

/// The browser's side of a submission (JWEs, metadata), as the stand-in's
/// own tests make it.
#[allow(dead_code)]
#[path = "../../backends/tests/support/submission_crypto.rs"]
mod submission_crypto;

use contract::mandate_request as mr;
use mandate_requests_common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

/// Hands in a request for the child `given` as the app does: announced
/// with the proof, `POST /mandates/requests` from the form, the
/// attestation, the proof, metadata and data encrypted, the submit; then
/// the authority's subscriber receives and checks it. `(submission, mandate)`.
async fn hand_in_request(
    erika: &mut Browser,
    base: &str,
    given: &str,
    key: &str,
) -> (String, String) {
    use submission_crypto::{encrypt_for, metadata, sha512_hex};
    let dest = destination(erika, base, mr::LEIKA).await;
    let d = erika
        .get(&format!("{base}/submission/destinations/{dest}"))
        .await
        .json();
    let kid = d["encryptionKid"].as_str().unwrap().to_string();
    let schema = d["services"][0]["submissionSchemas"][0]["schemaUri"]
        .as_str()
        .unwrap_or_else(|| panic!("a schema: {d}"))
        .to_string();
    let jwk = erika
        .get(&format!("{base}/submission/destinations/{dest}/keys/{kid}"))
        .await
        .json();

    // Announce with the proof as an attachment.
    const PROOF: &str = "3d1c9a52-7e4f-4b6a-8c51-0f2e8c1d7b99";
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [PROOF],
        "serviceType": {"name": "Vertretung nachweisen (Sorgerecht oder Betreuung)", "identifier": mr::SERVICE},
    });
    let r = erika
        .send_body(
            Method::POST,
            &format!("{base}/applications?ars={HILDEN}"),
            &[("buergeramt-api", "1"), ("idempotency-key", key)],
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let sid = r.json()["submissionId"].as_str().unwrap().to_string();
    let lena = years_ago(9);
    let data = json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"},
        mr::field::KIND: mr::FORM_SORGERECHT,
        mr::field::GIVEN_NAMES: given,
        mr::field::FAMILY_NAME: "Mustermann",
        mr::field::BIRTH_DATE: lena,
        mr::field::PROOF: PROOF,
    });
    let data_bytes = data.to_string().into_bytes();

    // What the app tells the relay, read from the form as the authority does.
    let f = mr::from_form(&data).unwrap();
    let request = mr::Request {
        submission_id: sid.clone(),
        kind: f.kind,
        person: f.person,
        care_until: f.care_until,
        care_scope: f.care_scope,
    };
    let r = post_json(
        erika,
        &format!("{base}{}", mr::REQUESTS_PATH),
        &serde_json::to_value(&request).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = post_json(
        erika,
        &format!("{base}/applications/{sid}/attestation"),
        &json!({"dataHash": sha512_hex(&data_bytes)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();

    // The proof, the metadata with the attestation, the data: encrypted.
    let pdf = b"%PDF-1.4\n% Geburtsurkunde (Testdokument)\n%%EOF\n".to_vec();
    let r = erika
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{sid}/attachments/{PROOF}"),
            &[("buergeramt-api", "1")],
            "application/jose",
            encrypt_for(&jwk, &pdf, "application/pdf")
                .unwrap()
                .into_bytes(),
        )
        .await;
    assert!(r.status.is_success(), "{}: {}", r.status, r.body);
    let mut meta = metadata(
        &schema,
        &data_bytes,
        &[(PROOF, &pdf, "application/pdf", "geburtsurkunde.pdf")],
    );
    meta["authenticationInformation"] = json!([{
        "type": contract::attestation::REPORT_TYPE,
        "version": contract::attestation::REPORT_VERSION,
        "content": jws,
    }]);
    let submit = json!({
        "encryptedMetadata": encrypt_for(&jwk, meta.to_string().as_bytes(), "application/json").unwrap(),
        "encryptedData": encrypt_for(&jwk, &data_bytes, "application/json").unwrap(),
    });
    let r = erika
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{sid}"),
            &[("buergeramt-api", "1")],
            "application/json",
            submit.to_string().into_bytes(),
        )
        .await;
    assert!(r.status.is_success(), "{}: {}", r.status, r.body);

    // The authority receives and checks it (the relay's key registered, as
    // an operator does; reading every test relay's keys takes minutes);
    // submitted, not decided yet.
    let jwks = erika
        .get(&format!("{base}/submission/attestation/jwks"))
        .await
        .json();
    assert!(backends::fitconnect::attestation::register(&stand_in().state, &jwks) > 0);
    backends::fitconnect::subscriber::run_once(&stand_in().state)
        .await
        .unwrap();
    (sid, id)
}

/// The clerk's decision through the console's JSON API.
async fn clerk(path: &str, body: Option<Value>) {
    let console = reqwest::Client::new();
    let login: Value = console
        .post(format!("{}/behoerde/api/login", stand_in().url))
        .json(&json!({"username": "sachbearbeitung", "password": "Amt-NRW-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let mut req = console
        .post(format!(
            "{}/behoerde/api/submissions/{path}",
            stand_in().url
        ))
        .bearer_auth(&token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    assert!(
        status.is_success(),
        "{path}: {status}: {}",
        r.text().await.unwrap()
    );
}

/// The whole way: Erika hands in two requests with the proof, encrypted, as
/// the app does; the authority's subscriber checks each attested request
/// against the form; the clerk confirms one and refuses the other through
/// the console's JSON API (`accept-submission`, `reject-submission`), and
/// the relay reads the decisions.
#[tokio::test]
async fn the_clerks_decisions_in_the_console_activate_or_refuse() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut erika = Browser::new();
    login(&mut erika, &relay, L4, "/", ERIKA_EID).await;
    let (yes_sid, yes) = hand_in_request(&mut erika, &base, "Lena", "console-1").await;
    let (no_sid, no) = hand_in_request(&mut erika, &base, "Tim", "console-2").await;
    // Received and checked, not decided yet.
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &yes)["state"], "pending", "{listed}");
    assert_eq!(received(&listed, &no)["state"], "pending", "{listed}");

    clerk(&format!("{yes_sid}/accept"), None).await;
    clerk(
        &format!("{no_sid}/reject"),
        Some(json!({"reason": "Die Geburtsurkunde ist nicht lesbar."})),
    )
    .await;

    // The relay reads the decisions: one active and usable, one refused.
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &yes)["state"], "active", "{listed}");
    assert_eq!(received(&listed, &no)["state"], "refused", "{listed}");
    let r = erika
        .get(&format!("{base}/mandates/{yes}/person?service={HUND}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = erika
        .get(&format!("{base}/mandates/{no}/person?service={HUND}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
