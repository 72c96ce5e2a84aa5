//! Tickets: one record type for every kind (incidents first), their fields, priority and
//! lifecycle. Kind-specific rules live beside the shared ones as more kinds arrive.

mod access;
mod columns;
mod events;
mod fields;
mod lifecycle;
mod merge;
mod notify;
mod priority;
mod replies;
mod routing;

pub use access::{TicketAccess, access};
pub use columns::QueueColumn;
pub use events::{
    CategoryEvent, IncidentEvent, ReplyTemplateEvent, SlaFiring, SlaTarget, TicketField, ticket_changes,
    ticket_fields,
};
pub use fields::{FieldError, Tags, TicketKind, Title, parse_description, ticket_number};
pub use lifecycle::{
    HoldReason, ResolutionCode, State, TransitionError, TransitionRequest, Transitioned, apply_transition,
};
pub use merge::{check_merge, merged_resolution};
pub use notify::{Channel, NoticeKind, Parties, audience};
pub use priority::{Impact, Priority, PriorityMatrix, Urgency};
pub use replies::{PLACEHOLDERS, ReplyTemplate, ReplyTemplateError, ReplyValues, fill as fill_reply};
pub use routing::routed_team;

#[cfg(test)]
pub(crate) use lifecycle::tests::ticket as test_ticket;

use jiff::Timestamp;

use crate::ids::{CategoryId, TeamId, TicketId, UserId};

/// A ticket as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub kind: TicketKind,
    pub number: String,
    pub title: String,
    pub description: String,
    pub requester_id: UserId,
    pub created_by: Option<UserId>,
    pub category_id: Option<CategoryId>,
    pub subcategory_id: Option<CategoryId>,
    pub service: Option<String>,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub state: State,
    pub hold_reason: Option<HoldReason>,
    pub resolution_code: Option<ResolutionCode>,
    pub resolution_note: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub reopen_count: i64,
    pub parent_id: Option<TicketId>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// Which team a ticket lands in when someone is assigned.
///
/// Assigning a person implies their team: a requested team must contain the assignee; with no
/// team requested the current team is kept if the assignee belongs to it, else the assignee's
/// first team is taken.
pub fn team_for_assignee(
    requested_team: Option<TeamId>,
    current_team: Option<TeamId>,
    assignee_teams: &[TeamId],
) -> Result<Option<TeamId>, FieldError> {
    match requested_team {
        Some(team) if assignee_teams.contains(&team) => Ok(Some(team)),
        Some(_) => Err(FieldError::new("assignee_id", "the assignee is not a member of the assignment team")),
        None => match current_team {
            Some(team) if assignee_teams.contains(&team) => Ok(Some(team)),
            _ => Ok(assignee_teams.first().copied().or(current_team)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigning_a_person_implies_their_team() {
        let cases = [
            ((Some(2), None, vec![1, 2]), Ok(Some(2))),
            ((Some(3), None, vec![1, 2]), Err("assignee_id")),
            ((None, Some(2), vec![1, 2]), Ok(Some(2))),
            ((None, Some(9), vec![1, 2]), Ok(Some(1))),
            ((None, None, vec![4]), Ok(Some(4))),
            // Someone in no team keeps the ticket in its current queue.
            ((None, Some(9), vec![]), Ok(Some(9))),
        ];
        for ((requested, current, teams), expected) in cases {
            let teams: Vec<TeamId> = teams.into_iter().map(TeamId).collect();
            let got =
                team_for_assignee(requested.map(TeamId), current.map(TeamId), &teams).map_err(|e| e.field);
            assert_eq!(
                got,
                expected.map(|t: Option<i64>| t.map(TeamId)),
                "{requested:?} {current:?} {teams:?}"
            );
        }
    }
}
