//! What the relay reads from PVOG to build its own catalogue knowledge: the
//! services of one region (all pages, German and English), their details
//! (keywords/synonyms, Lebenslagen), and for every Kreis and kreisfreie
//! Stadt of NRW which services are online there. Only PVOG's own routes are
//! used (docs/backends.md §1); everything is bounded.

use std::collections::HashMap;
use std::sync::Arc;

use contract::encoding::url_encode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::vocab::ServiceFacts;
use crate::error::UpstreamError;
use crate::upstream::Upstream;

/// The region whose service list is read: NRW as a whole, which lists every
/// service offered anywhere in the state.
pub const CRAWL_ARS: &str = "050000000000";
/// Page size of the crawl (PVOG's largest).
const PAGE_SIZE: usize = 100;
/// Pages read per list, at most (5,000 services).
const MAX_PAGES: usize = 50;
/// Details read per crawl, at most.
const MAX_DETAILS: usize = 2_000;
/// Calls to PVOG at the same time during a crawl.
const PARALLEL: usize = 6;

/// The 53 Kreise and kreisfreie Städte with their place on the tile map
/// (ours: PVOG has no map).
const REGIONS: &str = include_str!("regions.json");
/// Names and descriptions of the Lebenslagen as the app presents them (ours).
const LEBENSLAGEN: &str = include_str!("lebenslagen.json");

#[derive(Debug, Deserialize)]
struct Region {
    ars: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    tile: [u32; 2],
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Editorial {
    slug: String,
    name: String,
    name_en: String,
    description: String,
    description_en: String,
}

/// What one crawl of the catalogue found.
#[derive(Debug, Default)]
pub struct Facts {
    pub services: Vec<ServiceFacts>,
    /// English names and summaries (known words, never corrections).
    pub english: Vec<String>,
    /// Lebenslage names from the details (slug → German name).
    pub lebenslage_names: HashMap<String, String>,
}

/// One Lebenslage as the relay serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct LebenslageRow {
    pub slug: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub description_en: String,
    pub service_count: usize,
}

