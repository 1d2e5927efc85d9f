//! `buergeramt-relay keys list|prepare|activate <kid> [--force]|retire <kid> [--now]`:
//! the attestation keys' lifecycle ([`crate::keys`]) from the command line,
//! with the server's configuration (`RELAY_CONFIG` and the environment) and
//! its database (SQLite or PostgreSQL). Prints kids, states and times, never
//! a private key. And the `check-config` line on the keys' state.

use std::cell::RefCell;
use std::fmt::Write as _;

use crate::config::Config;
use crate::db::{Connection, Db};
use crate::keys::{self, KeyInfo, KeyPolicy, KeyState, Retired, NEXT_STALE};
use crate::privacy::iso_utc;

use super::check::{redact_config_error, Level, Report};

pub const USAGE: &str = "usage: buergeramt-relay keys list\n\
    \x20      buergeramt-relay keys prepare\n\
    \x20      buergeramt-relay keys activate <kid> [--force]\n\
    \x20      buergeramt-relay keys retire <kid> [--now]";

/// One subcommand, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List,
    Prepare,
    Activate { kid: String, force: bool },
    Retire { kid: String, now: bool },
}

impl Command {
    pub fn parse(args: &[&str]) -> Option<Self> {
        match args {
            ["list"] => Some(Command::List),
            ["prepare"] => Some(Command::Prepare),
            ["activate", kid] => Some(Command::Activate {
                kid: kid.to_string(),
                force: false,
            }),
            ["activate", kid, "--force"] | ["activate", "--force", kid] => {
                Some(Command::Activate {
                    kid: kid.to_string(),
                    force: true,
                })
            }
            ["retire", kid] => Some(Command::Retire {
                kid: kid.to_string(),
                now: false,
            }),
            ["retire", kid, "--now"] | ["retire", "--now", kid] => Some(Command::Retire {
                kid: kid.to_string(),
                now: true,
            }),
            _ => None,
        }
        .filter(|c| match c {
            Command::Activate { kid, .. } | Command::Retire { kid, .. } => !kid.starts_with('-'),
            _ => true,
        })
    }
}

fn time(t: Option<i64>) -> String {
    t.map_or_else(|| "-".into(), iso_utc)
}

/// The table `keys list` prints.
pub fn render(keys: &[KeyInfo], now: i64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<43}  {:<7}  {:<20}  {:<20}  {:<20}  published",
        "kid", "state", "created", "activated", "retired"
    );
    for k in keys {
        let published = match (k.published(now), k.published_until(), k.dropped_at) {
            (true, Some(until), _) => format!("until {}", iso_utc(until)),
            (true, None, _) => "yes".into(),
            (false, _, Some(d)) => format!("no (dropped {})", iso_utc(d)),
            (false, _, None) => "no".into(),
        };
        let _ = writeln!(
            out,
            "{:<43}  {:<7}  {:<20}  {:<20}  {:<20}  {published}",
            k.kid,
            k.state.as_str(),
            iso_utc(k.created_at),
            time(k.activated_at),
            time(k.retired_at),
        );
    }
    out
}

/// Runs `cmd` on `c`; the text to print, or why it was refused.
pub fn run(
    c: &mut Connection,
    cmd: &Command,
    policy: &KeyPolicy,
    now: i64,
) -> Result<String, String> {
    let e = |e: crate::db::Error| e.to_string();
    keys::ensure_active(c).map_err(e)?;
    let mut out = match cmd {
        Command::List => String::new(),
        Command::Prepare => {
            let kid = keys::prepare(c, now).map_err(e)?;
            format!(
                "prepared {kid} (next: published, not signing); activate it at {} or later\n",
                iso_utc(now + policy.min_wait)
            )
        }
        Command::Activate { kid, force } => {
            let old = keys::activate(c, kid, now, policy.min_wait, *force).map_err(e)?;
            let mut s = format!(
                "activated {kid}: every instance signs with it within {} s\n",
                policy.refresh.as_secs()
            );
            if let Some(old) = old {
                let _ = writeln!(
                    s,
                    "retired {old}: published until {} (its attestations expire)",
                    iso_utc(now + crate::attestation::LIFETIME_SECONDS + keys::PUBLISH_MARGIN)
                );
            }
            s
        }
        Command::Retire { kid, now: at_once } => match keys::retire(c, kid, now, *at_once).map_err(e)? {
            Retired::Withdrawn => format!("withdrew {kid}: it never signed, it is no longer published\n"),
            Retired::Dropped => format!(
                "dropped {kid} from the JWKS: attestations it signed no longer verify\n"
            ),
            Retired::Already { until: Some(t) } => format!(
                "{kid} is retired; published until {} (then dropped by itself; --now drops it at once)\n",
                iso_utc(t)
            ),
            Retired::Already { until: None } => format!("{kid} is retired and no longer published\n"),
        },
    };
    out.push_str(&render(&keys::list(c).map_err(e)?, now));
    Ok(out)
}

