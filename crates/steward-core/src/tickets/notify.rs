//! Who hears of what happens to a ticket (issue 17): the rules, pure. The app feeds each
//! ticket event from the log through [`audience`] and delivers by each user's choice of
//! [`Channel`] for the [`NoticeKind`].

use super::events::{IncidentEvent, TicketField};
use super::{State, Ticket};
use crate::ids::UserId;

/// What a notification is about; users choose a channel per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    /// The ticket was assigned to you.
    Assigned,
    /// A ticket landed in your team's queue with nobody assigned.
    Queued,
    /// A public reply on your ticket (or one you work on), or a work note on one you work on.
    Reply,
    /// Your ticket changed state.
    StateChanged,
    /// Your ticket was resolved: check and confirm, or reopen.
    Resolved,
    /// Something happened on a ticket you watch.
    Watched,
    /// Someone @mentioned you.
    Mention,
    SlaWarning,
    SlaBreach,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 9] = [
        NoticeKind::Assigned,
        NoticeKind::Queued,
        NoticeKind::Reply,
        NoticeKind::StateChanged,
        NoticeKind::Resolved,
        NoticeKind::Watched,
        NoticeKind::Mention,
        NoticeKind::SlaWarning,
        NoticeKind::SlaBreach,
    ];

    /// The kinds whose channel each user chooses: every kind. (The event feed tells the first
    /// six; mentions and SLA firings are told where they happen, by the same choices.)
    pub const CHOSEN: [NoticeKind; 9] = NoticeKind::ALL;

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Assigned => "assigned",
            NoticeKind::Queued => "queued",
            NoticeKind::Reply => "reply",
            NoticeKind::StateChanged => "state",
            NoticeKind::Resolved => "resolved",
            NoticeKind::Watched => "watched",
            NoticeKind::Mention => "mention",
            NoticeKind::SlaWarning => "sla_warning",
            NoticeKind::SlaBreach => "sla_breach",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The channel of a user who chose nothing: a mail at once for what needs them now, the
    /// app alone for the rest.
    pub fn default_channel(self) -> Channel {
        match self {
            NoticeKind::Assigned
            | NoticeKind::Mention
            | NoticeKind::Resolved
            | NoticeKind::SlaWarning
            | NoticeKind::SlaBreach => Channel::Email,
            _ => Channel::App,
        }
    }
}

/// How a user hears of one kind of notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Not at all.
    Off,
    /// In the app (the bell and the notifications page).
    App,
    /// In the app and by mail at once.
    Email,
    /// In the app and in one mail a day with the day's notices.
    Digest,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Off, Channel::App, Channel::Email, Channel::Digest];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Off => "off",
            Channel::App => "app",
            Channel::Email => "email",
            Channel::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// The people around a ticket, as it is now.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    pub requester: Option<UserId>,
    pub assignee: Option<UserId>,
    /// The members of its team (for a ticket nobody is assigned).
    pub team: Vec<UserId>,
    pub watchers: Vec<UserId>,
}

