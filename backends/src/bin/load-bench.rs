//! Load on the FIT-Connect stand-in: N applications at once (default 200,
//! one per citizen), each finding the Hundesteuer destination of Hilden,
//! announcing one submission with one attachment, uploading the encrypted
//! attachment and submitting encrypted metadata and data, all over real
//! HTTP to a running server.
//!
//! As in production, all of them go with the Onlinedienst's one service
//! token (client credentials, fetched before the clock starts): FIT-Connect
//! knows senders, never citizens. Then all start together. Afterwards the
//! submissions table in the server's SQLite file is counted; it must hold
//! exactly one row per application.
//!
//! The submissions carry no attestation of the Onlinedienst: the bench
//! measures the Zustelldienst's request path, which answers before anything
//! is decrypted; the authority's subscriber then rejects them
//! asynchronously (`missing-authentication-info`).
//!
//! `load-bench --base http://127.0.0.1:PORT --db DATA/buergeramt.sqlite [--citizens 200]`
//!
//! Besides a readable report it prints `ROW\t<group>\t<measurement>\t<value>\t<unit>`
//! lines for `scripts/bench.sh`. Exits non-zero when a submission failed or
//! the row count differs.

#[allow(dead_code)]
#[path = "../../tests/support/submission_crypto.rs"]
mod crypto;
#[path = "load-bench-parts/registration.rs"]
mod registration;
#[path = "load-bench-parts/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Mutex};

/// Request types, in the order of one submission.
const KINDS: [&str; 6] = [
    "GET routes",
    "GET destination",
    "GET key",
    "POST announce",
    "PUT attachment",
    "PUT submit",
];

