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

    // Order, parsing and serde are the contract's (contract/src/trust.rs).

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
