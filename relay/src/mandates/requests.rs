//! Mandates for children and cared-for persons (issue #25): a parent
//! (Sorgerecht) or a court-appointed carer (Betreuung) requests the mandate
//! with proof, as an application to the relay's own authority (service
//! [`contract::mandate_request::SERVICE`]); docs/relay.md, "Mandates for
//! children and cared-for persons".
//!
//! * `POST /api/v1/mandates/requests` ([`Request`]), after the announce and
//!   before the attestation: the relay checks the declared data and keeps a
//!   **pending** mandate for that submission ([`super::request_store`]).
//! * The attestation of that submission carries `mandateRequest`
//!   ([`attested`]), which the authority checks against the form and the
//!   proof.
//! * FIT-Connect's status of the submission decides it: `accepted` makes
//!   it active, `rejected` refused ([`settle`]). The relay asks whenever it
//!   looks at a pending one (the list, the check before a use).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use contract::attestation::AttestedAttribute;
use contract::encoding::url_encode;
use contract::mandate::{self as api, Kind};
use contract::mandate_request::{self as req, AttestedRequest, Declared, Request};
use contract::relay::Attribute;

use super::request_store::{self as rs, Decision, NewRequest, Requested};
use super::{end_of_day_in_germany, party_of, MandateError};
use crate::error::RelayError;
use crate::records::Record;
use crate::session::{self, Citizen, Session};
use crate::RelayState;

/// A request: names, dates and the Aufgabenkreise.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Why a request (or the attestation of its submission) was refused:
/// 400 [`req::ERROR_INVALID_REQUEST`], the message says what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not the asker's own announced, unsent request submission.
    Submission,
    /// The kind is Vollmacht.
    Kind,
    /// A name is empty, too long or holds control characters.
    Name,
    /// The birth date is not a date, or lies in the future.
    BirthDate,
    /// Sorgerecht: the person is 18 or older.
    Adult,
    /// Betreuung: the end is not a date, past, or too far ahead.
    CareUntil,
    /// Betreuung: the Aufgabenkreise are missing or too long; or given
    /// for Sorgerecht.
    CareScope,
    /// The submission's mandate was decided or ended already.
    Decided,
    /// The attestation of a request submission before the request.
    NotRequested,
}

impl Problem {
    /// The German and English words.
    pub(crate) fn words(self) -> (&'static str, &'static str) {
        use Problem::*;
        match self {
            Submission => (
                "Der Antrag ist kein eigener, noch nicht abgesendeter Antrag auf Bestätigung einer Vertretung.",
                "The submission is not your own, unsent request for a mandate.",
            ),
            Kind => (
                "Nur Sorgerecht oder rechtliche Betreuung können so nachgewiesen werden.",
                "Only Sorgerecht or Betreuung can be requested this way.",
            ),
            Name => (
                "Vorname und Familienname der Person müssen angegeben und höchstens 100 Zeichen lang sein.",
                "The person's given names and family name must be given, at most 100 characters each.",
            ),
            BirthDate => (
                "Das Geburtsdatum ist kein gültiges Datum oder liegt in der Zukunft.",
                "The birth date is not a valid date or lies in the future.",
            ),
            Adult => (
                "Die Person ist volljährig: Elterliche Sorge gilt nur bis zum 18. Geburtstag.",
                "The person is 18 or older: Sorgerecht ends at the 18th birthday.",
            ),
            CareUntil => (
                "Das Ende der Betreuung muss ein gültiges Datum zwischen heute und höchstens sieben Jahren sein.",
                "The end of the Betreuung must be a valid date between today and at most seven years ahead.",
            ),
            CareScope => (
                "Die Aufgabenkreise der Betreuung müssen angegeben und höchstens 1000 Zeichen lang sein (nur bei Betreuung).",
                "The Betreuung's Aufgabenkreise must be given, at most 1000 characters (for Betreuung only).",
            ),
            Decided => (
                "Über diesen Antrag wurde schon entschieden, oder die Vertretung ist beendet.",
                "This request was decided already, or the mandate has ended.",
            ),
            NotRequested => (
                "Bitte beantragen Sie zuerst die Vertretung (request the mandate first).",
                "Request the mandate first.",
            ),
        }
    }
}

impl From<Problem> for RelayError {
    fn from(p: Problem) -> Self {
        RelayError::Mandate(MandateError::Request(p))
    }
}

/// The day number (days since 1970-01-01) of `(y, m, d)`.
fn day(y: i64, m: u32, d: u32) -> i64 {
    contract::calendar::days_from_civil(y, m, d)
}

