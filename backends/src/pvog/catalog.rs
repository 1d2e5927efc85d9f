//! The in-memory catalogue: the dataset loaded from SQLite with lookup maps,
//! plus the optional synthetic services for benchmarks.

use std::collections::HashMap;

use super::model::{
    expand_online, Authority, Dataset, Lebenslage, OnlineRule, OnlineService, Place, Service,
    ARS_BUND, ARS_LAND,
};

pub struct Catalog {
    /// NRW as a whole (ARS `050000000000`): the place of a search or detail
    /// view before the citizen has chosen where they live. Only state- and
    /// federal-wide online services count as online there.
    pub land: Place,
    pub services: Vec<Service>,
    pub places: Vec<Place>,
    pub authorities: Vec<Authority>,
    pub online_services: Vec<OnlineService>,
    pub lebenslagen: Vec<Lebenslage>,
    service_by_id: HashMap<String, usize>,
    service_by_leika: HashMap<String, usize>,
    place_by_ars: HashMap<String, usize>,
    /// Municipal ARS written AGS + "0000" (as some clients pad) → canonical ARS.
    padded_ars: HashMap<String, String>,
    authority_by_id: HashMap<String, usize>,
    authorities_at: HashMap<(String, String), Vec<usize>>,
    online_by_id: HashMap<String, usize>,
    online_by_service_ars: HashMap<(String, String), usize>,
}

impl Catalog {
    pub fn new(data: Dataset) -> Self {
        let Dataset {
            services,
            places,
            authorities,
            online_services,
            lebenslagen,
        } = data;
        let mut c = Catalog {
            land: Place {
                ars: ARS_LAND.to_string(),
                ags: "05000000".to_string(),
                name: "Nordrhein-Westfalen".to_string(),
                kind: "Land".to_string(),
                zip: String::new(),
                zips: Vec::new(),
                district: None,
                district_ars: None,
                tile: None,
                large: false,
                status: None,
                rb: String::new(),
                districts: Vec::new(),
            },
            services: Vec::new(),
            places,
            authorities,
            online_services: Vec::new(),
            lebenslagen,
            service_by_id: HashMap::new(),
            service_by_leika: HashMap::new(),
            place_by_ars: HashMap::new(),
            padded_ars: HashMap::new(),
            authority_by_id: HashMap::new(),
            authorities_at: HashMap::new(),
            online_by_id: HashMap::new(),
            online_by_service_ars: HashMap::new(),
        };
        for (i, p) in c.places.iter().enumerate() {
            c.place_by_ars.insert(p.ars.clone(), i);
            if !p.is_region() {
                c.padded_ars.insert(format!("{}0000", p.ags), p.ars.clone());
            }
        }
        for (i, a) in c.authorities.iter().enumerate() {
            c.authority_by_id.insert(a.id.clone(), i);
            c.authorities_at
                .entry((a.ars.clone(), a.authority_type.clone()))
                .or_default()
                .push(i);
        }
        for s in services {
            c.push_service(s);
        }
        for o in online_services {
            c.push_online(o);
        }
        c
    }

    fn push_service(&mut self, s: Service) {
        let i = self.services.len();
        self.service_by_id.insert(s.id.clone(), i);
        self.service_by_leika.insert(s.leika_id.clone(), i);
        self.services.push(s);
    }

    fn push_online(&mut self, o: OnlineService) {
        let i = self.online_services.len();
        self.online_by_id.insert(o.id.clone(), i);
        self.online_by_service_ars
            .insert((o.service_id.clone(), o.ars.clone()), i);
        self.online_services.push(o);
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.service_by_id.get(id).map(|&i| &self.services[i])
    }

    pub fn service_by_leika(&self, leika: &str) -> Option<&Service> {
        self.service_by_leika.get(leika).map(|&i| &self.services[i])
    }

    /// The place for a 12-digit ARS (canonical or AGS-padded), if known.
    pub fn place(&self, ars: &str) -> Option<&Place> {
        if ars == ARS_LAND {
            return Some(&self.land);
        }
        let ars = self.padded_ars.get(ars).map(String::as_str).unwrap_or(ars);
        self.place_by_ars.get(ars).map(|&i| &self.places[i])
    }

