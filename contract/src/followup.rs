//! Follow-ups (Nachreichungen): the authority asks for something, the
//! citizen answers in the same FIT-Connect case.
//!
//! Three shapes are agreed here:
//!
//! * [`StatusInfo`]: what the authority puts, as JSON, into a ZBP
//!   application status's `additionalInformation` (a free-text field at the
//!   real ZBP; the JSON inside it is ours, docs/backends.md): the request of
//!   an `ACTION_REQUIRED` status ([`Request`]: what, by when, which
//!   documents), the expected decision date and a contact. Older statuses
//!   carry plain text; [`StatusInfo::parse`] reads both.
//! * [`Answer`]: the data of a follow-up submission, validated by the
//!   authority against the follow-up schema ([`SCHEMA_SLUG`]), which every
//!   destination lists as its second `submissionSchemas` entry.
//! * the limits both sides enforce ([`MAX_DOCUMENTS`], [`MAX_ANSWER_CHARS`],
//!   [`MAX_FOLLOW_UPS_PER_CASE`], the file types and sizes).
//!
//! Dates are `YYYY-MM-DD` (German calendar days); [`days_left`] and
//! [`is_late`] compare them with a day number from [`crate::calendar`].

use serde::{Deserialize, Serialize};

use crate::calendar::days_from_civil;

/// The follow-up schema's slug: `…/schemas/nachreichung.schema.json`.
pub const SCHEMA_SLUG: &str = "nachreichung";
/// The follow-up schema's file name.
pub const SCHEMA_FILE: &str = "nachreichung.schema.json";

/// Most documents one request may name (each is an upload slot).
pub const MAX_DOCUMENTS: usize = 10;
/// Longest name of a requested document, in characters.
pub const MAX_DOCUMENT_NAME_CHARS: usize = 200;
/// Longest text answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 5000;
/// Most files one answer may carry (slots plus "add another").
pub const MAX_FILES: usize = 20;
/// Most follow-ups one case may receive (the relay refuses more: 409
/// `too_many_follow_ups`, a quota, not "busy": no retry helps).
pub const MAX_FOLLOW_UPS_PER_CASE: usize = 20;
/// File types an authority may ask for.
pub const FILE_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
/// Largest file an authority may ask for: 10 MiB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Days before a deadline from which the citizen is reminded.
pub const REMIND_DAYS: i64 = 3;

/// One document the authority asks for: one upload slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestedDocument {
    /// What it is ("Geburtsurkunde").
    pub name: String,
    /// Allowed MIME types (a subset of [`FILE_TYPES`]).
    pub accept: Vec<String>,
    /// Largest file, in bytes (at most [`MAX_FILE_BYTES`]).
    pub max_bytes: u64,
}

/// What the authority asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The clerk's words.
    pub text: String,
    /// Answer by this day (`YYYY-MM-DD`), if the clerk set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<RequestedDocument>,
}

/// Whom the citizen can ask about the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The office ("Steueramt Hilden").
    pub office: String,
    /// Its address lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The clerk's team, where the authority names one ("Team Hundesteuer").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_email: Option<String>,
    /// Invented contact details (the stand-in's): shown as sample data.
    #[serde(default)]
    pub sample_data: bool,
}

/// A follow-up the authority received (on the PROCESSING status it causes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    /// The follow-up's FIT-Connect submission id.
    pub submission_id: String,
    /// It came after the request's deadline (accepted all the same).
    #[serde(default)]
    pub late: bool,
}

/// The structured content of a status's `additionalInformation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    /// Plain text: a reason, a note (older statuses carry only this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `ACTION_REQUIRED`: what is asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// The request that this status closes was fulfilled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fulfilled: bool,
    /// A follow-up arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Received>,
    /// Expected decision by this day (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

impl StatusInfo {
    /// Reads `additionalInformation`: a JSON object of this shape, or any
    /// other text as [`StatusInfo::text`]. Never fails.
    pub fn parse(raw: &str) -> StatusInfo {
        let t = raw.trim();
        if t.starts_with('{') {
            if let Ok(info) = serde_json::from_str(t) {
                return info;
            }
        }
        StatusInfo {
            text: (!t.is_empty()).then(|| raw.to_string()),
            ..StatusInfo::default()
        }
    }

    /// The text to show for it: the request's words, else the plain text.
    pub fn words(&self) -> Option<&str> {
        self.request
            .as_ref()
            .map(|r| r.text.as_str())
            .or(self.text.as_deref())
    }
}

/// One file of an answer, in the follow-up data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredDocument {
    /// The requested document it is for, or what the citizen adds.
    #[serde(rename = "unterlage")]
    pub name: String,
    /// The attachment's id (a lower-case UUID).
    #[serde(rename = "anlage")]
    pub attachment_id: String,
}

/// The data of a follow-up submission (the follow-up schema's fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The postbox message id of the request it answers.
    #[serde(rename = "anfrage")]
    pub request: String,
    #[serde(rename = "antwort", default)]
    pub text: String,
    #[serde(rename = "unterlagen", default)]
    pub documents: Vec<AnsweredDocument>,
}

