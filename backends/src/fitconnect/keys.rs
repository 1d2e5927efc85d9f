//! The authority's two RSA 4096 key pairs, generated with OpenSSL at first
//! start and kept as PKCS#1 PEM files (mode 0600) in the data directory:
//!
//! * `fitconnect-encryption-key.pem`: citizens' devices wrap content keys
//!   for it (`RSA-OAEP-256`); published as a JWK with `key_ops: ["wrapKey"]`.
//! * `fitconnect-signing-key.pem`: signs the event log (SETs, `PS512`);
//!   published at `/fitconnect/.well-known/jwks.json`.
//!
//! `kid` is the RFC 7638 thumbprint, so it survives restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub const ENCRYPTION_KEY_FILE: &str = "fitconnect-encryption-key.pem";
pub const SIGNING_KEY_FILE: &str = "fitconnect-signing-key.pem";
pub const KEY_BITS: u32 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a usable RSA 4096 key: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("openssl: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// One key pair with its public JWK members.
pub struct KeyPair {
    pub private: PKey<Private>,
    pub kid: String,
    pub n: String,
    pub e: String,
}

impl KeyPair {
    fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let pem = if path.exists() {
            std::fs::read(path).map_err(|source| KeyError::Io {
                path: path.to_path_buf(),
                source,
            })?
        } else {
            let rsa = Rsa::generate(KEY_BITS)?;
            let pem = rsa.private_key_to_pem()?;
            write_private(path, &pem)?;
            tracing::info!(path = %path.display(), "generated a FIT-Connect key");
            pem
        };
        let invalid = |detail: String| KeyError::Invalid {
            path: path.to_path_buf(),
            detail,
        };
        let rsa = Rsa::private_key_from_pem(&pem).map_err(|e| invalid(e.to_string()))?;
        rsa.check_key().map_err(|e| invalid(e.to_string()))?;
        if rsa.size() * 8 != KEY_BITS {
            return Err(invalid(format!("{} bits", rsa.size() * 8)));
        }
        let n = URL_SAFE_NO_PAD.encode(rsa.n().to_vec());
        let e = URL_SAFE_NO_PAD.encode(rsa.e().to_vec());
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Ok(Self {
            private: PKey::from_rsa(rsa)?,
            kid,
            n,
            e,
        })
    }
}

/// Both key pairs of the (single, simulated) receiving authority.
pub struct Keys {
    pub encryption: KeyPair,
    pub signing: KeyPair,
    /// The encryption key's certificate chain per destination (test PKI, `pki.rs`).
    pub chains: super::pki::Chains,
}

impl Keys {
    /// The encryption key as a public JWK, as served for `destination_id`:
    /// with `x5c` = [leaf naming that destination, intermediate] (standard
    /// base64 DER, RFC 7517 §4.7; the root is not sent).
    pub fn encryption_jwk(&self, destination_id: &str) -> serde_json::Value {
        let mut jwk = serde_json::json!({
            "kty": "RSA",
            "key_ops": ["wrapKey"],
            "alg": "RSA-OAEP-256",
            "kid": self.encryption.kid,
            "n": self.encryption.n,
            "e": self.encryption.e,
        });
        if let Some(x5c) = self.chains.x5c(destination_id) {
            jwk["x5c"] = serde_json::json!(x5c);
        }
        jwk
    }

    /// The signing key as a JWK set.
    pub fn signing_jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{
            "kty": "RSA",
            "use": "sig",
            "key_ops": ["verify"],
            "alg": "PS512",
            "kid": self.signing.kid,
            "n": self.signing.n,
            "e": self.signing.e,
        }]})
    }

    /// A compact JWS, `PS512` (RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt).
    pub fn sign_set(&self, claims: &serde_json::Value) -> Result<String, KeyError> {
        let header = serde_json::json!({
            "alg": "PS512",
            "typ": "secevent+jwt",
            "kid": self.signing.kid,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signer = Signer::new(MessageDigest::sha512(), &self.signing.private)?;
        signer.set_rsa_padding(Padding::PKCS1_PSS)?;
        signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
        signer.set_rsa_mgf1_md(MessageDigest::sha512())?;
        signer.update(input.as_bytes())?;
        let sig = signer.sign_to_vec()?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Keys>>>> = OnceLock::new();

/// The keys of the data directory if [`keys`] has loaded them already
/// (never reads a file or generates, so it can run on an async thread).
pub fn cached(data_dir: &Path) -> Option<Arc<Keys>> {
    let cache = CACHE.get()?;
    // A poisoned lock only means another thread panicked while loading; the map is still usable.
    let map = cache.lock().unwrap_or_else(|p| p.into_inner());
    map.get(data_dir).cloned()
}

/// The keys of the data directory, loaded (or generated) once per process.
pub fn keys(data_dir: &Path) -> Result<Arc<Keys>, KeyError> {
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means another thread panicked while loading; the map is still usable.
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = map.get(data_dir) {
        return Ok(k.clone());
    }
    let encryption = KeyPair::load_or_create(&data_dir.join(ENCRYPTION_KEY_FILE))?;
    let chains = super::pki::load_or_create(data_dir, &encryption.private, &destination_ids()?)?;
    let keys = Arc::new(Keys {
        encryption,
        signing: KeyPair::load_or_create(&data_dir.join(SIGNING_KEY_FILE))?,
        chains,
    });
    map.insert(data_dir.to_path_buf(), keys.clone());
    Ok(keys)
}

/// Every destination gets a leaf certificate for the encryption key.
fn destination_ids() -> Result<Vec<&'static str>, KeyError> {
    let all = super::destinations::all().map_err(|detail| KeyError::Invalid {
        path: PathBuf::from("destinations"),
        detail,
    })?;
    Ok(all.iter().map(|d| d.id.as_str()).collect())
}

fn write_private(path: &Path, pem: &[u8]) -> Result<(), KeyError> {
    crate::secret_file::write_private(path, pem).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })
}
