//! Search latency of the PVOG stand-in: p50/p95/p99 over the fixed queries in
//! `backends/benches/pvog_queries.txt`, for the seed catalogue and for the seed
//! plus 5,000 synthetic services, both at the index and through the HTTP router.
//!
//! `cargo run -p backends --release --bin search-bench [rounds]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{body::Body, http::Request};
use backends::pvog::{self, catalog::Catalog, search::SearchRequest, Pvog};
use tower::ServiceExt;

const QUERIES: &str = include_str!("../../benches/pvog_queries.txt");
const KOELN: &str = "053150000000";
/// The issue fixes the list at 200 queries (one of them the empty query).
const QUERY_COUNT: usize = 200;

fn queries() -> Vec<&'static str> {
    QUERIES.lines().filter(|l| !l.starts_with('#')).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Row {
    label: String,
    services: usize,
    samples: Vec<Duration>,
}

fn print_table(rows: &[Row]) {
    println!(
        "| {:<44} | {:>8} | {:>7} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "measurement", "services", "samples", "p50 µs", "p95 µs", "p99 µs", "max µs"
    );
    println!(
        "|{:-<46}|{:->10}|{:->9}|{:->11}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", "", "", ""
    );
    for r in rows {
        let mut s = r.samples.clone();
        s.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "| {:<44} | {:>8} | {:>7} | {:>9.0} | {:>9.0} | {:>9.0} | {:>9.0} |",
            r.label,
            r.services,
            s.len(),
            us(percentile(&s, 50.0)),
            us(percentile(&s, 95.0)),
            us(percentile(&s, 99.0)),
            us(*s.last().unwrap_or(&Duration::ZERO)),
        );
    }
    // Machine-readable copies for the combined table of scripts/bench.sh.
    for r in rows {
        let mut s = r.samples.clone();
        s.sort();
        let us = |p: f64| percentile(&s, p).as_secs_f64() * 1e6;
        println!(
            "ROW\tsearch\t{} ({} services) p50 / p95 / p99\t{:.0} / {:.0} / {:.0}\tµs",
            r.label,
            r.services,
            us(50.0),
            us(95.0),
            us(99.0)
        );
    }
}

async fn measure(label: &str, synthetic: usize, rounds: usize) -> anyhow::Result<Vec<Row>> {
    let db = backends::Db::in_memory()?;
    pvog::store::ensure_seeded(&db)?;
    let mut catalog = Catalog::new(pvog::store::load(&db)?);
    catalog.add_synthetic(synthetic);
    let started = Instant::now();
    let p = Arc::new(Pvog::from_catalog(catalog)?);
    let build = started.elapsed();
    let services = p.catalog.services.len();
    eprintln!(
        "{label}: {services} services, {} places ({} regions), {} organisation units, {} online services; indexed in {build:?}",
        p.catalog.places.len(),
        p.catalog.regions().count(),
        p.catalog.authorities.len(),
        p.catalog.online_services.len(),
    );

    let qs = queries();
    let mut index_samples = Vec::new();
    let mut http_samples = Vec::new();
    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    let router = pvog::routes(p.clone()).with_state(backends::AppState {
        config: Arc::new(backends::Config::for_tests(
            std::env::temp_dir(),
            std::env::temp_dir().join("no-dist"),
        )),
        db: db.clone(),
    });
    for round in 0..=rounds {
        for q in &qs {
            let req = SearchRequest {
                q: q.to_string(),
                page: 0,
                size: 20,
                ..Default::default()
            };
            let t = Instant::now();
            let r = p.index.search(&req)?;
            let d = t.elapsed();
            std::hint::black_box(r);

            let uri = format!("/v7/servicedescriptions/{KOELN}?q={}", encode(q));
            let t = Instant::now();
            let resp = router
                .clone()
                .oneshot(Request::get(uri).body(Body::empty())?)
                .await?;
            let body = axum::body::to_bytes(resp.into_body(), 1 << 24).await?;
            let dh = t.elapsed();
            std::hint::black_box(body);
            if round > 0 {
                // round 0 warms caches
                index_samples.push(d);
                http_samples.push(dh);
                slowest.push((d, q));
            }
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    slowest.dedup_by(|a, b| a.1 == b.1);
    for (d, q) in slowest.iter().take(5) {
        eprintln!("  slow: {:>8.0} µs  {q:?}", d.as_secs_f64() * 1e6);
    }
    Ok(vec![
        Row {
            label: format!("{label}: index search"),
            services,
            samples: index_samples,
        },
        Row {
            label: format!("{label}: HTTP (router, JSON)"),
            services,
            samples: http_samples,
        },
    ])
}

/// The place search (`/v2/locations`) over all 449 places of the seed (396
/// municipalities, 31 Kreise): every name, every postcode and every name's
/// first three letters, through the HTTP router (issue #21).
async fn measure_places(rounds: usize) -> anyhow::Result<Row> {
    let db = backends::Db::in_memory()?;
    pvog::store::ensure_seeded(&db)?;
    let p = Arc::new(Pvog::from_catalog(Catalog::new(pvog::store::load(&db)?))?);
    let mut qs: Vec<String> = Vec::new();
    for pl in &p.catalog.places {
        qs.push(pl.name.clone());
        qs.push(pl.name.chars().take(3).collect());
        qs.extend(pl.zips.iter().cloned());
    }
    let router = pvog::routes(p.clone()).with_state(backends::AppState {
        config: Arc::new(backends::Config::for_tests(
            std::env::temp_dir(),
            std::env::temp_dir().join("no-dist"),
        )),
        db: db.clone(),
    });
    let mut samples = Vec::new();
    for round in 0..=rounds {
        for q in &qs {
            let uri = format!("/v2/locations?q={}", encode(q));
            let t = Instant::now();
            let resp = router
                .clone()
                .oneshot(Request::get(uri).body(Body::empty())?)
                .await?;
            let body = axum::body::to_bytes(resp.into_body(), 1 << 24).await?;
            let d = t.elapsed();
            std::hint::black_box(body);
            if round > 0 {
                samples.push(d);
            }
        }
    }
    Ok(Row {
        label: format!(
            "places /v2/locations ({} places, {} q)",
            p.catalog.places.len(),
            qs.len()
        ),
        services: p.catalog.services.len(),
        samples,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(r) => r.parse()?,
        None => 5,
    };
    let n = queries().len();
    if n != QUERY_COUNT {
        anyhow::bail!("benches/pvog_queries.txt has {n} queries, not {QUERY_COUNT}");
    }
    println!("{n} queries × {rounds} rounds, at Köln ({KOELN}), page size 20");
    let mut rows = measure("seed", 0, rounds).await?;
    rows.extend(measure("seed + 5000 synthetic", 5000, rounds).await?);
    rows.push(measure_places(rounds).await?);
    print_table(&rows);
    Ok(())
}
