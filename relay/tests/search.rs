//! The relay's query understanding over the stand-in's plain PVOG search,
//! and the Lebenslagen and overview the relay derives (docs/relay.md).
//! The stand-in runs strict and plain (its default): every smart answer
//! below is the relay's work.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use support::*;

const KOELN: &str = "053150000000";
const WOHNSITZ: &str = "99115001001000";
const PERSO: &str = "99088001001000";
const PERSO_VERLUST: &str = "99088001002000";
const REISEPASS: &str = "99085001012000";
const FAHRZEUG: &str = "99036002001000";
const VERWARNGELD: &str = "99105003001000";
const HUNDESTEUER: &str = "99089005001000";
const BAFOEG: &str = "99009001001000";
const FUEHRUNGSZEUGNIS: &str = "99063001001000";
const KINDERGELD: &str = "99041001001000";
const GEWERBE: &str = "99050012104000";
const WAHLSCHEIN: &str = "99096001001000";
const SPERRMUELL: &str = "99103001001000";
const SONDERNUTZUNG: &str = "99105001001000";
const SCHWERBEHINDERTENAUSWEIS: &str = "99107001001000";

/// A relay whose first read of the catalogue is done.
async fn ready_relay() -> Relay {
    let relay = relay().await;
    relay
        .state
        .shared
        .catalogue
        .derived(&relay.state.shared.pvog)
        .await
        .expect("the relay reads the catalogue");
    relay
}

fn enc(s: &str) -> String {
    contract::encoding::url_encode(s)
}

