//! Mandates for children and cared-for persons (issue #25) through the
//! relay against the stand-in: `POST /mandates/requests` and every refusal
//! as a direct call, the pending mandate, the attestation's
//! `mandateRequest`, the outcome read from FIT-Connect's status of the
//! request submission (accepted: active, rejected: refused), and using
//! such a mandate: the declared person's data, no verified attributes in
//! the attestation, no postbox, giving it back, the use log, the export.
//! Here the authority's decision is written into the stand-in's FIT-Connect
//! as its console's accept and reject write it; the whole way through the
//! console is `tests/mandate_requests_console.rs`.

mod mandate_requests_common;
mod support;

use contract::mandate_request as mr;
use mandate_requests_common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const LEYLA: How<'static> = How::Eid("eid-leyla", "654321");

async fn announce(
    b: &mut Browser,
    base: &str,
    dest: &str,
    service: &str,
    name: &str,
    mandate: Option<&str>,
    key: &str,
) -> String {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": name, "identifier": service},
    });
    let url = match mandate {
        Some(m) => format!("{base}/applications?ars={HILDEN}&for={m}"),
        None => format!("{base}/applications?ars={HILDEN}"),
    };
    let r = b
        .send_body(
            Method::POST,
            &url,
            &[("buergeramt-api", "1"), ("idempotency-key", key)],
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["submissionId"].as_str().unwrap().to_string()
}

async fn announce_request(b: &mut Browser, base: &str, dest: &str, key: &str) -> String {
    let name = "Vertretung nachweisen (Sorgerecht oder Betreuung)";
    announce(b, base, dest, mr::SERVICE, name, None, key).await
}

fn child(sid: &str, given: &str, birth: &str) -> Value {
    json!({
        "submissionId": sid,
        "kind": "sorgerecht",
        "person": {"givenNames": given, "familyName": "Mustermann", "birthDate": birth},
    })
}

fn care(sid: &str, until: &str) -> Value {
    json!({
        "submissionId": sid,
        "kind": "betreuung",
        "person": {"givenNames": "Paul", "familyName": "Beispiel", "birthDate": "1950-07-01"},
        "careUntil": until,
        "careScope": "Vermögenssorge, Behördenangelegenheiten",
    })
}

async fn attest(b: &mut Browser, base: &str, sid: &str) -> Resp {
    post_json(
        b,
        &format!("{base}/applications/{sid}/attestation"),
        &json!({"dataHash": "ab".repeat(64)}),
    )
    .await
}

/// What the authority decided, as FIT-Connect's stand-in keeps it after
/// the console's accept (`accepted`) or reject (`rejected`).
async fn decided(sid: &str, status: &'static str) {
    let sid = sid.to_string();
    let n = stand_in()
        .state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE fitconnect_submissions SET status = ?2 WHERE id = ?1",
                rusqlite::params![sid, status],
            )
        })
        .await
        .unwrap();
    assert_eq!(n, 1, "the stand-in knows the submission");
}

