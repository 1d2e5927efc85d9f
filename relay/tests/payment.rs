//! Paying a fee through the relay (issue #23), against the stand-in's
//! payment provider: the state comes only from the provider (server to
//! server), never twice for one application, waived by the fee basis,
//! the signed notification, provider faults, the submit gate (402) and
//! the attestation's `payment`.

mod support;

use backends::payment::{notify, store as provider_store};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const FZG: &str = "99063001001000";
const MUENCHEN: &str = "091620000000";
const PURPOSE: &str = "F99600003";
const VOLUNTARY: &str = "Ehrenamtliche Tätigkeit";
const ORIGINATOR: &str = "buergeramt-nrw";

/// Every relay here has its own database, so its own Kassenzeichen
/// counter, but all share one provider: each test books at its own
/// endpoint (cash office) there.
async fn relay_at(endpoint: &str, tweak: impl FnOnce(&mut relay::Config)) -> Relay {
    let endpoint = endpoint.to_string();
    relay_with(move |c| {
        c.payment.endpoint_id = endpoint;
        tweak(c);
    })
    .await
}

struct App {
    endpoint: String,
    relay: Relay,
    b: Browser,
    base: String,
    id: String,
    reference: String,
}

/// A relay, Erika with her Online-Ausweis, and an announced Führungszeugnis.
async fn announced(relay: Relay, key: &str) -> App {
    let mut b = Browser::new();
    login(&mut b, &relay, L4, "/", ERIKA_EID).await;
    let base = format!("{}/api/v1", relay.url);
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={FZG}&ars={MUENCHEN}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Führungszeugnis beantragen",
                        "identifier": format!("urn:de:fim:leika:leistung:{FZG}")},
    });
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications"),
            &[("buergeramt-api", "1"), ("idempotency-key", key)],
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["submissionId"].as_str().unwrap().to_string();
    let reference = r.json()["senderReference"].as_str().unwrap().to_string();
    assert!(reference.starts_with("FZG-"), "{reference}");
    let endpoint = relay.state.shared.config.payment.endpoint_id.clone();
    App {
        endpoint,
        relay,
        b,
        base,
        id,
        reference,
    }
}

impl App {
    fn url(&self) -> String {
        format!("{}/applications/{}/payment", self.base, self.id)
    }

    async fn start(&mut self, purpose: &str) -> Resp {
        let body = json!({
            "feeBasis": {PURPOSE: purpose},
            "returnPath": format!("/antrag/fuehrungszeugnis?antrag={}", self.id),
        });
        let url = self.url();
        self.b
            .send_body(
                Method::POST,
                &url,
                &[("buergeramt-api", "1")],
                "application/json",
                body.to_string().into_bytes(),
            )
            .await
    }

    async fn state(&mut self) -> Value {
        let url = self.url();
        let r = self.b.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }

    /// A submit with a body FIT-Connect refuses: only whether the relay's
    /// gate let it through matters.
    async fn submit(&mut self) -> Resp {
        let url = format!("{}/applications/{}", self.base, self.id);
        self.b
            .send_body(
                Method::PUT,
                &url,
                &[("buergeramt-api", "1")],
                "application/json",
                b"{}".to_vec(),
            )
            .await
    }

    /// The provider's transactions of the Kassenzeichen.
    async fn at_provider(&self) -> Vec<provider_store::Row> {
        let (reference, endpoint) = (self.reference.clone(), self.endpoint.clone());
        stand_in()
            .state
            .db
            .call(move |c| provider_store::by_reference(c, ORIGINATOR, &endpoint, &reference))
            .await
            .unwrap()
    }

