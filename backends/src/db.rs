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
    /// Opens (creating if needed) the database file and applies the base schema.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let conn = Connection::open(path)?;
        Self::setup(conn)
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

#[cfg(test)]
mod tests {
    use super::*;

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
