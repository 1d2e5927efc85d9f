//! The online offer of a service at a place ([`contract::offer::Offer`]):
//! ours where FIT-Connect has a route for the service there, another
//! Onlinedienst where PVOG links one, otherwise in person. Neither upstream
//! knows the whole answer alone: PVOG lists links (and may list ours where
//! no destination is set up yet), FIT-Connect knows only our destinations.

use contract::encoding::url_encode;
use contract::offer::{Offer, OnlineLink};
use serde_json::Value;

use crate::RelayState;

/// Most online services of one detail that are read.
const MAX_LINKS: usize = 20;

/// A 12-digit ARS (Amtlicher Regionalschlüssel).
pub fn is_place(ars: &str) -> bool {
    ars.len() == 12 && ars.bytes().all(|b| b.is_ascii_digit())
}

/// The online services of a PVOG service detail; entries that do not
/// parse are skipped.
pub fn links(detail: &Value) -> Vec<OnlineLink> {
    detail["onlineServices"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(MAX_LINKS)
                .filter_map(|v| serde_json::from_value(v.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether FIT-Connect routes the service with LeiKa key `leika` at `ars`;
/// `None` when FIT-Connect could not be asked or answered oddly.
pub async fn has_route(state: &RelayState, leika: &str, ars: &str) -> Option<bool> {
    let path = format!(
        "/routes?leikaKey={}&ars={}",
        url_encode(leika),
        url_encode(ars)
    );
    match crate::destination::fitconnect_json(state, &path, "routes").await {
        Ok(v) => v.and_then(|v| v["routes"].as_array().map(|r| !r.is_empty())),
        Err(e) => {
            tracing::warn!(error = %e, "routes for the offer: FIT-Connect not asked");
            None
        }
    }
}

/// The offer at `ars` for the PVOG service `detail`.
pub async fn at_place(state: &RelayState, detail: &Value, ars: &str) -> Offer {
    let leika = detail["leikaId"]
        .as_str()
        .filter(|l| l.len() == 14 && l.bytes().all(|b| b.is_ascii_digit()));
    let route = match leika {
        Some(l) => has_route(state, l, ars).await,
        // Without a LeiKa key no destination can be found: not ours.
        None => Some(false),
    };
    Offer::decide(route, &links(detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_skip_what_does_not_parse() {
        let d = json!({"onlineServices": [
            {"title": "A", "uri": "/antrag/1", "vertrauensniveau": "STORK-QAA-Level-1"},
            {"title": 7},
            {"title": "B", "uri": "https://a.example/", "sampleData": true}
        ]});
        let l = links(&d);
        assert_eq!(l.len(), 2);
        assert!(l[1].sample_data);
        assert!(links(&json!({"onlineServices": "x"})).is_empty());
    }

    #[test]
    fn only_places_are_asked() {
        assert!(is_place("053150000000"));
        assert!(!is_place("05315"));
        assert!(!is_place("05315000000x"));
    }
}
