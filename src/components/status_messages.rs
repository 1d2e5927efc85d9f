//! [`ApplicationMessages`]: the status history of one application from the
//! postbox (`/zbp/v1/applications/{id}/status`), each step linked to its
//! postbox message. For "Meine Anträge".

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::zbp::{self, ZbpError};
use crate::app::ConfigContext;
use crate::components::postbox_parts::{
    date_time, english, status_word, token, with_postbox, LockIcon,
};
use crate::components::session::use_auth;
use crate::domain::postbox::StatusEntry;
use crate::i18n::*;

/// The postbox steps of one application (oldest first): status word, date,
/// the authority's short text, and a link to the message. Nothing to show
/// yet (the authority has not written) gives a short sentence; no request
/// is made while logged out.
#[component]
pub fn ApplicationMessages(application_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let cfg = use_context::<ConfigContext>();
    let app = StoredValue::new(application_id);
    let history = LocalResource::new(move || {
        let token = token(auth);
        let id = app.get_value();
        async move {
            token.as_ref()?;
            Some(
                with_postbox(cfg, token, |base, t| async move {
                    zbp::application_status(&base, &t, &id).await
                })
                .await,
            )
        }
    });
    view! {
        <Transition fallback=move || view! { <p class="kern-body kern-body--small">{t!(i18n, postbox.loading)}</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    None => ().into_any(),
                    Some(Ok(h)) if !h.statuses.is_empty() => view! {
                        <ol class="postbox-status-list">
                            {h.statuses.into_iter().map(|s| view! { <StatusItem s=s /> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Some(Ok(_)) | Some(Err(ZbpError::NotFound)) => view! {
                        <p class="kern-body kern-body--small">{t!(i18n, postbox.status_none)}</p>
                    }.into_any(),
                    Some(Err(_)) => view! {
                        <p class="kern-body kern-body--small">{t!(i18n, postbox.status_failed)}</p>
                    }.into_any(),
                }
            })}
        </Transition>
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
                <A href=format!("/postfach/{id}") attr:class="kern-link">
                    {t!(i18n, postbox.status_link)}
                    <span class="kern-sr-only">
                        ": "{move || status_word(i18n, status)}", "{
                            let w = when_for_link.clone();
                            move || date_time(&w, english(i18n))
                        }
                    </span>
                </A>
            })}
        </li>
    }
}
