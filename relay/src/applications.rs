//! The citizen's applications through the relay (FIT-Connect Submission API).
//!
//! The browser encrypts; the relay forwards the JWEs byte for byte and never
//! holds a key that could decrypt them. FIT-Connect is called as the sender
//! (the Onlinedienst's client-credentials token) and learns nothing about
//! the citizen. What FIT-Connect does not have, the relay keeps
//! ([`crate::records`]): which submission and case belong to whom, the list
//! for "Meine Anträge", the level each service needs, and the disclosure log.
//!
//! Checked here, before anything reaches the upstream:
//! * a submission or case that is not the citizen's own is unknown (404);
//! * a service that needs a higher level than the session's login is refused
//!   (403 `insufficient_level`) at announce and again at submit and upload;
//! * a case's event log follows the postbox's rule: it may carry the
//!   authority's free text, so a login below the service's level gets 403;
//! * bodies are limited per route, and the session is checked before a body
//!   is read. The citizen's `Idempotency-Key` is bound to the citizen before
//!   it is passed on (all citizens share the sender's key space upstream).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use contract::encoding::{is_uuid, url_encode};
use contract::limits::{MAX_ATTACHMENT_JWE_BYTES, MAX_DATA_JWE_BYTES};
use contract::relay::AuthenticationTags;
use contract::trust::TrustLevel;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::catalogue::pass;
use crate::destination::{destination, form_facts, handed_out, name_at_place, FormFacts};
use crate::error::{RelayError, UpstreamError};
use crate::mandates::{self, access::By, Need};
use crate::records::{self, Record};
use crate::reference;
use crate::session::{self, Citizen, Session};
use crate::upstream::Call;
use crate::RelayState;
use contract::mandate::Action;

/// An announcement is small JSON.
pub const MAX_ANNOUNCE_BYTES: usize = 64 * 1024;
/// `{encryptedMetadata, encryptedData}`: two JWEs and some JSON around them.
pub const MAX_SUBMIT_BYTES: usize = 2 * MAX_DATA_JWE_BYTES + 64 * 1024;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route(
            "/applications",
            get(crate::listing::list)
                .post(announce)
                .layer(DefaultBodyLimit::max(MAX_ANNOUNCE_BYTES)),
        )
        .route(
            "/applications/{id}",
            get(status)
                .put(submit)
                .layer(DefaultBodyLimit::max(MAX_SUBMIT_BYTES)),
        )
        .route(
            "/applications/{id}/attachments/{att}",
            // Read by `limits::read_attachment` within this limit.
            put(attachment).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_JWE_BYTES)),
        )
        .route(
            "/applications/{id}/attestation",
            post(crate::attestation::issue),
        )
        .route("/cases/{case}/events", get(events))
        .route("/disclosures", get(disclosures))
}

