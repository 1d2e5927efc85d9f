//! The relay's vocabulary: every word of the catalogue it has seen (service
//! names and texts from PVOG answers, the services' keywords/synonyms from
//! their details) plus the committed everyday words (`alltagswoerter.txt`).
//! Words are kept folded (`fuehrerschein`) with the form the services
//! write (`führerschein`), so a query can be given back its umlauts.

use std::collections::HashMap;

use super::text::{allowed_edits, distance_within, fold, words};

/// The committed everyday words (see the file's head for the format).
pub const EVERYDAY: &str = include_str!("alltagswoerter.txt");

/// Shortest word that is split off a compound or expanded into compounds.
const MIN_PART: usize = 3;
/// Joints between the parts of a German compound ("Hund-e-anmeldung").
const JOINTS: [&str; 7] = ["", "s", "e", "n", "en", "es", "er"];

/// What the relay learnt about one service from PVOG.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFacts {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub lebenslagen: Vec<String>,
    /// Keywords/synonyms from the service's detail (may be empty).
    pub synonyms: Vec<String>,
}

/// Where a word was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seen {
    /// In an English text: known, never a correction.
    English,
    /// In a summary: known (PVOG's search finds it), never a correction.
    Text,
    /// In a synonym or an everyday key: a correction, but PVOG does not index it.
    Keyword,
    /// In a service name: what PVOG's search finds best.
    Name,
}

#[derive(Debug, Clone)]
struct Word {
    /// As the catalogue writes it, lower-cased ("führerschein").
    display: String,
    freq: u32,
    seen: Seen,
}

/// A rule "these words mean that": from the everyday list or a service's synonym.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Folded words, all of which must be in the query.
    pub key: Vec<String>,
    /// Words for PVOG's search (a service name, or the everyday list's target).
    pub target: String,
    pub everyday: bool,
}

#[derive(Debug, Default)]
pub struct Vocabulary {
    words: HashMap<String, Word>,
    rules: Vec<Rule>,
    /// Folded word → indexes into `rules` whose key contains it.
    rules_by_word: HashMap<String, Vec<usize>>,
}

impl Vocabulary {
    /// The everyday words alone (before the catalogue has been read).
    pub fn everyday() -> Self {
        Self::build(&[], &[])
    }

