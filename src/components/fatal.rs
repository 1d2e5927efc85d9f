//! The last line of defence: a panic in wasm kills the app, so the panic hook
//! replaces the dead page with a friendly explanation and a reload link.
//! Nothing here relies on the (now dead) reactive system: it writes the DOM
//! directly, with texts from the i18n layer.

use crate::i18n::*;

/// Installs the panic hook. Called once from `main` before mounting.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Bürgeramt: {info}").into());
        show_fatal_page();
    }));
}

/// Replaces the body with the "Es ist ein Fehler aufgetreten" page in the
/// document's language. Safe to call more than once.
pub fn show_fatal_page() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        render_fatal_page(&body);
    }
}

/// Renders the fatal page into `host`, replacing its content.
pub fn render_fatal_page(host: &web_sys::HtmlElement) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let lang = doc
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    let locale = if lang.starts_with("en") {
        Locale::en
    } else {
        Locale::de
    };
    let title = td_string!(locale, common.fatal_title).to_string();
    let text = td_string!(locale, common.fatal_text).to_string();
    let action = td_string!(locale, common.fatal_action).to_string();
    let help = td_string!(locale, common.fatal_help).to_string();
    let site = td_string!(locale, common.site_name).to_string();
    let reload_href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_else(|| "/".into());

    let body = host;
    body.set_text_content(None);
    let build = || -> Result<(), wasm_bindgen::JsValue> {
        let main = doc.create_element("main")?;
        main.set_id("inhalt");
        main.set_class_name("site-main kern-container fatal-page");
        let alert = doc.create_element("div")?;
        alert.set_class_name("kern-alert kern-alert--danger");
        alert.set_attribute("role", "alert")?;
        let header = doc.create_element("div")?;
        header.set_class_name("kern-alert__header");
        let h1 = doc.create_element("h1")?;
        h1.set_class_name("kern-title");
        h1.set_attribute("tabindex", "-1")?;
        h1.set_text_content(Some(&title));
        header.append_child(&h1)?;
        let body_div = doc.create_element("div")?;
        body_div.set_class_name("kern-alert__body");
        for t in [&text, &help] {
            let p = doc.create_element("p")?;
            p.set_class_name("kern-body");
            p.set_text_content(Some(t));
            body_div.append_child(&p)?;
        }
        alert.append_child(&header)?;
        alert.append_child(&body_div)?;
        main.append_child(&alert)?;
        let link = doc.create_element("a")?;
        link.set_class_name("kern-btn kern-btn--primary fatal-page__reload");
        link.set_attribute("href", &reload_href)?;
        link.set_text_content(Some(&action));
        main.append_child(&link)?;
        body.append_child(&main)?;
        doc.set_title(&format!("{title} – {site}"));
        if let Ok(h) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(h1) {
            let _ = h.focus();
        }
        Ok(())
    };
    if build().is_err() {
        body.set_text_content(Some(&format!("{title}. {text}")));
    }
}