/// Who hears of `event`, done by `actor` (who never hears of their own doing), with the most
/// specific kind for each person. Mentions and SLA firings are told where they happen.
pub fn audience(
    event: &IncidentEvent,
    ticket: &Ticket,
    parties: &Parties,
    actor: Option<UserId>,
) -> Vec<(UserId, NoticeKind)> {
    let mut out: Vec<(UserId, NoticeKind)> = Vec::new();
    let mut tell = |user: Option<UserId>, kind: NoticeKind| {
        if let Some(u) = user
            && Some(u) != actor
            && !out.iter().any(|(x, _)| *x == u)
        {
            out.push((u, kind));
        }
    };
    let assignment_changed =
        |fields: &crate::events::Fields<TicketField>| fields.get(TicketField::AssigneeId).is_some();
    let team_changed =
        |fields: &crate::events::Fields<TicketField>| fields.get(TicketField::TeamId).is_some();
    let queue = |tell: &mut dyn FnMut(Option<UserId>, NoticeKind)| {
        for member in &parties.team {
            tell(Some(*member), NoticeKind::Queued);
        }
    };
    match event {
        IncidentEvent::Created(_) => match parties.assignee {
            Some(a) => tell(Some(a), NoticeKind::Assigned),
            None => queue(&mut tell),
        },
        IncidentEvent::Updated(c) | IncidentEvent::SlaReassigned(c) => {
            if assignment_changed(&c.after) && parties.assignee.is_some() {
                tell(parties.assignee, NoticeKind::Assigned);
            } else if team_changed(&c.after) && parties.assignee.is_none() {
                queue(&mut tell);
            }
        }
        IncidentEvent::Transitioned(c) | IncidentEvent::AutoClosed(c) => {
            if assignment_changed(&c.after) {
                tell(parties.assignee, NoticeKind::Assigned);
            }
            // The state the event moved to (the ticket may have moved on since).
            let kind = match event.state_after().unwrap_or(ticket.state) {
                State::Resolved => NoticeKind::Resolved,
                _ => NoticeKind::StateChanged,
            };
            tell(parties.requester, kind);
            // A requester who reopens or answers brings the ticket back to whoever works it.
            if actor.is_some() && actor == parties.requester {
                tell(parties.assignee, NoticeKind::StateChanged);
            }
        }
        IncidentEvent::Commented { internal: false, .. } => {
            if actor.is_some() && actor == parties.requester {
                match parties.assignee {
                    Some(a) => tell(Some(a), NoticeKind::Reply),
                    None => queue(&mut tell),
                }
            } else {
                tell(parties.requester, NoticeKind::Reply);
                tell(parties.assignee, NoticeKind::Reply);
            }
        }
        IncidentEvent::Commented { internal: true, .. } => tell(parties.assignee, NoticeKind::Reply),
        _ => return out,
    }
    // Watchers hear of replies and moves; a work note only reaches them through a mention.
    if !matches!(event, IncidentEvent::Commented { internal: true, .. } | IncidentEvent::Created(_)) {
        for w in &parties.watchers {
            tell(Some(*w), NoticeKind::Watched);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Changes, FieldValue, Fields};
    use crate::tickets::test_ticket;

    const RITA: UserId = UserId(1);
    const ADA: UserId = UserId(2);
    const NED: UserId = UserId(3);
    const WES: UserId = UserId(4);

    fn parties(assignee: Option<UserId>) -> Parties {
        Parties { requester: Some(RITA), assignee, team: vec![ADA, NED], watchers: vec![WES, RITA] }
    }

    fn change(field: TicketField, value: FieldValue) -> Changes<TicketField> {
        Changes { before: Fields(vec![(field, FieldValue::Null)]), after: Fields(vec![(field, value)]) }
    }

    #[test]
    fn a_new_ticket_reaches_its_assignee_or_else_its_team() {
        let t = test_ticket(State::New);
        let created = IncidentEvent::Created(Fields(Vec::new()));
        assert_eq!(
            audience(&created, &t, &parties(None), Some(RITA)),
            vec![(ADA, NoticeKind::Queued), (NED, NoticeKind::Queued)]
        );
        assert_eq!(audience(&created, &t, &parties(Some(NED)), Some(ADA)), vec![(NED, NoticeKind::Assigned)]);
    }

    #[test]
    fn assignment_tells_the_assignee_and_watchers_but_not_the_actor() {
        let t = test_ticket(State::New);
        let assigned = IncidentEvent::Updated(change(TicketField::AssigneeId, FieldValue::Int(3)));
        assert_eq!(
            audience(&assigned, &t, &parties(Some(NED)), Some(ADA)),
            vec![(NED, NoticeKind::Assigned), (WES, NoticeKind::Watched), (RITA, NoticeKind::Watched)]
        );
        // Assigning oneself tells nobody but the watchers.
        assert_eq!(audience(&assigned, &t, &parties(Some(ADA)), Some(ADA))[0], (WES, NoticeKind::Watched));
    }

    #[test]
    fn replies_go_to_the_other_side() {
        let t = test_ticket(State::New);
        let reply = IncidentEvent::Commented { comment_id: 1, internal: false, mentions: vec![] };
        let from_agent = audience(&reply, &t, &parties(Some(ADA)), Some(ADA));
        assert_eq!(from_agent, vec![(RITA, NoticeKind::Reply), (WES, NoticeKind::Watched)]);
        let from_requester = audience(&reply, &t, &parties(Some(ADA)), Some(RITA));
        assert_eq!(from_requester, vec![(ADA, NoticeKind::Reply), (WES, NoticeKind::Watched)]);
        let unassigned = audience(&reply, &t, &parties(None), Some(RITA));
        assert_eq!(unassigned[..2], [(ADA, NoticeKind::Queued), (NED, NoticeKind::Queued)]);
        // A work note reaches the assignee only; watchers need a mention.
        let note = IncidentEvent::Commented { comment_id: 2, internal: true, mentions: vec![] };
        assert_eq!(audience(&note, &t, &parties(Some(NED)), Some(ADA)), vec![(NED, NoticeKind::Reply)]);
    }

    #[test]
    fn resolution_tells_the_requester_to_check() {
        // The ticket as it is now is resolved; the event moved it to in progress before that.
        let mut t = test_ticket(State::New);
        t.state = State::Resolved;
        let moved =
            IncidentEvent::Transitioned(change(TicketField::State, FieldValue::Text("resolved".into())));
        let heard = audience(&moved, &t, &parties(Some(ADA)), Some(ADA));
        assert_eq!(heard[0], (RITA, NoticeKind::Resolved));
        let earlier =
            IncidentEvent::Transitioned(change(TicketField::State, FieldValue::Text("in_progress".into())));
        assert_eq!(
            audience(&earlier, &t, &parties(Some(ADA)), Some(ADA))[0],
            (RITA, NoticeKind::StateChanged)
        );
        let reopened = audience(&earlier, &t, &parties(Some(ADA)), Some(RITA));
        assert_eq!(reopened[0], (ADA, NoticeKind::StateChanged), "{reopened:?}");
    }

    #[test]
    fn kinds_and_channels_read_back() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
