//! The Bescheid as a tagged, accessible PDF (PDF/UA-1), written with
//! `krilla`: A4, one or more pages, real text in Noto Sans (Regular and Bold,
//! Apache-2.0, embedded as a subset from the `ttf-noto-sans` crate), title and
//! language (`de-DE`) in the metadata, a structure tree in reading order
//! (letterhead, recipient, date and reference, the heading „Bescheid“, the
//! decision's paragraphs, the heading „Rechtsbehelfsbelehrung“ and its text),
//! the rule and the page numbers as artifacts, an outline of the headings.
//! Every render is checked by krilla's PDF/UA-1 validator; a document it
//! rejects is an error, never a PDF.

mod issuer;
mod layout;
mod pdf;

pub use issuer::{issuer, processing_time, Issuer};

use crate::zbp::deadline;
use layout::{Block, Face, Faces, Weight};
use pdf::{Role, Tagging};

/// What goes into the letter. All texts are plain text; characters the
/// font lacks print as `?`.
pub struct Bescheid<'a> {
    /// The issuing authority ([`issuer`]): "Steueramt Köln".
    pub authority: &'a str,
    /// Its postal address, street then postcode and town (may be empty).
    pub authority_address: &'a [String],
    pub recipient_name: &'a str,
    pub recipient_address: &'a [String],
    /// The application's reference.
    pub reference: &'a str,
    /// `DD.MM.YYYY`
    pub date: &'a str,
    pub service: &'a str,
    pub decision: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the Bescheid's font could not be read")]
    Font,
    #[error("the Bescheid is not a valid PDF/UA-1 document: {0}")]
    Validation(String),
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// The title line and the Rechtsbehelfsbelehrung's fixed wording (tests look for them).
pub const REMEDY_HEADING: &str = "Rechtsbehelfsbelehrung";

/// The authority as one line: "Steueramt Köln, Laurenzplatz 4, 50667 Köln".
pub fn authority_line(authority: &str, address: &[String]) -> String {
    std::iter::once(authority)
        .chain(address.iter().map(String::as_str))
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Rechtsbehelfsbelehrung, naming the authority with its address.
pub fn remedy_text(authority: &str, address: &[String]) -> String {
    format!(
        "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch erhoben werden. \
Der Widerspruch ist schriftlich, elektronisch oder zur Niederschrift bei der Behörde zu erheben, \
die diesen Bescheid erlassen hat: {}. {}",
        authority_line(authority, address),
        deadline::RULE_TEXT
    )
}

/// The document title: "Bescheid: Hundesteuer anmelden – HST-2026-004711".
pub fn title(service: &str, reference: &str) -> String {
    format!("Bescheid: {service} – {reference}")
}

struct Part {
    role: Role,
    div: Option<u8>,
    block: Block,
}

fn part(role: Role, weight: Weight, size: f32, before: f32, text: impl Into<String>) -> Part {
    Part {
        role,
        div: None,
        block: Block {
            weight,
            size,
            text: text.into(),
            before,
            keep: 0.0,
            rule_after: false,
        },
    }
}

fn in_div(div: u8, mut p: Part) -> Part {
    p.div = Some(div);
    p
}

/// The letter's blocks in reading order.
fn parts(b: &Bescheid<'_>) -> Vec<Part> {
    use Role::{H1, H2, P};
    use Weight::{Bold, Regular};
    const LETTERHEAD: u8 = 1;
    const RECIPIENT: u8 = 2;
    let mut out = vec![
        in_div(LETTERHEAD, part(P, Bold, 16.0, 0.0, b.authority)),
        in_div(
            LETTERHEAD,
            part(P, Regular, 10.0, 0.0, b.authority_address.join(", ")),
        ),
        in_div(LETTERHEAD, {
            let mut p = part(
                P,
                Regular,
                8.5,
                0.0,
                "Testbehörde des Bürgeramts NRW – Stand-in, kein rechtsverbindlicher Bescheid",
            );
            p.block.rule_after = true;
            p
        }),
        in_div(RECIPIENT, part(P, Regular, 10.0, 18.0, b.recipient_name)),
    ];
    for line in b.recipient_address {
        out.push(in_div(
            RECIPIENT,
            part(P, Regular, 10.0, 0.0, line.as_str()),
        ));
    }
    out.push(part(P, Regular, 10.0, 14.0, format!("Datum: {}", b.date)));
    out.push(part(
        P,
        Regular,
        10.0,
        0.0,
        format!("Vorgangsnummer: {}", b.reference),
    ));
    let mut h1 = part(H1, Bold, 16.0, 24.0, "Bescheid");
    h1.block.keep = 40.0;
    out.push(h1);
    out.push(part(P, Bold, 11.0, 2.0, format!("Betreff: {}", b.service)));
    out.push(part(
        P,
        Regular,
        9.0,
        0.0,
        "Bitte geben Sie bei Rückfragen immer die Vorgangsnummer an.",
    ));
    // The decision: paragraphs are separated by blank lines; single line
    // breaks stay line breaks.
    let mut before = 8.0;
    let mut para = String::new();
    for line in b.decision.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !para.is_empty() {
                out.push(part(P, Regular, 10.5, before, std::mem::take(&mut para)));
                before = 7.0;
            }
        } else {
            if !para.is_empty() {
                para.push('\n');
            }
            para.push_str(line.trim_end());
        }
    }
    let mut h2 = part(H2, Bold, 12.0, 16.0, REMEDY_HEADING);
    h2.block.keep = 60.0;
    out.push(h2);
    out.push(part(
        P,
        Regular,
        10.0,
        2.0,
        remedy_text(b.authority, b.authority_address),
    ));
    out.push(part(
        P,
        Regular,
        9.0,
        16.0,
        "Dieses Schreiben wurde elektronisch erstellt und ist ohne Unterschrift gültig.",
    ));
    out
}

