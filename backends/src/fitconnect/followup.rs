//! Follow-ups (Nachreichungen) on the authority's side (#17).
//!
//! A follow-up is a later submission of an application's FIT-Connect case
//! (announced with the `caseId`, `mod.rs`). The subscriber hands it here
//! once it has decrypted it and checked it against the follow-up schema
//! (`check.rs`). Here it is checked against the request it answers: the
//! application's ZBP status ACTION_REQUIRED whose postbox message id is the
//! answer's `anfrage`. A file named after a requested document must have
//! one of that document's types and at most its size.
//!
//! Passed: received, `accept-submission` at once when the application is
//! accepted (else it stays `submitted`), and the application gets the ZBP
//! status PROCESSING with `received` in its `additionalInformation`.
//! Failed: `reject-submission` with the problems, and a note in the postbox.

use chrono::Datelike;
use contract::followup::{is_late, Answer, Received, Request, StatusInfo};
use serde_json::json;
use std::sync::Arc;

use super::check::{DecryptedSubmission, Inspection};
use super::events::{self, Problem};
use super::keys::Keys;
use super::{destinations, store};
use crate::zbp::{self, MessageKind, NewMessage, NewStatus, Status, StatusRow};
use crate::{ApiError, AppState};

/// A request of the authority: the ACTION_REQUIRED status's postbox
/// message id and what it asked for.
#[derive(Debug, Clone)]
pub struct AskedFor {
    pub message_id: String,
    pub request: Request,
    /// When it was made (Unix seconds).
    pub created: i64,
}

/// The requests among an application's statuses, oldest first. An older
/// status with plain text becomes a request with that text only.
pub fn requests_of(statuses: &[StatusRow]) -> Vec<AskedFor> {
    statuses
        .iter()
        .filter(|s| s.status == Status::ActionRequired.as_str())
        .filter_map(|s| {
            let message_id = s.message_id.clone()?;
            let info = StatusInfo::parse(s.additional_information.as_deref().unwrap_or(""));
            let request = info.request.unwrap_or_else(|| Request {
                text: info.text.unwrap_or_else(|| s.status_details.clone()),
                deadline: None,
                documents: Vec::new(),
            });
            Some(AskedFor {
                message_id,
                request,
                created: s.created_date,
            })
        })
        .collect()
}

/// The contact and expected decision of the latest statuses that name
/// them: a new status carries them on.
pub fn carried(statuses: &[StatusRow]) -> StatusInfo {
    let mut out = StatusInfo::default();
    for s in statuses.iter().rev() {
        let info = StatusInfo::parse(s.additional_information.as_deref().unwrap_or(""));
        if out.contact.is_none() {
            out.contact = info.contact;
        }
        if out.expected_decision.is_none() {
            out.expected_decision = info.expected_decision;
        }
    }
    out
}

/// The German calendar day (a day number, `contract::calendar`) of a Unix time.
pub fn day_of(unix: i64) -> Option<i64> {
    let d = zbp::deadline::berlin_date(unix)?;
    Some(contract::calendar::days_from_civil(
        i64::from(d.year()),
        d.month(),
        d.day(),
    ))
}

/// Whether a follow-up handed in at `submitted_at` came after the deadline.
pub fn came_late(request: &Request, submitted_at: Option<i64>) -> bool {
    submitted_at
        .and_then(day_of)
        .is_some_and(|day| is_late(request.deadline.as_deref(), day))
}

