//! The stand-in's Verwaltungs-PKI (**test only**): a root CA, an
//! intermediate CA and one leaf certificate per destination, so that every
//! destination key is served with an `x5c` chain as in FIT-Connect.
//!
//! * The root is committed (`backends/pki/test-root.crt.pem` and its key
//!   `test-root.key.pem`, see `backends/pki/README.md`), so that the app
//!   can compile it in (`build.rs`, `src/domain/x509.rs`). Its key is public:
//!   this root must never be trusted outside tests.
//! * The intermediate CA (RSA 3072, 5 years) and the leaves (1 year) are
//!   generated at first start into the data directory, signed by the
//!   committed root, and reissued when they no longer fit (another root or
//!   encryption key, or less than 30 days left).
//! * A leaf's SubjectPublicKeyInfo is the destination's encryption key; the
//!   leaf **names its destination** by the subjectAltName URI
//!   `urn:fitconnect:destination:<destinationId>` (the rule the app checks;
//!   the subject CN carries the same id for people reading it). keyUsage:
//!   keyEncipherment (critical), basicConstraints CA:FALSE.
//! * Every signature is RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32, as in
//!   the Verwaltungs-PKI.
//!
//! `x5c` is `[leaf, intermediate]`, standard base64 DER (RFC 7517 §4.7);
//! the root is not sent.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::asn1::{Asn1Integer, Asn1Time, Asn1TimeRef};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509NameRef, X509Ref, X509};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

use super::keys::KeyError;

/// The committed test root (certificate).
pub const ROOT_CERT_PEM: &str = include_str!("../../pki/test-root.crt.pem");
/// The committed test root's private key: public on purpose, tests only.
const ROOT_KEY_PEM: &str = include_str!("../../pki/test-root.key.pem");

pub const INTERMEDIATE_KEY_FILE: &str = "fitconnect-pki-intermediate-key.pem";
pub const INTERMEDIATE_CERT_FILE: &str = "fitconnect-pki-intermediate.crt.pem";
/// The intermediate's RSA size.
pub const INTERMEDIATE_BITS: u32 = 3072;
pub const INTERMEDIATE_DAYS: u32 = 5 * 365;
pub const LEAF_DAYS: u32 = 365;
/// Certificates with fewer days left are reissued at start.
const RENEW_DAYS: u32 = 30;

/// A leaf names its destination with this URI prefix in its subjectAltName.
pub const DESTINATION_URN_PREFIX: &str = "urn:fitconnect:destination:";

/// The signatureAlgorithm of every certificate we issue: RSASSA-PSS with
/// SHA-256, MGF1-SHA-256, salt length 32 (trailer field 1, the default).
const PSS_SHA256_ALGID: [u8; 67] = [
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03,
    0x02, 0x01, 0x20,
];

const ORG: &str = "Buergeramt NRW Stand-in TEST-PKI";

/// The `x5c` chains of all destinations.
#[derive(Debug, Default, Clone)]
pub struct Chains {
    by_destination: HashMap<String, Vec<String>>,
}

impl Chains {
    /// `[leaf, intermediate]`, standard base64 DER, for a destination.
    pub fn x5c(&self, destination_id: &str) -> Option<&[String]> {
        self.by_destination.get(destination_id).map(Vec::as_slice)
    }
}

/// A CA that signs: its certificate and key.
pub struct Issuer<'a> {
    pub cert: &'a X509Ref,
    pub key: &'a PKeyRef<Private>,
}

