//! An application made under a mandate (issue #25), as the console shows
//! it: "Antrag gestellt von … für …", the kind of mandate in words, its
//! number and last day, and that the Onlinedienst attested it (signed).
//! The case page reads the verified attestation; the Posteingang reads
//! what the subscriber kept on receipt (`fitconnect::mandates`).
//!
//! The decision and every message go to the postbox named in the metadata:
//! under a Vollmacht the person concerned's; under a Sorgerecht or
//! Betreuung mandate the applicant's (a child or a cared-for person has no
//! postbox here). So the page and the confirmations after an action say
//! whose postbox that is. Requests for such a mandate are in
//! `mandate_request.rs`.

use contract::attestation::AttestedAttribute;
use contract::mandate::{AttestedMandate, Kind};

use super::actions::Case;
use super::render::german_date;
use crate::fitconnect::authority::KeptMandate;
use crate::html::escape;

/// The kind of mandate in words.
pub fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Vollmacht => "Vollmacht",
        Kind::Sorgerecht => "Sorgerecht (Eltern für ihr Kind)",
        Kind::Betreuung => "rechtliche Betreuung",
    }
}

/// The mandate of the case, from its verified attestation.
pub fn of_case(case: &Case) -> Option<&AttestedMandate> {
    case.content.as_ref().ok()?.attestation.mandate.as_ref()
}

/// "Antrag gestellt von Jonas Schmidt für Erika Mustermann" (escaped).
fn line(applicant: &str, for_person: &str) -> String {
    format!(
        "Antrag gestellt von {} für {}",
        escape(applicant),
        escape(for_person)
    )
}

fn attribute_label(name: &str) -> &str {
    match name {
        "givenName" => "Vorname(n)",
        "surname" | "familyName" => "Familienname",
        "birthName" => "Geburtsname",
        "birthdate" | "birthDate" => "Geburtsdatum",
        other => other,
    }
}

fn source_words(source: &str) -> &str {
    match source {
        "eid" => "Online-Ausweis",
        "elster" => "ELSTER-Zertifikat",
        other => other,
    }
}

/// The applicant's attributes the identity provider verified, as a list.
pub(super) fn verified_html(attributes: &[AttestedAttribute]) -> String {
    if attributes.is_empty() {
        return "<p class=\"kern-body\">Keine geprüften Angaben übermittelt.</p>".into();
    }
    let items: String = attributes
        .iter()
        .map(|a| {
            let value = if matches!(a.name.as_str(), "birthdate" | "birthDate") {
                german_date(&a.value)
            } else {
                a.value.clone()
            };
            format!(
                "<li>{}: {} ({})</li>",
                escape(attribute_label(&a.name)),
                escape(&value),
                escape(source_words(&a.source))
            )
        })
        .collect();
    format!("<ul class=\"kern-list\">{items}</ul>")
}

/// The section at the top of the case page.
pub fn section_html(m: &AttestedMandate) -> String {
    let (applicant, for_person) = (m.applicant.display(), m.for_person.display());
    format!(
        "<section class=\"bh-section bh-mandate\" aria-labelledby=\"bh-mandate-title\">\
<h2 class=\"kern-heading-medium\" id=\"bh-mandate-title\">Antrag in Vertretung</h2>\
<p class=\"kern-body bh-mandate-line\">{}</p>\
<dl class=\"bh-data\">\
<dt>Art der Vertretung</dt><dd>{}</dd>\
<dt>Nummer der Vertretung</dt><dd><span class=\"bh-hash\">{}</span></dd>\
<dt>Gültigkeit</dt><dd>gültig bis {}</dd>\
<dt>Antragstellende Person</dt><dd>{}{}</dd>\
<dt>Vertretene Person</dt><dd>{} – {}</dd>\
<dt>Bestätigung</dt><dd>vom Onlinedienst bestätigt (signiert)</dd>\
</dl></section>",
        line(&applicant, &for_person),
        escape(kind_words(m.kind)),
        escape(&m.id),
        escape(&german_date(&m.valid_until)),
        escape(&applicant),
        verified_html(&m.applicant_verified),
        escape(&for_person),
        whose_postbox(m.kind),
    )
}

/// Where the messages go, for the section: under a Vollmacht the person
/// concerned's postbox; a child or a cared-for person has none here, so
/// under a Sorgerecht or Betreuung mandate they go to the applicant's.
fn whose_postbox(kind: Kind) -> &'static str {
    match kind {
        Kind::Vollmacht => {
            "die Angaben im Antrag sind ihre; Nachrichten und Bescheid gehen in ihr Postfach."
        }
        Kind::Sorgerecht | Kind::Betreuung => {
            "die Angaben im Antrag sind ihre (von der antragstellenden Person angegeben, nicht \
von einem Ausweis bestätigt); sie hat hier kein Postfach: Nachrichten und Bescheid gehen in das \
Postfach der antragstellenden Person."
        }
    }
}

