//! Helpers of the SAML IdP tests (`saml_idp.rs`): a test SP (sample data)
//! with its keys and metadata, AuthnRequests in both bindings, and the
//! checks of what the IdP answers (xmlsec through samael).
#![allow(dead_code)]

use super::support::form_body;

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

pub const IDP: &str = "http://127.0.0.1:8080/idp/saml/metadata";
pub const SSO: &str = "http://127.0.0.1:8080/idp/saml/sso";
pub const SLO: &str = "http://127.0.0.1:8080/idp/saml/slo";
pub const ACS: &str = "https://sp.example/saml/acs";
pub const SP_SLO: &str = "https://sp.example/saml/slo";
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// A test SP (sample data): its key, certificate and metadata.
pub struct TestSp {
    pub entity: String,
    pub key: PKey<Private>,
    pub cert: X509,
    pub enc_key: Option<PKey<Private>>,
}

pub fn key_and_cert(cn: &str) -> (PKey<Private>, X509) {
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
    pub fn new(entity: &str, encrypted: bool) -> Self {
        let (key, cert) = key_and_cert("test sp");
        Self {
            entity: entity.to_string(),
            key,
            cert,
            enc_key: encrypted.then(|| key_and_cert("test sp enc").0),
        }
    }

    pub fn metadata(&self) -> String {
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

pub fn open(dir: &std::path::Path, sps: &[&TestSp]) -> Router {
    let config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    let state = AppState::open(config).unwrap();
    let app = backends::app(state.clone()).unwrap();
    for sp in sps {
        backends::idp::saml::register_sp(&state, &sp.metadata()).unwrap();
    }
    app
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
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

pub async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Resp {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

pub async fn post(app: &Router, uri: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Resp {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::from(form_body(fields))).unwrap()).await
}

pub fn instant(offset: i64) -> String {
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
pub fn authn_request(sp: &TestSp, id: &str, level: &str, acs: &str, signature: &str) -> String {
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

pub fn deflate_b64(xml: &str) -> String {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(xml.as_bytes()).unwrap();
    STANDARD.encode(e.finish().unwrap())
}

/// The Redirect binding's URL for `xml`, signed with `key` (samael's
/// `sign_url`: rsa-sha256 over the query string).
pub fn redirect_url(endpoint: &str, path: &str, xml: &str, key: Option<&PKey<Private>>) -> String {
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
pub fn post_value(sp: &TestSp, id: &str, level: &str, key: &PKey<Private>) -> String {
    let template = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"
    );
    let xml = authn_request(sp, id, level, ACS, &template);
    let der = key.rsa().unwrap().private_key_to_der().unwrap();
    let signed = Crypto::sign_xml(xml.as_str(), &der).unwrap();
    STANDARD.encode(signed)
}

/// The IdP's signing certificate, from its metadata (which must parse).
pub async fn idp_cert(app: &Router) -> Vec<u8> {
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
pub async fn begin(app: &Router, uri: &str) -> (String, String) {
    let r = get(app, uri, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(path.starts_with("/idp/login/"), "{path}");
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    (path, set.split(';').next().unwrap().to_string())
}

/// The SAMLResponse (decoded XML) and RelayState of an auto-submit page.
pub fn posted(r: &Resp, target: &str) -> (String, Option<String>) {
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
pub fn verify(xml: &str, cert: &[u8]) -> String {
    Crypto::reduce_xml_to_signed(
        xml,
        &[CertificateDer::from(cert.to_vec())],
        ReduceMode::ValidateAndMarkNoAncestors,
    )
    .unwrap_or_else(|e| panic!("{e}: {xml}"))
}

pub fn element<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    ns: &str,
    name: &str,
) -> roxmltree::Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name((ns, name)))
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The assertion element's own text, cut out of the response.
pub fn assertion_text(xml: &str) -> String {
    let start = xml.find("<saml:Assertion").expect("an assertion");
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    xml[start..end].to_string()
}

/// Attributes by name: (value, akdb:TrustLevel).
pub fn attributes(assertion: &str) -> Vec<(String, String, String)> {
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

pub fn check_assertion(assertion: &str, cert: &[u8], sp: &TestSp, request_id: &str, level: &str) {
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

pub fn check_response(xml: &str, cert: &[u8], request_id: &str) -> String {
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

/// Every refusal is an error page: status 400, no login, no cookie.
pub async fn refused(app: &Router, uri: &str, why: &str) {
    let r = get(app, uri, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
    assert!(r.headers.get(header::LOCATION).is_none(), "{why}");
    assert!(r.headers.get(header::SET_COOKIE).is_none(), "{why}");
}
