//! The remembered language choice.

/// localStorage key of the citizen's language choice.
pub const STORAGE_KEY: &str = "buergeramt.sprache";

/// The supported language stored under [`STORAGE_KEY`], if the value is one.
pub fn parse_stored(value: &str) -> Option<&'static str> {
    match value.trim() {
        "de" => Some("de"),
        "en" => Some("en"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_supported_languages_are_accepted() {
        assert_eq!(parse_stored("en"), Some("en"));
        assert_eq!(parse_stored(" de "), Some("de"));
        assert_eq!(parse_stored("fr"), None);
        assert_eq!(parse_stored("<script>"), None);
    }
}
