//! Follow-ups (Nachreichungen, issue #17): a later submission in the same
//! FIT-Connect case as the citizen's application, answering the
//! authority's request.
//!
//! The browser announces it like an application, with the application's
//! `caseId` added (`POST /api/v1/applications`). The relay checks, before
//! FIT-Connect hears of it:
//! * the case is the citizen's own (else 404, as for every case);
//! * `destinationId` and `serviceType.identifier` are the application's
//!   (else 400);
//! * the login reaches the application's level (else 403
//!   `insufficient_level`);
//! * the case has fewer than [`MAX_FOLLOW_UPS_PER_CASE`] follow-ups (else
//!   409 `too_many_follow_ups`: a quota, not a rate, so not 429);
//! * an application made under a mandate (issue #25) is followed up under
//!   the same mandate, only while it is active and covers the service (else
//!   403 `mandate_not_valid`, logged); `?for=`, when given, must name it
//!   (else 400). The follow-up's record carries the mandate, so that its
//!   upload, submit and attestation are checked and attested alike, and
//!   the use is logged for the grantor.
//!
//! The record copies destination name, service and level from the
//! application's, and its reference: the authority sees the same
//! Vorgangsnummer. No new reference is minted and nothing is handed out
//! (a follow-up has no disclosure entry). Upload, submit, status and the
//! attestation then go through the application routes with the
//! follow-up's own submission id; they read the level from its record.

use std::collections::HashMap;

use crate::db::{params, Connection, OptionalExtension};
use axum::body::Bytes;
use axum::response::Response;
use contract::encoding::is_uuid;
pub use contract::followup::MAX_FOLLOW_UPS_PER_CASE;
use contract::relay::AuthenticationTags;
use reqwest::Method;
use serde_json::{json, Value};

use crate::applications::{
    forward, level_reaches, malformed, own_case, with_reference, Announced, Announcement,
};
use crate::error::RelayError;
use crate::records::{self, Record, COLUMNS};
use crate::session::{self, Session};
use crate::RelayState;

/// Schema step 5: which application a follow-up follows (NULL: the row is
/// an application).
pub const MIGRATION: &str = "
ALTER TABLE relay_submissions ADD COLUMN follows TEXT;
CREATE INDEX relay_submissions_follows ON relay_submissions(follows);
";

