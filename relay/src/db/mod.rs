//! The relay's own state: sessions, login transactions, records of the
//! citizens' applications, a few keys, rate counters.
//!
//! SQLite by default (embedded, under the data directory, one connection in
//! WAL mode); PostgreSQL with `DATABASE_URL=postgres://…` (a pool of
//! `database_max_connections`). The same SQL runs on both ([`conn`]: plain
//! SQL, numbered `?1` placeholders); every call runs on tokio's blocking
//! pool. Several relay instances may share the database: nothing is kept in
//! memory that another instance would need.

mod conn;
pub mod pg;

pub use crate::params;
pub use conn::{
    Connection, Dialect, Error, FromValue, OptionalExtension, Result, Row, Statement, ToValue,
    Transaction, Value,
};

use std::cell::RefCell;
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
    crate::keys::MIGRATION,
    crate::limits::MIGRATION,
    crate::payment::MIGRATION,
    crate::notify::MIGRATION,
    crate::saml::MIGRATION,
    crate::saml::slo_idp::MIGRATION,
    crate::mandates::store::MIGRATION,
    crate::mandates::request_store::MIGRATION,
];

#[derive(Clone)]
pub struct Db {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Mutex<Connection>>),
    Postgres(Arc<pg::Pool>),
}

/// Where the relay keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// `postgres://…` for PostgreSQL; `None`: SQLite under the data directory.
    pub url: Option<String>,
    /// Most PostgreSQL connections of this instance.
    pub max_connections: usize,
    /// Seconds to wait for a new PostgreSQL connection.
    pub connect_timeout_secs: u64,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            url: None,
            max_connections: 16,
            connect_timeout_secs: 10,
        }
    }
}

impl Db {
    /// PostgreSQL when `config.url` is set, else SQLite in `dir`.
    pub async fn connect(config: &DbConfig, dir: &Path) -> anyhow::Result<Self> {
        let Some(url) = config.url.clone() else {
            let dir = dir.to_path_buf();
            return tokio::task::spawn_blocking(move || Self::open(&dir)).await?;
        };
        let pool = Arc::new(pg::Pool::new(
            &url,
            config.max_connections,
            config.connect_timeout_secs,
        )?);
        let db = Db {
            backend: Backend::Postgres(pool),
        };
        db.call(|c| {
            // One instance migrates at a time; the others wait, then see it done.
            c.execute_batch("SELECT pg_advisory_lock(7242018)")?;
            let r = migrate(c);
            c.execute_batch("SELECT pg_advisory_unlock(7242018)")?;
            r
        })
        .await
        .map_err(|e| anyhow::anyhow!("database {}: {e}", redact(&url)))?;
        Ok(db)
    }

    /// Opens (creating and migrating) `dir/relay.sqlite`. The directory and
    /// the file hold personal data: only the owner may read them.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        restrict(dir, 0o700)?;
        let path = dir.join("relay.sqlite");
        let conn = rusqlite::Connection::open(&path)?;
        restrict(&path, 0o600)?;
        Self::setup(conn)
    }

    pub fn in_memory() -> anyhow::Result<Self> {
        Self::setup(rusqlite::Connection::open_in_memory()?)
    }

    fn setup(conn: rusqlite::Connection) -> anyhow::Result<Self> {
        // The busy timeout first: instances opening one new file at once
        // wait for each other's locks instead of failing on them.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        wal_mode(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let mut conn = Connection::Sqlite(conn);
        migrate(&mut conn)?;
        Ok(Self {
            backend: Backend::Sqlite(Arc::new(Mutex::new(conn))),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` with a connection on the blocking pool.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T, RelayError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let conn = conn.clone();
                tokio::task::spawn_blocking(move || {
                    let mut guard = conn
                        .lock()
                        .map_err(|_| RelayError::Internal("database lock poisoned".into()))?;
                    f(&mut guard).map_err(RelayError::from)
                })
                .await
                .map_err(|e| RelayError::Internal(format!("database task: {e}")))?
            }
            Backend::Postgres(pool) => {
                let permit = pool
                    .permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| RelayError::Internal(format!("database pool: {e}")))?;
                let pool = pool.clone();
                tokio::task::spawn_blocking(move || {
                    let client = pool.take()?;
                    let mut conn = Connection::Postgres(RefCell::new(client));
                    let out = f(&mut conn);
                    if let Connection::Postgres(c) = conn {
                        pool.put(c.into_inner());
                    }
                    drop(permit);
                    out.map_err(RelayError::from)
                })
                .await
                .map_err(|e| RelayError::Internal(format!("database task: {e}")))?
            }
        }
    }
}

/// Switches to WAL. Switching a new file needs its exclusive lock, and SQLite
/// answers "busy" at once (without the busy handler) while another instance
/// holds it or is switching too: try again for up to 5 s.
fn wal_mode(conn: &rusqlite::Connection) -> anyhow::Result<()> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < until =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// How many schema steps this relay knows.
pub const MIGRATION_STEPS: usize = MIGRATIONS.len();

/// For `check-config`: a PostgreSQL server's version and how many schema
/// steps its relay database has (0 for a new one). Blocking.
pub fn schema_state(url: &str) -> anyhow::Result<(String, i64)> {
    let pool = pg::Pool::new(url, 1, 10)?;
    let client = pool.take()?;
    let conn = Connection::Postgres(RefCell::new(client));
    let version: String = conn.query_row("SHOW server_version", params![], |r| r.get(0))?;
    let exists: i64 = conn.query_row(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'relay_schema'",
        params![],
        |r| r.get(0),
    )?;
    let applied = if exists > 0 {
        conn.query_row("SELECT COUNT(*) FROM relay_schema", params![], |r| r.get(0))?
    } else {
        0
    };
    Ok((format!("PostgreSQL {version}"), applied))
}

/// Applies the steps not yet applied, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS relay_schema (version INTEGER PRIMARY KEY);")?;
    loop {
        // Counted inside the step's transaction (on SQLite a write lock from
        // its start): an instance starting at the same time on the same file
        // waits, then finds the step done instead of applying it twice.
        let tx = conn.transaction()?;
        let done: i64 =
            tx.query_row("SELECT COUNT(*) FROM relay_schema", params![], |r| r.get(0))?;
        let Some(step) = usize::try_from(done).ok().and_then(|d| MIGRATIONS.get(d)) else {
            tx.commit()?;
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.execute(
            "INSERT INTO relay_schema (version) VALUES (?1)",
            params![done + 1],
        )?;
        tx.commit()?;
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
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

    #[test]
    fn two_instances_starting_at_once_on_one_file_migrate_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Db::open(&p).map(|_| ()).map_err(|e| e.to_string()))
            })
            .collect();
        for s in starts {
            s.join().unwrap().unwrap();
        }
        let c = rusqlite::Connection::open(path.join("relay.sqlite")).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM relay_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
    }

    #[tokio::test]
    async fn migrates_once_and_restricts_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        drop(db);
        let db = Db::open(dir.path()).unwrap();
        let n: i64 = db
            .call(|c| c.query_row("SELECT COUNT(*) FROM relay_schema", params![], |r| r.get(0)))
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
