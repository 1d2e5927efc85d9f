//! The Bescheid PDF read back with lopdf: a tagged PDF/UA-1 document (mark
//! info, structure tree in reading order, language, title shown as the
//! window title, the PDF/UA identifier) with real, extractable text. Every
//! render has also passed krilla's PDF/UA-1 validator, or it would be an
//! error.

use backends::behoerde::bescheid::{self, render, Bescheid, REMEDY_HEADING};
use lopdf::{Dictionary, Document, Object};

const AUTHORITY: &str = "Steueramt Köln";

fn address() -> Vec<String> {
    vec!["Laurenzplatz 4".into(), "50667 Köln".into()]
}

fn bescheid_pdf(decision: &str, recipient: &[String]) -> Vec<u8> {
    render(&Bescheid {
        authority: AUTHORITY,
        authority_address: &address(),
        recipient_name: "Erika Mustermann",
        recipient_address: recipient,
        reference: "HST-2026-004711",
        date: "29.11.2026",
        service: "Hundesteuer anmelden",
        decision,
    })
    .expect("the Bescheid renders and krilla's PDF/UA-1 validator accepts it")
}

fn dict<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> &'a Dictionary {
    d.get_deref(key, doc)
        .and_then(Object::as_dict)
        .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(key)))
}

fn text_of(doc: &Document, d: &Dictionary, key: &[u8]) -> String {
    lopdf::decode_text_string(d.get_deref(key, doc).unwrap()).unwrap()
}

/// The structure types below `node`, depth first (reading order).
fn structure(doc: &Document, node: &Object, out: &mut Vec<String>) {
    let node = doc.dereference(node).map(|(_, o)| o).unwrap_or(node);
    match node {
        Object::Array(items) => items.iter().for_each(|i| structure(doc, i, out)),
        Object::Dictionary(d) => {
            if let Ok(s) = d.get(b"S").and_then(Object::as_name) {
                out.push(String::from_utf8_lossy(s).into_owned());
            }
            if let Ok(k) = d.get(b"K") {
                structure(doc, k, out);
            }
        }
        _ => {}
    }
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_long_bescheid_is_a_tagged_accessible_pdf_with_real_text() {
    let decision = format!(
        "Für Ihren Hund „Bello“ (Größe: groß) wird die Hundesteuer auf 156,00 € festgesetzt.\n\n{}",
        "Dies ist ein Satz mit einigen Wörtern. ".repeat(400)
    );
    let pdf = bescheid_pdf(&decision, &["Heidestraße 17".into(), "51147 Köln".into()]);
    let doc = Document::load_mem(&pdf).expect("lopdf parses the Bescheid");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(pages.len() >= 2, "{} pages", pages.len());

    // Tagged: MarkInfo, a structure tree, the language, the title.
    let catalog = doc.catalog().unwrap();
    let mark = dict(&doc, catalog, b"MarkInfo");
    assert!(mark.get(b"Marked").unwrap().as_bool().unwrap());
    assert_eq!(text_of(&doc, catalog, b"Lang"), "de-DE");
    let prefs = dict(&doc, catalog, b"ViewerPreferences");
    assert!(prefs.get(b"DisplayDocTitle").unwrap().as_bool().unwrap());
    let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_id).unwrap();
    let title = bescheid::title("Hundesteuer anmelden", "HST-2026-004711");
    assert_eq!(text_of(&doc, info, b"Title"), title);
    let meta = doc
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .unwrap()
        .as_stream()
        .unwrap();
    let xmp =
        String::from_utf8(meta.decompressed_content().unwrap_or(meta.content.clone())).unwrap();
    assert!(xmp.contains(&title), "{xmp}");
    assert!(
        xmp.contains("pdfuaid:part") && xmp.contains("de-DE"),
        "{xmp}"
    );

    // The structure in reading order: letterhead and address as Divs of
    // paragraphs, the heading „Bescheid“ before the decision, the heading
    // „Rechtsbehelfsbelehrung“ after it.
    let root = dict(&doc, catalog, b"StructTreeRoot");
    let mut types = Vec::new();
    structure(&doc, root.get(b"K").unwrap(), &mut types);
    let at = |t: &str| types.iter().position(|x| x == t);
    let (h1, h2) = (at("H1").expect("H1"), at("H2").expect("H2"));
    assert!(at("Div").unwrap() < h1 && h1 < h2, "{types:?}");
    assert!(types[h1 + 1..h2].iter().filter(|t| *t == "P").count() >= 3);
    assert_eq!(types.iter().filter(|t| *t == "Div").count(), 2, "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("P"));

    // Real text: umlauts, ß, „“ and €, the remedy with the authority's address.
    let text = words(&doc.extract_text(&pages).unwrap());
    for s in [
        REMEDY_HEADING,
        "Steueramt Köln",
        "erlassen hat: Steueramt Köln, Laurenzplatz 4, 50667 Köln.",
        "Laurenzplatz 4",
        "Heidestraße 17",
        "Die Frist für den Widerspruch",
        "„Bello“ (Größe: groß)",
        "156,00 €",
        "innerhalb eines Monats nach Bekanntgabe",
        "Vorgangsnummer: HST-2026-004711",
        "Seite 2 von",
    ] {
        assert!(text.contains(s), "{s:?} not in {text}");
    }
}

#[test]
fn what_the_font_cannot_show_does_not_stop_the_bescheid() {
    let decision = format!(
        "Hund 🐕 名前 \u{FEFF}Zero\u{200B}width Soft\u{AD}hyphen Tab\there \u{7}bell \u{E000}pua \
         عربى\n\n{}\n\n\n",
        "x".repeat(300)
    );
    let pdf = bescheid_pdf(&decision, &[String::new(), "  ".into()]);
    let doc = Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 1, "one page, no page numbers");
    let text = words(&doc.extract_text(&pages).unwrap());
    assert!(text.contains("Hund ? ??"), "{text}");
    assert!(text.contains("Zerowidth Softhyphen Tab here"), "{text}");
    assert!(!text.contains("Seite 1"), "{text}");
}
