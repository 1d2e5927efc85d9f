//! The booking rules: free slots, hold, confirm, change, cancel. Every
//! function takes `now` (Unix seconds), so that tests can move time.

use std::collections::HashSet;

use contract::termine::{self as t, Booking, BookingStatus, Confirmed, Hold};
use rusqlite::{params, Connection, TransactionBehavior};

use super::offices::{self, OfficeRules, UNIT_SECS};
use super::store::{self, NewHold, Row};
use crate::idp::{hash_secret, random_token};
use crate::{ApiError, AppState};

/// How long a hold keeps a slot.
pub const HOLD_SECS: i64 = 10 * 60;
/// How far ahead appointments can be booked.
pub const MAX_AHEAD_DAYS: i64 = 120;
/// Per client address (as the relay forwards it): unconfirmed holds at once,
/// and holds per hour.
pub const MAX_LIVE_HOLDS_PER_IP: i64 = 5;
pub const MAX_HOLDS_PER_IP_HOUR: i64 = 30;
/// Per e-mail address: future bookings at once, and confirmations per day.
pub const MAX_LIVE_BOOKINGS_PER_EMAIL: i64 = 3;
pub const MAX_CONFIRMS_PER_EMAIL_DAY: i64 = 6;

fn db_err(e: rusqlite::Error) -> ApiError {
    crate::db::DbError::from(e).into()
}

fn office(id: &str) -> Result<OfficeRules, ApiError> {
    offices::office(id).ok_or(ApiError::NotFound)
}

fn length(o: &OfficeRules, service: &str, persons: u32) -> Result<i64, ApiError> {
    if !(1..=t::MAX_PERSONS).contains(&persons) {
        return Err(ApiError::BadRequest(format!(
            "persons must be 1 to {}",
            t::MAX_PERSONS
        )));
    }
    o.length_secs(service, persons).ok_or(ApiError::NotFound)
}

/// The free slots of `service` at `office` from day `from` to `to`.
pub fn free_slots(
    c: &Connection,
    office_id: &str,
    service: &str,
    persons: u32,
    from: i64,
    to: i64,
    now: i64,
) -> Result<Vec<(i64, i64)>, ApiError> {
    let o = office(office_id)?;
    let len = length(&o, service, persons)?;
    if to < from || to - from >= t::MAX_QUERY_DAYS {
        return Err(ApiError::BadRequest(format!(
            "from..to must span 1 to {} days",
            t::MAX_QUERY_DAYS
        )));
    }
    let (today, _) = t::unix_to_local(now);
    let last = today + MAX_AHEAD_DAYS;
    let starts: Vec<(i64, i64)> = o
        .starts(from.max(today), to.min(last), len)
        .into_iter()
        .filter(|(s, _)| *s > now)
        .collect();
    let (Some(first), Some(end)) = (starts.first(), starts.last()) else {
        return Ok(Vec::new());
    };
    let (lo, hi) = (first.0, end.1);
    store::release_expired(c, now).map_err(db_err)?;
    let taken: HashSet<(i64, i64)> = store::taken_units(c, o.id(), lo, hi)
        .map_err(db_err)?
        .into_iter()
        .collect();
    let blocks = store::blocks(c, o.id(), lo, hi).map_err(db_err)?;
    let counters = i64::from(o.counters);
    Ok(starts
        .into_iter()
        .filter(|(s, e)| {
            (1..=counters).any(|k| {
                !store::is_blocked(&blocks, k, *s, *e)
                    && (0..(e - s) / UNIT_SECS).all(|i| !taken.contains(&(k, s + i * UNIT_SECS)))
            })
        })
        .collect())
}

/// Checks that `start` can be booked for `len` at `o`; returns the end.
fn bookable(o: &OfficeRules, start: &str, len: i64, now: i64) -> Result<(i64, i64), ApiError> {
    let s = t::parse_rfc3339(start)
        .ok_or_else(|| ApiError::BadRequest("start must be RFC 3339".into()))?;
    let (day, _) = t::unix_to_local(s);
    let (today, _) = t::unix_to_local(now);
    if s <= now || day > today + MAX_AHEAD_DAYS || !o.is_start(s, len) {
        return Err(ApiError::Unprocessable(
            "this time is not a slot of the office".into(),
        ));
    }
    Ok((s, s + len))
}

