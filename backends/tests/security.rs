//! Security checks of the stand-in (issue 8, part 4):
//!
//! * every route the routers register is in [`ROUTES`] with the guard it
//!   must have, and the table is compared with the router source, so a new
//!   route cannot slip past these checks;
//! * per-user access, with two citizens: another citizen's items answer
//!   403/404 and never data, lists hold only the caller's items, nothing
//!   answers without a token, console routes need a clerk;
//! * FIT-Connect's submission routes answer senders only (the
//!   Onlinedienst's service token with `fitconnect:send`): a citizen's token
//!   is refused, another sender's items answer 404. The citizen's own view
//!   of applications is the relay's (`relay/tests/applications.rs`);
//! * password, PIN and console logins are limited, also under parallel
//!   guesses;
//! * oversized bodies on every POST/PUT/DELETE route answer 413 as JSON
//!   (announced too large: always; chunked: wherever the body is read);
//! * SQL is only built from literals (a scan of `backends/src`), and
//!   injection attempts through a search and a login name change nothing.

mod support;
use support::console;
use support::fitconnect::*;
use support::{csrf_of, form_body};

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// Who may use a route, and how the tests below check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    /// Public data (catalogue, keys, schemas, stylesheets, health); no login.
    Public,
    /// `GET /idp/authorize`: starts a login transaction (public).
    Authorize,
    /// A login page or form of one transaction: bound to the browser that
    /// started it by a cookie, and to its CSRF value.
    LoginTx,
    /// `POST /idp/token`: bound to the code's PKCE verifier, once.
    Token,
    /// `/idp/end_session`: ends only the session named by a valid ID token.
    EndSession,
    /// Bearer token; the path names one citizen's item.
    CitizenItem,
    /// Bearer token; the answer is the caller's own data only.
    CitizenList,
    /// A sender's service token (`fitconnect:send`); the path names one
    /// sender's item. Citizens' tokens are refused.
    SenderItem,
    /// A sender's service token; creates an item for the sender (announce).
    SenderCreate,
    /// The relay's service token (`termine:book` or `payment:create`),
    /// else 401; the manage token or citizen a route needs comes in a header.
    Service,
    /// A form of the payment provider's pay page: no login (whoever holds
    /// the link pays, as at the real providers), but the transaction's CSRF
    /// cookie and value, else 403.
    PayForm,
    /// The form of the IdP's logout page (`POST /idp/saml/abmelden`): the
    /// page's CSRF cookie and value, else 403; it ends only the SAML
    /// sessions of the browser that sends it (its `idp_saml_sso` cookie).
    IdpLogoutForm,
    /// The console's login (public, rate-limited).
    ClerkLogin,
    /// A console page or form: the clerk's session cookie, else 303 to the login.
    ClerkPage,
    /// The console's JSON API: the clerk's bearer token, else 401.
    ClerkApi,
    /// A test aid (push service, mail sink; issue #24): only a loopback
    /// peer, else 403 (also when the peer is unknown).
    Loopback,
}
use Guard::*;

struct Route {
    method: &'static str,
    path: &'static str,
    guard: Guard,
}

const fn r(method: &'static str, path: &'static str, guard: Guard) -> Route {
    Route {
        method,
        path,
        guard,
    }
}

/// Every method and path the server's routers register (the SPA fallback aside).
const ROUTES: &[Route] = &[
    r("GET", "/healthz", Public),
    r("GET", "/config.json", Public),
    // PVOG: the public catalogue.
    r("GET", "/pvog/v2/locations", Public),
    r("GET", "/pvog/v7/servicedescriptions/{ars}", Public),
    r("GET", "/pvog/v6/servicedescriptions/{id}/detail", Public),
    r("GET", "/pvog/v3/servicedescriptions/leikaid", Public),
    r("GET", "/pvog/v2/organisationunits/titles", Public),
    r("GET", "/pvog/v5/organisationunits/detail", Public),
    r("GET", "/pvog/v2/onlineservices/detail", Public),
    // Identity.
    r("GET", "/idp/.well-known/openid-configuration", Public),
    r("GET", "/idp/jwks", Public),
    r("GET", "/idp/static/idp.css", Public),
    r("GET", "/idp/authorize", Authorize),
    r("GET", "/idp/login/{tx}", LoginTx),
    r("POST", "/idp/login/{tx}/password", LoginTx),
    r("GET", "/idp/login/{tx}/register", LoginTx),
    r("POST", "/idp/login/{tx}/register", LoginTx),
    r("POST", "/idp/login/{tx}/elster", LoginTx),
    r("GET", "/idp/login/{tx}/eid", LoginTx),
    r("POST", "/idp/login/{tx}/eid", LoginTx),
    r("POST", "/idp/login/{tx}/eid/puk", LoginTx),
    r("POST", "/idp/token", Token),
    r("GET", "/idp/userinfo", CitizenList),
    r("GET", "/idp/end_session", EndSession),
    r("POST", "/idp/end_session", EndSession),
    // Identity by SAML 2.0 (issue #20): metadata and script are public; a
    // request without a valid SP signature is refused (400, never a login).
    r("GET", "/idp/saml/metadata", Public),
    r("GET", "/idp/saml/autopost.js", Public),
    r("GET", "/idp/saml/sso", Public),
    r("POST", "/idp/saml/sso", Public),
    r("GET", "/idp/saml/slo", Public),
    r("GET", "/idp/saml/abmelden", Public),
    r("POST", "/idp/saml/abmelden", IdpLogoutForm),
    r("POST", "/idp/login/{tx}/saml/cancel", LoginTx),
    // FIT-Connect.
    r("GET", "/fitconnect/routes", Public),
    r("GET", "/fitconnect/.well-known/jwks.json", Public),
    r("GET", "/fitconnect/schemas/{file}", Public),
    r("GET", "/fitconnect/v1/destinations/{id}", Public),
    r("GET", "/fitconnect/v1/destinations/{id}/keys/{kid}", Public),
    r("POST", "/fitconnect/v1/submissions", SenderCreate),
    r("GET", "/fitconnect/v1/submissions/{id}", SenderItem),
    r("PUT", "/fitconnect/v1/submissions/{id}", SenderItem),
    r(
        "PUT",
        "/fitconnect/v1/submissions/{id}/attachments/{attachment_id}",
        SenderItem,
    ),
    r("GET", "/fitconnect/v1/cases/{case_id}/events", SenderItem),
    // Postbox.
    r("GET", "/zbp/v1/messages", CitizenList),
    r("GET", "/zbp/v1/messages/unread-count", CitizenList),
    r("GET", "/zbp/v1/messages/{id}", CitizenItem),
    r("DELETE", "/zbp/v1/messages/{id}", CitizenItem),
    r("POST", "/zbp/v1/messages/{id}/read", CitizenItem),
    r("POST", "/zbp/v1/messages/{id}/unread", CitizenItem),
    r(
        "GET",
        "/zbp/v1/messages/{id}/attachments/{attachment_id}",
        CitizenItem,
    ),
    r("GET", "/zbp/v1/trash", CitizenList),
    r("POST", "/zbp/v1/trash/{id}/restore", CitizenItem),
    r("GET", "/zbp/v1/applications", CitizenList),
    r(
        "GET",
        "/zbp/v1/applications/{application_id}/status",
        CitizenItem,
    ),
    // Appointments (issue #22).
    r("GET", "/termine/v1/offices/{id}", Service),
    r("GET", "/termine/v1/offices/{id}/slots", Service),
    r("POST", "/termine/v1/holds", Service),
    r("DELETE", "/termine/v1/holds/{id}", Service),
    r("POST", "/termine/v1/holds/{id}/confirm", Service),
    r("GET", "/termine/v1/booking", Service),
    r("POST", "/termine/v1/booking/change", Service),
    r("POST", "/termine/v1/booking/cancel", Service),
    r("GET", "/termine/v1/bookings", Service),
    // The payment provider (issue #23).
    r(
        "GET",
        "/payment/v1/paymenttransaction/{originator}/{endpoint}",
        Service,
    ),
    r(
        "POST",
        "/payment/v1/paymenttransaction/{originator}/{endpoint}",
        Service,
    ),
    r(
        "GET",
        "/payment/v1/paymenttransaction/{originator}/{endpoint}/{tx}",
        Service,
    ),
    r("GET", "/payment/v1/jwks", Service),
    r("GET", "/payment/static/pay.css", Public),
    r("GET", "/payment/pay/{tx}", Public),
    r("POST", "/payment/pay/{tx}", PayForm),
    r("GET", "/payment/pay/{tx}/challenge", Public),
    r("POST", "/payment/pay/{tx}/challenge", PayForm),
    // Authority console.
    r("GET", "/behoerde", ClerkPage),
    r("GET", "/behoerde/static/behoerde.css", Public),
    r("GET", "/behoerde/anmelden", ClerkLogin),
    r("POST", "/behoerde/anmelden", ClerkLogin),
    r("POST", "/behoerde/abmelden", ClerkPage),
    r("GET", "/behoerde/eingang", ClerkPage),
    r("GET", "/behoerde/antraege/{id}", ClerkPage),
    r(
        "GET",
        "/behoerde/antraege/{id}/anlagen/{attachment_id}",
        ClerkPage,
    ),
    r("POST", "/behoerde/antraege/{id}/{action}", ClerkPage),
    r("GET", "/behoerde/protokoll", ClerkPage),
    r("GET", "/behoerde/termine", ClerkPage),
    r("POST", "/behoerde/termine/sperren", ClerkPage),
    r("POST", "/behoerde/api/login", ClerkLogin),
    r("POST", "/behoerde/api/logout", ClerkApi),
    r("GET", "/behoerde/api/submissions", ClerkApi),
    r("GET", "/behoerde/api/submissions/{id}", ClerkApi),
    r(
        "GET",
        "/behoerde/api/submissions/{id}/attachments/{attachment_id}",
        ClerkApi,
    ),
    r("POST", "/behoerde/api/submissions/{id}/accept", ClerkApi),
    r(
        "POST",
        "/behoerde/api/submissions/{id}/processing",
        ClerkApi,
    ),
    r(
        "POST",
        "/behoerde/api/submissions/{id}/request-action",
        ClerkApi,
    ),
    r("POST", "/behoerde/api/submissions/{id}/fulfilled", ClerkApi),
    r("POST", "/behoerde/api/submissions/{id}/reject", ClerkApi),
    r("POST", "/behoerde/api/submissions/{id}/decide", ClerkApi),
    // Test aids on loopback (issue #24): the push service, the mail sink.
    r("POST", "/push/v1/subscriptions", Loopback),
    r("DELETE", "/push/v1/subscriptions/{id}", Loopback),
    r("GET", "/push/v1/subscriptions/{id}/messages", Loopback),
    r("POST", "/push/v1/send/{id}", Loopback),
    r("POST", "/push/v1/decrypt", Loopback),
    r("GET", "/mail", Loopback),
    r("GET", "/mail/api/messages", Loopback),
    r("GET", "/mail/static/mail.css", Loopback),
];

