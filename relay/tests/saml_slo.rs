//! Single logout started at the IdP (issue #20): the test IdP of
//! `saml_idp` sends a LogoutRequest by the HTTP-Redirect binding (its
//! query signed with its key) to `GET /api/v1/saml/slo`. A good one ends
//! the relay's sessions of that name id and is answered with the relay's
//! signed LogoutResponse; a refused one ends nothing and gets a 400.

#[allow(dead_code)]
mod saml_idp;
mod support;

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use openssl::pkey::{PKey, Private};
use reqwest::StatusCode;
use saml_idp::*;
use support::*;

/// A relay in SAML mode with the test IdP's metadata (signing key, SLO).
async fn saml_relay(idp: &Idp) -> Relay {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let file = dir.join("idp-metadata.xml");
    std::fs::write(&file, idp_metadata(idp, true)).expect("metadata file");
    relay_with(move |c| {
        c.identity_kind = relay::saml::IdentityKind::Saml;
        c.saml.idp_metadata = Some(relay::saml::config::IdpMetadataSource::File(file));
    })
    .await
}

fn inflate(b64: &str) -> String {
    let deflated = STANDARD.decode(b64).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

fn attr_of(xml: &str, name: &str) -> String {
    xml.split(&format!(r#" {name}=""#))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// A login through the ACS with `name_id`; the session cookie.
async fn login(b: &mut Browser, relay: &Relay, idp: &Idp, name_id: &str) -> String {
    let r = b
        .get(&format!(
            "{}/api/v1/login?level=STORK-QAA-Level-1&return=/",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = url::Url::parse(&r.location()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let id = attr_of(&inflate(&q["SAMLRequest"]), "ID");
    let k = Case::new(relay, &id, "STORK-QAA-Level-1");
    let xml = response(idp, &k, &assertion_named(idp, &k, BPK2, "Erika", name_id));
    let form = STANDARD.encode(xml);
    let r = b
        .send(
            reqwest::Method::POST,
            &format!("{}/api/v1/saml/acs", relay.url),
            &[("origin", "http://127.0.0.1:9")],
            Some(&[("SAMLResponse", form.as_str())]),
        )
        .await;
    assert_eq!(r.location(), "/api/v1/saml/done", "{}", r.body);
    let r = b.get(&format!("{}/api/v1/saml/done", relay.url)).await;
    assert_eq!(r.location(), "/");
    assert!(logged_in(b, relay).await);
    b.cookie(&relay.url, SESSION_COOKIE)
        .expect("session cookie")
}

async fn logged_in(b: &mut Browser, relay: &Relay) -> bool {
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    s["loggedIn"] == true
}

/// What one LogoutRequest of the IdP says.
#[derive(Clone)]
struct Lr {
    id: String,
    issuer: String,
    destination: String,
    issued: i64,
    name_id: String,
    session_index: Option<String>,
    relay_state: Option<String>,
}

impl Lr {
    fn new(relay: &Relay, name_id: &str) -> Self {
        Lr {
            id: format!("_lr{}", rand_hex()),
            issuer: IDP_ENTITY.into(),
            destination: format!("{}/api/v1/saml/slo", relay.url),
            issued: now(),
            name_id: name_id.into(),
            session_index: Some("_s1".into()),
            relay_state: Some("rs-4711 ä/&=".into()),
        }
    }

    fn xml(&self) -> String {
        let index = self
            .session_index
            .as_ref()
            .map(|s| format!("<samlp:SessionIndex>{s}</samlp:SessionIndex>"))
            .unwrap_or_default();
        format!(
            r#"<samlp:LogoutRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{iss}" Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer><saml:NameID Format="{tr}">{name}</saml:NameID>{index}</samlp:LogoutRequest>"#,
            samlp = c::NS_SAMLP,
            saml = c::NS_SAML,
            id = self.id,
            iss = t(self.issued),
            dest = self.destination,
            issuer = self.issuer,
            tr = c::NAMEID_TRANSIENT,
            name = self.name_id,
        )
    }

    /// The relay's SLO URL with this request, its query signed by `key`
    /// (or unsigned).
    fn url(&self, relay: &Relay, key: Option<&PKey<Private>>) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(self.xml().as_bytes()).unwrap();
        let mut query = format!("SAMLRequest={}", enc(&STANDARD.encode(z.finish().unwrap())));
        if let Some(rs) = &self.relay_state {
            query.push_str(&format!("&RelayState={}", enc(rs)));
        }
        if let Some(key) = key {
            query.push_str(&format!("&SigAlg={}", enc(c::ALG_RSA_SHA256)));
            let mut s =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key).unwrap();
            s.update(query.as_bytes()).unwrap();
            let sig = s.sign_to_vec().unwrap();
            query.push_str(&format!("&Signature={}", enc(&STANDARD.encode(sig))));
        }
        format!("{}/api/v1/saml/slo?{query}", relay.url)
    }
}

/// The relay's signing certificate's public key, from its metadata.
async fn sp_signing_key(relay: &Relay) -> PKey<openssl::pkey::Public> {
    let m = Browser::new()
        .get(&format!("{}/api/v1/saml/metadata", relay.url))
        .await
        .body;
    let b64 = m
        .split(r#"use="signing""#)
        .nth(1)
        .and_then(|p| p.split("<ds:X509Certificate>").nth(1))
        .and_then(|p| p.split('<').next())
        .unwrap();
    let cert = openssl::x509::X509::from_der(&STANDARD.decode(b64).unwrap()).unwrap();
    cert.public_key().unwrap()
}

/// Checks the relay's answer: a redirect to the IdP's SLO with a
/// LogoutResponse signed by the relay, success, in response to `lr`, and
/// its RelayState.
async fn answered(relay: &Relay, r: &Resp, lr: &Lr) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    let (endpoint, query) = loc.split_once('?').unwrap();
    assert_eq!(endpoint, SLO);
    let (signed, _) = query.split_once("&Signature=").unwrap();
    assert!(signed.starts_with("SAMLResponse="), "{signed}");
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("SigAlg").as_deref(), Some(c::ALG_RSA_SHA256));
    assert_eq!(param("RelayState"), lr.relay_state);
    let sig = STANDARD.decode(param("Signature").unwrap()).unwrap();
    let key = sp_signing_key(relay).await;
    let mut v = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    v.update(signed.as_bytes()).unwrap();
    assert!(
        v.verify(&sig).unwrap(),
        "the LogoutResponse's query signature"
    );
    let xml = inflate(&param("SAMLResponse").unwrap());
    assert!(xml.starts_with("<samlp:LogoutResponse"), "{xml}");
    assert_eq!(attr_of(&xml, "InResponseTo"), lr.id);
    assert_eq!(attr_of(&xml, "Destination"), SLO);
    assert!(
        xml.contains(&format!(
            "<saml:Issuer>{}/api/v1/saml/metadata</saml:Issuer>",
            relay.url
        )),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            r#"<samlp:StatusCode Value="{}"/>"#,
            c::STATUS_SUCCESS
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn a_logout_at_the_idp_ends_the_sessions_of_that_name_id() {
    let idp = idp();
    let relay = saml_relay(&idp).await;
    let name = format!("_nErika{}", rand_hex());
    // Two logins of the same BundID login (two browsers), one of another.
    let mut b = Browser::new();
    let cookie = login(&mut b, &relay, &idp, &name).await;
    let mut second = Browser::new();
    login(&mut second, &relay, &idp, &name).await;
    let mut other = Browser::new();
    login(&mut other, &relay, &idp, &format!("_nMax{}", rand_hex())).await;

    // Another session index of the same name id ends nothing, and is
    // answered all the same.
    let mut lr = Lr::new(&relay, &name);
    lr.session_index = Some("_s-other".into());
    let r = b.get(&lr.url(&relay, Some(&idp.key))).await;
    answered(&relay, &r, &lr).await;
    assert!(logged_in(&mut b, &relay).await);

    // The IdP's request for that name id and session index.
    let lr = Lr::new(&relay, &name);
    let r = b.get(&lr.url(&relay, Some(&idp.key))).await;
    answered(&relay, &r, &lr).await;
    // This browser's cookie is cleared, and the session is gone: the old
    // cookie no longer logs in either.
    assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), None);
    assert!(!logged_in(&mut b, &relay).await);
    b.set_cookie(&relay.url, SESSION_COOKIE, &cookie);
    assert!(!logged_in(&mut b, &relay).await);
    // So is the other browser's of the same login; someone else's stays.
    assert!(!logged_in(&mut second, &relay).await);
    assert!(logged_in(&mut other, &relay).await);

    // Without a SessionIndex (and without RelayState): every session of
    // the name id.
    let mut b = Browser::new();
    login(&mut b, &relay, &idp, &name).await;
    let mut lr = Lr::new(&relay, &name);
    lr.session_index = None;
    lr.relay_state = None;
    let r = Browser::new().get(&lr.url(&relay, Some(&idp.key))).await;
    answered(&relay, &r, &lr).await;
    assert!(!logged_in(&mut b, &relay).await);
    assert!(logged_in(&mut other, &relay).await);
}

/// A refused request: 400, a plain page, no LogoutResponse.
fn refused(r: &Resp) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.headers.get("location").is_none());
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    assert!(r.body.contains("BundID"), "{}", r.body);
}

#[tokio::test]
async fn refused_logout_requests_end_nothing() {
    let idp = idp();
    let relay = saml_relay(&idp).await;
    let name = format!("_nErika{}", rand_hex());
    let mut b = Browser::new();
    let cookie = login(&mut b, &relay, &idp, &name).await;
    let stranger = saml_idp::idp();

    let mut cases: Vec<(&str, String)> = vec![
        ("unsigned", Lr::new(&relay, &name).url(&relay, None)),
        (
            "signed by another key",
            Lr::new(&relay, &name).url(&relay, Some(&stranger.key)),
        ),
    ];
    let mut lr = Lr::new(&relay, &name);
    lr.issuer = "https://other-idp.example/saml".into();
    cases.push(("another Issuer", lr.url(&relay, Some(&idp.key))));
    let mut lr = Lr::new(&relay, &name);
    lr.destination = "https://other-sp.example/slo".into();
    cases.push(("another Destination", lr.url(&relay, Some(&idp.key))));
    let mut lr = Lr::new(&relay, &name);
    lr.issued = now() - 600;
    cases.push(("too old", lr.url(&relay, Some(&idp.key))));
    let mut lr = Lr::new(&relay, &name);
    lr.issued = now() + 600;
    cases.push(("from the future", lr.url(&relay, Some(&idp.key))));
    // The RelayState changed after signing.
    let good = Lr::new(&relay, &name).url(&relay, Some(&idp.key));
    cases.push((
        "RelayState changed",
        good.replace("RelayState=rs-4711", "RelayState=rs-4712"),
    ));
    // Not XML.
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let query = format!(
        "SAMLRequest={}&SigAlg={}",
        enc(&STANDARD.encode(b"not deflated XML")),
        enc(c::ALG_RSA_SHA256)
    );
    let mut s =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &idp.key).unwrap();
    s.update(query.as_bytes()).unwrap();
    let sig = enc(&STANDARD.encode(s.sign_to_vec().unwrap()));
    cases.push((
        "unparseable",
        format!("{}/api/v1/saml/slo?{query}&Signature={sig}", relay.url),
    ));

    for (what, url) in cases {
        let r = b.get(&url).await;
        refused(&r);
        assert!(
            logged_in(&mut b, &relay).await,
            "{what}: the session survives"
        );
        assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), Some(cookie.clone()));
    }

    // A replay: the same request a second time, after a new login of the
    // same name id, ends nothing.
    let lr = Lr::new(&relay, &name);
    let url = lr.url(&relay, Some(&idp.key));
    answered(&relay, &Browser::new().get(&url).await, &lr).await;
    assert!(!logged_in(&mut b, &relay).await);
    let mut b = Browser::new();
    login(&mut b, &relay, &idp, &name).await;
    refused(&Browser::new().get(&url).await);
    assert!(
        logged_in(&mut b, &relay).await,
        "replay: the session survives"
    );
}
