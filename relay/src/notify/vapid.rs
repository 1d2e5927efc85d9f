//! The relay's VAPID key (RFC 8292): one P-256 key for every instance.
//! Made by the first instance that starts (insert-if-absent into
//! `relay_meta`, then read back, so instances starting at once agree), or
//! read from a configured PEM file (`[notify] vapid_key_file`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};

use crate::db::{params, Connection};

/// The key in `relay_meta`.
const META_KEY: &str = "vapid_key";

/// The key, as PKCS#8 PEM, and its public point (65 bytes, base64url).
#[derive(Clone)]
pub struct Vapid {
    pub pem: String,
    pub public_key: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

fn new_pem() -> anyhow::Result<String> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let key = PKey::from_ec_key(EcKey::generate(&group)?)?;
    Ok(String::from_utf8(key.private_key_to_pem_pkcs8()?)?)
}

/// Reads a PEM (PKCS#8 or SEC1) P-256 key; its public point.
pub fn from_pem(pem: &str) -> anyhow::Result<Vapid> {
    let key: PKey<Private> = PKey::private_key_from_pem(pem.as_bytes())?;
    let ec = key.ec_key()?;
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    if ec.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
        anyhow::bail!("the VAPID key must be on P-256");
    }
    let mut ctx = BigNumContext::new()?;
    let point = ec
        .public_key()
        .to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)?;
    // web-push reads PKCS#8; a SEC1 file is converted.
    let pem = String::from_utf8(key.private_key_to_pem_pkcs8()?)?;
    Ok(Vapid {
        pem,
        public_key: URL_SAFE_NO_PAD.encode(point),
    })
}

/// The key every instance uses (blocking: on the database's pool).
pub fn load(c: &Connection) -> anyhow::Result<Vapid> {
    let fresh = new_pem()?;
    c.execute(
        "INSERT INTO relay_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        params![META_KEY, fresh],
    )?;
    let pem: String = c.query_row(
        "SELECT value FROM relay_meta WHERE key = ?1",
        params![META_KEY],
        |r| r.get(0),
    )?;
    from_pem(&pem)
}

/// From the configured file or the database.
pub async fn open(db: &crate::db::Db, file: Option<&std::path::Path>) -> anyhow::Result<Vapid> {
    if let Some(path) = file {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the VAPID key {}: {e}", path.display()))?;
        return from_pem(&pem);
    }
    db.call(|c| load(c).map_err(crate::db::Error::other))
        .await
        .map_err(|e| anyhow::anyhow!("VAPID key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_key_for_every_instance() {
        let db = crate::db::Db::in_memory().unwrap();
        let a = open(&db, None).await.unwrap();
        let b = open(&db, None).await.unwrap();
        assert_eq!(a.public_key, b.public_key);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a.public_key).unwrap().len(), 65);
    }
}
