//! The receiving authority's service for its console (`crate::behoerde`):
//! the inbox of received submissions, a submission decrypted on demand,
//! and the clerk's decisions (`accept-submission`, `reject-submission`).
//!
//! One way down: console handler → this service → `store`. Receiving and
//! checking new submissions is the subscriber's job (`subscriber.rs`),
//! the deadlines are the periodic sweep's (`deadline.rs`); neither is
//! called from here. The keys come from the once-loaded cache
//! ([`super::load_keys`]) and are handed to the pure parts (`check`, `events`).

use serde_json::json;

use super::events;
pub use super::events::Problem;
use super::store;
use crate::{ApiError, AppState};

pub use super::check::{postbox_ref, sender_reference, DecryptedAttachment, DecryptedSubmission};
pub use super::followup::{came_late, carried, requests_of, AskedFor};
pub use super::mandate_requests::Kept as KeptRequest;
pub use super::mandates::Kept as KeptMandate;
pub use super::store::{follow_ups, inbox, inbox_entry, InboxEntry};

/// The mandates under which applications were made (issue #25), by the
/// application's submission id, as the subscriber kept them on receipt.
pub async fn mandates(
    state: &AppState,
) -> Result<std::collections::HashMap<String, KeptMandate>, ApiError> {
    Ok(super::mandates::all(&state.db).await?)
}

/// The requests for a mandate for a child or a cared-for person (issue
/// #25), by their submission id, as the subscriber kept them on receipt.
pub async fn mandate_requests(
    state: &AppState,
) -> Result<std::collections::HashMap<String, KeptRequest>, ApiError> {
    Ok(super::mandate_requests::all(&state.db).await?)
}

/// The application a submission belongs to, as the console may show it:
/// the submission itself if it is an application in the inbox, its case's
/// application if it is a follow-up that passed the checks. `NotFound`
/// otherwise (unknown, not received, rejected follow-up).
pub async fn application_of(state: &AppState, submission_id: &str) -> Result<String, ApiError> {
    let s = store::get(state, submission_id).await?;
    match s.follows {
        None => Ok(inbox_entry(state, submission_id).await?.submission_id),
        Some(app) => {
            let shown =
                s.received_at.is_some() && matches!(s.status.as_str(), "submitted" | "accepted");
            if !shown {
                return Err(ApiError::NotFound);
            }
            Ok(inbox_entry(state, &app).await?.submission_id)
        }
    }
}

/// The decrypted submission for the authority console. Fails with
/// `Unprocessable` (listing the problems) if it does not decrypt or check,
/// `Conflict` if nothing was handed in yet.
pub async fn decrypted(
    state: &AppState,
    submission_id: &str,
) -> Result<DecryptedSubmission, ApiError> {
    let s = store::get(state, submission_id).await?;
    if s.encrypted_data.is_none() {
        return Err(ApiError::Conflict(
            "the submission has not been submitted yet".into(),
        ));
    }
    let keys = super::load_keys(state).await?;
    let attachments = store::attachments(state, submission_id).await?;
    let base = super::base_url(state);
    super::subscriber::inspect(state, &keys, &base, &s, attachments)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(
                "the Onlinedienst's attestation key cannot be read just now; try again later"
                    .into(),
            )
        })?
        .outcome
        .map_err(|problems| {
            ApiError::Unprocessable(
                problems
                    .iter()
                    .map(|p| p.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
}

/// A `submitted` submission the subscriber has received, else 409.
async fn decidable(state: &AppState, submission_id: &str) -> Result<store::Submission, ApiError> {
    let s = store::get(state, submission_id).await?;
    if s.status != "submitted" {
        return Err(ApiError::Conflict(format!(
            "the submission is {}",
            s.status
        )));
    }
    if s.received_at.is_none() {
        return Err(ApiError::Conflict(
            "the submission has not been received by the authority yet".into(),
        ));
    }
    // Overdue but not swept yet: the sweep will reject it, nobody decides it.
    let deadline = i64::try_from(state.config.fitconnect_deadline_seconds).unwrap_or(i64::MAX);
    if s.submitted_at
        .is_some_and(|at| at <= events::now().saturating_sub(deadline))
    {
        return Err(ApiError::Conflict(
            "the deadline for this submission has passed".into(),
        ));
    }
    Ok(s)
}

/// Accepts a received `submitted` submission: `accept-submission` with the JWE tags.
pub async fn accept(state: &AppState, submission_id: &str) -> Result<(), ApiError> {
    let s = decidable(state, submission_id).await?;
    let keys = super::load_keys(state).await?;
    let attachments = store::attachments(state, submission_id).await?;
    let jws = events::sign(
        &keys,
        &super::base_url(state),
        &s.id,
        &s.case_id,
        "accept-submission",
        events::authentication_tags(
            s.encrypted_metadata.as_deref(),
            s.encrypted_data.as_deref(),
            &attachments,
        ),
    )?;
    // False when the deadline sweep rejected it meanwhile.
    if !store::transition(state, &s.id, &s.case_id, "submitted", "accepted", Some(jws)).await? {
        return Err(ApiError::Conflict(
            "the submission changed meanwhile".into(),
        ));
    }
    Ok(())
}

/// Rejects a received `submitted` submission: `reject-submission` with `problems`.
pub async fn reject(
    state: &AppState,
    submission_id: &str,
    problems: Vec<Problem>,
) -> Result<(), ApiError> {
    let s = decidable(state, submission_id).await?;
    let keys = super::load_keys(state).await?;
    let jws = events::sign(
        &keys,
        &super::base_url(state),
        &s.id,
        &s.case_id,
        "reject-submission",
        json!({"problems": problems}),
    )?;
    if !store::transition(state, &s.id, &s.case_id, "submitted", "rejected", Some(jws)).await? {
        return Err(ApiError::Conflict(
            "the submission changed meanwhile".into(),
        ));
    }
    Ok(())
}