fn key(method: &str, path: &str) -> String {
    format!("{method} {path}")
}

// ------------------------------------------------------------------ the table against the source

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `(method, path)` of every `.route("path", get(..).post(..))` in `text`,
/// with `prefix` in front.
fn routes_in(text: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let open = rest.find('"').expect("a path literal after .route(");
        let close = rest[open + 1..].find('"').expect("end of the path") + open + 1;
        let path = &rest[open + 1..close];
        // The method router: up to the parenthesis that closes `.route(`.
        let mut depth = 1usize;
        let mut end = close + 1;
        for (i, c) in rest[close + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = close + 1 + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &rest[close + 1..end];
        let mut full = format!("{prefix}{path}");
        if full.len() > 1 && full.ends_with('/') {
            full.pop();
        }
        let mut found = false;
        for m in ["get", "post", "put", "delete", "patch", "head", "options"] {
            let needle = format!("{m}(");
            let mut from = 0;
            while let Some(i) = handlers[from..].find(&needle) {
                let pos = from + i;
                let before = handlers[..pos].chars().next_back();
                if !before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
                    out.push((m.to_uppercase(), full.clone()));
                    found = true;
                }
                from = pos + needle.len();
            }
        }
        assert!(found, "no method found for route {full}: {handlers}");
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_route_table_is_every_route_of_the_routers() {
    let src = src_dir();
    // Where routers are built, and under which prefix lib.rs nests them.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut modules: Vec<(PathBuf, String)> = vec![(src.join("lib.rs"), String::new())];
    let mut rest = lib.as_str();
    while let Some(at) = rest.find(".nest(\"") {
        rest = &rest[at + ".nest(\"".len()..];
        let end = rest.find('"').unwrap();
        let prefix = rest[..end].to_string();
        let module = rest[end..]
            .split("::router")
            .next()
            .unwrap()
            .trim_start_matches(['"', ',', ' '])
            .to_string();
        modules.push((src.join(&module).join("mod.rs"), prefix));
    }
    assert_eq!(
        modules.len(),
        10,
        "lib.rs nests seven backends and two test aids: {modules:?}"
    );
    // No other file registers routes.
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if text.contains(".route(") {
            assert!(
                modules.iter().any(|(m, _)| m == f),
                "{} registers routes that the table does not know about",
                f.display()
            );
        }
    }
    let mut in_source = BTreeSet::new();
    for (file, prefix) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        for (m, p) in routes_in(&text, prefix) {
            assert!(in_source.insert(key(&m, &p)), "twice: {m} {p}");
        }
    }
    let in_table: BTreeSet<String> = ROUTES.iter().map(|r| key(r.method, r.path)).collect();
    assert_eq!(
        in_table.len(),
        ROUTES.len(),
        "the table lists a route twice"
    );
    let missing: Vec<_> = in_source.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_source).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes not in the table: {missing:?}; table entries without a route: {stale:?}"
    );
    assert_eq!(ROUTES.len(), 103);
}

#[test]
fn the_route_scanner_sees_chained_methods() {
    let text = r#"Router::new().route("/a/{id}", get(x::a).delete(b)).route(
        "/c", post(login::password_login))"#;
    assert_eq!(
        routes_in(text, "/p"),
        vec![
            ("GET".into(), "/p/a/{id}".into()),
            ("DELETE".into(), "/p/a/{id}".into()),
            ("POST".into(), "/p/c".into()),
        ]
    );
}

