//! Requests for a mandate for a child or a cared-for person (issue #25), on
//! the authority's side: an application to the relay operator's own
//! service "Vertretung nachweisen" whose attestation carries what the
//! applicant declared (`mandateRequest`). The subscriber accepts a request
//! whose claim says what the form says, and the console shows it plainly;
//! the clerk confirms it (FIT-Connect `accept-submission`) or refuses it
//! (`reject-submission`), which is what the relay reads afterwards. A
//! missing, misplaced or different claim is rejected like any other
//! attestation fault.

mod support;
use support::console;
use support::fitconnect::*;

use axum::http::{header, Method, StatusCode};
use backends::fitconnect;
use contract::mandate_request::{self as mr, field};
use serde_json::{json, Value};

const REQUEST_ID: &str = "6a0f3c1e-2b4d-4e5f-8a9b-0c1d2e3f4a5b";
const PROOF: &str = "7d2e4f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f";

/// Erika's own data (as her Online-Ausweis confirms them) and the request.
fn form(kind: &str) -> Value {
    let mut d = json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"},
        field::KIND: kind,
        field::PROOF: PROOF,
    });
    if kind == mr::FORM_SORGERECHT {
        d[field::GIVEN_NAMES] = json!("Lena");
        d[field::FAMILY_NAME] = json!("Mustermann");
        d[field::BIRTH_DATE] = json!("2016-03-12");
    } else {
        d[field::GIVEN_NAMES] = json!("Paul");
        d[field::FAMILY_NAME] = json!("Beispiel");
        d[field::BIRTH_DATE] = json!("1950-07-01");
        d[field::CARE_UNTIL] = json!("2029-06-30");
        d[field::CARE_SCOPE] = json!("Vermögenssorge, Behördenangelegenheiten");
    }
    d
}

/// The claim the relay makes of `form(kind)`.
fn claim(kind: &str) -> Value {
    let applicant = json!({"givenNames": "Erika", "familyName": "Mustermann"});
    let verified = json!([
        {"name": "givenName", "value": "Erika", "source": "eid"},
        {"name": "surname", "value": "Mustermann", "source": "eid"},
    ]);
    if kind == mr::FORM_SORGERECHT {
        json!({
            "id": REQUEST_ID,
            "kind": "sorgerecht",
            "person": {"givenNames": "Lena", "familyName": "Mustermann", "birthDate": "2016-03-12"},
            "validUntil": "2034-03-11",
            "applicant": applicant,
            "applicantVerified": verified,
        })
    } else {
        json!({
            "id": REQUEST_ID,
            "kind": "betreuung",
            "person": {"givenNames": "Paul", "familyName": "Beispiel", "birthDate": "1950-07-01"},
            "validUntil": "2029-06-30",
            "careScope": "Vermögenssorge, Behördenangelegenheiten",
            "applicant": applicant,
            "applicantVerified": verified,
        })
    }
}

/// The valid attestation of `login` with `request` as `mandateRequest`
/// (`None`: without one).
fn requesting(login: Login, request: Option<Value>) -> Report {
    Report::Made(
        login,
        Box::new(move |mut c| {
            if let Some(r) = request {
                c["mandateRequest"] = r;
            }
            onlinedienst_key().sign(&c)
        }),
    )
}

fn proof() -> [(&'static str, &'static [u8], &'static str, &'static str); 1] {
    [(PROOF, PDF, "application/pdf", "geburtsurkunde.pdf")]
}

/// `(status, problems)` of a request with `data`, handed in with `report`.
async fn request_with(app: &axum::Router, data: &Value, report: Report) -> (String, Vec<Value>) {
    let (dest, jwk, uri) = discover(app, mr::LEIKA, HILDEN).await;
    let sender = sender_token(app).await;
    let bytes = serde_json::to_vec(data).unwrap();
    let meta = metadata(&uri, &bytes, &proof());
    submit_and_problems(
        app,
        &sender,
        HandIn::new(&dest, &jwk, mr::LEIKA, meta, &bytes)
            .attachments(&[(PROOF, PDF, "application/pdf")])
            .report(report),
    )
    .await
}

