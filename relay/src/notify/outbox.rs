//! The outbox (`relay_notify_outbox`): one row per citizen, channel and
//! device ("send this citizen a notice there"). A signal either makes the
//! row or joins the one waiting, so the signals of a batch window are one
//! notice per channel. Rows are claimed atomically (`UPDATE … WHERE
//! claimed_until < now`), so instances sharing the database never send the
//! same notice twice; a failure is retried with backoff (`Retry-After`
//! honoured) for up to a day; a gone push subscription (404/410) deletes
//! its device.

use contract::notify::EmailSource;

use super::store::{self, Device, EmailRow};
use super::{push, Notifier};
use crate::db::{params, Connection};
use crate::session;
use crate::RelayState;

/// Waits after the 1st, 2nd, … failure (seconds); the last repeats.
pub const BACKOFF_SECS: &[i64] = &[30, 120, 600, 3600, 6 * 3600];
/// A notice not delivered within a day is given up (and logged).
pub const GIVE_UP_SECS: i64 = 24 * 3600;
/// A claim lasts this long; a sender that died leaves the row to others after it.
pub const CLAIM_SECS: i64 = 120;
/// Rows sent per pass and instance.
pub const ROWS_PER_PASS: i64 = 50;

/// Where a signal came from (the e-mail rule, docs/relay.md "Notices").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A case's event or status: the postbox has a message, and BundID
    /// mails the account's address about it itself.
    Upstream,
    /// The relay's own records (payments): nobody else tells the citizen.
    Own,
}

fn new_id() -> String {
    let mut b = [0u8; 12];
    let _ = openssl::rand::rand_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn upsert(
    c: &Connection,
    sub: &str,
    channel: &str,
    target: &str,
    account_ok: bool,
    now: i64,
    send_after: i64,
) -> crate::db::Result<()> {
    c.execute(
        "INSERT INTO relay_notify_outbox (id, sub, channel, target, account_ok, first_signal_at,
             send_after, next_try_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (sub, channel, target) DO UPDATE SET
             account_ok = CASE WHEN ?5 = 1 THEN 1 ELSE relay_notify_outbox.account_ok END,
             again = CASE WHEN relay_notify_outbox.claimed_until > ?6 THEN 1
                          ELSE relay_notify_outbox.again END",
        params![
            new_id(),
            sub,
            channel,
            target,
            i64::from(account_ok),
            now,
            send_after
        ],
    )?;
    Ok(())
}

/// Queues a notice on each of the citizen's channels that this signal
/// reaches. Push: every device. E-mail: a confirmed other address always;
/// the account's address only for the relay's own signals.
pub fn enqueue(
    c: &Connection,
    sub: &str,
    origin: Origin,
    now: i64,
    window: i64,
) -> crate::db::Result<()> {
    let send_after = now + window;
    if let Some(e) = store::email(c, sub)? {
        let reaches = e.confirmed && (e.source == EmailSource::Other || origin == Origin::Own);
        if reaches {
            upsert(c, sub, "email", "", origin == Origin::Own, now, send_after)?;
        }
    }
    for d in store::devices(c, sub)? {
        upsert(c, sub, "push", &d.id, false, now, send_after)?;
    }
    Ok(())
}

/// One claimed row.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    sub: String,
    channel: String,
    target: String,
    account_ok: bool,
    first_signal_at: i64,
    attempts: i64,
    claim: String,
}

fn claim(c: &Connection, now: i64) -> crate::db::Result<Vec<Row>> {
    let token = new_id();
    c.execute(
        "UPDATE relay_notify_outbox SET claimed_until = ?1, claim = ?2
         WHERE claimed_until < ?3 AND send_after <= ?3 AND next_try_at <= ?3
           AND id IN (SELECT id FROM relay_notify_outbox
                      WHERE claimed_until < ?3 AND send_after <= ?3 AND next_try_at <= ?3
                      ORDER BY next_try_at, id LIMIT ?4)",
        params![now + CLAIM_SECS, token, now, ROWS_PER_PASS],
    )?;
    let mut stmt = c.prepare(
        "SELECT id, sub, channel, target, account_ok, first_signal_at, attempts
         FROM relay_notify_outbox WHERE claim = ?1",
    )?;
    let rows = stmt.query_map(params![token], |r| {
        Ok(Row {
            id: r.get(0)?,
            sub: r.get(1)?,
            channel: r.get(2)?,
            target: r.get(3)?,
            account_ok: r.get(4)?,
            first_signal_at: r.get(5)?,
            attempts: r.get(6)?,
            claim: token.clone(),
        })
    })?;
    rows.collect()
}

/// Done with the row: deleted, unless a signal joined while it was being
/// sent (then it waits for the next batch).
fn done(c: &Connection, r: &Row, now: i64, window: i64) -> crate::db::Result<()> {
    let n = c.execute(
        "DELETE FROM relay_notify_outbox WHERE id = ?1 AND claim = ?2 AND again = 0",
        params![r.id, r.claim],
    )?;
    if n == 0 {
        c.execute(
            "UPDATE relay_notify_outbox SET again = 0, claimed_until = 0, claim = NULL,
                 attempts = 0, first_signal_at = ?3, send_after = ?4, next_try_at = ?4
             WHERE id = ?1 AND claim = ?2",
            params![r.id, r.claim, now, now + window],
        )?;
    }
    Ok(())
}

