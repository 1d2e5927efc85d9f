//! Reminders before a request's deadline (#17): when an application's
//! latest status is `ACTION_REQUIRED` with a deadline at most
//! [`REMIND_DAYS`] days away (German calendar days, the deadline's own day
//! included), the citizen's postbox gets one message of kind `info` from the
//! authority: "<service>: Erinnerung an Ihre Antwort", with the due date,
//! what was asked and that a late answer is still accepted.
//!
//! Once per request: `behoerde_reminders` holds the request's postbox
//! message id, inserted in the transaction that delivers the reminder (and
//! checks the request is still the latest status), so two sweeps never send
//! twice. No reminder for a request without a deadline, an answered one (a
//! later status, e.g. PROCESSING `received`), a completed application, or
//! once the deadline has passed.
//!
//! Each reminder is in the audit log (actor `erinnerungen`, a system
//! task), written in the transaction that delivers it.
//!
//! [`spawn_periodic`] runs [`remind_due`] on the tick of the FIT-Connect
//! deadline sweep ([`crate::fitconnect::deadline::SWEEP_INTERVAL`]): at
//! once, then hourly. There is no e-mail or push channel in the stand-in:
//! the postbox is the only way.

use contract::followup::{days_left, Request, StatusInfo, REMIND_DAYS};
use rusqlite::{params, OptionalExtension};
use serde_json::json;

use super::audit::{self, Actor, NewEntry, Outcome};
use crate::fitconnect::followup::{day_of, german};
use crate::zbp::{self, MessageKind, NewMessage, Status, StatusRow};
use crate::{ApiError, AppState};

pub(super) const MIGRATION: &str = "
CREATE TABLE behoerde_reminders (
    request_message_id TEXT PRIMARY KEY,
    sent_at INTEGER NOT NULL
);
";

/// The title of a reminder.
pub fn title(service: &str) -> String {
    format!("{service}: Erinnerung an Ihre Antwort")
}

/// "heute", "morgen", "in 3 Tagen".
fn when(left: i64) -> String {
    match left {
        0 => "heute".into(),
        1 => "morgen".into(),
        n => format!("in {n} Tagen"),
    }
}

fn content(row: &StatusRow, request: &Request, deadline: &str, left: i64) -> String {
    let service = &row.public_service_name;
    let reference = row
        .reference
        .as_deref()
        .map(|r| format!(" (Vorgangsnummer {r})"))
        .unwrap_or_default();
    let mut out = format!(
        "{} wartet noch auf Ihre Antwort zu Ihrem Antrag „{service}“{reference}.\n\n\
         Bitte antworten Sie bis zum {} ({}).\n\nDie Behörde hatte Sie gebeten:\n\n{}",
        row.sender_name,
        german(deadline),
        when(left),
        request.text
    );
    if !request.documents.is_empty() {
        out.push_str("\n\nBitte reichen Sie diese Unterlagen nach:");
        for d in &request.documents {
            out.push_str(&format!("\n- {}", d.name));
        }
    }
    out.push_str(
        "\n\nSie antworten über die Nachricht mit der Anfrage in Ihrem Postfach oder unter „Meine Anträge“. \
         Auch eine Antwort nach der Frist nimmt die Behörde noch an; sie wird dann als verspätet vermerkt.",
    );
    out
}

/// Sends the reminders due on `today` (a day number, see
/// [`contract::calendar`]); returns how many were sent.
pub async fn remind_due(state: &AppState, today: i64) -> Result<usize, ApiError> {
    let open = zbp::latest_statuses(state, Status::ActionRequired).await?;
    let mut sent = 0;
    for row in open {
        let Some(request_id) = row.message_id.clone() else {
            continue;
        };
        let info = StatusInfo::parse(row.additional_information.as_deref().unwrap_or(""));
        let Some(request) = info.request else {
            continue;
        };
        let Some(deadline) = request.deadline.clone() else {
            continue;
        };
        let Some(left) = days_left(&deadline, today) else {
            continue;
        };
        if !(0..=REMIND_DAYS).contains(&left) {
            continue;
        }
        // Asked inside the window already: the request itself said when,
        // a reminder minutes later would be noise.
        let asked = zbp::deadline::berlin_date(row.created_date)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .and_then(|d| days_left(&deadline, contract::followup::day_number(&d)?));
        if asked.is_some_and(|gap| gap <= REMIND_DAYS) {
            continue;
        }
        let message = NewMessage {
            mailbox_uuid: row.mailbox_uuid.clone(),
            kind: MessageKind::Info,
            sender: row.sender_name.clone(),
            title: title(&row.public_service_name),
            content: content(&row, &request, &deadline, left),
            service: Some(row.public_service_name.clone()),
            application_id: Some(row.application_id.clone()),
            reference: row.reference.clone(),
            level: row.level,
            appealable: false,
            retrieval_confirmation_address: None,
            reply_address: None,
            attachments: Vec::new(),
        };
        let application_id = row.application_id.clone();
        let now = zbp::now();
        let delivered = state
            .db
            .call(move |c| {
                let tx = c.transaction()?;
                // Still the open request (not answered or decided meanwhile)?
                let latest: Option<Option<String>> = tx
                    .query_row(
                        "SELECT message_id FROM zbp_status WHERE application_id = ?1 ORDER BY seq DESC LIMIT 1",
                        params![application_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if latest.flatten().as_deref() != Some(request_id.as_str()) {
                    return Ok(false);
                }
                let fresh = tx.execute(
                    "INSERT OR IGNORE INTO behoerde_reminders (request_message_id, sent_at) VALUES (?1, ?2)",
                    params![request_id, now],
                )?;
                if fresh == 0 {
                    return Ok(false);
                }
                let message_id = zbp::deliver_in(&tx, &message, now)?;
                // Its audit entry in the same transaction.
                let entry = NewEntry::new(&Actor::system("erinnerungen"), "reminder", Outcome::Done)
                    .on(&application_id, None)
                    .detail(json!({
                        "requestMessageId": request_id,
                        "messageId": message_id,
                        "deadline": deadline,
                    }));
                audit::append_in(&tx, &entry, now)?;
                tx.commit()?;
                Ok(true)
            })
            .await?;
        if delivered {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs [`remind_due`] with today's German date at once, then on every
/// tick of the deadline sweep (only inside a Tokio runtime).
pub fn spawn_periodic(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(crate::fitconnect::deadline::SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(today) = day_of(zbp::now()) else {
                continue;
            };
            match remind_due(&state, today).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "follow-up reminders"),
                Err(e) => tracing::warn!(error = %e, "follow-up reminders failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::when;

    #[test]
    fn days_left_in_words() {
        assert_eq!(when(0), "heute");
        assert_eq!(when(1), "morgen");
        assert_eq!(when(3), "in 3 Tagen");
    }
}
