//! The FIT-Connect test client shared by the submission tests: a server
//! with pre-made keys, login through /idp, JWEs made the way the browser
//! makes them, the route → announce → upload → submit → events steps as the
//! sender (the Onlinedienst's service token), and the Onlinedienst's
//! attestation (a test key, registered with every server [`open`] opens),
//! which every valid submission carries unless a test leaves it out.

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
use backends::fitconnect::{attestation, forms, keys};
use backends::{AppState, Config};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
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

/// A server on `dir` with the pre-made keys; the authority trusts the test
/// Onlinedienst's attestation key ([`onlinedienst_key`]).
pub fn open(dir: &Path) -> (Router, AppState) {
    open_with(dir, |_| {})
}

/// [`open`] with the configuration changed by `configure` first.
pub fn open_with(dir: &Path, configure: impl FnOnce(&mut Config)) -> (Router, AppState) {
    let (enc, sig) = key_pems();
    std::fs::write(dir.join(keys::ENCRYPTION_KEY_FILE), enc).unwrap();
    std::fs::write(dir.join(keys::SIGNING_KEY_FILE), sig).unwrap();
    let mut config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    configure(&mut config);
    let state = AppState::open(config).unwrap();
    assert_eq!(
        attestation::register(&state, &onlinedienst_key().jwks()),
        1,
        "the test Onlinedienst's key is registered"
    );
    CURRENT.with(|c| *c.borrow_mut() = Some(state.clone()));
    (backends::app(state.clone()).unwrap(), state)
}

// ---- the Onlinedienst's attestation (contract::attestation) ----

/// An attestation signing key of an Onlinedienst: ES256 on P-256.
pub struct AttestationKey {
    /// The private key, PKCS#8 PEM.
    pub pem: Vec<u8>,
    pub kid: String,
    /// The public JWK, as the relay publishes it.
    pub jwk: Value,
}

impl AttestationKey {
    /// A fresh key whose `kid` is its RFC 7638 thumbprint.
    pub fn generate() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .unwrap();
        let b64 = |n: &BigNum| URL_SAFE_NO_PAD.encode(n.to_vec_padded(32).unwrap());
        let (x, y) = (b64(&x), b64(&y));
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": "ES256", "use": "sig",
        });
        let pem = PKey::from_ec_key(ec)
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap();
        AttestationKey { pem, kid, jwk }
    }

    /// `{"keys": [jwk]}`
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// `claims` as a JWS (ES256, `kid`, typ `buergeramt-attestation+jwt`).
    pub fn sign(&self, claims: &Value) -> String {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        h.typ = Some(contract::attestation::TYP.into());
        let key = jsonwebtoken::EncodingKey::from_ec_pem(&self.pem).unwrap();
        jsonwebtoken::encode(&h, claims, &key).unwrap()
    }
}

/// The test Onlinedienst's key: made once per test binary, registered with
/// every server [`open`] opens.
pub fn onlinedienst_key() -> &'static AttestationKey {
    static KEY: OnceLock<AttestationKey> = OnceLock::new();
    KEY.get_or_init(AttestationKey::generate)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The citizen's login as the Onlinedienst attests it.
#[derive(Debug, Clone)]
pub struct Login {
    /// `STORK-QAA-Level-…` of the actual login.
    pub level: String,
    /// `eid`, `elster` or `password`.
    pub method: String,
    pub auth_time: Option<i64>,
    /// `(name, value, source)` verified by the identity provider.
    pub verified: Vec<(String, String, String)>,
}

impl Login {
    /// A Basisregistrierung: username and password, nothing verified.
    pub fn basis() -> Self {
        Login {
            level: "STORK-QAA-Level-1".into(),
            method: "password".into(),
            auth_time: Some(now() - 60),
            verified: Vec::new(),
        }
    }

