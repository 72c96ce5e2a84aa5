//! Problems (issue 19). So far: trend detection — the incidents that keep coming back on the
//! same configuration item, service or category are problem candidates (`trends.rs`).

mod trends;

pub use trends::{Candidate, Recurrence, RecurrenceKey, TrendPolicy, candidates};
