//! What happens to a problem, as its history records it.

use super::AnalysisField;
use crate::events::{Changes, Fields};
use crate::ids::{CiId, TicketId};
use crate::tickets::TicketField;

/// One change to a problem. The ticket's own fields are recorded as an incident's are, so one
/// replay serves every kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemEvent {
    /// Opened: every ticket field as it was created.
    Opened(Fields<TicketField>),
    Updated(Changes<TicketField>),
    Transitioned(Changes<TicketField>),
    /// The root-cause analysis edited.
    Analysed(Changes<AnalysisField>),
    IncidentLinked {
        incident_id: TicketId,
        number: String,
    },
    IncidentUnlinked {
        incident_id: TicketId,
        number: String,
    },
    CiLinked {
        ci_id: CiId,
        ci: String,
    },
    CiUnlinked {
        ci_id: CiId,
        ci: String,
    },
    /// A work note on the problem.
    Commented {
        comment_id: i64,
    },
}

impl ProblemEvent {
    /// The ticket fields as the event left them, if it changed any.
    pub fn fields_after(&self) -> Option<&Fields<TicketField>> {
        match self {
            ProblemEvent::Opened(f) => Some(f),
            ProblemEvent::Updated(c) | ProblemEvent::Transitioned(c) => Some(&c.after),
            _ => None,
        }
    }
}
