//! FIT-Connect stand-in end to end: route → destination → key → announce →
//! attachment → submit → event log, with JWEs made the way the browser will
//! (RSA-OAEP-256 wrapping a random key, AES-256-GCM with the protected
//! header as AAD), and the authority side decrypting and checking them.
//!
//! FIT-Connect knows senders (the Onlinedienst's service token), never
//! citizens: the citizen's side (own list, another citizen's 404, the level
//! at announce, the disclosures) is the relay's and is tested in
//! `relay/tests/applications.rs`; the attestation the authority checks
//! instead, in `tests/fitconnect_attestation.rs`.

mod support;
use support::fitconnect::*;

use axum::http::{header, Method, StatusCode};
use backends::fitconnect::{self, forms, jwe, keys, subscriber};
use backends::{AppState, Config};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::rsa::Rsa;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn whole_flow_route_to_accepted_with_signed_events() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, schema_uri) = discover(&app, HUND, HILDEN).await;
    assert_eq!(
        schema_uri,
        format!("{BASE}/schemas/hundesteuer-anmelden.schema.json")
    );
    let schema = get(
        &app,
        schema_uri.strip_prefix("http://127.0.0.1:8080").unwrap(),
        None,
    )
    .await;
    assert_eq!(schema.status, StatusCode::OK);
    assert_eq!(schema.json()["x-leika"], HUND);

    let erika = erika_basis(&app).await;
    let token = sender_token(&app).await;
    let a = announce(&app, &token, &dest, HUND, &[ATT1], Some("klick-1")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let sub = a.json()["submissionId"].as_str().unwrap().to_string();
    let case = a.json()["caseId"].as_str().unwrap().to_string();
    // The double click: same key, same sender → the same submission.
    let again = announce(&app, &token, &dest, HUND, &[ATT1], Some("klick-1")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["submissionId"], sub.as_str());
    assert_eq!(again.json()["caseId"], case.as_str());
    // Same key for another request → conflict; another key → a new submission.
    let other = announce(&app, &token, &dest, HUND, &[], Some("klick-1")).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    let fresh = announce(&app, &token, &dest, HUND, &[ATT1], Some("klick-2")).await;
    assert_ne!(fresh.json()["submissionId"], sub.as_str());

    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&token),
    )
    .await;
    assert_eq!(st.json()["status"], "incomplete");

    let data = serde_json::to_vec(&hund_data(true)).unwrap();
    let login = Login::of(&app, &erika, HUND).await;
    let meta = with_attestation(
        metadata(
            &schema_uri,
            &data,
            &[(ATT1, PDF, "application/pdf", "sachkunde.pdf")],
        ),
        &attest(&sub, &case, &dest, &data, &login),
    );
    let meta = serde_json::to_vec(&meta).unwrap();
    let data_jwe = encrypt_for(&jwk, &data, "application/json");
    let meta_jwe = encrypt_for(&jwk, &meta, "application/json");

    // Submitting before the announced attachment is there: 422.
    let early = submit(&app, &token, &sub, &meta_jwe, &data_jwe).await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );

    let att_jwe = encrypt_for(&jwk, PDF, "application/pdf");
    // Wrong content type, unannounced id.
    let r = call(
        &app,
        Method::PUT,
        &format!("/fitconnect/v1/submissions/{sub}/attachments/{ATT1}"),
        Some(&token),
        &[],
        Some(("text/plain", att_jwe.clone())),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = put_attachment(
        &app,
        &token,
        &sub,
        "11111111-2222-4333-8444-555555555555",
        att_jwe.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = put_attachment(&app, &token, &sub, ATT1, "not.a.jwe".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = put_attachment(&app, &token, &sub, ATT1, att_jwe.clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // The subscriber is held off until the clerk has tried too early.
    let pause = subscriber::paused(&state).await;
    let done = submit(&app, &token, &sub, &meta_jwe, &data_jwe).await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.body);
    assert_eq!(done.json()["status"], "submitted");
    // The same body again (a retry): 202 again; a different body: 409.
    let retry = submit(&app, &token, &sub, &meta_jwe, &data_jwe).await;
    assert_eq!(retry.status, StatusCode::ACCEPTED);
    let other_data = encrypt_for(&jwk, &data, "application/json");
    let changed = submit(&app, &token, &sub, &meta_jwe, &other_data).await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    // Attachments are frozen now.
    let late = put_attachment(&app, &token, &sub, ATT1, att_jwe.clone()).await;
    assert_eq!(late.status, StatusCode::CONFLICT);

    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&token),
    )
    .await
    .json();
    assert_eq!(st["status"], "submitted");
    assert_eq!(st["uploadedAttachments"], json!([ATT1]));

    // The authority's subscriber receives it; the clerk decrypts and accepts.
    assert!(
        fitconnect::accept(&state, &sub).await.is_err(),
        "not before the subscriber received it"
    );
    drop(pause);
    receive().await;
    let dec = fitconnect::decrypted(&state, &sub).await.unwrap();
    assert_eq!(dec.data, hund_data(true));
    assert_eq!(dec.attachments.len(), 1);
    assert_eq!(dec.attachments[0].content, PDF);
    assert_eq!(
        dec.attachments[0].filename.as_deref(),
        Some("sachkunde.pdf")
    );
    fitconnect::accept(&state, &sub).await.unwrap();
    assert!(fitconnect::accept(&state, &sub).await.is_err(), "only once");

    let events = verified_events(&app, &token, &case).await;
    let types: Vec<String> = events.iter().map(event_type).collect();
    assert_eq!(
        types,
        [
            "create-submission",
            "submit-submission",
            "accept-submission"
        ]
    );
    for c in &events {
        assert_eq!(c["sub"], format!("submission:{sub}"));
    }
    let tags = &events[2]["events"]["https://schema.fitko.de/fit-connect/events/accept-submission"]
        ["authenticationTags"];
    assert_eq!(tags["data"], data_jwe.rsplit('.').next().unwrap());
    assert_eq!(tags["metadata"], meta_jwe.rsplit('.').next().unwrap());
    assert_eq!(
        tags["attachments"][ATT1],
        att_jwe.rsplit('.').next().unwrap()
    );
    let page = get(
        &app,
        &format!("/fitconnect/v1/cases/{case}/events?offset=1&limit=1"),
        Some(&token),
    )
    .await
    .json();
    assert_eq!(page["count"], 1);
    assert_eq!(page["totalCount"], 3);

    // A citizen's access token opens nothing at FIT-Connect, not even the
    // citizen's own submission (the relay is the citizen's way in).
    for citizen in [Some(erika.as_str()), None] {
        for (method, uri, body) in [
            (
                Method::GET,
                format!("/fitconnect/v1/submissions/{sub}"),
                None,
            ),
            (
                Method::PUT,
                format!("/fitconnect/v1/submissions/{sub}"),
                Some((
                    "application/json",
                    json!({"encryptedMetadata": meta_jwe, "encryptedData": data_jwe}).to_string(),
                )),
            ),
            (
                Method::PUT,
                format!("/fitconnect/v1/submissions/{sub}/attachments/{ATT1}"),
                Some(("application/jose", att_jwe.clone())),
            ),
            (
                Method::GET,
                format!("/fitconnect/v1/cases/{case}/events"),
                None,
            ),
        ] {
            let r = call(&app, method.clone(), &uri, citizen, &[], body).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri}: {}",
                r.body
            );
            assert!(!r.body.contains(DOG_NAME));
        }
    }
    // Another Onlinedienst sees nothing of it.
    let other = other_sender_token(&state).await;
    let r = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&other),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(
        &app,
        &format!("/fitconnect/v1/cases/{case}/events"),
        Some(&other),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = put_attachment(&app, &other, &sub, ATT1, att_jwe.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = submit(&app, &other, &sub, &meta_jwe, &data_jwe).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The sender's token without the scope fitconnect:send: 403.
    let pvog_only = sender_token_without_fitconnect(&app).await;
    let r = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&pvog_only),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Only ciphertext at rest: the dog's name appears in no database file.
    drop(app);
    for name in ["buergeramt.sqlite", "buergeramt.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            let needle = DOG_NAME.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{name} contains the plaintext"
            );
            assert!(
                !bytes.windows(PDF.len()).any(|w| w == PDF),
                "{name} contains the attachment"
            );
        }
    }
}

