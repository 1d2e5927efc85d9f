//! SQLite under `$BUERGERAMT_DATA`, created and migrated at start.
//!
//! Every module owns its tables and registers its own ordered migrations with
//! [`Db::migrate`]; applied steps are recorded per module in `schema_migrations`.
//! All SQL goes through bound parameters.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("data directory or database file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the database is unavailable (a previous operation failed while holding it)")]
    Poisoned,
    #[error("database task failed: {0}")]
    Join(String),
}

/// A shared SQLite connection. SQLite serialises writers anyway; one
/// connection in WAL mode behind a mutex is simple and fast enough here.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) the database file and applies the base
    /// schema. The file holds personal data: it is created owner-only
    /// (0600) before SQLite opens it, and an existing one is restricted, so
    /// are its `-wal` and `-shm` files (which SQLite creates with the
    /// database file's mode).
    pub fn open(path: &Path) -> Result<Self, DbError> {
        create_private_file(path)?;
        let conn = Connection::open(path)?;
        let db = Self::setup(conn)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = std::path::PathBuf::from(side);
            if side.exists() {
                restrict(&side, 0o600)?;
            }
        }
        Ok(db)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, DbError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self, DbError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                module TEXT NOT NULL,
                version INTEGER NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                PRIMARY KEY (module, version)
            );",
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Applies the not-yet-applied `steps` of `module`, each in its own
    /// transaction. Step `i` has version `i + 1`; never edit a shipped step,
    /// append a new one.
    pub fn migrate(&self, module: &str, steps: &[&str]) -> Result<(), DbError> {
        let mut conn = self.conn.lock().map_err(|_| DbError::Poisoned)?;
        let current: i64 = conn
            .query_row(
                "SELECT MAX(version) FROM schema_migrations WHERE module = ?1",
                params![module],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten()
            .unwrap_or(0);
        for (i, sql) in steps.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= current {
                continue;
            }
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (module, version) VALUES (?1, ?2)",
                params![module, version],
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| DbError::Poisoned)?;
            f(&mut guard).map_err(DbError::from)
        })
        .await
        .map_err(|e| DbError::Join(e.to_string()))?
    }

    /// Runs `f` with the connection on the current thread (start-up, tests).
    pub fn call_sync<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, DbError> {
        let mut guard = self.conn.lock().map_err(|_| DbError::Poisoned)?;
        f(&mut guard).map_err(DbError::from)
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.call(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await
    }
}

/// Creates the data directory (and missing parents) owner-only (0700) and
/// restricts an existing one: it holds personal data and keys.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    restrict(dir, 0o700)
}

/// Creates `path` owner-only (0600) if it is missing, else restricts it.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    drop(opts.open(path)?);
    restrict(path, 0o600)
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

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_database_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        // A new directory (with a new parent) and a new database file.
        let dir = tmp.path().join("neu").join("data");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("neu")), 0o700);
        let file = dir.join("buergeramt.sqlite");
        let db = Db::open(&file).unwrap();
        db.migrate("t", &["CREATE TABLE t (a INTEGER);"]).unwrap();
        db.call_sync(|c| c.execute("INSERT INTO t (a) VALUES (1)", []))
            .unwrap();
        assert_eq!(mode(&file), 0o600);
        for side in ["buergeramt.sqlite-wal", "buergeramt.sqlite-shm"] {
            let p = dir.join(side);
            assert!(p.exists(), "{side} exists in WAL mode");
            assert_eq!(mode(&p), 0o600, "{side}");
        }
        drop(db);
        // Existing ones, made with a lax umask, are restricted on open.
        let old = tmp.path().join("alt");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        let old_file = old.join("buergeramt.sqlite");
        std::fs::write(&old_file, b"").unwrap();
        std::fs::set_permissions(&old_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_dir(&old).unwrap();
        let _db = Db::open(&old_file).unwrap();
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old_file), 0o600);
    }

    #[test]
    fn migrations_apply_once_and_in_order() {
        let db = Db::in_memory().unwrap();
        let steps = [
            "CREATE TABLE t (a INTEGER);",
            "ALTER TABLE t ADD COLUMN b TEXT;",
        ];
        db.migrate("test", &steps).unwrap();
        db.migrate("test", &steps).unwrap(); // idempotent
        let n: i64 = db
            .call_sync(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM schema_migrations WHERE module='test'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(n, 2);
        db.call_sync(|c| c.execute("INSERT INTO t (a, b) VALUES (1, 'x')", []))
            .unwrap();
    }

    #[test]
    fn a_failing_step_is_rolled_back() {
        let db = Db::in_memory().unwrap();
        let bad = ["CREATE TABLE ok (a INTEGER);", "THIS IS NOT SQL;"];
        assert!(db.migrate("m", &bad).is_err());
        let n: i64 = db
            .call_sync(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM schema_migrations WHERE module='m'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(
            n, 1,
            "the first step stays applied, the broken one is not recorded"
        );
    }
}
