//! `/idp/authorize` and the login pages behind it.
//!
//! A valid authorize request becomes a *login transaction*: a random id (in
//! the page URLs) plus a random CSRF value that is set as an HttpOnly,
//! SameSite cookie for `/idp` and repeated in every form. A POST counts only
//! when both match the transaction (stored hashed), so a login form cannot be
//! posted from elsewhere or into another browser's transaction.

use axum::{
    extract::{rejection::FormRejection, rejection::QueryRejection, Form, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use std::collections::HashMap;
use std::sync::Arc;

use super::limits::{self, Action, Client};
use super::pages::{self, alert, Kind};
use super::store::{self, LoginTx};
use super::{
    hash_secret, now_secs, random_token, valid_pkce_value, with_query, Idp, LoginMethod,
    TrustLevel, CODE_TTL_SECS, LOCK_SECS, LOGIN_TX_TTL_SECS, MAX_PASSWORD_FAILURES,
};
use crate::html::cookie_value;
use crate::static_files::Site;
use crate::AppState;

/// Scopes we know; `openid` is required.
pub const SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone"];

pub(super) fn css(site: &Site) -> Vec<String> {
    site.stylesheets()
}

pub(super) fn internal(site: &Site, detail: impl std::fmt::Display) -> Response {
    tracing::error!(%detail, "idp internal error");
    pages::error_page(
        &css(site),
        StatusCode::INTERNAL_SERVER_ERROR,
        "Technischer Fehler",
        "Die Anmeldung ist gerade nicht möglich. Bitte versuchen Sie es später erneut.",
    )
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub(super) fn cookie_name(tx_id: &str) -> String {
    let short: String = tx_id.chars().take(16).collect();
    format!("idp_tx_{short}")
}

// ---------------------------------------------------------------- authorize

/// `GET /idp/authorize`
pub async fn authorize(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let refuse = |text: &str| {
        pages::error_page(
            &css(&site),
            StatusCode::BAD_REQUEST,
            "Die Anmeldeanfrage ist ungültig",
            text,
        )
    };
    let Ok(Query(pairs)) = query else {
        return refuse("Die Anfrage enthält ungültige Parameter.");
    };
    let mut params: HashMap<&str, &str> = HashMap::new();
    for (k, v) in &pairs {
        if params.insert(k.as_str(), v.as_str()).is_some() {
            return refuse(&format!("Der Parameter „{k}“ kommt mehrfach vor."));
        }
    }
    // 1. Client and redirect URI: errors here never redirect.
    let client_id = params.get("client_id").copied().unwrap_or("").to_string();
    let redirect_uri = params
        .get("redirect_uri")
        .copied()
        .unwrap_or("")
        .to_string();
    if client_id.is_empty() {
        return refuse("Es fehlt die Kennung der Anwendung (client_id).");
    }
    let (c, r) = (client_id.clone(), redirect_uri.clone());
    let checked = state
        .db
        .call(move |conn| {
            Ok((
                store::client_exists(conn, &c)?,
                store::uri_registered(conn, &c, "redirect", &r)?,
            ))
        })
        .await;
    let (known, registered) = match checked {
        Ok(v) => v,
        Err(e) => return internal(&site, e),
    };
    if !known {
        return refuse("Die anfragende Anwendung ist nicht registriert (unbekannte client_id).");
    }
    if redirect_uri.is_empty() || !registered {
        return refuse("Die Rücksprungadresse (redirect_uri) ist für diese Anwendung nicht registriert. Aus Sicherheitsgründen wird nicht dorthin weitergeleitet.");
    }
    // 2. From here on, errors go back to the application.
    let state_param = params.get("state").copied().unwrap_or("").to_string();
    let back = |error: &str, description: &str| {
        let mut q: Vec<(&str, &str)> = vec![("error", error), ("error_description", description)];
        if !state_param.is_empty() {
            q.push(("state", &state_param));
        }
        q.push(("iss", &idp.issuer));
        see_other(&with_query(&redirect_uri, &q))
    };
    match params.get("response_type").copied() {
        Some("code") => {}
        Some(_) => {
            return back(
                "unsupported_response_type",
                "only response_type=code is supported",
            )
        }
        None => return back("invalid_request", "response_type is missing"),
    }
    if state_param.is_empty() || state_param.len() > 512 {
        return back(
            "invalid_request",
            "state is required (at most 512 characters)",
        );
    }
    let nonce = params.get("nonce").copied().unwrap_or("");
    if nonce.is_empty() || nonce.len() > 512 {
        return back(
            "invalid_request",
            "nonce is required (at most 512 characters)",
        );
    }
    let scope = params.get("scope").copied().unwrap_or("");
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !scopes.contains(&"openid") {
        return back("invalid_scope", "scope must include openid");
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(s)) {
        return back("invalid_scope", &format!("unknown scope {bad}"));
    }
    let challenge = params.get("code_challenge").copied().unwrap_or("");
    if challenge.is_empty() {
        return back("invalid_request", "code_challenge is required (PKCE)");
    }
    if !valid_pkce_value(challenge, false) {
        return back(
            "invalid_request",
            "code_challenge must be 43 to 128 base64url characters",
        );
    }
    match params.get("code_challenge_method").copied() {
        Some("S256") => {}
        Some(_) => return back("invalid_request", "code_challenge_method must be S256"),
        None => return back("invalid_request", "code_challenge_method=S256 is required"),
    }
    let needed = match params.get("acr_values").copied() {
        None | Some("") => TrustLevel::Level1,
        Some(v) => match v.parse::<TrustLevel>() {
            Ok(l) => l,
            Err(_) => return back(
                "invalid_request",
                "acr_values must be one of STORK-QAA-Level-1, STORK-QAA-Level-3, STORK-QAA-Level-4",
            ),
        },
    };
    match params.get("prompt").copied() {
        None | Some("") | Some("login") => {}
        Some("none") => {
            return back(
                "login_required",
                "no single sign-on: the citizen must log in",
            )
        }
        Some(_) => return back("invalid_request", "prompt may only be login"),
    }
    // 3. A login transaction, bound to this browser by a cookie.
    let csrf = random_token();
    let tx = LoginTx {
        id: random_token(),
        csrf_hash: hash_secret(&csrf),
        client_id,
        redirect_uri: redirect_uri.clone(),
        scope: scopes.join(" "),
        state: state_param.clone(),
        nonce: nonce.to_string(),
        code_challenge: challenge.to_string(),
        acr_requested: needed.as_str().to_string(),
        expires_at: now_secs() + LOGIN_TX_TTL_SECS,
        completed: false,
    };
    let tx_id = tx.id.clone();
    if let Err(e) = state.db.call(move |conn| store::insert_tx(conn, &tx)).await {
        return internal(&site, e);
    }
    begin(&state, &tx_id, &csrf)
}

/// The answer that starts a stored login transaction: 303 to its login page
/// with the cookie that binds it to this browser (OIDC and SAML alike).
pub(super) fn begin(state: &AppState, tx_id: &str, csrf: &str) -> Response {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={csrf}; Max-Age={LOGIN_TX_TTL_SECS}; Path=/idp; HttpOnly; SameSite=Lax{secure}",
        cookie_name(tx_id)
    );
    let mut resp = see_other(&format!("/idp/login/{tx_id}"));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

// ---------------------------------------------------------------- transaction checks

/// A login transaction that this browser may continue.
pub(super) struct Active {
    pub(super) tx: LoginTx,
    pub(super) csrf: String,
    pub(super) needed: TrustLevel,
    /// This browser's SAML single sign-on cookie, if it sent one
    /// (`saml::browser`): a SAML login links the browser's sessions to it.
    pub(super) saml_browser: Option<String>,
}

/// Loads the transaction and checks the cookie (and, for POSTs, the form's
/// CSRF field). Errors are complete pages.
pub(super) async fn active(
    state: &AppState,
    site: &Site,
    tx_id: &str,
    headers: &HeaderMap,
    form_csrf: Option<&str>,
) -> Result<Active, Response> {
    let restart = |title: &str, text: &str, status: StatusCode| {
        pages::error_page(&css(site), status, title, text)
    };
    if tx_id.len() > 64 {
        return Err(restart(
            "Anmeldung nicht gefunden",
            "Diese Anmeldung ist unbekannt.",
            StatusCode::NOT_FOUND,
        ));
    }
    let id = tx_id.to_string();
    let tx = match state.db.call(move |conn| store::get_tx(conn, &id)).await {
        Ok(Some(tx)) => tx,
        Ok(None) => {
            return Err(restart(
                "Anmeldung nicht gefunden",
                "Diese Anmeldung ist unbekannt oder abgelaufen.",
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => return Err(internal(site, e)),
    };
    if tx.completed {
        return Err(restart(
            "Anmeldung bereits abgeschlossen",
            "Diese Anmeldung wurde schon abgeschlossen und kann nicht noch einmal verwendet werden.",
            StatusCode::CONFLICT,
        ));
    }
    if tx.expires_at <= now_secs() {
        return Err(restart(
            "Anmeldung abgelaufen",
            "Die Zeit für diese Anmeldung ist abgelaufen.",
            StatusCode::GONE,
        ));
    }
    let cookie = cookie_value(headers, &cookie_name(&tx.id));
    let Some(csrf) = cookie.filter(|c| hash_secret(c) == tx.csrf_hash) else {
        return Err(restart(
            "Anmeldung nicht zuzuordnen",
            "Diese Anmeldung wurde in einem anderen Browser oder Fenster begonnen, oder Cookies sind blockiert. Aus Sicherheitsgründen wird sie hier nicht fortgesetzt.",
            StatusCode::FORBIDDEN,
        ));
    };
    if let Some(f) = form_csrf {
        if f != csrf {
            return Err(restart(
                "Formular ungültig",
                "Das Formular gehört nicht zu dieser Anmeldung.",
                StatusCode::FORBIDDEN,
            ));
        }
    }
    let Ok(needed) = tx.acr_requested.parse::<TrustLevel>() else {
        return Err(internal(site, "stored acr is invalid"));
    };
    Ok(Active {
        tx,
        csrf,
        needed,
        saml_browser: super::saml::browser::token(headers),
    })
}

pub(super) type FormMap = Result<Form<HashMap<String, String>>, FormRejection>;

pub(super) fn form_fields(form: FormMap) -> HashMap<String, String> {
    form.map(|Form(m)| m).unwrap_or_default()
}

pub(super) fn field<'a>(m: &'a HashMap<String, String>, name: &str) -> &'a str {
    m.get(name).map(String::as_str).unwrap_or("")
}

/// Shows the login page (optionally with a notice) with the given status.
pub(super) async fn render_login(
    state: &AppState,
    site: &Site,
    a: &Active,
    notice: Option<String>,
    username: &str,
    status: StatusCode,
) -> Response {
    let now = now_secs();
    let certs = match state.db.call(|conn| store::elster_certs(conn)).await {
        Ok(v) => v,
        Err(e) => return internal(site, e),
    };
    let view = pages::LoginView {
        tx: &a.tx.id,
        csrf: &a.csrf,
        needed: a.needed,
        notice,
        username,
        certs: certs
            .into_iter()
            .map(|c| pages::CertChoice {
                id: c.cert_id,
                label: c.label,
                locked_minutes: (c.locked_until > now).then(|| minutes_left(c.locked_until, now)),
            })
            .collect(),
    };
    let mut body = pages::login_page(&view);
    if a.tx.scope == super::saml::SCOPE {
        body.push_str(&super::saml::cancel_form(&a.tx.id, &a.csrf));
    }
    pages::page(status, &css(site), "Anmelden mit BundID", &body)
}

/// An argon2 hash of nothing in particular, to verify against for unknown usernames.
pub(super) fn dummy_hash() -> Option<&'static str> {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| super::hash_password(&random_token()).ok())
        .as_deref()
}

pub(super) fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now) + 59) / 60
}

