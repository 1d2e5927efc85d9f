//! Metrics in Prometheus' text format at `/metrics`, written with atomics.
//!
//! * Requests by **route template** (axum's `MatchedPath`, e.g.
//!   `/api/v1/sessions/{id}`; never the raw path, which may carry an id or a
//!   search word), method and status class, and their duration.
//! * Calls to PVOG, ZBP and FIT-Connect (`upstream::Upstream::call`, the
//!   token fetch included) by outcome, errors, and their duration. The
//!   identity provider's calls (`oidc.rs`) are not counted.
//! * Uptime, start time and version.
//!
//! Not public: served only when `metrics_token` is configured and the
//! request carries `Authorization: Bearer <token>` (constant-time compare);
//! otherwise the route answers 404 like any unknown path.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};

use crate::error::{RelayError, UpstreamError};
use crate::RelayState;

/// Upper bounds (seconds) of the duration histograms' buckets.
pub const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Route label of a request outside `/api/` that no route matched (the app's pages).
pub const APP_ROUTE: &str = "(app)";
/// Route label of a request under `/api/` that no route matched.
pub const API_UNMATCHED: &str = "(api unmatched)";

/// A histogram of durations: one counter per bucket (not cumulative; the
/// last one is `+Inf`) and the sum in microseconds.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..=BUCKETS.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many observations (the sum of every bucket).
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// `name_bucket`, `name_sum` and `name_count` lines with `labels`
    /// (already formatted, `k="v",…` without braces).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// Counters of one route and method.
#[derive(Default)]
struct RouteSeries {
    /// By status class: 1xx … 5xx.
    by_class: [AtomicU64; 5],
    duration: Histogram,
}

/// The relay's request metrics; one per [`crate::app`].
pub struct Metrics {
    started: Instant,
    started_unix: f64,
    routes: RwLock<BTreeMap<(&'static str, String), Arc<RouteSeries>>>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        Arc::new(Metrics {
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            routes: RwLock::new(BTreeMap::new()),
        })
    }

    /// Counts one answered request.
    pub fn record(&self, method: &'static str, route: &str, status: u16, took: Duration) {
        let key = (method, route.to_string());
        let known = self.routes.read().ok().and_then(|m| m.get(&key).cloned());
        let series = match known {
            Some(s) => s,
            None => match self.routes.write() {
                Ok(mut m) => m.entry(key).or_default().clone(),
                Err(_) => return,
            },
        };
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        series.by_class[class].fetch_add(1, Ordering::Relaxed);
        series.duration.observe(took);
    }

    /// The whole text exposition, with the upstreams' counters.
    pub fn render(&self, upstreams: &[(&str, &UpstreamStats)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP relay_build_info The relay's version and API version.\n\
             # TYPE relay_build_info gauge\n\
             relay_build_info{{version=\"{}\",api=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            contract::relay::API_VERSION
        );
        let _ = writeln!(
            out,
            "# HELP relay_uptime_seconds Seconds since this relay started serving.\n\
             # TYPE relay_uptime_seconds gauge\n\
             relay_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP relay_start_time_seconds Unix time at which this relay started serving.\n\
             # TYPE relay_start_time_seconds gauge\n\
             relay_start_time_seconds {}",
            self.started_unix
        );
        let routes: Vec<_> = match self.routes.read() {
            Ok(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => Vec::new(),
        };
        out.push_str(
            "# HELP relay_http_requests_total Requests answered, by route template, method and status class.\n\
             # TYPE relay_http_requests_total counter\n",
        );
        for ((method, route), s) in &routes {
            for (i, c) in s.by_class.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "relay_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{}xx\"}} {n}",
                        escape(route),
                        i + 1
                    );
                }
            }
        }
        out.push_str(
            "# HELP relay_http_request_duration_seconds Time until the answer's head, by route template and method.\n\
             # TYPE relay_http_request_duration_seconds histogram\n",
        );
        for ((method, route), s) in &routes {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            s.duration
                .render(&mut out, "relay_http_request_duration_seconds", &labels);
        }
        render_upstreams(&mut out, upstreams);
        out
    }
}

