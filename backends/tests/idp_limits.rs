//! The provider's limits and what its answers give away (issue: test cards
//! listed, cards blocked for good, usernames enumerable, no per-client
//! limits):
//!
//! * the eID page lists no cards; a card is "read" by typing its number, and
//!   an unknown number answers exactly like a real card with a wrong PIN;
//! * three wrong PINs block a card, its PUK unblocks it, the PUK is used up
//!   after ten uses;
//! * the password login and the registration answer alike for existing and
//!   unknown usernames (status, page, headers), the lock included;
//! * per-client rate limits: 429 with `Retry-After`, kept in SQLite.

mod support;
use support::{csrf_of, form_body};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use backends::{AppState, Config};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::Path;
use tower::ServiceExt;

const CLIENT: &str = "buergeramt-app";
const REDIRECT: &str = "http://127.0.0.1:8080/anmelden/rueckkehr";
const VERIFIER: &str = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG";

fn open_with(dir: &Path, limits: Option<backends::idp::limits::RateLimits>) -> Router {
    let mut config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    if let Some(l) = limits {
        config.idp_limits = l;
    }
    backends::app(AppState::open(config).unwrap()).unwrap()
}

fn open(dir: &Path) -> Router {
    open_with(dir, None)
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

/// A request from `peer` (as `axum::serve` with connect info hands it on).
async fn send(app: &Router, mut req: Request<Body>, peer: Option<&str>) -> Resp {
    if let Some(p) = peer {
        let addr: SocketAddr = format!("{p}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, uri: &str, cookie: &str) -> Resp {
    let req = Request::builder()
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    send(app, req, None).await
}

async fn post(
    app: &Router,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    peer: Option<&str>,
) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form_body(fields)))
        .unwrap();
    send(app, req, peer).await
}

/// A started login: page path, cookie, CSRF value, the login page.
struct Login {
    path: String,
    cookie: String,
    csrf: String,
    page: String,
}

async fn start(app: &Router, acr: &str) -> Login {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let q = form_body(&[
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("acr_values", acr),
    ]);
    let req = Request::builder()
        .uri(format!("/idp/authorize?{q}"))
        .body(Body::empty())
        .unwrap();
    let r = send(app, req, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let cookie = r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = get(app, &path, &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // At Level-4 the login page has no POST form; the eID page has the value.
    let csrf = match csrf_of(&page.body) {
        Some(c) => c,
        None => csrf_of(&get(app, &format!("{path}/eid?card=x"), &cookie).await.body).unwrap(),
    };
    Login {
        path,
        cookie,
        csrf,
        page: page.body,
    }
}

/// The page with what differs between two transactions taken out: the
/// transaction id, the CSRF value, and the given names.
fn normalised(body: &str, l: &Login, names: &[&str]) -> String {
    let tx = l.path.trim_start_matches("/idp/login/");
    let mut out = body.replace(tx, "TX").replace(&l.csrf, "CSRF");
    for n in names {
        out = out.replace(n, "NAME");
    }
    out
}

/// The headers of an answer that could tell two cases apart.
fn telling_headers(r: &Resp) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| ![header::DATE, header::CONTENT_LENGTH, header::RETRY_AFTER].contains(*k))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    out.sort();
    out
}

