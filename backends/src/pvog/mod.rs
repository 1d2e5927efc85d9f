//! PVOG Suchdienst stand-in: locations, plain service search and details,
//! organisation units, online services (see docs/backends.md, section 1).
//! What the real PVOG does not offer (query understanding, the Lebenslagen
//! list, the online overview) is the relay's (docs/relay.md).
//!
//! Data comes from the seed files in `backends/seed/pvog/`, loaded into SQLite
//! on first start (and again only when the seed changes); at start the
//! catalogue is read back from SQLite and indexed with tantivy in memory.

pub mod catalog;
pub mod model;
pub mod places;
pub mod search;
pub mod seed;
pub mod store;

use std::sync::Arc;

use axum::{routing::get, Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::extract::{Path, Query};
use crate::{error, ApiError, AppState};
use catalog::Catalog;
use model::{escape_text, Authority, Place, Service, AUDIENCES, LEVELS};
use search::{SearchIndex, SearchRequest};

/// Environment variable adding generated services for benchmarks (never set by default).
pub const SYNTHETIC_ENV: &str = "BUERGERAMT_SYNTHETIC_SERVICES";

use contract::limits::MAX_QUERY_CHARS;
const MAX_PAGE_SIZE: i64 = 100;
const MAX_PAGE: i64 = 10_000;

/// The catalogue and its search index, shared by all handlers.
pub struct Pvog {
    pub catalog: Catalog,
    pub index: SearchIndex,
}

impl Pvog {
    /// Seeds (if needed), loads from SQLite, adds `synthetic` generated services, indexes.
    pub fn load(db: &crate::Db, synthetic: usize) -> anyhow::Result<Self> {
        store::ensure_seeded(db)?;
        let mut catalog = Catalog::new(store::load(db)?);
        if synthetic > 0 {
            catalog.add_synthetic(synthetic);
        }
        Self::from_catalog(catalog)
    }

    pub fn from_catalog(catalog: Catalog) -> anyhow::Result<Self> {
        let index = SearchIndex::build(&catalog)?;
        Ok(Self { catalog, index })
    }
}

/// Number of synthetic services requested through [`SYNTHETIC_ENV`].
pub fn synthetic_from_env() -> anyhow::Result<usize> {
    match std::env::var(SYNTHETIC_ENV) {
        Ok(v) if v.trim().is_empty() => Ok(0),
        Ok(v) => {
            let n: usize = v
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{SYNTHETIC_ENV} must be a number, got {v:?}"))?;
            anyhow::ensure!(n <= 100_000, "{SYNTHETIC_ENV} is limited to 100000");
            Ok(n)
        }
        Err(_) => Ok(0),
    }
}

/// Routes under `/pvog`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    let pvog = Arc::new(Pvog::load(&state.db, synthetic_from_env()?)?);
    let router = routes(pvog);
    if state.config.clients.strict {
        // As the real PVOG: only a sender with a service token may read.
        return Ok(router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_service_token,
        )));
    }
    Ok(router)
}

/// Refuses callers without a service token of scope `pvog:read` (401/403).
async fn require_service_token(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match crate::idp::clients::service_caller(
        &state,
        req.headers(),
        crate::idp::clients::SCOPE_PVOG,
    )
    .await
    {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The routes over an already loaded catalogue.
pub fn routes(pvog: Arc<Pvog>) -> Router<AppState> {
    Router::new()
        .route("/v2/locations", get(locations))
        .route("/v7/servicedescriptions/{ars}", get(search_services))
        .route("/v6/servicedescriptions/{id}/detail", get(service_detail))
        .route("/v3/servicedescriptions/leikaid", get(by_leika))
        .route("/v2/organisationunits/titles", get(ou_titles))
        .route("/v5/organisationunits/detail", get(ou_detail))
        .route("/v2/onlineservices/detail", get(online_detail))
        .fallback(error::not_found)
        .layer(Extension(pvog))
}

// ------------------------------------------------------------ validation

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    De,
    En,
}

impl Lang {
    fn parse(v: Option<&str>) -> Result<Self, ApiError> {
        match v {
            None | Some("") | Some("de") => Ok(Lang::De),
            Some("en") => Ok(Lang::En),
            Some(other) => Err(ApiError::BadRequest(format!(
                "lang must be de or en, got {other:?}"
            ))),
        }
    }
    fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
    /// The language a text comes out in: English only where there is an
    /// English version.
    fn of(self, en: &str) -> Lang {
        if self == Lang::En && !en.is_empty() {
            Lang::En
        } else {
            Lang::De
        }
    }
    fn pick<'a>(self, de: &'a str, en: &'a str) -> &'a str {
        if self == Lang::En && !en.is_empty() {
            en
        } else {
            de
        }
    }
}

fn check_ars(ars: &str) -> Result<(), ApiError> {
    if ars.len() == 12 && ars.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "ars must be the 12-digit Amtlicher Regionalschlüssel".into(),
        ))
    }
}

