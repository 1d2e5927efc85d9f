//! The citizen's cases at FIT-Connect: the list of own submissions, the
//! disclosed identity attributes (both ours, docs/backends.md §3), and each
//! case's event log with every SET's `PS512` signature checked by WebCrypto
//! (RSASSA-PSS, SHA-512, salt 64) against `/.well-known/jwks.json`.
//!
//! The personal calls need the relay's session; a 401 means "log in again"
//! ([`ApiError::is_unauthorized`]).

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::postbox::ZbpError;
use crate::api::{get_json, get_json_fresh, ApiError, Backends};
use crate::domain::jose::{Jwk, Jwks};
use crate::domain::postbox::StatusHistory;
use crate::domain::search_url::encode;
use crate::domain::timeline::{
    build, parse_set, select_set_key, tags_differ, DisclosureList, EventPage, LaterProgress,
    SetEvent, SubmissionList, SubmissionSummary, Timeline,
};

/// Most events read per case (the API gives at most 500 per page).
const MAX_EVENTS: u64 = 2000;

impl Backends {
    /// The citizen's submissions, newest first.
    pub async fn submissions(&self) -> Result<Vec<SubmissionSummary>, ApiError> {
        let list: SubmissionList = get_json(&self.url("applications")).await?;
        Ok(list.submissions)
    }

    /// Which authority received which identity attributes, newest first.
    pub async fn disclosures(&self) -> Result<DisclosureList, ApiError> {
        get_json(&self.url("disclosures")).await
    }

    /// The whole event log of a case (compact SETs, oldest first).
    pub async fn case_events(&self, case_id: &str) -> Result<Vec<String>, ApiError> {
        let mut log = Vec::new();
        loop {
            let url = self.url(&format!(
                "cases/{}/events?offset={}&limit=500",
                encode(case_id),
                log.len()
            ));
            let page: EventPage = get_json(&url).await?;
            let got = page.event_log.len();
            log.extend(page.event_log);
            if got == 0 || log.len() as u64 >= page.total_count.min(MAX_EVENTS) {
                return Ok(log);
            }
        }
    }

    /// The keys that sign the event log.
    pub async fn event_keys(&self) -> Result<Jwks, ApiError> {
        get_json(&self.jwks_url()).await
    }

    fn jwks_url(&self) -> String {
        self.url("submission/jwks")
    }
}

/// A case's events after the signature check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedEvents {
    /// Verified events of this case, oldest first.
    pub events: Vec<SetEvent>,
    /// Events that could not be verified (bad signature, unknown key,
    /// malformed, another case): shown as a warning, never as a step.
    pub unverified: usize,
}

/// Imported WebCrypto keys by `kid`, so each key is imported once.
pub struct SetVerifier {
    jwks: Jwks,
    imported: Vec<(Option<String>, web_sys::CryptoKey)>,
    /// Where to fetch the key set again when an event names an unknown
    /// key (rotation); used once.
    refresh_from: Option<String>,
}

impl SetVerifier {
    pub fn new(jwks: Jwks) -> Self {
        SetVerifier {
            jwks,
            imported: Vec::new(),
            refresh_from: None,
        }
    }

    /// Like [`SetVerifier::new`], refetching the keys once from the relay
    /// if an event is signed with a key not in `jwks`.
    pub fn refreshing(jwks: Jwks, backends: Backends) -> Self {
        SetVerifier {
            refresh_from: Some(backends.jwks_url()),
            ..Self::new(jwks)
        }
    }

    /// Parses and verifies each SET; only good ones of `case_id` are kept.
    pub async fn check(&mut self, log: &[String], case_id: &str) -> CheckedEvents {
        let mut out = CheckedEvents::default();
        for text in log {
            match self.verify_one(text).await {
                Some(e) if e.case_id == case_id => out.events.push(e),
                _ => out.unverified += 1,
            }
        }
        out
    }

    async fn verify_one(&mut self, text: &str) -> Option<SetEvent> {
        let set = parse_set(text).ok()?;
        let kid = set.header.kid.as_deref();
        if select_set_key(&self.jwks, kid).is_err() {
            if let Some(url) = self.refresh_from.take() {
                if let Ok(jwks) = get_json_fresh::<Jwks>(&url).await {
                    self.jwks = jwks;
                }
            }
        }
        let jwk = select_set_key(&self.jwks, kid).ok()?.clone();
        let key = self.key_for(&jwk).await?;
        let ok = verify_ps512(&key, &set.signature, set.signing_input.as_bytes())
            .await
            .ok()?;
        ok.then_some(set.event)
    }

