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
    /// The heading's own language where it is data, not our words (a
    /// service's German name shown in the English interface: WCAG 3.1.2).
    #[prop(optional, into)]
    lang: MaybeProp<&'static str>,
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
        <h1 class="kern-heading-x-large page-heading" tabindex="-1" lang=move || lang.get()>
            {move || title.get()}
        </h1>
    }
}

/// Focus the page's `h1` once it is rendered, and keep it there while the
/// page settles.
///
/// The navigation effect may run before the router has swapped the page, so
/// the heading present now (the old page's) is remembered and skipped until a
/// new one appears; after about half a second the current one is taken.
/// Pages that load data render their heading later (up to [`SETTLE_FRAMES`]).
pub fn focus_heading_soon() {
    let old = find("main h1");
    hold_focus(FocusTarget::new("main h1".into(), old));
}

/// Focus the page's `h1` now or once it is rendered (no old page to skip):
/// after the return from a login, the citizen continues where they were.
pub fn focus_heading() {
    focus_when_rendered("main h1");
}

/// Focus the element matching `selector` once it is rendered, and keep it
/// there while the page settles: a view that is rendered again (a list
/// reloaded for the place just chosen) would otherwise drop the focus to
/// `body`, and a keyboard or screen reader user would start over at the top.
pub fn focus_when_rendered(selector: impl Into<String>) {
    hold_focus(FocusTarget::new(selector.into(), None));
}

/// About ten seconds of animation frames: how long a focus target is waited
/// for and held.
const SETTLE_FRAMES: u32 = 600;
/// How long an old page's heading is skipped (about half a second).
const SKIP_OLD_FRAMES: u32 = 30;

struct FocusTarget {
    selector: String,
    /// An element matching `selector` that is not the target (the old page's heading).
    skip: Option<web_sys::HtmlElement>,
    /// What had the focus when the hold began (the link or button that led
    /// here): focus elsewhere means the citizen moved on before the target
    /// appeared, and it is not taken back.
    started_on: Option<web_sys::Element>,
}

impl FocusTarget {
    fn new(selector: String, skip: Option<web_sys::HtmlElement>) -> Self {
        FocusTarget {
            selector,
            skip,
            started_on: active_element(),
        }
    }

    /// The citizen put the focus somewhere of their own choosing.
    fn moved_on(&self) -> bool {
        let Some(a) = active_element() else {
            return false;
        };
        !(a.tag_name().eq_ignore_ascii_case("body")
            || self
                .started_on
                .as_ref()
                .is_some_and(|s| s.is_same_node(Some(&a)))
            || self.skip.as_ref().is_some_and(|s| s.is_same_node(Some(&a))))
    }
}

fn find(selector: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
}

fn active_element() -> Option<web_sys::Element> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
}

/// Focus was lost: nothing is focused, or `body` is.
fn focus_lost() -> bool {
    active_element().is_none_or(|a| a.tag_name().eq_ignore_ascii_case("body"))
}

fn hold_focus(target: FocusTarget) {
    step(std::rc::Rc::new(target), 0, None);
}

/// One frame: focus the target if it is there, refocus it if the element
/// focused before was removed and focus fell to `body`, stop once the citizen
/// has moved the focus elsewhere or the page had time to settle.
fn step(target: std::rc::Rc<FocusTarget>, frame: u32, focused: Option<web_sys::HtmlElement>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mut focused = focused;
    if let Some(f) = &focused {
        let still_there = f.is_connected();
        let holds = active_element().is_some_and(|a| a.is_same_node(Some(f)));
        if still_there && !holds {
            return; // the citizen moved on
        }
        if !still_there {
            if !focus_lost() {
                return;
            }
            focused = None;
        }
    }
    if focused.is_none() {
        if target.moved_on() {
            return;
        }
        if let Some(el) = find(&target.selector) {
            let is_old = target
                .skip
                .as_ref()
                .is_some_and(|o| o.is_connected() && o.is_same_node(Some(&el)));
            if !is_old || frame >= SKIP_OLD_FRAMES {
                let _ = el.focus();
                focused = Some(el);
            }
        }
    }
    if frame >= SETTLE_FRAMES {
        return;
    }
    let cb = Closure::once_into_js(move || step(target, frame + 1, focused));
    let _ = window.request_animation_frame(cb.unchecked_ref());
}
