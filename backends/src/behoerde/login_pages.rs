//! The console's login and logout pages (German). The clerk's session
//! cookie and the login form's CSRF cookie; logging in and out is in the
//! audit log (`super::log_in`, `super::end_session`).

use axum::{
    extract::{rejection::FormRejection, Form, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use std::collections::HashMap;
use std::sync::Arc;

use super::audit::{Actor, Channel};
use super::pages::{
    alert, cookie, csrf_refused, current, error_page, field, page, see_other, LOGIN_COOKIE,
    SESSION_COOKIE,
};
use super::{end_session, log_in, LoginError, SESSION_SECS};
use crate::html::{cookie_value, escape, same_secret, Kind};
use crate::idp::random_token;
use crate::static_files::Site;
use crate::AppState;

fn login_form(csrf: &str, notice: &str) -> String {
    format!(
        "{notice}<p class=\"kern-body\">Melden Sie sich mit Ihrem Konto der Sachbearbeitung an.</p>\
<form method=\"post\" action=\"/behoerde/anmelden\" class=\"bh-form\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"username\">Benutzername</label>\
<input class=\"kern-form-input__input\" type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"password\">Passwort</label>\
<input class=\"kern-form-input__input\" type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required></div>\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">Anmelden</span></button></form>",
        escape(csrf)
    )
}

fn login_response(state: &AppState, site: &Site, status: StatusCode, notice: &str) -> Response {
    let csrf = random_token();
    let mut resp = page(
        site,
        status,
        "Anmeldung Sachbearbeitung",
        None,
        &login_form(&csrf, notice),
    );
    if let Some(c) = cookie(state, LOGIN_COOKIE, &csrf, 15 * 60) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// `GET /behoerde/anmelden`
pub async fn login_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
) -> Response {
    if let Ok(Some(_)) = current(&state, &headers).await {
        return see_other("/behoerde/eingang");
    }
    login_response(&state, &site, StatusCode::OK, "")
}

/// `POST /behoerde/anmelden` (form `csrf, username, password`)
pub async fn login(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return login_response(
            &state,
            &site,
            StatusCode::BAD_REQUEST,
            &alert(
                Kind::Danger,
                "Ungültige Anfrage",
                "Das Formular war unvollständig.",
            ),
        );
    };
    let ok_csrf = cookie_value(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !c.is_empty() && same_secret(&c, field(&f, "csrf")));
    if !ok_csrf {
        return login_response(
            &state,
            &site,
            StatusCode::FORBIDDEN,
            &alert(
                Kind::Danger,
                "Sitzung abgelaufen",
                "Bitte laden Sie die Seite neu und melden Sie sich erneut an.",
            ),
        );
    }
    match log_in(
        &state,
        field(&f, "username"),
        field(&f, "password"),
        "cookie",
    )
    .await
    {
        Ok(Ok((token, _))) => {
            let mut resp = see_other("/behoerde/eingang");
            if let Some(c) = cookie(&state, SESSION_COOKIE, &token, SESSION_SECS) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            if let Some(c) = cookie(&state, LOGIN_COOKIE, "", 0) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            resp
        }
        Ok(Err(LoginError::Wrong)) => login_response(
            &state,
            &site,
            StatusCode::UNAUTHORIZED,
            &alert(
                Kind::Danger,
                "Anmeldung fehlgeschlagen",
                "Benutzername oder Passwort sind falsch.",
            ),
        ),
        Ok(Err(LoginError::Locked { minutes })) => login_response(
            &state,
            &site,
            StatusCode::TOO_MANY_REQUESTS,
            &alert(
                Kind::Danger,
                "Konto vorübergehend gesperrt",
                &format!(
                    "Zu viele falsche Passwörter. Versuchen Sie es in {minutes} Minuten erneut."
                ),
            ),
        ),
        Err(e) => error_page(&site, None, &e),
    }
}

/// `POST /behoerde/abmelden` (form `csrf`)
pub async fn logout(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if let Some(refused) = csrf_refused(&site, &clerk, &f) {
        return refused;
    }
    if let Some(t) = cookie_value(&headers, SESSION_COOKIE) {
        if let Err(e) = end_session(&state, &t, &Actor::clerk(&clerk, Channel::Console)).await {
            return error_page(&site, None, &e);
        }
    }
    let mut resp = see_other("/behoerde/anmelden");
    if let Some(c) = cookie(&state, SESSION_COOKIE, "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}