fn invalid(path: &Path, detail: impl ToString) -> KeyError {
    KeyError::Invalid {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The committed root certificate and its key.
pub fn test_root() -> Result<(X509, PKey<Private>), KeyError> {
    Ok((
        X509::from_pem(ROOT_CERT_PEM.as_bytes())?,
        PKey::private_key_from_pem(ROOT_KEY_PEM.as_bytes())?,
    ))
}

/// Loads the intermediate and the destinations' leaves from `data_dir`, or
/// issues them (signed by the committed root) when missing or no longer
/// fitting; the leaves certify `encryption`, one per destination id.
pub fn load_or_create<T: HasPublic>(
    data_dir: &Path,
    encryption: &PKeyRef<T>,
    destination_ids: &[&str],
) -> Result<Chains, KeyError> {
    let (root, root_key) = test_root()?;
    let (inter, inter_key) = intermediate(data_dir, &root, &root_key)?;
    let issuer = Issuer {
        cert: &inter,
        key: &inter_key,
    };
    let inter_b64 = STANDARD.encode(inter.to_der()?);
    let renew = Asn1Time::days_from_now(RENEW_DAYS)?;
    let inter_pub = inter.public_key()?;
    let mut by_destination = HashMap::new();
    for id in destination_ids {
        let path = data_dir.join(format!("fitconnect-pki-leaf-{id}.crt.pem"));
        let kept = match std::fs::read(&path) {
            Ok(pem) => X509::from_pem(&pem).ok().filter(|c| {
                c.verify(&inter_pub).unwrap_or(false)
                    && c.public_key().is_ok_and(|k| k.public_eq(encryption))
                    && fresh(c.not_after(), &renew)
                    && names(c).iter().any(|n| n == &destination_urn(id))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
        };
        let leaf = match kept {
            Some(c) => c,
            None => {
                let now = Asn1Time::days_from_now(0)?;
                let until = Asn1Time::days_from_now(LEAF_DAYS)?;
                let c = leaf_cert(id, encryption, &issuer, &now, &until)?;
                crate::secret_file::write_private(&path, &c.to_pem()?).map_err(io(&path))?;
                c
            }
        };
        by_destination.insert(
            id.to_string(),
            vec![STANDARD.encode(leaf.to_der()?), inter_b64.clone()],
        );
    }
    Ok(Chains { by_destination })
}

fn fresh(not_after: &Asn1TimeRef, renew: &Asn1TimeRef) -> bool {
    not_after
        .compare(renew)
        .is_ok_and(|o| o == Ordering::Greater)
}

/// `urn:fitconnect:destination:<id>`
pub fn destination_urn(id: &str) -> String {
    format!("{DESTINATION_URN_PREFIX}{id}")
}

/// The subjectAltName URIs of a certificate.
pub fn names(cert: &X509Ref) -> Vec<String> {
    cert.subject_alt_names()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.uri().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn intermediate(
    data_dir: &Path,
    root: &X509Ref,
    root_key: &PKeyRef<Private>,
) -> Result<(X509, PKey<Private>), KeyError> {
    let key_path = data_dir.join(INTERMEDIATE_KEY_FILE);
    let cert_path = data_dir.join(INTERMEDIATE_CERT_FILE);
    if key_path.exists() && cert_path.exists() {
        let key_pem = std::fs::read(&key_path).map_err(io(&key_path))?;
        let key = PKey::private_key_from_pem(&key_pem).map_err(|e| invalid(&key_path, e))?;
        let cert_pem = std::fs::read(&cert_path).map_err(io(&cert_path))?;
        let cert = X509::from_pem(&cert_pem).map_err(|e| invalid(&cert_path, e))?;
        let renew = Asn1Time::days_from_now(RENEW_DAYS)?;
        let root_pub = root.public_key()?;
        let fits = cert.verify(&root_pub).unwrap_or(false)
            && cert.public_key().is_ok_and(|k| k.public_eq(&key))
            && fresh(cert.not_after(), &renew);
        if fits {
            return Ok((cert, key));
        }
    }
    let key = PKey::from_rsa(Rsa::generate(INTERMEDIATE_BITS)?)?;
    let now = Asn1Time::days_from_now(0)?;
    let until = Asn1Time::days_from_now(INTERMEDIATE_DAYS)?;
    let issuer = Issuer {
        cert: root,
        key: root_key,
    };
    let subject = intermediate_name()?;
    let cert = ca_cert(&subject, &key, &issuer, &now, &until)?;
    crate::secret_file::write_private(&key_path, &key.private_key_to_pem_pkcs8()?)
        .map_err(io(&key_path))?;
    crate::secret_file::write_private(&cert_path, &cert.to_pem()?).map_err(io(&cert_path))?;
    tracing::info!(path = %cert_path.display(), "issued the test PKI's intermediate CA");
    Ok((cert, key))
}

/// `C=DE, O=…TEST-PKI, CN=TEST FIT-Connect Sub-CA (nur fuer Tests)`
pub fn intermediate_name() -> Result<X509Name, KeyError> {
    name("TEST FIT-Connect Sub-CA (nur fuer Tests)")
}

fn name(cn: &str) -> Result<X509Name, KeyError> {
    let mut n = X509Name::builder()?;
    n.append_entry_by_nid(Nid::COUNTRYNAME, "DE")?;
    n.append_entry_by_nid(Nid::ORGANIZATIONNAME, ORG)?;
    n.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(n.build())
}

fn builder<T: HasPublic>(
    subject: &X509NameRef,
    key: &PKeyRef<T>,
    issuer: &Issuer,
    not_before: &Asn1TimeRef,
    not_after: &Asn1TimeRef,
) -> Result<X509Builder, KeyError> {
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = Asn1Integer::from_bn(&serial)?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(subject)?;
    b.set_issuer_name(issuer.cert.subject_name())?;
    b.set_pubkey(key)?;
    b.set_not_before(not_before)?;
    b.set_not_after(not_after)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(Some(issuer.cert), None))?;
    b.append_extension(ski)?;
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&b.x509v3_context(Some(issuer.cert), None))?;
    b.append_extension(aki)?;
    Ok(b)
}

/// A CA certificate (basicConstraints CA:TRUE, pathlen 0; keyUsage
/// keyCertSign and cRLSign), signed by `issuer` with RSASSA-PSS.
pub fn ca_cert<T: HasPublic>(
    subject: &X509NameRef,
    key: &PKeyRef<T>,
    issuer: &Issuer,
    not_before: &Asn1TimeRef,
    not_after: &Asn1TimeRef,
) -> Result<X509, KeyError> {
    let mut b = builder(subject, key, issuer, not_before, not_after)?;
    b.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()?,
    )?;
    sign_pss(b, issuer.key)
}

/// A destination's leaf: `key` certified for key encipherment, named by
/// the SAN URI `urn:fitconnect:destination:<id>` (and CN = id), signed by
/// `issuer` with RSASSA-PSS.
pub fn leaf_cert<T: HasPublic>(
    destination_id: &str,
    key: &PKeyRef<T>,
    issuer: &Issuer,
    not_before: &Asn1TimeRef,
    not_after: &Asn1TimeRef,
) -> Result<X509, KeyError> {
    sign_pss(
        leaf_builder(destination_id, key, issuer, not_before, not_after)?,
        issuer.key,
    )
}

/// The leaf before signing (the test vectors also sign it otherwise).
pub fn leaf_builder<T: HasPublic>(
    destination_id: &str,
    key: &PKeyRef<T>,
    issuer: &Issuer,
    not_before: &Asn1TimeRef,
    not_after: &Asn1TimeRef,
) -> Result<X509Builder, KeyError> {
    let subject = name(destination_id)?;
    let mut b = builder(&subject, key, issuer, not_before, not_after)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().key_encipherment().build()?)?;
    let san = SubjectAlternativeName::new()
        .uri(&destination_urn(destination_id))
        .build(&b.x509v3_context(Some(issuer.cert), None))?;
    b.append_extension(san)?;
    Ok(b)
}

/// Signs with RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32). The openssl
/// crate signs certificates with PKCS#1 v1.5 only, so the certificate is
/// built that way first and then re-framed: the TBSCertificate gets the
/// PSS AlgorithmIdentifier, is signed with PSS, and the Certificate is
/// assembled from it (RFC 5280 §4.1).
pub fn sign_pss(mut b: X509Builder, key: &PKeyRef<Private>) -> Result<X509, KeyError> {
    let broken = |d: &str| KeyError::Invalid {
        path: "certificate".into(),
        detail: d.to_string(),
    };
    b.sign(key, MessageDigest::sha256())?;
    let der = b.build().to_der()?;
    let cert = content(&der).ok_or_else(|| broken("Certificate"))?;
    let (tbs, _) = split(cert).ok_or_else(|| broken("TBSCertificate"))?;
    let mut rest = content(tbs).ok_or_else(|| broken("TBSCertificate"))?;
    let mut fields = Vec::with_capacity(tbs.len());
    // version [0], serialNumber, then the signature AlgorithmIdentifier.
    for i in 0..3 {
        let (field, after) = split(rest).ok_or_else(|| broken("TBSCertificate field"))?;
        fields.extend_from_slice(if i == 2 { &PSS_SHA256_ALGID } else { field });
        rest = after;
    }
    fields.extend_from_slice(rest);
    let tbs = tlv(0x30, &fields);
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.set_rsa_padding(Padding::PKCS1_PSS)?;
    signer.set_rsa_pss_saltlen(RsaPssSaltlen::custom(32))?;
    signer.set_rsa_mgf1_md(MessageDigest::sha256())?;
    signer.update(&tbs)?;
    let mut bits = vec![0u8];
    bits.extend(signer.sign_to_vec()?);
    let mut body = tbs;
    body.extend_from_slice(&PSS_SHA256_ALGID);
    body.extend(tlv(0x03, &bits));
    Ok(X509::from_der(&tlv(0x30, &body))?)
}

/// DER length of the TLV at the start of `der`: (header length, total length).
fn header(der: &[u8]) -> Option<(usize, usize)> {
    let first = *der.get(1)?;
    let (hl, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        let bytes = der.get(2..2 + n)?;
        (
            2 + n,
            bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
        )
    };
    let total = hl.checked_add(len)?;
    (total <= der.len()).then_some((hl, total))
}

/// The first TLV and what follows it.
fn split(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, total) = header(der)?;
    Some(der.split_at(total))
}

/// The content of the TLV at the start of `der`.
fn content(der: &[u8]) -> Option<&[u8]> {
    let (hl, total) = header(der)?;
    der.get(hl..total)
}

/// A DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
#[path = "pki_tests.rs"]
mod tests;
