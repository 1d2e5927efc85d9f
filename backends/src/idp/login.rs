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

use super::pages::{self, alert, Kind};
use super::store::{self, LockTable, LoginTx};
use super::{
    hash_secret, now_secs, random_token, valid_pkce_value, with_query, Idp, LoginMethod,
    TrustLevel, CODE_TTL_SECS, LOCK_SECS, LOGIN_TX_TTL_SECS, MAX_EID_PIN_FAILURES,
    MAX_PASSWORD_FAILURES,
};
use crate::html::cookie_value;
use crate::static_files::Site;
use crate::AppState;

/// Scopes we know; `openid` is required.
pub const SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone"];

fn css(site: &Site) -> Vec<String> {
    site.stylesheets()
}

fn internal(site: &Site, detail: impl std::fmt::Display) -> Response {
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

fn cookie_name(tx_id: &str) -> String {
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
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={csrf}; Max-Age={LOGIN_TX_TTL_SECS}; Path=/idp; HttpOnly; SameSite=Lax{secure}",
        cookie_name(&tx_id)
    );
    let mut resp = see_other(&format!("/idp/login/{tx_id}"));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

// ---------------------------------------------------------------- transaction checks

/// A login transaction that this browser may continue.
struct Active {
    tx: LoginTx,
    csrf: String,
    needed: TrustLevel,
}

/// Loads the transaction and checks the cookie (and, for POSTs, the form's
/// CSRF field). Errors are complete pages.
async fn active(
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
    Ok(Active { tx, csrf, needed })
}

type FormMap = Result<Form<HashMap<String, String>>, FormRejection>;

fn form_fields(form: FormMap) -> HashMap<String, String> {
    form.map(|Form(m)| m).unwrap_or_default()
}

fn field<'a>(m: &'a HashMap<String, String>, name: &str) -> &'a str {
    m.get(name).map(String::as_str).unwrap_or("")
}

/// Shows the login page (optionally with a notice) with the given status.
async fn render_login(
    state: &AppState,
    site: &Site,
    a: &Active,
    notice: Option<String>,
    username: &str,
    status: StatusCode,
) -> Response {
    let now = now_secs();
    let lists = state
        .db
        .call(|conn| Ok((store::elster_certs(conn)?, store::eid_cards(conn)?)))
        .await;
    let (certs, cards) = match lists {
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
        cards: cards
            .into_iter()
            .map(|c| pages::CardChoice {
                id: c.card_id,
                label: c.label,
                blocked: c.wrong_pins >= MAX_EID_PIN_FAILURES,
            })
            .collect(),
    };
    pages::page(
        status,
        &css(site),
        "Anmelden mit BundID",
        &pages::login_page(&view),
    )
}

/// An argon2 hash of nothing in particular, to verify against for unknown usernames.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| super::hash_password(&random_token()).ok())
        .as_deref()
}

fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now) + 59) / 60
}

fn refuse_level(site: &Site, a: &Active, method: LoginMethod) -> Response {
    pages::page(
        StatusCode::FORBIDDEN,
        &css(site),
        "Vertrauensniveau nicht ausreichend",
        &pages::level_refused(&a.tx.id, method, a.needed),
    )
}

/// Completes the transaction for `citizen_id` and sends the browser back to
/// the application with the code.
/// Counts a wrong password or PIN against `key`; `Some(until)` when this
/// failure locked it.
async fn note_failure(
    state: &AppState,
    table: LockTable,
    key: String,
    now: i64,
) -> Result<Option<i64>, crate::db::DbError> {
    state
        .db
        .call(move |conn| {
            store::record_failure(conn, table, &key, now, MAX_PASSWORD_FAILURES, LOCK_SECS)
        })
        .await
}

/// Counts an attempt at `key` before its secret is checked; `false`: locked.
async fn reserve(
    state: &AppState,
    table: LockTable,
    key: String,
    now: i64,
) -> Result<bool, crate::db::DbError> {
    state
        .db
        .call(move |conn| store::reserve_attempt(conn, table, &key, now, MAX_PASSWORD_FAILURES))
        .await
}