#[tokio::test]
async fn routing_validates_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    for bad in [
        "leikaKey=99089005001000&ars=05158",
        "leikaKey=99089005001000&ars=05158001601X",
        "leikaKey=123&ars=051580016016",
        "ars=051580016016",
    ] {
        let r = get(&app, &format!("/fitconnect/routes?{bad}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.json()["error"], "bad_request");
    }
    let none = get(
        &app,
        "/fitconnect/routes?leikaKey=99999999999999&ars=051580016016",
        None,
    )
    .await;
    assert_eq!(none.json()["routes"], json!([]));
    // Outside NRW: no municipal destination; federal ones serve everywhere.
    let bavaria = get(
        &app,
        &format!("/fitconnect/routes?leikaKey={HUND}&ars=091620000000"),
        None,
    )
    .await;
    assert_eq!(bavaria.json()["routes"], json!([]));
    let fz = get(
        &app,
        &format!("/fitconnect/routes?leikaKey={FZ}&ars=091620000000"),
        None,
    )
    .await;
    assert_eq!(fz.json()["routes"].as_array().unwrap().len(), 1);
    // Wohnsitz anmelden is online only in Köln and Düsseldorf.
    let koeln = get(
        &app,
        "/fitconnect/routes?leikaKey=99115001001000&ars=053150000000",
        None,
    )
    .await;
    assert_eq!(koeln.json()["routes"].as_array().unwrap().len(), 1);
    let hilden = get(
        &app,
        &format!("/fitconnect/routes?leikaKey=99115001001000&ars={HILDEN}"),
        None,
    )
    .await;
    assert_eq!(hilden.json()["routes"], json!([]));
    // Unknown destination, key, schema.
    let r = get(&app, "/fitconnect/v1/destinations/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (dest, _, _) = discover(&app, HUND, HILDEN).await;
    let r = get(
        &app,
        &format!("/fitconnect/v1/destinations/{dest}/keys/other-kid"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&app, "/fitconnect/schemas/nope.schema.json", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // All six schemas are served and route.
    for f in forms::all().unwrap() {
        let r = get(
            &app,
            &format!("/fitconnect/schemas/{}.schema.json", f.slug),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", f.slug);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/schema+json");
    }
}

#[tokio::test]
async fn keys_are_persisted_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    // No pre-made keys here: the server generates them.
    let config = Config::for_tests(dir.path().to_path_buf(), dir.path().join("no-dist"));
    let state = AppState::open(config).unwrap();
    let app = backends::app(state).unwrap();
    let jwks = get(&app, "/fitconnect/.well-known/jwks.json", None)
        .await
        .json();
    let sig_kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    for f in [keys::ENCRYPTION_KEY_FILE, keys::SIGNING_KEY_FILE] {
        let path = dir.path().join(f);
        let pem = std::fs::read(&path).unwrap();
        let rsa = Rsa::private_key_from_pem(&pem).unwrap();
        assert_eq!(rsa.size(), 512, "{f} is RSA 4096");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    // The kid is the RFC 7638 thumbprint of the stored key, so a restart keeps it.
    let pem = std::fs::read(dir.path().join(keys::SIGNING_KEY_FILE)).unwrap();
    let rsa = Rsa::private_key_from_pem(&pem).unwrap();
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        URL_SAFE_NO_PAD.encode(rsa.n().to_vec())
    );
    assert_eq!(
        sig_kid,
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    );
}

/// FIT-Connect checks what it can see of an announcement: the sender, the
/// destination and service, the attachment ids. The level of the citizen's
/// login it cannot see: the relay refuses a weaker login
/// (`relay/tests/applications.rs`), the authority a weaker attestation
/// (`tests/fitconnect_attestation.rs`).
#[tokio::test]
async fn announce_checks_the_sender_and_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let (dest, _, _) = discover(&app, FZ, HILDEN).await;
    // Citizens' tokens are refused, whatever their level.
    let basis = erika_basis(&app).await;
    let eid = login(&app, How::Eid("eid-erika", "123456")).await;
    for citizen in [&basis, &eid] {
        let r = announce(&app, citizen, &dest, FZ, &[], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let sender = sender_token(&app).await;
    let r = announce(&app, &sender, &dest, FZ, &[], None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Wrong service for the destination, bad attachment ids, no token.
    let r = announce(&app, &sender, &dest, HUND, &[], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = announce(&app, &sender, &dest, FZ, &["not-a-uuid"], None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = announce(&app, &sender, &dest, FZ, &[ATT1, ATT1], None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Fields FIT-Connect does not have (the citizen's disclosures are the
    // relay's record now) are refused.
    let r = announce_body(
        &app,
        &sender,
        &json!({
            "destinationId": dest,
            "announcedAttachments": [],
            "serviceType": {"name": "Führungszeugnis", "identifier": format!("urn:de:fim:leika:leistung:{FZ}")},
            "disclosedAttributes": ["givenName"],
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(
        &app,
        Method::POST,
        "/fitconnect/v1/submissions",
        None,
        &[],
        Some(("application/json", "{}".into())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let pvog_only = sender_token_without_fitconnect(&app).await;
    let r = announce(&app, &pvog_only, &dest, FZ, &[], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn broken_submissions_are_rejected_automatically() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let token = sender_token(&app).await;
    let good = serde_json::to_vec(&hund_data(false)).unwrap();

    // Hash over something else than the plaintext data (the attestation is
    // for the data as sent).
    let meta = metadata(&uri, b"other", &[]);
    let (status, p) =
        submit_and_problems(&app, &token, HandIn::new(&dest, &jwk, HUND, meta, &good)).await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["hash-mismatch"]);

    // Altered ciphertext (structure intact, so the API takes it; the authority cannot open it).
    let meta = metadata(&uri, &good, &[]);
    let data_jwe = encrypt_for(&jwk, &good, "application/json");
    let mut parts: Vec<String> = data_jwe.split('.').map(str::to_string).collect();
    let mut ct = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
    ct[0] ^= 1;
    parts[3] = URL_SAFE_NO_PAD.encode(ct);
    let (status, p) = submit_and_problems(
        &app,
        &token,
        HandIn::new(&dest, &jwk, HUND, meta, &good).data_jwe(parts.join(".")),
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["encryption-issue"]);
    assert_eq!(p[0]["instance"], "data");

    // Schema violations: a listed breed without the Sachkundenachweis, a bad date.
    let mut data = hund_data(false);
    data["G99100001"][0]["F99100005"] = json!(true);
    data["F60000229"] = json!("1964-02-30");
    let bytes = serde_json::to_vec(&data).unwrap();
    let meta = metadata(&uri, &bytes, &[]);
    let (status, p) =
        submit_and_problems(&app, &token, HandIn::new(&dest, &jwk, HUND, meta, &bytes)).await;
    assert_eq!(status, "rejected");
    let details: Vec<&str> = p.iter().map(|x| x["detail"].as_str().unwrap()).collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("/G99100001/0/F99100006")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.starts_with("/F60000229")),
        "{details:?}"
    );

    // An attachment whose hash does not match, and a wrong schema URI.
    let data = hund_data(true);
    let bytes = serde_json::to_vec(&data).unwrap();
    let meta = metadata(
        "https://example.org/other.schema.json",
        &bytes,
        &[(ATT1, b"another file", "application/pdf", "x.pdf")],
    );
    let (status, p) = submit_and_problems(
        &app,
        &token,
        HandIn::new(&dest, &jwk, HUND, meta, &bytes).attachments(&[(ATT1, PDF, "application/pdf")]),
    )
    .await;
    assert_eq!(status, "rejected");
    let mut names = problem_names(&p);
    names.sort();
    assert_eq!(names, ["hash-mismatch", "unsupported-schema"]);

    // A good one stays submitted and can be rejected by hand once.
    let meta = metadata(&uri, &good, &[]);
    let (sub, case, r) = hand_in(&app, &token, HandIn::new(&dest, &jwk, HUND, meta, &good)).await;
    assert_eq!(r.json()["status"], "submitted", "{}", r.body);
    assert_eq!(
        receive().await.rejected,
        0,
        "the good one is not rejected by the subscriber"
    );
    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&token),
    )
    .await;
    assert_eq!(st.json()["status"], "submitted", "{}", st.body);
    let problem = fitconnect::Problem::new(
        "missing-documents",
        "Unterlagen fehlen",
        "Bitte reichen Sie den Nachweis nach.",
        "data",
    );
    fitconnect::reject(&state, &sub, vec![problem])
        .await
        .unwrap();
    assert!(fitconnect::accept(&state, &sub).await.is_err());
    let events = verified_events(&app, &token, &case).await;
    assert_eq!(event_type(events.last().unwrap()), "reject-submission");
}

#[tokio::test]
async fn jwe_round_trip_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let (_, jwk, _) = discover(&app, HUND, HILDEN).await;
    let k = keys::keys(dir.path()).unwrap();
    let key = &k.encryption.private;
    let kid = k.encryption.kid.as_str();
    let plain = b"{\"F60000228\":\"Erika\"}";
    let good = encrypt_for(&jwk, plain, "application/json");
    assert_eq!(jwe::open(&good, key, kid).unwrap(), plain);

    let parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let flip = |i: usize| {
        let mut p = parts.clone();
        let mut b = URL_SAFE_NO_PAD.decode(&p[i]).unwrap();
        let last = b.len() - 1;
        b[last] ^= 0x01;
        p[i] = URL_SAFE_NO_PAD.encode(b);
        p.join(".")
    };
    assert_eq!(
        jwe::open(&flip(3), key, kid),
        Err(jwe::JweError::Decrypt),
        "ciphertext"
    );
    assert_eq!(
        jwe::open(&flip(4), key, kid),
        Err(jwe::JweError::Decrypt),
        "tag"
    );
    assert_eq!(
        jwe::open(&flip(2), key, kid),
        Err(jwe::JweError::Decrypt),
        "iv"
    );
    assert_eq!(
        jwe::open(&flip(1), key, kid),
        Err(jwe::JweError::Decrypt),
        "wrapped key"
    );
    // A changed header (same members, other cty) breaks the AAD.
    let mut p = parts.clone();
    p[0] = URL_SAFE_NO_PAD.encode(
        json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": kid, "cty": "text/plain"})
            .to_string(),
    );
    assert_eq!(
        jwe::open(&p.join("."), key, kid),
        Err(jwe::JweError::Decrypt),
        "header"
    );
    // Another kid, other algorithms, wrong part counts.
    let wrong_kid = encrypt_with_header(
        &jwk,
        plain,
        &json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "someone-else", "cty": "application/json"}),
    );
    assert!(matches!(
        jwe::open(&wrong_kid, key, kid),
        Err(jwe::JweError::WrongKid { .. })
    ));
    let oaep1 = encrypt_with_header(
        &jwk,
        plain,
        &json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": kid, "cty": "application/json"}),
    );
    assert!(matches!(
        jwe::open(&oaep1, key, kid),
        Err(jwe::JweError::Alg(_))
    ));
    let a128 = encrypt_with_header(
        &jwk,
        plain,
        &json!({"alg": "RSA-OAEP-256", "enc": "A128GCM", "kid": kid, "cty": "application/json"}),
    );
    assert!(matches!(
        jwe::open(&a128, key, kid),
        Err(jwe::JweError::Enc(_))
    ));
    assert_eq!(
        jwe::open(&parts[..4].join("."), key, kid),
        Err(jwe::JweError::Parts(4))
    );
    assert_eq!(
        jwe::open(&format!("{good}.AAAA"), key, kid),
        Err(jwe::JweError::Parts(6))
    );
    // The API refuses such JWEs at the door.
    let token = sender_token(&app).await;
    let (dest, _, _) = discover(&app, HUND, HILDEN).await;
    let a = announce(&app, &token, &dest, HUND, &[ATT1], None)
        .await
        .json();
    let sub = a["submissionId"].as_str().unwrap();
    for bad in [wrong_kid, oaep1, a128, parts[..4].join(".")] {
        let r = put_attachment(&app, &token, sub, ATT1, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
}

#[test]
fn schema_validation_covers_every_keyword() {
    let find = |slug: &str| {
        forms::all()
            .unwrap()
            .iter()
            .find(|f| f.slug == slug)
            .unwrap()
            .schema
            .clone()
    };
    let hund = find("hundesteuer-anmelden");
    let ok = forms::validate(&hund, &hund_data(true));
    assert!(ok.violations.is_empty(), "{:?}", ok.violations);
    assert_eq!(ok.attachments.len(), 1);
    assert_eq!(ok.attachments[0].attachment_id, ATT1);
    assert_eq!(ok.attachments[0].path, "/G99100001/0/F99100006");
    assert!(ok.attachments[0]
        .accept
        .contains(&"application/pdf".to_string()));

    let paths = |schema: &Value, data: &Value| -> Vec<String> {
        forms::validate(schema, data)
            .violations
            .into_iter()
            .map(|v| v.path)
            .collect()
    };
    let with = |f: &dyn Fn(&mut Value)| {
        let mut d = hund_data(true);
        f(&mut d);
        d
    };
    // type
    assert_eq!(
        paths(&hund, &with(&|d| d["F60000228"] = json!(5))),
        ["/F60000228"]
    );
    assert_eq!(paths(&hund, &json!([])), ["/"]);
    // required
    assert_eq!(
        paths(
            &hund,
            &with(&|d| {
                d.as_object_mut().unwrap().remove("F60000227");
            })
        ),
        ["/F60000227"]
    );
    // additionalProperties: false
    assert_eq!(paths(&hund, &with(&|d| d["X1"] = json!("x"))), ["/X1"]);
    // minLength / maxLength
    assert_eq!(
        paths(&hund, &with(&|d| d["F60000228"] = json!(""))),
        ["/F60000228"]
    );
    assert_eq!(
        paths(&hund, &with(&|d| d["F60000228"] = json!("x".repeat(101)))),
        ["/F60000228"]
    );
    // pattern (postcode; chip number inside a repeat)
    assert_eq!(
        paths(
            &hund,
            &with(&|d| d["G60000086"]["F60000246"] = json!("4072"))
        ),
        ["/G60000086/F60000246"]
    );
    assert_eq!(
        paths(
            &hund,
            &with(&|d| d["G99100001"][1]["F99100007"] = json!("12ab"))
        ),
        ["/G99100001/1/F99100007"]
    );
    // format: date
    assert_eq!(
        paths(
            &hund,
            &with(&|d| d["G99100001"][1]["F99100004"] = json!("15.03.2025"))
        ),
        ["/G99100001/1/F99100004"]
    );
    // minItems / maxItems / items
    assert_eq!(
        paths(&hund, &with(&|d| d["G99100001"] = json!([]))),
        ["/G99100001"]
    );
    let eleven: Vec<Value> = (0..11)
        .map(|_| hund_data(false)["G99100001"][1].clone())
        .collect();
    assert_eq!(
        paths(&hund, &with(&|d| d["G99100001"] = json!(eleven))),
        ["/G99100001"]
    );
    assert_eq!(
        paths(&hund, &with(&|d| d["G99100001"][1] = json!("Luna"))),
        ["/G99100001/1"]
    );
    // x-show-if: hidden fields must be empty, shown required ones present.
    assert_eq!(
        paths(
            &hund,
            &with(&|d| d["G99100001"][1]["F99100006"] = json!(ATT1))
        ),
        ["/G99100001/1/F99100006"]
    );
    assert_eq!(
        paths(
            &hund,
            &with(&|d| {
                d["G99100001"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("F99100006");
            })
        ),
        ["/G99100001/0/F99100006"]
    );

    // enum, conditional group (Wahlschein)
    let wahl = find("wahlschein-briefwahl");
    let base = json!({
        "F60000228": "Max", "F60000227": "Beispiel", "F60000229": "1990-01-31",
        "G60000086": {"F60000243": "Königsallee 1", "F60000246": "40212", "F60000247": "Düsseldorf"},
        "F99200001": "Landtagswahl NRW 2027",
        "F99200003": "Wohnanschrift",
        "F99200008": true,
    });
    assert!(paths(&wahl, &base).is_empty(), "{:?}", paths(&wahl, &base));
    let mut other = base.clone();
    other["F99200003"] = json!("Andere Anschrift");
    assert_eq!(paths(&wahl, &other), ["/G99200004"]);
    other["G99200004"] = json!({"F60000243": "Via Roma 3", "F99200006": "00184", "F60000247": "Roma", "F99200007": "Italien"});
    assert!(paths(&wahl, &other).is_empty());
    let mut bad = base.clone();
    bad["F99200001"] = json!("Bundestagswahl 2017");
    assert_eq!(paths(&wahl, &bad), ["/F99200001"]);
    bad = base.clone();
    bad["F99200008"] = json!(false);
    assert_eq!(paths(&wahl, &bad), ["/F99200008"]);

    // minimum / maximum / integer (Gewerbe)
    let gew = find("gewerbeanmeldung");
    let g = json!({
        "F60000228": "Jonas", "F60000227": "Schmidt", "F60000229": "1988-05-05",
        "F60000230": "Münster", "F60000231": "deutsch",
        "G60000086": {"F60000243": "Prinzipalmarkt 10", "F60000246": "48143", "F60000247": "Münster"},
        "F99400002": "Einzelunternehmen", "F99400003": "Hauptniederlassung",
        "G99400004": {"F60000243": "Prinzipalmarkt 10", "F60000246": "48143", "F60000247": "Münster"},
        "F99400005": "Reparatur von Fahrrädern", "F99400006": "2027-01-01",
        "F99400007": 2, "F99400008": false, "F99400009": false,
    });
    assert!(paths(&gew, &g).is_empty(), "{:?}", paths(&gew, &g));
    for (v, want) in [
        (json!(-1), 1),
        (json!(100001), 1),
        (json!(2.5), 1),
        (json!(0), 0),
    ] {
        let mut x = g.clone();
        x["F99400007"] = v;
        assert_eq!(paths(&gew, &x).len(), want, "{x}");
    }

    // Führungszeugnis: purpose "Vorlage bei einer Behörde" needs authority and reference.
    let fz = find("fuehrungszeugnis");
    let f = json!({
        "F60000228": "Erika", "F60000227": "Mustermann", "F60000232": "Gabler",
        "F60000229": "1964-08-12", "F60000230": "Berlin", "F60000231": "deutsch",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"},
        "F99600001": "Führungszeugnis", "F99600003": "Vorlage bei einer Behörde",
    });
    assert_eq!(paths(&fz, &f), ["/F99600004", "/F99600005"]);
    let mut f2 = f.clone();
    f2["F99600004"] = json!("Stadt Köln, Jugendamt, 50667 Köln");
    f2["F99600005"] = json!("51-2026-0815");
    assert!(paths(&fz, &f2).is_empty());
    f2["F99600003"] = json!("Private Zwecke");
    assert_eq!(paths(&fz, &f2), ["/F99600004", "/F99600005"]);
    assert_eq!(fz["x-fee"]["amount"], "13.00");
    assert_eq!(fz["x-level"], "STORK-QAA-Level-4");

    // Wohnsitz: people moving along as a repeat.
    let ws = find("wohnsitz-anmelden");
    let person = ws["properties"]["G99500004"].clone();
    assert_eq!(person["x-repeat-label"], "Person");
    let ok = json!([{"F60000228": "Lena", "F60000227": "Mustermann", "F60000229": "2015-06-01", "F99500005": "Kind"}]);
    assert!(forms::validate(&person, &ok).violations.is_empty());
    let bad = json!([{"F60000228": "Lena", "F60000227": "Mustermann", "F60000229": "2015-06-01", "F99500005": "Hund"}]);
    assert_eq!(
        forms::validate(&person, &bad).violations[0].path,
        "/0/F99500005"
    );
}

#[test]
fn every_schema_has_the_ui_layer() {
    let prefill_names = [
        "givenName",
        "surname",
        "birthdate",
        "placeOfBirth",
        "birthName",
        "nationality",
        "postalAddress",
        "postalCode",
        "localityName",
        "country",
        "mail",
        "telephoneNumber",
    ];
    let mut attachments = 0;
    for f in forms::all().unwrap() {
        let s = &f.schema;
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(s["x-title-en"].is_string(), "{}", f.slug);
        let steps = s["x-steps"].as_array().unwrap();
        let mut in_steps: Vec<&str> = steps
            .iter()
            .flat_map(|st| {
                assert!(
                    st["title"].is_string() && st["title_en"].is_string() && st["id"].is_string()
                );
                st["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
            })
            .collect();
        in_steps.sort();
        let mut props: Vec<&str> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        props.sort();
        assert_eq!(
            in_steps, props,
            "{}: every field on exactly one step",
            f.slug
        );
        fn walk(v: &Value, prefill: &[&str], attachments: &mut usize) {
            if let Some(o) = v.as_object() {
                if let Some(p) = o.get("x-prefill") {
                    assert!(prefill.contains(&p.as_str().unwrap()), "{p}");
                }
                if let Some(a) = o.get("x-attachment") {
                    assert!(a["maxBytes"].as_u64().unwrap() > 0);
                    *attachments += 1;
                }
                if o.contains_key("type") && o.contains_key("title") {
                    assert!(o.contains_key("x-title-en"), "{v}");
                }
                o.values().for_each(|x| walk(x, prefill, attachments));
            } else if let Some(a) = v.as_array() {
                a.iter().for_each(|x| walk(x, prefill, attachments));
            }
        }
        walk(s, &prefill_names, &mut attachments);
        // Its LeiKa key is the PVOG seed's and routes somewhere in NRW or the Bund.
        assert_eq!(f.leika.len(), 14);
    }
    assert!(attachments >= 6);
}

/// The Idempotency-Key is the sender's: another Onlinedienst using the same
/// key gets a submission of its own. (Per citizen, the relay keeps them
/// apart: `relay/tests/applications.rs`.)
#[tokio::test]
async fn idempotency_is_per_sender_and_bodies_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, _) = discover(&app, HUND, HILDEN).await;
    let sender = sender_token(&app).await;
    let other = other_sender_token(&state).await;
    let a = announce(&app, &sender, &dest, HUND, &[ATT1], Some("same-key")).await;
    let b = announce(&app, &other, &dest, HUND, &[ATT1], Some("same-key")).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(b.status, StatusCode::CREATED);
    assert_ne!(a.json()["submissionId"], b.json()["submissionId"]);
    // The same sender again (another token of it): the same submission.
    let again = announce(
        &app,
        &sender_token(&app).await,
        &dest,
        HUND,
        &[ATT1],
        Some("same-key"),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["submissionId"], a.json()["submissionId"]);
    let r = announce(&app, &sender, &dest, HUND, &[], Some("")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // An attachment JWE above 16 MiB is refused with 413.
    let sub = a.json()["submissionId"].as_str().unwrap().to_string();
    let big = vec![b'A'; 16 * 1024 * 1024 + 1];
    let r = put_attachment(&app, &sender, &sub, ATT1, String::from_utf8(big).unwrap()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"], "payload_too_large");
    // A 3 MiB scan is fine (above axum's 2 MB default body limit).
    let scan = vec![0x5au8; 3 * 1024 * 1024];
    let r = put_attachment(
        &app,
        &sender,
        &sub,
        ATT1,
        encrypt_for(&jwk, &scan, "image/png"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // A file of another type than the field accepts is rejected by the authority.
    let data = serde_json::to_vec(&hund_data(true)).unwrap();
    let gif = b"GIF89a not allowed";
    let case = a.json()["caseId"].as_str().unwrap().to_string();
    let meta = with_attestation(
        metadata(
            &format!("{BASE}/schemas/hundesteuer-anmelden.schema.json"),
            &data,
            &[(ATT1, gif, "image/gif", "hund.gif")],
        ),
        &attest(&sub, &case, &dest, &data, &Login::basis()),
    );
    let meta = serde_json::to_vec(&meta).unwrap();
    let r = put_attachment(
        &app,
        &sender,
        &sub,
        ATT1,
        encrypt_for(&jwk, gif, "image/gif"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = submit(
        &app,
        &sender,
        &sub,
        &encrypt_for(&jwk, &meta, "application/json"),
        &encrypt_for(&jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(r.json()["status"], "submitted", "{}", r.body);
    receive().await;
    let events = verified_events(&app, &sender, &case).await;
    let last = events.last().unwrap();
    assert_eq!(event_type(last), "reject-submission");
    let problems =
        &last["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"];
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");
    assert!(
        problems[0]["detail"]
            .as_str()
            .unwrap()
            .contains("file type"),
        "{problems}"
    );
}
