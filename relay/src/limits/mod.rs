//! Limits and quotas (issue #18): rates of logins and submissions per
//! client address and per session, and each citizen's quota of open
//! applications and attachment bytes.
//!
//! * **Rates** ([`limit`], a middleware): login start and callback count
//!   as `login`; announce (applications and follow-ups), attachment upload
//!   and submit count as `submit`. Each request counts once for its client
//!   address (`ip:<addr>:<bucket>`) and, when it carries one, for its
//!   session cookie (`session:<sha256>:<bucket>`), in fixed windows of
//!   [`Limits::window_seconds`]. The counter is one `INSERT … ON CONFLICT
//!   … DO UPDATE … RETURNING` in the database, so relay instances share it.
//!   Over the limit: 429 `rate_limited` with `Retry-After` (the seconds
//!   until the window ends). Old windows are swept ([`sweep`]).
//! * **Client address** ([`client_ip`]): the TCP peer; `X-Forwarded-For`
//!   only when the peer is one of [`Limits::trusted_proxies`], and then
//!   the right-most address that is not a trusted proxy.
//! * **Quotas**: at most [`Limits::open_applications`] announced, not yet
//!   submitted applications per citizen (409 `quota_exceeded`), and at most
//!   [`Limits::attachment_bytes`] of attachments in them together (413
//!   `quota_exceeded`), counted as the upload passes through
//!   ([`read_attachment`], `quota.rs`).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::db::{params, Connection};
use crate::error::RelayError;
use crate::session;
use crate::RelayState;

mod quota;
pub use quota::{attachment_bytes, check_open, open_submissions, read_attachment, reserve};

/// Schema step 7: rate counters and the attachment bytes of open
/// submissions.
pub const MIGRATION: &str = "
CREATE TABLE relay_rate (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX relay_rate_window ON relay_rate(window_start);
CREATE TABLE relay_attachment_bytes (
    submission_id TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (submission_id, attachment_id)
);
";

pub const MIB: u64 = 1024 * 1024;

/// The configured limits (docs/relay.md "Limits and quotas").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Length of one counting window.
    pub window_seconds: u64,
    /// Login starts and callbacks per client address and window.
    pub login_per_ip: u64,
    /// Login starts and callbacks per session (cookie) and window.
    pub login_per_session: u64,
    /// Announces, uploads and submits per client address and window.
    pub submit_per_ip: u64,
    /// Announces, uploads and submits per session and window.
    pub submit_per_session: u64,
    /// Appointment holds, confirmations, changes and cancellations per
    /// client address and window (issue #22).
    pub termine_per_ip: u64,
    /// The same per session (cookie), when the request carries one.
    pub termine_per_session: u64,
    /// Announced, not yet submitted applications per citizen (follow-ups
    /// have their own quota per case).
    pub open_applications: u64,
    /// Attachment bytes per citizen in those open submissions together.
    pub attachment_bytes: u64,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window_seconds: 600,
            login_per_ip: 300,
            login_per_session: 60,
            submit_per_ip: 600,
            submit_per_session: 120,
            termine_per_ip: 120,
            termine_per_session: 60,
            open_applications: 20,
            attachment_bytes: 200 * MIB,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[limits]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileLimits {
    window_seconds: Option<u64>,
    login_per_ip: Option<u64>,
    login_per_session: Option<u64>,
    submit_per_ip: Option<u64>,
    submit_per_session: Option<u64>,
    termine_per_ip: Option<u64>,
    termine_per_session: Option<u64>,
    open_applications: Option<u64>,
    attachment_bytes: Option<u64>,
}

impl Limits {
    /// From `[limits]`, `trusted_proxies` and the environment
    /// (`RELAY_LIMIT_…`, `RELAY_TRUSTED_PROXIES`), which wins.
    pub(crate) fn build(
        file: FileLimits,
        proxies: Option<Vec<String>>,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let d = Limits::default();
        let num = |var: &str, f: Option<u64>, d: u64| -> anyhow::Result<u64> {
            let name = format!("RELAY_LIMIT_{var}");
            match env(&name) {
                Some(s) => match s.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => anyhow::bail!("{name} must be a positive number, got {s:?}"),
                },
                None => match f {
                    Some(0) => anyhow::bail!("[limits] {} must be positive", var.to_lowercase()),
                    Some(n) => Ok(n),
                    None => Ok(d),
                },
            }
        };
        let mut trusted_proxies = Vec::new();
        let listed = env("RELAY_TRUSTED_PROXIES")
            .map(|v| v.split(',').map(str::to_string).collect())
            .or(proxies)
            .unwrap_or_default();
        for p in listed {
            let p = p.trim();
            if !p.is_empty() {
                trusted_proxies.push(Cidr::parse(p).ok_or_else(|| {
                    anyhow::anyhow!("RELAY_TRUSTED_PROXIES: {p:?} is not an IP address or CIDR")
                })?);
            }
        }
        Ok(Limits {
            window_seconds: num("WINDOW_SECONDS", file.window_seconds, d.window_seconds)?,
            login_per_ip: num("LOGIN_PER_IP", file.login_per_ip, d.login_per_ip)?,
            login_per_session: num(
                "LOGIN_PER_SESSION",
                file.login_per_session,
                d.login_per_session,
            )?,
            submit_per_ip: num("SUBMIT_PER_IP", file.submit_per_ip, d.submit_per_ip)?,
            submit_per_session: num(
                "SUBMIT_PER_SESSION",
                file.submit_per_session,
                d.submit_per_session,
            )?,
            termine_per_ip: num("TERMINE_PER_IP", file.termine_per_ip, d.termine_per_ip)?,
            termine_per_session: num(
                "TERMINE_PER_SESSION",
                file.termine_per_session,
                d.termine_per_session,
            )?,
            open_applications: num(
                "OPEN_APPLICATIONS",
                file.open_applications,
                d.open_applications,
            )?,
            attachment_bytes: num(
                "ATTACHMENT_BYTES",
                file.attachment_bytes,
                d.attachment_bytes,
            )?,
            trusted_proxies,
        })
    }
}

