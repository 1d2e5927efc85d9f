//! The colour scheme switch (Hell / Dunkel / System) in the footer; the
//! choice is remembered on this device (see [`crate::domain::color_scheme`]).

use leptos::prelude::*;

use crate::domain::color_scheme::{ColorScheme, STORAGE_KEY};
use crate::i18n::*;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn stored() -> ColorScheme {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .map(|v| ColorScheme::parse(&v))
        .unwrap_or_default()
}

/// Sets or removes `data-kern-theme` on `<html>`.
fn apply(scheme: ColorScheme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match scheme.theme() {
        Some(theme) => root.set_attribute("data-kern-theme", theme),
        None => root.remove_attribute("data-kern-theme"),
    };
}

#[component]
pub fn ColorSchemeSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let current = RwSignal::new(stored());
    let choose = move |scheme: ColorScheme| {
        current.set(scheme);
        apply(scheme);
        if let Some(s) = storage() {
            let _ = match scheme {
                ColorScheme::System => s.remove_item(STORAGE_KEY),
                other => s.set_item(STORAGE_KEY, other.as_str()),
            };
        }
    };
    let label = move |scheme: ColorScheme| match scheme {
        ColorScheme::Light => t_string!(i18n, pwa.scheme_light),
        ColorScheme::Dark => t_string!(i18n, pwa.scheme_dark),
        ColorScheme::System => t_string!(i18n, pwa.scheme_system),
    };
    view! {
        <fieldset class="kern-fieldset color-scheme">
            <legend class="kern-label">{t!(i18n, pwa.scheme_legend)}</legend>
            <div class="kern-fieldset__body kern-fieldset__body--horizontal">
                {ColorScheme::ALL.into_iter().map(|scheme| {
                    let id = format!("farbschema-{}", scheme.as_str());
                    view! {
                        <div class="kern-form-check">
                            <input
                                class="kern-form-check__radio"
                                type="radio"
                                name="farbschema"
                                id=id.clone()
                                value=scheme.as_str()
                                prop:checked=move || current.get() == scheme
                                on:change=move |_| choose(scheme)
                            />
                            <label class="kern-label" for=id>{move || label(scheme)}</label>
                        </div>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}
