//! Trust levels (Vertrauensniveaus) as BundID reports them in `acr`:
//! `STORK-QAA-Level-1` (niedrig), `-3` (substanziell), `-4` (hoch).
//!
//! Ordered from weakest to strongest, `Level1 < Level3 < Level4`, so "does
//! the citizen's login reach what the service needs" is a plain comparison.
//! Words for people (German names, CSS classes, i18n keys) belong to the
//! sides that show them; [`TrustLevel::plain_key`] is the neutral key.

use std::fmt;

/// A BundID trust level. Serialised as its `STORK-QAA-Level-N` name (exact
/// match when read, as the identity provider compares `acr_values`).
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

/// The text was not one of the three `STORK-QAA-Level-N` values. Holds at
/// most the first 40 characters of what was given (it may end up in an
/// error response).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trust level {0:?} (expected STORK-QAA-Level-1, -3 or -4)")]
pub struct UnknownLevel(pub String);

impl UnknownLevel {
    fn of(s: &str) -> Self {
        UnknownLevel(s.chars().take(40).collect())
    }
}

impl TrustLevel {
    /// All levels, weakest first.
    pub const ALL: [TrustLevel; 3] = [TrustLevel::Level1, TrustLevel::Level3, TrustLevel::Level4];

    /// The `acr` / `acr_values` form, e.g. `STORK-QAA-Level-4`.
    pub fn as_acr(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "STORK-QAA-Level-1",
            TrustLevel::Level3 => "STORK-QAA-Level-3",
            TrustLevel::Level4 => "STORK-QAA-Level-4",
        }
    }

    /// The same as [`TrustLevel::as_acr`] (the stand-in's name for it).
    pub fn as_str(self) -> &'static str {
        self.as_acr()
    }

    /// Parses `STORK-QAA-Level-1|3|4`, surrounding whitespace ignored. The
    /// [`std::str::FromStr`] implementation (and serde) take no whitespace.
    pub fn parse(s: &str) -> Result<Self, UnknownLevel> {
        Self::exact(s.trim()).ok_or_else(|| UnknownLevel::of(s.trim()))
    }

    fn exact(s: &str) -> Option<Self> {
        TrustLevel::ALL.into_iter().find(|l| l.as_acr() == s)
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

    /// Does a login at this level satisfy a service that needs `required`?
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

/// Exactly `STORK-QAA-Level-1|3|4` (no whitespace, case-sensitive).
impl std::str::FromStr for TrustLevel {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::exact(s).ok_or_else(|| UnknownLevel::of(s))
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
        assert_eq!(TrustLevel::ALL.iter().max(), Some(&TrustLevel::Level4));
    }

    #[test]
    fn parse_and_format_round_trip() {
        for l in TrustLevel::ALL {
            assert_eq!(TrustLevel::parse(l.as_acr()), Ok(l));
            assert_eq!(l.to_string().parse::<TrustLevel>(), Ok(l));
            assert_eq!(l.as_str(), l.as_acr());
            assert_eq!(l.to_string(), l.as_acr());
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
            assert!(bad.parse::<TrustLevel>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "STORK-QAA-Level-2".parse::<TrustLevel>(),
            Err(UnknownLevel("STORK-QAA-Level-2".into()))
        );
    }

    #[test]
    fn from_str_takes_no_whitespace() {
        assert!(" STORK-QAA-Level-4".parse::<TrustLevel>().is_err());
        assert!("STORK-QAA-Level-4\n".parse::<TrustLevel>().is_err());
    }

    #[test]
    fn errors_quote_at_most_40_characters() {
        let long = "x".repeat(1000);
        let UnknownLevel(quoted) = TrustLevel::parse(&long).unwrap_err();
        assert_eq!(quoted.len(), 40);
        let UnknownLevel(quoted) = long.parse::<TrustLevel>().unwrap_err();
        assert_eq!(quoted.len(), 40);
        assert!(UnknownLevel("a".into())
            .to_string()
            .contains("STORK-QAA-Level-1, -3 or -4"));
    }

    #[test]
    fn serde_uses_the_stork_names() {
        let json = serde_json::to_string(&TrustLevel::Level3).unwrap();
        assert_eq!(json, "\"STORK-QAA-Level-3\"");
        let back: TrustLevel = serde_json::from_str("\"STORK-QAA-Level-4\"").unwrap();
        assert_eq!(back, TrustLevel::Level4);
        for bad in [
            "\"Level-4\"",
            "\" STORK-QAA-Level-4\"",
            "\"STORK-QAA-Level-2\"",
            "4",
        ] {
            assert!(serde_json::from_str::<TrustLevel>(bad).is_err(), "{bad}");
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
