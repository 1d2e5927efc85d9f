//! The protocol endpoints: discovery, JWKS and token here; userinfo and
//! end_session in modules of their own.

mod end_session;
mod userinfo;

use axum::{
    extract::{rejection::FormRejection, Form, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

use super::clients;
use super::store::{self, CodeRow, SessionRow};
use super::{now_secs, s256, valid_pkce_value, Idp, LoginMethod, TrustLevel, MAX_REFRESHES};
use crate::AppState;

/// The attributes of BundID with their OIDs, in the order they are listed
/// (one table for OIDC and SAML: `contract::saml`).
pub use contract::saml::ATTRIBUTES;
pub use end_session::{end_session_get, end_session_post};
pub use userinfo::{attributes_for, userinfo, Attribute};

fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

// ---------------------------------------------------------------- discovery

/// `GET /idp/.well-known/openid-configuration`
pub async fn discovery(Extension(idp): Extension<Arc<Idp>>) -> Response {
    let iss = &idp.issuer;
    let claims: Vec<&str> = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "sid",
    ]
    .into_iter()
    .chain(ATTRIBUTES.iter().map(|(n, _)| *n))
    .collect();
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "end_session_endpoint": format!("{iss}/end_session"),
            "jwks_uri": format!("{iss}/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": TrustLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "scopes_supported": super::login::SCOPES,
            "claims_supported": claims,
            "prompt_values_supported": ["login"],
            "authorization_response_iss_parameter_supported": true,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "ui_locales_supported": ["de"],
        })),
    )
        .into_response()
}

/// `GET /idp/jwks`
pub async fn jwks(Extension(idp): Extension<Arc<Idp>>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(idp.key.jwks()),
    )
        .into_response()
}

// ---------------------------------------------------------------- token

/// An OAuth 2.0 error answer of the token endpoint (RFC 6749 §5.2); it also
/// carries `message` like every other error of the stand-in.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "idp token endpoint failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "internal error".into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        no_store(
            (
                self.status,
                Json(json!({
                    "error": self.error,
                    "error_description": self.description,
                    "message": self.description,
                })),
            )
                .into_response(),
        )
    }
}

#[derive(Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    pub nonce: String,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: String,
}

/// `POST /idp/token`
pub async fn token(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    match token_inner(&state, &idp, &headers, form).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn token_inner(
    state: &AppState,
    idp: &Idp,
    headers: &HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Ok(Form(pairs)) = form else {
        return Err(OAuthError::new(
            "invalid_request",
            "expected an application/x-www-form-urlencoded body",
        ));
    };
    let mut p: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        if p.contains_key(&k) {
            return Err(OAuthError::new(
                "invalid_request",
                format!("parameter {k} repeated"),
            ));
        }
        p.insert(k, v);
    }
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let Some(auth) = clients::client_auth(headers, get("client_id"), get("client_secret")) else {
        if get("client_id").is_empty() {
            return Err(OAuthError::new("invalid_request", "client_id is required"));
        }
        return Err(OAuthError::new(
            "invalid_client",
            "client_id differs from the HTTP Basic credentials",
        ));
    };
    if auth.ambiguous {
        return Err(OAuthError::new(
            "invalid_request",
            "use one client authentication method, not two",
        ));
    }
    let client_id = auth.client_id.clone();
    match (state.config.clients.secret_of(&client_id), &auth.secret) {
        (Some(expected), Some(given)) if clients::secret_matches(given, expected) => {}
        (Some(_), _) => {
            return Err(OAuthError::new(
                "invalid_client",
                "client authentication failed",
            ))
        }
        (None, Some(_)) => {
            return Err(OAuthError::new(
                "invalid_client",
                "this client is public and has no secret",
            ))
        }
        (None, None) => {}
    }
    let c = client_id.clone();
    let known = state
        .db
        .call(move |conn| store::client_exists(conn, &c))
        .await
        .map_err(OAuthError::internal)?;
    if !known {
        return Err(OAuthError::new("invalid_client", "unknown client"));
    }
    match get("grant_type") {
        "authorization_code" => {
            exchange_code(
                state,
                idp,
                &client_id,
                get("code"),
                get("redirect_uri"),
                get("code_verifier"),
            )
            .await
        }
        "refresh_token" => refresh(state, idp, &client_id, get("refresh_token")).await,
        "client_credentials" => client_credentials(state, &client_id, get("scope")).await,
        "" => Err(OAuthError::new("invalid_request", "grant_type is required")),
        _ => Err(OAuthError::new(
            "unsupported_grant_type",
            "only authorization_code, refresh_token and client_credentials are supported",
        )),
    }
}

