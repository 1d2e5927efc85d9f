//! The 396 municipalities of NRW (issue #21): counts and keys, postcode →
//! municipality → ARS → Kreis round trips, name search, the statuses that
//! move Kreis tasks to a town, and the sample-data flag on authorities.

mod pvog_common;
use backends::pvog::model::{ars_for, ars_level, build_from_seed, kreis_ars, ArsLevel};
use pvog_common::*;
use serde_json::Value;
use std::collections::HashSet;

const WOHNSITZ: &str = "99115001001000"; // Bürgerbüro
const FAHRZEUG: &str = "99036002001000"; // Straßenverkehrsamt (Kreis)

#[test]
fn counts_and_keys() {
    let d = build_from_seed().unwrap();
    let kreise = d.places.iter().filter(|p| p.kind == "Kreis").count();
    let kreisfrei = d
        .places
        .iter()
        .filter(|p| p.kind == "Kreisfreie Stadt")
        .count();
    let gemeinden = d
        .places
        .iter()
        .filter(|p| p.kind == "Stadt" || p.kind == "Gemeinde")
        .count();
    assert_eq!((kreise, kreisfrei), (31, 22));
    assert_eq!(gemeinden + kreisfrei, 396, "municipalities");
    let mut seen = HashSet::new();
    for p in &d.places {
        assert!(seen.insert(p.ars.clone()), "{} is unique", p.ars);
        let level = ars_level(&p.ars).unwrap_or_else(|| panic!("{} {} is valid", p.name, p.ars));
        // The level is the key's, and agrees with what the place says it is.
        assert_eq!(level == ArsLevel::Region, p.is_region(), "{}", p.name);
        assert_eq!(p.ars, ars_for(&p.ags, p.is_region()), "{}", p.name);
        assert!(
            !p.zips.is_empty() || p.kind == "Kreis",
            "{} has postcodes",
            p.name
        );
        if level == ArsLevel::Gemeinde {
            assert_eq!(p.district_ars.as_deref(), Some(kreis_ars(&p.ars).as_str()));
        }
    }
    // Five Regierungsbezirke, from the key's third digit.
    let rbs: HashSet<&str> = d.places.iter().map(|p| &p.ars[2..3]).collect();
    assert_eq!(rbs, HashSet::from(["1", "3", "5", "7", "9"]));
}

/// 30 places, six in each Regierungsbezirk: (postcode, municipality, Kreis).
const SAMPLE: [(&str, &str, &str); 30] = [
    ("40721", "Hilden", "Kreis Mettmann"),
    ("47665", "Sonsbeck", "Kreis Wesel"),
    ("47669", "Wachtendonk", "Kreis Kleve"),
    ("46509", "Xanten", "Kreis Wesel"),
    ("41379", "Brüggen", "Kreis Viersen"),
    ("41363", "Jüchen", "Rhein-Kreis Neuss"),
    ("53945", "Blankenheim", "Kreis Euskirchen"),
    ("53949", "Dahlem", "Kreis Euskirchen"),
    ("53940", "Hellenthal", "Kreis Euskirchen"),
    ("52156", "Monschau", "Städteregion Aachen"),
    ("52385", "Nideggen", "Kreis Düren"),
    ("52445", "Titz", "Kreis Düren"),
    ("48329", "Havixbeck", "Kreis Coesfeld"),
    ("48619", "Heek", "Kreis Borken"),
    ("49549", "Ladbergen", "Kreis Steinfurt"),
    ("48739", "Legden", "Kreis Borken"),
    ("48346", "Ostbevern", "Kreis Warendorf"),
    ("46348", "Raesfeld", "Kreis Borken"),
    ("34434", "Borgentreich", "Kreis Höxter"),
    ("32699", "Extertal", "Kreis Lippe"),
    ("32609", "Hüllhorst", "Kreis Minden-Lübbecke"),
    ("32676", "Lügde", "Kreis Lippe"),
    ("37696", "Marienmünster", "Kreis Höxter"),
    ("32369", "Rahden", "Kreis Minden-Lübbecke"),
    ("57319", "Bad Berleburg", "Kreis Siegen-Wittgenstein"),
    ("58802", "Balve", "Märkischer Kreis"),
    ("57339", "Erndtebrück", "Kreis Siegen-Wittgenstein"),
    ("59969", "Hallenberg", "Hochsauerlandkreis"),
    ("57399", "Kirchhundem", "Kreis Olpe"),
    ("59939", "Olsberg", "Hochsauerlandkreis"),
];

