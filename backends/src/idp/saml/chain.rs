//! Single logout started at the IdP, through the browser (front channel,
//! SAML profiles §4.4): the SPs of a browser's sessions hear of the logout
//! one after another.
//!
//! [`start`] ends the IdP's own sessions at once and records a *chain*
//! (`idp_saml_logouts`) with one step per session
//! (`idp_saml_logout_steps`). [`advance`] sends the browser to the next
//! step's SP with a LogoutRequest signed by the HTTP-Redirect binding
//! (`SAMLRequest`, `RelayState` = the chain id, `SigAlg` rsa-sha256,
//! `Signature`); an SP without a SingleLogoutService of that binding is
//! skipped. The SP answers with a LogoutResponse to `/idp/saml/slo`
//! ([`answered`]): its query signature must verify with the SP's signing
//! certificate, `Issuer` the SP, `Destination` our SLO URL, `IssueInstant`
//! fresh and `InResponseTo` the ID of our request to that SP that is still
//! waiting (each answer counts once). Then the next step; at the end the
//! page "Sie sind bei der BundID abgemeldet." or, when an SP's own
//! LogoutRequest started the chain, the LogoutResponse to that SP.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use contract::saml::{NAMEID_TRANSIENT, NS_SAML, NS_SAMLP, STATUS_SUCCESS};

use super::request::{self, Refusal};
use super::sso::MAX_REQUEST_AGE;
use super::xml::{esc, instant, new_id};
use super::{abmelden, browser, response, slo, sp, Saml};
use crate::idp::{login, now_secs, random_token};
use crate::static_files::Site;
use crate::AppState;

/// How long a chain waits for the SPs' answers.
pub const CHAIN_SECONDS: i64 = 15 * 60;

/// The SP whose own LogoutRequest started a chain: it gets its
/// LogoutResponse at the end.
#[derive(Debug, Clone)]
pub struct Reply {
    pub sp: String,
    pub request_id: String,
    pub relay_state: Option<String>,
}

/// What [`start`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The chain, when there was a session to end.
    pub chain_id: Option<String>,
    /// Sessions ended (and to be told to their SPs).
    pub ended: usize,
    /// Open sessions the browser still has afterwards.
    pub left: usize,
}

/// How a chain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Sessions ended at the IdP.
    pub sessions: usize,
    /// Of them, confirmed by their SP (LogoutResponse Success).
    pub confirmed: usize,
}

/// Ends the browser's open sessions (all, or all but those of
/// `except_sp`) and records the chain that tells their SPs.
pub async fn start(
    state: &AppState,
    browser_hash: String,
    except_sp: Option<String>,
    reply: Option<Reply>,
) -> Result<Started, crate::db::DbError> {
    let now = now_secs();
    state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            t.execute(
                "DELETE FROM idp_saml_logout_steps WHERE chain_id IN
                 (SELECT chain_id FROM idp_saml_logouts WHERE expires_at < ?1)",
                rusqlite::params![now],
            )?;
            t.execute(
                "DELETE FROM idp_saml_logouts WHERE expires_at < ?1",
                rusqlite::params![now],
            )?;
            let open = browser::open_sessions(&t, &browser_hash, except_sp.as_deref(), now)?;
            let chain_id = if open.is_empty() {
                None
            } else {
                let id = random_token();
                let (rsp, rid, rrs) = match &reply {
                    Some(r) => (Some(&r.sp), Some(&r.request_id), r.relay_state.as_ref()),
                    None => (None, None, None),
                };
                t.execute(
                    "INSERT INTO idp_saml_logouts (chain_id, reply_sp, reply_request_id, reply_relay_state, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![id, rsp, rid, rrs, now + CHAIN_SECONDS],
                )?;
                for (seq, s) in open.iter().enumerate() {
                    t.execute(
                        "UPDATE idp_saml_sessions SET ended = 1 WHERE session_index = ?1",
                        rusqlite::params![s.session_index],
                    )?;
                    t.execute(
                        "INSERT INTO idp_saml_logout_steps (chain_id, seq, sp, name_id, session_index)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        rusqlite::params![
                            id,
                            i64::try_from(seq).unwrap_or(i64::MAX),
                            s.sp,
                            s.name_id,
                            s.session_index
                        ],
                    )?;
                }
                Some(id)
            };
            let left = browser::open_sessions(&t, &browser_hash, None, now)?.len();
            t.commit()?;
            Ok(Started {
                chain_id,
                ended: open.len(),
                left,
            })
        })
        .await
}