async fn search(relay: &Relay, q: &str, extra: &str) -> Value {
    let r = Browser::new()
        .get(&format!(
            "{}/api/v1/catalogue/regions/{KOELN}/services?q={}{extra}",
            relay.url,
            enc(q)
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
    r.json()
}

fn ids(page: &Value) -> Vec<String> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// The stand-in's own plain search, called as the relay would (service token).
async fn stand_in_search(q: &str) -> Value {
    let s = stand_in();
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/idp/token", s.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "buergeramt-onlinedienst"),
            ("client_secret", "dev-sender-secret"),
            ("scope", "pvog:read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = http
        .get(format!(
            "{}/pvog/v7/servicedescriptions/{KOELN}?q={}&size=100",
            s.url,
            enc(q)
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn everyday_words_typos_umlauts_and_compounds_find_the_service() {
    let relay = ready_relay().await;
    let cases = [
        ("Perso", PERSO),
        ("ummelden", WOHNSITZ),
        ("Schwerbehindertenauswies", SCHWERBEHINDERTENAUSWEIS),
        ("Fuehrungszeugnis", FUEHRUNGSZEUGNIS),
        ("Strasse", SONDERNUTZUNG),
        ("Hundeanmeldung", HUNDESTEUER),
        ("Wohnsitzanmeldung", WOHNSITZ),
        ("Hundesteuerbescheid", HUNDESTEUER),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let top: Vec<String> = ids(&search(&relay, q, "").await)
            .into_iter()
            .take(3)
            .collect();
        if !top.contains(&want.to_string()) {
            failures.push(format!("{q:?}: {want} not in top 3 {top:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let top = names(&search(&relay, "Fuehrerschein", "").await);
    assert!(
        top.iter().take(3).all(|n| n.contains("Führerschein")),
        "{top:?}"
    );
}

/// The comparison run: the stand-in's own search is plain (its fuzzy
/// features are gone), so what the relay finds beyond it is the relay's.
#[tokio::test]
async fn the_plain_stand_in_alone_does_not_understand_what_the_relay_does() {
    let relay = ready_relay().await;
    for (q, want) in [
        ("Perso", PERSO),
        ("ummelden", WOHNSITZ),
        ("Hundeanmeldung", HUNDESTEUER),
        ("Schwerbehindertenauswies", SCHWERBEHINDERTENAUSWEIS),
        ("Fuehrungszeugnis", FUEHRUNGSZEUGNIS),
    ] {
        let alone = stand_in_search(q).await;
        assert!(
            !ids(&alone).contains(&want.to_string()),
            "the stand-in alone found {want} for {q:?}"
        );
        assert!(alone["suggestion"].is_null(), "{alone}");
        let relayed = search(&relay, q, "").await;
        assert_eq!(
            ids(&relayed).first().map(String::as_str),
            Some(want),
            "{q:?}"
        );
    }
}

#[tokio::test]
async fn the_obvious_answer_comes_first() {
    let relay = ready_relay().await;
    let cases = [
        ("perso", PERSO),
        ("Personalausweis", PERSO),
        ("reisepass", REISEPASS),
        ("ummelden", WOHNSITZ),
        ("Umzug", WOHNSITZ),
        ("kfz", FAHRZEUG),
        ("Auto anmelden", FAHRZEUG),
        ("knöllchen", VERWARNGELD),
        ("hundesteuer", HUNDESTEUER),
        ("Hundemarke", HUNDESTEUER),
        ("bafög", BAFOEG),
        ("führungszeugnis", FUEHRUNGSZEUGNIS),
        ("kindergeld", KINDERGELD),
        ("gewerbe", GEWERBE),
        ("Gewerbe anmelden", GEWERBE),
        ("briefwahl", WAHLSCHEIN),
        ("wohnsitz anmelden", WOHNSITZ),
        ("Müll", SPERRMUELL),
        ("Personalausweis verloren", PERSO_VERLUST),
        ("hund anmelden", HUNDESTEUER),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let got = ids(&search(&relay, q, "").await);
        if got.first().map(String::as_str) != Some(want) {
            failures.push(format!(
                "{q:?}: expected {want}, got {:?}",
                &got[..got.len().min(3)]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn typos_umlauts_and_compound_parts() {
    let relay = ready_relay().await;
    let first = |p: &Value| ids(p).first().cloned().unwrap_or_default();
    assert_eq!(first(&search(&relay, "Reisepas", "").await), REISEPASS);
    assert_eq!(first(&search(&relay, "Personalausweiss", "").await), PERSO);
    assert_eq!(first(&search(&relay, "Kindergld", "").await), KINDERGELD);
    let top = names(&search(&relay, "Fuehrerschien", "").await);
    assert!(
        top.first().is_some_and(|n| n.contains("Führerschein")),
        "{top:?}"
    );
    for (a, b) in [
        ("Führerschein", "Fuehrerschein"),
        ("Straßen", "Strassen"),
        ("Bafög", "Bafoeg"),
        ("Knöllchen", "Knoellchen"),
    ] {
        let x = ids(&search(&relay, a, "&size=50").await);
        let y = ids(&search(&relay, b, "&size=50").await);
        assert!(!x.is_empty(), "{a} finds something");
        assert_eq!(x.first(), y.first(), "{a} and {b}");
        let (mut xs, mut ys) = (x.clone(), y.clone());
        xs.sort();
        ys.sort();
        assert_eq!(xs, ys, "{a} and {b} find the same services");
    }
    for (part, whole) in [
        ("hund", HUNDESTEUER),
        ("steuer", HUNDESTEUER),
        ("ausweis", PERSO),
        ("pass", REISEPASS),
    ] {
        let found = ids(&search(&relay, part, "&size=50").await);
        assert!(found.contains(&whole.to_string()), "{part}: {found:?}");
    }
}

#[tokio::test]
async fn meinten_sie_english_filters_and_paging() {
    let relay = ready_relay().await;
    let page = search(&relay, "Hundesteuerr", "").await;
    assert_eq!(page["suggestion"], "hundesteuer", "{page}");
    let page = search(&relay, "Persnalausweis", "").await;
    assert_eq!(page["suggestion"], "personalausweis", "{page}");
    assert_eq!(page["query"], "Persnalausweis");
    let page = search(&relay, "Reisepass", "").await;
    assert!(page["suggestion"].is_null());
    let page = search(&relay, "qxzjvw", "").await;
    assert_eq!(page["totalElements"], 0);
    assert!(page["suggestion"].is_null());

    let page = search(&relay, "passport", "&lang=en").await;
    assert_eq!(ids(&page)[0], REISEPASS);
    assert_eq!(page["content"][0]["name"], "Apply for a passport");

    // The Personalausweis is applied for in person, so not among the
    // online ones; the Hundesteuer is.
    assert_eq!(ids(&search(&relay, "perso", "").await)[0], PERSO);
    let online = search(&relay, "perso", "&online=true").await;
    assert!(!ids(&online).contains(&PERSO.to_string()));
    let online = search(&relay, "hund", "&online=true").await;
    assert_eq!(ids(&online)[0], HUNDESTEUER);
    for c in online["content"].as_array().unwrap() {
        assert_eq!(c["online"], true, "{c}");
    }
    let bund = search(&relay, "ausweis", "&level=bund&size=100").await;
    for c in bund["content"].as_array().unwrap() {
        assert_eq!(c["level"], "bund", "{c}");
    }

    // A merged answer pages like PVOG's.
    let all = search(&relay, "steuer", "&size=100").await;
    let total = all["totalElements"].as_u64().unwrap();
    assert!(total > 5);
    let p1 = search(&relay, "steuer", "&size=3&page=1").await;
    assert_eq!(p1["number"], 1);
    assert_eq!(p1["totalPages"], total.div_ceil(3));
    assert_eq!(ids(&p1), ids(&all)[3..6].to_vec());

    // Limits: unknown parameters, page and size out of range, long queries.
    let mut b = Browser::new();
    for bad in ["evil=1", "size=0", "size=101", "page=-1", "page=x"] {
        let r = b
            .get(&format!(
                "{}/api/v1/catalogue/regions/{KOELN}/services?q=a&{bad}",
                relay.url
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let long = "a".repeat(201);
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/regions/{KOELN}/services?q={long}",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let words = "wort ".repeat(39);
    search(&relay, &words, "").await;
}

#[tokio::test]
async fn lebenslagen_and_overview_are_derived_by_the_relay() {
    let relay = ready_relay().await;
    let mut b = Browser::new();
    let r = b
        .get(&format!("{}/api/v1/catalogue/lebenslagen", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public, max-age=300"));
    let de = r.json();
    let de = de.as_array().unwrap();
    assert!(de.len() >= 17, "{de:?}");
    for l in de {
        assert!(l["serviceCount"].as_u64().unwrap() > 0, "{l}");
        assert_eq!(l["stale"], false);
        assert!(l["asOf"].as_i64().unwrap() > 1_700_000_000);
    }
    let en = b
        .get(&format!(
            "{}/api/v1/catalogue/lebenslagen?lang=en",
            relay.url
        ))
        .await
        .json();
    assert_eq!(en[0]["slug"], de[0]["slug"]);
    assert_ne!(en[0]["name"], de[0]["name"]);
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/lebenslagen?lang=fr",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let ov = b
        .get(&format!("{}/api/v1/catalogue/overview", relay.url))
        .await
        .json();
    assert_eq!(ov["stale"], false);
    let regions = ov["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 53);
    let services = ov["services"].as_array().unwrap();
    assert!(services.len() >= 80, "{}", services.len());
    let mut tiles = std::collections::HashSet::new();
    for r in regions {
        assert!(
            tiles.insert((r["tile"]["col"].as_u64(), r["tile"]["row"].as_u64())),
            "{r}"
        );
        assert!((0.0..=1.0).contains(&r["onlineShare"].as_f64().unwrap()));
        assert_eq!(r["total"].as_u64().unwrap() as usize, services.len());
    }
    let koeln = regions.iter().find(|r| r["ars"] == KOELN).unwrap();
    assert_eq!(koeln["name"], "Köln");
    assert!(koeln["onlineCount"].as_u64().unwrap() > 40);
    let wohnsitz = services.iter().find(|s| s["id"] == WOHNSITZ).unwrap();
    assert!(wohnsitz["onlineRegions"]
        .as_array()
        .unwrap()
        .contains(&KOELN.into()));
    let perso = services.iter().find(|s| s["id"] == PERSO).unwrap();
    assert_eq!(perso["onlineRegions"], serde_json::json!([]));
}

/// A PVOG in front of the stand-in's that can be switched off.
async fn switchable_pvog() -> (String, Arc<AtomicBool>) {
    let down = Arc::new(AtomicBool::new(false));
    let upstream = format!("{}/pvog", stand_in().url);
    let http = reqwest::Client::new();
    let flag = down.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (flag, http, upstream) = (flag.clone(), http.clone(), upstream.clone());
        async move {
            use axum::response::IntoResponse;
            if flag.load(Ordering::SeqCst) {
                return (StatusCode::SERVICE_UNAVAILABLE, "{}").into_response();
            }
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut out = http.get(format!("{upstream}{path}"));
            if let Some(a) = req.headers().get("authorization") {
                out = out.header("authorization", a.to_str().unwrap());
            }
            let r = out.send().await.unwrap();
            let status = r.status();
            (status, r.bytes().await.unwrap()).into_response()
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, down)
}

#[tokio::test]
async fn while_pvog_is_down_the_known_overview_is_served_as_stale() {
    let (pvog, down) = switchable_pvog().await;
    let relay = relay_with(|c| c.pvog.base_url = pvog).await;
    let catalogue = relay.state.shared.catalogue.clone();
    let upstream = relay.state.shared.pvog.clone();
    catalogue.derived(&upstream).await.expect("first read");
    let mut b = Browser::new();
    let fresh = b
        .get(&format!("{}/api/v1/catalogue/overview", relay.url))
        .await;
    assert_eq!(fresh.json()["stale"], false);

    down.store(true, Ordering::SeqCst);
    assert!(catalogue.refresh(&upstream).await.is_err());
    let r = b
        .get(&format!("{}/api/v1/catalogue/overview", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stale = r.json();
    assert_eq!(stale["stale"], true);
    assert_eq!(stale["asOf"], fresh.json()["asOf"]);
    assert_eq!(stale["regions"], fresh.json()["regions"]);
    assert_eq!(r.headers["cache-control"], "public, max-age=60");
    let ll = b
        .get(&format!("{}/api/v1/catalogue/lebenslagen", relay.url))
        .await
        .json();
    assert_eq!(ll[0]["stale"], true);
    // The search has nothing to fall back on: a clear upstream error.
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/regions/{KOELN}/services?q=perso",
            relay.url
        ))
        .await;
    assert_eq!(r.json()["error"], "upstream", "{}", r.body);

    down.store(false, Ordering::SeqCst);
    catalogue.refresh(&upstream).await.expect("PVOG is back");
    let back = b
        .get(&format!("{}/api/v1/catalogue/overview", relay.url))
        .await
        .json();
    assert_eq!(back["stale"], false);
}
