//! The stand-in IdP's SAML 2.0 side (issue #20) end to end: metadata, a
//! signed AuthnRequest of a test SP (Redirect and POST binding), the same
//! login pages as with OIDC, the signed (and encrypted) Response with the
//! AKDB TrustLevels, the refusals, cancel and single logout. Signatures are
//! checked with xmlsec through samael, as an SP would.

mod saml_common;
mod support;
use saml_common::*;
use support::csrf_of;

use axum::http::{header, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use samael::crypto::CertificateDer;

#[tokio::test]
async fn password_login_by_redirect_binding_gives_a_signed_response() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    let uri = redirect_url(
        SSO,
        "/idp/saml/sso",
        &authn_request(&sp, "_req1", "STORK-QAA-Level-1", ACS, ""),
        Some(&sp.key),
    );
    let (path, cookie) = begin(&app, &uri).await;
    let page = get(&app, &path, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Benutzername"), "the same login page");
    assert!(page.body.contains(&format!("{path}/saml/cancel")));
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    let (xml, relay) = posted(&r, ACS);
    assert_eq!(relay.as_deref(), Some("rs-1"));
    assert_eq!(
        check_response(&xml, &cert, "_req1"),
        "urn:oasis:names:tc:SAML:2.0:status:Success"
    );
    let assertion = assertion_text(&xml);
    check_assertion(&assertion, &cert, &sp, "_req1", "STORK-QAA-Level-1");
    let attrs = attributes(&assertion);
    let names: Vec<&str> = attrs.iter().map(|(n, _, _)| n.as_str()).collect();
    // Only what was requested, plus bPK2 and mailboxUuid.
    for n in &names {
        assert!(
            ["givenName", "surname", "birthdate", "bPK2", "mailboxUuid"].contains(n),
            "{n} was not requested"
        );
    }
    assert!(names.contains(&"bPK2") && names.contains(&"mailboxUuid"));
    let given = attrs.iter().find(|(n, _, _)| n == "givenName").unwrap();
    assert_eq!(given.1, "Erika");
    assert_eq!(given.2, "STORK-QAA-Level-1", "self-declared");
    // The login transaction is used up.
    let again = post(
        &app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn eid_login_by_post_binding_vouches_level_4_for_card_data() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    let value = post_value(&sp, "_req4", "STORK-QAA-Level-4", &sp.key);
    let r = post(
        &app,
        "/idp/saml/sso",
        None,
        &[("SAMLRequest", &value), ("RelayState", "rs-4")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let cookie = r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // Level-4: no password form, only the eID.
    let page = get(&app, &path, Some(&cookie)).await;
    assert!(!page.body.contains("name=\"password\""));
    let eid = get(&app, &format!("{path}/eid?card=eid-erika"), Some(&cookie)).await;
    let csrf = csrf_of(&eid.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/eid"),
        Some(&cookie),
        &[("csrf", &csrf), ("card", "eid-erika"), ("pin", "123456")],
    )
    .await;
    let (xml, relay) = posted(&r, ACS);
    assert_eq!(relay.as_deref(), Some("rs-4"));
    check_response(&xml, &cert, "_req4");
    let assertion = assertion_text(&xml);
    check_assertion(&assertion, &cert, &sp, "_req4", "STORK-QAA-Level-4");
    let attrs = attributes(&assertion);
    for card in ["givenName", "surname", "birthdate"] {
        let a = attrs
            .iter()
            .find(|(n, _, _)| n == card)
            .unwrap_or_else(|| panic!("{card}"));
        assert_eq!(a.2, "STORK-QAA-Level-4", "{card} from the card");
    }
    let bpk = attrs.iter().find(|(n, _, _)| n == "bPK2").unwrap();
    assert_eq!(bpk.2, "STORK-QAA-Level-4");
}

#[tokio::test]
async fn the_assertion_is_encrypted_for_an_sp_with_an_encryption_cert() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://enc.sp.example/saml/metadata", true);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    let uri = redirect_url(
        SSO,
        "/idp/saml/sso",
        &authn_request(&sp, "_reqE", "STORK-QAA-Level-1", ACS, ""),
        Some(&sp.key),
    );
    let (path, cookie) = begin(&app, &uri).await;
    let page = get(&app, &path, Some(&cookie)).await;
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    let (xml, _) = posted(&r, ACS);
    assert!(!xml.contains("<saml:Assertion"), "no plain assertion");
    assert!(!xml.contains("Mustermann"));
    check_response(&xml, &cert, "_reqE");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let methods: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "EncryptionMethod")
        .filter_map(|n| n.attribute("Algorithm"))
        .collect();
    assert_eq!(
        methods,
        [
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
        ]
    );
    let values: Vec<Vec<u8>> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "CipherValue")
        .map(|n| STANDARD.decode(n.text().unwrap()).unwrap())
        .collect();
    // values[0]: the wrapped key; values[1]: IV ‖ ciphertext ‖ tag.
    let rsa = sp.enc_key.as_ref().unwrap().rsa().unwrap();
    let mut key = vec![0u8; rsa.size() as usize];
    let n = rsa
        .private_decrypt(&values[0], &mut key, openssl::rsa::Padding::PKCS1_OAEP)
        .unwrap();
    assert_eq!(n, 32);
    let data = &values[1];
    let (iv, rest) = data.split_at(12);
    let (ct, tag) = rest.split_at(rest.len() - 16);
    let plain = openssl::symm::decrypt_aead(
        openssl::symm::Cipher::aes_256_gcm(),
        &key[..32],
        Some(iv),
        &[],
        ct,
        tag,
    )
    .unwrap();
    let assertion = String::from_utf8(plain).unwrap();
    check_assertion(&assertion, &cert, &sp, "_reqE", "STORK-QAA-Level-1");
    assert!(attributes(&assertion)
        .iter()
        .any(|(n, v, _)| n == "givenName" && v == "Erika"));
}

