//! Problems (issue 19). So far: problem candidates from recurring incidents.

use steward_core::identity::Permission;
use steward_core::problems::{Candidate, TrendPolicy, candidates};

use crate::{Actor, Result};

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
