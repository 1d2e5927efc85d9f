//! Single logout started at the stand-in IdP (issue #20): the citizen logs
//! out at `/idp/saml/abmelden`, the IdP sends the browser through a signed
//! LogoutRequest to each SP of the browser's sessions, takes their signed
//! LogoutResponses at `/idp/saml/slo` and ends with its own page; an SP's
//! LogoutRequest reaches the browser's other SPs the same way.

mod support;
use support::csrf_of;

#[path = "saml_common/mod.rs"]
mod saml_common;
use saml_common::*;

use axum::http::{header, StatusCode};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::pkey::{PKey, Private};
use samael::crypto::CertificateDer;
use std::collections::HashMap;

const SSO_COOKIE: &str = "idp_saml_sso";
const CSRF_COOKIE: &str = "idp_saml_abmelden";
const DONE: &str = "Sie sind bei der BundID abgemeldet.";
const SP2_SLO: &str = "https://sp2.example/saml/slo";

/// The value of the cookie `name` that `r` sets (`""` when it clears it).
fn set_cookie(r: &Resp, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| {
            let pair = c.split(';').next().unwrap();
            pair[name.len() + 1..].to_string()
        })
}

fn cookie_attrs(r: &Resp, name: &str) -> String {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap()
        .to_string()
}

/// A login at `sp` by password (with the browser's SSO cookie, if any):
/// the NameID, the SessionIndex and the new SSO cookie value.
async fn login(
    app: &Router,
    sp: &TestSp,
    acs: &str,
    req: &str,
    sso: Option<&str>,
) -> (String, String, String) {
    let uri = redirect_url(
        SSO,
        "/idp/saml/sso",
        &authn_request(sp, req, "STORK-QAA-Level-1", acs, ""),
        Some(&sp.key),
    );
    let (path, tx_cookie) = begin(app, &uri).await;
    let cookie = match sso {
        Some(s) => format!("{tx_cookie}; {SSO_COOKIE}={s}"),
        None => tx_cookie,
    };
    let page = get(app, &path, Some(&cookie)).await;
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    let (xml, _) = posted(&r, acs);
    let attrs = cookie_attrs(&r, SSO_COOKIE);
    for a in ["HttpOnly", "SameSite=Lax", "Path=/idp"] {
        assert!(attrs.contains(a), "{attrs}");
    }
    let sso = set_cookie(&r, SSO_COOKIE).unwrap();
    assert_eq!(sso.len(), 43);
    let assertion = assertion_text(&xml);
    let doc = roxmltree::Document::parse(&assertion).unwrap();
    let name_id = element(&doc, NS_SAML, "NameID").text().unwrap().to_string();
    let index = element(&doc, NS_SAML, "AuthnStatement")
        .attribute("SessionIndex")
        .unwrap()
        .to_string();
    (name_id, index, sso)
}

/// The logout page: its status text and a CSRF value with its cookie.
async fn logout_page(app: &Router, sso: Option<&str>) -> (String, String) {
    let cookie = sso.map(|s| format!("{SSO_COOKIE}={s}"));
    let r = get(app, "/idp/saml/abmelden", cookie.as_deref()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("action=\"/idp/saml/abmelden\""),
        "{}",
        r.body
    );
    assert!(r.body.contains(">Bei der BundID abmelden<"), "{}", r.body);
    let csrf = csrf_of(&r.body).unwrap();
    assert_eq!(set_cookie(&r, CSRF_COOKIE).as_deref(), Some(csrf.as_str()));
    (r.body, csrf)
}

async fn press_logout(app: &Router, sso: &str, csrf: &str) -> Resp {
    post(
        app,
        "/idp/saml/abmelden",
        Some(&format!("{SSO_COOKIE}={sso}; {CSRF_COOKIE}={csrf}")),
        &[("csrf", csrf)],
    )
    .await
}

/// A redirect's message, checked against the IdP's query signature: the
/// XML (inflated) and the query pairs.
fn redirected(
    r: &Resp,
    target: &str,
    param: &str,
    cert: &[u8],
) -> (String, HashMap<String, String>) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.headers[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{target}?{param}=")),
        "{location}"
    );
    let url = url::Url::parse(location).unwrap();
    let verifier =
        samael::crypto::UrlVerifier::from_x509(&CertificateDer::from(cert.to_vec())).unwrap();
    let ok = if param == "SAMLRequest" {
        verifier.verify_signed_request_url(&url)
    } else {
        verifier.verify_signed_response_url(&url)
    };
    assert!(ok.unwrap(), "the IdP's query signature: {location}");
    let pairs: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs["SigAlg"],
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    );
    let deflated = STANDARD.decode(&pairs[param]).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::DeflateDecoder::new(&deflated[..]),
        &mut xml,
    )
    .unwrap();
    (xml, pairs)
}

