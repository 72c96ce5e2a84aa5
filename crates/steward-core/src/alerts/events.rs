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
}
