//! Words of a query as the relay compares them: lower-cased, umlauts and ß
//! folded (`ä→ae`, `ß→ss`), and a bounded edit distance between two words.

/// Longest word considered (longer ones are cut, as the index would drop them).
pub const MAX_WORD_CHARS: usize = 60;
/// Words of one query that are looked at, at most.
pub const MAX_WORDS: usize = 12;

/// Query words that carry no meaning for finding a service (folded).
const STOPWORDS: [&str; 28] = [
    "ich", "mein", "meine", "meinen", "meinem", "der", "die", "das", "den", "dem", "des", "ein",
    "eine", "einen", "und", "oder", "wie", "was", "wo", "fuer", "in", "im", "am", "an", "zu",
    "zum", "zur", "mit",
];

/// Lower-cases and folds German umlauts, ß and common accents.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'á' | 'à' | 'â' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ó' | 'ò' | 'ô' => out.push('o'),
            'ú' | 'ù' | 'û' => out.push('u'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            other => out.push(other),
        }
    }
    out
}

/// The lower-cased words of a text (letters and digits; everything else
/// separates), each cut to [`MAX_WORD_CHARS`].
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .take(MAX_WORD_CHARS)
                .collect()
        })
        .collect()
}

/// Is this (folded) word one that carries no meaning?
pub fn is_stopword(folded: &str) -> bool {
    STOPWORDS.contains(&folded)
}

/// Edits a word of this many letters may carry and still be corrected:
/// none up to 4 letters, one up to 7, two beyond.
pub fn allowed_edits(chars: usize) -> usize {
    match chars {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// The edit distance of `a` and `b` (insertions, deletions, substitutions
/// and swaps of neighbours), or `None` if it is above `max`.
pub fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    // Three rows: two before (for swaps) and the current one.
    let mut before: Vec<usize> = vec![0; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur: Vec<usize> = vec![0; width];
    let mut prev_min = 0;
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        // A swap reaches back two rows: give up only when both are over.
        if row_min > max && prev_min > max {
            return None;
        }
        prev_min = row_min;
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[width - 1];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_words() {
        assert_eq!(
            fold("Führerschein STRASSE Straße"),
            "fuehrerschein strasse strasse"
        );
        assert_eq!(
            words("Perso, beantragen!  Kfz-Steuer"),
            ["perso", "beantragen", "kfz", "steuer"]
        );
        assert!(is_stopword("fuer"));
    }

    #[test]
    fn distances() {
        assert_eq!(distance_within("reisepas", "reisepass", 2), Some(1));
        assert_eq!(
            distance_within("fuehrerschien", "fuehrerschein", 2),
            Some(1)
        );
        assert_eq!(
            distance_within("persnalausweis", "personalausweis", 1),
            Some(1)
        );
        assert_eq!(distance_within("kindergld", "kindergeld", 1), Some(1));
        assert_eq!(distance_within("hund", "katze", 2), None);
        assert_eq!(distance_within("abc", "abc", 0), Some(0));
        assert_eq!(allowed_edits(4), 0);
        assert_eq!(allowed_edits(7), 1);
        assert_eq!(allowed_edits(8), 2);
    }
}
