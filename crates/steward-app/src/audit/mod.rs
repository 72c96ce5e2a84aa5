//! Reading and verifying the audit trail.

mod anchors;
mod state;

pub(crate) use anchors::key_seed;
pub use anchors::{Anchor, AnchorCheck, AnchorConfig, AnchorKey, Anchoring, append_anchor, read_anchors};
pub use state::Difference;
use steward_core::audit::ChainBreak;
use steward_core::identity::Permission;
use steward_store::{EventFilter, LoggedEvent};

use crate::{Actor, Result};

impl crate::Audit<'_> {
    pub async fn list_events(self, actor: &Actor, filter: &EventFilter) -> Result<Vec<LoggedEvent>> {
        actor.require(Permission::ReadAudit)?;
        Ok(self.store.list_events(filter).await?)
    }

    /// Verifies the whole chain; `actor` is `None` for the command line on the server.
    pub async fn verify(self, actor: Option<&Actor>) -> Result<Result<i64, ChainBreak>> {
        if let Some(a) = actor {
            a.require(Permission::ReadAudit)?;
        }
        Ok(self.store.verify_event_chain().await?)
    }

    /// Checks an actor may scrape `/metrics`.
    pub fn authorize_metrics(self, actor: &Actor) -> Result<()> {
        actor.require(Permission::ReadMetrics)
    }
}

impl crate::Audit<'_> {
    /// SLA breaches fired so far, by target, for `/metrics`.
    pub async fn sla_breach_counts(self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        actor.require(Permission::ReadMetrics)?;
        Ok(self.store.sla_breach_counts().await?)
    }

    /// Open incidents by priority and team name, for `/metrics`.
    pub async fn open_incident_counts(self, actor: &Actor) -> Result<Vec<(i64, String, i64)>> {
        actor.require(Permission::ReadMetrics)?;
        let names = self.directory().names().await?;
        let counts = self.store.open_ticket_counts(steward_core::tickets::TicketKind::Incident).await?;
        Ok(counts
            .into_iter()
            .map(|(p, team, n)| (p, team.map_or_else(|| "unassigned".to_owned(), |t| names.team(Some(t))), n))
            .collect())
    }
}
