//! `/hilfe`

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn Help() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, help.title).to_string()) />
    }
}
