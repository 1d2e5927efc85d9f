//! A request for a mandate for a child or a cared-for person (issue #25),
//! as the console shows it: an application to the relay operator's own
//! service "Vertretung nachweisen" (`contract::mandate_request`). The
//! subscriber has checked the attested request against the form's data
//! (`fitconnect::mandate_requests`); the clerk checks it against the proof
//! in the attachments.
//!
//! * The case page shows the panel "Antrag auf Bestätigung einer
//!   Vertretung" in plain words, above the data ([`section_html`]).
//! * The actions are the usual Accept and Reject, labelled "Vertretung
//!   bestätigen" and "Vertretung ablehnen" ([`ACCEPT_LABEL`],
//!   [`REJECT_LABEL`]). Accept writes FIT-Connect's `accept-submission`,
//!   which the relay reads to activate the mandate; it also completes the
//!   application in the applicant's postbox ([`confirmed_text`]). Reject
//!   writes `reject-submission` with the reason.
//! * The Posteingang marks it ([`list_note`]); the protocol names the
//!   mandate by its id only (`trail.rs`).

use contract::mandate::Kind;
use contract::mandate_request::{self as mr, AttestedRequest};

use super::actions::Case;
use super::render::german_date;
use crate::fitconnect::authority::KeptRequest;
use crate::html::escape;

/// The accept button of a request.
pub const ACCEPT_LABEL: &str = "Vertretung bestätigen";
/// The reject button of a request.
pub const REJECT_LABEL: &str = "Vertretung ablehnen";
/// Where the Posteingang marks a request.
pub const LIST_MARK: &str = "Vertretungsnachweis";

/// Whether the case is an application to the service "Vertretung
/// nachweisen".
pub fn is_request(case: &Case) -> bool {
    case.destination.leika == mr::LEIKA
}

/// The request of the case, from its verified attestation.
pub fn of_case(case: &Case) -> Option<&AttestedRequest> {
    case.content
        .as_ref()
        .ok()?
        .attestation
        .mandate_request
        .as_ref()
}

/// The kind in words.
pub fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Sorgerecht => "Elterliche Sorge",
        Kind::Betreuung => "Rechtliche Betreuung",
        Kind::Vollmacht => "Vollmacht",
    }
}

/// Why the mandate ends on its last day.
pub fn until_reason(kind: Kind) -> &'static str {
    match kind {
        Kind::Sorgerecht => "Tag vor dem 18. Geburtstag",
        _ => "Ende des Betreuerausweises",
    }
}

/// "Elterliche Sorge für Lena Mustermann, geboren am 12.03.2016" (escaped).
fn summary(kind: Kind, person: &str, birth_date: &str) -> String {
    format!(
        "{} für {}, geboren am {}",
        escape(kind_words(kind)),
        escape(person),
        escape(&german_date(birth_date))
    )
}

/// A link to the proof (`field::PROOF`) among the decrypted attachments.
fn proof_link(case: &Case) -> String {
    let Ok(d) = &case.content else {
        return String::new();
    };
    let Some(id) = d.data.get(mr::field::PROOF).and_then(|v| v.as_str()) else {
        return String::new();
    };
    match d.attachments.iter().find(|a| a.attachment_id == id) {
        Some(a) => format!(
            "<dt>Nachweis</dt><dd><a class=\"kern-link\" href=\"/behoerde/antraege/{}/anlagen/{}\">{} herunterladen</a></dd>",
            escape(&case.entry.submission_id),
            escape(id),
            escape(a.filename.as_deref().unwrap_or("Nachweis")),
        ),
        None => String::new(),
    }
}

/// The panel at the top of the case page.
pub fn section_html(case: &Case, r: &AttestedRequest) -> String {
    let person = r.person.party().display();
    let applicant = r.applicant.display();
    let scope = r
        .care_scope
        .as_deref()
        .map(|s| format!("<dt>Aufgabenkreise</dt><dd>{}</dd>", escape(s)))
        .unwrap_or_default();
    let proof_words = match r.kind {
        Kind::Sorgerecht => "die Geburtsurkunde: Name und Geburtsdatum des Kindes, die antragstellende Person als Mutter oder Vater",
        _ => "den Betreuerausweis: Name und Geburtsdatum der betreuten Person, die antragstellende Person als Betreuerin oder Betreuer, die Aufgabenkreise und das Ende",
    };
    format!(
        "<section class=\"bh-section bh-mandate\" aria-labelledby=\"bh-request-title\">\
<h2 class=\"kern-heading-medium\" id=\"bh-request-title\">Antrag auf Bestätigung einer Vertretung</h2>\
<p class=\"kern-body bh-mandate-line\">{} – beantragt von {}</p>\
<dl class=\"bh-data\">\
<dt>Art der Vertretung</dt><dd>{}</dd>\
<dt>Vertretene Person</dt><dd>{}, geboren am {} (von der antragstellenden Person angegeben)</dd>\
<dt>Gültigkeit</dt><dd>gültig bis {} ({})</dd>{scope}\
<dt>Antragstellende Person</dt><dd>{}{}</dd>\
<dt>Nummer der Vertretung</dt><dd><span class=\"bh-hash\">{}</span></dd>\
<dt>Bestätigung</dt><dd>vom Onlinedienst bestätigt (signiert)</dd>{}\
</dl>\
<p class=\"kern-body\"><strong>Ihre Prüfung:</strong> Prüfen Sie die Angaben gegen den Nachweis in den Anlagen ({proof_words}). \
Stimmen sie, wählen Sie „{ACCEPT_LABEL}“: Der Onlinedienst schaltet die Vertretung dann frei. \
Sonst wählen Sie „{REJECT_LABEL}“ und nennen den Grund.</p></section>",
        summary(r.kind, &person, &r.person.birth_date),
        escape(&applicant),
        escape(kind_words(r.kind)),
        escape(&person),
        escape(&german_date(&r.person.birth_date)),
        escape(&german_date(&r.valid_until)),
        escape(until_reason(r.kind)),
        escape(&applicant),
        super::mandate::verified_html(&r.applicant_verified),
        escape(&r.id),
        proof_link(case),
    )
}