/// An IP network: `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|n| *n <= max)?,
            None => max,
        };
        Some(Cidr {
            addr: addr.to_canonical(),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> (u128, u8) {
            match a {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let (net, width) = bits(self.addr);
        let (ip, w) = bits(ip.to_canonical());
        if w != width {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        if shift >= 128 {
            return true;
        }
        (net >> shift) == (ip >> shift)
    }
}

/// One entry of `X-Forwarded-For`: an address, perhaps with a port.
fn forwarded_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: the peer, unless the peer is a trusted proxy;
/// then the right-most address of `X-Forwarded-For` that is not one (all
/// trusted: the left-most; an entry that is no address ends the walk at
/// the last trusted hop). A forged header from anyone else changes nothing.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match forwarded_ip(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    Some(client)
}

/// What a request counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Login,
    Submit,
    /// Appointment holds, confirmations, changes and cancellations.
    Termine,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Login => "login",
            Bucket::Submit => "submit",
            Bucket::Termine => "termine",
        }
    }

    /// The bucket of `method path` (the full path), if it is limited.
    pub fn of(method: &Method, path: &str) -> Option<Bucket> {
        let rest = path.strip_prefix(contract::relay::API_PREFIX)?;
        let segs: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match (method.as_str(), segs.as_slice()) {
            // HEAD runs the GET handler too.
            ("GET" | "HEAD", ["login"] | ["login", "callback"] | ["saml", "done"])
            | ("POST", ["saml", "acs"]) => Some(Bucket::Login),
            ("POST", ["applications"] | ["applications", _, "payment"])
            | ("PUT", ["applications", _] | ["applications", _, "attachments", _]) => {
                Some(Bucket::Submit)
            }
            ("POST", ["termine", "holds"] | ["termine", "holds", _, "confirm"])
            | ("POST", ["termine", "buchung", "change" | "cancel"]) => Some(Bucket::Termine),
            _ => None,
        }
    }
}

/// Counts one hit of `key` in the window that holds `now`; returns the
/// hits so far in it and the seconds until it ends.
pub fn hit(c: &Connection, key: &str, now: i64, window: i64) -> crate::db::Result<(i64, i64)> {
    let window = window.max(1);
    let start = now - now.rem_euclid(window);
    let hits: i64 = c.query_row(
        "INSERT INTO relay_rate (key, window_start, hits) VALUES (?1, ?2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = relay_rate.hits + 1
         RETURNING hits",
        params![key, start],
        |r| r.get(0),
    )?;
    Ok((hits, (start + window - now).max(1)))
}

/// Deletes ended windows, and the attachment bytes of submissions that
/// are no longer open (submitted, or gone from the record).
pub fn sweep(c: &Connection, now: i64, window: i64) -> crate::db::Result<usize> {
    let rates = c.execute(
        "DELETE FROM relay_rate WHERE window_start < ?1",
        params![now - window.max(1)],
    )?;
    let bytes = c.execute(
        "DELETE FROM relay_attachment_bytes WHERE NOT EXISTS (
             SELECT 1 FROM relay_submissions s
             WHERE s.submission_id = relay_attachment_bytes.submission_id
               AND s.submitted_at IS NULL)",
        params![],
    )?;
    Ok(rates + bytes)
}

