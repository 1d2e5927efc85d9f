//! Notices outside the app (issue #24): Web Push and e-mail, with no
//! content. The citizen chooses in `/konto` ([`settings`], the API of
//! `contract::notify`); the relay learns from signals a real Onlinedienst
//! gets ([`watch`]: the cases' FIT-Connect event logs and the ZBP's
//! application statuses; its own payment records), batches them per
//! citizen and sends one notice per channel ([`outbox`]) by Web Push
//! ([`push`], VAPID key in [`vapid`]) or SMTP ([`mail`]). Every notice says
//! only `contract::notify::notice_text` and links to `/postfach`.
//!
//! Tables (schema step 9, [`store::MIGRATION`]): `relay_notify_citizens`,
//! `relay_notify_email`, `relay_notify_devices`, `relay_notify_watch`,
//! `relay_notify_seen`, `relay_notify_outbox`, `relay_notify_lease`.
//! docs/relay.md, "Notices", has the routes, rules and configuration.

pub mod config;
pub mod error;
pub mod mail;
pub mod outbox;
pub mod push;
pub mod settings;
pub mod store;
pub mod termine;
pub mod vapid;
pub mod watch;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::payment::FeeState;
use serde_json::{json, Value};

pub use config::NotifyConfig;
pub use settings::router;
pub use store::MIGRATION;

use crate::db::{params, Db, OptionalExtension};
use crate::error::RelayError;
use crate::session;
use crate::RelayState;

/// What the notices need at run time (built once per instance).
pub struct Notifier {
    pub vapid: vapid::Vapid,
    /// `None` without `[notify] smtp_url`: e-mail choices are refused.
    pub mailer: Option<mail::Mailer>,
    /// For push services: no redirects, a time limit.
    pub http: reqwest::Client,
    /// This instance's name in the watcher's lease.
    pub holder: String,
    /// The last citizen whose appointments were looked at ([`termine`]).
    pub termine_cursor: std::sync::Mutex<String>,
    /// Derives the unsubscribe tokens (the handle key, shared by instances).
    key: Vec<u8>,
}

/// 16 random bytes, hex.
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    let _ = openssl::rand::rand_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Tokens are stored only as their SHA-256.
pub fn token_hash(token: &str) -> String {
    session::sha256_hex(token)
}

impl Notifier {
    pub async fn open(config: &crate::Config, db: &Db, key: &[u8]) -> anyhow::Result<Self> {
        let vapid = vapid::open(db, config.notify.vapid_key_file.as_deref()).await?;
        let mailer = config
            .notify
            .smtp_url
            .as_deref()
            .map(mail::mailer)
            .transpose()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(
                config.upstream_timeout_ms.min(30_000),
            ))
            .build()?;
        Ok(Notifier {
            vapid,
            mailer,
            http,
            holder: random_id(),
            termine_cursor: std::sync::Mutex::new(String::new()),
            key: key.to_vec(),
        })
    }

    /// The unsubscribe token of an e-mail choice: HMAC-SHA-256 of its id
    /// with the handle key, so every notice mail can carry it while the
    /// database keeps only its hash; it lives as long as the choice.
    pub fn unsubscribe_token(&self, choice_id: &str) -> String {
        use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
        let data = format!("notify-unsubscribe:{choice_id}");
        let mac = PKey::hmac(&self.key)
            .and_then(|k| {
                let mut s = Signer::new(MessageDigest::sha256(), &k)?;
                s.update(data.as_bytes())?;
                s.sign_to_vec()
            })
            .unwrap_or_else(|_| {
                use sha2::Digest;
                sha2::Sha256::digest([&self.key[..], data.as_bytes()].concat()).to_vec()
            });
        URL_SAFE_NO_PAD.encode(mac)
    }
}

/// One watch pass and one dispatch pass (tests call this instead of
/// waiting for the background task): (new signals, rows handled).
pub async fn run_once(st: &RelayState) -> Result<(usize, usize), RelayError> {
    let signals = watch::pass(st).await? + termine_pass(st).await?;
    let sent = outbox::dispatch(st).await?;
    Ok((signals, sent))
}