/// Checks the IdP's LogoutRequest to an SP; returns its ID.
fn check_logout_request(xml: &str, destination: &str, name_id: &str, index: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((NS_SAMLP, "LogoutRequest")), "{xml}");
    assert_eq!(root.attribute("Version"), Some("2.0"));
    assert_eq!(root.attribute("Destination"), Some(destination));
    assert!(root.attribute("IssueInstant").is_some());
    assert_eq!(element(&doc, NS_SAML, "Issuer").text(), Some(IDP));
    let names: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_SAML, "NameID")))
        .collect();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0].text(), Some(name_id));
    assert_eq!(element(&doc, NS_SAMLP, "SessionIndex").text(), Some(index));
    root.attribute("ID").unwrap().to_string()
}

/// An SP's LogoutResponse to the IdP's SLO, by the Redirect binding.
fn logout_response(sp: &TestSp, in_response_to: &str, status: &str) -> String {
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"_r{}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{SLO}\" InResponseTo=\"{in_response_to}\"><saml:Issuer>{}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:{status}\"/></samlp:Status></samlp:LogoutResponse>",
        in_response_to.len(),
        instant(0),
        sp.entity
    )
}

fn response_url(xml: &str, relay: &str, key: Option<&PKey<Private>>) -> String {
    let mut url = url::Url::parse(SLO).unwrap();
    url.query_pairs_mut()
        .append_pair("SAMLResponse", &deflate_b64(xml))
        .append_pair("RelayState", relay);
    if let Some(key) = key {
        url = samael::crypto::sign_url(url, key).unwrap();
    }
    format!("/idp/saml/slo?{}", url.query().unwrap())
}

/// The stand-in with these SPs' metadata registered.
fn open_with(dir: &std::path::Path, metadata: &[String]) -> Router {
    let config = backends::Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    let state = backends::AppState::open(config).unwrap();
    let app = backends::app(state.clone()).unwrap();
    for md in metadata {
        backends::idp::saml::register_sp(&state, md).unwrap();
    }
    app
}

