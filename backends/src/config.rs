//! Runtime configuration of the stand-in, from environment variables, and
//! the `/config.json` that tells the app where its backends live.

use axum::{extract::State, http::header, response::IntoResponse, Json};
use std::path::PathBuf;

use crate::AppState;

/// Default login-session lifetime: 30 minutes.
pub const DEFAULT_SESSION_SECONDS: u64 = 1800;
/// Default FIT-Connect deadline: 14 days (BACKENDS.md §3).
pub const DEFAULT_FITCONNECT_DEADLINE_SECONDS: u64 = 14 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; always loopback unless told otherwise.
    pub bind: std::net::SocketAddr,
    /// Where SQLite and keys live (`$BUERGERAMT_DATA`, default `./data`).
    pub data_dir: PathBuf,
    /// The built app (`$BUERGERAMT_DIST`, default `./dist`).
    pub dist_dir: PathBuf,
    /// Public origin of this server, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// What `/config.json` hands to the app.
    pub app: AppConfig,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Lifetime of a login session (and its access tokens) in seconds; a
    /// refresh extends the session by this much (`$BUERGERAMT_SESSION_SECONDS`,
    /// default 1800).
    pub session_seconds: u64,
    /// How long a submission may stay `submitted` (or `incomplete`) before
    /// it is rejected (deleted) automatically
    /// (`$BUERGERAMT_FITCONNECT_DEADLINE_SECONDS`, default 14 days).
    pub fitconnect_deadline_seconds: u64,
    /// The authority console's own origin (`BUERGERAMT_CONSOLE_URL`, e.g.
    /// `http://localhost:8080`); `None`: the console shares the app's host.
    pub console_url: Option<String>,
    /// The provider's server-side clients (the relay, the sender) and
    /// whether the PVOG demands service tokens (`idp::clients`).
    pub clients: crate::idp::clients::ServerClients,
    /// Per-client limits of the provider's login forms (`BUERGERAMT_IDP_*`,
    /// `idp::limits`).
    pub idp_limits: crate::idp::limits::RateLimits,
    /// How many argon2 computations (password and PIN hashes, 19 MiB each)
    /// run at once; the rest wait (`BUERGERAMT_ARGON2_CONCURRENCY`, default:
    /// the number of cores; `idp::hashing`).
    pub argon2_concurrency: usize,
    /// The mail sink's SMTP port on 127.0.0.1 (`BUERGERAMT_SMTP_PORT`; 0:
    /// any free port); `None`: no mail sink (`mailsink::smtp`).
    pub smtp_port: Option<u16>,
    /// Where BundID's notice mails about new postbox mail go
    /// (`BUERGERAMT_BUNDID_SMTP_URL`, `smtp://host:port`, plain); `None`:
    /// to the mail sink when there is one, else none (`zbp::notice`).
    pub bundid_smtp_url: Option<String>,
    /// New postbox messages of one mailbox within this many seconds make
    /// one notice mail (`BUERGERAMT_BUNDID_NOTICE_WINDOW_SECONDS`, default 60).
    pub bundid_notice_window_secs: u64,
}

/// The stand-in's directory, served as its `/config.json`: where its
/// upstreams live, for tools that drive it directly (`load-bench`) and for
/// the relay's operators. The app never reads it: the app's `/config.json`
/// comes from the relay ([`contract::config::AppConfig`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppConfig {
    /// PVOG Suchdienst base URL.
    pub pvog: String,
    /// OpenID Connect issuer (BundID broker).
    pub idp: String,
    /// FIT-Connect Submission API base URL.
    pub fitconnect: String,
    /// Postbox (ZBP) base URL.
    pub zbp: String,
    /// The public client of the load bench.
    pub client_id: String,
    /// Its redirect URI.
    pub redirect_uri: String,
}

/// The `/config.json` for the stand-in at `public_url` serving everything.
fn local_app_config(public_url: &str) -> AppConfig {
    AppConfig {
        pvog: format!("{public_url}/pvog"),
        idp: format!("{public_url}/idp"),
        fitconnect: format!("{public_url}/fitconnect"),
        zbp: format!("{public_url}/zbp"),
        client_id: "buergeramt-app".into(),
        redirect_uri: format!("{public_url}/anmelden/rueckkehr"),
    }
}

/// What only the server needs of the app's configuration.
pub trait AppConfigExt {
    /// Origins (scheme://host:port) of all backends, for the CSP's connect-src.
    fn origins(&self) -> Vec<String>;
}

impl AppConfigExt for AppConfig {
    fn origins(&self) -> Vec<String> {
        let mut out: Vec<String> = [&self.pvog, &self.idp, &self.fitconnect, &self.zbp]
            .iter()
            .filter_map(|u| origin_of(u))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A positive whole number from the environment, or `default` when unset.
fn positive_env(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => anyhow::bail!("{name} must be a positive number, got {v:?}"),
        },
        Err(_) => Ok(default),
    }
}

/// `https://host:1234/path` → `https://host:1234`; `None` for relative or odd URLs.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