fn retry_later(
    c: &Connection,
    r: &Row,
    now: i64,
    retry_after: Option<u64>,
) -> crate::db::Result<bool> {
    if now - r.first_signal_at >= GIVE_UP_SECS {
        c.execute(
            "DELETE FROM relay_notify_outbox WHERE id = ?1 AND claim = ?2",
            params![r.id, r.claim],
        )?;
        return Ok(false);
    }
    let i = usize::try_from(r.attempts)
        .unwrap_or(0)
        .min(BACKOFF_SECS.len() - 1);
    let asked = retry_after.map(|s| i64::try_from(s.min(86_400)).unwrap_or(86_400));
    let wait = BACKOFF_SECS[i].max(asked.unwrap_or(0));
    c.execute(
        "UPDATE relay_notify_outbox SET attempts = attempts + 1, next_try_at = ?3,
             claimed_until = 0, claim = NULL
         WHERE id = ?1 AND claim = ?2",
        params![r.id, r.claim, now + wait],
    )?;
    Ok(true)
}

fn drop_row(c: &Connection, r: &Row) -> crate::db::Result<()> {
    c.execute(
        "DELETE FROM relay_notify_outbox WHERE id = ?1 AND claim = ?2",
        params![r.id, r.claim],
    )?;
    Ok(())
}

/// What one row needs to be sent, read after the claim (the settings may
/// have changed since the signal).
enum Job {
    Mail { to: String, choice: EmailRow },
    Push(Device),
    Nothing,
}

fn job(c: &Connection, r: &Row) -> crate::db::Result<(Job, contract::notify::Lang)> {
    let lang = store::citizen(c, &r.sub)?
        .map(|i| i.lang)
        .unwrap_or_default();
    let job = match r.channel.as_str() {
        "email" => match store::email(c, &r.sub)? {
            Some(e) if e.confirmed && (e.source == EmailSource::Other || r.account_ok) => {
                Job::Mail {
                    to: e.address.clone(),
                    choice: e,
                }
            }
            _ => Job::Nothing,
        },
        "push" => match store::device_by_id(c, &r.target)? {
            Some(d) if d.sub == r.sub => Job::Push(d),
            _ => Job::Nothing,
        },
        _ => Job::Nothing,
    };
    Ok((job, lang))
}

/// The outcome of one row, as the outbox takes it.
enum Sent {
    Ok,
    Gone,
    Retry(Option<u64>, String),
    Failed(String),
}

async fn send_one(st: &RelayState, n: &Notifier, job: Job, lang: contract::notify::Lang) -> Sent {
    let config = &st.shared.config;
    match job {
        Job::Nothing => Sent::Ok,
        Job::Mail { to, choice } => {
            let Some(mailer) = &n.mailer else {
                return Sent::Failed("no SMTP server configured".into());
            };
            let token = n.unsubscribe_token(&choice.choice_id);
            let m = match super::mail::notice(
                lang,
                &config.notify.mail_from,
                &to,
                &config.public_url,
                &token,
            ) {
                Ok(m) => m,
                Err(e) => return Sent::Failed(format!("mail: {e}")),
            };
            match super::mail::send(mailer, m).await {
                Ok(()) => Sent::Ok,
                Err(e) => Sent::Retry(None, e),
            }
        }
        Job::Push(d) => {
            match push::send(&n.http, &n.vapid, &config.notify.mail_from, &d, lang).await {
                push::Outcome::Sent => {
                    let id = d.id.clone();
                    let _ = st
                        .db
                        .call(move |c| {
                            c.execute(
                                "UPDATE relay_notify_devices SET last_sent_at = ?2 WHERE id = ?1",
                                params![id, session::now()],
                            )
                        })
                        .await;
                    Sent::Ok
                }
                push::Outcome::Gone => Sent::Gone,
                push::Outcome::Retry(after, why) => Sent::Retry(after, why),
                push::Outcome::Failed(why) => Sent::Failed(why),
            }
        }
    }
}

/// One dispatch pass: claims what is due and sends it. How many rows were
/// handled.
pub async fn dispatch(st: &RelayState) -> Result<usize, crate::RelayError> {
    let n = &st.shared.notify;
    let window = i64::try_from(st.shared.config.notify.batch_window_secs).unwrap_or(20);
    let rows = st.db.call(|c| claim(c, session::now())).await?;
    let count = rows.len();
    for r in rows {
        let row = r.clone();
        let (job, lang) = st.db.call(move |c| job(c, &row)).await?;
        let outcome = send_one(st, n, job, lang).await;
        let row = r.clone();
        let now = session::now();
        match outcome {
            Sent::Ok => st.db.call(move |c| done(c, &row, now, window)).await?,
            Sent::Gone => {
                tracing::info!("push subscription gone (404/410): device removed");
                let id = r.target.clone();
                st.db
                    .call(move |c| {
                        c.execute("DELETE FROM relay_notify_devices WHERE id = ?1", params![id])?;
                        c.execute(
                            "DELETE FROM relay_notify_outbox WHERE channel = 'push' AND target = ?1",
                            params![id],
                        )?;
                        Ok(())
                    })
                    .await?
            }
            Sent::Retry(after, why) => {
                let kept = st
                    .db
                    .call(move |c| retry_later(c, &row, now, after))
                    .await?;
                if kept {
                    tracing::warn!(channel = %r.channel, attempt = r.attempts + 1, error = %why, "notice not delivered; trying again later");
                } else {
                    tracing::error!(channel = %r.channel, error = %why, "notice not delivered within a day; given up");
                }
            }
            Sent::Failed(why) => {
                tracing::error!(channel = %r.channel, error = %why, "notice refused; not tried again");
                st.db.call(move |c| drop_row(c, &row)).await?
            }
        }
    }
    Ok(count)
}