fn retry_after(r: &Resp) -> Option<u64> {
    r.headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Both answers alike: status, page (modulo transaction, CSRF and names),
/// headers, and `Retry-After` within a second of each other.
fn assert_alike(what: &str, a: &Resp, la: &Login, b: &Resp, lb: &Login, names: &[&str]) {
    assert_eq!(a.status, b.status, "{what}: status");
    assert_eq!(
        normalised(&a.body, la, names),
        normalised(&b.body, lb, names),
        "{what}: page"
    );
    assert_eq!(telling_headers(a), telling_headers(b), "{what}: headers");
    match (retry_after(a), retry_after(b)) {
        (Some(x), Some(y)) => assert!(x.abs_diff(y) <= 1, "{what}: Retry-After {x} / {y}"),
        (None, None) => {}
        other => panic!("{what}: Retry-After {other:?}"),
    }
}

async fn eid_pin(app: &Router, l: &Login, card: &str, pin: &str) -> Resp {
    post(
        app,
        &format!("{}/eid", l.path),
        &l.cookie,
        &[("csrf", &l.csrf), ("card", card), ("pin", pin)],
        None,
    )
    .await
}

async fn eid_puk(app: &Router, l: &Login, card: &str, puk: &str) -> Resp {
    post(
        app,
        &format!("{}/eid/puk", l.path),
        &l.cookie,
        &[("csrf", &l.csrf), ("card", card), ("puk", puk)],
        None,
    )
    .await
}

#[tokio::test]
async fn no_card_is_listed_and_an_unknown_card_answers_like_a_wrong_pin() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    let (la, lb) = (
        start(&app, "STORK-QAA-Level-4").await,
        start(&app, "STORK-QAA-Level-4").await,
    );
    for page in [&la.page, &lb.page] {
        assert!(page.contains("Kartennummer (Testkarte)"), "{page}");
        for secret in [
            "eid-",
            "Erika",
            "Leyla",
            "Musterausweis",
            "Aufenthaltstitel",
        ] {
            assert!(!page.contains(secret), "the login page shows {secret:?}");
        }
    }
    let names = ["eid-erika", "eid-nobody"];
    // Reading the card: the same page.
    let a = get(&app, &format!("{}/eid?card=eid-erika", la.path), &la.cookie).await;
    let b = get(
        &app,
        &format!("{}/eid?card=eid-nobody", lb.path),
        &lb.cookie,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(!a.body.contains("Erika"), "the card's holder is not shown");
    assert_alike("read", &a, &la, &b, &lb, &names);
    // Wrong PINs: the same answers, up to the blocked PIN.
    for i in 1..=3 {
        let a = eid_pin(&app, &la, "eid-erika", "000000").await;
        let b = eid_pin(&app, &lb, "eid-nobody", "000000").await;
        let want = if i < 3 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(a.status, want, "attempt {i}: {}", a.body);
        assert!(a.body.contains("Karte oder PIN falsch"), "{}", a.body);
        assert_alike(&format!("PIN {i}"), &a, &la, &b, &lb, &names);
    }
    // Blocked: the same PUK entry, the same refusal of a wrong PUK.
    let a = get(&app, &format!("{}/eid?card=eid-erika", la.path), &la.cookie).await;
    let b = get(
        &app,
        &format!("{}/eid?card=eid-nobody", lb.path),
        &lb.cookie,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("10-stellige PUK"));
    assert_alike("blocked", &a, &la, &b, &lb, &names);
    let a = eid_puk(&app, &la, "eid-erika", "1111111111").await;
    let b = eid_puk(&app, &lb, "eid-nobody", "1111111111").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("noch 9-mal"), "{}", a.body);
    assert_alike("wrong PUK", &a, &la, &b, &lb, &names);
}