impl Config {
    /// Reads `PORT`, `BUERGERAMT_DATA`, `BUERGERAMT_DIST`, `BUERGERAMT_PUBLIC_URL`,
    /// `BUERGERAMT_APP_CONFIG` (a JSON file replacing the default `/config.json`)
    /// and the provider's rate limits (`BUERGERAMT_IDP_*`).
    pub fn from_env() -> anyhow::Result<Self> {
        let port: u16 = match std::env::var("PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| anyhow::anyhow!("PORT must be a number, got {p:?}"))?,
            Err(_) => 8080,
        };
        let bind_ip = std::env::var("BUERGERAMT_BIND").unwrap_or_else(|_| "127.0.0.1".into());
        let bind = format!("{bind_ip}:{port}").parse()?;
        let public_url = std::env::var("BUERGERAMT_PUBLIC_URL")
            .unwrap_or_else(|_| format!("http://127.0.0.1:{port}"));
        let public_url = public_url.trim_end_matches('/').to_string();
        let app = match std::env::var("BUERGERAMT_APP_CONFIG") {
            Ok(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {path}: {e}"))?;
                serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("{path} is not a valid app config: {e}"))?
            }
            Err(_) => local_app_config(&public_url),
        };
        let session_seconds = match std::env::var("BUERGERAMT_SESSION_SECONDS") {
            Ok(v) => match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    anyhow::bail!("BUERGERAMT_SESSION_SECONDS must be a positive number, got {v:?}")
                }
            },
            Err(_) => DEFAULT_SESSION_SECONDS,
        };
        let fitconnect_deadline_seconds = positive_env(
            "BUERGERAMT_FITCONNECT_DEADLINE_SECONDS",
            DEFAULT_FITCONNECT_DEADLINE_SECONDS,
        )?;
        let clients = crate::idp::clients::ServerClients::from_env(
            std::net::SocketAddr::ip(&bind).is_loopback(),
            &public_url,
        )?;
        let console_url = match std::env::var("BUERGERAMT_CONSOLE_URL") {
            Ok(u) if u.trim().is_empty() => None,
            Ok(u) => {
                let u = u.trim().trim_end_matches('/').to_string();
                match origin_of(&u) {
                    Some(o) if o == u && o != public_url => Some(u),
                    _ => anyhow::bail!(
                        "BUERGERAMT_CONSOLE_URL must be an origin (scheme://host:port) other than the app's, got {u:?}"
                    ),
                }
            }
            Err(_) => None,
        };
        let idp_limits = crate::idp::limits::RateLimits::from_env()?;
        let argon2_concurrency = positive_env(
            crate::idp::hashing::CONCURRENCY_ENV,
            crate::idp::hashing::default_concurrency() as u64,
        )?;
        anyhow::ensure!(
            argon2_concurrency <= 1024,
            "{} is limited to 1024 (19 MiB each), got {argon2_concurrency}",
            crate::idp::hashing::CONCURRENCY_ENV
        );
        let argon2_concurrency = argon2_concurrency as usize;
        let smtp_port = match std::env::var("BUERGERAMT_SMTP_PORT") {
            Ok(p) if p.trim().is_empty() => None,
            Ok(p) => Some(p.trim().parse::<u16>().map_err(|_| {
                anyhow::anyhow!("BUERGERAMT_SMTP_PORT must be a port number, got {p:?}")
            })?),
            Err(_) => None,
        };
        let bundid_smtp_url = match std::env::var("BUERGERAMT_BUNDID_SMTP_URL") {
            Ok(u) if u.trim().is_empty() => None,
            Ok(u) => {
                let u = u.trim().to_string();
                crate::zbp::notice::SmtpTarget::parse(&u)
                    .map_err(|e| anyhow::anyhow!("BUERGERAMT_BUNDID_SMTP_URL: {e}"))?;
                Some(u)
            }
            Err(_) => None,
        };
        let bundid_notice_window_secs = positive_env(
            "BUERGERAMT_BUNDID_NOTICE_WINDOW_SECONDS",
            crate::zbp::notice::DEFAULT_WINDOW_SECS,
        )?;
        Ok(Self {
            smtp_port,
            bundid_smtp_url,
            bundid_notice_window_secs,
            argon2_concurrency,
            bind,
            clients,
            idp_limits,
            console_url,
            data_dir: std::env::var_os("BUERGERAMT_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data")),
            dist_dir: std::env::var_os("BUERGERAMT_DIST")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("dist")),
            public_url,
            app,
            max_body_bytes: 30 * 1024 * 1024,
            session_seconds,
            fitconnect_deadline_seconds,
        })
    }

    /// A configuration for tests: given directories, a fixed origin.
    pub fn for_tests(data_dir: PathBuf, dist_dir: PathBuf) -> Self {
        let public_url = "http://127.0.0.1:8080".to_string();
        Self {
            bind: ([127, 0, 0, 1], 0).into(),
            data_dir,
            dist_dir,
            app: local_app_config(&public_url),
            clients: crate::idp::clients::ServerClients::for_tests(&public_url),
            idp_limits: crate::idp::limits::RateLimits::default(),
            argon2_concurrency: crate::idp::hashing::default_concurrency(),
            console_url: None,
            smtp_port: None,
            bundid_smtp_url: None,
            bundid_notice_window_secs: crate::zbp::notice::DEFAULT_WINDOW_SECS,
            public_url,
            max_body_bytes: 30 * 1024 * 1024,
            session_seconds: DEFAULT_SESSION_SECONDS,
            fitconnect_deadline_seconds: DEFAULT_FITCONNECT_DEADLINE_SECONDS,
        }
    }
}

/// `GET /config.json`
pub async fn app_config(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(state.config.app.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_extracted_and_deduplicated() {
        let app = local_app_config("http://127.0.0.1:8080");
        assert_eq!(app.origins(), vec!["http://127.0.0.1:8080".to_string()]);
        assert_eq!(
            origin_of("https://a.example/x?y"),
            Some("https://a.example".into())
        );
        assert_eq!(origin_of("/relative"), None);
        assert_eq!(origin_of("javascript://x"), None);
    }
}
