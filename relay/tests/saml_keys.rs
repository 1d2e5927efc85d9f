//! The SAML SP's keys from the operator's PEM files (issue #20): the relay
//! publishes exactly those certificates, signs its AuthnRequests with the
//! signing key and decrypts with the encryption key; bad files stop the
//! start with an error that names the file. The keys and certificates are
//! made here with openssl (sample data, written to a temporary directory).

#[allow(dead_code)]
mod saml_idp;
mod support;

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use relay::saml::config::{FileSaml, KeyFiles, SamlConfig};
use relay::saml::keys::{self, KeyFileError};
use reqwest::StatusCode;
use saml_idp::*;
use support::*;

const DAY: i64 = 86_400;

fn rsa(bits: u32) -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
}

/// A certificate for `key` valid from `from` to `to` (unix seconds),
/// self-signed or issued by `issuer`.
fn cert(
    key: &PKey<Private>,
    cn: &str,
    issuer: Option<(&X509, &PKey<Private>)>,
    from: i64,
    to: i64,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(from as _).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(to as _).unwrap())
        .unwrap();
    match issuer {
        Some((ca, ca_key)) => {
            b.set_issuer_name(ca.subject_name()).unwrap();
            b.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
        None => {
            b.set_issuer_name(&name).unwrap();
            b.sign(key, MessageDigest::sha256()).unwrap();
        }
    }
    b.build()
}