/// Counters not blocked at [s, e), in order.
fn open_counters(c: &Connection, o: &OfficeRules, s: i64, e: i64) -> rusqlite::Result<Vec<i64>> {
    let blocks = store::blocks(c, o.id(), s, e)?;
    Ok((1..=i64::from(o.counters))
        .filter(|k| !store::is_blocked(&blocks, *k, s, e))
        .collect())
}

/// Holds a slot for [`HOLD_SECS`].
pub async fn hold(
    state: &AppState,
    req: t::HoldRequest,
    client_ip: String,
    now: i64,
) -> Result<Hold, ApiError> {
    let o = office(&req.office)?;
    let len = length(&o, &req.service, req.persons)?;
    let (s, e) = bookable(&o, &req.start, len, now)?;
    let id = random_token();
    let expires_at = now + HOLD_SECS;
    let office_id = o.id().to_string();
    let (hid, service) = (id.clone(), req.service.clone());
    let persons = i64::from(req.persons);
    let placed = state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            store::release_expired(&tx, now)?;
            let (recent, live) = store::holds_by_ip_since(&tx, &client_ip, now - 3600)?;
            if live >= MAX_LIVE_HOLDS_PER_IP || recent >= MAX_HOLDS_PER_IP_HOUR {
                return Ok(Err(ApiError::TooManyRequests {
                    retry_after_secs: HOLD_SECS as u64,
                }));
            }
            let o = offices::office(&office_id);
            let counters = match &o {
                Some(o) => open_counters(&tx, o, s, e)?,
                None => Vec::new(),
            };
            let h = NewHold {
                id: &hid,
                office: &office_id,
                service: &service,
                persons,
                start: s,
                end: e,
                expires_at,
                client_ip: &client_ip,
                now,
            };
            let placed = store::insert_hold(&tx, &h, &counters)?;
            tx.commit()?;
            Ok(Ok(placed))
        })
        .await??;
    if placed.is_none() {
        return Err(ApiError::Conflict("slot_taken".into()));
    }
    Ok(Hold {
        hold_id: id,
        office: req.office,
        service: req.service,
        start: t::rfc3339(s),
        end: t::rfc3339(e),
        expires_at: t::rfc3339(expires_at),
    })
}

/// Releases a hold before it expires.
pub async fn release(state: &AppState, hold_id: String) -> Result<(), ApiError> {
    let n = state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM termine_appointments WHERE id = ?1 AND state = 'held'",
                params![hold_id],
            )
        })
        .await?;
    if n == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.chars().count() <= t::MAX_EMAIL_CHARS
        && !local.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// A random short reference `T-XXXX-XXXX` (no 0/O, 1/I/L).
fn reference() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let token = random_token();
    let chars: Vec<char> = token
        .bytes()
        .take(8)
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect();
    let (a, b) = chars.split_at(4);
    format!(
        "T-{}-{}",
        a.iter().collect::<String>(),
        b.iter().collect::<String>()
    )
}

