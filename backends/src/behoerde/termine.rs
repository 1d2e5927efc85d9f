//! The console's appointments page (issue #22): the day's bookings of an
//! office per counter, its blocked times, and a form to block a time
//! (a closure). A block cancels the bookings it covers; each citizen gets
//! a notice in the appointment system's outbox. Every block is written to
//! the audit log (`termine-sperren`); viewing a day is `termine-tag`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::{
    extract::{Form, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use contract::termine as t;
use serde_json::json;

use super::audit::{self, Actor, Channel, NewEntry, Outcome};
use super::pages::{alert, csrf_refused, current, error_page, field, page, see_other};
use crate::html::{escape, Kind};
use crate::static_files::Site;
use crate::termine::{authority, offices};
use crate::{ApiError, AppState};

/// The office shown when none is chosen: Köln's Kundenzentrum Innenstadt
/// (the office of the README's walk-through), else the first one.
fn default_office() -> String {
    let ids = offices::all_ids();
    ids.iter()
        .find(|id| {
            offices::office(id).is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .or(ids.first())
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn today() -> i64 {
    t::unix_to_local(crate::idp::now_secs()).0
}

fn hhmm(rfc3339: &str) -> String {
    rfc3339.get(11..16).unwrap_or("–").to_string()
}

/// `GET /behoerde/termine?stelle=…&tag=YYYY-MM-DD`
pub async fn day_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let office_id = q
        .get("stelle")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(default_office);
    let day = q
        .get("tag")
        .and_then(|d| t::parse_date(d))
        .unwrap_or_else(today);
    let Some(office) = offices::office(&office_id) else {
        return error_page(&site, Some(&clerk), &ApiError::NotFound);
    };
    let (entries, blocks) = match authority::day(&state, &office_id, day).await {
        Ok(x) => x,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let actor = Actor::clerk(&clerk, Channel::Console);
    let logged = audit::append(
        &state,
        NewEntry::new(&actor, "termine-tag", Outcome::Done).detail(json!({
            "office": office_id, "day": t::format_date(day), "bookings": entries.len(),
        })),
    )
    .await;
    if let Err(e) = logged {
        return error_page(&site, Some(&clerk), &e);
    }
    let date = t::format_date(day);
    let mut body = String::new();
    if let Some(n) = q.get("abgesagt") {
        body.push_str(&alert(
            Kind::Success,
            "Zeit gesperrt",
            &format!(
                "Die Zeit ist gesperrt. Abgesagte Termine: {}. Die Bürgerinnen und Bürger wurden benachrichtigt.",
                escape(n)
            ),
        ));
    }
    body.push_str(&format!(
        "<p class=\"kern-body\">{} – {}. Schalter: {}. Testdaten (Schalter und Terminlängen erfunden).</p>\
<form method=\"get\" action=\"/behoerde/termine\" class=\"bh-form bh-section\">\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"stelle\">Stelle (Kennung)</label>\
<input class=\"kern-form-input__input\" id=\"stelle\" name=\"stelle\" value=\"{}\"></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"tag\">Tag</label>\
<input class=\"kern-form-input__input\" type=\"date\" id=\"tag\" name=\"tag\" value=\"{date}\"></div>\
<button class=\"kern-btn kern-btn--secondary\" type=\"submit\"><span class=\"kern-label\">Anzeigen</span></button></form>",
        escape(&office.authority.title),
        escape(&office.address()),
        office.counters,
        escape(&office_id),
    ));
    for counter in 1..=i64::from(office.counters) {
        let rows: Vec<String> = entries
            .iter()
            .filter(|e| e.counter == counter)
            .map(|e| {
                format!(
                    "<tr><td>{}–{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    hhmm(&e.start),
                    hhmm(&e.end),
                    escape(&e.reference),
                    escape(&e.service),
                    escape(&e.name),
                    e.persons,
                    if e.cancelled { "Von der Behörde abgesagt" } else { "Gebucht" }
                )
            })
            .collect();
        body.push_str(&format!(
            "<h2 class=\"kern-heading-medium\">Schalter {counter}</h2>"
        ));
        if rows.is_empty() {
            body.push_str("<p class=\"kern-body\">Keine Termine.</p>");
        } else {
            body.push_str(&format!(
                "<table class=\"kern-table bh-table\"><caption>Termine am {date}, Schalter {counter}</caption><thead><tr>\
<th scope=\"col\">Zeit</th><th scope=\"col\">Vorgangsnummer</th><th scope=\"col\">Leistung</th>\
<th scope=\"col\">Name</th><th scope=\"col\">Personen</th><th scope=\"col\">Status</th></tr></thead><tbody>{}</tbody></table>",
                rows.join("")
            ));
        }
    }
    body.push_str("<h2 class=\"kern-heading-medium\">Gesperrte Zeiten</h2>");
    if blocks.is_empty() {
        body.push_str("<p class=\"kern-body\">Keine.</p>");
    } else {
        body.push_str("<ul class=\"kern-list\">");
        for (k, s, e, why) in &blocks {
            let which = k.map_or("alle Schalter".to_string(), |k| format!("Schalter {k}"));
            body.push_str(&format!(
                "<li>{} bis {}, {}: {}</li>",
                escape(&s.replace('T', " ")[..16.min(s.len())]),
                escape(&e.replace('T', " ")[..16.min(e.len())]),
                which,
                escape(why)
            ));
        }
        body.push_str("</ul>");
    }
    let counters: String = (1..=office.counters)
        .map(|k| format!("<option value=\"{k}\">Schalter {k}</option>"))
        .collect();
    body.push_str(&format!(
        "<h2 class=\"kern-heading-medium\">Zeit sperren</h2>\
<form method=\"post\" action=\"/behoerde/termine/sperren\" class=\"bh-form bh-section\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"stelle\" value=\"{}\"><input type=\"hidden\" name=\"tag\" value=\"{date}\">\
<p class=\"kern-hint\" id=\"sperren-hinweis\">Gebuchte Termine in dieser Zeit werden abgesagt; die Bürgerinnen und Bürger werden benachrichtigt.</p>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"von\">Von (Uhrzeit)</label><input class=\"kern-form-input__input\" type=\"time\" id=\"von\" name=\"von\" required></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"bis\">Bis (Uhrzeit)</label><input class=\"kern-form-input__input\" type=\"time\" id=\"bis\" name=\"bis\" required></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"schalter\">Schalter</label><select class=\"kern-form-input__input\" id=\"schalter\" name=\"schalter\"><option value=\"alle\">Alle Schalter</option>{counters}</select></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"grund\">Grund (geht an die Bürgerinnen und Bürger)</label><input class=\"kern-form-input__input\" id=\"grund\" name=\"grund\" required maxlength=\"500\" aria-describedby=\"sperren-hinweis\"></div>\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">Zeit sperren</span></button></form>",
        escape(&clerk.csrf),
        escape(&office_id),
    ));
    page(&site, StatusCode::OK, "Termine", Some(&clerk), &body)
}

fn minute(hhmm: &str) -> Option<i64> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// `POST /behoerde/termine/sperren`
pub async fn block(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
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
    let office = field(&f, "stelle").to_string();
    let day = t::parse_date(field(&f, "tag"));
    let times = day.and_then(|d| {
        let s = t::local_to_unix(d, minute(field(&f, "von"))?)?;
        let e = t::local_to_unix(d, minute(field(&f, "bis"))?)?;
        Some((d, s, e))
    });
    let Some((day, start, end)) = times else {
        return error_page(
            &site,
            Some(&clerk),
            &ApiError::Unprocessable("Bitte Tag, Von und Bis als Uhrzeiten angeben.".into()),
        );
    };
    let counter = match field(&f, "schalter") {
        "alle" | "" => None,
        k => match k.parse::<i64>() {
            Ok(k) => Some(k),
            Err(_) => {
                return error_page(
                    &site,
                    Some(&clerk),
                    &ApiError::Unprocessable("Unbekannter Schalter.".into()),
                )
            }
        },
    };
    let actor = Actor::clerk(&clerk, Channel::Console);
    let detail = json!({
        "office": office, "counter": counter, "start": t::rfc3339(start), "end": t::rfc3339(end),
    });
    let begun = match audit::append(
        &state,
        NewEntry::new(&actor, "termine-sperren", Outcome::Begun).detail(detail.clone()),
    )
    .await
    {
        Ok(id) => id,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let result = authority::block(
        &state,
        authority::NewBlock {
            office: office.clone(),
            counter,
            start,
            end,
            reason: field(&f, "grund").to_string(),
            created_by: clerk.username.clone(),
        },
        crate::idp::now_secs(),
    )
    .await;
    let (outcome, detail) = match &result {
        Ok(b) => (
            Outcome::Done,
            json!({ "block": b.block_id, "cancelled": b.cancelled, "releasedHolds": b.released_holds }),
        ),
        Err(e) => (Outcome::of_error(e), detail),
    };
    let mut end_entry = NewEntry::new(&actor, "termine-sperren", outcome).detail(detail);
    end_entry.refers_to = Some(begun);
    if let Err(e) = audit::append(&state, end_entry).await {
        return error_page(&site, Some(&clerk), &e);
    }
    match result {
        Ok(b) => see_other(&format!(
            "/behoerde/termine?stelle={}&tag={}&abgesagt={}",
            contract::encoding::url_encode(&office),
            t::format_date(day),
            b.cancelled.len()
        )),
        Err(e) => error_page(&site, Some(&clerk), &e),
    }
}