struct Reply {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn expect(self, want: StatusCode, what: &str) -> anyhow::Result<Self> {
        if self.status != want {
            bail!(
                "{what}: {} instead of {want}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        Ok(self)
    }
}

/// One keep-alive HTTP/1.1 connection per citizen, as a browser tab keeps it.
struct Client {
    addr: String,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    fn new(base: &str) -> anyhow::Result<Self> {
        let host = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("--base must start with http://"))?
            .trim_end_matches('/')
            .to_string();
        Ok(Self {
            addr: host.clone(),
            host,
            sender: None,
        })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        let usable = match self.sender.as_mut() {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            let stream = TcpStream::connect(&self.addr)
                .await
                .with_context(|| format!("connect {}", self.addr))?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| anyhow!("no connection"))
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> anyhow::Result<Reply> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = match body {
            Some((ct, text)) => {
                b = b.header(header::CONTENT_TYPE, ct);
                Full::new(Bytes::from(text))
            }
            None => Full::new(Bytes::new()),
        };
        let req = b.body(body)?;
        let sender = self.connect().await?;
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The Onlinedienst's service token (client credentials, scope
/// `fitconnect:send`): FIT-Connect knows senders, never citizens. The
/// relay sends every citizen's application with such a token.
async fn sender_token(c: &mut Client) -> anyhow::Result<String> {
    let t = c
        .send(
            Method::POST,
            "/idp/token",
            &[],
            Some((
                "application/x-www-form-urlencoded",
                form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", SENDER_ID),
                    ("client_secret", &sender_secret()),
                    ("scope", "fitconnect:send"),
                ]),
            )),
        )
        .await?
        .expect(StatusCode::OK, "service token")?;
    t.json()?["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("token: no access_token"))
}

const SENDER_ID: &str = "buergeramt-onlinedienst";

/// `BUERGERAMT_SENDER_CLIENT_SECRET`, or the loopback default of the stand-in.
fn sender_secret() -> String {
    std::env::var("BUERGERAMT_SENDER_CLIENT_SECRET").unwrap_or_else(|_| "dev-sender-secret".into())
}

type Timings = Vec<(&'static str, Duration)>;

/// One timed request; its duration goes into `t` whatever the outcome.
async fn timed(
    c: &mut Client,
    t: &mut Timings,
    kind: &'static str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> anyhow::Result<Reply> {
    let start = Instant::now();
    let r = c.send(method, path, headers, body).await;
    t.push((kind, start.elapsed()));
    r.with_context(|| kind)
}

/// The citizen's whole submission; returns the final status.
async fn submit(c: &mut Client, token: &str, t: &mut Timings) -> anyhow::Result<String> {
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    let routes = timed(
        c,
        t,
        KINDS[0],
        Method::GET,
        &format!(
            "/fitconnect/routes?leikaKey={}&ars={}",
            crypto::HUND,
            crypto::HILDEN
        ),
        &[],
        None,
    )
    .await?
    .expect(StatusCode::OK, KINDS[0])?
    .json()?;
    let dest = routes["routes"][0]["destinationId"]
        .as_str()
        .ok_or_else(|| anyhow!("no route: {routes}"))?
        .to_string();
    let d = timed(
        c,
        t,
        KINDS[1],
        Method::GET,
        &format!("/fitconnect/v1/destinations/{dest}"),
        &[],
        None,
    )
    .await?
    .expect(StatusCode::OK, KINDS[1])?
    .json()?;
    let kid = d["encryptionKid"]
        .as_str()
        .ok_or_else(|| anyhow!("destination without encryptionKid"))?;
    let schema_uri = d["services"][0]["submissionSchemas"][0]["schemaUri"]
        .as_str()
        .ok_or_else(|| anyhow!("destination without schemaUri"))?
        .to_string();
    let jwk = timed(
        c,
        t,
        KINDS[2],
        Method::GET,
        &format!("/fitconnect/v1/destinations/{dest}/keys/{kid}"),
        &[],
        None,
    )
    .await?
    .expect(StatusCode::OK, KINDS[2])?
    .json()?;

    let announce = json!({
        "destinationId": dest,
        "announcedAttachments": [crypto::ATT1],
        "serviceType": {"name": "Hundesteuer anmelden",
                        "identifier": format!("urn:de:fim:leika:leistung:{}", crypto::HUND)},
    });
    let a = timed(
        c,
        t,
        KINDS[3],
        Method::POST,
        "/fitconnect/v1/submissions",
        &auth,
        Some(("application/json", announce.to_string())),
    )
    .await?
    .expect(StatusCode::CREATED, KINDS[3])?
    .json()?;
    let sub = a["submissionId"]
        .as_str()
        .ok_or_else(|| anyhow!("announce without submissionId"))?
        .to_string();

    let attachment = crypto::encrypt_for(&jwk, crypto::PDF, "application/pdf")?;
    timed(
        c,
        t,
        KINDS[4],
        Method::PUT,
        &format!(
            "/fitconnect/v1/submissions/{sub}/attachments/{}",
            crypto::ATT1
        ),
        &auth,
        Some(("application/jose", attachment)),
    )
    .await?
    .expect(StatusCode::NO_CONTENT, KINDS[4])?;

    let data = serde_json::to_vec(&crypto::hund_data(true))?;
    let meta = serde_json::to_vec(&crypto::metadata(
        &schema_uri,
        &data,
        &[(
            crypto::ATT1,
            crypto::PDF,
            "application/pdf",
            "sachkunde.pdf",
        )],
    ))?;
    let body = json!({
        "encryptedMetadata": crypto::encrypt_for(&jwk, &meta, "application/json")?,
        "encryptedData": crypto::encrypt_for(&jwk, &data, "application/json")?,
    });
    let done = timed(
        c,
        t,
        KINDS[5],
        Method::PUT,
        &format!("/fitconnect/v1/submissions/{sub}"),
        &auth,
        Some(("application/json", body.to_string())),
    )
    .await?
    .expect(StatusCode::ACCEPTED, KINDS[5])?
    .json()?;
    Ok(done["status"].as_str().unwrap_or("?").to_string())
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

fn row(group: &str, name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("ROW\t{group}\t{name}\t{value}\t{unit}");
}

struct Args {
    base: String,
    db: String,
    citizens: usize,
    server_pid: Option<u32>,
    /// Citizens who register and log in at once before the load (0: none).
    register: usize,
    /// `openssl speed -multi <cores> rsa4096`: RSA 4096 signatures per
    /// second on all cores together, measured in the same run.
    rsa_per_sec: Option<f64>,
    /// `openssl speed rsa4096` in one process: signatures per CPU second.
    rsa_per_cpu_sec: Option<f64>,
    /// Cores that figure was measured on.
    cores: f64,
    /// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`).
    clk_tck: f64,
    /// The table's group of the load rows.
    group: String,
}

fn args() -> anyhow::Result<Args> {
    let mut base = None;
    let mut db = None;
    let mut citizens = 200;
    let mut server_pid = None;
    let mut register = 0;
    let mut rsa_per_sec = None;
    let mut rsa_per_cpu_sec = None;
    let mut cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut clk_tck = 100.0;
    let mut group = "load".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| anyhow!("{a} needs a value"));
        match a.as_str() {
            "--base" => base = Some(value()?),
            "--db" => db = Some(value()?),
            "--citizens" => citizens = value()?.parse()?,
            "--server-pid" => server_pid = Some(value()?.parse()?),
            "--register" => register = value()?.parse()?,
            "--rsa-sign-per-sec" => rsa_per_sec = Some(value()?.parse()?),
            "--rsa-sign-per-cpu-sec" => rsa_per_cpu_sec = Some(value()?.parse()?),
            "--cores" => cores = value()?.parse()?,
            "--clk-tck" => clk_tck = value()?.parse()?,
            "--group" => group = value()?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(Args {
        base: base.ok_or_else(|| anyhow!("--base http://127.0.0.1:PORT is required"))?,
        db: db.ok_or_else(|| anyhow!("--db DATA/buergeramt.sqlite is required"))?,
        citizens,
        server_pid,
        register,
        rsa_per_sec,
        rsa_per_cpu_sec,
        cores,
        clk_tck,
        group,
    })
}

use server::proc_mb;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let n = a.citizens;
    let mut c = Client::new(&a.base)?;

    let rss_start = proc_mb(a.server_pid, "VmRSS");

    // Setup, not timed: one discovery warms the stand-in (it has made its
    // destination keys before listening since #15; this loads them), then
    // the sender's service token.
    let started = Instant::now();
    c.send(
        Method::GET,
        &format!(
            "/fitconnect/routes?leikaKey={}&ars={}",
            crypto::HUND,
            crypto::HILDEN
        ),
        &[],
        None,
    )
    .await?
    .expect(StatusCode::OK, "first routes request")?;
    let cold = started.elapsed();
    let token = sender_token(&mut c).await?;
    let tokens = vec![token; n];

    if a.register > 0 {
        registration::mass_registration(&a, &mut c).await?;
    }
    let rss_setup = proc_mb(a.server_pid, "VmRSS");
    let peak_reset = server::reset_peak(a.server_pid);

    // The load: all citizens start at once.
    let barrier = Arc::new(Barrier::new(n + 1));
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for token in tokens {
        let (barrier, results, base) = (barrier.clone(), results.clone(), a.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = match Client::new(&base) {
                Ok(c) => c,
                Err(e) => {
                    barrier.wait().await;
                    results
                        .lock()
                        .await
                        .push((Err(e), Duration::ZERO, Vec::new()));
                    return;
                }
            };
            barrier.wait().await;
            let mut t = Vec::new();
            let start = Instant::now();
            let r = submit(&mut c, &token, &mut t).await;
            let full = start.elapsed();
            results.lock().await.push((r, full, t));
        }));
    }
    barrier.wait().await;
    let cpu_start = server::cpu_ms(a.server_pid, a.clk_tck);
    let wall = Instant::now();
    for t in tasks {
        t.await?;
    }
    let answered = wall.elapsed();
    let rss_answered = proc_mb(a.server_pid, "VmRSS");
    let results = std::mem::take(&mut *results.lock().await);
    let sent = results.iter().filter(|r| r.0.is_ok()).count() as i64;
    // The pipeline ends when the authority's subscriber has decrypted and
    // checked every submission handed in.
    let received = server::until_received(&a.db, sent, Duration::from_secs(600)).await;
    let pipeline = received.as_ref().map(|at| at.duration_since(wall)).ok();
    let cpu_end = server::cpu_ms(a.server_pid, a.clk_tck);
    let wall = answered;