// ------------------------------------------------------------------ per-user access

/// Everything citizen A has, for URLs and for the search for leaks.
struct Fixture {
    app: Router,
    a: String,
    b: String,
    /// The Onlinedienst's service token (`fitconnect:send`), which handed
    /// in A's applications.
    sender: String,
    /// Another Onlinedienst's.
    other_sender: String,
    /// The Onlinedienst's token without `fitconnect:send`.
    pvog_only: String,
    a_id_token: String,
    clerk: String,
    clerk_cookie: String,
    submitted: String,
    case: String,
    open_sub: String,
    decision: String,
    decision_attachment: String,
    trashed: String,
    jwk: Value,
    /// Strings of A's that must never appear in B's answers.
    secrets: Vec<String>,
}

async fn fixture(dir: &Path) -> Fixture {
    let (app, state) = open(dir);
    let a_tokens = login_tokens(&app, How::Password("erika", "Mustermann-2026")).await;
    let a = a_tokens["access_token"].as_str().unwrap().to_string();
    let b = login(&app, How::Password("max.beispiel", "Beispiel-Basis-1")).await;
    let ui = get(&app, "/idp/userinfo", Some(&a)).await.json();

    // A hands in a Hundesteuer application; the authority decides it.
    let (submitted, case) = submit_hundesteuer(&app, &a).await;
    let clerk = console::api_token(&app).await;
    for (action, body) in [
        ("accept", json!({})),
        ("processing", json!({})),
        (
            "decide",
            json!({"decision": "Sehr geehrte Frau Mustermann, Ihr Hund ist angemeldet."}),
        ),
    ] {
        let r = call(
            &app,
            Method::POST,
            &format!("/behoerde/api/submissions/{submitted}/{action}"),
            Some(&clerk),
            &[],
            Some(("application/json", body.to_string())),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    // A second one, and a third left open (announced by the sender, with
    // one attachment not yet uploaded).
    let sender = sender_token(&app).await;
    let (dest, jwk, schema_uri) = discover(&app, HUND, HILDEN).await;
    let (second, _, _) = submit_good_hund(&app, &a, &dest, &jwk, &schema_uri).await;
    let open_r = announce(&app, &sender, &dest, HUND, &[ATT1], Some("idem-sender-1")).await;
    assert_eq!(open_r.status, StatusCode::CREATED, "{}", open_r.body);
    let open_sub = open_r.json()["submissionId"].as_str().unwrap().to_string();

    let msgs = get(&app, "/zbp/v1/messages", Some(&a)).await.json();
    let list = msgs["messages"].as_array().unwrap();
    let decision = list
        .iter()
        .find(|m| m["kind"] == "decision")
        .expect("the decision");
    let decision_attachment = decision["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let decision = decision["id"].as_str().unwrap().to_string();
    let trashed = list
        .iter()
        .find(|m| m["kind"] == "status")
        .expect("a status message")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = call(
        &app,
        Method::DELETE,
        &format!("/zbp/v1/messages/{trashed}"),
        Some(&a),
        &[],
        None,
    )
    .await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);

    let clerk_cookie = console::console_login(&app).await;
    let mut secrets = vec![
        submitted.clone(),
        case.clone(),
        open_sub.clone(),
        second.clone(),
        decision.clone(),
        decision_attachment.clone(),
        trashed.clone(),
        ui["sub"].as_str().unwrap().to_string(),
        ui["mailboxUuid"].as_str().unwrap().to_string(),
        "Mustermann".into(),
        "Erika".into(),
        DOG_NAME.into(),
    ];
    secrets.retain(|s| !s.is_empty());
    Fixture {
        other_sender: other_sender_token(&state).await,
        pvog_only: sender_token_without_fitconnect(&app).await,
        sender,
        app,
        a,
        b,
        a_id_token: a_tokens["id_token"].as_str().unwrap().to_string(),
        clerk,
        clerk_cookie,
        submitted,
        case,
        open_sub,
        decision,
        decision_attachment,
        trashed,
        jwk,
        secrets,
    }
}

fn leaks(body: &str, secrets: &[String]) -> Vec<String> {
    secrets
        .iter()
        .filter(|s| body.contains(s.as_str()))
        .cloned()
        .collect()
}

fn is_json(r: &Resp) -> bool {
    r.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A concrete URL (and body) for a table route, aimed at A's items.
fn concrete(route: &Route, fx: &Fixture) -> (String, Option<(&'static str, String)>) {
    let p = route.path;
    let uri = if p.starts_with("/zbp/") {
        let id = if p.starts_with("/zbp/v1/trash/") {
            &fx.trashed
        } else {
            &fx.decision
        };
        p.replace("{id}", id)
            .replace("{attachment_id}", &fx.decision_attachment)
            .replace("{application_id}", &fx.submitted)
    } else if p.starts_with("/fitconnect/") {
        p.replace("{id}", &fx.open_sub)
            .replace("{attachment_id}", ATT1)
            .replace("{case_id}", &fx.case)
    } else if p.starts_with("/behoerde/") {
        p.replace("{id}", &fx.submitted)
            .replace("{attachment_id}", ATT1)
            .replace("{action}", "eingang-bestaetigen")
    } else {
        p.to_string()
    };
    let body = match (route.method, p) {
        ("PUT", "/fitconnect/v1/submissions/{id}/attachments/{attachment_id}") => Some((
            "application/jose",
            encrypt_for(&fx.jwk, PDF, "application/pdf"),
        )),
        ("PUT", "/fitconnect/v1/submissions/{id}") => Some((
            "application/json",
            json!({
                "encryptedMetadata": encrypt_for(&fx.jwk, b"{}", "application/json"),
                "encryptedData": encrypt_for(&fx.jwk, b"{}", "application/json"),
            })
            .to_string(),
        )),
        _ => None,
    };
    (uri, body)
}

async fn request(
    app: &Router,
    method: &str,
    uri: &str,
    bearer: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Resp {
    call(
        app,
        Method::from_bytes(method.as_bytes()).unwrap(),
        uri,
        bearer,
        extra,
        body,
    )
    .await
}

/// What A sees of A's own things, and the sender of A's submissions (to
/// show that B's and other senders' attempts changed nothing).
async fn a_view(fx: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for (uri, token) in [
        ("/zbp/v1/messages".to_string(), &fx.a),
        ("/zbp/v1/trash".to_string(), &fx.a),
        ("/zbp/v1/applications".to_string(), &fx.a),
        (
            format!("/fitconnect/v1/submissions/{}", fx.open_sub),
            &fx.sender,
        ),
        (
            format!("/fitconnect/v1/submissions/{}", fx.submitted),
            &fx.sender,
        ),
        (
            format!("/fitconnect/v1/cases/{}/events", fx.case),
            &fx.sender,
        ),
    ] {
        let r = get(&fx.app, &uri, Some(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        out.push(r.body);
    }
    out
}

#[tokio::test]
async fn every_route_is_guarded_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path()).await;
    let app = &fx.app;
    let mut checked: HashSet<String> = HashSet::new();
    let mut cases = 0usize;
    let before = a_view(&fx).await;

    // Citizen items: nobody without a token, not B, A yes.
    for route in ROUTES.iter().filter(|r| r.guard == CitizenItem) {
        let (uri, body) = concrete(route, &fx);
        let what = key(route.method, &uri);
        for bearer in [None, Some("not-a-token")] {
            let r = request(app, route.method, &uri, bearer, &[], body.clone()).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
            assert!(is_json(&r), "{what}: 401 as JSON");
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "{what}");
            cases += 1;
        }
        let r = request(app, route.method, &uri, Some(&fx.b), &[], body.clone()).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
            "{what} as another citizen: {} {}",
            r.status,
            r.body
        );
        assert!(is_json(&r), "{what}: JSON error");
        assert_eq!(leaks(&r.body, &fx.secrets), Vec::<String>::new(), "{what}");
        cases += 1;
    }
    assert_eq!(before, a_view(&fx).await, "B's attempts changed A's data");

    // Lists: only the caller's.
    for route in ROUTES.iter().filter(|r| r.guard == CitizenList) {
        let what = key(route.method, route.path);
        let r = request(app, route.method, route.path, None, &[], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(is_json(&r) || route.path == "/idp/userinfo", "{what}");
        let r = request(app, route.method, route.path, Some("x.y.z"), &[], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        let mine = request(app, route.method, route.path, Some(&fx.a), &[], None).await;
        let theirs = request(app, route.method, route.path, Some(&fx.b), &[], None).await;
        assert_eq!(mine.status, StatusCode::OK, "{what}: {}", mine.body);
        assert_eq!(theirs.status, StatusCode::OK, "{what}: {}", theirs.body);
        assert_eq!(
            leaks(&theirs.body, &fx.secrets),
            Vec::<String>::new(),
            "{what}: B sees A's data"
        );
        assert_ne!(
            mine.body, theirs.body,
            "{what}: the answer ignores the caller"
        );
        cases += 4;
        checked.insert(key(route.method, route.path));
    }

    // FIT-Connect's items: no token, a citizen's token (even A's, whose
    // application it is) → 401; the sender's token without the scope → 403;
    // another sender → 404, never data; the sender reaches each one.
    for route in ROUTES.iter().filter(|r| r.guard == SenderItem) {
        let (uri, body) = concrete(route, &fx);
        let what = key(route.method, &uri);
        for bearer in [
            None,
            Some("not-a-token"),
            Some(fx.a.as_str()),
            Some(fx.b.as_str()),
        ] {
            let r = request(app, route.method, &uri, bearer, &[], body.clone()).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
            assert!(is_json(&r), "{what}: 401 as JSON");
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "{what}");
            cases += 1;
        }
        let r = request(
            app,
            route.method,
            &uri,
            Some(&fx.pvog_only),
            &[],
            body.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(leaks(&r.body, &fx.secrets).is_empty(), "{what}");
        let r = request(
            app,
            route.method,
            &uri,
            Some(&fx.other_sender),
            &[],
            body.clone(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{what} as another sender: {}",
            r.body
        );
        assert!(is_json(&r), "{what}: JSON error");
        assert_eq!(leaks(&r.body, &fx.secrets), Vec::<String>::new(), "{what}");
        cases += 2;
    }
    assert_eq!(
        before,
        a_view(&fx).await,
        "others' attempts changed A's data"
    );

    // Announce: needs the sender's token; another sender reusing the
    // sender's Idempotency-Key gets a new submission, never the sender's.
    {
        let route = ROUTES.iter().find(|r| r.guard == SenderCreate).unwrap();
        let (dest, _, _) = discover(app, HUND, HILDEN).await;
        let body = json!({
            "destinationId": dest,
            "announcedAttachments": [ATT1],
            "serviceType": {"name": "Antrag", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
        })
        .to_string();
        let idem = [("idempotency-key", "idem-sender-1")];
        for bearer in [None, Some(fx.a.as_str())] {
            let r = request(
                app,
                "POST",
                route.path,
                bearer,
                &idem,
                Some(("application/json", body.clone())),
            )
            .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        }
        let r = request(
            app,
            "POST",
            route.path,
            Some(&fx.pvog_only),
            &idem,
            Some(("application/json", body.clone())),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let theirs = request(
            app,
            "POST",
            route.path,
            Some(&fx.other_sender),
            &idem,
            Some(("application/json", body.clone())),
        )
        .await;
        assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
        assert!(
            leaks(&theirs.body, &fx.secrets).is_empty(),
            "{}",
            theirs.body
        );
        let mine = request(
            app,
            "POST",
            route.path,
            Some(&fx.sender),
            &idem,
            Some(("application/json", body)),
        )
        .await;
        assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
        assert_eq!(
            mine.json()["submissionId"],
            fx.open_sub.as_str(),
            "the sender's retry is idempotent"
        );
        cases += 5;
        checked.insert(key(route.method, route.path));
    }

    // The citizen's list and disclosures are gone from FIT-Connect (the
    // relay keeps them): no answer carries anything of A's.
    for (path, status) in [
        ("/fitconnect/v1/submissions", StatusCode::METHOD_NOT_ALLOWED),
        ("/fitconnect/v1/disclosures", StatusCode::NOT_FOUND),
    ] {
        for bearer in [None, Some(fx.a.as_str()), Some(fx.sender.as_str())] {
            let r = request(app, "GET", path, bearer, &[], None).await;
            assert_eq!(r.status, status, "GET {path}: {}", r.body);
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "GET {path}");
            cases += 1;
        }
    }

    // Positive control for the items: A reaches every one of A's, the
    // sender every one of the sender's (DELETE last).
    let mut items: Vec<&Route> = ROUTES
        .iter()
        .filter(|r| r.guard == CitizenItem || r.guard == SenderItem)
        .collect();
    items.sort_by_key(|r| r.method == "DELETE");
    for route in items {
        let (uri, body) = concrete(route, &fx);
        let owner = if route.guard == SenderItem {
            &fx.sender
        } else {
            &fx.a
        };
        let r = request(app, route.method, &uri, Some(owner), &[], body).await;
        assert!(
            !matches!(r.status.as_u16(), 401 | 403 | 404) && r.status.as_u16() < 500,
            "{} as the owner: {} {}",
            key(route.method, &uri),
            r.status,
            r.body
        );
        cases += 1;
        checked.insert(key(route.method, route.path));
    }

    // Public routes answer without a token and carry none of A's data.
    for route in ROUTES.iter().filter(|r| r.guard == Public) {
        let uri = route
            .path
            .replace("{ars}", "053150000000")
            .replace("{id}", HUND)
            .replace("{file}", "x.json")
            .replace("{kid}", "x")
            .replace("{tx}", "x");
        let r = request(app, route.method, &uri, None, &[], None).await;
        assert!(
            !matches!(r.status.as_u16(), 401 | 403) && r.status.as_u16() < 500,
            "{uri}: {}",
            r.status
        );
        assert!(leaks(&r.body, &fx.secrets).is_empty(), "{uri}");
        cases += 1;
        checked.insert(key(route.method, route.path));
    }

    // The appointment system and the payment provider: the relay's service
    // token with their scope only; none, a citizen's or a sender token
    // without the scope is refused.
    for route in ROUTES.iter().filter(|r| r.guard == Service) {
        let uri = route
            .path
            .replace("{id}", "x")
            .replace("{originator}", "x")
            .replace("{endpoint}", "x")
            .replace("{tx}", "x");
        for (bearer, want) in [
            (None, 401),
            (Some(fx.a.as_str()), 401),
            (Some(fx.sender.as_str()), 403),
        ] {
            let r = request(app, route.method, &uri, bearer, &[], None).await;
            assert_eq!(r.status.as_u16(), want, "{uri}: {}", r.body);
            cases += 1;
        }
        checked.insert(key(route.method, route.path));
    }

    cases += idp_logout_needs_its_csrf(&fx, &mut checked).await;
    cases += pay_forms_need_their_csrf(&fx, &mut checked).await;
    cases += login_flow_is_bound(&fx, &mut checked).await;
    cases += console_needs_a_clerk(&fx, &mut checked).await;

    // Test aids: refused without a peer address and from any other
    // machine (the tests of the aids themselves: tests/push.rs).
    for route in ROUTES.iter().filter(|r| r.guard == Loopback) {
        let uri = route.path.replace("{id}", "x");
        for peer in [None, Some("192.0.2.7:443"), Some("[2001:db8::1]:443")] {
            let mut req = Request::builder()
                .method(route.method)
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            if let Some(p) = peer {
                req.extensions_mut().insert(axum::extract::ConnectInfo(
                    p.parse::<std::net::SocketAddr>().unwrap(),
                ));
            }
            let r = send(app, req).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{uri} from {peer:?}: {}",
                r.body
            );
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "{uri}");
            cases += 1;
        }
        checked.insert(key(route.method, route.path));
    }

    // Last: ending a session needs its own ID token.
    for method in ["GET", "POST"] {
        let garbage = form_body(&[
            ("id_token_hint", "eyJhbGciOiJub25lIn0.e30."),
            ("client_id", CLIENT),
        ]);
        let r = if method == "GET" {
            request(
                app,
                "GET",
                &format!("/idp/end_session?{garbage}"),
                None,
                &[],
                None,
            )
            .await
        } else {
            request(
                app,
                "POST",
                "/idp/end_session",
                None,
                &[],
                Some(("application/x-www-form-urlencoded", garbage)),
            )
            .await
        };
        assert!(r.status.as_u16() < 500, "{}", r.status);
        let still = get(app, "/idp/userinfo", Some(&fx.a)).await;
        assert_eq!(
            still.status,
            StatusCode::OK,
            "a forged hint ended A's session"
        );
        cases += 1;
        checked.insert(key(method, "/idp/end_session"));
    }
    let r = request(
        app,
        "POST",
        "/idp/end_session",
        None,
        &[],
        Some((
            "application/x-www-form-urlencoded",
            form_body(&[("id_token_hint", &fx.a_id_token)]),
        )),
    )
    .await;
    assert!(r.status.as_u16() < 500);
    let gone = get(app, "/idp/userinfo", Some(&fx.a)).await;
    assert_eq!(
        gone.status,
        StatusCode::UNAUTHORIZED,
        "A's own hint ends A's session"
    );
    cases += 1;

    let all: HashSet<String> = ROUTES.iter().map(|r| key(r.method, r.path)).collect();
    let mut unchecked: Vec<_> = all.difference(&checked).collect();
    unchecked.sort();
    assert!(
        unchecked.is_empty(),
        "routes without an access check: {unchecked:?}"
    );
    eprintln!("per-user access: {} routes, {cases} cases", checked.len());
}

async fn with_cookie(
    app: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let body = if method == "POST" {
        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from(form_body(form))
    } else {
        Body::empty()
    };
    send(app, b.body(body).unwrap()).await
}

/// The IdP's logout form: without the page's CSRF cookie and value, or
/// with another value, 403; with them, the end page (A's OIDC session is
/// no SAML session of this browser and stays).
async fn idp_logout_needs_its_csrf(fx: &Fixture, checked: &mut HashSet<String>) -> usize {
    let app = &fx.app;
    let mut cases = 0;
    for route in ROUTES.iter().filter(|r| r.guard == IdpLogoutForm) {
        let page = with_cookie(app, "GET", route.path, None, &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = csrf_of(&page.body).unwrap();
        let sso = "idp_saml_sso=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for (cookie, value) in [
            (sso.to_string(), csrf.as_str()),
            (format!("{sso}; idp_saml_abmelden={csrf}"), "another-value"),
            (format!("{sso}; idp_saml_abmelden={csrf}"), ""),
        ] {
            let r = with_cookie(app, "POST", route.path, Some(&cookie), &[("csrf", value)]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
            assert!(r.headers.get(header::LOCATION).is_none());
            cases += 1;
        }
        let cookie = format!("{sso}; idp_saml_abmelden={csrf}");
        let r = with_cookie(app, "POST", route.path, Some(&cookie), &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Es war keine Anmeldung"), "{}", r.body);
        let still = get(app, "/idp/userinfo", Some(&fx.a)).await;
        assert_eq!(still.status, StatusCode::OK);
        cases += 2;
        checked.insert(key(route.method, route.path));
    }
    cases
}

/// Method, table path, path tail, form fields.
type Attempt<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, &'a str)>);

/// A's login transaction cannot be used from another browser; codes are
/// bound to their verifier and used once.
/// The pay page's forms (POST) of a real transaction: without the page's
/// CSRF cookie and value, or with another value, 403 and nothing paid.
async fn pay_forms_need_their_csrf(fx: &Fixture, checked: &mut HashSet<String>) -> usize {
    let app = &fx.app;
    let token = service_token(app, "payment:create").await;
    let created = request(
        app,
        "POST",
        "/payment/v1/paymenttransaction/o1/e1",
        Some(&token),
        &[],
        Some((
            "application/json",
            json!({
                "requestId": "security-1",
                "amount": 1300,
                "currency": "EUR",
                "purpose": "Führungszeugnis",
                "description": "Gebühr",
                "reference": "KZ-SEC-1",
                "redirectUrl": "http://127.0.0.1:8080/api/v1/payment/return",
                "items": [{"reference": "KZ-SEC-1", "description": "Gebühr", "amount": 1300}]
            })
            .to_string(),
        )),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let tx = created.json()["txId"].as_str().unwrap().to_string();
    let mut cases = 0;
    for (path, form) in [
        ("/payment/pay/{tx}", form_body(&[("method", "wallet")])),
        (
            "/payment/pay/{tx}/challenge",
            form_body(&[("code", "123456")]),
        ),
    ] {
        let uri = path.replace("{tx}", &tx);
        for (cookie, body) in [
            (None, form.clone()),
            (
                Some("pay_csrf=forged-value"),
                format!("{form}&csrf=another-value"),
            ),
        ] {
            let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
            let r = request(
                app,
                "POST",
                &uri,
                None,
                &headers,
                Some(("application/x-www-form-urlencoded", body)),
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
            cases += 1;
        }
        checked.insert(key("POST", path));
    }
    let after = request(
        app,
        "GET",
        &format!("/payment/v1/paymenttransaction/o1/e1/{tx}"),
        Some(&token),
        &[],
        None,
    )
    .await;
    assert_eq!(after.json()["status"], "INITIAL", "{}", after.body);
    cases
}

async fn login_flow_is_bound(fx: &Fixture, checked: &mut HashSet<String>) -> usize {
    let app = &fx.app;
    let mut cases = 0;
    let (path, cookie_a) = start_tx(app, "STORK-QAA-Level-1").await;
    let (_, cookie_b) = start_tx(app, "STORK-QAA-Level-1").await;
    checked.insert(key("GET", "/idp/authorize"));
    let page = with_cookie(app, "GET", &path, Some(&cookie_a), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body).unwrap();
    let attempts: [Attempt<'_>; 9] = [
        ("GET", "/idp/login/{tx}", "", vec![]),
        (
            "POST",
            "/idp/login/{tx}/saml/cancel",
            "/saml/cancel",
            vec![("csrf", &csrf)],
        ),
        ("GET", "/idp/login/{tx}/register", "/register", vec![]),
        ("GET", "/idp/login/{tx}/eid", "/eid?card=eid-erika", vec![]),
        (
            "POST",
            "/idp/login/{tx}/password",
            "/password",
            vec![
                ("csrf", &csrf),
                ("username", "erika"),
                ("password", "Mustermann-2026"),
            ],
        ),
        (
            "POST",
            "/idp/login/{tx}/eid",
            "/eid",
            vec![("csrf", &csrf), ("card", "eid-erika"), ("pin", "123456")],
        ),
        (
            "POST",
            "/idp/login/{tx}/eid/puk",
            "/eid/puk",
            vec![
                ("csrf", &csrf),
                ("card", "eid-erika"),
                ("puk", "1234567890"),
            ],
        ),
        (
            "POST",
            "/idp/login/{tx}/elster",
            "/elster",
            vec![
                ("csrf", &csrf),
                ("cert", "elster-jonas"),
                ("pin", "Elster-PIN-2026"),
            ],
        ),
        (
            "POST",
            "/idp/login/{tx}/register",
            "/register",
            vec![
                ("csrf", &csrf),
                ("username", "mallory"),
                ("password", "Mallory-Pass-2026"),
            ],
        ),
    ];
    for (method, route, tail, form) in &attempts {
        let uri = format!("{path}{tail}");
        for cookie in [None, Some(cookie_b.as_str())] {
            let r = with_cookie(app, method, &uri, cookie, form).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {uri} from another browser: {}",
                r.body
            );
            assert!(
                r.headers.get(header::LOCATION).is_none(),
                "{uri}: no redirect with a code"
            );
            cases += 1;
        }
        if *method == "GET" {
            let r = with_cookie(app, method, &uri, Some(&cookie_a), form).await;
            assert_eq!(r.status, StatusCode::OK, "{uri} in A's browser");
            cases += 1;
        }
        checked.insert(key(method, route));
    }
    // A's own browser logs in; the code needs the verifier and works once.
    let r = with_cookie(
        app,
        "POST",
        &format!("{path}/password"),
        Some(&cookie_a),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let code = query_param(r.headers[header::LOCATION].to_str().unwrap(), "code").unwrap();
    let exchange = |verifier: &'static str| {
        let code = code.clone();
        async move {
            post_form(
                app,
                "/idp/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("client_id", CLIENT),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let wrong = exchange("wrong-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(!wrong.body.contains("access_token"));
    let right = exchange(VERIFIER).await;
    // A wrong verifier burns the code (RFC 6749 §4.1.2: used once), or it
    // still works with the right one; either way a second use fails.
    assert!(
        right.status == StatusCode::OK || right.status == StatusCode::BAD_REQUEST,
        "{}",
        right.body
    );
    let again = exchange(VERIFIER).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a code works once");
    cases += 3;
    checked.insert(key("POST", "/idp/token"));
    cases
}

/// Console pages need the clerk's cookie, the console API the clerk's token;
/// a citizen's token opens neither.
async fn console_needs_a_clerk(fx: &Fixture, checked: &mut HashSet<String>) -> usize {
    let app = &fx.app;
    let mut cases = 0;
    for route in ROUTES.iter().filter(|r| r.guard == ClerkPage) {
        let (uri, _) = concrete(route, fx);
        let what = key(route.method, &uri);
        for bearer in [None, Some(fx.a.as_str())] {
            let r = request(
                app,
                route.method,
                &uri,
                bearer,
                &[],
                Some(("application/x-www-form-urlencoded", "csrf=x".into())),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
            assert_eq!(r.headers[header::LOCATION], "/behoerde/anmelden", "{what}");
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "{what}");
            cases += 1;
        }
        // With the clerk's session: pages open; forms still need the CSRF value.
        let r = with_cookie(
            app,
            route.method,
            &uri,
            Some(&fx.clerk_cookie),
            &[("csrf", "wrong")],
        )
        .await;
        if route.method == "GET" {
            assert!(
                r.status == StatusCode::OK || r.status == StatusCode::SEE_OTHER,
                "{what} as clerk: {}",
                r.status
            );
        } else {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{what} as clerk without CSRF"
            );
        }
        cases += 1;
        checked.insert(key(route.method, route.path));
    }
    let mut api: Vec<&Route> = ROUTES.iter().filter(|r| r.guard == ClerkApi).collect();
    api.sort_by_key(|r| r.path.ends_with("/logout"));
    for route in api {
        let (uri, _) = concrete(route, fx);
        let what = key(route.method, &uri);
        let body = Some((
            "application/json",
            json!({"message": "x", "reason": "x", "decision": "x"}).to_string(),
        ));
        for bearer in [None, Some(fx.a.as_str()), Some("not-a-token")] {
            let r = request(app, route.method, &uri, bearer, &[], body.clone()).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
            assert!(is_json(&r), "{what}");
            assert!(leaks(&r.body, &fx.secrets).is_empty(), "{what}");
            cases += 1;
        }
        // The page session cookie is not accepted by the API.
        let r = request(
            app,
            route.method,
            &uri,
            None,
            &[("cookie", fx.clerk_cookie.as_str())],
            body.clone(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{what} with the console cookie"
        );
        let r = request(app, route.method, &uri, Some(&fx.clerk), &[], body).await;
        assert!(
            !matches!(r.status.as_u16(), 401 | 403) && r.status.as_u16() < 500,
            "{what} as clerk: {} {}",
            r.status,
            r.body
        );
        cases += 2;
        checked.insert(key(route.method, route.path));
    }
    // The console's login: the form needs its own cookie and CSRF value.
    let r = post_form(
        app,
        "/behoerde/anmelden",
        None,
        &[
            ("username", console::CLERK),
            ("password", console::CLERK_PW),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "login form without its cookie"
    );
    assert!(console::cookie_pair(&r, "behoerde_session").is_none());
    let r = console::page(app, "/behoerde/anmelden", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = console::api_login(app, console::CLERK, "wrong").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(is_json(&r));
    cases += 3;
    for (m, p) in [
        ("GET", "/behoerde/anmelden"),
        ("POST", "/behoerde/anmelden"),
        ("POST", "/behoerde/api/login"),
    ] {
        checked.insert(key(m, p));
    }
    cases
}

// ------------------------------------------------------------------ login and PIN limits

async fn password_attempt(app: &Router, path: &str, cookie: &str, user: &str, pw: &str) -> Resp {
    let page = with_cookie(app, "GET", path, Some(cookie), &[]).await;
    let csrf = csrf_of(&page.body).unwrap();
    with_cookie(
        app,
        "POST",
        &format!("{path}/password"),
        Some(cookie),
        &[("csrf", &csrf), ("username", user), ("password", pw)],
    )
    .await
}

#[tokio::test]
async fn passwords_lock_after_five_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-1").await;
    for i in 1..=5 {
        let r = password_attempt(&app, &path, &cookie, "max.beispiel", "falsch").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "attempt {i}");
    }
    let r = password_attempt(&app, &path, &cookie, "max.beispiel", "Beispiel-Basis-1").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked: the right password is refused too"
    );
    assert!(r.headers.get(header::LOCATION).is_none());
    // Another account is not affected.
    let r = password_attempt(&app, &path, &cookie, "erika", "Mustermann-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_eid_pin_blocks_after_three_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-4").await;
    let page = with_cookie(
        &app,
        "GET",
        &format!("{path}/eid?card=eid-leyla"),
        Some(&cookie),
        &[],
    )
    .await;
    let csrf = csrf_of(&page.body).unwrap();
    let attempt = |pin: &'static str| {
        let (app, path, cookie, csrf) = (app.clone(), path.clone(), cookie.clone(), csrf.clone());
        async move {
            with_cookie(
                &app,
                "POST",
                &format!("{path}/eid"),
                Some(&cookie),
                &[("csrf", &csrf), ("card", "eid-leyla"), ("pin", pin)],
            )
            .await
        }
    };
    for i in 1..=3 {
        let r = attempt("111111").await;
        assert!(r.headers.get(header::LOCATION).is_none(), "attempt {i}");
        assert!(r.status.is_client_error(), "attempt {i}: {}", r.status);
    }
    let r = attempt("654321").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "blocked: the right PIN is refused too"
    );
    assert!(r.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn the_elster_pin_locks_after_five_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-3").await;
    let attempt = |pin: &'static str| {
        let (app, path, cookie) = (app.clone(), path.clone(), cookie.clone());
        async move {
            let page = with_cookie(&app, "GET", &path, Some(&cookie), &[]).await;
            let csrf = csrf_of(&page.body).unwrap();
            with_cookie(
                &app,
                "POST",
                &format!("{path}/elster"),
                Some(&cookie),
                &[("csrf", &csrf), ("cert", "elster-jonas"), ("pin", pin)],
            )
            .await
        }
    };
    for i in 1..=5 {
        let r = attempt("falsch").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "attempt {i}: {}", r.body.len());
    }
    let r = attempt("Elster-PIN-2026").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn console_logins_lock_after_five_failures() {
    // The form.
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    for i in 1..=5 {
        let r = console::page_login(&app, console::CLERK, "falsch").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "attempt {i}");
    }
    let r = console::page_login(&app, console::CLERK, console::CLERK_PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(console::cookie_pair(&r, "behoerde_session").is_none());
    // The JSON API (its own server: the lock is per clerk account).
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    for i in 1..=5 {
        let r = console::api_login(&app, console::CLERK, "falsch").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "attempt {i}");
        assert!(is_json(&r));
    }
    let r = console::api_login(&app, console::CLERK, console::CLERK_PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.body.contains("token\""), "{}", r.body);
}

/// Guesses sent at the same time must not get past the limit: at most
/// `max` of them may be checked against the secret, the rest are refused.
async fn parallel_guesses<F, Fut>(n: usize, attempt: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Resp> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(attempt(i));
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap().status);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_do_not_get_past_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = open(dir.path());
    const N: usize = 16;

    // Password: at most 5 answers "wrong password" (401).
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-1").await;
    let page = with_cookie(&app, "GET", &path, Some(&cookie), &[]).await;
    let csrf = csrf_of(&page.body).unwrap();
    let statuses = parallel_guesses(N, |i| {
        let (app, path, cookie, csrf) = (app.clone(), path.clone(), cookie.clone(), csrf.clone());
        async move {
            let pw = format!("falsch-{i}");
            with_cookie(
                &app,
                "POST",
                &format!("{path}/password"),
                Some(&cookie),
                &[
                    ("csrf", &csrf),
                    ("username", "max.beispiel"),
                    ("password", &pw),
                ],
            )
            .await
        }
    })
    .await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} of {N} parallel passwords were checked: {statuses:?}"
    );

    // eID PIN: at most 3 wrong PINs are checked.
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-4").await;
    let page = with_cookie(
        &app,
        "GET",
        &format!("{path}/eid?card=eid-leyla"),
        Some(&cookie),
        &[],
    )
    .await;
    let csrf = csrf_of(&page.body).unwrap();
    let statuses = parallel_guesses(N, |i| {
        let (app, path, cookie, csrf) = (app.clone(), path.clone(), cookie.clone(), csrf.clone());
        async move {
            let pin = format!("{:06}", 100000 + i);
            with_cookie(
                &app,
                "POST",
                &format!("{path}/eid"),
                Some(&cookie),
                &[("csrf", &csrf), ("card", "eid-leyla"), ("pin", &pin)],
            )
            .await
        }
    })
    .await;
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::FORBIDDEN)
        .count();
    assert!(
        checked <= 3,
        "{checked} of {N} parallel PINs were checked: {statuses:?}"
    );

    // ELSTER PIN: at most 5.
    let (path, cookie) = start_tx(&app, "STORK-QAA-Level-3").await;
    let statuses = parallel_guesses(N, |i| {
        let (app, path, cookie, csrf) = (app.clone(), path.clone(), cookie.clone(), csrf.clone());
        async move {
            let _ = &csrf;
            let page = with_cookie(&app, "GET", &path, Some(&cookie), &[]).await;
            let csrf = csrf_of(&page.body).unwrap();
            let pin = format!("falsch-{i}");
            with_cookie(
                &app,
                "POST",
                &format!("{path}/elster"),
                Some(&cookie),
                &[("csrf", &csrf), ("cert", "elster-jonas"), ("pin", &pin)],
            )
            .await
        }
    })
    .await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} of {N} parallel ELSTER PINs were checked: {statuses:?}"
    );

    // Console API: at most 5.
    let statuses = parallel_guesses(N, |i| {
        let app = app.clone();
        async move { console::api_login(&app, console::CLERK, &format!("falsch-{i}")).await }
    })
    .await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} of {N} parallel console passwords were checked: {statuses:?}"
    );
}

