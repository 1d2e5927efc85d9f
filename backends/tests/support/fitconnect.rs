//! The FIT-Connect test client shared by the submission tests: a server
//! with pre-made keys, login through /idp, JWEs made the way the browser
//! makes them, and the route → announce → upload → submit → events steps.

use super::submission_crypto as crypto;
// Re-exported for the tests; not every test crate uses every one.
#[allow(unused_imports)]
pub use super::submission_crypto::{
    hund_data, metadata, sha512_hex, ATT1, DOG_NAME, HILDEN, HUND, PDF,
};
use super::{csrf_of, form_body};

use axum::{
    body::Body,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use backends::fitconnect::keys;
use backends::{AppState, Config};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use openssl::rsa::Rsa;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;
use tower::ServiceExt;

pub const CLIENT: &str = "buergeramt-app";
pub const REDIRECT: &str = "http://127.0.0.1:8080/anmelden/rueckkehr";
pub const VERIFIER: &str = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG";
pub const BASE: &str = "http://127.0.0.1:8080/fitconnect";
pub const FZ: &str = "99063001001000";

/// RSA 4096 generation takes a while: make the two key files once and copy
/// them into every test's data directory.
pub fn key_pems() -> &'static (Vec<u8>, Vec<u8>) {
    static PEMS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    PEMS.get_or_init(|| {
        let a = Rsa::generate(4096).unwrap().private_key_to_pem().unwrap();
        let b = Rsa::generate(4096).unwrap().private_key_to_pem().unwrap();
        (a, b)
    })
}

pub fn open(dir: &Path) -> (Router, AppState) {
    let (enc, sig) = key_pems();
    std::fs::write(dir.join(keys::ENCRYPTION_KEY_FILE), enc).unwrap();
    std::fs::write(dir.join(keys::SIGNING_KEY_FILE), sig).unwrap();
    let config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    let state = AppState::open(config).unwrap();
    (backends::app(state.clone()).unwrap(), state)
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Resp {
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

pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    bearer: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let body = match body {
        Some((ct, text)) => {
            b = b.header(header::CONTENT_TYPE, ct);
            Body::from(text)
        }
        None => Body::empty(),
    };
    send(app, b.body(body).unwrap()).await
}

pub async fn get(app: &Router, uri: &str, bearer: Option<&str>) -> Resp {
    call(app, Method::GET, uri, bearer, &[], None).await
}

// ---- login through /idp, as tests/idp_oidc.rs does it ----

pub async fn post_form(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::from(form_body(fields))).unwrap()).await
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

pub enum How<'a> {
    Password(&'a str, &'a str),
    Eid(&'a str, &'a str),
}

