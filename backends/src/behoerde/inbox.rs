//! The Posteingang (`GET /behoerde/eingang`): the received applications
//! per destination, each with its reference, FIT-Connect status and
//! processing status; applications made under a mandate and requests for
//! one (issue #25) are marked.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use std::sync::Arc;

use super::pages::{alert, app_status, current, error_page, fit_status, page, see_other, when};
use super::{mandate, mandate_request};
use crate::html::{escape, Kind};
use crate::static_files::Site;
use crate::AppState;

/// `GET /behoerde/eingang`: the submissions per destination.
pub async fn inbox(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    headers: HeaderMap,
) -> Response {
    let clerk = match current(&state, &headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return see_other("/behoerde/anmelden"),
        Err(e) => return error_page(&site, None, &e),
    };
    let entries = match crate::fitconnect::authority::inbox(&state).await {
        Ok(e) => e,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    // Who applied for whom (issue #25), as kept on receipt.
    let mandates = match crate::fitconnect::authority::mandates(&state).await {
        Ok(m) => m,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    // Requests for a mandate for a child or a cared-for person.
    let requests = match crate::fitconnect::authority::mandate_requests(&state).await {
        Ok(m) => m,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for e in &entries {
        let statuses = match crate::zbp::application_statuses(&state, &e.submission_id).await {
            Ok(s) => s,
            Err(err) => return error_page(&site, Some(&clerk), &err),
        };
        let latest = statuses.last().map(|x| x.status.clone());
        // The short reference the citizen also sees (`HST-2026-000042`),
        // else FIT-Connect's caseId.
        let reference = statuses
            .iter()
            .rev()
            .find_map(|x| x.reference.clone().filter(|r| !r.trim().is_empty()))
            .unwrap_or_else(|| e.case_id.clone());
        let d = crate::fitconnect::destinations::by_id(&e.destination_id)
            .ok()
            .flatten();
        let dest = d
            .map(|d| d.name.clone())
            .unwrap_or_else(|| e.destination_id.clone());
        let service = d.map(|d| d.form.title.as_str()).unwrap_or(&e.service_name);
        let row = format!(
            "<tr><td>{}</td><td>{}{}{}</td><td>{}</td><td>{}</td><td>{}</td><td><a class=\"kern-link\" href=\"/behoerde/antraege/{}\">Antrag {} öffnen</a></td></tr>",
            when(e.submitted_at),
            escape(service),
            mandates
                .get(&e.submission_id)
                .map(mandate::list_note)
                .unwrap_or_default(),
            requests
                .get(&e.submission_id)
                .map(mandate_request::list_note)
                .unwrap_or_default(),
            escape(&reference),
            fit_status(&e.status),
            app_status(latest.as_deref()),
            escape(&e.submission_id),
            escape(&reference),
        );
        match groups.iter_mut().find(|(d, _)| *d == dest) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((dest, vec![row])),
        }
    }
    let mut body = String::new();
    if groups.is_empty() {
        body.push_str(&alert(
            Kind::Info,
            "Keine Anträge",
            "Es sind noch keine Anträge eingegangen.",
        ));
    }
    for (dest, rows) in groups {
        body.push_str(&format!(
            "<h2 class=\"kern-heading-medium\">{}</h2><table class=\"kern-table bh-table\"><thead><tr><th scope=\"col\">Eingang</th><th scope=\"col\">Leistung</th>\
<th scope=\"col\">Vorgangsnummer</th><th scope=\"col\">FIT-Connect</th><th scope=\"col\">Bearbeitungsstand</th><th scope=\"col\">Aktion</th></tr></thead><tbody>{}</tbody></table>",
            escape(&dest),
            rows.join("")
        ));
    }
    page(&site, StatusCode::OK, "Posteingang", Some(&clerk), &body)
}
