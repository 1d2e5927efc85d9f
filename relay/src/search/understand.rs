//! What a query means: a plan of plain searches for PVOG.
//!
//! Each query word is folded and then, in this order, taken as it is if the
//! catalogue knows it (with its umlauts given back), split into known words
//! if it is a compound, or corrected to the nearest name or keyword. Rules
//! (everyday words, the services' own synonyms) whose words are all in the
//! query add a search for their target. A single word also looks for the
//! compounds it is part of. The plan lists these searches with weights;
//! [`super::run`] asks PVOG and merges the answers.
//!
//! A word of an NRW place name that the catalogue does not know
//! ("Personalausweis Monschau") is a place, not a typo: it is neither
//! corrected nor searched for in the rewritten query (the place itself is
//! chosen in the place picker). The words come from `place_words.txt`,
//! generated with the place data by `scripts/import-places.py`.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::text::{fold, is_stopword, words, MAX_WORDS};
use super::vocab::Vocabulary;

const PLACE_WORDS: &str = include_str!("place_words.txt");

/// Is this (folded) word part of the name of an NRW place or district?
pub fn is_place_word(folded: &str) -> bool {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS
        .get_or_init(|| {
            PLACE_WORDS
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(|l| fold(l.trim()))
                .collect()
        })
        .contains(folded)
}

/// Weight of the query as typed.
const W_AS_TYPED: f32 = 1.0;
/// Weight of the query rewritten word by word (umlauts, compounds, typos).
const W_REWRITTEN: f32 = 2.0;
/// Weight of an everyday-words rule covering the whole query.
const W_EVERYDAY: f32 = 3.0;
/// Weight of a service's own synonym covering the whole query.
const W_SYNONYM: f32 = 2.5;
/// Weight of one part of a split compound on its own.
const W_PART: f32 = 0.6;
/// Weight of a compound that contains the single query word.
const W_COMPOUND: f32 = 0.3;
/// Searches of one plan, at most.
pub const MAX_SEARCHES: usize = 8;
/// Rules used per query, at most.
const MAX_RULES: usize = 3;
/// Compounds looked for per single-word query, at most.
const MAX_COMPOUNDS: usize = 4;

/// One plain search and how much its ranking counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub q: String,
    pub weight: f32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// The query as typed comes first.
    pub searches: Vec<Search>,
    /// "Meinten Sie …?": the query with its typos corrected, if any was.
    pub suggestion: Option<String>,
}

impl Plan {
    /// Only the query as typed: PVOG's answer can go through unchanged.
    pub fn is_plain(&self) -> bool {
        self.searches.len() <= 1
    }

    fn push(&mut self, q: String, weight: f32) {
        let q = q.trim().to_string();
        if q.is_empty() || self.searches.len() >= MAX_SEARCHES {
            return;
        }
        let key = q.to_lowercase();
        match self.searches.iter_mut().find(|s| s.q.to_lowercase() == key) {
            Some(s) => s.weight = s.weight.max(weight),
            None => self.searches.push(Search { q, weight }),
        }
    }
}

/// How one query word was understood.
enum Word {
    /// Known (in the catalogue's spelling).
    Known(String),
    /// A compound, split into known words.
    Split(Vec<String>),
    /// A typo, corrected.
    Corrected(String),
    /// Unknown: passed on as typed.
    Unknown(String),
    /// Part of a place name: left out of the rewritten query.
    Place,
}

