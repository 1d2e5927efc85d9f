//! Destinations: one per form and responsible authority level, built from
//! the forms and the PVOG seed (`backends/seed/pvog/services.json`: the
//! authority type, the level `kommune`/`bund` and, if the service is online
//! only in some places, `online.regions`).
//!
//! A destination serves the ARS (12 digits) that start with one of its
//! regions once that region's trailing zeros are dropped: `050000000000`
//! (all of NRW) for municipal services, `000000000000` (everywhere) for
//! federal ones, or the listed regions (e.g. `053150000000` Köln).

use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use super::forms::{self, Form};
use super::keys::Keys;

const PVOG_SERVICES: &str = include_str!("../../seed/pvog/services.json");

#[derive(Deserialize)]
struct SeedFile {
    services: Vec<SeedService>,
}

#[derive(Deserialize)]
struct SeedService {
    leika: String,
    name: String,
    level: String,
    authority: String,
    online: Option<SeedOnline>,
}

#[derive(Deserialize)]
struct SeedOnline {
    #[serde(default)]
    regions: Vec<String>,
    /// PVOG lists the portal's own online service where this destination
    /// serves; a form without it would be reachable from nowhere.
    #[serde(default)]
    portal: bool,
}

/// A receiving authority for one service at one level.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: String,
    pub leika: String,
    pub name: String,
    /// `kommune`, `land` or `bund` (the PVOG seed's level).
    pub level: String,
    pub authority: String,
    pub regions: Vec<String>,
    pub form: &'static Form,
}

/// All destinations.
pub fn all() -> Result<&'static [Destination], String> {
    static ALL: OnceLock<Result<Vec<Destination>, String>> = OnceLock::new();
    ALL.get_or_init(build).as_deref().map_err(Clone::clone)
}

/// The destination with this id.
pub fn by_id(id: &str) -> Result<Option<&'static Destination>, String> {
    Ok(all()?.iter().find(|d| d.id == id))
}

fn build() -> Result<Vec<Destination>, String> {
    let seed: SeedFile =
        serde_json::from_str(PVOG_SERVICES).map_err(|e| format!("PVOG services seed: {e}"))?;
    let mut out = Vec::new();
    for form in forms::all()? {
        let svc = seed
            .services
            .iter()
            .find(|s| s.leika == form.leika)
            .ok_or_else(|| {
                format!(
                    "form {}: LeiKa {} is not in the PVOG seed",
                    form.slug, form.leika
                )
            })?;
        if !svc.online.as_ref().is_some_and(|o| o.portal) {
            return Err(format!(
                "form {}: the PVOG seed does not list it as the portal's online service (online.portal)",
                form.slug
            ));
        }
        let regions = match svc.online.as_ref().map(|o| o.regions.clone()) {
            Some(r) if !r.is_empty() => r,
            _ if svc.level == "bund" => vec!["000000000000".to_string()],
            _ => vec!["050000000000".to_string()],
        };
        let level_name = match svc.level.as_str() {
            "kommune" => "kommunal",
            "land" => "Land NRW",
            "bund" => "Bund",
            other => other,
        };
        out.push(Destination {
            id: uuid_from(&format!(
                "buergeramt-destination:{}:{}",
                svc.leika, svc.level
            )),
            leika: svc.leika.clone(),
            name: format!("{} ({}) – {}", svc.authority, level_name, svc.name),
            level: svc.level.clone(),
            authority: svc.authority.clone(),
            regions,
            form,
        });
    }
    Ok(out)
}

/// The follow-up schema's URI (`<base>/schemas/nachreichung.schema.json`),
/// the second `submissionSchemas` entry of every destination.
pub fn follow_up_schema_uri(base: &str) -> String {
    format!("{base}/schemas/{}", contract::followup::SCHEMA_FILE)
}

/// The name of the place with this ARS in the PVOG seed.
fn place_name(ars: &str) -> Option<&'static str> {
    static NAMES: OnceLock<std::collections::HashMap<String, String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            crate::pvog::model::build_from_seed()
                .map(|d| d.places.into_iter().map(|p| (p.ars, p.name)).collect())
                .unwrap_or_default()
        })
        .get(ars)
        .map(String::as_str)
}

