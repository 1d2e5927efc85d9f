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
//! app's fields then, with the focus and the cursor.

use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlInputElement};

const SHELL_ID: &str = "static-shell";

fn document() -> Option<Document> {
    web_sys::window().and_then(|w| w.document())
}

/// Called by `main.rs` just before the app mounts: removes the shell unless
/// it holds a copy of the page, which stays until [`release`].
pub fn before_mount() {
    if let Some(shell) = document().and_then(|d| d.get_element_by_id(SHELL_ID)) {
        if !shell.has_attribute("data-page") {
            shell.remove();
        }
    }
}

/// Hands over from the shell to the app, which has drawn its page: every
/// field of the copy (`data-app-id` names the app's field) whose text the
/// citizen changed gives it to the app's field (as typed, with an `input`
/// event, so the page reacts as to typing), the focus moves along, and the
/// shell goes. Nothing happens when there is no shell any more.
pub fn release() {
    let Some(doc) = document() else { return };
    let Some(shell) = doc.get_element_by_id(SHELL_ID) else {
        return;
    };
    let active = doc.active_element();
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
    }
}
