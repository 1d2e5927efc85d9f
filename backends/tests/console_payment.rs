//! The fee of an application in the authority console (issue #23): the
//! attested payment (`payment` in the Onlinedienst's attestation) and the
//! metadata's `paymentInformation` are shown; a fee form without an
//! attested payment, a fee computed from other answers than the
//! application's, or another amount are warnings; "Beim Bezahldienst
//! prüfen" asks the cash system (the stand-in's payment provider) by the
//! Kassenzeichen, audited; a broken fee claim rejects the submission.

mod support;
use support::console::{console_login, page};
use support::csrf_of;
use support::fitconnect::*;

use axum::http::StatusCode;
use axum::Router;
use backends::behoerde::payment::{CASH_ENDPOINT, CASH_ORIGINATOR};
use backends::AppState;
use contract::payment as p;
use serde_json::{json, Value};

const PURPOSE: &str = "F99600003";
const PRIVATE: &str = "Private Zwecke";
const VOLUNTARY: &str = "Ehrenamtliche Tätigkeit";
const PROVIDER: &str = "ePayBL-Testsystem (Stand-in)";

/// A Führungszeugnis of Erika (eID) with this purpose, its attestation
/// carrying `payment` (if any), and `payment_information` in the metadata
/// (if any); received by the subscriber. `(submissionId, status)`, the
/// status of a rejected one with its problems' names.
async fn fz(
    app: &Router,
    purpose: &str,
    payment: Option<Value>,
    payment_information: Option<Value>,
) -> (String, String) {
    let eid = login(app, How::Eid("eid-erika", "123456")).await;
    let who = Login::of(app, &eid, FZ).await;
    let (dest, jwk, uri) = discover(app, FZ, HILDEN).await;
    let mailbox = mailbox_of(app, &eid).await;
    let sender = sender_token(app).await;
    let mut data = fz_data();
    data[PURPOSE] = json!(purpose);
    let data = serde_json::to_vec(&data).unwrap();
    let mut meta = with_reply_channel(metadata(&uri, &data, &[]), &mailbox);
    if let Some(pi) = payment_information {
        meta["paymentInformation"] = pi;
    }
    let report = Report::Made(
        who,
        Box::new(move |mut claims: Value| {
            if let Some(p) = payment {
                claims["payment"] = p;
            }
            onlinedienst_key().sign(&claims)
        }),
    );
    let (sub, case, r) = hand_in(
        app,
        &sender,
        HandIn::new(&dest, &jwk, FZ, meta, &data).report(report),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    receive().await;
    let status = get(
        app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&sender),
    )
    .await
    .json()["status"]
        .as_str()
        .unwrap()
        .to_string();
    if status == "rejected" {
        let events = verified_events(app, &sender, &case).await;
        let problems = events
            .last()
            .and_then(|c| {
                c["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]
                    ["problems"]
                    .as_array()
                    .cloned()
            })
            .unwrap_or_default();
        return (
            sub,
            format!("rejected: {}", problem_names(&problems).join(", ")),
        );
    }
    (sub, status)
}

/// Creates a transaction of 13 € for `reference` at the provider, as the
/// relay does (service token, the relay's originator and endpoint), and
/// pays it by SEPA in the provider's store when `pay`. Its final state.
async fn transaction(
    app: &Router,
    state: &AppState,
    reference: &str,
    pay: bool,
) -> p::PaymentTransaction {
    let token = service_token(app, "payment:create").await;
    let base = format!("/payment/v1/paymenttransaction/{CASH_ORIGINATOR}/{CASH_ENDPOINT}");
    let body = json!({
        "requestId": format!("antrag-{reference}"),
        "amount": 1300,
        "currency": "EUR",
        "purpose": format!("Führungszeugnis, {reference}"),
        "reference": reference,
        "redirectUrl": "http://127.0.0.1:8080/api/v1/payment/return",
    });
    let r = call(
        app,
        axum::http::Method::POST,
        &base,
        Some(&token),
        &[],
        Some(("application/json", body.to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t: p::PaymentTransaction = serde_json::from_str(&r.body).unwrap();
    if pay {
        let (tx, now) = (t.tx_id.clone(), now());
        let paid = state
            .db
            .call(move |c| {
                backends::payment::store::pay(
                    c,
                    &tx,
                    p::PaymentMethod::SepaDirectDebit,
                    "DE89 **** **** **** **30 00",
                    "ZB-TEST-0001",
                    now,
                )
            })
            .await
            .unwrap();
        assert!(paid);
    }
    let r = get(app, &format!("{base}/{}", t.tx_id), Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// The claim the relay signs for a paid transaction.
fn paid_claim(t: &p::PaymentTransaction, purpose: &str) -> Value {
    json!({
        "state": "PAID",
        "amount": t.amount,
        "currency": "EUR",
        "reference": t.reference,
        "provider": PROVIDER,
        "feeBasis": {PURPOSE: purpose},
        "paymentInformation": t.payment_information,
    })
}

fn waived_claim(reference: &str, purpose: &str) -> Value {
    json!({
        "state": "WAIVED",
        "amount": 0,
        "currency": "EUR",
        "reference": reference,
        "provider": PROVIDER,
        "feeBasis": {PURPOSE: purpose},
    })
}

/// The console page of `sub` (logged in as the clerk).
async fn console(app: &Router, session: &str, sub: &str) -> String {
    let r = page(app, &format!("/behoerde/antraege/{sub}"), Some(session)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn check(app: &Router, session: &str, sub: &str, csrf: &str) -> Resp {
    post_form(
        app,
        &format!("/behoerde/antraege/{sub}/zahlung-pruefen"),
        Some(session),
        &[("csrf", csrf)],
    )
    .await
}

const WARNINGS: [&str; 5] = [
    "Gebühr nicht bestätigt",
    "Gebühr aus anderen Angaben berechnet",
    "Betrag passt nicht zum Antrag",
    "Zahlungsangaben der Metadaten weichen ab",
    "Zahlung ohne Gebühr im Formular",
];

fn warnings_in(html: &str) -> Vec<&'static str> {
    WARNINGS
        .iter()
        .copied()
        .filter(|w| html.contains(w))
        .collect()
}

#[tokio::test]
async fn a_paid_fee_is_shown_and_confirmed_with_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let t = transaction(&app, &state, "K-2026-000101", true).await;
    assert_eq!(t.status, p::PaymentStatus::Payed);
    let info = t.payment_information.clone().unwrap();
    let fit = p::FitPaymentInformation::of(&t.reference, t.amount, &info);
    let (sub, status) = fz(
        &app,
        PRIVATE,
        Some(paid_claim(&t, PRIVATE)),
        Some(serde_json::to_value(&fit).unwrap()),
    )
    .await;
    assert_eq!(status, "submitted");
    let session = console_login(&app).await;
    let html = console(&app, &session, &sub).await;
    assert!(html.contains("<h2 class=\"kern-heading-medium\">Gebühr und Zahlung</h2>"));
    for shown in [
        "<dt>Gebühr laut Angaben im Antrag</dt><dd>13,00\u{a0}€ (Gebühr für das Führungszeugnis)</dd>",
        "<dd>bezahlt, vom Onlinedienst beim Bezahldienst geprüft</dd>",
        "<dt>Betrag</dt><dd>13,00\u{a0}€</dd>",
        "<dt>Zahlart</dt><dd>SEPA-Lastschrift, DE89 **** **** **** **30 00</dd>",
        "<dt>Kassenzeichen</dt><dd>K-2026-000101</dd>",
        "<dt>Buchungsnummer</dt><dd>ZB-TEST-0001</dd>",
        "<dt>Bezahldienst</dt><dd>ePayBL-Testsystem (Stand-in)</dd>",
        "<dt>Gebühr berechnet nach</dt><dd>Verwendungszweck: Private Zwecke</dd>",
        "Zahlungsangaben in den Metadaten",
        "<dd>BOOKED</dd>",
        "Beim Bezahldienst prüfen",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    assert_eq!(warnings_in(&html), Vec::<&str>::new());

    // Ask the provider by the Kassenzeichen: paid, with amount, time, method.
    let csrf = csrf_of(&html).unwrap();
    let r = check(&app, &session, &sub, "falsch").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "CSRF as for every console form"
    );
    let r = check(&app, &session, &sub, &csrf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Bezahldienst bestätigt die Zahlung"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("Kassenzeichen K-2026-000101: bezahlt, 13,00\u{a0}€ am ")
            && r.body.contains(
                "SEPA-Lastschrift, DE89 **** **** **** **30 00, Buchungsnummer ZB-TEST-0001."
            ),
        "{}",
        r.body
    );
    // Audited like the console's other actions (the CSRF refusal is not an action).
    let log = page(&app, "/behoerde/protokoll", Some(&session)).await;
    assert_eq!(
        log.body
            .matches("Zahlung beim Bezahldienst geprüft")
            .count(),
        1,
        "{}",
        log.body
    );
    assert!(
        !log.body.contains("K-2026-000101"),
        "the log holds no Kassenzeichen"
    );
    let e = backends::behoerde::audit::verify(&state).await.unwrap();
    assert!(e.ok(), "the chain still verifies");
}

#[tokio::test]
async fn a_fee_form_without_an_attested_payment_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let (sub, status) = fz(&app, PRIVATE, None, None).await;
    assert_eq!(status, "submitted");
    let session = console_login(&app).await;
    let html = console(&app, &session, &sub).await;
    assert_eq!(warnings_in(&html), ["Gebühr nicht bestätigt"]);
    assert!(
        html.contains("laut den Angaben im Antrag 13,00\u{a0}€"),
        "{html}"
    );
    assert!(
        !html.contains("Beim Bezahldienst prüfen"),
        "no Kassenzeichen to ask about"
    );
    // Nothing to check: refused, not asked.
    let csrf = csrf_of(&html).unwrap();
    let r = check(&app, &session, &sub, &csrf).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // A form without a fee has no section at all.
    let (hund, _) =
        submit_hundesteuer(&app, &login(&app, How::Eid("eid-erika", "123456")).await).await;
    let html = console(&app, &session, &hund).await;
    assert!(!html.contains("Gebühr und Zahlung"));
}

#[tokio::test]
async fn a_fee_from_other_answers_is_a_warning_and_a_fitting_waiver_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let session = console_login(&app).await;
    // Waived for voluntary work, but the application says private purposes.
    let (sub, status) = fz(
        &app,
        PRIVATE,
        Some(waived_claim("K-2026-000102", VOLUNTARY)),
        None,
    )
    .await;
    assert_eq!(status, "submitted");
    let html = console(&app, &session, &sub).await;
    assert_eq!(
        warnings_in(&html),
        [
            "Gebühr aus anderen Angaben berechnet",
            "Betrag passt nicht zum Antrag"
        ]
    );
    // The JSON API has the same findings.
    let token = support::console::api_token(&app).await;
    let g = get(
        &app,
        &format!("/behoerde/api/submissions/{sub}"),
        Some(&token),
    )
    .await
    .json();
    let titles: Vec<&str> = g["feeWarnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Gebühr aus anderen Angaben berechnet",
            "Betrag passt nicht zum Antrag"
        ]
    );
    assert_eq!(g["attestation"]["payment"]["state"], "WAIVED");
    assert!(
        html.contains("nach diesen Angaben berechnet: Verwendungszweck: Ehrenamtliche Tätigkeit. Im Antrag steht: Verwendungszweck: Private Zwecke."),
        "{html}"
    );
    // The same waiver for an application that says voluntary work.
    let (sub, _) = fz(
        &app,
        VOLUNTARY,
        Some(waived_claim("K-2026-000103", VOLUNTARY)),
        None,
    )
    .await;
    let html = console(&app, &session, &sub).await;
    assert_eq!(warnings_in(&html), Vec::<&str>::new());
    assert!(
        !html.contains("Beim Bezahldienst prüfen"),
        "waived: nothing was paid"
    );
    assert!(html.contains(
        "<dd>Gebühr entfällt laut Angaben (Gebührenbefreiung für eine ehrenamtliche Tätigkeit)</dd>"
    ));
    assert!(html.contains("<dt>Gebühr laut Angaben im Antrag</dt><dd>0,00\u{a0}€"));
}

#[tokio::test]
async fn the_provider_check_reports_a_missing_or_unpaid_payment() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let session = console_login(&app).await;
    // A paid claim whose Kassenzeichen the provider does not know, and
    // metadata that name another one.
    let t = transaction(&app, &state, "K-2026-000104", true).await;
    let mut claim = paid_claim(&t, PRIVATE);
    claim["reference"] = json!("K-2026-999999");
    let fit = p::FitPaymentInformation::of(
        &t.reference,
        t.amount,
        t.payment_information.as_ref().unwrap(),
    );
    let (sub, _) = fz(
        &app,
        PRIVATE,
        Some(claim),
        Some(serde_json::to_value(&fit).unwrap()),
    )
    .await;
    let html = console(&app, &session, &sub).await;
    assert_eq!(
        warnings_in(&html),
        ["Zahlungsangaben der Metadaten weichen ab"]
    );
    let r = check(&app, &session, &sub, &csrf_of(&html).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Bezahldienst kennt keine Zahlung"),
        "{}",
        r.body
    );
    assert!(r.body.contains(
        "Zum Kassenzeichen K-2026-999999 gibt es beim Bezahldienst keinen Zahlungsvorgang."
    ));

    // A transaction that was created but never paid.
    let open_tx = transaction(&app, &state, "K-2026-000105", false).await;
    assert_eq!(open_tx.status, p::PaymentStatus::Initial);
    let mut claim = paid_claim(&t, PRIVATE);
    claim["reference"] = json!("K-2026-000105");
    let (sub, _) = fz(&app, PRIVATE, Some(claim), None).await;
    let html = console(&app, &session, &sub).await;
    let r = check(&app, &session, &sub, &csrf_of(&html).unwrap()).await;
    assert!(r.body.contains("Nicht bezahlt"), "{}", r.body);
    assert!(
        r.body.contains("Vorgänge beim Bezahldienst: offen."),
        "{}",
        r.body
    );
    let log = page(&app, "/behoerde/protokoll", Some(&session)).await;
    assert_eq!(
        log.body
            .matches("Zahlung beim Bezahldienst geprüft")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_broken_fee_claim_rejects_the_submission() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let t = transaction(&app, &state, "K-2026-000106", true).await;
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut c = paid_claim(&t, PRIVATE);
    c["amount"] = json!(0);
    cases.push(("no amount", c));
    let mut c = paid_claim(&t, PRIVATE);
    c["currency"] = json!("USD");
    cases.push(("currency", c));
    let mut c = paid_claim(&t, PRIVATE);
    c["reference"] = json!("");
    cases.push(("no Kassenzeichen", c));
    let mut c = paid_claim(&t, PRIVATE);
    c["state"] = json!("OPEN");
    cases.push(("not settled", c));
    for (what, claim) in cases {
        let (_, status) = fz(&app, PRIVATE, Some(claim), None).await;
        assert_eq!(status, "rejected: invalid-authentication-info", "{what}");
    }
    let (_, status) = fz(&app, PRIVATE, Some(paid_claim(&t, PRIVATE)), None).await;
    assert_eq!(status, "submitted");
}
