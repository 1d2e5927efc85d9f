//! The appointment tables. A hold or booking occupies one row of
//! `termine_units` per 15-minute unit it spans, keyed by (office, counter,
//! unit start): the primary key makes two live appointments on one counter
//! at one time impossible, whatever the callers race. Holds are deleted
//! when they expire (their units go with them); a cancelled booking stays
//! as a record, its units are deleted.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::offices::UNIT_SECS;

pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE termine_appointments (
    id TEXT PRIMARY KEY,
    office TEXT NOT NULL,
    counter INTEGER NOT NULL,
    service TEXT NOT NULL,
    persons INTEGER NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'booked', 'cancelled', 'cancelled_by_office')),
    hold_expires_at INTEGER,
    reference TEXT UNIQUE,
    manage_hash TEXT UNIQUE,
    name TEXT,
    email TEXT,
    citizen TEXT,
    client_ip TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    cancelled_at INTEGER,
    cancel_reason TEXT
);
CREATE INDEX termine_appointments_office ON termine_appointments(office, start_at);
CREATE INDEX termine_appointments_email ON termine_appointments(email, state);
CREATE INDEX termine_appointments_citizen ON termine_appointments(citizen);
CREATE INDEX termine_appointments_ip ON termine_appointments(client_ip, created_at);
CREATE INDEX termine_appointments_held ON termine_appointments(state, hold_expires_at);
CREATE TABLE termine_units (
    office TEXT NOT NULL,
    counter INTEGER NOT NULL,
    unit_start INTEGER NOT NULL,
    appointment_id TEXT NOT NULL REFERENCES termine_appointments(id) ON DELETE CASCADE,
    PRIMARY KEY (office, counter, unit_start)
);
CREATE INDEX termine_units_appointment ON termine_units(appointment_id);
CREATE TABLE termine_blocks (
    id INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    counter INTEGER,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX termine_blocks_office ON termine_blocks(office, start_at);
CREATE TABLE termine_notices (
    id INTEGER PRIMARY KEY,
    appointment_id TEXT NOT NULL,
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX termine_notices_appointment ON termine_notices(appointment_id);
",
    "
ALTER TABLE termine_appointments ADD COLUMN reminded_at INTEGER;
",
];

/// One appointment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub office: String,
    pub counter: i64,
    pub service: String,
    pub persons: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub state: String,
    pub hold_expires_at: Option<i64>,
    pub reference: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub citizen: Option<String>,
    pub cancel_reason: Option<String>,
}

// The columns [`row`] reads, in its order (written out in every query:
// SQL is made of literals only).

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        office: r.get(1)?,
        counter: r.get(2)?,
        service: r.get(3)?,
        persons: r.get(4)?,
        start_at: r.get(5)?,
        end_at: r.get(6)?,
        state: r.get(7)?,
        hold_expires_at: r.get(8)?,
        reference: r.get(9)?,
        name: r.get(10)?,
        email: r.get(11)?,
        citizen: r.get(12)?,
        cancel_reason: r.get(13)?,
    })
}

/// Deletes holds that expired by `now` (their units go with them).
pub fn release_expired(c: &Connection, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM termine_appointments WHERE state = 'held' AND hold_expires_at <= ?1",
        params![now],
    )
}