    async fn key_for(&mut self, jwk: &Jwk) -> Option<web_sys::CryptoKey> {
        if let Some((_, k)) = self.imported.iter().find(|(kid, _)| *kid == jwk.kid) {
            return Some(k.clone());
        }
        let key = import_ps512(jwk).await.ok()?;
        self.imported.push((jwk.kid.clone(), key.clone()));
        Some(key)
    }
}

fn subtle() -> Result<web_sys::SubtleCrypto, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    Ok(window.crypto()?.subtle())
}

fn set(obj: &Object, key: &str, value: JsValue) -> Result<(), JsValue> {
    Reflect::set(obj, &key.into(), &value).map(|_| ())
}

/// Imports an RSA public JWK for RSASSA-PSS with SHA-512.
async fn import_ps512(jwk: &Jwk) -> Result<web_sys::CryptoKey, JsValue> {
    let (Some(n), Some(e)) = (jwk.n.as_deref(), jwk.e.as_deref()) else {
        return Err(JsValue::from_str("key without n/e"));
    };
    let key_data = Object::new();
    set(&key_data, "kty", "RSA".into())?;
    set(&key_data, "n", n.into())?;
    set(&key_data, "e", e.into())?;
    set(&key_data, "alg", "PS512".into())?;
    set(&key_data, "ext", JsValue::TRUE)?;
    let algorithm = Object::new();
    set(&algorithm, "name", "RSA-PSS".into())?;
    set(&algorithm, "hash", "SHA-512".into())?;
    let usages = js_sys::Array::of1(&"verify".into());
    let key = JsFuture::from(
        subtle()?.import_key_with_object("jwk", &key_data, &algorithm, false, &usages)?,
    )
    .await?;
    key.dyn_into::<web_sys::CryptoKey>()
}

/// RSASSA-PSS with SHA-512 and a 64-byte salt (JWS `PS512`).
async fn verify_ps512(
    key: &web_sys::CryptoKey,
    signature: &[u8],
    data: &[u8],
) -> Result<bool, JsValue> {
    let algorithm = Object::new();
    set(&algorithm, "name", "RSA-PSS".into())?;
    set(&algorithm, "saltLength", JsValue::from_f64(64.0))?;
    let ok = JsFuture::from(
        subtle()?.verify_with_object_and_u8_array_and_u8_array(&algorithm, key, signature, data)?,
    )
    .await?;
    Ok(ok.as_bool() == Some(true))
}

/// One application for "Meine Anträge".
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub summary: SubmissionSummary,
    pub timeline: Timeline,
    /// Events that could not be verified (a warning is shown).
    pub unverified: usize,
    /// The event log could not be loaded at all (a warning is shown).
    pub events_failed: bool,
    /// FIT-Connect confirmed other data than the relay forwarded (a
    /// warning is shown).
    pub tags_differ: bool,
    /// The event log needs a login at the application's level (it may
    /// carry the authority's words; the relay keeps it back, as the
    /// postbox does with a locked message).
    pub events_locked: bool,
    /// The postbox's status history, for what reached the authority
    /// (None: nothing to ask, e.g. unfinished).
    pub postbox: Option<Result<StatusHistory, ZbpError>>,
    /// The follow-ups sent in this case, with what their events say.
    pub follow_ups: Vec<crate::domain::followup::FollowUp>,
}

/// At most this many cases are asked at once: a browser opens six
/// connections per host, and a request waiting in its queue would use up
/// its own time limit there.
const PARALLEL: usize = 4;

/// What the backends said about one case, before verification.
struct Fetched {
    summary: SubmissionSummary,
    /// None: not asked (the log is known to be unreachable).
    log: Option<Result<Vec<String>, ApiError>>,
    postbox: Option<Result<StatusHistory, ZbpError>>,
}

