//! The PVOG search backend's answers (docs/backends.md, section 1), as typed
//! Rust values. Decoding is lenient about missing optional fields (they get
//! defaults) but strict about types: a number where a string belongs is an
//! error, never a panic.

use serde::Deserialize;

pub use contract::offer::Offer;
use contract::offer::OnlineLink;

use super::trust::TrustLevel;

/// A place from `GET /v2/locations?q=`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub ars: String,
    #[serde(default)]
    pub ags: String,
    pub name: String,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub zips: Vec<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
}

/// One hit of a search page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSummary {
    pub id: String,
    #[serde(default)]
    pub leika_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub audience: Vec<String>,
    #[serde(default)]
    pub lebenslagen: Vec<String>,
    #[serde(default)]
    pub online: bool,
    #[serde(default)]
    pub trust_level: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

impl ServiceSummary {
    /// The trust level needed online at the chosen place, if known.
    pub fn trust(&self) -> Option<TrustLevel> {
        self.trust_level.as_deref().and_then(TrustLevel::from_stork)
    }
}

/// A Spring-style page of search results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    #[serde(default)]
    pub content: Vec<ServiceSummary>,
    #[serde(default)]
    pub total_elements: u64,
    #[serde(default)]
    pub total_pages: u32,
    #[serde(default)]
    pub number: u32,
    #[serde(default)]
    pub size: u32,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub suggestion: Option<String>,
}

impl SearchPage {
    /// Is there a page after this one?
    pub fn has_next(&self) -> bool {
        self.number.saturating_add(1) < self.total_pages
    }
    /// Is there a page before this one?
    pub fn has_previous(&self) -> bool {
        self.number > 0
    }
}

/// A reference to a Lebenslage inside a service detail.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LebenslageRef {
    pub slug: String,
    pub name: String,
}

/// One HTML section of a service detail (`text` is sanitised at the source).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DetailSection {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// The text's language (`de` or `en`), as PVOG states it; German when
    /// not stated.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Where a service detail was looked up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlaceRef {
    pub ars: String,
    #[serde(default)]
    pub name: String,
}

/// An authority responsible for a service at a place.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrganisationRef {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub role: Option<String>,
}

/// `GET /v6/servicedescriptions/{id}/detail?ars=`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDetail {
    pub id: String,
    #[serde(default)]
    pub leika_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub audience: Vec<String>,
    #[serde(default)]
    pub lebenslagen: Vec<LebenslageRef>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    #[serde(default)]
    pub authority_type: Option<String>,
    #[serde(default)]
    pub details: Vec<DetailSection>,
    #[serde(default)]
    pub costs: Option<String>,
    #[serde(default)]
    pub processing_time: Option<String>,
    #[serde(default)]
    pub legal_basis: Option<String>,
    #[serde(default)]
    pub documents: Vec<String>,
    #[serde(default)]
    pub eligibility: Option<String>,
    #[serde(default)]
    pub location: Option<PlaceRef>,
    #[serde(default)]
    pub organisations: Vec<OrganisationRef>,
    /// PVOG's online services of the service at the place.
    #[serde(default)]
    pub online_services: Vec<OnlineLink>,
    /// The relay's answer how the service can be applied for at the place
    /// (only with a place).
    #[serde(default)]
    pub offer: Option<Offer>,
    #[serde(default)]
    pub lang: Option<String>,
}

impl ServiceDetail {
    /// How the service can be applied for at the place: the relay's
    /// `offer`, or (from an older relay) what PVOG's links say.
    pub fn offer(&self) -> Offer {
        self.offer
            .clone()
            .unwrap_or_else(|| Offer::decide(None, &self.online_services))
    }

    /// The authority to show: the "zuständige Stelle" if one is marked,
    /// otherwise the first listed.
    /// Every unit responsible at the chosen place (a city may have several
    /// Bürgerbüros that all offer the service); all of them without roles.
    pub fn responsible_organisations(&self) -> Vec<&OrganisationRef> {
        let responsible = |o: &&OrganisationRef| {
            o.role
                .as_deref()
                .is_some_and(|r| r.to_lowercase().contains("zuständig"))
        };
        let with_role: Vec<_> = self.organisations.iter().filter(responsible).collect();
        if with_role.is_empty() {
            self.organisations.iter().collect()
        } else {
            with_role
        }
    }

