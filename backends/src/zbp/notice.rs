//! BundID's own e-mail notice about new postbox mail (issue #24).
//!
//! Every message put into a postbox (all paths go through
//! `zbp::insert_message`) also gets a row in the outbox `zbp_notices`, in
//! the same transaction. A background task ([`start`], every few seconds
//! [`run_once`]) mails the account that owns the mailbox (its `mail`
//! attribute, [`crate::idp::mailbox_address`]) one content-free notice per
//! batch: a mailbox's pending notices go out together once the oldest is
//! [`Config::bundid_notice_window_secs`] old (default 60 s), so messages
//! arriving within that minute make one mail, and a mailbox gets at most one
//! mail per window. An SMTP failure is retried with backoff
//! ([`retry_delay`]); a message is never notified twice. Accounts without an
//! address get nothing. The mail names nothing about the message: no title,
//! sender, service, deadline, level or reference.
//!
//! Real BundID lets the citizen switch these mails off in the BundID
//! account; the stand-in always sends them (docs/backends.md §4).

use std::net::SocketAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rusqlite::{params, Connection};

use crate::{ApiError, AppState, Config};

/// Default for [`Config::bundid_notice_window_secs`].
pub const DEFAULT_WINDOW_SECS: u64 = 60;
/// The first retry after an SMTP failure; it doubles with every failure.
pub const RETRY_BASE_SECS: i64 = 30;
/// The longest wait between two tries.
pub const RETRY_MAX_SECS: i64 = 60 * 60;
/// A notice not sent within this time after its message is given up.
pub const MAX_AGE_SECS: i64 = 24 * 60 * 60;
/// A claimed batch is not taken again for this long (while it is sent).
const LEASE_SECS: i64 = 10 * 60;
/// Settled rows are kept this long (as long as the trash keeps messages).
const KEEP_SECS: i64 = super::TRASH_RETENTION_SECS;
/// Most mailboxes mailed per run.
const MAILBOXES_PER_RUN: i64 = 100;
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The subject of every notice mail.
pub const SUBJECT: &str = "Neue Nachricht in Ihrem BundID-Postfach";
/// The one sentence every notice mail carries.
pub const SENTENCE: &str =
    "Sie haben eine neue Nachricht in Ihrem Postfach erhalten. Melden Sie sich an, um sie zu lesen.";
/// The sender (an example domain: the stand-in is not BundID).
const FROM_NAME: &str = "BundID";
const FROM_USER: &str = "noreply";
const FROM_DOMAIN: &str = "bundid.example";

pub const MIGRATIONS: &[&str] = &["
CREATE TABLE zbp_notices (
    message_id TEXT PRIMARY KEY,
    mailbox_uuid TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER,
    outcome TEXT CHECK (outcome IN ('sent', 'no_address', 'expired'))
);
CREATE INDEX zbp_notices_pending ON zbp_notices(mailbox_uuid, created_at) WHERE outcome IS NULL;
CREATE INDEX zbp_notices_settled ON zbp_notices(created_at) WHERE outcome IS NOT NULL;
"];

/// Records that `message_id` (just put into `mailbox_uuid`) needs a notice,
/// inside the delivering transaction.
pub(crate) fn enqueue(
    conn: &Connection,
    message_id: &str,
    mailbox_uuid: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO zbp_notices (message_id, mailbox_uuid, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?3)",
        params![message_id, mailbox_uuid, now],
    )?;
    Ok(())
}

/// The wait before try `attempts + 1` after `attempts` failed tries:
/// 30 s, 60 s, 120 s, … at most an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    RETRY_BASE_SECS
        .saturating_mul(1_i64 << doublings)
        .min(RETRY_MAX_SECS)
}

// ---------------------------------------------------------------- SMTP

/// A plain SMTP server, from `smtp://host[:port]` (port 25 by default). No
/// TLS and no credentials: the stand-in mails the local sink or a relay on
/// the same network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
}

impl SmtpTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or("only smtp://host:port is supported (plain SMTP, no TLS)")?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err("only smtp://host:port (no path, parameters or credentials)".into());
        }
        let port = |p: &str| p.parse::<u16>().map_err(|_| format!("bad port {p:?}"));
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((h, "")) => (h, 25),
                Some((h, p)) => match p.strip_prefix(':') {
                    Some(p) => (h, port(p)?),
                    None => return Err("bad IPv6 address".into()),
                },
                None => return Err("bad IPv6 address".into()),
            },
            None => match authority.split_once(':') {
                Some((h, p)) => (h, port(p)?),
                None => (authority, 25),
            },
        };
        if host.is_empty() || port == 0 {
            return Err("host and port needed".into());
        }
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }
}

/// Sends the notice mails.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    link: String,
    target: String,
}

