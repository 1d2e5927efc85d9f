//! The public catalogue: PVOG data through the relay, with the relay's
//! client-credentials token. Cacheable (`public, max-age=300`), so the
//! service worker may keep it for offline use. Only known parameters are
//! passed on, each checked for length and shape; the answer must be JSON.
//!
//! The search runs through the relay's query understanding, and the
//! Lebenslagen and the overview are derived by the relay (`crate::search`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use contract::encoding::url_encode;

use crate::error::{RelayError, UpstreamError};
use crate::RelayState;

/// How long browsers and the service worker may reuse a catalogue answer.
pub const CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=86400";
/// Longest value of one query parameter.
pub const MAX_PARAM_CHARS: usize = 200;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route("/locations", get(locations))
        .route("/regions/{ars}/services", get(search))
        .route("/services/by-leika", get(by_leika))
        .route("/services/{id}", get(detail))
        .route("/organisations", get(organisation_titles))
        .route("/organisations/{id}", get(organisation))
        .route("/online-services/{id}", get(online_service))
        .route("/lebenslagen", get(lebenslagen))
        .route("/overview", get(overview))
}

/// The allowed parameters of `raw`, decoded; anything else is refused.
pub(crate) fn params(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, RelayError> {
    let mut out = Vec::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v).ok_or_else(|| RelayError::BadRequest(format!("{k} is not valid")))?;
        if !allowed.contains(&k) {
            return Err(RelayError::BadRequest(format!("unknown parameter {k}")));
        }
        if v.chars().count() > MAX_PARAM_CHARS {
            return Err(RelayError::BadRequest(format!("{k} is too long")));
        }
        out.push((k.to_string(), v));
    }
    Ok(out)
}

/// The allowed parameters of `raw`, re-encoded; anything else is refused.
pub(crate) fn pass(raw: Option<&str>, allowed: &[&str]) -> Result<String, RelayError> {
    let out: Vec<String> = params(raw, allowed)?
        .into_iter()
        .map(|(k, v)| format!("{k}={}", url_encode(&v)))
        .collect();
    Ok(if out.is_empty() {
        String::new()
    } else {
        format!("?{}", out.join("&"))
    })
}

fn decode(v: &str) -> Option<String> {
    contract::encoding::percent_decode(&v.replace('+', " "))
}

/// A path segment: digits, letters, `.`, `-`, `_` only.
pub(crate) fn segment(s: &str) -> Result<&str, RelayError> {
    let ok = s.len() <= 100
        && s.bytes().any(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(s)
    } else {
        Err(RelayError::NotFound)
    }
}

async fn forward(state: &RelayState, path: String) -> Result<Response, RelayError> {
    let a = state.shared.pvog.get(&path).await?;
    if !(200..300).contains(&a.status) {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        }
        .into());
    }
    // Only JSON goes on: a broken or foreign answer stops here.
    if serde_json::from_slice::<serde::de::IgnoredAny>(&a.body).is_err() {
        return Err(UpstreamError::Malformed("catalogue answer is not JSON".into()).into());
    }
    Ok(json_answer(a.body, CACHE_CONTROL))
}

fn json_answer(body: Vec<u8>, cache: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

fn json_value(v: &serde_json::Value, cache: &'static str) -> Result<Response, RelayError> {
    let body = serde_json::to_vec(v).map_err(|e| RelayError::Internal(e.to_string()))?;
    Ok(json_answer(body, cache))
}

/// `GET /api/v1/catalogue/locations?q=&limit=` → PVOG `/v2/locations`
async fn locations(
    State(s): State<RelayState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let query = pass(q.as_deref(), &["q", "limit"])?;
    forward(&s, format!("/v2/locations{query}")).await
}

/// `GET /api/v1/catalogue/regions/{ars}/services?q=&page=&size=&…`: the
/// relay's query understanding over PVOG's plain `/v7/servicedescriptions/{ars}`.
async fn search(
    State(s): State<RelayState>,
    Path(ars): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let mut allowed = vec!["q", "page", "size"];
    allowed.extend(crate::search::run::FILTERS);
    let params = params(q.as_deref(), &allowed)?;
    let req = crate::search::run::Request::new(segment(&ars)?, &params)?;
    let vocab = s.shared.catalogue.vocabulary().await;
    let page = crate::search::run::search(&s.shared.pvog, &vocab, &req).await?;
    json_value(&page, CACHE_CONTROL)
}

/// `GET /api/v1/catalogue/services/{id}?ars=&lang=` → `/v6/servicedescriptions/{id}/detail`,
/// with the relay's `offer` added when a place is given: how the service
/// can be applied for there (crate::offer).
async fn detail(
    State(s): State<RelayState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let params = params(q.as_deref(), &["ars", "lang"])?;
    let query = pass(q.as_deref(), &["ars", "lang"])?;
    let path = format!("/v6/servicedescriptions/{}/detail{query}", segment(&id)?);
    let ars = params
        .iter()
        .find(|(k, _)| k == "ars")
        .map(|(_, v)| v.clone());
    let Some(ars) = ars.filter(|a| crate::offer::is_place(a)) else {
        return forward(&s, path).await;
    };
    let mut doc = fetch_json(&s, &path).await?;
    let offer = crate::offer::at_place(&s, &doc, &ars).await;
    if let Some(obj) = doc.as_object_mut() {
        let v = serde_json::to_value(&offer).map_err(|e| RelayError::Internal(e.to_string()))?;
        obj.insert("offer".into(), v);
    }
    json_value(&doc, CACHE_CONTROL)
}

/// PVOG's JSON answer at `path`.
async fn fetch_json(state: &RelayState, path: &str) -> Result<serde_json::Value, RelayError> {
    let not_found = UpstreamError::Status {
        status: 404,
        retry_after: None,
    };
    Ok(state
        .shared
        .pvog
        .get_json(path, "catalogue answer")
        .await?
        .ok_or(not_found)?)
}

/// `GET /api/v1/catalogue/services/by-leika?leikaIds=&ars=` → `/v3/servicedescriptions/leikaid`
async fn by_leika(
    State(s): State<RelayState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let query = pass(q.as_deref(), &["leikaIds", "ars", "lang"])?;
    forward(&s, format!("/v3/servicedescriptions/leikaid{query}")).await
}

/// `GET /api/v1/catalogue/organisations?ars=&lbId=` → `/v2/organisationunits/titles`
async fn organisation_titles(
    State(s): State<RelayState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let query = pass(q.as_deref(), &["ars", "lbId"])?;
    forward(&s, format!("/v2/organisationunits/titles{query}")).await
}

/// `GET /api/v1/catalogue/organisations/{id}` → `/v5/organisationunits/detail?q=`
async fn organisation(
    State(s): State<RelayState>,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &s,
        format!(
            "/v5/organisationunits/detail?q={}",
            url_encode(segment(&id)?)
        ),
    )
    .await
}

