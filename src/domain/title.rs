//! The document title of a page.

/// "Seite – Bürgeramt NRW", or "Fehler: Seite – Bürgeramt NRW" after a failed
/// validation (GOV.UK pattern, read first by screen readers).
pub fn document_title(page: &str, site: &str, error_prefix: Option<&str>) -> String {
    let page = page.trim();
    let base = if page.is_empty() || page == site {
        site.to_string()
    } else {
        format!("{page} – {site}")
    };
    match error_prefix {
        Some(prefix) => format!("{prefix} {base}"),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_and_site_are_joined() {
        assert_eq!(
            document_title("Hilfe", "Bürgeramt NRW", None),
            "Hilfe – Bürgeramt NRW"
        );
    }

    #[test]
    fn empty_or_site_title_is_not_repeated() {
        assert_eq!(document_title("  ", "Bürgeramt NRW", None), "Bürgeramt NRW");
        assert_eq!(
            document_title("Bürgeramt NRW", "Bürgeramt NRW", None),
            "Bürgeramt NRW"
        );
    }

    #[test]
    fn error_prefix_comes_first() {
        assert_eq!(
            document_title("Hund anmelden", "Bürgeramt NRW", Some("Fehler:")),
            "Fehler: Hund anmelden – Bürgeramt NRW"
        );
    }
}
