//! Single logout (HTTP-Redirect binding), where the IdP's metadata offers
//! it. The app's logout (`POST /api/v1/logout`) of a SAML session answers
//! `continueAt`, the IdP's URL with the signed LogoutRequest, and the app
//! goes there. `GET /api/v1/saml/logout?return=/` ends the session here and sends
//! the browser to the IdP with a signed LogoutRequest; the IdP answers at
//! `GET /api/v1/saml/slo` with a LogoutResponse whose query signature is
//! verified against the IdP's signing certificate. A logout started at the
//! IdP arrives at the same URL as a LogoutRequest: [`super::slo_idp`].

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::relay::is_return_path;
use serde::{Deserialize, Serialize};

use super::redirect::{self, BindingError};
use crate::db::{params, OptionalExtension};
use crate::error::RelayError;
use crate::session;
use crate::RelayState;

/// What a SAML session keeps of the IdP's login for the LogoutRequest (in
/// the session's `id_token` column, as `saml:<base64url JSON>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlSessionRef {
    pub name_id: String,
    pub session_index: Option<String>,
}

const PREFIX: &str = "saml:";

impl SamlSessionRef {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let b = URL_SAFE_NO_PAD.decode(s.strip_prefix(PREFIX)?).ok()?;
        serde_json::from_slice(&b).ok()
    }
}

/// Is this session's "ID token" a SAML login?
pub fn is_saml(id_token: &str) -> bool {
    id_token.starts_with(PREFIX)
}

/// `GET /api/v1/saml/logout?return=/path`
pub async fn logout(
    State(state): State<RelayState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    if state.shared.saml.is_none() {
        return Err(RelayError::NotFound);
    }
    let https = state.shared.config.https();
    let return_path = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "return")
        .map(|(_, v)| v.into_owned())
        .filter(|p| is_return_path(p))
        .unwrap_or_else(|| "/".into());
    let ended = match session::cookie(&headers, session::cookie_name(https)) {
        Some(cookie) => {
            let id_hash = session::sha256_hex(&cookie);
            state.db.call(move |c| session::delete(c, &id_hash)).await?
        }
        None => None,
    };
    let clear = session::set_cookie(session::cookie_name(https), None, https, 0);
    let target = match ended.as_deref() {
        Some(t) => single_logout_url(&state, t, &return_path)
            .await?
            .unwrap_or_else(|| return_path.clone()),
        None => return_path.clone(),
    };
    let mut resp = Redirect::to(&target).into_response();
    resp.headers_mut().append(header::SET_COOKIE, clear);
    Ok(resp)
}

/// For an ended SAML session (`id_token` as the session kept it): the
/// IdP's single logout URL with a signed LogoutRequest, after which the IdP
/// sends the browser to `return_path` (through `GET /api/v1/saml/slo`).
/// `None` when the session was not a SAML login or the IdP offers no SLO.
pub async fn single_logout_url(
    state: &RelayState,
    id_token: &str,
    return_path: &str,
) -> Result<Option<String>, RelayError> {
    let Some(saml) = state.shared.saml.clone() else {
        return Ok(None);
    };
    let (Some(r), Ok(idp)) = (SamlSessionRef::decode(id_token), saml.idp.get().await) else {
        return Ok(None);
    };
    let Some(slo) = idp.slo_redirect.clone() else {
        return Ok(None);
    };
    let id = super::request::new_id().map_err(|e| RelayError::Internal(e.to_string()))?;
    let now = session::now();
    let xml = super::request::logout_request_xml(
        &saml.config,
        &id,
        &slo,
        &r.name_id,
        r.session_index.as_deref(),
        now,
    );
    let url = super::request::redirect_url(&slo, &xml, &saml.signing)
        .map_err(|e| RelayError::Internal(e.to_string()))?;
    let rp = return_path.to_string();
    state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM relay_saml_logout WHERE expires_at < ?1",
                params![now],
            )?;
            c.execute(
                "INSERT INTO relay_saml_logout (id, return_path, expires_at) VALUES (?1, ?2, ?3)",
                params![id, rp, now + session::LOGIN_TX_SECS],
            )
        })
        .await?;
    Ok(Some(url))
}

/// `GET /api/v1/saml/slo`: the IdP's LogoutResponse to our LogoutRequest,
/// or the IdP's own LogoutRequest ([`super::slo_idp`]).
pub async fn slo(
    State(state): State<RelayState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let saml = state.shared.saml.clone().ok_or(RelayError::NotFound)?;
    let q = q.unwrap_or_default();
    if redirect::raw_param(&q, "SAMLRequest").is_some() {
        return super::slo_idp::logout_request(&state, &saml, &headers, &q).await;
    }
    let home = || Ok(Redirect::to("/").into_response());
    let Ok(idp) = saml.idp.get().await else {
        return home();
    };
    let xml = match redirect::verify(&q, "SAMLResponse", &idp.signing_certs) {
        Ok(r) => r.xml,
        Err(BindingError::Parameter(_)) => return home(),
        Err(why) => {
            tracing::warn!(%why, "SAML LogoutResponse refused");
            return home();
        }
    };
    let request_id = match super::verify::parse_strict(&xml).ok().and_then(|d| {
        let r = d.get_root_element()?;
        (r.get_name() == "LogoutResponse"
            && r.get_attribute("Destination")
                .is_none_or(|d| d == saml.config.slo_url))
        .then(|| r.get_attribute("InResponseTo"))?
    }) {
        Some(id) => id,
        None => return home(),
    };
    let back: Option<String> = state
        .db
        .call(move |c| {
            c.query_row(
                "DELETE FROM relay_saml_logout WHERE id = ?1 RETURNING return_path",
                params![request_id],
                |r| r.get(0),
            )
            .optional()
        })
        .await?;
    Ok(Redirect::to(back.as_deref().unwrap_or("/")).into_response())
}