/// `POST /api/v1/applications` with a `caseId`: the checks above, then
/// FIT-Connect's announce with the same body, and the record.
pub(crate) async fn announce(
    st: &RelayState,
    s: &Session,
    a: Announcement,
    for_mandate: Option<&str>,
    extra: Vec<(&'static str, String)>,
) -> Result<Response, RelayError> {
    let case = a.case_id.clone().unwrap_or_default();
    let app = own_case(st, s, &case).await?;
    // Made under a mandate: followed up under it, while it lets the
    // applicant act for this service.
    let app_id = app.submission_id.clone();
    let under = st
        .db
        .call(move |c| crate::mandates::store::mandate_of_record(c, &app_id))
        .await?;
    if for_mandate.is_some() && for_mandate != under.as_deref() {
        return Err(RelayError::BadRequest(
            "a follow-up is sent under its application's mandate".into(),
        ));
    }
    let acting = crate::mandates::access::still_acting(st, s, &app).await?;
    let service = app.service_identifier.clone();
    if a.destination_id != app.destination_id {
        return Err(RelayError::BadRequest(
            "a follow-up goes to its application's destination".into(),
        ));
    }
    if a.service_type.identifier != app.service_identifier {
        return Err(RelayError::BadRequest(
            "a follow-up is about its application's service".into(),
        ));
    }
    level_reaches(s, app.level)?;
    let (sub, app_id) = (s.sub.clone(), app.submission_id.clone());
    let sent = st.db.call(move |c| count(c, &sub, &app_id)).await?;
    if sent >= MAX_FOLLOW_UPS_PER_CASE {
        return Err(RelayError::TooManyFollowUps);
    }
    let out = serde_json::to_vec(&a).map_err(|e| RelayError::Internal(e.to_string()))?;
    let body = Some((Bytes::from(out), "application/json"));
    let (status, answer, resp) =
        forward(st, Method::POST, "/v1/submissions".into(), extra, body).await?;
    if !(200..300).contains(&status) {
        return Ok(resp);
    }
    let ids: Announced =
        serde_json::from_slice(&answer).map_err(|e| malformed(format!("announce: {e}")))?;
    if !is_uuid(&ids.submission_id) || ids.case_id != app.case_id {
        return Err(malformed("announce: not a submission of the case"));
    }
    let record = Record {
        submission_id: ids.submission_id,
        case_id: ids.case_id,
        follows: Some(app.submission_id.clone()),
        created_at: session::now(),
        submitted_at: None,
        sent_tags: AuthenticationTags::default(),
        ..app
    };
    let sub = s.sub.clone();
    let stored = acting.as_ref().map(|a| a.stored.clone());
    let reference = st
        .db
        .call(move |c| {
            let reference = insert(c, &sub, &record)?;
            if let (Some(_), Some(m)) = (&reference, &stored) {
                crate::mandates::store::mark_record(c, &record.submission_id, m)?;
            }
            Ok(reference)
        })
        .await?
        .ok_or(RelayError::TooManyFollowUps)?;
    if let Some(acting) = &acting {
        let service = Some(service.as_str());
        crate::mandates::log_use(st, acting, contract::mandate::Action::Apply, service).await?;
    }
    with_reference(&answer, resp, &reference)
}

/// How many follow-ups of the citizen follow this application.
pub fn count(c: &Connection, sub: &str, application: &str) -> crate::db::Result<usize> {
    let n: i64 = c.query_row(
        "SELECT COUNT(*) FROM relay_submissions WHERE sub = ?1 AND follows = ?2",
        params![sub, application],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Records an announced follow-up (`r.follows` set) with its
/// application's reference, as given in `r`; returns that reference.
/// A repeated announce (same ids) changes nothing. `None`: the quota is
/// full (counted again here, in the transaction, so that relay instances
/// sharing the database cannot together go over it).
pub fn insert(c: &mut Connection, sub: &str, r: &Record) -> crate::db::Result<Option<String>> {
    let Some(application) = r.follows.as_deref() else {
        return Err(crate::db::Error::Other(
            "a follow-up names its application".into(),
        ));
    };
    let tx = c.transaction()?;
    // Instances sharing a PostgreSQL database record and count one after
    // another (SQLite has one writer anyway).
    tx.lock(&format!("follow-ups of {application}"))?;
    let known: Option<String> = tx
        .query_row(
            "SELECT reference FROM relay_submissions WHERE submission_id = ?1",
            params![r.submission_id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(reference) = known {
        tx.commit()?;
        return Ok(Some(reference));
    }
    if count(&tx, sub, application)? >= MAX_FOLLOW_UPS_PER_CASE {
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at,
             destination_id, destination_name, service_name, service_identifier, level,
             announced_ms, reference, follows)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            r.submission_id,
            r.case_id,
            sub,
            r.created_at,
            r.destination_id,
            r.destination_name,
            r.service_name,
            r.service_identifier,
            r.level.as_str(),
            records::now_ms(),
            r.reference,
            application
        ],
    )?;
    tx.commit()?;
    Ok(Some(r.reference.clone()))
}

/// The citizen's follow-ups by the application they follow, each list
/// oldest first.
pub fn of_citizen(c: &Connection, sub: &str) -> crate::db::Result<HashMap<String, Vec<Record>>> {
    let mut stmt = c.prepare(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_submissions WHERE sub = ?1 AND follows IS NOT NULL
              ORDER BY created_at, announced_ms, submission_id",
        ]
        .concat(),
    )?;
    let mut out: HashMap<String, Vec<Record>> = HashMap::new();
    for r in stmt.query_map(params![sub], records::record)? {
        let r = r?;
        if let Some(app) = r.follows.clone() {
            out.entry(app).or_default().push(r);
        }
    }
    Ok(out)
}

/// One entry of an application's `followUps` in Meine Anträge.
pub fn summary(r: &Record, status: &Value) -> Value {
    json!({
        "submissionId": r.submission_id,
        "status": status["status"].as_str().unwrap_or("incomplete"),
        "createdAt": r.created_at,
        "submittedAt": status["submittedAt"].as_i64().or(r.submitted_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::trust::TrustLevel;

    fn application() -> Record {
        Record {
            submission_id: "app".into(),
            case_id: "case".into(),
            destination_id: "d".into(),
            destination_name: "Steueramt Hilden".into(),
            service_name: "Hundesteuer anmelden".into(),
            service_identifier: "urn:de:fim:leika:leistung:99089005001000".into(),
            level: TrustLevel::Level3,
            created_at: 1,
            submitted_at: Some(2),
            sent_tags: AuthenticationTags::default(),
            reference: String::new(),
            follows: None,
        }
    }

    fn follow_up(id: &str, at: i64, reference: &str) -> Record {
        Record {
            submission_id: id.into(),
            created_at: at,
            submitted_at: None,
            reference: reference.into(),
            follows: Some("app".into()),
            ..application()
        }
    }

    #[tokio::test]
    async fn follow_ups_share_the_case_and_reference_and_stay_out_of_the_list() {
        let db = crate::db::Db::in_memory().unwrap();
        let scheme = crate::reference::Scheme {
            scope: "d".into(),
            prefix: "HST".into(),
            year: 2026,
        };
        let (reference, f1, again, f2) = db
            .call(move |c| {
                let reference = records::insert(c, "erika", &application(), &[], &scheme)?;
                records::mark_submitted(c, "app", 2)?;
                let f1 = insert(c, "erika", &follow_up("f1", 5, &reference))?;
                let again = insert(c, "erika", &follow_up("f1", 9, "other"))?;
                let f2 = insert(c, "erika", &follow_up("f2", 3, &reference))?;
                Ok((reference, f1, again, f2))
            })
            .await
            .unwrap();
        assert_eq!(reference, "HST-2026-000001");
        assert_eq!(f1.as_deref(), Some(reference.as_str()));
        assert_eq!(again.as_deref(), Some(reference.as_str()), "repeated");
        assert_eq!(f2.as_deref(), Some(reference.as_str()));
        let (list, case, own, grouped, next, log) = db
            .call(move |c| {
                let next = records::insert(
                    c,
                    "erika",
                    &Record {
                        submission_id: "app2".into(),
                        case_id: "case2".into(),
                        created_at: 2,
                        ..application()
                    },
                    &[],
                    &crate::reference::Scheme {
                        scope: "d".into(),
                        prefix: "HST".into(),
                        year: 2026,
                    },
                )?;
                Ok((
                    records::list(c, "erika")?,
                    records::by_case(c, "erika", "case")?,
                    records::by_submission(c, "erika", "f1")?,
                    of_citizen(c, "erika")?,
                    next,
                    records::disclosures(c, "erika")?,
                ))
            })
            .await
            .unwrap();
        let ids: Vec<&str> = list.iter().map(|r| r.submission_id.as_str()).collect();
        assert_eq!(ids, ["app2", "app"], "applications only");
        assert_eq!(
            case.map(|r| r.submission_id),
            Some("app".into()),
            "the case is its application"
        );
        let own = own.expect("a follow-up is found by its id");
        assert_eq!(own.follows.as_deref(), Some("app"));
        assert_eq!(own.case_id, "case");
        assert_eq!(own.reference, reference);
        assert_eq!(own.level, TrustLevel::Level3);
        let of_app: Vec<&str> = grouped["app"]
            .iter()
            .map(|r| r.submission_id.as_str())
            .collect();
        assert_eq!(of_app, ["f2", "f1"], "oldest first");
        assert_eq!(next, "HST-2026-000002", "no number went to a follow-up");
        assert!(log.is_empty(), "nothing handed out");
        let s = summary(
            &grouped["app"][1],
            &json!({"status": "submitted", "submittedAt": 7}),
        );
        assert_eq!(
            s,
            json!({"submissionId": "f1", "status": "submitted", "createdAt": 5, "submittedAt": 7})
        );
        // Another citizen's count is their own.
        let (mine, theirs) = db
            .call(|c| Ok((count(c, "erika", "app")?, count(c, "max", "app")?)))
            .await
            .unwrap();
        assert_eq!((mine, theirs), (2, 0));
    }

    #[tokio::test]
    async fn the_quota_holds_in_the_transaction() {
        let db = crate::db::Db::in_memory().unwrap();
        let (last, over, repeat) = db
            .call(|c| {
                let mut last = None;
                for i in 0..MAX_FOLLOW_UPS_PER_CASE {
                    last = insert(c, "erika", &follow_up(&format!("f{i}"), i as i64, "R"))?;
                }
                let over = insert(c, "erika", &follow_up("one-more", 99, "R"))?;
                // A repeated announce of a recorded one is no new follow-up.
                let repeat = insert(c, "erika", &follow_up("f0", 100, "R"))?;
                Ok((last, over, repeat))
            })
            .await
            .unwrap();
        assert_eq!(last.as_deref(), Some("R"));
        assert_eq!(over, None);
        assert_eq!(repeat.as_deref(), Some("R"));
        let n = db.call(|c| count(c, "erika", "app")).await.unwrap();
        assert_eq!(n, MAX_FOLLOW_UPS_PER_CASE);
    }
}
