//! Truthful online offers (docs/relay.md, "Online offers"): every service
//! that the search marks online at a place leads either to our own form
//! (FIT-Connect routes it there and its schema loads) or to another
//! Onlinedienst (an https link), never to a dead end; and a service not
//! marked online is offered in person.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::*;

/// Köln (kreisfrei, our forms' pilot), Düsseldorf (kreisfrei) and Hilden
/// (kreisangehörig, Kreis Mettmann).
const PLACES: [&str; 3] = ["053150000000", "051110000000", "051580016016"];

async fn get_json(url: &str) -> Value {
    let r = Browser::new().get(url).await;
    assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.body);
    r.json()
}

/// Every service of the search at `ars` (all pages), with `extra` filters.
async fn all_services(relay: &Relay, ars: &str, extra: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 0.. {
        let p = get_json(&format!(
            "{}/api/v1/catalogue/regions/{ars}/services?q=&size=100&page={page}{extra}",
            relay.url
        ))
        .await;
        let content = p["content"].as_array().cloned().unwrap_or_default();
        out.extend(content);
        if page + 1 >= p["totalPages"].as_u64().unwrap_or(0) {
            break;
        }
    }
    out
}

/// How many services at `ars` lead to our form, to another Onlinedienst
/// and to the authority in person. Every service marked online is walked;
/// with `all`, the others too.
async fn walk(relay: &Relay, ars: &'static str, all: bool) -> (usize, usize, usize) {
    let online = all_services(relay, ars, "&online=true").await;
    assert!(online.len() >= 30, "{ars}: {} online", online.len());
    let services = if all {
        let everything = all_services(relay, ars, "").await;
        assert!(everything.len() > online.len());
        everything
    } else {
        online
    };
    let (mut portal, mut external, mut in_person) = (0, 0, 0);
    for s in &services {
        let id = s["id"].as_str().unwrap();
        let marked = s["online"].as_bool().unwrap();
        let d = get_json(&format!(
            "{}/api/v1/catalogue/services/{id}?ars={ars}",
            relay.url
        ))
        .await;
        let offer = &d["offer"];
        let what = format!("{} at {ars}: {offer}", s["name"]);
        match offer["kind"].as_str() {
            Some("portal") => {
                assert!(marked, "{what}: ours but not marked online");
                let leika = d["leikaId"].as_str().unwrap();
                let routes = get_json(&format!(
                    "{}/api/v1/submission/routes?leikaKey={leika}&ars={ars}",
                    relay.url
                ))
                .await;
                let schema = routes["routes"][0]["destinationParameters"]["submissionSchemas"][0]
                    ["schemaUri"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{what}: no route"));
                let file = schema.rsplit('/').next().unwrap();
                let form =
                    get_json(&format!("{}/api/v1/submission/schemas/{file}", relay.url)).await;
                assert_eq!(form["x-leika"], d["leikaId"], "{what}");
                portal += 1;
            }
            Some("external") => {
                assert!(marked, "{what}: a link but not marked online");
                let uri = offer["uri"].as_str().unwrap();
                assert!(contract::offer::is_external_uri(uri), "{what}");
                // The stand-in's Onlinedienste are invented, and say so.
                assert_eq!(offer["sampleData"], true, "{what}");
                assert!(uri.starts_with("https://onlinedienste.example/"), "{what}");
                external += 1;
            }
            Some("inPerson") => {
                assert!(!marked, "{what}: marked online, but a dead end");
                in_person += 1;
            }
            _ => panic!("{what}: no offer"),
        }
    }
    (portal, external, in_person)
}

#[tokio::test]
async fn every_service_marked_online_reaches_a_form_or_another_onlinedienst() {
    let relay = std::sync::Arc::new(relay().await);
    let mut walks = Vec::new();
    for (i, ars) in PLACES.into_iter().enumerate() {
        let relay = relay.clone();
        walks.push(tokio::spawn(async move { walk(&relay, ars, i == 0).await }));
    }
    let (mut portal, mut external, mut in_person) = (0, 0, 0);
    for w in walks {
        let (p, e, i) = w.await.expect("a walk finishes");
        portal += p;
        external += e;
        in_person += i;
    }
    assert!(portal >= 12, "{portal} of our forms");
    assert!(external >= 60, "{external} other Onlinedienste");
    assert!(in_person >= 10, "{in_person} in person");
}

#[tokio::test]
async fn without_a_place_there_is_no_offer_and_our_form_is_not_everywhere() {
    let relay = relay().await;
    // Without a place PVOG's answer goes on as it is.
    let d = get_json(&format!(
        "{}/api/v1/catalogue/services/99115001001000",
        relay.url
    ))
    .await;
    assert!(d.get("offer").is_none());
    // Wohnsitz anmelden: our form in Köln; Hilden has its own Onlinedienst
    // or none, but never our dead end.
    let koeln = get_json(&format!(
        "{}/api/v1/catalogue/services/99115001001000?ars=053150000000",
        relay.url
    ))
    .await;
    assert_eq!(koeln["offer"]["kind"], "portal");
    assert_eq!(koeln["offer"]["trustLevel"], "STORK-QAA-Level-4");
    let hilden = get_json(&format!(
        "{}/api/v1/catalogue/services/99115001001000?ars=051580016016",
        relay.url
    ))
    .await;
    assert_ne!(hilden["offer"]["kind"], "portal", "{}", hilden["offer"]);
}

/// Three small municipalities (issue #21): Monschau (Städteregion Aachen),
/// Extertal (Kreis Lippe), Wachtendonk (Kreis Kleve).
const SMALL: [(&str, &str, &str); 3] = [
    ("053340020020", "Monschau", "Städteregion Aachen"),
    ("057660028028", "Extertal", "Kreis Lippe"),
    ("051540060060", "Wachtendonk", "Kreis Kleve"),
];

#[tokio::test]
async fn small_municipalities_reach_their_offices_and_the_cards_say_sample_data() {
    let relay = relay().await;
    for (ars, town, kreis) in SMALL {
        // Wohnsitz: the town's Bürgerbüro; Fahrzeug: the Kreisverwaltung.
        for (service, want) in [
            ("99115001001000", format!("Bürgerbüro {town}")),
            ("99036002001000", format!("Straßenverkehrsamt {kreis}")),
        ] {
            let d = get_json(&format!(
                "{}/api/v1/catalogue/services/{service}?ars={ars}",
                relay.url
            ))
            .await;
            let org = &d["organisations"][0];
            assert_eq!(org["title"], want.as_str(), "{town}: {d}");
            // The card's data passes the relay unchanged, flag included.
            let id = org["id"].as_str().unwrap();
            let unit = get_json(&format!(
                "{}/api/v1/catalogue/organisations/{id}",
                relay.url
            ))
            .await;
            assert_eq!(unit["title"], want.as_str());
            assert_eq!(unit["sampleData"], true, "{unit}");
        }
        // Whatever is marked online there leads somewhere.
        walk(&relay, ars, false).await;
    }
}
