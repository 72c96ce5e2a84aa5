//! The portal's answers before a ticket: one search as the requester types over published
//! articles, known errors (their workarounds), the catalogue and their own open incidents;
//! deflections (an answer that solved it) counted; announcements of major incidents and
//! planned changes.

use jiff::{SignedDuration, Timestamp};
use steward_core::identity::Permission;
use steward_core::tickets::{State, Ticket, TicketKind};
use steward_search::Results;
use steward_store::{ItemRecord, TicketQuery, Visibility};

use super::catalogue::may_order;
use crate::{Actor, AppError, Result};

/// What the portal offers for what was typed.
#[derive(Debug, Clone, Default)]
pub struct PortalAnswers {
    pub articles: Results,
    pub known_errors: Results,
    /// The requester's own open incidents that may be the same.
    pub incidents: Results,
    pub items: Vec<ItemRecord>,
}

impl PortalAnswers {
    pub fn is_empty(&self) -> bool {
        self.articles.hits.is_empty()
            && self.known_errors.hits.is_empty()
            && self.incidents.hits.is_empty()
            && self.items.is_empty()
    }
}

/// What a deflection credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Article(i64),
    KnownError(i64),
}

/// A major incident or a planned change, as the portal announces it.
#[derive(Debug, Clone)]
pub struct Announcement {
    pub ticket: Ticket,
    /// When a planned change starts.
    pub starts: Option<Timestamp>,
    /// Whether it touches a service the reader has raised tickets about.
    pub mine: bool,
}

/// Catalogue items matching the words typed, best first: each word found in the name (either
/// language), category or description counts.
fn matching_items(items: Vec<ItemRecord>, text: &str) -> Vec<ItemRecord> {
    let words: Vec<String> =
        text.split_whitespace().map(str::to_lowercase).filter(|w| !w.is_empty()).collect();
    let mut scored: Vec<(usize, ItemRecord)> = items
        .into_iter()
        .filter_map(|i| {
            let hay = format!(
                "{} {} {} {}",
                i.input.name,
                i.input.name_zh.as_deref().unwrap_or_default(),
                i.input.category,
                i.input.description
            )
            .to_lowercase();
            let n = words.iter().filter(|w| hay.contains(w.as_str())).count();
            (n > 0).then_some((n, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.input.name.cmp(&b.1.input.name)));
    scored.into_iter().take(5).map(|(_, i)| i).collect()
}

impl crate::Requests<'_> {
    /// Answers for a text being typed into the portal's search.
    pub async fn portal_search(self, actor: &Actor, text: &str) -> Result<PortalAnswers> {
        actor.require(Permission::ReadTickets)?;
        if text.trim().is_empty() {
            return Ok(PortalAnswers::default());
        }
        let found = self.search().suggest(actor, text, None).await?;
        let items: Vec<ItemRecord> = self
            .store
            .catalogue_items()
            .await?
            .into_iter()
            .filter(|i| i.version > 0 && may_order(actor, &i.input))
            .collect();
        let mut incidents = found.incidents;
        // The desk's staff see their queues elsewhere; the portal shows a person their own.
        let mine = self.store.open_tickets_of(actor.user.id).await?;
        incidents.hits.retain(|h| mine.contains(&h.id));
        Ok(PortalAnswers {
            articles: found.articles,
            known_errors: found.known_errors,
            incidents,
            items: matching_items(items, text),
        })
    }

    /// Counts that an answer solved the actor's need without a ticket.
    pub async fn deflected(self, actor: &Actor, answered: Answered, query: &str) -> Result<bool> {
        actor.require(Permission::RaiseTickets)?;
        let query: String = query.trim().chars().take(500).collect();
        let (kind, id) = match answered {
            Answered::Article(id) => {
                self.knowledge().get(actor, id).await?;
                ("article", id)
            }
            Answered::KnownError(id) => {
                let found = self.store.ticket(steward_core::ids::TicketId(id)).await?;
                if !found.is_some_and(|t| t.kind == TicketKind::Problem && t.state == State::KnownError) {
                    return Err(AppError::NotFound("known error"));
                }
                ("known_error", id)
            }
        };
        let mut tx = self.store.begin().await?;
        let counted = tx.insert_deflection(self.now(), actor.user.id, kind, id, &query).await?;
        tx.commit().await?;
        Ok(counted)
    }

    /// Open major incidents (priority 1) and changes scheduled in the next two weeks; those on
    /// services the actor raised tickets about come first.
    pub async fn announcements(self, actor: &Actor) -> Result<Vec<Announcement>> {
        actor.require(Permission::ReadTickets)?;
        let now = self.now();
        let mut majors = TicketQuery::new(TicketKind::Incident);
        majors.states = vec![State::New, State::Assigned, State::InProgress, State::OnHold];
        majors.priorities = vec![1];
        majors.limit = 20;
        let mut changes = TicketQuery::new(TicketKind::Change);
        changes.states = vec![State::Scheduled, State::Implementation];
        changes.limit = 100;
        let services = self.store.services_of(actor.user.id).await?;
        let mut out = Vec::new();
        for t in self.store.list_tickets(&majors, Visibility::All).await?.items {
            let mine = t.service.as_ref().is_some_and(|s| services.contains(s));
            out.push(Announcement { ticket: t, starts: None, mine });
        }
        let list = self.store.list_tickets(&changes, Visibility::All).await?.items;
        let ids: Vec<_> = list.iter().map(|t| t.id).collect();
        let plans = self.store.change_plans(&ids).await?;
        let horizon = now.checked_add(SignedDuration::from_hours(24 * 14)).unwrap_or(now);
        for t in list {
            let start = plans
                .iter()
                .find(|(id, _)| *id == t.id)
                .and_then(|(_, p)| p.plan.window)
                .map(|w| (w.start, w.end));
            let Some((start, end)) = start else { continue };
            if end < now || start > horizon {
                continue;
            }
            let mine = t.service.as_ref().is_some_and(|s| services.contains(s));
            out.push(Announcement { ticket: t, starts: Some(start), mine });
        }
        out.sort_by_key(|a| (!a.mine, a.starts.unwrap_or(a.ticket.created_at)));
        Ok(out)
    }
}