/// Confirms a hold: the booking, its reference and (this once) its manage token.
pub async fn confirm(
    state: &AppState,
    hold_id: String,
    req: t::ConfirmRequest,
    citizen: Option<String>,
    now: i64,
) -> Result<Confirmed, ApiError> {
    let name = req.name.trim().to_string();
    let email = req.email.trim().to_lowercase();
    if name.is_empty()
        || name.chars().count() > t::MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::Unprocessable(
            "name is required (at most 120 characters)".into(),
        ));
    }
    if !valid_email(&email) {
        return Err(ApiError::Unprocessable(
            "email is not an e-mail address".into(),
        ));
    }
    let token = random_token();
    let hash = hash_secret(&token);
    let result = state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            store::release_expired(&tx, now)?;
            let Some(row) = store::by_id(&tx, &hold_id)?.filter(|r| r.state == "held") else {
                return Ok(Err(ApiError::NotFound));
            };
            let (live, recent) = store::bookings_by_email(&tx, &email, now, now - 86_400)?;
            if live >= MAX_LIVE_BOOKINGS_PER_EMAIL || recent >= MAX_CONFIRMS_PER_EMAIL_DAY {
                return Ok(Err(ApiError::TooManyRequests {
                    retry_after_secs: 3600,
                }));
            }
            let mut reference_ok = None;
            for _ in 0..5 {
                let r = reference();
                let n = tx.execute(
                    "UPDATE termine_appointments SET state = 'booked', hold_expires_at = NULL,
                        reference = ?2, manage_hash = ?3, name = ?4, email = ?5, citizen = ?6,
                        confirmed_at = ?7
                     WHERE id = ?1 AND state = 'held'
                       AND NOT EXISTS (SELECT 1 FROM termine_appointments WHERE reference = ?2)",
                    params![hold_id, r, hash, name, email, citizen, now],
                )?;
                if n == 1 {
                    reference_ok = Some(r);
                    break;
                }
            }
            if reference_ok.is_none() {
                return Ok(Err(ApiError::Internal("no free reference".into())));
            }
            let row = store::by_id(&tx, &row.id)?;
            if let Some(r) = &row {
                notice(&tx, r, "Terminbestätigung", now)?;
            }
            tx.commit()?;
            Ok(Ok(row))
        })
        .await??;
    let row = result.ok_or(ApiError::NotFound)?;
    Ok(Confirmed {
        booking: public(&row)?,
        manage_token: token,
    })
}

/// Writes a notice to the booking's e-mail address into the outbox.
pub(super) fn notice(c: &Connection, r: &Row, subject: &str, now: i64) -> rusqlite::Result<()> {
    let Some(email) = &r.email else { return Ok(()) };
    let o = offices::office(&r.office);
    let (office, address) = o
        .as_ref()
        .map(|o| (o.authority.title.clone(), o.address()))
        .unwrap_or_default();
    let mut body = format!(
        "{subject}\n\nVorgangsnummer: {}\nTermin: {} bis {} (Europe/Berlin)\nOrt: {office}, {address}\n",
        r.reference.as_deref().unwrap_or("–"),
        t::rfc3339(r.start_at),
        t::rfc3339(r.end_at),
    );
    if let Some(why) = &r.cancel_reason {
        body.push_str(&format!("Grund: {why}\n"));
    }
    store::add_notice(c, &r.id, email, subject, &body, now)
}

/// The booking as its owner sees it.
pub fn public(r: &Row) -> Result<Booking, ApiError> {
    let o = office(&r.office)?;
    let service = o.service(&r.service);
    Ok(Booking {
        reference: r.reference.clone().unwrap_or_default(),
        status: match r.state.as_str() {
            "cancelled" => BookingStatus::Cancelled,
            "cancelled_by_office" => BookingStatus::CancelledByOffice,
            _ => BookingStatus::Booked,
        },
        office: r.office.clone(),
        office_name: o.authority.title.clone(),
        address: o.address(),
        service: r.service.clone(),
        service_name: service.map(|s| s.name.clone()).unwrap_or_default(),
        start: t::rfc3339(r.start_at),
        end: t::rfc3339(r.end_at),
        persons: u32::try_from(r.persons).unwrap_or(1),
        name: r.name.clone().unwrap_or_default(),
        email: r.email.clone().unwrap_or_default(),
        documents: service.map(|s| s.documents.clone()).unwrap_or_default(),
        costs: service.map(|s| s.costs.clone()).unwrap_or_default(),
        cancel_reason: r.cancel_reason.clone(),
    })
}

/// The booking of a manage token; refused (404) when the token is unknown
/// or its appointment is over.
fn owned(c: &Connection, token: &str, now: i64) -> rusqlite::Result<Option<Row>> {
    if token.len() < 32 || token.len() > 64 {
        return Ok(None);
    }
    Ok(store::by_manage_hash(c, &hash_secret(token))?.filter(|r| r.end_at > now))
}

pub async fn view(state: &AppState, token: String, now: i64) -> Result<Booking, ApiError> {
    let row = state.db.call(move |c| owned(c, &token, now)).await?;
    public(&row.ok_or(ApiError::NotFound)?)
}

