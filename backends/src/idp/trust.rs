//! Trust levels (Vertrauensniveaus) as BundID names them: STORK-QAA levels.
//!
//! The level is the app's and the relay's too: [`contract::trust`] (ordered
//! `Level1 < Level3 < Level4`, serialised as `STORK-QAA-Level-N`, parsed
//! exactly by `str::parse`). The stand-in's German pages add the names.

pub use contract::trust::TrustLevel;
/// The text was not one of the three `STORK-QAA-Level-N` values.
pub use contract::trust::UnknownLevel as UnknownTrustLevel;

/// German names of the trust levels, for the server-rendered pages.
pub trait GermanName {
    /// German name of the Vertrauensniveau.
    fn german_name(self) -> &'static str;
}

impl GermanName for TrustLevel {
    fn german_name(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "Basisregistrierung (niedrig)",
            TrustLevel::Level3 => "substanziell",
            TrustLevel::Level4 => "hoch",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(TrustLevel::Level1 < TrustLevel::Level3);
        assert!(TrustLevel::Level3 < TrustLevel::Level4);
        assert!(TrustLevel::Level4.satisfies(TrustLevel::Level3));
        assert!(TrustLevel::Level3.satisfies(TrustLevel::Level3));
        assert!(!TrustLevel::Level1.satisfies(TrustLevel::Level3));
        assert_eq!(TrustLevel::ALL.iter().max(), Some(&TrustLevel::Level4));
    }

    #[test]
    fn parse_and_format_round_trip() {
        for level in TrustLevel::ALL {
            assert_eq!(level.as_str().parse::<TrustLevel>(), Ok(level));
            assert_eq!(level.to_string(), level.as_str());
        }
        assert_eq!(
            "STORK-QAA-Level-2".parse::<TrustLevel>(),
            Err(UnknownTrustLevel("STORK-QAA-Level-2".into()))
        );
        assert!("stork-qaa-level-1".parse::<TrustLevel>().is_err());
        assert!(" STORK-QAA-Level-1".parse::<TrustLevel>().is_err());
        assert!("".parse::<TrustLevel>().is_err());
    }

    #[test]
    fn serde_uses_the_stork_names() {
        let json = serde_json::to_string(&TrustLevel::Level3).unwrap();
        assert_eq!(json, "\"STORK-QAA-Level-3\"");
        let back: TrustLevel = serde_json::from_str("\"STORK-QAA-Level-4\"").unwrap();
        assert_eq!(back, TrustLevel::Level4);
        assert!(serde_json::from_str::<TrustLevel>("\"Level-4\"").is_err());
    }

    #[test]
    fn german_names() {
        assert_eq!(
            TrustLevel::Level1.german_name(),
            "Basisregistrierung (niedrig)"
        );
        assert_eq!(TrustLevel::Level3.german_name(), "substanziell");
        assert_eq!(TrustLevel::Level4.german_name(), "hoch");
    }
}
