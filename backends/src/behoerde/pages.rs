//! The console's HTML pages (German). Plain forms, no scripts, no inline
//! styles; the layout comes from `/behoerde/static/behoerde.css` (and the
//! app's KERN stylesheets when the app is built).

use axum::{
    extract::{rejection::FormRejection, Form, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use std::collections::HashMap;
use std::sync::Arc;

use super::actions::{self, Action};
use super::audit::{Actor, Channel};
use super::{followups, mandate, mandate_request, payment, render, session, trail, Clerk};
use crate::error::extract::Path;
use crate::html::{alert_with, cookie_value, document, escape, same_secret, Kind, Shell};
use crate::idp::GermanName;
use crate::static_files::Site;
use crate::zbp::Status;
use crate::{ApiError, AppState};

pub(super) const SESSION_COOKIE: &str = "behoerde_session";
pub(super) const LOGIN_COOKIE: &str = "behoerde_login";

const CSS: &str = "\
body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
.bh-header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:1rem;border-bottom:4px solid #6a1b4d;padding:1rem}
.bh-header p{margin:0;font-weight:700}
.bh-main{max-width:64rem;margin:0 auto;padding:1rem 1rem 4rem}
.bh-skip{position:absolute;left:-10000px}
.bh-skip:focus{position:static}
.bh-table{border-collapse:collapse;width:100%;margin:1rem 0 2rem}
.bh-table th,.bh-table td{border-bottom:1px solid #c7c7c7;padding:.5rem;text-align:left;vertical-align:top}
.bh-data{display:grid;grid-template-columns:minmax(10rem,1fr) 2fr;gap:.25rem 1rem;margin:0}
.bh-data dt{font-weight:600}
.bh-data dd{margin:0}
.bh-data .bh-data{grid-column:1/-1}
.bh-repeat{padding-left:1.25rem}
.bh-repeat-label{font-weight:700;margin:.5rem 0 .25rem}
.bh-section{margin:1.5rem 0;padding:1rem 1.25rem;border:1px solid #c7c7c7;border-radius:4px}
.bh-form>*+*{margin-top:.75rem}
.bh-form input[type=text],.bh-form input[type=password],.bh-form textarea{display:block;min-height:44px;width:100%;max-width:40rem;box-sizing:border-box;font:inherit}
.bh-form textarea{min-height:8rem}
.bh-form button,.bh-main .kern-btn,.bh-header button{min-height:44px;min-width:44px}
.bh-actions{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr))}
.bh-alert{border-left:6px solid #0d4a8f;padding:.75rem 1rem;margin:1rem 0;background:#f2f6fb}
.bh-alert.kern-alert--danger{border-left-color:#b00020;background:#fdf1f3}
.bh-alert.kern-alert--success{border-left-color:#1b7a3a;background:#eff8f2}
.bh-muted{color:#555}
.bh-nav{display:flex;gap:1.5rem}
.bh-nav a{display:inline-block;min-height:44px;line-height:44px}
.bh-filter{display:flex;flex-wrap:wrap;align-items:flex-end;gap:1rem}
.bh-filter input[type=text]{max-width:24rem}
.bh-pages{display:flex;gap:1.5rem;margin:1rem 0}
.bh-hash{font-family:monospace;word-break:break-all}
.bh-scroll{overflow-x:auto}
.bh-mandate{border-left:6px solid #6a1b4d}
.bh-mandate-line{font-weight:700}
";

/// `GET /behoerde/static/behoerde.css`
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

pub(super) fn alert(kind: Kind, title: &str, text: &str) -> String {
    alert_with(kind, "bh-alert", title, text)
}

pub(super) fn page(
    site: &Site,
    status: StatusCode,
    title: &str,
    clerk: Option<&Clerk>,
    body: &str,
) -> Response {
    let user = match clerk {
        Some(c) => format!(
            "<nav aria-label=\"Konsole\" class=\"bh-nav\"><a class=\"kern-link\" href=\"/behoerde/eingang\">Posteingang</a> \
<a class=\"kern-link\" href=\"/behoerde/termine\">Termine</a> \
<a class=\"kern-link\" href=\"/behoerde/protokoll\">Protokoll</a></nav>\
<form method=\"post\" action=\"/behoerde/abmelden\" class=\"bh-form\"><span class=\"bh-muted\">Angemeldet: {}</span> \
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"kern-btn kern-btn--secondary\" type=\"submit\"><span class=\"kern-label\">Abmelden</span></button></form>",
            escape(&c.name),
            escape(&c.csrf)
        ),
        None => String::new(),
    };
    let header = format!(
        "<div><p>Behördenkonsole – Testumgebung des Bürgeramts NRW</p>\
<p class=\"kern-body kern-body--small bh-muted\">Nur Testdaten; keine echten Anträge.</p></div>{user}"
    );
    let stylesheets = site.stylesheets();
    let shell = Shell {
        site: "Behördenkonsole (Testumgebung)",
        prefix: "bh",
        own_css: "/behoerde/static/behoerde.css",
        stylesheets: &stylesheets,
        header: &header,
    };
    document(&shell, status, title, body)
}

pub(super) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

pub(super) fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
) -> Option<HeaderValue> {
    let origin = state
        .config
        .console_url
        .as_deref()
        .unwrap_or(&state.config.public_url);
    let secure = if origin.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Max-Age={max_age}; Path=/behoerde; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}

pub(super) async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Clerk>, ApiError> {
    match cookie_value(headers, SESSION_COOKIE) {
        Some(t) => session(state, &t, "cookie").await,
        None => Ok(None),
    }
}

/// The console's answer to a form whose CSRF field is not the clerk's
/// session secret; `None` when it is.
pub(super) fn csrf_refused(
    site: &Site,
    clerk: &Clerk,
    f: &HashMap<String, String>,
) -> Option<Response> {
    (!same_secret(&clerk.csrf, field(f, "csrf"))).then(|| {
        error_page(
            site,
            Some(clerk),
            &ApiError::Forbidden(
                "Ungültiges Formular (CSRF). Bitte laden Sie die Seite neu.".into(),
            ),
        )
    })
}

pub(super) fn error_page(site: &Site, clerk: Option<&Clerk>, e: &ApiError) -> Response {
    let (title, text) = match e {
        ApiError::NotFound => ("Nicht gefunden", "Diesen Antrag gibt es nicht.".to_string()),
        ApiError::Conflict(m) => (
            "Aktion nicht möglich",
            format!("Der Antrag ist nicht in dem Zustand, den diese Aktion braucht ({m})."),
        ),
        ApiError::Unprocessable(m) => ("Eingabe unvollständig", m.clone()),
        ApiError::Forbidden(m) => ("Nicht erlaubt", m.clone()),
        _ => (
            "Technischer Fehler",
            "Bitte versuchen Sie es später erneut.".to_string(),
        ),
    };
    if let ApiError::Internal(d) = e {
        tracing::error!(detail = %d, "behoerde internal error");
    }
    let body = format!(
        "{}<p class=\"kern-body\"><a class=\"kern-link\" href=\"/behoerde/eingang\">Zum Posteingang</a></p>",
        alert(Kind::Danger, title, &text)
    );
    page(site, e.status(), title, clerk, &body)
}

/// `GET /behoerde`
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match current(&state, &headers).await {
        Ok(Some(_)) => see_other("/behoerde/eingang"),
        _ => see_other("/behoerde/anmelden"),
    }
}

pub(super) fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

pub(super) fn when(t: Option<i64>) -> String {
    let Some(t) = t else { return "–".into() };
    let Some(d) = crate::zbp::deadline::berlin_date(t) else {
        return "–".into();
    };
    crate::zbp::deadline::german(d)
}

pub(super) fn fit_status(s: &str) -> &'static str {
    match s {
        "submitted" => "Eingegangen",
        "accepted" => "Angenommen",
        "rejected" => "Zurückgewiesen",
        _ => "Unbekannt",
    }
}

pub(super) fn app_status(s: Option<&str>) -> &'static str {
    s.and_then(Status::parse).map(Status::german).unwrap_or("–")
}

fn action_form(
    id: &str,
    csrf: &str,
    action: &str,
    button: &str,
    textarea: Option<(&str, &str)>,
) -> String {
    let area = match textarea {
        Some((label, hint)) => format!(
            "<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"text-{action}\">{label}</label>\
<p class=\"kern-hint\" id=\"hint-{action}\">{hint}</p>\
<textarea class=\"kern-form-input__input\" id=\"text-{action}\" name=\"text\" aria-describedby=\"hint-{action}\" required maxlength=\"{}\"></textarea></div>",
            actions::MAX_TEXT_CHARS
        ),
        None => String::new(),
    };
    format!(
        "<form method=\"post\" action=\"/behoerde/antraege/{}/{action}\" class=\"bh-form bh-section\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">{area}\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">{button}</span></button></form>",
        escape(id),
        escape(csrf)
    )
}

/// `GET /behoerde/antraege/{id}`: the decrypted application and the actions.
pub async fn detail(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let actor = Actor::clerk(&clerk, Channel::Console);
    let case = match trail::open(&state, &actor, &id).await {
        Ok(c) => c,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let done = query.get("erledigt").map(String::as_str);
    detail_page(&site, &clerk, &id, &case, done, None)
}

/// `POST /behoerde/antraege/{id}/zahlung-pruefen` (through [`act`]): opens
/// the application, asks the cash system about its Kassenzeichen and shows
/// the application with the answer.
async fn payment_check(state: &AppState, site: &Site, clerk: &Clerk, id: &str) -> Response {
    let actor = Actor::clerk(clerk, Channel::Console);
    let case = match trail::open(state, &actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(site, Some(clerk), &e),
    };
    let Some(reference) = payment::of_case(&case).and_then(|r| r.reference().map(str::to_string))
    else {
        return error_page(
            site,
            Some(clerk),
            &ApiError::Conflict("kein Kassenzeichen zum Prüfen".into()),
        );
    };
    match payment::check(state, clerk, id, &case.entry.case_id, &reference).await {
        Ok(result) => detail_page(site, clerk, id, &case, None, Some(&result)),
        Err(e) => error_page(site, Some(clerk), &e),
    }
}

/// The application page: the case (made under a mandate: who for whom),
/// its fee, data, history and actions. `done`: the action just done.
fn detail_page(
    site: &Site,
    clerk: &Clerk,
    id: &str,
    case: &actions::Case,
    done: Option<&str>,
    check: Option<&payment::CheckResult>,
) -> Response {
    let id = id.to_string();
    let mut body = String::new();
    let under = mandate::of_case(case);
    // Whose postbox the messages reach: under a Vollmacht the person
    // concerned's, else the applicant's.
    let to = mandate::postbox_owner(under);
    // A request for a mandate (the service "Vertretung nachweisen").
    let request = mandate_request::is_request(case);
    // After an action (`?erledigt=<action>`, set by `act`): say what was done.
    let done_text = match done {
        Some(a) if request => mandate_request::done_text(a).map(str::to_string),
        Some(a) => mandate::done_text(a, &to),
        None => None,
    };
    if let Some(done) = done_text {
        body.push_str(&alert(Kind::Success, "Erledigt", &done));
    }
    if let Some(m) = under {
        body.push_str(&mandate::section_html(m));
    }
    if let Some(r) = mandate_request::of_case(case) {
        body.push_str(&mandate_request::section_html(case, r));
    }
    body.push_str(&format!(
        "<dl class=\"bh-data bh-section\"><dt>Leistung</dt><dd>{}</dd><dt>Vorgangsnummer</dt><dd>{}</dd><dt>Empfänger</dt><dd>{}</dd>\
<dt>Eingegangen am</dt><dd>{}</dd><dt>FIT-Connect-Status</dt><dd>{}</dd><dt>Bearbeitungsstand</dt><dd>{}</dd><dt>Erforderliches Vertrauensniveau</dt><dd>{}</dd>\
<dt>Anmeldung der antragstellenden Person</dt><dd>{}</dd></dl>",
        escape(case.service()),
        escape(case.reference()),
        escape(&case.destination.name),
        when(case.entry.submitted_at),
        fit_status(&case.entry.status),
        app_status(case.latest().map(Status::as_str)),
        escape(case.level().german_name()),
        render::login_report(case.content.as_ref().ok().map(|d| &d.attestation), when),
    ));
    if let Some(r) = payment::of_case(case) {
        body.push_str(&payment::section_html(&r, &id, &clerk.csrf, check));
    }
    body.push_str("<h2 class=\"kern-heading-medium\">Angaben im Antrag</h2>");
    match &case.content {
        Ok(d) => body.push_str(&render::data_html(
            &case.destination.form.schema,
            &d.data,
            &id,
            &d.attachments,
        )),
        Err(p) => body.push_str(&alert(Kind::Danger, "Antrag nicht lesbar", p)),
    }
    body.push_str(&followups::open_request_html(
        &case.statuses,
        &case.follow_ups,
    ));
    body.push_str(&followups::html(&case.follow_ups, when));
    body.push_str("<h2 class=\"kern-heading-medium\">Verlauf</h2><ol class=\"kern-list\">");
    for s in &case.statuses {
        body.push_str(&format!(
            "<li>{} – {}: {}</li>",
            when(Some(s.created_date)),
            app_status(Some(&s.status)),
            escape(&s.status_details)
        ));
    }
    body.push_str("</ol><h2 class=\"kern-heading-medium\">Aktionen</h2><div class=\"bh-actions\">");
    let csrf = &clerk.csrf;
    let latest = case.latest();
    let completed = latest == Some(Status::Completed);
    match case.entry.status.as_str() {
        "submitted" if request => {
            body.push_str(&action_form(
                &id,
                csrf,
                "eingang-bestaetigen",
                mandate_request::ACCEPT_LABEL,
                None,
            ));
            body.push_str(&action_form(
                &id,
                csrf,
                "zurueckweisen",
                mandate_request::REJECT_LABEL,
                Some((
                    "Begründung der Ablehnung",
                    "Wird ins Postfach der antragstellenden Person geschickt.",
                )),
            ));
        }
        status if request => {
            let text = mandate_request::decided_text(status)
                .unwrap_or("Für diesen Antrag sind keine Aktionen mehr möglich.");
            body.push_str(&alert(Kind::Info, "Entschieden", text));
        }
        "submitted" => {
            body.push_str(&action_form(
                &id,
                csrf,
                "eingang-bestaetigen",
                "Eingang bestätigen",
                None,
            ));
            body.push_str(&action_form(
                &id,
                csrf,
                "zurueckweisen",
                "Antrag zurückweisen",
                Some((
                    "Begründung der Zurückweisung",
                    &format!("Wird ins Postfach {} geschickt.", escape(&to)),
                )),
            ));
        }
        "accepted" if !completed => {
            if matches!(latest, Some(Status::Received | Status::ActionRequired)) {
                body.push_str(&followups::processing_form(&id, csrf));
            }
            body.push_str(&followups::request_form(&id, csrf));
            body.push_str(&followups::fulfilled_form(
                &id,
                csrf,
                &case.statuses,
                &case.follow_ups,
            ));
            body.push_str(&action_form(
                &id,
                csrf,
                "bescheiden",
                "Bescheid erlassen",
                Some((
                    "Entscheidung (Bescheidtext)",
                    "Erscheint im PDF-Bescheid. Die Rechtsbehelfsbelehrung wird angefügt.",
                )),
            ));
        }
        _ => body.push_str(&alert(
            Kind::Info,
            "Abgeschlossen",
            "Für diesen Antrag sind keine Aktionen mehr möglich.",
        )),
    }
    body.push_str(&format!(
        "</div><p class=\"kern-body\"><a class=\"kern-link\" href=\"/behoerde/protokoll?vorgang={}\">Protokoll zu diesem Antrag</a></p>\
<p class=\"kern-body\"><a class=\"kern-link\" href=\"/behoerde/eingang\">Zurück zum Posteingang</a></p>",
        escape(&crate::idp::url_encode(&id))
    ));
    // A heading a clerk can tell apart (the service and when it came in),
    // not a UUID; the Vorgangsnummer is listed below it.
    page(
        site,
        StatusCode::OK,
        &format!("{} vom {}", case.service(), when(case.entry.submitted_at)),
        Some(clerk),
        &body,
    )
}

/// `GET /behoerde/antraege/{id}/anlagen/{attachment_id}`
pub async fn attachment(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    Path((id, att)): Path<(String, String)>,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let actor = Actor::clerk(&clerk, Channel::Console);
    match trail::attachment_file(&state, &actor, &id, &att).await {
        Ok(r) => r,
        Err(e) => error_page(&site, Some(&clerk), &e),
    }
}

/// `POST /behoerde/antraege/{id}/{action}` (form `csrf`, `text` where
/// needed; `nachfordern` also `frist`, `unterlagen`, `typ` (repeated),
/// `groesse`; `bearbeitung-beginnen` `entscheidung_bis`)
pub async fn act(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let pairs = form.map(|Form(f)| f).unwrap_or_default();
    // The first value of each name; `typ` may repeat.
    let mut f: HashMap<String, String> = HashMap::new();
    for (k, v) in &pairs {
        f.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if let Some(refused) = csrf_refused(&site, &clerk, &f) {
        return refused;
    }
    if action == "zahlung-pruefen" {
        return payment_check(&state, &site, &clerk, &id).await;
    }
    let text = field(&f, "text").to_string();
    let a = match action.as_str() {
        "eingang-bestaetigen" => Action::Accept,
        "bearbeitung-beginnen" => {
            Action::StartProcessing(field(&f, "entscheidung_bis").to_string())
        }
        "nachreichung-erfuellt" => Action::Fulfilled,
        "nachfordern" => {
            let max_bytes = match super::info::size_choice(field(&f, "groesse")) {
                Ok(m) => m,
                Err(e) => return error_page(&site, Some(&clerk), &e),
            };
            Action::RequestAction(super::info::RequestInput {
                text,
                deadline: field(&f, "frist").to_string(),
                documents: field(&f, "unterlagen")
                    .lines()
                    .map(str::to_string)
                    .collect(),
                accept: Some(
                    pairs
                        .iter()
                        .filter(|(k, _)| k == "typ")
                        .map(|(_, v)| v.clone())
                        .collect(),
                ),
                max_bytes,
            })
        }
        "zurueckweisen" => Action::Reject(text),
        "bescheiden" => Action::Decide(text),
        _ => return error_page(&site, Some(&clerk), &ApiError::NotFound),
    };
    let actor = Actor::clerk(&clerk, Channel::Console);
    match trail::perform(&state, &actor, &id, a).await {
        Ok(_) => {
            tracing::info!(clerk = %clerk.username, submission = %id, action = %action, "behoerde action");
            see_other(&format!(
                "/behoerde/antraege/{}?erledigt={}",
                crate::idp::url_encode(&id),
                crate::idp::url_encode(&action)
            ))
        }
        Err(e) => error_page(&site, Some(&clerk), &e),
    }
}
