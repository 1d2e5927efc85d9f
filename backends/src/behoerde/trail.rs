//! What each console action writes into the audit log (`audit.rs`), for
//! the pages and the JSON API alike:
//!
//! * reading (opening an application, which decrypts it; downloading a
//!   file): one entry, written after the decryption and before anything
//!   is answered. If it cannot be written, nothing is shown.
//! * changing (accept, processing, request, fulfilled, reject, decide): an
//!   entry `begun` before the action's first write, with the status it
//!   starts from, and one with the result (`done` with the new status,
//!   `refused`/`failed` with the HTTP status) that refers to it. The
//!   writes happen in the FIT-Connect and postbox modules, each in a
//!   transaction of its own, so the `begun` entry is what makes sure no
//!   change exists without an entry; a `begun` without result means the
//!   action was cut off (e.g. the server stopped).
//!
//! Entries hold ids, status names, dates and counts; never the form data,
//! the clerk's texts, file names or document names.

use axum::response::Response;
use serde_json::{json, Value};

use super::actions::{self, Action, Case, Outcome as Done};
use super::audit::{self, Actor, NewEntry, Outcome};
use crate::{ApiError, AppState};

/// A date as the log keeps it: `YYYY-MM-DD` if it is one, else a mark.
fn date(raw: &str) -> Value {
    let raw = raw.trim();
    if raw.is_empty() {
        Value::Null
    } else if contract::followup::day_number(raw).is_some() {
        json!(raw)
    } else {
        json!("invalid")
    }
}

/// Loads the application for showing it, with its `open` entry; fails
/// (and shows nothing) when the entry cannot be written.
pub async fn open(state: &AppState, actor: &Actor, id: &str) -> Result<Case, ApiError> {
    let entry = NewEntry::new(actor, "open", Outcome::Done);
    match actions::load(state, id).await {
        Ok(case) => {
            let mut detail = json!({
                "readable": case.content.is_ok(),
                "followUps": case.follow_ups.len(),
            });
            // Made under a mandate (issue #25): its id, never the names.
            if let Some(m) = super::mandate::of_case(&case) {
                detail["mandateId"] = json!(m.id);
            }
            // A request for a mandate: its id, never the names.
            if let Some(r) = super::mandate_request::of_case(&case) {
                detail["mandateRequestId"] = json!(r.id);
            }
            let e = entry.on(id, Some(&case.entry.case_id)).detail(detail);
            audit::append(state, e).await?;
            Ok(case)
        }
        Err(err) => {
            let mut e = entry.on(id, None);
            e.outcome = Outcome::of_error(&err);
            audit::append(state, e).await?;
            Err(err)
        }
    }
}

/// A decrypted file of an application or of one of its follow-ups, with
/// its `attachment` entry (on the application; `subject` is the
/// submission holding the file).
pub async fn attachment_file(
    state: &AppState,
    actor: &Actor,
    id: &str,
    att: &str,
) -> Result<Response, ApiError> {
    let mut entry = NewEntry::new(actor, "attachment", Outcome::Done)
        .detail(json!({"attachmentId": att.chars().take(100).collect::<String>()}));
    entry.subject = entry_id(id);
    match file(state, id, att).await {
        Ok((application, case_id, response)) => {
            audit::append(state, entry.on(&application, Some(&case_id))).await?;
            Ok(response)
        }
        Err(err) => {
            entry.outcome = Outcome::of_error(&err);
            audit::append(state, entry).await?;
            Err(err)
        }
    }
}

fn entry_id(id: &str) -> Option<String> {
    Some(id.chars().take(100).collect())
}

/// The file, the application it belongs to and that application's case.
async fn file(
    state: &AppState,
    id: &str,
    att: &str,
) -> Result<(String, String, Response), ApiError> {
    // An application in the inbox, or a follow-up of one.
    let application = crate::fitconnect::authority::application_of(state, id).await?;
    let case_id = crate::fitconnect::authority::inbox_entry(state, &application)
        .await?
        .case_id;
    let d = crate::fitconnect::decrypted(state, id).await?;
    let a = d
        .attachments
        .into_iter()
        .find(|a| a.attachment_id == att)
        .ok_or(ApiError::NotFound)?;
    let name = a
        .filename
        .unwrap_or_else(|| format!("{}.bin", a.attachment_id));
    let response =
        crate::zbp::file_response(&name, a.mime_type.as_deref().unwrap_or(""), a.content);
    Ok((application, case_id, response))
}

/// What the `begun` entry says about the action: the state it starts
/// from and the dates and counts the clerk chose.
fn begun_detail(case: &Case, action: &Action) -> Value {
    let mut d = json!({
        "from": case.latest().map(|s| s.as_str()),
        "fitconnect": case.entry.status,
    });
    match action {
        Action::StartProcessing(expected) => d["expectedDecision"] = date(expected),
        Action::RequestAction(input) => {
            d["deadline"] = date(&input.deadline);
            d["documents"] = json!(input
                .documents
                .iter()
                .filter(|x| !x.trim().is_empty())
                .count());
        }
        Action::Accept | Action::Fulfilled | Action::Reject(_) | Action::Decide(_) => {}
    }
    if let Some(r) = super::mandate_request::of_case(case) {
        d["mandateRequestId"] = json!(r.id);
    }
    d
}

/// Runs a changing action with its two entries (see the module's text).
pub async fn perform(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: Action,
) -> Result<Done, ApiError> {
    let name = action.name();
    let _guard = actions::LOCK.lock().await;
    let case = match actions::load(state, id).await {
        Ok(c) => c,
        Err(err) => {
            let e = NewEntry::new(actor, name, Outcome::of_error(&err)).on(id, None);
            audit::append(state, e).await?;
            return Err(err);
        }
    };
    let case_id = case.entry.case_id.clone();
    let begun = NewEntry::new(actor, name, Outcome::Begun)
        .on(id, Some(&case_id))
        .detail(begun_detail(&case, &action));
    let begun = audit::append(state, begun).await?;
    let result = actions::run(state, case, action).await;
    let mut end = NewEntry::new(actor, name, Outcome::Done).on(id, Some(&case_id));
    end.refers_to = Some(begun);
    match &result {
        Ok(out) => {
            end.detail = json!({"to": out.status.as_str(), "messageId": out.message_id});
        }
        Err(err) => end.outcome = Outcome::of_error(err),
    }
    if let Err(e) = audit::append(state, end).await {
        // The action is done (or refused) either way; its `begun` entry
        // stays without result, which the log shows.
        tracing::error!(error = %e, submission = %id, action = name, "audit result not written");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::date;
    use serde_json::json;

    #[test]
    fn dates_are_kept_only_when_they_are_dates() {
        assert_eq!(date(""), serde_json::Value::Null);
        assert_eq!(date("2026-12-24"), json!("2026-12-24"));
        assert_eq!(date("Erika Mustermann"), json!("invalid"));
    }
}