/// Checks a decrypted follow-up against the requests of its application:
/// the answer and the request it answers, or the problems.
pub fn check_answer(
    d: &DecryptedSubmission,
    asked: &[AskedFor],
) -> Result<(Answer, AskedFor), Vec<Problem>> {
    let answer: Answer = serde_json::from_value(d.data.clone()).map_err(|_| {
        vec![Problem::new(
            "schema-violation",
            "Angaben entsprechen nicht dem Formular",
            "the data are not a follow-up answer",
            "/",
        )]
    })?;
    let Some(request) = asked.iter().find(|a| a.message_id == answer.request) else {
        return Err(vec![Problem::new(
            "schema-violation",
            "Unbekannte Nachforderung",
            "/anfrage: names no request of this application",
            "/anfrage",
        )]);
    };
    let mut problems = Vec::new();
    for (i, doc) in answer.documents.iter().enumerate() {
        let path = format!("/unterlagen/{i}/anlage");
        let Some(wanted) = request
            .request
            .documents
            .iter()
            .find(|w| w.name == doc.name.trim())
        else {
            // Something the citizen adds: the schema's limits apply.
            continue;
        };
        let Some(file) = d
            .attachments
            .iter()
            .find(|a| a.attachment_id == doc.attachment_id)
        else {
            continue; // reported by check.rs as a missing attachment
        };
        let type_ok = file
            .mime_type
            .as_deref()
            .is_some_and(|m| wanted.accept.iter().any(|a| a == m));
        if !type_ok {
            problems.push(Problem::new(
                "schema-violation",
                "Dateityp nicht erlaubt",
                format!(
                    "{path}: the requested document takes {}",
                    wanted.accept.join(", ")
                ),
                path.clone(),
            ));
        }
        if file.content.len() as u64 > wanted.max_bytes {
            problems.push(Problem::new(
                "schema-violation",
                "Datei zu groß",
                format!(
                    "{path}: the requested document takes at most {} bytes",
                    wanted.max_bytes
                ),
                path,
            ));
        }
    }
    if problems.is_empty() {
        Ok((answer, request.clone()))
    } else {
        Err(problems)
    }
}

/// Receives a follow-up the subscriber has inspected: `Some(true)` passed,
/// `Some(false)` rejected, `None` if it was received meanwhile.
pub async fn receive(
    state: &AppState,
    keys: &Arc<Keys>,
    s: &store::Submission,
    application_id: &str,
    inspection: Inspection,
) -> Result<Option<bool>, ApiError> {
    let statuses = zbp::application_statuses(state, application_id).await?;
    let asked = requests_of(&statuses);
    let verdict = inspection.outcome.and_then(|d| check_answer(&d, &asked));
    let base = super::base_url(state);
    let request = match verdict {
        Err(problems) => {
            let jws = events::sign(
                keys,
                &base,
                &s.id,
                &s.case_id,
                "reject-submission",
                json!({"problems": problems}),
            )?;
            if !store::mark_received(state, &s.id, &s.case_id, Some(jws)).await? {
                return Ok(None);
            }
            notify_rejected(state, s, application_id, &statuses).await;
            return Ok(Some(false));
        }
        Ok((_, request)) => request,
    };
    if !store::mark_received(state, &s.id, &s.case_id, None).await? {
        return Ok(None);
    }
    // The clerk accepted the case already: the follow-up is accepted at
    // once. Before that it stays `submitted` like its application.
    if store::get(state, application_id).await?.status == "accepted" {
        let attachments = store::attachments(state, &s.id).await?;
        let jws = events::sign(
            keys,
            &base,
            &s.id,
            &s.case_id,
            "accept-submission",
            events::authentication_tags(
                s.encrypted_metadata.as_deref(),
                s.encrypted_data.as_deref(),
                &attachments,
            ),
        )?;
        store::transition(state, &s.id, &s.case_id, "submitted", "accepted", Some(jws)).await?;
    }
    let late = came_late(&request.request, s.submitted_at);
    notify_received(state, s, application_id, &statuses, &request.request, late).await;
    Ok(Some(true))
}

/// Who and what the application's statuses name: postbox, reference.
fn addressed(statuses: &[StatusRow], s: &store::Submission) -> Option<(String, String)> {
    let last = statuses.last()?;
    let reference = statuses
        .iter()
        .rev()
        .find_map(|x| x.reference.clone().filter(|r| !r.trim().is_empty()))
        .unwrap_or_else(|| s.case_id.clone());
    Some((last.mailbox_uuid.clone(), reference))
}