/// A validated, known place; 400 for a malformed ARS, 404 for an unknown one.
fn place<'a>(p: &'a Pvog, ars: &str) -> Result<&'a Place, ApiError> {
    check_ars(ars)?;
    p.catalog.place(ars).ok_or(ApiError::NotFound)
}

fn optional_place<'a>(p: &'a Pvog, ars: Option<&str>) -> Result<Option<&'a Place>, ApiError> {
    match ars {
        None | Some("") => Ok(None),
        Some(a) => place(p, a).map(Some),
    }
}

fn one_of(name: &str, value: Option<&str>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
        Some(v) => Err(ApiError::BadRequest(format!(
            "{name} must be one of {}, got {v:?}",
            allowed.join(", ")
        ))),
    }
}

// ------------------------------------------------------------ locations

#[derive(Deserialize)]
struct LocationParams {
    q: Option<String>,
    limit: Option<i64>,
}

async fn locations(
    Extension(p): Extension<Arc<Pvog>>,
    Query(params): Query<LocationParams>,
) -> Result<Json<Value>, ApiError> {
    let q = params.q.unwrap_or_default();
    let q = q.trim();
    if q.is_empty() {
        return Err(ApiError::BadRequest(
            "q (postcode or place name) is required".into(),
        ));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::BadRequest("q is too long".into()));
    }
    let limit = params.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 50".into()));
    }
    let out: Vec<Value> = places::find(&p.catalog.places, q, limit as usize)
        .into_iter()
        .map(|h| {
            let pl = h.place;
            json!({
                "ars": pl.ars, "ags": pl.ags, "name": pl.name, "zip": pl.zip,
                "zips": pl.zips, "type": pl.kind, "district": pl.district,
                "regierungsbezirk": pl.rb, "matchedDistrict": h.district,
            })
        })
        .collect();
    Ok(Json(Value::Array(out)))
}

// ------------------------------------------------------------ search

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    page: Option<i64>,
    size: Option<i64>,
    online: Option<String>,
    audience: Option<String>,
    level: Option<String>,
    lebenslage: Option<String>,
    lang: Option<String>,
}

fn summary_json(p: &Pvog, s: &Service, place: Option<&Place>, lang: Lang) -> Value {
    let online = place.and_then(|pl| p.catalog.online_at(&s.id, pl));
    json!({
        "id": s.id,
        "leikaId": s.leika_id,
        "name": lang.pick(&s.name, &s.name_en),
        "summary": lang.pick(&s.summary, &s.summary_en),
        "level": s.level,
        "audience": s.audience,
        "lebenslagen": s.lebenslagen,
        "online": online.is_some(),
        "trustLevel": online.map(|o| o.trust_level.as_str()),
        "lang": lang.of(&s.name_en).code(),
    })
}

async fn search_services(
    Extension(p): Extension<Arc<Pvog>>,
    Path(ars): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    let lang = Lang::parse(params.lang.as_deref())?;
    let q = params.q.unwrap_or_default();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "q must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let page = params.page.unwrap_or(0);
    if !(0..=MAX_PAGE).contains(&page) {
        return Err(ApiError::BadRequest(format!(
            "page must be 0 to {MAX_PAGE}"
        )));
    }
    let size = params.size.unwrap_or(20);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(ApiError::BadRequest(format!(
            "size must be 1 to {MAX_PAGE_SIZE}"
        )));
    }
    let online = match params.online.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "online must be true or false, got {other:?}"
            )))
        }
    };
    let audience = one_of("audience", params.audience.as_deref(), &AUDIENCES)?;
    let level = one_of("level", params.level.as_deref(), &LEVELS)?;
    let slugs: Vec<&str> = p
        .catalog
        .lebenslagen
        .iter()
        .map(|l| l.slug.as_str())
        .collect();
    let lebenslage = one_of("lebenslage", params.lebenslage.as_deref(), &slugs)?;
    let place = place(&p, &ars)?;

    let req = SearchRequest {
        q: q.clone(),
        page: page as usize,
        size: size as usize,
        online_at: online.then(|| place.ars.clone()),
        audience,
        level,
        lebenslage,
    };
    let result = p
        .index
        .search(&req)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let content: Vec<Value> = result
        .ids
        .iter()
        .filter_map(|id| p.catalog.service(id))
        .map(|s| summary_json(&p, s, Some(place), lang))
        .collect();
    let total = result.total;
    let size_u = size as usize;
    Ok(Json(json!({
        "content": content,
        "totalElements": total,
        "totalPages": total.div_ceil(size_u),
        "number": page,
        "size": size,
        "query": q,
        "suggestion": result.suggestion,
    })))
}

