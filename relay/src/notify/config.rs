//! `[notify]`: where notices go out (SMTP, the sender address, the push
//! services allowed besides the public ones) and how often the watcher
//! looks. Every key is optional; with `RELAY_UPSTREAM` on loopback the
//! mail sink (`smtp://127.0.0.1:2525`) and the stand-in's push service
//! (`<upstream>/push/v1/send/`) are the defaults. docs/relay.md lists them.

use serde::Deserialize;

/// The notices' configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// `smtp://host:port` (plain), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`; `None`: no e-mail notices (the
    /// e-mail choice answers 503 `email_unavailable`).
    pub smtp_url: Option<String>,
    /// The sender (`From`, envelope and VAPID `sub`), a plain address.
    pub mail_from: String,
    /// Further push endpoints allowed (URL prefixes; `http://` allowed
    /// only here), besides the public push services.
    pub push_origins: Vec<String>,
    /// A PEM file with the VAPID key (P-256); `None`: the key in the
    /// database, made by the first instance.
    pub vapid_key_file: Option<std::path::PathBuf>,
    /// Seconds between two watch passes (and dispatch passes).
    pub watch_interval_secs: u64,
    /// Signals of a citizen within this many seconds make one notice.
    pub batch_window_secs: u64,
    /// Most cases looked at per watch pass.
    pub cases_per_pass: u64,
    /// Start the watcher and the sender with the relay (tests call
    /// [`super::run_once`] instead).
    pub background: bool,
}

/// The TOML section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileNotify {
    smtp_url: Option<String>,
    mail_from: Option<String>,
    push_origins: Option<Vec<String>>,
    vapid_key_file: Option<std::path::PathBuf>,
    watch_interval_secs: Option<u64>,
    batch_window_secs: Option<u64>,
    cases_per_pass: Option<u64>,
}

/// The sink `make run` starts (docs/backends.md §8).
pub const DEV_SMTP_URL: &str = "smtp://127.0.0.1:2525";

impl NotifyConfig {
    pub(crate) fn build(
        file: FileNotify,
        upstream: Option<&str>,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let loopback = upstream.is_some_and(crate::config::is_loopback_url);
        let smtp_url = match env("RELAY_SMTP_URL").or(file.smtp_url) {
            Some(u) if u.trim() == "none" => None,
            Some(u) => {
                let u = u.trim().to_string();
                if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                    anyhow::bail!("RELAY_SMTP_URL must be an smtp:// or smtps:// URL");
                }
                Some(u)
            }
            None if loopback => Some(DEV_SMTP_URL.to_string()),
            None => None,
        };
        let mail_from = env("RELAY_MAIL_FROM")
            .or(file.mail_from)
            .map(|m| m.trim().to_string())
            .unwrap_or_else(|| "buergeramt@buergeramt.example".into());
        if !contract::notify::plausible_address(&mail_from) {
            anyhow::bail!("RELAY_MAIL_FROM must be a plain e-mail address, got {mail_from:?}");
        }
        let mut push_origins = Vec::new();
        let given = env("RELAY_PUSH_ORIGINS")
            .map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .or(file.push_origins);
        match given {
            Some(list) => {
                for o in list {
                    let o = o.trim();
                    if o.is_empty() {
                        continue;
                    }
                    if !(o.starts_with("https://") || o.starts_with("http://"))
                        || o.contains(char::is_whitespace)
                        || o.split_once("://").is_some_and(|(_, r)| !r.contains('/'))
                    {
                        anyhow::bail!(
                            "RELAY_PUSH_ORIGINS: each an http(s) URL prefix with a path (…/), got {o:?}"
                        );
                    }
                    push_origins.push(o.to_string());
                }
            }
            None => {
                if let Some(u) = upstream {
                    push_origins.push(format!("{u}/push/v1/send/"));
                }
            }
        }
        let num = |name: &str, f: Option<u64>, d: u64, min: u64| -> anyhow::Result<u64> {
            match env(name) {
                Some(s) => match s.trim().parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => anyhow::bail!("{name} must be a number ≥ {min}, got {s:?}"),
                },
                None => Ok(f.unwrap_or(d)),
            }
        };
        Ok(NotifyConfig {
            smtp_url,
            mail_from,
            push_origins,
            vapid_key_file: env("RELAY_VAPID_KEY_FILE")
                .map(std::path::PathBuf::from)
                .or(file.vapid_key_file),
            watch_interval_secs: num(
                "RELAY_NOTIFY_WATCH_INTERVAL_SECS",
                file.watch_interval_secs,
                15,
                1,
            )?,
            batch_window_secs: num(
                "RELAY_NOTIFY_BATCH_WINDOW_SECS",
                file.batch_window_secs,
                20,
                0,
            )?
            .min(45),
            cases_per_pass: num("RELAY_NOTIFY_CASES_PER_PASS", file.cases_per_pass, 200, 1)?,
            background: true,
        })
    }
}

