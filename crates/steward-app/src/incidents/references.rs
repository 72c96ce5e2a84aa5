//! Checks that the people, teams, categories and tickets an incident refers to exist and fit.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::tickets::CategoryEvent;
use steward_core::tickets::{Ticket, TicketKind, routed_team, team_for_assignee};

use crate::{Actor, AppError, Result};

/// The affected service or configuration item, a free reference until the CMDB lands.
pub fn parse_service(input: Option<&str>) -> Result<Option<String>> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > 200 || s.chars().any(char::is_control) => {
            Err(AppError::invalid("service", "a service reference must be at most 200 printable characters"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

impl crate::Incidents<'_> {
    /// Validates the references of `ticket` and applies the assignment rule. `assignment` is
    /// `(current team, team the caller asked for)` on updates.
    pub(crate) async fn check_references(
        self,
        actor: &Actor,
        ticket: &mut Ticket,
        assignment: Option<(Option<TeamId>, Option<TeamId>)>,
    ) -> Result<()> {
        // The actor was read when this request was authenticated; most incidents are their own.
        let requester = match ticket.requester_id == actor.user.id {
            true => Some(actor.user.clone()),
            false => self.store.user(ticket.requester_id).await?,
        };
        if requester.is_none_or(|u| u.disabled) {
            return Err(AppError::invalid("requester_id", format!("no active user {}", ticket.requester_id)));
        }
        let categories = if ticket.category_id.is_some() || ticket.subcategory_id.is_some() {
            self.store.categories().await?
        } else {
            Vec::new()
        };
        if let Some(c) = ticket.category_id
            && !categories.iter().any(|x| x.id == c && x.parent_id.is_none() && x.active)
        {
            return Err(AppError::invalid("category_id", format!("no category {c}")));
        }
        if let Some(s) = ticket.subcategory_id {
            let fits = categories
                .iter()
                .any(|x| x.id == s && x.active && x.parent_id.is_some() && x.parent_id == ticket.category_id);
            if !fits {
                return Err(AppError::invalid(
                    "subcategory_id",
                    format!("no subcategory {s} under the chosen category"),
                ));
            }
        }
        if assignment.is_none() && ticket.team_id.is_none() {
            // A new ticket nobody assigned goes where the routing rules send it.
            let team_of = |c| categories.iter().find(|x| x.id == c).and_then(|x| x.team_id);
            let intake = self.store.intake_team().await?;
            ticket.team_id = routed_team(ticket.category_id, ticket.subcategory_id, team_of, intake);
        }
        if let Some(team) = ticket.team_id
            && !self.directory().team_exists(team).await?
        {
            return Err(AppError::invalid("team_id", format!("no team {team}")));
        }
        if let Some(assignee) = ticket.assignee_id {
            let user = self.store.user(assignee).await?;
            let Some(user) = user.filter(|u| !u.disabled && u.role.allows(Permission::WorkTickets)) else {
                return Err(AppError::invalid(
                    "assignee_id",
                    format!("user {assignee} cannot be assigned incidents"),
                ));
            };
            let teams: Vec<TeamId> = self.store.teams_of(user.id).await?.iter().map(|t| t.id).collect();
            let (current, requested) = assignment.unwrap_or((None, ticket.team_id));
            ticket.team_id = team_for_assignee(requested, current, &teams)
                .map_err(|e| AppError::Invalid { field: e.field, message: e.message })?;
        }
        if let Some(parent) = ticket.parent_id {
            if parent == ticket.id {
                return Err(AppError::invalid("parent_id", "an incident cannot be its own parent"));
            }
            let p = self.store.ticket(parent).await?.filter(|p| p.kind == TicketKind::Incident);
            match p {
                None => return Err(AppError::invalid("parent_id", format!("no incident {parent}"))),
                Some(p) if p.parent_id.is_some() => {
                    return Err(AppError::invalid("parent_id", "the parent is itself a child incident"));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    pub(super) async fn existing_tickets(
        self,
        ids: &[TicketId],
        name: &'static str,
    ) -> Result<Vec<TicketId>> {
        for id in ids {
            if self.store.ticket(*id).await?.is_none() {
                return Err(AppError::invalid(name, format!("no ticket {id}")));
            }
        }
        Ok(ids.to_vec())
    }

    pub(super) async fn existing_users(self, ids: &[UserId], name: &'static str) -> Result<Vec<UserId>> {
        for id in ids {
            if self.store.user(*id).await?.is_none() {
                return Err(AppError::invalid(name, format!("no user {id}")));
            }
        }
        Ok(ids.to_vec())
    }
}

impl crate::Incidents<'_> {
    pub async fn categories(self, actor: &crate::Actor) -> Result<Vec<steward_store::Category>> {
        actor.require(Permission::ReadTickets)?;
        Ok(self.store.categories().await?)
    }

    /// Adds a category (no parent) or a subcategory (admins; `actor` is `None` for the CLI).
    pub async fn create_category(
        self,
        actor: Option<&crate::Actor>,
        name: &str,
        parent_id: Option<CategoryId>,
    ) -> Result<CategoryId> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "a category name must be 1 to 80 printable characters"));
        }
        if let Some(p) = parent_id {
            let categories = self.store.categories().await?;
            if !categories.iter().any(|c| c.id == p && c.parent_id.is_none()) {
                return Err(AppError::invalid("parent_id", format!("no top-level category {p}")));
            }
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_category(at, name, parent_id).await?;
        let event = CategoryEvent::Created { name: name.to_owned(), parent_id };
        crate::record(&mut tx, at, actor, DomainEvent::Category { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sends new tickets in category `id` to `team_id` (admins; `None` for the CLI).
    pub async fn route_category(
        self,
        actor: Option<&crate::Actor>,
        id: CategoryId,
        team_id: Option<TeamId>,
    ) -> Result<()> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        if let Some(team) = team_id
            && !self.directory().team_exists(team).await?
        {
            return Err(AppError::invalid("team_id", format!("no team {team}")));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.set_category_team(id, team_id).await? {
            return Err(AppError::NotFound("category"));
        }
        let event = CategoryEvent::Routed { team_id };
        crate::record(&mut tx, at, actor, DomainEvent::Category { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }
}
