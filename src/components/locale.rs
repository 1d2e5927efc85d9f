//! The language of the app: German unless the citizen chose English on this
//! device (remembered in localStorage; a preference, not personal data).

use leptos::prelude::*;

use crate::domain::lang::{parse_stored, STORAGE_KEY};
use crate::i18n::*;

/// Provides the i18n context with our default (German) and the remembered choice.
#[component]
pub fn LocaleProvider(children: Children) -> impl IntoView {
    view! {
        <I18nContextProvider>
            <RememberLanguage />
            {children()}
        </I18nContextProvider>
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

#[component]
fn RememberLanguage() -> impl IntoView {
    let i18n = use_i18n();
    let stored = storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|v| parse_stored(&v));
    let initial = match stored {
        Some("en") => Locale::en,
        _ => Locale::de,
    };
    // leptos_i18n starts from the browser's languages in an effect of its
    // own; this effect is created after it and so has the last word.
    Effect::new(move |_| {
        if i18n.get_locale_untracked() != initial {
            i18n.set_locale(initial);
        }
    });
    // Renders nothing; it only restores the choice.
}

/// Switches the language and remembers the choice on this device.
pub fn switch_language(i18n: leptos_i18n::I18nContext<Locale>, locale: Locale) {
    i18n.set_locale(locale);
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, locale.as_str());
    }
}

/// Whether the interface is in English (tracked: texts, dates and numbers
/// that depend on it follow a language switch).
pub fn english(i18n: leptos_i18n::I18nContext<Locale>) -> bool {
    i18n.get_locale() == Locale::en
}