/// A `YYYY-MM-DD` date as days since 1970-01-01, if it is one.
pub fn day_number(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = date.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y as i64, m) {
        return None;
    }
    Some(days_from_civil(y as i64, m, d))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from `today` (a day number) to the deadline: 0 on its last day,
/// negative once it has passed. `None` if the deadline is not a date.
pub fn days_left(deadline: &str, today: i64) -> Option<i64> {
    day_number(deadline).map(|d| d - today)
}

/// An answer given on day `on` to a request with this deadline is late
/// (the deadline's whole day still counts).
pub fn is_late(deadline: Option<&str>, on: i64) -> bool {
    deadline
        .and_then(|d| days_left(d, on))
        .is_some_and(|left| left < 0)
}

/// The upper bound of a catalogue processing time in days
/// ("2 bis 4 Wochen" → 28, "wenige Tage" → 7, "sofort" → None: nothing
/// to wait for).
pub fn processing_days(text: &str) -> Option<i64> {
    let t = text.to_lowercase();
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut best: Option<i64> = None;
    let mut last_number: Option<i64> = None;
    for w in &words {
        if let Ok(n) = w.parse::<i64>() {
            last_number = Some(n);
            continue;
        }
        let unit = if w.starts_with("woche") {
            Some(7)
        } else if w.starts_with("monat") {
            Some(30)
        } else if w.starts_with("tag") {
            Some(1)
        } else {
            None
        };
        if let Some(unit) = unit {
            let days = match last_number.take() {
                Some(n) => n * unit,
                // "wenige Tage", "einige Wochen"
                None if unit == 1 => 7,
                None => unit * 3,
            };
            best = Some(best.map_or(days, |b: i64| b.max(days)));
        }
    }
    best.filter(|d| (1..=366).contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_info_reads_json_and_plain_text() {
        let plain = StatusInfo::parse("Bitte Nachweis schicken.");
        assert_eq!(plain.text.as_deref(), Some("Bitte Nachweis schicken."));
        assert_eq!(plain.request, None);
        assert_eq!(StatusInfo::parse("  ").text, None);
        let info = StatusInfo {
            request: Some(Request {
                text: "Geburtsurkunde fehlt".into(),
                deadline: Some("2026-12-20".into()),
                documents: vec![RequestedDocument {
                    name: "Geburtsurkunde".into(),
                    accept: vec!["application/pdf".into()],
                    max_bytes: 5 * 1024 * 1024,
                }],
            }),
            ..StatusInfo::default()
        };
        let json = serde_json::to_string(&info).unwrap();
        assert!(json.contains("\"maxBytes\":5242880"), "{json}");
        assert_eq!(StatusInfo::parse(&json), info);
        assert_eq!(info.words(), Some("Geburtsurkunde fehlt"));
        // A brace that is not our JSON stays text.
        assert_eq!(
            StatusInfo::parse("{kein json").text.as_deref(),
            Some("{kein json")
        );
    }

    #[test]
    fn the_answer_has_the_schemas_field_names() {
        let a = Answer {
            request: "m1".into(),
            text: "Anbei".into(),
            documents: vec![AnsweredDocument {
                name: "Geburtsurkunde".into(),
                attachment_id: "0b6f1c1e-8f3a-4c55-9a53-1d2a3b4c5d6e".into(),
            }],
        };
        let v: serde_json::Value = serde_json::to_value(&a).unwrap();
        assert_eq!(v["anfrage"], "m1");
        assert_eq!(v["antwort"], "Anbei");
        assert_eq!(v["unterlagen"][0]["unterlage"], "Geburtsurkunde");
        assert!(v["unterlagen"][0]["anlage"].is_string());
    }

    #[test]
    fn deadlines_count_whole_days() {
        let today = day_number("2026-12-03").unwrap();
        assert_eq!(days_left("2026-12-03", today), Some(0));
        assert_eq!(days_left("2026-12-06", today), Some(3));
        assert_eq!(days_left("2026-12-02", today), Some(-1));
        assert!(!is_late(Some("2026-12-03"), today));
        assert!(is_late(Some("2026-12-02"), today));
        assert!(!is_late(None, today));
        for bad in ["2026-02-30", "2026-13-01", "26-12-03", "2026-12-3x", ""] {
            assert_eq!(day_number(bad), None, "{bad}");
        }
        assert!(day_number("2028-02-29").is_some());
    }

    #[test]
    fn processing_times_become_days() {
        assert_eq!(processing_days("2 bis 4 Wochen"), Some(28));
        assert_eq!(processing_days("4 bis 12 Wochen"), Some(84));
        assert_eq!(processing_days("wenige Tage"), Some(7));
        assert_eq!(processing_days("etwa 3 bis 4 Wochen"), Some(28));
        assert_eq!(
            processing_days("online sofort, per Post 1 bis 2 Wochen"),
            Some(14)
        );
        assert_eq!(processing_days("sofort"), None);
        assert_eq!(processing_days("sofort beim Termin"), None);
    }
}
