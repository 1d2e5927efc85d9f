//! Service search with tantivy.
//!
//! * A custom token filter folds umlauts and ß (`ä→ae`, `ß→ss`, …) at index
//!   and query time, so "Fuehrerschein" = "Führerschein", "Strasse" = "Straße".
//! * A second filter indexes every suffix (≥ 3 letters) of each word into the
//!   `parts` field; a prefix query on it finds compound parts ("hund" and
//!   "steuer" both find "Hundesteuer").
//! * Synonyms are indexed into their own field (everyday words from the seed).
//! * Words of 5+ letters also match with one edit (fuzzy term queries).
//! * Ranking is tantivy's BM25 over boosted fields, nudged by popularity.
//! * A spelling suggestion comes from the term dictionary, nearest by edit distance.

use std::collections::HashMap;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery,
    Occur, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};
use tantivy::{DocId, Index, IndexReader, Order, ReloadPolicy, Score, SegmentReader, Term};

use super::catalog::Catalog;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index error: {0}")]
    Io(#[from] std::io::Error),
}

// ------------------------------------------------------------ token filters

/// Folds German umlauts and ß to their two-letter forms and strips common accents.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' | 'ẞ' => out.push_str("ss"),
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

/// Token filter applying [`fold`].
#[derive(Clone)]
pub struct GermanFolding;

impl TokenFilter for GermanFolding {
    type Tokenizer<T: Tokenizer> = GermanFoldingFilter<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> GermanFoldingFilter<T> {
        GermanFoldingFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct GermanFoldingFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for GermanFoldingFilter<T> {
    type TokenStream<'a> = GermanFoldingStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GermanFoldingStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct GermanFoldingStream<S> {
    tail: S,
}

impl<S: TokenStream> TokenStream for GermanFoldingStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !token.text.is_ascii() {
            token.text = fold(&token.text);
        }
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Token filter emitting each word followed by all its suffixes of at least
/// `min` characters (same position), for compound-part matching.
#[derive(Clone)]
pub struct Suffixes {
    pub min: usize,
}

impl TokenFilter for Suffixes {
    type Tokenizer<T: Tokenizer> = SuffixesFilter<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> SuffixesFilter<T> {
        SuffixesFilter {
            inner: tokenizer,
            min: self.min,
        }
    }
}

#[derive(Clone)]
pub struct SuffixesFilter<T> {
    inner: T,
    min: usize,
}

impl<T: Tokenizer> Tokenizer for SuffixesFilter<T> {
    type TokenStream<'a> = SuffixesStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SuffixesStream {
            tail: self.inner.token_stream(text),
            min: self.min,
            current: Token::default(),
            pending: Vec::new(),
        }
    }
}

pub struct SuffixesStream<S> {
    tail: S,
    min: usize,
    current: Token,
    /// Suffixes still to emit, shortest first (popped from the end).
    pending: Vec<String>,
}