/// A step still to take.
struct Step {
    seq: i64,
    sp: String,
    name_id: String,
    session_index: String,
}

/// The IdP's LogoutRequest (unsigned XML; the Redirect binding's query
/// signature covers it).
pub fn logout_request_xml(
    saml: &Saml,
    id: &str,
    sp_entity: &str,
    destination: &str,
    name_id: &str,
    session_index: &str,
    now: i64,
) -> String {
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{NS_SAMLP}\" xmlns:saml=\"{NS_SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{}\" Destination=\"{}\" NotOnOrAfter=\"{}\">\
<saml:Issuer>{issuer}</saml:Issuer>\
<saml:NameID Format=\"{NAMEID_TRANSIENT}\" NameQualifier=\"{issuer}\" SPNameQualifier=\"{}\">{}</saml:NameID>\
<samlp:SessionIndex>{}</samlp:SessionIndex></samlp:LogoutRequest>",
        instant(now),
        esc(destination),
        instant(now + MAX_REQUEST_AGE),
        esc(sp_entity),
        esc(name_id),
        esc(session_index),
        issuer = esc(&saml.entity_id),
    )
}

fn see_other(site: &Site, url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(v) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, v),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(e) => login::internal(site, e),
    }
}

/// The browser's next stop: the next SP of the chain, or its end.
pub async fn advance(state: &AppState, saml: &Saml, site: &Site, chain_id: &str) -> Response {
    loop {
        let id = chain_id.to_string();
        let next = state
            .db
            .call(move |conn| {
                rusqlite::OptionalExtension::optional(conn.query_row(
                    "SELECT seq, sp, name_id, session_index FROM idp_saml_logout_steps
                     WHERE chain_id = ?1 AND state = 'open' ORDER BY seq LIMIT 1",
                    rusqlite::params![id],
                    |r| {
                        Ok(Step {
                            seq: r.get(0)?,
                            sp: r.get(1)?,
                            name_id: r.get(2)?,
                            session_index: r.get(3)?,
                        })
                    },
                ))
            })
            .await;
        let step = match next {
            Ok(Some(s)) => s,
            Ok(None) => return finish(state, saml, site, chain_id).await,
            Err(e) => return login::internal(site, e),
        };
        let target = sp::find(state, &step.sp)
            .await
            .filter(|s| s.slo_redirect)
            .and_then(|s| s.slo);
        let request_id = new_id();
        let (id, seq, rid, sent) = (
            chain_id.to_string(),
            step.seq,
            request_id.clone(),
            target.is_some(),
        );
        let marked = state
            .db
            .call(move |conn| {
                Ok(conn.execute(
                    "UPDATE idp_saml_logout_steps
                     SET state = CASE WHEN ?3 THEN 'sent' ELSE 'skipped' END,
                         request_id = CASE WHEN ?3 THEN ?4 ELSE NULL END
                     WHERE chain_id = ?1 AND seq = ?2 AND state = 'open'",
                    rusqlite::params![id, seq, sent, rid],
                )? == 1)
            })
            .await;
        match marked {
            Ok(true) => {}
            // Taken meanwhile (another tab of the same chain): the next one.
            Ok(false) => continue,
            Err(e) => return login::internal(site, e),
        }
        let Some(target) = target else {
            tracing::info!(sp = %step.sp, "SAML logout: the SP has no HTTP-Redirect SingleLogoutService, skipped");
            continue;
        };
        let key = match saml.key() {
            Ok(k) => k,
            Err(e) => return login::internal(site, e),
        };
        let now = now_secs();
        let xml = logout_request_xml(
            saml,
            &request_id,
            &step.sp,
            &target,
            &step.name_id,
            &step.session_index,
            now,
        );
        return match response::redirect_url_with(&target, "SAMLRequest", &xml, Some(chain_id), key)
        {
            Ok(url) => see_other(site, &url),
            Err(e) => login::internal(site, e),
        };
    }
}

