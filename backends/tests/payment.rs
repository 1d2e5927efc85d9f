//! The payment provider stand-in (`/payment`, issue #23): the API only with
//! the relay's service token; create is idempotent by `requestId` (another
//! body is 409); each outcome through the pay page's forms (SEPA, card with
//! its test numbers and challenge, wallet, cancel, timeout); CSRF; a final
//! transaction cannot change; the list by reference (Kassenzeichen).

mod support;
use support::fitconnect::*;
use support::form_body;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use backends::AppState;
use contract::payment as p;
use serde_json::{json, Value};

const BASE: &str = "/payment/v1/paymenttransaction/buergeramt-nrw/onlinedienst";
const RETURN: &str = "http://127.0.0.1:8080/api/v1/payment/return";

fn body(request_id: &str, reference: &str) -> Value {
    json!({
        "requestId": request_id,
        "amount": 1300,
        "currency": "EUR",
        "purpose": "Führungszeugnis (Beispieldaten)",
        "description": "Gebühr nach JVKostG",
        "reference": reference,
        "redirectUrl": RETURN,
        "items": [{"reference": "GEB-1", "description": "Führungszeugnis", "amount": 1300}],
    })
}

struct Api {
    app: Router,
    token: String,
    state: AppState,
    _dir: tempfile::TempDir,
}

/// The pay page as a browser holds it: its CSRF cookie and form value.
struct Page {
    tx: String,
    cookie: String,
    csrf: String,
    html: String,
}

