//! Whether the device is online: `navigator.onLine`, kept current by the
//! window's `online`/`offline` events. [`OnlineProvider`] (in `App`) provides
//! it once; pages read it with [`use_online`] (e.g. the send button says it
//! will work again once online, and the draft stays).

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

#[derive(Clone, Copy)]
struct Online(Signal<bool>);

fn navigator_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// Provides the online signal to everything inside.
#[component]
pub fn OnlineProvider(children: Children) -> impl IntoView {
    let online = RwSignal::new(navigator_online());
    if let Some(window) = web_sys::window() {
        // One listener each for the app's lifetime; the closures are leaked
        // on purpose (the provider lives as long as the page).
        for name in ["online", "offline"] {
            let update = Closure::<dyn Fn()>::new(move || online.set(navigator_online()));
            let _ = window.add_event_listener_with_callback(name, update.as_ref().unchecked_ref());
            update.forget();
        }
    }
    provide_context(Online(online.into()));
    children()
}

/// `true` while the device has a network connection (as far as the browser
/// knows). Outside [`OnlineProvider`] it reads `navigator.onLine` once.
pub fn use_online() -> Signal<bool> {
    use_context::<Online>()
        .map(|o| o.0)
        .unwrap_or_else(|| Signal::stored(navigator_online()))
}
