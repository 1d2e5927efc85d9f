//! [`ApplicationMessages`]: the status history of one application from the
//! postbox (`/zbp/v1/applications/{id}/status`), each step linked to its
//! postbox message. For "Meine Anträge".

use leptos::prelude::*;

use crate::api::postbox::ZbpError;
use crate::components::postbox_parts::{date_time, english, status_word, LockIcon};
use crate::domain::postbox::{StatusEntry, StatusHistory};
use crate::i18n::*;

/// The postbox steps of one application (oldest first): status word, date,
/// the authority's short text, and a link to the message. The history is
/// loaded with the application (`api::fitconnect::cases`); nothing written
/// yet gives a short sentence.
#[component]
pub fn ApplicationMessages(history: Result<StatusHistory, ZbpError>) -> impl IntoView {
    let i18n = use_i18n();
    match history {
        Ok(h) if !h.statuses.is_empty() => view! {
            <ol class="postbox-status-list">
                {h.statuses.into_iter().map(|s| view! { <StatusItem s=s /> }).collect_view()}
            </ol>
        }
        .into_any(),
        Ok(_) | Err(ZbpError::NotFound) => view! {
            <p class="kern-body kern-body--small">{t!(i18n, postbox.status_none)}</p>
        }
        .into_any(),
        Err(_) => view! {
            <p class="kern-body kern-body--small">{t!(i18n, postbox.status_failed)}</p>
        }
        .into_any(),
    }
}

#[component]
fn StatusItem(s: StatusEntry) -> impl IntoView {
    let i18n = use_i18n();
    let status = s.status;
    let when = s.created_date.clone();
    let when_for_link = when.clone();
    let details = s
        .additional_information
        .clone()
        .or(s.status_details.clone());
    view! {
        <li class="postbox-status-list__item">
            <span class="kern-body kern-body--bold">{move || status_word(i18n, status)}</span>
            " "
            <span class="kern-body kern-body--small">{move || date_time(&when, english(i18n))}</span>
            {details.map(|d| view! { <p class="kern-body kern-body--small">{d}</p> })}
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
