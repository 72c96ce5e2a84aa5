//! Problem management (issue 19): problems are tickets of kind `Problem` with a root-cause
//! analysis, linked incidents and affected CIs (`tickets.rs`: open, update, move, list;
//! `links.rs`: incidents, CIs, resolving the linked incidents, the timeline; `analysis.rs`: the
//! analysis and the known-error database), and problem candidates from recurring incidents.

mod analysis;
mod links;
mod tickets;

use steward_core::identity::Permission;
use steward_core::problems::{Candidate, TrendPolicy, candidates};

use crate::{Actor, Result};

pub use crate::timeline::TimelineEntry;
pub use analysis::KnownError;
pub use tickets::{NewProblem, ProblemList, ProblemPatch, ProblemView};

/// The entity name problems carry in the event log.
pub const ENTITY: &str = "problem";

impl crate::Problems<'_> {
    /// Incidents recurring on one CI, service or category: `policy.min` or more within
    /// `policy.window` up to now.
    pub async fn candidates(self, actor: &Actor, policy: TrendPolicy) -> Result<Vec<Candidate>> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let now = self.now();
        let since = now.saturating_sub(policy.window).unwrap_or(now);
        let incidents = self.store.incident_recurrences(since).await?;
        Ok(candidates(&incidents, policy, now))
    }
}
