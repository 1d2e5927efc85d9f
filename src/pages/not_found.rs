//! The app's own 404 page, shown for every unknown path.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.notfound_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.notfound_text)}</p>
        <ul class="kern-list">
            <li><a href="/" class="kern-link">{t!(i18n, pages.notfound_home)}</a></li>
            <li><a href="/suche" class="kern-link">{t!(i18n, pages.notfound_search)}</a></li>
        </ul>
    }
}
