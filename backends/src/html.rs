//! Small helpers shared by the server-rendered pages (the IdP's login pages
//! and the authority console): HTML escaping, KERN alerts, cookies. No inline
//! scripts or styles anywhere: the CSP forbids them.

use axum::http::{header, HeaderMap};

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

/// The value of cookie `name` in the request, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Compares two secrets in constant time (for CSRF values).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

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
