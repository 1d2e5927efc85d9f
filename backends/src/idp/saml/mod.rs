//! The stand-in IdP's SAML 2.0 side (issue #20), next to OIDC: BundID as it
//! really speaks, with the AKDB extensions. See docs/backends.md §2, "SAML
//! 2.0".
//!
//! * `GET /idp/saml/metadata` ([`metadata`]),
//! * `GET|POST /idp/saml/sso` ([`sso`]): a signed AuthnRequest from a
//!   registered SP ([`sp`]) becomes a login transaction; the citizen sees
//!   the same login pages as with OIDC,
//! * the finished (or cancelled) login answers a signed Response by an
//!   auto-submitting form to the SP's ACS ([`finish`], [`response`]),
//! * `GET /idp/saml/slo` ([`slo`]): signed LogoutRequest in, signed
//!   LogoutResponse out; and the SPs' answers to the IdP's own
//!   LogoutRequests ([`chain`]),
//! * `GET|POST /idp/saml/abmelden` ([`abmelden`]): the citizen logs out at
//!   the IdP; every SP of this browser's sessions ([`browser`]) hears of it.

pub(super) mod abmelden;
pub mod browser;
pub(super) mod chain;
pub mod keys;
pub mod metadata;
pub mod request;
pub mod response;
pub(super) mod slo;
pub mod sp;
pub(super) mod sso;
pub mod xml;

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use contract::saml::{STATUS_AUTHN_FAILED, STATUS_RESPONDER};
use std::sync::Arc;

use super::login::{self, Active, FormMap};
use super::{now_secs, pages, store, LoginMethod, TrustLevel};
use crate::static_files::Site;
use crate::AppState;

pub use sp::register as register_sp;

/// `LoginTx.scope` of a SAML login transaction (OIDC ones always hold
/// `openid`).
pub const SCOPE: &str = "saml";

/// The SAML side's shared state.
pub struct Saml {
    /// Made or loaded on first use (an RSA 3072 key takes about 0.4 s: a
    /// stand-in that never speaks SAML, every test's among them, never
    /// pays for it).
    key: std::sync::OnceLock<keys::SamlKey>,
    making_key: std::sync::Mutex<()>,
    data_dir: std::path::PathBuf,
    /// `<public_url>/idp/saml/metadata`
    pub entity_id: String,
    pub sso_url: String,
    pub slo_url: String,
}

impl Saml {
    pub fn new(state: &AppState) -> anyhow::Result<Self> {
        let base = [state.config.public_url.as_str(), "/idp/saml"].concat();
        Ok(Self {
            key: std::sync::OnceLock::new(),
            making_key: std::sync::Mutex::new(()),
            data_dir: state.config.data_dir.clone(),
            entity_id: [base.as_str(), "/metadata"].concat(),
            sso_url: [base.as_str(), "/sso"].concat(),
            slo_url: [base.as_str(), "/slo"].concat(),
        })
    }

    /// The signing key and certificate, loaded (or made) the first time.
    pub fn key(&self) -> anyhow::Result<&keys::SamlKey> {
        if let Some(k) = self.key.get() {
            return Ok(k);
        }
        let _one_at_a_time = self.making_key.lock().unwrap_or_else(|p| p.into_inner());
        if self.key.get().is_none() {
            let made = keys::SamlKey::load_or_create(&self.data_dir)?;
            let _ = self.key.set(made);
        }
        self.key
            .get()
            .ok_or_else(|| anyhow::anyhow!("the IdP's SAML key is not available"))
    }
}

pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE idp_saml_tx (
    tx_id TEXT PRIMARY KEY,
    sp TEXT NOT NULL,
    acs TEXT NOT NULL,
    request_id TEXT NOT NULL,
    relay_state TEXT,
    attributes TEXT,
    methods TEXT,
    expires_at INTEGER NOT NULL
);
CREATE TABLE idp_saml_seen (
    sp TEXT NOT NULL,
    request_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (sp, request_id)
);
CREATE TABLE idp_saml_sessions (
    session_index TEXT PRIMARY KEY,
    sp TEXT NOT NULL,
    name_id TEXT NOT NULL,
    citizen_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
);
",
    "
ALTER TABLE idp_saml_sessions ADD COLUMN browser TEXT;
CREATE INDEX idp_saml_sessions_browser ON idp_saml_sessions(browser);
CREATE TABLE idp_saml_logouts (
    chain_id TEXT PRIMARY KEY,
    reply_sp TEXT,
    reply_request_id TEXT,
    reply_relay_state TEXT,
    expires_at INTEGER NOT NULL
);
CREATE TABLE idp_saml_logout_steps (
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sp TEXT NOT NULL,
    name_id TEXT NOT NULL,
    session_index TEXT NOT NULL,
    request_id TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'open',
    PRIMARY KEY (chain_id, seq)
);
",
];

