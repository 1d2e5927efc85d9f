//! SQLite tables of the PVOG stand-in: seeded once per seed version, read at start.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use super::model::{self, Dataset};
use crate::db::{Db, DbError};

const MIGRATIONS: &[&str] = &["CREATE TABLE pvog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE pvog_services (id TEXT PRIMARY KEY, leika_id TEXT NOT NULL, popularity INTEGER NOT NULL, data TEXT NOT NULL);
     CREATE TABLE pvog_places (ars TEXT PRIMARY KEY, ags TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
     CREATE TABLE pvog_authorities (id TEXT PRIMARY KEY, ars TEXT NOT NULL, authority_type TEXT NOT NULL, data TEXT NOT NULL);
     CREATE TABLE pvog_online_services (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, ars TEXT NOT NULL, data TEXT NOT NULL);
     CREATE TABLE pvog_lebenslagen (slug TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL);
     CREATE INDEX pvog_authorities_ars ON pvog_authorities (ars, authority_type);
     CREATE INDEX pvog_online_services_service ON pvog_online_services (service_id, ars);"];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Seed(#[from] model::SeedError),
    #[error("stored row is not valid JSON: {0}")]
    Row(#[from] serde_json::Error),
}

fn json<T: Serialize>(v: &T) -> Result<String, rusqlite::Error> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Applies the migrations and (re-)seeds when the seed version changed.
/// Returns whether it seeded.
pub fn ensure_seeded(db: &Db) -> Result<bool, StoreError> {
    db.migrate("pvog", MIGRATIONS)?;
    let version = model::seed_version();
    let current: Option<String> = db.call_sync(|c| {
        c.query_row(
            "SELECT value FROM pvog_meta WHERE key = 'seed_version'",
            [],
            |r| r.get(0),
        )
        .optional()
    })?;
    if current.as_deref() == Some(version.as_str()) {
        return Ok(false);
    }
    let data = model::build_from_seed()?;
    db.call_sync(|c| write_all(c, &data, &version))?;
    tracing::info!(
        services = data.services.len(),
        places = data.places.len(),
        authorities = data.authorities.len(),
        %version,
        "PVOG seed loaded"
    );
    Ok(true)
}

fn write_all(c: &mut Connection, d: &Dataset, version: &str) -> Result<(), rusqlite::Error> {
    let tx = c.transaction()?;
    for statement in [
        "DELETE FROM pvog_services",
        "DELETE FROM pvog_places",
        "DELETE FROM pvog_authorities",
        "DELETE FROM pvog_online_services",
        "DELETE FROM pvog_lebenslagen",
    ] {
        tx.execute(statement, [])?;
    }
    {
        let mut st = tx.prepare(
            "INSERT INTO pvog_services (id, leika_id, popularity, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for s in &d.services {
            st.execute(params![s.id, s.leika_id, s.popularity, json(s)?])?;
        }
        let mut st =
            tx.prepare("INSERT INTO pvog_places (ars, ags, name, data) VALUES (?1, ?2, ?3, ?4)")?;
        for p in &d.places {
            st.execute(params![p.ars, p.ags, p.name, json(p)?])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO pvog_authorities (id, ars, authority_type, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for a in &d.authorities {
            st.execute(params![a.id, a.ars, a.authority_type, json(a)?])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO pvog_online_services (id, service_id, ars, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for o in &d.online_services {
            st.execute(params![o.id, o.service_id, o.ars, json(o)?])?;
        }
        let mut st =
            tx.prepare("INSERT INTO pvog_lebenslagen (slug, position, data) VALUES (?1, ?2, ?3)")?;
        for (i, l) in d.lebenslagen.iter().enumerate() {
            st.execute(params![l.slug, i as i64, json(l)?])?;
        }
    }
    tx.execute(
        "INSERT INTO pvog_meta (key, value) VALUES ('seed_version', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![version],
    )?;
    tx.commit()
}

fn rows(c: &Connection, sql: &str) -> Result<Vec<String>, rusqlite::Error> {
    let mut st = c.prepare(sql)?;
    let out = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

fn decode<T: DeserializeOwned>(raw: Vec<String>) -> Result<Vec<T>, serde_json::Error> {
    raw.iter().map(|s| serde_json::from_str(s)).collect()
}

/// Reads the whole dataset back from SQLite.
pub fn load(db: &Db) -> Result<Dataset, StoreError> {
    let (s, p, a, o, l) = db.call_sync(|c| {
        Ok((
            rows(c, "SELECT data FROM pvog_services ORDER BY id")?,
            rows(c, "SELECT data FROM pvog_places ORDER BY ars")?,
            rows(c, "SELECT data FROM pvog_authorities ORDER BY id")?,
            rows(c, "SELECT data FROM pvog_online_services ORDER BY id")?,
            rows(c, "SELECT data FROM pvog_lebenslagen ORDER BY position")?,
        ))
    })?;
    Ok(Dataset {
        services: decode(s)?,
        places: decode(p)?,
        authorities: decode(a)?,
        online_services: decode(o)?,
        lebenslagen: decode(l)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_idempotent_and_round_trips() {
        let db = Db::in_memory().unwrap();
        assert!(ensure_seeded(&db).unwrap());
        assert!(!ensure_seeded(&db).unwrap(), "same version: no re-seed");
        let loaded = load(&db).unwrap();
        let built = model::build_from_seed().unwrap();
        assert_eq!(loaded.services.len(), built.services.len());
        assert_eq!(loaded.authorities.len(), built.authorities.len());
        // A changed version triggers a re-seed.
        db.call_sync(|c| c.execute("UPDATE pvog_meta SET value = 'old'", []))
            .unwrap();
        assert!(ensure_seeded(&db).unwrap());
        assert_eq!(load(&db).unwrap().services.len(), built.services.len());
    }
}
