//! Change management (issue 20): changes are tickets of kind `Change` with a plan, following a
//! model (`models.rs`); `tickets.rs` opens, reads, edits, moves and links them; `risk.rs`
//! assesses them; `approvals.rs` asks approver groups level by level and takes decisions by
//! page, API or mailed link; `schedule.rs` books windows against freezes, slots and other
//! changes, implements and reviews them, and says which changes may have caused an incident.

mod approvals;
mod deployments;
mod models;
mod releases;
mod risk;
mod schedule;
mod setup;
mod tickets;

pub use approvals::{APPROVAL_REMINDERS, ApprovalLevel, LINK_TTL, LinkView};
pub use deployments::{Deployment, Recorded};
pub use models::{ModelDefinition, ModelView, builtin_name};
pub use releases::ReleaseView;
pub use schedule::{CalendarView, ConflictView, SUSPECT_WINDOW, Suspect, describe};
pub use setup::NewFreeze;
pub use tickets::{ChangeList, ChangePatch, ChangeView, NewChange};

/// The entity name changes carry in the event log.
pub const ENTITY: &str = "change";

/// An empty side of an event (a move that changed no plan field, say).
pub(crate) fn no_changes<F>() -> steward_core::events::Changes<F> {
    use steward_core::events::Fields;
    steward_core::events::Changes { before: Fields(Vec::new()), after: Fields(Vec::new()) }
}