/// A name as kept: trimmed, 1..=[`req::MAX_NAME_CHARS`] characters, no
/// control characters.
fn name(s: &str) -> Result<String, Problem> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > req::MAX_NAME_CHARS || t.chars().any(char::is_control) {
        return Err(Problem::Name);
    }
    Ok(t.to_string())
}

/// What a checked request keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: Kind,
    pub person: Declared,
    /// The last day (`YYYY-MM-DD`).
    pub valid_until: String,
    /// The instant it ends (the last day's end in Germany).
    pub ends_at: i64,
    pub care_scope: Option<String>,
}

/// Checks the declared data at `now` (the submission is checked apart).
pub fn checked(r: &Request, now: i64) -> Result<Checked, Problem> {
    let (ty, tm, td) = crate::privacy::date_in_germany(now);
    let today = day(ty, tm, td);
    let person = Declared {
        given_names: name(&r.person.given_names)?,
        family_name: name(&r.person.family_name)?,
        birth_date: r.person.birth_date.trim().to_string(),
    };
    let (by, bm, bd) = req::parse_date(&person.birth_date).ok_or(Problem::BirthDate)?;
    if day(by, bm, bd) > today {
        return Err(Problem::BirthDate);
    }
    let (valid_until, care_scope) = match r.kind {
        Kind::Vollmacht => return Err(Problem::Kind),
        Kind::Sorgerecht => {
            if r.care_until.is_some() || r.care_scope.is_some() {
                return Err(Problem::CareScope);
            }
            let last = req::last_day_before_18(&person.birth_date).ok_or(Problem::BirthDate)?;
            let (ly, lm, ld) = req::parse_date(&last).ok_or(Problem::BirthDate)?;
            if day(ly, lm, ld) < today {
                return Err(Problem::Adult);
            }
            (last, None)
        }
        Kind::Betreuung => {
            let until = r.care_until.as_deref().map(str::trim).unwrap_or_default();
            let (uy, um, ud) = req::parse_date(until).ok_or(Problem::CareUntil)?;
            let latest = day(ty + req::MAX_CARE_YEARS, tm, td);
            if !(today..=latest).contains(&day(uy, um, ud)) {
                return Err(Problem::CareUntil);
            }
            let scope = r.care_scope.as_deref().map(str::trim).unwrap_or_default();
            let n = scope.chars().count();
            if n == 0 || n > req::MAX_SCOPE_CHARS {
                return Err(Problem::CareScope);
            }
            (until.to_string(), Some(scope.to_string()))
        }
    };
    let (vy, vm, vd) = req::parse_date(&valid_until).ok_or(Problem::BirthDate)?;
    Ok(Checked {
        kind: r.kind,
        person,
        valid_until,
        ends_at: end_of_day_in_germany(vy, vm, vd),
        care_scope,
    })
}

/// Whether `r` may be requested by its owner: the relay's own service, not
/// sent, not made under a mandate, not a follow-up.
fn requestable(r: &Record, under_mandate: bool) -> bool {
    r.service_identifier == req::SERVICE
        && r.submitted_at.is_none()
        && r.follows.is_none()
        && !under_mandate
}

