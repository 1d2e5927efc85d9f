//! Load through the relay (issue #18): N citizens at once, each sending one
//! encrypted Hundesteuer application for Hilden through the relay, the way
//! the app does it: routes → destination → key, announce (one attachment),
//! upload the attachment's JWE, the relay's attestation for the data's hash,
//! submit the JWEs of metadata (with the attestation) and data.
//!
//! Before the clock starts, every citizen gets an account and a session:
//! each registers a new Basis account at the stand-in's login pages (one
//! login transaction started at the relay; `--login-concurrency` at a time,
//! argon2 is meant to be slow) and logs in with it, so no per-citizen
//! quota of the relay is shared. Then all start together (a barrier).
//!
//! Afterwards the relay's own record is counted (`relay_submissions`, in
//! the SQLite file `--sqlite` or the PostgreSQL database `--database-url`):
//! the rows it gained must equal the submissions sent, and so must the
//! stand-in's `fitconnect_submissions` when `--standin-db` is given.
//!
//! `relay-load --base http://127.0.0.1:LB --setup "postgres, 2 relays" (--sqlite FILE | --database-url URL) [--standin-db FILE] [--citizens 200] [--login-concurrency 8] [--pid PID]...`
//!
//! `--base` is what the browser talks to: the load balancer or the single
//! relay. Besides a readable report it prints
//! `ROW\t<group>\t<measurement>\t<value>\t<unit>` lines and one
//! `SCALE\t<setup>\t<citizens>\t<submissions/s>\t<p50 ms>\t<p95 ms>\t<errors>\t<rows>\t<sent>`
//! line for `scripts/bench.sh`. Exits non-zero when a submission failed or
//! a row is missing.

#[allow(dead_code)]
#[path = "../../../backends/tests/support/submission_crypto.rs"]
mod crypto;

// Not `mod browser;`: from a crate root in src/bin/ that would be
// src/bin/browser.rs, which cargo would take for a binary of its own.
#[path = "relay-load/browser.rs"]
mod browser;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use reqwest::Method;
use serde_json::json;
use tokio::sync::{Barrier, Semaphore};

use browser::{register_and_login, Body, Browser, Reply};

const GROUP: &str = "relay-scale";
const LEVEL: &str = "STORK-QAA-Level-1";
const PASSWORD: &str = "Bench-Basis-2026";

/// Request kinds, in the order of one submission.
const KINDS: [&str; 7] = [
    "GET routes",
    "GET destination",
    "GET key",
    "POST announce",
    "PUT attachment",
    "POST attestation",
    "PUT submit",
];

struct Args {
    base: String,
    setup: String,
    citizens: usize,
    login_concurrency: usize,
    sqlite: Option<String>,
    database_url: Option<String>,
    standin_db: Option<String>,
    pids: Vec<u32>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        base: String::new(),
        setup: "relay".into(),
        citizens: 200,
        login_concurrency: 8,
        sqlite: None,
        database_url: None,
        standin_db: None,
        pids: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{k} needs a value"))?;
        match k.as_str() {
            "--base" => a.base = v.trim_end_matches('/').into(),
            "--setup" => a.setup = v,
            "--citizens" => a.citizens = v.parse()?,
            "--login-concurrency" => a.login_concurrency = v.parse::<usize>()?.max(1),
            "--sqlite" => a.sqlite = Some(v),
            "--database-url" => a.database_url = Some(v),
            "--standin-db" => a.standin_db = Some(v),
            "--pid" => a.pids.push(v.parse()?),
            _ => bail!("unknown argument {k}"),
        }
    }
    if a.base.is_empty() || a.citizens == 0 || (a.sqlite.is_none() == a.database_url.is_none()) {
        bail!(
            "usage: relay-load --base URL (--sqlite FILE | --database-url URL) [--setup LABEL] \
             [--standin-db FILE] [--citizens N] [--login-concurrency N] [--pid PID]..."
        );
    }
    Ok(a)
}

