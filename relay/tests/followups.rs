//! Follow-ups (Nachreichungen, #17) through the relay: announced with the
//! application's `caseId`, checked by the relay before FIT-Connect hears of
//! them, listed under their application, sharing its reference.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const HUND: &str = "99089005001000";
const HILDEN: &str = "051580016016";
const WOHNSITZ: &str = "99115001001000";
const KOELN: &str = "053150000000";

fn hund() -> Value {
    json!({"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")})
}

fn wohnsitz() -> Value {
    json!({"name": "Wohnsitz anmelden", "identifier": format!("urn:de:fim:leika:leistung:{WOHNSITZ}")})
}

async fn post(b: &mut Browser, url: &str, body: &Value, key: &str) -> Resp {
    b.send_body(
        Method::POST,
        url,
        &[("buergeramt-api", "1"), ("idempotency-key", key)],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// The route's destination for a service at a place.
async fn destination_of(b: &mut Browser, base: &str, leika: &str, ars: &str) -> String {
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={leika}&ars={ars}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An announced application: (submissionId, caseId, senderReference).
async fn application(
    b: &mut Browser,
    base: &str,
    dest: &str,
    service: Value,
    key: &str,
) -> (String, String, String) {
    let body = json!({"destinationId": dest, "announcedAttachments": [], "serviceType": service});
    let r = post(b, &format!("{base}/applications"), &body, key).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let text = |k: &str| v[k].as_str().unwrap().to_string();
    (
        text("submissionId"),
        text("caseId"),
        text("senderReference"),
    )
}

/// How many submissions FIT-Connect holds in the case.
async fn upstream_in_case(case: &str) -> i64 {
    let case = case.to_string();
    stand_in()
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM fitconnect_submissions WHERE case_id = ?1",
                [&case],
                |r| r.get(0),
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_follow_up_joins_the_case_with_the_applications_reference() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let dest = destination_of(&mut b, &base, HUND, HILDEN).await;
    let (app, case, reference) = application(&mut b, &base, &dest, hund(), "fu-app").await;
    let follow_up = json!({"destinationId": dest, "announcedAttachments": [], "serviceType": hund(), "caseId": case});

    // FIT-Connect takes a follow-up only for a handed-in application; its
    // refusal passes through.
    let r = post(
        &mut b,
        &format!("{base}/applications"),
        &follow_up,
        "fu-early",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_ne!(r.json()["error"], "too_many_follow_ups", "{}", r.body);
    assert_eq!(upstream_in_case(&case).await, 1);

    handed_in(&app).await;
    let first = post(&mut b, &format!("{base}/applications"), &follow_up, "fu-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let f = first.json();
    let fid = f["submissionId"].as_str().unwrap().to_string();
    assert_ne!(fid, app);
    assert_eq!(f["caseId"], case.as_str(), "the same case");
    assert_eq!(
        f["senderReference"],
        reference.as_str(),
        "the same Vorgangsnummer"
    );
    assert_eq!(upstream_in_case(&case).await, 2);
    // Repeated with the same key: the same follow-up.
    let again = post(&mut b, &format!("{base}/applications"), &follow_up, "fu-1").await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.json()["submissionId"], fid.as_str());
    assert_eq!(upstream_in_case(&case).await, 2);

    // Its own status, with the shared reference.
    let r = b.get(&format!("{base}/applications/{fid}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["caseId"], case.as_str());
    assert_eq!(r.json()["senderReference"], reference.as_str());

    // Meine Anträge: the application, with the follow-up under it.
    let list = b.get(&format!("{base}/applications")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let all = list.json()["submissions"].as_array().unwrap().clone();
    assert!(
        all.iter().all(|s| s["submissionId"] != fid.as_str()),
        "a follow-up is no application: {}",
        list.body
    );
    let entry = all
        .iter()
        .find(|s| s["submissionId"] == app.as_str())
        .unwrap();
    assert_eq!(entry["status"], "accepted");
    let ups = entry["followUps"].as_array().unwrap();
    assert_eq!(ups.len(), 1, "{}", list.body);
    assert_eq!(ups[0]["submissionId"], fid.as_str());
    assert_eq!(ups[0]["status"], "incomplete");
    assert!(ups[0]["createdAt"].as_i64().is_some_and(|t| t > 0));
    assert_eq!(ups[0]["submittedAt"], Value::Null);

    // The case is still the application's: its event log answers.
    let ev = b.get(&format!("{base}/cases/{case}/events")).await;
    assert_eq!(ev.status, StatusCode::OK, "{}", ev.body);

    // The attestation for the follow-up: its ids, nothing handed out.
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications/{fid}/attestation"),
            &[("buergeramt-api", "1")],
            "application/json",
            json!({"dataHash": "cd".repeat(64)})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();
    let claims: Value = {
        let payload = jws.split('.').nth(1).unwrap();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    assert_eq!(claims["submissionId"], fid.as_str());
    assert_eq!(claims["caseId"], case.as_str());
    assert_eq!(claims["aud"], dest.as_str());
    assert_eq!(claims["verifiedAttributes"], json!([]));

    // No number was used up by the follow-up: the next application gets
    // the next one of the destination.
    let (_, _, next) = application(&mut b, &base, &dest, hund(), "fu-app-2").await;
    let number = |r: &str| r.rsplit('-').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(number(&next), number(&reference) + 1, "{reference} {next}");

    // A follow-up FIT-Connect no longer has is forgotten like an
    // unfinished application.
    let gone = fid.clone();
    stand_in()
        .state
        .db
        .call(move |c| c.execute("DELETE FROM fitconnect_submissions WHERE id = ?1", [&gone]))
        .await
        .unwrap();
    let list = b.get(&format!("{base}/applications")).await.json();
    let entry = list["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["submissionId"] == app.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["followUps"], json!([]));
    let r = b.get(&format!("{base}/applications/{fid}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

#[tokio::test]
async fn the_relay_checks_a_follow_up_before_fitconnect_hears_of_it() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let url = format!("{base}/applications");
    let mut erika = Browser::new();
    login(&mut erika, &relay, L1, "/", ERIKA).await;
    let dest = destination_of(&mut erika, &base, HUND, HILDEN).await;
    let other_dest = destination_of(&mut erika, &base, WOHNSITZ, KOELN).await;
    let (app, case, _) = application(&mut erika, &base, &dest, hund(), "chk-app").await;
    handed_in(&app).await;
    let body = |d: &str, service: Value, case: &str| json!({"destinationId": d, "announcedAttachments": [], "serviceType": service, "caseId": case});

    // Another citizen's case, an unknown one, a malformed one: 404.
    let mut max = Browser::new();
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    let r = post(&mut max, &url, &body(&dest, hund(), &case), "chk-max").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for unknown in ["0b6c8e52-4d1e-4f3a-9c1b-6a2f0e7d5c11", "not-a-case"] {
        let r = post(
            &mut erika,
            &url,
            &body(&dest, hund(), unknown),
            "chk-unknown",
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{unknown}: {}", r.body);
    }
    // Another destination or service than the application's: 400 (the
    // stand-in would say 422).
    let r = post(
        &mut erika,
        &url,
        &body(&other_dest, hund(), &case),
        "chk-dest",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post(
        &mut erika,
        &url,
        &body(&dest, wohnsitz(), &case),
        "chk-service",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        upstream_in_case(&case).await,
        1,
        "FIT-Connect heard nothing"
    );

    // The application's level: a Level-4 application, a Level-1 login.
    let mut strong = Browser::new();
    login(&mut strong, &relay, L4, "/", ERIKA_EID).await;
    let (l4_app, l4_case, _) =
        application(&mut strong, &base, &other_dest, wohnsitz(), "chk-l4").await;
    handed_in(&l4_app).await;
    let weak_try = body(&other_dest, wohnsitz(), &l4_case);
    let r = post(&mut erika, &url, &weak_try, "chk-weak").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"], "insufficient_level");
    assert_eq!(r.json()["requiredLevel"], L4);
    assert_eq!(upstream_in_case(&l4_case).await, 1);
    // The eID login may.
    let r = post(&mut strong, &url, &weak_try, "chk-strong").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // The quota: with as many follow-ups recorded as a case may have, the
    // next is refused with its own code, before FIT-Connect.
    let max_n = relay::followup::MAX_FOLLOW_UPS_PER_CASE;
    let (app_id, case_id) = (app.clone(), case.clone());
    relay
        .state
        .db
        .call(move |c| {
            for i in 0..max_n {
                c.execute(
                    "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at, follows)
                     SELECT ?1, case_id, sub, created_at, submission_id
                     FROM relay_submissions WHERE submission_id = ?2",
                    relay::params![format!("filler-{i}-{case_id}"), app_id],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let r = post(&mut erika, &url, &body(&dest, hund(), &case), "chk-quota").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "too_many_follow_ups");
    assert!(r.json()["message"].is_string());
    assert!(
        r.headers.get("retry-after").is_none(),
        "a quota, not a rate"
    );
    assert_eq!(upstream_in_case(&case).await, 1);
}