impl Mailer {
    /// A mailer for `target`, linking to `link`.
    pub fn new(target: &SmtpTarget, link: String) -> Result<Self, String> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host.clone())
                .port(target.port)
                .timeout(Some(SMTP_TIMEOUT))
                .build();
        let from = Address::new(FROM_USER, FROM_DOMAIN).map_err(|e| e.to_string())?;
        Ok(Self {
            transport,
            from: Mailbox::new(Some(FROM_NAME.into()), from),
            link,
            target: format!("{}:{}", target.host, target.port),
        })
    }

    /// What the configuration asks for: `BUERGERAMT_BUNDID_SMTP_URL`, else
    /// the mail sink listening at `sink`, else none.
    pub fn from_config(config: &Config, sink: Option<SocketAddr>) -> Result<Option<Self>, String> {
        let target = match (&config.bundid_smtp_url, sink) {
            (Some(url), _) => SmtpTarget::parse(url)?,
            (None, Some(addr)) => SmtpTarget {
                host: addr.ip().to_string(),
                port: addr.port(),
            },
            (None, None) => return Ok(None),
        };
        Self::new(&target, postbox_link(config)).map(Some)
    }

    /// `host:port` of the SMTP server.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Sends one notice to `to`.
    async fn send(&self, to: Address) -> Result<(), String> {
        let mail = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(SUBJECT)
            .multipart(MultiPart::alternative_plain_html(
                text_body(&self.link),
                html_body(&self.link),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(mail)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Where the notice links: the app's postbox at the relay's public origin
/// (the app's, `BUERGERAMT_RELAY_URL`), else at the stand-in's own origin,
/// which serves the app too.
pub fn postbox_link(config: &Config) -> String {
    let origin = config
        .clients
        .relay_urls
        .first()
        .unwrap_or(&config.public_url);
    format!("{origin}{}", contract::notify::POSTBOX_PATH)
}

/// The plain-text part: the sentence and the link, nothing about the message.
pub fn text_body(link: &str) -> String {
    format!(
        "Guten Tag,\n\n{SENTENCE}\n\nZum Postfach: {link}\n\n\
         Diese E-Mail wurde automatisch versandt. Bitte antworten Sie nicht darauf.\n\n\
         Ihre BundID\n(Stand-in der BundID für Tests)\n"
    )
}

/// The HTML part: the same text.
pub fn html_body(link: &str) -> String {
    let link = crate::html::escape(link);
    format!(
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><title>{SUBJECT}</title></head>\
         <body><p>Guten Tag,</p><p>{SENTENCE}</p><p><a href=\"{link}\">Zum Postfach</a></p>\
         <p>Diese E-Mail wurde automatisch versandt. Bitte antworten Sie nicht darauf.</p>\
         <p>Ihre BundID<br>(Stand-in der BundID für Tests)</p></body></html>\n"
    )
}

// ---------------------------------------------------------------- the task

/// What one [`run_once`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Mails sent (one per mailbox).
    pub sent: usize,
    /// Mails that failed (retried later).
    pub failed: usize,
    /// Notices dropped: the account has no (usable) address.
    pub no_address: usize,
    /// Notices given up after [`MAX_AGE_SECS`].
    pub expired: usize,
}

/// One mail to send: a mailbox's pending notices.
struct Batch {
    address: Address,
    message_ids: Vec<String>,
    attempts: i64,
}

/// Starts the background sender when there is somewhere to send (the mail
/// sink at `sink`, or `BUERGERAMT_BUNDID_SMTP_URL`); says once which.
pub fn start(state: &AppState, sink: Option<SocketAddr>) -> anyhow::Result<()> {
    let mailer = Mailer::from_config(&state.config, sink).map_err(|e| anyhow::anyhow!(e))?;
    let Some(mailer) = mailer else {
        tracing::info!(
            "BundID notice mails are off: neither BUERGERAMT_SMTP_PORT nor BUERGERAMT_BUNDID_SMTP_URL is set"
        );
        return Ok(());
    };
    tracing::info!(
        smtp = mailer.target(),
        "BundID notice mails about new postbox mail go to SMTP"
    );
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return Ok(());
    };
    let poll = Duration::from_secs(state.config.bundid_notice_window_secs.clamp(1, 5));
    let state = state.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&state, &mailer, super::now()).await {
                tracing::warn!(error = %e, "BundID notice mails: a run failed");
            }
        }
    });
    Ok(())
}

/// Sends the notices due at `now` (Unix seconds) through `mailer`. The
/// background task calls it every few seconds; tests call it with their own
/// `now`.
pub async fn run_once(state: &AppState, mailer: &Mailer, now: i64) -> Result<Report, ApiError> {
    let window = i64::try_from(state.config.bundid_notice_window_secs).unwrap_or(i64::MAX);
    let (batches, mut report) = state.db.call(move |c| claim(c, now, window)).await?;
    for b in batches {
        let attempts = b.attempts + 1;
        let result = mailer.send(b.address).await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, attempts, "BundID notice mail failed; retrying later");
        }
        let ok = result.is_ok();
        let ids = b.message_ids;
        state
            .db
            .call(move |c| settle(c, &ids, ok, attempts, now))
            .await?;
        if ok {
            report.sent += 1;
        } else {
            report.failed += 1;
        }
    }
    Ok(report)
}