/// The note under the service in the Posteingang.
pub fn list_note(k: &KeptRequest) -> String {
    format!(
        "<br><span class=\"bh-muted\"><strong>{LIST_MARK}:</strong> {}, beantragt von {}</span>",
        summary(k.kind, &k.person, &k.birth_date),
        escape(&k.applicant),
    )
}

/// What the confirmation after an action on a request says
/// (`?erledigt=<action>`); `None` for other actions.
pub fn done_text(action: &str) -> Option<&'static str> {
    Some(match action {
        "eingang-bestaetigen" => "Die Vertretung ist bestätigt. Der Onlinedienst schaltet sie frei. Eine Nachricht liegt im Postfach der antragstellenden Person.",
        "zurueckweisen" => "Die Vertretung ist abgelehnt. Der Onlinedienst schaltet sie nicht frei. Die Begründung ist im Postfach der antragstellenden Person.",
        _ => return None,
    })
}

/// What the page says once the request is decided (FIT-Connect status of
/// the case's submission).
pub fn decided_text(fitconnect_status: &str) -> Option<&'static str> {
    match fitconnect_status {
        "accepted" => Some("Die Vertretung ist bestätigt. Der Onlinedienst schaltet sie frei."),
        "rejected" => {
            Some("Die Vertretung ist abgelehnt. Der Onlinedienst schaltet sie nicht frei.")
        }
        _ => None,
    }
}

/// The postbox message when a request is confirmed: `(status details,
/// text)`.
pub fn confirmed_text(authority: &str, r: Option<&AttestedRequest>) -> (String, String) {
    let details = "Ihre Vertretung ist bestätigt.".to_string();
    let text = match r {
        Some(r) => format!(
            "{authority} hat Ihren Nachweis geprüft und bestätigt: {} für {}, gültig bis {} ({}).\n\nSie können jetzt Anträge für {} stellen. Nachrichten und Bescheide dazu kommen in Ihr Postfach.",
            kind_words(r.kind),
            r.person.party().display(),
            german_date(&r.valid_until),
            until_reason(r.kind),
            r.person.party().display(),
        ),
        None => format!("{authority} hat Ihren Nachweis geprüft und die Vertretung bestätigt."),
    };
    (details, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::mandate::Party;
    use contract::mandate_request::Declared;

    fn request(kind: Kind) -> AttestedRequest {
        AttestedRequest {
            id: "6a0f3c1e-2b4d-4e5f-8a9b-0c1d2e3f4a5b".into(),
            kind,
            person: Declared {
                given_names: "Lena".into(),
                family_name: "<Muster>".into(),
                birth_date: "2016-03-12".into(),
            },
            valid_until: "2034-03-11".into(),
            care_scope: (kind == Kind::Betreuung).then(|| "Vermögenssorge".to_string()),
            applicant: Party {
                given_names: "Erika".into(),
                family_name: "Mustermann".into(),
            },
            applicant_verified: Vec::new(),
        }
    }

    #[test]
    fn the_list_note_and_the_postbox_text_say_it_plainly_and_escape() {
        let k = KeptRequest {
            mandate_id: "m".into(),
            kind: Kind::Sorgerecht,
            person: "Lena <Muster>".into(),
            birth_date: "2016-03-12".into(),
            valid_until: "2034-03-11".into(),
            care_scope: None,
            applicant: "Erika Mustermann".into(),
        };
        let note = list_note(&k);
        assert!(note.contains("Vertretungsnachweis:</strong> Elterliche Sorge für Lena &lt;Muster&gt;, geboren am 12.03.2016, beantragt von Erika Mustermann"), "{note}");
        let (_, text) = confirmed_text("Bürgeramt NRW", Some(&request(Kind::Betreuung)));
        assert!(text.contains("Rechtliche Betreuung für Lena <Muster>, gültig bis 11.03.2034 (Ende des Betreuerausweises)"), "{text}");
        assert_eq!(done_text("bescheiden"), None);
        assert!(done_text("eingang-bestaetigen")
            .is_some_and(|t| t
                .starts_with("Die Vertretung ist bestätigt. Der Onlinedienst schaltet sie frei.")));
        assert_eq!(until_reason(Kind::Sorgerecht), "Tag vor dem 18. Geburtstag");
    }
}
