//! Who sees and works which ticket.
//!
//! Requesters see their own tickets. Agents (and team leads and change managers) see their
//! teams' tickets, the unassigned queue (no team), and tickets they requested or hold. Admins
//! and auditors see everything; auditors only read.

use crate::identity::Role;
use crate::ids::{TeamId, UserId};

use super::Ticket;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TicketAccess {
    None,
    /// Read it; a requester may also reply publicly and reopen or close it.
    Participate,
    /// Everything an agent does: fields, assignment, transitions, work notes.
    Work,
    /// Read everything, change nothing (auditors).
    ReadOnly,
}

impl TicketAccess {
    pub fn can_read(self) -> bool {
        self != TicketAccess::None
    }

    /// Whether internal work notes and internal attachments are shown.
    pub fn sees_internal(self) -> bool {
        matches!(self, TicketAccess::Work | TicketAccess::ReadOnly)
    }
}

pub fn access(role: Role, user_id: UserId, team_ids: &[TeamId], ticket: &Ticket) -> TicketAccess {
    match role {
        Role::Admin => TicketAccess::Work,
        Role::Auditor => TicketAccess::ReadOnly,
        Role::Requester if ticket.requester_id == user_id => TicketAccess::Participate,
        Role::Requester => TicketAccess::None,
        Role::Agent | Role::TeamLead | Role::ChangeManager => {
            let in_queue = match ticket.team_id {
                None => true,
                Some(team) => team_ids.contains(&team),
            };
            if in_queue || ticket.assignee_id == Some(user_id) {
                TicketAccess::Work
            } else if ticket.requester_id == user_id {
                TicketAccess::Participate
            } else {
                TicketAccess::None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::State;
    use super::*;

    #[test]
    fn access_table() {
        let mut t = super::super::lifecycle::tests::ticket(State::InProgress);
        t.requester_id = UserId(10);
        t.team_id = Some(TeamId(1));
        t.assignee_id = Some(UserId(20));
        let cases = [
            (Role::Requester, 10, vec![], TicketAccess::Participate),
            (Role::Requester, 11, vec![], TicketAccess::None),
            (Role::Agent, 30, vec![1], TicketAccess::Work),
            (Role::Agent, 30, vec![2], TicketAccess::None),
            (Role::Agent, 20, vec![2], TicketAccess::Work),
            (Role::Agent, 10, vec![2], TicketAccess::Participate),
            (Role::TeamLead, 31, vec![1, 2], TicketAccess::Work),
            (Role::Admin, 99, vec![], TicketAccess::Work),
            (Role::Auditor, 98, vec![], TicketAccess::ReadOnly),
        ];
        for (role, user, teams, expected) in cases {
            let teams: Vec<TeamId> = teams.into_iter().map(TeamId).collect();
            assert_eq!(access(role, UserId(user), &teams, &t), expected, "{role} {user} {teams:?}");
        }
        t.team_id = None;
        assert_eq!(
            access(Role::Agent, UserId(30), &[TeamId(2)], &t),
            TicketAccess::Work,
            "the unassigned queue is everyone's"
        );
    }
}