/// The page for a refused request: never a login, never a redirect.
pub(super) fn refused(site: &Site, why: &request::Refusal) -> Response {
    tracing::info!(reason = %why, "SAML request refused");
    pages::error_page(
        &login::css(site),
        StatusCode::BAD_REQUEST,
        "Die Anmeldeanfrage wurde abgelehnt",
        &why.to_string(),
    )
}

/// `GET /idp/saml/autopost.js`
pub async fn autopost_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        response::AUTOPOST_JS,
    )
        .into_response()
}

/// A SAML login transaction's own data.
pub(super) struct SamlTx {
    pub sp: String,
    pub acs: String,
    pub request_id: String,
    pub relay_state: Option<String>,
    /// Attribute names requested (`None`: all).
    pub attributes: Option<Vec<String>>,
    /// Login ways allowed (`None`: all).
    pub methods: Option<Vec<String>>,
}

fn split(s: Option<String>) -> Option<Vec<String>> {
    s.map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
}

fn load_tx(conn: &rusqlite::Connection, tx_id: &str) -> rusqlite::Result<Option<SamlTx>> {
    rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT sp, acs, request_id, relay_state, attributes, methods FROM idp_saml_tx WHERE tx_id = ?1",
        rusqlite::params![tx_id],
        |r| {
            Ok(SamlTx {
                sp: r.get(0)?,
                acs: r.get(1)?,
                request_id: r.get(2)?,
                relay_state: r.get(3)?,
                attributes: split(r.get(4)?),
                methods: split(r.get(5)?),
            })
        },
    ))
}

/// Marks the login transaction done; `false` when it already was.
fn complete(conn: &rusqlite::Connection, tx_id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE idp_login_tx SET completed = 1 WHERE id = ?1 AND completed = 0",
        rusqlite::params![tx_id],
    )? == 1)
}

/// The AKDB name of a login way in `akdb:AuthnMethods`.
fn akdb_method(m: LoginMethod) -> &'static str {
    match m {
        LoginMethod::Password => "Benutzername",
        LoginMethod::Elster => "Elster",
        LoginMethod::Eid => "eID",
    }
}

fn clear_cookie(mut resp: Response, tx_id: &str) -> Response {
    let clear = format!(
        "{}=; Max-Age=0; Path=/idp; HttpOnly; SameSite=Lax",
        login::cookie_name(tx_id)
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn post_page(target: &str, field: &str, xml_text: &str, relay_state: Option<&str>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        response::autopost_page(target, field, xml_text, relay_state),
    )
        .into_response()
}

/// The end of a login transaction that came by SAML: a signed Response to
/// the SP's ACS. `None` for an OIDC transaction (the caller redirects with
/// a code then).
pub(super) async fn finish(
    state: &AppState,
    saml: &Saml,
    site: &Site,
    a: &Active,
    citizen_id: i64,
    method: LoginMethod,
) -> Option<Response> {
    if a.tx.scope != SCOPE {
        return None;
    }
    let tx_id = a.tx.id.clone();
    let now = now_secs();
    let lifetime = i64::try_from(state.config.session_seconds).unwrap_or(i64::MAX / 4);
    let old_browser = a.saml_browser.as_deref().map(browser::hash);
    let browser_token = super::random_token();
    let new_browser = browser::hash(&browser_token);
    let done = state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            let Some(stx) = load_tx(&t, &tx_id)? else {
                return Ok(None);
            };
            if !complete(&t, &tx_id)? {
                return Ok(None);
            }
            let allowed = stx
                .methods
                .as_ref()
                .is_none_or(|m| m.iter().any(|x| x == akdb_method(method)));
            let stored = store::attributes(&t, citizen_id)?;
            let ids = store::citizen_ids(&t, citizen_id)?;
            let session_index = super::random_token();
            let name_id = xml::new_id();
            if allowed {
                browser::relink(&t, old_browser.as_deref(), &new_browser)?;
                t.execute(
                    "INSERT INTO idp_saml_sessions (session_index, sp, name_id, citizen_id, expires_at, browser)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![session_index, stx.sp, name_id, citizen_id, now + lifetime, new_browser],
                )?;
            }
            t.execute("DELETE FROM idp_saml_tx WHERE tx_id = ?1", rusqlite::params![tx_id])?;
            t.commit()?;
            Ok(Some((stx, allowed, stored, ids, session_index, name_id)))
        })
        .await;
    let (stx, allowed, stored, ids, session_index, name_id) = match done {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Some(pages::error_page(
                &login::css(site),
                StatusCode::CONFLICT,
                "Anmeldung bereits abgeschlossen",
                "Diese Anmeldung wurde schon abgeschlossen.",
            ))
        }
        Err(e) => return Some(login::internal(site, e)),
    };
    let sp = sp::find(state, &stx.sp).await;
    let signed = if allowed {
        let level = method.level();
        let attributes = super::oidc::attributes_for(&stored, method, &ids.sub, &ids.mailbox_uuid)
            .into_iter()
            .filter(|at| {
                matches!(at.name.as_str(), "bPK2" | "mailboxUuid")
                    || stx
                        .attributes
                        .as_ref()
                        .is_none_or(|want| want.contains(&at.name))
            })
            .map(|at| {
                let t = response::trust_of(&at, level);
                (at, t)
            })
            .collect();
        let s = response::Success {
            issuer: &saml.entity_id,
            sp_entity: &stx.sp,
            acs: &stx.acs,
            in_response_to: &stx.request_id,
            name_id: &name_id,
            session_index: &session_index,
            level,
            auth_instant: now,
            attributes,
            now,
        };
        let key = match saml.key() {
            Ok(k) => k,
            Err(e) => return Some(login::internal(site, e)),
        };
        response::success(&s, key, sp.as_ref().and_then(|s| s.encryption.as_ref()))
    } else {
        let key = match saml.key() {
            Ok(k) => k,
            Err(e) => return Some(login::internal(site, e)),
        };
        response::failure(
            key,
            &saml.entity_id,
            &stx.acs,
            &stx.request_id,
            STATUS_RESPONDER,
            STATUS_AUTHN_FAILED,
            "Diese Anmeldeart hat der Dienst nicht zugelassen.",
            now,
        )
    };
    let xml_text = match signed {
        Ok(x) => x,
        Err(e) => return Some(login::internal(site, e)),
    };
    let page = post_page(
        &stx.acs,
        "SAMLResponse",
        &xml_text,
        stx.relay_state.as_deref(),
    );
    let page = clear_cookie(page, &a.tx.id);
    Some(if allowed {
        browser::set(state, page, &browser_token, lifetime)
    } else {
        page
    })
}