/// A correct password or PIN: forget earlier failures of `key`, then finish
/// the login.
#[allow(clippy::too_many_arguments)]
async fn succeed(
    state: &AppState,
    idp: &Idp,
    site: &Site,
    a: &Active,
    table: LockTable,
    key: String,
    citizen_id: i64,
    method: LoginMethod,
) -> Response {
    if let Err(e) = state
        .db
        .call(move |conn| store::clear_failures(conn, table, &key))
        .await
    {
        return internal(site, e);
    }
    finish(state, idp, site, a, citizen_id, method).await
}

async fn finish(
    state: &AppState,
    idp: &Idp,
    site: &Site,
    a: &Active,
    citizen_id: i64,
    method: LoginMethod,
) -> Response {
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

/// `POST /idp/login/{tx}/password`
pub async fn password_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
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
    let username = field(&f, "username").trim().to_lowercase();
    let password = field(&f, "password").to_string();
    let wrong = || {
        Some(alert(
            Kind::Danger,
            "Anmeldung fehlgeschlagen",
            "Benutzername oder Passwort ist falsch. Nach 5 Fehlversuchen wird das Konto für 15 Minuten gesperrt.",
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
    let u = username.clone();
    let account = match state.db.call(move |conn| store::account(conn, &u)).await {
        Ok(v) => v,
        Err(e) => return internal(&site, e),
    };
    let now = now_secs();
    let Some(account) = account else {
        // Spend the same time as for a real account, so response times do
        // not tell which usernames exist.
        if let Some(dummy) = dummy_hash() {
            super::verify_password_async(password, dummy.to_string()).await;
        }
        return render_login(
            &state,
            &site,
            &a,
            wrong(),
            &username,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    if account.locked_until > now {
        let notice = alert(
            Kind::Danger,
            "Konto vorübergehend gesperrt",
            &format!(
                "Nach 5 falschen Passwörtern ist dieses Konto noch etwa {} Minuten gesperrt. Versuchen Sie es danach erneut oder melden Sie sich mit ELSTER oder dem Online-Ausweis an.",
                minutes_left(account.locked_until, now)
            ),
        );
        return render_login(
            &state,
            &site,
            &a,
            Some(notice),
            &username,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    match reserve(&state, LockTable::Accounts, username.clone(), now).await {
        Ok(true) => {}
        Ok(false) => {
            let notice = alert(
                Kind::Danger,
                "Konto vorübergehend gesperrt",
                &format!(
                    "Nach 5 falschen Passwörtern ist dieses Konto noch etwa {} Minuten gesperrt. Versuchen Sie es danach erneut oder melden Sie sich mit ELSTER oder dem Online-Ausweis an.",
                    minutes_left(now + LOCK_SECS, now)
                ),
            );
            return render_login(
                &state,
                &site,
                &a,
                Some(notice),
                &username,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
        Err(e) => return internal(&site, e),
    }
    if !super::verify_password_async(password, account.password_hash).await {
        let locked = note_failure(&state, LockTable::Accounts, username.clone(), now).await;
        return match locked {
            Ok(Some(until)) => {
                let notice = alert(
                    Kind::Danger,
                    "Konto vorübergehend gesperrt",
                    &format!(
                        "Das Passwort wurde 5-mal falsch eingegeben. Das Konto ist jetzt für {} Minuten gesperrt.",
                        minutes_left(until, now)
                    ),
                );
                render_login(
                    &state,
                    &site,
                    &a,
                    Some(notice),
                    &username,
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await
            }
            Ok(None) => {
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
        };
    }
    succeed(
        &state,
        &idp,
        &site,
        &a,
        LockTable::Accounts,
        username,
        account.citizen_id,
        LoginMethod::Password,
    )
    .await
}

/// `POST /idp/login/{tx}/elster`
pub async fn elster_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = form_fields(form);
    let a = match active(&state, &site, &tx_id, &headers, Some(field(&f, "csrf"))).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Elster.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Elster);
    }
    let cert_id = field(&f, "cert").to_string();
    let pin = field(&f, "pin").to_string();
    let certs = match state.db.call(|c| store::elster_certs(c)).await {
        Ok(c) => c,
        Err(e) => return internal(&site, e),
    };
    let Some(cert) = certs.into_iter().find(|c| c.cert_id == cert_id) else {
        let notice = alert(
            Kind::Danger,
            "Kein Zertifikat gewählt",
            "Bitte wählen Sie ein Test-Zertifikat aus der Liste.",
        );
        return render_login(&state, &site, &a, Some(notice), "", StatusCode::BAD_REQUEST).await;
    };
    let now = now_secs();
    if cert.locked_until > now {
        let notice = alert(
            Kind::Danger,
            "Zertifikat vorübergehend gesperrt",
            &format!(
                "Nach 5 falschen PINs ist dieses Zertifikat noch etwa {} Minuten gesperrt.",
                minutes_left(cert.locked_until, now)
            ),
        );
        return render_login(
            &state,
            &site,
            &a,
            Some(notice),
            "",
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    if !pin.is_empty() && pin.len() <= 64 {
        match reserve(&state, LockTable::Elster, cert.cert_id.clone(), now).await {
            Ok(true) => {}
            Ok(false) => {
                let notice = alert(
                    Kind::Danger,
                    "Zertifikat vorübergehend gesperrt",
                    &format!(
                        "Nach 5 falschen PINs ist dieses Zertifikat noch etwa {} Minuten gesperrt.",
                        minutes_left(now + LOCK_SECS, now)
                    ),
                );
                return render_login(
                    &state,
                    &site,
                    &a,
                    Some(notice),
                    "",
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await;
            }
            Err(e) => return internal(&site, e),
        }
    }
    if pin.is_empty() || pin.len() > 64 || !super::verify_password_async(pin, cert.pin_hash).await {
        let locked = note_failure(&state, LockTable::Elster, cert.cert_id.clone(), now).await;
        let (status, text) = match locked {
            Ok(Some(_)) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Die PIN wurde 5-mal falsch eingegeben. Das Zertifikat ist jetzt für 15 Minuten gesperrt.",
            ),
            Ok(None) => (
                StatusCode::UNAUTHORIZED,
                "Die PIN des Zertifikats ist falsch.",
            ),
            Err(e) => return internal(&site, e),
        };
        let notice = alert(Kind::Danger, "Anmeldung mit ELSTER fehlgeschlagen", text);
        return render_login(&state, &site, &a, Some(notice), "", status).await;
    }
    succeed(
        &state,
        &idp,
        &site,
        &a,
        LockTable::Elster,
        cert.cert_id.clone(),
        cert.citizen_id,
        LoginMethod::Elster,
    )
    .await
}

/// `GET /idp/login/{tx}/eid?card=…`: what will be read, and the PIN entry.
pub async fn eid_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let a = match active(&state, &site, &tx_id, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let card_id = query
        .ok()
        .and_then(|Query(q)| q.get("card").cloned())
        .unwrap_or_default();
    render_eid(&state, &site, &a, &card_id, None, StatusCode::OK).await
}

async fn render_eid(
    state: &AppState,
    site: &Site,
    a: &Active,
    card_id: &str,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let cards = match state.db.call(|c| store::eid_cards(c)).await {
        Ok(c) => c,
        Err(e) => return internal(site, e),
    };
    let Some(card) = cards.into_iter().find(|c| c.card_id == card_id) else {
        let notice = alert(
            Kind::Danger,
            "Kein Ausweis gewählt",
            "Bitte wählen Sie einen Test-Ausweis aus der Liste.",
        );
        return render_login(state, site, a, Some(notice), "", StatusCode::BAD_REQUEST).await;
    };
    let view = pages::EidView {
        tx: &a.tx.id,
        csrf: &a.csrf,
        card_id: &card.card_id,
        card_label: &card.label,
        remaining: MAX_EID_PIN_FAILURES - card.wrong_pins,
        notice,
    };
    let status = if view.remaining <= 0 && status == StatusCode::OK {
        StatusCode::FORBIDDEN
    } else {
        status
    };
    pages::page(
        status,
        &css(site),
        "Mit dem Online-Ausweis anmelden",
        &pages::eid_page(&view),
    )
}

/// `POST /idp/login/{tx}/eid`
pub async fn eid_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = form_fields(form);
    let a = match active(&state, &site, &tx_id, &headers, Some(field(&f, "csrf"))).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let card_id = field(&f, "card").to_string();
    let pin = field(&f, "pin").to_string();
    let cards = match state.db.call(|c| store::eid_cards(c)).await {
        Ok(c) => c,
        Err(e) => return internal(&site, e),
    };
    let Some(card) = cards.into_iter().find(|c| c.card_id == card_id) else {
        return render_eid(&state, &site, &a, &card_id, None, StatusCode::BAD_REQUEST).await;
    };
    if card.wrong_pins >= MAX_EID_PIN_FAILURES {
        return render_eid(&state, &site, &a, &card_id, None, StatusCode::FORBIDDEN).await;
    }
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        let notice = alert(
            Kind::Danger,
            "Die PIN hat 6 Ziffern",
            "Bitte geben Sie die 6-stellige PIN ein. Ist Ihr Ausweis neu, ändern Sie zuerst die 5-stellige Transport-PIN in der AusweisApp.",
        );
        return render_eid(
            &state,
            &site,
            &a,
            &card_id,
            Some(notice),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let id = card.card_id.clone();
    match state
        .db
        .call(move |conn| store::eid_reserve_attempt(conn, &id, MAX_EID_PIN_FAILURES))
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return render_eid(&state, &site, &a, &card_id, None, StatusCode::FORBIDDEN).await
        }
        Err(e) => return internal(&site, e),
    }
    if !super::verify_password_async(pin, card.pin_hash).await {
        let id = card.card_id.clone();
        let count = match state
            .db
            .call(move |conn| store::eid_wrong_pin(conn, &id))
            .await
        {
            Ok(n) => n,
            Err(e) => return internal(&site, e),
        };
        if count >= MAX_EID_PIN_FAILURES {
            return render_eid(&state, &site, &a, &card_id, None, StatusCode::FORBIDDEN).await;
        }
        let left = MAX_EID_PIN_FAILURES - count;
        let notice = alert(
            Kind::Danger,
            "Die PIN ist falsch",
            &format!("Sie haben noch {left} Versuch(e). Nach dem dritten falschen Versuch wird die PIN gesperrt."),
        );
        return render_eid(
            &state,
            &site,
            &a,
            &card_id,
            Some(notice),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let id = card.card_id.clone();
    if let Err(e) = state
        .db
        .call(move |conn| store::eid_pin_ok(conn, &id))
        .await
    {
        return internal(&site, e);
    }
    finish(&state, &idp, &site, &a, card.citizen_id, LoginMethod::Eid).await
}

// ---------------------------------------------------------------- registration

/// `GET /idp/login/{tx}/register`
pub async fn register_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let a = match active(&state, &site, &tx_id, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Password.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Password);
    }
    show_register(&site, &a, None, &[], StatusCode::OK)
}

fn show_register(
    site: &Site,
    a: &Active,
    notice: Option<String>,
    values: &[(&str, String)],
    status: StatusCode,
) -> Response {
    let view = pages::RegisterView {
        tx: &a.tx.id,
        csrf: &a.csrf,
        notice,
        values,
    };
    pages::page(
        status,
        &css(site),
        "Basiskonto registrieren",
        &pages::register_page(&view),
    )
}

/// `POST /idp/login/{tx}/register`: creates a Basis account and logs in.
pub async fn register(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
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
    let values: Vec<(&'static str, String)> = pages::REGISTER_FIELDS
        .iter()
        .map(|(name, ..)| {
            let v = field(&f, name);
            let v = if *name == "password" {
                v.to_string()
            } else {
                v.trim().to_string()
            };
            (*name, v)
        })
        .collect();
    let get = |name: &str| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let username = get("username").to_lowercase();
    let problems = validate_registration(&username, get, now_secs());
    if !problems.is_empty() {
        let notice = alert(
            Kind::Danger,
            "Bitte prüfen Sie Ihre Angaben",
            &problems.join(" "),
        );
        return show_register(
            &site,
            &a,
            Some(notice),
            &values,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let password = get("password").to_string();
    let hash = match tokio::task::spawn_blocking(move || super::hash_password(&password)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return internal(&site, e),
        Err(e) => return internal(&site, e),
    };
    let mut owned: Vec<(&'static str, String)> = values
        .iter()
        .filter(|(k, _)| *k != "username" && *k != "password")
        .cloned()
        .collect();
    owned.push(("country", "D".to_string()));
    let u = username.clone();
    let now = now_secs();
    let created = state
        .db
        .call(move |conn| {
            if store::username_taken(conn, &u)? {
                return Ok(None);
            }
            store::create_account(conn, &u, &hash, &owned, now).map(Some)
        })
        .await;
    match created {
        Ok(Some(citizen_id)) => {
            finish(&state, &idp, &site, &a, citizen_id, LoginMethod::Password).await
        }
        Ok(None) => {
            let notice = alert(
                Kind::Danger,
                "Benutzername vergeben",
                "Diesen Benutzernamen gibt es schon. Bitte wählen Sie einen anderen.",
            );
            show_register(&site, &a, Some(notice), &values, StatusCode::CONFLICT)
        }
        Err(e) => internal(&site, e),
    }
}

/// German messages for every problem with the registration form.
pub fn validate_registration<'a>(
    username: &str,
    get: impl Fn(&str) -> &'a str,
    now: i64,
) -> Vec<String> {
    let mut p = Vec::new();
    let name_ok = (3..=64).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !name_ok {
        p.push("Der Benutzername muss 3 bis 64 Zeichen lang sein und darf nur Kleinbuchstaben, Ziffern, Punkt, Bindestrich und Unterstrich enthalten.".to_string());
    }
    let pw = get("password");
    if pw.chars().count() < 10 || pw.len() > 256 {
        p.push("Das Passwort muss mindestens 10 Zeichen lang sein.".to_string());
    }
    for (name, label, max) in [
        ("givenName", "Vorname", 100),
        ("surname", "Familienname", 100),
        ("postalAddress", "Straße und Hausnummer", 200),
        ("localityName", "Ort", 100),
    ] {
        let v = get(name);
        if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
            p.push(format!(
                "Bitte geben Sie „{label}“ an (höchstens {max} Zeichen)."
            ));
        }
    }
    match parse_date(get("birthdate")) {
        Some(days) if days <= now.div_euclid(86_400) => {}
        _ => p.push("Bitte geben Sie ein gültiges Geburtsdatum an (TT.MM.JJJJ), das nicht in der Zukunft liegt.".to_string()),
    }
    let plz = get("postalCode");
    if plz.len() != 5 || !plz.bytes().all(|b| b.is_ascii_digit()) {
        p.push("Die Postleitzahl hat 5 Ziffern.".to_string());
    }
    if !plausible_mail(get("mail")) {
        p.push(
            "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@example.org.".to_string(),
        );
    }
    p
}

fn plausible_mail(m: &str) -> bool {
    let Some((local, domain)) = m.split_once('@') else {
        return false;
    };
    m.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !m.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `YYYY-MM-DD` (1900 or later) → days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if y < 1900 || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > dim[(m - 1) as usize] {
        return None;
    }
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("1964-13-01").is_none());
        assert!(parse_date("12.08.1964").is_none());
        assert!(parse_date("1899-12-31").is_none());
    }

    #[test]
    fn registration_problems_are_reported() {
        let ok = |k: &str| match k {
            "password" => "lang-genug-123",
            "givenName" => "Ada",
            "surname" => "Muster",
            "postalAddress" => "Weg 1",
            "localityName" => "Bonn",
            "birthdate" => "1990-01-01",
            "postalCode" => "53111",
            "mail" => "ada@example.org",
            _ => "",
        };
        assert!(validate_registration("ada.muster", ok, 1_800_000_000).is_empty());
        assert_eq!(validate_registration("A!", ok, 1_800_000_000).len(), 1);
        let bad = |k: &str| match k {
            "birthdate" => "2999-01-01",
            "mail" => "kein-at",
            _ => ok(k),
        };
        assert_eq!(validate_registration("ada", bad, 1_800_000_000).len(), 2);
    }
}
