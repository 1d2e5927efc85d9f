//! Which navigation link marks where the citizen is (`aria-current`).
//!
//! Only the header and footer navigation say it: `"page"` on the link to
//! exactly this page, `"true"` on the link of the section the page lies in
//! (the postbox link while a message is open). Links in the content ("Zurück",
//! "Papierkorb öffnen") never do: a link to another view is not the current
//! page, even when its path is a prefix of this one.

/// The `aria-current` value of a navigation link to `href` while the
/// location's path is `path` (query and fragment are ignored on both).
pub fn aria_current(href: &str, path: &str) -> Option<&'static str> {
    let clean = |p: &str| {
        let p = p.split(['?', '#']).next().unwrap_or("");
        let p = p.trim_end_matches('/');
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    let (href, path) = (clean(href), clean(path));
    if href == path {
        Some("page")
    } else if href != "/" && path.starts_with(&format!("{href}/")) {
        Some("true")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::aria_current;

    #[test]
    fn exactly_this_page_is_the_page() {
        assert_eq!(aria_current("/postfach", "/postfach"), Some("page"));
        assert_eq!(aria_current("/postfach", "/postfach/"), Some("page"));
        assert_eq!(aria_current("/", "/"), Some("page"));
        assert_eq!(aria_current("/", ""), Some("page"));
    }

    #[test]
    fn a_page_inside_the_section_marks_the_section_only() {
        assert_eq!(aria_current("/postfach", "/postfach/abc-123"), Some("true"));
        assert_eq!(aria_current("/antraege", "/antraege/x/y"), Some("true"));
    }

    #[test]
    fn the_start_page_is_not_the_section_of_everything() {
        assert_eq!(aria_current("/", "/suche"), None);
    }

    #[test]
    fn a_common_prefix_of_letters_is_not_a_section() {
        assert_eq!(aria_current("/post", "/postfach"), None);
        assert_eq!(aria_current("/suche", "/sucher"), None);
    }

    #[test]
    fn the_query_does_not_make_another_page() {
        assert_eq!(
            aria_current("/postfach?ansicht=papierkorb", "/postfach"),
            Some("page")
        );
        assert_eq!(aria_current("/suche", "/suche?q=hund"), Some("page"));
    }

    #[test]
    fn another_page_is_not_current() {
        assert_eq!(aria_current("/konto", "/postfach"), None);
    }
}
