//! What load-bench reads about the server process and its database besides
//! the answers: memory (`/proc/<pid>/status`), CPU time (`/proc/<pid>/stat`)
//! and when the authority's subscriber has received every submission.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::{row, Args};

/// A `VmRSS`-style line of `/proc/<pid>/status`, in MB.
pub fn proc_mb(pid: Option<u32>, key: &str) -> String {
    let Some(pid) = pid else {
        return "n/a".into();
    };
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| format!("{:.1}", kb / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

/// Resets the process's peak RSS (`VmHWM`) to its current RSS, so the next
/// reading is the peak of what follows (Linux ≥ 4.0: `clear_refs` 5).
/// False where that is not allowed; the peak then counts from the start.
pub fn reset_peak(pid: Option<u32>) -> bool {
    match pid {
        Some(pid) => std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok(),
        None => false,
    }
}

/// User plus system CPU time of the process so far, in milliseconds
/// (`/proc/<pid>/stat` fields 14 and 15, in clock ticks of `clk_tck` Hz).
pub fn cpu_ms(pid: Option<u32>, clk_tck: f64) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // The command name (field 2) may hold spaces; the rest follows its ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 1000.0 / clk_tck)
}

/// Rows of `fitconnect_submissions` the subscriber has received (rejected
/// ones included).
fn received(db: &str) -> anyhow::Result<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("open {db}"))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM fitconnect_submissions WHERE received_at IS NOT NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Waits until the subscriber has received `n` submissions (polling the
/// database every 10 ms, at most `limit`); returns when that was seen.
pub async fn until_received(db: &str, n: i64, limit: Duration) -> anyhow::Result<Instant> {
    let start = Instant::now();
    loop {
        let got = received(db)?;
        if got >= n {
            return Ok(Instant::now());
        }
        if start.elapsed() > limit {
            bail!(
                "the subscriber received {got} of {n} submissions within {} s",
                limit.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `status` counts of `fitconnect_submissions`.
pub fn statuses(db: &str) -> anyhow::Result<Vec<(String, i64)>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("open {db}"))?;
    let mut stmt = conn.prepare(
        "SELECT status, COUNT(*) FROM fitconnect_submissions GROUP BY status ORDER BY status",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// RSA 4096 private-key operations per bench submission: the signed
/// events `create-submission` (announce), `submit-submission` (submit) and
/// `reject-submission` (the subscriber: the bench sends no attestation), and
/// the authority's unwraps of the content keys of metadata, data and the one
/// attachment.
const RSA_OPS_PER_SUBMISSION: f64 = 6.0;

/// The whole pipeline, up to the subscriber's receipt: throughput against
/// what the machine's RSA speed allows, and the stand-in's CPU time.
pub fn pipeline_rows(a: &Args, ok: usize, pipeline: Option<Duration>, cpu: Option<(f64, f64)>) {
    let g = a.group.as_str();
    let Some(p) = pipeline else {
        row(g, "pipeline", "FAILED (not all received)", "");
        return;
    };
    let per_sec = ok as f64 / p.as_secs_f64();
    row(
        g,
        "pipeline wall time (until the subscriber received all)",
        format!("{:.2}", p.as_secs_f64()),
        "s",
    );
    row(
        g,
        "pipeline throughput (subscriber's decryption included)",
        format!("{per_sec:.1}"),
        "submissions/s",
    );
    row(
        g,
        "RSA 4096 private-key operations per submission",
        format!("{RSA_OPS_PER_SUBMISSION:.0} (3 signed events, 3 unwraps)"),
        "",
    );
    if let Some(rsa) = a.rsa_per_sec {
        let bound = rsa / RSA_OPS_PER_SUBMISSION;
        row(
            g,
            "bound: openssl -multi sign/s ÷ operations per submission",
            format!("{bound:.1}"),
            "submissions/s",
        );
        row(
            g,
            "pipeline throughput ÷ bound",
            format!("{:.0}", 100.0 * per_sec / bound),
            "%",
        );
    }
    if let Some((start, end)) = cpu {
        let per = (end - start) / ok.max(1) as f64;
        row(
            g,
            "stand-in CPU per submission (utime + stime over the pipeline)",
            format!("{per:.1}"),
            "ms",
        );
        if let Some(one) = a.rsa_per_cpu_sec {
            let rsa = RSA_OPS_PER_SUBMISSION * 1000.0 / one;
            row(
                g,
                "of it the 6 RSA operations (openssl's CPU time per signature × 6)",
                format!("{rsa:.1} ({:.0} %)", 100.0 * rsa / per),
                "ms",
            );
            row(
                g,
                "CPU bound: cores × 1000 ÷ stand-in CPU ms per submission",
                format!("{:.1}", a.cores * 1000.0 / per),
                "submissions/s",
            );
        }
    }
}
