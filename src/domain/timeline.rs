//! Where an application stands: the FIT-Connect event log (SETs, compact
//! JWS `PS512`) decoded and turned into the steps the citizen sees,
//! Gesendet → Eingegangen → In Bearbeitung → Abgeschlossen, or Abgelehnt
//! with the reason, or Gelöscht. Also the answers of the citizen's
//! submission list and disclosures, and dates in German time.
//!
//! Nothing here is trusted by itself: the signature of each SET is checked
//! with WebCrypto in `api::fitconnect::cases`; only verified events become
//! steps, the others are counted as warnings.

use serde::Deserialize;

use contract::calendar::{civil_from_days, days_from_civil};
use contract::relay::AuthenticationTags;

use super::jose::{base64url_decode, select_signing_key, Jwk, Jwks, JwtHeader};

/// Prefix of every FIT-Connect event type.
pub const EVENT_PREFIX: &str = "https://schema.fitko.de/fit-connect/events/";
/// Prefix of every FIT-Connect problem type.
pub const PROBLEM_PREFIX: &str = "https://schema.fitko.de/fit-connect/events/problems/";

/// One application of the relay's list (`GET /api/v1/applications`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSummary {
    pub submission_id: String,
    pub case_id: String,
    /// The relay's short reference (`HST-2026-004711`); absent for
    /// applications sent before there were such references.
    #[serde(default)]
    pub sender_reference: Option<String>,
    pub destination_id: String,
    #[serde(default)]
    pub destination_name: Option<String>,
    pub service_type: ServiceType,
    pub status: String,
    pub created_at: i64,
    #[serde(default)]
    pub submitted_at: Option<i64>,
    /// The tags of what the relay forwarded (compared with the events').
    #[serde(default)]
    pub sent_tags: Option<AuthenticationTags>,
    /// The relay keeps the event log back from this login (the service
    /// needs a higher level; the log may carry the authority's words).
    #[serde(default)]
    pub events_locked: bool,
    /// The follow-ups (Nachreichungen) sent in this case, oldest first.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpSummary>,
    /// Made under a mandate (issue #25): who applied for whom.
    #[serde(default)]
    pub on_behalf: Option<contract::mandate::OnBehalf>,
}

/// A follow-up in the relay's list of applications.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpSummary {
    pub submission_id: String,
    pub status: String,
    pub created_at: i64,
    #[serde(default)]
    pub submitted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServiceType {
    pub name: String,
    pub identifier: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubmissionList {
    pub submissions: Vec<SubmissionSummary>,
}

/// One entry of the relay's disclosure log (`GET /api/v1/disclosures`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disclosure {
    pub submission_id: String,
    pub destination_name: String,
    pub service_name: String,
    pub attributes: Vec<String>,
    pub submitted_at: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DisclosureList {
    pub disclosures: Vec<Disclosure>,
    /// What went to payment providers for fees.
    #[serde(default)]
    pub payments: Vec<PaymentDisclosure>,
}

/// One payment start as the relay logged it: the provider learned the
/// amount, the purpose and the Kassenzeichen, nothing of the answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDisclosure {
    pub submission_id: String,
    pub provider: String,
    /// Cents.
    pub amount: u64,
    /// A text, or `{de, en}`.
    pub purpose: serde_json::Value,
    pub reference: String,
    pub started_at: i64,
}

impl PaymentDisclosure {
    pub fn purpose(&self, english: bool) -> String {
        match &self.purpose {
            serde_json::Value::String(s) => s.clone(),
            v => {
                let de = v["de"].as_str().unwrap_or_default();
                match v["en"].as_str().filter(|e| english && !e.trim().is_empty()) {
                    Some(en) => en.to_string(),
                    None => de.to_string(),
                }
            }
        }
    }
}

/// A page of `GET /fitconnect/v1/cases/{caseId}/events`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub offset: u64,
    pub count: u64,
    pub total_count: u64,
    pub event_log: Vec<String>,
}

/// The event types of FIT-Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventType {
    Create,
    Submit,
    Notify,
    Forward,
    Accept,
    Reject,
    Delete,
    /// A type this app does not know; kept, but never a step.
    Other(String),
}

impl EventType {
    fn from_uri(uri: &str) -> Self {
        match uri.strip_prefix(EVENT_PREFIX).unwrap_or(uri) {
            "create-submission" => EventType::Create,
            "submit-submission" => EventType::Submit,
            "notify-submission" => EventType::Notify,
            "forward-submission" => EventType::Forward,
            "accept-submission" => EventType::Accept,
            "reject-submission" => EventType::Reject,
            "delete-submission" => EventType::Delete,
            other => EventType::Other(other.chars().take(80).collect()),
        }
    }
}