    pub fn responsible_organisation(&self) -> Option<&OrganisationRef> {
        self.organisations
            .iter()
            .find(|o| {
                o.role
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase().contains("zuständig"))
            })
            .or_else(|| self.organisations.first())
    }
}

/// Address of an organisation unit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub zip: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub ars: Option<String>,
}

/// A way to reach an organisation unit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Contact {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// One opening interval as served ("08:00"–"12:00" on day 1 = Monday).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OpeningHours {
    pub day: u8,
    pub opens: String,
    pub closes: String,
}

/// `GET /v5/organisationunits/detail?q=<OE-id>`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationUnit {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub authority_type: Option<String>,
    #[serde(default)]
    pub location: Option<Address>,
    #[serde(default)]
    pub communication_systems: Vec<Contact>,
    #[serde(default)]
    pub opening_hours: Vec<OpeningHours>,
    #[serde(default)]
    pub opening_hours_note: Option<String>,
    /// The stand-in invented these contact details (`sampleData`).
    #[serde(default)]
    pub sample_data: bool,
}

impl OrganisationUnit {
    fn contacts(&self, kind: &str) -> impl Iterator<Item = &str> {
        let kind = kind.to_string();
        self.communication_systems
            .iter()
            .filter(move |c| c.kind.eq_ignore_ascii_case(&kind) && !c.value.trim().is_empty())
            .map(|c| c.value.trim())
    }
    pub fn phones(&self) -> Vec<&str> {
        self.contacts("phone").collect()
    }
    pub fn emails(&self) -> Vec<&str> {
        self.contacts("email").collect()
    }
    /// Web links, only http(s) ones (never `javascript:`).
    pub fn websites(&self) -> Vec<&str> {
        self.contacts("web")
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .collect()
    }
}

/// `GET /api/v1/catalogue/lebenslagen` (derived by the relay).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lebenslage {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub service_count: u32,
    /// The relay could not read PVOG lately: the list may be out of date.
    #[serde(default)]
    pub stale: bool,
    /// When the relay read the list (Unix seconds).
    #[serde(default)]
    pub as_of: Option<i64>,
}

/// Where a region sits on the tile map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Tile {
    pub col: u16,
    pub row: u16,
}

/// One Kreis or kreisfreie Stadt in the overview.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionOverview {
    pub ars: String,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    pub tile: Tile,
    #[serde(default)]
    pub online_count: u32,
    #[serde(default)]
    pub total: u32,
    #[serde(default)]
    pub online_share: f64,
}

impl RegionOverview {
    /// The share as a whole percentage, clamped to 0..=100.
    pub fn percent(&self) -> u8 {
        share_percent(self.online_share)
    }
}

/// A service and the regions where it is online.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOverview {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub online_regions: Vec<String>,
}

/// `GET /api/v1/catalogue/overview` (derived by the relay).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Overview {
    #[serde(default)]
    pub regions: Vec<RegionOverview>,
    #[serde(default)]
    pub services: Vec<ServiceOverview>,
    /// As [`Lebenslage::stale`].
    #[serde(default)]
    pub stale: bool,
    #[serde(default, rename = "asOf")]
    pub as_of: Option<i64>,
}

impl Overview {
    /// Columns and rows the tile map needs.
    pub fn grid_size(&self) -> (u16, u16) {
        let cols = self
            .regions
            .iter()
            .map(|r| r.tile.col)
            .max()
            .map_or(0, |c| c + 1);
        let rows = self
            .regions
            .iter()
            .map(|r| r.tile.row)
            .max()
            .map_or(0, |r| r + 1);
        (cols, rows)
    }

