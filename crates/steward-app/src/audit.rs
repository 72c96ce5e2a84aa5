//! Reading and verifying the audit trail.

use steward_core::audit::ChainBreak;
use steward_core::identity::Permission;
use steward_store::{EventFilter, LoggedEvent};

use crate::{Actor, App, Result};

impl App {
    pub async fn list_events(&self, actor: &Actor, filter: &EventFilter) -> Result<Vec<LoggedEvent>> {
        actor.require(Permission::ReadAudit)?;
        Ok(self.store.list_events(filter).await?)
    }

    /// Verifies the whole chain; `actor` is `None` for the command line on the server.
    pub async fn verify_audit(&self, actor: Option<&Actor>) -> Result<Result<i64, ChainBreak>> {
        if let Some(a) = actor {
            a.require(Permission::ReadAudit)?;
        }
        Ok(self.store.verify_event_chain().await?)
    }

    /// Checks an actor may scrape `/metrics`.
    pub fn authorize_metrics(&self, actor: &Actor) -> Result<()> {
        actor.require(Permission::ReadMetrics)
    }
}
