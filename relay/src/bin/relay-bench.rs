//! What the relay costs: the same catalogue requests straight to the
//! stand-in's PVOG and through the relay, side by side in one run (ratios
//! beat absolute times on a busy machine), then N citizens at once through
//! the relay (log in, read the session, the postbox and the catalogue),
//! counting every answer, and the relay's memory.
//!
//! `relay-bench --upstream http://127.0.0.1:P --relay http://127.0.0.1:R --relay-pid PID [--citizens 200] [--requests 2000]`
//!
//! The stand-in must register the relay (`BUERGERAMT_RELAY_URL`). Prints a
//! readable report and `ROW\t<group>\t<measurement>\t<value>\t<unit>` lines
//! for `scripts/bench.sh`. Exits non-zero when an answer was lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

struct Args {
    upstream: String,
    relay: String,
    relay_pid: Option<u32>,
    citizens: usize,
    requests: usize,
    /// Only search through the relay: the queries of this file (one a
    /// line after a comment line; an empty line is the empty query).
    search_queries: Option<String>,
    /// What the stand-in's catalogue holds, for the rows' names.
    search_label: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        upstream: String::new(),
        relay: String::new(),
        relay_pid: None,
        citizens: 200,
        requests: 2000,
        search_queries: None,
        search_label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{k} needs a value"))?;
        match k.as_str() {
            "--upstream" => a.upstream = v.trim_end_matches('/').into(),
            "--relay" => a.relay = v.trim_end_matches('/').into(),
            "--relay-pid" => a.relay_pid = Some(v.parse()?),
            "--citizens" => a.citizens = v.parse()?,
            "--requests" => a.requests = v.parse()?,
            "--search-queries" => a.search_queries = Some(v),
            "--search-label" => a.search_label = v,
            _ => bail!("unknown argument {k}"),
        }
    }
    if a.upstream.is_empty() || a.relay.is_empty() {
        bail!("usage: relay-bench --upstream URL --relay URL [--relay-pid PID] [--citizens N] [--requests N]");
    }
    Ok(a)
}