#[tokio::test]
async fn a_request_is_checked_attested_and_activated_by_the_authority() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let requests = format!("{base}{}", mr::REQUESTS_PATH);
    let (mut erika, mut leyla, mut weak) = (Browser::new(), Browser::new(), Browser::new());
    login(&mut erika, &relay, L4, "/", ERIKA_EID).await;
    login(&mut leyla, &relay, L4, "/", LEYLA).await;
    login(&mut weak, &relay, L1, "/", ERIKA).await;
    let dest = destination(&mut erika, &base, mr::LEIKA).await;
    let sid = announce_request(&mut erika, &base, &dest, "req-erika-1").await;
    let sent = announce_request(&mut erika, &base, &dest, "req-erika-sent").await;
    let hers = announce_request(&mut leyla, &base, &dest, "req-leyla-1").await;
    let hund_dest = destination(&mut erika, &base, "99089005001000").await;
    let hund = announce(
        &mut erika,
        &base,
        &hund_dest,
        HUND,
        "Hundesteuer anmelden",
        None,
        "req-erika-hund",
    )
    .await;
    let lena = years_ago(9);

    // Refused: a Level-1 login, as a grant is.
    let r = post_json(&mut weak, &requests, &child(&sid, "Lena", &lena)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(error_of(&r), "insufficient_level");
    assert_eq!(r.json()["requiredLevel"], "STORK-QAA-Level-3");
    // Before the request, the attestation of the request submission.
    let r = attest(&mut erika, &base, &sid).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::BAD_REQUEST, mr::ERROR_INVALID_REQUEST),
        "{}",
        r.body
    );
    // Someone else's submission, another service, one sent already.
    let sid2 = sent.clone();
    relay
        .state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE relay_submissions SET submitted_at = ?2 WHERE submission_id = ?1",
                relay::params![sid2, relay::session::now()],
            )
        })
        .await
        .unwrap();
    let bad: Vec<(&str, Value)> = vec![
        ("someone else's", child(&hers, "Lena", &lena)),
        ("another service", child(&hund, "Lena", &lena)),
        ("sent already", child(&sent, "Lena", &lena)),
        ("not a UUID", child("x", "Lena", &lena)),
        ("of age", child(&sid, "Lena", &years_ago(18))),
        ("born tomorrow", child(&sid, "Lena", &day_in(1))),
        ("not a date", child(&sid, "Lena", "2016-02-30")),
        ("no name", child(&sid, " ", &lena)),
        ("care ended", care(&sid, &day_in(-1))),
        ("care too far", care(&sid, &day_in(7 * 366 + 2))),
        (
            "a Vollmacht",
            json!({"submissionId": sid, "kind": "vollmacht",
                   "person": {"givenNames": "L", "familyName": "M", "birthDate": lena}}),
        ),
    ];
    for (what, body) in &bad {
        let r = post_json(&mut erika, &requests, body).await;
        assert_eq!(
            (r.status, error_of(&r).as_str()),
            (StatusCode::BAD_REQUEST, mr::ERROR_INVALID_REQUEST),
            "{what}: {}",
            r.body
        );
    }
    let mut unknown = child(&sid, "Lena", &lena);
    unknown["postbox"] = json!(true);
    let r = post_json(&mut erika, &requests, &unknown).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = erika
        .send_body(
            Method::POST,
            &requests,
            &[("buergeramt-api", "1")],
            "application/json",
            vec![b' '; relay::mandates::requests::MAX_REQUEST_BYTES + 1],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(listed["received"], json!([]), "nothing was kept");

    // The request: pending, for Lena as declared.
    let r = post_json(&mut erika, &requests, &child(&sid, " Lena ", &lena)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let m = r.json();
    let id = m["id"].as_str().unwrap().to_string();
    let last = mr::last_day_before_18(&lena).unwrap();
    assert_eq!(m["state"], "pending");
    assert_eq!(m["kind"], "sorgerecht");
    assert_eq!(
        m["grantor"],
        json!({"givenNames": "Lena", "familyName": "Mustermann"})
    );
    assert_eq!(m["grantee"]["givenNames"], "Erika");
    assert_eq!(m["validUntil"], last.as_str());
    assert_eq!(m["postbox"], false);
    assert!(m["services"].is_null());
    // Repeated (the app retries, or the form changed): the same mandate.
    let r = post_json(&mut erika, &requests, &child(&sid, "Lena Marie", &lena)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["id"], id.as_str());
    assert_eq!(r.json()["grantor"]["givenNames"], "Lena Marie");
    // Listed as received; nobody granted it.
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &id)["state"], "pending");
    assert_eq!(listed["granted"], json!([]));
    // Pending: not usable yet (refused, logged).
    let person = format!("{base}/mandates/{id}/person?service={HUND}");
    let r = erika.get(&person).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );

    // The attestation of the request submission carries what was requested.
    let r = attest(&mut erika, &base, &sid).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = claims_of(r.json()["attestation"].as_str().unwrap());
    let asked = &claims["mandateRequest"];
    assert_eq!(asked["id"], id.as_str(), "{claims}");
    assert_eq!(asked["kind"], "sorgerecht");
    assert_eq!(
        asked["person"],
        json!({"givenNames": "Lena Marie", "familyName": "Mustermann", "birthDate": lena})
    );
    assert_eq!(asked["validUntil"], last.as_str());
    assert_eq!(
        asked["applicant"],
        json!({"givenNames": "Erika", "familyName": "Mustermann"})
    );
    let verified = asked["applicantVerified"].as_array().unwrap();
    assert!(verified
        .iter()
        .any(|a| a["name"] == "birthdate" && a["value"] == "1964-08-12" && a["source"] == "eid"));
    assert!(claims["mandate"].is_null());
    // Leyla cannot use or end Erika's request.
    let r = leyla
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The clerk confirms (accept-submission): the list reads it.
    decided(&sid, "accepted").await;
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &id)["state"], "active", "{listed}");
    // Decided: the request cannot be changed any more.
    let r = post_json(&mut erika, &requests, &child(&sid, "Lena", &lena)).await;
    assert_eq!(error_of(&r), mr::ERROR_INVALID_REQUEST);

    // The person's data: as declared, self-declared.
    let r = erika.get(&person).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["kind"], "sorgerecht");
    let attrs = r.json()["attributes"].as_array().unwrap().clone();
    let names: Vec<(&str, &str, &str)> = attrs
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["value"].as_str().unwrap(),
                a["trust"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("givenName", "Lena Marie", "self-declared"),
            ("surname", "Mustermann", "self-declared"),
            ("birthdate", lena.as_str(), "self-declared"),
        ],
        "{attrs:?}"
    );
    // No postbox for Lena.
    let r = erika
        .get(&format!("{base}/postbox/messages?for={id}"))
        .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );

    // Applying for Lena: the attestation names the mandate, no verified
    // attributes of hers (she has no login here).
    let for_lena = announce(
        &mut erika,
        &base,
        &hund_dest,
        HUND,
        "Hundesteuer anmelden",
        Some(&id),
        "req-erika-for-lena",
    )
    .await;
    let r = attest(&mut erika, &base, &for_lena).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = claims_of(r.json()["attestation"].as_str().unwrap());
    assert_eq!(claims["mandate"]["id"], id.as_str(), "{claims}");
    assert_eq!(claims["mandate"]["kind"], "sorgerecht");
    assert_eq!(claims["mandate"]["forPerson"]["givenNames"], "Lena Marie");
    assert_eq!(claims["mandate"]["applicant"]["givenNames"], "Erika");
    assert_eq!(claims["verifiedAttributes"], json!([]));
    assert!(claims["mandateRequest"].is_null());

    // Erika gives it back.
    let r = erika
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "returned");
    assert_eq!(erika.get(&person).await.status, StatusCode::FORBIDDEN);

    // Logged as any mandate's uses.
    let uses = erika.get(&format!("{base}/mandates/uses")).await.json();
    let mut actions: Vec<String> = uses["own"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap().to_string())
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        ["refused", "prefill", "refused", "apply", "refused"],
        "{uses}"
    );
    assert_eq!(uses["byGrantees"], json!([]));
    // "Meine Daten": the request among the received mandates.
    let doc = erika
        .api(Method::GET, &format!("{base}/account/export"))
        .await
        .json();
    let got = doc["mandates"]["received"].as_array().unwrap();
    assert!(
        got.iter().any(|m| m["mandate"]["id"] == id.as_str()),
        "{}",
        doc["mandates"]
    );
}

