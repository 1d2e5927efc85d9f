//! Mounts the app. Everything else lives in the library (`src/lib.rs`).

use wasm_bindgen::JsCast;

fn main() {
    buergeramt::components::fatal::install_panic_hook();
    wasm_bindgen_futures::spawn_local(async {
        // index.html paints a static copy of the header (and the start page's
        // heading) while the wasm loads; it resolves `__shellPainted` once
        // that copy has been drawn in its fonts. Then the app draws the real
        // one in its place.
        let painted = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"__shellPainted".into()).ok())
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
        if let Some(p) = painted {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        }
        // The first render in a task of its own: the task that got here also
        // finished the module's streaming compilation and instantiated it,
        // and one long task blocks input longer than two shorter ones
        // (docs/performance.md "The start page paints first").
        let next_task = js_sys::Promise::new(&mut |resolve, _| {
            let queued = web_sys::window()
                .map(|w| w.set_timeout_with_callback(&resolve).is_ok())
                .unwrap_or(false);
            if !queued {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(next_task).await;
        // The shell goes now, unless it holds a copy of this page: then the
        // page takes over once it has drawn (src/browser/shell.rs).
        let focus = buergeramt::browser::shell::before_mount();
        leptos::mount::mount_to_body(buergeramt::app::App);
        focus.restore();
    });
}
