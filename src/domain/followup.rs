//! Follow-ups (Nachreichungen), pure: what the authority asks for now,
//! what it expects (decision date, contact), and the citizen's answer as a
//! draft until it is sent.
//!
//! The authority's request travels in an application status's
//! `additionalInformation` ([`contract::followup::StatusInfo`]); the answer
//! goes as a follow-up submission into the same FIT-Connect case, its data
//! a [`contract::followup::Answer`].

use contract::followup::{
    days_left, Answer, AnsweredDocument, Contact, Request, StatusInfo, FILE_TYPES,
    MAX_ANSWER_CHARS, MAX_FILES, MAX_FILE_BYTES, REMIND_DAYS,
};
use serde::{Deserialize, Serialize};

use super::postbox::{ApplicationStatus, StatusEntry};
use super::timeline::{EventType, FollowUpSummary, Problem, SetEvent};

/// The request the authority is waiting on.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRequest {
    /// The postbox message id of the status that asks (the answer names it).
    pub message_id: String,
    /// `None` when the status is locked for this login's level.
    pub request: Option<Request>,
    /// ISO 8601, when the authority asked.
    pub asked_at: String,
}

/// The authority is waiting on the citizen: the newest status asks for
/// something (`ACTION_REQUIRED`). An answer turns it back to PROCESSING,
/// which closes the request.
pub fn open_request(statuses: &[StatusEntry]) -> Option<OpenRequest> {
    let last = statuses.last()?;
    if last.status != ApplicationStatus::ActionRequired {
        return None;
    }
    let request = last
        .additional_information
        .as_deref()
        .map(StatusInfo::parse)
        .map(|info| match info.request {
            Some(r) => r,
            // An older request: plain words, no deadline, no named documents.
            None => Request {
                text: info.text.unwrap_or_default(),
                deadline: None,
                documents: Vec::new(),
            },
        });
    Some(OpenRequest {
        message_id: last.message_id.clone()?,
        request: if last.locked { None } else { request },
        asked_at: last.created_date.clone(),
    })
}

/// What the authority said it expects, newest word wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    /// `YYYY-MM-DD`.
    pub expected_decision: Option<String>,
    pub contact: Option<Contact>,
}

pub fn expectations(statuses: &[StatusEntry]) -> Expectations {
    let mut out = Expectations::default();
    for s in statuses {
        let Some(info) = s.additional_information.as_deref().map(StatusInfo::parse) else {
            continue;
        };
        if let Some(d) = info.expected_decision {
            out.expected_decision = Some(d);
        }
        if let Some(c) = info.contact {
            out.contact = Some(c);
        }
    }
    // A decided application expects nothing any more.
    if statuses
        .last()
        .is_some_and(|s| s.status == ApplicationStatus::Completed)
    {
        out.expected_decision = None;
    }
    out
}

/// The text a status stands for (a request's words, a reason), never the
/// JSON it may be wrapped in.
pub fn status_words(additional_information: &str) -> Option<String> {
    let info = StatusInfo::parse(additional_information);
    info.words().map(str::to_string)
}

/// Where a deadline stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// More than [`REMIND_DAYS`] days left.
    Later(i64),
    /// [`REMIND_DAYS`] days or fewer left (0: the last day): remind.
    Soon(i64),
    /// Passed; an answer is still accepted, marked as late.
    Passed,
}

pub fn due(deadline: &str, today: i64) -> Option<Due> {
    let left = days_left(deadline, today)?;
    Some(match left {
        l if l < 0 => Due::Passed,
        l if l <= REMIND_DAYS => Due::Soon(l),
        l => Due::Later(l),
    })
}

/// Where a sent follow-up stands, by its verified events (else the relay's
/// status).
#[derive(Debug, Clone, PartialEq)]
pub enum FollowUpState {
    /// Not finished sending.
    Unsent,
    /// At the Zustelldienst, not yet confirmed by the authority.
    Sent,
    /// The authority confirmed its receipt (`accept-submission`).
    Confirmed,
    /// The authority could not take it (`reject-submission`).
    Rejected(Vec<Problem>),
}

/// A follow-up with what its events say.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub summary: FollowUpSummary,
    pub state: FollowUpState,
}

/// Each follow-up's state from the case's verified events (those of the
/// follow-up's own submission id). Without events the relay's status is
/// used, but a rejection needs its event (it carries the reasons).
pub fn follow_ups(list: &[FollowUpSummary], events: &[SetEvent]) -> Vec<FollowUp> {
    list.iter()
        .map(|f| {
            let own = events.iter().filter(|e| e.submission_id == f.submission_id);
            let mut state = match f.status.as_str() {
                "incomplete" | "deleted" => FollowUpState::Unsent,
                "accepted" => FollowUpState::Confirmed,
                _ => FollowUpState::Sent,
            };
            for e in own {
                match e.kind {
                    EventType::Accept => state = FollowUpState::Confirmed,
                    EventType::Reject => state = FollowUpState::Rejected(e.problems.clone()),
                    _ => {}
                }
            }
            FollowUp {
                summary: f.clone(),
                state,
            }
        })
        .collect()
}

// ------------------------------------------------------------ the answer draft

/// The version of [`ReplyDraft`]'s stored shape.
pub const REPLY_DRAFT_VERSION: u32 = 1;

/// The storage key of the answer to an application's request.
pub fn reply_key(submission_id: &str) -> String {
    format!("antwort:{submission_id}")
}

/// Which upload slot a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "index")]
pub enum Slot {
    /// The n-th requested document (from 0).
    Requested(usize),
    /// The n-th file the citizen adds ("Weitere Unterlage").
    Extra(usize),
}

