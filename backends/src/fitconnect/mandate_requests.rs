//! Requests for a mandate for a child or a cared-for person (issue #25,
//! `contract::mandate_request`), on the authority's side. The request is an
//! application to the relay operator's own service ("Vertretung
//! nachweisen", [`contract::mandate_request::SERVICE`]); the relay attests
//! what the applicant declared (`mandateRequest` in its attestation).
//!
//! * **The check** ([`check`], pure, called by `attestation::verify`): a
//!   submission to that service must carry the claim, and the claim must
//!   say exactly what the form's data declare (`from_form`, read the same
//!   way as the app reads it): kind, the person's names and birth date, the
//!   last day (the day before the 18th birthday, or the Betreuerausweis'
//!   end) and the Aufgabenkreise. The applicant's names must fit their
//!   verified attributes. A claim on any other service, or on a follow-up,
//!   is refused too. A fault makes the attestation invalid, and the
//!   submission is rejected like any other attestation fault
//!   (`invalid-authentication-info`); nothing is kept.
//! * **Kept with the case** ([`keep`], [`all`]): the subscriber writes the
//!   request (mandate id, kind, person, birth date, last day, scope,
//!   applicant) into the authority's own table for the console's list. The
//!   row goes with the submission's row (`ON DELETE CASCADE`).

use std::collections::HashMap;

use contract::attestation::{Attestation, AttestedAttribute};
use contract::mandate::{Kind, Party};
use contract::mandate_request::{self as mr, AttestedRequest};
use rusqlite::params;
use serde_json::Value;

use crate::db::{Db, DbError};

/// The table, a migration step of `fitconnect_mandates` (`mandates.rs`).
pub const MIGRATION: &str = "
CREATE TABLE fitconnect_case_mandate_requests (
    submission_id TEXT PRIMARY KEY REFERENCES fitconnect_submissions(id) ON DELETE CASCADE,
    mandate_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    care_scope TEXT,
    applicant TEXT NOT NULL,
    kept_at INTEGER NOT NULL
);
";

/// What the authority keeps of a request, for its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub mandate_id: String,
    pub kind: Kind,
    /// The person concerned, "Vorname Nachname".
    pub person: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
    pub care_scope: Option<String>,
    /// Who asks, "Vorname Nachname".
    pub applicant: String,
}

/// Keeps the verified request `r` of submission `submission_id` (again:
/// the same request replaces itself).
pub async fn keep(db: &Db, submission_id: &str, r: &AttestedRequest) -> Result<(), DbError> {
    let row = (
        submission_id.to_string(),
        r.id.clone(),
        r.kind.as_str(),
        r.person.party().display(),
        r.person.birth_date.clone(),
        r.valid_until.clone(),
        r.care_scope.clone(),
        r.applicant.display(),
        super::events::now(),
    );
    db.call(move |c| {
        c.execute(
            "INSERT OR REPLACE INTO fitconnect_case_mandate_requests
               (submission_id, mandate_id, kind, person, birth_date, valid_until, care_scope,
                applicant, kept_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8],
        )?;
        Ok(())
    })
    .await
}

/// Every kept request, by its submission id.
pub async fn all(db: &Db) -> Result<HashMap<String, Kept>, DbError> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = db
        .call(|c| {
            let mut stmt = c.prepare(
                "SELECT submission_id, mandate_id, kind, person, birth_date, valid_until,
                        care_scope, applicant
                 FROM fitconnect_case_mandate_requests",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(sub, mandate_id, kind, person, birth, until, scope, who)| {
                let kind = serde_json::from_value(Value::String(kind)).ok()?;
                Some((
                    sub,
                    Kept {
                        mandate_id,
                        kind,
                        person,
                        birth_date: birth,
                        valid_until: until,
                        care_scope: scope,
                        applicant: who,
                    },
                ))
            },
        )
        .collect())
}

