//! The stand-in IdP's SAML 2.0 side (issue #20) end to end: metadata, a
//! signed AuthnRequest of a test SP (Redirect and POST binding), the same
//! login pages as with OIDC, the signed (and encrypted) Response with the
//! AKDB TrustLevels, the refusals, cancel and single logout. Signatures are
//! checked with xmlsec through samael, as an SP would.

mod support;
use support::{csrf_of, enc, form_body};

use axum::{
    body::Body,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use backends::{AppState, Config};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::BodyExt;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use samael::crypto::{CertificateDer, Crypto, CryptoProvider, ReduceMode};
use std::io::Write;
use tower::ServiceExt;

const IDP: &str = "http://127.0.0.1:8080/idp/saml/metadata";
const SSO: &str = "http://127.0.0.1:8080/idp/saml/sso";
const SLO: &str = "http://127.0.0.1:8080/idp/saml/slo";
const ACS: &str = "https://sp.example/saml/acs";
const SP_SLO: &str = "https://sp.example/saml/slo";
const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// A test SP (sample data): its key, certificate and metadata.
struct TestSp {
    entity: String,
    key: PKey<Private>,
    cert: X509,
    enc_key: Option<PKey<Private>>,
}

fn key_and_cert(cn: &str) -> (PKey<Private>, X509) {
    let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = openssl::x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(openssl::asn1::Asn1Time::days_from_now(0).unwrap().as_ref())
        .unwrap();
    b.set_not_after(openssl::asn1::Asn1Time::days_from_now(30).unwrap().as_ref())
        .unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    (key, b.build())
}

impl TestSp {
    fn new(entity: &str, encrypted: bool) -> Self {
        let (key, cert) = key_and_cert("test sp");
        Self {
            entity: entity.to_string(),
            key,
            cert,
            enc_key: encrypted.then(|| key_and_cert("test sp enc").0),
        }
    }

    fn metadata(&self) -> String {
        let b64 = |c: &X509| STANDARD.encode(c.to_der().unwrap());
        let enc = match &self.enc_key {
            Some(k) => {
                // A certificate for the encryption key.
                let mut name = openssl::x509::X509NameBuilder::new().unwrap();
                name.append_entry_by_text("CN", "enc").unwrap();
                let name = name.build();
                let mut b = openssl::x509::X509Builder::new().unwrap();
                b.set_version(2).unwrap();
                b.set_subject_name(&name).unwrap();
                b.set_issuer_name(&name).unwrap();
                b.set_pubkey(k).unwrap();
                b.set_not_before(openssl::asn1::Asn1Time::days_from_now(0).unwrap().as_ref())
                    .unwrap();
                b.set_not_after(openssl::asn1::Asn1Time::days_from_now(30).unwrap().as_ref())
                    .unwrap();
                b.sign(k, openssl::hash::MessageDigest::sha256()).unwrap();
                format!(
                    "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                    b64(&b.build())
                )
            }
            None => String::new(),
        };
        format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\">\
<md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{enc}\
<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{SP_SLO}\"/>\
<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{ACS}\" index=\"0\"/>\
</md:SPSSODescriptor></md:EntityDescriptor>",
            self.entity,
            b64(&self.cert)
        )
    }
}

