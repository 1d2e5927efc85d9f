//! The identity provider (BundID broker, OIDC): login with Authorization
//! Code + PKCE (S256), the token exchange, ID token verification with
//! WebCrypto (RS256), userinfo, refresh and logout.
//!
//! Tokens live in `sessionStorage` only (never `localStorage`); see
//! docs/security.md for why.

use js_sys::{Object, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{exchange, get_json, get_json_fresh, ApiError, Req};
use crate::domain::config::AppConfig;
use crate::domain::oidc::{
    authorize_url, form_encode, parse_jws, query_param, sanitize_return_path, select_key,
    validate_claims, AuthorizeRequest, Discovery, Expected, IdTokenError, Jwk, Jwks,
};
use crate::domain::pkce::{
    challenge_from_digest, check_state, random_token, verifier_from_random, StateError,
    VERIFIER_BYTES,
};
use crate::domain::session::{Session, UserInfo};
use crate::domain::trust::TrustLevel;

/// sessionStorage key of the login in progress (state, nonce, verifier).
pub const PENDING_KEY: &str = "buergeramt.anmeldung";
/// sessionStorage key of the current login session (tokens, attributes).
pub const SESSION_KEY: &str = "buergeramt.sitzung";

/// Why a login, refresh or logout failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The provider refused (`error` of the redirect or the token endpoint).
    #[error("the identity provider answered {error}")]
    Refused { error: String },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("id token: {0}")]
    IdToken(#[from] IdTokenError),
    /// The answer came from another issuer than the one we asked (RFC 9207).
    #[error("the answer names another issuer")]
    WrongIssuer,
    /// The browser has no WebCrypto or storage (very old or locked down).
    #[error("browser: {0}")]
    Browser(String),
}

fn js_err(e: JsValue) -> AuthError {
    AuthError::Browser(
        e.as_string()
            .or_else(|| {
                e.dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
            })
            .unwrap_or_else(|| "unknown".into()),
    )
}

/// Seconds since the epoch, by this browser's clock.
pub fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

fn window() -> Result<web_sys::Window, AuthError> {
    web_sys::window().ok_or_else(|| AuthError::Browser("no window".into()))
}

fn session_storage() -> Result<web_sys::Storage, AuthError> {
    window()?
        .session_storage()
        .map_err(js_err)?
        .ok_or_else(|| AuthError::Browser("no sessionStorage".into()))
}

/// The page's origin, e.g. `http://127.0.0.1:8080`.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Absolute form of a configured base URL (it may be same-origin relative).
fn absolute(url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{}", origin(), url)
    } else {
        url.to_string()
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    crate::browser::fill_random(&mut bytes).map_err(js_err)?;
    Ok(bytes)
}

fn subtle() -> Result<web_sys::SubtleCrypto, AuthError> {
    crate::browser::subtle().map_err(js_err)
}

/// SHA-256 with WebCrypto.
pub async fn sha256(data: &[u8]) -> Result<[u8; 32], AuthError> {
    let promise = subtle()?
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(js_err)?;
    let buf = JsFuture::from(promise).await.map_err(js_err)?;
    let bytes = Uint8Array::new(&buf).to_vec();
    bytes
        .try_into()
        .map_err(|_| AuthError::Browser("digest length".into()))
}

/// The discovery document; its issuer must be the configured one.
pub async fn discovery(config: &AppConfig) -> Result<Discovery, AuthError> {
    let url = crate::domain::config::join(&config.idp, ".well-known/openid-configuration");
    let disc: Discovery = get_json(&url).await?;
    if disc.issuer.trim_end_matches('/') != absolute(&config.idp).trim_end_matches('/') {
        return Err(AuthError::WrongIssuer);
    }
    Ok(disc)
}

/// What survives the round trip to the provider (sessionStorage, one tab).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
    level: TrustLevel,
}

/// Starts a login at (at least) `level` and leaves the page for the
/// provider. After the login the citizen comes back to `return_to`.
pub async fn start_login(
    config: &AppConfig,
    level: TrustLevel,
    return_to: &str,
) -> Result<(), AuthError> {
    let disc = discovery(config).await?;
    let verifier = verifier_from_random(&random_bytes::<VERIFIER_BYTES>()?);
    let challenge = challenge_from_digest(&sha256(verifier.as_bytes()).await?);
    let pending = Pending {
        state: random_token(&random_bytes::<24>()?),
        nonce: random_token(&random_bytes::<24>()?),
        verifier,
        return_to: sanitize_return_path(return_to),
        level,
    };
    let json = serde_json::to_string(&pending).map_err(|e| AuthError::Browser(e.to_string()))?;
    session_storage()?
        .set_item(PENDING_KEY, &json)
        .map_err(js_err)?;
    let url = authorize_url(
        &disc.authorization_endpoint,
        &AuthorizeRequest {
            client_id: &config.client_id,
            redirect_uri: &config.redirect_uri,
            state: &pending.state,
            nonce: &pending.nonce,
            code_challenge: &challenge,
            level,
        },
    );
    window()?.location().assign(&url).map_err(js_err)
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: i64,
    refresh_token: String,
    id_token: String,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
}

