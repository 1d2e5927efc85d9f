//! The PVOG data model and how it is built from the seed files in
//! `backends/seed/pvog/` (compiled into the binary).
//!
//! The seed holds hand-written services, places and authority templates; this
//! module expands them into concrete organisation units and online services,
//! sanitises editorial HTML (at the source, once) and fingerprints the seed so
//! the database is re-seeded only when the seed changes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Bumped when the expansion logic below changes in a way that alters the rows.
const SEED_FORMAT: u32 = 3;

const SERVICES_JSON: &str = include_str!("../../seed/pvog/services.json");
const PLACES_JSON: &str = include_str!("../../seed/pvog/places.json");
const AUTHORITIES_JSON: &str = include_str!("../../seed/pvog/authorities.json");
const LEBENSLAGEN_JSON: &str = include_str!("../../seed/pvog/lebenslagen.json");

/// ARS of the pseudo-places holding state-wide and federal organisation units.
pub const ARS_LAND: &str = "050000000000";
pub const ARS_BUND: &str = "000000000000";

pub const LEVELS: [&str; 3] = ["kommune", "land", "bund"];
pub const AUDIENCES: [&str; 2] = ["citizen", "business"];
pub const TRUST_LEVELS: [&str; 3] = [
    "STORK-QAA-Level-1",
    "STORK-QAA-Level-3",
    "STORK-QAA-Level-4",
];

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed file {file} is invalid: {source}")]
    Json {
        file: &'static str,
        source: serde_json::Error,
    },
    #[error("seed is inconsistent: {0}")]
    Invalid(String),
}

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

/// Where a service can be done online, and through whom.
///
/// With `portal: true` the Bürgeramt portal hosts the form: its online
/// service (a link into the portal) is listed wherever the portal's
/// FIT-Connect destination serves, that is in `regions` (ARS prefixes, as
/// the destinations read them) or, without regions, in all of NRW (federal
/// services: everywhere). Everywhere else the service is online where the
/// place has an Onlinedienst of its own: everywhere for `share: 100`,
/// otherwise in about `share` percent of places (stable hash of the ARS)
/// plus `regions`. Those Onlinedienste are invented: their links go to the
/// reserved `.example` domain and are marked as sample data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OnlineRule {
    pub trust: String,
    pub share: u8,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub portal: bool,
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

// ------------------------------------------------------------ stored model

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: String,
    pub leika_id: String,
    pub name: String,
    pub name_en: String,
    pub summary: String,
    pub summary_en: String,
    pub level: String,
    pub audience: Vec<String>,
    pub lebenslagen: Vec<String>,
    pub synonyms: Vec<String>,
    pub documents: Vec<String>,
    pub costs: String,
    pub processing_time: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub authority_type: String,
    pub popularity: u32,
    pub online: Option<OnlineRule>,
    /// Sanitised editorial HTML (may be empty).
    pub description_html: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    pub ars: String,
    pub ags: String,
    pub name: String,
    /// `Kreisfreie Stadt`, `Kreis`, `Stadt`, `Gemeinde`.
    pub kind: String,
    pub zip: String,
    pub zips: Vec<String>,
    /// The Kreis of a kreisangehörige Gemeinde.
    pub district: Option<String>,
    pub district_ars: Option<String>,
    /// Tile-map position (regions only).
    pub tile: Option<(u32, u32)>,
    /// Große kreisangehörige Stadt.
    pub large: bool,
    /// `gross`, `mittel` or `aachen` for kreisangehörige Städte with more tasks.
    #[serde(default)]
    pub status: Option<String>,
    /// Regierungsbezirk (name).
    #[serde(default)]
    pub rb: String,
    /// Districts (Ortsteile) named by the postcode source, for the name search.
    #[serde(default)]
    pub districts: Vec<String>,
}

