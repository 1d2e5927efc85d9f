//! The relay's configuration: a TOML file (`RELAY_CONFIG`), overridden by
//! environment variables. Every upstream URL and secret lives here and only
//! here; none reaches the app. docs/relay.md lists every key.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Development secrets of the stand-in; accepted only for upstreams on loopback.
pub const DEV_OIDC_SECRET: &str = "dev-relay-secret";
pub const DEV_SENDER_SECRET: &str = "dev-sender-secret";

/// A login session lasts at most this long, however often it is extended.
pub const DEFAULT_SESSION_MAX_SECONDS: u64 = 12 * 3600;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The origin the browser sees, e.g. `https://buergeramt.nrw.de`.
    pub public_url: String,
    /// Further origins whose state-changing calls are accepted (a dev proxy).
    pub allowed_origins: Vec<String>,
    /// Where the SQLite file lives.
    pub data_dir: PathBuf,
    /// The built app (`dist/`), served for every path outside `/api/`.
    pub dist_dir: PathBuf,
    pub session_max_seconds: u64,
    /// Time limit of one upstream call.
    pub upstream_timeout_ms: u64,
    pub identity: Identity,
    /// OIDC (default) or SAML (`identity = "saml"`, `RELAY_IDENTITY`).
    pub identity_kind: crate::saml::IdentityKind,
    /// The SAML service provider's settings (`[saml]`), used in SAML mode.
    pub saml: crate::saml::SamlConfig,
    pub pvog: Service,
    /// The postbox: the relay calls it as the Onlinedienst and names the citizen.
    pub zbp: Service,
    /// FIT-Connect's Submission API: the relay is the sender.
    pub fitconnect: Service,
    /// The appointment system: the relay books as the Onlinedienst.
    pub termine: Service,
    /// The payment provider (ePayBL/XBezahldienste-like): the relay creates
    /// and verifies payments as the Onlinedienst.
    pub payment: Payment,
    /// The upstreams are the stand-in (`RELAY_UPSTREAM`): the app labels
    /// its catalogue as sample data.
    pub sample_data: bool,
    /// SQLite under `data_dir` (default) or PostgreSQL (`DATABASE_URL`).
    pub database: crate::db::DbConfig,
    /// `/metrics` is served only with `Authorization: Bearer <this>`; no
    /// token, no metrics (404).
    pub metrics_token: Option<String>,
    /// Rates, quotas and the proxies whose `X-Forwarded-For` is believed
    /// (`[limits]`, `trusted_proxies`; [`crate::limits`]).
    pub limits: crate::limits::Limits,
    /// Notices outside the app (`[notify]`, issue #24; [`crate::notify`]).
    pub notify: crate::notify::NotifyConfig,
}

/// The identity provider (BundID through an OIDC broker).
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
}

/// An upstream that wants OAuth2 client credentials.
#[derive(Debug, Clone)]
pub struct Service {
    pub base_url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
}

/// The payment provider: an upstream with client credentials, the
/// Onlinedienst's ids there and the provider's name for the data-use log.
#[derive(Debug, Clone)]
pub struct Payment {
    pub service: Service,
    /// XBezahldienste's `originatorId` (the Onlinedienst at the provider).
    pub originator_id: String,
    /// XBezahldienste's `endPointId` (the cash office booking the fees).
    pub endpoint_id: String,
    /// Named to the citizen in the data-use log and the payment step.
    pub provider_name: String,
}

/// The TOML file: every key optional, environment variables win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    public_url: Option<String>,
    allowed_origins: Option<Vec<String>>,
    data_dir: Option<PathBuf>,
    dist_dir: Option<PathBuf>,
    session_max_seconds: Option<u64>,
    upstream_timeout_ms: Option<u64>,
    metrics_token: Option<String>,
    /// Base URL of the stand-in: fills every upstream URL not given.
    upstream: Option<String>,
    /// `identity = "oidc" | "saml"`, or the `[identity]` table of OIDC
    /// (with `mode = "oidc" | "saml"`).
    #[serde(default)]
    identity: FileIdentityEntry,
    #[serde(default)]
    saml: crate::saml::config::FileSaml,
    #[serde(default)]
    pvog: FileService,
    #[serde(default)]
    zbp: FileService,
    #[serde(default)]
    fitconnect: FileService,
    #[serde(default)]
    termine: FileService,
    #[serde(default)]
    payment: FilePayment,
    #[serde(default)]
    database: FileDatabase,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    limits: crate::limits::FileLimits,
    #[serde(default)]
    notify: crate::notify::config::FileNotify,
}