/// `check-config`'s lines for notices: the SMTP server answers (its host
/// and port only, never the URL with its credentials), the VAPID key file
/// (if one is configured) is a P-256 key.
pub async fn check(c: &NotifyConfig, r: &mut crate::ops::check::Report) {
    use crate::ops::check::Level;
    match &c.smtp_url {
        None => r.push(
            Level::Warn,
            "smtp",
            "no SMTP server (RELAY_SMTP_URL): e-mail notices are off, push notices work",
        ),
        Some(url) => {
            let shown = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| {
                    let port = u
                        .port()
                        .unwrap_or(if u.scheme() == "smtps" { 465 } else { 25 });
                    u.host_str().map(|h| format!("{h}:{port}"))
                })
                .unwrap_or_else(|| "?".into());
            let answer = match super::mail::mailer(url) {
                Ok(m) => match tokio::time::timeout(
                    std::time::Duration::from_secs(15),
                    m.test_connection(),
                )
                .await
                {
                    Ok(Ok(true)) => Ok(()),
                    Ok(Ok(false)) => Err("no answer to NOOP".to_string()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer within 15 s".to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            match answer {
                Ok(()) => r.push(Level::Ok, "smtp", format!("{shown} answers")),
                Err(e) => r.push(
                    Level::Fail,
                    "smtp",
                    format!("{shown}: {}", e.replace(url.as_str(), "<RELAY_SMTP_URL>")),
                ),
            }
        }
    }
    if let Some(path) = &c.vapid_key_file {
        let read = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| super::vapid::from_pem(&pem).map_err(|e| e.to_string()));
        match read {
            Ok(_) => r.push(
                Level::Ok,
                "vapid key",
                "a P-256 key from RELAY_VAPID_KEY_FILE",
            ),
            Err(e) => r.push(
                Level::Fail,
                "vapid key",
                format!("RELAY_VAPID_KEY_FILE: {e}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(vars: &[(&str, &str)], up: Option<&str>) -> anyhow::Result<NotifyConfig> {
        NotifyConfig::build(FileNotify::default(), up, &|k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_follow_the_stand_in() {
        let c = build(&[], Some("http://127.0.0.1:8070")).unwrap();
        assert_eq!(c.smtp_url.as_deref(), Some(DEV_SMTP_URL));
        assert_eq!(c.push_origins, ["http://127.0.0.1:8070/push/v1/send/"]);
        assert_eq!((c.watch_interval_secs, c.batch_window_secs), (15, 20));
        let c = build(&[], Some("https://upstream.example")).unwrap();
        assert_eq!(c.smtp_url, None, "no SMTP guessed off loopback");
        let c = build(&[("RELAY_SMTP_URL", "none")], Some("http://127.0.0.1:1")).unwrap();
        assert_eq!(c.smtp_url, None);
        assert!(build(&[("RELAY_SMTP_URL", "http://x")], None).is_err());
        assert!(build(&[("RELAY_MAIL_FROM", "x")], None).is_err());
        assert!(build(&[("RELAY_PUSH_ORIGINS", "ftp://x/")], None).is_err());
        assert!(build(&[("RELAY_PUSH_ORIGINS", "https://x")], None).is_err());
    }
}
