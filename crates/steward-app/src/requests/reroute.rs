//! Re-routing an approval level: when the person a level waits for has left (disabled, or
//! gone from the group), the service desk puts the level to another person or group instead
//! of cancelling the request and ordering again. Only a level nobody has decided yet moves.

use steward_core::identity::{Permission, Role};
use steward_core::ids::{TicketId, UserId};
use steward_core::requests::RequestEvent;
use steward_core::tickets::{State, Ticket, TicketAccess};

use crate::events::TicketChange;
use crate::{Actor, AppError, Result};

/// Whom a level is put to instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewApprover {
    Person(UserId),
    Group(i64),
}

impl crate::Requests<'_> {
    /// Puts pending level `level` of request `id` to `to`: the request's desk (its team's
    /// agents) or an admin. A person must be active, able to approve, and not the requester; a
    /// group must exist. The new approvers of the level now waiting are told (with their links).
    pub async fn reroute(self, actor: &Actor, id: TicketId, level: i64, to: NewApprover) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let view = self.requests().get(actor, id).await?;
        if view.access != TicketAccess::Work && actor.user.role != Role::Admin {
            return Err(AppError::Forbidden("only the request's desk re-routes its approvals".into()));
        }
        let (manager, group) = match to {
            NewApprover::Person(u) => {
                let user = self.store.user(u).await?;
                match user {
                    Some(p) if p.id == view.ticket.requester_id => {
                        return Err(AppError::invalid("manager_id", "nobody approves their own request"));
                    }
                    Some(p) if !p.disabled && p.role.allows(Permission::RaiseTickets) => (Some(p.id), None),
                    _ => return Err(AppError::invalid("manager_id", "no active person by this id")),
                }
            }
            NewApprover::Group(g) => {
                if !self.store.approver_groups().await?.iter().any(|x| x.id == g) {
                    return Err(AppError::invalid("group_id", format!("no approver group {g}")));
                }
                (None, Some(g))
            }
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let ticket = tx.lock_ticket(id).await?.ok_or(AppError::NotFound("request"))?;
        if ticket.state != State::Authorization {
            return Err(AppError::Conflict {
                field: None,
                message: "the request is no longer awaiting approval".into(),
            });
        }
        if !tx.request_decisions_in(id, level).await?.is_empty() {
            return Err(AppError::Conflict {
                field: Some("level"),
                message: "someone has decided this level already: it cannot move".into(),
            });
        }
        if !tx.reroute_request_level(id, level, manager, group).await? {
            return Err(AppError::Conflict {
                field: Some("level"),
                message: format!("level {level} is not pending"),
            });
        }
        let event = RequestEvent::Rerouted { level, manager_id: manager, group_id: group };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        let levels = tx.request_levels_in(id).await?;
        let current = levels
            .iter()
            .find(|l| l.verdict == steward_core::changes::Verdict::Pending && l.requested_at.is_some());
        if current.is_some_and(|l| l.level == level) {
            self.requests().tell_approvers(&mut tx, &ticket, level, manager, group).await?;
        }
        tx.commit().await?;
        Ok(ticket)
    }
}
