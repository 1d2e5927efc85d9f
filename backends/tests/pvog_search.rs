//! The PVOG stand-in's plain search (as the real PVOG's): whole words of
//! names and texts, filters, paging, and nothing more. Query understanding
//! (typos, umlauts, compounds, synonyms, suggestions) is the relay's and is
//! tested there (relay/tests/search.rs).

mod pvog_common;
use pvog_common::*;

const WOHNSITZ: &str = "99115001001000";
const PERSO: &str = "99088001001000";
const REISEPASS: &str = "99085001012000";
const FAHRZEUG: &str = "99036002001000";
const VERWARNGELD: &str = "99105003001000";
const HUNDESTEUER: &str = "99089005001000";
const BAFOEG: &str = "99009001001000";
const FUEHRUNGSZEUGNIS: &str = "99063001001000";
const KINDERGELD: &str = "99041001001000";
const GEWERBE: &str = "99050012104000";
const WAHLSCHEIN: &str = "99096001001000";

async fn first(q: &str) -> String {
    let page = search(KOELN, q, "").await;
    ids(&page)
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no result for {q:?}"))
}

/// Ids found for `q` (up to 100).
async fn found(q: &str) -> Vec<String> {
    ids(&search(KOELN, q, "&size=100").await)
}

#[tokio::test]
async fn words_of_names_and_texts_are_found() {
    let cases = [
        ("Personalausweis", PERSO),
        ("reisepass", REISEPASS),
        ("Wohnsitz anmelden", WOHNSITZ),
        ("Fahrzeug zulassen", FAHRZEUG),
        ("Verwarngeld", VERWARNGELD),
        ("hundesteuer", HUNDESTEUER),
        ("Hundesteuer anmelden", HUNDESTEUER),
        ("BAföG Studierende", BAFOEG),
        ("führungszeugnis", FUEHRUNGSZEUGNIS),
        ("kindergeld", KINDERGELD),
        ("Gewerbe anmelden", GEWERBE),
        ("briefwahl", WAHLSCHEIN),
        ("Sperrmüll", "99103001001000"),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let got = first(q).await;
        if got != want {
            failures.push(format!("{q:?}: expected {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The plain search is what the real PVOG offers: no synonyms, no fuzzy
/// terms, no umlaut folding, no compound parts, no suggestion. The relay
/// adds all of that (relay/tests/search.rs).
#[tokio::test]
async fn the_plain_search_understands_nothing_beyond_words() {
    for (q, not) in [
        ("perso", PERSO),
        ("ummelden", WOHNSITZ),
        ("knöllchen", VERWARNGELD),
        ("Hundeanmeldung", HUNDESTEUER),
        ("Reisepas", REISEPASS),
        ("Kindergld", KINDERGELD),
        ("Fuehrungszeugnis", FUEHRUNGSZEUGNIS),
        ("steuer", HUNDESTEUER),
    ] {
        let page = search(KOELN, q, "&size=100").await;
        assert!(!ids(&page).contains(&not.to_string()), "{q:?} found {not}");
        assert!(page["suggestion"].is_null(), "{q:?}: {page}");
    }
    // Umlauts are not folded: "Fuehrerschein" is not "Führerschein".
    let names = names(&search(KOELN, "Fuehrerschein", "&size=100").await);
    assert!(
        !names.iter().any(|n| n.contains("Führerschein")),
        "{names:?}"
    );
    let names = names_of("Führerschein").await;
    assert!(
        names.iter().any(|n| n.contains("Führerschein")),
        "{names:?}"
    );
    // Nonsense: nothing found, nothing suggested.
    let page = search(KOELN, "qxzjvw", "").await;
    assert_eq!(page["totalElements"], 0);
    assert!(page["suggestion"].is_null());
}

async fn names_of(q: &str) -> Vec<String> {
    names(&search(KOELN, q, "&size=100").await)
}

#[tokio::test]
async fn all_words_must_match_unless_none_does() {
    let both = found("Personalausweis beantragen").await;
    assert_eq!(both.first().map(String::as_str), Some(PERSO));
    assert!(!both.contains(&WOHNSITZ.to_string()), "{both:?}");
    // No service has both words: any word may.
    let any = found("Personalausweis qxzjvw").await;
    assert!(any.contains(&PERSO.to_string()), "{any:?}");
}

#[tokio::test]
async fn english_names_are_searchable() {
    assert_eq!(first("passport").await, REISEPASS);
    let page = search(KOELN, "passport", "&lang=en").await;
    assert_eq!(page["content"][0]["name"], "Apply for a passport");
    assert_eq!(page["content"][0]["lang"], "en");
}

#[tokio::test]
async fn empty_query_is_ordered_by_popularity() {
    let page = search(KOELN, "", "&size=5").await;
    let ids = ids(&page);
    assert_eq!(ids[0], WOHNSITZ);
    assert_eq!(ids[1], PERSO);
    assert!(page["totalElements"].as_u64().unwrap() >= 80);
}

#[tokio::test]
async fn paging_is_consistent() {
    let all = search(KOELN, "", "&size=100").await;
    let total = all["totalElements"].as_u64().unwrap();
    let p0 = search(KOELN, "", "&size=10&page=0").await;
    let p1 = search(KOELN, "", "&size=10&page=1").await;
    assert_eq!(p1["number"], 1);
    assert_eq!(p1["size"], 10);
    assert_eq!(p0["totalPages"], total.div_ceil(10));
    let a = ids(&p0);
    let b = ids(&p1);
    assert_eq!(a.len(), 10);
    assert!(a.iter().all(|x| !b.contains(x)), "pages do not overlap");
    let full = ids(&all);
    assert_eq!(&full[..10], &a[..]);
    assert_eq!(&full[10..20], &b[..]);
    let beyond = search(KOELN, "", "&size=10&page=999").await;
    assert!(ids(&beyond).is_empty());
    assert_eq!(beyond["totalElements"], total);
}

#[tokio::test]
async fn filters_restrict_results() {
    let all = search(KOELN, "", "&size=100").await["totalElements"]
        .as_u64()
        .unwrap();

    let online = search(KOELN, "", "&size=100&online=true").await;
    let n = online["totalElements"].as_u64().unwrap();
    assert!(n > 0 && n < all);
    for c in online["content"].as_array().unwrap() {
        assert_eq!(c["online"], true, "{c}");
        assert!(c["trustLevel"]
            .as_str()
            .unwrap()
            .starts_with("STORK-QAA-Level-"));
    }
    // The Personalausweis is applied for in person; the Hundesteuer online.
    let perso = search(KOELN, "Personalausweis", "&online=true").await;
    assert!(!ids(&perso).contains(&PERSO.to_string()), "{perso}");
    let hund = search(KOELN, "Hundesteuer", "&online=true").await;
    assert_eq!(ids(&hund)[0], HUNDESTEUER, "Hundesteuer is online in Köln");

    let business = search(KOELN, "", "&size=100&audience=business").await;
    assert!(business["totalElements"].as_u64().unwrap() > 5);
    for c in business["content"].as_array().unwrap() {
        assert!(c["audience"]
            .as_array()
            .unwrap()
            .contains(&"business".into()));
    }
    let bund = search(KOELN, "", "&size=100&level=bund").await;
    assert!(bund["totalElements"].as_u64().unwrap() > 5);
    for c in bund["content"].as_array().unwrap() {
        assert_eq!(c["level"], "bund");
    }
    let hund = search(KOELN, "", "&size=100&lebenslage=hund").await;
    assert!(ids(&hund).contains(&HUNDESTEUER.to_string()));
    for c in hund["content"].as_array().unwrap() {
        assert!(c["lebenslagen"]
            .as_array()
            .unwrap()
            .contains(&"hund".into()));
    }
    // Filters combine with a query.
    let q = search(KOELN, "steuer", "&size=100&level=kommune&audience=business").await;
    for c in q["content"].as_array().unwrap() {
        assert_eq!(c["level"], "kommune");
    }
}

#[tokio::test]
async fn online_status_depends_on_the_place() {
    // A federal service online everywhere, a municipal one at some places only.
    let k = search(KOELN, "Führungszeugnis", "").await;
    assert_eq!(k["content"][0]["online"], true);
    assert_eq!(k["content"][0]["trustLevel"], "STORK-QAA-Level-4");
    let mut differs = false;
    let koeln_online = search(KOELN, "", "&size=100&online=true").await["totalElements"].clone();
    for ars in ["051110000000", "059130000000", HILDEN, "053820060060"] {
        let n = search(ars, "", "&size=100&online=true").await["totalElements"].clone();
        differs |= n != koeln_online;
    }
    assert!(differs, "online offers differ between places");
}
