//! "Meine Daten" (issue #18): what the relay stores about a citizen can be
//! downloaded (`GET /api/v1/account/export`) and deleted
//! (`DELETE /api/v1/account/data`) by the citizen, and everything it stores
//! is kept only for the periods of `contract::relay::retention`, enforced
//! by [`sweep`] (docs/security.md "Retention").
//!
//! What the relay stores about a citizen, all keyed by the identity
//! provider's pseudonym (`sub`):
//! * `relay_sessions`: each login (device, level, method, the attributes
//!   the provider sent, times) and the provider's tokens (for a SAML login,
//!   BundID's name id and its SHA-256, which a logout at BundID looks up);
//! * `relay_submissions`: the record of each application and follow-up it
//!   forwarded (ids, reference, service, authority, level, times, the JWE
//!   authentication tags);
//! * `relay_disclosures`: which account attributes it handed out for which
//!   application;
//! * `relay_mandates`, `relay_mandate_uses`, `relay_mandate_codes`,
//!   `relay_mandate_tries`: mandates in both roles, their use log, the
//!   citizen's code and wrong tries (`crate::mandates::store`);
//! * `relay_payments`: each application's fee (amount, Kassenzeichen, the
//!   fee basis, the provider's transaction and what it said), kept and
//!   deleted with the application's record.
//!
//! Login transactions (`relay_login_tx`) belong to no citizen yet; the
//! counters of references, the keys in `relay_meta` and the in-memory
//! catalogue are no personal data.
//!
//! All SQL of this feature is here, plain and portable (no `INSERT OR`, no
//! SQLite date functions, integers as seconds).

use std::time::Duration;

use crate::db::{params, Connection};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use contract::relay::{
    retention, DataDeleted, DeleteData, ErrorBody, DELETE_CONFIRMATION, ERROR_CONFIRMATION,
    VERSION_HEADER,
};
use serde_json::{json, Value};

use crate::db::Db;
use crate::error::RelayError;
use crate::session::{self, Citizen};
use crate::RelayState;

/// The delete request is tiny JSON.
pub const MAX_DELETE_BYTES: usize = 1024;

/// The routes (under `/api/v1`).
pub fn router() -> Router<RelayState> {
    Router::new().route("/account/export", get(export)).route(
        "/account/data",
        delete(delete_data).layer(DefaultBodyLimit::max(MAX_DELETE_BYTES)),
    )
}

// ---------------------------------------------------------------------------
// Reading: everything stored about one citizen.

/// One stored session, without its secrets (cookie hash, tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id_hash: String,
    pub public_id: String,
    pub device: String,
    pub level: String,
    pub method: String,
    pub attributes: Value,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub max_expires_at: i64,
    pub extensions: i64,
}

/// One stored submission record (an application, or a follow-up when
/// `follows` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    pub submission_id: String,
    pub case_id: String,
    pub reference: String,
    pub service_name: String,
    pub service_identifier: String,
    pub destination_id: String,
    pub destination_name: String,
    pub level: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub sent_tags: Value,
    pub follows: Option<String>,
}

/// One stored disclosure row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDisclosure {
    pub submission_id: String,
    pub attribute: String,
}

/// Everything the relay stores keyed by one citizen's `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stored {
    pub sessions: Vec<StoredSession>,
    pub submissions: Vec<StoredSubmission>,
    pub disclosures: Vec<StoredDisclosure>,
}