// ------------------------------------------------------------------ request size

/// Three sizes on every route that takes a body: one byte over the
/// server-wide cap, announced by `Content-Length` and sent without it
/// (chunked), must be refused with a JSON 413; 17 MiB (over every route's own
/// limit: 16 MiB attachments, 4 MiB submissions, 1 MiB forms, 64 KiB
/// announcements, 2 MiB JSON) must be refused the same way unless the route
/// never reads its body (then it answers as to an empty one).
#[tokio::test]
async fn oversized_bodies_get_413_json_on_every_writing_route() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    // FIT-Connect answers only the sender: with a citizen's token its
    // routes would refuse before reading a body.
    let sender = sender_token(&app).await;
    let limit = state.config.max_body_bytes;
    assert!(limit > 17 * 1024 * 1024, "{limit}");
    let over_all = Bytes::from(vec![b'a'; limit + 1]);
    let over_own = over_all.slice(..17 * 1024 * 1024);
    let (mut n, mut ignored) = (0, Vec::new());
    for route in ROUTES.iter().filter(|r| r.method != "GET") {
        let uri = route
            .path
            .replace("{tx}", "0123456789abcdef")
            .replace("{originator}", "x")
            .replace("{endpoint}", "x")
            .replace("{id}", "6f1c2b1e-0000-4000-8000-000000000001")
            .replace("{attachment_id}", ATT1)
            .replace("{action}", "bescheiden");
        let token = if route.path.starts_with("/fitconnect/") {
            &sender
        } else {
            &citizen
        };
        let ct = if route.path.starts_with("/idp/")
            || !route.path.contains("/api/") && route.path.starts_with("/behoerde/")
        {
            "application/x-www-form-urlencoded"
        } else if route.path.ends_with("/attachments/{attachment_id}") {
            "application/jose"
        } else {
            "application/json"
        };
        // Announced too large: refused before anything. Without a length
        // (chunked) a body is limited as it is read: 413 where a route
        // reads it, the route's usual answer where it is not read at all.
        for (body, with_length, must) in [
            (&over_all, true, true),
            (&over_all, false, false),
            (&over_own, true, false),
        ] {
            let mut b = Request::builder()
                .method(route.method)
                .uri(&uri)
                .header(header::CONTENT_TYPE, ct)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            if with_length {
                b = b.header(header::CONTENT_LENGTH, body.len());
            }
            let r = send(&app, b.body(Body::from(body.clone())).unwrap()).await;
            let what = format!(
                "{} {uri} ({} bytes, Content-Length: {with_length})",
                route.method,
                body.len()
            );
            if must || r.status == StatusCode::PAYLOAD_TOO_LARGE {
                assert_eq!(
                    r.status,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "{what}: {}",
                    r.body
                );
                assert!(is_json(&r), "{what}: {:?} {}", r.headers, r.body);
                assert_eq!(r.json()["error"], "payload_too_large", "{what}");
            } else {
                let empty = request(
                    &app,
                    route.method,
                    &uri,
                    Some(token),
                    &[],
                    Some((ct, String::new())),
                )
                .await;
                assert_eq!(
                    r.status, empty.status,
                    "{what}: read but not refused: {}",
                    r.body
                );
                ignored.push(key(route.method, route.path));
            }
            n += 1;
        }
    }
    eprintln!("413 checks: {n}; bodies never read by: {ignored:?}");
    assert_eq!(n, 3 * ROUTES.iter().filter(|r| r.method != "GET").count());
}

