//! The test IdP of `relay/tests/saml.rs`: its key and certificate, its
//! metadata, and responses (plain or encrypted assertions) built and signed
//! with xmlsec through samael. All of it sample data.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use openssl::pkey::{PKey, Private};
use samael::crypto::{CryptoProvider, XmlSec};

use crate::support::Relay;

pub const IDP_ENTITY: &str = "https://idp.test.example/saml";
pub const SSO: &str = "http://127.0.0.1:9/idp/saml/sso";
pub const SLO: &str = "http://127.0.0.1:9/idp/saml/slo";
pub const BPK2: &str = "sample-bpk2-erika-0001";

pub struct Idp {
    pub key: PKey<Private>,
    pub cert_b64: String,
}

pub fn idp() -> Idp {
    let kp = relay::saml::keys::generate("test IdP (sample)").expect("IdP key");
    Idp {
        cert_b64: kp.cert_base64(),
        key: kp.key,
    }
}

pub fn idp_metadata(idp: &Idp, with_key: bool) -> String {
    let kd = if with_key {
        format!(
            r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
            idp.cert_b64
        )
    } else {
        String::new()
    };
    format!(
        r#"<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{IDP_ENTITY}"><md:IDPSSODescriptor protocolSupportEnumeration="{samlp}" WantAuthnRequestsSigned="true">{kd}<md:SingleLogoutService Binding="{r}" Location="{SLO}"/><md:SingleSignOnService Binding="{r}" Location="{SSO}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
        md = c::NS_MD,
        ds = c::NS_DS,
        samlp = c::NS_SAMLP,
        r = c::BINDING_REDIRECT,
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn t(unix: i64) -> String {
    relay::saml::request::instant(unix)
}

pub fn sig_template(id: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{rsa}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{sha}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##,
        ds = c::NS_DS,
        rsa = c::ALG_RSA_SHA256,
        sha = c::ALG_SHA256,
    )
}

pub fn sign(xml: &str, key: &PKey<Private>) -> String {
    let der = key.private_key_to_der().unwrap();
    let signed = XmlSec::sign_xml(xml, &der).expect("signed");
    // Without the XML declaration, to be embedded.
    match signed.find("?>") {
        Some(i) if signed.starts_with("<?xml") => signed[i + 2..].trim().to_string(),
        _ => signed,
    }
}

/// What one test response looks like.
#[derive(Clone)]
pub struct Case {
    pub in_response_to: String,
    pub destination: String,
    pub audience: String,
    pub recipient: String,
    pub assertion_id: String,
    pub issued: i64,
    pub not_on_or_after: i64,
    pub level: &'static str,
    pub status: Option<&'static str>,
    pub sign_assertion: bool,
    pub sign_response: bool,
}

impl Case {
    pub fn new(relay: &Relay, request_id: &str, level: &'static str) -> Self {
        let acs = format!("{}/api/v1/saml/acs", relay.url);
        let n = now();
        Case {
            in_response_to: request_id.into(),
            destination: acs.clone(),
            audience: format!("{}/api/v1/saml/metadata", relay.url),
            recipient: acs,
            assertion_id: format!("_a{}", rand_hex()),
            issued: n,
            not_on_or_after: n + 300,
            level,
            status: None,
            sign_assertion: true,
            sign_response: true,
        }
    }
}

pub fn rand_hex() -> String {
    let mut b = [0u8; 12];
    openssl::rand::rand_bytes(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn attr(name: &str, value: &str, trust: &str) -> String {
    let oid = c::oid_of(name).unwrap();
    format!(
        r#"<saml:Attribute Name="{oid}" NameFormat="{f}" akdb:TrustLevel="{trust}"><saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>"#,
        f = c::ATTRNAME_FORMAT_URI
    )
}

pub const NS_DECL: &str = r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:akdb="https://www.akdb.de/request/2018/09""#;

/// The assertion (signed unless the case says otherwise).
pub fn assertion(idp: &Idp, k: &Case, sub: &str, given: &str) -> String {
    assertion_named(idp, k, sub, given, &format!("_n{}", rand_hex()))
}

/// [`assertion`] with a given `NameID` (session index `_s1`), for the
/// IdP's LogoutRequest that names it.
pub fn assertion_named(idp: &Idp, k: &Case, sub: &str, given: &str, name_id: &str) -> String {
    let trust = k.level;
    let body = format!(
        r#"<saml:Issuer>{IDP_ENTITY}</saml:Issuer>{sig}<saml:Subject><saml:NameID Format="{tr}">{nid}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="{irt}" NotOnOrAfter="{noa}" Recipient="{rcp}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><saml:AudienceRestriction><saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{iss}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>{lvl}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{a1}{a2}{a3}{a4}</saml:AttributeStatement>"#,
        sig = if k.sign_assertion {
            sig_template(&k.assertion_id)
        } else {
            String::new()
        },
        tr = c::NAMEID_TRANSIENT,
        nid = name_id,
        irt = k.in_response_to,
        noa = t(k.not_on_or_after),
        rcp = k.recipient,
        nb = t(k.issued - 5),
        aud = k.audience,
        iss = t(k.issued),
        lvl = k.level,
        a1 = attr("bPK2", sub, trust),
        a2 = attr("givenName", given, trust),
        a3 = attr("surname", "Mustermann", trust),
        a4 = attr("mail", "erika@example.org", "STORK-QAA-Level-1"),
    );
    let xml = format!(
        r#"<saml:Assertion {NS_DECL} ID="{id}" Version="2.0" IssueInstant="{iss}">{body}</saml:Assertion>"#,
        id = k.assertion_id,
        iss = t(k.issued),
    );
    if k.sign_assertion {
        sign(&xml, &idp.key)
    } else {
        xml
    }
}

/// The response around `inner` (an assertion, or an encrypted one).
pub fn response(idp: &Idp, k: &Case, inner: &str) -> String {
    let id = format!("_r{}", rand_hex());
    let status = match k.status {
        None => format!(r#"<samlp:StatusCode Value="{}"/>"#, c::STATUS_SUCCESS),
        Some(sub) => format!(
            r#"<samlp:StatusCode Value="{}"><samlp:StatusCode Value="{sub}"/></samlp:StatusCode>"#,
            c::STATUS_RESPONDER
        ),
    };
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="{samlp}" {NS_DECL} ID="{id}" Version="2.0" IssueInstant="{iss}" Destination="{dest}" InResponseTo="{irt}"><saml:Issuer>{IDP_ENTITY}</saml:Issuer>{sig}<samlp:Status>{status}</samlp:Status>{inner}</samlp:Response>"#,
        samlp = c::NS_SAMLP,
        iss = t(k.issued),
        dest = k.destination,
        irt = k.in_response_to,
        sig = if k.sign_response {
            sig_template(&id)
        } else {
            String::new()
        },
    );
    if k.sign_response {
        sign(&xml, &idp.key)
    } else {
        xml
    }
}

pub fn signed_response(idp: &Idp, k: &Case) -> String {
    response(idp, k, &assertion(idp, k, BPK2, "Erika"))
}

/// An `EncryptedAssertion` of `assertion` for the SP, with these algorithms.
pub fn encrypt(
    assertion: &str,
    sp: &PKey<openssl::pkey::Public>,
    key_alg: &str,
    data_alg: &str,
) -> String {
    let mut key = [0u8; 32];
    openssl::rand::rand_bytes(&mut key).unwrap();
    let padding = if key_alg.ends_with("rsa-1_5") {
        openssl::rsa::Padding::PKCS1
    } else {
        openssl::rsa::Padding::PKCS1_OAEP
    };
    let mut enc = openssl::encrypt::Encrypter::new(sp).unwrap();
    enc.set_rsa_padding(padding).unwrap();
    let mut wrapped = vec![0u8; enc.encrypt_len(&key).unwrap()];
    let n = enc.encrypt(&key, &mut wrapped).unwrap();
    wrapped.truncate(n);
    let body = if data_alg.ends_with("cbc") {
        let mut iv = [0u8; 16];
        openssl::rand::rand_bytes(&mut iv).unwrap();
        let ct = openssl::symm::encrypt(
            openssl::symm::Cipher::aes_256_cbc(),
            &key,
            Some(&iv),
            assertion.as_bytes(),
        )
        .unwrap();
        [iv.to_vec(), ct].concat()
    } else {
        let mut iv = [0u8; 12];
        openssl::rand::rand_bytes(&mut iv).unwrap();
        let mut tag = [0u8; 16];
        let ct = openssl::symm::encrypt_aead(
            openssl::symm::Cipher::aes_256_gcm(),
            &key,
            Some(&iv),
            &[],
            assertion.as_bytes(),
            &mut tag,
        )
        .unwrap();
        [iv.to_vec(), ct, tag.to_vec()].concat()
    };
    format!(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="{data_alg}"/><ds:KeyInfo xmlns:ds="{ds}"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{key_alg}"/><xenc:CipherData><xenc:CipherValue>{k}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{d}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
        ds = c::NS_DS,
        k = STANDARD.encode(wrapped),
        d = STANDARD.encode(body),
    )
}
