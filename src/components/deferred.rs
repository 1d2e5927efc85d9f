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
//! waits for them to be useful.

use std::time::Duration;

use leptos::prelude::*;

#[component]
pub fn Deferred(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    // `try_set`: the page may be gone by then (a quick navigation).
    set_timeout(
        move || {
            let _ = ready.try_set(true);
        },
        Duration::ZERO,
    );
    move || ready.get().then(|| children())
}
