//! The Onlinedienst's attestation (`contract::attestation`), as the
//! authority's subscriber checks it after decrypting: without one, or with
//! one that is not the trusted Onlinedienst's, not for this submission and
//! these data, not valid when submitted, or of a weaker login than the form
//! needs, the submission is rejected; in a Level-4 form, a field taken over
//! from the Online-Ausweis must hold the attested value. The console shows
//! the attested login.
//!
//! The test Onlinedienst's key is registered with every server
//! `support::fitconnect::open` opens; how the relay makes attestations is
//! tested in `relay/tests/applications.rs`.

mod support;
use support::console;
use support::fitconnect::*;

use axum::http::StatusCode;
use backends::fitconnect::{self, subscriber};
use serde_json::{json, Value};

/// `(status, problems)` of a Hundesteuer application handed in with `report`.
async fn hund_with(app: &axum::Router, report: Report) -> (String, Vec<Value>) {
    let (dest, jwk, uri) = discover(app, HUND, HILDEN).await;
    let sender = sender_token(app).await;
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = metadata(&uri, &data, &[]);
    submit_and_problems(
        app,
        &sender,
        HandIn::new(&dest, &jwk, HUND, meta, &data).report(report),
    )
    .await
}

/// `(status, problems)` of a Führungszeugnis (Level 4) with `data`, handed
/// in with `report`.
async fn fz_with(app: &axum::Router, data: &Value, report: Report) -> (String, Vec<Value>) {
    let (dest, jwk, uri) = discover(app, FZ, HILDEN).await;
    let sender = sender_token(app).await;
    let data = serde_json::to_vec(data).unwrap();
    let meta = metadata(&uri, &data, &[]);
    submit_and_problems(
        app,
        &sender,
        HandIn::new(&dest, &jwk, FZ, meta, &data).report(report),
    )
    .await
}

/// The attributes Erika's Online-Ausweis confirms for the Führungszeugnis.
fn erika_eid() -> Login {
    Login::eid(&[
        ("givenName", "Erika"),
        ("surname", "Mustermann"),
        ("birthdate", "1964-08-12"),
        ("placeOfBirth", "Berlin"),
        ("nationality", "D"),
        ("postalAddress", "Heidestraße 17"),
        ("postalCode", "51147"),
        ("localityName", "Köln"),
    ])
}

#[tokio::test]
async fn without_an_attestation_the_submission_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (status, p) = hund_with(&app, Report::Missing).await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["missing-authentication-info"]);
    assert_eq!(p[0]["instance"], "metadata");
    assert_eq!(
        p[0]["type"],
        "https://schema.fitko.de/fit-connect/events/problems/missing-authentication-info"
    );
    // Not the clerk's to decide.
    let inbox = fitconnect::authority::inbox(&state).await.unwrap();
    assert!(inbox.iter().all(|e| e.status == "rejected"), "{inbox:?}");

    // An identificationReport that is no JWS is no attestation either.
    let (status, p) = hund_with(
        &app,
        Report::Made(Login::basis(), Box::new(|_| "STORK-QAA-Level-1".into())),
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["invalid-authentication-info"]);
}

#[tokio::test]
async fn a_valid_attestation_of_a_basis_login_does_for_a_level_1_form() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (status, p) = hund_with(&app, Report::Valid(Login::basis())).await;
    assert_eq!(status, "submitted");
    assert!(p.is_empty(), "{p:?}");
    let inbox = fitconnect::authority::inbox(&state).await.unwrap();
    assert_eq!(inbox.len(), 1);
    let d = fitconnect::decrypted(&state, &inbox[0].submission_id)
        .await
        .unwrap();
    assert_eq!(d.attestation.level_of_assurance, "STORK-QAA-Level-1");
    assert_eq!(d.attestation.method, "password");
    assert_eq!(d.attestation.submission_id, inbox[0].submission_id);
}