    /// The name of a region by its ARS.
    pub fn region_name(&self, ars: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.ars == ars)
            .map(|r| r.name.as_str())
    }

    /// The tile of a place: the region itself, or the Kreis of a
    /// kreisangehörige Gemeinde (its ARS prefix + `0000000`).
    pub fn region_of(&self, ars: &str) -> Option<&RegionOverview> {
        let prefix = ars.get(..5).filter(|_| ars.len() == 12)?;
        let kreis = format!("{prefix}0000000");
        self.regions.iter().find(|r| r.ars == kreis)
    }
}

/// 0.0..=1.0 → 0..=100, robust against NaN and out-of-range values.
pub fn share_percent(share: f64) -> u8 {
    if !share.is_finite() {
        return 0;
    }
    (share.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// The colour class (0..=4) of a share on the map: 0–19 %, 20–39 %, …, 80–100 %.
pub fn share_class(share: f64) -> u8 {
    (share_percent(share) / 20).min(4)
}

/// The language of a catalogue text as an HTML `lang` value: PVOG's texts
/// are German unless they say otherwise. Marked even where it matches the
/// interface, so that a German text in the English interface is read as
/// German (WCAG 3.1.2).
pub fn text_lang(lang: Option<&str>) -> &'static str {
    match lang {
        Some("en") => "en",
        _ => "de",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_locations() {
        let json = r#"[{"ars":"053150000000","ags":"05315000","name":"Köln","zip":"50667",
            "zips":["50667","50668"],"type":"Kreisfreie Stadt","district":null},
            {"ars":"053340002002","ags":"05334002","name":"Aachen","zip":"52062"}]"#;
        let l: Vec<Location> = serde_json::from_str(json).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].kind.as_deref(), Some("Kreisfreie Stadt"));
        assert_eq!(l[0].zips.len(), 2);
        assert_eq!(l[1].district, None);
        assert!(l[1].zips.is_empty());
    }

    #[test]
    fn decodes_a_search_page() {
        let json = r#"{
          "content": [{
            "id": "99085001012000", "leikaId": "99085001012000",
            "name": "Reisepass beantragen", "summary": "Plain-language summary.",
            "level": "kommune", "audience": ["citizen"], "lebenslagen": ["reisen"],
            "online": true, "trustLevel": "STORK-QAA-Level-4", "lang": "de"
          }],
          "totalElements": 3, "totalPages": 1, "number": 0, "size": 20,
          "query": "reisepass", "suggestion": null
        }"#;
        let p: SearchPage = serde_json::from_str(json).unwrap();
        assert_eq!(p.total_elements, 3);
        assert_eq!(p.content[0].trust(), Some(TrustLevel::Level4));
        assert!(p.content[0].online);
        assert!(!p.has_next());
        assert!(!p.has_previous());
        assert_eq!(p.suggestion, None);
    }

    #[test]
    fn search_page_tolerates_missing_optional_fields() {
        let p: SearchPage =
            serde_json::from_str(r#"{"content":[{"id":"1","name":"Hund anmelden"}]}"#).unwrap();
        assert_eq!(p.content[0].summary, "");
        assert!(!p.content[0].online);
        assert_eq!(p.content[0].trust(), None);
        let p: SearchPage = serde_json::from_str(
            r#"{"content":[],"totalElements":45,"totalPages":3,"number":1,"size":20,"suggestion":"personalausweis"}"#,
        )
        .unwrap();
        assert!(p.has_next() && p.has_previous());
        assert_eq!(p.suggestion.as_deref(), Some("personalausweis"));
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        assert!(
            serde_json::from_str::<SearchPage>(r#"{"content":[{"id":5,"name":"x"}]}"#).is_err()
        );
        assert!(serde_json::from_str::<SearchPage>(r#"{"content":"nope"}"#).is_err());
        assert!(serde_json::from_str::<SearchPage>(r#"{"totalElements":-1}"#).is_err());
        assert!(serde_json::from_str::<Vec<Location>>(r#"{"ars":"1"}"#).is_err());
        assert!(serde_json::from_str::<OrganisationUnit>(
            r#"{"id":"x","openingHours":[{"day":"Mo"}]}"#
        )
        .is_err());
        assert!(
            serde_json::from_str::<Overview>(r#"{"regions":[{"ars":"1","name":"x"}]}"#).is_err()
        );
        assert!(serde_json::from_str::<ServiceDetail>("not json").is_err());
    }

    #[test]
    fn decodes_a_service_detail() {
        let json = r#"{
          "id": "99085001012000", "leikaId": "99085001012000", "name": "Reisepass beantragen",
          "summary": "Kurz.", "level": "kommune",
          "audience": ["citizen"], "lebenslagen": [{"slug": "umzug", "name": "Umzug"}],
          "synonyms": ["ummelden"], "authorityType": "Bürgerbüro",
          "details": [{"type": "description", "title": "Beschreibung", "text": "<p>sanitised HTML</p>"}],
          "costs": "37,50 Euro", "processingTime": "3 Wochen", "legalBasis": "PassG",
          "documents": ["Personalausweis", "Foto"], "eligibility": "Deutsche",
          "location": {"ars": "053150000000", "name": "Köln"},
          "organisations": [{"id": "L100012.OE.1", "title": "Amt A", "role": "mitwirkende Stelle"},
                            {"id": "L100012.OE.2", "title": "Kundenzentrum", "role": "zuständige Stelle"}],
          "onlineServices": [{"id": "L100012.OD.1", "title": "Online", "uri": "/antrag/99085001012000", "vertrauensniveau": "STORK-QAA-Level-1"}],
          "lang": "de"
        }"#;
        let d: ServiceDetail = serde_json::from_str(json).unwrap();
        assert_eq!(d.details[0].text, "<p>sanitised HTML</p>");
        assert_eq!(d.lebenslagen[0].slug, "umzug");
        assert_eq!(d.responsible_organisation().unwrap().id, "L100012.OE.2");
        let ids = |d: &ServiceDetail| -> Vec<String> {
            d.responsible_organisations()
                .iter()
                .map(|o| o.id.clone())
                .collect()
        };
        assert_eq!(ids(&d), ["L100012.OE.2"]);
        // Several responsible alike (a city's Bürgerbüros), in their order.
        let mut several = d.clone();
        several.organisations.push(OrganisationRef {
            id: "L100012.OE.2.2".into(),
            title: "Kundenzentrum Porz".into(),
            role: Some("zuständige Stelle".into()),
        });
        assert_eq!(ids(&several), ["L100012.OE.2", "L100012.OE.2.2"]);
        // Without roles, all of them.
        several.organisations.iter_mut().for_each(|o| o.role = None);
        assert_eq!(ids(&several).len(), 3);
        // Without the relay's offer, PVOG's link into the portal counts.
        assert_eq!(
            d.offer(),
            Offer::Portal {
                trust_level: Some("STORK-QAA-Level-1".into())
            }
        );
        assert_eq!(d.location.unwrap().name, "Köln");
    }

    #[test]
    fn the_relays_offer_wins_over_pvogs_links() {
        let d: ServiceDetail = serde_json::from_str(
            r#"{"id":"1","name":"Hundesteuer","onlineServices":[{"title":"t","uri":"/antrag/1"}],
                "offer":{"kind":"external","uri":"https://stadt.example/hund","title":"Stadt","sampleData":true}}"#,
        )
        .unwrap();
        assert!(matches!(
            d.offer(),
            Offer::External { sample_data: true, ref uri, .. } if uri == "https://stadt.example/hund"
        ));
    }

    #[test]
    fn detail_without_online_services_or_organisations() {
        let d: ServiceDetail = serde_json::from_str(
            r#"{"id":"1","name":"Fischereischein","onlineServices":[{"id":"x","title":"t","uri":" "}]}"#,
        )
        .unwrap();
        assert_eq!(d.offer(), Offer::InPerson);
        assert!(d.responsible_organisation().is_none());
    }

    #[test]
    fn a_place_lies_in_its_kreis_tile() {
        let o: Overview = serde_json::from_str(
            r#"{"regions":[{"ars":"053340000000","name":"Städteregion Aachen","tile":{"col":0,"row":7}},
                          {"ars":"053150000000","name":"Köln","tile":{"col":3,"row":7}}]}"#,
        )
        .unwrap();
        let name = |ars: &str| o.region_of(ars).map(|r| r.name.clone());
        assert_eq!(name("053340020020").as_deref(), Some("Städteregion Aachen"));
        assert_eq!(name("053150000000").as_deref(), Some("Köln"));
        assert_eq!(name("051580016016"), None);
        assert_eq!(name("05334"), None);
        assert_eq!(name("050000000000"), None);
    }

    #[test]
    fn decodes_an_organisation_unit() {
        let json = r#"{
          "id": "L100012.OE.225060530", "title": "Kundenzentrum Innenstadt", "authorityType": "Bürgerbüro",
          "location": {"street": "Laurenzplatz 4", "zip": "50667", "city": "Köln", "ars": "053150000000"},
          "communicationSystems": [{"type": "phone", "value": "0221 221-0"},
             {"type": "email", "value": "buergerbuero@stadt-koeln.example"},
             {"type": "web", "value": "https://www.stadt-koeln.example"},
             {"type": "web", "value": "javascript:alert(1)"}],
          "openingHours": [{"day": 1, "opens": "08:00", "closes": "12:00"}],
          "openingHoursNote": "Termine nach Vereinbarung"
        }"#;
        let o: OrganisationUnit = serde_json::from_str(json).unwrap();
        assert_eq!(o.phones(), vec!["0221 221-0"]);
        assert_eq!(o.emails(), vec!["buergerbuero@stadt-koeln.example"]);
        assert_eq!(o.websites(), vec!["https://www.stadt-koeln.example"]);
        assert_eq!(o.opening_hours.len(), 1);
        assert_eq!(o.location.unwrap().city, "Köln");
        assert!(!o.sample_data, "real unless the catalogue says otherwise");
        let o: OrganisationUnit =
            serde_json::from_str(r#"{"id": "x", "sampleData": true}"#).unwrap();
        assert!(o.sample_data);
    }

    #[test]
    fn decodes_lebenslagen_and_overview() {
        let l: Vec<Lebenslage> = serde_json::from_str(
            r#"[{"slug":"umzug","name":"Umzug","description":"Neue Wohnung","serviceCount":7},{"slug":"hund","name":"Hund"}]"#,
        )
        .unwrap();
        assert_eq!(l[0].service_count, 7);
        assert_eq!(l[1].description, "");
        assert!(!l[0].stale);
        let l: Vec<Lebenslage> = serde_json::from_str(
            r#"[{"slug":"umzug","name":"Umzug","stale":true,"asOf":1767225600}]"#,
        )
        .unwrap();
        assert!(l[0].stale);
        assert_eq!(l[0].as_of, Some(1_767_225_600));
        let o: Overview = serde_json::from_str(
            r#"{"regions":[{"ars":"053150000000","name":"Köln","type":"Kreisfreie Stadt",
                "tile":{"col":3,"row":5},"onlineCount":40,"total":80,"onlineShare":0.5},
                {"ars":"051110000000","name":"Düsseldorf","tile":{"col":2,"row":4},"onlineShare":1.0}],
               "services":[{"id":"1","name":"Reisepass","onlineRegions":["053150000000"]}]}"#,
        )
        .unwrap();
        assert_eq!(o.grid_size(), (4, 6));
        assert_eq!(o.regions[0].percent(), 50);
        assert_eq!(o.region_name("051110000000"), Some("Düsseldorf"));
        assert_eq!(o.services[0].online_regions.len(), 1);
    }

    #[test]
    fn share_classes() {
        assert_eq!(share_class(0.0), 0);
        assert_eq!(share_class(0.19), 0);
        assert_eq!(share_class(0.2), 1);
        assert_eq!(share_class(0.5), 2);
        assert_eq!(share_class(0.79), 3);
        assert_eq!(share_class(0.8), 4);
        assert_eq!(share_class(1.0), 4);
        assert_eq!(share_class(7.0), 4);
        assert_eq!(share_class(f64::NAN), 0);
        assert_eq!(share_percent(-0.3), 0);
        assert_eq!(share_percent(0.333), 33);
    }
}