/// Why an authority (or the deadline) rejected an application, as far as
/// this app can say it in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not accepted within the deadline (ours: `deadline-exceeded`).
    DeadlineExceeded,
    /// The authority could not decrypt it.
    EncryptionIssue,
    /// Data or an attachment did not arrive intact.
    HashMismatch,
    /// The answers did not fit the form.
    SchemaViolation,
    /// Data not readable (not JSON, missing parts).
    SyntaxViolation,
    /// An outdated or foreign form.
    UnsupportedSchema,
    /// An attachment was missing or not the announced one.
    MissingAttachment,
    /// Anything else: only the authority's own title can be shown.
    Other,
}

/// One problem of a `reject-submission` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The name after the problem prefix, e.g. `hash-mismatch`.
    pub name: String,
    /// The authority's own (German) title.
    pub title: String,
    pub detail: String,
}

impl Problem {
    fn from_json(v: &serde_json::Value) -> Self {
        let text = |k: &str| -> String {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .chars()
                .take(500)
                .collect()
        };
        let uri = text("type");
        let name = uri.strip_prefix(PROBLEM_PREFIX).unwrap_or(&uri).to_string();
        let kind = match name.as_str() {
            "deadline-exceeded" => ProblemKind::DeadlineExceeded,
            "encryption-issue" => ProblemKind::EncryptionIssue,
            "hash-mismatch" => ProblemKind::HashMismatch,
            "schema-violation" => ProblemKind::SchemaViolation,
            "syntax-violation" => ProblemKind::SyntaxViolation,
            "unsupported-schema" => ProblemKind::UnsupportedSchema,
            "missing-attachment" | "attachment-mismatch" => ProblemKind::MissingAttachment,
            _ => ProblemKind::Other,
        };
        Problem {
            kind,
            name,
            title: text("title"),
            detail: text("detail"),
        }
    }
}

/// What one SET says.
#[derive(Debug, Clone, PartialEq)]
pub struct SetEvent {
    pub kind: EventType,
    /// `iat`, seconds since the epoch.
    pub issued_at: i64,
    /// From `sub: "submission:<id>"`.
    pub submission_id: String,
    /// From `txn: "case:<id>"`.
    pub case_id: String,
    /// For `reject-submission`: its problems.
    pub problems: Vec<Problem>,
    /// For `submit-submission` and `accept-submission`: the tags of what
    /// arrived.
    pub tags: Option<AuthenticationTags>,
}

/// A SET split into its parts; the signature is not checked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedSet {
    pub header: JwtHeader,
    /// `<header>.<payload>` as sent: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
    pub event: SetEvent,
}

/// Everything that can be wrong with a SET before its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("not three base64url parts with JSON header and payload")]
    Malformed,
    #[error("algorithm {0:?} is not accepted (only PS512)")]
    Algorithm(String),
    #[error("type {0:?} is not secevent+jwt")]
    Type(String),
    #[error("the SET must carry exactly one event")]
    EventCount,
    #[error("sub, txn or iat missing")]
    Claims,
    #[error("no PS512 signing key with this kid")]
    UnknownKey,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    txn: String,
    iat: i64,
    events: serde_json::Map<String, serde_json::Value>,
}

/// Splits and decodes a compact JWS SET: header (`alg: PS512`, `typ:
/// secevent+jwt` if present), payload (one event), signature bytes.
pub fn parse_set(compact: &str) -> Result<SignedSet, SetError> {
    let compact = compact.trim();
    let mut parts = compact.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SetError::Malformed);
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(SetError::Malformed);
    }
    let header: JwtHeader = base64url_decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(SetError::Malformed)?;
    if header.alg != "PS512" {
        return Err(SetError::Algorithm(header.alg.chars().take(20).collect()));
    }
    if let Some(t) = header.typ.as_deref() {
        if t != "secevent+jwt" {
            return Err(SetError::Type(t.chars().take(40).collect()));
        }
    }
    let signature = base64url_decode(s).map_err(|_| SetError::Malformed)?;
    let payload = base64url_decode(p).map_err(|_| SetError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| SetError::Claims)?;
    if claims.events.len() != 1 {
        return Err(SetError::EventCount);
    }
    let Some((uri, body)) = claims.events.iter().next() else {
        return Err(SetError::EventCount);
    };
    let kind = EventType::from_uri(uri);
    let problems = match kind {
        EventType::Reject => body
            .get("problems")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().take(50).map(Problem::from_json).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let tags = match kind {
        EventType::Submit | EventType::Accept => body
            .get("authenticationTags")
            .and_then(|t| serde_json::from_value(t.clone()).ok()),
        _ => None,
    };
    let submission_id = claims
        .sub
        .strip_prefix("submission:")
        .ok_or(SetError::Claims)?
        .to_string();
    let case_id = claims
        .txn
        .strip_prefix("case:")
        .ok_or(SetError::Claims)?
        .to_string();
    Ok(SignedSet {
        header,
        signing_input: format!("{h}.{p}"),
        signature,
        event: SetEvent {
            kind,
            issued_at: claims.iat,
            submission_id,
            case_id,
            problems,
            tags,
        },
    })
}