/// Logs in through the /idp pages and returns an access token.
pub async fn login(app: &Router, how: How<'_>) -> String {
    login_tokens(app, how).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Starts a login transaction at `/idp/authorize` (PKCE with [`VERIFIER`])
/// at `acr`; returns the login page's path and the transaction cookie pair.
pub async fn start_tx(app: &Router, acr: &str) -> (String, String) {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let uri = format!(
        "/idp/authorize?{}",
        form_body(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile"),
            ("state", "st"),
            ("nonce", "n"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("acr_values", acr),
        ])
    );
    let r = get(app, &uri, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let cookie = r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (path, cookie)
}

/// Logs in through the /idp pages and returns the token endpoint's answer
/// (`access_token`, `id_token`, `refresh_token`, …).
pub async fn login_tokens(app: &Router, how: How<'_>) -> Value {
    let acr = match how {
        How::Password(..) => "STORK-QAA-Level-1",
        How::Eid(..) => "STORK-QAA-Level-4",
    };
    let (path, cookie) = start_tx(app, acr).await;
    let send_cookie = |uri: String| {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    let r = match how {
        How::Password(user, pw) => {
            let page = send(app, send_cookie(path.clone())).await;
            let csrf = csrf_of(&page.body).expect("csrf");
            post_form(
                app,
                &format!("{path}/password"),
                Some(&cookie),
                &[("csrf", &csrf), ("username", user), ("password", pw)],
            )
            .await
        }
        How::Eid(card, pin) => {
            let page = send(app, send_cookie(format!("{path}/eid?card={card}"))).await;
            let csrf = csrf_of(&page.body).expect("csrf");
            post_form(
                app,
                &format!("{path}/eid"),
                Some(&cookie),
                &[("csrf", &csrf), ("card", card), ("pin", pin)],
            )
            .await
        }
    };
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let code = query_param(&loc, "code").expect("code");
    let t = post_form(
        app,
        "/idp/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.json()
}

pub async fn erika_basis(app: &Router) -> String {
    login(app, How::Password("erika", "Mustermann-2026")).await
}

// ---- the browser's side of the crypto ----

/// A compact JWE as WebCrypto will make it.
pub fn encrypt_for(jwk: &Value, plaintext: &[u8], cty: &str) -> String {
    crypto::encrypt_for(jwk, plaintext, cty).unwrap()
}

pub fn encrypt_with_header(jwk: &Value, plaintext: &[u8], header: &Value) -> String {
    crypto::encrypt_with_header(jwk, plaintext, header).unwrap()
}

/// Route, destination, key and schema URI of a service, checking their shapes.
pub async fn discover(app: &Router, leika: &str, ars: &str) -> (String, Value, String) {
    let r = get(
        app,
        &format!("/fitconnect/routes?leikaKey={leika}&ars={ars}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let routes = r.json()["routes"].as_array().unwrap().clone();
    assert_eq!(routes.len(), 1, "{routes:?}");
    let dest_id = routes[0]["destinationId"].as_str().unwrap().to_string();
    let params = &routes[0]["destinationParameters"];
    let d = get(app, &format!("/fitconnect/v1/destinations/{dest_id}"), None)
        .await
        .json();
    assert_eq!(d["status"], "active");
    assert_eq!(d["destinationId"], dest_id.as_str());
    assert_eq!(d["encryptionKid"], params["encryptionKid"]);
    let svc = &d["services"][0];
    assert_eq!(
        svc["identifier"],
        format!("urn:de:fim:leika:leistung:{leika}")
    );
    assert_eq!(svc["submissionSchemas"][0]["mimeType"], "application/json");
    let schema_uri = svc["submissionSchemas"][0]["schemaUri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(params["submissionSchemas"], svc["submissionSchemas"]);
    let kid = d["encryptionKid"].as_str().unwrap();
    let key = get(
        app,
        &format!("/fitconnect/v1/destinations/{dest_id}/keys/{kid}"),
        None,
    )
    .await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.body);
    let jwk = key.json();
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RSA-OAEP-256");
    assert_eq!(jwk["key_ops"], json!(["wrapKey"]));
    assert_eq!(jwk["kid"], kid);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk["n"].as_str().unwrap())
            .unwrap()
            .len(),
        512,
        "4096-bit modulus"
    );
    assert_eq!(params["publicKeys"]["keys"][0], jwk);
    (dest_id, jwk, schema_uri)
}

pub async fn announce(
    app: &Router,
    token: &str,
    dest: &str,
    leika: &str,
    attachments: &[&str],
    idem: Option<&str>,
) -> Resp {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": attachments,
        "serviceType": {"name": "Antrag", "identifier": format!("urn:de:fim:leika:leistung:{leika}")},
    });
    let extra: Vec<(&str, &str)> = idem
        .map(|k| vec![("idempotency-key", k)])
        .unwrap_or_default();
    call(
        app,
        Method::POST,
        "/fitconnect/v1/submissions",
        Some(token),
        &extra,
        Some(("application/json", body.to_string())),
    )
    .await
}

pub async fn put_attachment(app: &Router, token: &str, sub: &str, att: &str, jwe: String) -> Resp {
    call(
        app,
        Method::PUT,
        &format!("/fitconnect/v1/submissions/{sub}/attachments/{att}"),
        Some(token),
        &[],
        Some(("application/jose", jwe)),
    )
    .await
}

pub async fn submit(app: &Router, token: &str, sub: &str, meta: &str, data: &str) -> Resp {
    call(
        app,
        Method::PUT,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(token),
        &[],
        Some((
            "application/json",
            json!({"encryptedMetadata": meta, "encryptedData": data}).to_string(),
        )),
    )
    .await
}

/// Verifies every SET of the case with the published JWKS (PS512 through
/// jsonwebtoken/ring, independent of the server's OpenSSL) and returns the claims.
pub async fn verified_events(app: &Router, token: &str, case: &str) -> Vec<Value> {
    let r = get(
        app,
        &format!("/fitconnect/v1/cases/{case}/events"),
        Some(token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = r.json();
    let log = page["eventLog"].as_array().unwrap().clone();
    assert_eq!(page["count"], log.len());
    assert_eq!(page["totalCount"], log.len());
    assert_eq!(page["offset"], 0);
    let jwks = get(app, "/fitconnect/.well-known/jwks.json", None)
        .await
        .json();
    let k = &jwks["keys"][0];
    assert_eq!(k["alg"], "PS512");
    let dk = jsonwebtoken::DecodingKey::from_rsa_components(
        k["n"].as_str().unwrap(),
        k["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS512);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    log.iter()
        .map(|set| {
            let set = set.as_str().unwrap();
            let h = jsonwebtoken::decode_header(set).unwrap();
            assert_eq!(h.alg, jsonwebtoken::Algorithm::PS512);
            assert_eq!(h.typ.as_deref(), Some("secevent+jwt"));
            assert_eq!(h.kid.as_deref(), k["kid"].as_str());
            let c = jsonwebtoken::decode::<Value>(set, &dk, &v).unwrap().claims;
            assert_eq!(c["txn"], format!("case:{case}"));
            assert_eq!(c["iss"], BASE);
            assert!(c["iat"].as_i64().unwrap() > 1_700_000_000);
            assert_eq!(c["jti"].as_str().unwrap().len(), 36);
            c
        })
        .collect()
}

pub fn event_type(claims: &Value) -> String {
    let events = claims["events"].as_object().unwrap();
    assert_eq!(events.len(), 1);
    events
        .keys()
        .next()
        .unwrap()
        .strip_prefix("https://schema.fitko.de/fit-connect/events/")
        .unwrap()
        .to_string()
}

/// Submits `data` (with `meta` built by the caller) and returns the status and problems.
pub async fn submit_and_problems(
    app: &Router,
    token: &str,
    dest: &str,
    jwk: &Value,
    attachments: &[(&str, &[u8])],
    meta_jwe: String,
    data_jwe: String,
) -> (String, Vec<Value>) {
    let ids: Vec<&str> = attachments.iter().map(|(id, _)| *id).collect();
    let a = announce(app, token, dest, HUND, &ids, None).await.json();
    let sub = a["submissionId"].as_str().unwrap();
    let case = a["caseId"].as_str().unwrap();
    for (id, bytes) in attachments {
        let r = put_attachment(
            app,
            token,
            sub,
            id,
            encrypt_for(jwk, bytes, "application/pdf"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let r = submit(app, token, sub, &meta_jwe, &data_jwe).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let status = r.json()["status"].as_str().unwrap().to_string();
    let events = verified_events(app, token, case).await;
    let problems = events
        .last()
        .and_then(|c| {
            c["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"]
                .as_array()
                .cloned()
        })
        .unwrap_or_default();
    (status, problems)
}

pub fn problem_names(p: &[Value]) -> Vec<String> {
    p.iter()
        .map(|x| {
            x["type"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Announces with a body of the caller's making (e.g. with `disclosedAttributes`).
pub async fn announce_body(app: &Router, token: &str, body: &Value) -> Resp {
    call(
        app,
        Method::POST,
        "/fitconnect/v1/submissions",
        Some(token),
        &[],
        Some(("application/json", body.to_string())),
    )
    .await
}

/// A valid Hundesteuer submission naming `disclosed`, announced and
/// submitted; returns `(submissionId, caseId, status)`.
pub async fn submit_good_hund(
    app: &Router,
    token: &str,
    dest: &str,
    jwk: &Value,
    schema_uri: &str,
    disclosed: &[&str],
) -> (String, String, String) {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
        "disclosedAttributes": disclosed,
    });
    let a = announce_body(app, token, &body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = a.json();
    let sub = a["submissionId"].as_str().unwrap().to_string();
    let case = a["caseId"].as_str().unwrap().to_string();
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = serde_json::to_vec(&metadata(schema_uri, &data, &[])).unwrap();
    let r = submit(
        app,
        token,
        &sub,
        &encrypt_for(jwk, &meta, "application/json"),
        &encrypt_for(jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let status = r.json()["status"].as_str().unwrap().to_string();
    (sub, case, status)
}

/// Routes `leika` to Hilden, announces, uploads `attachments`
/// `(id, bytes, mime, filename)` and hands in `data` as `token`'s citizen.
/// Returns `(submissionId, caseId)`; the submission is `submitted`.
pub async fn submit_form(
    app: &Router,
    token: &str,
    leika: &str,
    data: &Value,
    attachments: &[(&str, &[u8], &str, &str)],
) -> (String, String) {
    let (dest, jwk, schema_uri) = discover(app, leika, HILDEN).await;
    let ids: Vec<&str> = attachments.iter().map(|a| a.0).collect();
    let a = announce(app, token, &dest, leika, &ids, None).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let sub = a.json()["submissionId"].as_str().unwrap().to_string();
    let case = a.json()["caseId"].as_str().unwrap().to_string();
    let data = serde_json::to_vec(data).unwrap();
    let meta = serde_json::to_vec(&metadata(&schema_uri, &data, attachments)).unwrap();
    for (id, bytes, mime, _) in attachments {
        let r = put_attachment(app, token, &sub, id, encrypt_for(&jwk, bytes, mime)).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    let done = submit(
        app,
        token,
        &sub,
        &encrypt_for(&jwk, &meta, "application/json"),
        &encrypt_for(&jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.body);
    assert_eq!(done.json()["status"], "submitted", "{}", done.body);
    (sub, case)
}

/// A whole Hundesteuer application (two dogs, one Sachkundenachweis PDF),
/// handed in as `token`'s citizen.
pub async fn submit_hundesteuer(app: &Router, token: &str) -> (String, String) {
    submit_form(
        app,
        token,
        HUND,
        &hund_data(true),
        &[(ATT1, PDF, "application/pdf", "sachkunde.pdf")],
    )
    .await
}

/// A Führungszeugnis for private purposes (Level-4 form, no attachment).
pub fn fz_data() -> Value {
    json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        "F60000229": "1964-08-12",
        "F60000230": "Berlin",
        "F60000231": "deutsch",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"},
        "F99600001": "Führungszeugnis",
        "F99600003": "Private Zwecke",
    })
}