/// POSTs a form to the token endpoint. Never repeated automatically: a
/// code is good for one exchange and a refresh token rotates.
async fn token_request(endpoint: &str, body: String) -> Result<TokenResponse, AuthError> {
    let mut req = Req {
        method: "POST",
        body: Some(body),
        ..Req::get(endpoint)
    };
    req.headers
        .push(("Content-Type", "application/x-www-form-urlencoded".into()));
    let resp = exchange(&req, false).await?;
    if !resp.ok() {
        return Err(match super::decode_json::<OAuthErrorBody>(&resp.body) {
            Ok(b) if (400..500).contains(&resp.status) && resp.status != 429 => {
                AuthError::Refused {
                    error: b.error.chars().take(40).collect(),
                }
            }
            _ => resp.status_error().into(),
        });
    }
    let tokens: TokenResponse = resp.json()?;
    if tokens
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        || tokens.expires_in <= 0
    {
        return Err(ApiError::Decode("unexpected token type or lifetime".into()).into());
    }
    Ok(tokens)
}

/// Verifies an RS256 signature over `jws.signing_input` with the JWK (WebCrypto).
pub async fn verify_signature(
    signing_input: &str,
    signature: &[u8],
    jwk: &Jwk,
) -> Result<bool, AuthError> {
    let subtle = subtle()?;
    let key_data = Object::new();
    for (k, v) in [
        ("kty", Some("RSA")),
        ("n", jwk.n.as_deref()),
        ("e", jwk.e.as_deref()),
        ("alg", Some("RS256")),
    ] {
        let v = v.ok_or(AuthError::IdToken(IdTokenError::UnknownKey))?;
        Reflect::set(&key_data, &k.into(), &v.into()).map_err(js_err)?;
    }
    Reflect::set(&key_data, &"ext".into(), &JsValue::TRUE).map_err(js_err)?;
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into()).map_err(js_err)?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into()).map_err(js_err)?;
    let usages = js_sys::Array::of1(&"verify".into());
    let key = JsFuture::from(
        subtle
            .import_key_with_object("jwk", &key_data, &algorithm, false, &usages)
            .map_err(js_err)?,
    )
    .await
    .map_err(|_| AuthError::IdToken(IdTokenError::UnknownKey))?;
    let key: web_sys::CryptoKey = key
        .dyn_into()
        .map_err(|_| AuthError::Browser("importKey".into()))?;
    let ok = JsFuture::from(
        subtle
            .verify_with_str_and_u8_array_and_u8_array(
                "RSASSA-PKCS1-v1_5",
                &key,
                signature,
                signing_input.as_bytes(),
            )
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    Ok(ok.as_bool() == Some(true))
}

/// Full ID token check against a JWKS: framing and `alg` (RS256 only), the
/// key by `kid`, the signature (WebCrypto), then the claims.
pub async fn verify_id_token(
    token: &str,
    jwks: &Jwks,
    expected: &Expected<'_>,
) -> Result<TrustLevel, AuthError> {
    let jws = parse_jws(token)?;
    let key = select_key(jwks, jws.header.kid.as_deref())?;
    if !verify_signature(&jws.signing_input, &jws.signature, key).await? {
        return Err(IdTokenError::BadSignature.into());
    }
    Ok(validate_claims(&jws.claims, expected)?)
}

async fn userinfo(endpoint: &str, access_token: &str) -> Result<UserInfo, AuthError> {
    Ok(exchange(&Req::get(endpoint).bearer(access_token), true)
        .await?
        .json()?)
}

/// Checks tokens from the token endpoint and builds the session.
async fn session_from_tokens(
    config: &AppConfig,
    disc: &Discovery,
    tokens: TokenResponse,
    nonce: &str,
    extensions: u32,
    user: Option<UserInfo>,
) -> Result<Session, AuthError> {
    let mut jwks: Jwks = get_json(&disc.jwks_uri).await?;
    // Key rotation: a token signed with a key we have not seen yet means
    // our copy of the key set is old. Fetch it once more, bypassing caches.
    let kid = parse_jws(&tokens.id_token)?.header.kid;
    if select_key(&jwks, kid.as_deref()).is_err() {
        jwks = get_json_fresh(&disc.jwks_uri).await?;
    }
    let now = now_secs();
    let level = verify_id_token(
        &tokens.id_token,
        &jwks,
        &Expected {
            issuer: &disc.issuer,
            client_id: &config.client_id,
            nonce,
            now,
        },
    )
    .await?;
    let user = match user {
        Some(u) => u,
        None => userinfo(&disc.userinfo_endpoint, &tokens.access_token).await?,
    };
    Ok(Session {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        id_token: tokens.id_token,
        nonce: nonce.to_string(),
        expires_at: now + tokens.expires_in,
        lifetime: tokens.expires_in,
        level,
        extensions,
        user,
    })
}

