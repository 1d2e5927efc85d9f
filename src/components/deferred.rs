//! `<Deferred>`: draws its children one browser task after the rest of the
//! page.
//!
//! The first render of the app runs as one task on the main thread, and a
//! browser compiles every wasm function the first time it runs (lazily), so
//! that task grows with everything the first screen draws. Parts below the
//! first screen (the start page's sections, the footer) wrapped in
//! `<Deferred>` are drawn in tasks of their own, one after the other, and
//! input in between is not blocked (docs/performance.md "The start page
//! paints first"). They are drawn in the next task, not when idle: nothing
//! waits for them to be useful. Away from the start page the routes, and on
//! the search page its filters and results, are drawn like that too
//! (docs/performance.md, "The search page in smaller tasks").

use std::time::Duration;

use leptos::prelude::*;

/// Draws `children` in the next task, or at once when `now` is set (for a
/// caller that defers only sometimes).
#[component]
pub fn Deferred(children: ChildrenFn, #[prop(optional)] now: bool) -> impl IntoView {
    let ready = RwSignal::new(now);
    if !now {
        // `try_set`: the page may be gone by then (a quick navigation).
        set_timeout(
            move || {
                let _ = ready.try_set(true);
            },
            Duration::ZERO,
        );
    }
    move || ready.get().then(|| children())
}
