//! `GET|POST /idp/saml/sso`: an AuthnRequest by the HTTP-Redirect or the
//! HTTP-POST binding. Checked in this order, each refusal an error page and
//! never a login: readable, issuer registered, signed by the SP's signing
//! certificate, `Destination` = this endpoint, the ACS one of the SP's,
//! `IssueInstant` within the skew, the level a STORK level with
//! `Comparison="minimum"`, the requested attributes known, the `ID` not
//! seen before. Then a login transaction as for OIDC.

use axum::{
    extract::{rejection::FormRejection, Form, RawQuery, State},
    response::Response,
    Extension,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml::CLOCK_SKEW_SECONDS;
use std::collections::HashMap;
use std::sync::Arc;

use super::request::{self, AuthnRequest, Refusal};
use super::{refused, sp, Saml, SCOPE};
use crate::idp::login;
use crate::idp::store::LoginTx;
use crate::idp::{hash_secret, now_secs, random_token, Idp, LOGIN_TX_TTL_SECS};
use crate::static_files::Site;
use crate::AppState;

/// Oldest `IssueInstant` accepted (besides the skew).
pub const MAX_REQUEST_AGE: i64 = 300;

/// `GET /idp/saml/sso` (HTTP-Redirect binding)
pub async fn sso_redirect(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    RawQuery(query): RawQuery,
) -> Response {
    let read = async {
        let pairs = request::raw_pairs(query.as_deref().unwrap_or(""))?;
        let payload = pairs
            .iter()
            .find(|(k, _)| k == "SAMLRequest")
            .map(|(_, v)| v.clone())
            .ok_or(Refusal::Malformed("SAMLRequest fehlt"))?;
        let claimed = request::inflate(&request::percent_decode(&payload)?.replace(' ', "+"))?;
        let issuer = request::claimed_issuer(&claimed)?;
        let sp = sp::find(&state, &issuer)
            .await
            .ok_or(Refusal::UnknownIssuer(issuer))?;
        let r = request::verify_redirect(&pairs, "SAMLRequest", &sp)?;
        Ok::<_, Refusal>((r.xml, r.relay_state, sp))
    };
    match read.await {
        Ok((xml, relay_state, sp)) => {
            accept(&state, &idp.saml, &site, &xml, relay_state, &sp).await
        }
        Err(why) => refused(&site, &why),
    }
}

/// `POST /idp/saml/sso` (HTTP-POST binding)
pub async fn sso_post(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let read = async {
        let Ok(Form(f)) = form else {
            return Err(Refusal::Malformed("kein Formular"));
        };
        let b64 = f
            .get("SAMLRequest")
            .ok_or(Refusal::Malformed("SAMLRequest fehlt"))?;
        if b64.len() > request::MAX_REQUEST_BYTES {
            return Err(Refusal::Malformed("zu groß"));
        }
        let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = STANDARD
            .decode(clean)
            .map_err(|_| Refusal::Malformed("kein Base64"))?;
        let text = String::from_utf8(bytes).map_err(|_| Refusal::Malformed("kein UTF-8"))?;
        let issuer = request::claimed_issuer(&text)?;
        let sp = sp::find(&state, &issuer)
            .await
            .ok_or(Refusal::UnknownIssuer(issuer))?;
        let verified = request::verify_post(&text, &sp, "AuthnRequest")?;
        Ok::<_, Refusal>((verified, f.get("RelayState").cloned(), sp))
    };
    match read.await {
        Ok((xml, relay_state, sp)) => {
            accept(&state, &idp.saml, &site, &xml, relay_state, &sp).await
        }
        Err(why) => refused(&site, &why),
    }
}

/// The checks on a verified request's content (pure).
pub fn check(r: &AuthnRequest, sp: &sp::Sp, sso_url: &str, now: i64) -> Result<String, Refusal> {
    if r.issuer != sp.entity_id {
        return Err(Refusal::UnknownIssuer(r.issuer.clone()));
    }
    if r.destination.as_deref() != Some(sso_url) {
        return Err(Refusal::Destination);
    }
    let acs = match &r.acs {
        Some(a) if sp.acs.contains(a) => a.clone(),
        Some(_) => return Err(Refusal::Acs),
        None => sp.acs.first().cloned().ok_or(Refusal::Acs)?,
    };
    if r.issue_instant > now + CLOCK_SKEW_SECONDS
        || r.issue_instant < now - MAX_REQUEST_AGE - CLOCK_SKEW_SECONDS
    {
        return Err(Refusal::Stale);
    }
    Ok(acs)
}

async fn accept(
    state: &AppState,
    saml: &Saml,
    site: &Site,
    xml_text: &str,
    relay_state: Option<String>,
    sp: &sp::Sp,
) -> Response {
    let now = now_secs();
    let parsed = request::parse_authn_request(xml_text)
        .and_then(|r| check(&r, sp, &saml.sso_url, now).map(|acs| (r, acs)));
    let (r, acs) = match parsed {
        Ok(v) => v,
        Err(why) => return refused(site, &why),
    };
    if relay_state.as_ref().is_some_and(|s| s.len() > 80 * 10) {
        return refused(site, &Refusal::Malformed("RelayState zu lang"));
    }
    let csrf = random_token();
    let tx = LoginTx {
        id: random_token(),
        csrf_hash: hash_secret(&csrf),
        client_id: sp.entity_id.clone(),
        redirect_uri: acs.clone(),
        scope: SCOPE.to_string(),
        state: String::new(),
        nonce: r.id.clone(),
        code_challenge: String::new(),
        acr_requested: super::level_str(r.level),
        expires_at: now + LOGIN_TX_TTL_SECS,
        completed: false,
    };
    let tx_id = tx.id.clone();
    let sp_id = sp.entity_id.clone();
    let join = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(" "));
    let (attributes, methods) = (join(&r.attributes), join(&r.methods));
    let seen_until = now + MAX_REQUEST_AGE + 2 * CLOCK_SKEW_SECONDS;
    let stored = state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            t.execute(
                "DELETE FROM idp_saml_seen WHERE expires_at < ?1",
                rusqlite::params![now],
            )?;
            t.execute("DELETE FROM idp_saml_tx WHERE expires_at < ?1", rusqlite::params![now])?;
            let fresh = t.execute(
                "INSERT OR IGNORE INTO idp_saml_seen (sp, request_id, expires_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![sp_id, r.id, seen_until],
            )? == 1;
            if !fresh {
                return Ok(false);
            }
            crate::idp::store::insert_tx(&t, &tx)?;
            t.execute(
                "INSERT INTO idp_saml_tx (tx_id, sp, acs, request_id, relay_state, attributes, methods, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![tx.id, sp_id, acs, r.id, relay_state, attributes, methods, tx.expires_at],
            )?;
            t.commit()?;
            Ok(true)
        })
        .await;
    match stored {
        Ok(true) => login::begin(state, &tx_id, &csrf),
        Ok(false) => refused(site, &Refusal::Replay),
        Err(e) => login::internal(site, e),
    }
}
