//! PVOG stand-in: response shapes, errors, counts, routing to authorities and sanitising.

mod pvog_common;
use pvog_common::*;
use serde_json::Value;

const PERSO: &str = "99088001001000";
const WOHNSITZ: &str = "99115001001000";
const FAHRZEUG: &str = "99036002001000";
const FUNDSACHEN: &str = "99104001001000";
const WOHNGELD: &str = "99108001001000";

#[tokio::test]
async fn locations_by_name_and_postcode() {
    for q in ["Köln", "koeln", "50667", "KÖLN"] {
        let (s, body) = get(&format!("/pvog/v2/locations?q={}", enc(q))).await;
        assert_eq!(s, 200);
        assert_eq!(body[0]["ars"], KOELN, "{q}: {body}");
        assert_eq!(body[0]["ags"], "05315000");
        assert_eq!(body[0]["type"], "Kreisfreie Stadt");
        assert!(body[0]["district"].is_null());
    }
    let (_, body) = get("/pvog/v2/locations?q=Hilden").await;
    assert_eq!(body[0]["ars"], HILDEN);
    assert_eq!(body[0]["zip"], "40721");
    assert_eq!(body[0]["district"], "Kreis Mettmann");
    let (_, body) = get("/pvog/v2/locations?q=40724").await;
    assert_eq!(body[0]["name"], "Hilden");
    let (_, body) = get("/pvog/v2/locations?q=Mettmann").await;
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], &["Mettmann", "Kreis Mettmann"]);
    let (_, body) = get("/pvog/v2/locations?q=5&limit=3").await;
    assert_eq!(body.as_array().unwrap().len(), 3);
    for bad in [
        "/pvog/v2/locations",
        "/pvog/v2/locations?q=",
        "/pvog/v2/locations?q=K%C3%B6ln&limit=0",
        "/pvog/v2/locations?q=x&limit=abc",
    ] {
        let (s, body) = get(bad).await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(body["error"], "bad_request");
    }
}

#[tokio::test]
async fn search_page_shape() {
    let page = search(KOELN, "reisepass", "").await;
    for key in [
        "content",
        "totalElements",
        "totalPages",
        "number",
        "size",
        "query",
        "suggestion",
    ] {
        assert!(page.get(key).is_some(), "missing {key}");
    }
    assert_eq!(page["query"], "reisepass");
    assert_eq!(page["number"], 0);
    assert_eq!(page["size"], 20);
    let c = &page["content"][0];
    for key in [
        "id",
        "leikaId",
        "name",
        "summary",
        "level",
        "audience",
        "lebenslagen",
        "online",
        "trustLevel",
        "lang",
    ] {
        assert!(c.get(key).is_some(), "missing content.{key}");
    }
    assert_eq!(c["leikaId"], "99085001012000");
    assert_eq!(c["lang"], "de");
}

