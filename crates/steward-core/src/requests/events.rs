//! What happens to a service request and to a catalogue item, as their histories record it.

use crate::changes::Decision;
use crate::events::{Changes, Fields};
use crate::ids::{TeamId, UserId};
use crate::tickets::{SlaFiring, TicketField};

/// One change to a service request. The ticket's own fields are recorded as an incident's are,
/// so one replay serves every kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestEvent {
    /// Ordered from `item_id` on its form's `form_version`.
    Submitted {
        fields: Fields<TicketField>,
        item_id: i64,
        form_version: i64,
    },
    Transitioned(Changes<TicketField>),
    Updated(Changes<TicketField>),
    /// An approver's decision at a level (for a group, on behalf of the group).
    Decided {
        level: i64,
        user_id: UserId,
        decision: Decision,
        comment: String,
    },
    /// A fulfilment task became open for its team.
    TaskOpened {
        task_id: i64,
        name: String,
        team_id: TeamId,
    },
    TaskDone {
        task_id: i64,
        name: String,
        note: String,
    },
    /// A reply or work note on the request.
    Commented {
        comment_id: i64,
        internal: bool,
    },
    /// One of its SLA clocks reached a warning threshold or breached (as an incident's).
    SlaFired(SlaFiring),
    /// A pending approval level was put to another approver (the one asked left, say): a
    /// person, or a group.
    Rerouted {
        level: i64,
        manager_id: Option<UserId>,
        group_id: Option<i64>,
    },
}

impl RequestEvent {
    /// The ticket fields as the event left them, if it changed any.
    pub fn fields_after(&self) -> Option<&Fields<TicketField>> {
        match self {
            RequestEvent::Submitted { fields, .. } => Some(fields),
            RequestEvent::Updated(c) | RequestEvent::Transitioned(c) => Some(&c.after),
            _ => None,
        }
    }
}

/// One change to a catalogue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueEvent {
    /// Its name, category and who may order it, as saved (created or edited).
    Saved { name: String, category: String, active: bool, audience: Vec<String>, delivery_hours: i64 },
    /// A new form and plan version became the one new requests are made on.
    Published { version: i64, fields: i64, approvals: i64, tasks: i64 },
}
