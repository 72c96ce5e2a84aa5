//! What happens to a change, as its history records it.

use super::PlanField;
use crate::events::{Changes, Fields};
use crate::ids::{CiId, TicketId};
use crate::tickets::TicketField;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeEvent {
    /// Opened: every ticket field and every plan field as created.
    Opened {
        ticket: Fields<TicketField>,
        plan: Fields<PlanField>,
    },
    Updated(Changes<TicketField>),
    /// Plan fields edited (plans, window, risk, outcome, review).
    Planned(Changes<PlanField>),
    /// Moved to another step of its model (or rejected, or cancelled).
    Moved {
        ticket: Changes<TicketField>,
        plan: Changes<PlanField>,
    },
    /// The risk's reasons, one per line (see `risk::reasons_text`), with its score and class
    /// in `plan`.
    RiskAssessed {
        plan: Changes<PlanField>,
        reasons: String,
    },
    /// An approver decided at `level`; `on_behalf_of` when a delegate decided.
    Decided {
        level: i64,
        approver: String,
        on_behalf_of: Option<String>,
        approve: bool,
        comment: String,
        via: String,
    },
    /// A conflict of the schedule accepted with a reason (`key` is `Conflict::key`).
    ConflictOverridden {
        key: String,
        reason: String,
    },
    CiLinked {
        ci_id: CiId,
        ci: String,
    },
    CiUnlinked {
        ci_id: CiId,
        ci: String,
    },
    TicketLinked {
        ticket_id: TicketId,
        number: String,
    },
    TicketUnlinked {
        ticket_id: TicketId,
        number: String,
    },
}

impl ChangeEvent {
    /// The ticket fields as the event left them, if it changed any.
    pub fn fields_after(&self) -> Option<&Fields<TicketField>> {
        match self {
            ChangeEvent::Opened { ticket, .. } => Some(ticket),
            ChangeEvent::Updated(c) | ChangeEvent::Moved { ticket: c, .. } => Some(&c.after),
            _ => None,
        }
    }
}