/// Renders the Bescheid as a PDF/UA-1 document.
pub fn render(b: &Bescheid<'_>) -> Result<Vec<u8>, PdfError> {
    let faces = Faces {
        regular: Face::new(ttf_noto_sans::REGULAR).ok_or(PdfError::Font)?,
        bold: Face::new(ttf_noto_sans::BOLD).ok_or(PdfError::Font)?,
    };
    let parts = parts(b);
    let tags: Vec<Tagging> = parts
        .iter()
        .map(|p| Tagging {
            role: p.role,
            div: p.div,
            heading: (p.role != Role::P).then(|| faces.clean(&p.block.text)),
        })
        .collect();
    let blocks: Vec<Block> = parts.into_iter().map(|p| p.block).collect();
    let (pages, starts) = layout::layout(&faces, &blocks);
    pdf::write(
        &faces.clean(&title(b.service, b.reference)),
        &faces.clean(b.authority),
        &tags,
        &pages,
        &starts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remedy_names_the_authority_with_its_address() {
        let addr = ["Laurenzplatz 4".to_string(), "50667 Köln".to_string()];
        let t = remedy_text("Steueramt Köln", &addr);
        assert!(
            t.contains("erlassen hat: Steueramt Köln, Laurenzplatz 4, 50667 Köln. "),
            "{t}"
        );
        assert!(t.contains(deadline::RULE_TEXT));
        let bare = remedy_text("Steueramt", &[]);
        assert!(bare.contains("erlassen hat: Steueramt. "), "{bare}");
    }

    #[test]
    fn decision_paragraphs_split_at_blank_lines() {
        let b = Bescheid {
            authority: "Steueramt Köln",
            authority_address: &[],
            recipient_name: "Erika Mustermann",
            recipient_address: &[],
            reference: "r",
            date: "01.01.2027",
            service: "Hundesteuer anmelden",
            decision: "Erster Absatz,\nzweite Zeile.\n\n\n  \nZweiter Absatz.",
        };
        let decision: Vec<String> = parts(&b)
            .into_iter()
            .filter(|p| p.block.size == 10.5)
            .map(|p| p.block.text)
            .collect();
        assert_eq!(
            decision,
            ["Erster Absatz,\nzweite Zeile.", "Zweiter Absatz."]
        );
    }
}
