//! `GET /behoerde/protokoll`: the audit log (`audit.rs`) for the clerk,
//! newest first, [`PER_PAGE`] a page (`?seite=`), filtered by an id
//! (`?vorgang=`: the application's submission id, its FIT-Connect case or
//! the submission holding a file), and whether the hash chain verifies.
//! German, KERN classes, no scripts (the CSP forbids them).

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

use super::audit::{self, Entry, Verification};
use super::pages::{alert, current, error_page, page as shell, see_other};
use crate::html::{escape, Kind};
use crate::idp::url_encode;
use crate::static_files::Site;
use crate::zbp::Status;
use crate::AppState;

/// Entries on one page.
pub const PER_PAGE: u32 = 50;

/// The action in German.
fn action(a: &str) -> &str {
    match a {
        "login" => "Anmeldung",
        "logout" => "Abmeldung",
        "open" => "Antrag geöffnet (entschlüsselt)",
        "attachment" => "Datei heruntergeladen",
        "payment-check" => "Zahlung beim Bezahldienst geprüft",
        "accept" => "Eingang bestätigen",
        "processing" => "Bearbeitung beginnen",
        "request-action" => "Nachricht senden (Nachforderung)",
        "fulfilled" => "Nachreichung erfüllt",
        "reject" => "Antrag zurückweisen",
        "decide" => "Bescheid erlassen",
        "reminder" => "Erinnerung an die Frist gesendet",
        "termine-tag" => "Termine eines Tages angesehen",
        "termine-sperren" => "Termine gesperrt (Schließung)",
        other => other,
    }
}

fn status(s: &Value) -> String {
    match s.as_str() {
        Some(x) => Status::parse(x)
            .map(Status::german)
            .unwrap_or(x)
            .to_string(),
        None => "–".into(),
    }
}

fn date(v: &Value) -> Option<String> {
    match v.as_str()? {
        "invalid" => Some("ungültig".into()),
        d => Some(crate::fitconnect::followup::german(d)),
    }
}

/// Who acted: account, channel, login session; a mandate when there is one.
fn who(e: &Entry) -> String {
    let channel = match e.channel.as_str() {
        "console" => "Konsole",
        "api" => "JSON-API",
        "automatic" => "automatisch",
        other => other,
    };
    let mut out = match e.actor_kind.as_str() {
        "system" => format!("System: {} ({channel})", escape(&e.actor)),
        _ => format!("{} ({channel})", escape(&e.actor)),
    };
    if let Some(s) = &e.actor_session {
        out.push_str(&format!("<br>Sitzung {}", escape(s)));
    }
    if let Some(o) = &e.actor_on_behalf_of {
        out.push_str(&format!("<br>im Auftrag von {}", escape(o)));
    }
    if let Some(m) = &e.mandate_ref {
        out.push_str(&format!(" (Vollmacht {})", escape(m)));
    }
    out
}

/// The entry's details in German: states, dates, counts, ids.
fn details(e: &Entry) -> String {
    let d = e.detail_json();
    let mut parts: Vec<String> = Vec::new();
    if let Some(f) = d.get("from").filter(|_| e.outcome == "begun") {
        parts.push(format!("Stand vorher: {}", escape(&status(f))));
    }
    if let Some(t) = d.get("to") {
        parts.push(format!("Stand nachher: {}", escape(&status(t))));
    }
    if let Some(x) = d.get("expectedDecision").and_then(date) {
        parts.push(format!("Entscheidung bis {}", escape(&x)));
    }
    if let Some(x) = d.get("deadline") {
        parts.push(match date(x) {
            Some(x) => format!("Frist {}", escape(&x)),
            None => "ohne Frist".into(),
        });
    }
    if let Some(n) = d.get("documents").and_then(Value::as_u64) {
        parts.push(format!("{n} Unterlage(n) angefordert"));
    }
    if d.get("readable") == Some(&Value::Bool(false)) {
        parts.push("nicht lesbar".into());
    }
    if let Some(m) = d.get("mandateId").and_then(Value::as_str) {
        parts.push(format!(
            "Antrag in Vertretung <span class=\"bh-hash\">{}</span>",
            escape(m)
        ));
    }
    if let Some(m) = d.get("mandateRequestId").and_then(Value::as_str) {
        parts.push(format!(
            "Antrag auf Bestätigung einer Vertretung <span class=\"bh-hash\">{}</span>",
            escape(m)
        ));
    }
    if let Some(a) = d.get("attachmentId").and_then(Value::as_str) {
        parts.push(format!(
            "Datei <span class=\"bh-hash\">{}</span>",
            escape(a)
        ));
    }
    if let Some(s) = e
        .subject
        .as_deref()
        .filter(|s| Some(*s) != e.submission_id.as_deref())
    {
        parts.push(format!(
            "aus Einreichung <span class=\"bh-hash\">{}</span>",
            escape(s)
        ));
    }
    if let Some(m) = d.get("requestMessageId").and_then(Value::as_str) {
        parts.push(format!(
            "zur Nachforderung <span class=\"bh-hash\">{}</span>",
            escape(m)
        ));
    }
    if let Some(m) = d.get("messageId").and_then(Value::as_str) {
        parts.push(format!(
            "Postfach-Nachricht <span class=\"bh-hash\">{}</span>",
            escape(m)
        ));
    }
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join("<br>")
    }
}

