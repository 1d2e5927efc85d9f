//! The BundID stand-in end to end: authorize → HTML login forms → token →
//! userinfo / refresh / end_session, driven like a browser would.

mod support;
use support::{csrf_of, enc, form_body};

use axum::{
    body::Body,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use backends::{AppState, Config};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower::ServiceExt;

const CLIENT: &str = "buergeramt-app";
const REDIRECT: &str = "http://127.0.0.1:8080/anmelden/rueckkehr";
const ISSUER: &str = "http://127.0.0.1:8080/idp";
const VERIFIER: &str = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG";

fn open(dir: &Path, session_seconds: u64) -> Router {
    let mut config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    config.session_seconds = session_seconds;
    backends::app(AppState::open(config).unwrap()).unwrap()
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

async fn send(app: &Router, req: Request<Body>) -> Resp {
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

async fn get(app: &Router, uri: &str, cookie: Option<&str>, bearer: Option<&str>) -> Resp {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

async fn post(app: &Router, uri: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::from(form_body(fields))).unwrap()).await
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_uri(extra: &[(&str, &str)], skip: &[&str]) -> String {
    let ch = challenge(VERIFIER);
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.retain(|(k, _)| !skip.contains(k) && !extra.iter().any(|(e, _)| e == k));
    params.extend_from_slice(extra);
    format!("/idp/authorize?{}", form_body(&params))
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A started login: the page path, this browser's cookie and the CSRF value.
struct Login {
    path: String,
    cookie: String,
    csrf: String,
    page: String,
}

async fn start(app: &Router, acr: Option<&str>) -> Login {
    let extra: Vec<(&str, &str)> = acr.map(|a| vec![("acr_values", a)]).unwrap_or_default();
    let r = get(app, &authorize_uri(&extra, &[]), None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location();
    assert!(path.starts_with("/idp/login/"), "{path}");
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
    let cookie = set.split(';').next().unwrap().to_string();
    let page = get(app, &path, Some(&cookie), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // At Level-4 only the eID is offered; its form (after choosing a card) has the value.
    let csrf = match csrf_of(&page.body) {
        Some(c) => c,
        None => {
            let eid = get(
                app,
                &format!("{path}/eid?card=eid-erika"),
                Some(&cookie),
                None,
            )
            .await;
            csrf_of(&eid.body).expect("no csrf field")
        }
    };
    Login {
        path,
        cookie,
        csrf,
        page: page.body,
    }
}

/// The code from a successful login redirect.
fn code_from(r: &Resp) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-123"));
    query_param(&loc, "code").expect("code")
}

async fn password_login(app: &Router, acr: Option<&str>, user: &str, pw: &str) -> String {
    let l = start(app, acr).await;
    let r = post(
        app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &[("csrf", &l.csrf), ("username", user), ("password", pw)],
    )
    .await;
    code_from(&r)
}

async fn elster_login(app: &Router, acr: Option<&str>) -> String {
    let l = start(app, acr).await;
    let r = post(
        app,
        &format!("{}/elster", l.path),
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("cert", "elster-jonas"),
            ("pin", "Elster-PIN-2026"),
        ],
    )
    .await;
    code_from(&r)
}

async fn eid_attempt(app: &Router, l: &Login, card: &str, pin: &str) -> Resp {
    let page = get(
        app,
        &format!("{}/eid?card={card}", l.path),
        Some(&l.cookie),
        None,
    )
    .await;
    assert!(
        page.body.contains("Folgende Daten werden übermittelt") || page.body.contains("gesperrt"),
        "{}",
        page.body
    );
    post(
        app,
        &format!("{}/eid", l.path),
        Some(&l.cookie),
        &[("csrf", &l.csrf), ("card", card), ("pin", pin)],
    )
    .await
}

async fn eid_login(app: &Router, acr: Option<&str>) -> String {
    let l = start(app, acr).await;
    code_from(&eid_attempt(app, &l, "eid-erika", "123456").await)
}

async fn exchange(app: &Router, code: &str, verifier: &str) -> Resp {
    post(
        app,
        "/idp/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn tokens(app: &Router, code: &str) -> Value {
    let r = exchange(app, code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    r.json()
}

/// Verifies the ID token against the published JWKS and returns its claims.
async fn verify_id_token(app: &Router, id_token: &str) -> Value {
    let jwks = get(app, "/idp/jwks", None, None).await.json();
    let key = &jwks["keys"][0];
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let dk = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[CLIENT]);
    v.set_issuer(&[ISSUER]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &dk, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["nonce"], "n-456");
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
    claims
}

fn attr<'a>(info: &'a Value, name: &str) -> &'a Value {
    info["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no attribute {name} in {info}"))
}

#[tokio::test]
async fn discovery_and_jwks_have_the_expected_shape() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let d = get(&app, "/idp/.well-known/openid-configuration", None, None)
        .await
        .json();
    assert_eq!(d["issuer"], ISSUER);
    assert_eq!(d["authorization_endpoint"], format!("{ISSUER}/authorize"));
    assert_eq!(d["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(d["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
    assert_eq!(d["end_session_endpoint"], format!("{ISSUER}/end_session"));
    assert_eq!(d["jwks_uri"], format!("{ISSUER}/jwks"));
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        serde_json::json!(["none", "client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        d["acr_values_supported"],
        serde_json::json!([
            "STORK-QAA-Level-1",
            "STORK-QAA-Level-3",
            "STORK-QAA-Level-4"
        ])
    );
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert!(d["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&"openid".into()));
    let claims = d["claims_supported"].as_array().unwrap();
    for c in ["sub", "acr", "nonce", "givenName", "mailboxUuid", "bPK2"] {
        assert!(claims.contains(&c.into()), "{c}");
    }
    let jwks = get(&app, "/idp/jwks", None, None).await.json();
    let k = &jwks["keys"][0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["alg"], "RS256");
    assert_eq!(k["use"], "sig");
    assert!(k["kid"].as_str().unwrap().len() >= 20);
    // 2048-bit modulus = 256 bytes = 342 base64url characters.
    assert!(k["n"].as_str().unwrap().len() >= 342);
}

#[tokio::test]
async fn key_survives_a_restart_with_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let kid1 = get(&open(dir.path(), 1800), "/idp/jwks", None, None)
        .await
        .json()["keys"][0]["kid"]
        .clone();
    assert!(dir.path().join(backends::idp::KEY_FILE).exists());
    let kid2 = get(&open(dir.path(), 1800), "/idp/jwks", None, None)
        .await
        .json()["keys"][0]["kid"]
        .clone();
    assert_eq!(kid1, kid2);
    let other = tempfile::tempdir().unwrap();
    let kid3 = get(&open(other.path(), 1800), "/idp/jwks", None, None)
        .await
        .json()["keys"][0]["kid"]
        .clone();
    assert_ne!(kid1, kid3, "a new data dir gets its own key");
}

#[tokio::test]
async fn password_flow_gives_level_1_and_self_declared_data() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let code = password_login(&app, None, "erika", "Mustermann-2026").await;
    let t = tokens(&app, &code).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 1800);
    assert_eq!(t["scope"], "openid profile");
    assert!(t["refresh_token"].as_str().unwrap().len() >= 43);
    let claims = verify_id_token(&app, t["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], "STORK-QAA-Level-1");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let info = get(&app, "/idp/userinfo", None, t["access_token"].as_str()).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    let info = info.json();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["method"], "password");
    assert_eq!(info["acr"], "STORK-QAA-Level-1");
    let given = attr(&info, "givenName");
    assert_eq!(given["value"], "Erika");
    assert_eq!(given["oid"], "urn:oid:2.5.4.42");
    assert_eq!(given["trust"], "self-declared");
    assert_eq!(given["source"], "account");
    assert_eq!(attr(&info, "postalAddress")["value"], "Heidestr. 17");
    assert_eq!(attr(&info, "mailboxUuid")["value"], info["mailboxUuid"]);
    assert_eq!(attr(&info, "bPK2")["value"], info["sub"]);
    for a in info["attributes"].as_array().unwrap() {
        if a["name"] != "bPK2" && a["name"] != "mailboxUuid" {
            assert_eq!(a["trust"], "self-declared", "{a}");
        }
    }
}

#[tokio::test]
async fn elster_flow_gives_level_3_with_verified_tax_data() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let code = elster_login(&app, Some("STORK-QAA-Level-3")).await;
    let t = tokens(&app, &code).await;
    let claims = verify_id_token(&app, t["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], "STORK-QAA-Level-3");
    let info = get(&app, "/idp/userinfo", None, t["access_token"].as_str())
        .await
        .json();
    assert_eq!(info["method"], "elster");
    for name in [
        "givenName",
        "surname",
        "birthdate",
        "postalAddress",
        "postalCode",
        "localityName",
    ] {
        assert_eq!(attr(&info, name)["trust"], "verified", "{name}");
        assert_eq!(attr(&info, name)["source"], "elster", "{name}");
    }
    assert_eq!(attr(&info, "birthdate")["value"], "1985-11-23");
    assert_eq!(attr(&info, "mail")["trust"], "self-declared");
}

#[tokio::test]
async fn stepping_up_to_eid_keeps_the_account_and_verifies_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let pw = tokens(
        &app,
        &password_login(&app, None, "erika", "Mustermann-2026").await,
    )
    .await;
    let pw_info = get(&app, "/idp/userinfo", None, pw["access_token"].as_str())
        .await
        .json();

    let t = tokens(&app, &eid_login(&app, Some("STORK-QAA-Level-4")).await).await;
    let claims = verify_id_token(&app, t["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["acr"], "STORK-QAA-Level-4");
    assert_eq!(claims["amr"], serde_json::json!(["hwk", "pin"]));
    let info = get(&app, "/idp/userinfo", None, t["access_token"].as_str())
        .await
        .json();
    assert_eq!(info["method"], "eid");
    assert_eq!(info["sub"], pw_info["sub"], "same citizen, same pseudonym");
    assert_eq!(info["mailboxUuid"], pw_info["mailboxUuid"], "same postbox");
    let addr = attr(&info, "postalAddress");
    assert_eq!(addr["value"], "Heidestraße 17");
    assert_eq!(addr["trust"], "verified");
    assert_eq!(addr["source"], "eid");
    assert_eq!(attr(&info, "birthName")["value"], "Gabler");
    assert_eq!(attr(&info, "documentType")["value"], "ID");
    assert_eq!(attr(&info, "mail")["trust"], "self-declared");

    // The principal other modules see.
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {}", t["access_token"].as_str().unwrap())
            .parse()
            .unwrap(),
    );
    let state = AppState::open(Config::for_tests(
        dir.path().to_path_buf(),
        dir.path().join("x"),
    ))
    .unwrap();
    let p = backends::idp::authenticate(&state, &headers).await.unwrap();
    assert_eq!(p.acr, backends::idp::TrustLevel::Level4);
    assert_eq!(p.sub, info["sub"].as_str().unwrap());
    assert_eq!(p.mailbox_uuid, info["mailboxUuid"].as_str().unwrap());
    assert!(backends::idp::authenticate(&state, &HeaderMap::new())
        .await
        .is_err());
}

#[tokio::test]
async fn the_pkce_verifier_must_match_and_codes_are_single_use() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    // Wrong verifier.
    let code = password_login(&app, None, "max.beispiel", "Beispiel-Basis-1").await;
    let r = exchange(
        &app,
        &code,
        "wrong-verifier-wrong-verifier-wrong-verifier-000",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_grant");
    // Wrong redirect URI.
    let code = password_login(&app, None, "max.beispiel", "Beispiel-Basis-1").await;
    let r = post(
        &app,
        "/idp/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8080/anders"),
            ("client_id", CLIENT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    // Reuse: the second exchange fails and revokes the first one's tokens.
    let code = password_login(&app, None, "max.beispiel", "Beispiel-Basis-1").await;
    let t = tokens(&app, &code).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/idp/userinfo", None, Some(at)).await.status,
        StatusCode::OK
    );
    let again = exchange(&app, &code, VERIFIER).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["error"], "invalid_grant");
    assert_eq!(
        get(&app, "/idp/userinfo", None, Some(at)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Unknown grant type.
    let r = post(
        &app,
        "/idp/token",
        None,
        &[("grant_type", "password"), ("client_id", CLIENT)],
    )
    .await;
    assert_eq!(r.json()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn bad_authorize_requests_are_refused_before_any_login_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    // Unregistered redirect URI: an error page, no redirect.
    let r = get(
        &app,
        &authorize_uri(&[("redirect_uri", "https://evil.example/cb")], &[]),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.headers.get(header::LOCATION).is_none());
    assert!(r.body.contains("nicht registriert"));
    // Prefix of the registered one is not enough (exact match).
    let r = get(
        &app,
        &authorize_uri(&[("redirect_uri", &format!("{REDIRECT}/x"))], &[]),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Unknown client.
    let r = get(
        &app,
        &authorize_uri(&[("client_id", "fremd")], &[]),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.headers.get(header::LOCATION).is_none());
    // Missing challenge, plain method, malformed challenge, no openid, bad acr:
    // back to the app with error and state, and no login transaction.
    for (extra, skip) in [
        (vec![], vec!["code_challenge"]),
        (vec![], vec!["code_challenge_method"]),
        (vec![("code_challenge_method", "plain")], vec![]),
        (vec![("code_challenge", "too-short")], vec![]),
        (vec![("scope", "profile")], vec![]),
        (vec![("acr_values", "STORK-QAA-Level-2")], vec![]),
        (vec![("response_type", "token")], vec![]),
    ] {
        let r = get(&app, &authorize_uri(&extra, &skip), None, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{extra:?} {skip:?}");
        let loc = r.location();
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert!(query_param(&loc, "error").is_some(), "{loc}");
        assert_eq!(query_param(&loc, "state").as_deref(), Some("st-123"));
        assert!(query_param(&loc, "code").is_none());
        assert!(r.headers.get(header::SET_COOKIE).is_none());
    }
    let r = get(&app, &authorize_uri(&[("prompt", "none")], &[]), None, None).await;
    assert_eq!(
        query_param(&r.location(), "error").as_deref(),
        Some("login_required")
    );
    let r = get(
        &app,
        &authorize_uri(&[("code_challenge_method", "plain")], &[]),
        None,
        None,
    )
    .await;
    assert_eq!(
        query_param(&r.location(), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn login_forms_need_this_browsers_cookie_and_csrf_value() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let l = start(&app, None).await;
    let fields = [
        ("csrf", l.csrf.as_str()),
        ("username", "erika"),
        ("password", "Mustermann-2026"),
    ];
    let no_cookie = post(&app, &format!("{}/password", l.path), None, &fields).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    let wrong_csrf = post(
        &app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &[
            ("csrf", "x"),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    assert_eq!(wrong_csrf.status, StatusCode::FORBIDDEN);
    let ok = post(
        &app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &fields,
    )
    .await;
    code_from(&ok);
    // The transaction is used up.
    let again = post(
        &app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &fields,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_method_below_the_requested_level_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let l = start(&app, Some("STORK-QAA-Level-4")).await;
    assert!(l
        .page
        .contains("Für diese Leistung brauchen Sie mindestens"));
    assert!(
        !l.page.contains("/password\""),
        "no password form offered for Level-4"
    );
    let r = post(
        &app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("reicht für die Leistung nicht aus"));
    assert!(r.body.contains("#ausweis"), "offers the sufficient method");
    assert!(r.headers.get(header::LOCATION).is_none());
    let r = post(
        &app,
        &format!("{}/elster", l.path),
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("cert", "elster-jonas"),
            ("pin", "Elster-PIN-2026"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The eID still works in the same transaction.
    code_from(&eid_attempt(&app, &l, "eid-erika", "123456").await);
}

#[tokio::test]
async fn three_wrong_eid_pins_block_the_card_for_good() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = open(dir.path(), 1800);
        let l = start(&app, Some("STORK-QAA-Level-4")).await;
        let r = eid_attempt(&app, &l, "eid-leyla", "111111").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("noch 2 Versuch"));
        let r = eid_attempt(&app, &l, "eid-leyla", "12345").await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "a malformed PIN is not counted"
        );
        let r = eid_attempt(&app, &l, "eid-leyla", "222222").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = eid_attempt(&app, &l, "eid-leyla", "333333").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("PUK") && r.body.contains("Bürgerbüro"));
    }
    // After a restart the card is still blocked, even with the right PIN.
    let app = open(dir.path(), 1800);
    let l = start(&app, Some("STORK-QAA-Level-4")).await;
    assert!(!l.page.contains("Leyla"), "no card is listed");
    let page = get(
        &app,
        &format!("{}/eid?card=eid-leyla", l.path),
        Some(&l.cookie),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("10-stellige PUK"), "{}", page.body);
    let r = eid_attempt(&app, &l, "eid-leyla", "654321").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("PUK"));
    // Other cards are unaffected.
    code_from(&eid_attempt(&app, &l, "eid-erika", "123456").await);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let l = start(&app, None).await;
    let url = format!("{}/password", l.path);
    for i in 1..=5 {
        let r = post(
            &app,
            &url,
            Some(&l.cookie),
            &[
                ("csrf", &l.csrf),
                ("username", "max.beispiel"),
                ("password", "falsch"),
            ],
        )
        .await;
        if i < 5 {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            assert!(r.body.contains("Benutzername oder Passwort ist falsch"));
        } else {
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            assert!(r.body.contains("gesperrt"));
        }
    }
    let r = post(
        &app,
        &url,
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("username", "max.beispiel"),
            ("password", "Beispiel-Basis-1"),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(r.body.contains("Minuten gesperrt"));
    // Unknown usernames get the same answer as wrong passwords.
    let r = post(
        &app,
        &url,
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("username", "niemand"),
            ("password", "egal-egal"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Benutzername oder Passwort ist falsch"));
    // Other accounts are unaffected.
    let r = post(
        &app,
        &url,
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    code_from(&r);
}

#[tokio::test]
async fn registration_creates_a_basis_account() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let l = start(&app, None).await;
    let page = get(&app, &format!("{}/register", l.path), Some(&l.cookie), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("for=\"givenName\""));
    let mut fields = vec![
        ("csrf", l.csrf.as_str()),
        ("username", "ada.neu"),
        ("password", "kurz"),
        ("givenName", "Ada"),
        ("surname", "Neumann"),
        ("birthdate", "1991-02-03"),
        ("postalAddress", "Rheinweg 2"),
        ("postalCode", "53111"),
        ("localityName", "Bonn"),
        ("mail", "ada@example.org"),
    ];
    let r = post(
        &app,
        &format!("{}/register", l.path),
        Some(&l.cookie),
        &fields,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("mindestens 10 Zeichen"));
    assert!(r.body.contains("value=\"Neumann\""), "entries are kept");
    fields[2].1 = "lang-genug-2026";
    let r = post(
        &app,
        &format!("{}/register", l.path),
        Some(&l.cookie),
        &fields,
    )
    .await;
    // The provider appends a number to the proposed name and shows it; the
    // citizen then logs in with it.
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let start_at = r.body.find("lautet „").expect("the assigned name") + "lautet „".len();
    let name = &r.body[start_at..start_at + r.body[start_at..].find('“').unwrap()];
    let suffix = name
        .strip_prefix("ada.neu.")
        .expect("the proposed name first");
    assert!(
        suffix.len() == 4 && suffix.bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    assert!(r.body.contains(&format!("value=\"{name}\"")), "prefilled");
    let code = password_login(&app, None, name, "lang-genug-2026").await;
    let t = tokens(&app, &code).await;
    let info = get(&app, "/idp/userinfo", None, t["access_token"].as_str())
        .await
        .json();
    assert_eq!(attr(&info, "surname")["value"], "Neumann");
    assert_eq!(attr(&info, "surname")["trust"], "self-declared");
    assert_eq!(attr(&info, "birthdate")["value"], "1991-02-03");
    // The proposed name alone is no account.
    let l = start(&app, None).await;
    let r = post(
        &app,
        &format!("{}/password", l.path),
        Some(&l.cookie),
        &[
            ("csrf", &l.csrf),
            ("username", "ada.neu"),
            ("password", "lang-genug-2026"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_extends_the_session_and_rotates_the_token() {
    let dir = tempfile::tempdir().unwrap();
    // Times are whole seconds (as in JWTs), so allow a second of slack.
    let app = open(dir.path(), 3);
    let first = tokens(
        &app,
        &password_login(&app, None, "erika", "Mustermann-2026").await,
    )
    .await;
    let mut refresh = first["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..12 {
        let r = post(
            &app,
            "/idp/token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", CLIENT),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let t = r.json();
        assert_ne!(t["refresh_token"].as_str().unwrap(), refresh);
        let claims = verify_id_token(&app, t["id_token"].as_str().unwrap()).await;
        assert_eq!(claims["acr"], "STORK-QAA-Level-1");
        refresh = t["refresh_token"].as_str().unwrap().to_string();
    }
    // The first access token was replaced.
    assert_eq!(
        get(&app, "/idp/userinfo", None, first["access_token"].as_str())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Wait past the original lifetime, extending once more on the way.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = post(
        &app,
        "/idp/token",
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", CLIENT),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let old_refresh = refresh.clone();
    let access = r.json()["access_token"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        get(&app, "/idp/userinfo", None, Some(&access)).await.status,
        StatusCode::OK,
        "extended"
    );
    // Without refresh the session ends.
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
    let r = get(&app, "/idp/userinfo", None, Some(&access)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r
        .headers
        .get(header::WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    // A rotated-away refresh token is refused.
    let r = post(
        &app,
        "/idp/token",
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &old_refresh),
            ("client_id", CLIENT),
        ],
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn end_session_revokes_and_redirects_only_to_registered_uris() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let t = tokens(&app, &elster_login(&app, None).await).await;
    let at = t["access_token"].as_str().unwrap();
    let id_token = t["id_token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/idp/userinfo", None, Some(at)).await.status,
        StatusCode::OK
    );
    let uri = format!(
        "/idp/end_session?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
        enc(id_token),
        enc("http://127.0.0.1:8080/")
    );
    let r = get(&app, &uri, None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "http://127.0.0.1:8080/?state=bye");
    let r = get(&app, "/idp/userinfo", None, Some(at)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get(header::WWW_AUTHENTICATE).is_some());
    // The refresh token is gone as well.
    let r = post(
        &app,
        "/idp/token",
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("client_id", CLIENT),
        ],
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    // An unregistered target: a logged-out page instead of a redirect.
    let t = tokens(&app, &elster_login(&app, None).await).await;
    let r = post(
        &app,
        "/idp/end_session",
        None,
        &[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::LOCATION).is_none());
    assert!(r.body.contains("Sie sind abgemeldet"));
    assert_eq!(
        get(&app, "/idp/userinfo", None, t["access_token"].as_str())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // No token at all.
    let r = get(&app, "/idp/userinfo", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers.get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer realm=\"buergeramt-idp\""
    );
    assert_eq!(r.json()["error"], "unauthorized");
}

#[tokio::test]
async fn login_pages_are_csp_clean_and_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), 1800);
    let l = start(&app, None).await;
    for html in [
        l.page.clone(),
        get(
            &app,
            &format!("{}/eid?card=eid-erika", l.path),
            Some(&l.cookie),
            None,
        )
        .await
        .body,
        get(&app, &format!("{}/register", l.path), Some(&l.cookie), None)
            .await
            .body,
    ] {
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<html lang=\"de\">"));
        assert!(!html.contains("<script"), "no scripts");
        assert!(!html.contains("style="), "no inline styles");
        assert_eq!(html.matches("<h1").count(), 1);
        assert!(html.contains("/idp/static/idp.css"));
        // Every input (other than hidden ones) has a label.
        for part in html.split("<input").skip(1) {
            if part.contains("type=\"hidden\"") {
                continue;
            }
            let id_start = part.find("id=\"").unwrap() + 4;
            let id = &part[id_start..id_start + part[id_start..].find('"').unwrap()];
            assert!(html.contains(&format!("for=\"{id}\"")), "no label for {id}");
        }
    }
    let css = get(&app, "/idp/static/idp.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}
