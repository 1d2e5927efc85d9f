//! The relay's own state: sessions, login transactions and a few keys.
//!
//! SQLite (embedded, under the data directory) through one connection in WAL
//! mode; every call runs on tokio's blocking pool. The SQL is plain (no
//! SQLite-only types or `INSERT OR …`), so that PostgreSQL can follow behind
//! the same functions (a later issue). Several relay instances may share the
//! file: SQLite serialises the writers, and nothing is kept in memory that
//! another instance would need.

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::RelayError;

/// Ordered schema steps; never edit a shipped step, append one.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE relay_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE relay_sessions (
    id_hash TEXT PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    sub TEXT NOT NULL,
    level TEXT NOT NULL,
    method TEXT NOT NULL,
    attributes TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    id_token TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_expires_at BIGINT NOT NULL,
    extensions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX relay_sessions_sub ON relay_sessions(sub);
CREATE INDEX relay_sessions_expiry ON relay_sessions(expires_at);
CREATE TABLE relay_login_tx (
    id_hash TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    level TEXT NOT NULL,
    return_path TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
",
    crate::applications::MIGRATION,
    crate::records::MIGRATION,
    crate::reference::MIGRATION,
    crate::followup::MIGRATION,
];

#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating and migrating) `dir/relay.sqlite`. The directory and
    /// the file hold personal data: only the owner may read them.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        restrict(dir, 0o700)?;
        let path = dir.join("relay.sqlite");
        let conn = Connection::open(&path)?;
        restrict(&path, 0o600)?;
        Self::setup(conn)
    }

    pub fn in_memory() -> anyhow::Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> anyhow::Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER PRIMARY KEY);",
        )?;
        let done: i64 = conn.query_row("SELECT COUNT(*) FROM relay_schema", [], |r| r.get(0))?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(step)?;
            tx.execute(
                "INSERT INTO relay_schema (version) VALUES (?1)",
                [i as i64 + 1],
            )?;
            tx.commit()?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, RelayError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| RelayError::Internal("database lock poisoned".into()))?;
            f(&mut guard).map_err(RelayError::from)
        })
        .await
        .map_err(|e| RelayError::Internal(format!("database task: {e}")))?
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrates_once_and_restricts_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        drop(db);
        let db = Db::open(dir.path()).unwrap();
        let n: i64 = db
            .call(|c| c.query_row("SELECT COUNT(*) FROM relay_schema", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.path()), 0o700);
            assert_eq!(mode(&dir.path().join("relay.sqlite")), 0o600);
        }
    }
}