/// The relay's own record: submission and case → citizen (schema step 2).
pub const MIGRATION: &str = "
CREATE TABLE relay_submissions (
    submission_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX relay_submissions_sub ON relay_submissions(sub);
CREATE INDEX relay_submissions_case ON relay_submissions(case_id);
";

/// One call to FIT-Connect as the sender: status, body and the answer as
/// it goes back to the browser.
pub(crate) async fn forward(
    state: &RelayState,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<(Bytes, &'static str)>,
) -> Result<(u16, Vec<u8>, Response), RelayError> {
    let call = Call {
        method,
        path_and_query: &path,
        accept: "application/json",
        headers,
        body,
    };
    let a = state.shared.fitconnect.call(call).await?;
    let (status, body) = (a.status, a.body.clone());
    Ok((status, body, crate::upstream::respond(a)?))
}

pub(crate) fn malformed(what: impl std::fmt::Display) -> RelayError {
    RelayError::Upstream(UpstreamError::Malformed(what.to_string()))
}

/// The citizen's own submission, or 404.
async fn own_submission(state: &RelayState, s: &Session, id: &str) -> Result<Record, RelayError> {
    if !is_uuid(id) {
        return Err(RelayError::NotFound);
    }
    let (sub, id) = (s.sub.clone(), id.to_string());
    let found = state
        .db
        .call(move |c| records::by_submission(c, &sub, &id))
        .await?;
    found.ok_or(RelayError::NotFound)
}

/// The citizen's own case, or 404.
pub(crate) async fn own_case(
    state: &RelayState,
    s: &Session,
    case: &str,
) -> Result<Record, RelayError> {
    if !is_uuid(case) {
        return Err(RelayError::NotFound);
    }
    let (sub, case) = (s.sub.clone(), case.to_string());
    let found = state
        .db
        .call(move |c| records::by_case(c, &sub, &case))
        .await?;
    found.ok_or(RelayError::NotFound)
}

/// 403 `insufficient_level` unless the session's login reaches `needed`.
pub(crate) fn level_reaches(s: &Session, needed: TrustLevel) -> Result<(), RelayError> {
    if s.level.satisfies(needed) {
        Ok(())
    } else {
        Err(RelayError::Level(needed))
    }
}

/// The request's `Idempotency-Key`, bound to the citizen: FIT-Connect sees
/// one sender, so two citizens' keys must never meet there.
fn idempotency(headers: &HeaderMap, sub: &str) -> Result<Vec<(&'static str, String)>, RelayError> {
    match headers.get("idempotency-key") {
        None => Ok(Vec::new()),
        Some(v) => {
            let v = v
                .to_str()
                .ok()
                .filter(|v| {
                    !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic())
                })
                .ok_or_else(|| RelayError::BadRequest("Idempotency-Key is malformed".into()))?;
            Ok(vec![("idempotency-key", bound_key(sub, v))])
        }
    }
}

fn bound_key(sub: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"buergeramt-idempotency\0");
    h.update(sub.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the browser announces (FIT-Connect's announce body, nothing more).
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Announcement {
    pub(crate) destination_id: String,
    #[serde(default)]
    pub(crate) announced_attachments: Vec<String>,
    pub(crate) service_type: ServiceType,
    /// A follow-up: the existing case it joins ([`crate::followup`]).
    /// Passed on only when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) case_id: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceType {
    pub(crate) name: String,
    pub(crate) identifier: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Announced {
    pub(crate) submission_id: String,
    pub(crate) case_id: String,
}

/// `POST /api/v1/applications`: announce. The relay checks the service's
/// level against the login, passes on exactly FIT-Connect's fields, and
/// records the submission with what it handed out for prefilling.
async fn announce(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, RelayError> {
    let extra = idempotency(&headers, &s.sub)?;
    // `?ars=`: the citizen's place, so that the record names the authority
    // there ("Steueramt Köln") and the destination is checked to serve it.
    // `?for=`: an application for the grantor of this mandate (issue #25).
    let query = crate::catalogue::params(q.as_deref(), &["ars", contract::mandate::FOR_PARAM])?;
    let place = query
        .iter()
        .find(|(k, _)| k == "ars")
        .map(|(_, v)| v.clone());
    let mandate = query
        .iter()
        .find(|(k, _)| k == contract::mandate::FOR_PARAM)
        .map(|(_, v)| v.clone());
    if place.as_deref().is_some_and(|a| !crate::offer::is_place(a)) {
        return Err(RelayError::BadRequest("ars is not a 12-digit ARS".into()));
    }
    let a: Announcement = serde_json::from_slice(&body)
        .map_err(|e| RelayError::BadRequest(format!("announcement: {e}")))?;
    if a.case_id.is_some() {
        // A follow-up: its application's record says where, at which level
        // and under which mandate (`for`, when given, must be that one).
        return crate::followup::announce(&st, &s, a, mandate.as_deref(), extra).await;
    }
    // The citizen's quota of open applications (follow-ups have their
    // own, per case).
    crate::limits::check_open(&st, &s.sub).await?;
    if !is_uuid(&a.destination_id) {
        return Err(RelayError::BadRequest("destinationId is not a UUID".into()));
    }
    let d = destination(&st, &a.destination_id).await?;
    if !d.services.contains(&a.service_type.identifier) {
        return Err(RelayError::BadRequest(
            "the destination does not offer this service".into(),
        ));
    }
    let destination_name = match (&place, leika_of(&a.service_type.identifier)) {
        (Some(ars), Some(leika)) => name_at_place(&st, leika, ars, &a.destination_id).await?,
        _ => d.name.clone(),
    };
    let form = match &d.schema_file {
        Some(f) => form_facts(&st, f).await?,
        None => FormFacts::default(),
    };
    // The level the authority's form asks for (`x-level`); the strictest
    // of all when it does not say. FIT-Connect's destination carries none.
    let level = form.level.unwrap_or(TrustLevel::Level4);
    // Under a mandate: it must cover the service; the level stays the
    // grantee's own login's (a mandate never raises it), and what is handed
    // out for the form is the grantor's.
    let acting = match &mandate {
        Some(id) => {
            let need = Need::Service(a.service_type.identifier.clone());
            Some(mandates::check_for(&st, &s, id, need).await?)
        }
        None => None,
    };
    if let (Some(acting), Err(e)) = (&acting, level_reaches(&s, level)) {
        let service = Some(a.service_type.identifier.as_str());
        mandates::log_use(&st, acting, Action::Refused, service).await?;
        return Err(e);
    }
    level_reaches(&s, level)?;
    let disclosed = match &acting {
        Some(acting) => handed_out(&form.prefilled, acting.attributes()),
        None => handed_out(&form.prefilled, &s.attributes),
    };
    let out = serde_json::to_vec(&a).map_err(|e| RelayError::Internal(e.to_string()))?;
    let (status, answer, resp) = forward(
        &st,
        Method::POST,
        "/v1/submissions".into(),
        extra,
        Some((Bytes::from(out), "application/json")),
    )
    .await?;
    if (200..300).contains(&status) {
        let ids: Announced =
            serde_json::from_slice(&answer).map_err(|e| malformed(format!("announce: {e}")))?;
        if !is_uuid(&ids.submission_id) || !is_uuid(&ids.case_id) {
            return Err(malformed("announce: ids are not UUIDs"));
        }
        let now = session::now();
        let scheme = reference::Scheme {
            scope: a.destination_id.clone(),
            prefix: reference::prefix(form.reference_prefix.as_deref(), &a.service_type.name),
            year: reference::year_in_germany(now),
        };
        let record = Record {
            submission_id: ids.submission_id,
            case_id: ids.case_id,
            destination_id: a.destination_id,
            destination_name,
            service_name: a.service_type.name,
            service_identifier: a.service_type.identifier,
            level,
            created_at: now,
            submitted_at: None,
            sent_tags: AuthenticationTags::default(),
            reference: String::new(),
            follows: None,
        };
        let sub = s.sub.clone();
        let fee = form.fee;
        let for_grantor = acting.as_ref().map(|a| a.stored.clone());
        let service = record.service_identifier.clone();
        let minted = st
            .db
            .call(move |c| {
                let id = record.submission_id.clone();
                let minted = match &for_grantor {
                    Some(m) => records::insert_for(c, &sub, &record, &disclosed, &scheme, m)?,
                    None => records::insert(c, &sub, &record, &disclosed, &scheme)?,
                };
                // For the submit gate: a form without a fee costs nothing there.
                crate::payment::store::note_fee_required(c, &id, fee)?;
                Ok(minted)
            })
            .await?;
        if let Some(acting) = &acting {
            mandates::log_use(&st, acting, Action::Apply, Some(&service)).await?;
        }
        // The browser puts it into the metadata
        // (`additionalReferenceInfo.senderReference`).
        return with_reference(&answer, resp, &minted);
    }
    Ok(resp)
}

/// The LeiKa key of `urn:de:fim:leika:leistung:<14 digits>`.
fn leika_of(identifier: &str) -> Option<&str> {
    identifier
        .strip_prefix("urn:de:fim:leika:leistung:")
        .filter(|k| k.len() == 14 && k.bytes().all(|b| b.is_ascii_digit()))
}

/// FIT-Connect's JSON `answer` with the relay's `senderReference` added
/// (when there is one), in the status of `resp`.
pub(crate) fn with_reference(
    answer: &[u8],
    resp: Response,
    reference: &str,
) -> Result<Response, RelayError> {
    if reference.is_empty() {
        return Ok(resp);
    }
    let mut doc: Value =
        serde_json::from_slice(answer).map_err(|e| malformed(format!("submission: {e}")))?;
    if let Some(o) = doc.as_object_mut() {
        o.insert("senderReference".into(), reference.into());
    }
    let mut out = axum::Json(doc).into_response();
    *out.status_mut() = resp.status();
    if let Some(v) = resp.headers().get(axum::http::header::CACHE_CONTROL) {
        out.headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, v.clone());
    }
    Ok(out)
}

/// `GET /api/v1/applications/{id}`: the submission's status.
async fn status(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    // Also one made for the citizen under a mandate; one the citizen made
    // for someone else only while the mandate is active (`mandates::access`).
    let r = mandates::access::readable(&st, &s, By::Submission, &id).await?;
    let path = format!("/v1/submissions/{}", url_encode(&id));
    let (status, answer, resp) = forward(&st, Method::GET, path, vec![], None).await?;
    if !(200..300).contains(&status) {
        return Ok(resp);
    }
    with_reference(&answer, resp, &r.reference)
}

/// `PUT /api/v1/applications/{id}`: `{encryptedMetadata, encryptedData}`,
/// byte for byte, after checking the level again (the login may have
/// changed since the announce).
async fn submit(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, RelayError> {
    let r = own_submission(&st, &s, &id).await?;
    // Made under a mandate: it must still be active.
    let acting = mandates::access::still_acting(&st, &s, &r).await?;
    level_reaches(&s, r.level)?;
    // A form with a fee: paid (verified with the provider) or waived, else 402.
    if r.submitted_at.is_none() {
        crate::payment::flow::gate(&st, &r).await?;
    }
    let path = format!("/v1/submissions/{}", url_encode(&id));
    // The tags of what goes out (the body itself is forwarded unchanged).
    let sent: Option<(String, String)> =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
            let tag = |k: &str| v[k].as_str().and_then(AuthenticationTags::tag_of);
            Some((tag("encryptedMetadata")?, tag("encryptedData")?))
        });
    let body = Some((body, "application/json"));
    let (status, _, resp) = forward(&st, Method::PUT, path, vec![], body).await?;
    if (200..300).contains(&status) {
        if let (Some(acting), None) = (&acting, r.submitted_at) {
            let service = Some(r.service_identifier.as_str());
            mandates::log_use(&st, acting, Action::Submit, service).await?;
        }
        st.db
            .call(move |c| {
                records::mark_submitted(c, &id, session::now())?;
                match sent {
                    Some((metadata, data)) => records::note_tags(c, &id, |t| {
                        t.metadata = metadata;
                        t.data = data;
                    }),
                    None => Ok(()),
                }
            })
            .await?;
    }
    Ok(resp)
}

/// `PUT /api/v1/applications/{id}/attachments/{att}`: one JWE (`application/jose`),
/// read as it arrives within the route's limit and the citizen's quota
/// of attachment bytes ([`crate::limits::read_attachment`]).
async fn attachment(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path((id, att)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, RelayError> {
    let r = own_submission(&st, &s, &id).await?;
    mandates::access::still_acting(&st, &s, &r).await?;
    level_reaches(&s, r.level)?;
    if !is_uuid(&att) {
        return Err(RelayError::NotFound);
    }
    let jose = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/jose"));
    if !jose {
        return Err(RelayError::BadRequest(
            "an attachment is application/jose".into(),
        ));
    }
    let body = crate::limits::read_attachment(
        &st,
        &s.sub,
        &id,
        &att,
        &headers,
        body,
        MAX_ATTACHMENT_JWE_BYTES,
    )
    .await?;
    let path = format!(
        "/v1/submissions/{}/attachments/{}",
        url_encode(&id),
        url_encode(&att)
    );
    let tag = std::str::from_utf8(&body)
        .ok()
        .and_then(AuthenticationTags::tag_of);
    let body = Some((body, "application/jose"));
    let (status, _, resp) = forward(&st, Method::PUT, path, vec![], body).await?;
    if let (true, Some(tag)) = ((200..300).contains(&status), tag) {
        st.db
            .call(move |c| {
                records::note_tags(c, &id, |t| {
                    t.attachments.insert(att, tag);
                })
            })
            .await?;
    }
    Ok(resp)
}

/// `GET /api/v1/cases/{case}/events?offset=&limit=`: the case's event log
/// (signed SETs). It may carry the authority's words (a rejection's
/// reasons), so it follows the postbox's rule: only a login at the
/// service's level reads it.
async fn events(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(case): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let r = mandates::access::readable(&st, &s, By::Case, &case).await?;
    level_reaches(&s, r.level)?;
    let q = pass(q.as_deref(), &["offset", "limit"])?;
    let path = format!("/v1/cases/{}/events{q}", url_encode(&case));
    Ok(forward(&st, Method::GET, path, vec![], None).await?.2)
}

/// `GET /api/v1/disclosures`: which authority received which account
/// attributes, from the relay's own record of what it handed out.
async fn disclosures(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    let sub = s.sub.clone();
    let log = st.db.call(move |c| records::disclosures(c, &sub)).await?;
    let out: Vec<Value> = log
        .into_iter()
        .map(|d| {
            json!({
                "submissionId": d.submission_id,
                "destinationName": d.destination_name,
                "serviceName": d.service_name,
                "attributes": d.attributes,
                "submittedAt": d.submitted_at,
            })
        })
        .collect();
    // What went to the payment provider (amount, purpose, Kassenzeichen).
    let payments = crate::payment::disclosed(&st, &s.sub).await?;
    Ok(axum::Json(json!({ "disclosures": out, "payments": payments })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bound_to_the_citizen() {
        assert_eq!(bound_key("erika", "k"), bound_key("erika", "k"));
        assert_ne!(bound_key("erika", "k"), bound_key("max", "k"));
        assert_eq!(bound_key("erika", "k").len(), 64);
    }
}
