//! Building the PVOG model (`super::model`) from the seed files in
//! `backends/seed/pvog/` (compiled into the binary).
//!
//! The seed holds hand-written services, places and authority templates;
//! this module expands them into concrete organisation units and online
//! services, sanitises editorial HTML (at the source, once) and fingerprints
//! the seed so the database is re-seeded only when the seed changes.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

use super::model::*;

/// Bumped when the expansion logic below changes in a way that alters the rows.
const SEED_FORMAT: u32 = 3;

const SERVICES_JSON: &str = include_str!("../../seed/pvog/services.json");
const PLACES_JSON: &str = include_str!("../../seed/pvog/places.json");
const AUTHORITIES_JSON: &str = include_str!("../../seed/pvog/authorities.json");
const LEBENSLAGEN_JSON: &str = include_str!("../../seed/pvog/lebenslagen.json");

// ---------------------------------------------------------------- seed files

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedService {
    pub leika: String,
    pub name: String,
    pub name_en: String,
    pub summary: String,
    pub summary_en: String,
    pub level: String,
    pub audience: Vec<String>,
    pub authority: String,
    pub lebenslagen: Vec<String>,
    pub synonyms: Vec<String>,
    pub documents: Vec<String>,
    pub costs: String,
    pub processing_time: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub popularity: u32,
    pub online: Option<OnlineRule>,
    #[serde(default)]
    pub html: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SeedServices {
    services: Vec<SeedService>,
}

#[derive(Debug, Deserialize)]
struct SeedPlaces {
    regions: Vec<SeedRegion>,
    municipalities: Vec<SeedMunicipality>,
}

#[derive(Debug, Deserialize)]
struct SeedRegion {
    ags: String,
    ars: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    rb: String,
    zip: String,
    zips: Vec<String>,
    #[serde(default)]
    districts: Vec<String>,
    tile: [u32; 2],
    street: String,
    city: String,
    area: String,
    domain: String,
}

#[derive(Debug, Deserialize)]
struct SeedMunicipality {
    ags: String,
    ars: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// `gross` / `mittel` (Verordnung nach § 4 GO NRW), `aachen` (Aachen-Gesetz).
    status: Option<String>,
    zip: String,
    zips: Vec<String>,
    #[serde(default)]
    districts: Vec<String>,
    street: String,
    area: String,
    domain: String,
}

#[derive(Debug, Deserialize)]
struct SeedAuthorities {
    types: Vec<SeedType>,
    hours: HashMap<String, SeedHours>,
    overrides: Vec<SeedOverride>,
    /// Further units of a type at a place (a city's several Bürgerbüros):
    /// all responsible alike, so the citizen chooses where to go.
    #[serde(default)]
    branches: Vec<SeedBranch>,
    singletons: Vec<SeedSingleton>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedBranch {
    place: String,
    #[serde(rename = "type")]
    kind: String,
    /// Appended to the main unit's id (`<id>.<suffix>`).
    suffix: String,
    title: String,
    street: String,
    zip: String,
    phone: String,
    email: String,
}

#[derive(Debug, Deserialize)]
struct SeedType {
    #[serde(rename = "type")]
    kind: String,
    code: String,
    title: String,
    slug: String,
    hours: String,
    at: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct SeedHours {
    intervals: Vec<(u8, String, String)>,
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedOverride {
    place: String,
    #[serde(rename = "type")]
    kind: String,
    title: String,
    street: String,
    zip: String,
    phone: String,
    email: String,
    web: String,
    note: String,
    #[serde(default)]
    extra_hours: Vec<(u8, String, String)>,
}

#[derive(Debug, Deserialize)]
struct SeedSingleton {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    title: String,
    ars: String,
    street: String,
    zip: String,
    city: String,
    area: String,
    domain: String,
}

// ------------------------------------------------------------ building

/// A fingerprint of the seed files and the expansion logic.
pub fn seed_version() -> String {
    let mut h = Sha256::new();
    h.update(SEED_FORMAT.to_le_bytes());
    for part in [
        SERVICES_JSON,
        PLACES_JSON,
        AUTHORITIES_JSON,
        LEBENSLAGEN_JSON,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let d = h.finalize();
    d.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn parse<T: serde::de::DeserializeOwned>(file: &'static str, text: &str) -> Result<T, SeedError> {
    serde_json::from_str(text).map_err(|source| SeedError::Json { file, source })
}

/// Builds the whole dataset from the compiled-in seed files.
pub fn build_from_seed() -> Result<Dataset, SeedError> {
    let services: SeedServices = parse("services.json", SERVICES_JSON)?;
    let places: SeedPlaces = parse("places.json", PLACES_JSON)?;
    let auth: SeedAuthorities = parse("authorities.json", AUTHORITIES_JSON)?;
    let lebenslagen: Vec<Lebenslage> = parse("lebenslagen.json", LEBENSLAGEN_JSON)?;
    let slugs: HashSet<&str> = lebenslagen.iter().map(|l| l.slug.as_str()).collect();

    // Places.
    let mut out_places = Vec::new();
    let mut region_info: HashMap<String, (&SeedRegion, String)> = HashMap::new();
    for r in &places.regions {
        if !is_digits(&r.ags, 8)
            || r.ars != ars_for(&r.ags, true)
            || ars_level(&r.ars) != Some(ArsLevel::Region)
        {
            return Err(SeedError::Invalid(format!("bad region AGS/ARS {}", r.ags)));
        }
        region_info.insert(r.ags[..5].to_string(), (r, r.ars.clone()));
        out_places.push(Place {
            ars: r.ars.clone(),
            ags: r.ags.clone(),
            name: r.name.clone(),
            kind: r.kind.clone(),
            zip: r.zip.clone(),
            zips: r.zips.clone(),
            district: None,
            district_ars: None,
            tile: Some((r.tile[0], r.tile[1])),
            large: false,
            status: None,
            rb: r.rb.clone(),
            districts: r.districts.clone(),
        });
    }
    for m in &places.municipalities {
        if !is_digits(&m.ags, 8)
            || m.ars != ars_for(&m.ags, false)
            || ars_level(&m.ars) != Some(ArsLevel::Gemeinde)
        {
            return Err(SeedError::Invalid(format!(
                "bad municipal AGS/ARS {}",
                m.ags
            )));
        }
        // The Kreis comes from the key, not from a list.
        let (kreis, kreis_ars) = region_info
            .get(&m.ags[..5])
            .filter(|(_, ars)| *ars == kreis_ars(&m.ars))
            .ok_or_else(|| SeedError::Invalid(format!("no Kreis for {}", m.ags)))?;
        if let Some(bad) = m
            .status
            .as_deref()
            .filter(|s| !["gross", "mittel", "aachen"].contains(s))
        {
            return Err(SeedError::Invalid(format!("{}: status {bad}", m.ags)));
        }
        out_places.push(Place {
            ars: m.ars.clone(),
            ags: m.ags.clone(),
            name: m.name.clone(),
            kind: m.kind.clone(),
            zip: m.zip.clone(),
            zips: m.zips.clone(),
            district: Some(kreis.name.clone()),
            district_ars: Some(kreis_ars.clone()),
            tile: None,
            large: m.status.as_deref() == Some("gross"),
            status: m.status.clone(),
            rb: kreis.rb.clone(),
            districts: m.districts.clone(),
        });
    }

    // Authorities: templates × places, then overrides, then singletons.
    let hours_of = |key: &str| -> Result<&SeedHours, SeedError> {
        auth.hours
            .get(key)
            .ok_or_else(|| SeedError::Invalid(format!("unknown hours profile {key}")))
    };
    let intervals = |list: &[(u8, String, String)]| -> Vec<Interval> {
        list.iter()
            .map(|(day, opens, closes)| Interval {
                day: *day,
                opens: opens.clone(),
                closes: closes.clone(),
            })
            .collect()
    };
    let mut authorities = Vec::new();
    struct Site<'a> {
        ags: &'a str,
        name: &'a str,
        city: &'a str,
        street: &'a str,
        zip: &'a str,
        area: &'a str,
        domain: &'a str,
        kinds: Vec<&'static str>,
    }
    let mut sites = Vec::new();
    for r in &places.regions {
        let kind = if r.kind == "Kreis" {
            "kreis"
        } else {
            "kreisfrei"
        };
        sites.push(Site {
            ags: &r.ags,
            name: &r.name,
            city: &r.city,
            street: &r.street,
            zip: &r.zip,
            area: &r.area,
            domain: &r.domain,
            kinds: vec![kind],
        });
    }
    for m in &places.municipalities {
        let mut kinds = vec!["gemeinde"];
        match m.status.as_deref() {
            Some("gross") => kinds.push("gross"),
            Some("mittel") => kinds.push("mittel"),
            Some("aachen") => kinds.push("aachen"),
            _ => {}
        }
        sites.push(Site {
            ags: &m.ags,
            name: &m.name,
            city: &m.name,
            street: &m.street,
            zip: &m.zip,
            area: &m.area,
            domain: &m.domain,
            kinds,
        });
    }
    for site in &sites {
        for t in &auth.types {
            if !t.at.iter().any(|a| site.kinds.contains(&a.as_str())) {
                continue;
            }
            let h = hours_of(&t.hours)?;
            let region = site.kinds.contains(&"kreis") || site.kinds.contains(&"kreisfrei");
            let mut a = Authority {
                id: format!("L100012.OE.{}{}", site.ags, t.code),
                title: t
                    .title
                    .replace("{place}", site.name)
                    .replace("{city}", site.city),
                authority_type: t.kind.clone(),
                ars: ars_for(site.ags, region),
                street: site.street.to_string(),
                zip: site.zip.to_string(),
                city: site.city.to_string(),
                phone: format!("{} 000-{}", site.area, t.code),
                email: format!("{}@{}.example", t.slug, site.domain),
                web: format!("https://www.{}.example/{}", site.domain, t.slug),
                hours: intervals(&h.intervals),
                hours_note: h.note.clone(),
                sample_data: true,
            };
            if let Some(o) = auth
                .overrides
                .iter()
                .find(|o| o.place == site.ags && o.kind == t.kind)
            {
                a.title = o.title.clone();
                a.street = o.street.clone();
                a.zip = o.zip.clone();
                a.phone = o.phone.clone();
                a.email = o.email.clone();
                a.web = o.web.clone();
                a.hours_note = o.note.clone();
                a.hours.extend(intervals(&o.extra_hours));
            }
            let mut branches = Vec::new();
            for b in auth
                .branches
                .iter()
                .filter(|b| b.place == site.ags && b.kind == t.kind)
            {
                if b.suffix.is_empty() || !b.suffix.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(SeedError::Invalid(format!("branch suffix {}", b.suffix)));
                }
                branches.push(Authority {
                    id: format!("{}.{}", a.id, b.suffix),
                    title: b.title.clone(),
                    street: b.street.clone(),
                    zip: b.zip.clone(),
                    phone: b.phone.clone(),
                    email: b.email.clone(),
                    hours: intervals(&h.intervals),
                    hours_note: h.note.clone(),
                    ..a.clone()
                });
            }
            // The main unit first: it is the one named when only one is shown.
            authorities.push(a);
            authorities.extend(branches);
        }
    }
    let bund_hours = hours_of("bund")?;
    for s in &auth.singletons {
        authorities.push(Authority {
            id: s.id.clone(),
            title: s.title.clone(),
            authority_type: s.kind.clone(),
            ars: s.ars.clone(),
            street: s.street.clone(),
            zip: s.zip.clone(),
            city: s.city.clone(),
            phone: format!("{} 000-100", s.area),
            email: format!("service@{}.example", s.domain),
            web: format!("https://www.{}.example", s.domain),
            hours: intervals(&bund_hours.intervals),
            hours_note: bund_hours.note.clone(),
            sample_data: true,
        });
    }

    // Services and their online services.
    let mut out_services = Vec::new();
    let mut online_services = Vec::new();
    let mut seen = HashSet::new();
    for s in services.services {
        if !is_digits(&s.leika, 14) || !seen.insert(s.leika.clone()) {
            return Err(SeedError::Invalid(format!(
                "bad or duplicate LeiKa key {}",
                s.leika
            )));
        }
        if !LEVELS.contains(&s.level.as_str()) {
            return Err(SeedError::Invalid(format!(
                "{}: level {}",
                s.leika, s.level
            )));
        }
        if let Some(bad) = s.audience.iter().find(|a| !AUDIENCES.contains(&a.as_str())) {
            return Err(SeedError::Invalid(format!("{}: audience {bad}", s.leika)));
        }
        if let Some(bad) = s.lebenslagen.iter().find(|l| !slugs.contains(l.as_str())) {
            return Err(SeedError::Invalid(format!("{}: lebenslage {bad}", s.leika)));
        }
        if let Some(rule) = &s.online {
            if !TRUST_LEVELS.contains(&rule.trust.as_str()) {
                return Err(SeedError::Invalid(format!(
                    "{}: trust {}",
                    s.leika, rule.trust
                )));
            }
        }
        let service = Service {
            id: s.leika.clone(),
            leika_id: s.leika.clone(),
            name: s.name,
            name_en: s.name_en,
            summary: s.summary,
            summary_en: s.summary_en,
            level: s.level,
            audience: s.audience,
            lebenslagen: s.lebenslagen,
            synonyms: s.synonyms,
            documents: s.documents,
            costs: s.costs,
            processing_time: s.processing_time,
            legal_basis: s.legal_basis,
            eligibility: s.eligibility,
            authority_type: s.authority,
            popularity: s.popularity,
            online: s.online,
            description_html: s.html.as_deref().map(sanitize_html).unwrap_or_default(),
        };
        online_services.extend(expand_online(&service, &out_places));
        out_services.push(service);
    }

    Ok(Dataset {
        services: out_services,
        places: out_places,
        authorities,
        online_services,
        lebenslagen,
    })
}