fn row(group: &str, name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("ROW\t{group}\t{name}\t{value}\t{unit}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn proc_mb(pid: u32, key: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Search through the relay (its query understanding included) with the
/// fixed queries of the stand-in's search bench, each 5 times after a
/// warm-up round, at Köln, page size 20, one request at a time: what a
/// citizen's search costs at the relay plus PVOG's own search behind it.
/// The first request waits for the relay's first crawl of the catalogue
/// (its vocabulary), which is not timed.
async fn search(a: &Args, http: &reqwest::Client, file: &str) -> anyhow::Result<()> {
    const ARS: &str = "053150000000";
    const ROUNDS: usize = 5;
    let text = std::fs::read_to_string(file).with_context(|| format!("read {file}"))?;
    let queries: Vec<&str> = text.lines().skip(1).collect();
    let crawl = Instant::now();
    let r = http
        .get(format!("{}/api/v1/catalogue/lebenslagen", a.relay))
        .timeout(Duration::from_secs(300))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("the relay's first crawl: {}", r.status());
    }
    let crawl = crawl.elapsed();
    let url = |q: &str| {
        format!(
            "{}/api/v1/catalogue/regions/{ARS}/services?q={}&size=20",
            a.relay,
            contract::encoding::url_encode(q)
        )
    };
    let mut took = Vec::with_capacity(queries.len() * ROUNDS);
    for round in 0..=ROUNDS {
        for q in &queries {
            let t = Instant::now();
            let r = http.get(url(q)).send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            let d = t.elapsed();
            if !status.is_success() || body.is_empty() {
                bail!("search {q:?} answered {status}");
            }
            if round > 0 {
                took.push(d);
            }
        }
    }
    took.sort();
    let (p50, p95, p99) = (
        percentile(&took, 0.5),
        percentile(&took, 0.95),
        percentile(&took, 0.99),
    );
    println!(
        "search through the relay ({}): {} queries × {ROUNDS}, p50 {} ms, p95 {} ms, p99 {} ms (first crawl {:.1} s)",
        a.search_label,
        queries.len(),
        ms(p50),
        ms(p95),
        ms(p99),
        crawl.as_secs_f64()
    );
    let g = "search";
    row(
        g,
        &format!(
            "{}: HTTP through the relay (query understanding) p50 / p95 / p99",
            a.search_label
        ),
        format!("{} / {} / {}", ms(p50), ms(p95), ms(p99)),
        "ms",
    );
    if let Some(pid) = a.relay_pid {
        let peak = proc_mb(pid, "VmHWM").map_or("n/a".into(), |v| format!("{v:.1}"));
        row(
            g,
            &format!("{}: relay peak RSS (VmHWM)", a.search_label),
            peak,
            "MB",
        );
    }
    Ok(())
}

/// The same search pages, straight and through the relay, interleaved.
async fn latency(a: &Args, http: &reqwest::Client) -> anyhow::Result<()> {
    const ARS: &str = "053150000000";
    let queries = ["hund", "pass", "", "ummelden", "gewerbe", "kindergeld"];
    let mut direct = Vec::with_capacity(a.requests);
    let mut relayed = Vec::with_capacity(a.requests);
    for i in 0..a.requests {
        let q = queries[i % queries.len()];
        let urls = [
            format!(
                "{}/pvog/v7/servicedescriptions/{ARS}?q={q}&size=20",
                a.upstream
            ),
            format!(
                "{}/api/v1/catalogue/regions/{ARS}/services?q={q}&size=20",
                a.relay
            ),
        ];
        // Alternate which goes first, so neither always meets a warm cache.
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let t = Instant::now();
            let r = http.get(&urls[k]).send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            let took = t.elapsed();
            if !status.is_success() || body.is_empty() {
                bail!("{} answered {status}", urls[k]);
            }
            if k == 0 {
                direct.push(took);
            } else {
                relayed.push(took);
            }
        }
    }
    direct.sort();
    relayed.sort();
    let (d50, d95) = (percentile(&direct, 0.5), percentile(&direct, 0.95));
    let (r50, r95) = (percentile(&relayed, 0.5), percentile(&relayed, 0.95));
    println!(
        "catalogue search, {} requests each: direct p50 {} ms p95 {} ms; through the relay p50 {} ms p95 {} ms",
        a.requests,
        ms(d50),
        ms(d95),
        ms(r50),
        ms(r95)
    );
    let g = "relay";
    row(
        g,
        "catalogue search direct p50 / p95",
        format!("{} / {}", ms(d50), ms(d95)),
        "ms",
    );
    row(
        g,
        "catalogue search via relay p50 / p95",
        format!("{} / {}", ms(r50), ms(r95)),
        "ms",
    );
    row(
        g,
        "added by the relay p50 / p95",
        format!(
            "{} / {}",
            ms(r50.saturating_sub(d50)),
            ms(r95.saturating_sub(d95))
        ),
        "ms",
    );
    row(
        g,
        "via relay / direct (p50)",
        format!("{:.2}", r50.as_secs_f64() / d50.as_secs_f64().max(1e-9)),
        "×",
    );
    Ok(())
}

/// A browser of one citizen: cookies by origin, no automatic redirects.
struct Browser {
    http: reqwest::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

fn origin(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    rest.split('/').next().unwrap_or("").to_string()
}

impl Browser {
    fn new(http: reqwest::Client) -> Self {
        Browser {
            http,
            jar: HashMap::new(),
        }
    }

    async fn send(
        &mut self,
        method: reqwest::Method,
        url: &str,
        form: Option<&[(&str, &str)]>,
    ) -> anyhow::Result<(u16, Option<String>, String)> {
        let mut req = self.http.request(method, url).header("buergeramt-api", "1");
        if let Some(j) = self.jar.get(&origin(url)) {
            let c: Vec<String> = j.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !c.is_empty() {
                req = req.header("cookie", c.join("; "));
            }
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        let r = req.send().await.with_context(|| url.to_string())?;
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let jar = self.jar.entry(origin(url)).or_default();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or("");
            if let Some((k, v)) = c.split(';').next().and_then(|p| p.split_once('=')) {
                if v.is_empty() {
                    jar.remove(k);
                } else {
                    jar.insert(k.into(), v.into());
                }
            }
        }
        Ok((status, loc, r.text().await.unwrap_or_default()))
    }

    async fn get(&mut self, url: &str) -> anyhow::Result<(u16, Option<String>, String)> {
        self.send(reqwest::Method::GET, url, None).await
    }
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        let scheme = base.split("://").next().unwrap_or("http");
        format!("{scheme}://{}{loc}", origin(base))
    }
}

