//! Login, step-up, the session as the app sees it, extension and logout.
//!
//! * `GET /api/v1/login?level=…&return=/path` starts an authorization at the
//!   identity provider (a step-up is the same at a higher level) and binds
//!   it to this browser with a short-lived login cookie.
//! * `GET /api/v1/login/callback` checks `iss`, `state` and the login cookie,
//!   redeems the code, checks the ID token, fetches the attributes, replaces
//!   any earlier session of this browser with a new one (a new id: no
//!   fixation) and sends the browser back to the path it came from.

use crate::db::{params, OptionalExtension};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use contract::relay::{is_return_path, LoggedOut, SessionInfo};
use contract::trust::TrustLevel;
use serde::Deserialize;

use crate::error::RelayError;
use crate::oidc::LoginError;
use crate::session::{self, Citizen, MaybeCitizen, NewSession};
use crate::RelayState;

/// The shortest login the relay accepts from the provider (a shorter
/// `expires_in` is taken as this). Short, so that tests of the session end
/// can use a provider with half-minute logins.
const MIN_LIFETIME_SECONDS: i64 = 15;

#[derive(Deserialize)]
pub struct StartParams {
    level: Option<String>,
    #[serde(rename = "return")]
    return_path: Option<String>,
}

/// `GET /api/v1/login`
pub async fn start(
    State(state): State<RelayState>,
    Query(q): Query<StartParams>,
) -> Result<Response, RelayError> {
    let level = match q.level.as_deref() {
        None | Some("") => TrustLevel::Level1,
        Some(l) => {
            TrustLevel::parse(l).map_err(|_| RelayError::BadRequest("unknown level".into()))?
        }
    };
    let return_path = match q.return_path {
        Some(p) if is_return_path(&p) => p,
        Some(_) => {
            return Err(RelayError::BadRequest(
                "return must be a path of this site".into(),
            ))
        }
        None => "/".into(),
    };
    let config = &state.shared.config;
    if let Some(saml) = state.shared.saml.clone() {
        // SAML (issue #20): a signed AuthnRequest; its id is the
        // transaction's `state`, answered once at the ACS.
        let (url, request_id) = match saml.authn_redirect(level).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "SAML: no login possible");
                return Ok(Redirect::to(&back_to(&return_path, "dienst")).into_response());
            }
        };
        let tx = (request_id, crate::saml::TX_MARK.to_string(), String::new());
        return begin(&state, level, return_path, url, tx).await;
    }
    let (login_cookie, st, nonce, verifier) = (
        session::random_token()?,
        session::random_token()?,
        session::random_token()?,
        session::random_token()?,
    );
    let url = match state
        .shared
        .oidc
        .authorization_url(&config.callback_url(), &st, &nonce, &verifier, level)
        .await
    {
        Ok(u) => u,
        Err(e) => {
            // A navigation: back to the page, which explains, not a JSON error.
            tracing::warn!(error = %e, "the identity provider cannot be reached");
            return Ok(Redirect::to(&back_to(&return_path, "dienst")).into_response());
        }
    };
    begin_with(
        &state,
        level,
        return_path,
        url,
        login_cookie,
        (st, nonce, verifier),
    )
    .await
}

/// Keeps the login transaction (bound to a new login cookie) and sends the
/// browser to the provider.
async fn begin(
    state: &RelayState,
    level: TrustLevel,
    return_path: String,
    url: String,
    tx: (String, String, String),
) -> Result<Response, RelayError> {
    let login_cookie = session::random_token()?;
    begin_with(state, level, return_path, url, login_cookie, tx).await
}

