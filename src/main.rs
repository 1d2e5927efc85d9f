//! Mounts the app. Everything else lives in the library (`src/lib.rs`).

fn main() {
    buergeramt::components::fatal::install_panic_hook();
    // index.html paints a static copy of the header (and the start page's
    // heading) while the wasm loads; the app draws the real one in its place.
    if let Some(shell) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("static-shell"))
    {
        shell.remove();
    }
    leptos::mount::mount_to_body(buergeramt::app::App);
}
