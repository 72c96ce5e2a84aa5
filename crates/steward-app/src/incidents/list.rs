//! Listing incidents within what the caller may see.

use steward_core::identity::{Permission, Role};
use steward_core::tickets::{QueueColumn, Ticket};
use steward_store::{TicketQuery, Visibility};

use crate::{Actor, AppError, Result};

pub struct IncidentList {
    pub items: Vec<Ticket>,
    pub next: Option<(i64, i64)>,
}

impl crate::Incidents<'_> {
    pub async fn list(self, actor: &Actor, query: &TicketQuery) -> Result<IncidentList> {
        actor.require(Permission::ReadTickets)?;
        let visibility = match actor.user.role {
            Role::Admin | Role::Auditor => Visibility::All,
            Role::Requester => Visibility::Requester { user_id: actor.user.id },
            Role::Agent | Role::TeamLead | Role::ChangeManager => {
                Visibility::Agent { user_id: actor.user.id }
            }
        };
        let page = self.store.list_tickets(query, visibility).await?;
        Ok(IncidentList { items: page.items, next: page.next })
    }
}

impl crate::Incidents<'_> {
    /// The actor's saved incident list views: (id, name, query string).
    pub async fn saved_views(self, actor: &Actor) -> Result<Vec<(i64, String, String)>> {
        actor.require(Permission::ReadTickets)?;
        Ok(self.store.saved_views(actor.user.id).await?)
    }

    pub async fn save_view(self, actor: &Actor, name: &str, query: &str) -> Result<i64> {
        actor.require(Permission::ReadTickets)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(crate::AppError::invalid("name", "a view name must be 1 to 60 printable characters"));
        }
        if query.len() > 2000 {
            return Err(crate::AppError::invalid("query", "the view's query is too long"));
        }
        let mut tx = self.store.begin().await?;
        let id = tx.insert_saved_view(self.now(), actor.user.id, name, query.trim_start_matches('?')).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn delete_view(self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let gone = tx.delete_saved_view(actor.user.id, id).await?;
        tx.commit().await?;
        if gone { Ok(()) } else { Err(crate::AppError::NotFound("view")) }
    }

    /// When a ticket the actor's queues show last changed (ms): every ticket for those who work
    /// tickets, their own for a requester. Live pages compare it to tell that something moved.
    pub async fn latest_change(self, actor: &Actor) -> Result<i64> {
        actor.require(steward_core::identity::Permission::ReadTickets)?;
        let own = (!actor.can(steward_core::identity::Permission::WorkTickets)).then_some(actor.user.id);
        Ok(self.store.latest_ticket_change(own).await?)
    }
}

impl crate::Incidents<'_> {
    /// The columns the actor's queue shows, in order (the default until they choose).
    pub async fn queue_columns(self, actor: &Actor) -> Result<Vec<QueueColumn>> {
        actor.require(Permission::ReadTickets)?;
        let saved = self.store.queue_columns(actor.user.id).await?;
        // A name a later release dropped is skipped, not an error: the rest still show.
        Ok(match saved {
            Some(s) => s.split(',').filter_map(|n| QueueColumn::parse(n).ok()).collect(),
            None => QueueColumn::DEFAULT.to_vec(),
        })
    }

    /// Chooses the actor's queue columns in order; `None` goes back to the default.
    pub async fn set_queue_columns(
        self,
        actor: &Actor,
        names: Option<&[String]>,
    ) -> Result<Vec<QueueColumn>> {
        actor.require(Permission::ReadTickets)?;
        // One's own settings are a write: a read-only token may not change them.
        actor.require(Permission::ManageOwnTokens)?;
        let columns = match names {
            Some(names) if names.len() > 64 => {
                return Err(AppError::invalid("columns", "name at most 64 columns"));
            }
            Some(names) => Some(
                QueueColumn::parse_list(names.iter().map(String::as_str))
                    .map_err(|e| AppError::invalid("columns", e))?,
            ),
            None => None,
        };
        let saved = columns.as_ref().map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","));
        let mut tx = self.store.begin().await?;
        tx.set_queue_columns(actor.user.id, saved.as_deref()).await?;
        tx.commit().await?;
        Ok(columns.unwrap_or_else(|| QueueColumn::DEFAULT.to_vec()))
    }
}