#[tokio::test]
async fn postcode_municipality_ars_kreis_round_trips() {
    let mut seen_rb = HashSet::new();
    for (zip, name, kreis) in SAMPLE {
        let (s, hits) = get(&format!("/pvog/v2/locations?q={zip}")).await;
        assert_eq!(s, 200);
        assert_eq!(hits[0]["name"], name, "{zip}: {hits}");
        let ars = hits[0]["ars"].as_str().unwrap().to_string();
        let ags = hits[0]["ags"].as_str().unwrap();
        assert_eq!(ars, ars_for(ags, false), "{name}");
        assert_eq!(ars_level(&ars), Some(ArsLevel::Gemeinde), "{name}");
        assert_eq!(hits[0]["district"], kreis, "{name}");
        seen_rb.insert(ars[2..3].to_string());
        // The name finds the same place.
        let (_, by_name) = get(&format!("/pvog/v2/locations?q={}", enc(name))).await;
        assert_eq!(by_name[0]["ars"], ars.as_str(), "{name}");
        // The Kreis key from the ARS is the Kreis's place.
        let (_, kreis_hits) = get(&format!("/pvog/v2/locations?q={}", enc(kreis))).await;
        assert_eq!(kreis_hits[0]["ars"], kreis_ars(&ars), "{kreis}");
        // Municipal service: the town's Bürgerbüro; Kreis service: the Kreis.
        let (_, t) = get(&format!(
            "/pvog/v2/organisationunits/titles?ars={ars}&lbId={WOHNSITZ}"
        ))
        .await;
        assert_eq!(t[0]["title"], format!("Bürgerbüro {name}"));
        let (_, t) = get(&format!(
            "/pvog/v2/organisationunits/titles?ars={ars}&lbId={FAHRZEUG}"
        ))
        .await;
        assert_eq!(t[0]["title"], format!("Straßenverkehrsamt {kreis}"));
    }
    assert_eq!(seen_rb.len(), 5, "all five Regierungsbezirke");
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_shared_postcode_offers_a_choice() {
    let (_, hits) = get("/pvog/v2/locations?q=52538").await;
    let mut n = names(&hits);
    n.sort();
    assert_eq!(n, ["Gangelt", "Selfkant"]);
    let (_, hits) = get("/pvog/v2/locations?q=52525").await;
    let mut n = names(&hits);
    n.sort();
    assert_eq!(n, ["Heinsberg", "Waldfeucht"]);
}

#[tokio::test]
async fn names_with_umlauts_bad_and_an_der_ruhr() {
    for (q, want) in [
        ("Mülheim an der Ruhr", "Mülheim an der Ruhr"),
        ("muelheim a.d. ruhr", "Mülheim an der Ruhr"),
        ("Mülheim Ruhr", "Mülheim an der Ruhr"),
        ("Bad Berleburg", "Bad Berleburg"),
        ("Berleburg", "Bad Berleburg"),
        ("bad muenstereifel", "Bad Münstereifel"),
        ("Lügde", "Lügde"),
        ("luegde", "Lügde"),
        ("Uebach-Palenberg", "Übach-Palenberg"),
        ("Fröndenberg", "Fröndenberg/Ruhr"),
        ("St. Augustin", "Sankt Augustin"),
        ("Schloss Holte", "Schloß Holte-Stukenbrock"),
        ("Haltern am See", "Haltern am See"),
    ] {
        let (s, hits) = get(&format!("/pvog/v2/locations?q={}", enc(q))).await;
        assert_eq!(s, 200);
        assert_eq!(hits[0]["name"], want, "{q}: {hits}");
    }
    // A district named by the postcode source leads to its municipality.
    let (_, hits) = get("/pvog/v2/locations?q=Dotzlar").await;
    assert_eq!(hits[0]["name"], "Bad Berleburg");
    assert_eq!(hits[0]["matchedDistrict"], "Dotzlar");
    // "Bad" alone lists the spa towns first.
    let (_, hits) = get("/pvog/v2/locations?q=Bad&limit=10").await;
    assert!(names(&hits).iter().all(|n| n.starts_with("Bad ")), "{hits}");
}

async fn title(ars: &str, lb: &str) -> String {
    let (_, t) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars={ars}&lbId={lb}"
    ))
    .await;
    t[0]["title"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn statuses_move_kreis_tasks_to_the_town() {
    let d = build_from_seed().unwrap();
    let of_type = |t: &str| {
        d.services
            .iter()
            .find(|s| s.authority_type == t)
            .map(|s| s.id.clone())
            .unwrap()
    };
    let (bau, jugend) = (of_type("Bauamt"), of_type("Jugendamt"));
    // Mittlere kreisangehörige Stadt: its own Bauaufsicht (§ 57 BauO NRW).
    assert_eq!(title(HILDEN, &bau).await, "Bauaufsicht Hilden");
    // A small Gemeinde: the Kreis.
    assert_eq!(title("051540060060", &bau).await, "Bauaufsicht Kreis Kleve");
    // Große kreisangehörige Stadt: Bauaufsicht and Jugendamt of its own.
    assert_eq!(title("051620024024", &bau).await, "Bauaufsicht Neuss");
    assert_eq!(title("051620024024", &jugend).await, "Jugendamt Neuss");
    // Aachen in the Städteregion: Jugendamt of its own, Kfz at the Städteregion.
    assert_eq!(title("053340002002", &jugend).await, "Jugendamt Aachen");
    assert_eq!(
        title("053340002002", FAHRZEUG).await,
        "Straßenverkehrsamt Städteregion Aachen"
    );
    // Monschau: everything of the Kreis at the Städteregion.
    assert_eq!(
        title("053340020020", &jugend).await,
        "Jugendamt Städteregion Aachen"
    );
}

#[tokio::test]
async fn authorities_say_they_are_sample_data() {
    let (_, t) = get(&format!(
        "/pvog/v2/organisationunits/titles?ars=053340020020&lbId={WOHNSITZ}"
    ))
    .await;
    let id = t[0]["id"].as_str().unwrap();
    let (s, unit) = get(&format!("/pvog/v5/organisationunits/detail?q={}", enc(id))).await;
    assert_eq!(s, 200, "{unit}");
    assert_eq!(unit["sampleData"], true);
}
