//! index.html paints a static copy of the header and the start page's
//! heading before the wasm runs (src/main.rs removes it). Its texts must stay
//! those of the German locale, or the first paint would show stale words.

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