/// The pure check (see the module documentation). `leika`: the service of
/// the submission's destination; `application`: the decrypted form data of
/// an application (`None` for a follow-up); `submitted_day`: the day of
/// the submission in Germany (a day number).
pub fn check(
    a: &Attestation,
    leika: &str,
    application: Option<&Value>,
    submitted_day: Option<i64>,
) -> Result<(), &'static str> {
    let is_request_service = leika == mr::LEIKA;
    let r = match (&a.mandate_request, application) {
        (None, Some(_)) if is_request_service => {
            return Err("a request for a mandate carries no mandateRequest")
        }
        (None, _) => return Ok(()),
        (Some(_), None) => return Err("a follow-up is no request for a mandate"),
        (Some(_), Some(_)) if !is_request_service => {
            return Err("mandateRequest on a service other than Vertretung nachweisen")
        }
        (Some(r), Some(_)) => r,
    };
    let data = application.ok_or("no form data")?;
    if a.mandate.is_some() {
        return Err("a request for a mandate cannot be made under a mandate");
    }
    let declared = mr::from_form(data).map_err(|_| "the form's data declare no whole request")?;
    if !contract::encoding::is_uuid(&r.id) {
        return Err("the request's mandate id is not a UUID");
    }
    if r.kind != declared.kind {
        return Err("the attested kind is not the form's");
    }
    let name_ok =
        |s: &str| !s.trim().is_empty() && contract::payment::plain_text(s, mr::MAX_NAME_CHARS);
    let p = &r.person;
    if !name_ok(&p.given_names) || !name_ok(&p.family_name) {
        return Err("the person concerned is not named in plain text of at most 100 characters");
    }
    if p.given_names != declared.person.given_names || p.family_name != declared.person.family_name
    {
        return Err("the attested person's name is not the form's");
    }
    let Some(born) = contract::followup::day_number(&p.birth_date) else {
        return Err("the attested birth date is not a date YYYY-MM-DD");
    };
    if p.birth_date != declared.person.birth_date {
        return Err("the attested birth date is not the form's");
    }
    if submitted_day.is_some_and(|day| born > day) {
        return Err("the birth date lies in the future");
    }
    let last = match r.kind {
        Kind::Sorgerecht => mr::last_day_before_18(&p.birth_date),
        Kind::Betreuung => declared.care_until.clone(),
        Kind::Vollmacht => return Err("a Vollmacht is not requested with proof"),
    };
    if last.as_deref() != Some(r.valid_until.as_str()) {
        return Err(match r.kind {
            Kind::Sorgerecht => "validUntil is not the day before the 18th birthday",
            _ => "validUntil is not the Betreuerausweis' end in the form",
        });
    }
    let Some(last_day) = contract::followup::day_number(&r.valid_until) else {
        return Err("validUntil is not a date YYYY-MM-DD");
    };
    if let Some(day) = submitted_day {
        if last_day < day {
            return Err(match r.kind {
                Kind::Sorgerecht => "the person concerned is 18 or older",
                _ => "the Betreuerausweis had ended when the request was submitted",
            });
        }
        if r.kind == Kind::Betreuung && last_day > day + mr::MAX_CARE_YEARS * 366 {
            return Err("the Betreuerausweis' end lies more than seven years ahead");
        }
    }
    match (&r.care_scope, &declared.care_scope) {
        (Some(s), _) if s.chars().count() > mr::MAX_SCOPE_CHARS => {
            return Err("the Aufgabenkreise are longer than 1000 characters")
        }
        (attested, form) if attested != form => {
            return Err("the attested Aufgabenkreise are not the form's")
        }
        _ => {}
    }
    if !name_ok(&r.applicant.given_names) || !name_ok(&r.applicant.family_name) {
        return Err("the applicant is not named in plain text of at most 100 characters");
    }
    if !names_fit(&r.applicant, &r.applicant_verified)
        || !names_fit(&r.applicant, &a.verified_attributes)
    {
        return Err("the applicant's name is not their attested name");
    }
    Ok(())
}

/// `p`'s names equal the attested `givenName` and `surname` (or
/// `familyName`), where attested, without regard to case and extra spaces.
fn names_fit(p: &Party, attested: &[AttestedAttribute]) -> bool {
    super::mandates::names_fit(p, attested)
}

#[cfg(test)]
#[path = "mandate_requests_tests.rs"]
mod tests;