/// `[database]`: PostgreSQL instead of the embedded SQLite.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    max_connections: Option<u64>,
    connect_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIdentity {
    mode: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// `identity = "saml"` or `[identity] …`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileIdentityEntry {
    Kind(String),
    Table(FileIdentity),
}

impl Default for FileIdentityEntry {
    fn default() -> Self {
        Self::Table(FileIdentity::default())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileService {
    base_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// `[payment]`: the provider's service keys and its ids.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePayment {
    base_url: Option<String>,
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    originator_id: Option<String>,
    endpoint_id: Option<String>,
    provider_name: Option<String>,
}

/// Is an XBezahldienste id (`originatorId`, `endPointId`) usable: 1 to 64
/// of `A-Z a-z 0-9 - _`?
pub fn is_payment_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// Is `url`'s host a loopback address?
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn http_url(name: &str, v: String) -> anyhow::Result<String> {
    let v = v.trim().trim_end_matches('/').to_string();
    if !(v.starts_with("http://") || v.starts_with("https://")) || v.contains(char::is_whitespace) {
        anyhow::bail!("{name} must be an http(s) URL, got {v:?}");
    }
    Ok(v)
}

impl Config {
    /// Reads `RELAY_CONFIG` (optional TOML file) and the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let file: FileConfig = match std::env::var("RELAY_CONFIG") {
            Ok(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {path}: {e}"))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{path}: {e}"))?
            }
            Err(_) => FileConfig::default(),
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self::build(file, env)
    }

    /// Builds the configuration from a file and a variable lookup.
    fn build(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let port: u16 = match env("PORT") {
            Some(p) => p
                .parse()
                .map_err(|_| anyhow::anyhow!("PORT must be a number, got {p:?}"))?,
            None => 8080,
        };
        let bind_ip = env("RELAY_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1".into());
        let bind: SocketAddr = format!("{bind_ip}:{port}")
            .parse()
            .map_err(|e| anyhow::anyhow!("RELAY_BIND: {e}"))?;
        let public_url = http_url(
            "RELAY_PUBLIC_URL",
            env("RELAY_PUBLIC_URL")
                .or(file.public_url)
                .unwrap_or_else(|| format!("http://127.0.0.1:{port}")),
        )?;
        let mut allowed_origins = Vec::new();
        for o in env("RELAY_ALLOWED_ORIGINS")
            .map(|v| v.split(',').map(str::to_string).collect())
            .or(file.allowed_origins)
            .unwrap_or_default()
        {
            if !o.trim().is_empty() {
                allowed_origins.push(http_url("RELAY_ALLOWED_ORIGINS", o)?);
            }
        }
        let upstream = env("RELAY_UPSTREAM")
            .or(file.upstream)
            .map(|u| http_url("RELAY_UPSTREAM", u))
            .transpose()?;
        let derived = |what: &str, path: &str| -> anyhow::Result<String> {
            match &upstream {
                Some(u) => Ok(format!("{u}{path}")),
                None => anyhow::bail!("{what} is not configured (or set RELAY_UPSTREAM)"),
            }
        };
        let (kind, file_identity) = match file.identity {
            FileIdentityEntry::Kind(k) => (Some(k), FileIdentity::default()),
            FileIdentityEntry::Table(t) => (t.mode.clone(), t),
        };
        let identity_kind = match env("RELAY_IDENTITY").or(kind) {
            Some(k) => crate::saml::IdentityKind::parse(&k)?,
            None => crate::saml::IdentityKind::Oidc,
        };
        let saml =
            crate::saml::SamlConfig::build(file.saml, &public_url, upstream.as_deref(), &env)?;
        let issuer = match env("RELAY_OIDC_ISSUER").or(file_identity.issuer) {
            Some(v) => http_url("RELAY_OIDC_ISSUER", v)?,
            None => derived("RELAY_OIDC_ISSUER", "/idp")?,
        };
        let secret = |name: &str, v: Option<String>, url: &str, dev: &str| match v {
            Some(s) if s.trim().len() >= 16 => Ok(s.trim().to_string()),
            Some(_) => anyhow::bail!("{name} must be at least 16 characters"),
            None if is_loopback_url(url) => Ok(dev.to_string()),
            None => anyhow::bail!("{name} is required for an upstream that is not on loopback"),
        };
        let oidc_secret = env("RELAY_OIDC_CLIENT_SECRET").or(file_identity.client_secret);
        let identity = Identity {
            // In SAML mode the OIDC client is never used: no secret needed.
            client_secret: match (identity_kind, oidc_secret) {
                (crate::saml::IdentityKind::Saml, None) => String::new(),
                (_, v) => secret("RELAY_OIDC_CLIENT_SECRET", v, &issuer, DEV_OIDC_SECRET)?,
            },
            client_id: env("RELAY_OIDC_CLIENT_ID")
                .or(file_identity.client_id)
                .unwrap_or_else(|| "buergeramt-relay".into()),
            scope: env("RELAY_OIDC_SCOPE")
                .or(file_identity.scope)
                .unwrap_or_else(|| "openid profile email address phone".into()),
            issuer,
        };
        // One upstream with client credentials: `RELAY_<NAME>_…` or `[<name>]`.
        let service =
            |name: &str, file: FileService, path: &str, scope: &str| -> anyhow::Result<Service> {
                let var = |key: &str| format!("RELAY_{}_{key}", name.to_ascii_uppercase());
                let base_url = match env(&var("URL")).or(file.base_url) {
                    Some(v) => http_url(&var("URL"), v)?,
                    None => derived(&var("URL"), path)?,
                };
                let token_url = match env(&var("TOKEN_URL")).or(file.token_url) {
                    Some(v) => http_url(&var("TOKEN_URL"), v)?,
                    None => derived(&var("TOKEN_URL"), "/idp/token")?,
                };
                Ok(Service {
                    client_secret: secret(
                        &var("CLIENT_SECRET"),
                        env(&var("CLIENT_SECRET")).or(file.client_secret),
                        &token_url,
                        DEV_SENDER_SECRET,
                    )?,
                    client_id: env(&var("CLIENT_ID"))
                        .or(file.client_id)
                        .unwrap_or_else(|| "buergeramt-onlinedienst".into()),
                    scope: env(&var("SCOPE"))
                        .or(file.scope)
                        .unwrap_or_else(|| scope.into()),
                    base_url,
                    token_url,
                })
            };
        let pvog = service("pvog", file.pvog, "/pvog", "pvog:read")?;
        let zbp = service("zbp", file.zbp, "/zbp", "zbp:deliver")?;
        let fitconnect = service(
            "fitconnect",
            file.fitconnect,
            "/fitconnect",
            "fitconnect:send",
        )?;
        let termine = service("termine", file.termine, "/termine", "termine:book")?;
        let fp = file.payment;
        let payment_service = service(
            "payment",
            FileService {
                base_url: fp.base_url,
                token_url: fp.token_url,
                client_id: fp.client_id,
                client_secret: fp.client_secret,
                scope: fp.scope,
            },
            "/payment",
            "payment:create",
        )?;
        let payment_id = |name: &str, v: Option<String>, d: &str| {
            let v = v.map(|v| v.trim().to_string()).unwrap_or_else(|| d.into());
            if is_payment_id(&v) {
                Ok(v)
            } else {
                anyhow::bail!("{name} must be 1 to 64 of A-Z a-z 0-9 - _, got {v:?}")
            }
        };
        let payment = Payment {
            originator_id: payment_id(
                "RELAY_PAYMENT_ORIGINATOR_ID",
                env("RELAY_PAYMENT_ORIGINATOR_ID").or(fp.originator_id),
                "buergeramt-nrw",
            )?,
            endpoint_id: payment_id(
                "RELAY_PAYMENT_ENDPOINT_ID",
                env("RELAY_PAYMENT_ENDPOINT_ID").or(fp.endpoint_id),
                "gebuehren",
            )?,
            provider_name: match env("RELAY_PAYMENT_PROVIDER_NAME").or(fp.provider_name) {
                Some(n) if contract::payment::plain_text(n.trim(), 100) && !n.trim().is_empty() => {
                    n.trim().to_string()
                }
                Some(n) => {
                    anyhow::bail!("RELAY_PAYMENT_PROVIDER_NAME: 1 to 100 characters, got {n:?}")
                }
                None => "ePayBL-Testsystem (Stand-in)".into(),
            },
            service: payment_service,
        };
        let positive = |name: &str, v: Option<String>, f: Option<u64>, d: u64| match v {
            Some(s) => match s.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => anyhow::bail!("{name} must be a positive number, got {s:?}"),
            },
            None => Ok(f.unwrap_or(d)),
        };
        let database_url = env("DATABASE_URL").or(file.database.url);
        if let Some(u) = &database_url {
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                anyhow::bail!(
                    "DATABASE_URL must be a postgres:// URL (leave it unset for SQLite), got {}",
                    crate::db::redact(u)
                );
            }
        }
        let defaults = crate::db::DbConfig::default();
        let database = crate::db::DbConfig {
            url: database_url,
            max_connections: positive(
                "RELAY_DATABASE_MAX_CONNECTIONS",
                env("RELAY_DATABASE_MAX_CONNECTIONS"),
                file.database.max_connections,
                defaults.max_connections as u64,
            )?
            .min(1000) as usize,
            connect_timeout_secs: positive(
                "RELAY_DATABASE_CONNECT_TIMEOUT_SECS",
                env("RELAY_DATABASE_CONNECT_TIMEOUT_SECS"),
                file.database.connect_timeout_secs,
                defaults.connect_timeout_secs,
            )?,
        };
        let metrics_token = match env("RELAY_METRICS_TOKEN").or(file.metrics_token) {
            Some(t) if t.trim().len() >= 16 => Some(t.trim().to_string()),
            Some(_) => anyhow::bail!("RELAY_METRICS_TOKEN must be at least 16 characters"),
            None => None,
        };
        let limits = crate::limits::Limits::build(file.limits, file.trusted_proxies, &env)?;
        let notify = crate::notify::NotifyConfig::build(file.notify, upstream.as_deref(), &env)?;
        Ok(Config {
            notify,
            limits,
            database,
            sample_data: upstream.is_some(),
            metrics_token,
            bind,
            public_url,
            allowed_origins,
            data_dir: env("RELAY_DATA")
                .map(PathBuf::from)
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data/relay")),
            dist_dir: env("RELAY_DIST")
                .map(PathBuf::from)
                .or(file.dist_dir)
                .unwrap_or_else(|| PathBuf::from("dist")),
            session_max_seconds: positive(
                "RELAY_SESSION_MAX_SECONDS",
                env("RELAY_SESSION_MAX_SECONDS"),
                file.session_max_seconds,
                DEFAULT_SESSION_MAX_SECONDS,
            )?,
            upstream_timeout_ms: positive(
                "RELAY_UPSTREAM_TIMEOUT_MS",
                env("RELAY_UPSTREAM_TIMEOUT_MS"),
                file.upstream_timeout_ms,
                10_000,
            )?,
            identity,
            identity_kind,
            saml,
            pvog,
            zbp,
            fitconnect,
            termine,
            payment,
        })
    }

    /// A configuration for tests: the stand-in at `upstream`, this relay at `public_url`.
    pub fn for_tests(upstream: &str, public_url: &str, data_dir: PathBuf) -> Self {
        let vars = [
            ("RELAY_UPSTREAM", upstream.to_string()),
            ("RELAY_PUBLIC_URL", public_url.to_string()),
            ("RELAY_DATA", data_dir.display().to_string()),
            // No app unless a test builds one.
            ("RELAY_DIST", data_dir.join("no-dist").display().to_string()),
            ("RELAY_UPSTREAM_TIMEOUT_MS", "30000".to_string()),
        ];
        let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        match Self::build(FileConfig::default(), env) {
            Ok(c) => c,
            Err(e) => panic!("test configuration: {e}"),
        }
    }

    /// Serve the session cookie with `Secure` and the `__Host-` prefix?
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The OIDC redirect URI.
    pub fn callback_url(&self) -> String {
        format!(
            "{}{}/login/callback",
            self.public_url,
            contract::relay::API_PREFIX
        )
    }
}

#[cfg(test)]
mod tests;
