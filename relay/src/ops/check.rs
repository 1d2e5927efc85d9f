//! `buergeramt-relay check-config`: loads the configuration exactly as the
//! server does (`RELAY_CONFIG` and the environment) and checks it before a
//! deploy, one line per check (OK, WARN, FAIL); the exit code is 1 if any
//! check failed. Local checks here, the upstreams in [`super::probe`].
//!
//! Never prints a secret: no secret is formatted into a line, and the
//! report is scrubbed of every configured secret before it is printed.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::{is_loopback_url, Config, DEV_OIDC_SECRET, DEV_SENDER_SECRET};

use super::logs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub level: Level,
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn push(&mut self, level: Level, name: impl Into<String>, detail: impl Into<String>) {
        self.checks.push(Check {
            level,
            name: name.into(),
            detail: detail.into(),
        });
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.level == Level::Fail)
    }

    pub fn count(&self, level: Level) -> usize {
        self.checks.iter().filter(|c| c.level == level).count()
    }

    /// Replaces every occurrence of `secrets` (if any slipped into an
    /// upstream's error text) with `[secret]`.
    pub fn scrub(&mut self, secrets: &[&str]) {
        for c in &mut self.checks {
            for s in secrets.iter().filter(|s| s.len() >= 4) {
                if c.detail.contains(*s) {
                    c.detail = c.detail.replace(*s, "[secret]");
                }
            }
        }
    }

    /// One line per check and a summary line.
    pub fn render(&self) -> String {
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for c in &self.checks {
            let _ = writeln!(
                out,
                "{:<4}  {:<width$}  {}",
                c.level.as_str(),
                c.name,
                c.detail
            );
        }
        let _ = writeln!(
            out,
            "check-config: {} OK, {} WARN, {} FAIL",
            self.count(Level::Ok),
            self.count(Level::Warn),
            self.count(Level::Fail)
        );
        out
    }
}

/// The configuration's secrets, for [`Report::scrub`].
pub fn secrets(c: &Config) -> Vec<&str> {
    let mut s = vec![
        c.identity.client_secret.as_str(),
        c.pvog.client_secret.as_str(),
        c.zbp.client_secret.as_str(),
        c.fitconnect.client_secret.as_str(),
        c.termine.client_secret.as_str(),
        c.payment.service.client_secret.as_str(),
    ];
    if let Some(t) = &c.metrics_token {
        s.push(t);
    }
    s
}

/// `url` without user name or password, for printing.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

/// A configuration error as it may be printed: a TOML error quotes the
/// offending line and value, which may be a secret; then only its first
/// line is kept.
pub fn redact_config_error(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if message.lines().count() > 1 && (lower.contains("secret") || lower.contains("token")) {
        let first = message.lines().next().unwrap_or("");
        format!("{first} (details withheld: they may quote a secret)")
    } else {
        message.replace('\n', " ")
    }
}

/// The checks that need no network.
pub fn local(config: &Config, r: &mut Report) {
    match std::env::var("RELAY_CONFIG") {
        Ok(path) => r.push(
            Level::Ok,
            "configuration",
            format!("loaded from {path} and the environment"),
        ),
        Err(_) => r.push(Level::Ok, "configuration", "loaded from the environment"),
    }
    match logs::Format::from_env() {
        Ok(logs::Format::Json) => r.push(Level::Ok, "log format", "JSON lines"),
        Ok(logs::Format::Text) => r.push(Level::Ok, "log format", "text"),
        Err(e) => r.push(Level::Fail, "log format", e),
    }
    let public = shown(&config.public_url);
    if config.https() {
        r.push(Level::Ok, "public_url", format!("{public} (https)"));
    } else if is_loopback_url(&config.public_url) {
        r.push(
            Level::Ok,
            "public_url",
            format!("{public}: http on loopback, for development only"),
        );
    } else {
        r.push(
            Level::Warn,
            "public_url",
            format!("{public} is not https: the session cookie goes without Secure"),
        );
    }
    for o in &config.allowed_origins {
        if !o.starts_with("https://") && !is_loopback_url(o) {
            r.push(
                Level::Warn,
                "allowed_origins",
                format!("{} is not https", shown(o)),
            );
        }
    }
    if config.sample_data {
        let level = if config.https() {
            Level::Warn
        } else {
            Level::Ok
        };
        r.push(
            level,
            "upstream mode",
            "RELAY_UPSTREAM is set: stand-in URLs fill the gaps, the app labels its catalogue as sample data",
        );
    }
    secret(
        r,
        "identity secret",
        &config.identity.client_secret,
        &config.identity.issuer,
        DEV_OIDC_SECRET,
    );
    for (name, s) in [
        ("pvog", &config.pvog),
        ("zbp", &config.zbp),
        ("fitconnect", &config.fitconnect),
        ("termine", &config.termine),
        ("payment", &config.payment.service),
    ] {
        secret(
            r,
            &format!("{name} secret"),
            &s.client_secret,
            &s.token_url,
            DEV_SENDER_SECRET,
        );
    }
    data_dir(&config.data_dir, r);
    if config.database.url.is_none() {
        database(&config.data_dir, r);
    }
    match &config.metrics_token {
        Some(_) => r.push(
            Level::Ok,
            "metrics",
            "/metrics served with the configured bearer token",
        ),
        None => r.push(Level::Ok, "metrics", "/metrics off (no metrics_token)"),
    }
}

