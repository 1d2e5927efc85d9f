//! The stand-in's service search: plain full text, as the real PVOG offers
//! it (docs/backends.md §1). Query words are lower-cased and matched as whole
//! words against the service's name, summary, English texts and body
//! (documents, authority type, Lebenslagen). There is no umlaut folding, no
//! compound splitting, no synonyms, no fuzzy matching and no spelling
//! suggestion: query understanding is the relay's (docs/relay.md).
//!
//! Ranking is tantivy's BM25 over boosted fields, nudged by popularity.
//! All words must match; if no service has all of them, any word may.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocId, Index, IndexReader, Order, ReloadPolicy, Score, SegmentReader, Term};

use super::catalog::Catalog;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index error: {0}")]
    Io(#[from] std::io::Error),
}

/// Folds German umlauts and ß to their two-letter forms and strips common
/// accents. Used for place names (`/v2/locations`), not by the service search.
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

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .build()
}

/// The lower-cased words of a text, as the index sees them.
pub fn analyze(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

struct Fields {
    id: Field,
    name: Field,
    summary: Field,
    body: Field,
    english: Field,
    level: Field,
    audience: Field,
    lebenslage: Field,
    online_at: Field,
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
    /// Always `None`: a plain search suggests nothing (the field stays in
    /// the answer for the shape's sake).
    pub suggestion: Option<String>,
}

pub struct SearchIndex {
    reader: IndexReader,
    f: Fields,
}

/// Query words that carry no meaning for finding a service.
const STOPWORDS: [&str; 29] = [
    "ich", "mein", "meine", "meinen", "meinem", "der", "die", "das", "den", "dem", "des", "ein",
    "eine", "einen", "und", "oder", "wie", "was", "wo", "für", "fuer", "in", "im", "am", "an",
    "zu", "zum", "zur", "mit",
];

/// Words of a query that are used at most.
const MAX_WORDS: usize = 12;

const BOOST_NAME: Score = 6.0;
const BOOST_ENGLISH: Score = 2.0;
const BOOST_SUMMARY: Score = 1.0;
const BOOST_BODY: Score = 0.5;

impl SearchIndex {
    /// Builds the in-memory index over the whole catalogue.
    pub fn build(catalog: &Catalog) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("plain")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let f = Fields {
            id: sb.add_text_field("id", STRING | STORED),
            name: sb.add_text_field("name", text.clone()),
            summary: sb.add_text_field("summary", text.clone()),
            body: sb.add_text_field("body", text.clone()),
            english: sb.add_text_field("english", text),
            level: sb.add_text_field("level", STRING),
            audience: sb.add_text_field("audience", STRING),
            lebenslage: sb.add_text_field("lebenslage", STRING),
            online_at: sb.add_text_field("online_at", STRING),
        };
        let popularity = sb.add_u64_field(
            "popularity",
            NumericOptions::default().set_fast().set_indexed(),
        );
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register("plain", analyzer());

        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        let mut online: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for o in &catalog.online_services {
            let at = if o.ars == super::model::ARS_LAND || o.ars == super::model::ARS_BUND {
                "*"
            } else {
                o.ars.as_str()
            };
            online.entry(o.service_id.as_str()).or_default().push(at);
        }
        for s in &catalog.services {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(f.id, &s.id);
            doc.add_text(f.name, &s.name);
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
            doc.add_u64(popularity, u64::from(s.popularity));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self { reader, f })
    }

    /// One word in any text field (exact word, no variants).
    fn word_query(&self, w: &str) -> Box<dyn Query> {
        let f = &self.f;
        let exact = |field: Field, boost: Score| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, w),
                    IndexRecordOption::WithFreqs,
                )),
                boost,
            ))
        };
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            vec![
                exact(f.name, BOOST_NAME),
                exact(f.english, BOOST_ENGLISH),
                exact(f.summary, BOOST_SUMMARY),
                exact(f.body, BOOST_BODY),
            ],
            0.3,
        ))
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

        let (addrs, total) = if words.is_empty() {
            let mut clauses = vec![(Occur::Must, Box::new(AllQuery) as Box<dyn Query>)];
            clauses.extend(self.filters(req));
            let (hits, total) = searcher.search(
                &BooleanQuery::new(clauses),
                &(
                    TopDocs::with_limit(size)
                        .and_offset(offset)
                        .order_by_fast_field::<u64>("popularity", Order::Desc),
                    Count,
                ),
            )?;
            (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), total)
        } else {
            let mut result = (Vec::new(), 0);
            // All words must match; if nothing does, any word may.
            for occur in [Occur::Must, Occur::Should] {
                let words_q: Box<dyn Query> = Box::new(BooleanQuery::new(
                    words.iter().map(|w| (occur, self.word_query(w))).collect(),
                ));
                let mut clauses = vec![(Occur::Must, words_q)];
                clauses.extend(self.filters(req));
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
                    &BooleanQuery::new(clauses),
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

        let mut ids = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(self.f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(SearchResult {
            ids,
            total,
            suggestion: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_not_folded() {
        assert_eq!(
            analyze("Führerschein STRASSE"),
            vec!["führerschein", "strasse"]
        );
        assert_eq!(fold("Straße Köln"), "Strasse Koeln");
    }
}
