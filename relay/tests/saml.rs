//! The relay as a SAML 2.0 service provider (issue #20), against a test IdP
//! made here: its key and certificate, its metadata in a file, and
//! responses built and signed (xmlsec through samael) by the test. Each
//! check of the ACS has its own refusal test; a refusal logs nobody in and
//! sends the browser back with `anmeldung=<outcome>`.

mod saml_idp;
mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use openssl::pkey::PKey;
use reqwest::StatusCode;
use saml_idp::*;
use std::io::Read;
use support::*;

/// A relay in SAML mode with the test IdP's metadata (with or without its
/// signing key).
async fn saml_relay(idp: &Idp, with_key: bool) -> Relay {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let file = dir.join("idp-metadata.xml");
    std::fs::write(&file, idp_metadata(idp, with_key)).expect("metadata file");
    relay_with(move |c| {
        c.identity_kind = relay::saml::IdentityKind::Saml;
        c.saml.idp_metadata = Some(relay::saml::config::IdpMetadataSource::File(file));
    })
    .await
}

/// Starts a login; the AuthnRequest's id (and checks of the request).
async fn start(b: &mut Browser, relay: &Relay, level: &str, ret: &str) -> String {
    let r = b
        .get(&format!(
            "{}/api/v1/login?level={level}&return={ret}",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(SSO), "{loc}");
    let url = url::Url::parse(&loc).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let deflated = STANDARD.decode(&q["SAMLRequest"]).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains(&format!(
            r#"<saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef>"#
        )),
        "{xml}"
    );
    assert!(xml.contains(r#"Comparison="minimum""#));
    assert!(
        xml.contains(r#"<akdb:AuthenticationRequest Version="2">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<akdb:RequestedAttribute Name="urn:oid:1.3.6.1.4.1.25484.494450.3" RequiredAttribute="true"/>"#));
    assert!(xml.contains("<akdb:OrganizationDisplayName>"));
    assert_eq!(q["SigAlg"], c::ALG_RSA_SHA256);
    let id = xml
        .split(r#" ID=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    id
}

/// Posts a response to the ACS and, if it sends the browser on, follows it.
/// The path the browser ends on.
async fn post(b: &mut Browser, relay: &Relay, xml: &str) -> String {
    let form = STANDARD.encode(xml);
    let r = b
        .send(
            reqwest::Method::POST,
            &format!("{}/api/v1/saml/acs", relay.url),
            &[("origin", "http://127.0.0.1:9")],
            Some(&[("SAMLResponse", form.as_str())]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    if loc == "/api/v1/saml/done" {
        let r = b.get(&format!("{}{loc}", relay.url)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        return r.location();
    }
    loc
}

async fn session(b: &mut Browser, relay: &Relay) -> serde_json::Value {
    b.get(&format!("{}/api/v1/session", relay.url)).await.json()
}

async fn refused(b: &mut Browser, relay: &Relay, landed: &str, outcome: &str) {
    assert!(landed.contains(&format!("anmeldung={outcome}")), "{landed}");
    assert_eq!(
        session(b, relay).await["loggedIn"],
        false,
        "nobody logged in"
    );
    assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), None);
}

#[tokio::test]
async fn a_signed_response_logs_in_with_attributes_and_their_trust() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    // The SP metadata BundID's onboarding asks for.
    let mut b = Browser::new();
    let m = b.get(&format!("{}/api/v1/saml/metadata", relay.url)).await;
    assert_eq!(m.status, StatusCode::OK);
    for needle in [
        r#"AuthnRequestsSigned="true""#,
        r#"WantAssertionsSigned="true""#,
        r#"use="signing""#,
        r#"use="encryption""#,
        "/api/v1/saml/acs",
        "/api/v1/saml/slo",
        "urn:oid:1.3.6.1.4.1.25484.494450.3",
    ] {
        assert!(m.body.contains(needle), "{needle}");
    }
    // The AuthnRequest's query is signed with the metadata's signing key.
    let r = b
        .get(&format!(
            "{}/api/v1/login?level=STORK-QAA-Level-3&return=/",
            relay.url
        ))
        .await;
    let loc = r.location();
    let query = loc.split_once('?').unwrap().1;
    let (signed, sig) = query.split_once("&Signature=").unwrap();
    let sig: String = url::form_urlencoded::parse(format!("s={sig}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let cert_b64 = m
        .body
        .split(r#"use="signing""#)
        .nth(1)
        .and_then(|p| p.split("<ds:X509Certificate>").nth(1))
        .and_then(|p| p.split('<').next())
        .unwrap();
    let cert = openssl::x509::X509::from_der(&STANDARD.decode(cert_b64).unwrap()).unwrap();
    let key = cert.public_key().unwrap();
    let mut v = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    v.update(signed.as_bytes()).unwrap();
    assert!(
        v.verify(&STANDARD.decode(sig).unwrap()).unwrap(),
        "request signature"
    );
    let id = start(&mut b, &relay, "STORK-QAA-Level-3", "/antrag/7").await;
    let k = Case::new(&relay, &id, "STORK-QAA-Level-3");
    let landed = post(&mut b, &relay, &signed_response(&idp, &k)).await;
    assert_eq!(landed, "/antrag/7");
    let s = session(&mut b, &relay).await;
    assert_eq!(s["loggedIn"], true, "{s}");
    assert_eq!(s["level"], "STORK-QAA-Level-3");
    assert_eq!(s["method"], "elster");
    let attrs = s["attributes"].as_array().unwrap();
    let given = attrs.iter().find(|a| a["name"] == "givenName").unwrap();
    assert_eq!(given["value"], "Erika");
    assert_eq!(given["trust"], "verified");
    let mail = attrs.iter().find(|a| a["name"] == "mail").unwrap();
    assert_eq!(mail["trust"], "self-declared");
    // The pseudonym is the subject and, as with OIDC, an attribute that
    // BundID itself issues (verified, from the account).
    let bpk = attrs.iter().find(|a| a["name"] == "bPK2").unwrap();
    assert_eq!(bpk["trust"], "verified");
    assert_eq!(bpk["source"], "account");

    // Step-up: a new AuthnRequest at the higher level, a new session.
    let first = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    let id = start(&mut b, &relay, "STORK-QAA-Level-4", "/antrag/7").await;
    let k = Case::new(&relay, &id, "STORK-QAA-Level-4");
    assert_eq!(
        post(&mut b, &relay, &signed_response(&idp, &k)).await,
        "/antrag/7"
    );
    let s = session(&mut b, &relay).await;
    assert_eq!(s["level"], "STORK-QAA-Level-4");
    assert_ne!(b.cookie(&relay.url, SESSION_COOKIE).unwrap(), first);

    // Single logout from the app: its logout answers where the browser
    // goes next, the IdP's SLO with a signed LogoutRequest.
    let r = b
        .api(
            reqwest::Method::POST,
            &format!("{}/api/v1/logout", relay.url),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let out = r.json();
    assert_eq!(out["ended"], 1);
    let next = out["continueAt"].as_str().unwrap_or_default().to_string();
    assert!(next.starts_with(SLO), "{out}");
    assert!(
        next.contains("SAMLRequest=") && next.contains("Signature="),
        "{next}"
    );
    assert_eq!(session(&mut b, &relay).await["loggedIn"], false);
}

/// The SP's encryption certificate from its metadata.
async fn sp_encryption_key(relay: &Relay) -> PKey<openssl::pkey::Public> {
    let mut b = Browser::new();
    let m = b
        .get(&format!("{}/api/v1/saml/metadata", relay.url))
        .await
        .body;
    let part = m.split(r#"use="encryption""#).nth(1).unwrap();
    let b64 = part
        .split("<ds:X509Certificate>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap();
    let cert = openssl::x509::X509::from_der(&STANDARD.decode(b64).unwrap()).unwrap();
    cert.public_key().unwrap()
}

#[tokio::test]
async fn an_encrypted_assertion_works_with_oaep_and_gcm_only() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    let sp = sp_encryption_key(&relay).await;
    let mut b = Browser::new();
    let id = start(&mut b, &relay, "STORK-QAA-Level-4", "/").await;
    let k = Case::new(&relay, &id, "STORK-QAA-Level-4");
    let inner = encrypt(
        &assertion(&idp, &k, BPK2, "Erika"),
        &sp,
        c::ALG_RSA_OAEP_MGF1P,
        c::ALG_AES256_GCM,
    );
    assert_eq!(post(&mut b, &relay, &response(&idp, &k, &inner)).await, "/");
    let s = session(&mut b, &relay).await;
    assert_eq!(s["loggedIn"], true, "{s}");
    assert_eq!(s["method"], "eid");

    for (key_alg, data_alg) in [
        (
            "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
            c::ALG_AES256_GCM,
        ),
        (
            c::ALG_RSA_OAEP_MGF1P,
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        ),
    ] {
        let mut b = Browser::new();
        let id = start(&mut b, &relay, "STORK-QAA-Level-4", "/").await;
        let k = Case::new(&relay, &id, "STORK-QAA-Level-4");
        let inner = encrypt(&assertion(&idp, &k, BPK2, "Erika"), &sp, key_alg, data_alg);
        let landed = post(&mut b, &relay, &response(&idp, &k, &inner)).await;
        refused(&mut b, &relay, &landed, "abgelehnt").await;
    }
}

/// Runs one refusal case: a login at `level`, the response `build` makes.
async fn refusal(
    relay: &Relay,
    level: &'static str,
    outcome: &str,
    build: impl FnOnce(Case) -> String,
) {
    let mut b = Browser::new();
    let id = start(&mut b, relay, level, "/antrag/1").await;
    let landed = post(&mut b, relay, &build(Case::new(relay, &id, level))).await;
    assert!(
        landed.starts_with("/antrag/1?") || landed.starts_with("/?"),
        "{landed}"
    );
    refused(&mut b, relay, &landed, outcome).await;
}

const L1: &str = "STORK-QAA-Level-1";

#[tokio::test]
async fn an_unsigned_response_is_refused() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.sign_response = false;
        k.sign_assertion = false;
        signed_response(&idp, &k)
    })
    .await;
    // A signed assertion in an unsigned response is not enough either.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.sign_response = false;
        signed_response(&idp, &k)
    })
    .await;
    // Nor a signed response around an assertion not signed itself.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.sign_assertion = false;
        signed_response(&idp, &k)
    })
    .await;
}

#[tokio::test]
async fn signature_wrapping_is_refused() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    for evil_first in [false, true] {
        refusal(&relay, L1, "abgelehnt", |k| {
            let good = signed_response(&idp, &k);
            let mut evil_case = k.clone();
            evil_case.sign_assertion = false;
            evil_case.assertion_id = format!("_evil{}", rand_hex());
            let evil = assertion(&idp, &evil_case, "sample-bpk2-mallory", "Mallory");
            // Next to the signed one inside the signed response.
            let at = if evil_first {
                good.find("<saml:Assertion").unwrap()
            } else {
                good.find("</samlp:Response>").unwrap()
            };
            format!("{}{evil}{}", &good[..at], &good[at..])
        })
        .await;
        // The signed assertion moved into an unsigned response next to an
        // evil one.
        refusal(&relay, L1, "abgelehnt", |mut k| {
            let signed = assertion(&idp, &k, BPK2, "Erika");
            let mut evil_case = k.clone();
            evil_case.sign_assertion = false;
            evil_case.assertion_id = format!("_evil{}", rand_hex());
            let evil = assertion(&idp, &evil_case, "sample-bpk2-mallory", "Mallory");
            k.sign_response = false;
            let both = if evil_first {
                format!("{evil}{signed}")
            } else {
                format!("{signed}{evil}")
            };
            response(&idp, &k, &both)
        })
        .await;
    }
    // One assertion whose content changed after it was signed: its
    // signature no longer covers what would be read (response unsigned,
    // then signed by the IdP around the changed assertion).
    for sign_response in [false, true] {
        refusal(&relay, L1, "abgelehnt", |mut k| {
            let changed = assertion(&idp, &k, BPK2, "Erika").replace(BPK2, "sample-bpk2-mallory");
            k.sign_response = sign_response;
            response(&idp, &k, &changed)
        })
        .await;
    }
}

#[tokio::test]
async fn each_condition_has_its_refusal() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    // Wrong audience.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.audience = "https://other-sp.example/metadata".into();
        signed_response(&idp, &k)
    })
    .await;
    // Expired assertion.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        // Issued within the allowed age, but past its NotOnOrAfter (and
        // the skew).
        k.issued = now() - 200;
        k.not_on_or_after = now() - 100;
        signed_response(&idp, &k)
    })
    .await;
    // Wrong Destination.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.destination = "https://other-sp.example/acs".into();
        signed_response(&idp, &k)
    })
    .await;
    // A SubjectConfirmation for someone else's ACS.
    refusal(&relay, L1, "abgelehnt", |mut k| {
        k.recipient = "https://other-sp.example/acs".into();
        signed_response(&idp, &k)
    })
    .await;
    // An achieved level below the requested one.
    refusal(&relay, "STORK-QAA-Level-3", "niveau", |mut k| {
        k.level = L1;
        signed_response(&idp, &k)
    })
    .await;
    // The IdP's refusal (signed), as the OIDC path's `error=access_denied`.
    refusal(&relay, L1, "abgebrochen", |mut k| {
        k.status = Some(c::STATUS_AUTHN_FAILED);
        response(&idp, &k, "")
    })
    .await;
}

