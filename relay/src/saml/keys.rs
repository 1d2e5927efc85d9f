//! The SP's two key pairs (signing, encryption). Either from the
//! operator's files ([`from_files`], checked at start), or RSA 3072 with a
//! self-signed certificate, made by the first instance and kept in
//! `relay_meta` so that every instance uses the same (like the handle key).

use std::cmp::Ordering;
use std::path::Path;

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::bn::{BigNum, MsbOption};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509Ref, X509};

use crate::db::{params, Connection, OptionalExtension};

/// One key with its certificate.
#[derive(Clone)]
pub struct KeyPair {
    pub key: PKey<Private>,
    pub cert: X509,
}

impl KeyPair {
    /// The certificate as base64 DER (for `ds:X509Certificate`).
    pub fn cert_base64(&self) -> String {
        use base64::Engine;
        let der = self.cert.to_der().unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(der)
    }
}

fn err(e: impl std::fmt::Display) -> crate::db::Error {
    crate::db::Error::Other(format!("SAML SP key: {e}"))
}

/// A new RSA key and a self-signed certificate for `cn`, valid ten years.
pub fn generate(cn: &str) -> anyhow::Result<KeyPair> {
    let key = PKey::from_rsa(Rsa::generate(3072)?)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    let (from, to) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(3650)?);
    b.set_not_before(&from)?;
    b.set_not_after(&to)?;
    b.sign(&key, MessageDigest::sha256())?;
    Ok(KeyPair {
        key,
        cert: b.build(),
    })
}

/// The key pair stored under `name` in `relay_meta`, made if missing
/// (another instance may win the race: the first one stays).
pub fn load_or_create(conn: &Connection, name: &str, cn: &str) -> crate::db::Result<KeyPair> {
    let read = |conn: &Connection| -> crate::db::Result<Option<String>> {
        conn.query_row(
            "SELECT value FROM relay_meta WHERE key = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()
    };
    let stored = match read(conn)? {
        Some(v) => v,
        None => {
            let fresh = generate(cn).map_err(err)?;
            let key = fresh.key.private_key_to_pem_pkcs8().map_err(err)?;
            let cert = fresh.cert.to_pem().map_err(err)?;
            let value = format!(
                "{}{}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&cert)
            );
            conn.execute(
                "INSERT INTO relay_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![name, value],
            )?;
            read(conn)?.ok_or_else(|| err("vanished"))?
        }
    };
    Ok(KeyPair {
        key: PKey::private_key_from_pem(stored.as_bytes()).map_err(err)?,
        cert: X509::from_pem(stored.as_bytes()).map_err(err)?,
    })
}

/// The least RSA key size the relay takes from a file.
pub const MIN_RSA_BITS: u32 = 3072;

/// A certificate that ends within this many days is warned about at start.
pub const WARN_DAYS: i32 = 30;

/// Why a key file or certificate file is refused. Each names the file and
/// never its content.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}: the private key is encrypted; give it unencrypted (readable only by the relay)"
    )]
    Encrypted { path: String },
    #[error("{path}: no private key in PEM form (PKCS#8 or PKCS#1): {source}")]
    NoKey { path: String, source: ErrorStack },
    #[error("{path}: the key is not an RSA key")]
    NotRsa { path: String },
    #[error("{path}: the RSA key has {bits} bits, at least {MIN_RSA_BITS} are needed")]
    TooShort { path: String, bits: u32 },
    #[error("{path}: no certificate in PEM form")]
    NoCert { path: String },
    #[error("{cert}: the certificate is not for the key in {key}")]
    OtherKey { cert: String, key: String },
    #[error("{path}: the certificate is not valid yet (not before {not_before})")]
    NotYetValid { path: String, not_before: String },
    #[error("{path}: the certificate has expired (not after {not_after})")]
    Expired { path: String, not_after: String },
    #[error("{path}: {source}")]
    Openssl { path: String, source: ErrorStack },
}

