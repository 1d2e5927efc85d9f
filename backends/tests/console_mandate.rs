//! Applications made under a mandate (issue #25), on the authority's side:
//! the Onlinedienst's attestation names who applied, for whom and which
//! mandate (`mandate`); its verified attributes are the person concerned's.
//! The subscriber accepts a whole, consistent claim and the console shows
//! it plainly (list, case page, protocol); a malformed or inconsistent one
//! is rejected like any other attestation fault.

mod support;
use support::console;
use support::fitconnect::*;

use axum::http::{header, StatusCode};
use backends::fitconnect;
use serde_json::{json, Value};

const MANDATE_ID: &str = "0b7c3a52-3f4e-4d6a-9a51-2f0e8c1d7b44";

/// Jonas Schmidt applies for Erika Mustermann under a mandate of `kind`.
fn claim(kind: &str) -> Value {
    json!({
        "id": MANDATE_ID,
        "kind": kind,
        "validUntil": "2099-12-31",
        "forPerson": {"givenNames": "Erika", "familyName": "Mustermann"},
        "applicant": {"givenNames": "Jonas", "familyName": "Schmidt"},
        "applicantVerified": [
            {"name": "givenName", "value": "Jonas", "source": "eid"},
            {"name": "surname", "value": "Schmidt", "source": "eid"},
            {"name": "birthdate", "value": "1990-02-01", "source": "eid"},
        ],
    })
}

