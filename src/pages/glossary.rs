//! `/glossar`: administrative terms from A to Z, with a letter index.
//!
//! The headwords stay German in both languages (that is how citizens meet
//! them in forms and letters); the explanation follows the chosen language.
//! The entries are listed here explicitly, sorted by their German headword,
//! because typed i18n keys cannot be enumerated at run time.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{internal_link, Text};

/// One glossary entry: its anchor (`/glossar#begriff-…`), headword and text.
pub struct Entry {
    pub id: &'static str,
    pub term: Text,
    pub text: Text,
}

/// Every entry, sorted by headword (German collation: umlauts as their base
/// letter). The unit tests below keep this order honest.
pub const ENTRIES: &[Entry] = &[
    Entry {
        id: "begriff-ags-ars",
        term: |l| td_string!(l, glossary.ags_term),
        text: |l| td_string!(l, glossary.ags_text),
    },
    Entry {
        id: "begriff-aktenzeichen",
        term: |l| td_string!(l, glossary.aktenzeichen_term),
        text: |l| td_string!(l, glossary.aktenzeichen_text),
    },
    Entry {
        id: "begriff-antrag",
        term: |l| td_string!(l, glossary.antrag_term),
        text: |l| td_string!(l, glossary.antrag_text),
    },
    Entry {
        id: "begriff-ausweisapp",
        term: |l| td_string!(l, glossary.ausweisapp_term),
        text: |l| td_string!(l, glossary.ausweisapp_text),
    },
    Entry {
        id: "begriff-behoerde",
        term: |l| td_string!(l, glossary.behoerde_term),
        text: |l| td_string!(l, glossary.behoerde_text),
    },
    Entry {
        id: "begriff-bescheid",
        term: |l| td_string!(l, glossary.bescheid_term),
        text: |l| td_string!(l, glossary.bescheid_text),
    },
    Entry {
        id: "begriff-bundid",
        term: |l| td_string!(l, glossary.bundid_term),
        text: |l| td_string!(l, glossary.bundid_text),
    },
    Entry {
        id: "begriff-buergerbuero",
        term: |l| td_string!(l, glossary.buergerbuero_term),
        text: |l| td_string!(l, glossary.buergerbuero_text),
    },
    Entry {
        id: "begriff-datenschutz",
        term: |l| td_string!(l, glossary.datenschutz_term),
        text: |l| td_string!(l, glossary.datenschutz_text),
    },
    Entry {
        id: "begriff-eid",
        term: |l| td_string!(l, glossary.eid_term),
        text: |l| td_string!(l, glossary.eid_text),
    },
    Entry {
        id: "begriff-elster",
        term: |l| td_string!(l, glossary.elster_term),
        text: |l| td_string!(l, glossary.elster_text),
    },
    Entry {
        id: "begriff-entwurf",
        term: |l| td_string!(l, glossary.entwurf_term),
        text: |l| td_string!(l, glossary.entwurf_text),
    },
    Entry {
        id: "begriff-fachverfahren",
        term: |l| td_string!(l, glossary.fachverfahren_term),
        text: |l| td_string!(l, glossary.fachverfahren_text),
    },
    Entry {
        id: "begriff-fit-connect",
        term: |l| td_string!(l, glossary.fitconnect_term),
        text: |l| td_string!(l, glossary.fitconnect_text),
    },
    Entry {
        id: "begriff-frist",
        term: |l| td_string!(l, glossary.frist_term),
        text: |l| td_string!(l, glossary.frist_text),
    },
    Entry {
        id: "begriff-gebuehr",
        term: |l| td_string!(l, glossary.gebuehr_term),
        text: |l| td_string!(l, glossary.gebuehr_text),
    },
    Entry {
        id: "begriff-kreis",
        term: |l| td_string!(l, glossary.kreis_term),
        text: |l| td_string!(l, glossary.kreis_text),
    },
    Entry {
        id: "begriff-lebenslage",
        term: |l| td_string!(l, glossary.lebenslage_term),
        text: |l| td_string!(l, glossary.lebenslage_text),
    },
    Entry {
        id: "begriff-leichte-sprache",
        term: |l| td_string!(l, glossary.leichte_sprache_term),
        text: |l| td_string!(l, glossary.leichte_sprache_text),
    },
    Entry {
        id: "begriff-leika",
        term: |l| td_string!(l, glossary.leika_term),
        text: |l| td_string!(l, glossary.leika_text),
    },
    Entry {
        id: "begriff-nachweis",
        term: |l| td_string!(l, glossary.nachweis_term),
        text: |l| td_string!(l, glossary.nachweis_text),
    },
    Entry {
        id: "begriff-nfc",
        term: |l| td_string!(l, glossary.nfc_term),
        text: |l| td_string!(l, glossary.nfc_text),
    },
    Entry {
        id: "begriff-once-only",
        term: |l| td_string!(l, glossary.once_only_term),
        text: |l| td_string!(l, glossary.once_only_text),
    },
    Entry {
        id: "begriff-ozg",
        term: |l| td_string!(l, glossary.ozg_term),
        text: |l| td_string!(l, glossary.ozg_text),
    },
    Entry {
        id: "begriff-pin",
        term: |l| td_string!(l, glossary.pin_term),
        text: |l| td_string!(l, glossary.pin_text),
    },
    Entry {
        id: "begriff-portalverbund",
        term: |l| td_string!(l, glossary.portalverbund_term),
        text: |l| td_string!(l, glossary.portalverbund_text),
    },
    Entry {
        id: "begriff-postfach",
        term: |l| td_string!(l, glossary.postfach_term),
        text: |l| td_string!(l, glossary.postfach_text),
    },
    Entry {
        id: "begriff-rechtsbehelfsbelehrung",
        term: |l| td_string!(l, glossary.rechtsbehelf_term),
        text: |l| td_string!(l, glossary.rechtsbehelf_text),
    },
    Entry {
        id: "begriff-servicekonto-nrw",
        term: |l| td_string!(l, glossary.servicekonto_term),
        text: |l| td_string!(l, glossary.servicekonto_text),
    },
    Entry {
        id: "begriff-statusmeldung",
        term: |l| td_string!(l, glossary.statusmeldung_term),
        text: |l| td_string!(l, glossary.statusmeldung_text),
    },
    Entry {
        id: "begriff-transport-pin",
        term: |l| td_string!(l, glossary.transport_pin_term),
        text: |l| td_string!(l, glossary.transport_pin_text),
    },
    Entry {
        id: "begriff-verschluesselung",
        term: |l| td_string!(l, glossary.verschluesselung_term),
        text: |l| td_string!(l, glossary.verschluesselung_text),
    },
    Entry {
        id: "begriff-vertrauensniveau",
        term: |l| td_string!(l, glossary.vertrauensniveau_term),
        text: |l| td_string!(l, glossary.vertrauensniveau_text),
    },
    Entry {
        id: "begriff-vollmacht",
        term: |l| td_string!(l, glossary.vollmacht_term),
        text: |l| td_string!(l, glossary.vollmacht_text),
    },
    Entry {
        id: "begriff-widerspruch",
        term: |l| td_string!(l, glossary.widerspruch_term),
        text: |l| td_string!(l, glossary.widerspruch_text),
    },
    Entry {
        id: "begriff-zustaendigkeit",
        term: |l| td_string!(l, glossary.zustaendigkeit_term),
        text: |l| td_string!(l, glossary.zustaendigkeit_text),
    },
];

