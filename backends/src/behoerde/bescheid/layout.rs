//! The Bescheid's layout before anything is drawn: texts cleaned to what
//! the font can show, wrapped by the font's real advances, and placed line
//! by line on A4 pages (krilla's coordinates: origin top left, y downwards).

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const LEFT: f32 = 70.0;
const RIGHT: f32 = 60.0;
pub const WIDTH: f32 = PAGE_W - LEFT - RIGHT;
/// First baseline region and the lowest baseline of the text.
const TOP: f32 = 62.0;
const BOTTOM: f32 = PAGE_H - 80.0;
/// Baseline of the page numbers.
pub const FOOT: f32 = PAGE_H - 40.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// The metrics of one font: which characters it has and how wide they are.
pub struct Face {
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    pub fn new(data: &'static [u8]) -> Option<Self> {
        let font = FontRef::new(data).ok()?;
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Some(Self {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: if units_per_em > 0.0 {
                units_per_em
            } else {
                1000.0
            },
        })
    }

    fn has(&self, c: char) -> bool {
        self.charmap.map(c).is_some()
    }

    /// The width of `text` at `size` points (advances only, no kerning, so
    /// never narrower than what is drawn).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text
            .chars()
            .filter_map(|c| self.charmap.map(c))
            .filter_map(|g| self.metrics.advance_width(g))
            .sum();
        units * size / self.units_per_em
    }
}

/// Both weights of the Bescheid's font.
pub struct Faces {
    pub regular: Face,
    pub bold: Face,
}

impl Faces {
    pub fn get(&self, w: Weight) -> &Face {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// `text` as one line the fonts can show: whitespace and control
    /// characters become spaces, invisible format characters (which PDF/UA
    /// forbids without a Unicode mapping: U+FEFF, soft hyphens, bidi
    /// controls, variation selectors) are dropped, and what a font lacks
    /// (emoji, most non-European scripts) becomes `?`.
    pub fn clean(&self, text: &str) -> String {
        text.chars()
            .filter(|&c| !invisible(c))
            .map(|c| {
                if c.is_whitespace() || c.is_control() {
                    ' '
                } else if self.regular.has(c) && self.bold.has(c) {
                    c
                } else {
                    '?'
                }
            })
            .collect()
    }
}

/// Default-ignorable and format characters.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x34F | 0x61C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164
        | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// Greedy word wrap of one cleaned line by the font's advances. A word
/// wider than the line is cut. Every line but the last ends in the space
/// that separated it from the next word, so that the extracted text keeps
/// its word breaks (a cut word gets none).
pub fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_w = 0.0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = face.width(word, size);
        if line.is_empty() && w <= width {
            line.push_str(word);
            line_w = w;
            continue;
        }
        if !line.is_empty() {
            if line_w + space + w <= width {
                line.push(' ');
                line.push_str(word);
                line_w += space + w;
                continue;
            }
            line.push(' ');
            lines.push(std::mem::take(&mut line));
            line_w = 0.0;
            if w <= width {
                line.push_str(word);
                line_w = w;
                continue;
            }
        }
        // A word wider than the line: cut it, at least one character a line.
        for c in word.chars() {
            let cw = face.width(c.encode_utf8(&mut [0; 4]), size);
            if !line.is_empty() && line_w + cw > width {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            line.push(c);
            line_w += cw;
        }
    }
    lines.push(line);
    lines
}

/// One drawn line of text.
#[derive(Debug, Clone)]
pub struct Line {
    pub baseline: f32,
    pub weight: Weight,
    pub size: f32,
    pub text: String,
    /// The block it belongs to (index into the blocks laid out).
    pub block: usize,
}

#[derive(Debug, Default)]
pub struct Page {
    pub lines: Vec<Line>,
    /// Horizontal rules (y), decoration only.
    pub rules: Vec<f32>,
}

/// A piece of the letter: one paragraph or heading. `text` may hold line
/// breaks (`\n`); they stay line breaks within the block.
pub struct Block {
    pub weight: Weight,
    pub size: f32,
    pub text: String,
    /// Space above the block.
    pub before: f32,
    /// Room needed below the block's first line on the same page (keeps a
    /// heading with what follows).
    pub keep: f32,
    /// A rule below the block.
    pub rule_after: bool,
}

/// Where a block starts: page index and the top of its first line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Start {
    pub page: usize,
    pub top: f32,
}

