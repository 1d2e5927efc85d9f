//! The IdP's SAML signing key: RSA 3072 and a self-signed X.509 certificate,
//! both made with OpenSSL at first use (`Saml::key`) and kept in the data directory
//! (`idp-saml-key.pem`, `idp-saml-cert.pem`, mode 0600). Later starts load
//! them; delete both to rotate (SPs then need the new metadata).

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use std::path::Path;

/// Key file under the data directory.
pub const KEY_FILE: &str = "idp-saml-key.pem";
/// Certificate file under the data directory.
pub const CERT_FILE: &str = "idp-saml-cert.pem";
/// Key size in bits.
pub const BITS: u32 = 3072;

/// The loaded key and certificate.
pub struct SamlKey {
    pub key: PKey<Private>,
    /// PKCS#1 DER, as xmlsec loads it for signing.
    pub key_der: Vec<u8>,
    pub cert: X509,
    /// The certificate's DER in base64 (metadata, `ds:X509Certificate`).
    pub cert_b64: String,
}

impl SamlKey {
    /// Loads key and certificate, making them first if absent.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let key_path = data_dir.join(KEY_FILE);
        let cert_path = data_dir.join(CERT_FILE);
        let rsa = if key_path.exists() {
            let pem = std::fs::read(&key_path)?;
            Rsa::private_key_from_pem(&pem)
                .map_err(|e| anyhow::anyhow!("{} is not an RSA key: {e}", key_path.display()))?
        } else {
            let rsa = Rsa::generate(BITS)?;
            crate::secret_file::write_private(&key_path, &rsa.private_key_to_pem()?)?;
            tracing::info!(path = %key_path.display(), "generated the IdP's SAML signing key");
            rsa
        };
        rsa.check_key()?;
        if rsa.size() * 8 < BITS {
            anyhow::bail!("{} is shorter than {BITS} bits", key_path.display());
        }
        let key_der = rsa.private_key_to_der()?;
        let key = PKey::from_rsa(rsa)?;
        let cert = match std::fs::read(&cert_path)
            .ok()
            .and_then(|pem| X509::from_pem(&pem).ok())
        {
            Some(c) if c.public_key().is_ok_and(|p| p.public_eq(&key)) => c,
            _ => {
                let c = self_signed(&key)?;
                crate::secret_file::write_private(&cert_path, &c.to_pem()?)?;
                c
            }
        };
        use base64::Engine;
        let cert_b64 = base64::engine::general_purpose::STANDARD.encode(cert.to_der()?);
        Ok(Self {
            key,
            key_der,
            cert,
            cert_b64,
        })
    }

    pub fn cert_der(&self) -> Vec<u8> {
        self.cert.to_der().unwrap_or_default()
    }
}

/// A self-signed certificate for `key`, valid ten years (the stand-in's;
/// BundID's own comes from a CA and is announced ahead of a change).
fn self_signed(key: &PKey<Private>) -> anyhow::Result<X509> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("C", "DE")?;
    name.append_entry_by_text("O", "Bürgeramt stand-in (sample data)")?;
    name.append_entry_by_text("CN", "BundID stand-in SAML IdP")?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    b.set_serial_number(Asn1Integer::from_bn(&serial)?.as_ref())?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(key)?;
    b.set_not_before(Asn1Time::days_from_now(0)?.as_ref())?;
    b.set_not_after(Asn1Time::days_from_now(3650)?.as_ref())?;
    b.sign(key, MessageDigest::sha256())?;
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = SamlKey::load_or_create(dir.path()).unwrap();
        let b = SamlKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.cert_b64, b.cert_b64);
        assert_eq!(a.key.bits(), BITS);
        #[cfg(unix)]
        for f in [KEY_FILE, CERT_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
}