/// A development secret is accepted for the stand-in on loopback only.
fn secret(r: &mut Report, name: &str, value: &str, url: &str, dev: &str) {
    let is_dev = value == DEV_OIDC_SECRET || value == DEV_SENDER_SECRET || value == dev;
    match (is_dev, is_loopback_url(url)) {
        (true, true) => r.push(
            Level::Ok,
            name,
            "the stand-in's development secret (loopback only)",
        ),
        (true, false) => r.push(
            Level::Fail,
            name,
            format!(
                "the stand-in's development secret for {}, which is not on loopback",
                shown(url)
            ),
        ),
        (false, _) => r.push(Level::Ok, name, "set"),
    }
}

/// The data directory exists and is writable, or can be created.
pub fn data_dir(dir: &Path, r: &mut Report) {
    let name = "data_dir";
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            r.push(Level::Fail, name, format!("{shown} is not a directory"));
        }
        Ok(_) => match probe_write(dir) {
            Ok(()) => r.push(Level::Ok, name, format!("{shown} is writable")),
            Err(e) => r.push(Level::Fail, name, format!("{shown} is not writable: {e}")),
        },
        Err(_) => {
            let parent = dir
                .ancestors()
                .skip(1)
                .find(|p| p.as_os_str().is_empty() || p.is_dir());
            let parent = match parent {
                Some(p) if p.as_os_str().is_empty() => Path::new("."),
                Some(p) => p,
                None => Path::new("/"),
            };
            match probe_write(parent) {
                Ok(()) => r.push(
                    Level::Ok,
                    name,
                    format!("{shown} does not exist yet; the relay creates it (0700) at start"),
                ),
                Err(e) => r.push(
                    Level::Fail,
                    name,
                    format!(
                        "{shown} does not exist and {} is not writable: {e}",
                        parent.display()
                    ),
                ),
            }
        }
    }
}