#[tokio::test]
async fn requests_never_sent_and_replays_are_refused() {
    let idp = idp();
    let relay = saml_relay(&idp, true).await;
    // An InResponseTo this relay never sent.
    let mut b = Browser::new();
    start(&mut b, &relay, L1, "/").await;
    let k = Case::new(&relay, "_never-sent-0001", L1);
    let landed = post(&mut b, &relay, &signed_response(&idp, &k)).await;
    refused(&mut b, &relay, &landed, "ungueltig").await;

    // A good login, then the same assertion id in answer to a new request.
    let mut b = Browser::new();
    let id = start(&mut b, &relay, L1, "/").await;
    let k = Case::new(&relay, &id, L1);
    let first = signed_response(&idp, &k);
    assert_eq!(post(&mut b, &relay, &first).await, "/");
    assert_eq!(session(&mut b, &relay).await["loggedIn"], true);
    let mut other = Browser::new();
    let id2 = start(&mut other, &relay, L1, "/").await;
    let mut k2 = Case::new(&relay, &id2, L1);
    k2.assertion_id = k.assertion_id.clone();
    let landed = post(&mut other, &relay, &signed_response(&idp, &k2)).await;
    refused(&mut other, &relay, &landed, "abgelehnt").await;
    // The same response again: its request is answered already.
    let mut third = Browser::new();
    start(&mut third, &relay, L1, "/").await;
    let landed = post(&mut third, &relay, &first).await;
    refused(&mut third, &relay, &landed, "ungueltig").await;

    // A response posted without the browser's login cookie (login CSRF)
    // logs nobody in.
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let id = start(&mut attacker, &relay, L1, "/").await;
    let k = Case::new(&relay, &id, L1);
    let landed = post(&mut victim, &relay, &signed_response(&idp, &k)).await;
    refused(&mut victim, &relay, &landed, "ungueltig").await;
}

#[tokio::test]
async fn no_idp_signing_key_means_no_login() {
    let idp = idp();
    let relay = saml_relay(&idp, false).await;
    let mut b = Browser::new();
    let r = b
        .get(&format!(
            "{}/api/v1/login?level={L1}&return=/antrag/1",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/antrag/1?anmeldung=dienst");
    let k = Case::new(&relay, "_any", L1);
    let landed = post(&mut b, &relay, &signed_response(&idp, &k)).await;
    refused(&mut b, &relay, &landed, "dienst").await;
    // Not ready, and says why.
    let r = b.get(&format!("{}/readyz", relay.url)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.json()["identityProvider"], false);
}

#[tokio::test]
async fn oidc_mode_has_no_saml_routes() {
    let relay = relay().await;
    let mut b = Browser::new();
    let r = b.get(&format!("{}/api/v1/saml/metadata", relay.url)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
