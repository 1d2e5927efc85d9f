//! Drawing the laid-out Bescheid with krilla: every line of text a marked
//! span in the structure tree (H1, H2, P, Div), the rule and the page
//! numbers artifacts, title and language in the metadata, an outline of the
//! headings, and krilla's PDF/UA-1 validator on the result.

use std::num::NonZeroU16;

use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use super::layout::{Page, Start, Weight, FOOT, LEFT, PAGE_H, PAGE_W, WIDTH};
use super::PdfError;

/// The document's language (catalog `/Lang`, XMP `dc:language`).
pub const LANG: &str = "de-DE";

/// What a block is in the structure tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A heading of level 1 or 2; its text is also the outline entry.
    H1,
    H2,
    P,
}

/// A block's place in the structure: its role and, for consecutive blocks
/// that belong together (letterhead, recipient's address), a group number
/// that makes them one `Div`.
#[derive(Debug, Clone)]
pub struct Tagging {
    pub role: Role,
    pub div: Option<u8>,
    /// The heading's text (its `/T` and outline entry).
    pub heading: Option<String>,
}

/// A document that krilla checks against PDF/UA-1 when it is finished.
pub fn ua1_document() -> Result<Document, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    Ok(Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        compress_content_streams: true,
        ..SerializeSettings::default()
    }))
}

/// Finishes `doc`; a document PDF/UA-1 does not accept is an error.
pub fn finish(doc: Document) -> Result<Vec<u8>, PdfError> {
    doc.finish().map_err(|e| match e {
        KrillaError::Validation(errors) => PdfError::Validation(
            errors
                .iter()
                .map(|(e, _)| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => PdfError::Write(other.to_string()),
    })
}

fn kind(t: &Tagging) -> TagKind {
    let title = t.heading.clone();
    match t.role {
        Role::H1 => Tag::Hn(NonZeroU16::MIN, title).into(),
        Role::H2 => Tag::Hn(NonZeroU16::MIN.saturating_add(1), title).into(),
        Role::P => Tag::P.into(),
    }
}

/// Writes the pages; `tags` and `starts` are indexed by block.
pub fn write(
    title: &str,
    author: &str,
    tags: &[Tagging],
    pages: &[Page],
    starts: &[Option<Start>],
) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(ttf_noto_sans::REGULAR.into(), 0).ok_or(PdfError::Font)?;
    let bold = Font::new(ttf_noto_sans::BOLD.into(), 0).ok_or(PdfError::Font)?;
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
    let mut doc = ua1_document()?;
    let mut ids: Vec<Vec<Identifier>> = tags.iter().map(|_| Vec::new()).collect();
    let count = pages.len();
    for (n, p) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        for line in &p.lines {
            let font = match line.weight {
                Weight::Regular => regular.clone(),
                Weight::Bold => bold.clone(),
            };
            let id = s.start_tagged(ContentTag::Span(SpanTag::empty()));
            s.draw_text(
                Point::from_xy(LEFT, line.baseline),
                font,
                line.size,
                &line.text,
                false,
                TextDirection::LeftToRight,
            );
            s.end_tagged();
            ids.get_mut(line.block)
                .ok_or_else(|| PdfError::Write("a line without its block".into()))?
                .push(id);
        }
        for &y in &p.rules {
            let mut pb = PathBuilder::new();
            pb.move_to(LEFT, y);
            pb.line_to(LEFT + WIDTH, y);
            if let Some(path) = pb.finish() {
                s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                    ArtifactType::Layout,
                )));
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    width: 0.8,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
                s.set_stroke(None);
                s.set_fill(Some(Default::default()));
                s.end_tagged();
            }
        }
        if count > 1 {
            s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::PageNumber,
            )));
            s.draw_text(
                Point::from_xy(LEFT, FOOT),
                regular.clone(),
                8.0,
                &format!("Seite {} von {count}", n + 1),
                false,
                TextDirection::LeftToRight,
            );
            s.end_tagged();
        }
        s.finish();
        page.finish();
    }

    // The structure in reading order, which is the order drawn.
    let mut tree = TagTree::new();
    let mut div: Option<(u8, TagGroup)> = None;
    let mut outline = Outline::new();
    for (i, t) in tags.iter().enumerate() {
        let kids: Vec<Node> = std::mem::take(&mut ids[i])
            .into_iter()
            .map(Node::from)
            .collect();
        if kids.is_empty() {
            continue;
        }
        if let (Some(text), Some(Some(start))) = (&t.heading, starts.get(i)) {
            outline.push_child(OutlineNode::new(
                text.clone(),
                XyzDestination::new(start.page, Point::from_xy(LEFT, start.top)),
            ));
        }
        let group = TagGroup::with_children(kind(t), kids);
        match (t.div, &mut div) {
            (Some(g), Some((current, d))) if *current == g => d.push(group),
            (Some(g), _) => {
                if let Some((_, d)) = div.take() {
                    tree.push(d);
                }
                let mut d = TagGroup::new(Tag::Div);
                d.push(group);
                div = Some((g, d));
            }
            (None, _) => {
                if let Some((_, d)) = div.take() {
                    tree.push(d);
                }
                tree.push(group);
            }
        }
    }
    if let Some((_, d)) = div.take() {
        tree.push(d);
    }
    doc.set_tag_tree(tree);
    doc.set_outline(outline);
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language(LANG.to_string())
            .authors(vec![author.to_string()])
            .creator("Bürgeramt NRW, Stand-in der Behörde".to_string()),
    );
    finish(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_pdf_ua_rejects_is_a_typed_error() {
        // No title, no language, untagged text: not PDF/UA-1.
        let mut doc = ua1_document().unwrap();
        let mut page = doc.start_page();
        let mut s = page.surface();
        let font = Font::new(ttf_noto_sans::REGULAR.into(), 0).unwrap();
        s.draw_text(
            Point::from_xy(10.0, 20.0),
            font,
            10.0,
            "ohne Titel",
            false,
            TextDirection::LeftToRight,
        );
        s.finish();
        page.finish();
        match finish(doc) {
            Err(PdfError::Validation(why)) => assert!(why.contains("Title"), "{why}"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