#[tokio::test]
async fn bad_requests_are_refused_with_an_error_page() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let stranger = TestSp::new("https://stranger.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let req = |id: &str, level: &str, acs: &str| authn_request(&sp, id, level, acs, "");
    refused(
        &app,
        &redirect_url(
            SSO,
            "/idp/saml/sso",
            &req("_u", "STORK-QAA-Level-1", ACS),
            None,
        ),
        "unsigned",
    )
    .await;
    let (other_key, _) = key_and_cert("other");
    refused(
        &app,
        &redirect_url(
            SSO,
            "/idp/saml/sso",
            &req("_w", "STORK-QAA-Level-1", ACS),
            Some(&other_key),
        ),
        "wrong signature",
    )
    .await;
    // A signature over another request.
    let good = redirect_url(
        SSO,
        "/idp/saml/sso",
        &req("_x1", "STORK-QAA-Level-1", ACS),
        Some(&sp.key),
    );
    let swapped_payload = url::form_urlencoded::byte_serialize(
        deflate_b64(&req("_x2", "STORK-QAA-Level-1", ACS)).as_bytes(),
    )
    .collect::<String>();
    let tampered = good.replacen(
        &good[good.find("SAMLRequest=").unwrap() + 12..good.find("&RelayState").unwrap()],
        &swapped_payload,
        1,
    );
    refused(&app, &tampered, "payload swapped").await;
    refused(
        &app,
        &redirect_url(
            SSO,
            "/idp/saml/sso",
            &authn_request(&stranger, "_s", "STORK-QAA-Level-1", ACS, ""),
            Some(&stranger.key),
        ),
        "unknown issuer",
    )
    .await;
    refused(
        &app,
        &redirect_url(
            SSO,
            "/idp/saml/sso",
            &req("_a", "STORK-QAA-Level-1", "https://evil.example/acs"),
            Some(&sp.key),
        ),
        "foreign ACS",
    )
    .await;
    refused(
        &app,
        &redirect_url(SSO, "/idp/saml/sso", &req("_l", "hoch", ACS), Some(&sp.key)),
        "not a STORK level",
    )
    .await;
    refused(
        &app,
        &redirect_url(
            SSO,
            "/idp/saml/sso",
            &req("_l2", "STORK-QAA-Level-2", ACS),
            Some(&sp.key),
        ),
        "no Level-2",
    )
    .await;
    let elsewhere = req("_d", "STORK-QAA-Level-1", ACS).replace(
        &format!("Destination=\"{SSO}\""),
        "Destination=\"https://other-idp.example/sso\"",
    );
    refused(
        &app,
        &redirect_url(SSO, "/idp/saml/sso", &elsewhere, Some(&sp.key)),
        "another Destination",
    )
    .await;
    let fresh = req("_o", "STORK-QAA-Level-1", ACS);
    let at = fresh.find("IssueInstant=\"").unwrap() + "IssueInstant=\"".len();
    let end = at + fresh[at..].find('"').unwrap();
    let old = format!("{}{}{}", &fresh[..at], instant(-3600), &fresh[end..]);
    refused(
        &app,
        &redirect_url(SSO, "/idp/saml/sso", &old, Some(&sp.key)),
        "an hour old",
    )
    .await;
    let exact = req("_e", "STORK-QAA-Level-1", ACS).replace("minimum", "exact");
    refused(
        &app,
        &redirect_url(SSO, "/idp/saml/sso", &exact, Some(&sp.key)),
        "Comparison exact",
    )
    .await;
    // Replay: the same signed request twice.
    let once = redirect_url(
        SSO,
        "/idp/saml/sso",
        &req("_r", "STORK-QAA-Level-1", ACS),
        Some(&sp.key),
    );
    begin(&app, &once).await;
    refused(&app, &once, "replayed request id").await;
    // POST binding: unsigned and signed by another key.
    let plain = STANDARD.encode(req("_pu", "STORK-QAA-Level-1", ACS));
    let r = post(&app, "/idp/saml/sso", None, &[("SAMLRequest", &plain)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "unsigned POST");
    let forged = post_value(&sp, "_pw", "STORK-QAA-Level-1", &other_key);
    let r = post(&app, "/idp/saml/sso", None, &[("SAMLRequest", &forged)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "wrongly signed POST");
    assert!(r.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn cancel_answers_authn_failed_and_slo_a_signed_logout_response() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    // Cancel.
    let uri = redirect_url(
        SSO,
        "/idp/saml/sso",
        &authn_request(&sp, "_c", "STORK-QAA-Level-3", ACS, ""),
        Some(&sp.key),
    );
    let (path, cookie) = begin(&app, &uri).await;
    let page = get(&app, &path, Some(&cookie)).await;
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/saml/cancel"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    let (xml, _) = posted(&r, ACS);
    assert_eq!(
        check_response(&xml, &cert, "_c"),
        "urn:oasis:names:tc:SAML:2.0:status:Responder"
    );
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"));
    assert!(!xml.contains("Assertion"));
    // A login, then its single logout.
    let uri = redirect_url(
        SSO,
        "/idp/saml/sso",
        &authn_request(&sp, "_l", "STORK-QAA-Level-1", ACS, ""),
        Some(&sp.key),
    );
    let (path, cookie) = begin(&app, &uri).await;
    let page = get(&app, &path, Some(&cookie)).await;
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    let (xml, _) = posted(&r, ACS);
    let assertion = assertion_text(&xml);
    let doc = roxmltree::Document::parse(&assertion).unwrap();
    let name_id = element(&doc, NS_SAML, "NameID").text().unwrap().to_string();
    let index = element(&doc, NS_SAML, "AuthnStatement")
        .attribute("SessionIndex")
        .unwrap()
        .to_string();
    let logout = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"_lo1\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{SLO}\"><saml:Issuer>{}</saml:Issuer><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\">{name_id}</saml:NameID><samlp:SessionIndex>{index}</samlp:SessionIndex></samlp:LogoutRequest>",
        instant(0),
        sp.entity
    );
    let unsigned = redirect_url(SLO, "/idp/saml/slo", &logout, None);
    refused(&app, &unsigned, "unsigned logout").await;
    let signed = redirect_url(SLO, "/idp/saml/slo", &logout, Some(&sp.key));
    // The SP's SingleLogoutService has the Redirect binding: the answer is
    // a 303 with the IdP's query signature over SAMLResponse, RelayState
    // and SigAlg.
    let r = get(&app, &signed, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{SP_SLO}?SAMLResponse=")),
        "{location}"
    );
    let url = url::Url::parse(&location).unwrap();
    let verifier =
        samael::crypto::UrlVerifier::from_x509(&CertificateDer::from(cert.clone())).unwrap();
    assert!(
        verifier.verify_signed_response_url(&url).unwrap(),
        "query signature"
    );
    let mut forged = url.clone();
    forged.set_query(Some(
        &url.query()
            .unwrap()
            .replace("RelayState=rs-1", "RelayState=rs-2"),
    ));
    assert!(!verifier
        .verify_signed_response_url(&forged)
        .unwrap_or(false));
    let pairs: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs["RelayState"], "rs-1");
    let deflated = STANDARD.decode(&pairs["SAMLResponse"]).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::DeflateDecoder::new(&deflated[..]),
        &mut xml,
    )
    .unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(doc
        .root_element()
        .has_tag_name((NS_SAMLP, "LogoutResponse")));
    assert_eq!(doc.root_element().attribute("InResponseTo"), Some("_lo1"));
    assert_eq!(doc.root_element().attribute("Destination"), Some(SP_SLO));
    assert!(xml.contains("status:Success"));
    refused(&app, &signed, "replayed logout").await;
}