/// Occupied (counter, unit start) of `office` in [from, to).
pub fn taken_units(
    c: &Connection,
    office: &str,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT counter, unit_start FROM termine_units
         WHERE office = ?1 AND unit_start >= ?2 AND unit_start < ?3",
    )?;
    let rows = st.query_map(params![office, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Blocks of `office` overlapping [from, to): (counter or all, start, end).
pub fn blocks(
    c: &Connection,
    office: &str,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(Option<i64>, i64, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT counter, start_at, end_at FROM termine_blocks
         WHERE office = ?1 AND start_at < ?3 AND end_at > ?2",
    )?;
    let rows = st.query_map(params![office, from, to], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect()
}

/// Is `counter` blocked anywhere in [start, end)?
pub fn is_blocked(blocks: &[(Option<i64>, i64, i64)], counter: i64, start: i64, end: i64) -> bool {
    blocks
        .iter()
        .any(|(c, s, e)| c.is_none_or(|c| c == counter) && *s < end && *e > start)
}

/// What a new appointment is.
pub struct NewHold<'a> {
    pub id: &'a str,
    pub office: &'a str,
    pub service: &'a str,
    pub persons: i64,
    pub start: i64,
    pub end: i64,
    pub expires_at: i64,
    pub client_ip: &'a str,
    pub now: i64,
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// Occupies the units of [start, end) on `counter` for `appointment`:
/// `Ok(false)` if one of them is taken (nothing is written then).
pub fn occupy(
    tx: &Transaction<'_>,
    office: &str,
    counter: i64,
    start: i64,
    end: i64,
    appointment: &str,
) -> rusqlite::Result<bool> {
    tx.execute_batch("SAVEPOINT occupy")?;
    let mut unit = start;
    while unit < end {
        let r = tx.execute(
            "INSERT INTO termine_units (office, counter, unit_start, appointment_id)
             VALUES (?1, ?2, ?3, ?4)",
            params![office, counter, unit, appointment],
        );
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                tx.execute_batch("ROLLBACK TO occupy; RELEASE occupy")?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
        unit += UNIT_SECS;
    }
    tx.execute_batch("RELEASE occupy")?;
    Ok(true)
}

/// Inserts a hold on the first counter (of `counters`, not blocked) whose
/// units are all free; `None` if there is none.
pub fn insert_hold(
    tx: &Transaction<'_>,
    h: &NewHold<'_>,
    counters: &[i64],
) -> rusqlite::Result<Option<i64>> {
    for &counter in counters {
        tx.execute(
            "INSERT INTO termine_appointments
             (id, office, counter, service, persons, start_at, end_at, state, hold_expires_at, client_ip, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'held', ?8, ?9, ?10)",
            params![
                h.id, h.office, counter, h.service, h.persons, h.start, h.end, h.expires_at,
                h.client_ip, h.now
            ],
        )?;
        if occupy(tx, h.office, counter, h.start, h.end, h.id)? {
            return Ok(Some(counter));
        }
        tx.execute(
            "DELETE FROM termine_appointments WHERE id = ?1",
            params![h.id],
        )?;
    }
    Ok(None)
}

pub fn by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<Row>> {
    c.query_row(
        "SELECT id, office, counter, service, persons, start_at, end_at, state, hold_expires_at, reference, name, email, citizen, cancel_reason FROM termine_appointments WHERE id = ?1",
        params![id],
        row,
    )
    .optional()
}

pub fn by_manage_hash(c: &Connection, hash: &str) -> rusqlite::Result<Option<Row>> {
    c.query_row(
        "SELECT id, office, counter, service, persons, start_at, end_at, state, hold_expires_at, reference, name, email, citizen, cancel_reason FROM termine_appointments WHERE manage_hash = ?1",
        params![hash],
        row,
    )
    .optional()
}

pub fn by_citizen(c: &Connection, citizen: &str) -> rusqlite::Result<Vec<Row>> {
    let mut st = c.prepare(
        "SELECT id, office, counter, service, persons, start_at, end_at, state, hold_expires_at, reference, name, email, citizen, cancel_reason FROM termine_appointments
         WHERE citizen = ?1 AND state != 'held' ORDER BY start_at",
    )?;
    let rows = st.query_map(params![citizen], row)?;
    rows.collect()
}

/// Bookings (and those the office cancelled) of `office` in [from, to).
pub fn of_office(c: &Connection, office: &str, from: i64, to: i64) -> rusqlite::Result<Vec<Row>> {
    let mut st = c.prepare(
        "SELECT id, office, counter, service, persons, start_at, end_at, state, hold_expires_at, reference, name, email, citizen, cancel_reason FROM termine_appointments
         WHERE office = ?1 AND start_at >= ?2 AND start_at < ?3
           AND state IN ('booked', 'cancelled_by_office')
         ORDER BY counter, start_at",
    )?;
    let rows = st.query_map(params![office, from, to], row)?;
    rows.collect()
}

/// Counts for the limits.
pub fn holds_by_ip_since(c: &Connection, ip: &str, since: i64) -> rusqlite::Result<(i64, i64)> {
    c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(state = 'held'), 0) FROM termine_appointments
         WHERE client_ip = ?1 AND created_at >= ?2",
        params![ip, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// (live future bookings, bookings confirmed since `since`) of an e-mail address.
pub fn bookings_by_email(
    c: &Connection,
    email: &str,
    now: i64,
    since: i64,
) -> rusqlite::Result<(i64, i64)> {
    c.query_row(
        "SELECT COALESCE(SUM(state = 'booked' AND end_at > ?2), 0),
                COALESCE(SUM(confirmed_at >= ?3), 0)
         FROM termine_appointments WHERE email = ?1",
        params![email, now, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

pub fn add_notice(
    c: &Connection,
    appointment: &str,
    email: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO termine_notices (appointment_id, email, subject, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![appointment, email, subject, body, now],
    )?;
    Ok(())
}

/// The notices of an appointment: (e-mail, subject, body), oldest first.
pub fn notices(
    c: &Connection,
    appointment: &str,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut st = c.prepare(
        "SELECT email, subject, body FROM termine_notices WHERE appointment_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map(params![appointment], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect()
}