/// The note under the service in the Posteingang.
pub fn list_note(k: &KeptMandate) -> String {
    format!(
        "<br><span class=\"bh-muted\">{} ({}, gültig bis {})</span>",
        line(&k.applicant, &k.for_person),
        escape(kind_words(k.kind)),
        escape(&german_date(&k.valid_until)),
    )
}

/// Whose postbox the messages reach, in the genitive (not escaped):
/// "der antragstellenden Person", or under a Vollmacht "der vertretenen
/// Person (Erika Mustermann)". Under a Sorgerecht or Betreuung mandate the
/// person concerned has no postbox here: "der antragstellenden Person
/// (Erika Mustermann), nicht der vertretenen Person".
pub fn postbox_owner(m: Option<&AttestedMandate>) -> String {
    match m {
        Some(m) if m.kind == Kind::Vollmacht => {
            format!("der vertretenen Person ({})", m.for_person.display())
        }
        Some(m) => format!(
            "der antragstellenden Person ({}), nicht der vertretenen Person",
            m.applicant.display()
        ),
        None => "der antragstellenden Person".into(),
    }
}

/// What the confirmation after an action says (`?erledigt=<action>`);
/// `to` from [`postbox_owner`].
pub fn done_text(action: &str, to: &str) -> Option<String> {
    Some(match action {
        "eingang-bestaetigen" => {
            format!("Der Eingang ist bestätigt. Eine Nachricht liegt im Postfach {to}.")
        }
        "bearbeitung-beginnen" => {
            format!("Die Bearbeitung hat begonnen. Der neue Stand ist im Postfach {to} sichtbar.")
        }
        "nachfordern" => format!("Die Nachricht ist gesendet. Sie liegt im Postfach {to}."),
        "nachreichung-erfuellt" => format!(
            "Die Nachreichung ist als erfüllt markiert. Der neue Stand ist im Postfach {to} sichtbar."
        ),
        "zurueckweisen" => {
            format!("Der Antrag ist zurückgewiesen. Die Begründung ist im Postfach {to}.")
        }
        "bescheiden" => format!("Der Bescheid ist erlassen und als PDF im Postfach {to}."),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::mandate::Party;

    fn mandate(kind: Kind) -> AttestedMandate {
        AttestedMandate {
            id: "0b7c3a52-3f4e-4d6a-9a51-2f0e8c1d7b44".into(),
            kind,
            valid_until: "2027-12-31".into(),
            for_person: Party {
                given_names: "Mia".into(),
                family_name: "<Muster>".into(),
            },
            applicant: Party {
                given_names: "Erika".into(),
                family_name: "Mustermann".into(),
            },
            applicant_verified: vec![AttestedAttribute {
                name: "birthdate".into(),
                value: "1964-08-12".into(),
                source: "eid".into(),
            }],
        }
    }

    #[test]
    fn the_section_names_both_people_the_kind_and_escapes() {
        let html = section_html(&mandate(Kind::Sorgerecht));
        assert!(html.contains("Antrag gestellt von Erika Mustermann für Mia &lt;Muster&gt;"));
        assert!(!html.contains("<Muster>"));
        assert!(html.contains("Sorgerecht (Eltern für ihr Kind)"));
        assert!(html.contains("gültig bis 31.12.2027"));
        assert!(html.contains("0b7c3a52-3f4e-4d6a-9a51-2f0e8c1d7b44"));
        assert!(html.contains("Geburtsdatum: 12.08.1964 (Online-Ausweis)"));
        assert!(html.contains("vom Onlinedienst bestätigt (signiert)"));
        assert!(section_html(&mandate(Kind::Betreuung)).contains("rechtliche Betreuung"));
        assert!(section_html(&mandate(Kind::Vollmacht)).contains("<dd>Vollmacht</dd>"));
    }

    #[test]
    fn the_confirmations_name_the_postbox_of_the_person_concerned() {
        let m = mandate(Kind::Vollmacht);
        let to = postbox_owner(Some(&m));
        let text = done_text("bescheiden", &to).unwrap();
        assert!(
            text.ends_with("im Postfach der vertretenen Person (Mia <Muster>)."),
            "{text}"
        );
        // A child has no postbox here: the applicant's.
        let child = postbox_owner(Some(&mandate(Kind::Sorgerecht)));
        let text = done_text("bescheiden", &child).unwrap();
        assert!(
            text.ends_with(
                "im Postfach der antragstellenden Person (Erika Mustermann), nicht der vertretenen Person."
            ),
            "{text}"
        );
        assert!(section_html(&mandate(Kind::Betreuung)).contains(
            "Nachrichten und Bescheid gehen in das Postfach der antragstellenden Person."
        ));
        let own = done_text("zurueckweisen", &postbox_owner(None)).unwrap();
        assert!(own.contains("im Postfach der antragstellenden Person"));
        assert_eq!(done_text("unbekannt", &to), None);
    }
}
