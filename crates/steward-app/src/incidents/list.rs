//! Listing incidents within what the caller may see.

use steward_core::identity::{Permission, Role};
use steward_core::tickets::Ticket;
use steward_store::{TicketQuery, Visibility};

use crate::{Actor, App, Result};

pub struct IncidentList {
    pub items: Vec<Ticket>,
    pub next: Option<(i64, i64)>,
}

impl App {
    pub async fn list_incidents(&self, actor: &Actor, query: &TicketQuery) -> Result<IncidentList> {
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