impl<S: TokenStream> TokenStream for SuffixesStream<S> {
    fn advance(&mut self) -> bool {
        if let Some(next) = self.pending.pop() {
            self.current.text = next;
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        self.current = self.tail.token().clone();
        let starts: Vec<usize> = self.current.text.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        // Longest suffix first when popping: push shortest first.
        for k in (1..n).rev() {
            if n - k >= self.min {
                self.pending
                    .push(self.current.text[starts[k]..].to_string());
            }
        }
        true
    }
    fn token(&self) -> &Token {
        &self.current
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(GermanFolding)
        .build()
}

fn parts_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(GermanFolding)
        .filter(Suffixes { min: 3 })
        .build()
}

/// The folded words of a text, as the index sees them.
pub fn analyze(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

// ------------------------------------------------------------ the index

struct Fields {
    id: Field,
    name: Field,
    synonyms: Field,
    summary: Field,
    body: Field,
    english: Field,
    parts: Field,
    level: Field,
    audience: Field,
    lebenslage: Field,
    online_at: Field,
    popularity: Field,
}

/// Filters and paging of one search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub page: usize,
    pub size: usize,
    /// Only services online at this ARS.
    pub online_at: Option<String>,
    pub audience: Option<String>,
    pub level: Option<String>,
    pub lebenslage: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Service ids, best first.
    pub ids: Vec<String>,
    pub total: usize,
    pub suggestion: Option<String>,
}

pub struct SearchIndex {
    reader: IndexReader,
    f: Fields,
    /// folded word → how it is written in names and synonyms (for suggestions).
    display: HashMap<String, String>,
    lev1: LevenshteinAutomatonBuilder,
    lev2: LevenshteinAutomatonBuilder,
}

/// Query words that carry no meaning for finding a service.
const STOPWORDS: [&str; 28] = [
    "ich", "mein", "meine", "meinen", "meinem", "der", "die", "das", "den", "dem", "des", "ein",
    "eine", "einen", "und", "oder", "wie", "was", "wo", "fuer", "in", "im", "am", "an", "zu",
    "zum", "zur", "mit",
];

/// Words of a query that are used at most.
const MAX_WORDS: usize = 12;

const TEXT_BOOST_NAME: Score = 6.0;
const TEXT_BOOST_SYNONYMS: Score = 6.0;
const TEXT_BOOST_ENGLISH: Score = 2.0;
const TEXT_BOOST_SUMMARY: Score = 1.0;
const TEXT_BOOST_BODY: Score = 0.5;
const PARTS_BOOST: Score = 2.5;
const FUZZY_NAME_BOOST: Score = 3.0;
const FUZZY_SYNONYM_BOOST: Score = 2.5;

impl SearchIndex {
    /// Builds the in-memory index over the whole catalogue.
    pub fn build(catalog: &Catalog) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = |tokenizer: &str, record: IndexRecordOption| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(record),
            )
        };
        let full = IndexRecordOption::WithFreqsAndPositions;
        let f = Fields {
            id: sb.add_text_field("id", STRING | STORED),
            name: sb.add_text_field("name", text("de_fold", full)),
            // A synonym hit counts once, whatever the length of the list.
            synonyms: sb.add_text_field(
                "synonyms",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("de_fold")
                        .set_index_option(IndexRecordOption::Basic)
                        .set_fieldnorms(false),
                ),
            ),
            summary: sb.add_text_field("summary", text("de_fold", full)),
            body: sb.add_text_field("body", text("de_fold", full)),
            english: sb.add_text_field("english", text("de_fold", full)),
            parts: sb.add_text_field("parts", text("de_parts", IndexRecordOption::WithFreqs)),
            level: sb.add_text_field("level", STRING),
            audience: sb.add_text_field("audience", STRING),
            lebenslage: sb.add_text_field("lebenslage", STRING),
            online_at: sb.add_text_field("online_at", STRING),
            popularity: sb.add_u64_field(
                "popularity",
                NumericOptions::default().set_fast().set_indexed(),
            ),
        };
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register("de_fold", analyzer());
        index.tokenizers().register("de_parts", parts_analyzer());

        let mut display: HashMap<String, String> = HashMap::new();
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        let mut online: HashMap<&str, Vec<String>> = HashMap::new();
        for o in &catalog.online_services {
            let at = if o.ars == super::model::ARS_LAND || o.ars == super::model::ARS_BUND {
                "*".to_string()
            } else {
                o.ars.clone()
            };
            online.entry(o.service_id.as_str()).or_default().push(at);
        }
        for s in &catalog.services {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(f.id, &s.id);
            doc.add_text(f.name, &s.name);
            doc.add_text(f.parts, &s.name);
            for syn in &s.synonyms {
                doc.add_text(f.synonyms, syn);
                doc.add_text(f.parts, syn);
            }
            doc.add_text(f.summary, &s.summary);
            let mut body = s.documents.join(". ");
            body.push_str(". ");
            body.push_str(&s.authority_type);
            for slug in &s.lebenslagen {
                if let Some(l) = catalog.lebenslage(slug) {
                    body.push_str(". ");
                    body.push_str(&l.name);
                }
            }
            doc.add_text(f.body, &body);
            doc.add_text(f.english, format!("{} {}", s.name_en, s.summary_en));
            doc.add_text(f.level, &s.level);
            for a in &s.audience {
                doc.add_text(f.audience, a);
            }
            for l in &s.lebenslagen {
                doc.add_text(f.lebenslage, l);
            }
            for at in online.get(s.id.as_str()).into_iter().flatten() {
                doc.add_text(f.online_at, at);
            }
            doc.add_u64(f.popularity, s.popularity as u64);
            writer.add_document(doc)?;

            for text in std::iter::once(&s.name).chain(s.synonyms.iter()) {
                for word in text.split(|c: char| !c.is_alphanumeric()) {
                    if word.chars().count() >= 3 {
                        let lower = word.to_lowercase();
                        display.entry(fold(&lower)).or_insert(lower);
                    }
                }
            }
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            f,
            display,
            lev1: LevenshteinAutomatonBuilder::new(1, true),
            lev2: LevenshteinAutomatonBuilder::new(2, true),
        })
    }

    fn word_query(&self, w: &str) -> Box<dyn Query> {
        let f = &self.f;
        let term = |field: Field| Term::from_field_text(field, w);
        let exact = |field: Field, boost: Score| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term(field), IndexRecordOption::WithFreqs)),
                boost,
            ))
        };
        let mut alternatives: Vec<Box<dyn Query>> = vec![
            exact(f.name, TEXT_BOOST_NAME),
            exact(f.synonyms, TEXT_BOOST_SYNONYMS),
            exact(f.english, TEXT_BOOST_ENGLISH),
            exact(f.summary, TEXT_BOOST_SUMMARY),
            exact(f.body, TEXT_BOOST_BODY),
        ];
        let len = w.chars().count();
        if len >= 4 {
            alternatives.push(Box::new(BoostQuery::new(
                Box::new(FuzzyTermQuery::new_prefix(term(f.parts), 0, true)),
                PARTS_BOOST,
            )));
        }
        if len >= 5 {
            alternatives.push(Box::new(BoostQuery::new(
                Box::new(FuzzyTermQuery::new(term(f.name), 1, true)),
                FUZZY_NAME_BOOST,
            )));
            alternatives.push(Box::new(BoostQuery::new(
                Box::new(FuzzyTermQuery::new(term(f.synonyms), 1, true)),
                FUZZY_SYNONYM_BOOST,
            )));
        }
        Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.3))
    }

    fn filters(&self, req: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.f;
        let raw = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(ars) = &req.online_at {
            out.push(Box::new(BooleanQuery::new(vec![
                (Occur::Should, raw(f.online_at, ars)),
                (Occur::Should, raw(f.online_at, "*")),
            ])));
        }
        if let Some(a) = &req.audience {
            out.push(raw(f.audience, a));
        }
        if let Some(l) = &req.level {
            out.push(raw(f.level, l));
        }
        if let Some(l) = &req.lebenslage {
            out.push(raw(f.lebenslage, l));
        }
        out.into_iter()
            .map(|q| {
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
                )
            })
            .collect()
    }

    /// Runs a search: relevance order for a query, popularity order without one.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult, SearchError> {
        let searcher = self.reader.searcher();
        let words: Vec<String> = analyze(&req.q)
            .into_iter()
            .filter(|w| !STOPWORDS.contains(&w.as_str()))
            // Bounds the work per request; real queries are a few words.
            .take(MAX_WORDS)
            .collect();
        let size = req.size.max(1);
        let offset = req.page.saturating_mul(size);
        let top = TopDocs::with_limit(size).and_offset(offset);

        let addresses = if words.is_empty() {
            let mut clauses = vec![(Occur::Must, Box::new(AllQuery) as Box<dyn Query>)];
            clauses.extend(self.filters(req));
            let query = BooleanQuery::new(clauses);
            let (hits, total) = searcher.search(
                &query,
                &(
                    top.order_by_fast_field::<u64>("popularity", Order::Desc),
                    Count,
                ),
            )?;
            (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), total)
        } else {
            let mut result = (Vec::new(), 0);
            // All words must match; if nothing does, any word may.
            for occur in [Occur::Must, Occur::Should] {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                    words.iter().map(|w| (occur, self.word_query(w))).collect();
                if occur == Occur::Should {
                    let words_q: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
                    clauses = vec![(Occur::Must, words_q)];
                }
                clauses.extend(self.filters(req));
                let query = BooleanQuery::new(clauses);
                let popularity_nudge = |segment: &SegmentReader| {
                    let column = segment.fast_fields().u64("popularity").ok();
                    move |doc: DocId, score: Score| {
                        let pop = column
                            .as_ref()
                            .and_then(|c| c.first(doc))
                            .unwrap_or(0)
                            .min(100);
                        score * (1.0 + pop as Score / 250.0)
                    }
                };
                let (hits, total) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(size)
                            .and_offset(offset)
                            .tweak_score(popularity_nudge),
                        Count,
                    ),
                )?;
                result = (hits.into_iter().map(|(_, a)| a).collect(), total);
                if total > 0 || words.len() == 1 {
                    break;
                }
            }
            result
        };

        let (addrs, total) = addresses;
        let mut ids = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(self.f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        let suggestion = if total < 3 && !words.is_empty() {
            self.suggest(&words)?
        } else {
            None
        };
        Ok(SearchResult {
            ids,
            total,
            suggestion,
        })
    }

    /// Total number of documents with `term` in one of the searchable fields.
    fn known(&self, word: &str) -> Result<bool, SearchError> {
        let searcher = self.reader.searcher();
        let f = &self.f;
        for field in [f.name, f.synonyms, f.summary, f.body, f.english] {
            if searcher.doc_freq(&Term::from_field_text(field, word))? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The indexed name/synonym word nearest to `word` by edit distance
    /// (1 edit for words up to 7 letters, 2 beyond), most frequent on ties.
    fn nearest(&self, word: &str) -> Result<Option<String>, SearchError> {
        let len = word.chars().count();
        if len < 4 {
            return Ok(None);
        }
        let dfa = if len <= 7 {
            self.lev1.build_dfa(word)
        } else {
            self.lev2.build_dfa(word)
        };
        let searcher = self.reader.searcher();
        let mut best: Option<(u8, u32, String)> = None;
        for segment in searcher.segment_readers() {
            for field in [self.f.name, self.f.synonyms] {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    let Distance::Exact(d) = dfa.eval(stream.key()) else {
                        continue;
                    };
                    if d == 0 {
                        continue;
                    }
                    let freq = stream.value().doc_freq;
                    let better = match &best {
                        None => true,
                        Some((bd, bf, _)) => d < *bd || (d == *bd && freq > *bf),
                    };
                    if better {
                        if let Ok(key) = std::str::from_utf8(stream.key()) {
                            best = Some((d, freq, key.to_string()));
                        }
                    }
                }
            }
        }
        Ok(best.map(|(_, _, term)| self.display.get(&term).cloned().unwrap_or(term)))
    }

    fn suggest(&self, words: &[String]) -> Result<Option<String>, SearchError> {
        let mut changed = false;
        let mut out = Vec::with_capacity(words.len());
        for w in words {
            if self.known(w)? {
                out.push(self.display.get(w).cloned().unwrap_or_else(|| w.clone()));
                continue;
            }
            match self.nearest(w)? {
                Some(better) => {
                    changed = true;
                    out.push(better);
                }
                None => out.push(w.clone()),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_suffixes() {
        assert_eq!(
            analyze("Führerschein Straße"),
            vec!["fuehrerschein", "strasse"]
        );
        assert_eq!(
            analyze("Fuehrerschein STRASSE"),
            vec!["fuehrerschein", "strasse"]
        );
        let mut a = parts_analyzer();
        let mut s = a.token_stream("Hundesteuer");
        let mut got = Vec::new();
        while s.advance() {
            got.push(s.token().text.clone());
        }
        assert_eq!(got.first().map(String::as_str), Some("hundesteuer"));
        assert!(got.contains(&"steuer".to_string()));
        assert!(got.contains(&"euer".to_string()));
        assert!(!got.iter().any(|t| t.chars().count() < 3));
    }
}
