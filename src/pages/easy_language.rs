//! `/leichte-sprache`

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn EasyLanguage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, easy.title).to_string()) />
    }
}
