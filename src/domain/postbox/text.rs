//! Dates, file sizes and the authority's message text in the postbox's
//! terms (re-exported by `domain::postbox`). Message text comes from
//! outside and is untrusted: [`text_blocks`] only splits it into plain
//! strings for text nodes.

// ------------------------------------------------------------ dates, sizes

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD` (a longer ISO timestamp's date part is not accepted
    /// here; use [`Date::parse_prefix`]).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        if s.len() != 10 {
            return None;
        }
        Date::parse_prefix(s)
    }

    /// The date at the start of `YYYY-MM-DD…`.
    pub fn parse_prefix(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// "12.01.2027" (German) or "12/01/2027" (English, day first as in
    /// the rest of the app).
    pub fn format(self, english: bool) -> String {
        let sep = if english { '/' } else { '.' };
        format!("{:02}{sep}{:02}{sep}{}", self.day, self.month, self.year)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The deadline of a decision, formatted, once it is set ("12.01.2027").
pub fn deadline_text(deadline: Option<&str>, english: bool) -> Option<String> {
    deadline.and_then(Date::parse).map(|d| d.format(english))
}

/// "2,1 KB", "980 Byte", "1,4 MB" (German decimal comma; English point).
pub fn file_size(bytes: u64, english: bool) -> String {
    let (value, unit) = if bytes < 1000 {
        return if english {
            format!("{bytes} bytes")
        } else {
            format!("{bytes} Byte")
        };
    } else if bytes < 1_000_000 {
        (bytes as f64 / 1000.0, "KB")
    } else {
        (bytes as f64 / 1_000_000.0, "MB")
    };
    let text = format!("{value:.1}");
    let text = if english {
        text
    } else {
        text.replace('.', ",")
    };
    format!("{text} {unit}")
}

// ------------------------------------------------------------ message text

/// The authority's text as paragraphs (separated by blank lines), each a
/// list of lines. Every piece is plain text for a text node: markup stays
/// literal. Trailing spaces and empty paragraphs are dropped; control
/// characters other than line breaks and tabs are removed.
pub fn text_blocks(content: &str) -> Vec<Vec<String>> {
    let clean: String = content
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let mut blocks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in clean.split('\n') {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_string());
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_in_german_and_english() {
        assert_eq!(
            deadline_text(Some("2027-01-12"), false).as_deref(),
            Some("12.01.2027")
        );
        assert_eq!(
            deadline_text(Some("2027-01-12"), true).as_deref(),
            Some("12/01/2027")
        );
        assert_eq!(deadline_text(None, false), None);
        for bad in [
            "",
            "2027-13-01",
            "2027-02-29",
            "2027-1-12",
            "12.01.2027",
            "2027-01-12T00:00:00Z",
            "２０２７-01-12",
        ] {
            assert_eq!(deadline_text(Some(bad), false), None, "{bad:?}");
        }
        assert_eq!(
            Date::parse("2028-02-29"),
            Some(Date {
                year: 2028,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            Date::parse_prefix("2026-11-29T10:15:00Z").map(|d| d.format(false)),
            Some("29.11.2026".into())
        );
    }

    #[test]
    fn file_sizes() {
        assert_eq!(file_size(980, false), "980 Byte");
        assert_eq!(file_size(980, true), "980 bytes");
        assert_eq!(file_size(2190, false), "2,2 KB");
        assert_eq!(file_size(2190, true), "2.2 KB");
        assert_eq!(file_size(1_400_000, false), "1,4 MB");
    }

    #[test]
    fn text_is_split_into_paragraphs_and_lines() {
        let blocks = text_blocks("Sehr geehrte Frau Mustermann,\r\n\r\nIhr Hund ist angemeldet.\nSteuer: 96 €\n\n\n  \nMit freundlichen Grüßen  ");
        assert_eq!(
            blocks,
            vec![
                vec!["Sehr geehrte Frau Mustermann,".to_string()],
                vec!["Ihr Hund ist angemeldet.".into(), "Steuer: 96 €".into()],
                vec!["Mit freundlichen Grüßen".into()],
            ]
        );
        assert!(text_blocks("").is_empty());
        assert!(text_blocks("\n \n").is_empty());
    }

    #[test]
    fn markup_stays_literal_text() {
        let evil = "<b>fett</b><script>alert(1)</script>\n<img src=x onerror=alert(2)>\u{0}";
        let blocks = text_blocks(evil);
        assert_eq!(
            blocks,
            vec![vec![
                "<b>fett</b><script>alert(1)</script>".to_string(),
                "<img src=x onerror=alert(2)>".into(),
            ]]
        );
        // Nothing was escaped or dropped: the view shows exactly these characters.
        let joined: String = blocks.concat().concat();
        assert!(joined.contains("<script>"));
        assert!(joined.contains("onerror=alert(2)"));
    }
}