const INDEX_ID: &str = "glossar-buchstaben";

/// The index letter of a headword: its first letter, umlauts folded to
/// their base letter (Ä → A), upper case. `None` if it starts otherwise.
pub fn index_letter(term: &str) -> Option<char> {
    let first = term.chars().next()?;
    let folded = match first.to_lowercase().next()? {
        'ä' => 'a',
        'ö' => 'o',
        'ü' => 'u',
        other => other,
    };
    folded
        .is_ascii_alphabetic()
        .then(|| folded.to_ascii_uppercase())
}

/// The headwords are German in both languages, so letters come from `de`.
fn letter_of(entry: &Entry) -> Option<char> {
    index_letter((entry.term)(Locale::de))
}

fn letter_anchor(letter: char) -> String {
    format!("buchstabe-{}", letter.to_ascii_lowercase())
}

#[component]
pub fn Glossary() -> impl IntoView {
    let i18n = use_i18n();
    let index = ('A'..='Z')
        .map(|letter| {
            let used = ENTRIES.iter().any(|e| letter_of(e) == Some(letter));
            if used {
                view! {
                    <li>
                        <a class="kern-link glossary-index__link" href=format!("#{}", letter_anchor(letter)) target="_self">
                            {letter.to_string()}
                        </a>
                    </li>
                }
                .into_any()
            } else {
                view! {
                    <li class="glossary-index__empty">
                        {letter.to_string()}
                        <span class="kern-sr-only">{move || format!(" ({})", t_string!(i18n, glossary.index_empty))}</span>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view();
    let sections = ('A'..='Z')
        .filter_map(|letter| {
            let entries: Vec<&'static Entry> = ENTRIES
                .iter()
                .filter(|e| letter_of(e) == Some(letter))
                .collect();
            if entries.is_empty() {
                return None;
            }
            let items = entries
                .into_iter()
                .map(|e| {
                    let (term, text) = (e.term, e.text);
                    view! {
                        <div class="kern-description-list-item">
                            <dt id=e.id class="kern-description-list-item__key" lang="de">
                                {move || term(i18n.get_locale())}
                            </dt>
                            <dd class="kern-description-list-item__value kern-body">
                                {move || text(i18n.get_locale())}
                            </dd>
                        </div>
                    }
                })
                .collect_view();
            Some(view! {
                <section class="glossary-letter">
                    <h2 id=letter_anchor(letter) class="kern-heading-medium">{letter.to_string()}</h2>
                    <dl class="kern-description-list kern-description-list--col glossary-list">{items}</dl>
                    <p class="kern-body kern-body--small">
                        <a class="kern-link content-backlink" href=format!("#{INDEX_ID}") target="_self">
                            {t!(i18n, glossary.back_to_index)}
                        </a>
                    </p>
                </section>
            })
        })
        .collect_view();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, glossary.title).to_string()) />
        <div class="content-page">
            <p class="kern-body kern-body--large">
                {t!(i18n, glossary.intro, <help> = internal_link("/hilfe"))}
            </p>
            <nav id=INDEX_ID class="glossary-index" aria-label=move || t_string!(i18n, glossary.index_label)>
                <ul class="glossary-index__list">{index}</ul>
            </nav>
            {sections}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// German dictionary order, good enough for headwords: case-insensitive,
    /// umlauts as their base letter, ß as ss.
    fn sort_key(term: &str) -> String {
        term.to_lowercase()
            .chars()
            .flat_map(|c| match c {
                'ä' => vec!['a'],
                'ö' => vec!['o'],
                'ü' => vec!['u'],
                'ß' => vec!['s', 's'],
                c => vec![c],
            })
            .collect()
    }

    #[test]
    fn has_at_least_thirty_entries() {
        assert!(ENTRIES.len() >= 30, "only {} entries", ENTRIES.len());
    }

    #[test]
    fn entries_are_sorted_by_german_headword() {
        let keys: Vec<String> = ENTRIES
            .iter()
            .map(|e| sort_key((e.term)(Locale::de)))
            .collect();
        for pair in keys.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{:?} must come before {:?}",
                pair[1],
                pair[0]
            );
        }
    }

    #[test]
    fn headwords_are_the_same_in_both_languages() {
        for e in ENTRIES {
            assert_eq!((e.term)(Locale::de), (e.term)(Locale::en), "{}", e.id);
        }
    }

    #[test]
    fn every_entry_has_an_index_letter_a_unique_anchor_and_a_text() {
        let mut ids = std::collections::HashSet::new();
        for e in ENTRIES {
            assert!(letter_of(e).is_some(), "{}", e.id);
            assert!(ids.insert(e.id), "duplicate anchor {}", e.id);
            assert!(e.id.starts_with("begriff-"), "{}", e.id);
            for l in [Locale::de, Locale::en] {
                assert!(!(e.text)(l).trim().is_empty(), "{} {l}", e.id);
            }
        }
    }

    #[test]
    fn index_letter_folds_umlauts_and_case() {
        assert_eq!(index_letter("Ämter"), Some('A'));
        assert_eq!(index_letter("eID"), Some('E'));
        assert_eq!(index_letter("Übersicht"), Some('U'));
        assert_eq!(index_letter("§ 12a"), None);
        assert_eq!(index_letter(""), None);
    }
}