/// Reads every row the relay holds about `sub`, in one transaction (a
/// consistent picture).
pub fn stored(c: &mut Connection, sub: &str) -> crate::db::Result<Stored> {
    let tx = c.transaction()?;
    let sessions = {
        let mut stmt = tx.prepare(
            "SELECT id_hash, public_id, device, level, method, attributes, created_at,
                    last_seen_at, expires_at, max_expires_at, extensions
             FROM relay_sessions WHERE sub = ?1 ORDER BY created_at DESC, public_id",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            let attributes: String = r.get(5)?;
            Ok(StoredSession {
                id_hash: r.get(0)?,
                public_id: r.get(1)?,
                device: r.get(2)?,
                level: r.get(3)?,
                method: r.get(4)?,
                attributes: serde_json::from_str(&attributes).unwrap_or(Value::Array(vec![])),
                created_at: r.get(6)?,
                last_seen_at: r.get(7)?,
                expires_at: r.get(8)?,
                max_expires_at: r.get(9)?,
                extensions: r.get(10)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let submissions = {
        let mut stmt = tx.prepare(
            "SELECT submission_id, case_id, reference, service_name, service_identifier,
                    destination_id, destination_name, level, created_at, submitted_at,
                    sent_tags, follows
             FROM relay_submissions WHERE sub = ?1
             ORDER BY created_at DESC, announced_ms DESC, submission_id",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            let tags: String = r.get(10)?;
            Ok(StoredSubmission {
                submission_id: r.get(0)?,
                case_id: r.get(1)?,
                reference: r.get(2)?,
                service_name: r.get(3)?,
                service_identifier: r.get(4)?,
                destination_id: r.get(5)?,
                destination_name: r.get(6)?,
                level: r.get(7)?,
                created_at: r.get(8)?,
                submitted_at: r.get(9)?,
                sent_tags: serde_json::from_str(&tags).unwrap_or(Value::Object(Default::default())),
                follows: r.get(11)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let disclosures = {
        let mut stmt = tx.prepare(
            "SELECT submission_id, attribute FROM relay_disclosures WHERE sub = ?1
             ORDER BY submission_id, position",
        )?;
        let rows = stmt.query_map(params![sub], |r| {
            Ok(StoredDisclosure {
                submission_id: r.get(0)?,
                attribute: r.get(1)?,
            })
        })?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    tx.commit()?;
    Ok(Stored {
        sessions,
        submissions,
        disclosures,
    })
}

// ---------------------------------------------------------------------------
// Deleting: everything about one citizen, in one transaction.

/// What [`delete_all`] removed, and the ID tokens of the sessions that were
/// still live (to end them at the identity provider too).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deleted {
    pub id_tokens: Vec<String>,
    pub sessions: u32,
    pub applications: u32,
    pub follow_ups: u32,
    pub disclosures: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Deletes every row the relay holds about `sub`: sessions (on every
/// device), application and follow-up records, disclosure entries, the
/// attachment bytes counted for their quota. One
/// transaction: all of it or nothing.
pub fn delete_all(c: &mut Connection, sub: &str) -> crate::db::Result<Deleted> {
    let tx = c.transaction()?;
    let id_tokens = {
        let mut stmt = tx.prepare(
            "SELECT id_token FROM relay_sessions
             WHERE sub = ?1 AND expires_at > ?2 AND max_expires_at > ?2",
        )?;
        let rows = stmt.query_map(params![sub, session::now()], |r| r.get::<_, String>(0))?;
        rows.collect::<crate::db::Result<Vec<_>>>()?
    };
    let sessions = tx.execute(
        "DELETE FROM relay_sessions WHERE sub = ?1 AND expires_at > ?2 AND max_expires_at > ?2",
        params![sub, session::now()],
    )?;
    // Ended ones (not swept yet) go too; they are not counted as ended now.
    tx.execute("DELETE FROM relay_sessions WHERE sub = ?1", params![sub])?;
    let disclosures = tx.execute("DELETE FROM relay_disclosures WHERE sub = ?1", params![sub])?;
    // The fees' records (`crate::payment`); the provider keeps its bookings.
    tx.execute("DELETE FROM relay_payments WHERE sub = ?1", params![sub])?;
    // The notice settings, devices, seen signals, queued notices (`crate::notify`).
    crate::notify::store::delete_all(&tx, sub)?;
    // Mandates (`crate::mandates`): ended in both roles, the grantor's
    // snapshot and the citizen's code deleted; the mandate and its use log
    // stay for the other party until their retention ends.
    crate::mandates::store::end_all_of(&tx, sub, session::now())?;
    // The attachment bytes counted for the quota of open applications
    // (`crate::limits`), keyed by the submissions about to go.
    tx.execute(
        "DELETE FROM relay_attachment_bytes WHERE submission_id IN (
             SELECT submission_id FROM relay_submissions WHERE sub = ?1)",
        params![sub],
    )?;
    let follow_ups = tx.execute(
        "DELETE FROM relay_submissions WHERE sub = ?1 AND follows IS NOT NULL",
        params![sub],
    )?;
    let applications = tx.execute("DELETE FROM relay_submissions WHERE sub = ?1", params![sub])?;
    tx.commit()?;
    Ok(Deleted {
        id_tokens,
        sessions: count(sessions),
        applications: count(applications),
        follow_ups: count(follow_ups),
        disclosures: count(disclosures),
    })
}

// ---------------------------------------------------------------------------
// Retention: the sweep.

/// What one [`sweep`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    pub sessions: usize,
    pub login_transactions: usize,
    pub submissions: usize,
    pub disclosures: usize,
}

impl Swept {
    pub fn any(&self) -> bool {
        self.sessions + self.login_transactions + self.submissions + self.disclosures > 0
    }
}

/// Removes what is past its retention period at `now` (Unix seconds):
/// * sessions that ended (their end or their hard limit passed);
/// * login transactions past their 15 minutes;
/// * cases (an application with its follow-ups) in which something was
///   sent, [`retention::CASE_DAYS`] after the last thing sent or announced
///   in the case; cases in which nothing was ever sent,
///   [`retention::UNSENT_DAYS`] after the last announcement;
/// * disclosure entries [`retention::DISCLOSURE_DAYS`] after their
///   application was sent, and any whose record is gone.
///
/// Every statement deletes by a condition on `now`, so several relay
/// instances may sweep at the same time: whoever comes second finds
/// nothing left (SQLite serialises the writers; PostgreSQL's row locks
/// make a concurrent DELETE of the same rows wait and then skip them).
pub fn sweep(c: &mut Connection, now: i64) -> crate::db::Result<Swept> {
    let tx = c.transaction()?;
    let sessions = tx.execute(
        "DELETE FROM relay_sessions WHERE expires_at <= ?1 OR max_expires_at <= ?1",
        params![now],
    )?;
    let login_transactions = tx.execute(
        "DELETE FROM relay_login_tx WHERE expires_at <= ?1",
        params![now],
    )?;
    let submissions = tx.execute(
        "DELETE FROM relay_submissions WHERE case_id IN (
             SELECT case_id FROM relay_submissions GROUP BY case_id
             HAVING (COUNT(submitted_at) > 0 AND MAX(CASE
                         WHEN submitted_at IS NOT NULL AND submitted_at > created_at
                         THEN submitted_at ELSE created_at END) <= ?1)
                 OR (COUNT(submitted_at) = 0 AND MAX(created_at) <= ?2))",
        params![
            now - retention::days(retention::CASE_DAYS),
            now - retention::days(retention::UNSENT_DAYS)
        ],
    )?;
    let expired = tx.execute(
        "DELETE FROM relay_disclosures WHERE submission_id IN (
             SELECT submission_id FROM relay_submissions
             WHERE submitted_at IS NOT NULL AND submitted_at <= ?1)",
        params![now - retention::days(retention::DISCLOSURE_DAYS)],
    )?;
    // A fee's record goes with its application's record.
    tx.execute(
        "DELETE FROM relay_payments WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_payments.submission_id)",
        params![],
    )?;
    // Notices (`crate::notify`): seen signals and watched cases go with
    // their case's record; stale choices and citizens without any.
    crate::notify::store::sweep(&tx, now)?;
    // Mandates (`crate::mandates::store::sweep`): codes, snapshots of ended
    // mandates, ended mandates and uses after their period.
    crate::mandates::store::sweep(&tx, now)?;
    let orphans = tx.execute(
        "DELETE FROM relay_disclosures WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_disclosures.submission_id)",
        params![],
    )?;
    tx.commit()?;
    Ok(Swept {
        sessions,
        login_transactions,
        submissions,
        disclosures: expired + orphans,
    })
}

/// Runs [`sweep`] now and then every [`retention::SWEEP_MINUTES`], in the
/// background, for as long as the runtime lives. Started once per relay
/// instance ([`RelayState::with_db`]); instances sharing the database may
/// all run it.
pub fn spawn_sweep(db: Db) {
    tokio::spawn(async move {
        let period = Duration::from_secs(retention::SWEEP_MINUTES.unsigned_abs() * 60);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match db.call(|c| sweep(c, session::now())).await {
                Ok(s) if s.any() => tracing::info!(
                    sessions = s.sessions,
                    login_transactions = s.login_transactions,
                    submissions = s.submissions,
                    disclosures = s.disclosures,
                    "retention sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; next time again"),
            }
        }
    });
}

/// When the record of the case of `rows` (all rows of one case) is due for
/// deletion under [`sweep`]'s rule.
pub fn case_kept_until(rows: &[&StoredSubmission]) -> Option<i64> {
    let last_sent = rows
        .iter()
        .filter_map(|r| r.submitted_at.map(|s| s.max(r.created_at)))
        .max();
    let last_announced = rows.iter().map(|r| r.created_at).max()?;
    Some(match last_sent {
        Some(sent) => sent.max(last_announced) + retention::days(retention::CASE_DAYS),
        None => last_announced + retention::days(retention::UNSENT_DAYS),
    })
}

// ---------------------------------------------------------------------------
// Dates.

/// `2026-12-03T09:30:00Z`.
pub fn iso_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = contract::calendar::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The last Sunday of `month` (March or October: 31 days) in `year`, as
/// days since 1970-01-01.
fn last_sunday_of(year: i64, month: u32) -> i64 {
    let last = contract::calendar::days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

/// The calendar date in Germany (CET, CEST from the last Sunday of March to
/// the last Sunday of October, switching at 01:00 UTC).
pub fn date_in_germany(unix: i64) -> (i64, u32, u32) {
    let (year, _, _) = contract::calendar::civil_from_days(unix.div_euclid(86_400));
    let start = last_sunday_of(year, 3) * 86_400 + 3600;
    let end = last_sunday_of(year, 10) * 86_400 + 3600;
    let offset = if (start..end).contains(&unix) {
        7200
    } else {
        3600
    };
    contract::calendar::civil_from_days((unix + offset).div_euclid(86_400))
}

// ---------------------------------------------------------------------------
// The export document.

fn when(t: i64) -> Value {
    Value::String(iso_utc(t))
}

fn when_opt(t: Option<i64>) -> Value {
    t.map(when).unwrap_or(Value::Null)
}

/// The JSON document of `GET /api/v1/account/export`.
pub fn document(stored: &Stored, sub: &str, handle: &str, current: &str, now: i64) -> Value {
    let sessions: Vec<Value> = stored
        .sessions
        .iter()
        .map(|s| {
            let ends = s.expires_at.min(s.max_expires_at);
            json!({
                "id": s.public_id,
                "device": s.device,
                "level": s.level,
                "method": s.method,
                "attributes": s.attributes,
                "createdAt": when(s.created_at),
                "lastSeenAt": when(s.last_seen_at),
                "endsAt": when(ends),
                "ended": ends <= now,
                "extensions": s.extensions,
                "current": s.id_hash == current,
            })
        })
        .collect();
    let case_rows = |case: &str| -> Vec<&StoredSubmission> {
        stored
            .submissions
            .iter()
            .filter(|r| r.case_id == case)
            .collect()
    };
    let record = |r: &StoredSubmission| {
        json!({
            "submissionId": r.submission_id,
            "caseId": r.case_id,
            "reference": r.reference,
            "service": {"name": r.service_name, "identifier": r.service_identifier},
            "authority": {"destinationId": r.destination_id, "name": r.destination_name},
            "levelNeeded": r.level,
            "announcedAt": when(r.created_at),
            "sentAt": when_opt(r.submitted_at),
            "authenticationTags": r.sent_tags,
        })
    };
    let applications: Vec<Value> = stored
        .submissions
        .iter()
        .filter(|r| r.follows.is_none())
        .map(|r| {
            let mut v = record(r);
            v["keptUntil"] = when_opt(case_kept_until(&case_rows(&r.case_id)));
            v
        })
        .collect();
    let follow_ups: Vec<Value> = stored
        .submissions
        .iter()
        .filter_map(|r| {
            let app = r.follows.as_ref()?;
            let mut v = record(r);
            v["follows"] = Value::String(app.clone());
            Some(v)
        })
        .collect();
    let mut disclosures: Vec<Value> = Vec::new();
    for d in &stored.disclosures {
        let last = disclosures.last_mut();
        match last {
            Some(v) if v["submissionId"] == d.submission_id.as_str() => {
                if let Some(a) = v["attributes"].as_array_mut() {
                    a.push(Value::String(d.attribute.clone()));
                }
            }
            _ => {
                let sent = stored
                    .submissions
                    .iter()
                    .find(|r| r.submission_id == d.submission_id)
                    .and_then(|r| r.submitted_at);
                disclosures.push(json!({
                    "submissionId": d.submission_id,
                    "attributes": [d.attribute],
                    "sentAt": when_opt(sent),
                    "keptUntil": when_opt(sent.map(|s| s + retention::days(retention::DISCLOSURE_DAYS))),
                }));
            }
        }
    }
    json!({
        "document": "Bürgeramt NRW: Ihre Daten beim Relay / your data at the relay",
        "format": 1,
        "exportedAt": when(now),
        "about": {
            "de": "Das ist alles, was der Server von Bürgeramt (das Relay) über Sie speichert: Ihre Anmeldungen (ohne die geheimen Schlüssel und Tokens), die Liste Ihrer Anträge und Nachreichungen (ohne deren Inhalt: den kann nur die Behörde entschlüsseln) und welche Angaben aus Ihrem Konto an welche Behörde gingen. Zeiten in UTC.",
            "en": "This is everything Bürgeramt's server (the relay) stores about you: your logins (without the secret keys and tokens), the list of your applications and follow-ups (without their content: only the authority can decrypt it) and which details from your account went to which authority. Times in UTC."
        },
        "citizen": {
            "pseudonym": sub,
            "handle": handle,
            "note": {
                "de": "Das Pseudonym hat die BundID für Bürgeramt gebildet; es ist nicht Ihr Name. Die Kennung (handle) leitet das Relay daraus ab.",
                "en": "BundID made the pseudonym for Bürgeramt; it is not your name. The relay derives the handle from it."
            }
        },
        "sessions": sessions,
        "applications": applications,
        "followUps": follow_ups,
        "disclosures": disclosures,
        "notExported": [
            {
                "what": "tokens",
                "de": "Die Tokens der BundID zu Ihren Anmeldungen (Zugangs-, Erneuerungs- und ID-Token) und der Hashwert Ihres Sitzungs-Cookies sind Geheimnisse und werden nicht ausgegeben. Sie werden mit der Anmeldung gelöscht.",
                "en": "BundID's tokens of your logins (access, refresh and ID token) and the hash of your session cookie are secrets and are not exported. They are deleted with the login."
            }
        ],
        "retention": {
            "sessions": {
                "de": format!("Eine Anmeldung wird gelöscht, sobald sie endet (Abmelden, Ablauf), spätestens {} Minuten danach.", retention::SWEEP_MINUTES),
                "en": format!("A login is deleted as soon as it ends (logout, expiry), at the latest {} minutes later.", retention::SWEEP_MINUTES)
            },
            "loginTransactions": {
                "de": format!("Ein begonnener Anmeldevorgang gilt {} Minuten und wird dann gelöscht.", retention::LOGIN_MINUTES),
                "en": format!("A login in progress is valid for {} minutes and is then deleted.", retention::LOGIN_MINUTES)
            },
            "applications": {
                "de": format!("Ein Antrag, der nie abgeschickt wurde: {} Tage nach dem Beginn. Ein abgeschickter Antrag mit seinen Nachreichungen: {} Tage nach dem letzten Versand im Vorgang.", retention::UNSENT_DAYS, retention::CASE_DAYS),
                "en": format!("An application never sent: {} days after it was started. A sent application with its follow-ups: {} days after the last thing sent in the case.", retention::UNSENT_DAYS, retention::CASE_DAYS)
            },
            "disclosures": {
                "de": format!("{} Tage nach dem Absenden des Antrags.", retention::DISCLOSURE_DAYS),
                "en": format!("{} days after the application was sent.", retention::DISCLOSURE_DAYS)
            }
        },
        "elsewhere": [
            {
                "what": "postbox",
                "de": "Nachrichten und Bescheide liegen im Postfach der BundID (Zentrales Bürgerpostfach, ZBP), nicht beim Relay. Sie lesen, laden und löschen sie unter „Postfach“.",
                "en": "Messages and decisions are in BundID's postbox (Zentrales Bürgerpostfach, ZBP), not at the relay. You read, download and delete them under “Postbox”."
            },
            {
                "what": "applications",
                "de": "Den Inhalt Ihrer Anträge und Unterlagen hat die Behörde über FIT-Connect erhalten (verschlüsselt, nur sie kann ihn lesen). Die Behörde führt den Vorgang nach ihren Regeln; Auskunft über ihre Daten gibt sie selbst. Nennen Sie dabei die Vorgangsnummer.",
                "en": "The authority received the content of your applications and documents through FIT-Connect (encrypted, only it can read them). The authority keeps the case under its own rules and answers requests about its data itself. Quote the reference number."
            },
            {
                "what": "account",
                "de": "Ihr Konto (Name, Anschrift, Anmeldearten) führt die BundID (id.bund.de). Dort sehen, ändern und löschen Sie es.",
                "en": "Your account (name, address, ways to log in) is kept by BundID (id.bund.de). View, change and delete it there."
            },
            {
                "what": "drafts",
                "de": "Entwürfe von Anträgen liegen verschlüsselt nur auf Ihrem Gerät, nicht beim Relay.",
                "en": "Drafts of applications are stored encrypted on your device only, not at the relay."
            }
        ]
    })
}

// ---------------------------------------------------------------------------
// The routes.

/// Whether the request comes from the app itself: the API header (a
/// navigation or a cross-site form cannot send it) and no cross-site
/// `Sec-Fetch-Site`. The export is a GET, which the general guard lets
/// through; a download started by another site is refused all the same.
fn from_the_app(headers: &HeaderMap) -> bool {
    headers.contains_key(VERSION_HEADER)
        && headers
            .get("sec-fetch-site")
            .is_none_or(|v| matches!(v.to_str(), Ok("same-origin" | "none")))
}

/// `GET /api/v1/account/export`: the document above, as a download.
pub async fn export(
    State(st): State<RelayState>,
    headers: HeaderMap,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    if !from_the_app(&headers) {
        return Err(RelayError::CrossSite);
    }
    let sub = s.sub.clone();
    let stored = st.db.call(move |c| stored(c, &sub)).await?;
    let now = session::now();
    let handle = session::handle(&st.shared, &s.sub);
    let mut doc = document(&stored, &s.sub, &handle, &s.id_hash, now);
    // The fees (`crate::payment`): amount, Kassenzeichen, fee basis, state.
    doc["payments"] = Value::Array(crate::payment::exported(&st, &s.sub).await?);
    // The notice settings (`crate::notify`): addresses, devices (no keys).
    doc["notifications"] = crate::notify::exported(&st, &s.sub).await?;
    // Mandates granted and received, and their use log (issue #25).
    doc["mandates"] = crate::mandates::exported(&st, &s.sub).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| RelayError::Internal(e.to_string()))?;
    let (y, m, d) = date_in_germany(now);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        contract::relay::export_filename(y, m, d)
    );
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// 400 `confirmation_required`: the deletion needs the citizen's fresh
/// confirmation for this login.
fn confirmation_required() -> Response {
    let mut resp = (
        StatusCode::BAD_REQUEST,
        Json(ErrorBody {
            error: ERROR_CONFIRMATION.into(),
            message: "Bitte bestätigen Sie das Löschen noch einmal. Es wurde nichts gelöscht."
                .into(),
            message_en: "Please confirm the deletion once more. Nothing was deleted.".into(),
            required_level: None,
        }),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `DELETE /api/v1/account/data` with [`DeleteData`]: deletes everything
/// above about the citizen, ends all their sessions (here and at the
/// identity provider) and clears this browser's cookie.
pub async fn delete_data(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, RelayError> {
    let Ok(req) = serde_json::from_slice::<DeleteData>(&body) else {
        return Ok(confirmation_required());
    };
    let handle = session::handle(&st.shared, &s.sub);
    if req.confirm != DELETE_CONFIRMATION || req.handle != handle {
        return Ok(confirmation_required());
    }
    let sub = s.sub.clone();
    let deleted = st.db.call(move |c| delete_all(c, &sub)).await?;
    for t in &deleted.id_tokens {
        st.shared.oidc.end_session(t).await;
    }
    let mut resp = Json(DataDeleted {
        sessions: deleted.sessions,
        applications: deleted.applications,
        follow_ups: deleted.follow_ups,
        disclosures: deleted.disclosures,
    })
    .into_response();
    let https = st.shared.config.https();
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(session::cookie_name(https), None, https, 0),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc_and_in_germany() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_796_000_000), "2026-11-30T00:53:20Z");
        // 2026-12-31 23:30 UTC is already 1 January in Germany (CET).
        let nye = contract::calendar::days_from_civil(2026, 12, 31) * 86_400 + 23 * 3600 + 1800;
        assert_eq!(date_in_germany(nye), (2027, 1, 1));
        // 2026-07-01 22:30 UTC is 00:30 on 2 July (CEST), 21:30 UTC still 1 July.
        let july = contract::calendar::days_from_civil(2026, 7, 1) * 86_400;
        assert_eq!(date_in_germany(july + 22 * 3600 + 1800), (2026, 7, 2));
        assert_eq!(date_in_germany(july + 21 * 3600 + 1800), (2026, 7, 1));
        // Summer time starts 2026-03-29 01:00 UTC: 22:30 UTC on 28 March is
        // 23:30 CET (28th); 22:30 UTC on 29 March is 00:30 CEST (30th).
        let march = contract::calendar::days_from_civil(2026, 3, 28) * 86_400;
        assert_eq!(date_in_germany(march + 22 * 3600 + 1800), (2026, 3, 28));
        assert_eq!(
            date_in_germany(march + 86_400 + 22 * 3600 + 1800),
            (2026, 3, 30)
        );
        assert_eq!(
            last_sunday_of(2026, 10),
            contract::calendar::days_from_civil(2026, 10, 25)
        );
    }

    #[test]
    fn only_the_apps_own_calls_export() {
        let mut h = HeaderMap::new();
        assert!(!from_the_app(&h), "a navigation has no API header");
        h.insert(VERSION_HEADER, HeaderValue::from_static("1"));
        assert!(from_the_app(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!from_the_app(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(from_the_app(&h));
    }

    #[test]
    fn the_login_transaction_lives_as_long_as_stated() {
        assert_eq!(retention::LOGIN_MINUTES * 60, session::LOGIN_TX_SECS);
    }
}