    pub fn regions(&self) -> impl Iterator<Item = &Place> {
        self.places.iter().filter(|p| p.is_region())
    }

    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.authority_by_id.get(id).map(|&i| &self.authorities[i])
    }

    pub fn online_service(&self, id: &str) -> Option<&OnlineService> {
        self.online_by_id.get(id).map(|&i| &self.online_services[i])
    }

    pub fn lebenslage(&self, slug: &str) -> Option<&Lebenslage> {
        self.lebenslagen.iter().find(|l| l.slug == slug)
    }

    /// ARS to look at for a place, most local first: the place, its Kreis,
    /// its Regierungsbezirk, the Land, the Bund.
    fn chain(place: &Place) -> Vec<String> {
        let mut out = vec![place.ars.clone()];
        if let Some(k) = &place.district_ars {
            out.push(k.clone());
        }
        out.push(format!("{}000000000", &place.ars[..3]));
        out.push(ARS_LAND.to_string());
        out.push(ARS_BUND.to_string());
        out
    }

    /// The organisation units responsible for `service` at `place`.
    pub fn responsible(&self, service: &Service, place: &Place) -> Vec<&Authority> {
        for ars in Self::chain(place) {
            if let Some(list) = self
                .authorities_at
                .get(&(ars, service.authority_type.clone()))
            {
                return list.iter().map(|&i| &self.authorities[i]).collect();
            }
        }
        Vec::new()
    }

    /// The online service for `service` at `place`, if there is one.
    pub fn online_at(&self, service_id: &str, place: &Place) -> Option<&OnlineService> {
        [place.ars.as_str(), ARS_LAND, ARS_BUND]
            .into_iter()
            .find_map(|ars| {
                self.online_by_service_ars
                    .get(&(service_id.to_string(), ars.to_string()))
            })
            .map(|&i| &self.online_services[i])
    }

    /// Adds `n` generated services (for search benchmarks only).
    pub fn add_synthetic(&mut self, n: usize) {
        let generated = synthetic_services(n);
        for s in generated {
            for o in expand_online(&s, &self.places) {
                self.push_online(o);
            }
            self.push_service(s);
        }
    }
}

/// Generates `n` plausible but fictitious services from word lists, deterministically.
pub fn synthetic_services(n: usize) -> Vec<Service> {
    const OBJECTS: [&str; 24] = [
        "Anwohnerausweis",
        "Fahrradstellplatz",
        "Gartenabfall",
        "Marktstand",
        "Brunnenbohrung",
        "Solaranlage",
        "Kleingarten",
        "Feuerwerk",
        "Taubenfütterung",
        "Grabstätte",
        "Spielplatzpatenschaft",
        "Straßenlaterne",
        "Hecke",
        "Werbeanlage",
        "Ladestation",
        "Carsharing-Stellplatz",
        "Regenwasser",
        "Imkerei",
        "Musikschule",
        "Bibliotheksausweis",
        "Schwimmbadkarte",
        "Vereinsförderung",
        "Denkmalschutz",
        "Zisterne",
    ];
    const ACTIONS: [&str; 10] = [
        "beantragen",
        "anmelden",
        "abmelden",
        "verlängern",
        "ändern",
        "melden",
        "genehmigen lassen",
        "kündigen",
        "erstatten lassen",
        "prüfen lassen",
    ];
    const QUALIFIERS: [&str; 21] = [
        "",
        "für Vereine",
        "für Unternehmen",
        "im Außenbereich",
        "für Senioren",
        "für Studierende",
        "befristet",
        "dauerhaft",
        "digital",
        "für Familien",
        "im Denkmalbereich",
        "nachträglich",
        "für Gewerbetreibende",
        "bei Umzug",
        "für Menschen mit Behinderung",
        "im Notfall",
        "für Landwirte",
        "für Kitas",
        "in der Innenstadt",
        "am Wochenende",
        "für Schulen",
    ];
    const TAGS: [&str; 8] = [
        "wohnen", "freizeit", "bauen", "gewerbe", "familie", "ordnung", "auto", "steuern",
    ];
    const AUTH: [&str; 6] = [
        "Ordnungsamt",
        "Bauamt",
        "Bürgerbüro",
        "Steueramt",
        "Abfallwirtschaft",
        "Sozialamt",
    ];
    (0..n)
        .map(|i| {
            let object = OBJECTS[i % OBJECTS.len()];
            let action = ACTIONS[(i / OBJECTS.len()) % ACTIONS.len()];
            let qual = QUALIFIERS[(i / (OBJECTS.len() * ACTIONS.len())) % QUALIFIERS.len()];
            let name = if qual.is_empty() {
                format!("{object} {action}")
            } else {
                format!("{object} {action} ({qual})")
            };
            // `99998…`: apart from the relay operator's own service
            // (`99990001001000`, Vertretung nachweisen) in the seed.
            let leika = format!("99998{:06}000", i % 1_000_000);
            let level = if i % 7 == 0 { "land" } else { "kommune" };
            Service {
                id: leika.clone(),
                leika_id: leika,
                name_en: format!("{object} ({action}) [synthetic {i}]"),
                summary: format!(
                    "Synthetische Leistung Nr. {i}: {object} {action}. Nur für Lasttests."
                ),
                summary_en: format!("Synthetic service no. {i}, for load tests only."),
                level: level.into(),
                audience: if i % 3 == 0 {
                    vec!["business".into()]
                } else {
                    vec!["citizen".into()]
                },
                lebenslagen: vec![TAGS[i % TAGS.len()].into()],
                synonyms: vec![format!("{} {}", object.to_lowercase(), i % 13)],
                documents: vec!["Personalausweis".into()],
                costs: "laut Satzung".into(),
                processing_time: "2 Wochen".into(),
                legal_basis: "Satzung der Gemeinde".into(),
                eligibility: "Alle.".into(),
                authority_type: AUTH[i % AUTH.len()].into(),
                popularity: (i % 5) as u32,
                online: if i % 2 == 0 {
                    Some(OnlineRule {
                        trust: "STORK-QAA-Level-1".into(),
                        share: 50,
                        regions: Vec::new(),
                        portal: false,
                    })
                } else {
                    None
                },
                description_html: String::new(),
                name,
            }
        })
        .collect()
}
