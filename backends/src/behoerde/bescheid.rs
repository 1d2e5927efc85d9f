//! The Bescheid as a PDF, written with `lopdf`: A4, the standard Helvetica
//! fonts in WinAnsiEncoding (so German umlauts, ß, „“ and € come out right
//! without embedding a font), one or more pages.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

use crate::zbp::deadline;

/// What goes into the letter. All texts are plain text.
pub struct Bescheid<'a> {
    pub authority: &'a str,
    pub recipient_name: &'a str,
    pub recipient_address: &'a [String],
    /// The FIT-Connect caseId.
    pub reference: &'a str,
    /// `DD.MM.YYYY`
    pub date: &'a str,
    pub service: &'a str,
    pub decision: &'a str,
}

#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// The title line and the Rechtsbehelfsbelehrung's fixed wording (tests look for them).
pub const REMEDY_HEADING: &str = "Rechtsbehelfsbelehrung";

pub fn remedy_text(authority: &str) -> String {
    format!(
        "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch erhoben werden. \
Der Widerspruch ist schriftlich, elektronisch oder zur Niederschrift bei {authority} zu erheben. {}",
        deadline::RULE_TEXT
    )
}

/// Windows-1252 bytes of `s` (what WinAnsiEncoding shows); characters it
/// lacks become `?`.
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '\t' => b' ',
            c if (c as u32) < 0x20 => b' ',
            c if (0x20..0x7f).contains(&(c as u32)) || (0xa0..=0xff).contains(&(c as u32)) => {
                c as u32 as u8
            }
            _ => b'?',
        })
        .collect()
}

/// Greedy word wrap by an estimated width (Helvetica averages a little over
/// half an em per character).
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let max_chars = ((width / (size * 0.55)) as usize).max(10);
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_string();
            // A single overlong word is cut.
            while word.chars().count() > max_chars {
                let head: String = word.chars().take(max_chars).collect();
                word = word.chars().skip(max_chars).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if line.is_empty() {
                line = word;
            } else if line.chars().count() + 1 + word.chars().count() <= max_chars {
                line.push(' ');
                line.push_str(&word);
            } else {
                lines.push(std::mem::replace(&mut line, word));
            }
        }
        lines.push(line);
    }
    lines
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 70.0;
const RIGHT: f32 = 60.0;
const TOP: f32 = 780.0;
const BOTTOM: f32 = 80.0;

