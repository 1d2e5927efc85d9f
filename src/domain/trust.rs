//! Trust levels (Vertrauensniveau) of BundID logins and what each means for
//! the citizen. Ordered: a higher level satisfies every lower one.

/// The login a service needs online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrustLevel {
    /// Basisregistrierung: username and password (STORK-QAA-Level-1).
    Basic,
    /// substanziell: ELSTER certificate (STORK-QAA-Level-3).
    Substantial,
    /// hoch: Online-Ausweis (STORK-QAA-Level-4).
    High,
}

impl TrustLevel {
    /// All levels, lowest first.
    pub const ALL: [TrustLevel; 3] = [TrustLevel::Basic, TrustLevel::Substantial, TrustLevel::High];

    /// Parses `STORK-QAA-Level-1|3|4` (also without prefix, any case).
    /// Level 2 is not used by BundID; it is treated as the next level up,
    /// so the citizen is never told that too little is enough.
    pub fn from_stork(s: &str) -> Option<Self> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let digit = lower
            .strip_prefix("stork-qaa-level-")
            .or_else(|| lower.strip_prefix("level-"))
            .unwrap_or(&lower);
        match digit {
            "1" | "niedrig" | "basisregistrierung" => Some(TrustLevel::Basic),
            "2" | "3" | "substanziell" => Some(TrustLevel::Substantial),
            "4" | "hoch" => Some(TrustLevel::High),
            _ => None,
        }
    }

    /// The `acr_values` string for this level.
    pub fn stork(self) -> &'static str {
        match self {
            TrustLevel::Basic => "STORK-QAA-Level-1",
            TrustLevel::Substantial => "STORK-QAA-Level-3",
            TrustLevel::High => "STORK-QAA-Level-4",
        }
    }

    /// Does a login at `self` allow a service that needs `needed`?
    pub fn satisfies(self, needed: TrustLevel) -> bool {
        self >= needed
    }

    /// The i18n key (namespace `search`) of the badge text.
    pub fn badge_key(self) -> &'static str {
        match self {
            TrustLevel::Basic => "trust_basic",
            TrustLevel::Substantial => "trust_substantial",
            TrustLevel::High => "trust_high",
        }
    }

    /// The i18n key (namespace `search`) of "what you need" for this level.
    pub fn needs_key(self) -> &'static str {
        match self {
            TrustLevel::Basic => "needs_basic",
            TrustLevel::Substantial => "needs_substantial",
            TrustLevel::High => "needs_high",
        }
    }

    /// A CSS modifier for the badge (the text carries the meaning, not the colour).
    pub fn css_modifier(self) -> &'static str {
        match self {
            TrustLevel::Basic => "trust-badge--basic",
            TrustLevel::Substantial => "trust-badge--substantial",
            TrustLevel::High => "trust-badge--high",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(TrustLevel::Basic < TrustLevel::Substantial);
        assert!(TrustLevel::Substantial < TrustLevel::High);
        assert!(TrustLevel::High.satisfies(TrustLevel::Basic));
        assert!(TrustLevel::High.satisfies(TrustLevel::High));
        assert!(!TrustLevel::Substantial.satisfies(TrustLevel::High));
        assert!(!TrustLevel::Basic.satisfies(TrustLevel::Substantial));
        assert_eq!(TrustLevel::ALL.iter().max(), Some(&TrustLevel::High));
    }

    #[test]
    fn parses_stork_strings() {
        assert_eq!(
            TrustLevel::from_stork("STORK-QAA-Level-1"),
            Some(TrustLevel::Basic)
        );
        assert_eq!(
            TrustLevel::from_stork("stork-qaa-level-3"),
            Some(TrustLevel::Substantial)
        );
        assert_eq!(
            TrustLevel::from_stork(" STORK-QAA-Level-4 "),
            Some(TrustLevel::High)
        );
        assert_eq!(
            TrustLevel::from_stork("STORK-QAA-Level-2"),
            Some(TrustLevel::Substantial)
        );
        assert_eq!(TrustLevel::from_stork("hoch"), Some(TrustLevel::High));
        assert_eq!(TrustLevel::from_stork("STORK-QAA-Level-9"), None);
        assert_eq!(TrustLevel::from_stork(""), None);
    }

    #[test]
    fn round_trips_and_keys() {
        for l in TrustLevel::ALL {
            assert_eq!(TrustLevel::from_stork(l.stork()), Some(l));
        }
        assert_eq!(TrustLevel::Basic.badge_key(), "trust_basic");
        assert_eq!(TrustLevel::Substantial.badge_key(), "trust_substantial");
        assert_eq!(TrustLevel::High.badge_key(), "trust_high");
        assert_eq!(TrustLevel::High.needs_key(), "needs_high");
        let keys: std::collections::HashSet<_> =
            TrustLevel::ALL.iter().map(|l| l.css_modifier()).collect();
        assert_eq!(keys.len(), 3);
    }
}

#[cfg(test)]
mod locale_tests {
    use super::TrustLevel;

    /// The keys the domain names exist in both languages, with the texts
    /// UX.md asks for in German.
    #[test]
    fn badge_and_needs_keys_exist_in_both_locales() {
        let de: serde_json::Value =
            serde_json::from_str(include_str!("../../locales/de/search.json")).unwrap();
        let en: serde_json::Value =
            serde_json::from_str(include_str!("../../locales/en/search.json")).unwrap();
        for l in TrustLevel::ALL {
            for key in [l.badge_key(), l.needs_key()] {
                assert!(de[key].is_string(), "de missing {key}");
                assert!(en[key].is_string(), "en missing {key}");
            }
        }
        assert_eq!(de["trust_basic"], "Benutzername und Passwort genügt");
        assert_eq!(
            de["trust_substantial"],
            "ELSTER-Zertifikat oder Online-Ausweis"
        );
        assert_eq!(de["trust_high"], "Online-Ausweis nötig");
        let high = de["needs_high"].as_str().unwrap();
        assert!(
            high.contains("6-stellige PIN") && high.contains("NFC") && high.contains("AusweisApp")
        );
    }
}
