//! The colour scheme the citizen chose on this device: light, dark, or
//! whatever the system says (`prefers-color-scheme`, the default).
//!
//! The choice is applied as `data-kern-theme` on `<html>` (KERN's own theme
//! switch); "system" removes the attribute, so KERN's media queries decide.
//! index.html applies a stored choice before the app loads (no flash); its
//! inline script must agree with [`STORAGE_KEY`] and [`ColorScheme::theme`].

/// localStorage key of the choice.
pub const STORAGE_KEY: &str = "buergeramt.farbschema";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorScheme {
    Light,
    Dark,
    #[default]
    System,
}

impl ColorScheme {
    pub const ALL: [ColorScheme; 3] = [ColorScheme::Light, ColorScheme::Dark, ColorScheme::System];

    /// The stored value (also the radio buttons' values).
    pub fn as_str(self) -> &'static str {
        match self {
            ColorScheme::Light => "light",
            ColorScheme::Dark => "dark",
            ColorScheme::System => "system",
        }
    }

    /// Reads a stored value; anything unknown means "system".
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "light" => ColorScheme::Light,
            "dark" => ColorScheme::Dark,
            _ => ColorScheme::System,
        }
    }

    /// The `data-kern-theme` value, none for "system".
    pub fn theme(self) -> Option<&'static str> {
        match self {
            ColorScheme::Light => Some("light"),
            ColorScheme::Dark => Some("dark"),
            ColorScheme::System => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_round_trip_and_junk_means_system() {
        for s in ColorScheme::ALL {
            assert_eq!(ColorScheme::parse(s.as_str()), s);
        }
        assert_eq!(ColorScheme::parse("<script>"), ColorScheme::System);
        assert_eq!(ColorScheme::parse(""), ColorScheme::System);
        assert_eq!(ColorScheme::Dark.theme(), Some("dark"));
        assert_eq!(ColorScheme::System.theme(), None);
    }

    #[test]
    fn index_html_applies_the_same_key_and_values_early() {
        let html = include_str!("../../index.html");
        assert!(html.contains(STORAGE_KEY), "index.html reads {STORAGE_KEY}");
        assert!(html.contains("data-kern-theme"));
        assert!(html.contains("\"light\"") && html.contains("\"dark\""));
    }
}
