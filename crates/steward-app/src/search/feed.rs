//! Keeping the index level with the database: `catch_up` takes in the events committed since
//! the index's cursor (the records they touched, read again as they are now); `reindex`
//! builds the whole index from the tables.

use std::collections::BTreeSet;

use steward_core::ids::{CiId, TicketId, UserId};
use steward_core::tickets::TicketKind;
use steward_search::{Doc, Kind};
use steward_store::ArticleRecord;

use super::{docs, internal};
use crate::Result;

/// Records read per page while rebuilding.
pub const REINDEX_PAGE: i64 = 5_000;

/// Events taken in per step of a catch-up.
const EVENTS_PER_STEP: i64 = 2_000;

impl crate::Search<'_> {
    /// Takes in every event committed since the index's cursor; returns how many. A new index
    /// is built whole first.
    pub async fn catch_up(self) -> Result<usize> {
        let engine = self.search_engine();
        let _one = engine.catching_up.lock().await;
        let index = engine.index()?;
        let Some(mut cursor) = index.cursor().map_err(internal)? else {
            drop(_one);
            self.search().reindex(|_| {}).await?;
            return Ok(0);
        };
        let mut taken = 0;
        loop {
            let events = self.store.events_after(cursor, EVENTS_PER_STEP).await?;
            let Some(last) = events.last() else { break };
            let last = last.event.seq;
            let mut touched: BTreeSet<(Kind, i64)> = BTreeSet::new();
            for e in &events {
                let id = e.event.entity_id.as_deref().and_then(|i| i.parse::<i64>().ok());
                let kind = match e.event.entity_type.as_str() {
                    "incident" => Kind::Incident,
                    "problem" => Kind::Problem,
                    "article" => Kind::Article,
                    "ci" => Kind::Ci,
                    "user" => Kind::Person,
                    _ => continue,
                };
                if let Some(id) = id {
                    touched.insert((kind, id));
                }
            }
            let (removed, docs) = self.search().documents(&touched).await?;
            let index = index.clone();
            tokio::task::spawn_blocking(move || index.write(&removed, &docs, last))
                .await
                .map_err(|e| crate::AppError::Internal(anyhow::anyhow!(e)))?
                .map_err(internal)?;
            taken += events.len();
            cursor = last;
        }
        Ok(taken)
    }

    /// The documents of the touched records as they are now, and the keys to remove.
    async fn documents(self, touched: &BTreeSet<(Kind, i64)>) -> Result<(Vec<String>, Vec<Doc>)> {
        let (mut removed, mut out) = (Vec::new(), Vec::new());
        for &(kind, id) in touched {
            match kind {
                Kind::Incident | Kind::Problem => match self.store.ticket(TicketId(id)).await? {
                    Some(t) if t.kind == TicketKind::Incident => {
                        let comments = self.store.comment_texts(&[t.id]).await?;
                        out.push(docs::incident(&t, &comments));
                    }
                    Some(t) => out.push(docs::problem(&t, &self.store.analysis(t.id).await?)),
                    None => removed.push(Doc::key_of(kind, id)),
                },
                Kind::Article | Kind::PublishedArticle => {
                    removed.push(Doc::key_of(Kind::PublishedArticle, id));
                    match self.store.article(id).await? {
                        Some(a) => out.extend(self.search().article_docs(&a).await?),
                        None => removed.push(Doc::key_of(Kind::Article, id)),
                    }
                }
                Kind::Ci => match self.store.ci(CiId(id)).await? {
                    Some(c) => out.push(docs::ci(&c)),
                    None => removed.push(Doc::key_of(kind, id)),
                },
                Kind::Person => match self.store.user(UserId(id)).await? {
                    Some(u) => out.push(docs::person(&u)),
                    None => removed.push(Doc::key_of(kind, id)),
                },
            }
        }
        Ok((removed, out))
    }

    async fn article_docs(self, a: &ArticleRecord) -> Result<Vec<Doc>> {
        let published = match a.published_version {
            Some(v) if v == a.version => Some(a.content.clone()),
            Some(v) => self.store.article_version(a.id, v).await?.map(|v| v.content),
            None => None,
        };
        Ok(docs::article(a, published.as_ref()))
    }

    /// Builds the index anew from the tables; `progress` hears the documents written so far.
    /// Returns how many. Changes committed meanwhile are taken in by the next catch-up.
    pub async fn reindex(self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let engine = self.search_engine();
        let _one = engine.catching_up.lock().await;
        let index = engine.index()?;
        let head = self.store.event_head().await?;
        index.clear().map_err(internal)?;
        let mut written = 0_u64;
        let mut add = |docs: Vec<Doc>, written: &mut u64| -> Result<()> {
            index.add(&docs).map_err(internal)?;
            *written += docs.len() as u64;
            progress(*written);
            Ok(())
        };
        let mut after = TicketId(0);
        loop {
            let page = self.store.tickets_after(after, REINDEX_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let ids: Vec<TicketId> =
                page.iter().filter(|t| t.kind == TicketKind::Incident).map(|t| t.id).collect();
            let comments = self.store.comment_texts(&ids).await?;
            let mut docs = Vec::with_capacity(page.len());
            for t in &page {
                match t.kind {
                    TicketKind::Incident => docs.push(docs::incident(t, &comments)),
                    TicketKind::Problem => docs.push(docs::problem(t, &self.store.analysis(t.id).await?)),
                    // Changes are found on the change list and calendar, requests on the
                    // request list; the index holds incidents, problems, articles, CIs and people.
                    TicketKind::Change | TicketKind::Request => {}
                }
            }
            add(docs, &mut written)?;
        }
        let mut after = 0;
        loop {
            let page = self.store.articles_after(after, REINDEX_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let mut docs = Vec::with_capacity(page.len());
            for a in &page {
                docs.extend(self.search().article_docs(a).await?);
            }
            add(docs, &mut written)?;
        }
        let mut query = steward_store::CiQuery { class: None, q: None, after: None, limit: REINDEX_PAGE };
        loop {
            let page = self.store.list_cis(&query).await?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.id);
            add(page.iter().map(docs::ci).collect(), &mut written)?;
        }
        add(self.store.list_users().await?.iter().map(docs::person).collect(), &mut written)?;
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.write(&[], &[], head))
            .await
            .map_err(|e| crate::AppError::Internal(anyhow::anyhow!(e)))?
            .map_err(internal)?;
        Ok(written)
    }
}