/// `POST /idp/login/{tx}/saml/cancel` (form `csrf`): the citizen cancels; the SP
/// gets a signed Response with Responder / AuthnFailed.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<super::Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = login::form_fields(form);
    let a = match login::active(
        &state,
        &site,
        &tx_id,
        &headers,
        Some(login::field(&f, "csrf")),
    )
    .await
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    if a.tx.scope != SCOPE {
        return pages::error_page(
            &login::css(&site),
            StatusCode::CONFLICT,
            "Keine SAML-Anmeldung",
            "Diese Anmeldung kam nicht über SAML; brechen Sie sie über die Anwendung ab.",
        );
    }
    let id = a.tx.id.clone();
    let done = state
        .db
        .call(move |conn| {
            let t = conn.transaction()?;
            let stx = load_tx(&t, &id)?;
            if stx.is_none() || !complete(&t, &id)? {
                return Ok(None);
            }
            t.execute(
                "DELETE FROM idp_saml_tx WHERE tx_id = ?1",
                rusqlite::params![id],
            )?;
            t.commit()?;
            Ok(stx)
        })
        .await;
    let stx = match done {
        Ok(Some(s)) => s,
        Ok(None) => {
            return pages::error_page(
                &login::css(&site),
                StatusCode::CONFLICT,
                "Anmeldung bereits abgeschlossen",
                "Diese Anmeldung wurde schon abgeschlossen.",
            )
        }
        Err(e) => return login::internal(&site, e),
    };
    let saml = &idp.saml;
    let key = match saml.key() {
        Ok(k) => k,
        Err(e) => return login::internal(&site, e),
    };
    match response::failure(
        key,
        &saml.entity_id,
        &stx.acs,
        &stx.request_id,
        STATUS_RESPONDER,
        STATUS_AUTHN_FAILED,
        "Die Anmeldung wurde abgebrochen.",
        now_secs(),
    ) {
        Ok(x) => clear_cookie(
            post_page(&stx.acs, "SAMLResponse", &x, stx.relay_state.as_deref()),
            &a.tx.id,
        ),
        Err(e) => login::internal(&site, e),
    }
}

/// The cancel form under the login page of a SAML transaction.
pub(super) fn cancel_form(tx_id: &str, csrf: &str) -> String {
    format!(
        "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{}/saml/cancel\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<button class=\"kern-btn kern-btn--secondary\" type=\"submit\"><span class=\"kern-label\">Anmeldung abbrechen und zum Dienst zurückkehren</span></button></form>",
        xml::esc(tx_id),
        xml::esc(csrf)
    )
}

/// The level a stored transaction asks for (for [`sso`]).
pub(super) fn level_str(l: TrustLevel) -> String {
    l.as_str().to_string()
}
