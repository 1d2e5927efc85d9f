//! The two pages an e-mail's links open (issue #24): confirm an address for
//! notices, and unsubscribe from them. The token comes from the fragment
//! (no server log sees it); nothing happens until the citizen presses the
//! one button, so a mail scanner that opens links changes nothing. No login
//! is needed: the link may be opened on another device.

use leptos::prelude::*;

use crate::api::notify::NotifyError;
use crate::api::use_backends;
use crate::components::account_data::focus_by_id;
use crate::components::error::ErrorNotice;
use crate::domain::notify::token_from_fragment;
use crate::i18n::*;

/// Which link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Confirm,
    Unsubscribe,
}

const RESULT_ID: &str = "benachrichtigungen-ergebnis";

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done(String),
    Invalid,
    Failed(crate::api::ApiError),
}

#[component]
pub fn EmailLink(kind: LinkKind) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let token = token_from_fragment(&hash);
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let Some(token) = token else {
        return view! {
            <div class="kern-alert kern-alert--danger" role="alert">
                <div class="kern-alert__body"><p class="kern-body">{t!(i18n, notify.link_missing)}</p></div>
            </div>
            <p class="kern-body"><a class="kern-link" href="/konto#benachrichtigungen">{t!(i18n, notify.to_settings)}</a></p>
        }
        .into_any();
    };
    let act = move |_| {
        if busy.get_untracked() || outcome.with_untracked(|o| matches!(o, Some(Outcome::Done(_)))) {
            return;
        }
        busy.set(true);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            let result = match kind {
                LinkKind::Confirm => backends.confirm_email(&token).await,
                LinkKind::Unsubscribe => backends.unsubscribe_email(&token).await,
            };
            busy.set(false);
            outcome.set(Some(match result {
                Ok(done) => Outcome::Done(done.masked_address),
                Err(NotifyError::BadToken) => Outcome::Invalid,
                Err(NotifyError::Api(e)) => Outcome::Failed(e),
                Err(_) => Outcome::Invalid,
            }));
            request_animation_frame(|| focus_by_id(RESULT_ID));
        });
    };
    let done = move || outcome.with(|o| matches!(o, Some(Outcome::Done(_))));
    view! {
        <Show when=move || !done()>
            <p class="kern-body kern-body--large">{move || match kind {
                LinkKind::Confirm => t_string!(i18n, notify.confirm_text).to_string(),
                LinkKind::Unsubscribe => t_string!(i18n, notify.unsub_text).to_string(),
            }}</p>
            <button type="button" class="kern-btn kern-btn--primary" data-action="email-link" on:click=act.clone()
                aria-disabled=move || busy.get().to_string()>
                <span class="kern-label">{move || match kind {
                    LinkKind::Confirm => t_string!(i18n, notify.confirm_button).to_string(),
                    LinkKind::Unsubscribe => t_string!(i18n, notify.unsub_button).to_string(),
                }}</span>
            </button>
        </Show>
        <div id=RESULT_ID tabindex="-1" role="status" class="notify-link__result">
            {move || outcome.get().map(|o| match o {
                Outcome::Done(address) => {
                    let text = match kind {
                        LinkKind::Confirm => t_string!(i18n, notify.confirm_done).replace("{address}", &address),
                        LinkKind::Unsubscribe => t_string!(i18n, notify.unsub_done).replace("{address}", &address),
                    };
                    view! {
                        <div class="kern-alert kern-alert--success">
                            <div class="kern-alert__body"><p class="kern-body">{text}</p></div>
                        </div>
                        {(kind == LinkKind::Unsubscribe).then(|| view! { <p class="kern-body">{t!(i18n, notify.unsub_bundid)}</p> })}
                    }.into_any()
                }
                Outcome::Invalid => view! {
                    <div class="kern-alert kern-alert--danger">
                        <div class="kern-alert__body"><p class="kern-body">{t!(i18n, notify.link_invalid)}</p></div>
                    </div>
                }.into_any(),
                Outcome::Failed(e) => view! { <ErrorNotice error=e /> }.into_any(),
            })}
        </div>
        <p class="kern-body"><a class="kern-link" href="/konto#benachrichtigungen">{t!(i18n, notify.to_settings)}</a></p>
    }
    .into_any()
}