#[tokio::test]
async fn a_rejected_request_is_refused_and_a_pending_one_can_be_given_back() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let requests = format!("{base}{}", mr::REQUESTS_PATH);
    let mut erika = Browser::new();
    login(&mut erika, &relay, L4, "/", ERIKA_EID).await;
    let dest = destination(&mut erika, &base, mr::LEIKA).await;

    // Betreuung: its end and Aufgabenkreise as declared.
    let sid = announce_request(&mut erika, &base, &dest, "care-1").await;
    let until = day_in(400);
    let r = post_json(&mut erika, &requests, &care(&sid, &until)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["kind"], "betreuung");
    assert_eq!(r.json()["validUntil"], until.as_str());
    assert_eq!(
        r.json()["careScope"],
        "Vermögenssorge, Behördenangelegenheiten"
    );
    let r = attest(&mut erika, &base, &sid).await;
    let claims = claims_of(r.json()["attestation"].as_str().unwrap());
    assert_eq!(
        claims["mandateRequest"]["careScope"],
        "Vermögenssorge, Behördenangelegenheiten"
    );
    // While FIT-Connect has no decision, it stays pending.
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &id)["state"], "pending");

    // The clerk refuses (reject-submission): the check reads it first.
    decided(&sid, "rejected").await;
    let r = erika
        .get(&format!("{base}/mandates/{id}/person?service={HUND}"))
        .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    let m = received(&listed, &id);
    assert_eq!(m["state"], "refused", "{m}");
    assert!(m["endedAt"].is_i64());
    let r = attest(&mut erika, &base, &sid).await;
    assert_eq!(error_of(&r), mr::ERROR_INVALID_REQUEST, "no longer pending");

    // A second request, given back while pending: decided later, it stays
    // given back.
    let sid = announce_request(&mut erika, &base, &dest, "child-2").await;
    let r = post_json(&mut erika, &requests, &child(&sid, "Tim", &years_ago(3))).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = erika
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.json()["state"], "returned", "{}", r.body);
    decided(&sid, "accepted").await;
    let listed = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(received(&listed, &id)["state"], "returned");

    // Deleting Erika's data ends a pending request.
    let sid = announce_request(&mut erika, &base, &dest, "child-3").await;
    let r = post_json(&mut erika, &requests, &child(&sid, "Ben", &years_ago(5))).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let handle = erika.get(&format!("{base}/session")).await.json()["handle"]
        .as_str()
        .unwrap()
        .to_string();
    let r = erika
        .send_body(
            Method::DELETE,
            &format!("{base}/account/data"),
            &[("buergeramt-api", "1")],
            "application/json",
            json!({"confirm": contract::relay::DELETE_CONFIRMATION, "handle": handle})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT state, snapshot FROM relay_mandates WHERE id = ?1",
                relay::params![id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(after, ("returned".to_string(), None));
    let listed = erika.get(&format!("{base}/mandates")).await;
    assert_eq!(listed.status, StatusCode::UNAUTHORIZED, "logged out too");
}