/// Erika (eID) hands in the request `kind` with its matching claim;
/// returns her token and the submission and case ids.
async fn erika_requests(app: &axum::Router, kind: &str) -> (String, String, String) {
    let erika = login(app, How::Eid("eid-erika", "123456")).await;
    let attested = Login::of(app, &erika, mr::LEIKA).await;
    let (sub, case) = submit_form_as(
        app,
        &erika,
        mr::LEIKA,
        &form(kind),
        &proof(),
        requesting(attested, Some(claim(kind))),
    )
    .await;
    (erika, sub, case)
}

/// The FIT-Connect status and the last event's type and content, as the
/// relay (the sender) reads them.
async fn as_the_relay_reads_it(app: &axum::Router, sub: &str, case: &str) -> (String, Value) {
    let sender = sender_token(app).await;
    let s = get(
        app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&sender),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let events = verified_events(app, &sender, case).await;
    let last = events.last().unwrap().clone();
    (s.json()["status"].as_str().unwrap().to_string(), last)
}

#[tokio::test]
async fn a_request_for_a_child_is_shown_plainly_and_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (erika, sub, case) = erika_requests(&app, mr::FORM_SORGERECHT).await;
    let entry = fitconnect::authority::inbox_entry(&state, &sub)
        .await
        .unwrap();
    assert_eq!(entry.status, "submitted", "{entry:?}");
    let kept = fitconnect::authority::mandate_requests(&state)
        .await
        .unwrap();
    assert_eq!(kept[&sub].valid_until, "2034-03-11");

    // The Posteingang marks it.
    let session = console::console_login(&app).await;
    let list = console::page(&app, "/behoerde/eingang", Some(&session)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(
            "Vertretungsnachweis:</strong> Elterliche Sorge für Lena Mustermann, geboren am 12.03.2016, beantragt von Erika Mustermann"
        ),
        "{}",
        list.body
    );

    // The case page: the panel above the data, the actions as a request's.
    let uri = format!("/behoerde/antraege/{sub}");
    let page = console::page(&app, &uri, Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    let title = "Antrag auf Bestätigung einer Vertretung";
    assert!(b.find(title) < b.find("Angaben im Antrag"), "{b}");
    for shown in [
        "Elterliche Sorge für Lena Mustermann, geboren am 12.03.2016 – beantragt von Erika Mustermann",
        "<dd>Elterliche Sorge</dd>",
        "gültig bis 11.03.2034 (Tag vor dem 18. Geburtstag)",
        "Vorname(n): Erika (Online-Ausweis)",
        REQUEST_ID,
        "vom Onlinedienst bestätigt (signiert)",
        "Prüfen Sie die Angaben gegen den Nachweis in den Anlagen",
        "geburtsurkunde.pdf herunterladen",
        "Vertretung bestätigen",
        "Vertretung ablehnen",
        "Wird ins Postfach der antragstellenden Person geschickt.",
    ] {
        assert!(b.contains(shown), "{shown}: {b}");
    }
    assert!(!b.contains("Eingang bestätigen"), "{b}");
    assert!(!b.contains("Aufgabenkreise</dt>"), "no scope for a child");
    assert_eq!(b.matches("<h1").count(), 1);

    // The JSON API exposes the request.
    let token = console::api_token(&app).await;
    let api = format!("/behoerde/api/submissions/{sub}");
    let r = call(&app, Method::GET, &api, Some(&token), &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["mandateRequest"]["id"], REQUEST_ID);
    assert_eq!(v["mandateRequest"]["kind"], "sorgerecht");
    assert_eq!(v["mandateRequest"]["person"]["birthDate"], "2016-03-12");
    assert_eq!(v["mandateRequest"]["validUntil"], "2034-03-11");
    assert_eq!(v["mandateRequest"]["decision"], "open");

    // Confirmed through the page's form ("Vertretung bestätigen").
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
            .contains("Die Vertretung ist bestätigt. Der Onlinedienst schaltet sie frei."),
        "{}",
        done.body
    );
    assert!(
        !done.body.contains("Bescheid erlassen"),
        "nothing more to do"
    );

    // What the relay reads: FIT-Connect status accepted, accept-submission.
    let (status, last) = as_the_relay_reads_it(&app, &sub, &case).await;
    assert_eq!(status, "accepted");
    assert_eq!(event_type(&last), "accept-submission");
    // The applicant's postbox: completed, with the confirmation.
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&erika),
    )
    .await
    .json();
    assert_eq!(h["status"], "COMPLETED", "{h}");
    let r = call(&app, Method::GET, &api, Some(&token), &[], None).await;
    assert_eq!(r.json()["mandateRequest"]["decision"], "confirmed");

    // The protocol names the request by its id, never the names.
    let log = console::page(
        &app,
        &format!("/behoerde/protokoll?vorgang={sub}"),
        Some(&session),
    )
    .await;
    assert!(
        log.body.contains("Antrag auf Bestätigung einer Vertretung"),
        "{}",
        log.body
    );
    assert!(log.body.contains(REQUEST_ID));
    assert!(!log.body.contains("Lena"), "{}", log.body);
}