#[tokio::test]
async fn logout_at_the_idp_tells_the_sp_and_ends_the_idp_session() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    let (name_id, index, sso) = login(&app, &sp, ACS, "_l1", None).await;

    let (page, csrf) = logout_page(&app, Some(&sso)).await;
    assert!(page.contains("bei 1 Dienst(en) angemeldet"), "{page}");
    // The form counts only with its CSRF cookie and the same value.
    let cookie = format!("{SSO_COOKIE}={sso}");
    let r = post(
        &app,
        "/idp/saml/abmelden",
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF cookie");
    let r = post(
        &app,
        "/idp/saml/abmelden",
        Some(&format!("{cookie}; {CSRF_COOKIE}={csrf}")),
        &[("csrf", "another-value")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another CSRF value");
    let (still, _) = logout_page(&app, Some(&sso)).await;
    assert!(still.contains("bei 1 Dienst(en) angemeldet"), "{still}");

    // The logout: a LogoutRequest to the SP, signed by the IdP.
    let r = press_logout(&app, &sso, &csrf).await;
    assert_eq!(set_cookie(&r, SSO_COOKIE).as_deref(), Some(""), "cleared");
    let (xml, pairs) = redirected(&r, SP_SLO, "SAMLRequest", &cert);
    let request_id = check_logout_request(&xml, SP_SLO, &name_id, &index);
    let relay = pairs["RelayState"].clone();
    assert!(!relay.is_empty() && relay.len() <= 80);

    // Forged answers move nothing on.
    let answer = logout_response(&sp, &request_id, "Success");
    for (uri, what, why) in [
        (
            response_url(&answer, &relay, None),
            "unsigned",
            "nicht signiert",
        ),
        (
            response_url(&answer, &relay, Some(&key_and_cert("other").0)),
            "another key",
            "Signatur der Anfrage ist ungültig",
        ),
        (
            response_url(
                &logout_response(&sp, "_not-ours", "Success"),
                &relay,
                Some(&sp.key),
            ),
            "another InResponseTo",
            "keiner laufenden Abmeldung",
        ),
        (
            response_url(
                &answer.replace(
                    &format!("Destination=\"{SLO}\""),
                    "Destination=\"https://x/\"",
                ),
                &relay,
                Some(&sp.key),
            ),
            "another Destination",
            "andere Adresse",
        ),
    ] {
        let r = get(&app, &uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
        assert!(r.body.contains(why), "{what}: {}", r.body);
        assert!(!r.body.contains(DONE), "{what}");
        assert!(r.headers.get(header::LOCATION).is_none(), "{what}");
    }

    // The SP's signed answer: the end page.
    let signed = response_url(&answer, &relay, Some(&sp.key));
    let r = get(&app, &signed, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(DONE), "{}", r.body);
    assert!(
        r.body.contains("Abmeldung bestätigt: 1 von 1"),
        "{}",
        r.body
    );
    let again = get(&app, &signed, None).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "an answer counts once"
    );

    // The IdP's session is gone: a second logout has nothing to do.
    let (page, csrf) = logout_page(&app, Some(&sso)).await;
    assert!(
        page.contains("keine Anmeldung bei der BundID aktiv"),
        "{page}"
    );
    let r = press_logout(&app, &sso, &csrf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(DONE));
    assert!(r.body.contains("Es war keine Anmeldung"), "{}", r.body);
}

#[tokio::test]
async fn an_sps_logout_request_reaches_the_browsers_other_sps_first() {
    let dir = tempfile::tempdir().unwrap();
    let sp1 = TestSp::new("https://sp.example/saml/metadata", false);
    let sp2 = TestSp::new("https://sp2.example/saml/metadata", false);
    // sp2 has a SingleLogoutService of its own.
    let app = open_with(
        dir.path(),
        &[sp1.metadata(), sp2.metadata().replace(SP_SLO, SP2_SLO)],
    );
    let cert = idp_cert(&app).await;

    let (name1, index1, first) = login(&app, &sp1, ACS, "_a1", None).await;
    let (name2, index2, sso) = login(&app, &sp2, ACS, "_a2", Some(&first)).await;
    assert_ne!(first, sso, "every login makes a new cookie value");
    let (page, _) = logout_page(&app, Some(&first)).await;
    assert!(
        page.contains("keine Anmeldung"),
        "the old value holds nothing"
    );
    let (page, _) = logout_page(&app, Some(&sso)).await;
    assert!(page.contains("bei 2 Dienst(en) angemeldet"), "{page}");

    // sp1's own logout, from this browser.
    let logout = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"_sp1lo\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{SLO}\"><saml:Issuer>{}</saml:Issuer><saml:NameID>{name1}</saml:NameID><samlp:SessionIndex>{index1}</samlp:SessionIndex></samlp:LogoutRequest>",
        instant(0),
        sp1.entity
    );
    let uri = redirect_url(SLO, "/idp/saml/slo", &logout, Some(&sp1.key));
    let r = get(&app, &uri, Some(&format!("{SSO_COOKIE}={sso}"))).await;
    assert_eq!(set_cookie(&r, SSO_COOKIE).as_deref(), Some(""), "cleared");
    // First sp2 hears of it…
    let (xml, pairs) = redirected(&r, SP2_SLO, "SAMLRequest", &cert);
    let id2 = check_logout_request(&xml, SP2_SLO, &name2, &index2);
    let answer = logout_response(&sp2, &id2, "Success");
    let r = get(
        &app,
        &response_url(&answer, &pairs["RelayState"], Some(&sp2.key)),
        None,
    )
    .await;
    // …then sp1 gets its LogoutResponse, with its RelayState.
    let (xml, pairs) = redirected(&r, SP_SLO, "SAMLResponse", &cert);
    assert_eq!(pairs["RelayState"], "rs-1");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(doc
        .root_element()
        .has_tag_name((NS_SAMLP, "LogoutResponse")));
    assert_eq!(doc.root_element().attribute("InResponseTo"), Some("_sp1lo"));
    assert!(xml.contains("status:Success"));
    let (page, _) = logout_page(&app, Some(&sso)).await;
    assert!(page.contains("keine Anmeldung"), "{page}");
}

#[tokio::test]
async fn an_sp_without_a_redirect_slo_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://post.sp.example/saml/metadata", false);
    let app = open_with(
        dir.path(),
        &[sp.metadata().replace(
            "bindings:HTTP-Redirect\" Location",
            "bindings:HTTP-POST\" Location",
        )],
    );
    let (_, _, sso) = login(&app, &sp, ACS, "_p1", None).await;
    let (_, csrf) = logout_page(&app, Some(&sso)).await;
    let r = press_logout(&app, &sso, &csrf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(DONE));
    assert!(
        r.body.contains("Abmeldung bestätigt: 0 von 1"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Bitte melden Sie sich dort selbst ab"));
    let (page, _) = logout_page(&app, Some(&sso)).await;
    assert!(page.contains("keine Anmeldung"), "{page}");
}