/// Logs Erika in through the relay and the provider's pages.
async fn login(b: &mut Browser, relay: &str) -> anyhow::Result<()> {
    let (_, loc, _) = b
        .get(&format!(
            "{relay}/api/v1/login?level=STORK-QAA-Level-1&return=/postfach"
        ))
        .await?;
    let authorize = loc.ok_or_else(|| anyhow!("login: no redirect"))?;
    let (_, loc, _) = b.get(&authorize).await?;
    let page = absolute(
        &authorize,
        &loc.ok_or_else(|| anyhow!("authorize: no redirect"))?,
    );
    let (_, _, html) = b.get(&page).await?;
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key).ok_or_else(|| anyhow!("no csrf"))? + key.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap_or(0)];
    let (status, loc, body) = b
        .send(
            reqwest::Method::POST,
            &format!("{page}/password"),
            Some(&[
                ("csrf", csrf),
                ("username", "erika"),
                ("password", "Mustermann-2026"),
            ]),
        )
        .await?;
    let callback = loc.ok_or_else(|| anyhow!("password login: {status} {body}"))?;
    let (status, loc, _) = b.get(&callback).await?;
    if status != 303 || loc.as_deref() != Some("/postfach") {
        bail!("callback answered {status} {loc:?}");
    }
    Ok(())
}

/// N citizens, logged in first (the provider's argon2 is meant to be slow),
/// then all at once: session, postbox, unread count, catalogue.
async fn load(a: &Args, http: &reqwest::Client) -> anyhow::Result<()> {
    let t = Instant::now();
    let mut browsers = Vec::with_capacity(a.citizens);
    for _ in 0..a.citizens {
        let mut b = Browser::new(http.clone());
        login(&mut b, &a.relay).await?;
        browsers.push(b);
    }
    let login_time = t.elapsed();
    let rss_before = a.relay_pid.and_then(|p| proc_mb(p, "VmRSS"));
    let ok = Arc::new(AtomicU64::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(a.citizens));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut b) in browsers.into_iter().enumerate() {
        let (ok, lost, barrier, relay) =
            (ok.clone(), lost.clone(), barrier.clone(), a.relay.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let urls = [
                format!("{relay}/api/v1/session"),
                format!("{relay}/api/v1/postbox/messages"),
                format!("{relay}/api/v1/postbox/messages/unread-count"),
                format!(
                    "{relay}/api/v1/catalogue/regions/051580016016/services?q=hund&page={}",
                    i % 3
                ),
            ];
            let mut times = Vec::new();
            for u in &urls {
                let t = Instant::now();
                match b.get(u).await {
                    Ok((200, _, body)) if !body.is_empty() => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((s, _, body)) => {
                        eprintln!("{u}: {s} {}", body.chars().take(200).collect::<String>());
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        eprintln!("{u}: {e}");
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                }
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let wall = start.elapsed();
    all.sort();
    let rss_after = a.relay_pid.and_then(|p| proc_mb(p, "VmRSS"));
    let rss_peak = a.relay_pid.and_then(|p| proc_mb(p, "VmHWM"));
    let (ok, lost) = (ok.load(Ordering::Relaxed), lost.load(Ordering::Relaxed));
    println!(
        "{} citizens through the relay: {} answers, {} lost, in {:.2} s ({} logins took {:.1} s); p50 {} ms p95 {} ms",
        a.citizens,
        ok,
        lost,
        wall.as_secs_f64(),
        a.citizens,
        login_time.as_secs_f64(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95))
    );
    let g = "relay";
    row(
        g,
        &format!("{} citizens at once: answers / lost", a.citizens),
        format!("{ok} / {lost}"),
        "",
    );
    row(
        g,
        "requests/s through the relay",
        format!("{:.1}", ok as f64 / wall.as_secs_f64().max(1e-9)),
        "1/s",
    );
    row(
        g,
        "per request p50 / p95 (under load)",
        format!(
            "{} / {}",
            ms(percentile(&all, 0.5)),
            ms(percentile(&all, 0.95))
        ),
        "ms",
    );
    let mb = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into());
    row(
        g,
        "relay RSS before / after / peak (VmHWM)",
        format!("{} / {} / {}", mb(rss_before), mb(rss_after), mb(rss_peak)),
        "MB",
    );
    if lost > 0 {
        bail!("{lost} answers lost");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?;
    if let Some(file) = a.search_queries.clone() {
        return search(&a, &http, &file).await;
    }
    latency(&a, &http).await?;
    load(&a, &http).await
}