/// The key pair from the operator's files: the private key (PEM, PKCS#8 or
/// PKCS#1, not encrypted) and its certificate (PEM; in a chain the first
/// certificate is the SP's). Refused unless the key is RSA with at least
/// [`MIN_RSA_BITS`] bits, the certificate is for this key and valid now;
/// a warning when it ends within [`WARN_DAYS`].
pub fn from_files(key_path: &Path, cert_path: &Path) -> Result<KeyPair, KeyFileError> {
    let (kp, cp) = (
        key_path.display().to_string(),
        cert_path.display().to_string(),
    );
    let read = |path: &Path, name: &str| {
        std::fs::read(path).map_err(|source| KeyFileError::Read {
            path: name.to_string(),
            source,
        })
    };
    let key = private_key(&read(key_path, &kp)?, &kp)?;
    let cert = first_cert(&read(cert_path, &cp)?, &cp)?;
    let ossl = |source| KeyFileError::Openssl {
        path: cp.clone(),
        source,
    };
    if !cert.public_key().map_err(ossl)?.public_eq(&key) {
        return Err(KeyFileError::OtherKey { cert: cp, key: kp });
    }
    let left = valid_now(&cert, &cp)?;
    if left < WARN_DAYS {
        tracing::warn!(
            cert = %cp,
            days_left = left,
            "SAML SP certificate ends soon: make a new one and give BundID the new metadata"
        );
    }
    Ok(KeyPair { key, cert })
}

/// The private key of a PEM file: RSA, at least [`MIN_RSA_BITS`] bits.
fn private_key(pem: &[u8], path: &str) -> Result<PKey<Private>, KeyFileError> {
    // A passphrase is never asked for (no prompt on a terminal): an
    // encrypted key is refused.
    let asked = std::cell::Cell::new(false);
    let key = PKey::private_key_from_pem_callback(pem, |_| {
        asked.set(true);
        Ok(0)
    });
    if asked.get() {
        return Err(KeyFileError::Encrypted { path: path.into() });
    }
    let key = key.map_err(|source| KeyFileError::NoKey {
        path: path.into(),
        source,
    })?;
    if key.id() != Id::RSA {
        return Err(KeyFileError::NotRsa { path: path.into() });
    }
    if key.bits() < MIN_RSA_BITS {
        return Err(KeyFileError::TooShort {
            path: path.into(),
            bits: key.bits(),
        });
    }
    Ok(key)
}

/// The first certificate of a PEM file (the SP's, before its chain).
fn first_cert(pem: &[u8], path: &str) -> Result<X509, KeyFileError> {
    X509::stack_from_pem(pem)
        .map_err(|source| KeyFileError::Openssl {
            path: path.into(),
            source,
        })?
        .into_iter()
        .next()
        .ok_or_else(|| KeyFileError::NoCert { path: path.into() })
}

/// Checks notBefore <= now <= notAfter; the whole days left.
fn valid_now(cert: &X509Ref, path: &str) -> Result<i32, KeyFileError> {
    let ossl = |source| KeyFileError::Openssl {
        path: path.into(),
        source,
    };
    let now = Asn1Time::days_from_now(0).map_err(ossl)?;
    if cert.not_before().compare(&now).map_err(ossl)? == Ordering::Greater {
        return Err(KeyFileError::NotYetValid {
            path: path.into(),
            not_before: cert.not_before().to_string(),
        });
    }
    if cert.not_after().compare(&now).map_err(ossl)? == Ordering::Less {
        return Err(KeyFileError::Expired {
            path: path.into(),
            not_after: cert.not_after().to_string(),
        });
    }
    days_until(&now, cert.not_after()).map_err(ossl)
}

/// Whole days from `now` until `until` (negative when past).
fn days_until(now: &Asn1TimeRef, until: &Asn1TimeRef) -> Result<i32, ErrorStack> {
    Ok(now.diff(until)?.days)
}

/// The whole days a certificate has left (what [`from_files`] warns about).
pub fn days_left(cert: &X509Ref) -> Result<i32, ErrorStack> {
    let now = Asn1Time::days_from_now(0)?;
    days_until(&now, cert.not_after())
}