/// `POST /api/v1/mandates/requests` [`Request`] → 201 (new) or 200 (the
/// same submission's pending mandate, its declared data replaced) with the
/// pending [`contract::mandate::Mandate`].
pub(crate) async fn request(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, RelayError> {
    if !s.level.satisfies(api::MIN_GRANT_LEVEL) {
        return Err(RelayError::Level(api::MIN_GRANT_LEVEL));
    }
    let r: Request = serde_json::from_slice(&body)
        .map_err(|e| RelayError::BadRequest(format!("request: {e}")))?;
    if !contract::encoding::is_uuid(&r.submission_id) {
        return Err(Problem::Submission.into());
    }
    let now = session::now();
    let c = checked(&r, now)?;
    let (sub, sid) = (s.sub.clone(), r.submission_id.clone());
    let (record, mandate) = st
        .db
        .call(move |c| {
            Ok((
                crate::records::by_submission(c, &sub, &sid)?,
                super::store::mandate_of_record(c, &sid)?,
            ))
        })
        .await?;
    match record {
        Some(rec) if requestable(&rec, mandate.is_some()) => {}
        _ => return Err(Problem::Submission.into()),
    }
    let new = NewRequest {
        id: contract::encoding::uuid_from_bytes(super::random16()?),
        submission_id: r.submission_id,
        grantee: s.sub.clone(),
        grantee_party: party_of(&s.attributes),
        kind: c.kind,
        person: c.person,
        valid_until: c.valid_until,
        ends_at: c.ends_at,
        care_scope: c.care_scope,
    };
    let done = st.db.call(move |c| rs::request(c, &new, now)).await?;
    match done {
        Requested::Made(m) => Ok((StatusCode::CREATED, Json(m.mandate)).into_response()),
        Requested::Replaced(m) => Ok((StatusCode::OK, Json(m.mandate)).into_response()),
        Requested::Decided => Err(Problem::Decided.into()),
        Requested::TooMany => Err(MandateError::TooMany.into()),
    }
}

/// The attestation's `mandateRequest` for a record of the relay's own
/// service: `None` for any other record; for a request submission the
/// asker's pending mandate of it, else 400 (request it first).
pub async fn attested(
    st: &RelayState,
    s: &Session,
    r: &Record,
) -> Result<Option<AttestedRequest>, RelayError> {
    if r.service_identifier != req::SERVICE {
        return Ok(None);
    }
    if !s.level.satisfies(api::MIN_GRANT_LEVEL) {
        return Err(RelayError::Level(api::MIN_GRANT_LEVEL));
    }
    let (sid, sub) = (r.submission_id.clone(), s.sub.clone());
    let pending = st
        .db
        .call(move |c| rs::pending_of_submission(c, &sid, &sub, session::now()))
        .await?
        .ok_or(Problem::NotRequested)?;
    let m = &pending.mandate;
    let birth = pending
        .snapshot
        .iter()
        .flatten()
        .find(|a| a.name == "birthdate")
        .map(|a| a.value.clone())
        .unwrap_or_default();
    Ok(Some(AttestedRequest {
        id: m.id.clone(),
        kind: m.kind,
        person: Declared {
            given_names: m.grantor.given_names.clone(),
            family_name: m.grantor.family_name.clone(),
            birth_date: birth,
        },
        valid_until: m.valid_until.clone(),
        care_scope: m.care_scope.clone(),
        applicant: party_of(&s.attributes),
        applicant_verified: applicant_verified(&s.attributes),
    }))
}

/// The applicant's names and birth date as the identity provider verified
/// them (for `mandate` and `mandateRequest` in the attestation).
pub fn applicant_verified(applicant: &[Attribute]) -> Vec<AttestedAttribute> {
    applicant
        .iter()
        .filter(|x| x.trust == contract::relay::AttributeTrust::Verified)
        .filter(|x| {
            matches!(
                x.name.as_str(),
                "givenName" | "surname" | "familyName" | "birthdate" | "birthDate"
            )
        })
        .map(|x| AttestedAttribute {
            name: x.name.clone(),
            value: x.value.clone(),
            source: x.source.clone(),
        })
        .collect()
}

/// What FIT-Connect's status of a request submission decides, if anything
/// yet: `None` while it is being made or waits for a clerk.
fn decision_of(status: Option<&str>) -> Option<Decision> {
    match status {
        Some("accepted") => Some(Decision::Accepted),
        Some("rejected") => Some(Decision::Refused),
        // Gone: never sent and deleted after its deadline; it will not be
        // decided any more.
        None | Some("deleted") => Some(Decision::Gone),
        Some(_) => None,
    }
}

/// Reads FIT-Connect's status of request submission `submission` and
/// applies the authority's decision to mandate `id` while it is pending
/// (on any instance, once). A fault leaves it pending (logged).
pub async fn settle(st: &RelayState, id: &str, submission: &str) {
    let path = format!("/v1/submissions/{}", url_encode(submission));
    let status = match st.shared.fitconnect.get_json(&path, "request status").await {
        Ok(v) => v.map(|v| v["status"].as_str().unwrap_or_default().to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "a mandate request's status could not be read");
            return;
        }
    };
    let Some(decision) = decision_of(status.as_deref()) else {
        return;
    };
    let id = id.to_string();
    let done = st
        .db
        .call(move |c| rs::decide(c, &id, decision, session::now()))
        .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "a mandate request's decision could not be kept");
    }
}

/// Settles `grantee`'s pending requested mandates (before listing them).
/// Faults leave them pending and do not fail the caller.
pub async fn settle_all(st: &RelayState, grantee: &str) {
    let sub = grantee.to_string();
    let pending = match st.db.call(move |c| rs::pending_requests(c, &sub)).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "pending mandate requests could not be read");
            return;
        }
    };
    for (id, submission) in pending {
        settle(st, &id, &submission).await;
    }
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