async fn get_json(pvog: &Upstream, path: &str) -> Result<Value, UpstreamError> {
    let a = pvog.get(path).await?;
    if !(200..300).contains(&a.status) {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        });
    }
    serde_json::from_slice(&a.body)
        .map_err(|e| UpstreamError::Malformed(format!("PVOG answer: {e}")))
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn strings_of(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Every page of a service list (`extra` are further parameters).
async fn all_pages(
    pvog: &Upstream,
    ars: &str,
    extra: &str,
) -> Result<(Vec<Value>, u64), UpstreamError> {
    let mut out = Vec::new();
    let mut total = 0;
    for page in 0..MAX_PAGES {
        let v = get_json(
            pvog,
            &format!("/v7/servicedescriptions/{ars}?q=&page={page}&size={PAGE_SIZE}{extra}"),
        )
        .await?;
        total = v.get("totalElements").and_then(Value::as_u64).unwrap_or(0);
        let content = v
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let n = content.len();
        out.extend(content);
        if n < PAGE_SIZE || out.len() as u64 >= total {
            break;
        }
    }
    Ok((out, total))
}

/// The services of [`CRAWL_ARS`] with their details.
pub async fn facts(pvog: &Arc<Upstream>) -> Result<Facts, UpstreamError> {
    let (german, _) = all_pages(pvog, CRAWL_ARS, "&lang=de").await?;
    let (english, _) = all_pages(pvog, CRAWL_ARS, "&lang=en").await?;
    let mut facts = Facts {
        english: english
            .iter()
            .flat_map(|s| [str_of(s, "name"), str_of(s, "summary")])
            .collect(),
        ..Default::default()
    };
    facts.services = german
        .iter()
        .map(|s| ServiceFacts {
            id: str_of(s, "id"),
            name: str_of(s, "name"),
            summary: str_of(s, "summary"),
            lebenslagen: strings_of(s, "lebenslagen"),
            synonyms: Vec::new(),
        })
        .filter(|s| !s.id.is_empty() && !s.name.is_empty())
        .collect();

    // Details, a few at a time: keywords and Lebenslage names.
    let ids: Vec<String> = facts
        .services
        .iter()
        .take(MAX_DETAILS)
        .map(|s| s.id.clone())
        .collect();
    let mut details: HashMap<String, Value> = HashMap::new();
    for chunk in ids.chunks(PARALLEL) {
        let mut set = tokio::task::JoinSet::new();
        for id in chunk {
            let pvog = pvog.clone();
            let id = id.clone();
            set.spawn(async move {
                let path = format!("/v6/servicedescriptions/{}/detail", url_encode(&id));
                (id, get_json(&pvog, &path).await)
            });
        }
        while let Some(joined) = set.join_next().await {
            let (id, answer) = joined.map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
            match answer {
                Ok(v) => {
                    details.insert(id, v);
                }
                // Gone since the list was read: no keywords for it.
                Err(UpstreamError::Status { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    for s in &mut facts.services {
        let Some(d) = details.get(&s.id) else {
            continue;
        };
        s.synonyms = strings_of(d, "synonyms");
        for l in d
            .get("lebenslagen")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (slug, name) = (str_of(l, "slug"), str_of(l, "name"));
            if !slug.is_empty() && !name.is_empty() {
                facts.lebenslage_names.entry(slug).or_insert(name);
            }
        }
    }
    Ok(facts)
}

/// The Lebenslagen that services carry, with their counts: in the order and
/// wording of our editorial list; a Lebenslage PVOG has and the list lacks
/// comes after, under PVOG's name.
pub fn lebenslagen(facts: &Facts) -> Vec<LebenslageRow> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in &facts.services {
        for l in &s.lebenslagen {
            *counts.entry(l.as_str()).or_default() += 1;
        }
    }
    let editorial: Vec<Editorial> = serde_json::from_str(LEBENSLAGEN).unwrap_or_default();
    let mut out: Vec<LebenslageRow> = editorial
        .into_iter()
        .filter_map(|e| {
            let n = counts.remove(e.slug.as_str())?;
            Some(LebenslageRow {
                slug: e.slug,
                name: e.name,
                name_en: e.name_en,
                description: e.description,
                description_en: e.description_en,
                service_count: n,
            })
        })
        .collect();
    let mut rest: Vec<(&str, usize)> = counts.into_iter().collect();
    rest.sort();
    for (slug, n) in rest {
        let name = facts
            .lebenslage_names
            .get(slug)
            .cloned()
            .unwrap_or_else(|| slug.to_string());
        out.push(LebenslageRow {
            slug: slug.to_string(),
            name: name.clone(),
            name_en: name,
            description: String::new(),
            description_en: String::new(),
            service_count: n,
        });
    }
    out
}

/// Online availability per region: for each region the number of services
/// and of those online there; for each service the regions where it is.
pub async fn overview(
    pvog: &Arc<Upstream>,
    services: &[ServiceFacts],
) -> Result<Value, UpstreamError> {
    let regions: Vec<Region> = serde_json::from_str(REGIONS)
        .map_err(|e| UpstreamError::Malformed(format!("regions.json: {e}")))?;
    let mut per_region: Vec<(u64, Vec<String>)> = Vec::with_capacity(regions.len());
    for chunk in regions.chunks(PARALLEL) {
        let mut set = tokio::task::JoinSet::new();
        for (i, r) in chunk.iter().enumerate() {
            let pvog = pvog.clone();
            let ars = r.ars.clone();
            set.spawn(async move {
                let all =
                    get_json(&pvog, &format!("/v7/servicedescriptions/{ars}?q=&size=1")).await;
                let online = all_pages(&pvog, &ars, "&online=true").await;
                (i, all, online)
            });
        }
        let mut got: Vec<(usize, u64, Vec<String>)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (i, all, online) = joined.map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
            let total = all?
                .get("totalElements")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let ids = online?.0.iter().map(|s| str_of(s, "id")).collect();
            got.push((i, total, ids));
        }
        got.sort_by_key(|g| g.0);
        per_region.extend(got.into_iter().map(|(_, t, ids)| (t, ids)));
    }
    let mut online_at: HashMap<&str, Vec<&str>> = HashMap::new();
    let region_json: Vec<Value> = regions
        .iter()
        .zip(&per_region)
        .map(|(r, (total, ids))| {
            for id in ids {
                online_at
                    .entry(id.as_str())
                    .or_default()
                    .push(r.ars.as_str());
            }
            let share = if *total == 0 {
                0.0
            } else {
                (ids.len() as f64 / *total as f64 * 1000.0).round() / 1000.0
            };
            json!({
                "ars": r.ars, "name": r.name, "type": r.kind,
                "tile": {"col": r.tile[0], "row": r.tile[1]},
                "onlineCount": ids.len(), "total": total, "onlineShare": share,
            })
        })
        .collect();
    let service_json: Vec<Value> = services
        .iter()
        .map(|s| {
            json!({
                "id": s.id, "name": s.name,
                "onlineRegions": online_at.get(s.id.as_str()).cloned().unwrap_or_default(),
            })
        })
        .collect();
    Ok(json!({"regions": region_json, "services": service_json}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_lists_parse() {
        let r: Vec<Region> = serde_json::from_str(REGIONS).unwrap();
        assert_eq!(r.len(), 53);
        assert!(r.iter().all(|r| r.ars.len() == 12));
        let e: Vec<Editorial> = serde_json::from_str(LEBENSLAGEN).unwrap();
        assert!(e.len() >= 17);
    }

    /// The tile map's regions are the catalogue's 53 Kreise and kreisfreie
    /// Städte (issue #21: generated by scripts/import-places.py).
    #[test]
    fn regions_match_the_catalogue_seed() {
        let seed: Value =
            serde_json::from_str(include_str!("../../../backends/seed/pvog/places.json")).unwrap();
        let seed = seed["regions"].as_array().unwrap();
        let r: Vec<Region> = serde_json::from_str(REGIONS).unwrap();
        assert_eq!(r.len(), seed.len());
        for (ours, theirs) in r.iter().zip(seed) {
            assert_eq!(ours.ars, theirs["ars"].as_str().unwrap());
            assert_eq!(ours.name, theirs["name"].as_str().unwrap());
            assert_eq!(ours.kind, theirs["type"].as_str().unwrap());
            assert_eq!(ours.tile[0] as u64, theirs["tile"][0].as_u64().unwrap());
            assert_eq!(ours.tile[1] as u64, theirs["tile"][1].as_u64().unwrap());
        }
    }

    #[test]
    fn lebenslagen_are_counted_and_unknown_ones_kept() {
        let s = |id: &str, l: &[&str]| ServiceFacts {
            id: id.into(),
            name: id.into(),
            lebenslagen: l.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        };
        let facts = Facts {
            services: vec![s("1", &["umzug", "neu"]), s("2", &["umzug"])],
            lebenslage_names: [("neu".to_string(), "Ganz neu".to_string())].into(),
            ..Default::default()
        };
        let rows = lebenslagen(&facts);
        assert_eq!(rows[0].slug, "umzug");
        assert_eq!(rows[0].service_count, 2);
        assert_eq!(rows[0].name_en, "Moving house");
        assert_eq!(rows[1].name, "Ganz neu");
        assert_eq!(rows.len(), 2, "Lebenslagen without services are left out");
    }
}