/// The `client_credentials` grant (RFC 6749 §4.4) for service clients.
async fn client_credentials(
    state: &AppState,
    client_id: &str,
    scope: &str,
) -> Result<Response, OAuthError> {
    let allowed = clients::ServerClients::service_scopes(client_id);
    if allowed.is_empty() {
        return Err(OAuthError::new(
            "unauthorized_client",
            "this client may not use the client_credentials grant",
        ));
    }
    let mut granted: Vec<&str> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.contains(&s) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("scope {s} is not available to this client"),
            ));
        }
        if !granted.contains(&s) {
            granted.push(s);
        }
    }
    if granted.is_empty() {
        granted = allowed.to_vec();
    }
    let scope = granted.join(" ");
    let (c, sc) = (client_id.to_string(), scope.clone());
    let lifetime = state.config.clients.service_token_seconds;
    let (token, expires_in) = state
        .db
        .call(move |conn| clients::issue_service_token(conn, &c, &sc, lifetime))
        .await
        .map_err(OAuthError::internal)?;
    Ok(no_store(
        Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": scope,
        }))
        .into_response(),
    ))
}

async fn exchange_code(
    state: &AppState,
    idp: &Idp,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Response, OAuthError> {
    if code.is_empty() || code.len() > 128 {
        return Err(OAuthError::new("invalid_request", "code is required"));
    }
    if verifier.is_empty() {
        return Err(OAuthError::new(
            "invalid_request",
            "code_verifier is required (PKCE)",
        ));
    }
    let now = now_secs();
    let lifetime = idp.session_seconds;
    let (code, client_id, redirect_uri, verifier) = (
        code.to_string(),
        client_id.to_string(),
        redirect_uri.to_string(),
        verifier.to_string(),
    );
    let outcome = state
        .db
        .call(move |conn| {
            let tx = conn.transaction()?;
            let Some(row) = store::take_code(&tx, &code)? else {
                return Ok(Err("the authorization code is unknown"));
            };
            if row.used {
                // Replay: the code was redeemed before. Revoke what it gave.
                if let Some(sid) = &row.session_id {
                    store::revoke_session(&tx, sid)?;
                }
                tx.commit()?;
                return Ok(Err(
                    "the authorization code was already used; tokens issued from it are revoked",
                ));
            }
            let problem = check_code(&row, now, &client_id, &redirect_uri, &verifier);
            if let Some(p) = problem {
                tx.commit()?;
                return Ok(Err(p));
            }
            let expires_at = now + lifetime;
            let sid = store::create_session(
                &tx,
                row.citizen_id,
                &row.client_id,
                &row.scope,
                &row.nonce,
                &row.method,
                &row.acr,
                row.auth_time,
                expires_at,
            )?;
            store::link_code_to_session(&tx, &code, &sid)?;
            let (access, refresh) = store::issue_tokens(&tx, &sid, expires_at)?;
            let session = store::session(&tx, &sid)?;
            let ids = store::citizen_ids(&tx, row.citizen_id)?;
            tx.commit()?;
            Ok(Ok((access, refresh, session, ids.sub)))
        })
        .await
        .map_err(OAuthError::internal)?;
    let (access, refresh, session, sub) =
        outcome.map_err(|m| OAuthError::new("invalid_grant", m))?;
    let Some(session) = session else {
        return Err(OAuthError::internal("session vanished"));
    };
    token_response(idp, &session, &sub, &access, &refresh, now)
}

fn check_code(
    row: &CodeRow,
    now: i64,
    client_id: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Option<&'static str> {
    if row.expires_at <= now {
        return Some("the authorization code has expired");
    }
    if row.client_id != client_id {
        return Some("the code was issued to another client");
    }
    if row.redirect_uri != redirect_uri {
        return Some("redirect_uri does not match the authorization request");
    }
    if !valid_pkce_value(verifier, true) || s256(verifier) != row.code_challenge {
        return Some("code_verifier does not match the code_challenge");
    }
    None
}

fn token_response(
    idp: &Idp,
    s: &SessionRow,
    sub: &str,
    access: &str,
    refresh: &str,
    now: i64,
) -> Result<Response, OAuthError> {
    let amr = LoginMethod::parse(&s.method)
        .map(|m| m.amr().iter().map(|a| a.to_string()).collect())
        .unwrap_or_default();
    let claims = IdClaims {
        iss: idp.issuer.clone(),
        sub: sub.to_string(),
        aud: s.client_id.clone(),
        exp: s.expires_at,
        iat: now,
        auth_time: s.auth_time,
        nonce: s.nonce.clone(),
        acr: s.acr.clone(),
        amr,
        sid: s.id.clone(),
    };
    let id_token = idp.key.sign(&claims).map_err(OAuthError::internal)?;
    Ok(no_store(
        Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": (s.expires_at - now).max(0),
            "refresh_token": refresh,
            "id_token": id_token,
            "scope": s.scope,
        }))
        .into_response(),
    ))
}

