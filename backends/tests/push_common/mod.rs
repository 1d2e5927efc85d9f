//! Helpers of `tests/push.rs`: key pairs, a user agent's subscription
//! keys, messages made by the `web-push` crate, VAPID headers, requests
//! from a given peer.
#![allow(dead_code)]

use crate::support::fitconnect::{send, Resp};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use serde_json::{json, Value};
use std::net::SocketAddr;

pub type Headers = Vec<(String, String)>;
pub type Body8 = Vec<u8>;
pub type Pairs<'a> = [(&'a str, String)];

/// The test config's public origin: the endpoints' origin, VAPID's `aud`.
pub const ORIGIN: &str = "http://127.0.0.1:8080";
pub const LOOPBACK: &str = "127.0.0.1:50000";

/// A P-256 key pair: private scalar, uncompressed public point, PKCS#8.
pub struct Keys {
    pub d: Vec<u8>,
    pub public: Vec<u8>,
    pub pkcs8: Vec<u8>,
}

pub fn keys() -> Keys {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let k: EcKey<Private> = EcKey::generate(&g).unwrap();
    let mut ctx = BigNumContext::new().unwrap();
    let public = k
        .public_key()
        .to_bytes(&g, PointConversionForm::UNCOMPRESSED, &mut ctx)
        .unwrap();
    let d = k.private_key().to_vec_padded(32).unwrap();
    let pkcs8 = PKey::from_ec_key(k)
        .unwrap()
        .private_key_to_pkcs8()
        .unwrap();
    Keys { d, public, pkcs8 }
}

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A request from `peer` (None: a server without peer addresses).
pub async fn from(
    app: &Router,
    peer: Option<&str>,
    method: Method,
    uri: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    let mut req = b.body(Body::from(body)).unwrap();
    if let Some(p) = peer {
        req.extensions_mut()
            .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
    }
    send(app, req).await
}

pub async fn local(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Resp {
    from(app, Some(LOOPBACK), method, uri, headers, body).await
}

/// A subscription for `vapid`'s public key: (id, endpoint).
pub async fn subscribe(app: &Router, vapid: &Keys) -> (String, String) {
    let r = local(
        app,
        Method::POST,
        "/push/v1/subscriptions",
        &[("content-type", "application/json".into())],
        json!({"applicationServerKey": b64(&vapid.public)})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_string();
    let endpoint = v["endpoint"].as_str().unwrap().to_string();
    assert_eq!(endpoint, format!("{ORIGIN}/push/v1/send/{id}"));
    (id, endpoint)
}

/// The user agent's side of a subscription: its key pair and auth secret.
pub struct Agent {
    pub keys: Keys,
    pub auth: [u8; 16],
}

pub fn agent() -> Agent {
    let mut auth = [0u8; 16];
    openssl::rand::rand_bytes(&mut auth).unwrap();
    Agent { keys: keys(), auth }
}

/// What `web-push` sends for `plaintext`: headers and body. The `aud`
/// claim is set explicitly: web-push 0.11 derives it without the port.
pub fn web_push(
    endpoint: &str,
    ua: &Agent,
    vapid: &Keys,
    plaintext: &[u8],
) -> (Vec<(String, String)>, Vec<u8>) {
    let info =
        web_push::SubscriptionInfo::new(endpoint.to_string(), b64(&ua.keys.public), b64(&ua.auth));
    let mut sig = web_push::VapidSignatureBuilder::from_base64(&b64(&vapid.d), &info).unwrap();
    sig.add_claim("aud", ORIGIN);
    sig.add_claim("sub", "mailto:betrieb@buergeramt.example");
    let mut m = web_push::WebPushMessageBuilder::new(&info);
    m.set_payload(web_push::ContentEncoding::Aes128Gcm, plaintext);
    m.set_vapid_signature(sig.build().unwrap());
    m.set_ttl(3600);
    m.set_urgency(web_push::Urgency::High);
    let req = web_push::request_builder::build_request::<Vec<u8>>(m.build().unwrap());
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    (headers, req.into_body())
}

pub fn path_of(endpoint: &str) -> String {
    endpoint.strip_prefix(ORIGIN).unwrap().to_string()
}

pub async fn post_message(
    app: &Router,
    endpoint: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Resp {
    let h: Vec<(&str, String)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    local(app, Method::POST, &path_of(endpoint), &h, body).await
}

pub fn with(
    headers: &[(String, String)],
    name: &str,
    value: Option<String>,
) -> Vec<(String, String)> {
    let mut h: Vec<_> = headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    if let Some(v) = value {
        h.push((name.to_string(), v));
    }
    h
}

/// `vapid t=<JWT>, k=<key>` with the given claims, signed by `signer`.
pub fn vapid_header(signer: &Keys, k: &[u8], claims: Value) -> String {
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_der(&signer.pkcs8),
    )
    .unwrap();
    format!("vapid t={t}, k={}", b64(k))
}