/// A chosen file; its bytes are in the draft store under `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyFile {
    pub slot: Slot,
    /// The attachment id (a lower-case UUID) and the store's file id.
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

/// How far a send got: recorded before each step so that a retry continues
/// the same submission (never a second one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplySending {
    pub idempotency_key: String,
    pub attachment_ids: Vec<String>,
    #[serde(default)]
    pub submission_id: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// The citizen's answer while it is written (kept encrypted in the draft
/// store, like an application's draft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDraft {
    pub version: u32,
    /// The request's message id: a draft for an earlier request is not
    /// sent as the answer to a newer one.
    pub request: String,
    #[serde(default)]
    pub text: String,
    /// Extra slots shown ("Weitere Unterlage hinzufügen").
    #[serde(default)]
    pub extra_slots: usize,
    #[serde(default)]
    pub files: Vec<ReplyFile>,
    #[serde(default)]
    pub sending: Option<ReplySending>,
}

impl ReplyDraft {
    pub fn new(request: &str) -> Self {
        ReplyDraft {
            version: REPLY_DRAFT_VERSION,
            request: request.to_string(),
            text: String::new(),
            extra_slots: 0,
            files: Vec::new(),
            sending: None,
        }
    }

    /// A stored draft, if it is one of this shape.
    pub fn from_json(json: &str) -> Option<Self> {
        super::json::from_text::<ReplyDraft>(json)
            .ok()
            .filter(|d| d.version == REPLY_DRAFT_VERSION)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn file(&self, slot: Slot) -> Option<&ReplyFile> {
        self.files.iter().find(|f| f.slot == slot)
    }

    /// Puts a file into a slot; returns the one it replaces.
    pub fn put(&mut self, file: ReplyFile) -> Option<ReplyFile> {
        let old = self.remove(file.slot);
        self.files.push(file);
        self.edited();
        old
    }

    pub fn remove(&mut self, slot: Slot) -> Option<ReplyFile> {
        let i = self.files.iter().position(|f| f.slot == slot)?;
        self.edited();
        Some(self.files.remove(i))
    }

    /// An edit after an unfinished send starts a new one, unless the
    /// submission was already announced with other attachments (then the
    /// send checks again, see [`ReplyDraft::attachment_ids`]).
    pub fn edited(&mut self) {
        if self
            .sending
            .as_ref()
            .is_some_and(|s| s.submission_id.is_none())
        {
            self.sending = None;
        }
    }

    /// The attachment ids in slot order (requested first, then extra).
    pub fn attachment_ids(&self) -> Vec<String> {
        self.ordered().iter().map(|f| f.id.clone()).collect()
    }

    fn ordered(&self) -> Vec<&ReplyFile> {
        let mut files: Vec<&ReplyFile> = self.files.iter().collect();
        files.sort_by_key(|f| match f.slot {
            Slot::Requested(i) => (0, i),
            Slot::Extra(i) => (1, i),
        });
        files
    }

    /// The follow-up's data: the answer, and each file named by the
    /// document it is for (`extra` names the citizen's own additions).
    pub fn answer(&self, request: &Request, extra: &str) -> Answer {
        Answer {
            request: self.request.clone(),
            text: self.text.trim().to_string(),
            documents: self
                .ordered()
                .into_iter()
                .map(|f| AnsweredDocument {
                    name: match f.slot {
                        Slot::Requested(i) => request
                            .documents
                            .get(i)
                            .map(|d| d.name.clone())
                            .unwrap_or_else(|| extra.to_string()),
                        Slot::Extra(_) => extra.to_string(),
                    },
                    attachment_id: f.id.clone(),
                })
                .collect(),
        }
    }
}

/// What stops an answer from being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyIssue {
    /// Neither text nor a file.
    Empty,
    TextTooLong,
    TooManyFiles,
    /// A requested document has no file yet (the citizen may still send:
    /// this is a question, not a refusal; see [`check`]).
    DocumentMissing(usize),
}

/// The checks before sending. `DocumentMissing` issues are warnings the
/// page shows next to the slot; only the others block.
pub fn check(draft: &ReplyDraft, request: &Request) -> Vec<ReplyIssue> {
    let mut out = Vec::new();
    if draft.text.trim().is_empty() && draft.files.is_empty() {
        out.push(ReplyIssue::Empty);
    }
    if draft.text.trim().chars().count() > MAX_ANSWER_CHARS {
        out.push(ReplyIssue::TextTooLong);
    }
    if draft.files.len() > MAX_FILES {
        out.push(ReplyIssue::TooManyFiles);
    }
    for i in 0..request.documents.len() {
        if draft.file(Slot::Requested(i)).is_none() {
            out.push(ReplyIssue::DocumentMissing(i));
        }
    }
    out
}

/// Whether the issues block sending.
pub fn blocks(issues: &[ReplyIssue]) -> bool {
    issues
        .iter()
        .any(|i| !matches!(i, ReplyIssue::DocumentMissing(_)))
}

/// The types and size allowed in a slot: the requested document's, or the
/// general ones for an extra file.
pub fn slot_limits(request: &Request, slot: Slot) -> (Vec<String>, u64) {
    match slot {
        Slot::Requested(i) => match request.documents.get(i) {
            Some(d) if !d.accept.is_empty() => (d.accept.clone(), d.max_bytes.min(MAX_FILE_BYTES)),
            _ => general_limits(),
        },
        Slot::Extra(_) => general_limits(),
    }
}

fn general_limits() -> (Vec<String>, u64) {
    (
        FILE_TYPES.iter().map(|t| t.to_string()).collect(),
        MAX_FILE_BYTES,
    )
}

#[cfg(test)]
#[path = "followup_tests.rs"]
mod tests;