/// Creates and removes a file in `dir`.
fn probe_write(dir: &Path) -> std::io::Result<()> {
    let p = dir.join(format!(".check-config-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&p)?;
    std::fs::remove_file(&p)
}

/// The SQLite file, if there is one, opens (read-only) and answers.
pub fn database(dir: &Path, r: &mut Report) {
    let name = "database";
    let path = dir.join("relay.sqlite");
    if !path.exists() {
        r.push(
            Level::Ok,
            name,
            "relay.sqlite does not exist yet; the relay creates it at start",
        );
        return;
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let answer = rusqlite::Connection::open_with_flags(&path, flags).and_then(|c| {
        c.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
    });
    match answer {
        Ok(n) => r.push(
            Level::Ok,
            name,
            format!("relay.sqlite answers ({n} schema objects)"),
        ),
        Err(e) => r.push(Level::Fail, name, format!("relay.sqlite: {e}")),
    }
}

/// PostgreSQL answers, and its schema is not newer than this relay's.
pub async fn postgres(url: String, r: &mut Report) {
    let name = "database";
    let shown = crate::db::redact(&url);
    let answer = tokio::task::spawn_blocking(move || crate::db::schema_state(&url)).await;
    match answer {
        Ok(Ok((version, applied))) => {
            let known = crate::db::MIGRATION_STEPS as i64;
            let (level, what) = if applied > known {
                (
                    Level::Fail,
                    format!("schema step {applied} is newer than this relay's {known}: a newer relay ran on it"),
                )
            } else if applied < known {
                (
                    Level::Warn,
                    format!("schema at step {applied} of {known}: the relay migrates at start"),
                )
            } else {
                (Level::Ok, format!("schema at step {applied}"))
            };
            r.push(level, name, format!("{shown} answers ({version}); {what}"));
        }
        Ok(Err(e)) => r.push(Level::Fail, name, format!("{shown}: {e}")),
        Err(e) => r.push(Level::Fail, name, format!("{shown}: {e}")),
    }
}

/// Every check, the local ones first.
pub async fn run(config: &Config) -> Report {
    let mut r = Report::default();
    local(config, &mut r);
    if let Some(url) = config.database.url.clone() {
        postgres(url, &mut r).await;
    }
    super::keys::check(config, &mut r).await;
    super::probe::upstreams(config, &mut r).await;
    // Notices (issue #24): the SMTP server, a VAPID key file.
    crate::notify::config::check(&config.notify, &mut r).await;
    r.scrub(&secrets(config));
    r
}

/// The subcommand: the report on stdout; 0, or 1 if anything failed.
pub async fn command() -> u8 {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            let mut r = Report::default();
            r.push(
                Level::Fail,
                "configuration",
                redact_config_error(&format!("{e:#}")),
            );
            print!("{}", r.render());
            return 1;
        }
    };
    let r = run(&config).await;
    print!("{}", r.render());
    u8::from(r.failed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_and_scrubs() {
        let mut r = Report::default();
        r.push(Level::Ok, "a", "fine");
        r.push(Level::Warn, "longer name", "hmm");
        assert!(!r.failed());
        r.push(
            Level::Fail,
            "c",
            "the answer quoted 0123456789abcdef-secret",
        );
        r.scrub(&["0123456789abcdef-secret", ""]);
        assert!(r.failed());
        let text = r.render();
        assert!(!text.contains("0123456789abcdef-secret"), "{text}");
        assert!(
            text.contains("FAIL  c            the answer quoted [secret]\n"),
            "{text}"
        );
        assert!(
            text.ends_with("check-config: 1 OK, 1 WARN, 1 FAIL\n"),
            "{text}"
        );
    }

    #[test]
    fn toml_errors_quoting_a_secret_are_cut() {
        let e = "relay.toml: TOML parse error at line 3, column 17\n  |\n3 | client_secret = 12\n  |                 ^^\ninvalid type: integer `12`, expected a string";
        let shown = redact_config_error(e);
        assert!(!shown.contains("12`"), "{shown}");
        assert!(shown.starts_with("relay.toml: TOML parse error at line 3"));
        let plain = "RELAY_PVOG_URL must be an http(s) URL, got \"ftp://x\"";
        assert_eq!(redact_config_error(plain), plain);
    }

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            shown("https://user:pw@idp.example/x"),
            "https://idp.example/x"
        );
        assert_eq!(shown("https://idp.example/x"), "https://idp.example/x");
    }

    #[test]
    fn dev_secrets_only_on_loopback() {
        let mut r = Report::default();
        secret(
            &mut r,
            "s",
            DEV_SENDER_SECRET,
            "http://127.0.0.1:1/t",
            DEV_SENDER_SECRET,
        );
        secret(
            &mut r,
            "s",
            DEV_SENDER_SECRET,
            "https://pvog.example/t",
            DEV_SENDER_SECRET,
        );
        secret(
            &mut r,
            "s",
            "a-real-secret-of-length",
            "https://pvog.example/t",
            DEV_SENDER_SECRET,
        );
        let levels: Vec<Level> = r.checks.iter().map(|c| c.level).collect();
        assert_eq!(levels, [Level::Ok, Level::Fail, Level::Ok]);
    }

    #[test]
    fn data_dir_writable_missing_or_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Report::default();
        data_dir(tmp.path(), &mut r);
        data_dir(&tmp.path().join("new/deeper"), &mut r);
        let file = tmp.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        data_dir(&file, &mut r);
        database(tmp.path(), &mut r);
        std::fs::write(tmp.path().join("relay.sqlite"), b"not a database at all").unwrap();
        database(tmp.path(), &mut r);
        let levels: Vec<Level> = r.checks.iter().map(|c| c.level).collect();
        assert_eq!(
            levels,
            [Level::Ok, Level::Ok, Level::Fail, Level::Ok, Level::Fail],
            "{r:?}"
        );
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            2,
            "no probe file left"
        );
    }
}
