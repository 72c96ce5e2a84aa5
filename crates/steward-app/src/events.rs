//! Recording events, and the projections they feed in the same transaction.
//!
//! Every write appends its typed events here. Events about an incident or a service request go
//! through [`App::record_ticket_events`], which applies every registered projection — today the
//! report facts and daily rollup — to each event in the writing transaction, so a write path
//! cannot forget derived data and a new ticket kind gets it by emitting events. (SLA state is
//! not stored: the clocks are computed from the event history on read.) Other events go
//! through [`record`], which refuses ticket events; `tests::only_this_module_appends_events`
//! checks that nothing else appends.

use jiff::Timestamp;
use steward_core::events::{DomainEvent, Fields};
use steward_core::ids::UserId;
use steward_core::requests::RequestEvent;
use steward_core::tickets::{IncidentEvent, Ticket, TicketField};
use steward_store::{NewEvent, Tx};

use crate::reports::Tracked;
use crate::{Actor, App, AppError, Result};

/// Appends an event that is not about a ticket, attributed to `actor` (or to the system when
/// `None`); returns its sequence number.
pub(crate) async fn record(
    tx: &mut Tx,
    at: Timestamp,
    actor: Option<&Actor>,
    event: DomainEvent,
) -> Result<i64> {
    if is_ticket_event(&event) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a ticket event must go through record_ticket_events"
        )));
    }
    Ok(tx.append_event(at, new_event(actor, &event)).await?)
}

/// Appends events that are not about tickets, all at `at`, in one statement (an import's).
pub(crate) async fn record_many(
    tx: &mut Tx,
    at: Timestamp,
    actor: Option<&Actor>,
    events: Vec<DomainEvent>,
) -> Result<()> {
    if events.iter().any(is_ticket_event) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a ticket event must go through record_ticket_events"
        )));
    }
    tx.append_events(at, events.iter().map(|e| new_event(actor, e)).collect()).await?;
    Ok(())
}

/// The events the ticket projections read: an incident's and a service request's.
fn is_ticket_event(event: &DomainEvent) -> bool {
    matches!(event, DomainEvent::Incident { .. } | DomainEvent::Request { .. })
}

fn new_event(actor: Option<&Actor>, event: &DomainEvent) -> NewEvent {
    let (actor_id, actor_name) = who(actor);
    NewEvent::new(actor_id, actor_name, event)
}

/// The actor's id and name as the log records them (`None`: the system).
fn who(actor: Option<&Actor>) -> (Option<UserId>, String) {
    match actor {
        Some(a) => (Some(a.user.id), a.user.username.to_string()),
        None => (None, "system".to_owned()),
    }
}

/// An event of a ticket kind the projections follow.
#[derive(Debug, Clone)]
pub(crate) enum TicketEvent {
    Incident(IncidentEvent),
    Request(RequestEvent),
}

impl From<IncidentEvent> for TicketEvent {
    fn from(e: IncidentEvent) -> Self {
        TicketEvent::Incident(e)
    }
}

impl From<RequestEvent> for TicketEvent {
    fn from(e: RequestEvent) -> Self {
        TicketEvent::Request(e)
    }
}

impl TicketEvent {
    /// The ticket fields as the event left them, if it changed any.
    pub fn fields_after(&self) -> Option<&Fields<TicketField>> {
        match self {
            TicketEvent::Incident(e) => e.fields_after(),
            TicketEvent::Request(e) => e.fields_after(),
        }
    }
}

/// One event about a ticket, with the ticket around it: what the projections read.
pub(crate) struct TicketChange<'a> {
    pub at: Timestamp,
    pub actor: Option<&'a Actor>,
    /// The ticket before the event; `None` when the event created it.
    pub before: Option<&'a Ticket>,
    /// The ticket as the event left it (the same as `before` for a reply, a watcher, a link).
    pub after: &'a Ticket,
    pub event: TicketEvent,
}

impl<'a> TicketChange<'a> {
    /// An event that changed nothing on the ticket's own record.
    pub fn on(
        ticket: &'a Ticket,
        at: Timestamp,
        actor: Option<&'a Actor>,
        event: impl Into<TicketEvent>,
    ) -> Self {
        TicketChange { at, actor, before: Some(ticket), after: ticket, event: event.into() }
    }

    /// An event that moved the ticket from `before` (`None`: created it) to `after`.
    pub fn moved(
        before: Option<&'a Ticket>,
        after: &'a Ticket,
        at: Timestamp,
        actor: Option<&'a Actor>,
        event: impl Into<TicketEvent>,
    ) -> Self {
        TicketChange { at, actor, before, after, event: event.into() }
    }
}

/// A projection every ticket event feeds, inside the transaction that appends the event.
#[derive(Debug, Clone, Copy)]
enum TicketProjection {
    /// Each ticket's report facts and the daily rollup (`reports/tracking.rs`).
    ReportFacts,
    /// The description rendered to safe HTML, so views never render it.
    DescriptionHtml,
}

/// The registry: adding a projection is one entry here and one arm in `project`.
const TICKET_PROJECTIONS: &[TicketProjection] =
    &[TicketProjection::ReportFacts, TicketProjection::DescriptionHtml];

/// Renders the description when an event set it (on creation, or a change naming it).
fn project_description_html(tx: &mut Tx, change: &TicketChange<'_>) {
    let set = change
        .event
        .fields_after()
        .is_some_and(|f| f.get(steward_core::tickets::TicketField::Description).is_some());
    if !set || (change.before.is_none() && change.after.description.is_empty()) {
        // A new ticket without a description needs nothing stored: empty reads as empty.
        return;
    }
    tx.set_description_html(change.after.id, crate::markdown::to_safe_html(&change.after.description));
}

impl App {
    /// Appends these ticket events in order, in one statement, and applies every registered
    /// projection to each, gathering what they store into one write each.
    pub(crate) async fn record_ticket_events(
        &self,
        tx: &mut Tx,
        changes: Vec<TicketChange<'_>>,
    ) -> Result<()> {
        let events = changes
            .iter()
            .map(|c| {
                let (actor_id, actor_name) = who(c.actor);
                let id = c.after.id;
                let event = match &c.event {
                    TicketEvent::Incident(e) => NewEvent::incident(actor_id, actor_name, id, e),
                    TicketEvent::Request(e) => {
                        NewEvent::new(actor_id, actor_name, &DomainEvent::Request { id, event: e.clone() })
                    }
                };
                (c.at, event)
            })
            .collect();
        tx.append_events_at(events).await?;
        let mut tracked = Tracked::default();
        for change in &changes {
            for projection in TICKET_PROJECTIONS {
                match projection {
                    TicketProjection::ReportFacts => {
                        self.project_report_facts(tx, &mut tracked, change).await?
                    }
                    TicketProjection::DescriptionHtml => project_description_html(tx, change),
                }
            }
        }
        tracked.store(tx).await
    }

    /// [`App::record_ticket_events`] for one event.
    pub(crate) async fn record_ticket_event(&self, tx: &mut Tx, change: TicketChange<'_>) -> Result<()> {
        self.record_ticket_events(tx, vec![change]).await
    }
}

#[cfg(test)]
mod tests {
    /// Only this module appends events, so every ticket event passes the projections. A new
    /// write path that called `append_event` itself would fail here, by name.
    #[test]
    fn only_this_module_appends_events() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && path != root.join("events.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if text.contains("append_event") || text.contains("NewEvent") {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "events appended outside events.rs: {offenders:?}");
    }
}
