//! The assertion ids seen, in the database so that every instance sees
//! them, each kept until its assertion expires.

use crate::db::params;
use crate::error::RelayError;

/// `true` the first time `id` is seen; `false` for a replay.
pub async fn first_use(db: &crate::db::Db, id: &str, until: i64) -> Result<bool, RelayError> {
    if id.is_empty() || id.len() > 256 {
        return Ok(false);
    }
    let id = id.to_string();
    let now = crate::session::now();
    db.call(move |c| {
        c.execute(
            "DELETE FROM relay_saml_assertions WHERE expires_at < ?1",
            params![now],
        )?;
        let n = c.execute(
            "INSERT INTO relay_saml_assertions (id, expires_at) VALUES (?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![id, until],
        )?;
        Ok(n == 1)
    })
    .await
}
