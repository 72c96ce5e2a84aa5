//! Duplicate incidents (issue 22): every new incident — from alerts, the API, a form or the
//! portal — is compared with the open ones (`steward_aiops::duplicates`: text, shared CI or
//! service, time) by a job that tails the event log, so raising an incident never waits for
//! it. What resembles enough is flagged on both incidents' pages until an agent merges the
//! pair (`merge.rs`) or dismisses it.

use jiff::{SignedDuration, Timestamp};
use steward_aiops::duplicates::{Incident, Pool};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::tickets::{IncidentEvent, Ticket};
use steward_store::{DuplicateFlag, NewDuplicate, OpenIncident};

use crate::{Actor, AppError, Result};

/// The job that looks for duplicates of new incidents; every five seconds.
pub const FIND: &str = "duplicate_detection";
/// The feed's name in `feed_cursors`.
const CURSOR: &str = "duplicates";
/// Events read per transaction, and transactions per run (a run catching up on a long log
/// stops there; the next goes on).
const BATCH: i64 = 200;
const BATCHES_PER_RUN: usize = 50;
/// Only incidents raised this long before a new one are compared with it.
const WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The most open incidents compared with (the newest).
const POOL: i64 = 2000;

/// A flagged pair as one of its incidents shows it.
#[derive(Debug, Clone)]
pub struct Duplicate {
    /// The other incident of the pair.
    pub other: Ticket,
    pub flag: DuplicateFlag,
    /// Whether the other incident is the newer one (then it is the one to merge).
    pub other_is_newer: bool,
}

fn compared(o: &OpenIncident) -> Incident {
    Incident {
        id: o.id.get(),
        title: o.title.clone(),
        description: o.description.clone(),
        cis: o.cis.iter().map(|c| c.get()).collect(),
        service: o.service.clone(),
        created_s: o.created_at.as_second(),
    }
}

/// Thousandths, as stored.
fn per_mille(x: f32) -> i64 {
    (x * 1000.0).round() as i64
}

impl crate::Incidents<'_> {
    /// Compares the incidents raised since the last run with the open ones and flags what
    /// resembles; returns how many pairs it flagged.
    pub async fn find_duplicates(self) -> Result<usize> {
        let mut flagged = 0;
        for _ in 0..BATCHES_PER_RUN {
            let from = self.store.feed_cursor(CURSOR).await?;
            let events = self.store.events_after(from, BATCH).await?;
            let Some(last) = events.last().map(|e| e.event.seq) else { break };
            let created: Vec<TicketId> = events
                .iter()
                .filter_map(|e| match e.domain() {
                    Ok(DomainEvent::Incident { id, event: IncidentEvent::Created(_) }) => Some(id),
                    _ => None,
                })
                .collect();
            let pairs = self.resembling(&created).await?;
            let mut tx = self.store.begin().await?;
            if !tx.advance_feed(CURSOR, from, last).await? {
                // Another node handled these events meanwhile.
                continue;
            }
            tx.insert_duplicates(self.now(), &pairs).await?;
            tx.commit().await?;
            flagged += pairs.len();
        }
        Ok(flagged)
    }

    /// The pairs `created` (those still open) form with older open incidents.
    async fn resembling(self, created: &[TicketId]) -> Result<Vec<NewDuplicate>> {
        let mut new = Vec::new();
        for id in created {
            if let Some(t) = self.store.ticket(*id).await?.filter(|t| t.state.is_open()) {
                new.push(t);
            }
        }
        let Some(oldest) = new.iter().map(|t| t.created_at).min() else { return Ok(Vec::new()) };
        let since = oldest.saturating_sub(WINDOW).unwrap_or(Timestamp::MIN);
        let open = self.store.open_incidents_since(since, POOL).await?;
        let ids: Vec<i64> = new.iter().map(|t| t.id.get()).collect();
        let found = tokio::task::spawn_blocking(move || {
            let incidents: Vec<Incident> = open.iter().map(compared).collect();
            let targets: Vec<Incident> = incidents.iter().filter(|i| ids.contains(&i.id)).cloned().collect();
            let pool = Pool::new(incidents);
            targets.iter().map(|t| (t.id, pool.resembling(t))).collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("duplicate detection: {e}")))?;
        let mut pairs = Vec::new();
        for (id, resemblances) in found {
            for r in resemblances.into_iter().filter(|r| r.apart_s <= WINDOW.as_secs()) {
                pairs.push(NewDuplicate {
                    incident: TicketId(id),
                    candidate: TicketId(r.id),
                    score: per_mille(r.score),
                    text_score: per_mille(r.text),
                    shared_ci: r.shared_ci.map(steward_core::ids::CiId),
                    same_service: r.same_service,
                    apart_ms: r.apart_s * 1000,
                });
            }
        }
        Ok(pairs)
    }

    /// The open incidents flagged as possible duplicates of `id` that the actor may read,
    /// best first (agents only).
    pub async fn duplicates(self, actor: &Actor, id: TicketId) -> Result<Vec<Duplicate>> {
        actor.require(Permission::WorkTickets)?;
        if !self.incidents().get(actor, id).await?.ticket.state.is_open() {
            // A resolved incident is no one's duplicate any more, nor merged into.
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for flag in self.store.duplicate_flags(id).await? {
            let newer = flag.pair.incident != id;
            let other_id = if newer { flag.pair.incident } else { flag.pair.candidate };
            if let Ok(other) = self.incidents().get(actor, other_id).await {
                out.push(Duplicate { other: other.ticket, flag, other_is_newer: newer });
            }
        }
        Ok(out)
    }

    /// Says `id` and `other` are not duplicates: the flag goes (agents on `id`'s queue).
    pub async fn dismiss_duplicate(self, actor: &Actor, id: TicketId, other: TicketId) -> Result<()> {
        self.workable(actor, id).await?;
        // The other incident must be one the actor may see (else nothing is said about it).
        self.incidents().get(actor, other).await.map_err(|_| AppError::NotFound("duplicate flag"))?;
        let mut tx = self.store.begin().await?;
        if !tx.dismiss_duplicate(id, other, actor.user.id, self.now()).await? {
            return Err(AppError::NotFound("duplicate flag"));
        }
        tx.commit().await?;
        Ok(())
    }
}
