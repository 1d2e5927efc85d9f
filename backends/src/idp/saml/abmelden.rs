//! The citizen's logout at the IdP (issue #20): `GET /idp/saml/abmelden`
//! shows a page with the button "Bei der BundID abmelden";
//! `POST /idp/saml/abmelden` (form `csrf`) ends every SAML session of this
//! browser (the `idp_saml_sso` cookie, [`super::browser`]) and sends the
//! browser through the SPs' single logout ([`super::chain`]); at the end
//! the page "Sie sind bei der BundID abgemeldet.".
//!
//! The form's CSRF protection is the one of the stand-in's other cookie
//! forms (console login, pay page): the page sets a random value as an
//! HttpOnly, SameSite=Lax cookie for this path and repeats it in the form;
//! a POST counts only when both are there and equal, else 403.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
    Extension,
};
use std::sync::Arc;

use super::request::Refusal;
use super::{browser, chain};
use crate::html::{cookie_value, escape, same_secret};
use crate::idp::login::{self, FormMap};
use crate::idp::pages::{self, alert, Kind};
use crate::idp::{now_secs, random_token, Idp};
use crate::static_files::Site;
use crate::AppState;

/// The form's CSRF cookie.
pub const CSRF_COOKIE: &str = "idp_saml_abmelden";
/// The page and the form's target.
pub const PATH: &str = "/idp/saml/abmelden";
/// The button.
pub const BUTTON: &str = "Bei der BundID abmelden";
/// What the last page says.
pub const DONE: &str = "Sie sind bei der BundID abgemeldet.";
/// How long the page's CSRF cookie lives.
const CSRF_SECONDS: i64 = 15 * 60;

fn well_formed(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn with_csrf_cookie(state: &AppState, mut resp: Response, value: &str, max_age: i64) -> Response {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{CSRF_COOKIE}={value}; Max-Age={max_age}; Path={PATH}; HttpOnly; SameSite=Lax{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn form(csrf: &str) -> String {
    format!(
        "<form class=\"idp-form\" method=\"post\" action=\"{PATH}\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">{}</span></button></form>",
        escape(csrf),
        escape(BUTTON)
    )
}

/// `GET /idp/saml/abmelden`
pub async fn page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
) -> Response {
    let csrf = cookie_value(&headers, CSRF_COOKIE)
        .filter(|v| well_formed(v))
        .unwrap_or_else(random_token);
    let open = match browser::of(&headers) {
        Some(b) => {
            let now = now_secs();
            match state
                .db
                .call(move |conn| browser::open_sessions(conn, &b, None, now))
                .await
            {
                Ok(v) => v
                    .iter()
                    .map(|s| s.sp.as_str())
                    .collect::<std::collections::HashSet<_>>()
                    .len(),
                Err(e) => return login::internal(&site, e),
            }
        }
        None => 0,
    };
    let status = if open == 0 {
        "<p class=\"kern-body\">In diesem Browser ist keine Anmeldung bei der BundID aktiv.</p>"
            .to_string()
    } else {
        format!(
            "<p class=\"kern-body\">In diesem Browser sind Sie über die BundID bei {open} Dienst(en) angemeldet.</p>"
        )
    };
    let body = format!(
        "<p class=\"kern-body\">Hier beenden Sie Ihre Anmeldung bei der BundID in diesem Browser. \
Die Dienste, bei denen Sie sich mit der BundID angemeldet haben, werden benachrichtigt und melden Sie ebenfalls ab.</p>\
{status}{}",
        form(&csrf)
    );
    let resp = pages::page(
        StatusCode::OK,
        &login::css(&site),
        "Abmelden bei der BundID",
        &body,
    );
    with_csrf_cookie(&state, resp, &csrf, CSRF_SECONDS)
}

/// `POST /idp/saml/abmelden` (form `csrf`)
pub async fn logout(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = login::form_fields(form);
    let ok = cookie_value(&headers, CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && same_secret(&c, login::field(&f, "csrf")));
    if !ok {
        let body = format!(
            "{}<p class=\"kern-body\"><a class=\"kern-link\" href=\"{PATH}\">Zurück zur Abmeldung</a></p>",
            alert(
                Kind::Danger,
                "Formular ungültig",
                "Das Formular gehört nicht zu dieser Seite, oder Cookies sind blockiert. Bitte öffnen Sie die Seite erneut.",
            )
        );
        return pages::page(
            StatusCode::FORBIDDEN,
            &login::css(&site),
            "Abmeldung nicht möglich",
            &body,
        );
    }
    let Some(browser_hash) = browser::of(&headers) else {
        return with_csrf_cookie(&state, done_page(&site, chain::Outcome::default()), "", 0);
    };
    let started = match chain::start(&state, browser_hash, None, None).await {
        Ok(s) => s,
        Err(e) => return login::internal(&site, e),
    };
    let resp = match &started.chain_id {
        Some(chain_id) => chain::advance(&state, &idp.saml, &site, chain_id).await,
        None => done_page(&site, chain::Outcome::default()),
    };
    with_csrf_cookie(&state, browser::clear(&state, resp), "", 0)
}

/// The last page of a logout at the IdP.
pub fn done_page(site: &Site, o: chain::Outcome) -> Response {
    let mut body = if o.sessions == 0 {
        alert(
            Kind::Success,
            DONE,
            "Es war keine Anmeldung bei der BundID aktiv, die beendet werden musste.",
        )
    } else {
        alert(
            Kind::Success,
            DONE,
            &format!(
                "Ihre Anmeldung bei der BundID ist beendet. Abmeldung bestätigt: {} von {} Anmeldung(en) bei Diensten.",
                o.confirmed, o.sessions
            ),
        )
    };
    let unconfirmed = o.sessions.saturating_sub(o.confirmed);
    if unconfirmed > 0 {
        body.push_str(&alert(
            Kind::Info,
            "Bitte melden Sie sich dort selbst ab",
            &format!(
                "{unconfirmed} Anmeldung(en) bei Diensten konnten über die BundID nicht beendet werden: Der Dienst bietet keine Abmeldung über die BundID an oder hat sie nicht bestätigt."
            ),
        ));
    }
    body.push_str("<p class=\"kern-body\">Sie können dieses Fenster jetzt schließen.</p>");
    pages::page(
        StatusCode::OK,
        &login::css(site),
        "Abmeldung bei der BundID",
        &body,
    )
}

/// The page for a refused LogoutResponse: nothing moves on.
pub fn refused(site: &Site, why: &Refusal) -> Response {
    tracing::info!(reason = %why, "SAML LogoutResponse refused");
    let body = alert(
        Kind::Danger,
        "Die Abmeldebestätigung wurde abgelehnt",
        &why.to_string(),
    );
    pages::page(
        StatusCode::BAD_REQUEST,
        &login::css(site),
        "Abmeldung nicht möglich",
        &body,
    )
}
