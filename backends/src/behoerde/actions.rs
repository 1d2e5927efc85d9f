//! The clerk's actions on a submission. Each writes the FIT-Connect event
//! (where FIT-Connect has one) and the ZBP status, with a message into the
//! citizen's postbox. HTML console and JSON API both call `trail::perform`, which
//! writes the audit entries around [`run`].

use contract::followup::StatusInfo;
use serde_json::Value;

use crate::fitconnect::authority::{DecryptedSubmission, InboxEntry};
use crate::fitconnect::{self, destinations, forms::Form, Problem};
use crate::idp::TrustLevel;
use crate::zbp::{self, MessageKind, NewAttachment, NewMessage, NewStatus, Status};
use crate::{ApiError, AppState};

use super::bescheid;
use super::followups::{self, FollowUp};
use super::info::{self, RequestInput};

/// Longest text a clerk may type into a message or decision.
pub const MAX_TEXT_CHARS: usize = 20_000;

pub enum Action {
    /// `accept-submission` + RECEIVED.
    Accept,
    /// PROCESSING, with the expected decision date the clerk may set
    /// (`YYYY-MM-DD` or empty).
    StartProcessing(String),
    /// ACTION_REQUIRED with the clerk's request (text, deadline, documents).
    RequestAction(RequestInput),
    /// PROCESSING: the latest request is answered and complete.
    Fulfilled,
    /// `reject-submission` with the reason as problem + COMPLETED + a message.
    Reject(String),
    /// The Bescheid (PDF) into the postbox + COMPLETED.
    Decide(String),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::StartProcessing(_) => "processing",
            Action::RequestAction(_) => "request-action",
            Action::Fulfilled => "fulfilled",
            Action::Reject(_) => "reject",
            Action::Decide(_) => "decide",
        }
    }
}

/// What an action did: the application's status and the postbox message
/// written (none when the application names no postbox).
pub struct Outcome {
    pub status: Status,
    pub message_id: Option<String>,
}

/// Whom the authority answers, taken from the decrypted application only
/// (FIT-Connect knows the sender, never the citizen): the postbox from the
/// metadata's `replyChannel.idBundMailbox.idBundMailboxAddress`, name and address from
/// the form data's fields prefilled from the account (`x-prefill`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressee {
    pub mailbox_uuid: Option<String>,
    /// "Vorname Nachname", if the form has them.
    pub name: Option<String>,
    /// Street, postcode and place, if the form has them.
    pub address: Vec<String>,
    /// The postcode alone: it finds the authority that issues the Bescheid.
    pub postal_code: Option<String>,
}

