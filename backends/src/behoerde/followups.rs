//! Follow-ups (Nachreichungen) in the console: the case's later
//! submissions, decrypted like the application, the open request, and the
//! forms to ask for documents, to start processing with a decision date
//! and to mark a request fulfilled.

use contract::followup::{Answer, StatusInfo, FILE_TYPES, MAX_DOCUMENTS};
use serde_json::{json, Value};

use crate::fitconnect::authority::{self, AskedFor, DecryptedAttachment};
use crate::html::escape;
use crate::zbp::{Status, StatusRow};
use crate::{ApiError, AppState};

/// One follow-up of the application.
pub struct FollowUp {
    pub submission_id: String,
    pub submitted_at: Option<i64>,
    /// It came after the deadline of the request it answers.
    pub late: bool,
    /// The request it answers, if it names a known one.
    pub request: Option<AskedFor>,
    /// The answer and its files, or why it cannot be read.
    pub content: Result<(Answer, Vec<DecryptedAttachment>), String>,
}

impl FollowUp {
    /// The postbox message id of the request it answers.
    pub fn answers(&self) -> Option<&str> {
        self.content.as_ref().ok().map(|(a, _)| a.request.as_str())
    }
}

/// The follow-ups of an application that passed the checks, oldest first.
pub async fn load(
    state: &AppState,
    application_id: &str,
    statuses: &[StatusRow],
) -> Result<Vec<FollowUp>, ApiError> {
    let asked = authority::requests_of(statuses);
    let mut out = Vec::new();
    for e in authority::follow_ups(state, application_id).await? {
        let content = match crate::fitconnect::decrypted(state, &e.submission_id).await {
            Ok(d) => match serde_json::from_value::<Answer>(d.data) {
                Ok(a) => Ok((a, d.attachments)),
                Err(_) => Err("Die Angaben sind keine Nachreichung.".to_string()),
            },
            Err(ApiError::Unprocessable(p) | ApiError::Conflict(p)) => Err(p),
            Err(e) => return Err(e),
        };
        let request = content
            .as_ref()
            .ok()
            .and_then(|(a, _)| asked.iter().find(|r| r.message_id == a.request))
            .cloned();
        let late = request
            .as_ref()
            .is_some_and(|r| authority::came_late(&r.request, e.submitted_at));
        out.push(FollowUp {
            submission_id: e.submission_id,
            submitted_at: e.submitted_at,
            late,
            request,
            content,
        });
    }
    Ok(out)
}

/// The latest request and whether the clerk has marked it fulfilled.
pub fn latest_request(statuses: &[StatusRow]) -> Option<(AskedFor, bool)> {
    let at = statuses
        .iter()
        .rposition(|s| s.status == Status::ActionRequired.as_str() && s.message_id.is_some())?;
    let asked = authority::requests_of(&statuses[at..]).into_iter().next()?;
    let fulfilled = statuses[at + 1..].iter().any(|s| {
        s.status == Status::Processing.as_str()
            && StatusInfo::parse(s.additional_information.as_deref().unwrap_or("")).fulfilled
    });
    Some((asked, fulfilled))
}

/// Whether some follow-up answers the request with this message id.
pub fn answered(follow_ups: &[FollowUp], message_id: &str) -> bool {
    follow_ups.iter().any(|f| f.answers() == Some(message_id))
}

/// `followUps` of `GET /behoerde/api/submissions/{id}`.
pub fn json(follow_ups: &[FollowUp]) -> Value {
    json!(follow_ups
        .iter()
        .map(|f| {
            let mut v = json!({
                "submissionId": f.submission_id,
                "submittedAt": f.submitted_at.and_then(crate::zbp::iso),
                "late": f.late,
                "request": f.request.as_ref().map(|r| json!({
                    "messageId": r.message_id,
                    "text": r.request.text,
                    "deadline": r.request.deadline,
                    "documents": r.request.documents,
                })),
            });
            match &f.content {
                Ok((answer, files)) => {
                    v["answer"] = json!(answer);
                    v["attachments"] = json!(files
                        .iter()
                        .map(|a| json!({"attachmentId": a.attachment_id, "filename": a.filename, "mimeType": a.mime_type, "size": a.content.len()}))
                        .collect::<Vec<_>>());
                }
                Err(p) => v["decryptionProblems"] = json!(p),
            }
            v
        })
        .collect::<Vec<_>>())
}

