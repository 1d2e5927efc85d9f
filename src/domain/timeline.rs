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

use super::jose::{base64url_decode, select_signing_key, Jwk, Jwks, JwtHeader};

/// Prefix of every FIT-Connect event type.
pub const EVENT_PREFIX: &str = "https://schema.fitko.de/fit-connect/events/";
/// Prefix of every FIT-Connect problem type.
pub const PROBLEM_PREFIX: &str = "https://schema.fitko.de/fit-connect/events/problems/";

/// One submission of `GET /fitconnect/v1/submissions` (ours).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSummary {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    #[serde(default)]
    pub destination_name: Option<String>,
    pub service_type: ServiceType,
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

/// One entry of `GET /fitconnect/v1/disclosures` (ours).
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
        },
    })
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

/// Date and time in Germany (CET/CEST) for `secs` since the epoch:
/// `(year, month, day, hour, minute)`.
pub fn berlin_time(secs: i64) -> (i64, u32, u32, u32, u32) {
    // Event times come from outside: keep them within years 1..=9999, so
    // the arithmetic below cannot overflow (found by `make fuzz` review).
    let secs = secs.clamp(-62_135_596_800, 253_402_214_399);
    let offset = if is_summer_time(secs) { 7200 } else { 3600 };
    let local = secs + offset;
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32)
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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::jose::base64url_encode;

    #[test]
    fn event_times_far_out_of_range_do_not_overflow() {
        for secs in [i64::MAX, i64::MIN, i64::MAX - 3600, i64::MIN + 1] {
            let (y, m, d, h, min) = berlin_time(secs);
            assert!((1..=9999).contains(&y), "{secs}: year {y}");
            assert!((1..=12).contains(&m) && (1..=31).contains(&d) && h < 24 && min < 60);
            let _ = format_date_time(secs, true);
        }
    }

    fn set(header: &str, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(claims.to_string().as_bytes()),
            base64url_encode(b"signature-bytes")
        )
    }

    const H: &str = r#"{"alg":"PS512","typ":"secevent+jwt","kid":"k1"}"#;

    fn claims(kind: &str, iat: i64, body: serde_json::Value) -> serde_json::Value {
        let mut events = serde_json::Map::new();
        events.insert(format!("{EVENT_PREFIX}{kind}"), body);
        serde_json::json!({
            "iss": "http://127.0.0.1:8080/fitconnect",
            "sub": "submission:s-1",
            "txn": "case:c-1",
            "iat": iat,
            "jti": "j",
            "events": events,
        })
    }

    fn ev(kind: EventType, iat: i64) -> SetEvent {
        SetEvent {
            kind,
            issued_at: iat,
            submission_id: "s-1".into(),
            case_id: "c-1".into(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn parses_a_reject_set_with_problems() {
        let text = set(
            H,
            claims(
                "reject-submission",
                1_764_400_000,
                serde_json::json!({"problems": [
                    {"type": format!("{PROBLEM_PREFIX}deadline-exceeded"), "title": "Frist abgelaufen", "detail": "d", "instance": "submission"},
                    {"type": format!("{PROBLEM_PREFIX}hash-mismatch"), "title": "Prüfsumme", "detail": "x", "instance": "data"},
                    {"type": "https://example.org/own", "title": "Eigenes Problem"},
                ]}),
            ),
        );
        let s = parse_set(&text).unwrap();
        assert_eq!(s.header.kid.as_deref(), Some("k1"));
        assert_eq!(s.signature, b"signature-bytes");
        assert_eq!(
            s.signing_input,
            text.rsplit_once('.').unwrap().0,
            "the signature covers header.payload as sent"
        );
        assert_eq!(s.event.kind, EventType::Reject);
        assert_eq!(s.event.issued_at, 1_764_400_000);
        assert_eq!(s.event.submission_id, "s-1");
        assert_eq!(s.event.case_id, "c-1");
        let kinds: Vec<_> = s.event.problems.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::DeadlineExceeded,
                ProblemKind::HashMismatch,
                ProblemKind::Other
            ]
        );
        assert_eq!(s.event.problems[2].title, "Eigenes Problem");
        assert_eq!(s.event.problems[0].name, "deadline-exceeded");
    }

    #[test]
    fn parses_every_event_type() {
        for (name, kind) in [
            ("create-submission", EventType::Create),
            ("submit-submission", EventType::Submit),
            ("notify-submission", EventType::Notify),
            ("forward-submission", EventType::Forward),
            ("accept-submission", EventType::Accept),
            ("reject-submission", EventType::Reject),
            ("delete-submission", EventType::Delete),
            ("future-event", EventType::Other("future-event".into())),
        ] {
            let s = parse_set(&set(H, claims(name, 1, serde_json::json!({})))).unwrap();
            assert_eq!(s.event.kind, kind, "{name}");
            assert!(s.event.problems.is_empty());
        }
    }

    #[test]
    fn refuses_malformed_sets_and_other_algorithms() {
        let good = claims("submit-submission", 1, serde_json::json!({}));
        assert_eq!(parse_set("a.b"), Err(SetError::Malformed));
        assert_eq!(parse_set("a.b.c.d"), Err(SetError::Malformed));
        assert_eq!(parse_set("!!.??.c"), Err(SetError::Malformed));
        for alg in ["none", "RS256", "HS512", "PS256"] {
            let h = format!(r#"{{"alg":"{alg}","typ":"secevent+jwt"}}"#);
            assert_eq!(
                parse_set(&set(&h, good.clone())),
                Err(SetError::Algorithm(alg.into()))
            );
        }
        assert_eq!(
            parse_set(&set(r#"{"alg":"PS512","typ":"JWT"}"#, good.clone())),
            Err(SetError::Type("JWT".into()))
        );
        // No typ at all is fine.
        assert!(parse_set(&set(r#"{"alg":"PS512"}"#, good.clone())).is_ok());
        let mut two = good.clone();
        two["events"][format!("{EVENT_PREFIX}accept-submission")] = serde_json::json!({});
        assert_eq!(parse_set(&set(H, two)), Err(SetError::EventCount));
        let mut none = good.clone();
        none["events"] = serde_json::json!({});
        assert_eq!(parse_set(&set(H, none)), Err(SetError::EventCount));
        let mut bad_sub = good.clone();
        bad_sub["sub"] = serde_json::json!("s-1");
        assert_eq!(parse_set(&set(H, bad_sub)), Err(SetError::Claims));
        let mut no_iat = good;
        no_iat.as_object_mut().unwrap().remove("iat");
        assert_eq!(parse_set(&set(H, no_iat)), Err(SetError::Claims));
        // An empty signature part.
        let text = set(H, claims("submit-submission", 1, serde_json::json!({})));
        let cut = format!("{}.", text.rsplit_once('.').unwrap().0);
        assert_eq!(parse_set(&cut), Err(SetError::Malformed));
    }

    #[test]
    fn selects_only_ps512_signing_keys() {
        let key = |kid: &str, alg: Option<&str>, use_: Option<&str>| Jwk {
            kty: "RSA".into(),
            kid: Some(kid.into()),
            alg: alg.map(Into::into),
            use_: use_.map(Into::into),
            n: Some("AQAB".into()),
            e: Some("AQAB".into()),
        };
        let jwks = Jwks {
            keys: vec![
                key("enc", Some("RSA-OAEP-256"), Some("enc")),
                key("rs", Some("RS256"), Some("sig")),
                key("ps", Some("PS512"), Some("sig")),
            ],
        };
        assert_eq!(
            select_set_key(&jwks, Some("ps")).unwrap().kid.as_deref(),
            Some("ps")
        );
        assert_eq!(select_set_key(&jwks, Some("rs")), Err(SetError::UnknownKey));
        assert_eq!(
            select_set_key(&jwks, Some("enc")),
            Err(SetError::UnknownKey)
        );
        assert_eq!(
            select_set_key(&jwks, None).unwrap().kid.as_deref(),
            Some("ps")
        );
        assert_eq!(
            select_set_key(&Jwks { keys: vec![] }, None),
            Err(SetError::UnknownKey)
        );
    }

    fn kinds_states(t: &Timeline) -> Vec<(StepKind, StepState)> {
        t.steps.iter().map(|s| (s.kind, s.state)).collect()
    }

    #[test]
    fn submitted_is_sent_and_the_rest_upcoming() {
        let t = build(
            "submitted",
            &[ev(EventType::Create, 10), ev(EventType::Submit, 20)],
            0,
            LaterProgress::default(),
        );
        use StepKind::*;
        use StepState::*;
        assert_eq!(
            kinds_states(&t),
            [
                (Sent, Current),
                (Received, Upcoming),
                (InProgress, Upcoming),
                (Completed, Upcoming)
            ]
        );
        assert_eq!(t.steps[0].at, Some(20));
        assert_eq!(t.current().unwrap().kind, Sent);
        assert!(!t.not_sent);
    }

    #[test]
    fn accepted_is_received_and_later_steps_come_from_later_input() {
        use StepKind::*;
        use StepState::*;
        let events = [
            ev(EventType::Create, 10),
            ev(EventType::Submit, 20),
            ev(EventType::Accept, 30),
        ];
        let t = build("accepted", &events, 0, LaterProgress::default());
        assert_eq!(
            kinds_states(&t),
            [
                (Sent, Done),
                (Received, Current),
                (InProgress, Upcoming),
                (Completed, Upcoming)
            ]
        );
        assert_eq!(t.steps[1].at, Some(30));
        let t = build(
            "accepted",
            &events,
            0,
            LaterProgress {
                in_progress_at: Some(40),
                completed_at: None,
            },
        );
        assert_eq!(t.current().unwrap().kind, InProgress);
        assert_eq!(t.current().unwrap().at, Some(40));
        let t = build(
            "accepted",
            &events,
            0,
            LaterProgress {
                in_progress_at: None,
                completed_at: Some(50),
            },
        );
        assert_eq!(
            kinds_states(&t),
            [
                (Sent, Done),
                (Received, Done),
                (InProgress, Done),
                (Completed, Current)
            ]
        );
        // Later input never skips the authority's acceptance.
        let t = build(
            "submitted",
            &events[..2],
            0,
            LaterProgress {
                in_progress_at: Some(40),
                completed_at: Some(50),
            },
        );
        assert_eq!(t.current().unwrap().kind, Sent);
    }

    #[test]
    fn rejected_shows_the_problems() {
        let mut reject = ev(EventType::Reject, 30);
        reject.problems = vec![Problem {
            kind: ProblemKind::DeadlineExceeded,
            name: "deadline-exceeded".into(),
            title: "Frist abgelaufen".into(),
            detail: String::new(),
        }];
        let t = build(
            "rejected",
            &[ev(EventType::Submit, 20), reject],
            0,
            LaterProgress::default(),
        );
        use StepKind::*;
        use StepState::*;
        assert_eq!(kinds_states(&t), [(Sent, Done), (Rejected, Current)]);
        assert_eq!(t.steps[1].at, Some(30));
        assert_eq!(t.steps[1].problems[0].kind, ProblemKind::DeadlineExceeded);
    }

    #[test]
    fn deleted_and_incomplete() {
        use StepKind::*;
        use StepState::*;
        let t = build(
            "deleted",
            &[ev(EventType::Create, 10), ev(EventType::Delete, 99)],
            0,
            LaterProgress::default(),
        );
        assert_eq!(kinds_states(&t), [(Deleted, Current)]);
        assert_eq!(t.steps[0].at, Some(99));
        assert!(t.not_sent);
        let t = build(
            "incomplete",
            &[ev(EventType::Create, 10)],
            0,
            LaterProgress::default(),
        );
        assert!(t.not_sent);
        assert!(t.current().is_none());
        assert!(t
            .steps
            .iter()
            .all(|s| s.state == Upcoming && s.at.is_none()));
    }

    #[test]
    fn status_fills_expired_events_unless_something_was_unverifiable() {
        use StepKind::*;
        use StepState::*;
        // Events expire after 730 days: the status still tells the step, without a time.
        let t = build("accepted", &[], 0, LaterProgress::default());
        assert_eq!(t.current().unwrap().kind, Received);
        assert_eq!(t.steps[0].state, Done);
        assert_eq!(t.steps[0].at, None);
        let t = build("rejected", &[], 0, LaterProgress::default());
        assert_eq!(kinds_states(&t), [(Sent, Done), (Rejected, Current)]);
        assert!(t.steps[1].problems.is_empty());
        // An accept that could not be verified is not shown as a step.
        let t = build(
            "accepted",
            &[ev(EventType::Submit, 20)],
            1,
            LaterProgress::default(),
        );
        assert_eq!(t.current().unwrap().kind, Sent);
        let t = build(
            "rejected",
            &[ev(EventType::Submit, 20)],
            1,
            LaterProgress::default(),
        );
        assert_eq!(t.current().unwrap().kind, Sent);
    }

    #[test]
    fn short_references() {
        assert_eq!(
            short_reference("3f2a91c0-7b6e-4c1d-9a2b-0e5f6a7b8c9d"),
            "3F2A-91C0"
        );
        assert_eq!(short_reference("ab"), "AB");
        assert_eq!(short_reference(""), "");
    }

    #[test]
    fn dates_in_german_time() {
        // 2026-11-29 00:41:08 UTC = 01:41 CET.
        assert_eq!(berlin_time(1_795_912_868), (2026, 11, 29, 1, 41));
        assert_eq!(
            format_date_time(1_795_912_868, true),
            "29.11.2026, 01:41 Uhr"
        );
        assert_eq!(format_date_time(1_795_912_868, false), "29/11/2026, 01:41");
        // 2026-07-01 12:00 UTC = 14:00 CEST.
        assert_eq!(berlin_time(1_782_907_200), (2026, 7, 1, 14, 0));
        // Summer time 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(berlin_time(1_774_745_999), (2026, 3, 29, 1, 59));
        assert_eq!(berlin_time(1_774_746_000), (2026, 3, 29, 3, 0));
        assert_eq!(berlin_time(1_792_889_999), (2026, 10, 25, 2, 59));
        assert_eq!(berlin_time(1_792_890_000), (2026, 10, 25, 2, 0));
        assert_eq!(berlin_time(0), (1970, 1, 1, 1, 0));
        // A leap day.
        assert_eq!(berlin_time(1_709_208_000), (2024, 2, 29, 13, 0));
    }

    #[test]
    fn decodes_the_list_answers() {
        let l: SubmissionList = serde_json::from_str(
            r#"{"submissions":[{"submissionId":"s","caseId":"c","destinationId":"d",
            "destinationName":"Steueramt","serviceType":{"name":"Hundesteuer anmelden",
            "identifier":"urn:de:fim:leika:leistung:99089005001000"},"status":"incomplete",
            "createdAt":5,"submittedAt":null}]}"#,
        )
        .unwrap();
        assert_eq!(l.submissions[0].submitted_at, None);
        assert_eq!(
            l.submissions[0].destination_name.as_deref(),
            Some("Steueramt")
        );
        let d: DisclosureList = serde_json::from_str(
            r#"{"disclosures":[{"submissionId":"s","destinationName":"A","serviceName":"B",
            "attributes":["givenName","surname"],"submittedAt":7}]}"#,
        )
        .unwrap();
        assert_eq!(d.disclosures[0].attributes, ["givenName", "surname"]);
    }
}