impl Addressee {
    pub fn of(form: &Form, d: &DecryptedSubmission) -> Self {
        let get = |attr: &str| prefilled(&form.schema, &d.data, attr);
        let name = [get("givenName"), get("surname")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let mut address: Vec<String> = get("postalAddress").into_iter().collect();
        let postal_code = get("postalCode");
        let place = [postal_code.clone(), get("localityName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !place.is_empty() {
            address.push(place);
        }
        Self {
            mailbox_uuid: fitconnect::authority::postbox_ref(&d.metadata).map(str::to_string),
            name: (!name.is_empty()).then_some(name),
            address,
            postal_code,
        }
    }
}

/// The value of the field marked `x-prefill: attr` (in the form or one of
/// its groups, not in repeats), if filled in.
fn prefilled(schema: &Value, data: &Value, attr: &str) -> Option<String> {
    let props = schema.get("properties")?.as_object()?;
    props.iter().find_map(|(name, sub)| {
        let value = data.get(name)?;
        if sub.get("x-prefill").and_then(Value::as_str) == Some(attr) {
            let v = value.as_str()?.trim();
            return (!v.is_empty()).then(|| v.to_string());
        }
        if value.is_object() {
            return prefilled(sub, value, attr);
        }
        None
    })
}

/// Everything about a submission the actions need.
pub struct Case {
    pub entry: InboxEntry,
    pub destination: &'static destinations::Destination,
    /// The application decrypted and checked, or why it cannot be read.
    pub content: Result<DecryptedSubmission, String>,
    pub addressee: Addressee,
    pub statuses: Vec<zbp::StatusRow>,
    /// The case's follow-ups that passed the checks, oldest first.
    pub follow_ups: Vec<FollowUp>,
}

impl Case {
    pub fn level(&self) -> TrustLevel {
        self.destination.form.level
    }

    /// The service's name as the form has it (the client's `serviceType.name` is not trusted).
    pub fn service(&self) -> &str {
        &self.destination.form.title
    }

    /// The application's reference: the sender's short one from the
    /// metadata (`HST-2026-004711`), else FIT-Connect's caseId.
    pub fn reference(&self) -> &str {
        self.content
            .as_ref()
            .ok()
            .and_then(|d| fitconnect::authority::sender_reference(&d.metadata))
            .unwrap_or(&self.entry.case_id)
    }

    /// The latest ZBP status of the application.
    pub fn latest(&self) -> Option<Status> {
        self.statuses.last().and_then(|s| Status::parse(&s.status))
    }

    /// The citizen's postbox, or 422 when the application names none.
    fn mailbox(&self) -> Result<String, ApiError> {
        self.addressee.mailbox_uuid.clone().ok_or_else(|| {
            ApiError::Unprocessable(
                "the application names no postbox (replyChannel.idBundMailbox.idBundMailboxAddress); \
                 answer it another way"
                    .into(),
            )
        })
    }
}

pub async fn load(state: &AppState, submission_id: &str) -> Result<Case, ApiError> {
    let entry = fitconnect::authority::inbox_entry(state, submission_id).await?;
    let destination = destinations::by_id(&entry.destination_id)
        .map_err(ApiError::Internal)?
        .ok_or_else(|| ApiError::Internal("unknown destination".into()))?;
    let content = match fitconnect::decrypted(state, submission_id).await {
        Ok(d) => Ok(d),
        Err(ApiError::Unprocessable(problems) | ApiError::Conflict(problems)) => Err(problems),
        Err(e) => return Err(e),
    };
    let addressee = content
        .as_ref()
        .map(|d| Addressee::of(destination.form, d))
        .unwrap_or_default();
    let statuses = zbp::application_statuses(state, &entry.submission_id).await?;
    let follow_ups = followups::load(state, &entry.submission_id, &statuses).await?;
    Ok(Case {
        entry,
        destination,
        content,
        addressee,
        statuses,
        follow_ups,
    })
}

fn clean_text(text: &str, what: &str) -> Result<String, ApiError> {
    let t = text.trim().replace("\r\n", "\n");
    if t.is_empty() {
        return Err(ApiError::Unprocessable(format!("{what} must not be empty")));
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "{what} is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(t)
}

/// One action at a time: status checks and writes must not interleave
/// (taken by `trail::perform`, which loads the case and calls [`run`]).
pub(super) static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn status_for(
    case: &Case,
    mailbox: &str,
    status: Status,
    details: String,
    text: String,
    extra: Option<String>,
) -> NewStatus {
    NewStatus {
        mailbox_uuid: mailbox.to_string(),
        application_id: case.entry.submission_id.clone(),
        status,
        public_service_name: case.service().to_string(),
        sender_name: case.destination.authority.clone(),
        status_details: details,
        additional_information: extra,
        reference: Some(case.reference().to_string()),
        level: case.level(),
        message_id: None,
        message_text: text,
    }
}

/// `additionalInformation` as JSON (docs/backends.md §4).
fn info_json(info: &StatusInfo) -> Result<Option<String>, ApiError> {
    serde_json::to_string(info)
        .map(Some)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

impl Case {
    /// The contact for the citizen (the issuing office at the applicant's place).
    async fn contact(&self) -> Result<contract::followup::Contact, ApiError> {
        info::contact(self.destination, self.addressee.postal_code.clone()).await
    }
}

fn require_accepted(case: &Case) -> Result<(), ApiError> {
    if case.entry.status != "accepted" {
        return Err(ApiError::Conflict(format!(
            "the submission is {}; confirm its receipt first",
            case.entry.status
        )));
    }
    if case.latest() == Some(Status::Completed) {
        return Err(ApiError::Conflict("the application is completed".into()));
    }
    Ok(())
}

/// The postbox line naming the expected decision date, if there is one.
fn decision_line(date: Option<&str>) -> String {
    date.map(|d| {
        format!(
            "\n\nVoraussichtlich entscheidet die Behörde bis zum {}.",
            fitconnect::followup::german(d)
        )
    })
    .unwrap_or_default()
}

/// Today in Germany, `DD.MM.YYYY`.
pub fn today() -> String {
    zbp::deadline::berlin_date(zbp::now())
        .map(zbp::deadline::german)
        .unwrap_or_default()
}

/// Does `action` on the loaded `case` (with [`LOCK`] held). Called by
/// `trail::perform`, which writes the audit entries around it.
pub(super) async fn run(state: &AppState, case: Case, action: Action) -> Result<Outcome, ApiError> {
    let submission_id = &case.entry.submission_id.clone();
    let ref_ = case.reference().to_string();
    let service = case.service().to_string();
    let authority = case.destination.authority.clone();
    let (status, message_id) = match action {
        // A request for a mandate: confirmed, and so completed.
        Action::Accept if super::mandate_request::is_request(&case) => {
            fitconnect::accept(state, submission_id).await?;
            let Some(mailbox) = case.addressee.mailbox_uuid.clone() else {
                return Ok(Outcome {
                    status: Status::Completed,
                    message_id: None,
                });
            };
            let request = super::mandate_request::of_case(&case);
            let (details, text) = super::mandate_request::confirmed_text(&authority, request);
            let id = zbp::record_status(
                state,
                status_for(&case, &mailbox, Status::Completed, details, text, None),
            )
            .await?;
            (Status::Completed, Some(id))
        }
        Action::Accept => {
            fitconnect::accept(state, submission_id).await?;
            let expected = info::expected_decision(case.destination).await?;
            let contact = case.contact().await?;
            let Some(mailbox) = case.addressee.mailbox_uuid.clone() else {
                return Ok(Outcome {
                    status: Status::Received,
                    message_id: None,
                });
            };
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    &mailbox,
                    Status::Received,
                    "Die Behörde hat den Eingang Ihres Antrags bestätigt.".into(),
                    format!("{authority} hat Ihren Antrag „{service}“ erhalten und entschlüsselt.\n\nVorgangsnummer: {ref_}{}\n\nSie werden benachrichtigt, sobald die Bearbeitung beginnt.", decision_line(expected.as_deref())),
                    info_json(&StatusInfo {
                        expected_decision: expected.clone(),
                        contact: Some(contact),
                        ..StatusInfo::default()
                    })?,
                ),
            )
            .await?;
            (Status::Received, Some(id))
        }
        Action::StartProcessing(date) => {
            let chosen = info::date_from_today(&date, "the expected decision date")?;
            require_accepted(&case)?;
            let mailbox = case.mailbox()?;
            if !matches!(
                case.latest(),
                Some(Status::Received | Status::ActionRequired)
            ) {
                return Err(ApiError::Conflict(
                    "the application is already being processed".into(),
                ));
            }
            let expected =
                chosen.or_else(|| fitconnect::authority::carried(&case.statuses).expected_decision);
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    &mailbox,
                    Status::Processing,
                    "Ihr Antrag wird bearbeitet.".into(),
                    format!("{authority} bearbeitet jetzt Ihren Antrag „{service}“.\n\nVorgangsnummer: {ref_}{}", decision_line(expected.as_deref())),
                    info_json(&StatusInfo {
                        expected_decision: expected.clone(),
                        contact: Some(case.contact().await?),
                        ..StatusInfo::default()
                    })?,
                ),
            )
            .await?;
            (Status::Processing, Some(id))
        }
        Action::RequestAction(input) => {
            let text = clean_text(&input.text, "the message")?;
            let request = info::request(input, text.clone())?;
            require_accepted(&case)?;
            let mailbox = case.mailbox()?;
            let lines = info::request_lines(&request);
            let status_info = StatusInfo {
                request: Some(request),
                contact: Some(case.contact().await?),
                expected_decision: fitconnect::authority::carried(&case.statuses).expected_decision,
                ..StatusInfo::default()
            };
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    &mailbox,
                    Status::ActionRequired,
                    "Die Behörde braucht noch etwas von Ihnen.".into(),
                    format!("{authority} braucht für Ihren Antrag „{service}“ (Vorgangsnummer {ref_}) noch Folgendes von Ihnen:\n\n{text}{lines}"),
                    info_json(&status_info)?,
                ),
            )
            .await?;
            (Status::ActionRequired, Some(id))
        }
        Action::Fulfilled => {
            require_accepted(&case)?;
            let mailbox = case.mailbox()?;
            let Some((asked, fulfilled)) = followups::latest_request(&case.statuses) else {
                return Err(ApiError::Conflict("nothing was requested".into()));
            };
            if fulfilled {
                return Err(ApiError::Conflict(
                    "the latest request is marked fulfilled already".into(),
                ));
            }
            if !followups::answered(&case.follow_ups, &asked.message_id) {
                return Err(ApiError::Conflict(
                    "the latest request has not been answered yet".into(),
                ));
            }
            let carried = fitconnect::authority::carried(&case.statuses);
            let status_info = StatusInfo {
                fulfilled: true,
                contact: Some(case.contact().await?),
                expected_decision: carried.expected_decision,
                ..StatusInfo::default()
            };
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    &mailbox,
                    Status::Processing,
                    "Ihre nachgereichten Unterlagen sind vollständig.".into(),
                    format!("{authority} hat Ihre nachgereichten Unterlagen zu Ihrem Antrag „{service}“ geprüft: Sie sind vollständig.\n\nVorgangsnummer: {ref_}\n\nDie Bearbeitung geht weiter."),
                    info_json(&status_info)?,
                ),
            )
            .await?;
            (Status::Processing, Some(id))
        }
        Action::Reject(reason) => {
            let reason = clean_text(&reason, "the reason")?;
            fitconnect::reject(
                state,
                submission_id,
                vec![Problem::new(
                    "rejected-by-authority",
                    "Antrag zurückgewiesen",
                    reason.clone(),
                    "submission",
                )],
            )
            .await?;
            let Some(mailbox) = case.addressee.mailbox_uuid.clone() else {
                return Ok(Outcome {
                    status: Status::Completed,
                    message_id: None,
                });
            };
            let text = format!("{authority} hat Ihren Antrag „{service}“ (Vorgangsnummer {ref_}) zurückgewiesen und nicht bearbeitet.\n\nBegründung:\n{reason}\n\nSie können den Antrag mit korrigierten Angaben erneut stellen.");
            let message_id = zbp::deliver(
                state,
                NewMessage {
                    mailbox_uuid: mailbox.clone(),
                    kind: MessageKind::Info,
                    sender: authority.clone(),
                    title: format!("{service}: Antrag zurückgewiesen"),
                    content: text.clone(),
                    service: Some(service.clone()),
                    application_id: Some(case.entry.submission_id.clone()),
                    reference: Some(ref_.clone()),
                    level: case.level(),
                    appealable: false,
                    retrieval_confirmation_address: None,
                    reply_address: None,
                    attachments: Vec::new(),
                },
            )
            .await?;
            let mut st = status_for(
                &case,
                &mailbox,
                Status::Completed,
                "Der Antrag wurde zurückgewiesen.".into(),
                text,
                Some(reason),
            );
            st.message_id = Some(message_id.clone());
            zbp::record_status(state, st).await?;
            (Status::Completed, Some(message_id))
        }
        Action::Decide(decision) => {
            let decision = clean_text(&decision, "the decision")?;
            require_accepted(&case)?;
            let mailbox = case.mailbox()?;
            let date = today();
            let name = case
                .addressee
                .name
                .clone()
                .unwrap_or_else(|| "Antragstellerin / Antragsteller".into());
            // The authority at the applicant's place, with its address: the
            // letterhead and the Rechtsbehelfsbelehrung (PDF and message) name
            // it. (Its first lookup reads the PVOG seed: off the async threads.)
            let (pdf, issuer) = {
                let address = case.addressee.address.clone();
                let postal_code = case.addressee.postal_code.clone();
                let destination = case.destination;
                let (ref_, service, decision, date) = (
                    ref_.clone(),
                    service.clone(),
                    decision.clone(),
                    date.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    let issuer = bescheid::issuer(destination, postal_code.as_deref());
                    bescheid::render(&bescheid::Bescheid {
                        authority: &issuer.name,
                        authority_address: &issuer.address,
                        recipient_name: &name,
                        recipient_address: &address,
                        reference: &ref_,
                        date: &date,
                        service: &service,
                        decision: &decision,
                    })
                    .map(|pdf| (pdf, issuer))
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(|e| ApiError::Internal(e.to_string()))?
            };
            let content = format!(
                "Ihr Bescheid zu „{service}“ vom {date} liegt als PDF bei.\n\nVorgangsnummer: {ref_}\n\n{decision}\n\n{}:\n{}",
                bescheid::REMEDY_HEADING,
                bescheid::remedy_text(&issuer.name, &issuer.address)
            );
            let message_id = zbp::deliver(
                state,
                NewMessage {
                    mailbox_uuid: mailbox.clone(),
                    kind: MessageKind::Decision,
                    sender: authority.clone(),
                    title: format!("Bescheid: {service}"),
                    content,
                    service: Some(service.clone()),
                    application_id: Some(case.entry.submission_id.clone()),
                    reference: Some(ref_.clone()),
                    level: case.level(),
                    appealable: true,
                    retrieval_confirmation_address: None,
                    reply_address: None,
                    attachments: vec![NewAttachment {
                        filename: format!("Bescheid-{ref_}.pdf"),
                        mime_type: "application/pdf".into(),
                        content: pdf,
                    }],
                },
            )
            .await?;
            let mut st = status_for(
                &case,
                &mailbox,
                Status::Completed,
                "Ihr Antrag ist entschieden. Der Bescheid liegt in Ihrem Postfach.".into(),
                String::new(),
                None,
            );
            st.message_id = Some(message_id.clone());
            zbp::record_status(state, st).await?;
            (Status::Completed, Some(message_id))
        }
    };
    Ok(Outcome { status, message_id })
}