fn german_date(d: &str) -> String {
    crate::fitconnect::followup::german(d)
}

/// The open request: what was asked, by when, whether it was answered.
pub fn open_request_html(statuses: &[StatusRow], follow_ups: &[FollowUp]) -> String {
    let Some((asked, fulfilled)) = latest_request(statuses) else {
        return String::new();
    };
    let r = &asked.request;
    let state = if fulfilled {
        "als erfüllt markiert"
    } else if answered(follow_ups, &asked.message_id) {
        "beantwortet, noch nicht als erfüllt markiert"
    } else {
        "noch nicht beantwortet"
    };
    let mut html = format!(
        "<h2 class=\"kern-heading-medium\">Letzte Nachforderung</h2><dl class=\"bh-data bh-section\"><dt>Text</dt><dd>{}</dd><dt>Frist</dt><dd>{}</dd>",
        escape(&r.text),
        r.deadline.as_deref().map(german_date).unwrap_or_else(|| "keine".into()),
    );
    if !r.documents.is_empty() {
        html.push_str("<dt>Unterlagen</dt><dd><ul class=\"kern-list\">");
        for d in &r.documents {
            html.push_str(&format!(
                "<li>{} ({}, höchstens {})</li>",
                escape(&d.name),
                escape(&types(&d.accept)),
                super::render::size(d.max_bytes as usize)
            ));
        }
        html.push_str("</ul></dd>");
    }
    html.push_str(&format!("<dt>Stand</dt><dd>{state}</dd></dl>"));
    html
}