/// Whether FIT-Connect confirmed other data than the relay forwarded: a
/// verified `submit-submission` or `accept-submission` whose tags differ
/// from the ones sent. Unknown (nothing noted, e.g. sent before the relay
/// kept tags) is no difference.
pub fn tags_differ(sent: Option<&AuthenticationTags>, events: &[SetEvent]) -> bool {
    let Some(sent) = sent.filter(|s| !s.data.is_empty() && !s.metadata.is_empty()) else {
        return false;
    };
    events
        .iter()
        .filter_map(|e| e.tags.as_ref())
        .any(|t| t != sent)
}

/// The key that signed the event log: RSA, `PS512` (or no `alg`), for
/// signatures, named by `kid` (or the only such key when there is no `kid`).
pub fn select_set_key<'a>(jwks: &'a Jwks, kid: Option<&str>) -> Result<&'a Jwk, SetError> {
    select_signing_key(jwks, kid, "PS512").ok_or(SetError::UnknownKey)
}

/// The steps of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Gesendet (`submit-submission`).
    Sent,
    /// Eingegangen (`accept-submission`).
    Received,
    /// In Bearbeitung (a status message from the postbox, later).
    InProgress,
    /// Abgeschlossen (a status message from the postbox, later).
    Completed,
    /// Abgelehnt (`reject-submission`, with the problems).
    Rejected,
    /// Gelöscht (`delete-submission`: never completed in time).
    Deleted,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Done,
    /// The latest step reached: "aktueller Stand".
    Current,
    Upcoming,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    pub state: StepState,
    /// When it was reached, if known.
    pub at: Option<i64>,
    /// Only for [`StepKind::Rejected`].
    pub problems: Vec<Problem>,
}

/// Steps reached by later inputs: the postbox's status messages (another
/// issue). Until those exist both stay `None` and the steps show as upcoming.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaterProgress {
    pub in_progress_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// The timeline of one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub steps: Vec<Step>,
    /// Announced but never sent (status `incomplete`).
    pub not_sent: bool,
}

impl Timeline {
    /// The step marked as the current one.
    pub fn current(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.state == StepState::Current)
    }

    /// Whether a step is still to come (the note on later steps is only
    /// true while one is; not once the case is completed or rejected).
    pub fn has_upcoming(&self) -> bool {
        self.steps.iter().any(|s| s.state == StepState::Upcoming)
    }
}

/// Builds the steps from the case's **verified** events, the submission's
/// `status` and later progress. The events give the times; the status fills
/// in a step whose event is gone (events expire after 730 days) unless
/// `unverified_events` says some event could not be checked (then only what
/// is proven is shown).
pub fn build(
    status: &str,
    events: &[SetEvent],
    unverified_events: usize,
    later: LaterProgress,
) -> Timeline {
    let last_of = |k: EventType| {
        events
            .iter()
            .filter(|e| e.kind == k)
            .max_by_key(|e| e.issued_at)
    };
    let trust_status = unverified_events == 0;
    let submit = last_of(EventType::Submit);
    let accept = last_of(EventType::Accept);
    let reject = last_of(EventType::Reject);
    let delete = last_of(EventType::Delete);

    let sent_at = submit.map(|e| e.issued_at);
    let sent = submit.is_some()
        || (trust_status && matches!(status, "submitted" | "accepted" | "rejected"));

    if delete.is_some() || (trust_status && status == "deleted" && !sent) {
        let mut steps = Vec::new();
        if sent {
            steps.push(step(StepKind::Sent, StepState::Done, sent_at));
        }
        steps.push(step(
            StepKind::Deleted,
            StepState::Current,
            delete.map(|e| e.issued_at),
        ));
        return Timeline {
            steps,
            not_sent: !sent,
        };
    }
    if reject.is_some() || (trust_status && status == "rejected") {
        return Timeline {
            steps: vec![
                step(StepKind::Sent, StepState::Done, sent_at),
                Step {
                    kind: StepKind::Rejected,
                    state: StepState::Current,
                    at: reject.map(|e| e.issued_at),
                    problems: reject.map(|e| e.problems.clone()).unwrap_or_default(),
                },
            ],
            not_sent: false,
        };
    }
    let received = accept.is_some() || (trust_status && status == "accepted");
    let reached = [
        (StepKind::Sent, sent, sent_at),
        (StepKind::Received, received, accept.map(|e| e.issued_at)),
        (
            StepKind::InProgress,
            received && (later.in_progress_at.is_some() || later.completed_at.is_some()),
            later.in_progress_at,
        ),
        (
            StepKind::Completed,
            received && later.completed_at.is_some(),
            later.completed_at,
        ),
    ];
    // Steps are reached in order: the last reached one is current.
    let last = reached.iter().rposition(|(_, r, _)| *r);
    let steps = reached
        .iter()
        .enumerate()
        .map(|(i, (kind, _, at))| {
            let state = match last {
                Some(l) if i < l => StepState::Done,
                Some(l) if i == l => StepState::Current,
                _ => StepState::Upcoming,
            };
            let at = if state == StepState::Upcoming {
                None
            } else {
                *at
            };
            step(*kind, state, at)
        })
        .collect();
    Timeline {
        steps,
        not_sent: !sent,
    }
}