// ------------------------------------------------------------ detail

#[derive(Deserialize)]
struct DetailParams {
    ars: Option<String>,
    lang: Option<String>,
}

fn detail_title(kind: &str, lang: Lang) -> &'static str {
    match (kind, lang) {
        ("description", Lang::De) => "Beschreibung",
        ("description", Lang::En) => "Description",
        ("eligibility", Lang::De) => "Wer kann den Antrag stellen?",
        ("eligibility", Lang::En) => "Who can apply?",
        ("requirements", Lang::De) => "Was brauchen Sie?",
        ("requirements", Lang::En) => "What do you need?",
        ("costs", Lang::De) => "Kosten",
        ("costs", Lang::En) => "Costs",
        ("processingTime", Lang::De) => "Bearbeitungsdauer",
        ("processingTime", Lang::En) => "Processing time",
        ("legalBasis", Lang::De) => "Rechtsgrundlage",
        ("legalBasis", Lang::En) => "Legal basis",
        ("procedure", Lang::De) => "Verfahrensablauf",
        ("procedure", Lang::En) => "Procedure",
        _ => "",
    }
}

fn details(s: &Service, lang: Lang, online: bool, authority: Option<&Authority>) -> Vec<Value> {
    let mut out = Vec::new();
    // Each text module says its language (XZuFi's `languageCode`): the seed
    // has English only for name and summary, so the other modules are
    // German in either language, and the app marks them `lang="de"`.
    let mut push_in = |kind: &str, text_lang: Lang, html: String| {
        out.push(json!({
            "type": kind,
            "title": detail_title(kind, lang),
            "text": html,
            "lang": text_lang.code(),
        }));
    };
    let summary_lang = lang.of(&s.summary_en);
    let mut description = format!(
        "<p>{}</p>",
        escape_text(lang.pick(&s.summary, &s.summary_en))
    );
    // The longer German description has no English version: not mixed into
    // an English module.
    if summary_lang == Lang::De && !s.description_html.is_empty() {
        description.push_str(&s.description_html);
    }
    push_in("description", summary_lang, description);
    let mut push = |kind: &str, html: String| {
        let text_lang = if kind == "procedure" { lang } else { Lang::De };
        push_in(kind, text_lang, html)
    };
    push(
        "eligibility",
        format!("<p>{}</p>", escape_text(&s.eligibility)),
    );
    if !s.documents.is_empty() {
        let items: String = s
            .documents
            .iter()
            .map(|d| format!("<li>{}</li>", escape_text(d)))
            .collect();
        push("requirements", format!("<ul>{items}</ul>"));
    }
    let procedure = match (online, authority, lang) {
        (true, _, Lang::De) => "<p>Sie können den Antrag <strong>online</strong> stellen. Alternativ wenden Sie sich an die zuständige Stelle.</p>".to_string(),
        (true, _, Lang::En) => "<p>You can apply <strong>online</strong> or contact the responsible office.</p>".to_string(),
        (false, Some(a), Lang::De) => format!("<p>Wenden Sie sich an: <strong>{}</strong>.</p>", escape_text(&a.title)),
        (false, Some(a), Lang::En) => format!("<p>Please contact: <strong>{}</strong>.</p>", escape_text(&a.title)),
        (false, None, Lang::De) => "<p>Wählen Sie Ihren Wohnort, um die zuständige Stelle zu sehen.</p>".to_string(),
        (false, None, Lang::En) => "<p>Choose your place to see the responsible office.</p>".to_string(),
    };
    push("procedure", procedure);
    push("costs", format!("<p>{}</p>", escape_text(&s.costs)));
    push(
        "processingTime",
        format!("<p>{}</p>", escape_text(&s.processing_time)),
    );
    push(
        "legalBasis",
        format!("<p>{}</p>", escape_text(&s.legal_basis)),
    );
    out
}