/// The end of a chain: its rows go; the page, or the LogoutResponse to the
/// SP that started it.
async fn finish(state: &AppState, saml: &Saml, site: &Site, chain_id: &str) -> Response {
    let id = chain_id.to_string();
    let done = state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            let reply: Option<(Option<String>, Option<String>, Option<String>)> =
                rusqlite::OptionalExtension::optional(t.query_row(
                    "SELECT reply_sp, reply_request_id, reply_relay_state FROM idp_saml_logouts
                     WHERE chain_id = ?1",
                    rusqlite::params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                ))?;
            let (sessions, confirmed): (i64, i64) = t.query_row(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'confirmed' THEN 1 ELSE 0 END), 0)
                 FROM idp_saml_logout_steps WHERE chain_id = ?1",
                rusqlite::params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            t.execute(
                "DELETE FROM idp_saml_logout_steps WHERE chain_id = ?1",
                rusqlite::params![id],
            )?;
            t.execute(
                "DELETE FROM idp_saml_logouts WHERE chain_id = ?1",
                rusqlite::params![id],
            )?;
            t.commit()?;
            let outcome = Outcome {
                sessions: usize::try_from(sessions).unwrap_or(0),
                confirmed: usize::try_from(confirmed).unwrap_or(0),
            };
            Ok(reply.map(|r| (r, outcome)))
        })
        .await;
    let ((reply_sp, reply_id, relay_state), outcome) = match done {
        Ok(Some(v)) => v,
        Ok(None) => return abmelden::done_page(site, Outcome::default()),
        Err(e) => return login::internal(site, e),
    };
    tracing::info!(
        sessions = outcome.sessions,
        confirmed = outcome.confirmed,
        "SAML logout chain finished"
    );
    let (Some(reply_sp), Some(reply_id)) = (reply_sp, reply_id) else {
        return abmelden::done_page(site, outcome);
    };
    let Some(sp) = sp::find(state, &reply_sp).await else {
        return abmelden::done_page(site, outcome);
    };
    let Some(target) = sp.slo.clone() else {
        return abmelden::done_page(site, outcome);
    };
    slo::answer(
        saml,
        site,
        &target,
        sp.slo_redirect,
        &reply_id,
        relay_state.as_deref(),
        now_secs(),
    )
}

/// `GET /idp/saml/slo?SAMLResponse=…`: an SP's answer to the IdP's
/// LogoutRequest. Refused (400 page, the chain stays where it was) unless
/// signed by that SP and the answer to a request of ours still waiting.
pub async fn answered(
    state: &AppState,
    saml: &Saml,
    site: &Site,
    pairs: &[(String, String)],
) -> Response {
    let now = now_secs();
    let read = async {
        let (sp, r) = slo::from_sp(state, pairs, "SAMLResponse").await?;
        let lr = request::parse_logout_response(&r.xml)?;
        slo::check_envelope(
            &sp,
            saml,
            &lr.issuer,
            lr.destination.as_deref(),
            lr.issue_instant,
            now,
        )?;
        Ok::<_, Refusal>(lr)
    };
    let lr = match read.await {
        Ok(v) => v,
        Err(why) => return abmelden::refused(site, &why),
    };
    let success = lr.status == STATUS_SUCCESS;
    if !success {
        tracing::info!(sp = %lr.issuer, status = %lr.status, "SAML logout not confirmed by the SP");
    }
    let (sp_id, irt) = (lr.issuer.clone(), lr.in_response_to.clone());
    let found = state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            let chain: Option<String> = rusqlite::OptionalExtension::optional(t.query_row(
                "SELECT s.chain_id FROM idp_saml_logout_steps s
                 JOIN idp_saml_logouts c ON c.chain_id = s.chain_id
                 WHERE s.request_id = ?1 AND s.sp = ?2 AND s.state = 'sent' AND c.expires_at > ?3",
                rusqlite::params![irt, sp_id, now],
                |r| r.get(0),
            ))?;
            if chain.is_some() {
                t.execute(
                    "UPDATE idp_saml_logout_steps
                     SET state = CASE WHEN ?3 THEN 'confirmed' ELSE 'failed' END
                     WHERE request_id = ?1 AND sp = ?2 AND state = 'sent'",
                    rusqlite::params![irt, sp_id, success],
                )?;
            }
            t.commit()?;
            Ok(chain)
        })
        .await;
    match found {
        Ok(Some(chain_id)) => advance(state, saml, site, &chain_id).await,
        Ok(None) => abmelden::refused(site, &Refusal::NotOurs),
        Err(e) => login::internal(site, e),
    }
}
