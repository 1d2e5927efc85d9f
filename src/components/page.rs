//! The page heading: every page renders exactly one [`PageHeading`], which is
//! the `h1`, the focus target after navigation and the document title.

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::domain::title::document_title;
use crate::i18n::*;

/// The page's `h1`. It also sets `document.title` ("<title> – Bürgeramt NRW"),
/// reactively, so a language switch updates both.
#[component]
pub fn PageHeading(
    /// The heading text (already translated).
    #[prop(into)]
    title: Signal<String>,
    /// Prefix the document title with "Fehler: " (after failed validation).
    #[prop(optional, into)]
    error: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let site = t_string!(i18n, common.site_name).to_string();
        let prefix = t_string!(i18n, common.error_prefix).to_string();
        let text = document_title(&title.get(), &site, error.get().then_some(prefix.as_str()));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&text);
        }
    });
    view! {
        <h1 class="kern-heading-x-large page-heading" tabindex="-1">
            {move || title.get()}
        </h1>
    }
}

/// Focus the page's `h1` once it is rendered. Pages that load data render
/// their heading a little later, so try for a few animation frames.
///
/// The navigation effect may run before the router has swapped the page, so
/// the heading present now (the old page's) is remembered and skipped until a
/// new one appears; after about half a second the current one is taken.
pub fn focus_heading_soon() {
    try_focus(30, current_heading());
}

fn current_heading() -> Option<web_sys::HtmlElement> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("main h1").ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
}

fn try_focus(frames_left: u32, old: Option<web_sys::HtmlElement>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(h1) = current_heading() {
        let is_new = match &old {
            Some(o) => !o.is_connected() || !o.is_same_node(Some(&h1)),
            None => true,
        };
        if is_new || frames_left == 0 {
            let _ = h1.focus();
            return;
        }
    }
    if frames_left == 0 {
        return;
    }
    let cb = Closure::once_into_js(move || try_focus(frames_left - 1, old));
    let _ = window.request_animation_frame(cb.unchecked_ref());
}