async fn begin_with(
    state: &RelayState,
    level: TrustLevel,
    return_path: String,
    url: String,
    login_cookie: String,
    (st, nonce, verifier): (String, String, String),
) -> Result<Response, RelayError> {
    let config = &state.shared.config;
    let id_hash = session::sha256_hex(&login_cookie);
    let expires = session::now() + session::LOGIN_TX_SECS;
    state
        .db
        .call(move |c| {
            c.execute(
                "DELETE FROM relay_login_tx WHERE expires_at <= ?1",
                params![session::now()],
            )?;
            c.execute(
                "INSERT INTO relay_login_tx (id_hash, state, nonce, verifier, level, return_path, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id_hash, st, nonce, verifier, level.as_acr(), return_path, expires],
            )?;
            Ok(())
        })
        .await?;
    let mut resp = Redirect::to(&url).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            session::LOGIN_COOKIE,
            Some(&login_cookie),
            config.https(),
            session::LOGIN_TX_SECS,
        ),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

struct LoginTx {
    state: String,
    nonce: String,
    verifier: String,
    level: TrustLevel,
    return_path: String,
}

/// Back to `path` with `anmeldung=<outcome>` for the app to explain.
pub fn back_to(path: &str, outcome: &str) -> String {
    let (base, frag) = path.split_once('#').unwrap_or((path, ""));
    let sep = if base.contains('?') { '&' } else { '?' };
    let frag = if frag.is_empty() {
        String::new()
    } else {
        format!("#{frag}")
    };
    format!("{base}{sep}anmeldung={outcome}{frag}")
}

/// `GET /api/v1/login/callback`
pub async fn callback(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Query(q): Query<CallbackParams>,
) -> Result<Response, RelayError> {
    let https = state.shared.config.https();
    let redirect = |to: String, cookies: Vec<HeaderValue>| landing(https, to, cookies);
    if state.shared.saml.is_some() {
        // SAML mode: logins come back at the ACS, never here.
        return Ok(redirect(back_to("/", "ungueltig"), vec![]));
    }
    // 1. The transaction of this browser, used once.
    let Some(login_cookie) = session::cookie(&headers, session::LOGIN_COOKIE) else {
        return Ok(redirect(back_to("/", "ungueltig"), vec![]));
    };
    let id_hash = session::sha256_hex(&login_cookie);
    let tx = state
        .db
        .call(move |c| {
            // Taken and deleted in one statement: a second callback with the
            // same cookie, on this instance or another, finds nothing.
            let tx = c
                .query_row(
                    "DELETE FROM relay_login_tx WHERE id_hash = ?1
                     RETURNING state, nonce, verifier, level, return_path, expires_at",
                    params![id_hash],
                    |r| {
                        let level: String = r.get(3)?;
                        Ok((
                            LoginTx {
                                state: r.get(0)?,
                                nonce: r.get(1)?,
                                verifier: r.get(2)?,
                                level: TrustLevel::parse(&level).unwrap_or(TrustLevel::Level4),
                                return_path: r.get(4)?,
                            },
                            r.get::<_, i64>(5)?,
                        ))
                    },
                )
                .optional()?;
            Ok(tx
                .filter(|(_, expires)| *expires > session::now())
                .map(|(t, _)| t))
        })
        .await?;
    let Some(tx) = tx else {
        return Ok(redirect(back_to("/", "abgelaufen"), vec![]));
    };
    // 2. The answer belongs to it: state and issuer (RFC 9207).
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|s| session::same_secret(s, &tx.state));
    // RFC 9207: `iss` must be there when the provider advertises it (if
    // its metadata cannot be read, as if it did).
    let advertised = state
        .shared
        .oidc
        .discovery()
        .await
        .map_or(true, |d| d.authorization_response_iss_parameter_supported);
    let iss_ok = issuer_accepted(q.iss.as_deref(), state.shared.oidc.issuer(), advertised);
    if !state_ok || !iss_ok {
        tracing::warn!(state_ok, iss_ok, "login callback refused");
        return Ok(redirect(back_to(&tx.return_path, "ungueltig"), vec![]));
    }
    if let Some(e) = q.error.as_deref() {
        let outcome = if e == "access_denied" {
            "abgebrochen"
        } else {
            "fehler"
        };
        return Ok(redirect(back_to(&tx.return_path, outcome), vec![]));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 256) else {
        return Ok(redirect(back_to(&tx.return_path, "fehler"), vec![]));
    };
    // 3. Code → tokens → checked identity → attributes.
    let shared = &state.shared;
    let config = &shared.config;
    let unreachable = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "login could not be completed at the identity provider");
        redirect(back_to(&tx.return_path, "dienst"), vec![])
    };
    let tokens = match shared
        .oidc
        .exchange_code(&code, &config.callback_url(), &tx.verifier)
        .await
    {
        Ok(t) => t,
        Err(e) => return Ok(unreachable(&e)),
    };
    let Some(id_token) = tokens.id_token.clone() else {
        return Ok(redirect(back_to(&tx.return_path, "fehler"), vec![]));
    };
    let login = match shared
        .oidc
        .verify_id_token(&id_token, &tx.nonce, tx.level)
        .await
    {
        Ok(l) => l,
        Err(LoginError::LevelTooLow { .. }) => {
            return Ok(redirect(back_to(&tx.return_path, "niveau"), vec![]))
        }
        Err(LoginError::Upstream(e)) => return Ok(unreachable(&e)),
        Err(LoginError::IdToken(why)) => {
            tracing::warn!(%why, "ID token refused");
            return Ok(redirect(back_to(&tx.return_path, "fehler"), vec![]));
        }
    };
    let attributes = match shared
        .oidc
        .attributes(&tokens.access_token, &login.sub)
        .await
    {
        Ok(a) => a,
        Err(e) => return Ok(unreachable(&e)),
    };
    let lifetime = tokens
        .expires_in
        .unwrap_or(1800)
        .clamp(MIN_LIFETIME_SECONDS, 86_400);
    let new = NewSession {
        sub: login.sub,
        level: login.level,
        method: login.method,
        attributes,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        id_token,
        expires_at: session::now() + lifetime,
        device: session::device_label(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        ),
    };
    finish(&state, &headers, new, tx.return_path).await
}