pub fn plan(vocab: &Vocabulary, q: &str) -> Plan {
    let mut plan = Plan::default();
    plan.push(q.to_string(), W_AS_TYPED);
    let typed: Vec<String> = words(q)
        .into_iter()
        .filter(|w| !is_stopword(&fold(w)))
        .take(MAX_WORDS)
        .collect();
    if typed.is_empty() {
        return plan;
    }
    let understood: Vec<Word> = typed
        .iter()
        .map(|w| {
            let f = fold(w);
            if let Some(k) = vocab.known(&f) {
                Word::Known(k.to_string())
            } else if is_place_word(&f) {
                Word::Place
            } else if let Some(parts) = vocab.split(&f) {
                Word::Split(parts)
            } else if let Some(c) = vocab.correct(&f) {
                Word::Corrected(c.to_string())
            } else {
                Word::Unknown(w.clone())
            }
        })
        .collect();

    // The words as the catalogue writes them.
    let mut rewritten: Vec<String> = Vec::new();
    let mut corrected = false;
    let mut suggestion: Vec<String> = Vec::new();
    for (w, typed) in understood.iter().zip(&typed) {
        match w {
            Word::Known(k) | Word::Unknown(k) => {
                rewritten.push(k.clone());
                suggestion.push(k.clone());
            }
            Word::Split(parts) => {
                rewritten.extend(parts.iter().cloned());
                suggestion.push(typed.clone());
            }
            Word::Corrected(c) => {
                corrected = true;
                rewritten.push(c.clone());
                suggestion.push(c.clone());
            }
            Word::Place => suggestion.push(typed.clone()),
        }
    }
    if corrected {
        plan.suggestion = Some(suggestion.join(" "));
    }
    let typed_lower = typed.join(" ");
    let rewritten_q = rewritten.join(" ");
    if rewritten_q != typed_lower {
        plan.push(rewritten_q, W_REWRITTEN);
    }

    // Rules whose words are all there, best coverage first.
    let folded: Vec<String> = rewritten.iter().map(|w| fold(w)).collect();
    let mut rules = vocab.rules_for(&folded);
    rules.sort_by(|a, b| {
        let wa = a.1 * if a.0.everyday { W_EVERYDAY } else { W_SYNONYM };
        let wb = b.1 * if b.0.everyday { W_EVERYDAY } else { W_SYNONYM };
        wb.total_cmp(&wa)
            .then(b.0.key.len().cmp(&a.0.key.len()))
            .then(a.0.target.cmp(&b.0.target))
    });
    let mut targets = 0;
    for (rule, coverage) in rules {
        if targets >= MAX_RULES {
            break;
        }
        let before = plan.searches.len();
        let w = if rule.everyday { W_EVERYDAY } else { W_SYNONYM };
        plan.push(rule.target.clone(), w * coverage);
        if plan.searches.len() > before {
            targets += 1;
        }
    }

    // The parts of a compound on their own.
    for w in &understood {
        if let Word::Split(parts) = w {
            for p in parts {
                plan.push(p.clone(), W_PART);
            }
        }
    }

    // One word: the compounds it is part of ("steuer" → "Hundesteuer").
    if let [only] = folded.as_slice() {
        for c in vocab.compounds_of(only, MAX_COMPOUNDS) {
            plan.push(c, W_COMPOUND);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::vocab::ServiceFacts;

    fn vocab() -> Vocabulary {
        let s = |name: &str, summary: &str| ServiceFacts {
            name: name.into(),
            summary: summary.into(),
            ..Default::default()
        };
        Vocabulary::build(
            &[
                s(
                    "Personalausweis beantragen",
                    "Den Ausweis gibt es im Bürgerbüro.",
                ),
                s("Hundesteuer anmelden", "Für jeden Hund."),
                s("Führerschein umtauschen", "Alte Führerscheine."),
                s("Anmeldung an der Grundschule", "Schule."),
            ],
            &[],
        )
    }

    #[test]
    fn everyday_words_become_searches_for_the_service() {
        let p = plan(&vocab(), "Perso");
        assert_eq!(
            p.searches[0],
            Search {
                q: "Perso".into(),
                weight: W_AS_TYPED
            }
        );
        assert!(p
            .searches
            .iter()
            .any(|s| s.q == "Personalausweis beantragen" && s.weight == W_EVERYDAY));
        assert_eq!(p.suggestion, None);
    }

    #[test]
    fn umlauts_typos_and_compounds_are_rewritten() {
        let p = plan(&vocab(), "Fuehrerschein");
        assert!(
            p.searches
                .iter()
                .any(|s| s.q == "führerschein" && s.weight == W_REWRITTEN),
            "{p:?}"
        );
        let p = plan(&vocab(), "Personalauswies");
        assert_eq!(p.suggestion.as_deref(), Some("personalausweis"));
        let p = plan(&vocab(), "Hundesteueranmeldung");
        assert!(
            p.searches.iter().any(|s| s.q == "hundesteuer anmeldung"),
            "{p:?}"
        );
    }

    #[test]
    fn place_names_are_not_typos() {
        // The place is left out of the rewritten query and never "corrected".
        for q in [
            "Personalausweis Monschau",
            "personalausweis in Bad Berleburg",
        ] {
            let p = plan(&vocab(), q);
            assert_eq!(p.suggestion, None, "{q}: {p:?}");
            assert!(
                p.searches.iter().any(|s| s.q == "personalausweis"),
                "{q}: {p:?}"
            );
        }
        let p = plan(&vocab(), "Personalauswies Wachtendonk");
        assert_eq!(p.suggestion.as_deref(), Some("personalausweis wachtendonk"));
        assert!(is_place_word("muelheim") && is_place_word("ruhr"));
        assert!(!is_place_word("personalausweis"));
        // A place alone stays the plain search.
        assert!(plan(&vocab(), "Extertal").is_plain());
    }

    #[test]
    fn a_plain_word_stays_plain() {
        let p = plan(&vocab(), "Grundschule");
        assert!(p.is_plain(), "{p:?}");
        assert!(plan(&vocab(), "").is_plain());
        assert!(plan(&vocab(), "qxzjvw").is_plain());
        assert!(plan(&vocab(), &"wort ".repeat(50)).searches.len() <= MAX_SEARCHES);
    }
}