async fn service_detail(
    Extension(p): Extension<Arc<Pvog>>,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> Result<Json<Value>, ApiError> {
    let lang = Lang::parse(params.lang.as_deref())?;
    let place = optional_place(&p, params.ars.as_deref())?;
    let s = p.catalog.service(&id).ok_or(ApiError::NotFound)?;
    let organisations: Vec<&Authority> = place
        .map(|pl| p.catalog.responsible(s, pl))
        .unwrap_or_default();
    let online = place.and_then(|pl| p.catalog.online_at(&s.id, pl));
    let lebenslagen: Vec<Value> = s
        .lebenslagen
        .iter()
        .filter_map(|slug| p.catalog.lebenslage(slug))
        .map(|l| json!({"slug": l.slug, "name": lang.pick(&l.name, &l.name_en)}))
        .collect();
    Ok(Json(json!({
        "id": s.id,
        "leikaId": s.leika_id,
        "name": lang.pick(&s.name, &s.name_en),
        "summary": lang.pick(&s.summary, &s.summary_en),
        "level": s.level,
        "audience": s.audience,
        "lebenslagen": lebenslagen,
        "synonyms": s.synonyms,
        "authorityType": s.authority_type,
        "details": details(s, lang, online.is_some(), organisations.first().copied()),
        "costs": s.costs,
        "processingTime": s.processing_time,
        "legalBasis": s.legal_basis,
        "documents": s.documents,
        "eligibility": s.eligibility,
        "location": place.map(|pl| json!({"ars": pl.ars, "name": pl.name})),
        "organisations": organisations.iter().map(|a| json!({
            "id": a.id, "title": a.title, "role": "zuständige Stelle",
        })).collect::<Vec<_>>(),
        "onlineServices": online.iter().map(|o| json!({
            "id": o.id, "title": o.title, "uri": o.uri, "vertrauensniveau": o.trust_level,
            "sampleData": o.sample_data,
        })).collect::<Vec<_>>(),
        "lang": lang.of(&s.name_en).code(),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeikaParams {
    leika_ids: Option<String>,
    ars: Option<String>,
    lang: Option<String>,
}

async fn by_leika(
    Extension(p): Extension<Arc<Pvog>>,
    Query(params): Query<LeikaParams>,
) -> Result<Json<Value>, ApiError> {
    let lang = Lang::parse(params.lang.as_deref())?;
    let raw = params.leika_ids.unwrap_or_default();
    let keys: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() || keys.len() > 50 {
        return Err(ApiError::BadRequest(
            "leikaIds must list 1 to 50 LeiKa keys".into(),
        ));
    }
    if let Some(bad) = keys
        .iter()
        .find(|k| k.len() != 14 || !k.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::BadRequest(format!(
            "{bad:?} is not a 14-digit LeiKa key"
        )));
    }
    let place = optional_place(&p, params.ars.as_deref())?;
    let content: Vec<Value> = keys
        .iter()
        .filter_map(|k| p.catalog.service_by_leika(k))
        .map(|s| summary_json(&p, s, place, lang))
        .collect();
    let n = content.len();
    Ok(Json(json!({
        "content": content, "totalElements": n, "totalPages": if n > 0 { 1 } else { 0 },
        "number": 0, "size": n, "query": null, "suggestion": null,
    })))
}

// ------------------------------------------------------------ organisation units

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitlesParams {
    ars: Option<String>,
    lb_id: Option<String>,
}

async fn ou_titles(
    Extension(p): Extension<Arc<Pvog>>,
    Query(params): Query<TitlesParams>,
) -> Result<Json<Value>, ApiError> {
    let (Some(ars), Some(id)) = (params.ars.as_deref(), params.lb_id.as_deref()) else {
        return Err(ApiError::BadRequest("ars and lbId are required".into()));
    };
    let pl = place(&p, ars)?;
    let s = p.catalog.service(id).ok_or(ApiError::NotFound)?;
    let out: Vec<Value> = p
        .catalog
        .responsible(s, pl)
        .into_iter()
        .map(|a| json!({"id": a.id, "title": a.title, "role": "zuständige Stelle"}))
        .collect();
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
struct IdParam {
    q: Option<String>,
}

fn id_param(q: Option<String>, marker: &str) -> Result<String, ApiError> {
    let q = q.unwrap_or_default();
    if q.is_empty() || q.len() > 100 || !q.contains(marker) {
        return Err(ApiError::BadRequest(format!(
            "q must be an id containing {marker}"
        )));
    }
    Ok(q)
}

async fn ou_detail(
    Extension(p): Extension<Arc<Pvog>>,
    Query(params): Query<IdParam>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(params.q, ".OE.")?;
    let a = p.catalog.authority(&id).ok_or(ApiError::NotFound)?;
    Ok(Json(json!({
        "id": a.id,
        "title": a.title,
        "authorityType": a.authority_type,
        "location": {"street": a.street, "zip": a.zip, "city": a.city, "ars": a.ars},
        "communicationSystems": [
            {"type": "phone", "value": a.phone},
            {"type": "email", "value": a.email},
            {"type": "web", "value": a.web},
        ],
        "openingHours": a.hours,
        "openingHoursNote": a.hours_note,
        "sampleData": a.sample_data,
    })))
}

async fn online_detail(
    Extension(p): Extension<Arc<Pvog>>,
    Query(params): Query<IdParam>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(params.q, ".OD.")?;
    let o = p.catalog.online_service(&id).ok_or(ApiError::NotFound)?;
    Ok(Json(json!({
        "id": o.id,
        "title": o.title,
        "links": [{"uri": o.uri, "title": o.title}],
        "vertrauensniveau": o.trust_level,
        "sampleData": o.sample_data,
    })))
}