// ------------------------------------------------------------------ SQL

/// SQL built at run time: a `format!` (or `String` building) whose text
/// looks like a statement. `concat!` of literals is fixed at compile time
/// and therefore allowed.
fn runtime_sql(text: &str) -> Vec<String> {
    let sql_words = [
        "SELECT ",
        "INSERT ",
        "UPDATE ",
        "DELETE FROM",
        "CREATE ",
        "DROP ",
        " WHERE ",
        "PRAGMA ",
        "ALTER ",
    ];
    let mut found = Vec::new();
    for builder in [
        "format!(",
        "push_str(",
        "format_args!(",
        "write!(",
        "+ \"",
        "+ &",
    ] {
        let mut from = 0;
        while let Some(i) = text[from..].find(builder) {
            let at = from + i;
            // The statement text: up to the end of the call, at most 400 characters.
            let tail: String = text[at..].chars().take(400).collect();
            let end = tail
                .find(";\n")
                .or_else(|| tail.find(")\n"))
                .unwrap_or(tail.len());
            let stmt = &tail[..end];
            if sql_words
                .iter()
                .any(|w| stmt.to_uppercase().contains(w) && stmt.contains(w.trim()))
            {
                let line = text[..at].lines().count();
                found.push(format!(
                    "line {line}: {}",
                    stmt.lines().next().unwrap_or_default()
                ));
            }
            from = at + builder.len();
        }
    }
    found
}