/// The event log and (for what reached the authority) the postbox's status
/// history of one case, both at once. `events: false` skips the log (it is
/// known to be unreachable).
async fn fetch_case(backends: Backends, summary: SubmissionSummary, events: bool) -> Fetched {
    // A log the relay keeps back from this login is not asked for.
    let ask = events && !summary.events_locked;
    let log = async {
        match ask {
            true => Some(backends.case_events(&summary.case_id).await),
            false => None,
        }
    };
    // Only what reached the authority has postbox messages; asked once,
    // for the timeline and for the list of messages. An application made
    // for someone else under a mandate has them in that person's postbox.
    let made_for_other = summary.on_behalf.as_ref().is_some_and(|b| !b.for_me);
    let postbox = async {
        match summary.status.as_str() {
            _ if made_for_other => None,
            "submitted" | "accepted" | "rejected" => {
                Some(backends.application_status(&summary.submission_id).await)
            }
            _ => None,
        }
    };
    let (log, postbox) = futures_util::future::join(log, postbox).await;
    Fetched {
        summary,
        log,
        postbox,
    }
}

/// The citizen's applications with their verified timelines. A failing
/// list is an error (401: log in again); a failing event log or key set
/// only marks that case.
///
/// The cases are fetched side by side ([`PARALLEL`]). The first one goes
/// alone: when its event log does not answer at all (time limit, no
/// connection), the others are not asked either, so a hanging log costs
/// one time limit, not one per application.
pub async fn load_cases(backends: Backends) -> Result<Vec<Case>, ApiError> {
    use futures_util::stream::{self, StreamExt};

    // The keys that verify the event logs do not depend on the list: both
    // are asked at once (a busy relay answers the list slowly).
    let (list, keys) =
        futures_util::future::join(backends.submissions(), backends.event_keys()).await;
    let mut list = list?.into_iter();
    let Some(first) = list.next() else {
        return Ok(Vec::new());
    };
    let probe = fetch_case(backends, first, true).await;
    let reachable = !matches!(
        probe.log,
        Some(Err(ApiError::Timeout(_) | ApiError::Network(_)))
    );
    let rest: Vec<Fetched> = stream::iter(list.map(|s| fetch_case(backends, s, reachable)))
        .buffered(PARALLEL)
        .collect()
        .await;

    let mut verifier = keys
        .ok()
        .map(|jwks| SetVerifier::refreshing(jwks, backends));
    let mut out = Vec::with_capacity(rest.len() + 1);
    for Fetched {
        summary,
        log,
        postbox,
    } in std::iter::once(probe).chain(rest)
    {
        let events_locked = summary.events_locked;
        let log = match log {
            Some(Ok(log)) => Some(log),
            Some(Err(e)) if e.is_unauthorized() => return Err(e),
            Some(Err(_)) | None => None,
        };
        let checked = match (&mut verifier, &log) {
            (Some(v), Some(log)) => v.check(log, &summary.case_id).await,
            (None, Some(log)) => CheckedEvents {
                events: Vec::new(),
                unverified: log.len(),
            },
            (_, None) => CheckedEvents::default(),
        };
        let events_failed = log.is_none() && !events_locked;
        // Without the log nothing is proven; without failures the status fills gaps.
        let distrust = checked.unverified + usize::from(log.is_none());
        // In Bearbeitung / Abgeschlossen come from the postbox's status
        // messages (BACKENDS.md §4); only an accepted application gets there.
        let later = match &postbox {
            Some(Ok(history)) if summary.status == "accepted" => later_progress(history),
            _ => LaterProgress::default(),
        };
        // A case also holds the follow-ups (Nachreichungen): their events
        // are theirs, the timeline is the application's.
        let (own, others): (Vec<_>, Vec<_>) = checked
            .events
            .into_iter()
            .partition(|e| e.submission_id == summary.submission_id);
        let follow_ups = crate::domain::followup::follow_ups(&summary.follow_ups, &others);
        let tags_differ = tags_differ(summary.sent_tags.as_ref(), &own);
        let timeline = build(&summary.status, &own, distrust, later);
        out.push(Case {
            summary,
            timeline,
            unverified: checked.unverified,
            events_failed,
            events_locked,
            tags_differ,
            postbox,
            follow_ups,
        });
    }
    Ok(out)
}

/// The postbox statuses of one application as later timeline progress.
fn later_progress(history: &StatusHistory) -> LaterProgress {
    use crate::domain::postbox::ApplicationStatus as S;
    let secs = |iso: &str| {
        let ms = js_sys::Date::parse(iso);
        ms.is_finite().then(|| (ms / 1000.0) as i64)
    };
    let first = |want: &[S]| {
        history
            .statuses
            .iter()
            .find(|e| want.contains(&e.status))
            .and_then(|e| secs(&e.created_date))
    };
    LaterProgress {
        in_progress_at: first(&[S::Processing, S::ActionRequired]),
        completed_at: first(&[S::Completed]),
    }
}