fn step(kind: StepKind, state: StepState, at: Option<i64>) -> Step {
    Step {
        kind,
        state,
        at,
        problems: Vec::new(),
    }
}

/// A case id shortened for reading aloud or writing down: the first eight
/// characters in two groups, e.g. `3F2A-91C0`. The full id stays available.
pub fn short_reference(case_id: &str) -> String {
    let hex: String = case_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() <= 4 {
        return hex;
    }
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// Seconds since the epoch shifted to German local time (CET/CEST).
fn berlin_local(secs: i64) -> i64 {
    // Event times come from outside: keep them within years 1..=9999, so
    // the arithmetic cannot overflow (found by `make fuzz` review).
    let secs = secs.clamp(-62_135_596_800, 253_402_214_399);
    secs + if is_summer_time(secs) { 7200 } else { 3600 }
}

/// Date and time in Germany (CET/CEST) for `secs` since the epoch:
/// `(year, month, day, hour, minute)`.
pub fn berlin_time(secs: i64) -> (i64, u32, u32, u32, u32) {
    let local = berlin_local(secs);
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32)
}

/// Weekday (1 = Monday … 7 = Sunday) and minute of the day in Germany for
/// `secs` since the epoch: opening hours are German local time wherever the
/// citizen's device is.
pub fn berlin_weekday_minute(secs: i64) -> (u8, u16) {
    let local = berlin_local(secs);
    // 1970-01-01 was a Thursday (4 with Monday = 1).
    let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7) + 1;
    let minute = local.rem_euclid(86_400) / 60;
    (weekday as u8, minute as u16)
}

/// `29.11.2026` (German) or `29/11/2026` (English), German date.
pub fn format_date(secs: i64, german: bool) -> String {
    let (y, m, d, _, _) = berlin_time(secs);
    let sep = if german { '.' } else { '/' };
    format!("{d:02}{sep}{m:02}{sep}{y}")
}

/// `14:05`, German time.
pub fn format_clock(secs: i64) -> String {
    let (_, _, _, h, min) = berlin_time(secs);
    format!("{h:02}:{min:02}")
}

/// `29.11.2026, 14:05 Uhr` (German) or `29/11/2026, 14:05` (English), German time.
pub fn format_date_time(secs: i64, german: bool) -> String {
    let (y, m, d, h, min) = berlin_time(secs);
    if german {
        format!("{d:02}.{m:02}.{y}, {h:02}:{min:02} Uhr")
    } else {
        format!("{d:02}/{m:02}/{y}, {h:02}:{min:02}")
    }
}

/// EU summer time: from the last Sunday of March, 01:00 UTC, to the last
/// Sunday of October, 01:00 UTC.
fn is_summer_time(secs: i64) -> bool {
    let (y, _, _) = civil_from_days(secs.div_euclid(86_400));
    let start = last_sunday(y, 3) * 86_400 + 3600;
    let end = last_sunday(y, 10) * 86_400 + 3600;
    secs >= start && secs < end
}

/// Days since the epoch of the last Sunday of a 31-day month.
fn last_sunday(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday → (days + 4) mod 7.
    let weekday = (last + 4).rem_euclid(7);
    last - weekday
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
