//! Delivery into the postbox: messages, attachments and the status of an
//! application, as other modules of the stand-in hand them over
//! (FIT-Connect when a submission is handed in, the authority's console).

use sha2::{Digest, Sha512};

use super::{notice, now, store, StatusRow};
use crate::idp::TrustLevel;
use crate::{ApiError, AppState};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A Bescheid.
    Decision,
    /// A note about an application's progress.
    Status,
    /// Anything else (e.g. a rejected submission).
    Info,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Decision => "decision",
            MessageKind::Status => "status",
            MessageKind::Info => "info",
        }
    }
}

pub struct NewAttachment {
    pub filename: String,
    pub mime_type: String,
    pub content: Vec<u8>,
}

/// A message to put into a mailbox. `content` is plain text.
pub struct NewMessage {
    pub mailbox_uuid: String,
    pub kind: MessageKind,
    pub sender: String,
    pub title: String,
    pub content: String,
    pub service: Option<String>,
    pub application_id: Option<String>,
    pub reference: Option<String>,
    /// The level needed to open it.
    pub level: TrustLevel,
    /// A decision with a Rechtsbehelf: its deadline is fixed when it is opened.
    pub appealable: bool,
    pub retrieval_confirmation_address: Option<String>,
    pub reply_address: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

fn insert_message(
    conn: &rusqlite::Connection,
    id: &str,
    m: &NewMessage,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO zbp_messages (id, mailbox_uuid, kind, sender, title, content, service, application_id,
            reference, level, retrieval_confirmation_address, reply_address, appealable, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            id,
            m.mailbox_uuid,
            m.kind.as_str(),
            m.sender,
            m.title,
            m.content,
            m.service,
            m.application_id,
            m.reference,
            m.level.as_str(),
            m.retrieval_confirmation_address,
            m.reply_address,
            m.appealable,
            now
        ],
    )?;
    // BundID mails the account about it, later and without content (notice.rs).
    notice::enqueue(conn, id, &m.mailbox_uuid, now)?;
    for (i, a) in m.attachments.iter().enumerate() {
        let sha: String = Sha512::digest(&a.content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        conn.execute(
            "INSERT INTO zbp_attachments (message_id, id, position, filename, mime_type, sha512, content_length, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                id,
                crate::idp::random_uuid(),
                i as i64,
                a.filename,
                a.mime_type,
                sha,
                a.content.len() as i64,
                a.content
            ],
        )?;
    }
    Ok(())
}

/// Puts a message into a mailbox inside the caller's transaction
/// (`deliveredAt` = `now`); returns its id.
pub fn deliver_in(
    conn: &rusqlite::Connection,
    m: &NewMessage,
    now: i64,
) -> rusqlite::Result<String> {
    let id = crate::idp::random_uuid();
    insert_message(conn, &id, m, now)?;
    Ok(id)
}

/// The applications whose latest status is `status`: that status of each,
/// oldest first (the authority's view).
pub async fn latest_statuses(state: &AppState, status: Status) -> Result<Vec<StatusRow>, ApiError> {
    Ok(state
        .db
        .call(move |c| store::latest_statuses(c, status.as_str()))
        .await?)
}

/// Puts a message into a mailbox (`deliveredAt` = now); returns its id.
pub async fn deliver(state: &AppState, m: NewMessage) -> Result<String, ApiError> {
    let id = crate::idp::random_uuid();
    let now = now();
    let mid = id.clone();
    state
        .db
        .call(move |c| insert_message(c, &mid, &m, now))
        .await?;
    Ok(id)
}

/// Application status as ZBP names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Initiated,
    Submitted,
    Received,
    Processing,
    ActionRequired,
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Initiated => "INITIATED",
            Status::Submitted => "SUBMITTED",
            Status::Received => "RECEIVED",
            Status::Processing => "PROCESSING",
            Status::ActionRequired => "ACTION_REQUIRED",
            Status::Completed => "COMPLETED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Initiated,
            Status::Submitted,
            Status::Received,
            Status::Processing,
            Status::ActionRequired,
            Status::Completed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// German label (console, message titles).
    pub fn german(self) -> &'static str {
        match self {
            Status::Initiated => "Begonnen",
            Status::Submitted => "Eingereicht",
            Status::Received => "Eingang bestätigt",
            Status::Processing => "In Bearbeitung",
            Status::ActionRequired => "Handlung nötig",
            Status::Completed => "Abgeschlossen",
        }
    }
}

/// A status of an application, with the postbox message that tells the
/// citizen about it: `message` is delivered as kind `status` unless
/// `message_id` already names one (e.g. the Bescheid).
pub struct NewStatus {
    pub mailbox_uuid: String,
    pub application_id: String,
    pub status: Status,
    pub public_service_name: String,
    pub sender_name: String,
    pub status_details: String,
    pub additional_information: Option<String>,
    pub reference: Option<String>,
    pub level: TrustLevel,
    pub message_id: Option<String>,
    /// Text of the accompanying status message (plain text).
    pub message_text: String,
}

