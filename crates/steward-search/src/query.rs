//! Searching: the asker's words, analyzed as the documents were, each matched exactly, with
//! one typo (Latin words of four letters or more) and — for the last word while typing — as a
//! prefix; titles count three times the body; only documents the asker may read, narrowed by
//! kind, state, team and creation time. Hits come with highlighted, HTML-escaped snippets.

use std::ops::Bound;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{TantivyDocument, Term};

use crate::{Kind, Result, SearchIndex, int_of, text_of};

/// The most words of a query that count (a 10 KB query is cut, not refused).
pub const MAX_WORDS: usize = 24;

/// What to look for, and who is asking.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    /// The asker's reader tokens (see `Doc::readers`); a document matches only with one.
    pub readers: Vec<String>,
    /// Whether the asker may see staff-only text (work notes).
    pub staff: bool,
    /// Only these kinds (none: every kind).
    pub kinds: Vec<Kind>,
    pub states: Vec<String>,
    pub team: Option<u64>,
    /// Created at or after / before (milliseconds).
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Search-as-you-type: the last word may be the start of a longer one.
    pub prefix: bool,
    /// Tolerate one typo in longer Latin words.
    pub fuzzy: bool,
    pub limit: usize,
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub id: i64,
    pub number: String,
    pub title: String,
    /// The title with the matched words in `<b>`, HTML-escaped.
    pub title_html: String,
    /// A passage of the body with the matched words in `<b>`, HTML-escaped; may be empty.
    pub snippet_html: String,
    pub state: String,
    pub created: i64,
    pub score: f32,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// How many hits (at most the limit asked for).
    pub total: usize,
}

fn term_query(field: Field, word: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs))
}

impl SearchIndex {
    pub fn search(&self, r: &Request) -> Result<Results> {
        let f = self.fields;
        let mut words = crate::words(&r.text);
        words.truncate(MAX_WORDS);
        let number = r.text.trim().to_uppercase();
        if (words.is_empty() && number.is_empty()) || r.readers.is_empty() || r.limit == 0 {
            return Ok(Results::default());
        }
        let mut fields = vec![(f.title, 2.0), (f.body, 1.0)];
        if r.staff {
            fields.push((f.internal, 0.8));
        }
        let searcher = self.reader.searcher();
        let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let last = words.len().saturating_sub(1);
        for (i, word) in words.iter().enumerate() {
            // A word the index knows is taken as typed: only an unknown one may be a typo
            // (expanding known words costs time and brings in noise).
            let mut known = false;
            for &(field, _) in &fields {
                known |= searcher.doc_freq(&Term::from_field_text(field, word))? > 0;
            }
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for &(field, boost) in &fields {
                alternatives.push((Occur::Should, Box::new(BoostQuery::new(term_query(field, word), boost))));
                let term = Term::from_field_text(field, word);
                let latin = word.is_ascii();
                if r.fuzzy && !known && latin && word.len() >= 4 {
                    let fuzzy = FuzzyTermQuery::new(term.clone(), 1, true);
                    alternatives
                        .push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), boost * 0.4))));
                }
                // An unfinished word is looked up in titles only: expanding a prefix over every
                // body's words is the costliest part of a search-as-you-type.
                let long_enough = if latin { word.len() >= 3 } else { word.chars().count() >= 2 };
                if r.prefix && i == last && field == f.title && long_enough {
                    let prefix = FuzzyTermQuery::new_prefix(term, 0, true);
                    alternatives
                        .push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefix), boost * 0.6))));
                }
            }
            text.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
        }
        if number.len() <= 40 {
            text.push((Occur::Should, Box::new(BoostQuery::new(term_query(f.number, &number), 20.0))));
        }
        let readers = r.readers.iter().map(|t| Term::from_field_text(f.readers, t));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(text))),
            (Occur::Must, Box::new(TermSetQuery::new(readers))),
        ];
        if !r.kinds.is_empty() {
            let kinds = r.kinds.iter().map(|k| Term::from_field_text(f.kind, k.as_str()));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(kinds))));
        }
        if !r.states.is_empty() {
            let states = r.states.iter().map(|s| Term::from_field_text(f.state, s));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(states))));
        }
        if let Some(team) = r.team {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_u64(f.team, team), IndexRecordOption::Basic)),
            ));
        }
        if r.created_from.is_some() || r.created_to.is_some() {
            let from = r
                .created_from
                .map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_i64(f.created, v)));
            let to = r
                .created_to
                .map_or(Bound::Unbounded, |v| Bound::Excluded(Term::from_field_i64(f.created, v)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(from, to))));
        }
        let query = BooleanQuery::new(clauses);
        // No count of every match: counting visits each matching document, which on a large
        // index costs more than finding the best ones.
        let top = searcher.search(&query, &TopDocs::with_limit(r.limit.min(200)).order_by_score())?;
        let terms: std::collections::BTreeMap<String, f32> = crate::analyzer::highlight_words(&r.text)
            .into_iter()
            .take(4 * MAX_WORDS)
            .map(|w| (w, 1.0))
            .collect();
        let body = SnippetGenerator::new(terms.clone(), crate::analyzer::snippet_analyzer(), f.body, 160);
        let title = SnippetGenerator::new(terms, crate::analyzer::snippet_analyzer(), f.title, 400);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let kind = Kind::parse(&text_of(&doc, f.kind)).unwrap_or(Kind::Incident);
            let title_text = text_of(&doc, f.title);
            let title_snippet = title.snippet_from_doc(&doc);
            let title_html = match title_snippet.highlighted().is_empty() {
                true => escape(&title_text),
                false => title_snippet.to_html(),
            };
            let snippet = body.snippet_from_doc(&doc);
            let snippet_html = match snippet.highlighted().is_empty() {
                true => escape(&text_of(&doc, f.body).chars().take(160).collect::<String>()),
                false => snippet.to_html(),
            };
            hits.push(Hit {
                kind,
                id: int_of(&doc, f.id),
                number: text_of(&doc, f.number),
                title: title_text,
                title_html,
                snippet_html,
                state: text_of(&doc, f.state),
                created: int_of(&doc, f.created),
                score,
            });
        }
        let total = hits.len();
        Ok(Results { hits, total })
    }
}

/// HTML-escapes text shown without highlights.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