#[test]
fn the_sql_scanner_finds_built_statements() {
    assert_eq!(
        runtime_sql(r#"let s = format!("SELECT * FROM t WHERE a = '{x}'");"#).len(),
        1
    );
    assert_eq!(runtime_sql("sql.push_str(\" WHERE name = \");\n").len(), 1);
    assert!(
        runtime_sql(r#"conn.execute("DELETE FROM t WHERE id = ?1", params![id])?;"#).is_empty()
    );
    assert!(runtime_sql(r#"let t = format!("{} – online", name);"#).is_empty());
}

#[test]
fn sql_is_only_made_of_literals() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    assert!(files.len() > 20, "{files:?}");
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // Only code that talks to SQLite.
        if !text.contains("rusqlite") && !text.contains("conn.") && !text.contains(".execute(") {
            continue;
        }
        for p in runtime_sql(&text) {
            problems.push(format!("{}: {p}", f.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "SQL built at run time:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn injection_attempts_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(dir.path()).await;
    let app = &fx.app;
    let before = a_view(&fx).await;
    // Through the postbox search and the catalogue search, as citizen B.
    for q in [
        "' OR '1'='1",
        "%' OR 1=1 --",
        "x'); DROP TABLE zbp_messages; --",
        "\" OR \"\"=\"",
        "%",
        "_",
    ] {
        let uri = format!("/zbp/v1/messages?q={}", support::enc(q));
        let r = get(app, &uri, Some(&fx.b)).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
            "{q}: {}",
            r.status
        );
        assert!(leaks(&r.body, &fx.secrets).is_empty(), "{q}: {}", r.body);
        if r.status == StatusCode::OK {
            assert_eq!(r.json()["count"], 0, "{q}");
        }
        let uri = format!(
            "/pvog/v7/servicedescriptions/053150000000?q={}",
            support::enc(q)
        );
        let r = get(app, &uri, None).await;
        assert!(r.status.as_u16() < 500, "{q}: {}", r.status);
    }
    // Through the login names of the citizens' and the clerks' login.
    let (path, cookie) = start_tx(app, "STORK-QAA-Level-1").await;
    for user in [
        "erika' --",
        "erika'/*",
        "' OR '1'='1",
        "' OR 1=1 --",
        "erika\" OR \"1\"=\"1",
    ] {
        for pw in ["x", "' OR '1'='1"] {
            let r = password_attempt(app, &path, &cookie, user, pw).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{user} / {pw}");
            let r = console::api_login(app, user, pw).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{user} / {pw}");
        }
    }
    assert_eq!(before, a_view(&fx).await);
    // Erika's account still works and is not locked by the attempts.
    let r = password_attempt(app, &path, &cookie, "erika", "Mustermann-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        console::api_login(app, console::CLERK, console::CLERK_PW)
            .await
            .status,
        StatusCode::OK
    );
}