/// Records a status and (unless `message_id` is given) delivers its status
/// message, in one transaction. Returns the message id.
pub async fn record_status(state: &AppState, s: NewStatus) -> Result<String, ApiError> {
    let now = now();
    let new_id = crate::idp::random_uuid();
    Ok(state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let message_id = match &s.message_id {
                Some(id) => id.clone(),
                None => {
                    let m = NewMessage {
                        mailbox_uuid: s.mailbox_uuid.clone(),
                        kind: MessageKind::Status,
                        sender: s.sender_name.clone(),
                        title: format!("{}: {}", s.public_service_name, s.status.german()),
                        content: s.message_text.clone(),
                        service: Some(s.public_service_name.clone()),
                        application_id: Some(s.application_id.clone()),
                        reference: s.reference.clone(),
                        level: s.level,
                        appealable: false,
                        retrieval_confirmation_address: None,
                        reply_address: None,
                        attachments: Vec::new(),
                    };
                    insert_message(&tx, &new_id, &m, now)?;
                    new_id
                }
            };
            store::insert_status(
                &tx,
                &StatusRow {
                    mailbox_uuid: s.mailbox_uuid,
                    application_id: s.application_id,
                    status: s.status.as_str().to_string(),
                    public_service_name: s.public_service_name,
                    sender_name: s.sender_name,
                    created_date: now,
                    status_details: s.status_details,
                    additional_information: s.additional_information,
                    reference: s.reference,
                    level: s.level,
                    message_id: Some(message_id.clone()),
                },
            )?;
            tx.commit()?;
            Ok(message_id)
        })
        .await?)
}

/// The statuses of an application (the authority's view), oldest first.
pub async fn application_statuses(
    state: &AppState,
    application_id: &str,
) -> Result<Vec<StatusRow>, ApiError> {
    let id = application_id.to_string();
    Ok(state
        .db
        .call(move |c| store::statuses(c, &id, None))
        .await?)
}

/// A handed-in submission, as FIT-Connect reports it to the postbox.
pub struct Submitted<'a> {
    pub mailbox_uuid: &'a str,
    pub submission_id: &'a str,
    /// The sender's short reference (else FIT-Connect's caseId).
    pub reference: &'a str,
    pub service_name: &'a str,
    pub authority: &'a str,
    pub level: TrustLevel,
    /// `submitted`, or `rejected` when the automatic check failed.
    pub status: &'a str,
}

/// Called by FIT-Connect right after a submission was handed in
/// (`status` is `submitted`, or `rejected` when the automatic check failed):
/// the citizen's application gets the status SUBMITTED (and a rejection
/// note when the check failed). Failures are logged, never raised: the
/// submission itself has succeeded.
pub async fn application_submitted(state: &AppState, sub: Submitted<'_>) {
    let Submitted {
        mailbox_uuid,
        submission_id,
        reference,
        service_name,
        authority,
        level,
        status,
    } = sub;
    let base = |st: Status, details: &str, text: String| NewStatus {
        mailbox_uuid: mailbox_uuid.to_string(),
        application_id: submission_id.to_string(),
        status: st,
        public_service_name: service_name.to_string(),
        sender_name: authority.to_string(),
        status_details: details.to_string(),
        additional_information: None,
        reference: Some(reference.to_string()),
        level,
        message_id: None,
        message_text: text,
    };
    let submitted = base(
        Status::Submitted,
        "Ihr Antrag wurde verschlüsselt übermittelt.",
        format!(
            "Ihr Antrag „{service_name}“ wurde verschlüsselt an {authority} übermittelt.\n\nVorgangsnummer: {reference}\n\nSie erhalten eine Nachricht, sobald die Behörde den Eingang bestätigt."
        ),
    );
    if let Err(e) = record_status(state, submitted).await {
        tracing::error!(error = %e, submission_id, "postbox: recording SUBMITTED failed");
        return;
    }
    if status == "rejected" {
        let rejected = base(
            Status::Completed,
            "Der Antrag wurde bei der Eingangsprüfung zurückgewiesen.",
            format!(
                "Ihr Antrag „{service_name}“ konnte nicht verarbeitet werden: Die automatische Eingangsprüfung hat Fehler festgestellt (zum Beispiel eine beschädigte Anlage).\n\nVorgangsnummer: {reference}\n\nBitte stellen Sie den Antrag erneut."
            ),
        );
        if let Err(e) = record_status(state, rejected).await {
            tracing::error!(error = %e, submission_id, "postbox: recording the rejection failed");
        }
    }
}