/// A redirect to `to` that clears the login cookie and sets `cookies`.
pub fn landing(https: bool, to: String, cookies: Vec<HeaderValue>) -> Response {
    let mut resp = Redirect::to(&to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(session::LOGIN_COOKIE, None, https, 0),
    );
    for c in cookies {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// The end of a login, OIDC's or SAML's: a new session id, the browser's
/// earlier session (if any) ended here and at the provider, and back to
/// the page the login started from.
pub async fn finish(
    state: &RelayState,
    headers: &HeaderMap,
    new: NewSession,
    return_path: String,
) -> Result<Response, RelayError> {
    let shared = &state.shared;
    let config = &shared.config;
    let https = config.https();
    let old = session::cookie(headers, session::cookie_name(https));
    let max = config.session_max_seconds as i64;
    let (cookie, ended) = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let ended = match old {
                Some(o) => session::delete(&tx, &session::sha256_hex(&o))?,
                None => None,
            };
            let (cookie, _) = session::create(&tx, &new, max)?;
            tx.commit()?;
            Ok((cookie, ended))
        })
        .await?;
    if let Some(old_id_token) = ended {
        // The step-up's new login replaces the old one at the provider too.
        shared.oidc.end_session(&old_id_token).await;
    }
    let session_cookie = session::set_cookie(
        session::cookie_name(https),
        Some(&cookie),
        https,
        config.session_max_seconds as i64,
    );
    Ok(landing(https, return_path, vec![session_cookie]))
}

/// The authorization response's `iss` (RFC 9207): when given it must be the
/// provider's; it may be missing only when the provider does not advertise it.
pub fn issuer_accepted(given: Option<&str>, issuer: &str, advertised: bool) -> bool {
    match given {
        Some(i) => i == issuer,
        None => !advertised,
    }
}

/// `GET /api/v1/session`: reading it is no activity.
pub async fn session(
    State(state): State<RelayState>,
    MaybeCitizen(s): MaybeCitizen,
) -> Json<SessionInfo> {
    let Some(s) = s else {
        return Json(SessionInfo::anonymous());
    };
    Json(SessionInfo {
        logged_in: true,
        seconds_left: Some(s.seconds_left(session::now())),
        handle: Some(session::handle(&state.shared, &s.sub)),
        level: Some(s.level),
        method: Some(s.method.clone()),
        attributes: s.attributes.clone(),
        // Without a refresh at the provider (BundID by SAML has none) the
        // login cannot be extended: the app offers a new login instead.
        extensions_left: Some(if s.refresh_token.is_some() {
            session::MAX_EXTENSIONS.saturating_sub(s.extensions)
        } else {
            0
        }),
        auth_time: crate::oidc::auth_time_of(&s.id_token),
    })
}

