//! Mandates (issue #25) through the relay against the stand-in: the code,
//! the grant and its refusals, the person's data for a form, applying and
//! reading the postbox for someone, revoking, giving back, expiry, the
//! wrong-code limit, and the use log with every use and refusal. Each
//! refusal is a direct API call.

mod support;

use backends::zbp::{self, MessageKind, NewMessage};
use contract::trust::TrustLevel;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const HUND: &str = "urn:de:fim:leika:leistung:99089005001000";
const WOHNSITZ: &str = "urn:de:fim:leika:leistung:99115001001000";
const HILDEN: &str = "051580016016";
const JONAS: How<'static> = How::Password("jonas.schmidt", "Elster-Konto-7");
const MAX: How<'static> = How::Password("max.beispiel", "Beispiel-Basis-1");

async fn code_of(b: &mut Browser, base: &str) -> String {
    let r = b.api(Method::POST, &format!("{base}/mandates/code")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = r.json()["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 14, "{code}");
    code
}

fn grant(code: &str, services: Option<&[&str]>, postbox: bool, until: &str) -> Value {
    json!({
        "code": code,
        "services": services.map(|s| s.iter().map(|i| json!({"identifier": i, "name": "Leistung"})).collect::<Vec<_>>()),
        "postbox": postbox,
        "validUntil": until,
    })
}

async fn attribute(b: &mut Browser, relay: &Relay, name: &str) -> String {
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    s["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string()
}

fn error_of(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

async fn announce(b: &mut Browser, base: &str, dest: &str, mandate: &str) -> Resp {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": HUND},
    });
    b.send_body(
        Method::POST,
        &format!("{base}/applications?ars={HILDEN}&for={mandate}"),
        &[("buergeramt-api", "1"), ("idempotency-key", "mandate-1")],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// The claims of a compact JWS (the attestation), unverified.
fn claims_of(jws: &str) -> Value {
    use base64::Engine;
    let part = jws.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A follow-up of `case` (issue #17), under `mandate` when named.
async fn follow_up(
    b: &mut Browser,
    base: &str,
    dest: &str,
    case: &str,
    mandate: Option<&str>,
) -> Resp {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": HUND},
        "caseId": case,
    });
    let url = match mandate {
        Some(m) => format!("{base}/applications?for={m}"),
        None => format!("{base}/applications"),
    };
    let key = format!("follow-{}", mandate.unwrap_or("none"));
    b.send_body(
        Method::POST,
        &url,
        &[("buergeramt-api", "1"), ("idempotency-key", key.as_str())],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

fn actions(uses: &Value) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = uses
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["action"].as_str().unwrap().to_string(),
                u["service"].as_str().map(str::to_string),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_mandate_is_granted_used_logged_and_revoked() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let (mut erika, mut jonas, mut max) = (Browser::new(), Browser::new(), Browser::new());
    login(&mut erika, &relay, L4, "/", ERIKA_EID).await;
    login(&mut jonas, &relay, L1, "/", JONAS).await;
    login(&mut max, &relay, L1, "/", MAX).await;
    let code = code_of(&mut jonas, &base).await;
    let until = day_in(30);

    // Refused: a Level-1 grantor, the own code, a wrong code, a bad date.
    let mut weak = Browser::new();
    login(&mut weak, &relay, L1, "/", ERIKA).await;
    let r = post_json(
        &mut weak,
        &format!("{base}/mandates"),
        &grant(&code, None, false, &until),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["requiredLevel"], "STORK-QAA-Level-3");
    let own = code_of(&mut erika, &base).await;
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&own, None, false, &until),
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::BAD_REQUEST, "mandate_own_code")
    );
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant("ABCD-EFGH-JKMN", None, false, &until),
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::BAD_REQUEST, "mandate_code_invalid")
    );
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, None, false, "2026-02-30"),
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::BAD_REQUEST, "mandate_invalid_grant")
    );
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, Some(&["urn:x"]), false, &until),
    )
    .await;
    assert_eq!(error_of(&r), "mandate_invalid_grant");

    // The grant: Hundesteuer only, without the postbox.
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, Some(&[HUND]), false, &until),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let m = r.json();
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["state"], "active");
    assert_eq!(m["kind"], "vollmacht");
    assert_eq!(m["grantee"]["givenNames"], "Jonas");
    assert_eq!(m["grantor"]["familyName"], "Mustermann");
    assert_eq!(m["validUntil"], until.as_str());
    // The code is used now.
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, None, false, &until),
    )
    .await;
    assert_eq!(error_of(&r), "mandate_code_invalid");

    // Both lists.
    let mine = erika.get(&format!("{base}/mandates")).await.json();
    assert_eq!(mine["granted"][0]["id"], id.as_str());
    assert_eq!(mine["received"], json!([]));
    let his = jonas.get(&format!("{base}/mandates")).await.json();
    assert_eq!(his["received"][0]["id"], id.as_str());
    assert_eq!(his["granted"], json!([]));

    // The person's data: outside the scope 403, inside with the postbox handle.
    let person = |svc: &str| format!("{base}/mandates/{id}/person?service={svc}");
    let r = jonas.get(&person(WOHNSITZ)).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );
    let r = jonas.get(&person(HUND)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mailbox = attribute(&mut erika, &relay, "mailboxUuid").await;
    let attrs = r.json()["attributes"].as_array().unwrap().clone();
    assert!(attrs
        .iter()
        .any(|a| a["name"] == "mailboxUuid" && a["value"] == mailbox.as_str()));
    assert!(attrs
        .iter()
        .any(|a| a["name"] == "givenName" && a["value"] == "Erika"));

    // No postbox right: 403.
    let r = jonas
        .get(&format!("{base}/postbox/messages?for={id}"))
        .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );

    // Another citizen: 404 on everything.
    assert_eq!(max.get(&person(HUND)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        max.get(&format!("{base}/postbox/messages?for={id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = max
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        max.get(&format!("{base}/mandates")).await.json()["granted"],
        json!([])
    );

    // Applying for Erika: the record is Jonas's, marked for Erika.
    let r = jonas
        .get(&format!(
            "{base}/submission/routes?leikaKey=99089005001000&ars={HILDEN}"
        ))
        .await;
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = announce(&mut max, &base, &dest, &id).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = announce(&mut jonas, &base, &dest, &id).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let sid = r.json()["submissionId"].as_str().unwrap().to_string();
    let listed = jonas.get(&format!("{base}/applications")).await.json();
    let item = &listed["submissions"][0];
    assert_eq!(item["submissionId"], sid.as_str());
    assert_eq!(item["onBehalf"]["mandateId"], id.as_str());
    assert_eq!(item["onBehalf"]["forPerson"]["givenNames"], "Erika");
    assert_eq!(item["onBehalf"]["applicant"]["givenNames"], "Jonas");
    assert_eq!(item["onBehalf"]["forMe"], false, "Jonas applied for Erika");
    let listed = erika.get(&format!("{base}/applications")).await.json();
    let hers = listed["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["submissionId"] == sid.as_str());
    assert_eq!(
        hers.map(|i| i["onBehalf"]["forMe"].clone()),
        Some(serde_json::Value::Bool(true)),
        "{listed}"
    );
    assert_eq!(
        jonas
            .get(&format!("{base}/applications/{sid}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        erika
            .get(&format!("{base}/applications/{sid}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        max.get(&format!("{base}/applications/{sid}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The attestation names the mandate and who applied.
    let r = post_json(
        &mut jonas,
        &format!("{base}/applications/{sid}/attestation"),
        &json!({"dataHash": "ab".repeat(64)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();
    let claims = claims_of(&jws);
    assert_eq!(claims["mandate"]["id"], id.as_str());
    assert_eq!(claims["mandate"]["forPerson"]["givenNames"], "Erika");
    assert_eq!(claims["mandate"]["applicant"]["givenNames"], "Jonas");
    assert_eq!(claims["levelOfAssurance"], L1, "the applicant's own level");

    // A follow-up of this case (the authority asked for more) goes under
    // the same mandate: naming another is refused; the follow-up's record
    // carries the mandate, so its attestation names it too.
    let case = listed["submissions"][0]["caseId"]
        .as_str()
        .unwrap()
        .to_string();
    handed_in(&sid).await;
    let other = "6f1c2b9e-0000-4000-8000-000000000001";
    let r = follow_up(&mut jonas, &base, &dest, &case, Some(other)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = follow_up(&mut jonas, &base, &dest, &case, Some(&id)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let follow = r.json()["submissionId"].as_str().unwrap().to_string();
    let r = post_json(
        &mut jonas,
        &format!("{base}/applications/{follow}/attestation"),
        &json!({"dataHash": "cd".repeat(64)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();
    let claims = claims_of(&jws);
    assert_eq!(claims["mandate"]["id"], id.as_str(), "{claims}");

    // Erika revokes: every next call of Jonas is refused, at once.
    let r = erika
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "revoked");
    assert!(r.json()["endedAt"].is_i64());
    let r = jonas.get(&person(HUND)).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );
    let r = announce(&mut jonas, &base, &dest, &id).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );
    let r = jonas.get(&format!("{base}/applications/{sid}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let listed = jonas.get(&format!("{base}/applications")).await.json();
    assert!(
        !listed.to_string().contains(&sid),
        "the grantee no longer lists it"
    );
    let listed = erika.get(&format!("{base}/applications")).await.json();
    assert!(
        listed.to_string().contains(&sid),
        "the person concerned still does"
    );
    assert_eq!(
        erika
            .get(&format!("{base}/applications/{sid}"))
            .await
            .status,
        StatusCode::OK
    );
    // No follow-up either, with or without naming the mandate.
    for named in [Some(id.as_str()), None] {
        let r = follow_up(&mut jonas, &base, &dest, &case, named).await;
        assert_eq!(
            (r.status, error_of(&r).as_str()),
            (StatusCode::FORBIDDEN, "mandate_not_valid"),
            "{}",
            r.body
        );
    }

    // The log: every use and every refusal, in order, for both.
    let expected: Vec<(String, Option<String>)> = [
        ("refused", Some(WOHNSITZ)),
        ("prefill", Some(HUND)),
        ("refused", None),
        ("apply", Some(HUND)),
        ("status", Some(HUND)),
        ("apply", Some(HUND)),
        ("refused", Some(HUND)),
        ("refused", Some(HUND)),
        ("refused", Some(HUND)),
        ("refused", Some(HUND)),
        ("refused", Some(HUND)),
    ]
    .iter()
    .map(|(a, s)| (a.to_string(), s.map(str::to_string)))
    .collect();
    let uses = erika.get(&format!("{base}/mandates/uses")).await.json();
    assert_eq!(actions(&uses["byGrantees"]), expected, "{uses}");
    assert_eq!(uses["own"], json!([]));
    assert_eq!(uses["byGrantees"][0]["grantee"]["givenNames"], "Jonas");
    let own = jonas.get(&format!("{base}/mandates/uses")).await.json();
    assert_eq!(actions(&own["own"]), expected);
    assert_eq!(
        max.get(&format!("{base}/mandates/uses")).await.json()["byGrantees"],
        json!([])
    );
}

#[tokio::test]
async fn the_postbox_is_read_only_and_a_mandate_ends_by_giving_back_and_expiry() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let (mut erika, mut jonas) = (Browser::new(), Browser::new());
    login(&mut erika, &relay, L4, "/", ERIKA_EID).await;
    login(&mut jonas, &relay, L1, "/", JONAS).await;
    let code = code_of(&mut jonas, &base).await;
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, None, true, &day_in(0)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();

    // Erika's postbox, read by Jonas at his own level.
    let mailbox = attribute(&mut erika, &relay, "mailboxUuid").await;
    let msg = zbp::deliver(
        &stand_in().state,
        NewMessage {
            mailbox_uuid: mailbox.clone(),
            kind: MessageKind::Info,
            sender: "Stadt Hilden (Testdaten)".into(),
            title: "Hinweis (Vollmacht-Test)".into(),
            content: "Inhalt".into(),
            service: None,
            application_id: None,
            reference: None,
            level: TrustLevel::Level1,
            appealable: false,
            retrieval_confirmation_address: None,
            reply_address: None,
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    let r = jonas
        .get(&format!(
            "{base}/postbox/messages?q=Vollmacht-Test&for={id}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["mailboxUuid"], mailbox.as_str());
    assert_eq!(r.json()["count"], 1);
    let one = format!("{base}/postbox/messages/{msg}?for={id}");
    assert_eq!(jonas.get(&one).await.status, StatusCode::OK);
    let r = jonas
        .get(&format!("{base}/postbox/messages/unread-count?for={id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Read only.
    let r = jonas.api(Method::DELETE, &one).await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_read_only")
    );
    let r = jonas
        .api(
            Method::POST,
            &format!("{base}/postbox/messages/{msg}/unread?for={id}"),
        )
        .await;
    assert_eq!(error_of(&r), "mandate_read_only");
    // Without `for` it is Jonas's own postbox.
    let own = jonas
        .get(&format!("{base}/postbox/messages?q=Vollmacht-Test"))
        .await
        .json();
    assert_eq!(own["count"], 0, "{own}");

    // Jonas gives it back: the postbox is closed to him at once.
    let r = jonas
        .api(Method::DELETE, &format!("{base}/mandates/{id}"))
        .await;
    assert_eq!(r.json()["state"], "returned", "{}", r.body);
    let r = jonas
        .get(&format!("{base}/postbox/messages?for={id}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = jonas.get(&one).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Expiry: a second mandate whose end lies in the past.
    let code = code_of(&mut jonas, &base).await;
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, None, true, &day_in(10)),
    )
    .await;
    let second = r.json()["id"].as_str().unwrap().to_string();
    let s2 = second.clone();
    relay
        .state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE relay_mandates SET ends_at = ?2 WHERE id = ?1",
                relay::params![s2, relay::session::now() - 1],
            )
        })
        .await
        .unwrap();
    let his = jonas.get(&format!("{base}/mandates")).await.json();
    let m = his["received"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == second.as_str())
        .unwrap()
        .clone();
    assert_eq!(m["state"], "expired");
    let r = jonas
        .get(&format!("{base}/mandates/{second}/person?service={HUND}"))
        .await;
    assert_eq!(
        (r.status, error_of(&r).as_str()),
        (StatusCode::FORBIDDEN, "mandate_not_valid")
    );
    let r = jonas
        .get(&format!("{base}/postbox/messages?for={second}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // "Meine Daten" lists the mandates and the uses.
    let doc = erika
        .api(Method::GET, &format!("{base}/account/export"))
        .await
        .json();
    assert_eq!(
        doc["mandates"]["granted"].as_array().unwrap().len(),
        2,
        "{}",
        doc["mandates"]
    );
    let logged = doc["mandates"]["usesByGrantees"].as_array().unwrap().len();
    assert_eq!(logged, 9, "{}", doc["mandates"]);

    // Wrong codes: ten an hour, then 429 even for a right one.
    let code = code_of(&mut jonas, &base).await;
    for _ in 0..10 {
        let r = post_json(
            &mut erika,
            &format!("{base}/mandates"),
            &grant("ABCD-EFGH-JKMN", None, false, &day_in(1)),
        )
        .await;
        assert_eq!(error_of(&r), "mandate_code_invalid");
    }
    let r = post_json(
        &mut erika,
        &format!("{base}/mandates"),
        &grant(&code, None, false, &day_in(1)),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key("retry-after"));
}
