//! The clerk's actions on a submission. Each writes the FIT-Connect event
//! (where FIT-Connect has one) and the ZBP status, with a message into the
//! citizen's postbox. HTML console and JSON API both call [`perform`].

use crate::fitconnect::{self, authority::InboxEntry, destinations, Problem};
use crate::idp::{Recipient, TrustLevel};
use crate::zbp::{self, MessageKind, NewAttachment, NewMessage, NewStatus, Status};
use crate::{ApiError, AppState};

use super::bescheid;

/// Longest text a clerk may type into a message or decision.
pub const MAX_TEXT_CHARS: usize = 20_000;

pub enum Action {
    /// `accept-submission` + RECEIVED.
    Accept,
    /// PROCESSING.
    StartProcessing,
    /// ACTION_REQUIRED with the clerk's message.
    RequestAction(String),
    /// `reject-submission` with the reason as problem + COMPLETED + a message.
    Reject(String),
    /// The Bescheid (PDF) into the postbox + COMPLETED.
    Decide(String),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::StartProcessing => "processing",
            Action::RequestAction(_) => "request-action",
            Action::Reject(_) => "reject",
            Action::Decide(_) => "decide",
        }
    }
}

/// What an action did.
pub struct Outcome {
    pub status: Status,
    pub message_id: String,
}

/// Everything about a submission the actions need.
pub struct Case {
    pub entry: InboxEntry,
    pub destination: &'static destinations::Destination,
    pub recipient: Recipient,
    pub statuses: Vec<zbp::StatusRow>,
}

impl Case {
    pub fn level(&self) -> TrustLevel {
        self.destination.form.level
    }

    /// The service's name as the form has it (the client's `serviceType.name` is not trusted).
    pub fn service(&self) -> &str {
        &self.destination.form.title
    }

    /// The latest ZBP status of the application.
    pub fn latest(&self) -> Option<Status> {
        self.statuses.last().and_then(|s| Status::parse(&s.status))
    }
}