/// `GET /api/v1/catalogue/online-services/{id}` → `/v2/onlineservices/detail?q=`
async fn online_service(
    State(s): State<RelayState>,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &s,
        format!("/v2/onlineservices/detail?q={}", url_encode(segment(&id)?)),
    )
    .await
}

/// Derived data that may be out of date is cached briefly only.
const STALE_CACHE_CONTROL: &str = "public, max-age=60";

/// `GET /api/v1/catalogue/lebenslagen?lang=`: derived by the relay from
/// PVOG's service lists (`crate::search::crawl`); every entry says whether
/// the list may be out of date (`stale`) and when it was read (`asOf`).
async fn lebenslagen(
    State(s): State<RelayState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let params = params(q.as_deref(), &["lang"])?;
    let english = match params
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.as_str())
    {
        None | Some("") | Some("de") => false,
        Some("en") => true,
        Some(_) => return Err(RelayError::BadRequest("lang must be de or en".into())),
    };
    let (d, stale) = s.shared.catalogue.derived(&s.shared.pvog).await?;
    let list: Vec<serde_json::Value> = d
        .lebenslagen
        .iter()
        .map(|l| {
            let pick = |de: &str, en: &str| {
                if english && !en.is_empty() {
                    en.to_string()
                } else {
                    de.to_string()
                }
            };
            serde_json::json!({
                "slug": l.slug,
                "name": pick(&l.name, &l.name_en),
                "description": pick(&l.description, &l.description_en),
                "serviceCount": l.service_count,
                "stale": stale,
                "asOf": d.as_of,
            })
        })
        .collect();
    json_value(&serde_json::Value::Array(list), cache_for(stale))
}

/// `GET /api/v1/catalogue/overview`: online availability per region, derived
/// by the relay from PVOG's service lists per region, with `stale` and `asOf`.
async fn overview(State(s): State<RelayState>) -> Result<Response, RelayError> {
    let (d, stale) = s.shared.catalogue.derived(&s.shared.pvog).await?;
    let mut v = d.overview.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("stale".into(), stale.into());
        o.insert("asOf".into(), d.as_of.into());
    }
    json_value(&v, cache_for(stale))
}

fn cache_for(stale: bool) -> &'static str {
    if stale {
        STALE_CACHE_CONTROL
    } else {
        CACHE_CONTROL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_parameters_pass_re_encoded() {
        assert_eq!(
            pass(Some("q=K%C3%B6ln+Mitte&limit=5"), &["q", "limit"]).unwrap(),
            "?q=K%C3%B6ln%20Mitte&limit=5"
        );
        assert_eq!(pass(None, &["q"]).unwrap(), "");
        assert!(pass(Some("q=a&evil=1"), &["q"]).is_err());
        assert!(pass(Some("q=%ZZ"), &["q"]).is_err());
        let long = format!("q={}", "a".repeat(MAX_PARAM_CHARS + 1));
        assert!(pass(Some(&long), &["q"]).is_err());
    }

    #[test]
    fn segments_cannot_escape_the_path() {
        assert!(segment("L100012.OE.225060530").is_ok());
        for bad in ["", "..", ".", "..%2f", "a/b", "a?b", "a b"] {
            assert!(segment(bad).is_err(), "{bad}");
        }
    }
}