#[tokio::test]
async fn bad_parameters_give_json_400() {
    let long = "a".repeat(201);
    let cases = [
        "/pvog/v7/servicedescriptions/12345?q=x".to_string(),
        "/pvog/v7/servicedescriptions/05315000000X?q=x".to_string(),
        format!("/pvog/v7/servicedescriptions/{KOELN}?page=-1"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?size=101"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?size=0"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?size=abc"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?q={long}"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?online=maybe"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?audience=aliens"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?level=europa"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?lebenslage=nope"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?lang=fr"),
        format!("/pvog/v6/servicedescriptions/{PERSO}/detail?ars=123"),
        "/pvog/v3/servicedescriptions/leikaid?leikaIds=123".to_string(),
        "/pvog/v3/servicedescriptions/leikaid".to_string(),
        format!("/pvog/v2/organisationunits/titles?ars={KOELN}"),
        "/pvog/v5/organisationunits/detail?q=nope".to_string(),
        "/pvog/v2/onlineservices/detail?q=L100012.OE.1".to_string(),
    ];
    for uri in cases {
        let (s, body) = get(&uri).await;
        assert_eq!(s, 400, "{uri}: {body}");
        assert_eq!(body["error"], "bad_request", "{uri}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Exactly 200 characters is fine.
    let ok = "a".repeat(200);
    search(KOELN, &ok, "").await;
}

#[tokio::test]
async fn unknown_ids_give_json_404() {
    let cases = [
        "/pvog/v7/servicedescriptions/059999999999?q=x".to_string(),
        "/pvog/v6/servicedescriptions/00000000000000/detail".to_string(),
        format!("/pvog/v6/servicedescriptions/{PERSO}/detail?ars=059999999999"),
        format!("/pvog/v2/organisationunits/titles?ars={KOELN}&lbId=nope"),
        "/pvog/v5/organisationunits/detail?q=L100012.OE.999".to_string(),
        "/pvog/v2/onlineservices/detail?q=L100012.OD.999".to_string(),
        "/pvog/v9/unknown".to_string(),
    ];
    for uri in cases {
        let (s, body) = get(&uri).await;
        assert_eq!(s, 404, "{uri}: {body}");
        assert_eq!(body["error"], "not_found", "{uri}");
    }
}

#[tokio::test]
async fn personalausweis_in_koeln_is_in_person_with_contact() {
    let (s, d) = get(&format!(
        "/pvog/v6/servicedescriptions/{PERSO}/detail?ars={KOELN}"
    ))
    .await;
    assert_eq!(s, 200);
    assert_eq!(d["name"], "Personalausweis beantragen");
    assert_eq!(d["location"]["ars"], KOELN);
    assert_eq!(d["authorityType"], "Bürgerbüro");
    assert!(d["synonyms"].as_array().unwrap().contains(&"perso".into()));
    assert!(d["lebenslagen"][0]["slug"].is_string() && d["lebenslagen"][0]["name"].is_string());
    let types: Vec<&str> = d["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap())
        .collect();
    for t in [
        "description",
        "eligibility",
        "requirements",
        "costs",
        "processingTime",
        "legalBasis",
    ] {
        assert!(types.contains(&t), "detail {t}");
    }
    // Applied for in person (fingerprints, signature): no online service.
    assert_eq!(d["onlineServices"], serde_json::json!([]));
    // Hundesteuer in Köln: the portal's own form; Kindergeld: the
    // federation's Onlinedienst, invented and marked as such.
    let (_, hund) = get(&format!(
        "/pvog/v6/servicedescriptions/99089005001000/detail?ars={KOELN}"
    ))
    .await;
    let os = &hund["onlineServices"][0];
    assert_eq!(os["uri"], "/antrag/99089005001000");
    assert_eq!(os["vertrauensniveau"], "STORK-QAA-Level-1");
    assert_eq!(os["sampleData"], false);
    let (_, kind) = get(&format!(
        "/pvog/v6/servicedescriptions/99041001001000/detail?ars={KOELN}"
    ))
    .await;
    let os = &kind["onlineServices"][0];
    assert_eq!(
        os["uri"],
        "https://onlinedienste.example/00000000/99041001001000"
    );
    assert_eq!(os["sampleData"], true);
    assert!(os["title"].as_str().unwrap().ends_with("(Beispieldaten)"));
    let od_id = os["id"].as_str().unwrap();
    assert!(od_id.starts_with("L100012.OD."));

    let (s, od) = get(&format!("/pvog/v2/onlineservices/detail?q={od_id}")).await;
    assert_eq!(s, 200);
    assert_eq!(od["links"][0]["uri"], os["uri"]);
    assert_eq!(od["vertrauensniveau"], "STORK-QAA-Level-3");
    assert_eq!(od["sampleData"], true);

    let org = &d["organisations"][0];
    assert_eq!(org["title"], "Kundenzentrum Innenstadt");
    assert_eq!(org["role"], "zuständige Stelle");
    // Köln has several Kundenzentren, all responsible alike (sample data):
    // the main unit first, the branches after it with ids of their own.
    let titles: Vec<&str> = d["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Kundenzentrum Innenstadt",
            "Kundenzentrum Chorweiler",
            "Kundenzentrum Kalk",
            "Kundenzentrum Porz"
        ]
    );
    let porz = d["organisations"][3]["id"].as_str().unwrap();
    assert_eq!(porz, format!("{}.4", org["id"].as_str().unwrap()));
    let (s, branch) = get(&format!("/pvog/v5/organisationunits/detail?q={porz}")).await;
    assert_eq!(s, 200, "{branch}");
    assert_eq!(branch["location"]["street"], "Friedrich-Ebert-Ufer 64");
    assert_eq!(branch["location"]["city"], "Köln");
    assert_eq!(branch["sampleData"], true);
    // A smaller town has one.
    let (_, hilden) = get(&format!(
        "/pvog/v6/servicedescriptions/{PERSO}/detail?ars=051580016016"
    ))
    .await;
    assert_eq!(
        hilden["organisations"].as_array().unwrap().len(),
        1,
        "{hilden}"
    );
    let oe = org["id"].as_str().unwrap();
    assert!(oe.starts_with("L100012.OE."));
    let (s, ou) = get(&format!("/pvog/v5/organisationunits/detail?q={oe}")).await;
    assert_eq!(s, 200);
    assert_eq!(ou["location"]["street"], "Laurenzplatz 4");
    assert_eq!(ou["location"]["city"], "Köln");
    let comms = ou["communicationSystems"].as_array().unwrap();
    let kind = |k: &str| {
        comms
            .iter()
            .find(|c| c["type"] == k)
            .map(|c| c["value"].as_str().unwrap().to_string())
    };
    assert!(kind("phone").is_some());
    assert!(kind("email").unwrap().ends_with(".example"));
    assert!(kind("web").unwrap().starts_with("https://"));
    let hours = ou["openingHours"].as_array().unwrap();
    assert!(hours.len() >= 5);
    for h in hours {
        let day = h["day"].as_u64().unwrap();
        assert!((1..=7).contains(&day));
        assert!(h["opens"].as_str().unwrap() < h["closes"].as_str().unwrap());
    }
    // Titles endpoint agrees with the detail.
    let (_, titles) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars={KOELN}&lbId={PERSO}"
    ))
    .await;
    assert_eq!(titles[0]["id"], oe);
}

#[tokio::test]
async fn responsibility_follows_the_administrative_levels() {
    // Wohnsitz in Hilden: the town's Bürgerbüro; Fahrzeug in Hilden: the Kreis.
    let (_, t) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars={HILDEN}&lbId={WOHNSITZ}"
    ))
    .await;
    assert_eq!(t[0]["title"], "Bürgerbüro Hilden");
    let (_, t) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars={HILDEN}&lbId={FAHRZEUG}"
    ))
    .await;
    assert_eq!(t[0]["title"], "Straßenverkehrsamt Kreis Mettmann");
    // A padded municipal ARS is understood, too.
    let (s, _) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars=051580160000&lbId={WOHNSITZ}"
    ))
    .await;
    assert_eq!(s, 200);
    // Federal services go to the federal authority.
    let (_, t) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars={HILDEN}&lbId=99063001001000"
    ))
    .await;
    assert!(t[0]["title"]
        .as_str()
        .unwrap()
        .contains("Bundesamt für Justiz"));
}