#[tokio::test]
async fn the_puk_unblocks_the_pin_and_is_used_up_after_ten_uses() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    let l = start(&app, "STORK-QAA-Level-4").await;
    // The PUK is only for a blocked PIN (nothing counted).
    let r = eid_puk(&app, &l, "eid-erika", "1234567890").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for _ in 0..3 {
        eid_pin(&app, &l, "eid-erika", "999999").await;
    }
    let r = eid_pin(&app, &l, "eid-erika", "123456").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "blocked: the right PIN too"
    );
    // A malformed PUK is not counted.
    let r = eid_puk(&app, &l, "eid-erika", "12345").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("kann noch 10-mal"), "{}", r.body);
    // The right PUK (1st use) unblocks; the PIN works again.
    let r = eid_puk(&app, &l, "eid-erika", "1234567890").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Die PIN ist entsperrt"));
    assert!(r.body.contains("Noch 3 Versuch"));
    let r = eid_pin(&app, &l, "eid-erika", "123456").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with(REDIRECT));
    // Blocked again; nine wrong PUKs use it up (ten uses in all) ...
    let l = start(&app, "STORK-QAA-Level-4").await;
    for _ in 0..3 {
        eid_pin(&app, &l, "eid-erika", "999999").await;
    }
    for i in 2..=10 {
        let r = eid_puk(&app, &l, "eid-erika", "0000000000").await;
        let want = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, want, "use {i}: {}", r.body);
    }
    // ... and then not even the right one unblocks, after a restart neither.
    drop(app);
    let app = open(dir.path());
    let l = start(&app, "STORK-QAA-Level-4").await;
    let r = eid_puk(&app, &l, "eid-erika", "1234567890").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("PUK verbraucht"), "{}", r.body);
    assert!(r.body.contains("Bürgerbüro"));
    let r = eid_pin(&app, &l, "eid-erika", "123456").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Other cards are unaffected.
    let r = eid_pin(&app, &l, "eid-leyla", "654321").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn existing_and_unknown_usernames_get_identical_answers() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path());
    let (la, lb) = (
        start(&app, "STORK-QAA-Level-1").await,
        start(&app, "STORK-QAA-Level-1").await,
    );
    let (known, unknown) = ("max.beispiel", "max.beispiex");
    let names = [known, unknown];
    let attempt = |l: &Login, user: &'static str, pw: &'static str| {
        let (app, uri, cookie, csrf) = (
            app.clone(),
            format!("{}/password", l.path),
            l.cookie.clone(),
            l.csrf.clone(),
        );
        async move {
            post(
                &app,
                &uri,
                &cookie,
                &[("csrf", &csrf), ("username", user), ("password", pw)],
                None,
            )
            .await
        }
    };
    for i in 1..=5 {
        let a = attempt(&la, known, "falsch-falsch").await;
        let b = attempt(&lb, unknown, "falsch-falsch").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(a.status, want, "attempt {i}: {}", a.body);
        assert_alike(&format!("password {i}"), &a, &la, &b, &lb, &names);
    }
    // Locked, both: the lock notice and Retry-After, even for the right password.
    let a = attempt(&la, known, "Beispiel-Basis-1").await;
    let b = attempt(&lb, unknown, "Beispiel-Basis-1").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.body.contains("Minuten gesperrt"), "{}", a.body);
    let secs = retry_after(&a).expect("Retry-After");
    assert!((890..=900).contains(&secs), "{secs}");
    assert_alike("locked", &a, &la, &b, &lb, &names);

    // Registration: the same answer whether the proposed name is taken.
    let register = |l: &Login, user: &'static str| {
        let (app, uri, cookie, csrf) = (
            app.clone(),
            format!("{}/register", l.path),
            l.cookie.clone(),
            l.csrf.clone(),
        );
        async move {
            post(
                &app,
                &uri,
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("username", user),
                    ("password", "lang-genug-2026"),
                    ("givenName", "Erika"),
                    ("surname", "Neu"),
                    ("birthdate", "1990-01-02"),
                    ("postalAddress", "Weg 1"),
                    ("postalCode", "50667"),
                    ("localityName", "Köln"),
                    ("mail", "neu@example.org"),
                ],
                None,
            )
            .await
        }
    };
    let assigned = |r: &Resp| {
        let at = r.body.find("lautet „").expect("assigned name") + "lautet „".len();
        r.body[at..at + r.body[at..].find('“').unwrap()].to_string()
    };
    let (ra, rb) = (
        start(&app, "STORK-QAA-Level-1").await,
        start(&app, "STORK-QAA-Level-1").await,
    );
    let a = register(&ra, "erika").await;
    let b = register(&rb, "erikx").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let (na, nb) = (assigned(&a), assigned(&b));
    assert!(na.starts_with("erika.") && nb.starts_with("erikx."));
    assert_alike("registration", &a, &ra, &b, &rb, &[&na, &nb]);
    // The new account has the assigned name; Erika's is untouched.
    let l = start(&app, "STORK-QAA-Level-1").await;
    let r = attempt(&l, "erika", "Mustermann-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let l = start(&app, "STORK-QAA-Level-1").await;
    let r = post(
        &app,
        &format!("{}/password", l.path),
        &l.cookie,
        &[
            ("csrf", &l.csrf),
            ("username", &na),
            ("password", "lang-genug-2026"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let limits = backends::idp::limits::RateLimits {
        window_secs: 600,
        login: 2,
        pin: 2,
        register: 1,
    };
    let app = open_with(dir.path(), Some(limits));
    let l = start(&app, "STORK-QAA-Level-1").await;
    let login = |app: Router, l: &Login, pw: &'static str, peer: &'static str| {
        let (uri, cookie, csrf) = (
            format!("{}/password", l.path),
            l.cookie.clone(),
            l.csrf.clone(),
        );
        async move {
            post(
                &app,
                &uri,
                &cookie,
                &[("csrf", &csrf), ("username", "erika"), ("password", pw)],
                Some(peer),
            )
            .await
        }
    };
    for _ in 0..2 {
        let r = login(app.clone(), &l, "falsch", "192.0.2.10").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login(app.clone(), &l, "Mustermann-2026", "192.0.2.10").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Zu viele Versuche"), "{}", r.body);
    let secs = retry_after(&r).expect("Retry-After");
    assert!((1..=600).contains(&secs), "{secs}");
    assert!(r.headers.get(header::LOCATION).is_none());
    // Another client is not affected.
    let r = login(app.clone(), &l, "Mustermann-2026", "198.51.100.7").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The count is in SQLite: after a restart the client still waits.
    drop(app);
    let app = open_with(dir.path(), Some(limits));
    let l = start(&app, "STORK-QAA-Level-1").await;
    let r = login(app.clone(), &l, "Mustermann-2026", "192.0.2.10").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r).is_some());
    // Registration: one per window.
    let reg = |l: &Login| {
        let (app, uri, cookie, csrf) = (
            app.clone(),
            format!("{}/register", l.path),
            l.cookie.clone(),
            l.csrf.clone(),
        );
        async move {
            post(
                &app,
                &uri,
                &cookie,
                &[("csrf", &csrf), ("username", "viele")],
                Some("203.0.113.5"),
            )
            .await
        }
    };
    let r = reg(&l).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = reg(&l).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r).is_some());
    // PIN entries (eID, ELSTER): two per window.
    let l4 = start(&app, "STORK-QAA-Level-4").await;
    let pin = |pin: &'static str| {
        let (app, uri, cookie, csrf) = (
            app.clone(),
            format!("{}/eid", l4.path),
            l4.cookie.clone(),
            l4.csrf.clone(),
        );
        async move {
            post(
                &app,
                &uri,
                &cookie,
                &[("csrf", &csrf), ("card", "eid-leyla"), ("pin", pin)],
                Some("203.0.113.9"),
            )
            .await
        }
    };
    assert_eq!(pin("111111").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(pin("222222").await.status, StatusCode::UNAUTHORIZED);
    let r = pin("654321").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r).is_some());
    // The rate limit spent no PIN attempt of the card.
    let page = get(&app, &format!("{}/eid?card=eid-leyla", l4.path), &l4.cookie).await;
    assert!(page.body.contains("Noch 1 Versuch"), "{}", page.body);
}
