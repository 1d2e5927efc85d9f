//! The SP's two key pairs (signing, encryption): RSA 3072 with a
//! self-signed certificate, made by the first instance and kept in
//! `relay_meta` so that every instance uses the same (like the handle key).

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509};

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
