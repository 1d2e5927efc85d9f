//! Small helpers shared by the server-rendered pages (the IdP's login pages
//! and the authority console): HTML escaping, KERN alerts, cookies. No inline
//! scripts or styles anywhere: the CSP forbids them.

use axum::{
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy)]
pub enum Kind {
    Info,
    Success,
    Danger,
}

/// A KERN alert. `title` and `text` are plain text. `extra_class` carries
/// the page family's own layout class (e.g. `idp-alert`).
pub fn alert_with(kind: Kind, extra_class: &str, title: &str, text: &str) -> String {
    let (class, role) = match kind {
        Kind::Info => ("kern-alert--info", "status"),
        Kind::Success => ("kern-alert--success", "status"),
        Kind::Danger => ("kern-alert--danger", "alert"),
    };
    format!(
        "<div class=\"kern-alert {class} {extra_class}\" role=\"{role}\">\
<div class=\"kern-alert__header\"><p class=\"kern-title\">{}</p></div>\
<div class=\"kern-alert__body\"><p class=\"kern-body\">{}</p></div></div>",
        escape(title),
        escape(text)
    )
}

/// The frame of a server-rendered page family (IdP, console).
pub struct Shell<'a> {
    /// Appended to the `<title>`, e.g. `BundID (Testumgebung)`.
    pub site: &'a str,
    /// Class prefix of the family's own stylesheet (`idp`, `bh`).
    pub prefix: &'a str,
    /// The family's own stylesheet, e.g. `/idp/static/idp.css`.
    pub own_css: &'a str,
    /// Stylesheets before it (the app's KERN CSS, when built).
    pub stylesheets: &'a [String],
    /// Inner HTML of the `<header>` (trusted markup; escape what goes in).
    pub header: &'a str,
}

/// A whole German HTML page with one `h1` (`title`, escaped) and `body`
/// (trusted markup), answered with `no-store` caching.
pub fn document(shell: &Shell<'_>, status: StatusCode, title: &str, body: &str) -> Response {
    document_in(shell, "de", "Zum Inhalt springen", status, title, body)
}

/// [`document`] in language `lang` (`de`, `en`) with that language's
/// skip-link text.
pub fn document_in(
    shell: &Shell<'_>,
    lang: &str,
    skip: &str,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let mut links = String::new();
    for href in shell.stylesheets {
        links.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{}\">\n",
            escape(href)
        ));
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n\
<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n\
<title>{title} – {site}</title>\n{links}<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body>\n\
<a class=\"kern-link {p}-skip\" href=\"#inhalt\">{skip}</a>\n\
<header class=\"{p}-header\">{header}</header>\n\
<main id=\"inhalt\" class=\"{p}-main\">\n<h1 class=\"kern-heading-x-large\">{title}</h1>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
        site = escape(shell.site),
        css = escape(shell.own_css),
        p = shell.prefix,
        header = shell.header,
        lang = escape(lang),
        skip = escape(skip),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        Html(html),
    )
        .into_response()
}

pub use site::{cookie_value, same_secret};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn finds_cookies() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&h, "c"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
