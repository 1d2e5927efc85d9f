//! The place the citizen chose ("Wo wohnen Sie?"), remembered on the device
//! under `buergeramt.ort` as `{"ars": "…", "name": "…"}`. Not personal data:
//! only a municipality.

use serde::{Deserialize, Serialize};

use super::search_url::is_ars;

/// localStorage key.
pub const STORAGE_KEY: &str = "buergeramt.ort";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub ars: String,
    pub name: String,
}

impl Place {
    /// Reads a stored value; anything malformed is treated as "no place".
    pub fn from_storage(raw: &str) -> Option<Place> {
        let p: Place = super::json::from_text(raw).ok()?;
        let name = p.name.trim();
        (is_ars(&p.ars) && !name.is_empty() && name.chars().count() <= 120).then(|| Place {
            ars: p.ars,
            name: name.to_string(),
        })
    }

    /// The value to store.
    pub fn to_storage(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A German postcode typed into the search for services (five digits):
/// the citizen meant their place, which the place field takes.
pub fn as_postcode(query: &str) -> Option<&str> {
    let q = query.trim();
    (q.len() == 5 && q.bytes().all(|b| b.is_ascii_digit())).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postcode_is_five_digits() {
        assert_eq!(as_postcode(" 50667 "), Some("50667"));
        assert_eq!(as_postcode("5066"), None);
        assert_eq!(as_postcode("506671"), None);
        assert_eq!(as_postcode("50667 Köln"), None);
        assert_eq!(as_postcode("Hund"), None);
        assert_eq!(
            as_postcode("５０６６７"),
            None,
            "full-width digits are not typed as a postcode"
        );
    }

    #[test]
    fn round_trip() {
        let p = Place {
            ars: "053150000000".into(),
            name: "Köln".into(),
        };
        assert_eq!(Place::from_storage(&p.to_storage()), Some(p));
    }

    #[test]
    fn malformed_values_mean_no_place() {
        assert_eq!(Place::from_storage(""), None);
        assert_eq!(Place::from_storage("Köln"), None);
        assert_eq!(Place::from_storage(r#"{"ars":"0531","name":"Köln"}"#), None);
        assert_eq!(
            Place::from_storage(r#"{"ars":"053150000000","name":"  "}"#),
            None
        );
        assert_eq!(
            Place::from_storage(r#"{"ars":53150000000,"name":"Köln"}"#),
            None
        );
        assert_eq!(
            Place::from_storage(r#"{"ars":"053150000000","name":" Köln "}"#).map(|p| p.name),
            Some("Köln".into())
        );
    }
}
