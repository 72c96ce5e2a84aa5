//! Timelines assembled from the event log: what happened to some incidents and to the alerts
//! that opened or joined them, one line per event — a problem's page and a post-incident
//! review show them.

use jiff::Timestamp;
use steward_core::events::{DomainEvent, FieldValue};
use steward_core::tickets::{Ticket, TicketField};
use steward_store::{AlertFilter, LoggedEvent, Store};

use crate::Result;

/// One line of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// `problem`, `incident`, `alert` or `review`.
    pub entity: String,
    /// The ticket's number or the alert's title.
    pub subject: String,
    /// The event's stored action (`create`, `transition`, `receive`, …).
    pub action: String,
    pub actor: String,
    /// The state the event moved a ticket to, if it did.
    pub state: Option<String>,
}

/// The events of `incidents` and of their alerts, oldest first.
pub(crate) async fn of_incidents(store: &Store, incidents: &[Ticket]) -> Result<Vec<TimelineEntry>> {
    let mut out = Vec::new();
    let ids: Vec<String> = incidents.iter().map(|t| t.id.to_string()).collect();
    for e in store.histories(crate::incidents::ENTITY, &ids).await? {
        let number =
            incidents.iter().find(|t| Some(t.id.to_string()) == e.event.entity_id).map(|t| t.number.as_str());
        out.push(entry(&e, number.unwrap_or_default()));
    }
    let mut alerts = Vec::new();
    for incident in incidents {
        let filter = AlertFilter { ticket_id: Some(incident.id), limit: 200, ..AlertFilter::default() };
        alerts.extend(store.alerts(&filter).await?);
    }
    let alert_ids: Vec<String> = alerts.iter().map(|a| a.id.to_string()).collect();
    for e in store.histories("alert", &alert_ids).await? {
        let title =
            alerts.iter().find(|a| Some(a.id.to_string()) == e.event.entity_id).map(|a| a.title.as_str());
        out.push(entry(&e, title.unwrap_or_default()));
    }
    out.sort_by_key(|e| e.at);
    Ok(out)
}

/// One event as a timeline line about `subject`.
pub(crate) fn entry(e: &LoggedEvent, subject: &str) -> TimelineEntry {
    let state = e.domain().ok().and_then(|d| {
        let fields = match &d {
            DomainEvent::Incident { event, .. } => event.fields_after().cloned(),
            DomainEvent::Problem { event, .. } => event.fields_after().cloned(),
            _ => None,
        }?;
        match fields.get(TicketField::State) {
            Some(FieldValue::Text(s)) => Some(s.clone()),
            _ => None,
        }
    });
    TimelineEntry {
        at: e.at(),
        entity: e.event.entity_type.clone(),
        subject: subject.to_owned(),
        action: e.event.action.clone(),
        actor: e.event.actor_name.clone(),
        state,
    }
}
