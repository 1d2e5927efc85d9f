//! The PVOG data model: services, places, organisation units, online
//! services and Lebenslagen as stored and served, the ARS rules of NRW, and
//! the sanitising of editorial HTML. How the model is built from the seed
//! files in `backends/seed/pvog/` is in `super::seed` (re-exported here).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

pub use super::seed::{build_from_seed, seed_version, SeedService};

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

// ------------------------------------------------------------ ARS

pub(crate) fn is_digits(s: &str, n: usize) -> bool {
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
        // +1 Mittlere (Bauaufsicht), +2 Große (and Jugendamt), +3 Aachen;
        // 3 branches (Köln's further Kundenzentren).
        assert_eq!(
            d.authorities.len(),
            53 * 24 + 206 * 11 + 132 * 12 + 35 * 13 + 14 + 16 + 3
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
            (860, 17369),
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