fn open(dir: &std::path::Path, sps: &[&TestSp]) -> Router {
    let config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    let state = AppState::open(config).unwrap();
    let app = backends::app(state.clone()).unwrap();
    for sp in sps {
        backends::idp::saml::register_sp(&state, &sp.metadata()).unwrap();
    }
    app
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
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

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Resp {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
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

fn instant(offset: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(now + offset, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// An AuthnRequest of `sp` (unsigned XML), with the AKDB extension.
fn authn_request(sp: &TestSp, id: &str, level: &str, acs: &str, signature: &str) -> String {
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{SSO}\" AssertionConsumerServiceURL=\"{acs}\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">\
<saml:Issuer>{}</saml:Issuer>{signature}\
<samlp:Extensions><akdb:AuthenticationRequest xmlns:akdb=\"https://www.akdb.de/request/2018/09\" Version=\"2\">\
<akdb:AuthnMethods><akdb:Benutzername><akdb:Enabled>true</akdb:Enabled></akdb:Benutzername><akdb:Elster><akdb:Enabled>true</akdb:Enabled></akdb:Elster><akdb:eID><akdb:Enabled>true</akdb:Enabled></akdb:eID></akdb:AuthnMethods>\
<akdb:RequestedAttributes><akdb:RequestedAttribute Name=\"urn:oid:2.5.4.42\" RequiredAttribute=\"true\"/><akdb:RequestedAttribute Name=\"urn:oid:2.5.4.4\" RequiredAttribute=\"true\"/><akdb:RequestedAttribute Name=\"urn:oid:1.2.40.0.10.2.1.1.55\" RequiredAttribute=\"false\"/></akdb:RequestedAttributes>\
<akdb:DisplayInformation><akdb:OrganizationDisplayName>Testdienst (sample data)</akdb:OrganizationDisplayName></akdb:DisplayInformation>\
</akdb:AuthenticationRequest></samlp:Extensions>\
<samlp:RequestedAuthnContext Comparison=\"minimum\"><saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>\
</samlp:AuthnRequest>",
        instant(0),
        sp.entity
    )
}

fn deflate_b64(xml: &str) -> String {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(xml.as_bytes()).unwrap();
    STANDARD.encode(e.finish().unwrap())
}

/// The Redirect binding's URL for `xml`, signed with `key` (samael's
/// `sign_url`: rsa-sha256 over the query string).
fn redirect_url(endpoint: &str, path: &str, xml: &str, key: Option<&PKey<Private>>) -> String {
    let mut url = url::Url::parse(endpoint).unwrap();
    url.query_pairs_mut()
        .append_pair("SAMLRequest", &deflate_b64(xml))
        .append_pair("RelayState", "rs-1");
    if let Some(key) = key {
        url = samael::crypto::sign_url(url, key).unwrap();
    }
    format!("{path}?{}", url.query().unwrap())
}

/// The POST binding's form value: the request signed enveloped with `key`
/// by xmlsec (samael's `sign_xml`).
fn post_value(sp: &TestSp, id: &str, level: &str, key: &PKey<Private>) -> String {
    let template = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"
    );
    let xml = authn_request(sp, id, level, ACS, &template);
    let der = key.rsa().unwrap().private_key_to_der().unwrap();
    let signed = Crypto::sign_xml(xml.as_str(), &der).unwrap();
    STANDARD.encode(signed)
}

/// The IdP's signing certificate, from its metadata (which must parse).
async fn idp_cert(app: &Router) -> Vec<u8> {
    let r = get(app, "/idp/saml/metadata", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let md: samael::metadata::EntityDescriptor = r.body.parse().expect("metadata parses");
    assert_eq!(md.entity_id.as_deref(), Some(IDP));
    let idp = &md.idp_sso_descriptors.as_ref().unwrap()[0];
    let sso: Vec<_> = idp
        .single_sign_on_services
        .iter()
        .map(|s| (s.binding.as_str(), s.location.as_str()))
        .collect();
    assert!(sso.contains(&("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", SSO)));
    assert!(sso.contains(&("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", SSO)));
    assert_eq!(idp.single_logout_services[0].location, SLO);
    assert!(idp
        .name_id_formats
        .iter()
        .any(|f| f.contains("nameid-format:transient")));
    let b64 = idp.key_descriptors[0]
        .key_info
        .x509_data
        .as_ref()
        .unwrap()
        .certificates[0]
        .clone();
    let der = STANDARD
        .decode(
            b64.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
        )
        .unwrap();
    let cert = X509::from_der(&der).unwrap();
    assert!(cert.public_key().unwrap().bits() >= 3072);
    der
}

/// A started login: page path and cookie.
async fn begin(app: &Router, uri: &str) -> (String, String) {
    let r = get(app, uri, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(path.starts_with("/idp/login/"), "{path}");
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    (path, set.split(';').next().unwrap().to_string())
}

/// The SAMLResponse (decoded XML) and RelayState of an auto-submit page.
fn posted(r: &Resp, target: &str) -> (String, Option<String>) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("action=\"{target}\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<script src=\"/idp/saml/autopost.js\""));
    let value = |name: &str| {
        let key = format!("name=\"{name}\" value=\"");
        let start = r.body.find(&key)? + key.len();
        let end = r.body[start..].find('"')? + start;
        Some(
            r.body[start..end]
                .replace("&quot;", "\"")
                .replace("&amp;", "&"),
        )
    };
    let xml = String::from_utf8(STANDARD.decode(value("SAMLResponse").unwrap()).unwrap()).unwrap();
    (xml, value("RelayState"))
}

/// Verifies with xmlsec (all signatures, against the IdP's certificate)
/// and returns only the signed content.
fn verify(xml: &str, cert: &[u8]) -> String {
    Crypto::reduce_xml_to_signed(
        xml,
        &[CertificateDer::from(cert.to_vec())],
        ReduceMode::ValidateAndMarkNoAncestors,
    )
    .unwrap_or_else(|e| panic!("{e}: {xml}"))
}

fn element<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    ns: &str,
    name: &str,
) -> roxmltree::Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name((ns, name)))
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The assertion element's own text, cut out of the response.
fn assertion_text(xml: &str) -> String {
    let start = xml.find("<saml:Assertion").expect("an assertion");
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    xml[start..end].to_string()
}