/// Valid from yesterday for a year.
fn year(key: &PKey<Private>, cn: &str) -> X509 {
    cert(key, cn, None, now() - DAY, now() + 365 * DAY)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn pkcs8(key: &PKey<Private>) -> Vec<u8> {
    key.private_key_to_pem_pkcs8().unwrap()
}

fn b64(cert: &X509) -> String {
    STANDARD.encode(cert.to_der().unwrap())
}

/// The certificate of the SP metadata's `KeyDescriptor` for `usage`.
fn metadata_certs(xml: &str, usage: &str) -> Vec<String> {
    let part = xml
        .split(&format!(r#"<md:KeyDescriptor use="{usage}">"#))
        .nth(1)
        .and_then(|p| p.split("</md:KeyDescriptor>").next())
        .unwrap_or_default();
    part.split("<ds:X509Certificate>")
        .skip(1)
        .filter_map(|p| p.split('<').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_sp_uses_the_key_files_for_metadata_requests_and_decryption() {
    let dir = tempfile::tempdir().unwrap();
    // Signing: PKCS#8, its certificate issued by a CA, the chain in the file.
    let ca_key = rsa(2048);
    let ca = year(&ca_key, "Sample CA");
    let sign_key = rsa(3072);
    let sign_cert = cert(
        &sign_key,
        "relay signing (sample)",
        Some((&ca, &ca_key)),
        now() - DAY,
        now() + 365 * DAY,
    );
    let chain = [sign_cert.to_pem().unwrap(), ca.to_pem().unwrap()].concat();
    // Encryption: PKCS#1, self-signed.
    let enc_key = rsa(3072);
    let enc_cert = year(&enc_key, "relay encryption (sample)");
    let signing = KeyFiles {
        key: write(dir.path(), "sign.key", &pkcs8(&sign_key)),
        cert: write(dir.path(), "sign.pem", &chain),
    };
    let encryption = KeyFiles {
        key: write(
            dir.path(),
            "enc.key",
            &enc_key.rsa().unwrap().private_key_to_pem().unwrap(),
        ),
        cert: write(dir.path(), "enc.pem", &enc_cert.to_pem().unwrap()),
    };
    assert!(std::fs::read_to_string(&encryption.key)
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));

    let idp = idp();
    let meta = write(
        dir.path(),
        "idp-metadata.xml",
        idp_metadata(&idp, true).as_bytes(),
    );
    let relay = relay_with(move |c| {
        c.identity_kind = relay::saml::IdentityKind::Saml;
        c.saml.idp_metadata = Some(relay::saml::config::IdpMetadataSource::File(meta));
        c.saml.signing_files = Some(signing);
        c.saml.encryption_files = Some(encryption);
    })
    .await;

    // The metadata carries exactly the files' certificates (not the CA).
    let mut b = Browser::new();
    let m = b.get(&format!("{}/api/v1/saml/metadata", relay.url)).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(metadata_certs(&m.body, "signing"), vec![b64(&sign_cert)]);
    assert_eq!(metadata_certs(&m.body, "encryption"), vec![b64(&enc_cert)]);
    assert_eq!(m.body.matches("<ds:X509Certificate>").count(), 2);

    // The AuthnRequest's query signature verifies with the signing cert.
    let r = b
        .get(&format!(
            "{}/api/v1/login?level=STORK-QAA-Level-1&return=/",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(SSO), "{loc}");
    let query = loc.split_once('?').unwrap().1;
    let (signed, sig) = query.split_once("&Signature=").unwrap();
    let sig = url::form_urlencoded::parse(format!("s={sig}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let verify_with = |cert: &X509| {
        let key = cert.public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &key).unwrap();
        v.update(signed.as_bytes()).unwrap();
        v.verify(&STANDARD.decode(&sig).unwrap()).unwrap()
    };
    assert!(
        verify_with(&sign_cert),
        "signed with the file's signing key"
    );
    assert!(!verify_with(&enc_cert));

    // An assertion encrypted to the file's encryption cert logs in.
    let q: std::collections::HashMap<_, _> = url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&STANDARD.decode(&q["SAMLRequest"]).unwrap()[..])
        .read_to_string(&mut xml)
        .unwrap();
    let id = xml
        .split(r#" ID=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let k = Case::new(&relay, id, "STORK-QAA-Level-1");
    let inner = encrypt(
        &assertion(&idp, &k, BPK2, "Erika"),
        &enc_cert.public_key().unwrap(),
        c::ALG_RSA_OAEP_MGF1P,
        c::ALG_AES256_GCM,
    );
    let form = STANDARD.encode(response(&idp, &k, &inner));
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
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(s["loggedIn"], true, "{s}");
}

#[tokio::test]
async fn one_pair_from_files_the_other_generated() {
    let dir = tempfile::tempdir().unwrap();
    let enc_key = rsa(3072);
    let enc_cert = year(&enc_key, "relay encryption (sample)");
    let encryption = KeyFiles {
        key: write(dir.path(), "enc.key", &pkcs8(&enc_key)),
        cert: write(dir.path(), "enc.pem", &enc_cert.to_pem().unwrap()),
    };
    let relay = relay_with(move |c| {
        c.identity_kind = relay::saml::IdentityKind::Saml;
        c.saml.encryption_files = Some(encryption);
    })
    .await;
    let m = Browser::new()
        .get(&format!("{}/api/v1/saml/metadata", relay.url))
        .await;
    assert_eq!(metadata_certs(&m.body, "encryption"), vec![b64(&enc_cert)]);
    let generated = metadata_certs(&m.body, "signing");
    assert_eq!(generated.len(), 1);
    assert_ne!(generated[0], b64(&enc_cert));
}

/// Writes `key` and `cert` and reads them back as the relay does.
fn load(dir: &Path, key: &[u8], cert: &X509) -> Result<keys::KeyPair, KeyFileError> {
    let k = write(dir, "sp.key", key);
    let c = write(dir, "sp.pem", &cert.to_pem().unwrap());
    keys::from_files(&k, &c)
}

fn refused(r: Result<keys::KeyPair, KeyFileError>) -> (KeyFileError, String) {
    match r {
        Ok(_) => panic!("accepted"),
        Err(e) => {
            let text = e.to_string();
            (e, text)
        }
    }
}

#[test]
fn bad_key_files_are_refused_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = rsa(3072);
    let good = year(&key, "sp");
    assert!(load(d, &pkcs8(&key), &good).is_ok());

    // A 2048-bit key.
    let short = rsa(2048);
    let (e, text) = refused(load(d, &pkcs8(&short), &year(&short, "sp")));
    assert!(
        matches!(e, KeyFileError::TooShort { bits: 2048, .. }),
        "{text}"
    );
    assert!(
        text.contains("sp.key") && text.contains("2048 bits"),
        "{text}"
    );

    // A certificate of another key.
    let other = rsa(3072);
    let (e, text) = refused(load(d, &pkcs8(&key), &year(&other, "sp")));
    assert!(matches!(e, KeyFileError::OtherKey { .. }), "{text}");
    assert!(
        text.contains("sp.pem") && text.contains("not for the key"),
        "{text}"
    );

    // Expired, and not valid yet.
    let expired = cert(&key, "sp", None, now() - 400 * DAY, now() - DAY);
    let (e, text) = refused(load(d, &pkcs8(&key), &expired));
    assert!(matches!(e, KeyFileError::Expired { .. }), "{text}");
    assert!(
        text.contains("sp.pem") && text.contains("expired"),
        "{text}"
    );
    let later = cert(&key, "sp", None, now() + DAY, now() + 400 * DAY);
    let (e, text) = refused(load(d, &pkcs8(&key), &later));
    assert!(matches!(e, KeyFileError::NotYetValid { .. }), "{text}");

    // Ending within 30 days: taken (the start warns).
    let soon = cert(&key, "sp", None, now() - DAY, now() + 10 * DAY);
    let pair = load(d, &pkcs8(&key), &soon).unwrap();
    assert!((9..=10).contains(&keys::days_left(&pair.cert).unwrap()));

    // An encrypted key: refused, never a passphrase prompt.
    let locked = key
        .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"sample")
        .unwrap();
    let (e, text) = refused(load(d, &locked, &good));
    assert!(matches!(e, KeyFileError::Encrypted { .. }), "{text}");

    // Not RSA.
    let ec = PKey::from_ec_key(
        openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let (e, text) = refused(load(d, &pkcs8(&ec), &year(&ec, "sp")));
    assert!(matches!(e, KeyFileError::NotRsa { .. }), "{text}");

    // A certificate where the key should be, a key where the cert should be.
    let (e, text) = refused(load(d, &good.to_pem().unwrap(), &good));
    assert!(matches!(e, KeyFileError::NoKey { .. }), "{text}");
    let k = write(d, "sp.key", &pkcs8(&key));
    let (e, text) = refused(keys::from_files(&k, &k));
    assert!(matches!(e, KeyFileError::NoCert { .. }), "{text}");

    // A missing file.
    let (e, text) = refused(keys::from_files(&d.join("none.key"), &k));
    assert!(matches!(e, KeyFileError::Read { .. }), "{text}");
    assert!(text.contains("none.key"), "{text}");
}

#[test]
fn one_file_of_a_pair_alone_is_a_configuration_error() {
    let build = |vars: &'static [(&'static str, &'static str)]| {
        let env = move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        SamlConfig::build(FileSaml::default(), "http://127.0.0.1:8080", None, &env)
    };
    let e = build(&[("RELAY_SAML_SIGNING_KEY_FILE", "/etc/relay/sign.key")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("RELAY_SAML_SIGNING_CERT_FILE"), "{e}");
    let e = build(&[("RELAY_SAML_ENCRYPTION_CERT_FILE", "/etc/relay/enc.pem")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("RELAY_SAML_ENCRYPTION_KEY_FILE"), "{e}");
    let c = build(&[
        ("RELAY_SAML_SIGNING_KEY_FILE", "/etc/relay/sign.key"),
        ("RELAY_SAML_SIGNING_CERT_FILE", "/etc/relay/sign.pem"),
    ])
    .unwrap();
    assert_eq!(
        c.signing_files,
        Some(KeyFiles {
            key: "/etc/relay/sign.key".into(),
            cert: "/etc/relay/sign.pem".into(),
        })
    );
    assert_eq!(c.encryption_files, None);
}