#[tokio::test]
async fn every_place_has_authorities_for_core_services() {
    let mut places = region_ars();
    places.push(HILDEN.into());
    places.push("053820060060".into()); // Siegburg
    for ars in &places {
        for lb in [
            WOHNSITZ,
            FAHRZEUG,
            PERSO,
            "99102001001000",
            "99021001001000",
        ] {
            let (s, t) = get(&format!(
                "/pvog/v2/organisationunits/titles?ars={ars}&lbId={lb}"
            ))
            .await;
            assert_eq!(s, 200);
            assert!(
                !t.as_array().unwrap().is_empty(),
                "{ars} has an authority for {lb}"
            );
        }
    }
}

/// The 53 Kreise and kreisfreie Städte of the seed (ARS = AGS + "0000").
fn region_ars() -> Vec<String> {
    let places: Value = serde_json::from_str(include_str!("../seed/pvog/places.json")).unwrap();
    places["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}0000", r["ags"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn counts_meet_the_catalogue_targets() {
    assert_eq!(region_ars().len(), 53);
    let all = search(KOELN, "", "&size=100").await;
    let total = all["totalElements"].as_u64().unwrap();
    assert!(total >= 80, "{total} services");
    // Every region answers with the whole catalogue, some of it online.
    for ars in region_ars() {
        let page = search(&ars, "", "&size=1&online=true").await;
        let online = page["totalElements"].as_u64().unwrap();
        assert!(online > 0 && online <= total, "{ars}: {online}");
    }
    let koeln = search(KOELN, "", "&size=1&online=true").await;
    assert!(koeln["totalElements"].as_u64().unwrap() > 40);
    // The Lebenslagen the relay derives its list from: slugs on the summaries,
    // names (both languages) on the details.
    let with_slug = all["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["lebenslagen"].as_array().unwrap().is_empty())
        .count();
    assert!(with_slug >= 80, "{with_slug}");
    let (_, de) = get(&format!("/pvog/v6/servicedescriptions/{WOHNSITZ}/detail")).await;
    let (_, en) = get(&format!(
        "/pvog/v6/servicedescriptions/{WOHNSITZ}/detail?lang=en"
    ))
    .await;
    assert_eq!(de["lebenslagen"][0]["slug"], en["lebenslagen"][0]["slug"]);
    assert_ne!(de["lebenslagen"][0]["name"], en["lebenslagen"][0]["name"]);
    // The stand-in no longer offers what the real PVOG lacks.
    for gone in ["/pvog/lebenslagen", "/pvog/uebersicht"] {
        assert_eq!(get(gone).await.0, 404, "{gone}");
    }
}

#[tokio::test]
async fn leika_lookup() {
    let (s, page) = get(&format!("/pvog/v3/servicedescriptions/leikaid?leikaIds=99085001012000,99050012104000,99999999999999&ars={KOELN}")).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&page), vec!["99085001012000", "99050012104000"]);
    assert_eq!(page["totalElements"], 2);
}

#[tokio::test]
async fn english_detail_falls_back_per_field() {
    let (_, d) = get(&format!(
        "/pvog/v6/servicedescriptions/{WOHNSITZ}/detail?ars={KOELN}&lang=en"
    ))
    .await;
    assert_eq!(d["name"], "Register your address");
    assert_eq!(d["lang"], "en");
    assert_eq!(d["details"][0]["title"], "Description");
    assert!(
        d["costs"].is_string(),
        "German fallback for untranslated fields"
    );
    // Each text module says its language: the translated description is
    // English and holds no German paragraph; the untranslated modules say
    // German, so the app can mark them (WCAG 3.1.2).
    let lang_of = |kind: &str| {
        d["details"]
            .as_array()
            .and_then(|a| a.iter().find(|m| m["type"] == kind))
            .map(|m| {
                (
                    m["lang"].clone(),
                    m["text"].as_str().unwrap_or("").to_string(),
                )
            })
    };
    let (lang, text) = lang_of("description").expect("a description");
    assert_eq!(lang, "en", "{text}");
    assert!(
        !text.contains(" Sie "),
        "German text in an English module: {text}"
    );
    for kind in ["eligibility", "costs", "legalBasis"] {
        assert_eq!(lang_of(kind).expect(kind).0, "de", "{kind}");
    }
    assert_eq!(lang_of("procedure").expect("procedure").0, "en");
    let (_, de) = get(&format!(
        "/pvog/v6/servicedescriptions/{WOHNSITZ}/detail?ars={KOELN}&lang=de"
    ))
    .await;
    assert_eq!(de["lang"], "de");
    assert!(de["details"]
        .as_array()
        .is_some_and(|a| a.iter().all(|m| m["lang"] == "de")));
}

fn walk_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| walk_strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn editorial_html_is_sanitised_everywhere() {
    let forbidden = [
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "xss-seed-probe",
        "<img",
        "target=",
    ];
    let all = ids(&search(KOELN, "", "&size=100").await);
    let all: Vec<String> = all
        .into_iter()
        .chain(ids(&search(KOELN, "", "&size=100&page=1").await))
        .collect();
    let mut uris = vec![
        format!("/pvog/v7/servicedescriptions/{KOELN}?size=100"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?size=100&page=1"),
        format!("/pvog/v7/servicedescriptions/{KOELN}?q=fund"),
    ];
    for id in &all {
        uris.push(format!(
            "/pvog/v6/servicedescriptions/{id}/detail?ars={KOELN}"
        ));
        uris.push(format!(
            "/pvog/v6/servicedescriptions/{id}/detail?ars={HILDEN}&lang=en"
        ));
    }
    for uri in &uris {
        let (s, text) = get_text(uri).await;
        assert_eq!(s, 200, "{uri}");
        let lower = text.to_lowercase();
        for f in forbidden {
            assert!(!lower.contains(f), "{uri} contains {f}");
        }
    }
    // The dangerous seed text is still there, minus the danger.
    let (_, d) = get(&format!(
        "/pvog/v6/servicedescriptions/{FUNDSACHEN}/detail?ars={KOELN}"
    ))
    .await;
    let mut texts = Vec::new();
    walk_strings(&d["details"], &mut texts);
    let html = texts.join(" ");
    assert!(html.contains("<strong>sechs Monate</strong>"), "{html}");
    assert!(html.contains("<p>Melden Sie sich beim Fundbüro"), "{html}");
    assert!(
        html.contains("<a href=\"https://www.example.org/fund\" rel=\"noopener noreferrer\">"),
        "{html}"
    );
    let (_, d) = get(&format!(
        "/pvog/v6/servicedescriptions/{WOHNGELD}/detail?ars={KOELN}"
    ))
    .await;
    let mut texts = Vec::new();
    walk_strings(&d["details"], &mut texts);
    let html = texts.join(" ");
    assert!(html.contains("<ul><li>"), "{html}");
    assert!(!html.contains("javascript"), "{html}");
}

#[tokio::test]
async fn nrw_as_a_whole_is_a_valid_place_before_one_is_chosen() {
    let (status, v) = get("/pvog/v7/servicedescriptions/050000000000?q=&size=6").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["content"].as_array().unwrap().len(), 6);
    let (status, v) = get(&format!(
        "/pvog/v6/servicedescriptions/{PERSO}/detail?ars=050000000000"
    ))
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["location"]["name"], "Nordrhein-Westfalen");
}