struct Writer {
    pages: Vec<Vec<Operation>>,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Operation> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn need(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    fn text_at(&mut self, x: f32, y: f32, font: &str, size: f32, text: &str) {
        let ops = self.ops();
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec![font.into(), size.into()]));
        ops.push(Operation::new("Td", vec![x.into(), y.into()]));
        ops.push(Operation::new(
            "Tj",
            vec![Object::String(win_ansi(text), StringFormat::Literal)],
        ));
        ops.push(Operation::new("ET", vec![]));
    }

    fn line(&mut self, font: &str, size: f32, text: &str) {
        let lead = size * 1.4;
        self.need(lead);
        self.y -= lead;
        let y = self.y;
        self.text_at(LEFT, y, font, size, text);
    }

    fn paragraph(&mut self, font: &str, size: f32, text: &str) {
        for l in wrap(text, size, PAGE_W - LEFT - RIGHT) {
            self.line(font, size, &l);
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn rule(&mut self) {
        self.need(8.0);
        self.y -= 6.0;
        let y = self.y;
        let ops = self.ops();
        ops.push(Operation::new("w", vec![0.8.into()]));
        ops.push(Operation::new("m", vec![LEFT.into(), y.into()]));
        ops.push(Operation::new("l", vec![(PAGE_W - RIGHT).into(), y.into()]));
        ops.push(Operation::new("S", vec![]));
    }
}

/// Renders the Bescheid.
pub fn render(b: &Bescheid<'_>) -> Result<Vec<u8>, PdfError> {
    let mut w = Writer::new();
    // Letterhead.
    w.line("F2", 16.0, b.authority);
    w.line(
        "F1",
        8.5,
        "Testbehörde des Bürgeramts NRW – Stand-in, kein rechtsverbindlicher Bescheid",
    );
    w.rule();
    w.gap(18.0);
    // Recipient, then date and the reference (left-aligned).
    w.line("F1", 10.0, b.recipient_name);
    for l in b.recipient_address {
        w.line("F1", 10.0, l);
    }
    w.gap(14.0);
    w.line("F1", 10.0, &format!("Datum: {}", b.date));
    w.line("F1", 10.0, &format!("Vorgangsnummer: {}", b.reference));
    w.gap(24.0);
    w.paragraph("F2", 13.0, &format!("Bescheid: {}", b.service));
    w.paragraph(
        "F1",
        9.0,
        "Bitte geben Sie bei Rückfragen immer die Vorgangsnummer an.",
    );
    w.gap(8.0);
    w.paragraph("F1", 10.5, b.decision);
    w.gap(16.0);
    w.need(60.0);
    w.line("F2", 11.0, REMEDY_HEADING);
    w.gap(2.0);
    w.paragraph("F1", 10.0, &remedy_text(b.authority));
    w.gap(16.0);
    w.paragraph(
        "F1",
        9.0,
        "Dieses Schreiben wurde elektronisch erstellt und ist ohne Unterschrift gültig.",
    );

    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |doc: &mut Document, name: &str| {
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => Object::Name(name.as_bytes().to_vec()),
            "Encoding" => "WinAnsiEncoding",
        })
    };
    let regular = font(&mut doc, "Helvetica");
    let bold = font(&mut doc, "Helvetica-Bold");
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    let count = w.pages.len();
    let mut kids = Vec::new();
    for (i, mut ops) in w.pages.into_iter().enumerate() {
        if count > 1 {
            // Page numbers at the foot.
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec!["F1".into(), 8.0.into()]));
            ops.push(Operation::new("Td", vec![LEFT.into(), 40.0.into()]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(
                    win_ansi(&format!("Seite {} von {count}", i + 1)),
                    StringFormat::Literal,
                )],
            ));
            ops.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations: ops }
            .encode()
            .map_err(|e| PdfError(e.to_string()))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::from(page_id));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count as i64,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::String(win_ansi(&format!("Bescheid {}", b.reference)), StringFormat::Literal),
        "Author" => Object::String(win_ansi(b.authority), StringFormat::Literal),
        "Producer" => Object::string_literal("Bürgeramt NRW stand-in (lopdf)".replace('ü', "ue")),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| PdfError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_map_to_win_ansi() {
        assert_eq!(
            win_ansi("Äöüß€„“–"),
            vec![0xc4, 0xf6, 0xfc, 0xdf, 0x80, 0x84, 0x93, 0x96]
        );
        assert_eq!(win_ansi("a\u{1F600}b"), b"a?b".to_vec());
    }

    #[test]
    fn wrapping_keeps_words_and_cuts_monsters() {
        let lines = wrap("eins zwei drei vier fünf sechs sieben", 10.0, 100.0);
        assert!(lines.iter().all(|l| l.chars().count() <= 19), "{lines:?}");
        assert_eq!(lines.join(" "), "eins zwei drei vier fünf sechs sieben");
        let long = "x".repeat(50);
        assert!(wrap(&long, 10.0, 100.0).len() >= 3);
    }

    #[test]
    fn long_decisions_get_more_pages() {
        let text = "Dies ist ein Satz mit einigen Wörtern. ".repeat(400);
        let pdf = render(&Bescheid {
            authority: "Steueramt",
            recipient_name: "Erika Mustermann",
            recipient_address: &["Heidestraße 17".into(), "40721 Hilden".into()],
            reference: "case-1",
            date: "29.11.2026",
            service: "Hundesteuer anmelden",
            decision: &text,
        })
        .unwrap();
        let doc = Document::load_mem(&pdf).unwrap();
        assert!(doc.get_pages().len() >= 2);
    }
}
