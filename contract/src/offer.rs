//! How a service can be applied for at a place: the one fact behind the
//! badge, the sentence and the button on a service's page (docs/relay.md,
//! "Online offers"). The relay decides it and adds it to the service
//! detail as `offer`; the app only shows it.
//!
//! * [`Offer::Portal`]: a form this portal hosts, because FIT-Connect has a
//!   route (a destination) for the service at the place;
//! * [`Offer::External`]: another Onlinedienst, as PVOG links it;
//! * [`Offer::InPerson`]: neither, so the citizen goes to the authority.

use serde::{Deserialize, Serialize};

/// Longest link to another Onlinedienst that is shown.
pub const MAX_URI_CHARS: usize = 2000;

/// How a service can be applied for at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Offer {
    /// Our own form: "Online beantragen" starts it.
    #[serde(rename_all = "camelCase")]
    Portal {
        /// The level PVOG names for the online service (STORK name).
        #[serde(default)]
        trust_level: Option<String>,
    },
    /// Another Onlinedienst: "Online beantragen" leaves the site.
    #[serde(rename_all = "camelCase")]
    External {
        uri: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        trust_level: Option<String>,
        /// The link is invented (the stand-in's sample data).
        #[serde(default)]
        sample_data: bool,
    },
    /// No online way at this place.
    InPerson,
}

/// One online service of a PVOG service detail (`onlineServices[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineLink {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub vertrauensniveau: Option<String>,
    #[serde(default)]
    pub sample_data: bool,
}

/// Whether `uri` leads to another site: an absolute `https` link of
/// sensible length without spaces or control characters.
pub fn is_external_uri(uri: &str) -> bool {
    let rest = match uri.strip_prefix("https://") {
        Some(r) => r,
        None => return false,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    uri.chars().count() <= MAX_URI_CHARS
        && !host.is_empty()
        && !host.contains('@')
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `uri` is a path into this portal (`/antrag/…`).
pub fn is_portal_uri(uri: &str) -> bool {
    uri.starts_with("/antrag/")
}

impl Offer {
    /// The offer at a place. `has_route`: whether FIT-Connect has a route
    /// for the service there (`None` when it could not be asked: then a
    /// PVOG link into the portal counts as ours, and the application page
    /// checks the route itself).
    pub fn decide(has_route: Option<bool>, links: &[OnlineLink]) -> Offer {
        let linked = |pred: fn(&str) -> bool| {
            links
                .iter()
                .find(|l| l.uri.as_deref().is_some_and(|u| pred(u.trim())))
        };
        let ours = match has_route {
            Some(r) => r,
            None => linked(is_portal_uri).is_some(),
        };
        if ours {
            let trust_level = linked(is_portal_uri)
                .or_else(|| links.first())
                .and_then(|l| l.vertrauensniveau.clone());
            return Offer::Portal { trust_level };
        }
        match linked(is_external_uri) {
            Some(l) => Offer::External {
                uri: l.uri.as_deref().unwrap_or_default().trim().to_string(),
                title: l.title.clone(),
                trust_level: l.vertrauensniveau.clone(),
                sample_data: l.sample_data,
            },
            None => Offer::InPerson,
        }
    }

    /// Whether the service can be applied for online at the place.
    pub fn is_online(&self) -> bool {
        !matches!(self, Offer::InPerson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(uri: &str) -> OnlineLink {
        OnlineLink {
            title: "Dienst".into(),
            uri: Some(uri.into()),
            vertrauensniveau: Some("STORK-QAA-Level-3".into()),
            sample_data: uri.contains(".example"),
        }
    }

    #[test]
    fn a_route_makes_it_ours_whatever_pvog_links() {
        assert_eq!(
            Offer::decide(Some(true), &[link("/antrag/1")]),
            Offer::Portal {
                trust_level: Some("STORK-QAA-Level-3".into())
            }
        );
        assert!(matches!(
            Offer::decide(Some(true), &[]),
            Offer::Portal { trust_level: None }
        ));
    }

    #[test]
    fn without_a_route_a_portal_link_is_a_dead_end_and_not_offered() {
        assert_eq!(
            Offer::decide(Some(false), &[link("/antrag/1")]),
            Offer::InPerson
        );
        assert_eq!(Offer::decide(Some(false), &[]), Offer::InPerson);
    }

    #[test]
    fn external_links_must_be_https_and_plain() {
        let o = Offer::decide(
            Some(false),
            &[link("/antrag/1"), link("https://onlinedienste.example/1/2")],
        );
        assert_eq!(
            o,
            Offer::External {
                uri: "https://onlinedienste.example/1/2".into(),
                title: "Dienst".into(),
                trust_level: Some("STORK-QAA-Level-3".into()),
                sample_data: true,
            }
        );
        for bad in [
            "http://stadt.de/antrag",
            "javascript:alert(1)",
            "https://",
            "https://user@evil.example/",
            "https://a.de/x y",
            "//a.de/x",
        ] {
            assert_eq!(
                Offer::decide(Some(false), &[link(bad)]),
                Offer::InPerson,
                "{bad}"
            );
        }
        let long = format!("https://a.de/{}", "x".repeat(MAX_URI_CHARS));
        assert!(!is_external_uri(&long));
    }

    #[test]
    fn unknown_routes_trust_a_portal_link() {
        assert!(matches!(
            Offer::decide(None, &[link("/antrag/1")]),
            Offer::Portal { .. }
        ));
        assert!(matches!(
            Offer::decide(None, &[link("https://stadt.de/dienst")]),
            Offer::External { .. }
        ));
    }

    #[test]
    fn the_wire_shape() {
        let o: Offer = serde_json::from_str(
            r#"{"kind":"external","uri":"https://a.de/","title":"T","sampleData":true}"#,
        )
        .unwrap();
        assert!(matches!(
            o,
            Offer::External {
                sample_data: true,
                ..
            }
        ));
        let p: Offer = serde_json::from_str(r#"{"kind":"portal"}"#).unwrap();
        assert_eq!(p, Offer::Portal { trust_level: None });
        assert_eq!(
            serde_json::to_string(&Offer::InPerson).unwrap(),
            r#"{"kind":"inPerson"}"#
        );
        assert!(serde_json::from_str::<Offer>(r#"{"kind":"elsewhere"}"#).is_err());
    }
}
