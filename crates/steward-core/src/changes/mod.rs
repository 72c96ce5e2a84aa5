//! Changes: tickets of kind `Change` (CHG…) that move through a model (a workflow drawn as a
//! swimlane), assessed for risk, approved by groups in levels, scheduled against the calendar
//! and the CMDB, implemented and reviewed.

mod approvals;
mod events;
mod figures;
mod model;
mod plan;
mod release;
mod risk;
mod schedule;

pub use approvals::{ApprovalPolicy, ApprovalRule, Decision, GroupRule, Verdict, overall, required};
pub use events::ChangeEvent;
pub use figures::ChangeCounts;
pub use model::{ChangeType, Lane, MAX_STEPS, Phase, Step, Workflow, builtin, lifecycle_of};
pub use plan::{Gates, Outcome, Plan, PlanField, check_move, plan_changes, plan_fields, plan_text};
pub use release::{Readiness, ReleaseEvent, ReleaseInput, readiness, release_ready};
pub use risk::{Factor, Facts, Question, Reason, Risk, RiskClass, assess, reasons_from_text, reasons_text};
pub use schedule::{
    Booked, Candidate, Conflict, ConflictKind, Freeze, MAX_WINDOW_DAYS, Slot, Window, conflicts,
    weekday_index,
};
