//! Mounts the app. Everything else lives in the library (`src/lib.rs`).

fn main() {
    buergeramt::components::fatal::install_panic_hook();
    leptos::mount::mount_to_body(buergeramt::app::App);
}