fn outcome(e: &Entry) -> String {
    let code = e
        .outcome_code
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let text = match e.outcome.as_str() {
        "begun" => "begonnen".to_string(),
        "done" => "erledigt".to_string(),
        "refused" => format!("abgelehnt{code}"),
        "failed" => format!("fehlgeschlagen{code}"),
        other => escape(other),
    };
    match e.refers_to {
        Some(n) => format!("{text}, zu Nr. {n}"),
        None => text,
    }
}

/// `DD.MM.YYYY, HH:MM:SS` in UTC.
fn time(at: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
        .map(|t| t.format("%d.%m.%Y, %H:%M:%S").to_string())
        .unwrap_or_else(|| "–".into())
}

fn filter_link(id: &str) -> String {
    format!(
        "<a class=\"kern-link bh-hash\" href=\"/behoerde/protokoll?vorgang={}\">{}</a>",
        escape(&url_encode(id)),
        escape(id)
    )
}

fn row(e: &Entry) -> String {
    let application = e
        .submission_id
        .as_deref()
        .map(filter_link)
        .unwrap_or_else(|| "–".into());
    format!(
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        e.seq,
        time(e.at),
        who(e),
        escape(action(&e.action)),
        application,
        details(e),
        outcome(e),
    )
}

fn verification_html(v: &Verification) -> String {
    match &v.problem {
        None => {
            let text = match &v.head {
                Some(head) => format!(
                    "Alle {} Einträge sind lückenlos verkettet; kein Eintrag wurde verändert oder entfernt. Letzter Kettenwert (SHA-256): {head}",
                    v.entries
                ),
                None => "Das Protokoll ist noch leer.".into(),
            };
            alert(Kind::Success, "Protokoll geprüft: unverändert", &text)
        }
        Some(p) => alert(
            Kind::Danger,
            "Protokoll geprüft: verändert",
            &format!(
                "{p} Die Prüfung der Hash-Kette über {} Einträge schlägt fehl. Bitte melden Sie das der IT-Sicherheit.",
                v.entries
            ),
        ),
    }
}

fn filter_form(filter: Option<&str>) -> String {
    let reset = match filter {
        Some(_) => "<a class=\"kern-link\" href=\"/behoerde/protokoll\">Alle Einträge zeigen</a>",
        None => "",
    };
    format!(
        "<form method=\"get\" action=\"/behoerde/protokoll\" class=\"bh-form bh-filter\">\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"vorgang\">Vorgang</label>\
<p class=\"kern-hint\" id=\"hint-vorgang\">ID des Antrags, einer Nachreichung oder des FIT-Connect-Vorgangs</p>\
<input class=\"kern-form-input__input\" type=\"text\" id=\"vorgang\" name=\"vorgang\" value=\"{}\" maxlength=\"100\" aria-describedby=\"hint-vorgang\"></div>\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">Einträge zeigen</span></button>{reset}</form>",
        escape(filter.unwrap_or(""))
    )
}

fn page_link(filter: Option<&str>, n: u32, text: &str) -> String {
    let f = filter
        .map(|f| format!("vorgang={}&amp;", escape(&url_encode(f))))
        .unwrap_or_default();
    format!("<a class=\"kern-link\" href=\"/behoerde/protokoll?{f}seite={n}\">{text}</a>")
}

fn pager(filter: Option<&str>, seite: u32, pages: u32) -> String {
    let mut links = Vec::new();
    if seite > 1 {
        links.push(page_link(filter, seite - 1, "Neuere Einträge"));
    }
    links.push(format!("<span>Seite {seite} von {pages}</span>"));
    if seite < pages {
        links.push(page_link(filter, seite + 1, "Ältere Einträge"));
    }
    format!(
        "<nav class=\"bh-pages\" aria-label=\"Seiten des Protokolls\">{}</nav>",
        links.join("")
    )
}

