//! What happens to an alert, as its history records it. Repeats of a firing alert only count
//! (the row's `repeats`): the log records changes, not every re-send.

use crate::ids::TicketId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertEvent {
    /// First seen: its source, fingerprint, title and severity then.
    Received { source: String, fingerprint: String, title: String, severity: String, status: String },
    /// Stopped firing.
    Resolved,
    /// Fired again after it had resolved.
    Refired,
    /// Became part of an incident (one it opened, or one already open for it).
    Linked { ticket_id: TicketId },
    /// A silence matched it when it fired: it opens no incident.
    Silenced { silence_id: i64 },
    /// It changed state too often (`FlapPolicy`): it opens and resolves nothing until it settles.
    Flapping { changes: i64 },
    /// Someone said they are on it.
    Acknowledged,
    /// It fired on a CI inside a maintenance window: expected, it opens nothing.
    Expected { window_id: i64 },
}

/// A silence: created (its matchers as typed, its window) or ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceEvent {
    Created { matchers: Vec<String>, starts_at: String, ends_at: String, comment: String },
    Expired,
}

/// An alert rule: added (as typed) or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertRuleEvent {
    Created {
        name: String,
        matchers: Vec<String>,
        opens: bool,
        impact: Option<i64>,
        urgency: Option<i64>,
        resolve: String,
    },
    Deleted {
        name: String,
    },
}

/// A maintenance window on a CI: scheduled, or ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceEvent {
    Scheduled { ci_id: i64, starts_at: String, ends_at: String, reason: String, change_ref: Option<String> },
    Ended,
}