/// `POST /api/v1/session/extend`: refreshes the login at the provider.
pub async fn extend(
    State(state): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    let Some(refresh) = s
        .refresh_token
        .clone()
        .filter(|_| s.extensions < session::MAX_EXTENSIONS)
    else {
        return Ok((StatusCode::CONFLICT, Json(serde_json::json!({
            "error": "no_more_extensions",
            "message": "Die Sitzung kann nicht weiter verlängert werden. Bitte melden Sie sich erneut an; Ihre Eingaben bleiben erhalten.",
            "messageEn": "The session cannot be extended any further. Please log in again; what you entered is kept.",
        }))).into_response());
    };
    let tokens = match state.shared.oidc.refresh(&refresh).await {
        Ok(t) => t,
        Err(crate::error::UpstreamError::Status { status: 400, .. }) => {
            // The provider ended the login (revoked, expired): so do we.
            let id_hash = s.id_hash.clone();
            state.db.call(move |c| session::delete(c, &id_hash)).await?;
            return Err(RelayError::LoginRequired);
        }
        Err(e) => return Err(e.into()),
    };
    let lifetime = tokens
        .expires_in
        .unwrap_or(1800)
        .clamp(MIN_LIFETIME_SECONDS, 86_400);
    let expires_at = session::now() + lifetime;
    let id_hash = s.id_hash.clone();
    state
        .db
        .call(move |c| {
            session::extended(
                c,
                &id_hash,
                &tokens.access_token,
                tokens.refresh_token.as_deref(),
                expires_at,
            )
        })
        .await?;
    let left = (expires_at.min(s.max_expires_at) - session::now()).max(0);
    Ok(Json(serde_json::json!({ "secondsLeft": left })).into_response())
}

/// `POST /api/v1/logout`: ends this session here and at the provider.
pub async fn logout(
    State(state): State<RelayState>,
    MaybeCitizen(s): MaybeCitizen,
) -> Result<Response, RelayError> {
    let https = state.shared.config.https();
    let mut ended = 0;
    let mut continue_at = None;
    if let Some(s) = s {
        let id_hash = s.id_hash.clone();
        if let Some(t) = state.db.call(move |c| session::delete(c, &id_hash)).await? {
            if crate::saml::slo::is_saml(&t) {
                // The provider's session ends in the browser (front channel).
                continue_at = crate::saml::slo::single_logout_url(&state, &t, "/")
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "SAML single logout not started");
                        None
                    });
            } else {
                state.shared.oidc.end_session(&t).await;
            }
            ended = 1;
        }
    }
    let mut resp = Json(LoggedOut { ended, continue_at }).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(session::cookie_name(https), None, https, 0),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::{back_to, issuer_accepted};

    #[test]
    fn the_issuer_is_required_when_advertised() {
        let me = "https://idp.example";
        assert!(issuer_accepted(Some(me), me, true));
        assert!(issuer_accepted(Some(me), me, false));
        assert!(!issuer_accepted(Some("https://evil.example"), me, true));
        assert!(!issuer_accepted(Some("https://evil.example"), me, false));
        assert!(!issuer_accepted(None, me, true), "advertised: required");
        assert!(
            issuer_accepted(None, me, false),
            "not advertised: may be missing"
        );
    }

    #[test]
    fn outcome_goes_before_the_fragment() {
        assert_eq!(back_to("/", "abgebrochen"), "/?anmeldung=abgebrochen");
        assert_eq!(back_to("/a?b=1#c", "fehler"), "/a?b=1&anmeldung=fehler#c");
        assert_eq!(back_to("/a#x?y", "niveau"), "/a?anmeldung=niveau#x?y");
    }
}