pub(super) fn refuse_level(site: &Site, a: &Active, method: LoginMethod) -> Response {
    pages::page(
        StatusCode::FORBIDDEN,
        &css(site),
        "Vertrauensniveau nicht ausreichend",
        &pages::level_refused(&a.tx.id, method, a.needed),
    )
}

/// Counts one `action` of `client`; over its limit, the answer: the login
/// page with a notice, 429 and `Retry-After`.
pub(super) async fn over_limit(
    state: &AppState,
    site: &Site,
    a: &Active,
    action: Action,
    client: Client,
) -> Option<Response> {
    let limits = state.config.idp_limits;
    let now = now_secs();
    let counted = state
        .db
        .call(move |conn| limits::hit(conn, &limits, action, &client, now))
        .await;
    let secs = match counted {
        Ok(Ok(())) => return None,
        Ok(Err(secs)) => secs,
        Err(e) => return Some(internal(site, e)),
    };
    let minutes = secs.div_ceil(60);
    let notice = alert(
        Kind::Danger,
        "Zu viele Versuche von Ihrem Anschluss",
        &format!(
            "Von Ihrem Internetanschluss kamen in kurzer Zeit sehr viele Anmelde- oder Registrierungsversuche. Bitte versuchen Sie es in etwa {minutes} Minute(n) erneut."
        ),
    );
    let page = render_login(
        state,
        site,
        a,
        Some(notice),
        "",
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    Some(limits::with_retry_after(page, secs))
}

pub(super) async fn finish(
    state: &AppState,
    idp: &Idp,
    site: &Site,
    a: &Active,
    citizen_id: i64,
    method: LoginMethod,
) -> Response {
    if let Some(r) = super::saml::finish(state, &idp.saml, site, a, citizen_id, method).await {
        return r;
    }
    let tx_id = a.tx.id.clone();
    let now = now_secs();
    let done = state
        .db
        .call(move |conn| store::complete_tx(conn, &tx_id, citizen_id, method, now, CODE_TTL_SECS))
        .await;
    let (code, tx) = match done {
        Ok(Some(v)) => v,
        Ok(None) => {
            return pages::error_page(
                &css(site),
                StatusCode::CONFLICT,
                "Anmeldung bereits abgeschlossen",
                "Diese Anmeldung wurde schon abgeschlossen.",
            )
        }
        Err(e) => return internal(site, e),
    };
    let location = with_query(
        &tx.redirect_uri,
        &[("code", &code), ("state", &tx.state), ("iss", &idp.issuer)],
    );
    let mut resp = see_other(&location);
    let clear = format!(
        "{}=; Max-Age=0; Path=/idp; HttpOnly; SameSite=Lax",
        cookie_name(&tx.id)
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

// ---------------------------------------------------------------- pages

/// `GET /idp/login/{tx}`
pub async fn login_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match active(&state, &site, &tx_id, &headers, None).await {
        Ok(a) => render_login(&state, &site, &a, None, "", StatusCode::OK).await,
        Err(r) => r,
    }
}

/// The notice for a username locked until `until`: the same for every
/// username, whether or not an account has it.
fn locked_notice(until: i64, now: i64) -> String {
    alert(
        Kind::Danger,
        "Anmeldung vorübergehend gesperrt",
        &format!(
            "Nach 5 falschen Passwörtern ist die Anmeldung mit diesem Benutzernamen noch etwa {} Minuten gesperrt. Versuchen Sie es danach erneut oder melden Sie sich mit ELSTER oder dem Online-Ausweis an.",
            minutes_left(until, now)
        ),
    )
}

/// `POST /idp/login/{tx}/password`
///
/// Wrong passwords are counted per username typed, whether or not an
/// account has it, and an unknown username costs the same hashing time:
/// status, page and `Retry-After` do not tell which usernames exist.
pub async fn password_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    client: Client,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = form_fields(form);
    let a = match active(&state, &site, &tx_id, &headers, Some(field(&f, "csrf"))).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Password.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Password);
    }
    if let Some(r) = over_limit(&state, &site, &a, Action::Login, client).await {
        return r;
    }
    let username = field(&f, "username").trim().to_lowercase();
    let password = field(&f, "password").to_string();
    let wrong = || {
        Some(alert(
            Kind::Danger,
            "Anmeldung fehlgeschlagen",
            "Benutzername oder Passwort ist falsch. Nach 5 Fehlversuchen wird die Anmeldung mit diesem Benutzernamen für 15 Minuten gesperrt.",
        ))
    };
    if username.is_empty() || password.is_empty() || username.len() > 64 || password.len() > 256 {
        return render_login(
            &state,
            &site,
            &a,
            wrong(),
            &username,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let locked = |until: i64, now: i64| {
        let (state, site, a, username) = (&state, &site, &a, &username);
        async move {
            let page = render_login(
                state,
                site,
                a,
                Some(locked_notice(until, now)),
                username,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
            limits::with_retry_after(page, u64::try_from(until - now).unwrap_or(1))
        }
    };
    let (u, now) = (username.clone(), now_secs());
    let looked_up = state
        .db
        .call(move |conn| {
            let count = limits::count(conn, limits::Kind::Password, &u, now)?;
            if count.locked_until > now {
                return Ok(Err(count.locked_until));
            }
            if !limits::reserve(conn, limits::Kind::Password, &u, now, MAX_PASSWORD_FAILURES)? {
                // Parallel guesses used up the attempts before the lock was written.
                return Ok(Err(now + LOCK_SECS));
            }
            Ok(Ok(store::account(conn, &u)?))
        })
        .await;
    let account = match looked_up {
        Ok(Ok(account)) => account,
        Ok(Err(until)) => return locked(until, now).await,
        Err(e) => return internal(&site, e),
    };
    let right = match &account {
        Some(acc) => super::verify_password_async(password, acc.password_hash.clone()).await,
        None => {
            // Spend the same time as for a real account.
            if let Some(dummy) = dummy_hash() {
                super::verify_password_async(password, dummy.to_string()).await;
            }
            false
        }
    };
    if let (true, Some(acc)) = (right, &account) {
        let u = username.clone();
        if let Err(e) = state
            .db
            .call(move |conn| limits::clear(conn, limits::Kind::Password, &u))
            .await
        {
            return internal(&site, e);
        }
        return finish(
            &state,
            &idp,
            &site,
            &a,
            acc.citizen_id,
            LoginMethod::Password,
        )
        .await;
    }
    let u = username.clone();
    let counted = state
        .db
        .call(move |conn| {
            limits::failed(
                conn,
                limits::Kind::Password,
                &u,
                now,
                MAX_PASSWORD_FAILURES,
                Some(LOCK_SECS),
            )
        })
        .await;
    match counted {
        Ok(c) if c.locked_until > now => locked(c.locked_until, now).await,
        Ok(_) => {
            render_login(
                &state,
                &site,
                &a,
                wrong(),
                &username,
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Err(e) => internal(&site, e),
    }
}
