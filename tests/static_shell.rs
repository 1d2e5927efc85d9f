//! index.html paints a static copy of the header and the start page's
//! heading, on `/suche` of the search page's upper part, before the wasm runs
//! (src/browser/shell.rs removes it). Its texts must stay those of the German
//! locale, or the first paint would show stale words.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn german(namespace: &str, key: &str) -> String {
    let path = root().join("locales/de").join(format!("{namespace}.json"));
    let text = std::fs::read_to_string(&path).expect("locale file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("locale json");
    json[key]
        .as_str()
        .unwrap_or_else(|| panic!("{namespace}.{key} missing"))
        .to_string()
}

#[test]
fn the_static_shell_speaks_like_the_app() {
    let html = std::fs::read_to_string(root().join("index.html")).expect("index.html");
    let start = html
        .find("<div id=\"static-shell\">")
        .expect("static shell");
    let shell = &html[start..html[start..].find("</main>").expect("end") + start];
    for (ns, key) in [
        ("common", "official_site"),
        ("common", "site_name"),
        ("common", "nav_label"),
        ("common", "nav_search"),
        ("common", "nav_applications"),
        ("common", "nav_postbox"),
        ("common", "nav_login"),
        ("pages", "home_title"),
        ("pages", "home_intro"),
    ] {
        let text = german(ns, key);
        assert!(
            shell.contains(&text),
            "index.html's static shell lacks {ns}.{key}: {text}"
        );
    }
    // The app's own markup for the same parts (so nothing shifts when it
    // takes over).
    for class in [
        "site-header__brand",
        "site-nav__list",
        "kern-heading-x-large page-heading",
        "kern-body kern-body--large home-intro",
    ] {
        assert!(shell.contains(class), "static shell lacks class {class}");
    }
    // Both copies of the introduction are drawn in Fira Sans' fallback until
    // the app has drawn its own (style/search.css, e2e/fonts.spec.ts).
    let home = std::fs::read_to_string(root().join("src/pages/home.rs")).expect("home");
    assert!(home.contains("\"kern-body kern-body--large home-intro\""));
    assert!(html.contains("<html lang=\"de\" class=\"intro-fallback\">"));
    let layout = std::fs::read_to_string(root().join("src/components/layout.rs")).expect("layout");
    assert!(layout.contains("site-header__brand") && layout.contains("site-nav__list"));
}

/// The search page's copy in index.html (shown on `/suche`, kept until the
/// app's page has drawn: src/browser/shell.rs) says what the app says, uses
/// the app's markup, and names fields of the app that exist.
#[test]
fn the_search_page_copy_matches_the_app() {
    let html = std::fs::read_to_string(root().join("index.html")).expect("index.html");
    let start = html
        .find("<div id=\"static-shell-suche\" hidden>")
        .expect("the search page's copy");
    let copy = &html[start..html[start..].find("</main>").expect("end") + start];
    for (ns, key) in [
        ("pages", "search_title"),
        ("pages", "search_intro"),
        ("pages", "search_label"),
        ("pages", "search_button"),
        ("search", "live_hint"),
        ("search", "place_label"),
        ("search", "place_hint"),
    ] {
        let text = german(ns, key);
        assert!(
            copy.contains(&text),
            "the search page's copy lacks {ns}.{key}: {text}"
        );
    }
    let search = std::fs::read_to_string(root().join("src/pages/search.rs")).expect("search");
    let picker =
        std::fs::read_to_string(root().join("src/components/place_picker.rs")).expect("picker");
    for class in [
        "kern-heading-x-large page-heading",
        "search-form search-page__form",
        "kern-hint first-paint",
        "search-form__row",
        "kern-form-input__input",
        "search-layout__aside",
    ] {
        assert!(copy.contains(class), "the copy lacks class {class}");
        assert!(
            search.contains(class) || picker.contains(class) || class.contains("page-heading"),
            "the app's search page lacks class {class}"
        );
    }
    for class in [
        "place-picker",
        "kern-form-input place-picker__field",
        "place-picker__status",
    ] {
        assert!(copy.contains(class) && picker.contains(class), "{class}");
    }
    // Typed text moves to these fields of the app.
    assert!(copy.contains("data-app-id=\"suche-q\"") && search.contains("id=\"suche-q\""));
    // Focus on the copy's button moves to the app's.
    assert!(
        copy.contains("data-app-id=\"suche-submit\"") && search.contains("id=\"suche-submit\"")
    );
    assert!(
        copy.contains("data-app-id=\"suche-ort-q\"")
            && search.contains("id=\"suche-ort\"")
            && picker.contains("format!(\"{id}-q\")")
    );
    // The copy's ids never collide with the app's.
    for id in copy.split(" id=\"").skip(1) {
        let id = &id[..id.find('"').expect("id")];
        assert!(id.starts_with("static-"), "id {id} in the copy");
    }
    // The copy stays hidden unless index.html's script shows it on /suche.
    assert!(html.contains("location.pathname!==\"/suche\""));
    assert!(html.contains("shell.setAttribute(\"data-page\",\"suche\")"));
    let css = std::fs::read_to_string(root().join("style/app.css")).expect("app.css");
    assert!(css.contains("#static-shell[data-page] ~ * { display: none !important; }"));
}