/// Serves `jwks` as an Onlinedienst's `/api/v1/submission/attestation/jwks`
/// on a loopback port; returns its base URL.
async fn onlinedienst_serving(jwks: Value) -> String {
    let app = axum::Router::new().route(
        "/api/v1/submission/attestation/jwks",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn only_keys_of_a_registered_onlinedienst_are_trusted() {
    // The Onlinedienst at BUERGERAMT_RELAY_URL publishes one key the
    // authority has not registered yet; another key is nobody's.
    let published = AttestationKey::generate();
    let unknown = AttestationKey::generate();
    let relay = onlinedienst_serving(published.jwks()).await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open_with(dir.path(), |c| c.clients.relay_urls = vec![relay]);

    // An unknown kid makes the authority read the Onlinedienst's keys.
    let (status, p) = hund_with(
        &app,
        Report::Made(Login::basis(), Box::new(move |c| published.sign(&c))),
    )
    .await;
    assert_eq!(status, "submitted", "{p:?}");

    // A key nobody publishes: refused.
    let (status, p) = hund_with(
        &app,
        Report::Made(Login::basis(), Box::new(move |c| unknown.sign(&c))),
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["invalid-authentication-info"]);
    assert!(
        p[0]["detail"].as_str().unwrap().contains("does not trust"),
        "{p:?}"
    );
}

#[tokio::test]
async fn an_attestation_must_be_for_this_submission_and_these_data() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let (dest, _, _) = discover(&app, HUND, HILDEN).await;
    let sender = sender_token(&app).await;
    // Another submission of the same sender, announced and left open.
    let other = announce(&app, &sender, &dest, HUND, &[], None).await.json();
    let (other_sub, other_case) = (
        other["submissionId"].as_str().unwrap().to_string(),
        other["caseId"].as_str().unwrap().to_string(),
    );
    let (fz_dest, _, _) = discover(&app, FZ, HILDEN).await;
    let now = now();
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "other data",
            Box::new(|c| c["dataHash"]["content"] = json!(sha512_hex(b"other data"))),
            "other data",
        ),
        (
            "another submission",
            Box::new(move |c| c["submissionId"] = json!(other_sub)),
            "another submission",
        ),
        (
            "another case",
            Box::new(move |c| c["caseId"] = json!(other_case)),
            "another submission",
        ),
        (
            "another destination",
            Box::new(move |c| c["aud"] = json!(fz_dest)),
            "does not verify",
        ),
        (
            "expired before the submit",
            Box::new(move |c| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 3600);
            }),
            "not valid when",
        ),
        (
            "issued after the submit",
            Box::new(move |c| {
                c["iat"] = json!(now + 3600);
                c["exp"] = json!(now + 7200);
            }),
            "not valid when",
        ),
        (
            "an unknown level",
            Box::new(|c| c["levelOfAssurance"] = json!("STORK-QAA-Level-9")),
            "no known level",
        ),
    ];
    for (what, change, says) in cases {
        let (status, p) = hund_with(
            &app,
            Report::Made(
                Login::basis(),
                Box::new(move |mut c| {
                    change(&mut c);
                    onlinedienst_key().sign(&c)
                }),
            ),
        )
        .await;
        assert_eq!(status, "rejected", "{what}");
        assert_eq!(problem_names(&p), ["invalid-authentication-info"], "{what}");
        assert!(
            p[0]["detail"].as_str().unwrap().contains(says),
            "{what}: {p:?}"
        );
    }
    // A signature that does not fit the claims.
    let (status, p) = hund_with(
        &app,
        Report::Made(
            Login::basis(),
            Box::new(|c| {
                let jws = onlinedienst_key().sign(&c);
                let (head, sig) = jws.rsplit_once('.').unwrap();
                let flipped = if sig.starts_with('A') { "B" } else { "A" };
                format!("{head}.{flipped}{}", &sig[1..])
            }),
        ),
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["invalid-authentication-info"]);
}

#[tokio::test]
async fn the_attested_login_must_reach_the_forms_level() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let elster = Login {
        level: "STORK-QAA-Level-3".into(),
        method: "elster".into(),
        auth_time: Some(now() - 60),
        verified: Vec::new(),
    };
    for (login, reached) in [
        (Login::basis(), "STORK-QAA-Level-1"),
        (elster, "STORK-QAA-Level-3"),
    ] {
        let (status, p) = fz_with(&app, &fz_data(), Report::Valid(login)).await;
        assert_eq!(status, "rejected", "{reached}");
        assert_eq!(
            problem_names(&p),
            ["invalid-authentication-info"],
            "{reached}"
        );
        let detail = p[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains(reached) && detail.contains("STORK-QAA-Level-4"),
            "{detail}"
        );
    }
    // The Online-Ausweis does.
    let (status, p) = fz_with(&app, &fz_data(), Report::Valid(erika_eid())).await;
    assert_eq!(status, "submitted", "{p:?}");
}

