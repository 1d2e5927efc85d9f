//! The trust level as a KERN badge: "hoch", read out as "Vertrauensniveau: hoch".

use leptos::prelude::*;

use crate::domain::trust::TrustLevel;
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