/// Outcomes of upstream calls, in the order of [`UpstreamStats`]' counters.
pub const OUTCOMES: [&str; 9] = [
    "1xx",
    "2xx",
    "3xx",
    "4xx",
    "5xx",
    "timeout",
    "unreachable",
    "malformed",
    "credentials",
];

/// Counters of one upstream (a field of `upstream::Upstream`).
#[derive(Default)]
pub struct UpstreamStats {
    outcomes: [AtomicU64; OUTCOMES.len()],
    duration: Histogram,
}

impl UpstreamStats {
    /// Counts one call: its status, or why there was none.
    pub fn record(&self, outcome: Result<u16, &UpstreamError>, took: Duration) {
        let i = match outcome {
            Ok(status) => usize::from(status / 100).clamp(1, 5) - 1,
            Err(UpstreamError::Status { status, .. }) => usize::from(status / 100).clamp(1, 5) - 1,
            Err(UpstreamError::Timeout) => 5,
            Err(UpstreamError::Unreachable(_)) => 6,
            Err(UpstreamError::Malformed(_)) => 7,
            Err(UpstreamError::Credentials) => 8,
        };
        self.outcomes[i].fetch_add(1, Ordering::Relaxed);
        self.duration.observe(took);
    }

    /// Calls with the outcome `label` (one of [`OUTCOMES`]).
    pub fn calls(&self, label: &str) -> u64 {
        OUTCOMES
            .iter()
            .position(|o| *o == label)
            .map_or(0, |i| self.outcomes[i].load(Ordering::Relaxed))
    }

    /// Calls without a usable answer: 5xx, timeout, unreachable,
    /// malformed answer, refused credentials.
    pub fn errors(&self) -> u64 {
        self.outcomes[4..]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }
}

fn render_upstreams(out: &mut String, upstreams: &[(&str, &UpstreamStats)]) {
    out.push_str(
        "# HELP relay_upstream_requests_total Calls to an upstream (token fetch included), by outcome.\n\
         # TYPE relay_upstream_requests_total counter\n",
    );
    for (name, s) in upstreams {
        for (i, label) in OUTCOMES.iter().enumerate() {
            let n = s.outcomes[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "relay_upstream_requests_total{{upstream=\"{}\",outcome=\"{label}\"}} {n}",
                escape(name)
            );
        }
    }
    out.push_str(
        "# HELP relay_upstream_errors_total Calls to an upstream without a usable answer (5xx, timeout, unreachable, malformed, credentials refused).\n\
         # TYPE relay_upstream_errors_total counter\n",
    );
    for (name, s) in upstreams {
        let _ = writeln!(
            out,
            "relay_upstream_errors_total{{upstream=\"{}\"}} {}",
            escape(name),
            s.errors()
        );
    }
    out.push_str(
        "# HELP relay_upstream_request_duration_seconds Duration of calls to an upstream.\n\
         # TYPE relay_upstream_request_duration_seconds histogram\n",
    );
    for (name, s) in upstreams {
        let labels = format!("upstream=\"{}\"", escape(name));
        s.duration
            .render(out, "relay_upstream_request_duration_seconds", &labels);
    }
}

/// A label value as Prometheus wants it: `\`, `"` and newlines escaped.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The method as a label (a bounded set).
pub fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The route template of a request; never its raw path.
pub fn route_label(req: &Request) -> String {
    if let Some(m) = req.extensions().get::<MatchedPath>() {
        // A nested router's fallback matches a catch-all of axum's own.
        if !m.as_str().contains("__private__") {
            return m.as_str().to_string();
        }
    }
    let p = req.uri().path();
    if p == "/api" || p.starts_with("/api/") {
        API_UNMATCHED.into()
    } else {
        APP_ROUTE.into()
    }
}

/// The middleware counting every request (added last: it sees every answer,
/// the API guard's refusals included).
pub async fn track(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = method_label(req.method());
    let route = route_label(&req);
    let started = Instant::now();
    let resp = next.run(req).await;
    m.record(method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// Is this request's bearer token `token`? (Constant-time compare.)
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| site::same_secret(given.trim(), token))
}

/// `GET /metrics`.
pub fn route(metrics: Arc<Metrics>) -> MethodRouter<RelayState> {
    get(move |State(state): State<RelayState>, headers: HeaderMap| {
        let metrics = metrics.clone();
        async move { serve(&state, &metrics, &headers) }
    })
}