#[tokio::test]
async fn a_changed_eid_verified_field_is_refused_in_a_level_4_form() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let mut changed = fz_data();
    changed["F60000227"] = json!("Musterfrau");
    let (status, p) = fz_with(&app, &changed, Report::Valid(erika_eid())).await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["schema-violation"], "{p:?}");
    assert_eq!(p[0]["title"], "Geprüfte Angabe geändert");
    assert_eq!(p[0]["instance"], "/F60000227");
    let detail = p[0]["detail"].as_str().unwrap();
    assert!(detail.contains("surname"), "{detail}");
    assert!(!detail.contains("Musterfrau"), "the value is not echoed");

    // Inside a group too (the address).
    let mut moved = fz_data();
    moved["G60000086"]["F60000243"] = json!("Hauptstraße 1");
    let (status, p) = fz_with(&app, &moved, Report::Valid(erika_eid())).await;
    assert_eq!(status, "rejected");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["title"], "Geprüfte Angabe geändert");
    assert_eq!(p[0]["instance"], "/G60000086/F60000243");

    // Only attributes the eID verified are locked: without an attested
    // surname, the changed one passes.
    let mut without = erika_eid();
    without.verified.retain(|(name, _, _)| name != "surname");
    let (status, p) = fz_with(&app, &changed, Report::Valid(without)).await;
    assert_eq!(status, "submitted", "{p:?}");
}

#[tokio::test]
async fn equal_values_are_accepted_and_the_console_shows_the_attested_login() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    // Erika logs in with her Online-Ausweis; the Onlinedienst attests that
    // login with what the eID confirmed (support: `Login::of`).
    let eid = login(&app, How::Eid("eid-erika", "123456")).await;
    let (sub, _case) = submit_form(&app, &eid, FZ, &fz_data(), &[]).await;
    assert_eq!(
        receive().await,
        subscriber::Received::default(),
        "already received"
    );
    let inbox = fitconnect::authority::inbox(&state).await.unwrap();
    let entry = inbox.iter().find(|e| e.submission_id == sub).unwrap();
    assert_eq!(entry.status, "submitted", "{entry:?}");
    let d = fitconnect::decrypted(&state, &sub).await.unwrap();
    assert_eq!(d.data, fz_data());
    assert_eq!(d.attestation.level_of_assurance, "STORK-QAA-Level-4");
    assert_eq!(d.attestation.method, "eid");
    assert!(d.attestation.auth_time.is_some());
    let surname = d
        .attestation
        .verified_attributes
        .iter()
        .find(|a| a.name == "surname")
        .expect("the surname is attested");
    assert_eq!(
        (surname.value.as_str(), surname.source.as_str()),
        ("Mustermann", "eid")
    );

    // The console's detail page: the attested login.
    let session = console::console_login(&app).await;
    let page = console::page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("vom Onlinedienst bestätigt"),
        "{}",
        page.body
    );
    assert!(page.body.contains("hoch (Online-Ausweis"), "{}", page.body);

    // A Hundesteuer application of a Basisregistrierung.
    let basis = erika_basis(&app).await;
    let (hund, _) = submit_hundesteuer(&app, &basis).await;
    let page = console::page(&app, &format!("/behoerde/antraege/{hund}"), Some(&session)).await;
    assert!(
        page.body
            .contains("Basisregistrierung (niedrig) (Benutzername und Passwort"),
        "{}",
        page.body
    );
    assert!(page.body.contains("vom Onlinedienst bestätigt"));

    // One without an attestation: nothing confirmed.
    let (status, _) = hund_with(&app, Report::Missing).await;
    assert_eq!(status, "rejected");
    let rejected = fitconnect::authority::inbox(&state)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.status == "rejected")
        .unwrap();
    let page = console::page(
        &app,
        &format!("/behoerde/antraege/{}", rejected.submission_id),
        Some(&session),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("nicht bestätigt"), "{}", page.body);
    assert!(!page.body.contains("vom Onlinedienst bestätigt"));
}