/// When this instance last swept (a throttle only: sweeping is safe on
/// any instance at any time).
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// The middleware: 429 `rate_limited` when the request's client address
/// or session has made too many requests of its bucket in this window.
/// Runs before any handler, so a refused request's body is never read.
pub async fn limit(State(st): State<RelayState>, req: Request, next: Next) -> Response {
    let Some(bucket) = Bucket::of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let limits = &st.shared.config.limits;
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &limits.trusted_proxies)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let https = st.shared.config.https();
    // The session cookie, else (at the callback) the login's cookie.
    let browser = session::cookie(req.headers(), session::cookie_name(https))
        .or_else(|| session::cookie(req.headers(), session::LOGIN_COOKIE))
        .map(|c| session::sha256_hex(&c));
    let (per_ip, per_session) = match bucket {
        Bucket::Login => (limits.login_per_ip, limits.login_per_session),
        Bucket::Submit => (limits.submit_per_ip, limits.submit_per_session),
        Bucket::Termine => (limits.termine_per_ip, limits.termine_per_session),
    };
    let name = bucket.name();
    let window = i64::try_from(limits.window_seconds).unwrap_or(i64::MAX);
    let counted = st
        .db
        .call(move |c| {
            let now = session::now();
            let last = LAST_SWEEP.load(Ordering::Relaxed);
            if now - last >= 60
                && LAST_SWEEP
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                sweep(c, now, window)?;
            }
            // The address first: over it, the session is not counted (so
            // made-up cookies cannot fill the table).
            let (n, wait) = hit(c, &format!("ip:{ip}:{name}"), now, window)?;
            if n > per_ip as i64 {
                return Ok(Some(wait));
            }
            if let Some(b) = browser {
                let (n, wait) = hit(c, &format!("session:{b}:{name}"), now, window)?;
                if n > per_session as i64 {
                    return Ok(Some(wait));
                }
            }
            Ok(None)
        })
        .await;
    match counted {
        Ok(None) => next.run(req).await,
        Ok(Some(wait)) => {
            tracing::info!(bucket = name, "rate limit reached");
            RelayError::RateLimited {
                retry_after: u64::try_from(wait).unwrap_or(1),
            }
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in v {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()), "mapped");
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("fd00::/8")
            .unwrap()
            .contains("fd12::1".parse().unwrap()));
        assert!(!Cidr::parse("fd00::/8")
            .unwrap()
            .contains("10.0.0.1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "::/129", ""] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy = "10.0.0.5".parse().ok();
        let trusted = [Cidr::parse("10.0.0.0/24").unwrap()];
        let h = xff(&["6.6.6.6, 1.2.3.4"]);
        // An untrusted peer's header is ignored.
        let stranger = "5.5.5.5".parse().ok();
        assert_eq!(client_ip(stranger, &h, &trusted), stranger);
        assert_eq!(client_ip(proxy, &h, &[]), proxy);
        // The right-most untrusted entry; forged ones to its left do not count.
        assert_eq!(client_ip(proxy, &h, &trusted), "1.2.3.4".parse().ok());
        let h = xff(&["6.6.6.6", "1.2.3.4, 10.0.0.7"]);
        assert_eq!(client_ip(proxy, &h, &trusted), "1.2.3.4".parse().ok());
        // Ports and IPv6.
        let h = xff(&["[2001:db8::1]:443"]);
        assert_eq!(client_ip(proxy, &h, &trusted), "2001:db8::1".parse().ok());
        // Garbage ends the walk at the last trusted hop.
        let h = xff(&["1.2.3.4, garbage, 10.0.0.7"]);
        assert_eq!(client_ip(proxy, &h, &trusted), "10.0.0.7".parse().ok());
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_ip(None, &h, &trusted), None);
    }

    #[test]
    fn buckets() {
        let b = |m: Method, p: &str| Bucket::of(&m, p);
        assert_eq!(b(Method::GET, "/api/v1/login"), Some(Bucket::Login));
        assert_eq!(
            b(Method::GET, "/api/v1/login/callback"),
            Some(Bucket::Login)
        );
        assert_eq!(
            b(Method::POST, "/api/v1/applications"),
            Some(Bucket::Submit)
        );
        assert_eq!(
            b(Method::PUT, "/api/v1/applications/x"),
            Some(Bucket::Submit)
        );
        assert_eq!(
            b(Method::PUT, "/api/v1/applications/x/attachments/y"),
            Some(Bucket::Submit)
        );
        assert_eq!(b(Method::HEAD, "/api/v1/login"), Some(Bucket::Login));
        assert_eq!(b(Method::POST, "/api/v1/login"), None);
        assert_eq!(b(Method::GET, "/api/v1/applications"), None);
        assert_eq!(b(Method::GET, "/api/v1/session"), None);
        assert_eq!(b(Method::POST, "/api/v1/logout"), None);
    }

    #[tokio::test]
    async fn windows_count_and_are_swept() {
        let db = crate::db::Db::in_memory().unwrap();
        let (a, b, other, next, swept, left) = db
            .call(|c| {
                let a = hit(c, "ip:1:login", 1_000, 600)?;
                let b = hit(c, "ip:1:login", 1_100, 600)?;
                let other = hit(c, "ip:2:login", 1_100, 600)?;
                let next = hit(c, "ip:1:login", 1_200, 600)?;
                let swept = sweep(c, 1_700, 600)?;
                let left: i64 =
                    c.query_row("SELECT COUNT(*) FROM relay_rate", params![], |r| r.get(0))?;
                Ok((a, b, other, next, swept, left))
            })
            .await
            .unwrap();
        // Windows start at multiples of 600: 600..1200, then 1200..1800.
        assert_eq!(a, (1, 200));
        assert_eq!(b, (2, 100));
        assert_eq!(other, (1, 100));
        assert_eq!(next, (1, 600));
        assert_eq!((swept, left), (2, 1));
    }
}
