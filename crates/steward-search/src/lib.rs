//! Steward's search index (issue 19): one tantivy index over incidents, problems, knowledge
//! articles, CIs and people, Chinese and English in the same fields (`analyzer.rs`). The index
//! is derived data — the app feeds it from the event log and can rebuild it — so this crate
//! knows nothing of the database: it takes documents and queries and answers hits.
//!
//! Who may see a document is written into it as reader tokens (`readers`); every query carries
//! the asker's tokens and matches only documents holding one of them, so a hit is never a
//! ticket or an article the asker may not read. Text only staff may see (work notes) sits in
//! `internal`, searched only for staff.

mod analyzer;
mod query;

use std::path::Path;
use std::sync::Mutex;

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use analyzer::words;
pub use query::{Hit, Request, Results};

/// What can go wrong with the index: its files, or tantivy itself.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Folder(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index: the writer lock was poisoned")]
    Poisoned,
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Incident,
    Problem,
    /// An article's newest version (staff).
    Article,
    /// An article's published version, for requesters.
    PublishedArticle,
    Ci,
    Person,
}

impl Kind {
    pub const ALL: &'static [Kind] =
        &[Kind::Incident, Kind::Problem, Kind::Article, Kind::PublishedArticle, Kind::Ci, Kind::Person];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Incident => "incident",
            Kind::Problem => "problem",
            Kind::Article => "article",
            Kind::PublishedArticle => "published_article",
            Kind::Ci => "ci",
            Kind::Person => "person",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One document as the app builds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    /// Unique over the index: `incident:42`, `article:7`, `published_article:7`, …
    pub key: String,
    pub kind: Option<Kind>,
    pub id: i64,
    /// The human number (INC000042, KB000007) or name.
    pub number: String,
    pub title: String,
    /// What every reader of the document may see (description, public replies, article body).
    pub body: String,
    /// What only staff may see (work notes).
    pub internal: String,
    pub state: String,
    /// The ticket's team; 0 for none.
    pub team: u64,
    /// Reader tokens: `staff`, `requesters`, `team:3`, `team:none`, `assignee:5`, `requester:9`,
    /// `cmdb`, `directory`, `admin`.
    pub readers: Vec<String>,
    /// Milliseconds since the epoch.
    pub created: i64,
}

impl Doc {
    pub fn key_of(kind: Kind, id: i64) -> String {
        format!("{}:{id}", kind.as_str())
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    number: Field,
    title: Field,
    body: Field,
    internal: Field,
    state: Field,
    team: Field,
    readers: Field,
    created: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(analyzer::MIXED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let o = TextOptions::default().set_indexing_options(indexing);
        if stored { o.set_stored() } else { o }
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        internal: b.add_text_field("internal", text(false)),
        state: b.add_text_field("state", STRING | STORED),
        team: b.add_u64_field("team", INDEXED | STORED),
        readers: b.add_text_field("readers", STRING),
        created: b.add_i64_field("created", INDEXED | FAST | STORED),
    };
    (b.build(), fields)
}

/// The index: one writer (behind a lock), readers without locks.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("docs", &self.len()).finish()
    }
}

/// The writer's memory budget.
const WRITER_BYTES: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the folder) when absent. An index written by
    /// another schema is replaced: it is derived data, and `cursor()` then says to rebuild.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Index(tantivy::TantivyError::IoError(e.into())))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(_)) => {
                for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
                Index::open_or_create(tantivy::directory::MmapDirectory::open(dir)?, schema)?
            }
            Err(e) => return Err(e.into()),
        };
        SearchIndex::with(index, fields)
    }

    /// An index in memory (tests, and nodes told to keep none on disk).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema();
        SearchIndex::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> Result<SearchIndex> {
        index.tokenizers().register(analyzer::MIXED, analyzer::analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, writer: Mutex::new(writer), fields })
    }

    /// The event sequence number the index has taken in, as the last commit recorded it;
    /// `None` for a new (or replaced) index, which needs a full build.
    pub fn cursor(&self) -> Result<Option<i64>> {
        Ok(self.index.load_metas()?.payload.and_then(|p| p.parse().ok()))
    }

    /// Replaces the documents of `keys` (removing them) and adds `docs`, then commits with
    /// `cursor` as the sequence number taken in; searches see the change on return.
    pub fn write(&self, removed: &[String], docs: &[Doc], cursor: i64) -> Result<()> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        for key in removed.iter().chain(docs.iter().map(|d| &d.key)) {
            writer.delete_term(Term::from_field_text(self.fields.key, key));
        }
        for doc in docs {
            writer.add_document(self.document(doc))?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&cursor.to_string());
        commit.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Empties the index (a full rebuild starts here); the cursor goes back to none.
    pub fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Adds documents without committing: a rebuild's pages, committed by `write` at its end.
    pub fn add(&self, docs: &[Doc]) -> Result<()> {
        let writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        for doc in docs {
            writer.add_document(self.document(doc))?;
        }
        Ok(())
    }

    /// How many documents the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, &d.key);
        doc.add_text(f.kind, d.kind.map_or("", |k| k.as_str()));
        doc.add_i64(f.id, d.id);
        doc.add_text(f.number, &d.number);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        if !d.internal.is_empty() {
            doc.add_text(f.internal, &d.internal);
        }
        doc.add_text(f.state, &d.state);
        doc.add_u64(f.team, d.team);
        for r in &d.readers {
            doc.add_text(f.readers, r);
        }
        doc.add_i64(f.created, d.created);
        doc
    }
}

fn text_of(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

fn int_of(doc: &TantivyDocument, field: Field) -> i64 {
    doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
