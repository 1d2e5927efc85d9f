//! Updating the address bar without a router navigation.
//!
//! While the citizen types or ticks a filter, the URL must follow (so the
//! search can be bookmarked and shared), but a router navigation would move
//! focus to the page heading and pull the cursor out of the field. So these
//! updates replace the current history entry directly; the page keeps its own
//! state and re-reads the URL whenever the router does navigate (links,
//! back/forward).

/// Replaces the current history entry's URL (no new entry, no navigation).
pub fn replace_url(url: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}
