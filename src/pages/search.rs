//! `/suche?q=…`: the service search.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::page::PageHeading;
use crate::components::search_form::SearchForm;
use crate::i18n::*;

#[component]
pub fn Search() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let q = Signal::derive(move || query.read().get("q").unwrap_or_default());
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.search_title).to_string()) />
        <p class="kern-body">{t!(i18n, pages.search_intro)}</p>
        <SearchForm value=q />
    }
}
