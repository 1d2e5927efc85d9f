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
    announce_with(b, base, body, "relay-test-1").await
}

async fn announce_with(b: &mut Browser, base: &str, body: &str, key: &str) -> Resp {
    b.send_body(
        Method::POST,
        &format!("{base}/applications"),
        &[("buergeramt-api", "1"), ("idempotency-key", key)],
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
    // The route names the authority at the place.
    assert_eq!(r.json()["routes"][0]["destinationName"], "Steueramt Hilden");
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
    // Announced for a place the destination does not serve: refused
    // before FIT-Connect hears of it.
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications?ars=091620000000"),
            &[
                ("buergeramt-api", "1"),
                ("idempotency-key", "relay-test-elsewhere"),
            ],
            "application/json",
            announcement.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let first = b
        .send_body(
            Method::POST,
            &format!("{base}/applications?ars={HILDEN}"),
            &[("buergeramt-api", "1"), ("idempotency-key", "relay-test-1")],
            "application/json",
            announcement.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.headers["cache-control"], "no-store");
    let again = announce(&mut b, &base, &announcement).await;
    assert_eq!(again.json()["submissionId"], first.json()["submissionId"]);
    let id = first.json()["submissionId"].as_str().unwrap().to_string();
    let case = first.json()["caseId"].as_str().unwrap().to_string();
    // The relay's short reference (the form's prefix, the year, a number
    // counted per destination), the same for the repeated announce.
    let reference = first.json()["senderReference"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(relay::reference::is_reference(&reference), "{reference}");
    assert!(reference.starts_with("HST-"), "{reference}");
    assert_eq!(again.json()["senderReference"], reference.as_str());

    // Status, list, event log: the citizen's own.
    let r = b.get(&format!("{base}/applications/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["senderReference"], reference.as_str());
    assert_eq!(r.headers["cache-control"], "no-store");
    let list = b.get(&format!("{base}/applications")).await;
    assert!(list.body.contains(&id), "{}", list.body);
    assert_eq!(
        list.json()["submissions"][0]["senderReference"],
        reference.as_str()
    );
    // The record names the authority at the citizen's place.
    assert_eq!(
        list.json()["submissions"][0]["destinationName"],
        "Steueramt Hilden"
    );
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

const WOHNSITZ: &str = "99115001001000";
const KOELN: &str = "053150000000";

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

#[tokio::test]
async fn the_relay_checks_the_level_and_fitconnect_knows_only_the_sender() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut weak = Browser::new();
    login(&mut weak, &relay, L1, "/", ERIKA).await;
    let dest = destination_of(&mut weak, &base, WOHNSITZ, KOELN).await;
    let announcement = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Wohnsitz anmelden", "identifier": format!("urn:de:fim:leika:leistung:{WOHNSITZ}")},
    })
    .to_string();

    // A Level-1 login cannot announce a Level-4 service: the relay says no,
    // in the postbox's shape, whatever the browser sends.
    let r = announce(&mut weak, &base, &announcement).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"], "insufficient_level");
    assert_eq!(r.json()["requiredLevel"], L4);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("melden Sie sich"));

    // Fields FIT-Connect does not have are refused, not passed on.
    let extra = json!({
        "destinationId": dest,
        "serviceType": {"name": "x", "identifier": format!("urn:de:fim:leika:leistung:{WOHNSITZ}")},
        "disclosedAttributes": ["givenName"],
    })
    .to_string();
    assert_eq!(
        announce(&mut weak, &base, &extra).await.status,
        StatusCode::BAD_REQUEST
    );

    // With the eID (Level 4) the same citizen may; the relay records what
    // it handed out for the form, and nothing of it is "disclosed" before
    // the submit.
    let mut strong = Browser::new();
    login(&mut strong, &relay, L4, "/", ERIKA_EID).await;
    let r = announce_with(&mut strong, &base, &announcement, "relay-test-level").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["submissionId"].as_str().unwrap().to_string();
    let case = r.json()["caseId"].as_str().unwrap().to_string();
    let log = strong.get(&format!("{base}/disclosures")).await.json();
    assert_eq!(log["disclosures"], json!([]), "nothing submitted yet");
    let (wanted, recorded): (String, String) = {
        let id = id.clone();
        relay
            .state
            .db
            .call(move |c| {
                Ok((
                    c.query_row(
                        "SELECT level FROM relay_submissions WHERE submission_id = ?1",
                        relay::params![id],
                        |r| r.get(0),
                    )?,
                    c.query_rows(
                        "SELECT attribute FROM relay_disclosures WHERE submission_id = ?1",
                        relay::params![id],
                    )?
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect::<relay::db::Result<Vec<_>>>()?
                    .join(","),
                ))
            })
            .await
            .unwrap()
    };
    assert_eq!(wanted, L4);
    assert!(recorded.contains("givenName"), "{recorded}");
    assert!(recorded.contains("surname"), "{recorded}");

    // The weaker login of the same citizen sees the application in the list
    // but can neither submit it, nor upload to it, nor read its event log
    // (it may carry the authority's words): re-checked on every call.
    let list = weak.get(&format!("{base}/applications")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let mine = list.json()["submissions"].as_array().unwrap().clone();
    let entry = mine
        .iter()
        .find(|s| s["submissionId"] == id.as_str())
        .unwrap();
    assert_eq!(entry["status"], "incomplete");
    assert_eq!(entry["eventsLocked"], true, "the app does not even ask");
    assert_eq!(entry["caseId"], case.as_str());
    assert_eq!(entry["serviceType"]["name"], "Wohnsitz anmelden");
    assert!(entry["destinationName"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    let r = weak
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}"),
            &[("buergeramt-api", "1")],
            "application/json",
            br#"{"encryptedMetadata":"a.b.c.d.e","encryptedData":"a.b.c.d.e"}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"], "insufficient_level");
    let r = weak
        .send_body(
            Method::PUT,
            &format!("{base}/applications/{id}/attachments/{ATT}"),
            &[("buergeramt-api", "1")],
            "application/jose",
            b"a.b.c.d.e".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = weak.get(&format!("{base}/cases/{case}/events")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = strong.get(&format!("{base}/cases/{case}/events")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The attestation: signed by the relay for this submission and this
    // data, with the actual login's level and the verified attributes the
    // form takes over; only for a login at the service's level.
    let hash = "ab".repeat(64);
    let ask = |h: &str| json!({ "dataHash": h }).to_string().into_bytes();
    let url = format!("{base}/applications/{id}/attestation");
    let r = strong
        .send_body(
            Method::POST,
            &url,
            &[("buergeramt-api", "1")],
            "application/json",
            ask(&hash),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();
    let jwks = strong
        .get(&format!("{base}/submission/attestation/jwks"))
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert!(jwks.headers["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    let jwk = jwks.json()["keys"][0].clone();
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[dest.as_str()]);
    let claims = jsonwebtoken::decode::<contract::attestation::Attestation>(&jws, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims.submission_id, id);
    assert_eq!(claims.case_id, case);
    assert_eq!(claims.data_hash.content, hash);
    assert_eq!(claims.level_of_assurance, L4);
    assert_eq!(claims.method, "eid");
    assert_eq!(claims.iss, relay.url);
    let given = claims
        .verified_attributes
        .iter()
        .find(|a| a.name == "givenName")
        .expect("the eID's given name");
    assert_eq!(
        (given.value.as_str(), given.source.as_str()),
        ("Erika", "eid")
    );
    assert!(
        claims
            .verified_attributes
            .iter()
            .all(|a| a.name != "mailboxUuid"),
        "only what the form takes over"
    );
    for (who, body, want) in [
        (&mut weak, ask(&hash), StatusCode::FORBIDDEN),
        (&mut strong, ask("AB"), StatusCode::BAD_REQUEST),
    ] {
        let r = who
            .send_body(
                Method::POST,
                &url,
                &[("buergeramt-api", "1")],
                "application/json",
                body,
            )
            .await;
        assert_eq!(r.status, want, "{}", r.body);
    }

    // FIT-Connect itself takes the sender only: a citizen's own token, or
    // none, is refused there (the relay holds the citizen's token and never
    // sends it to FIT-Connect).
    let token = access_token_of(&relay, &strong).await;
    let direct = format!("{}/fitconnect/v1/submissions/{id}", stand_in().url);
    let http = reqwest::Client::new();
    let r = http.get(&direct).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a citizen is no sender"
    );
    let r = http.get(&direct).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .post(format!("{}/fitconnect/v1/submissions", stand_in().url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(announcement)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // There is no list of a citizen's submissions at FIT-Connect.
    let r = http
        .get(format!("{}/fitconnect/v1/disclosures", stand_in().url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
