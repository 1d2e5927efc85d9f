//! Browser tests of the shell (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use buergeramt::components::layout::{SiteFooter, SiteHeader, SkipLink};
use buergeramt::components::locale::LocaleProvider;
use leptos::prelude::*;
use leptos_router::components::Router;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Lets pending reactive updates and effects run.
async fn next_tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Mounts skip link, header and footer into a fresh element, German by default.
fn mount_shell() -> web_sys::HtmlElement {
    let window = web_sys::window().unwrap();
    window.local_storage().unwrap().unwrap().clear().unwrap();
    let doc = window.document().unwrap();
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), || {
        view! {
            <LocaleProvider>
                <Router>
                    <SkipLink />
                    <SiteHeader />
                    <SiteFooter />
                </Router>
            </LocaleProvider>
        }
    });
    handle.forget();
    host
}

fn texts(host: &web_sys::HtmlElement, selector: &str) -> Vec<String> {
    let list = host.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.text_content().unwrap_or_default().trim().to_string())
        .collect()
}

#[wasm_bindgen_test]
async fn header_navigation_footer_and_skip_link_render_in_german() {
    let host = mount_shell();
    next_tick().await;

    let skip = host.query_selector("a.skip-link").unwrap().unwrap();
    assert_eq!(skip.get_attribute("href").as_deref(), Some("#inhalt"));
    assert_eq!(skip.text_content().unwrap().trim(), "Zum Inhalt springen");

    let nav = host
        .query_selector("nav[aria-label='Hauptnavigation']")
        .unwrap()
        .expect("main navigation with an accessible name");
    let nav: web_sys::HtmlElement = nav.unchecked_into();
    assert_eq!(
        texts(&nav, "a"),
        ["Leistungen finden", "Meine Anträge", "Postfach", "Anmelden"]
    );

    assert_eq!(
        texts(&host, "footer a"),
        [
            "Hilfe (FAQ)",
            "Glossar",
            "Leichte Sprache",
            "Gebärdensprache",
            "Barrierefreiheit",
            "Datenschutz",
            "Impressum"
        ]
    );
    assert_eq!(texts(&host, ".site-header__name"), ["Bürgeramt NRW"]);
    host.remove();
}

#[wasm_bindgen_test]
async fn language_switch_turns_the_shell_english() {
    let host = mount_shell();
    next_tick().await;
    let button: web_sys::HtmlElement = host
        .query_selector("button.language-switch")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(button.get_attribute("lang").as_deref(), Some("en"));
    button.click();
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("buergeramt.sprache")
        .unwrap();
    assert_eq!(stored.as_deref(), Some("en"), "the choice is remembered");
    next_tick().await;
    let nav_links = texts(&host, "nav[aria-label] a");
    assert!(
        nav_links.iter().any(|t| t == "Find services"),
        "navigation is English after the switch: {nav_links:?}"
    );
    let html_lang = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap()
        .get_attribute("lang");
    assert_eq!(html_lang.as_deref(), Some("en"), "<html lang> follows");
    host.remove();
}

/// Postbox dates are German time, like the timeline, whatever zone the
/// device is set to (CI's browser runs in UTC, where 23:30 Z is still the
/// 29th; in Germany it is 00:30 on the 30th).
#[wasm_bindgen_test]
fn postbox_times_are_german_time() {
    use buergeramt::components::postbox_parts::{date_only, date_time};
    assert_eq!(
        date_time("2026-11-29T23:30:00Z", false),
        "30.11.2026, 00:30 Uhr"
    );
    assert_eq!(date_time("2026-07-01T12:00:00Z", true), "01/07/2026, 14:00");
    assert_eq!(date_only("2026-11-29T23:30:00Z", false), "30.11.2026");
    assert_eq!(date_time("kein Datum", false), "kein Datum");
}

/// `<Deferred>` draws its children in a later task, not in the mount's;
/// with `now` in the mount itself (src/app.rs defers the routes only away
/// from the start page).
#[wasm_bindgen_test]
async fn deferred_draws_in_a_later_task_unless_now() {
    use buergeramt::components::deferred::Deferred;
    let doc = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), || {
        view! {
            <Deferred><p class="later">"later"</p></Deferred>
            <Deferred now=true><p class="now">"now"</p></Deferred>
        }
    });
    // Right after the mount, in the same task.
    assert!(host.query_selector("p.now").unwrap().is_some());
    assert!(host.query_selector("p.later").unwrap().is_none());
    next_tick().await;
    assert!(host.query_selector("p.later").unwrap().is_some());
    drop(handle);
}

/// The app hides behind index.html's copy only while `#static-shell` is
/// marked `data-page` (src/browser/shell.rs).
#[wasm_bindgen_test]
fn copy_stays_follows_the_shell_mark() {
    use buergeramt::browser::shell::copy_stays;
    let doc = web_sys::window().unwrap().document().unwrap();
    assert!(!copy_stays());
    let shell = doc.create_element("div").unwrap();
    shell.set_id("static-shell");
    doc.body().unwrap().append_child(&shell).unwrap();
    assert!(!copy_stays());
    shell.set_attribute("data-page", "suche").unwrap();
    assert!(copy_stays());
    shell.remove();
    assert!(!copy_stays());
}