/// The appointments' look, under the watcher's lease too (one instance).
async fn termine_pass(st: &RelayState) -> Result<usize, RelayError> {
    let holder = st.shared.notify.holder.clone();
    let mine = st
        .db
        .call(move |c| {
            let held: Option<String> = c
                .query_row(
                    "SELECT holder FROM relay_notify_lease WHERE name = 'watch' AND until_at >= ?1",
                    params![session::now()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(held.as_deref() == Some(holder.as_str()))
        })
        .await?;
    if !mine {
        return Ok(0);
    }
    termine::pass(st).await
}

/// The watcher and the sender, every `watch_interval_secs`, for as long as
/// the runtime lives (started with the relay, [`RelayState::with_db`]).
pub fn spawn(st: RelayState) {
    if !st.shared.config.notify.background {
        return;
    }
    tokio::spawn(async move {
        let secs = st.shared.config.notify.watch_interval_secs.max(1);
        let mut tick = tokio::time::interval(Duration::from_secs(secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&st).await {
                tracing::warn!(error = %e, "notices: pass failed; next time again");
            }
        }
    });
}

/// A citizen counts as reading when one of their sessions was active this
/// recently: a payment they just made is no news to them.
const READING_SECS: i64 = 120;

/// The payment notify route made a fee final (`crate::payment`): PAID or
/// FAILED, changed by this notification, while the citizen was not using
/// the app. Never fails the route: errors are logged.
pub async fn payment_settled(
    st: &RelayState,
    before: FeeState,
    after: &crate::payment::store::Fee,
) {
    if after.state == before || !matches!(after.state, FeeState::Paid | FeeState::Failed) {
        return;
    }
    let sub = after.sub.clone();
    let key = format!(
        "payment:{}:{}:{}",
        after.submission_id,
        after.tx_id.as_deref().unwrap_or(""),
        crate::payment::store::state_name(after.state)
    );
    let submission = after.submission_id.clone();
    let window = i64::try_from(st.shared.config.notify.batch_window_secs).unwrap_or(20);
    let r = st
        .db
        .call(move |c| {
            let now = session::now();
            let reading: i64 = c.query_row(
                "SELECT COUNT(*) FROM relay_sessions
                 WHERE sub = ?1 AND last_seen_at > ?2 AND expires_at > ?3",
                params![sub, now - READING_SECS, now],
                |r| r.get(0),
            )?;
            if reading > 0 {
                return Ok(false);
            }
            let case: Option<String> = c
                .query_row(
                    "SELECT case_id FROM relay_submissions WHERE submission_id = ?1",
                    params![submission],
                    |r| r.get(0),
                )
                .optional()?;
            watch::own_signal(c, &sub, &key, case.as_deref(), now, window)
        })
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "notices: payment signal not recorded");
    }
}

/// The notice settings for "Meine Daten" (the export): addresses and
/// devices, never the keys or tokens.
pub async fn exported(st: &RelayState, sub: &str) -> Result<Value, RelayError> {
    let sub = sub.to_string();
    let (info, email, devices) = st
        .db
        .call(move |c| {
            Ok((
                store::citizen(c, &sub)?,
                store::email(c, &sub)?,
                store::devices(c, &sub)?,
            ))
        })
        .await?;
    Ok(json!({
        "email": email.map(|e| e.setting()),
        "push": devices
            .iter()
            .map(|d| {
                let mut v = serde_json::to_value(d.shown()).unwrap_or(Value::Null);
                // Which push service, not the subscription's address.
                v["pushService"] = Value::from(push::origin_of(&d.endpoint));
                v
            })
            .collect::<Vec<_>>(),
        "accountEmail": info.as_ref().and_then(|i| i.account_email.clone()),
        "lang": info.map(|i| store::lang_name(i.lang)),
        "notExported": "push keys, confirmation and unsubscribe tokens (stored only as hashes)",
    }))
}
