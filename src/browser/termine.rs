//! The appointment flow's draft in sessionStorage (this tab only, gone
//! with it): what was chosen and typed, so a reload loses nothing. The
//! manage token is never stored here, nor in localStorage.

use crate::domain::termine::Draft;

/// The sessionStorage key of the draft.
pub const DRAFT_KEY: &str = "buergeramt.termin";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The draft of this tab, if any and readable.
pub fn load() -> Option<Draft> {
    storage()?
        .get_item(DRAFT_KEY)
        .ok()
        .flatten()
        .and_then(|t| Draft::from_text(&t))
}

/// Keeps the draft (best effort: without storage a reload starts over).
pub fn save(draft: &Draft) {
    if let Some(s) = storage() {
        let _ = s.set_item(DRAFT_KEY, &draft.to_text());
    }
}

/// Forgets the draft (after the booking).
pub fn clear() {
    if let Some(s) = storage() {
        let _ = s.remove_item(DRAFT_KEY);
    }
}
