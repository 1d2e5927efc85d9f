//! The catalogue: the relay's public routes over the PVOG
//! (`/api/v1/catalogue/…`, docs/relay.md). Cacheable, and kept by the
//! service worker for offline use.

use super::{get_json, get_json_abortable, ApiError, Backends};
use crate::domain::pvog::{
    Lebenslage, Location, OrganisationUnit, Overview, SearchPage, ServiceDetail,
};
use crate::domain::search_url::{encode, query_string, SearchParams, NRW_ARS};

impl Backends {
    /// Places for "Wo wohnen Sie?" (PLZ or name), best match first.
    pub async fn locations(
        &self,
        q: &str,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<Vec<Location>, ApiError> {
        let url = self.url(&format!(
            "catalogue/locations?{}",
            query_string([("q", q.trim().to_string()), ("limit", "8".into())])
        ));
        get_json_abortable(&url, signal).await
    }

    /// One page of search results at the chosen place (or NRW as a whole).
    pub async fn search(
        &self,
        params: &SearchParams,
        lang: &str,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<SearchPage, ApiError> {
        let ars = params.ort.as_deref().unwrap_or(NRW_ARS);
        let url = self.url(&format!(
            "catalogue/regions/{}/services?{}",
            encode(ars),
            params.api_query(lang)
        ));
        get_json_abortable(&url, signal).await
    }

    /// The services of a Lebenslage at a place (up to 100).
    pub async fn services_of_life_situation(
        &self,
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
        get_json(&self.url(&format!("catalogue/regions/{}/services?{q}", encode(ars)))).await
    }

    /// Everything about a service at a place.
    pub async fn service_detail(
        &self,
        id: &str,
        ars: &str,
        lang: &str,
    ) -> Result<ServiceDetail, ApiError> {
        let q = query_string([("ars", ars.to_string()), ("lang", lang.to_string())]);
        get_json(&self.url(&format!("catalogue/services/{}?{q}", encode(id)))).await
    }

    /// An authority with address, contacts and opening hours.
    pub async fn organisation_unit(&self, id: &str) -> Result<OrganisationUnit, ApiError> {
        get_json(&self.url(&format!("catalogue/organisations/{}", encode(id)))).await
    }

    /// The Lebenslagen for the start page tiles.
    pub async fn life_situations(&self, lang: &str) -> Result<Vec<Lebenslage>, ApiError> {
        let q = query_string([("lang", lang.to_string())]);
        get_json(&self.url(&format!("catalogue/lebenslagen?{q}"))).await
    }

    /// Online availability per region.
    pub async fn overview(&self) -> Result<Overview, ApiError> {
        get_json(&self.url("catalogue/overview")).await
    }
}
