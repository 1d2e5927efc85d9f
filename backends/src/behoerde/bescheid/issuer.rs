//! Which authority issues the Bescheid, with its postal address.
//!
//! The stand-in's destination serves every place of its regions (see
//! `fitconnect::destinations`), so the issuing authority is the PVOG seed's
//! organisation unit responsible for the service at the applicant's place,
//! found by the postcode in the application (the same rule as PVOG's
//! `organisationunits`: the Gemeinde, then its Kreis, the Bezirksregierung,
//! the Land, the Bund). When the destination does not serve that place (a
//! service online only in Köln), its own first region stands in. The seed's
//! addresses are town halls and Kreishäuser, written as sample data.

use std::sync::OnceLock;

use crate::fitconnect::destinations::Destination;
use crate::pvog::catalog::Catalog;
use crate::pvog::model::{self, Place};

/// The authority as the letterhead and the Rechtsbehelfsbelehrung name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// "Steueramt Köln"
    pub name: String,
    /// Street, then postcode and town: `["Laurenzplatz 4", "50667 Köln"]`.
    /// Empty only if the seed knows no responsible unit (then the
    /// destination's authority type is all the letter can name).
    pub address: Vec<String>,
    /// The unit's phone and e-mail in the seed (sample data), if any.
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The service's processing time in the PVOG seed ("1 bis 2 Wochen").
pub fn processing_time(destination: &Destination) -> Option<String> {
    catalog()?
        .service_by_leika(&destination.leika)
        .map(|s| s.processing_time.clone())
        .filter(|t| !t.trim().is_empty())
}

fn catalog() -> Option<&'static Catalog> {
    static CATALOG: OnceLock<Option<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| match model::build_from_seed() {
            Ok(data) => Some(Catalog::new(data)),
            Err(e) => {
                tracing::error!("the PVOG seed does not load, Bescheide name no address: {e}");
                None
            }
        })
        .as_ref()
}

/// The place with this postcode: a Gemeinde before a kreisfreie Stadt
/// before a Kreis (whose seed postcode is its Kreishaus's).
fn place_of<'a>(catalog: &'a Catalog, postcode: &str) -> Option<&'a Place> {
    catalog
        .places
        .iter()
        .filter(|p| p.zips.iter().any(|z| z == postcode))
        .min_by_key(|p| match p.kind.as_str() {
            _ if !p.is_region() => 0,
            "Kreisfreie Stadt" => 1,
            _ => 2,
        })
}

/// The authority that decides an application sent to `destination` by an
/// applicant with `postcode`.
pub fn issuer(destination: &Destination, postcode: Option<&str>) -> Issuer {
    let fallback = || Issuer {
        name: destination.authority.clone(),
        address: Vec::new(),
        phone: None,
        email: None,
    };
    let Some(catalog) = catalog() else {
        return fallback();
    };
    let Some(service) = catalog.service_by_leika(&destination.leika) else {
        return fallback();
    };
    let place = postcode
        .map(str::trim)
        .and_then(|z| place_of(catalog, z))
        .filter(|p| destination.serves(&p.ars))
        .or_else(|| destination.regions.iter().find_map(|r| catalog.place(r)))
        .unwrap_or(&catalog.land);
    match catalog.responsible(service, place).first() {
        Some(a) => Issuer {
            name: a.title.clone(),
            address: vec![a.street.clone(), format!("{} {}", a.zip, a.city)],
            phone: Some(a.phone.clone()).filter(|p| !p.trim().is_empty()),
            email: Some(a.email.clone()).filter(|e| !e.trim().is_empty()),
        },
        None => {
            tracing::warn!(
                leika = %destination.leika,
                place = %place.ars,
                "no responsible authority in the PVOG seed; the Bescheid names no address"
            );
            fallback()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fitconnect::destinations;

    fn dest(leika: &str) -> &'static Destination {
        destinations::all()
            .unwrap()
            .iter()
            .find(|d| d.leika == leika)
            .unwrap()
    }

    #[test]
    fn the_authority_at_the_applicants_place_with_its_address() {
        // Hundesteuer (all of NRW): Erika in Köln-Porz, Max in Hilden.
        let hund = dest("99089005001000");
        let koeln = issuer(hund, Some("51147"));
        assert_eq!(koeln.name, "Steueramt Köln");
        assert_eq!(koeln.address, ["Laurenzplatz 4", "50667 Köln"]);
        let hilden = issuer(hund, Some("40721"));
        assert_eq!(hilden.name, "Steueramt Hilden");
        assert_eq!(hilden.address, ["Am Rathaus 1", "40721 Hilden"]);
        // Gewerbe anmelden is online only in Köln: Köln's Gewerbeamt.
        let gewerbe = issuer(dest("99050012104000"), Some("40721"));
        assert_eq!(gewerbe.name, "Gewerbeamt Köln");
        // Federal: the Bundesamt für Justiz, wherever one lives.
        let fz = issuer(dest("99063001001000"), None);
        assert!(fz.name.starts_with("Bundesamt für Justiz"), "{fz:?}");
        assert_eq!(fz.address.len(), 2);
        // An unknown postcode for a municipal service: only the type.
        let unknown = issuer(hund, Some("99999"));
        assert_eq!(unknown.name, "Steueramt");
        assert!(unknown.address.is_empty());
    }
}