impl Api {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (app, state) = open(dir.path());
        let token = service_token(&app, "payment:create").await;
        Api {
            app,
            token,
            state,
            _dir: dir,
        }
    }

    async fn post(&self, uri: &str, v: Value) -> Resp {
        call(
            &self.app,
            Method::POST,
            uri,
            Some(&self.token),
            &[],
            Some(("application/json", v.to_string())),
        )
        .await
    }

    async fn create(&self, request_id: &str, reference: &str) -> p::PaymentTransaction {
        let r = self.post(BASE, body(request_id, reference)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    async fn status(&self, tx: &str) -> p::PaymentTransaction {
        let r = get(&self.app, &format!("{BASE}/{tx}"), Some(&self.token)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    async fn open_page(&self, tx: &str) -> Page {
        let r = get(&self.app, &format!("/payment/pay/{tx}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        assert!(set.contains(&format!("Path=/payment/pay/{tx}")), "{set}");
        let cookie = set.split(';').next().unwrap().to_string();
        let csrf = support::csrf_of(&r.body).unwrap();
        assert_eq!(cookie, format!("pay_csrf={csrf}"));
        Page {
            tx: tx.to_string(),
            cookie,
            csrf,
            html: r.body,
        }
    }

    /// Tries every change of the store on `tx` directly, past the page's
    /// own check: `true` if any of them took.
    async fn changes_anything(&self, tx: &str) -> bool {
        use backends::payment::store;
        let (tx, now) = (tx.to_string(), now());
        self.state
            .db
            .call(move |c| {
                let m = p::PaymentMethod::Wallet;
                Ok(store::pay(c, &tx, m, "x", "ZB-x", now)?
                    | store::decline(c, &tx, m, "x", now)?
                    | store::cancel(c, &tx, now)?
                    | store::set_challenge(c, &tx, Some("x"), now)?)
            })
            .await
            .unwrap()
    }

    /// Posts a form of the page (with its CSRF value) to `path` under it.
    async fn submit(&self, page: &Page, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all = vec![("csrf", page.csrf.as_str())];
        all.extend_from_slice(fields);
        post_form(
            &self.app,
            &format!("/payment/pay/{}{path}", page.tx),
            Some(&page.cookie),
            &all,
        )
        .await
    }
}

/// Where a 303 sends the browser back: `status` of the return URL.
fn returned(r: &Resp, tx: &str) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.headers[header::LOCATION].to_str().unwrap();
    assert!(
        loc.starts_with(&format!("{RETURN}?txId={tx}&status=")),
        "{loc}"
    );
    query_param(loc, "status").unwrap()
}

const SEPA_OK: [(&str, &str); 4] = [
    ("method", "sepa"),
    ("holder", "Erika Mustermann"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("mandate", "yes"),
];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn card(number: &str) -> [(&'static str, String); 4] {
    [
        ("method", "card".into()),
        ("card", number.into()),
        ("expiry", "12/39".into()),
        ("cvc", "123".into()),
    ]
}

fn refs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn only_with_the_service_token() {
    let api = Api::new().await;
    let r = call(
        &api.app,
        Method::POST,
        BASE,
        None,
        &[],
        Some(("application/json", body("a", "K-1").to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let other = service_token(&api.app, "termine:book").await;
    let r = call(
        &api.app,
        Method::POST,
        BASE,
        Some(&other),
        &[],
        Some(("application/json", body("a", "K-1").to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = get(&api.app, &format!("{BASE}?reference=K-1"), Some(&other)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let t = api.create("a", "K-1").await;
    assert_eq!(t.status, p::PaymentStatus::Initial);
    assert_eq!(t.amount, 1300);
    assert_eq!(
        t.payment_url,
        format!("http://127.0.0.1:8080/payment/pay/{}", t.tx_id)
    );
    assert!(t.payment_information.is_none());
    // The pay page itself needs no token.
    api.open_page(&t.tx_id).await;
}

#[tokio::test]
async fn one_request_makes_one_payment() {
    let api = Api::new().await;
    let first = api.create("antrag-7", "K-7").await;
    let again = api.post(BASE, body("antrag-7", "K-7")).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["txId"], first.tx_id.as_str());
    let mut changed = body("antrag-7", "K-7");
    changed["amount"] = json!(2600);
    changed["items"][0]["amount"] = json!(2600);
    let r = api.post(BASE, changed).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // Another endpoint is another caller: its keys are its own, and it
    // cannot read the first one's transaction.
    let other = "/payment/v1/paymenttransaction/buergeramt-nrw/anderer-dienst";
    let r = api.post(other, body("antrag-7", "K-7")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_ne!(r.json()["txId"], first.tx_id.as_str());
    let r = get(
        &api.app,
        &format!("{other}/{}", first.tx_id),
        Some(&api.token),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let list = get(&api.app, &format!("{BASE}?reference=K-7"), Some(&api.token)).await;
    assert_eq!(list.json()["transactions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn requests_outside_the_limits_are_refused() {
    let api = Api::new().await;
    let cases: [(&str, Value, StatusCode); 7] = [
        ("amount", json!(0), StatusCode::BAD_REQUEST),
        (
            "amount",
            json!(p::MAX_AMOUNT_CENTS + 1),
            StatusCode::BAD_REQUEST,
        ),
        ("currency", json!("USD"), StatusCode::BAD_REQUEST),
        ("reference", json!("x".repeat(36)), StatusCode::BAD_REQUEST),
        ("purpose", json!(""), StatusCode::BAD_REQUEST),
        (
            "redirectUrl",
            json!("https://evil.example/steal"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "notifyUrl",
            json!("http://127.0.0.1:8080.evil.example/"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (i, (name, value, status)) in cases.into_iter().enumerate() {
        let mut b = body(&format!("bad-{i}"), "K-1");
        b[name] = value;
        if name == "amount" {
            b["items"] = json!([]);
        }
        let r = api.post(BASE, b).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
    }
    let mut b = body("bad-items", "K-1");
    b["items"][0]["amount"] = json!(1200);
    assert_eq!(api.post(BASE, b).await.status, StatusCode::BAD_REQUEST);
    let mut b = body("bad-field", "K-1");
    b["amountEuro"] = json!(13.0);
    assert_eq!(api.post(BASE, b).await.status, StatusCode::BAD_REQUEST);
    let r = get(&api.app, &format!("{BASE}/nope"), Some(&api.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sepa_checks_the_iban_and_pays() {
    let api = Api::new().await;
    let t = api.create("sepa-1", "K-2026-0001").await;
    let page = api.open_page(&t.tx_id).await;
    for text in [
        "lang=\"de\"",
        "13,00\u{a0}€",
        "K-2026-0001",
        "Führungszeugnis (Beispieldaten)",
        "Testzahlung",
        "Es wird kein Geld bewegt",
    ] {
        assert!(page.html.contains(text), "{text}");
    }
    let bad = api
        .submit(
            &page,
            "",
            &[
                ("method", "sepa"),
                ("holder", "E"),
                ("iban", "DE88 3704 0044 0532 0130 00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Die Prüfziffern der IBAN stimmen nicht"));
    assert!(bad.body.contains("id=\"iban-error\""));
    assert!(bad
        .body
        .contains("aria-describedby=\"iban-hint iban-error\" aria-invalid=\"true\""));
    assert!(bad.body.contains("id=\"holder-error\""));
    assert!(bad.body.contains("id=\"mandate-error\""));
    assert!(
        bad.body.contains("value=\"DE88 3704 0044 0532 0130 00\""),
        "kept"
    );
    let short = api
        .submit(
            &page,
            "",
            &[
                ("method", "sepa"),
                ("holder", "Erika Mustermann"),
                ("iban", "DE89 3704 0044 0532 0130 0"),
                ("mandate", "yes"),
            ],
        )
        .await;
    assert!(short.body.contains("22 Zeichen"), "{}", short.body);
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Initial);
    let r = api.submit(&page, "", &SEPA_OK).await;
    assert_eq!(returned(&r, &t.tx_id), "PAYED");
    let paid = api.status(&t.tx_id).await;
    assert_eq!(paid.status, p::PaymentStatus::Payed);
    let info = paid.payment_information.unwrap();
    assert_eq!(info.payment_method, p::PaymentMethod::SepaDirectDebit);
    assert_eq!(info.payment_method_detail, "DE89 **** **** **** **30 00");
    assert_eq!(info.status, p::PaymentStatus::Payed);
    assert!(info.transaction_id.starts_with("ZB-"));
    assert!(info.transaction_timestamp.ends_with('Z'));
}

#[tokio::test]
async fn forms_without_the_pages_csrf_value_are_refused() {
    let api = Api::new().await;
    let t = api.create("csrf-1", "K-3").await;
    let page = api.open_page(&t.tx_id).await;
    let uri = format!("/payment/pay/{}", t.tx_id);
    // No cookie (another site's form), a wrong value, no value.
    let r = post_form(
        &api.app,
        &uri,
        None,
        &[("csrf", &page.csrf), ("method", "wallet")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Formular ungültig"));
    let r = post_form(
        &api.app,
        &uri,
        Some(&page.cookie),
        &[("csrf", "x".repeat(43).as_str()), ("method", "cancel")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(&api.app, &uri, Some(&page.cookie), &[("method", "cancel")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(
        &api.app,
        &format!("{uri}/challenge"),
        None,
        &[("csrf", &page.csrf), ("code", "123456")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Initial);
    // A page opened again keeps the browser's value (two tabs work).
    let r = call(
        &api.app,
        Method::GET,
        &uri,
        None,
        &[("cookie", page.cookie.as_str())],
        None,
    )
    .await;
    assert_eq!(support::csrf_of(&r.body).unwrap(), page.csrf);
}

#[tokio::test]
async fn a_declined_card_can_be_followed_by_another_method() {
    let api = Api::new().await;
    let t = api.create("card-1", "K-4").await;
    let page = api.open_page(&t.tx_id).await;
    let r = api
        .submit(&page, "", &refs(&card("4000 0000 0000 0002")))
        .await;
    assert_eq!(returned(&r, &t.tx_id), "FAILED");
    let failed = api.status(&t.tx_id).await;
    assert_eq!(failed.status, p::PaymentStatus::Failed);
    assert_eq!(failed.failed_attempts, 1);
    assert!(failed.payment_information.is_none());
    // The same link still pays, and says what happened.
    let page = api.open_page(&t.tx_id).await;
    assert!(page.html.contains("Zahlung abgelehnt"));
    let r = api.submit(&page, "", &[("method", "wallet")]).await;
    assert_eq!(returned(&r, &t.tx_id), "PAYED");
    let paid = api.status(&t.tx_id).await;
    let info = paid.payment_information.unwrap();
    assert_eq!(info.payment_method, p::PaymentMethod::Wallet);
    assert_eq!(paid.failed_attempts, 1);
}

#[tokio::test]
async fn three_declines_are_final() {
    let api = Api::new().await;
    let t = api.create("card-3", "K-5").await;
    let page = api.open_page(&t.tx_id).await;
    for _ in 0..p::MAX_FAILED_ATTEMPTS {
        let r = api
            .submit(&page, "", &refs(&card("4000000000000002")))
            .await;
        assert_eq!(returned(&r, &t.tx_id), "FAILED");
    }
    let r = api.submit(&page, "", &[("method", "wallet")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("kann nicht mehr geändert werden"));
    assert_eq!(api.status(&t.tx_id).await.failed_attempts, 3);
}

#[tokio::test]
async fn card_numbers_and_dates_are_checked() {
    let api = Api::new().await;
    let t = api.create("card-v", "K-6").await;
    let page = api.open_page(&t.tx_id).await;
    let cases = [
        ("4111 1111 1111 1112", "12/39", "123", "card-error"),
        (
            "4242 4242 4242 4242",
            "12/39",
            "123",
            "nur die genannten Testkarten",
        ),
        ("4111 1111 1111 1111", "01/20", "123", "expiry-error"),
        ("4111 1111 1111 1111", "12/39", "12", "cvc-error"),
    ];
    for (number, expiry, cvc, expect) in cases {
        let r = api
            .submit(
                &page,
                "",
                &[
                    ("method", "card"),
                    ("card", number),
                    ("expiry", expiry),
                    ("cvc", cvc),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{number}");
        assert!(r.body.contains(expect), "{expect}");
        assert!(
            !r.body.contains(&format!("value=\"{cvc}\"")),
            "no CVC echoed"
        );
    }
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Initial);
    let r = api
        .submit(&page, "", &refs(&card("4111-1111-1111-1111")))
        .await;
    assert_eq!(returned(&r, &t.tx_id), "PAYED");
    let info = api.status(&t.tx_id).await.payment_information.unwrap();
    assert_eq!(info.payment_method, p::PaymentMethod::CreditCard);
    assert_eq!(info.payment_method_detail, "VISA **** 1111");
}

#[tokio::test]
async fn the_challenge_card_asks_for_a_code() {
    let api = Api::new().await;
    let t = api.create("card-c", "K-8").await;
    let page = api.open_page(&t.tx_id).await;
    // Without a card first, the challenge page leads back.
    let r = get(
        &api.app,
        &format!("/payment/pay/{}/challenge", t.tx_id),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = api
        .submit(&page, "", &refs(&card("4000000000003220")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.headers[header::LOCATION].to_str().unwrap();
    assert_eq!(loc, format!("/payment/pay/{}/challenge?lang=de", t.tx_id));
    let r = call(
        &api.app,
        Method::GET,
        loc,
        None,
        &[("cookie", page.cookie.as_str())],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Bestätigungscode") && r.body.contains("VISA **** 3220"));
    let bad = api.submit(&page, "/challenge", &[("code", "12")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"code-error\""));
    let r = api.submit(&page, "/challenge", &[("code", "123456")]).await;
    assert_eq!(returned(&r, &t.tx_id), "PAYED");
    // A wrong code declines.
    let t = api.create("card-c2", "K-8").await;
    let page = api.open_page(&t.tx_id).await;
    api.submit(&page, "", &refs(&card("4000000000003220")))
        .await;
    let r = api.submit(&page, "/challenge", &[("code", "654321")]).await;
    assert_eq!(returned(&r, &t.tx_id), "FAILED");
}

#[tokio::test]
async fn a_cancelled_payment_cannot_change() {
    let api = Api::new().await;
    let t = api.create("cancel-1", "K-9").await;
    let page = api.open_page(&t.tx_id).await;
    let r = api.submit(&page, "", &[("method", "cancel")]).await;
    assert_eq!(returned(&r, &t.tx_id), "CANCELED");
    let r = api.submit(&page, "", &SEPA_OK).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api.submit(&page, "", &[("method", "cancel")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The database's guard too (what a race between two tabs would reach).
    assert!(!api.changes_anything(&t.tx_id).await);
    let after = api.status(&t.tx_id).await;
    assert_eq!(after.status, p::PaymentStatus::Canceled);
    assert!(after.payment_information.is_none());
    let r = get(&api.app, &format!("/payment/pay/{}", t.tx_id), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Status: abgebrochen"));
    assert!(r
        .body
        .contains(&format!("{RETURN}?txId={}&amp;status=CANCELED", t.tx_id)));
    // A paid one neither.
    let t = api.create("paid-1", "K-9").await;
    let page = api.open_page(&t.tx_id).await;
    api.submit(&page, "", &[("method", "wallet")]).await;
    let r = api.submit(&page, "", &[("method", "cancel")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!api.changes_anything(&t.tx_id).await);
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Payed);
    // An open one can change (the check above can fail).
    let t = api.create("open-1", "K-9").await;
    assert!(api.changes_anything(&t.tx_id).await);
}

#[tokio::test]
async fn an_unpaid_payment_times_out() {
    let api = Api::new().await;
    let t = api.create("late-1", "K-10").await;
    let page = api.open_page(&t.tx_id).await;
    let created = p::rfc3339_utc(0).len();
    assert_eq!(t.expires_at.len(), created);
    let later = now() + backends::payment::api::PAY_SECS + 1;
    assert_eq!(
        backends::payment::api::expire(&api.state, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Timeout);
    assert!(!api.changes_anything(&t.tx_id).await);
    let r = api.submit(&page, "", &[("method", "wallet")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("abgelaufen"));
    assert_eq!(api.status(&t.tx_id).await.status, p::PaymentStatus::Timeout);
}

#[tokio::test]
async fn payments_are_listed_by_reference() {
    let api = Api::new().await;
    let a = api.create("ref-a", "K-2026-0042").await;
    let b = api.create("ref-b", "K-2026-0042").await;
    api.create("ref-c", "K-2026-0043").await;
    let page = api.open_page(&b.tx_id).await;
    api.submit(&page, "", &[("method", "wallet")]).await;
    let r = get(
        &api.app,
        &format!("{BASE}?reference=K-2026-0042"),
        Some(&api.token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list: p::PaymentList = serde_json::from_str(&r.body).unwrap();
    let ids: Vec<_> = list.transactions.iter().map(|t| t.tx_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&a.tx_id.as_str()) && ids.contains(&b.tx_id.as_str()));
    let paid: Vec<_> = list
        .transactions
        .iter()
        .filter(|t| t.status == p::PaymentStatus::Payed)
        .collect();
    assert_eq!(paid.len(), 1);
    let r = get(
        &api.app,
        &format!("{BASE}?reference=K-none"),
        Some(&api.token),
    )
    .await;
    assert_eq!(r.json()["transactions"], json!([]));
    let r = get(&api.app, &format!("{BASE}?reference="), Some(&api.token)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_page_speaks_english_and_knows_unknown_links() {
    let api = Api::new().await;
    let t = api.create("en-1", "K-11").await;
    let r = get(&api.app, &format!("/payment/pay/{}?lang=en", t.tx_id), None).await;
    assert!(r.body.contains("lang=\"en\"") && r.body.contains("€13.00"));
    assert!(r.body.contains("Pay by direct debit") && r.body.contains("no money moves"));
    assert!(r
        .body
        .contains(&format!("action=\"/payment/pay/{}?lang=en\"", t.tx_id)));
    let req = Request::builder()
        .uri(format!("/payment/pay/{}", t.tx_id))
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9,de;q=0.5")
        .body(Body::empty())
        .unwrap();
    let r = send(&api.app, req).await;
    assert!(r.body.contains("Pay a fee"));
    assert!(r.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let r = get(&api.app, "/payment/pay/unknown", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Zahlung nicht gefunden"));
    let r = post_form(
        &api.app,
        "/payment/pay/unknown",
        None,
        &[("method", "wallet")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let _ = form_body(&[]);
}