/// Attributes by name: (value, akdb:TrustLevel).
fn attributes(assertion: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(assertion).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name((NS_SAML, "Attribute")))
        .map(|a| {
            assert_eq!(
                a.attribute("NameFormat"),
                Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
            );
            let name = a.attribute("FriendlyName").unwrap().to_string();
            assert_eq!(a.attribute("Name"), contract::saml::oid_of(&name));
            let trust = a
                .attribute(("https://www.akdb.de/request/2018/09", "TrustLevel"))
                .unwrap()
                .to_string();
            let value = a
                .descendants()
                .find(|v| v.has_tag_name((NS_SAML, "AttributeValue")))
                .unwrap()
                .text()
                .unwrap_or("")
                .to_string();
            (name, value, trust)
        })
        .collect()
}

fn check_assertion(assertion: &str, cert: &[u8], sp: &TestSp, request_id: &str, level: &str) {
    // The assertion's own signature verifies on its own.
    let signed = verify(assertion, cert);
    let doc = roxmltree::Document::parse(&signed).unwrap();
    assert!(doc.root_element().has_tag_name((NS_SAML, "Assertion")));
    let conf = element(&doc, NS_SAML, "SubjectConfirmationData");
    assert_eq!(conf.attribute("Recipient"), Some(ACS));
    assert_eq!(conf.attribute("InResponseTo"), Some(request_id));
    assert_eq!(
        element(&doc, NS_SAML, "Audience").text(),
        Some(sp.entity.as_str())
    );
    assert_eq!(
        element(&doc, NS_SAML, "AuthnContextClassRef").text(),
        Some(level)
    );
    let name_id = element(&doc, NS_SAML, "NameID");
    assert!(name_id.attribute("Format").unwrap().ends_with(":transient"));
    let cond = element(&doc, NS_SAML, "Conditions");
    let nb = chrono::DateTime::parse_from_rfc3339(cond.attribute("NotBefore").unwrap()).unwrap();
    let na = chrono::DateTime::parse_from_rfc3339(cond.attribute("NotOnOrAfter").unwrap()).unwrap();
    assert_eq!((na - nb).num_seconds(), 300);
    assert!(element(&doc, NS_SAML, "AuthnStatement")
        .attribute("SessionIndex")
        .is_some());
}

fn check_response(xml: &str, cert: &[u8], request_id: &str) -> String {
    let signed = verify(xml, cert);
    let doc = roxmltree::Document::parse(&signed).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((NS_SAMLP, "Response")), "{signed}");
    assert_eq!(root.attribute("InResponseTo"), Some(request_id));
    assert_eq!(root.attribute("Destination"), Some(ACS));
    assert_eq!(element(&doc, NS_SAML, "Issuer").text(), Some(IDP));
    element(&doc, NS_SAMLP, "StatusCode")
        .attribute("Value")
        .unwrap()
        .to_string()
}

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

/// Every refusal is an error page: status 400, no login, no cookie.
async fn refused(app: &Router, uri: &str, why: &str) {
    let r = get(app, uri, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
    assert!(r.headers.get(header::LOCATION).is_none(), "{why}");
    assert!(r.headers.get(header::SET_COOKIE).is_none(), "{why}");
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
    let _ = enc("");
}
