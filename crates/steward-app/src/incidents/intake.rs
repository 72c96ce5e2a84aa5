//! Group commit for new incidents. Creates that arrive while the database is busy with earlier
//! ones are written together by one writer task: one transaction, the tickets in multi-row
//! statements, their events in one chained append, their report deltas merged into one rollup
//! upsert, one commit. Each caller still answers only after its own rows are committed.
//!
//! Why: writes are serialized (one SQLite writer connection; on PostgreSQL every create takes
//! the event-chain head and today's rollup rows), and through sqlx each statement is a round
//! trip of ~0.3 ms on a busy two-core machine. A create is about 30 statements, which capped
//! creates near 400/s whatever the concurrency; a batch of N costs about the statements of one.
//!
//! On SQLite the writer runs on a thread of its own (a current-thread runtime), and steps the
//! group's statements itself on the store's direct connection (`steward-store/src/sqlite/direct.rs`):
//! through sqlx a group took three round trips to the database's thread and a wake-up per
//! statement result, each a pair of context switches on the path every create waits for.

use std::sync::{Mutex, PoisonError};

use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::{IncidentEvent, Ticket, ticket_fields};
use steward_store::{CiRecord, GroupWriter};
use tokio::sync::{mpsc, oneshot};

use crate::events::TicketChange;
use crate::{Actor, App, AppError, Result};

/// The most creates one transaction takes.
const MAX_BATCH: usize = 64;

/// A validated new incident, ready to be written.
pub(super) struct Prepared {
    pub ticket: Ticket,
    pub actor: Actor,
    pub related: Vec<TicketId>,
    pub watchers: Vec<UserId>,
    pub cis: Vec<CiRecord>,
}

type Waiting = (Prepared, oneshot::Sender<Result<Ticket>>);

/// The queue in front of the writer task, which starts on first use in the caller's runtime
/// and ends when the last `App` holding the queue is dropped.
#[derive(Debug, Default)]
pub struct Intake(Mutex<Option<mpsc::UnboundedSender<Waiting>>>);

impl App {
    /// Writes `item` together with whatever other creates are waiting and returns it stored,
    /// once committed.
    pub(super) async fn write_new_incident(&self, item: Prepared) -> Result<Ticket> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError((item, _))) = self.intake_queue().send((item, reply)) {
            return self.write_alone(item, GroupWriter::shared()).await;
        }
        answer.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the incident writer stopped")))?
    }

    fn intake_queue(&self) -> mpsc::UnboundedSender<Waiting> {
        let mut slot = self.intake.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = slot.as_ref().filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (queue, waiting) = mpsc::unbounded_channel();
        // The writer's own `App` has a queue of its own (never used), so it does not keep this
        // one open: the task ends when the callers' `App`s are gone.
        let writer = App { intake: Default::default(), ..self.clone() };
        let group = self.store.group_writer();
        if group.wants_own_thread() {
            // A thread of its own (SQLite). Every create passes through the writer in turn; on
            // the shared runtime each step woke it into a queue behind the request handlers
            // (see the module doc).
            let thread = std::thread::Builder::new().name("steward-intake".into()).spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_time().build() {
                    Ok(runtime) => runtime.block_on(writer.run_intake(waiting, group)),
                    Err(e) => tracing::error!(error = %e, "the incident writer could not start"),
                }
            });
            if let Err(e) = thread {
                tracing::error!(error = %e, "the incident writer could not start");
            }
        } else {
            // The database's connections belong to the shared runtime: stay on it.
            drop(tokio::spawn(writer.run_intake(waiting, group)));
        }
        *slot = Some(queue.clone());
        queue
    }

    /// Writes what `waiting` brings, group by group, with `group`'s transactions.
    async fn run_intake(self, mut waiting: mpsc::UnboundedReceiver<Waiting>, group: GroupWriter) {
        while let Some(first) = waiting.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH
                && let Ok(next) = waiting.try_recv()
            {
                batch.push(next);
            }
            let (items, replies): (Vec<Prepared>, Vec<_>) = batch.into_iter().unzip();
            match self.write_batch(&items, group).await {
                Ok(stored) => {
                    for (ticket, reply) in stored.into_iter().zip(replies) {
                        let _ = reply.send(Ok(ticket));
                    }
                }
                Err(e) if items.len() == 1 => {
                    if let Some(reply) = replies.into_iter().next() {
                        let _ = reply.send(Err(e));
                    }
                }
                Err(_) => {
                    // One create can fail the batch (a team deleted since it was checked, say):
                    // write each alone, so only that one fails.
                    for (item, reply) in items.into_iter().zip(replies) {
                        let _ = reply.send(self.write_alone(item, group).await);
                    }
                }
            }
        }
    }

    async fn write_alone(&self, item: Prepared, group: GroupWriter) -> Result<Ticket> {
        let mut stored = self.write_batch(std::slice::from_ref(&item), group).await?;
        stored.pop().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("a written incident is missing from its batch"))
        })
    }

    /// Writes `items` in one transaction and returns them stored, in order.
    async fn write_batch(&self, items: &[Prepared], group: GroupWriter) -> Result<Vec<Ticket>> {
        let mut tx = group.begin(&self.store).await?;
        let stored = tx.insert_tickets(items.iter().map(|i| i.ticket.clone()).collect()).await?;
        let mut changes = Vec::with_capacity(items.len());
        for (item, t) in items.iter().zip(&stored) {
            let (at, actor) = (t.created_at, Some(&item.actor));
            let event = IncidentEvent::Created(ticket_fields(t));
            changes.push(TicketChange { at, actor, before: None, after: t, event: event.into() });
            for ci in &item.cis {
                let event = IncidentEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() };
                changes.push(TicketChange::on(t, at, actor, event));
            }
        }
        self.record_ticket_events(&mut tx, changes).await?;
        for (item, t) in items.iter().zip(&stored) {
            for other in &item.related {
                tx.link_tickets(t.id, *other).await?;
            }
            for user in &item.watchers {
                tx.add_watcher(t.id, *user).await?;
            }
            for ci in &item.cis {
                tx.link_ticket_ci(t.id, ci.id).await?;
            }
        }
        tx.commit().await?;
        Ok(stored)
    }
}