/// The subcommand: 0, 1 (refused or failed) or 2 (usage).
pub async fn command(args: &[&str]) -> u8 {
    let Some(cmd) = Command::parse(args) else {
        eprintln!("{USAGE}");
        return 2;
    };
    let loaded = Config::from_env().and_then(|c| Ok((c, KeyPolicy::from_env()?)));
    let (config, policy) = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {}", redact_config_error(&format!("{e:#}")));
            return 1;
        }
    };
    let db = match Db::connect(&config.database, &config.data_dir).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("Error: {e:#}");
            return 1;
        }
    };
    let answer = db
        .call(move |c| Ok(run(c, &cmd, &policy, crate::session::now())))
        .await;
    match answer {
        Ok(Ok(text)) => {
            print!("{text}");
            0
        }
        Ok(Err(e)) => {
            eprintln!("Error: {e}");
            1
        }
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

/// The `check-config` line on the keys as stored in `c`.
pub fn report(c: &Connection, now: i64, min_wait: i64) -> (Level, String) {
    let keys = match keys::list(c) {
        Ok(k) => k,
        Err(table) => {
            // A database of a relay before the key table.
            let legacy = c
                .query_row(
                    "SELECT COUNT(*) FROM relay_meta WHERE key = 'attestation_key'",
                    crate::params![],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap_or(0);
            return if legacy > 0 {
                (
                    Level::Ok,
                    "one key in relay_meta; the relay moves it to the key table at start (same kid)"
                        .into(),
                )
            } else {
                (Level::Fail, format!("not readable: {table}"))
            };
        }
    };
    let Some(active) = keys.iter().find(|k| k.state == KeyState::Active) else {
        return (
            Level::Fail,
            "no active key: nothing can be signed (`buergeramt-relay keys list`)".into(),
        );
    };
    let mut level = Level::Ok;
    let mut s = format!(
        "active {} since {}",
        active.kid,
        time(active.activated_at.or(Some(active.created_at)))
    );
    for k in keys.iter().filter(|k| k.state == KeyState::Next) {
        let waited = now - k.created_at;
        if waited > NEXT_STALE {
            level = Level::Warn;
            let _ = write!(
                s,
                "; next {} prepared {} days ago and not activated: activate or retire it",
                k.kid,
                waited / 86_400
            );
        } else if waited < min_wait {
            let _ = write!(
                s,
                "; next {} may be activated from {}",
                k.kid,
                iso_utc(k.created_at + min_wait)
            );
        } else {
            let _ = write!(s, "; next {} ready to activate", k.kid);
        }
    }
    let retired = keys
        .iter()
        .filter(|k| k.state == KeyState::Retired && k.published(now))
        .count();
    if retired > 0 {
        let _ = write!(s, "; {retired} retired still published");
    }
    (level, s)
}

/// `check-config`: the keys' state, read-only (nothing is made or moved).
pub async fn check(config: &Config, r: &mut Report) {
    let name = "attestation keys";
    let min_wait = match KeyPolicy::from_env() {
        Ok(p) => p.min_wait,
        Err(e) => {
            r.push(Level::Fail, name, e.to_string());
            return;
        }
    };
    let url = config.database.url.clone();
    let path = config.data_dir.join("relay.sqlite");
    if url.is_none() && !path.exists() {
        r.push(
            Level::Ok,
            name,
            "the relay makes the signing key at first start",
        );
        return;
    }
    let answer = tokio::task::spawn_blocking(move || -> anyhow::Result<(Level, String)> {
        let conn = match url {
            Some(url) => {
                let cfg: postgres::Config = url.parse()?;
                let builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
                let tls = postgres_openssl::MakeTlsConnector::new(builder.build());
                Connection::Postgres(RefCell::new(cfg.connect(tls)?))
            }
            None => Connection::Sqlite(rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?),
        };
        Ok(report(&conn, crate::session::now(), min_wait))
    })
    .await;
    match answer {
        Ok(Ok((level, detail))) => r.push(level, name, detail),
        Ok(Err(e)) => r.push(Level::Fail, name, format!("{e:#}")),
        Err(e) => r.push(Level::Fail, name, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_parsed_strictly() {
        assert_eq!(Command::parse(&["list"]), Some(Command::List));
        assert_eq!(
            Command::parse(&["activate", "--force", "k"]),
            Some(Command::Activate {
                kid: "k".into(),
                force: true
            })
        );
        assert_eq!(
            Command::parse(&["retire", "k"]),
            Some(Command::Retire {
                kid: "k".into(),
                now: false
            })
        );
        assert_eq!(Command::parse(&["activate", "--force"]), None);
        assert_eq!(Command::parse(&["activate"]), None);
        assert_eq!(Command::parse(&["list", "extra"]), None);
        assert_eq!(Command::parse(&["delete", "k"]), None);
    }

    #[tokio::test]
    async fn the_lifecycle_and_what_check_config_says_of_it() {
        let db = Db::in_memory().unwrap();
        let policy = KeyPolicy::default();
        let t0 = 1_800_000_000;
        let (text, first, next, early, ok, listed, retired, reports) = db
            .call(move |c| {
                let text = run(c, &Command::List, &policy, t0).unwrap();
                let first = keys::ensure_active(c)?;
                let fresh = report(c, t0, policy.min_wait);
                let next = keys::prepare(c, t0)?;
                let waiting = report(c, t0 + 60, policy.min_wait);
                let stale = report(c, t0 + NEXT_STALE + 1, policy.min_wait);
                let early = keys::activate(c, &next, t0 + 60, policy.min_wait, false);
                let ok = keys::activate(c, &next, t0 + policy.min_wait, policy.min_wait, false)?;
                let rolled = report(c, t0 + policy.min_wait, policy.min_wait);
                let listed = run(c, &Command::List, &policy, t0 + policy.min_wait).unwrap();
                // A prepared key withdrawn is never published.
                let third = keys::prepare(c, t0 + policy.min_wait)?;
                let retired = keys::retire(c, &third, t0 + policy.min_wait, false)?;
                let published: Vec<String> = keys::list(c)?
                    .into_iter()
                    .filter(|k| k.published(t0 + policy.min_wait))
                    .map(|k| k.kid)
                    .collect();
                c.execute("DELETE FROM relay_attestation_keys", crate::params![])?;
                let none = report(c, t0, policy.min_wait);
                Ok((
                    text,
                    first,
                    (next, third, published),
                    early.is_err(),
                    ok,
                    listed,
                    retired,
                    [fresh, waiting, stale, rolled, none],
                ))
            })
            .await
            .unwrap();
        assert!(text.contains(&first) && text.contains("active"), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        let (next, third, published) = next;
        assert!(early, "activate waits for min_wait");
        assert_eq!(
            ok.as_deref(),
            Some(first.as_str()),
            "the old key is retired"
        );
        assert!(listed.contains("until "), "{listed}");
        assert_eq!(retired, Retired::Withdrawn);
        assert!(published.contains(&first) && published.contains(&next));
        assert!(!published.contains(&third));
        let levels: Vec<Level> = reports.iter().map(|r| r.0).collect();
        assert_eq!(
            levels,
            [Level::Ok, Level::Ok, Level::Warn, Level::Ok, Level::Fail],
            "{reports:?}"
        );
        assert!(
            reports[1].1.contains("may be activated from"),
            "{reports:?}"
        );
        assert!(
            reports[3].1.contains("1 retired still published"),
            "{reports:?}"
        );
    }

    #[test]
    fn the_policy_comes_from_the_environment() {
        let p = KeyPolicy::from_vars(|_| None).unwrap();
        assert_eq!(p, KeyPolicy::default());
        let p = KeyPolicy::from_vars(|k| {
            Some(
                if k == "RELAY_KEYS_REFRESH_SECS" {
                    "5"
                } else {
                    "60"
                }
                .into(),
            )
        })
        .unwrap();
        assert_eq!(p.refresh, std::time::Duration::from_secs(5));
        assert_eq!(p.min_wait, 60);
        for bad in ["0", "301", "x"] {
            assert!(
                KeyPolicy::from_vars(|k| (k == "RELAY_KEYS_REFRESH_SECS").then(|| bad.into()))
                    .is_err()
            );
        }
        assert!(
            KeyPolicy::from_vars(|k| (k == "RELAY_KEYS_MIN_WAIT_SECS").then(|| "-1".into()))
                .is_err()
        );
    }
}