    /// The citizen on the pay page: one of its forms, by form POST.
    async fn pay_page(&mut self, payment_url: &str, fields: &[(&str, &str)]) -> Resp {
        let page = self.b.get(payment_url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = csrf_of(&page.body);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.b
            .send(Method::POST, payment_url, &[], Some(&all))
            .await
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn csrf_of(html: &str) -> String {
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key).expect("a CSRF field") + key.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

#[tokio::test]
async fn only_the_providers_answer_counts_and_nothing_is_paid_twice() {
    let mut app = announced(relay_at("t-verify", |_| {}).await, "pay-verify").await;
    // Nothing started yet: no payment, and the submit is refused.
    let r = app.b.get(&app.url()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app.submit().await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    assert_eq!(r.json()["error"], "payment_required");
    assert!(r.json()["messageEn"].as_str().unwrap().contains("pay"));

    // Start: OPEN, 13,00 €, the Kassenzeichen, the provider's pay page.
    let first = app.start("Private Zwecke").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let s = first.json();
    assert_eq!(s["state"], "OPEN");
    assert_eq!(s["amount"], 1300);
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["reference"], app.reference.as_str());
    assert_eq!(s["provider"], "ePayBL-Testsystem (Stand-in)");
    assert_eq!(s["feeBasis"][PURPOSE], "Private Zwecke");
    let pay_url = s["paymentUrl"].as_str().unwrap().to_string();
    assert!(pay_url.starts_with(&format!("{}/payment/pay/", stand_in().url)));
    let tx = s["txId"].as_str().unwrap().to_string();

    // Again (a reload, a double click): the same transaction.
    let again = app.start("Private Zwecke").await.json();
    assert_eq!(again["txId"], tx.as_str());
    assert_eq!(again["paymentUrl"], pay_url.as_str());
    assert_eq!(app.at_provider().await.len(), 1, "one transaction");

    // A forged return (`status=PAYED` in the app's URL) changes nothing:
    // the relay asks the provider, which says not paid.
    let forged = format!(
        "{}/antrag/fuehrungszeugnis?txId={tx}&status=PAYED",
        app.relay.url
    );
    let _ = app.b.get(&forged).await;
    assert_eq!(app.state().await["state"], "OPEN");
    assert_eq!(app.submit().await.status, StatusCode::PAYMENT_REQUIRED);

    // Cancelled on the pay page: CANCELED; a new start makes a new one.
    let r = app.pay_page(&pay_url, &[("method", "cancel")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with(&format!(
        "{}/antrag/fuehrungszeugnis?antrag={}",
        app.relay.url, app.id
    )));
    // The provider's own signed notification tells the relay, which
    // reads the transaction: CANCELED without the citizen asking.
    let (db, id) = (app.relay.state.db.clone(), app.id.clone());
    let mut heard = false;
    for _ in 0..300 {
        let id = id.clone();
        let state = db
            .call(move |c| relay::payment::store::get(c, &id))
            .await
            .unwrap()
            .map(|f| f.state);
        if state == Some(contract::payment::FeeState::Canceled) {
            heard = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(heard, "the notification reached the relay");
    assert_eq!(app.state().await["state"], "CANCELED");
    let second = app.start("Private Zwecke").await.json();
    assert_eq!(second["state"], "OPEN");
    assert_ne!(second["txId"], tx.as_str(), "a new transaction");
    assert_eq!(app.at_provider().await.len(), 2);

    // Paid by wallet on the pay page; the relay verifies it server to server.
    let pay_url = second["paymentUrl"].as_str().unwrap().to_string();
    let r = app.pay_page(&pay_url, &[("method", "wallet")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paid = app.state().await;
    assert_eq!(paid["state"], "PAID", "{paid}");
    assert_eq!(paid["paymentInformation"]["paymentMethod"], "WALLET");
    assert_eq!(paid["paymentInformation"]["status"], "PAYED");
    assert!(paid.get("paymentUrl").is_none(), "{paid}");

    // After PAID: the same answer for the same basis, 409 for another.
    let r = app.start("Private Zwecke").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "PAID");
    assert_eq!(r.json()["txId"], paid["txId"]);
    let r = app.start(VOLUNTARY).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "payment_conflict");
    assert_eq!(app.at_provider().await.len(), 2, "never a third");

    // The gate opens (FIT-Connect then refuses the empty body itself).
    let r = app.submit().await;
    assert_ne!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);

    // The attestation carries the verified payment.
    let att_url = format!("{}/applications/{}/attestation", app.base, app.id);
    let r = app
        .b
        .send_body(
            Method::POST,
            &att_url,
            &[("buergeramt-api", "1")],
            "application/json",
            json!({"dataHash": "ab".repeat(64)})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let jws = r.json()["attestation"].as_str().unwrap().to_string();
    let claims: Value = {
        use base64::Engine;
        let part = jws.split('.').nth(1).unwrap();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&raw).unwrap()
    };
    let p = &claims["payment"];
    assert_eq!(p["state"], "PAID", "{claims}");
    assert_eq!(p["amount"], 1300);
    assert_eq!(p["reference"], app.reference.as_str());
    assert_eq!(p["provider"], "ePayBL-Testsystem (Stand-in)");
    assert_eq!(p["feeBasis"][PURPOSE], "Private Zwecke");
    assert_eq!(p["paymentInformation"]["paymentMethod"], "WALLET");

    // The data-use log names the provider and what went there.
    let r = app.b.get(&format!("{}/disclosures", app.base)).await;
    let log = &r.json()["payments"][0];
    assert_eq!(
        log["provider"], "ePayBL-Testsystem (Stand-in)",
        "{}",
        r.body
    );
    assert_eq!(log["reference"], app.reference.as_str());
    assert_eq!(log["amount"], 1300);
    assert_eq!(log["feeBasisFields"][0], PURPOSE);
}

#[tokio::test]
async fn a_fee_waived_by_its_basis_needs_no_provider() {
    let mut app = announced(relay_at("t-waived", |_| {}).await, "pay-waived").await;
    let r = app.start(VOLUNTARY).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert_eq!(s["state"], "WAIVED");
    assert_eq!(s["amount"], 0);
    assert_eq!(s["title"]["en"], "No fee for voluntary work");
    assert!(s.get("txId").is_none() && s.get("paymentUrl").is_none());
    assert!(app.at_provider().await.is_empty(), "no provider call");
    assert_eq!(app.state().await["state"], "WAIVED");
    let r = app.submit().await;
    assert_ne!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    // Nothing went to the provider: no entry in the data-use log.
    let r = app.b.get(&format!("{}/disclosures", app.base)).await;
    assert_eq!(r.json()["payments"], json!([]));

    // Refused before anything: a basis with other answers, a return path
    // out of the app, another citizen's application.
    let url = app.url();
    for body in [
        json!({"feeBasis": {"F60000228": "Erika"}, "returnPath": "/antrag/x"}),
        json!({"feeBasis": {}, "returnPath": "https://evil.example/antrag/x"}),
        json!({"feeBasis": {}, "returnPath": "//evil.example/antrag/x"}),
        json!({"returnPath": "/antrag/x", "answers": {}}),
    ] {
        let r = app
            .b
            .send_body(
                Method::POST,
                &url,
                &[("buergeramt-api", "1")],
                "application/json",
                body.to_string().into_bytes(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
    }
    let r = app
        .b
        .send_body(
            Method::POST,
            &url,
            &[("buergeramt-api", "1")],
            "application/json",
            vec![b' '; relay::payment::MAX_START_BYTES + 1],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without the API header (a cross-site form): refused.
    let r = app
        .b
        .send_body(Method::POST, &url, &[], "application/json", b"{}".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut max = Browser::new();
    login(
        &mut max,
        &app.relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;
    assert_eq!(max.get(&url).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_signed_notification_triggers_a_verification() {
    let mut app = announced(relay_at("t-notify", |_| {}).await, "pay-notify").await;
    let s = app.start("Private Zwecke").await.json();
    let tx = s["txId"].as_str().unwrap().to_string();
    // Paid at the provider behind the pay page's back (no notification
    // of its own), so that only the one below can tell the relay.
    let (id, now) = (tx.clone(), unix_now());
    let row = stand_in()
        .state
        .db
        .call(move |c| {
            provider_store::pay(
                c,
                &id,
                contract::payment::PaymentMethod::Wallet,
                "Test-Wallet",
                "ZB-test",
                now,
            )?;
            provider_store::by_id(c, &id)
        })
        .await
        .unwrap()
        .unwrap();
    let notify_url = format!("{}/api/v1/payment/notify", app.relay.url);
    let post = |body: String| {
        let url = notify_url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/jose")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let stored = |relay: &Relay| {
        let (db, id) = (relay.state.db.clone(), app.id.clone());
        async move {
            db.call(move |c| relay::payment::store::get(c, &id))
                .await
                .unwrap()
                .unwrap()
                .state
        }
    };
    // A bad signature: another key, garbage, nothing.
    let other = tempfile::tempdir().unwrap();
    let forged = notify::key(other.path())
        .unwrap()
        .sign(&json!({"aud": ORIGINATOR, "iat": now, "exp": now + 600, "txId": tx}))
        .unwrap();
    for bad in [forged, "a.b.c".to_string(), String::new()] {
        assert_eq!(post(bad).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(stored(&app.relay).await, contract::payment::FeeState::Open);
    // The provider's own signature: the relay reads the transaction and
    // takes what the provider says, without the citizen asking.
    let good = notify::signed(&stand_in().state, &row, now).unwrap();
    assert_eq!(post(good).await, StatusCode::NO_CONTENT);
    assert_eq!(stored(&app.relay).await, contract::payment::FeeState::Paid);
    // A transaction the relay does not know: 404.
    let mut unknown = row.clone();
    unknown.tx_id = "unbekannt".into();
    let r = post(notify::signed(&stand_in().state, &unknown, now).unwrap()).await;
    assert_eq!(r, StatusCode::NOT_FOUND);
    assert_eq!(app.state().await["state"], "PAID");
}

/// A provider that answers 500 to everything, or never.
async fn faulty(never: bool) -> String {
    use axum::routing::any;
    let handler = move || async move {
        if never {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        }
        (StatusCode::INTERNAL_SERVER_ERROR, "boom")
    };
    let app = axum::Router::new().fallback(any(handler));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    url
}

#[tokio::test]
async fn provider_faults_are_gateway_errors_and_pay_nothing() {
    for (never, want) in [
        (false, StatusCode::BAD_GATEWAY),
        (true, StatusCode::GATEWAY_TIMEOUT),
    ] {
        let fake = faulty(never).await;
        let relay = relay_at(if never { "t-timeout" } else { "t-5xx" }, |c| {
            c.payment.service.base_url = format!("{fake}/payment");
            // Long enough for every other upstream call of the test on a busy
            // machine (the limit holds for all upstreams); the proxy holds the
            // first create far longer.
            c.upstream_timeout_ms = 20_000;
        })
        .await;
        let mut app = announced(relay, "pay-fault").await;
        let r = app.start("Private Zwecke").await;
        assert_eq!(r.status, want, "{}", r.body);
        assert_eq!(r.json()["error"], "upstream");
        // Nothing started, nothing paid, the submit still refused.
        assert_eq!(app.submit().await.status, StatusCode::PAYMENT_REQUIRED);
        assert!(app.at_provider().await.is_empty());
    }
}

/// The stand-in's provider behind a proxy whose first create is taken by
/// the provider but answered only after the relay stopped waiting.
async fn slow_first_create() -> String {
    use axum::body::{to_bytes, Body};
    use axum::extract::Request;
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let first = Arc::new(AtomicBool::new(true));
    let handler = move |req: Request| {
        let first = first.clone();
        async move {
            let method = req.method().clone();
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = to_bytes(req.into_body(), 1 << 20).await.unwrap();
            let r = reqwest::Client::new()
                .request(method.clone(), format!("{}{path}", stand_in().url))
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let bytes = r.bytes().await.unwrap();
            if method == Method::POST && first.swap(false, Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            }
            (status, Body::from(bytes)).into_response()
        }
    };
    let app = axum::Router::new().fallback(axum::routing::any(handler));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    url
}

#[tokio::test]
async fn a_retry_after_a_timeout_gets_the_same_transaction() {
    let proxy = slow_first_create().await;
    let relay = relay_at("t-retry", |c| {
        c.payment.service.base_url = format!("{proxy}/payment");
        // As above: every other call of the test fits well within it.
        c.upstream_timeout_ms = 20_000;
    })
    .await;
    let mut app = announced(relay, "pay-retry").await;
    // The provider created it, the relay did not hear: 504.
    let r = app.start("Private Zwecke").await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{}", r.body);
    assert_eq!(app.at_provider().await.len(), 1);
    // The citizen tries again: the relay finds that transaction.
    let r = app.start("Private Zwecke").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "OPEN");
    let at = app.at_provider().await;
    assert_eq!(at.len(), 1, "never a second transaction");
    assert_eq!(r.json()["txId"], at[0].tx_id.as_str());
    assert!(at[0].request_id.ends_with("-1"), "{}", at[0].request_id);
}