fn row(name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("ROW\t{GROUP}\t{name}\t{value}\t{unit}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `VmHWM` or `VmRSS` of a process, in MB.
fn proc_mb(pid: u32, key: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

type Timings = Vec<(&'static str, Duration)>;

/// One timed request of kind `KINDS[k]`; non-2xx is an error.
async fn timed(
    b: &mut Browser,
    t: &mut Timings,
    k: usize,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> anyhow::Result<Reply> {
    let start = Instant::now();
    let r = b.send_with(method, url, headers, body).await;
    t.push((KINDS[k], start.elapsed()));
    r.with_context(|| KINDS[k])?.ok(KINDS[k])
}

/// The citizen's whole submission, as `src/components/apply/` sends it.
async fn submit(b: &mut Browser, relay: &str, i: usize, t: &mut Timings) -> anyhow::Result<()> {
    let api = format!("{relay}/api/v1");
    let routes = timed(
        b,
        t,
        0,
        Method::GET,
        &format!(
            "{api}/submission/routes?leikaKey={}&ars={}",
            crypto::HUND,
            crypto::HILDEN
        ),
        &[],
        Body::None,
    )
    .await?
    .json()?;
    let dest = routes["routes"][0]["destinationId"]
        .as_str()
        .ok_or_else(|| anyhow!("no route"))?
        .to_string();
    let d = timed(
        b,
        t,
        1,
        Method::GET,
        &format!("{api}/submission/destinations/{dest}"),
        &[],
        Body::None,
    )
    .await?
    .json()?;
    let kid = d["encryptionKid"]
        .as_str()
        .ok_or_else(|| anyhow!("destination without encryptionKid"))?
        .to_string();
    let schema_uri = d["services"][0]["submissionSchemas"][0]["schemaUri"]
        .as_str()
        .ok_or_else(|| anyhow!("destination without schemaUri"))?
        .to_string();
    let jwk = timed(
        b,
        t,
        2,
        Method::GET,
        &format!("{api}/submission/destinations/{dest}/keys/{kid}"),
        &[],
        Body::None,
    )
    .await?
    .json()?;

    let announcement = json!({
        "destinationId": dest,
        "announcedAttachments": [crypto::ATT1],
        "serviceType": {"name": "Hundesteuer anmelden",
                        "identifier": format!("urn:de:fim:leika:leistung:{}", crypto::HUND)},
    });
    let key = format!("relay-load-{i}");
    let a = timed(
        b,
        t,
        3,
        Method::POST,
        &format!("{api}/applications?ars={}", crypto::HILDEN),
        &[("idempotency-key", &key)],
        Body::Raw("application/json", announcement.to_string()),
    )
    .await?
    .json()?;
    let sub = a["submissionId"]
        .as_str()
        .ok_or_else(|| anyhow!("announce without submissionId"))?
        .to_string();
    let reference = a["senderReference"].as_str().unwrap_or("").to_string();

    let attachment = crypto::encrypt_for(&jwk, crypto::PDF, "application/pdf")?;
    timed(
        b,
        t,
        4,
        Method::PUT,
        &format!("{api}/applications/{sub}/attachments/{}", crypto::ATT1),
        &[],
        Body::Raw("application/jose", attachment),
    )
    .await?;

    let data = serde_json::to_vec(&crypto::hund_data(true))?;
    let data_hash = crypto::sha512_hex(&data);
    let att = timed(
        b,
        t,
        5,
        Method::POST,
        &format!("{api}/applications/{sub}/attestation"),
        &[],
        Body::Raw(
            "application/json",
            json!({ "dataHash": data_hash }).to_string(),
        ),
    )
    .await?
    .json()?;
    let attestation = att["attestation"]
        .as_str()
        .ok_or_else(|| anyhow!("no attestation"))?;
    let mut meta = crypto::metadata(
        &schema_uri,
        &data,
        &[(
            crypto::ATT1,
            crypto::PDF,
            "application/pdf",
            "sachkunde.pdf",
        )],
    );
    meta["authenticationInformation"] = json!([{
        "type": contract::attestation::REPORT_TYPE,
        "version": contract::attestation::REPORT_VERSION,
        "content": attestation,
    }]);
    if !reference.is_empty() {
        meta["additionalReferenceInfo"]["senderReference"] = json!(reference);
    }
    let meta = serde_json::to_vec(&meta)?;
    let body = json!({
        "encryptedMetadata": crypto::encrypt_for(&jwk, &meta, "application/json")?,
        "encryptedData": crypto::encrypt_for(&jwk, &data, "application/json")?,
    });
    timed(
        b,
        t,
        6,
        Method::PUT,
        &format!("{api}/applications/{sub}"),
        &[],
        Body::Raw("application/json", body.to_string()),
    )
    .await?;
    Ok(())
}

/// Rows of the relay's record: (all, submitted).
async fn relay_rows(a: &Args) -> anyhow::Result<(i64, i64)> {
    const ALL: &str = "SELECT COUNT(*) FROM relay_submissions";
    const SUBMITTED: &str = "SELECT COUNT(*) FROM relay_submissions WHERE submitted_at IS NOT NULL";
    if let Some(url) = a.database_url.clone() {
        return tokio::task::spawn_blocking(move || -> anyhow::Result<(i64, i64)> {
            let mut c = postgres::Client::connect(&url, postgres::NoTls)
                .context("connect to the relay's PostgreSQL")?;
            let all: i64 = c.query_one(ALL, &[])?.try_get(0)?;
            let submitted: i64 = c.query_one(SUBMITTED, &[])?.try_get(0)?;
            Ok((all, submitted))
        })
        .await?;
    }
    let path = a.sqlite.clone().unwrap_or_default();
    sqlite_counts(&path, ALL, SUBMITTED).await
}

async fn sqlite_counts(path: &str, all: &str, submitted: &str) -> anyhow::Result<(i64, i64)> {
    let (path, all, submitted) = (path.to_string(), all.to_string(), submitted.to_string());
    tokio::task::spawn_blocking(move || -> anyhow::Result<(i64, i64)> {
        let c = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .with_context(|| format!("open {path}"))?;
        c.busy_timeout(Duration::from_secs(10))?;
        Ok((
            c.query_row(&all, [], |r| r.get(0))?,
            c.query_row(&submitted, [], |r| r.get(0))?,
        ))
    })
    .await?
}

async fn standin_rows(a: &Args) -> anyhow::Result<Option<(i64, i64)>> {
    match &a.standin_db {
        None => Ok(None),
        Some(p) => sqlite_counts(
            p,
            "SELECT COUNT(*) FROM fitconnect_submissions",
            "SELECT COUNT(*) FROM fitconnect_submissions WHERE submitted_at IS NOT NULL",
        )
        .await
        .map(Some),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let n = a.citizens;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(n.max(16) * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(300))
        .build()?;

    // Setup, not timed: an account and a session for every citizen.
    let t = Instant::now();
    let gate = Arc::new(Semaphore::new(a.login_concurrency));
    let mut logins = Vec::with_capacity(n);
    for i in 0..n {
        let (gate, http, base) = (gate.clone(), http.clone(), a.base.clone());
        logins.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let mut b = Browser::new(http);
            // One retry: a login page may time out under the argon2 queue.
            if let Err(e) = register_and_login(&mut b, &base, i).await {
                eprintln!("citizen {i}: login failed once ({e:#}), again");
                b = Browser::new(b.http.clone());
                register_and_login(&mut b, &base, i).await?;
            }
            anyhow::Ok(b)
        }));
    }
    let mut browsers = Vec::with_capacity(n);
    for (i, l) in logins.into_iter().enumerate() {
        browsers.push(
            l.await?
                .with_context(|| format!("citizen {i}: register and log in"))?,
        );
    }
    let login_time = t.elapsed();
    println!(
        "{n} citizens registered and logged in through {} in {:.1} s ({} at a time)",
        a.base,
        login_time.as_secs_f64(),
        a.login_concurrency
    );
    // Warm the route and the key (the stand-in makes its destination keys on
    // first use): one citizen's discovery, before the clock.
    if let Some(b) = browsers.first_mut() {
        let api = format!("{}/api/v1", a.base);
        b.get(&format!(
            "{api}/submission/routes?leikaKey={}&ars={}",
            crypto::HUND,
            crypto::HILDEN
        ))
        .await?
        .ok("warm-up routes")?;
    }
    let (rows_before, submitted_before) = relay_rows(&a).await?;
    let standin_before = standin_rows(&a).await?;

    // The load: all at once.
    let barrier = Arc::new(Barrier::new(n + 1));
    let mut tasks = Vec::with_capacity(n);
    for (i, mut b) in browsers.into_iter().enumerate() {
        let (barrier, base) = (barrier.clone(), a.base.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut t = Vec::new();
            let start = Instant::now();
            let r = submit(&mut b, &base, i, &mut t).await;
            (r, start.elapsed(), t)
        }));
    }
    barrier.wait().await;
    let clock = Instant::now();
    let mut results = Vec::with_capacity(n);
    for t in tasks {
        results.push(t.await?);
    }
    let wall = clock.elapsed();

    let mut full_ok = Vec::new();
    let mut per_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples = Vec::new();
    for (r, full, t) in results {
        for (k, d) in t {
            per_kind.entry(k).or_default().push(d);
        }
        match r {
            Ok(()) => full_ok.push(full),
            Err(e) => {
                // "PUT submit: 502 …" → "PUT submit: 502"; a transport
                // error is its step alone.
                let text = e.to_string();
                let step = match text.split_once(": ") {
                    Some((k, rest)) => {
                        format!("{k}: {}", rest.split(' ').next().unwrap_or(""))
                    }
                    None => text,
                };
                *errors.entry(step).or_default() += 1;
                if examples.len() < 5 {
                    examples.push(format!("{e:#}"));
                }
            }
        }
    }
    full_ok.sort();
    let sent = full_ok.len();
    let failed: usize = errors.values().sum();
    let (rows_after, submitted_after) = relay_rows(&a).await?;
    let (rows, submitted) = (rows_after - rows_before, submitted_after - submitted_before);
    let standin = match (standin_before, standin_rows(&a).await?) {
        (Some(b), Some(x)) => Some((x.0 - b.0, x.1 - b.1)),
        _ => None,
    };

    let rate = sent as f64 / wall.as_secs_f64().max(1e-9);
    let (p50, p95) = (
        ms(percentile(&full_ok, 50.0)),
        ms(percentile(&full_ok, 95.0)),
    );
    println!(
        "{} · {n} citizens: {sent} submissions in {:.2} s = {rate:.1}/s; whole submission p50 {p50:.0} ms, p95 {p95:.0} ms; errors {failed}",
        a.setup,
        wall.as_secs_f64()
    );
    for (step, count) in &errors {
        println!("  failed at {step}: {count}");
    }
    for e in &examples {
        println!("  e.g. {e}");
    }
    println!(
        "{:<18} {:>6} {:>9} {:>9} {:>9}",
        "request", "count", "p50 ms", "p95 ms", "max ms"
    );
    let label = format!("{} · {n} citizens", a.setup);
    for k in KINDS {
        let mut v = per_kind.remove(k).unwrap_or_default();
        v.sort();
        let (q50, q95) = (ms(percentile(&v, 50.0)), ms(percentile(&v, 95.0)));
        let max = v.last().copied().map(ms).unwrap_or(0.0);
        println!("{k:<18} {:>6} {q50:>9.1} {q95:>9.1} {max:>9.1}", v.len());
        row(
            &format!("{label}: {k} p50 / p95"),
            format!("{q50:.1} / {q95:.1}"),
            "ms",
        );
    }
    println!("relay_submissions rows: +{rows} (submitted +{submitted}); sent {sent}");
    if let Some((all, sub)) = standin {
        println!("stand-in fitconnect_submissions: +{all} (submitted +{sub})");
    }
    row(
        &format!("{label}: submissions/s"),
        format!("{rate:.1}"),
        "1/s",
    );
    row(
        &format!("{label}: whole submission p50 / p95"),
        format!("{p50:.0} / {p95:.0}"),
        "ms",
    );
    row(&format!("{label}: errors"), failed, "");
    row(
        &format!("{label}: relay rows (submitted) / sent"),
        format!("{rows} ({submitted}) / {sent}"),
        "",
    );
    if let Some((all, sub)) = standin {
        row(
            &format!("{label}: stand-in rows (submitted)"),
            format!("{all} ({sub})"),
            "",
        );
    }
    row(
        &format!("{label}: setup (register + log in, not timed)"),
        format!("{:.1}", login_time.as_secs_f64()),
        "s",
    );
    for pid in &a.pids {
        let mb = |k| {
            proc_mb(*pid, k)
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "n/a".into())
        };
        row(
            &format!("{label}: relay pid {pid} RSS / peak"),
            format!("{} / {}", mb("VmRSS"), mb("VmHWM")),
            "MB",
        );
    }
    println!(
        "SCALE\t{}\t{n}\t{rate:.1}\t{p50:.0}\t{p95:.0}\t{failed}\t{submitted}\t{sent}",
        a.setup
    );

    if failed > 0 {
        bail!("{failed} of {n} submissions failed");
    }
    if submitted != sent as i64 || rows != sent as i64 {
        bail!("the relay recorded {rows} rows ({submitted} submitted) for {sent} submissions sent");
    }
    if let Some((all, sub)) = standin {
        if all != sent as i64 || sub != sent as i64 {
            bail!("the stand-in holds {all} rows ({sub} submitted) for {sent} submissions sent");
        }
    }
    Ok(())
}
