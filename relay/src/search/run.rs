//! The relay's search: the plan of [`super::understand`] asked of PVOG's
//! plain search (all searches at once), the answers merged by weighted
//! reciprocal rank, and one page of the result in PVOG's own shape
//! (`content`, `totalElements`, `totalPages`, `number`, `size`, `query`,
//! `suggestion`).

use std::collections::HashMap;
use std::sync::Arc;

use contract::encoding::url_encode;
use serde_json::{json, Value};

use super::understand::{plan, Plan};
use crate::error::{RelayError, UpstreamError};
use crate::upstream::Upstream;

/// Results read per search of a plan (the merged list holds at most
/// this many per search).
pub const PER_SEARCH: usize = 50;
/// Rank damping of the merge: 1 / (K + rank).
const K: f32 = 5.0;
const MAX_PAGE: usize = 10_000;
const MAX_SIZE: usize = 100;
/// Parameters passed on to every search as they are.
pub const FILTERS: [&str; 5] = ["online", "audience", "level", "lebenslage", "lang"];

/// A checked search request.
pub struct Request<'a> {
    pub ars: &'a str,
    pub q: String,
    pub page: usize,
    pub size: usize,
    /// `&key=value…` of [`FILTERS`], encoded.
    pub filters: String,
}

impl<'a> Request<'a> {
    /// From the decoded parameters of the route (already limited in length).
    pub fn new(ars: &'a str, params: &[(String, String)]) -> Result<Self, RelayError> {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let number = |k: &str, default: usize, range: std::ops::RangeInclusive<usize>| match get(k)
        {
            None | Some("") => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| RelayError::BadRequest(format!("{k} is out of range"))),
        };
        let mut filters = String::new();
        for (k, v) in params.iter().filter(|(k, _)| FILTERS.contains(&k.as_str())) {
            filters.push_str(&format!("&{k}={}", url_encode(v)));
        }
        Ok(Request {
            ars,
            q: get("q").unwrap_or("").to_string(),
            page: number("page", 0, 0..=MAX_PAGE)?,
            size: number("size", 20, 1..=MAX_SIZE)?,
            filters,
        })
    }

    fn path(&self, q: &str, page: usize, size: usize) -> String {
        format!(
            "/v7/servicedescriptions/{}?q={}&page={page}&size={size}{}",
            self.ars,
            url_encode(q),
            self.filters
        )
    }
}

async fn ask(pvog: &Upstream, path: &str) -> Result<Value, UpstreamError> {
    let a = pvog.get(path).await?;
    if !(200..300).contains(&a.status) {
        return Err(UpstreamError::Status {
            status: a.status,
            retry_after: a.retry_after,
        });
    }
    serde_json::from_slice(&a.body)
        .map_err(|_| UpstreamError::Malformed("catalogue answer is not JSON".into()))
}

/// Runs a search with query understanding; the answer is PVOG's page shape.
pub async fn search(
    pvog: &Arc<Upstream>,
    vocab: &super::vocab::Vocabulary,
    req: &Request<'_>,
) -> Result<Value, RelayError> {
    let p = plan(vocab, &req.q);
    if p.is_plain() {
        // Nothing to add: PVOG's page as it is.
        let mut v = ask(pvog, &req.path(&req.q, req.page, req.size)).await?;
        if let Some(o) = v.as_object_mut() {
            o.insert("suggestion".into(), p.suggestion.into());
            o.insert("query".into(), req.q.clone().into());
        }
        return Ok(v);
    }
    let merged = merged(pvog, req, &p).await?;
    let total = merged.len();
    let content: Vec<Value> = merged
        .into_iter()
        .skip(req.page.saturating_mul(req.size))
        .take(req.size)
        .collect();
    Ok(json!({
        "content": content,
        "totalElements": total,
        "totalPages": total.div_ceil(req.size),
        "number": req.page,
        "size": req.size,
        "query": req.q,
        "suggestion": p.suggestion,
    }))
}

/// All searches of the plan at once; their hits merged, best first.
async fn merged(
    pvog: &Arc<Upstream>,
    req: &Request<'_>,
    p: &Plan,
) -> Result<Vec<Value>, RelayError> {
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in p.searches.iter().enumerate() {
        let pvog = pvog.clone();
        let path = req.path(&s.q, 0, PER_SEARCH);
        set.spawn(async move { (i, ask(&pvog, &path).await) });
    }
    let mut answers: Vec<(usize, Value)> = Vec::new();
    let mut first_error = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok(v))) => answers.push((i, v)),
            Ok((_, Err(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(UpstreamError::Unreachable(e.to_string()));
            }
        }
    }
    if answers.is_empty() {
        return Err(first_error
            .unwrap_or_else(|| UpstreamError::Malformed("no answer".into()))
            .into());
    }
    answers.sort_by_key(|a| a.0);
    // id → (score, first seen, summary)
    let mut hits: HashMap<String, (f32, usize, Value)> = HashMap::new();
    let mut order = 0;
    for (i, v) in answers {
        let weight = p.searches.get(i).map_or(0.0, |s| s.weight);
        let content = v
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (rank, item) in content.into_iter().enumerate() {
            let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let add = weight / (K + rank as f32 + 1.0);
            order += 1;
            hits.entry(id)
                .and_modify(|h| h.0 += add)
                .or_insert((add, order, item));
        }
    }
    let mut list: Vec<(f32, usize, Value)> = hits.into_values().collect();
    list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(list.into_iter().map(|h| h.2).collect())
}
