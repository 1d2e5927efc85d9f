//! Trust levels (Vertrauensniveau) as BundID reports them in `acr`:
//! `STORK-QAA-Level-1` (niedrig), `-3` (substanziell), `-4` (hoch).
//!
//! The level itself is shared with the relay and the stand-in
//! ([`contract::trust`]); what only the app shows lives here.

pub use contract::trust::{TrustLevel, UnknownLevel};

/// How the app shows a trust level (beyond the words, see
/// `components::trust_badge::level_word`).
pub trait TrustLevelUi {
    /// CSS modifier of the service badge.
    fn css_modifier(self) -> &'static str;
}

impl TrustLevelUi for TrustLevel {
    fn css_modifier(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "trust-badge--basic",
            TrustLevel::Level3 => "trust-badge--substantial",
            TrustLevel::Level4 => "trust-badge--high",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_has_its_own_badge_modifier() {
        let mods: Vec<_> = TrustLevel::ALL.iter().map(|l| l.css_modifier()).collect();
        assert_eq!(
            mods,
            [
                "trust-badge--basic",
                "trust-badge--substantial",
                "trust-badge--high"
            ]
        );
    }

    #[test]
    fn the_app_reads_levels_as_the_contract_does() {
        // The app's paths keep working: crate::domain::trust::TrustLevel.
        assert_eq!(
            TrustLevel::parse(" STORK-QAA-Level-4 "),
            Ok(TrustLevel::Level4)
        );
        assert_eq!(TrustLevel::from_stork("hoch"), Some(TrustLevel::Level4));
        assert!(TrustLevel::Level4.satisfies(TrustLevel::Level3));
    }
}