    /// The Online-Ausweis (Level 4) with these eID-verified attributes.
    pub fn eid(verified: &[(&str, &str)]) -> Self {
        Login {
            level: "STORK-QAA-Level-4".into(),
            method: "eid".into(),
            auth_time: Some(now() - 60),
            verified: verified
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string(), "eid".to_string()))
                .collect(),
        }
    }

    /// The login behind `citizen`'s access token, as the relay attests it
    /// (`relay/src/attestation.rs`): its level, method and time, and the
    /// attributes the identity provider verified that the form of `leika`
    /// takes over (`x-prefill`).
    pub async fn of(app: &Router, citizen: &str, leika: &str) -> Self {
        let r = get(app, "/idp/userinfo", Some(citizen)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let ui = r.json();
        let form = forms::all()
            .unwrap()
            .iter()
            .find(|f| f.leika == leika)
            .unwrap_or_else(|| panic!("no form for {leika}"));
        let mut prefill = Vec::new();
        prefill_names(&form.schema, &mut prefill);
        let verified = ui["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["trust"] == "verified")
            .filter(|a| a["source"] == "eid" || a["source"] == "elster")
            .filter(|a| prefill.iter().any(|p| a["name"] == p.as_str()))
            .map(|a| {
                let s = |k: &str| a[k].as_str().unwrap().to_string();
                (s("name"), s("value"), s("source"))
            })
            .collect();
        Login {
            level: ui["acr"].as_str().unwrap().to_string(),
            method: ui["method"].as_str().unwrap().to_string(),
            auth_time: ui["auth_time"].as_i64(),
            verified,
        }
    }
}

fn prefill_names(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(o) => {
            if let Some(p) = o.get("x-prefill").and_then(Value::as_str) {
                out.push(p.to_string());
            }
            o.values().for_each(|v| prefill_names(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| prefill_names(v, out)),
        _ => {}
    }
}

/// The claims of a valid attestation of `login` for this submission and
/// these data bytes (exactly as encrypted), valid for a day.
pub fn attestation_claims(sub: &str, case: &str, dest: &str, data: &[u8], login: &Login) -> Value {
    let now = now();
    json!({
        "iss": "http://127.0.0.1:8080",
        "aud": dest,
        "iat": now,
        "exp": now + 24 * 3600,
        "submissionId": sub,
        "caseId": case,
        "dataHash": {"type": "sha512", "content": sha512_hex(data)},
        "levelOfAssurance": login.level,
        "authTime": login.auth_time,
        "method": login.method,
        "verifiedAttributes": login.verified.iter().map(|(name, value, source)| json!({
            "name": name, "value": value, "source": source,
        })).collect::<Vec<_>>(),
    })
}

/// A valid attestation, signed with the registered [`onlinedienst_key`].
pub fn attest(sub: &str, case: &str, dest: &str, data: &[u8], login: &Login) -> String {
    onlinedienst_key().sign(&attestation_claims(sub, case, dest, data, login))
}

/// `meta` with `jws` as its only `authenticationInformation`.
pub fn with_attestation(mut meta: Value, jws: &str) -> Value {
    meta["authenticationInformation"] = json!([{
        "type": contract::attestation::REPORT_TYPE,
        "version": contract::attestation::REPORT_VERSION,
        "content": jws,
    }]);
    meta
}

/// What goes into the metadata's `identificationReport`.
pub enum Report {
    /// A valid attestation of this login (what the Onlinedienst sends).
    Valid(Login),
    /// No `authenticationInformation` at all.
    Missing,
    /// Whatever the closure makes of the valid claims of this login (for
    /// negative tests: alter them, sign with another key, …).
    Made(Login, Box<dyn FnOnce(Value) -> String>),
}

/// One submission to hand in with [`hand_in`].
pub struct HandIn<'a> {
    pub dest: &'a str,
    pub jwk: &'a Value,
    pub leika: &'a str,
    /// Announced and uploaded: `(id, bytes, mime)`.
    pub attachments: Vec<(&'a str, &'a [u8], &'a str)>,
    /// The metadata without the attestation (see [`metadata`]).
    pub meta: Value,
    /// The data bytes, exactly as encrypted.
    pub data: &'a [u8],
    /// Sent instead of the JWE of `data` (e.g. a tampered one).
    pub data_jwe: Option<String>,
    pub report: Report,
}

impl<'a> HandIn<'a> {
    /// No attachments, `data` encrypted as it is, a valid attestation of a
    /// Basisregistrierung.
    pub fn new(dest: &'a str, jwk: &'a Value, leika: &'a str, meta: Value, data: &'a [u8]) -> Self {
        HandIn {
            dest,
            jwk,
            leika,
            attachments: Vec::new(),
            meta,
            data,
            data_jwe: None,
            report: Report::Valid(Login::basis()),
        }
    }

    pub fn attachments(mut self, a: &[(&'a str, &'a [u8], &'a str)]) -> Self {
        self.attachments = a.to_vec();
        self
    }

    pub fn data_jwe(mut self, jwe: String) -> Self {
        self.data_jwe = Some(jwe);
        self
    }

    pub fn report(mut self, r: Report) -> Self {
        self.report = r;
        self
    }
}

/// Announces, uploads and submits as the sender (a service token), with
/// the attestation `h.report` put into the metadata for the announced
/// submission. Returns `(submissionId, caseId, the submit's answer)`; the
/// subscriber has not necessarily received it yet ([`receive`]).
pub async fn hand_in(app: &Router, sender: &str, h: HandIn<'_>) -> (String, String, Resp) {
    let ids: Vec<&str> = h.attachments.iter().map(|a| a.0).collect();
    let a = announce(app, sender, h.dest, h.leika, &ids, None).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let sub = a.json()["submissionId"].as_str().unwrap().to_string();
    let case = a.json()["caseId"].as_str().unwrap().to_string();
    for (id, bytes, mime) in &h.attachments {
        let r = put_attachment(app, sender, &sub, id, encrypt_for(h.jwk, bytes, mime)).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    let meta = match h.report {
        Report::Valid(login) => {
            with_attestation(h.meta, &attest(&sub, &case, h.dest, h.data, &login))
        }
        Report::Missing => {
            let mut meta = h.meta;
            if let Some(o) = meta.as_object_mut() {
                o.remove("authenticationInformation");
            }
            meta
        }
        Report::Made(login, make) => {
            let content = make(attestation_claims(&sub, &case, h.dest, h.data, &login));
            with_attestation(h.meta, &content)
        }
    };
    let meta = serde_json::to_vec(&meta).unwrap();
    let data_jwe = h
        .data_jwe
        .unwrap_or_else(|| encrypt_for(h.jwk, h.data, "application/json"));
    let r = submit(
        app,
        sender,
        &sub,
        &encrypt_for(h.jwk, &meta, "application/json"),
        &data_jwe,
    )
    .await;
    (sub, case, r)
}

thread_local! {
    /// The state of the server this test thread opened last (a tokio test
    /// runs its body on its own thread), for [`receive`].
    static CURRENT: std::cell::RefCell<Option<AppState>> = const { std::cell::RefCell::new(None) };
}

/// Runs the authority's subscriber once on the server this test opened:
/// the deterministic stand-in for its background task. After it, every
/// handed-in submission is received (ready or rejected, postbox included).
pub async fn receive() -> backends::fitconnect::subscriber::Received {
    let state = CURRENT
        .with(|c| c.borrow().clone())
        .expect("support::fitconnect::open was called on this thread");
    backends::fitconnect::subscriber::run_once(&state)
        .await
        .unwrap()
}

/// A service token of the Onlinedienst (the sender) for FIT-Connect.
pub async fn sender_token(app: &Router) -> String {
    service_token(app, "fitconnect:send").await
}

/// A service token of the Onlinedienst (the relay's client credentials)
/// for `scope`.
pub async fn service_token(app: &Router, scope: &str) -> String {
    let t = post_form(
        app,
        "/idp/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "buergeramt-onlinedienst"),
            ("client_secret", "dev-sender-secret"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.json()["access_token"].as_str().unwrap().to_string()
}

/// A `fitconnect:send` token of another Onlinedienst, a sender the
/// stand-in does not configure (issued directly into its token table):
/// FIT-Connect keeps each sender's submissions apart.
pub async fn other_sender_token(state: &AppState) -> String {
    state
        .db
        .call(|c| {
            backends::idp::clients::issue_service_token(
                c,
                "anderer-onlinedienst",
                backends::idp::clients::SCOPE_FITCONNECT,
                300,
            )
        })
        .await
        .unwrap()
        .0
}

/// A service token of the sender without `fitconnect:send` (PVOG only).
pub async fn sender_token_without_fitconnect(app: &Router) -> String {
    let t = post_form(
        app,
        "/idp/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "buergeramt-onlinedienst"),
            ("client_secret", "dev-sender-secret"),
            ("scope", "pvog:read"),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.json()["access_token"].as_str().unwrap().to_string()
}

/// The citizen's postbox (`mailboxUuid` of `/idp/userinfo`).
pub async fn mailbox_of(app: &Router, citizen_token: &str) -> String {
    let r = get(app, "/idp/userinfo", Some(citizen_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["mailboxUuid"].as_str().unwrap().to_string()
}

/// `meta` with the citizen's postbox as FIT-Connect reply channel, as the app sends it.
pub fn with_reply_channel(mut meta: Value, mailbox: &str) -> Value {
    meta["replyChannel"] = json!({"idBundMailbox": {"idBundMailboxAddress": mailbox}});
    meta
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

/// Hands `h` in as `sender`, lets the subscriber receive it and returns
/// the status and the problems of the rejection (none if not rejected).
pub async fn submit_and_problems(
    app: &Router,
    sender: &str,
    h: HandIn<'_>,
) -> (String, Vec<Value>) {
    let (sub, case, r) = hand_in(app, sender, h).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // The Zustelldienst answers before anything is decrypted or checked.
    assert_eq!(r.json()["status"], "submitted", "{}", r.body);
    receive().await;
    let status = get(
        app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(sender),
    )
    .await
    .json()["status"]
        .as_str()
        .unwrap()
        .to_string();
    let events = verified_events(app, sender, &case).await;
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

/// Announces with a body of the caller's making.
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

/// A valid Hundesteuer application of `citizen` (no attachment), handed in
/// by the sender with the citizen's postbox as reply channel and the
/// attestation of the citizen's login, and received by the subscriber.
/// Returns `(submissionId, caseId, status answered by the submit)`.
pub async fn submit_good_hund(
    app: &Router,
    citizen: &str,
    dest: &str,
    jwk: &Value,
    schema_uri: &str,
) -> (String, String, String) {
    let mailbox = mailbox_of(app, citizen).await;
    let login = Login::of(app, citizen, HUND).await;
    let sender = sender_token(app).await;
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = with_reply_channel(metadata(schema_uri, &data, &[]), &mailbox);
    let h = HandIn::new(dest, jwk, HUND, meta, &data).report(Report::Valid(login));
    let (sub, case, r) = hand_in(app, &sender, h).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let status = r.json()["status"].as_str().unwrap().to_string();
    receive().await;
    (sub, case, status)
}

/// Routes `leika` to Hilden, announces, uploads `attachments`
/// `(id, bytes, mime, filename)` and hands in `data` for `citizen`, as the
/// Onlinedienst does it: FIT-Connect sees only the sender's service token;
/// the citizen's postbox and the attestation of the citizen's login travel
/// in the encrypted metadata. Returns `(submissionId, caseId)`; the
/// submission is `submitted` and received by the authority's subscriber.
pub async fn submit_form(
    app: &Router,
    citizen: &str,
    leika: &str,
    data: &Value,
    attachments: &[(&str, &[u8], &str, &str)],
) -> (String, String) {
    let login = Login::of(app, citizen, leika).await;
    submit_form_as(app, citizen, leika, data, attachments, Report::Valid(login)).await
}

/// [`submit_form`] with the attestation `report`; the submission is
/// received (ready or rejected).
pub async fn submit_form_as(
    app: &Router,
    citizen: &str,
    leika: &str,
    data: &Value,
    attachments: &[(&str, &[u8], &str, &str)],
    report: Report,
) -> (String, String) {
    let (dest, jwk, schema_uri) = discover(app, leika, HILDEN).await;
    let mailbox = mailbox_of(app, citizen).await;
    let sender = sender_token(app).await;
    let data = serde_json::to_vec(data).unwrap();
    let meta = with_reply_channel(metadata(&schema_uri, &data, attachments), &mailbox);
    let uploads: Vec<(&str, &[u8], &str)> = attachments
        .iter()
        .map(|(id, b, m, _)| (*id, *b, *m))
        .collect();
    let h = HandIn::new(&dest, &jwk, leika, meta, &data)
        .attachments(&uploads)
        .report(report);
    let (sub, case, done) = hand_in(app, &sender, h).await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.body);
    assert_eq!(done.json()["status"], "submitted", "{}", done.body);
    receive().await;
    (sub, case)
}

/// A whole Hundesteuer application (two dogs, one Sachkundenachweis PDF),
/// handed in for `citizen`.
pub async fn submit_hundesteuer(app: &Router, citizen: &str) -> (String, String) {
    submit_form(
        app,
        citizen,
        HUND,
        &hund_data(true),
        &[(ATT1, PDF, "application/pdf", "sachkunde.pdf")],
    )
    .await
}

/// A Führungszeugnis for private purposes (Level-4 form, no attachment),
/// with Erika's data as her Online-Ausweis (`eid-erika`) confirms them.
pub fn fz_data() -> Value {
    json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        "F60000229": "1964-08-12",
        "F60000230": "Berlin",
        // As the Online-Ausweis gives it; the app takes it over, locked.
        "F60000231": "D",
        "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"},
        "F99600001": "Führungszeugnis",
        "F99600003": "Private Zwecke",
    })
}