/// A stable UUID (version 5 layout) from a name.
fn uuid_from(name: &str) -> String {
    let h = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Destination {
    /// `urn:de:fim:leika:leistung:<key>`
    pub fn identifier(&self) -> String {
        format!("urn:de:fim:leika:leistung:{}", self.leika)
    }

    /// Whether this destination is responsible for the 12-digit `ars`.
    pub fn serves(&self, ars: &str) -> bool {
        self.regions
            .iter()
            .any(|r| ars.starts_with(r.trim_end_matches('0')))
    }

    pub fn schema_uri(&self, base: &str) -> String {
        format!("{base}/schemas/{}.schema.json", self.form.slug)
    }

    /// The form's schema first (the app and the relay take the first as
    /// the application form), then the follow-up schema.
    fn submission_schemas(&self, base: &str) -> Value {
        json!([
            {"schemaUri": self.schema_uri(base), "mimeType": "application/json"},
            {"schemaUri": follow_up_schema_uri(base), "mimeType": "application/json"},
        ])
    }

    fn reply_channels() -> Value {
        json!({"idBundMailbox": {}, "eMail": {"usePgp": false}})
    }

    /// The authority that receives it at `ars`: "Steueramt Köln" for a
    /// municipal service at a known place, else the destination's name.
    /// (Simplified: one destination serves every place of its regions; a
    /// real one belongs to one authority. docs/backends.md.)
    pub fn name_at(&self, ars: &str) -> String {
        match (self.level.as_str(), place_name(ars)) {
            ("kommune", Some(place)) => format!("{} {place}", self.authority),
            ("bund", _) => self.authority.clone(),
            _ => self.name.clone(),
        }
    }

    /// One entry of `GET /routes?ars=`.
    pub fn route_json(&self, base: &str, keys: &Keys, ars: &str) -> Value {
        json!({
            "destinationId": self.id,
            "destinationName": self.name_at(ars),
            "destinationParameters": {
                "status": "active",
                "submissionUrl": base,
                "submissionSchemas": self.submission_schemas(base),
                "encryptionKid": keys.encryption.kid,
                "publicKeys": {"keys": [keys.encryption_jwk(&self.id)]},
                "metadataVersions": ["1.2.0"],
                "replyChannels": Self::reply_channels(),
            },
        })
    }

    /// `GET /v1/destinations/{id}`.
    pub fn destination_json(&self, base: &str, keys: &Keys) -> Value {
        json!({
            "destinationId": self.id,
            "destinationName": self.name,
            "status": "active",
            "encryptionKid": keys.encryption.kid,
            "metadataVersions": ["1.2.0"],
            "services": [{
                "identifier": self.identifier(),
                "submissionSchemas": self.submission_schemas(base),
                "regions": self.regions,
            }],
            "replyChannels": Self::reply_channels(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_has_a_destination_with_a_stable_uuid() {
        let all = all().unwrap();
        assert_eq!(all.len(), 7);
        for d in all {
            assert!(super::super::is_uuid(&d.id), "{}", d.id);
            assert_eq!(
                d.id,
                uuid_from(&format!("buergeramt-destination:{}:{}", d.leika, d.level))
            );
        }
    }

    #[test]
    fn regions_match_by_prefix() {
        let all = all().unwrap();
        let wohnsitz = all.iter().find(|d| d.leika == "99115001001000").unwrap();
        assert!(wohnsitz.serves("053150000000"));
        assert!(!wohnsitz.serves("051580016016"));
        let hund = all.iter().find(|d| d.leika == "99089005001000").unwrap();
        assert!(hund.serves("051580016016"));
        assert!(!hund.serves("091620000000"));
        let fz = all.iter().find(|d| d.leika == "99063001001000").unwrap();
        assert!(fz.serves("091620000000"));
    }

    /// The two stand-ins agree: PVOG lists the portal's own online service
    /// at exactly the places a destination serves, and every other online
    /// service it lists is an absolute link to another (sample) Onlinedienst.
    #[test]
    fn pvog_lists_the_portal_exactly_where_a_destination_serves() {
        let data = crate::pvog::model::build_from_seed().unwrap();
        let all = all().unwrap();
        let mut portal = 0;
        let mut external = 0;
        for s in &data.services {
            let dest = all.iter().find(|d| d.leika == s.leika_id);
            for p in &data.places {
                let listed = data
                    .online_services
                    .iter()
                    .filter(|o| o.service_id == s.id)
                    .find(|o| {
                        o.ars == p.ars
                            || o.ars == crate::pvog::model::ARS_LAND
                            || o.ars == crate::pvog::model::ARS_BUND
                    });
                let served = dest.is_some_and(|d| d.serves(&p.ars));
                match listed {
                    Some(o) if o.uri.starts_with("/antrag/") => {
                        assert!(
                            served,
                            "{} at {}: portal link without a destination",
                            s.name, p.name
                        );
                        assert!(!o.sample_data);
                        portal += 1;
                    }
                    Some(o) => {
                        assert!(
                            !served,
                            "{} at {}: a destination, but PVOG links elsewhere",
                            s.name, p.name
                        );
                        assert!(
                            o.uri.starts_with("https://onlinedienste.example/"),
                            "{}",
                            o.uri
                        );
                        assert!(o.sample_data && o.title.contains("Beispieldaten"));
                        external += 1;
                    }
                    None => assert!(
                        !served,
                        "{} at {}: a destination PVOG does not list",
                        s.name, p.name
                    ),
                }
            }
        }
        assert!(
            portal > 100 && external > 1000,
            "{portal} portal, {external} external"
        );
    }
}
