//! `GET /idp/saml/slo`, by the HTTP-Redirect binding:
//!
//! * `SAMLRequest`: an SP's LogoutRequest, signed by the SP. Ends the IdP's
//!   SAML session(s) of that name id (and session index). When the browser
//!   that brings it has open sessions with *other* SPs (its
//!   `idp_saml_sso` cookie, [`super::browser`]), those end too and their
//!   SPs hear of it first, one after another ([`super::chain`]). Then a
//!   signed LogoutResponse to the SP's SingleLogoutService from its
//!   metadata: by the HTTP-Redirect binding (query signature) when that is
//!   the service's binding, else by an auto-submitting HTTP-POST form
//!   (enveloped signature).
//! * `SAMLResponse`: an SP's answer to the IdP's own LogoutRequest
//!   ([`super::chain::answered`]).

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use contract::saml::CLOCK_SKEW_SECONDS;
use std::sync::Arc;

use super::request::{self, Refusal};
use super::sso::MAX_REQUEST_AGE;
use super::{browser, chain, post_page, refused, response, sp, Saml};
use crate::idp::{login, now_secs, Idp};
use crate::static_files::Site;
use crate::AppState;

/// `GET /idp/saml/slo`
pub async fn slo_redirect(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let saml = &idp.saml;
    let now = now_secs();
    let pairs = match request::raw_pairs(query.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(why) => return refused(&site, &why),
    };
    if pairs.iter().any(|(k, _)| k == "SAMLResponse") {
        return chain::answered(&state, saml, &site, &pairs).await;
    }
    let read = async {
        let (sp, r) = from_sp(&state, &pairs, "SAMLRequest").await?;
        let lr = request::parse_logout_request(&r.xml)?;
        check_envelope(
            &sp,
            saml,
            &lr.issuer,
            lr.destination.as_deref(),
            lr.issue_instant,
            now,
        )?;
        let target = sp.slo.clone().ok_or(Refusal::Acs)?;
        Ok::<_, Refusal>((lr, r.relay_state, target, sp.slo_redirect))
    };
    let (lr, relay_state, target, by_redirect) = match read.await {
        Ok(v) => v,
        Err(why) => return refused(&site, &why),
    };
    if relay_state.as_ref().is_some_and(|s| s.len() > 80 * 10) {
        return refused(&site, &Refusal::Malformed("RelayState zu lang"));
    }
    let (sp_id, name_id, index, req_id) = (
        lr.issuer.clone(),
        lr.name_id.clone(),
        lr.session_index.clone(),
        lr.id.clone(),
    );
    let ended = state
        .db
        .call(move |conn| {
            let fresh = conn.execute(
                "INSERT OR IGNORE INTO idp_saml_seen (sp, request_id, expires_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![sp_id, req_id, now + MAX_REQUEST_AGE + 2 * CLOCK_SKEW_SECONDS],
            )? == 1;
            if !fresh {
                return Ok(None);
            }
            let n = conn.execute(
                "UPDATE idp_saml_sessions SET ended = 1
                 WHERE sp = ?1 AND name_id = ?2 AND (?3 IS NULL OR session_index = ?3)",
                rusqlite::params![sp_id, name_id, index],
            )?;
            Ok(Some(n))
        })
        .await;
    match ended {
        Ok(Some(_)) => {}
        Ok(None) => return refused(&site, &Refusal::Replay),
        Err(e) => return login::internal(&site, e),
    }
    // This browser's sessions with other SPs end too; their SPs first.
    let answer_first = || {
        answer(
            saml,
            &site,
            &target,
            by_redirect,
            &lr.id,
            relay_state.as_deref(),
            now,
        )
    };
    let Some(browser_hash) = browser::of(&headers) else {
        return answer_first();
    };
    let reply = chain::Reply {
        sp: lr.issuer.clone(),
        request_id: lr.id.clone(),
        relay_state: relay_state.clone(),
    };
    let started =
        match chain::start(&state, browser_hash, Some(lr.issuer.clone()), Some(reply)).await {
            Ok(s) => s,
            Err(e) => return login::internal(&site, e),
        };
    let resp = match &started.chain_id {
        Some(chain_id) => chain::advance(&state, saml, &site, chain_id).await,
        None => answer_first(),
    };
    if started.left == 0 {
        browser::clear(&state, resp)
    } else {
        resp
    }
}

/// The signed LogoutResponse (Success) to an SP's SingleLogoutService
/// `target`: a 303 with the IdP's query signature when the service has the
/// HTTP-Redirect binding, else the auto-submitting POST form.
pub(super) fn answer(
    saml: &Saml,
    site: &Site,
    target: &str,
    by_redirect: bool,
    in_response_to: &str,
    relay_state: Option<&str>,
    now: i64,
) -> Response {
    let key = match saml.key() {
        Ok(k) => k,
        Err(e) => return login::internal(site, e),
    };
    if by_redirect {
        let xml = response::logout_response_unsigned(&saml.entity_id, target, in_response_to, now);
        return match response::redirect_url(target, &xml, relay_state, key) {
            Ok(url) => match HeaderValue::from_str(&url) {
                Ok(v) => (
                    StatusCode::SEE_OTHER,
                    [
                        (header::LOCATION, v),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    ],
                )
                    .into_response(),
                Err(e) => login::internal(site, e),
            },
            Err(e) => login::internal(site, e),
        };
    }
    match response::logout_response(key, &saml.entity_id, target, in_response_to, now) {
        Ok(x) => post_page(target, "SAMLResponse", &x, relay_state),
        Err(e) => login::internal(site, e),
    }
}

/// An SP's signed message of the Redirect binding (`param`: `SAMLRequest`
/// or `SAMLResponse`): the SP its Issuer claims, from that SP's metadata,
/// and the message once its query signature verified with the SP's key.
pub(super) async fn from_sp(
    state: &AppState,
    pairs: &[(String, String)],
    param: &'static str,
) -> Result<(sp::Sp, request::Redirected), Refusal> {
    let payload = pairs
        .iter()
        .find(|(k, _)| k == param)
        .map(|(_, v)| v.clone())
        .ok_or(Refusal::Malformed(if param == "SAMLRequest" {
            "SAMLRequest fehlt"
        } else {
            "SAMLResponse fehlt"
        }))?;
    let claimed = request::inflate(&request::percent_decode(&payload)?.replace(' ', "+"))?;
    let issuer = request::claimed_issuer(&claimed)?;
    let sp = sp::find(state, &issuer)
        .await
        .ok_or(Refusal::UnknownIssuer(issuer))?;
    let r = request::verify_redirect(pairs, param, &sp)?;
    Ok((sp, r))
}

/// The envelope of an SP's logout message: its Issuer is the SP that
/// signed it, its Destination our SLO URL, its IssueInstant fresh.
pub(super) fn check_envelope(
    sp: &sp::Sp,
    saml: &Saml,
    issuer: &str,
    destination: Option<&str>,
    issue_instant: i64,
    now: i64,
) -> Result<(), Refusal> {
    if issuer != sp.entity_id {
        return Err(Refusal::UnknownIssuer(issuer.to_string()));
    }
    if destination != Some(saml.slo_url.as_str()) {
        return Err(Refusal::Destination);
    }
    if issue_instant > now + CLOCK_SKEW_SECONDS
        || issue_instant < now - MAX_REQUEST_AGE - CLOCK_SKEW_SECONDS
    {
        return Err(Refusal::Stale);
    }
    Ok(())
}
