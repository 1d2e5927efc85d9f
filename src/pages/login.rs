//! `/anmelden`: how to log in, and the way into the BundID login.
//! `?zurueck=/pfad` says where to come back to (same-site paths only).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page::PageHeading;
use crate::components::session::{use_auth, LoginButton};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let query = use_query_map();
    let return_to = query.with_untracked(|q| {
        q.get("zurueck")
            // Checked by `login_url` (a foreign one becomes `/`) and again
            // by the relay.
            .unwrap_or_else(|| "/konto".to_string())
    });
    let logged_in = move || auth.session.with(Option::is_some);
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.login_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.login_intro)}</p>
        <ul class="kern-list kern-list--bullet">
            <li>{t!(i18n, pages.login_basic)}</li>
            <li>{t!(i18n, pages.login_elster)}</li>
            <li>{t!(i18n, pages.login_eid)}</li>
        </ul>
        <Show
            when=logged_in
            fallback=move || {
                let return_to = return_to.clone();
                view! {
                    <p class="kern-body">{t!(i18n, auth.login_button_hint)}</p>
                    <LoginButton
                        level=TrustLevel::Level1
                        label=Signal::derive(move || t_string!(i18n, auth.login_button).to_string())
                        return_to=return_to
                    />
                }
            }
        >
            <p class="kern-body">{t!(i18n, auth.login_already)}</p>
            <p class="kern-body"><a href="/konto">{t!(i18n, auth.to_account)}</a></p>
        </Show>
    }
}