/// PROCESSING with `received` for the application. Never fails the receipt.
async fn notify_received(
    state: &AppState,
    s: &store::Submission,
    application_id: &str,
    statuses: &[StatusRow],
    request: &Request,
    late: bool,
) {
    let (Some((mailbox, reference)), Ok(Some(dest))) = (
        addressed(statuses, s),
        destinations::by_id(&s.destination_id),
    ) else {
        tracing::info!(submission_id = %s.id, "follow-up: the application has no postbox");
        return;
    };
    let service = &dest.form.title;
    let authority = &dest.authority;
    let info = StatusInfo {
        received: Some(Received {
            submission_id: s.id.clone(),
            late,
        }),
        ..carried(statuses)
    };
    let when = match (late, request.deadline.as_deref()) {
        (true, Some(deadline)) => format!(
            "Ihre Antwort ist verspätet eingegangen: Die Frist endete am {}. Die Behörde berücksichtigt sie trotzdem.",
            german(deadline)
        ),
        _ => "Die Behörde prüft Ihre Antwort und meldet sich, wenn noch etwas fehlt.".into(),
    };
    let st = NewStatus {
        mailbox_uuid: mailbox,
        application_id: application_id.to_string(),
        status: Status::Processing,
        public_service_name: service.clone(),
        sender_name: authority.clone(),
        status_details: "Ihre Antwort ist eingegangen.".into(),
        additional_information: serde_json::to_string(&info).ok(),
        reference: Some(reference.clone()),
        level: dest.form.level,
        message_id: None,
        message_text: format!(
            "{authority} hat Ihre Antwort zu Ihrem Antrag „{service}“ erhalten.\n\nVorgangsnummer: {reference}\n\n{when}"
        ),
    };
    if let Err(e) = zbp::record_status(state, st).await {
        tracing::error!(error = %e, submission_id = %s.id, "postbox: recording the follow-up failed");
    }
}

/// A note that the answer could not be processed (no status: the
/// application itself is unchanged).
async fn notify_rejected(
    state: &AppState,
    s: &store::Submission,
    application_id: &str,
    statuses: &[StatusRow],
) {
    let (Some((mailbox, reference)), Ok(Some(dest))) = (
        addressed(statuses, s),
        destinations::by_id(&s.destination_id),
    ) else {
        return;
    };
    let service = &dest.form.title;
    let m = NewMessage {
        mailbox_uuid: mailbox,
        kind: MessageKind::Info,
        sender: dest.authority.clone(),
        title: format!("{service}: Antwort nicht verarbeitet"),
        content: format!(
            "Ihre Antwort zu Ihrem Antrag „{service}“ konnte nicht verarbeitet werden: Die automatische Eingangsprüfung hat Fehler festgestellt (zum Beispiel einen Dateityp, der nicht angefordert war).\n\nVorgangsnummer: {reference}\n\nBitte senden Sie Ihre Antwort erneut."
        ),
        service: Some(service.clone()),
        application_id: Some(application_id.to_string()),
        reference: Some(reference),
        level: dest.form.level,
        appealable: false,
        retrieval_confirmation_address: None,
        reply_address: None,
        attachments: Vec::new(),
    };
    if let Err(e) = zbp::deliver(state, m).await {
        tracing::error!(error = %e, submission_id = %s.id, "postbox: the follow-up note failed");
    }
}

/// `YYYY-MM-DD` → `DD.MM.YYYY` (anything else unchanged).
pub fn german(date: &str) -> String {
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => d.format("%d.%m.%Y").to_string(),
        Err(_) => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_after_the_deadline_day_is_late() {
        let request = |deadline: Option<&str>| Request {
            text: "Bitte Geburtsurkunde".into(),
            deadline: deadline.map(str::to_string),
            documents: Vec::new(),
        };
        // 2026-12-10 23:30 in Berlin is 22:30 UTC: still the deadline's day.
        let evening = 1_796_941_800; // 2026-12-10T22:30:00Z
        assert_eq!(
            crate::zbp::iso(evening).as_deref(),
            Some("2026-12-10T22:30:00Z")
        );
        assert!(!came_late(&request(Some("2026-12-10")), Some(evening)));
        // One hour later it is the 11th in Germany.
        assert!(came_late(
            &request(Some("2026-12-10")),
            Some(evening + 3600)
        ));
        assert!(!came_late(&request(None), Some(evening + 3600)));
        assert!(!came_late(&request(Some("2026-12-10")), None));
    }
}
