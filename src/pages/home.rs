//! `/`: the start page.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::components::search_form::SearchForm;
use crate::i18n::*;

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.home_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.home_intro)}</p>
        <SearchForm />
    }
}
