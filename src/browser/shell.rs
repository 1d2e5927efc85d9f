//! index.html's static shell: what the citizen sees while the wasm loads.
//!
//! On every path it draws the header; on the start page also the heading
//! and the introduction, and on `/suche` the search page's upper part
//! (heading, search field, place field). A copy of a page that is loaded on
//! demand is marked `data-page` on `#static-shell`: the app then mounts
//! hidden behind it (`style/app.css`) and takes over only once the route
//! has drawn ([`release`]), so the page never stands empty and the copy's
//! paint stays the page's largest (docs/performance.md, "A static copy of
//! the search page"). Anything typed into the copy's fields moves into the
//! app's fields then, with the focus and the cursor; focus on the copy's
//! button or on a link of the shell's header moves to the app's.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

const SHELL_ID: &str = "static-shell";

fn document() -> Option<Document> {
    web_sys::window().and_then(|w| w.document())
}

/// Called by `main.rs` just before the app mounts: removes the shell unless
/// it holds a copy of the page, which stays until [`release`]. If the focus
/// was on a link of the removed shell (a citizen tabbing through the header
/// while the app loads), the returned value moves it to the app's link once
/// the app has mounted.
pub fn before_mount() -> FocusAfterMount {
    let Some(doc) = document() else {
        return FocusAfterMount(None);
    };
    let Some(shell) = doc.get_element_by_id(SHELL_ID) else {
        return FocusAfterMount(None);
    };
    if shell.has_attribute("data-page") {
        return FocusAfterMount(None);
    }
    let link = doc
        .active_element()
        .filter(|a| shell.contains(Some(a.unchecked_ref())));
    shell.remove();
    FocusAfterMount(link)
}

/// Whether index.html's copy of this page stays after the app has mounted
/// (`data-page`) until the page has drawn ([`release`]); the app is hidden
/// behind it until then.
pub fn copy_stays() -> bool {
    document()
        .and_then(|d| d.get_element_by_id(SHELL_ID))
        .is_some_and(|s| s.has_attribute("data-page"))
}

/// The shell's element that had the focus when the shell went.
pub struct FocusAfterMount(Option<Element>);

impl FocusAfterMount {
    /// Called by `main.rs` right after the app has mounted.
    pub fn restore(self) {
        if let (Some(doc), Some(element)) = (document(), self.0) {
            if let Some(target) = counterpart(&doc, &element) {
                let _ = target.focus();
            }
        }
    }
}

/// Hands over from the shell to the app, which has drawn its page: every
/// field of the copy (`data-app-id` names the app's field) whose text the
/// citizen changed gives it to the app's field (as typed, with an `input`
/// event, so the page reacts as to typing), the focus moves along (to the
/// app's field with the cursor where it was, to the app's element of the same
/// `data-app-id`, or, for a link of the shell's header, to the app's header
/// link to the same address), and the shell goes. Nothing happens when there
/// is no shell any more.
pub fn release() {
    let Some(doc) = document() else { return };
    let Some(shell) = doc.get_element_by_id(SHELL_ID) else {
        return;
    };
    // Only focus inside the shell is handed over.
    let active = doc
        .active_element()
        .filter(|a| shell.contains(Some(a.unchecked_ref())));
    let mut focus = None;
    if let Ok(fields) = shell.query_selector_all("input[data-app-id]") {
        for i in 0..fields.length() {
            let Some(copy) = fields
                .item(i)
                .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
            else {
                continue;
            };
            let Some(field) = copy
                .get_attribute("data-app-id")
                .and_then(|id| doc.get_element_by_id(&id))
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            else {
                continue;
            };
            let typed = copy.value();
            if typed != copy.default_value() {
                field.set_value(&typed);
                let init = web_sys::EventInit::new();
                init.set_bubbles(true);
                if let Ok(event) = web_sys::Event::new_with_event_init_dict("input", &init) {
                    let _ = field.dispatch_event(&event);
                }
            }
            if active.as_ref() == Some(copy.unchecked_ref()) {
                let start = copy.selection_start().ok().flatten();
                let end = copy.selection_end().ok().flatten();
                focus = Some((field, start, end));
            }
        }
    }
    shell.remove();
    if let Some((field, start, end)) = focus {
        let _ = field.focus();
        if let (Some(start), Some(end)) = (start, end) {
            let _ = field.set_selection_range(start, end);
        }
    } else if let Some(target) = active.and_then(|a| counterpart(&doc, &a)) {
        let _ = target.focus();
    }
}

/// The app's element that takes the focus of the shell's `element` (not a
/// text field): the one its `data-app-id` names, or for a link the app's
/// header link to the same address.
fn counterpart(doc: &Document, element: &Element) -> Option<HtmlElement> {
    let found = if let Some(id) = element.get_attribute("data-app-id") {
        doc.get_element_by_id(&id)
    } else {
        let href = element
            .closest("a[href]")
            .ok()
            .flatten()?
            .get_attribute("href")?;
        let links = doc.query_selector_all("header a[href]").ok()?;
        (0..links.length())
            .filter_map(|i| links.item(i)?.dyn_into::<Element>().ok())
            .find(|a| a.get_attribute("href").as_deref() == Some(href.as_str()))
    };
    found?.dyn_into::<HtmlElement>().ok()
}