/// Tidies the outbox and claims the mailboxes due at `now`: those whose
/// oldest pending notice is `window` old and whose retry time has come.
fn claim(conn: &mut Connection, now: i64, window: i64) -> rusqlite::Result<(Vec<Batch>, Report)> {
    let tx = conn.transaction()?;
    let mut report = Report::default();
    tx.execute(
        "DELETE FROM zbp_notices WHERE outcome IS NOT NULL AND created_at < ?1",
        params![now.saturating_sub(KEEP_SECS)],
    )?;
    report.expired = tx.execute(
        "UPDATE zbp_notices SET outcome = 'expired' WHERE outcome IS NULL AND created_at < ?1",
        params![now.saturating_sub(MAX_AGE_SECS)],
    )?;
    let mailboxes: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT mailbox_uuid FROM zbp_notices WHERE outcome IS NULL GROUP BY mailbox_uuid
             HAVING MIN(created_at) <= ?1 - ?2 AND MAX(next_attempt_at) <= ?1
             ORDER BY MIN(created_at) LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![now, window, MAILBOXES_PER_RUN], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut batches = Vec::new();
    for mailbox in mailboxes {
        let pending: Vec<(String, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT message_id, attempts FROM zbp_notices WHERE outcome IS NULL AND mailbox_uuid = ?1",
            )?;
            let rows = stmt.query_map(params![mailbox], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let address = crate::idp::mailbox_address(&tx, &mailbox)?
            .and_then(|a| a.trim().parse::<Address>().ok());
        match address {
            None => {
                report.no_address += tx.execute(
                    "UPDATE zbp_notices SET outcome = 'no_address' WHERE outcome IS NULL AND mailbox_uuid = ?1",
                    params![mailbox],
                )?;
            }
            Some(address) => {
                tx.execute(
                    "UPDATE zbp_notices SET next_attempt_at = ?2 WHERE outcome IS NULL AND mailbox_uuid = ?1",
                    params![mailbox, now.saturating_add(LEASE_SECS)],
                )?;
                batches.push(Batch {
                    address,
                    attempts: pending.iter().map(|(_, a)| *a).max().unwrap_or(0),
                    message_ids: pending.into_iter().map(|(id, _)| id).collect(),
                });
            }
        }
    }
    tx.commit()?;
    Ok((batches, report))
}

/// Records how a batch went: sent, or failed (next try after [`retry_delay`]).
fn settle(
    conn: &mut Connection,
    ids: &[String],
    ok: bool,
    attempts: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for id in ids {
        if ok {
            tx.execute(
                "UPDATE zbp_notices SET outcome = 'sent', sent_at = ?2, attempts = ?3
                 WHERE message_id = ?1 AND outcome IS NULL",
                params![id, now, attempts],
            )?;
        } else {
            tx.execute(
                "UPDATE zbp_notices SET attempts = ?2, next_attempt_at = ?3
                 WHERE message_id = ?1 AND outcome IS NULL",
                params![id, attempts, now.saturating_add(retry_delay(attempts))],
            )?;
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(3), 120);
        assert_eq!(retry_delay(8), 3600);
        assert_eq!(retry_delay(1000), 3600);
        assert_eq!(retry_delay(0), 30);
    }

    #[test]
    fn smtp_urls_are_plain_host_and_port() {
        let t = |host: &str, port| {
            Ok(SmtpTarget {
                host: host.into(),
                port,
            })
        };
        assert_eq!(
            SmtpTarget::parse("smtp://127.0.0.1:2525"),
            t("127.0.0.1", 2525)
        );
        assert_eq!(
            SmtpTarget::parse("smtp://mail.example/"),
            t("mail.example", 25)
        );
        assert_eq!(SmtpTarget::parse("smtp://[::1]:25"), t("::1", 25));
        for bad in [
            "smtps://mail.example",
            "smtp://user:pw@mail.example",
            "smtp://mail.example?tls=required",
            "smtp://:25",
            "smtp://mail.example:0",
            "smtp://mail.example:x",
            "http://mail.example",
        ] {
            assert!(SmtpTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_mail_says_only_the_sentence_and_the_link() {
        let link = "http://127.0.0.1:8080/postfach";
        let text = text_body(link);
        assert!(text.contains(SENTENCE) && text.contains(link));
        let html = html_body("http://x.example/postfach?a=1&b=\"2\"");
        assert!(html.contains("href=\"http://x.example/postfach?a=1&amp;b=&quot;2&quot;\""));
        assert!(html.contains(SENTENCE) && html.contains("lang=\"de\""));
    }
}
