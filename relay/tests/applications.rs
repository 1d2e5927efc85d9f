//! Applications through the relay: where to send (public), announce,
//! upload, submit and the event log (personal), with the relay's own record
//! of which submission and case belong to whom.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const HUND: &str = "99089005001000";
const HILDEN: &str = "051580016016";
const ATT: &str = "0b6c8e52-4d1e-4f3a-9c1b-6a2f0e7d5c11";

async fn announce(b: &mut Browser, base: &str, body: &str) -> Resp {
    b.send_body(
        Method::POST,
        &format!("{base}/applications"),
        &[("buergeramt-api", "1"), ("idempotency-key", "relay-test-1")],
        "application/json",
        body.as_bytes().to_vec(),
    )
    .await
}

#[tokio::test]
async fn a_submission_goes_through_the_relay_and_stays_the_citizens_own() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let base = format!("{}/api/v1", relay.url);

    // Where to send, and the key to encrypt for: public, cacheable.
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={HUND}&ars={HILDEN}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    let d = b
        .get(&format!("{base}/submission/destinations/{dest}"))
        .await
        .json();
    let kid = d["encryptionKid"].as_str().unwrap().to_string();
    let key = b
        .get(&format!("{base}/submission/destinations/{dest}/keys/{kid}"))
        .await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.body);
    assert_eq!(key.json()["alg"], "RSA-OAEP-256");
    assert!(key.json().get("d").is_none(), "a public key only");

    // Announce, twice with the same Idempotency-Key: one submission.
    let announcement = json!({
        "destinationId": dest,
        "announcedAttachments": [ATT],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
    })
    .to_string();
    let first = announce(&mut b, &base, &announcement).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.headers["cache-control"], "no-store");
    let again = announce(&mut b, &base, &announcement).await;
    assert_eq!(again.json()["submissionId"], first.json()["submissionId"]);
    let id = first.json()["submissionId"].as_str().unwrap().to_string();
    let case = first.json()["caseId"].as_str().unwrap().to_string();

    // Status, list, event log: the citizen's own.
    let r = b.get(&format!("{base}/applications/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = b.get(&format!("{base}/applications")).await;
    assert!(list.body.contains(&id), "{}", list.body);
    let ev = b.get(&format!("{base}/cases/{case}/events")).await;
    assert_eq!(ev.status, StatusCode::OK, "{}", ev.body);
    assert!(ev.json()["eventLog"].as_array().is_some());
    let r = b.get(&format!("{base}/disclosures")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Another citizen reaches none of it; the relay refuses before the upstream.
    let mut max = Browser::new();
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    for url in [
        format!("{base}/applications/{id}"),
        format!("{base}/cases/{case}/events"),
    ] {
        assert_eq!(max.get(&url).await.status, StatusCode::NOT_FOUND, "{url}");
    }
    let r = max
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}/attachments/{ATT}"),
            &[("buergeramt-api", "1")],
            "application/jose",
            b"a.b.c.d.e".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Attachments are JWEs; a wrong content type stops at the relay.
    let r = b
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}/attachments/{ATT}"),
            &[("buergeramt-api", "1")],
            "application/pdf",
            b"%PDF".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A malformed submit passes through to FIT-Connect, which explains.
    let r = b
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}"),
            &[("buergeramt-api", "1")],
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    assert!(r.json()["message"].is_string(), "{}", r.body);
    // Bodies over the route's limit never reach the upstream.
    let big = vec![b'x'; relay::applications::MAX_SUBMIT_BYTES + 1];
    let r = b
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}"),
            &[("buergeramt-api", "1")],
            "application/json",
            big,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Without a session: 401, and the body is not read.
    let mut nobody = Browser::new();
    let r = nobody
        .send_body(
            Method::POST,
            &format!("{base}/applications"),
            &[("buergeramt-api", "1")],
            "application/json",
            announcement.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // And cross-site: refused.
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications"),
            &[("buergeramt-api", "1"), ("sec-fetch-site", "cross-site")],
            "application/json",
            announcement.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
