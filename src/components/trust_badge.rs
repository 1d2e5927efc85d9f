//! Badges about trust levels and services:
//! * [`TrustBadge`]: the citizen's current level ("hoch", read out as
//!   "Vertrauensniveau: hoch"),
//! * [`LoginNeededBadge`]: the login a service needs online,
//! * [`OnlineBadge`] and [`level_text`]: whether a service is online, and its
//!   level of administration.
//!
//! The text carries the meaning; colour and icon only repeat it.

use leptos::prelude::*;

use crate::domain::trust::{TrustLevel, TrustLevelUi};
use crate::i18n::*;

/// The plain word for a level ("niedrig", "substanziell", "hoch").
pub fn level_word(i18n: leptos_i18n::I18nContext<Locale>, level: TrustLevel) -> String {
    match level {
        TrustLevel::Level1 => t_string!(i18n, auth.level_low),
        TrustLevel::Level3 => t_string!(i18n, auth.level_substantial),
        TrustLevel::Level4 => t_string!(i18n, auth.level_high),
    }
    .to_string()
}

#[component]
pub fn TrustBadge(#[prop(into)] level: Signal<TrustLevel>) -> impl IntoView {
    let i18n = use_i18n();
    let class = move || {
        let tone = match level.get() {
            TrustLevel::Level1 => "kern-badge--info",
            TrustLevel::Level3 => "kern-badge--warning",
            TrustLevel::Level4 => "kern-badge--success",
        };
        format!("kern-badge {tone} trust-badge")
    };
    view! {
        <span class=class data-level=move || level.get().as_acr()>
            <span class="kern-sr-only">
                {t!(i18n, auth.badge_label, level = move || level_word(i18n, level.get()))}
            </span>
            <span class="kern-label" aria-hidden="true">{move || level_word(i18n, level.get())}</span>
        </span>
    }
}

/// The plain-language badge text of a trust level.
pub fn trust_text(i18n: leptos_i18n::I18nContext<Locale>, level: TrustLevel) -> String {
    match level {
        TrustLevel::Level1 => t_string!(i18n, search.trust_basic),
        TrustLevel::Level3 => t_string!(i18n, search.trust_substantial),
        TrustLevel::Level4 => t_string!(i18n, search.trust_high),
    }
    .to_string()
}

/// What the citizen needs for a trust level, in plain words.
pub fn needs_text(i18n: leptos_i18n::I18nContext<Locale>, level: TrustLevel) -> String {
    match level {
        TrustLevel::Level1 => t_string!(i18n, search.needs_basic),
        TrustLevel::Level3 => t_string!(i18n, search.needs_substantial),
        TrustLevel::Level4 => t_string!(i18n, search.needs_high),
    }
    .to_string()
}

/// The login a service needs online ("Online-Ausweis nötig").
#[component]
pub fn LoginNeededBadge(level: TrustLevel) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("kern-badge kern-badge--info trust-badge {}", level.css_modifier())>
            <span class="kern-icon kern-icon--account-circle" aria-hidden="true"></span>
            <span class="kern-sr-only">{t!(i18n, search.trust_prefix)} " "</span>
            <span class="kern-label kern-label--small">{move || trust_text(i18n, level)}</span>
        </span>
    }
}

/// "Online möglich" or "Nur vor Ort".
#[component]
pub fn OnlineBadge(online: bool) -> impl IntoView {
    let i18n = use_i18n();
    if online {
        view! {
            <span class="kern-badge kern-badge--success online-badge">
                <span class="kern-icon kern-icon--check" aria-hidden="true"></span>
                <span class="kern-label kern-label--small">{t!(i18n, search.badge_online)}</span>
            </span>
        }
        .into_any()
    } else {
        view! {
            <span class="kern-badge kern-badge--warning online-badge">
                <span class="kern-icon kern-icon--home" aria-hidden="true"></span>
                <span class="kern-label kern-label--small">{t!(i18n, search.badge_offline)}</span>
            </span>
        }
        .into_any()
    }
}

/// The level of administration ("Kommune", "Land", "Bund") in words.
pub fn level_text(i18n: leptos_i18n::I18nContext<Locale>, level: &str) -> Option<String> {
    let s = match level {
        "kommune" => t_string!(i18n, search.level_kommune),
        "land" => t_string!(i18n, search.level_land),
        "bund" => t_string!(i18n, search.level_bund),
        _ => return None,
    };
    Some(s.to_string())
}