async fn refresh(
    state: &AppState,
    idp: &Idp,
    client_id: &str,
    refresh_token: &str,
) -> Result<Response, OAuthError> {
    if refresh_token.is_empty() || refresh_token.len() > 128 {
        return Err(OAuthError::new(
            "invalid_request",
            "refresh_token is required",
        ));
    }
    let now = now_secs();
    let lifetime = idp.session_seconds;
    let (token, client_id) = (refresh_token.to_string(), client_id.to_string());
    let outcome = state
        .db
        .call(move |conn| {
            let tx = conn.transaction()?;
            let Some(t) = store::token(&tx, &token, "refresh")? else {
                return Ok(Err("the refresh token is unknown"));
            };
            let Some(s) = store::session(&tx, &t.session_id)? else {
                return Ok(Err("the refresh token is unknown"));
            };
            if t.revoked {
                // A rotated-away token came back: treat as stolen, end the session.
                store::revoke_session(&tx, &s.id)?;
                tx.commit()?;
                return Ok(Err(
                    "the refresh token was already used; the session is revoked",
                ));
            }
            if s.revoked || s.expires_at <= now || t.expires_at <= now {
                return Ok(Err("the session has ended; please log in again"));
            }
            if s.client_id != client_id {
                return Ok(Err("the refresh token belongs to another client"));
            }
            if s.refreshes >= MAX_REFRESHES {
                return Ok(Err(
                    "the session cannot be extended any further; please log in again",
                ));
            }
            let expires_at = now + lifetime;
            store::extend_session(&tx, &s.id, expires_at)?;
            let (access, refresh) = store::issue_tokens(&tx, &s.id, expires_at)?;
            let session = store::session(&tx, &s.id)?;
            let ids = store::citizen_ids(&tx, s.citizen_id)?;
            tx.commit()?;
            Ok(Ok((access, refresh, session, ids.sub)))
        })
        .await
        .map_err(OAuthError::internal)?;
    let (access, refresh, session, sub) =
        outcome.map_err(|m| OAuthError::new("invalid_grant", m))?;
    let Some(session) = session else {
        return Err(OAuthError::internal("session vanished"));
    };
    token_response(idp, &session, &sub, &access, &refresh, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_row(expires_at: i64) -> CodeRow {
        CodeRow {
            client_id: "app".into(),
            redirect_uri: "https://x/cb".into(),
            scope: "openid".into(),
            nonce: "n".into(),
            code_challenge: s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            citizen_id: 1,
            method: "password".into(),
            acr: "STORK-QAA-Level-1".into(),
            auth_time: 0,
            expires_at,
            used: false,
            session_id: None,
        }
    }

    #[test]
    fn codes_expire_and_must_match_client_uri_and_verifier() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let row = code_row(1_000 + super::super::CODE_TTL_SECS);
        assert_eq!(check_code(&row, 1_000, "app", "https://x/cb", v), None);
        assert!(
            check_code(&row, 1_060, "app", "https://x/cb", v).is_some(),
            "expired after 60 s"
        );
        assert!(check_code(&row, 1_000, "other", "https://x/cb", v).is_some());
        assert!(check_code(&row, 1_000, "app", "https://x/cb/", v).is_some());
        assert!(check_code(&row, 1_000, "app", "https://x/cb", "short").is_some());
    }
}
