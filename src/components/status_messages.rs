//! The authority's status messages of one application (from the postbox,
//! `GET /api/v1/postbox/applications/{id}/status`), shown inside the steps
//! of its timeline on "Meine Anträge": [`StepMessages`] lists the messages
//! of one step, each linked to its postbox message, and
//! [`HistoryNotice`] says when the messages could not be loaded. There is
//! one list per application, not the timeline and a second list of the
//! same statuses.

use leptos::prelude::*;

use crate::api::postbox::ZbpError;
use crate::components::postbox_parts::{date_time, english, status_word, LockIcon};
use crate::domain::followup::status_words;
use crate::domain::postbox::{ApplicationStatus, StatusEntry, StatusHistory};
use crate::domain::step_messages::step_of;
use crate::domain::timeline::StepKind;
use crate::i18n::*;

/// The messages of one step (oldest first). The status word is only said
/// where it is not the step's own name ("Handlung nötig" within "In
/// Bearbeitung"); each message shows its date, the authority's short text
/// and a link to read it.
#[component]
pub fn StepMessages(step: StepKind, entries: Vec<StatusEntry>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        view! {
            <ul class="timeline__messages">
                {entries.into_iter().map(|s| view! { <StatusItem s=s step=step /> }).collect_view()}
            </ul>
        }
    })
}

/// A sentence when the postbox could not be asked; nothing otherwise (no
/// message yet is what the timeline already says).
#[component]
pub fn HistoryNotice(history: Option<Result<StatusHistory, ZbpError>>) -> impl IntoView {
    let i18n = use_i18n();
    matches!(history, Some(Err(ref e)) if *e != ZbpError::NotFound).then(|| {
        view! {
            <p class="kern-body kern-body--small application__messages-failed">{t!(i18n, postbox.status_failed)}</p>
        }
    })
}

#[component]
fn StatusItem(s: StatusEntry, step: StepKind) -> impl IntoView {
    let i18n = use_i18n();
    let status = s.status;
    let own_word = step_of(status) != Some(step) || status == ApplicationStatus::ActionRequired;
    let when = s.created_date.clone();
    let when_for_text = when.clone();
    let when_for_link = when.clone();
    // The authority's words (a request, a reason), never the JSON around
    // them (contract::followup::StatusInfo); else the status's own details.
    let details = s
        .additional_information
        .as_deref()
        .and_then(status_words)
        .or(s.status_details.clone());
    view! {
        <li class="timeline__message">
            {own_word.then(|| view! {
                <span class="kern-body kern-body--bold">{move || status_word(i18n, status)}</span>
                " "
            })}
            <span class="kern-body kern-body--small">
                {t!(i18n, applications.message_written, date = move || date_time(&when_for_text, english(i18n)))}
            </span>
            {details.map(|d| view! { <p class="kern-body kern-body--small" lang="de">{d}</p> })}
            {s.locked.then(|| view! {
                <p class="kern-body kern-body--small"><LockIcon />{t!(i18n, postbox.status_locked)}</p>
            })}
            {s.message_id.map(|id| view! {
                <a href=format!("/postfach/{id}") class="kern-link">
                    {t!(i18n, postbox.status_link)}
                    <span class="kern-sr-only">
                        ": "{move || status_word(i18n, status)}", "{
                            let w = when_for_link.clone();
                            move || date_time(&w, english(i18n))
                        }
                    </span>
                </a>
            })}
        </li>
    }
}