/// `GET /behoerde/protokoll?vorgang=&seite=`
pub async fn page(
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
    let filter: Option<String> = q
        .get("vorgang")
        .map(|v| v.trim().chars().take(100).collect::<String>())
        .filter(|v| !v.is_empty());
    let seite = q
        .get("seite")
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|n| (1..=1_000_000).contains(n))
        .unwrap_or(1);
    let verification = match audit::verify(&state).await {
        Ok(v) => v,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let (entries, total) = match audit::page(&state, filter.clone(), seite, PER_PAGE).await {
        Ok(x) => x,
        Err(e) => return error_page(&site, Some(&clerk), &e),
    };
    let f = filter.as_deref();
    let mut body = verification_html(&verification);
    body.push_str(
        "<p class=\"kern-body\">Jede Aktion der Sachbearbeitung steht hier: wer, wann, an welchem Antrag, was und mit welchem Ergebnis. \
Inhalte der Anträge stehen nicht im Protokoll. Einträge lassen sich weder ändern noch löschen.</p>",
    );
    body.push_str(&filter_form(f));
    let pages = u32::try_from((total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
        .unwrap_or(u32::MAX);
    if entries.is_empty() {
        let text = match f {
            Some(id) => format!("Zu „{id}“ gibt es keine Einträge auf dieser Seite."),
            None => "Auf dieser Seite gibt es keine Einträge.".to_string(),
        };
        body.push_str(&alert(Kind::Info, "Keine Einträge", &text));
    } else {
        let first = i64::from(seite - 1) * i64::from(PER_PAGE) + 1;
        let last = first + entries.len() as i64 - 1;
        let caption = match f {
            Some(id) => format!(
                "Einträge {first} bis {last} von {total} zu {}, neueste zuerst",
                escape(id)
            ),
            None => format!("Einträge {first} bis {last} von {total}, neueste zuerst"),
        };
        body.push_str(&format!(
            "<div class=\"bh-scroll\" role=\"region\" aria-label=\"Protokolleinträge\" tabindex=\"0\">\
<table class=\"kern-table bh-table\"><caption class=\"kern-body\">{caption}</caption><thead><tr>\
<th scope=\"col\">Nr.</th><th scope=\"col\">Zeit (UTC)</th><th scope=\"col\">Wer</th><th scope=\"col\">Aktion</th>\
<th scope=\"col\">Antrag</th><th scope=\"col\">Einzelheiten</th><th scope=\"col\">Ergebnis</th></tr></thead><tbody>{}</tbody></table></div>",
            entries.iter().map(row).collect::<String>()
        ));
    }
    body.push_str(&pager(f, seite, pages));
    shell(&site, StatusCode::OK, "Protokoll", Some(&clerk), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail: &str, outcome: &str) -> Entry {
        Entry {
            seq: 7,
            at: 0,
            actor: "sachbearbeitung".into(),
            actor_kind: "clerk".into(),
            actor_session: Some("0123456789ab".into()),
            actor_on_behalf_of: None,
            mandate_ref: None,
            channel: "console".into(),
            action: "processing".into(),
            submission_id: Some("s<1>".into()),
            case_id: None,
            subject: None,
            detail: detail.into(),
            outcome: outcome.into(),
            outcome_code: None,
            refers_to: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn details_read_as_german_and_are_escaped() {
        let e = entry(
            r#"{"from":"RECEIVED","expectedDecision":"2026-12-24","deadline":null,"documents":2}"#,
            "begun",
        );
        let d = details(&e);
        assert!(d.contains("Stand vorher: Eingang bestätigt"), "{d}");
        assert!(d.contains("Entscheidung bis 24.12.2026"), "{d}");
        assert!(
            d.contains("ohne Frist") && d.contains("2 Unterlage(n)"),
            "{d}"
        );
        let r = row(&e);
        assert!(r.contains("s&lt;1&gt;") && !r.contains("s<1>"), "{r}");
        assert!(r.contains("01.01.1970, 00:00:00"), "{r}");
        let mut done = entry(r#"{"to":"PROCESSING"}"#, "done");
        done.refers_to = Some(6);
        assert_eq!(outcome(&done), "erledigt, zu Nr. 6");
        assert!(details(&done).contains("Stand nachher: In Bearbeitung"));
        let mut refused = entry("{}", "refused");
        refused.outcome_code = Some(409);
        assert_eq!(outcome(&refused), "abgelehnt (409)");
        let opened = entry(r#"{"readable":true,"mandateId":"m<1>"}"#, "done");
        assert_eq!(
            details(&opened),
            "Antrag in Vertretung <span class=\"bh-hash\">m&lt;1&gt;</span>"
        );
        let request = entry(r#"{"readable":true,"mandateRequestId":"r-1"}"#, "done");
        assert_eq!(
            details(&request),
            "Antrag auf Bestätigung einer Vertretung <span class=\"bh-hash\">r-1</span>"
        );
    }

    #[test]
    fn the_pager_keeps_the_filter() {
        let p = pager(Some("a b"), 2, 3);
        assert!(p.contains("vorgang=a%20b&amp;seite=1"), "{p}");
        assert!(p.contains("seite=3") && p.contains("Seite 2 von 3"), "{p}");
        assert!(!pager(None, 1, 1).contains("<a "));
    }
}
