//! `/postfach`

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn Postbox() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.postbox_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.postbox_intro)}</p>
        <p class="kern-body">{t!(i18n, pages.postbox_login)}</p>
        <A href="/anmelden" attr:class="kern-btn kern-btn--primary">
            <span class="kern-label">{t!(i18n, common.nav_login)}</span>
        </A>
    }
}
