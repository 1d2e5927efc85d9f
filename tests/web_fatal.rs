//! The panic page: a panic must leave a friendly page, not a dead screen.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn fatal_page_replaces_the_dead_app_with_an_explanation() {
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.document_element()
        .unwrap()
        .set_attribute("lang", "de")
        .unwrap();
    // The test runner reports through <body>, so render into a host element.
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    host.set_inner_html("<p id='old'>kaputt</p>");
    doc.body().unwrap().append_child(&host).unwrap();

    buergeramt::components::fatal::render_fatal_page(&host);

    assert!(
        doc.get_element_by_id("old").is_none(),
        "old content is gone"
    );
    let h1 = host.query_selector("main h1").unwrap().expect("an h1");
    assert_eq!(h1.text_content().unwrap(), "Es ist ein Fehler aufgetreten");
    assert_eq!(
        doc.active_element().map(|e| e.tag_name()),
        Some("H1".to_string()),
        "focus is on the heading"
    );
    let alert = host.query_selector("[role=alert]").unwrap();
    assert!(alert.is_some(), "announced as an alert");
    let reload = host
        .query_selector("a.fatal-page__reload")
        .unwrap()
        .unwrap();
    assert_eq!(reload.text_content().unwrap(), "Seite neu laden");
    assert!(doc.title().starts_with("Es ist ein Fehler aufgetreten"));
}

#[wasm_bindgen_test]
fn fatal_page_follows_the_document_language() {
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.document_element()
        .unwrap()
        .set_attribute("lang", "en")
        .unwrap();
    // wasm32 aborts on panic, so the hook's effect is tested through the
    // function it calls; e2e covers that no panic happens on any route.
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&host).unwrap();
    buergeramt::components::fatal::render_fatal_page(&host);
    let h1 = host.query_selector("main h1").unwrap().expect("an h1");
    assert_eq!(h1.text_content().unwrap(), "Something went wrong");
    let reload = host
        .query_selector("a.fatal-page__reload")
        .unwrap()
        .unwrap();
    assert_eq!(reload.text_content().unwrap(), "Reload the page");
}