fn serve(state: &RelayState, metrics: &Metrics, headers: &HeaderMap) -> Response {
    let ok = state
        .shared
        .config
        .metrics_token
        .as_deref()
        .is_some_and(|t| authorized(headers, t));
    if !ok {
        return RelayError::NotFound.into_response();
    }
    let s = &state.shared;
    let body = metrics.render(&[
        ("pvog", &s.pvog.stats),
        ("zbp", &s.zbp.stats),
        ("fitconnect", &s.fitconnect.stats),
        ("termine", &s.termine.stats),
        ("payment", &s.payment.stats),
    ]);
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[test]
    fn requests_are_counted_by_route_and_class_with_cumulative_buckets() {
        let m = Metrics::new();
        m.record(
            "GET",
            "/api/v1/sessions/{id}",
            200,
            Duration::from_millis(3),
        );
        m.record(
            "GET",
            "/api/v1/sessions/{id}",
            204,
            Duration::from_millis(30),
        );
        m.record("GET", "/api/v1/sessions/{id}", 404, Duration::from_secs(60));
        let t = m.render(&[]);
        assert!(t.contains(
            "relay_http_requests_total{method=\"GET\",route=\"/api/v1/sessions/{id}\",status=\"2xx\"} 2\n"
        ), "{t}");
        assert!(t.contains("status=\"4xx\"} 1\n"), "{t}");
        assert!(!t.contains("status=\"5xx\""), "no zero classes: {t}");
        let b = "relay_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/sessions/{id}\",le=";
        assert!(t.contains(&format!("{b}\"0.005\"}} 1\n")), "{t}");
        assert!(t.contains(&format!("{b}\"0.05\"}} 2\n")), "{t}");
        assert!(t.contains(&format!("{b}\"30\"}} 2\n")), "{t}");
        assert!(t.contains(&format!("{b}\"+Inf\"}} 3\n")), "{t}");
        let count = line(&t, "relay_http_request_duration_seconds_count{").unwrap();
        assert!(count.ends_with(" 3"), "{count}");
        let sum = line(&t, "relay_http_request_duration_seconds_sum{").unwrap();
        let sum: f64 = sum.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((sum - 60.033).abs() < 1e-6, "{sum}");
        assert!(line(&t, "relay_uptime_seconds ").is_some());
        assert!(line(&t, "# TYPE relay_http_request_duration_seconds histogram").is_some());
    }

    #[test]
    fn upstream_outcomes_and_errors() {
        let s = UpstreamStats::default();
        s.record(Ok(200), Duration::from_millis(1));
        s.record(Ok(404), Duration::from_millis(1));
        s.record(Ok(503), Duration::from_millis(1));
        s.record(Err(&UpstreamError::Timeout), Duration::from_secs(10));
        s.record(Err(&UpstreamError::Unreachable("x".into())), Duration::ZERO);
        s.record(Err(&UpstreamError::Credentials), Duration::ZERO);
        assert_eq!(s.calls("2xx"), 1);
        assert_eq!(s.calls("4xx"), 1);
        assert_eq!(s.errors(), 4, "5xx, timeout, unreachable, credentials");
        let t = Metrics::new().render(&[("pvog", &s)]);
        assert!(
            t.contains("relay_upstream_requests_total{upstream=\"pvog\",outcome=\"timeout\"} 1\n"),
            "{t}"
        );
        assert!(
            t.contains("relay_upstream_errors_total{upstream=\"pvog\"} 4\n"),
            "{t}"
        );
        assert!(
            t.contains("relay_upstream_request_duration_seconds_count{upstream=\"pvog\"} 6\n"),
            "{t}"
        );
    }

    #[test]
    fn labels_are_escaped_and_methods_bounded() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PURGE").unwrap()),
            "OTHER"
        );
    }

    #[test]
    fn bearer_token_must_match_exactly() {
        let token = "0123456789abcdef-metrics";
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, token));
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        assert!(authorized(&h, token));
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}x").parse().unwrap(),
        );
        assert!(!authorized(&h, token));
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {token}").parse().unwrap(),
        );
        assert!(!authorized(&h, token));
    }
}