/// Finishes the login on `/anmelden/rueckkehr?code&state&iss`: checks
/// state and issuer, exchanges the code, verifies the ID token, fetches the
/// attributes and stores the session. Returns the path to go back to.
pub async fn complete_login(config: &AppConfig, search: &str) -> Result<String, AuthError> {
    let storage = session_storage()?;
    let pending: Option<Pending> = storage
        .get_item(PENDING_KEY)
        .map_err(js_err)?
        .and_then(|t| serde_json::from_str(&t).ok());
    // One attempt per login: a reload of the callback cannot replay it.
    let _ = storage.remove_item(PENDING_KEY);
    check_state(
        pending.as_ref().map(|p| p.state.as_str()),
        query_param(search, "state").as_deref(),
    )?;
    let Some(pending) = pending else {
        return Err(StateError::NoPendingLogin.into());
    };
    let disc = discovery(config).await?;
    if let Some(iss) = query_param(search, "iss") {
        if iss != disc.issuer {
            return Err(AuthError::WrongIssuer);
        }
    }
    if let Some(error) = query_param(search, "error") {
        return Err(AuthError::Refused {
            error: error.chars().take(40).collect(),
        });
    }
    let code = query_param(search, "code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AuthError::Refused {
            error: "invalid_request".into(),
        })?;
    let body = form_encode(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &config.redirect_uri),
        ("client_id", &config.client_id),
        ("code_verifier", &pending.verifier),
    ]);
    let tokens = token_request(&disc.token_endpoint, body).await?;
    let session = session_from_tokens(config, &disc, tokens, &pending.nonce, 0, None).await?;
    save_session(&session)?;
    Ok(pending.return_to)
}

/// "Angemeldet bleiben": the refresh grant; both tokens rotate and the
/// session gets a new end. The attributes stay as they were.
pub async fn refresh(config: &AppConfig, current: &Session) -> Result<Session, AuthError> {
    let disc = discovery(config).await?;
    let body = form_encode(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &current.refresh_token),
        ("client_id", &config.client_id),
    ]);
    let tokens = token_request(&disc.token_endpoint, body).await?;
    let session = session_from_tokens(
        config,
        &disc,
        tokens,
        &current.nonce,
        current.extensions.saturating_add(1),
        Some(current.user.clone()),
    )
    .await?;
    save_session(&session)?;
    Ok(session)
}

/// Ends the session at the provider (RP-initiated logout) after forgetting
/// it here; the provider sends the citizen back to the start page.
///
/// The ID token goes in a form POST (OpenID RP-Initiated Logout allows
/// both), never in a URL: an address lands in the history, in server logs
/// and in the address bar.
pub async fn logout(config: &AppConfig, session: Option<Session>) -> Result<(), AuthError> {
    clear_session();
    let home = format!("{}/", origin());
    let Some(session) = session else {
        return window()?.location().assign("/").map_err(js_err);
    };
    match discovery(config).await {
        Ok(Discovery {
            end_session_endpoint: Some(end),
            ..
        }) => post_form(
            &end,
            &[
                ("id_token_hint", &session.id_token),
                ("post_logout_redirect_uri", &home),
                ("client_id", &config.client_id),
            ],
        ),
        _ => window()?.location().assign("/").map_err(js_err),
    }
}

/// Sends the tab to `action` with a POSTed form of hidden fields.
fn post_form(action: &str, fields: &[(&str, &str)]) -> Result<(), AuthError> {
    let document = window()?
        .document()
        .ok_or_else(|| AuthError::Browser("no document".into()))?;
    let form = document.create_element("form").map_err(js_err)?;
    form.set_attribute("method", "post").map_err(js_err)?;
    form.set_attribute("action", action).map_err(js_err)?;
    form.set_attribute("hidden", "").map_err(js_err)?;
    for (name, value) in fields {
        let input = document.create_element("input").map_err(js_err)?;
        input.set_attribute("type", "hidden").map_err(js_err)?;
        input.set_attribute("name", name).map_err(js_err)?;
        input.set_attribute("value", value).map_err(js_err)?;
        form.append_child(&input).map_err(js_err)?;
    }
    document
        .body()
        .ok_or_else(|| AuthError::Browser("no body".into()))?
        .append_child(&form)
        .map_err(js_err)?;
    let submit = Reflect::get(&form, &JsValue::from_str("submit")).map_err(js_err)?;
    submit
        .dyn_into::<js_sys::Function>()
        .map_err(js_err)?
        .call0(&form)
        .map_err(js_err)?;
    Ok(())
}

/// The stored session of this tab, if any (expired ones included: the
/// caller decides what an expired session means).
pub fn load_session() -> Option<Session> {
    session_storage()
        .ok()?
        .get_item(SESSION_KEY)
        .ok()
        .flatten()
        .and_then(|t| Session::from_json(&t))
}

pub fn save_session(session: &Session) -> Result<(), AuthError> {
    session_storage()?
        .set_item(SESSION_KEY, &session.to_json())
        .map_err(js_err)
}

/// Forgets tokens and any login in progress. Only our own keys: drafts and
/// preferences (localStorage) are never touched.
pub fn clear_session() {
    if let Ok(s) = session_storage() {
        let _ = s.remove_item(SESSION_KEY);
        let _ = s.remove_item(PENDING_KEY);
    }
}