/// Moves a booking to `start` (same office and service); the old slot is
/// freed in the same transaction.
pub async fn change(
    state: &AppState,
    token: String,
    start: String,
    now: i64,
) -> Result<Booking, ApiError> {
    let row = state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            store::release_expired(&tx, now)?;
            let Some(r) = owned(&tx, &token, now)? else {
                return Ok(Err(ApiError::NotFound));
            };
            if r.state != "booked" || r.start_at <= now {
                return Ok(Err(ApiError::Conflict("the booking cannot be changed".into())));
            }
            let Some(o) = offices::office(&r.office) else {
                return Ok(Err(ApiError::NotFound));
            };
            let persons = u32::try_from(r.persons).unwrap_or(1);
            let (s, e) = match length(&o, &r.service, persons)
                .and_then(|len| bookable(&o, &start, len, now))
            {
                Ok(v) => v,
                Err(err) => return Ok(Err(err)),
            };
            tx.execute(
                "DELETE FROM termine_units WHERE appointment_id = ?1",
                params![r.id],
            )?;
            let mut placed = None;
            for k in open_counters(&tx, &o, s, e)? {
                if store::occupy(&tx, &r.office, k, s, e, &r.id)? {
                    placed = Some(k);
                    break;
                }
            }
            let Some(k) = placed else {
                return Ok(Err(ApiError::Conflict("slot_taken".into())));
            };
            tx.execute(
                "UPDATE termine_appointments SET counter = ?2, start_at = ?3, end_at = ?4 WHERE id = ?1",
                params![r.id, k, s, e],
            )?;
            let r = store::by_id(&tx, &r.id)?;
            if let Some(r) = &r {
                notice(&tx, r, "Termin verschoben", now)?;
            }
            tx.commit()?;
            Ok(Ok(r))
        })
        .await??;
    public(&row.ok_or(ApiError::NotFound)?)
}

/// Cancels a booking; its slot is free at once.
pub async fn cancel(state: &AppState, token: String, now: i64) -> Result<Booking, ApiError> {
    let row = state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(r) = owned(&tx, &token, now)? else {
                return Ok(Err(ApiError::NotFound));
            };
            if r.state != "booked" || r.start_at <= now {
                return Ok(Err(ApiError::Conflict("the booking cannot be cancelled".into())));
            }
            tx.execute(
                "UPDATE termine_appointments SET state = 'cancelled', cancelled_at = ?2 WHERE id = ?1",
                params![r.id, now],
            )?;
            tx.execute(
                "DELETE FROM termine_units WHERE appointment_id = ?1",
                params![r.id],
            )?;
            let r = store::by_id(&tx, &r.id)?;
            if let Some(r) = &r {
                notice(&tx, r, "Termin abgesagt", now)?;
            }
            tx.commit()?;
            Ok(Ok(r))
        })
        .await??;
    public(&row.ok_or(ApiError::NotFound)?)
}

/// The bookings of a logged-in citizen (by `sub`), oldest first.
pub async fn of_citizen(state: &AppState, citizen: String) -> Result<Vec<Booking>, ApiError> {
    let rows = state
        .db
        .call(move |c| store::by_citizen(c, &citizen))
        .await?;
    rows.iter().map(public).collect()
}

/// Writes a reminder notice for every booking whose day (Berlin) is the
/// day after `now`'s, once per booking; returns how many.
pub async fn send_reminders(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let (today, _) = t::unix_to_local(now);
    let (Some(from), Some(to)) = (
        t::local_to_unix(today + 1, 0),
        t::local_to_unix(today + 2, 0),
    ) else {
        return Ok(0);
    };
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids: Vec<String> = {
                let mut st = tx.prepare(
                    "SELECT id FROM termine_appointments
                     WHERE state = 'booked' AND reminded_at IS NULL
                       AND start_at >= ?1 AND start_at < ?2",
                )?;
                let rows = st.query_map(params![from, to], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in &ids {
                tx.execute(
                    "UPDATE termine_appointments SET reminded_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                if let Some(r) = store::by_id(&tx, id)? {
                    notice(&tx, &r, "Erinnerung an Ihren Termin morgen", now)?;
                }
            }
            tx.commit()?;
            Ok(ids.len())
        })
        .await?)
}