#[tokio::test]
async fn a_request_for_a_cared_for_person_is_shown_and_confirmed_or_refused_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let (_erika, sub, case) = erika_requests(&app, mr::FORM_BETREUUNG).await;
    let session = console::console_login(&app).await;
    let page = console::page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "Rechtliche Betreuung für Paul Beispiel, geboren am 01.07.1950 – beantragt von Erika Mustermann",
        "gültig bis 30.06.2029 (Ende des Betreuerausweises)",
        "<dt>Aufgabenkreise</dt><dd>Vermögenssorge, Behördenangelegenheiten</dd>",
        "Prüfen Sie die Angaben gegen den Nachweis in den Anlagen",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }

    // Confirmed through the JSON API (the usual accept).
    let token = console::api_token(&app).await;
    let r = call(
        &app,
        Method::POST,
        &format!("/behoerde/api/submissions/{sub}/accept"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["applicationStatus"], "COMPLETED");
    let (status, last) = as_the_relay_reads_it(&app, &sub, &case).await;
    assert_eq!(
        (status.as_str(), event_type(&last).as_str()),
        ("accepted", "accept-submission")
    );

    // A second request, refused through the JSON API with a reason.
    let (_, sub2, case2) = erika_requests(&app, mr::FORM_BETREUUNG).await;
    let reason = "Der Betreuerausweis ist nicht lesbar.";
    let r = call(
        &app,
        Method::POST,
        &format!("/behoerde/api/submissions/{sub2}/reject"),
        Some(&token),
        &[],
        Some(("application/json", json!({"reason": reason}).to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, last) = as_the_relay_reads_it(&app, &sub2, &case2).await;
    assert_eq!(status, "rejected");
    assert_eq!(event_type(&last), "reject-submission");
    let problems =
        &last["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"];
    assert_eq!(
        problem_names(problems.as_array().unwrap()),
        ["rejected-by-authority"]
    );
    assert_eq!(problems[0]["detail"], reason);
    let page = console::page(&app, &format!("/behoerde/antraege/{sub2}"), Some(&session)).await;
    assert!(
        page.body
            .contains("Die Vertretung ist abgelehnt. Der Onlinedienst schaltet sie nicht frei."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Vertretung bestätigen</span>"));
}

#[tokio::test]
async fn a_missing_misplaced_or_different_request_claim_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let erika = || {
        Login::eid(&[
            ("givenName", "Erika"),
            ("surname", "Mustermann"),
            ("postalAddress", "Heidestraße 17"),
            ("postalCode", "51147"),
            ("localityName", "Köln"),
        ])
    };
    let child = form(mr::FORM_SORGERECHT);
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 9] = [
        (
            "another child's name",
            |c| c["person"]["givenNames"] = json!("Lea"),
            "person's name",
        ),
        (
            "another surname",
            |c| c["person"]["familyName"] = json!("Musterfrau"),
            "person's name",
        ),
        (
            "another birth date",
            |c| c["person"]["birthDate"] = json!("2015-03-12"),
            "birth date",
        ),
        (
            "another kind",
            |c| {
                c["kind"] = json!("betreuung");
                c["careScope"] = json!("alle");
            },
            "kind",
        ),
        (
            "the 18th birthday as the last day",
            |c| c["validUntil"] = json!("2034-03-12"),
            "day before the 18th birthday",
        ),
        (
            "another applicant",
            |c| c["applicant"]["givenNames"] = json!("Jonas"),
            "applicant's name",
        ),
        ("an id that is no UUID", |c| c["id"] = json!("1"), "UUID"),
        (
            "a name longer than allowed",
            |c| c["person"]["givenNames"] = json!("L".repeat(101)),
            "plain text",
        ),
        (
            "an unknown kind",
            |c| c["kind"] = json!("vormundschaft"),
            "does not verify",
        ),
    ];
    for (what, change, says) in cases {
        let mut c = claim(mr::FORM_SORGERECHT);
        change(&mut c);
        let (status, p) = request_with(&app, &child, requesting(erika(), Some(c))).await;
        assert_eq!(status, "rejected", "{what}");
        assert_eq!(problem_names(&p), ["invalid-authentication-info"], "{what}");
        let detail = p[0]["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{what}: {detail}");
    }
    // No claim at all.
    let (status, p) = request_with(&app, &child, requesting(erika(), None)).await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&p), ["invalid-authentication-info"]);
    assert!(p[0]["detail"]
        .as_str()
        .unwrap()
        .contains("carries no mandateRequest"));
    // A Betreuung whose end is not the form's.
    let mut c = claim(mr::FORM_BETREUUNG);
    c["validUntil"] = json!("2029-07-31");
    let (status, p) = request_with(
        &app,
        &form(mr::FORM_BETREUUNG),
        requesting(erika(), Some(c)),
    )
    .await;
    assert_eq!(status, "rejected");
    assert!(
        p[0]["detail"]
            .as_str()
            .unwrap()
            .contains("Betreuerausweis' end"),
        "{p:?}"
    );
    // A claim on another service (a Führungszeugnis).
    let (dest, jwk, uri) = discover(&app, FZ, HILDEN).await;
    let sender = sender_token(&app).await;
    let data = serde_json::to_vec(&fz_data()).unwrap();
    let login = Login::eid(&[("givenName", "Erika"), ("surname", "Mustermann")]);
    let (status, p) = submit_and_problems(
        &app,
        &sender,
        HandIn::new(&dest, &jwk, FZ, metadata(&uri, &data, &[]), &data)
            .report(requesting(login, Some(claim(mr::FORM_SORGERECHT)))),
    )
    .await;
    assert_eq!(status, "rejected");
    assert!(
        p[0]["detail"].as_str().unwrap().contains("other than"),
        "{p:?}"
    );
    // Nothing kept; the matching claim passes and is kept.
    assert!(fitconnect::authority::mandate_requests(&state)
        .await
        .unwrap()
        .is_empty());
    let (status, p) = request_with(
        &app,
        &child,
        requesting(erika(), Some(claim(mr::FORM_SORGERECHT))),
    )
    .await;
    assert_eq!(status, "submitted", "{p:?}");
    assert_eq!(
        fitconnect::authority::mandate_requests(&state)
            .await
            .unwrap()
            .len(),
        1
    );
}