fn types(accept: &[String]) -> String {
    accept
        .iter()
        .map(|t| match t.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The follow-ups inside the application, oldest first.
pub fn html(follow_ups: &[FollowUp], when: fn(Option<i64>) -> String) -> String {
    if follow_ups.is_empty() {
        return String::new();
    }
    let mut html = String::from("<h2 class=\"kern-heading-medium\">Nachreichungen</h2>");
    for (i, f) in follow_ups.iter().enumerate() {
        html.push_str(&format!(
            "<section class=\"bh-section\"><h3 class=\"kern-heading-small\">Nachreichung {} vom {}{}</h3><dl class=\"bh-data\">",
            i + 1,
            when(f.submitted_at),
            if f.late { " – verspätet eingegangen" } else { "" },
        ));
        if let Some(r) = &f.request {
            html.push_str(&format!(
                "<dt>Antwort auf</dt><dd>{}</dd>",
                escape(&r.request.text)
            ));
        }
        match &f.content {
            Ok((answer, files)) => {
                if !answer.text.trim().is_empty() {
                    html.push_str(&format!(
                        "<dt>Antwort</dt><dd>{}</dd>",
                        escape(&answer.text).replace('\n', "<br>")
                    ));
                }
                for doc in &answer.documents {
                    let file = files.iter().find(|a| a.attachment_id == doc.attachment_id);
                    let link = match file {
                        Some(a) => format!(
                            "<a class=\"kern-link\" href=\"/behoerde/antraege/{}/anlagen/{}\">{}</a> ({})",
                            escape(&f.submission_id),
                            escape(&a.attachment_id),
                            escape(a.filename.as_deref().unwrap_or("Datei")),
                            super::render::size(a.content.len())
                        ),
                        None => "Datei fehlt".into(),
                    };
                    html.push_str(&format!("<dt>{}</dt><dd>{link}</dd>", escape(&doc.name)));
                }
            }
            Err(p) => html.push_str(&format!("<dt>Nicht lesbar</dt><dd>{}</dd>", escape(p))),
        }
        html.push_str("</dl></section>");
    }
    html
}

fn form(id: &str, csrf: &str, action: &str, inner: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/behoerde/antraege/{}/{action}\" class=\"bh-form bh-section\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">{inner}\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">{button}</span></button></form>",
        escape(id),
        escape(csrf)
    )
}

/// "Bearbeitung beginnen" with an optional decision date (`entscheidung_bis`).
pub fn processing_form(id: &str, csrf: &str) -> String {
    form(
        id,
        csrf,
        "bearbeitung-beginnen",
        "<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"entscheidung-bis\">Entscheidung voraussichtlich bis (optional)</label>\
<p class=\"kern-hint\" id=\"hint-entscheidung-bis\">Leer lassen: Das Datum aus der Bearbeitungsdauer der Leistung bleibt.</p>\
<input class=\"kern-form-input__input\" type=\"date\" id=\"entscheidung-bis\" name=\"entscheidung_bis\" aria-describedby=\"hint-entscheidung-bis\"></div>",
        "Bearbeitung beginnen",
    )
}

/// "Nachfordern": text, deadline (`frist`), documents (`unterlagen`, one per
/// line), their types (`typ`) and largest size (`groesse`, MB).
pub fn request_form(id: &str, csrf: &str) -> String {
    let checks: String = FILE_TYPES
        .iter()
        .zip(["PDF", "JPEG", "PNG"])
        .enumerate()
        .map(|(i, (t, label))| {
            format!(
                "<div class=\"kern-form-check\"><input class=\"kern-form-check__input\" type=\"checkbox\" id=\"typ-{i}\" name=\"typ\" value=\"{t}\" checked>\
<label class=\"kern-label\" for=\"typ-{i}\">{label}</label></div>"
            )
        })
        .collect();
    let inner = format!(
        "<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"text-nachfordern\">Was wird noch gebraucht?</label>\
<p class=\"kern-hint\" id=\"hint-nachfordern\">Wird ins Postfach geschickt.</p>\
<textarea class=\"kern-form-input__input\" id=\"text-nachfordern\" name=\"text\" aria-describedby=\"hint-nachfordern\" required maxlength=\"{}\"></textarea></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"frist\">Frist (optional)</label>\
<input class=\"kern-form-input__input\" type=\"date\" id=\"frist\" name=\"frist\"></div>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"unterlagen\">Angeforderte Unterlagen (optional, eine je Zeile, höchstens {MAX_DOCUMENTS})</label>\
<textarea class=\"kern-form-input__input\" id=\"unterlagen\" name=\"unterlagen\"></textarea></div>\
<fieldset class=\"kern-fieldset\"><legend class=\"kern-label\">Erlaubte Dateitypen</legend>{checks}</fieldset>\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"groesse\">Größte Datei</label>\
<select class=\"kern-form-input__select\" id=\"groesse\" name=\"groesse\"><option value=\"2\">2 MB</option><option value=\"5\">5 MB</option><option value=\"10\" selected>10 MB</option></select></div>",
        super::actions::MAX_TEXT_CHARS
    );
    form(id, csrf, "nachfordern", &inner, "Nachricht senden")
}

/// "Nachreichung erfüllt", when the latest request is answered and not
/// yet marked.
pub fn fulfilled_form(
    id: &str,
    csrf: &str,
    statuses: &[StatusRow],
    follow_ups: &[FollowUp],
) -> String {
    match latest_request(statuses) {
        Some((asked, false)) if answered(follow_ups, &asked.message_id) => form(
            id,
            csrf,
            "nachreichung-erfuellt",
            "<p class=\"kern-body\">Die nachgereichten Unterlagen sind vollständig.</p>",
            "Nachreichung erfüllt",
        ),
        _ => String::new(),
    }
}
