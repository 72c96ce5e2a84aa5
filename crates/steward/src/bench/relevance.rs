//! `steward bench relevance`: Steward's rankings over the judged set in
//! `docs/bench/relevance/` (corpus and queries), for `compare.py` to score with nDCG@10
//! against SQLite FTS5. The documents go into an index in memory exactly as articles do.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use steward_search::{Doc, Kind, Request, SearchIndex};

#[derive(Args, Debug)]
pub struct RelevanceBench {
    /// The folder with `corpus.jsonl` and `queries.jsonl`
    #[arg(long, default_value = "docs/bench/relevance")]
    dir: PathBuf,
    /// Where to write the rankings (query id → the ten best document ids)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(serde::Deserialize)]
struct CorpusDoc {
    id: String,
    title: String,
    body: String,
}

#[derive(serde::Deserialize)]
struct Query {
    id: String,
    query: String,
}

fn lines<T: serde::de::DeserializeOwned>(path: PathBuf) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), i + 1)))
        .collect()
}

pub fn relevance(args: RelevanceBench) -> anyhow::Result<ExitCode> {
    let corpus: Vec<CorpusDoc> = lines(args.dir.join("corpus.jsonl"))?;
    let queries: Vec<Query> = lines(args.dir.join("queries.jsonl"))?;
    let index = SearchIndex::in_memory()?;
    let docs: Vec<Doc> = corpus
        .iter()
        .enumerate()
        .map(|(i, d)| Doc {
            key: Doc::key_of(Kind::Article, i as i64),
            kind: Some(Kind::Article),
            id: i as i64,
            number: d.id.clone(),
            title: d.title.clone(),
            body: d.body.clone(),
            state: "published".into(),
            readers: vec!["staff".into()],
            ..Doc::default()
        })
        .collect();
    index.write(&[], &docs, 0)?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for q in &queries {
        // As the search page asks: typos forgiven, no prefix (the query is complete).
        let request = Request {
            text: q.query.clone(),
            readers: vec!["staff".into()],
            fuzzy: true,
            limit: 10,
            ..Request::default()
        };
        let hits = index.search(&request)?.hits;
        out.insert(q.id.clone(), hits.iter().map(|h| h.number.clone()).collect());
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&out)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{} queries ranked over {} documents: {}", queries.len(), corpus.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
