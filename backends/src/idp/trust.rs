//! Trust levels (Vertrauensniveaus) as BundID names them: STORK-QAA levels.
//!
//! Ordered: `Level1 < Level3 < Level4`, so "does the citizen's login reach
//! what the service needs" is a plain comparison.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrustLevel {
    /// Basisregistrierung (niedrig): username and password.
    Level1,
    /// substanziell: ELSTER certificate.
    Level3,
    /// hoch: Online-Ausweis (eID).
    Level4,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trust level {0:?} (expected STORK-QAA-Level-1, -3 or -4)")]
pub struct UnknownTrustLevel(pub String);

impl TrustLevel {
    pub const ALL: [TrustLevel; 3] = [TrustLevel::Level1, TrustLevel::Level3, TrustLevel::Level4];

    /// The STORK-QAA name, e.g. `STORK-QAA-Level-4`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "STORK-QAA-Level-1",
            TrustLevel::Level3 => "STORK-QAA-Level-3",
            TrustLevel::Level4 => "STORK-QAA-Level-4",
        }
    }

    /// German name of the Vertrauensniveau.
    pub fn german_name(self) -> &'static str {
        match self {
            TrustLevel::Level1 => "Basisregistrierung (niedrig)",
            TrustLevel::Level3 => "substanziell",
            TrustLevel::Level4 => "hoch",
        }
    }

    /// Whether a login at `self` is enough for a service needing `needed`.
    pub fn satisfies(self, needed: TrustLevel) -> bool {
        self >= needed
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrustLevel {
    type Err = UnknownTrustLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "STORK-QAA-Level-1" => Ok(TrustLevel::Level1),
            "STORK-QAA-Level-3" => Ok(TrustLevel::Level3),
            "STORK-QAA-Level-4" => Ok(TrustLevel::Level4),
            other => Err(UnknownTrustLevel(other.to_string())),
        }
    }
}

impl Serialize for TrustLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TrustLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
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
}
