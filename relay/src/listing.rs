//! "Meine Anträge" (`GET /api/v1/applications`): the citizen's
//! applications from the relay's record ([`crate::records`]), each with its
//! status from FIT-Connect and its follow-ups ([`crate::followup`]). A
//! submission FIT-Connect no longer has (an unfinished one deleted after
//! its deadline) is forgotten. Applications made under a mandate (issue
//! #25) appear for both people with `onBehalf`; the applicant's only while
//! the mandate is active.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use contract::encoding::url_encode;
use serde_json::{json, Value};

use crate::applications::malformed;
use crate::error::{RelayError, UpstreamError};
use crate::mandates::store::Stored;
use crate::records::{self, Record};
use crate::session::Citizen;
use crate::RelayState;

/// `GET /api/v1/applications`: the citizen's applications, from the
/// relay's record, each with its status from FIT-Connect and its
/// follow-ups (`followUps`, oldest first, [`crate::followup`]).
pub(crate) async fn list(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    let sub = s.sub.clone();
    let (mine, mut follow_ups, on_behalf) = st
        .db
        .call(move |c| {
            let now = crate::session::now();
            // Applications made for the citizen under a mandate (read
            // only), newest first among their own.
            let all = newest_first(
                records::list(c, &sub)?,
                crate::mandates::store::records_for(c, &sub)?,
            );
            let on_behalf: HashMap<String, Stored> =
                crate::mandates::store::mandates_of_records(c, &sub, now)?
                    .into_iter()
                    .collect();
            Ok((all, crate::followup::of_citizen(c, &sub)?, on_behalf))
        })
        .await?;
    // The applicant no longer sees applications made under a mandate that
    // ended (docs/relay.md, "Mandates"); the person concerned always does.
    let mine: Vec<Record> = mine
        .into_iter()
        .filter(|r| match on_behalf.get(&r.submission_id) {
            Some(m) => m.grantor == s.sub || m.is_active(),
            None => true,
        })
        .collect();
    let none = Vec::new();
    let asked: Vec<String> = mine
        .iter()
        .flat_map(|r| std::iter::once(r).chain(follow_ups.get(&r.submission_id).unwrap_or(&none)))
        .map(|r| r.submission_id.clone())
        .collect();
    let statuses = upstream_statuses(&st, asked).await?;
    let mut gone = Vec::new();
    let mut out = Vec::with_capacity(mine.len());
    for r in &mine {
        let Some(status) = statuses.get(&r.submission_id).and_then(Option::as_ref) else {
            // Gone upstream (an unfinished one after its deadline).
            gone.push(r.submission_id.clone());
            continue;
        };
        let mut later = Vec::new();
        for f in follow_ups.remove(&r.submission_id).unwrap_or_default() {
            match statuses.get(&f.submission_id).and_then(Option::as_ref) {
                Some(fs) => later.push(crate::followup::summary(&f, fs)),
                None => gone.push(f.submission_id),
            }
        }
        let mut entry = summary(r, status, !s.level.satisfies(r.level));
        entry["followUps"] = Value::Array(later);
        if let Some(m) = on_behalf.get(&r.submission_id) {
            let marked = contract::mandate::OnBehalf {
                mandate_id: m.mandate.id.clone(),
                applicant: m.mandate.grantee.clone(),
                for_person: m.mandate.grantor.clone(),
                for_me: m.grantor == s.sub,
            };
            entry["onBehalf"] =
                serde_json::to_value(marked).map_err(|e| RelayError::Internal(e.to_string()))?;
        }
        out.push(entry);
    }
    if !gone.is_empty() {
        st.db
            .call(move |c| gone.iter().try_for_each(|id| records::forget(c, id)))
            .await?;
    }
    Ok(axum::Json(json!({ "submissions": out })).into_response())
}

/// Status calls at once while listing.
const PARALLEL: usize = 8;

/// FIT-Connect's status of each submission, [`PARALLEL`] at a time (None:
/// it no longer exists).
async fn upstream_statuses(
    st: &RelayState,
    ids: Vec<String>,
) -> Result<HashMap<String, Option<Value>>, RelayError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(PARALLEL) {
        let mut asks = tokio::task::JoinSet::new();
        for id in chunk {
            let (st, id) = (st.clone(), id.clone());
            asks.spawn(async move {
                let answer = upstream_status(&st, &id).await;
                (id, answer)
            });
        }
        while let Some(done) = asks.join_next().await {
            let (id, answer) = done.map_err(|e| RelayError::Internal(e.to_string()))?;
            out.insert(id, answer?);
        }
    }
    Ok(out)
}

/// FIT-Connect's status of one submission (None: it no longer exists).
async fn upstream_status(st: &RelayState, id: &str) -> Result<Option<Value>, RelayError> {
    let a = st
        .shared
        .fitconnect
        .get(&format!("/v1/submissions/{}", url_encode(id)))
        .await?;
    match a.status {
        404 => Ok(None),
        200..=299 => serde_json::from_slice(&a.body)
            .map(Some)
            .map_err(|e| malformed(format!("status: {e}"))),
        status => Err(UpstreamError::Status {
            status,
            retry_after: a.retry_after,
        }
        .into()),
    }
}

fn summary(r: &Record, status: &Value, events_locked: bool) -> Value {
    json!({
        "submissionId": r.submission_id,
        "caseId": r.case_id,
        "senderReference": (!r.reference.is_empty()).then_some(&r.reference),
        "destinationId": r.destination_id,
        "destinationName": r.destination_name,
        "serviceType": {"name": r.service_name, "identifier": r.service_identifier},
        "status": status["status"].as_str().unwrap_or("incomplete"),
        "createdAt": r.created_at,
        "submittedAt": status["submittedAt"].as_i64().or(r.submitted_at),
        // What this relay forwarded, for the app to compare with the tags
        // that FIT-Connect's events confirm.
        "sentTags": r.sent_tags,
        // The event log follows the postbox's level rule (`applications::events`).
        "eventsLocked": events_locked,
    })
}

/// The citizen's own applications and those made for them under a
/// mandate, newest first. Both come newest first from the database,
/// where records of the same second are ordered by the announce's
/// millisecond; the merge is stable, so that order holds.
fn newest_first(mine: Vec<Record>, for_me: Vec<Record>) -> Vec<Record> {
    let mut all = mine;
    all.extend(for_me);
    all.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::trust::TrustLevel;

    fn rec(id: &str, at: i64) -> Record {
        Record {
            submission_id: id.into(),
            case_id: id.into(),
            destination_id: "d".into(),
            destination_name: "D".into(),
            service_name: "S".into(),
            service_identifier: "urn:s".into(),
            level: TrustLevel::Level1,
            created_at: at,
            submitted_at: None,
            sent_tags: Default::default(),
            reference: String::new(),
            follows: None,
        }
    }

    #[test]
    fn same_second_keeps_the_databases_order() {
        // "z" was announced after "a" in the same second: the database
        // lists it first, and so must the merge (ids do not decide).
        let mine = vec![rec("z", 10), rec("m", 10), rec("a", 10), rec("old", 5)];
        let for_me = vec![rec("b", 12), rec("c", 7)];
        let ids: Vec<String> = newest_first(mine, for_me)
            .into_iter()
            .map(|r| r.submission_id)
            .collect();
        assert_eq!(ids, ["b", "z", "m", "a", "c", "old"]);
    }
}
