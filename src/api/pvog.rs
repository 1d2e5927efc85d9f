//! The PVOG search backend (docs/backends.md, section 1). Every function
//! takes the base URL from the runtime config (`AppConfig::pvog`).

use super::{get_json, get_json_abortable, ApiError};
use crate::domain::config::join;
use crate::domain::pvog::{
    Lebenslage, Location, OrganisationUnit, Overview, SearchPage, ServiceDetail,
};
use crate::domain::search_url::{encode, query_string, SearchParams, NRW_ARS};

/// Places for "Wo wohnen Sie?" (PLZ or name), best match first.
pub async fn locations(
    base: &str,
    q: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Vec<Location>, ApiError> {
    let url = join(
        base,
        &format!(
            "v2/locations?{}",
            query_string([("q", q.trim().to_string()), ("limit", "8".into())])
        ),
    );
    get_json_abortable(&url, signal).await
}

/// One page of search results at the chosen place (or NRW as a whole).
pub async fn search(
    base: &str,
    params: &SearchParams,
    lang: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<SearchPage, ApiError> {
    let ars = params.ort.as_deref().unwrap_or(NRW_ARS);
    let url = join(
        base,
        &format!(
            "v7/servicedescriptions/{}?{}",
            encode(ars),
            params.api_query(lang)
        ),
    );
    get_json_abortable(&url, signal).await
}

/// The services of a Lebenslage at a place (up to 100).
pub async fn services_of_life_situation(
    base: &str,
    slug: &str,
    ort: Option<&str>,
    lang: &str,
) -> Result<SearchPage, ApiError> {
    let ars = ort.unwrap_or(NRW_ARS);
    let q = query_string([
        ("q", String::new()),
        ("page", "0".into()),
        ("size", "100".into()),
        ("lebenslage", slug.to_string()),
        ("lang", lang.to_string()),
    ]);
    get_json(&join(
        base,
        &format!("v7/servicedescriptions/{}?{q}", encode(ars)),
    ))
    .await
}

/// Everything about a service at a place.
pub async fn service_detail(
    base: &str,
    id: &str,
    ars: &str,
    lang: &str,
) -> Result<ServiceDetail, ApiError> {
    let q = query_string([("ars", ars.to_string()), ("lang", lang.to_string())]);
    get_json(&join(
        base,
        &format!("v6/servicedescriptions/{}/detail?{q}", encode(id)),
    ))
    .await
}

/// An authority with address, contacts and opening hours.
pub async fn organisation_unit(base: &str, id: &str) -> Result<OrganisationUnit, ApiError> {
    let q = query_string([("q", id.to_string())]);
    get_json(&join(base, &format!("v5/organisationunits/detail?{q}"))).await
}

/// The Lebenslagen for the start page tiles.
pub async fn life_situations(base: &str, lang: &str) -> Result<Vec<Lebenslage>, ApiError> {
    let q = query_string([("lang", lang.to_string())]);
    get_json(&join(base, &format!("lebenslagen?{q}"))).await
}

/// Online availability per region.
pub async fn overview(base: &str) -> Result<Overview, ApiError> {
    get_json(&join(base, "uebersicht")).await
}

/// The PVOG base URL from the runtime config (waits for `/config.json`).
pub async fn base(ctx: Option<crate::app::ConfigContext>) -> Result<String, ApiError> {
    match ctx {
        Some(c) => c.0.await.map(|c| c.pvog),
        None => Err(ApiError::Decode("runtime config missing".into())),
    }
}
