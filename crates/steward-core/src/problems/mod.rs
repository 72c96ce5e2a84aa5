//! Problems (issue 19): the cause behind incidents. A problem is a ticket of kind `Problem`
//! (its lifecycle is in `tickets::State`); here are its root-cause analysis (`analysis.rs`),
//! its events, and trend detection — the incidents that keep coming back on the same
//! configuration item, service or category are problem candidates (`trends.rs`).

mod analysis;
mod events;
mod trends;

pub use analysis::{
    Analysis, AnalysisField, Bone, Cause, MAX_CAUSES, MAX_LINE, MAX_WHYS, analysis_changes, analysis_fields,
    fishbone_from_lines,
};
pub use events::ProblemEvent;
pub use trends::{Candidate, Recurrence, RecurrenceKey, TrendPolicy, candidates};