impl Place {
    pub fn is_region(&self) -> bool {
        self.kind == "Kreisfreie Stadt" || self.kind == "Kreis"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub day: u8,
    pub opens: String,
    pub closes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Authority {
    pub id: String,
    pub title: String,
    pub authority_type: String,
    /// The place this unit belongs to (or [`ARS_LAND`], [`ARS_BUND`], a Regierungsbezirk).
    pub ars: String,
    pub street: String,
    pub zip: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    pub web: String,
    pub hours: Vec<Interval>,
    pub hours_note: String,
    /// Contact details invented by the stand-in (all of them, today).
    #[serde(default)]
    pub sample_data: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OnlineService {
    pub id: String,
    pub service_id: String,
    /// The place offering it, or [`ARS_LAND`] / [`ARS_BUND`] for one shared service.
    pub ars: String,
    pub title: String,
    /// A path into the portal (`/antrag/…`) or an absolute `https` link to
    /// another Onlinedienst.
    pub uri: String,
    pub trust_level: String,
    /// Invented by the stand-in (an Onlinedienst that does not exist).
    #[serde(default)]
    pub sample_data: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Lebenslage {
    pub slug: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub description_en: String,
}

/// Everything the PVOG stand-in serves, as stored in SQLite.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub services: Vec<Service>,
    pub places: Vec<Place>,
    pub authorities: Vec<Authority>,
    pub online_services: Vec<OnlineService>,
    pub lebenslagen: Vec<Lebenslage>,
}

// ------------------------------------------------------------ sanitising

/// Sanitises editorial HTML: only p, ul, ol, li, strong, em, a[href] (http/https,
/// rel="noopener noreferrer"), br and h3 survive; script/style lose their content.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::empty()
        .add_tags(["p", "ul", "ol", "li", "strong", "em", "a", "br", "h3"])
        .add_tag_attributes("a", ["href"])
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .strip_comments(true)
        .clean(html)
        .to_string()
}

/// Escapes plain text for embedding in HTML.
pub fn escape_text(text: &str) -> String {
    ammonia::clean_text(text)
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

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// ARS of a place from its AGS: kreisfreie Städte and Kreise are padded with
/// zeros; kreisangehörige Gemeinden in NRW repeat the Gemeinde number as their
/// Verband (e.g. Hilden 05158016 → 051580016016).
pub fn ars_for(ags: &str, region: bool) -> String {
    if region {
        format!("{ags}0000")
    } else {
        format!("{}0{}{}", &ags[..5], &ags[5..], &ags[5..])
    }
}

/// The level of a place, read from its 12-digit ARS alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArsLevel {
    /// Land + RB + Kreis, the rest zeros: a Kreis or a kreisfreie Stadt.
    Region,
    /// A kreisangehörige Gemeinde (NRW: Verband = 0 + Gemeinde number).
    Gemeinde,
}

/// Checks a 12-digit NRW ARS and returns its level: `None` for anything
/// that is not a well-formed NRW Kreis/kreisfreie Stadt or Gemeinde key.
pub fn ars_level(ars: &str) -> Option<ArsLevel> {
    if !is_digits(ars, 12) || !ars.starts_with("05") || !"13579".contains(&ars[2..3]) {
        return None;
    }
    if &ars[3..5] == "00" {
        return None;
    }
    if &ars[5..] == "0000000" {
        return Some(ArsLevel::Region);
    }
    let (verband, gemeinde) = (&ars[5..9], &ars[9..]);
    (verband.starts_with('0') && &verband[1..] == gemeinde && gemeinde != "000")
        .then_some(ArsLevel::Gemeinde)
}

/// The ARS of the Kreis a Gemeinde belongs to.
pub fn kreis_ars(ars: &str) -> String {
    format!("{}0000000", &ars[..5])
}

/// Stable pseudo-random decision whether `service` is online at `ars`.
fn online_here(rule: &OnlineRule, leika: &str, ars: &str) -> bool {
    if rule.regions.iter().any(|r| r == ars) {
        return true;
    }
    let d = Sha256::digest(format!("{leika}|{ars}").as_bytes());
    let v = u16::from_be_bytes([d[0], d[1]]) % 100;
    (v as u32) < rule.share as u32
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

/// Whether the portal's own destination serves `ars` (the FIT-Connect
/// stand-in's rule, `fitconnect::destinations`): a region matches the ARS
/// that start with it once its trailing zeros are dropped.
fn portal_serves(rule: &OnlineRule, ars: &str) -> bool {
    rule.portal
        && (rule.regions.is_empty()
            || rule
                .regions
                .iter()
                .any(|r| ars.starts_with(r.trim_end_matches('0'))))
}

/// The online services of one service: one shared one for state-wide and
/// federal services available everywhere, otherwise one per offering place.
/// Each is either the portal's own form or a place's own (invented)
/// Onlinedienst; see [`OnlineRule`].
pub fn expand_online(service: &Service, places: &[Place]) -> Vec<OnlineService> {
    let Some(rule) = &service.online else {
        return Vec::new();
    };
    let make = |ars: &str, ags: &str, where_: &str, portal: bool| {
        let (title, uri) = if portal {
            (
                format!("{} – Bürgeramt NRW", service.name),
                format!("/antrag/{}", service.id),
            )
        } else {
            (
                format!("{} – Onlinedienst {where_} (Beispieldaten)", service.name),
                format!("https://onlinedienste.example/{ags}/{}", service.leika_id),
            )
        };
        OnlineService {
            id: format!("L100012.OD.{}{}", service.leika_id, ags),
            service_id: service.id.clone(),
            ars: ars.to_string(),
            title,
            uri,
            trust_level: rule.trust.clone(),
            sample_data: !portal,
        }
    };
    let shared = service.level != "kommune"
        && ((rule.portal && rule.regions.is_empty()) || (!rule.portal && rule.share >= 100));
    if shared {
        let (ars, ags, where_) = if service.level == "bund" {
            (ARS_BUND, "00000000", "des Bundes")
        } else {
            (ARS_LAND, "05000000", "NRW")
        };
        return vec![make(ars, ags, where_, rule.portal)];
    }
    places
        .iter()
        .filter_map(|p| {
            if portal_serves(rule, &p.ars) {
                Some(make(&p.ars, &p.ags, &p.name, true))
            } else if online_here(rule, &service.leika_id, &p.ars) {
                Some(make(&p.ars, &p.ags, &p.name, false))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_builds_and_is_consistent() {
        let d = build_from_seed().unwrap();
        assert!(d.services.len() >= 80);
        assert_eq!(d.places.iter().filter(|p| p.is_region()).count(), 53);
        // docs/backends.md, "Counts (seed)": 24 per region, 11 per Gemeinde,
        // +1 Mittlere (Bauaufsicht), +2 Große (and Jugendamt), +3 Aachen.
        assert_eq!(
            d.authorities.len(),
            53 * 24 + 206 * 11 + 132 * 12 + 35 * 13 + 14 + 16
        );
        assert!(d.authorities.iter().all(|a| a.sample_data));
        let ids: HashSet<_> = d.authorities.iter().map(|a| &a.id).collect();
        assert_eq!(ids.len(), d.authorities.len(), "authority ids are unique");
        let ods: HashSet<_> = d.online_services.iter().map(|o| &o.id).collect();
        assert_eq!(ods.len(), d.online_services.len(), "online ids are unique");
        let portal = d.online_services.iter().filter(|o| !o.sample_data).count();
        // docs/backends.md, "Counts (seed)".
        assert_eq!(
            (portal, d.online_services.len() - portal),
            (859, 17369),
            "portal and invented online services"
        );
    }

    #[test]
    fn ars_rules() {
        assert_eq!(ars_for("05315000", true), "053150000000");
        assert_eq!(ars_for("05158016", false), "051580016016");
        assert_eq!(ars_level("053150000000"), Some(ArsLevel::Region));
        assert_eq!(ars_level("051580016016"), Some(ArsLevel::Gemeinde));
        assert_eq!(kreis_ars("051580016016"), "051580000000");
        for bad in [
            "051580016017", // Verband and Gemeinde disagree
            "051580000016", // no Verband
            "052580016016", // no Regierungsbezirk 2
            "060000000000", // not NRW
            "051000000000", // a Regierungsbezirk, not a place
            "05158001601",  // 11 digits
        ] {
            assert_eq!(ars_level(bad), None, "{bad}");
        }
    }

    #[test]
    fn sanitiser_keeps_only_the_allowed_subset() {
        let out = sanitize_html(
            "<p onclick=\"x()\">Hi <script>alert(1)</script><a href=\"javascript:x\">j</a>\
             <a href=\"https://a.example\" target=\"_blank\">ok</a><img src=x onerror=y></p>",
        );
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("alert"));
        assert!(!out.contains("javascript") && !out.contains("img") && !out.contains("target"));
        assert!(out.contains("<a href=\"https://a.example\" rel=\"noopener noreferrer\">ok</a>"));
    }
}