    /// The everyday words plus what PVOG told about `services` (German) and
    /// the English texts in `english`.
    pub fn build(services: &[ServiceFacts], english: &[String]) -> Self {
        let mut v = Vocabulary::default();
        for line in EVERYDAY.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((keys, target)) = line.split_once("=>") else {
                continue;
            };
            v.add_text(target, Seen::Name);
            for key in keys.split(',') {
                v.add_text(key, Seen::Keyword);
                v.add_rule(key, target.trim(), true);
            }
        }
        for s in services {
            v.add_text(&s.name, Seen::Name);
            v.add_text(&s.summary, Seen::Text);
            for syn in &s.synonyms {
                v.add_text(syn, Seen::Keyword);
                v.add_rule(syn, &s.name, false);
            }
        }
        for text in english {
            v.add_text(text, Seen::English);
        }
        v
    }

    fn add_text(&mut self, text: &str, seen: Seen) {
        for w in words(text) {
            let folded = fold(&w);
            if folded.chars().count() < 2 {
                continue;
            }
            let entry = self.words.entry(folded).or_insert(Word {
                display: w.clone(),
                freq: 0,
                seen,
            });
            entry.freq = entry.freq.saturating_add(1);
            if seen > entry.seen {
                // The better source's spelling wins ("straße" over "strasse").
                entry.seen = seen;
                entry.display = w;
            }
        }
    }

    fn add_rule(&mut self, key: &str, target: &str, everyday: bool) {
        let key: Vec<String> = words(key)
            .iter()
            .map(|w| fold(w))
            .filter(|w| !super::text::is_stopword(w))
            .collect();
        if key.is_empty() || target.trim().is_empty() {
            return;
        }
        let i = self.rules.len();
        for w in &key {
            self.rules_by_word.entry(w.clone()).or_default().push(i);
        }
        self.rules.push(Rule {
            key,
            target: target.trim().to_string(),
            everyday,
        });
    }

    /// How many different words are known.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The catalogue's spelling of a known (folded) word.
    pub fn known(&self, folded: &str) -> Option<&str> {
        self.words.get(folded).map(|w| w.display.as_str())
    }

    /// Is the word one PVOG's plain search can find (in a name or text)?
    fn searchable(&self, folded: &str) -> bool {
        self.words
            .get(folded)
            .is_some_and(|w| matches!(w.seen, Seen::Name | Seen::Text))
    }

    /// The nearest name or keyword within the edits the word's length
    /// allows: fewest edits, then the most frequent, then alphabetical.
    pub fn correct(&self, folded: &str) -> Option<&str> {
        let max = allowed_edits(folded.chars().count());
        if max == 0 {
            return None;
        }
        let mut best: Option<(usize, u32, &str, &str)> = None;
        for (key, w) in &self.words {
            if !matches!(w.seen, Seen::Name | Seen::Keyword) {
                continue;
            }
            let Some(d) = distance_within(folded, key, max) else {
                continue;
            };
            if d == 0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bd, bf, bk, _)) => {
                    (d, std::cmp::Reverse(w.freq), key.as_str()) < (bd, std::cmp::Reverse(bf), bk)
                }
            };
            if better {
                best = Some((d, w.freq, key.as_str(), w.display.as_str()));
            }
        }
        best.map(|(_, _, _, display)| display)
    }

    /// Splits an unknown compound into known words ("hundeanmeldung" →
    /// "hund", "anmeldung"): the longest known head whose rest (after a
    /// joint) is known or splits again. Folded words in, catalogue
    /// spellings out.
    pub fn split(&self, folded: &str) -> Option<Vec<String>> {
        self.split_depth(folded, 2)
    }

    fn split_depth(&self, folded: &str, depth: u8) -> Option<Vec<String>> {
        let cuts: Vec<usize> = folded.char_indices().map(|(i, _)| i).collect();
        // Longest head first.
        for &cut in cuts.iter().rev() {
            let (head, rest) = folded.split_at(cut);
            if head.chars().count() < MIN_PART || !self.searchable(head) {
                continue;
            }
            for joint in JOINTS {
                let Some(tail) = rest.strip_prefix(joint) else {
                    continue;
                };
                if tail.chars().count() < MIN_PART {
                    continue;
                }
                let head_display = self.known(head).unwrap_or(head).to_string();
                if let Some(t) = self.known(tail).filter(|_| self.searchable(tail)) {
                    return Some(vec![head_display, t.to_string()]);
                }
                if depth > 1 {
                    if let Some(mut parts) = self.split_depth(tail, depth - 1) {
                        parts.insert(0, head_display);
                        return Some(parts);
                    }
                }
            }
        }
        None
    }

    /// Words of service names that contain `folded` as a compound part
    /// (at the start or the end: "steuer" → "hundesteuer"), most frequent
    /// first, at most `limit`.
    pub fn compounds_of(&self, folded: &str, limit: usize) -> Vec<String> {
        if folded.chars().count() < MIN_PART + 1 {
            return Vec::new();
        }
        let mut found: Vec<(&str, &Word)> = self
            .words
            .iter()
            .filter(|(k, w)| {
                w.seen == Seen::Name
                    && k.as_str() != folded
                    && k.len() >= folded.len() + MIN_PART
                    && (k.starts_with(folded) || k.ends_with(folded))
            })
            .map(|(k, w)| (k.as_str(), w))
            .collect();
        found.sort_by(|a, b| {
            b.1.freq
                .cmp(&a.1.freq)
                .then(a.0.len().cmp(&b.0.len()))
                .then(a.0.cmp(b.0))
        });
        found
            .into_iter()
            .take(limit)
            .map(|(_, w)| w.display.clone())
            .collect()
    }

    /// The rules whose key words are all among `query` (folded words), each
    /// with the share of the query it covers (0–1].
    pub fn rules_for(&self, query: &[String]) -> Vec<(&Rule, f32)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for w in query {
            for &i in self.rules_by_word.get(w).into_iter().flatten() {
                if !seen.insert(i) {
                    continue;
                }
                let Some(rule) = self.rules.get(i) else {
                    continue;
                };
                if rule.key.iter().all(|k| query.contains(k)) {
                    let covered = query.iter().filter(|q| rule.key.contains(q)).count();
                    out.push((rule, covered as f32 / query.len().max(1) as f32));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vocabulary {
        let s = |id: &str, name: &str, summary: &str, syn: &[&str]| ServiceFacts {
            id: id.into(),
            name: name.into(),
            summary: summary.into(),
            lebenslagen: vec![],
            synonyms: syn.iter().map(|x| x.to_string()).collect(),
        };
        Vocabulary::build(
            &[
                s(
                    "1",
                    "Hundesteuer anmelden",
                    "Wer einen Hund hält, zahlt Steuer.",
                    &["hundemarke"],
                ),
                s(
                    "2",
                    "Führerschein umtauschen",
                    "Alte Führerscheine tauschen.",
                    &[],
                ),
                s(
                    "3",
                    "Anmeldung an der Grundschule",
                    "Ihr Kind kommt in die Schule.",
                    &[],
                ),
                s(
                    "4",
                    "Sondernutzung öffentlicher Straßen",
                    "Etwas auf die Straße stellen.",
                    &[],
                ),
            ],
            &["Register a dog".into()],
        )
    }

    #[test]
    fn known_words_get_their_umlauts_back() {
        let v = sample();
        assert_eq!(v.known("fuehrerschein"), Some("führerschein"));
        assert_eq!(v.known("strasse"), Some("straße"));
        assert_eq!(v.known("dog"), Some("dog"));
        assert_eq!(v.known("qxz"), None);
    }

    #[test]
    fn typos_are_corrected_by_length() {
        let v = sample();
        assert_eq!(v.correct("hundesteuerr"), Some("hundesteuer"));
        assert_eq!(v.correct("fuehrerschien"), Some("führerschein"));
        // Four letters: no edit allowed.
        assert_eq!(v.correct("hunt"), None);
        // English words are known but never a correction.
        assert_eq!(v.correct("registr"), None);
    }

    #[test]
    fn compounds_split_and_expand() {
        let v = sample();
        assert_eq!(
            v.split("hundeanmeldung"),
            Some(vec!["hund".into(), "anmeldung".into()])
        );
        assert_eq!(v.split("qxzanmeldung"), None);
        assert_eq!(v.compounds_of("steuer", 3), vec!["hundesteuer".to_string()]);
        assert_eq!(v.compounds_of("hund", 3), vec!["hundesteuer".to_string()]);
    }

    #[test]
    fn rules_match_when_all_their_words_are_there() {
        let v = sample();
        let q = |s: &str| words(s).iter().map(|w| fold(w)).collect::<Vec<_>>();
        let perso = v.rules_for(&q("Perso"));
        assert!(perso
            .iter()
            .any(|(r, c)| r.target.starts_with("Personalausweis") && *c == 1.0));
        let hund = v.rules_for(&q("Hundemarke"));
        assert!(hund
            .iter()
            .any(|(r, _)| r.target == "Hundesteuer anmelden" && !r.everyday));
        let half = v.rules_for(&q("ummelden bitte"));
        assert!(half
            .iter()
            .any(|(r, c)| r.target == "Wohnsitz anmelden" && *c == 0.5));
        assert!(
            v.rules_for(&q("verloren")).is_empty(),
            "needs all key words"
        );
    }

    #[test]
    fn the_everyday_list_parses_completely() {
        let v = Vocabulary::everyday();
        let lines = EVERYDAY
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count();
        assert!(lines >= 25);
        for l in EVERYDAY
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        {
            assert!(l.contains("=>"), "{l}");
        }
        assert!(v.rules.len() > lines);
    }
}
