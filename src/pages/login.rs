//! `/anmelden`: how to log in, and the way into the BundID login.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.login_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.login_intro)}</p>
        <ul class="kern-list kern-list--bullet">
            <li>{t!(i18n, pages.login_basic)}</li>
            <li>{t!(i18n, pages.login_elster)}</li>
            <li>{t!(i18n, pages.login_eid)}</li>
        </ul>
    }
}
