//! `/benachrichtigungen/abbestellen#<token>`: the unsubscribe link of every
//! notice mail (issue #24).

use leptos::prelude::*;

use crate::components::notify_link::{EmailLink, LinkKind};
use crate::components::page::PageHeading;
use crate::i18n::*;

#[component]
pub fn NotifyUnsubscribe() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, notify.unsub_title).to_string()) />
        <EmailLink kind=LinkKind::Unsubscribe />
    }
}