/// Lays the blocks out on as many pages as they need.
pub fn layout(faces: &Faces, blocks: &[Block]) -> (Vec<Page>, Vec<Option<Start>>) {
    let mut pages = vec![Page::default()];
    let mut y = TOP;
    let mut starts = vec![None; blocks.len()];
    for (i, b) in blocks.iter().enumerate() {
        let lead = b.size * 1.4;
        let face = faces.get(b.weight);
        let mut lines: Vec<String> = Vec::new();
        for hard in b.text.lines() {
            if let Some(last) = lines.last_mut() {
                if !last.ends_with(' ') {
                    last.push(' ');
                }
            }
            lines.extend(wrap(face, &faces.clean(hard), b.size, WIDTH));
        }
        lines.retain(|l| !l.trim().is_empty());
        if lines.is_empty() {
            continue;
        }
        if y > TOP {
            y += b.before;
        }
        if y + lead + b.keep > BOTTOM {
            pages.push(Page::default());
            y = TOP;
        }
        for text in lines {
            if y + lead > BOTTOM {
                pages.push(Page::default());
                y = TOP;
            }
            let page = pages.len() - 1;
            starts[i].get_or_insert(Start { page, top: y });
            y += lead;
            pages[page].lines.push(Line {
                baseline: y,
                weight: b.weight,
                size: b.size,
                text,
                block: i,
            });
        }
        if b.rule_after {
            y += 6.0;
            if let Some(p) = pages.last_mut() {
                p.rules.push(y);
            }
        }
    }
    (pages, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> Faces {
        Faces {
            regular: Face::new(ttf_noto_sans::REGULAR).unwrap(),
            bold: Face::new(ttf_noto_sans::BOLD).unwrap(),
        }
    }

    #[test]
    fn widths_come_from_the_font() {
        let f = faces();
        let w_i = f.regular.width("iiiiiiiiii", 10.0);
        let w_m = f.regular.width("MMMMMMMMMM", 10.0);
        assert!(w_i > 10.0 && w_m > 3.0 * w_i, "{w_i} {w_m}");
        assert!(f.bold.width("Bescheid", 10.0) > f.regular.width("Bescheid", 10.0));
    }

    #[test]
    fn cleaning_keeps_german_and_replaces_what_the_font_lacks() {
        let f = faces();
        assert_eq!(f.clean("Größe „groß“ – 12 €"), "Größe „groß“ – 12 €");
        assert_eq!(f.clean("a\u{1F600}b\u{FEFF}c\u{AD}d\te\u{0}"), "a?bcd e ");
        assert_eq!(f.clean("漢"), "?");
    }

    #[test]
    fn wrapping_keeps_words_and_their_spaces_and_cuts_monsters() {
        let f = faces();
        let text = "eins zwei drei vier fünf sechs sieben";
        let lines = wrap(&f.regular, text, 10.0, 60.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines
            .iter()
            .all(|l| f.regular.width(l.trim_end(), 10.0) <= 60.0));
        assert_eq!(lines.concat(), text);
        let long = "x".repeat(80);
        let cut = wrap(&f.regular, &long, 10.0, 100.0);
        assert!(cut.len() >= 3, "{cut:?}");
        assert_eq!(cut.concat(), long);
        assert_eq!(wrap(&f.regular, "", 10.0, 100.0), vec![String::new()]);
    }

    #[test]
    fn long_blocks_flow_onto_more_pages() {
        let f = faces();
        let blocks = vec![
            Block {
                weight: Weight::Bold,
                size: 16.0,
                text: "Titel".into(),
                before: 0.0,
                keep: 0.0,
                rule_after: true,
            },
            Block {
                weight: Weight::Regular,
                size: 10.0,
                text: "Ein Satz mit einigen Wörtern. ".repeat(300),
                before: 10.0,
                keep: 0.0,
                rule_after: false,
            },
        ];
        let (pages, starts) = layout(&f, &blocks);
        assert!(pages.len() >= 2);
        assert_eq!(starts[0], Some(Start { page: 0, top: TOP }));
        assert_eq!(pages[0].rules.len(), 1);
        for p in &pages {
            assert!(p.lines.iter().all(|l| l.baseline <= BOTTOM));
        }
        let body: String = pages
            .iter()
            .flat_map(|p| &p.lines)
            .filter(|l| l.block == 1)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(
            body,
            "Ein Satz mit einigen Wörtern. ".repeat(300).trim_end()
        );
    }
}