/// The valid attestation of `login` with `mandate` as its mandate claim.
fn under(login: Login, mandate: Value) -> Report {
    Report::Made(
        login,
        Box::new(move |mut c| {
            c["mandate"] = mandate;
            onlinedienst_key().sign(&c)
        }),
    )
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

/// `(status, problems)` of a Führungszeugnis handed in with `report`.
async fn fz_with(app: &axum::Router, report: Report) -> (String, Vec<Value>) {
    let (dest, jwk, uri) = discover(app, FZ, HILDEN).await;
    let sender = sender_token(app).await;
    let data = serde_json::to_vec(&fz_data()).unwrap();
    let meta = metadata(&uri, &data, &[]);
    submit_and_problems(
        app,
        &sender,
        HandIn::new(&dest, &jwk, FZ, meta, &data).report(report),
    )
    .await
}

#[tokio::test]
async fn an_application_under_a_mandate_shows_both_people_and_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    // Erika's data and postbox, attested by her eID; Jonas applied.
    let erika = login(&app, How::Eid("eid-erika", "123456")).await;
    let attested = Login::of(&app, &erika, FZ).await;
    let (sub, _case) = submit_form_as(
        &app,
        &erika,
        FZ,
        &fz_data(),
        &[],
        under(attested, claim("vollmacht")),
    )
    .await;
    let entry = fitconnect::authority::inbox_entry(&state, &sub)
        .await
        .unwrap();
    assert_eq!(entry.status, "submitted", "{entry:?}");
    let d = fitconnect::decrypted(&state, &sub).await.unwrap();
    let m = d.attestation.mandate.expect("the mandate is kept");
    assert_eq!(
        (m.applicant.display(), m.for_person.display()),
        ("Jonas Schmidt".to_string(), "Erika Mustermann".to_string())
    );

    // A parent's Hundesteuer application for the child's dog is not a
    // thing, but the kind is what counts here: Sorgerecht, no verified
    // attributes (a Basisregistrierung).
    let (status, p) = hund_with(&app, under(Login::basis(), claim("sorgerecht"))).await;
    assert_eq!(status, "submitted", "{p:?}");
    let (status, _) = hund_with(&app, Report::Valid(Login::basis())).await;
    assert_eq!(status, "submitted");

    // The Posteingang: who for whom, the kind and the last day.
    let session = console::console_login(&app).await;
    let list = console::page(&app, "/behoerde/eingang", Some(&session)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(
            "Antrag gestellt von Jonas Schmidt für Erika Mustermann (Vollmacht, gültig bis 31.12.2099)"
        ),
        "{}",
        list.body
    );
    assert!(list
        .body
        .contains("(Sorgerecht (Eltern für ihr Kind), gültig bis 31.12.2099)"));
    assert_eq!(list.body.matches("Antrag gestellt von").count(), 2);

    // The case page: near the top, both people, the kind, number, end, signed.
    let uri = format!("/behoerde/antraege/{sub}");
    let page = console::page(&app, &uri, Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    let line = "Antrag gestellt von Jonas Schmidt für Erika Mustermann";
    assert!(b.contains(line), "{b}");
    assert!(b.find(line) < b.find("Angaben im Antrag"), "above the data");
    for shown in [
        "Antrag in Vertretung",
        "<dd>Vollmacht</dd>",
        MANDATE_ID,
        "gültig bis 31.12.2099",
        "Geburtsdatum: 01.02.1990 (Online-Ausweis)",
        "vom Onlinedienst bestätigt (signiert)",
        // Whose postbox the rejection would reach.
        "Wird ins Postfach der vertretenen Person (Erika Mustermann) geschickt.",
    ] {
        assert!(b.contains(shown), "{shown}: {b}");
    }
    assert_eq!(b.matches("<h1").count(), 1);

    // The JSON API carries the claim in the attestation.
    let token = console::api_token(&app).await;
    let r = call(
        &app,
        axum::http::Method::GET,
        &format!("/behoerde/api/submissions/{sub}"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["attestation"]["mandate"]["kind"], "vollmacht");
    assert_eq!(
        r.json()["attestation"]["mandate"]["applicant"]["familyName"],
        "Schmidt"
    );

    // Accepting: the message goes to Erika's postbox, and the clerk is told so.
    let csrf = support::csrf_of(b).unwrap();
    let r = post_form(
        &app,
        &format!("{uri}/eingang-bestaetigen"),
        Some(&session),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let done = console::page(&app, &back, Some(&session)).await;
    assert!(
        done.body
            .contains("im Postfach der vertretenen Person (Erika Mustermann)."),
        "{}",
        done.body
    );
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&erika),
    )
    .await
    .json();
    assert_eq!(h["status"], "RECEIVED", "{h}");

    // The protocol names the mandate by its number, never the names.
    let log = console::page(
        &app,
        &format!("/behoerde/protokoll?vorgang={sub}"),
        Some(&session),
    )
    .await;
    assert!(log.body.contains("Antrag in Vertretung"), "{}", log.body);
    assert!(log.body.contains(MANDATE_ID));
    assert!(!log.body.contains("Jonas"));
}

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

#[tokio::test]
async fn a_malformed_or_inconsistent_mandate_claim_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 9] = [
        (
            "an unknown kind",
            |m| m["kind"] = json!("freundschaft"),
            "does not verify",
        ),
        (
            "no applicant",
            |m| {
                m.as_object_mut().unwrap().remove("applicant");
            },
            "does not verify",
        ),
        ("not an object", |m| *m = json!("m-1"), "does not verify"),
        ("an id that is no UUID", |m| m["id"] = json!("1"), "UUID"),
        (
            "an end that is no date",
            |m| m["validUntil"] = json!("bis auf Widerruf"),
            "not a date",
        ),
        (
            "ended before the submission",
            |m| m["validUntil"] = json!("2020-01-01"),
            "had ended",
        ),
        (
            "another person than the eID confirmed",
            |m| m["forPerson"]["givenNames"] = json!("Max"),
            "person concerned's name",
        ),
        (
            "a blank applicant",
            |m| m["applicant"] = json!({"givenNames": " ", "familyName": ""}),
            "applicant is not named",
        ),
        (
            "an applicant other than their eID",
            |m| m["applicant"]["familyName"] = json!("Schneider"),
            "applicant's name",
        ),
    ];
    for (what, change, says) in cases {
        let mut m = claim("vollmacht");
        change(&mut m);
        let (status, p) = fz_with(&app, under(erika_eid(), m)).await;
        assert_eq!(status, "rejected", "{what}");
        assert_eq!(problem_names(&p), ["invalid-authentication-info"], "{what}");
        let detail = p[0]["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{what}: {detail}");
    }
    // Nothing is kept for the list, and the same claim whole passes.
    assert!(fitconnect::authority::mandates(&state)
        .await
        .unwrap()
        .is_empty());
    let (status, p) = fz_with(&app, under(erika_eid(), claim("betreuung"))).await;
    assert_eq!(status, "submitted", "{p:?}");
    let kept = fitconnect::authority::mandates(&state).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept
        .values()
        .all(|k| k.kind == contract::mandate::Kind::Betreuung));
}
