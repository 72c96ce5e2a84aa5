//! Releases: changes bundled under a version and a target date, with a readiness view of each
//! change's state, approvals and window.

use steward_core::changes::{Readiness, ReleaseEvent, ReleaseInput, readiness, release_ready};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::tickets::{Ticket, TicketKind};
use steward_store::ReleaseRecord;

use crate::events::record;
use crate::{Actor, AppError, Result};

/// A release with each change and where it stands.
#[derive(Debug, Clone)]
pub struct ReleaseView {
    pub release: ReleaseRecord,
    pub changes: Vec<(Ticket, Readiness)>,
    pub ready: bool,
}

impl crate::Changes<'_> {
    pub async fn releases(self, actor: &Actor) -> Result<Vec<ReleaseRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.releases(None).await?)
    }

    pub async fn create_release(
        self,
        actor: &Actor,
        name: &str,
        version: &str,
        target: &str,
        description: &str,
    ) -> Result<ReleaseRecord> {
        actor.require(Permission::WorkTickets)?;
        let input = ReleaseInput::parse(name, version, target).map_err(AppError::from)?;
        let description =
            steward_core::tickets::parse_description("description", description).map_err(AppError::from)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_release(at, &input, &description, actor.user.username.as_str()).await?;
        let event = ReleaseEvent::Created {
            name: input.name.clone(),
            version: input.version.clone(),
            target_date: input.target.to_string(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Release { id, event }).await?;
        tx.commit().await?;
        self.store.release(id).await?.ok_or(AppError::NotFound("release"))
    }

    pub async fn release(self, actor: &Actor, id: i64) -> Result<ReleaseView> {
        actor.require(Permission::WorkTickets)?;
        let release = self.store.release(id).await?.ok_or(AppError::NotFound("release"))?;
        let mut changes = Vec::new();
        for change in self.store.release_change_ids(id).await? {
            let Some(t) = self.store.ticket(change).await? else { continue };
            let plan = self.changes().plan(change).await?.plan;
            let (_, verdict) = self.changes().approval_levels(&t, &plan).await?;
            let r = readiness(t.state, verdict, plan.window.is_some(), plan.outcome);
            changes.push((t, r));
        }
        let ready = release_ready(&changes.iter().map(|c| c.1).collect::<Vec<_>>());
        Ok(ReleaseView { release, changes, ready })
    }

    /// Puts a change (by number) in the release; a change is in one release at most.
    pub async fn add_to_release(self, actor: &Actor, id: i64, number: &str) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        self.store.release(id).await?.ok_or(AppError::NotFound("release"))?;
        let number = super::tickets::ticket_number_text(number)?;
        let found = self.store.ticket_by_number(number).await?.filter(|t| t.kind == TicketKind::Change);
        let change = found.ok_or_else(|| AppError::invalid("number", format!("no change {number}")))?;
        if let Some(other) = self.store.release_of_change(change.id).await? {
            return Err(AppError::Conflict {
                field: Some("change_id"),
                message: format!("{} is in release {other} already", change.number),
            });
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.add_release_change(id, change.id).await?;
        let event = ReleaseEvent::ChangeAdded { change_id: change.id, number: change.number.clone() };
        record(&mut tx, at, Some(actor), DomainEvent::Release { id, event }).await?;
        tx.commit().await?;
        Ok(change)
    }

    pub async fn remove_from_release(self, actor: &Actor, id: i64, change: TicketId) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let t = self.store.ticket(change).await?.ok_or(AppError::NotFound("change"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.remove_release_change(id, change).await? {
            return Err(AppError::NotFound("change in this release"));
        }
        let event = ReleaseEvent::ChangeRemoved { change_id: change, number: t.number };
        record(&mut tx, at, Some(actor), DomainEvent::Release { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }
}