#[tokio::test]
async fn a_login_way_the_sp_switched_off_is_answered_with_authn_failed() {
    let dir = tempfile::tempdir().unwrap();
    let sp = TestSp::new("https://sp.example/saml/metadata", false);
    let app = open(dir.path(), &[&sp]);
    let cert = idp_cert(&app).await;
    let xml = authn_request(&sp, "_m", "STORK-QAA-Level-1", ACS, "").replace(
        "<akdb:Benutzername><akdb:Enabled>true</akdb:Enabled></akdb:Benutzername>",
        "<akdb:Benutzername><akdb:Enabled>false</akdb:Enabled></akdb:Benutzername>",
    );
    assert!(xml.contains("<akdb:Enabled>false</akdb:Enabled></akdb:Benutzername>"));
    let (path, cookie) = begin(
        &app,
        &redirect_url(SSO, "/idp/saml/sso", &xml, Some(&sp.key)),
    )
    .await;
    let page = get(&app, &path, Some(&cookie)).await;
    let csrf = csrf_of(&page.body).unwrap();
    let r = post(
        &app,
        &format!("{path}/password"),
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("username", "erika"),
            ("password", "Mustermann-2026"),
        ],
    )
    .await;
    let (xml, _) = posted(&r, ACS);
    assert_eq!(
        check_response(&xml, &cert, "_m"),
        "urn:oasis:names:tc:SAML:2.0:status:Responder"
    );
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"));
    assert!(!xml.contains("Assertion"), "no assertion, no attributes");
}