    let mut full_ok = Vec::new();
    let mut per_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for (r, full, t) in results {
        for (k, d) in t {
            per_kind.entry(k).or_default().push(d);
        }
        match r {
            Ok(status) => {
                full_ok.push(full);
                *statuses.entry(status).or_default() += 1;
            }
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    full_ok.sort();
    let ok = full_ok.len();
    let requests: usize = per_kind.values().map(Vec::len).sum();

    let rss_after = proc_mb(a.server_pid, "VmRSS");
    let rss_peak = proc_mb(a.server_pid, "VmHWM");
    let conn =
        rusqlite::Connection::open_with_flags(&a.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("open {}", a.db))?;
    let rows: i64 = conn.query_row("SELECT COUNT(*) FROM fitconnect_submissions", [], |r| {
        r.get(0)
    })?;
    let submitted: i64 = conn.query_row(
        "SELECT COUNT(*) FROM fitconnect_submissions WHERE submitted_at IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    let after = server::statuses(&a.db)?;

    println!(
        "{n} citizens, one Hundesteuer application each (1 attachment), {requests} requests in {:.2} s",
        wall.as_secs_f64()
    );
    println!(
        "submissions ok {ok}, errors {}, final status {statuses:?}; after the subscriber: {after:?}",
        errors.len()
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!(
        "{:<22} {:>7} {:>9} {:>9} {:>9}",
        "request", "count", "p50 ms", "p95 ms", "max ms"
    );
    let g = a.group.as_str();
    row(g, "citizens (concurrent)", n, "");
    row(
        g,
        "throughput (answered)",
        format!("{:.1}", ok as f64 / wall.as_secs_f64()),
        "submissions/s",
    );
    row(
        g,
        "requests/s",
        format!("{:.0}", requests as f64 / wall.as_secs_f64()),
        "requests/s",
    );
    row(
        g,
        "wall time (answered)",
        format!("{:.2}", wall.as_secs_f64()),
        "s",
    );
    row(
        g,
        "full submission p50",
        format!("{:.0}", ms(percentile(&full_ok, 50.0))),
        "ms",
    );
    row(
        g,
        "full submission p95",
        format!("{:.0}", ms(percentile(&full_ok, 95.0))),
        "ms",
    );
    for k in KINDS {
        let mut v = per_kind.remove(k).unwrap_or_default();
        v.sort();
        let (p50, p95) = (ms(percentile(&v, 50.0)), ms(percentile(&v, 95.0)));
        let max = v.last().copied().map(ms).unwrap_or(0.0);
        println!("{k:<22} {:>7} {p50:>9.1} {p95:>9.1} {max:>9.1}", v.len());
        row(
            g,
            &format!("{k} p50 / p95"),
            format!("{p50:.1} / {p95:.1}"),
            "ms",
        );
    }
    server::pipeline_rows(&a, ok, pipeline, cpu_start.zip(cpu_end));
    row(g, "errors", errors.len(), "");
    row(g, "submissions sent (202)", ok, "");
    row(g, "rows in fitconnect_submissions", rows, "");
    row(g, "rows submitted", submitted, "");
    row(
        g,
        "rows received by the subscriber (rejected: no attestation)",
        after
            .iter()
            .filter(|(s, _)| s == "rejected")
            .map(|(_, c)| c)
            .sum::<i64>(),
        "",
    );
    println!("rows in fitconnect_submissions: {rows} (submitted: {submitted}), sent: {ok}");
    row(
        g,
        "warm-up: first routes request",
        format!("{:.0}", ms(cold)),
        "ms",
    );
    let m = &format!("{g} memory");
    let during = if peak_reset { "" } else { " (since start)" };
    row(m, "stand-in RSS after start", rss_start, "MB");
    row(m, "stand-in RSS before the load", rss_setup, "MB");
    row(
        m,
        &format!("stand-in RSS when all {n} submissions were answered"),
        rss_answered,
        "MB",
    );
    row(
        m,
        &format!("stand-in RSS after the subscriber ({n} received)"),
        rss_after,
        "MB",
    );
    row(
        m,
        &format!("stand-in peak RSS during {n} submissions (VmHWM){during}"),
        rss_peak,
        "MB",
    );

    if !errors.is_empty() {
        bail!("{} of {n} submissions failed", errors.len());
    }
    received?;
    if rows != n as i64 || submitted != n as i64 {
        bail!("{rows} rows ({submitted} submitted) for {n} submissions sent");
    }
    Ok(())
}
