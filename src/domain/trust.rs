//! Trust levels (Vertrauensniveau) as BundID reports them in `acr`:
//! `STORK-QAA-Level-1` (niedrig), `-3` (substanziell), `-4` (hoch).

use std::fmt;

/// Ordered from weakest to strongest: `Level1 < Level3 < Level4`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TrustLevel {
    /// Username and password (Basisregistrierung): "niedrig".
    #[serde(rename = "STORK-QAA-Level-1")]
    Level1,
    /// ELSTER certificate: "substanziell".
    #[serde(rename = "STORK-QAA-Level-3")]
    Level3,
    /// Online-Ausweis (eID): "hoch".
    #[serde(rename = "STORK-QAA-Level-4")]
    Level4,
}

/// The text was not one of the three `STORK-QAA-Level-N` values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trust level {0:?}")]
pub struct UnknownLevel(pub String);

impl TrustLevel {
    /// All levels, weakest first.
    pub const ALL: [TrustLevel; 3] = [TrustLevel::Level1, TrustLevel::Level3, TrustLevel::Level4];

    /// The `acr` / `acr_values` form.
    pub fn as_acr(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "STORK-QAA-Level-1",
            TrustLevel::Level3 => "STORK-QAA-Level-3",
            TrustLevel::Level4 => "STORK-QAA-Level-4",
        }
    }

    /// Parses `STORK-QAA-Level-1|3|4` (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<Self, UnknownLevel> {
        match s.trim() {
            "STORK-QAA-Level-1" => Ok(TrustLevel::Level1),
            "STORK-QAA-Level-3" => Ok(TrustLevel::Level3),
            "STORK-QAA-Level-4" => Ok(TrustLevel::Level4),
            other => Err(UnknownLevel(other.chars().take(40).collect())),
        }
    }

    /// A stable, language-independent key for the plain-language words
    /// ("niedrig", "substanziell", "hoch"); the UI maps it to i18n keys.
    pub fn plain_key(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "low",
            TrustLevel::Level3 => "substantial",
            TrustLevel::Level4 => "high",
        }
    }

    /// Lenient reading of catalogue data (editorial systems write
    /// "STORK-QAA-Level-4", "Level-4", "4" or "hoch"); `None` if unreadable.
    /// Level-2 does not exist in BundID and counts as substantial. For `acr`
    /// from the identity provider use the strict [`TrustLevel::parse`].
    pub fn from_stork(s: &str) -> Option<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let digit = lower
            .strip_prefix("stork-qaa-level-")
            .or_else(|| lower.strip_prefix("level-"))
            .unwrap_or(&lower);
        match digit {
            "1" | "niedrig" | "basisregistrierung" => Some(TrustLevel::Level1),
            "2" | "3" | "substanziell" => Some(TrustLevel::Level3),
            "4" | "hoch" => Some(TrustLevel::Level4),
            _ => None,
        }
    }

    /// CSS modifier of the service badge.
    pub fn css_modifier(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "trust-badge--basic",
            TrustLevel::Level3 => "trust-badge--substantial",
            TrustLevel::Level4 => "trust-badge--high",
        }
    }

    /// Does this level satisfy a service that needs `required`?
    pub fn satisfies(self, required: TrustLevel) -> bool {
        self >= required
    }

    /// The levels above this one (what a step-up could unlock).
    pub fn higher(self) -> impl Iterator<Item = TrustLevel> {
        TrustLevel::ALL.into_iter().filter(move |l| *l > self)
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_acr())
    }
}

impl std::str::FromStr for TrustLevel {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrustLevel::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_low_substantial_high() {
        assert!(TrustLevel::Level1 < TrustLevel::Level3);
        assert!(TrustLevel::Level3 < TrustLevel::Level4);
        assert!(TrustLevel::Level4.satisfies(TrustLevel::Level3));
        assert!(TrustLevel::Level3.satisfies(TrustLevel::Level3));
        assert!(!TrustLevel::Level1.satisfies(TrustLevel::Level3));
        assert!(!TrustLevel::Level3.satisfies(TrustLevel::Level4));
    }

    #[test]
    fn parse_and_format_round_trip() {
        for l in TrustLevel::ALL {
            assert_eq!(TrustLevel::parse(l.as_acr()), Ok(l));
            assert_eq!(l.to_string().parse::<TrustLevel>(), Ok(l));
        }
        assert_eq!(
            TrustLevel::parse(" STORK-QAA-Level-4 "),
            Ok(TrustLevel::Level4)
        );
    }

    #[test]
    fn unknown_levels_are_refused() {
        for bad in ["", "STORK-QAA-Level-2", "stork-qaa-level-1", "Level-4", "4"] {
            assert!(TrustLevel::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn plain_keys_and_higher_levels() {
        assert_eq!(TrustLevel::Level1.plain_key(), "low");
        assert_eq!(TrustLevel::Level3.plain_key(), "substantial");
        assert_eq!(TrustLevel::Level4.plain_key(), "high");
        assert_eq!(
            TrustLevel::Level1.higher().collect::<Vec<_>>(),
            [TrustLevel::Level3, TrustLevel::Level4]
        );
        assert_eq!(TrustLevel::Level4.higher().count(), 0);
    }

    #[test]
    fn catalogue_levels_are_read_leniently() {
        assert_eq!(
            TrustLevel::from_stork("stork-qaa-level-3"),
            Some(TrustLevel::Level3)
        );
        assert_eq!(
            TrustLevel::from_stork(" STORK-QAA-Level-4 "),
            Some(TrustLevel::Level4)
        );
        assert_eq!(
            TrustLevel::from_stork("STORK-QAA-Level-2"),
            Some(TrustLevel::Level3)
        );
        assert_eq!(TrustLevel::from_stork("hoch"), Some(TrustLevel::Level4));
        assert_eq!(TrustLevel::from_stork("STORK-QAA-Level-9"), None);
        assert_eq!(TrustLevel::from_stork(""), None);
        for l in TrustLevel::ALL {
            assert_eq!(TrustLevel::from_stork(l.as_acr()), Some(l));
        }
    }
}