pub async fn load(state: &AppState, submission_id: &str) -> Result<Case, ApiError> {
    let entry = fitconnect::authority::inbox_entry(state, submission_id).await?;
    let destination = destinations::by_id(&entry.destination_id)
        .map_err(ApiError::Internal)?
        .ok_or_else(|| ApiError::Internal("unknown destination".into()))?;
    let recipient = crate::idp::recipient(state, &entry.citizen)
        .await?
        .ok_or_else(|| ApiError::Internal("the submission's citizen is unknown".into()))?;
    let statuses = zbp::application_statuses(state, &entry.submission_id).await?;
    Ok(Case {
        entry,
        destination,
        recipient,
        statuses,
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

/// One action at a time: status checks and writes must not interleave.
static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn status_for(
    case: &Case,
    status: Status,
    details: String,
    text: String,
    extra: Option<String>,
) -> NewStatus {
    NewStatus {
        mailbox_uuid: case.recipient.mailbox_uuid.clone(),
        application_id: case.entry.submission_id.clone(),
        status,
        public_service_name: case.service().to_string(),
        sender_name: case.destination.authority.clone(),
        status_details: details,
        additional_information: extra,
        reference: Some(case.entry.case_id.clone()),
        level: case.level(),
        message_id: None,
        message_text: text,
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

/// Today in Germany, `DD.MM.YYYY`.
pub fn today() -> String {
    zbp::deadline::berlin_date(zbp::now())
        .map(zbp::deadline::german)
        .unwrap_or_default()
}

pub async fn perform(
    state: &AppState,
    submission_id: &str,
    action: Action,
) -> Result<Outcome, ApiError> {
    let _guard = LOCK.lock().await;
    let case = load(state, submission_id).await?;
    let ref_ = case.entry.case_id.clone();
    let service = case.service().to_string();
    let authority = case.destination.authority.clone();
    let (status, message_id) = match action {
        Action::Accept => {
            fitconnect::accept(state, submission_id).await?;
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    Status::Received,
                    "Die Behörde hat den Eingang Ihres Antrags bestätigt.".into(),
                    format!("{authority} hat Ihren Antrag „{service}“ erhalten und entschlüsselt.\n\nAktenzeichen: {ref_}\n\nSie werden benachrichtigt, sobald die Bearbeitung beginnt."),
                    None,
                ),
            )
            .await?;
            (Status::Received, id)
        }
        Action::StartProcessing => {
            require_accepted(&case)?;
            if !matches!(
                case.latest(),
                Some(Status::Received | Status::ActionRequired)
            ) {
                return Err(ApiError::Conflict(
                    "the application is already being processed".into(),
                ));
            }
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    Status::Processing,
                    "Ihr Antrag wird bearbeitet.".into(),
                    format!("{authority} bearbeitet jetzt Ihren Antrag „{service}“.\n\nAktenzeichen: {ref_}"),
                    None,
                ),
            )
            .await?;
            (Status::Processing, id)
        }
        Action::RequestAction(text) => {
            let text = clean_text(&text, "the message")?;
            require_accepted(&case)?;
            let id = zbp::record_status(
                state,
                status_for(
                    &case,
                    Status::ActionRequired,
                    "Die Behörde braucht noch etwas von Ihnen.".into(),
                    format!("{authority} braucht für Ihren Antrag „{service}“ (Aktenzeichen {ref_}) noch Folgendes von Ihnen:\n\n{text}"),
                    Some(text),
                ),
            )
            .await?;
            (Status::ActionRequired, id)
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
            let text = format!("{authority} hat Ihren Antrag „{service}“ (Aktenzeichen {ref_}) zurückgewiesen und nicht bearbeitet.\n\nBegründung:\n{reason}\n\nSie können den Antrag mit korrigierten Angaben erneut stellen.");
            let message_id = zbp::deliver(
                state,
                NewMessage {
                    mailbox_uuid: case.recipient.mailbox_uuid.clone(),
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
                Status::Completed,
                "Der Antrag wurde zurückgewiesen.".into(),
                text,
                Some(reason),
            );
            st.message_id = Some(message_id.clone());
            zbp::record_status(state, st).await?;
            (Status::Completed, message_id)
        }
        Action::Decide(decision) => {
            let decision = clean_text(&decision, "the decision")?;
            require_accepted(&case)?;
            let date = today();
            let name = case
                .recipient
                .name
                .clone()
                .unwrap_or_else(|| "Antragstellerin / Antragsteller".into());
            let pdf = {
                let address = case.recipient.address.clone();
                let (authority, ref_, service, decision, date) = (
                    authority.clone(),
                    ref_.clone(),
                    service.clone(),
                    decision.clone(),
                    date.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    bescheid::render(&bescheid::Bescheid {
                        authority: &authority,
                        recipient_name: &name,
                        recipient_address: &address,
                        reference: &ref_,
                        date: &date,
                        service: &service,
                        decision: &decision,
                    })
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(|e| ApiError::Internal(e.to_string()))?
            };
            let content = format!(
                "Ihr Bescheid zu „{service}“ vom {date} liegt als PDF bei.\n\nAktenzeichen: {ref_}\n\n{decision}\n\n{}:\n{}",
                bescheid::REMEDY_HEADING,
                bescheid::remedy_text(&authority)
            );
            let message_id = zbp::deliver(
                state,
                NewMessage {
                    mailbox_uuid: case.recipient.mailbox_uuid.clone(),
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
                Status::Completed,
                "Ihr Antrag ist entschieden. Der Bescheid liegt in Ihrem Postfach.".into(),
                String::new(),
                None,
            );
            st.message_id = Some(message_id.clone());
            zbp::record_status(state, st).await?;
            (Status::Completed, message_id)
        }
    };
    Ok(Outcome { status, message_id })
}
