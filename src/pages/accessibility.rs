//! `/barrierefreiheit`

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn Accessibility() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, legal.a11y_title).to_string()) />
    }
}
