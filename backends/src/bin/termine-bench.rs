//! Slot query latency of the appointment stand-in (issue #22): Köln's
//! Kundenzentrum Innenstadt (4 counters), Personalausweis, four weeks from
//! tomorrow, with a hold on one counter at every third start, through the HTTP
//! router (service token check included). Prints p50/p95 and a `ROW` line
//! for scripts/bench.sh (part `termine`).
//!
//! `cargo run -p backends --release --bin termine-bench [rounds]`

use std::time::{Duration, Instant};

use axum::{body::Body, http::Request};
use backends::termine::{book, offices};
use backends::{AppState, Config};
use contract::termine as t;
use tower::ServiceExt;

const AUSWEIS: &str = "99088001001000";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = tempfile_dir()?;
    let config = Config::for_tests(dir.clone(), dir.join("no-dist"));
    let state = AppState::open(config)?;
    let app = backends::app(state.clone())?;
    let office = offices::all_ids()
        .into_iter()
        .find(|id| {
            offices::office(id).is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .ok_or_else(|| anyhow::anyhow!("no Kundenzentrum Innenstadt"))?
        .to_string();
    let rules = offices::office(&office).ok_or_else(|| anyhow::anyhow!("office"))?;
    let from = t::unix_to_local(now()).0 + 1;
    let to = from + 27;
    // A hold on one counter at every third start (the query must look at units).
    let mut booked = 0;
    for (i, (s, _)) in rules.starts(from, to, 900).into_iter().enumerate() {
        if i % 3 != 0 {
            continue;
        }
        let req = t::HoldRequest {
            office: office.clone(),
            service: AUSWEIS.into(),
            start: t::rfc3339(s),
            persons: 1,
        };
        // One address per hold (the per-address limit is not measured here).
        if book::hold(&state, req, format!("bench-{i}"), now())
            .await
            .is_ok()
        {
            booked += 1;
        }
    }
    let token = state
        .db
        .call(|c| {
            backends::idp::clients::issue_service_token(
                c,
                "buergeramt-onlinedienst",
                backends::termine::SCOPE_TERMINE,
                3600,
            )
        })
        .await?
        .0;
    let uri = format!(
        "/termine/v1/offices/{office}/slots?service={AUSWEIS}&from={}&to={}",
        t::format_date(from),
        t::format_date(to)
    );
    let mut times = Vec::with_capacity(rounds);
    let mut slots = 0;
    for _ in 0..rounds {
        let req = Request::get(&uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())?;
        let started = Instant::now();
        let resp = app.clone().oneshot(req).await?;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024).await?;
        times.push(started.elapsed());
        anyhow::ensure!(status.is_success(), "slot query answered {status}");
        let list: t::SlotList = serde_json::from_slice(&body)?;
        slots = list.days.iter().map(|d| d.slots.len()).sum();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "slot query, {office}, 4 weeks, {booked} holds, {slots} free slots, {rounds} rounds: p50 {:.2} ms, p95 {:.2} ms",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 95.0))
    );
    println!(
        "ROW\ttermine\tslot query p95, one office, 4 weeks (in-process router)\t{:.2}\tms",
        ms(percentile(&times, 95.0))
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("termine-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
