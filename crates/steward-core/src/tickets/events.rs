//! What happens to an incident, as its history records it.

use super::{HoldReason, Priority, ReplyTemplate, State, Ticket};
use crate::events::{Changes, Field, FieldValue, Fields};
use crate::ids::{CategoryId, CiId, TeamId, TicketId, UserId};

/// A ticket's fields as events record them (the stored names never change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketField {
    Number,
    Title,
    Description,
    RequesterId,
    CategoryId,
    SubcategoryId,
    Service,
    Impact,
    Urgency,
    Priority,
    TeamId,
    AssigneeId,
    State,
    HoldReason,
    ResolutionCode,
    ResolutionNote,
    ReopenCount,
    ParentId,
    Tags,
}

impl Field for TicketField {
    const ALL: &'static [TicketField] = &[
        TicketField::Number,
        TicketField::Title,
        TicketField::Description,
        TicketField::RequesterId,
        TicketField::CategoryId,
        TicketField::SubcategoryId,
        TicketField::Service,
        TicketField::Impact,
        TicketField::Urgency,
        TicketField::Priority,
        TicketField::TeamId,
        TicketField::AssigneeId,
        TicketField::State,
        TicketField::HoldReason,
        TicketField::ResolutionCode,
        TicketField::ResolutionNote,
        TicketField::ReopenCount,
        TicketField::ParentId,
        TicketField::Tags,
    ];

    fn as_str(self) -> &'static str {
        match self {
            TicketField::Number => "number",
            TicketField::Title => "title",
            TicketField::Description => "description",
            TicketField::RequesterId => "requester_id",
            TicketField::CategoryId => "category_id",
            TicketField::SubcategoryId => "subcategory_id",
            TicketField::Service => "service",
            TicketField::Impact => "impact",
            TicketField::Urgency => "urgency",
            TicketField::Priority => "priority",
            TicketField::TeamId => "team_id",
            TicketField::AssigneeId => "assignee_id",
            TicketField::State => "state",
            TicketField::HoldReason => "hold_reason",
            TicketField::ResolutionCode => "resolution_code",
            TicketField::ResolutionNote => "resolution_note",
            TicketField::ReopenCount => "reopen_count",
            TicketField::ParentId => "parent_id",
            TicketField::Tags => "tags",
        }
    }
}

/// Which SLA target a warning or breach is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaTarget {
    Response,
    Resolution,
    /// The next-update target (`update_minutes`).
    Update,
}

impl SlaTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaTarget::Response => "response",
            SlaTarget::Resolution => "resolution",
            SlaTarget::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<SlaTarget> {
        [SlaTarget::Response, SlaTarget::Resolution, SlaTarget::Update].into_iter().find(|t| t.as_str() == s)
    }
}

/// An SLA threshold reached: a warning below 100 %, a breach at 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaFiring {
    pub target: SlaTarget,
    /// Percent of the target used.
    pub threshold: i64,
    /// The users told, in-app and by mail.
    pub notified: Vec<UserId>,
}

impl SlaFiring {
    pub fn is_breach(&self) -> bool {
        self.threshold >= 100
    }
}

/// One change to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentEvent {
    /// Raised: every field as it was created.
    Created(Fields<TicketField>),
    /// Fields edited (assignment, priority, title, …).
    Updated(Changes<TicketField>),
    /// Moved to another state (with what the move changed besides).
    Transitioned(Changes<TicketField>),
    /// Closed by the system after the resolved incident sat unanswered.
    AutoClosed(Changes<TicketField>),
    /// Moved to another team by a resolution breach.
    SlaReassigned(Changes<TicketField>),
    /// A public reply or, when `internal`, a work note; `mentions` are user ids.
    Commented {
        comment_id: i64,
        internal: bool,
        mentions: Vec<UserId>,
    },
    AttachmentAdded {
        attachment_id: i64,
        filename: String,
        size: i64,
        internal: bool,
    },
    WatcherAdded {
        user_id: UserId,
    },
    WatcherRemoved {
        user_id: UserId,
    },
    /// Marked as related to another ticket.
    Related {
        ticket_id: TicketId,
    },
    /// A configuration item it affects (`ci`: the CI's name then).
    CiLinked {
        ci_id: CiId,
        ci: String,
    },
    /// No longer affected by that configuration item (`ci`: its name then).
    CiUnlinked {
        ci_id: CiId,
        ci: String,
    },
    SlaWarning(SlaFiring),
    SlaBreach(SlaFiring),
    /// Another incident (`number` then) was merged into this one: its conversation copied
    /// here, its watchers, CIs, related tickets, problem and alerts moved over.
    Merged {
        from: TicketId,
        number: String,
        comments: i64,
        attachments: i64,
    },
    /// Merged into another incident (`number` then) as its duplicate.
    MergedInto {
        into: TicketId,
        number: String,
    },
}

impl IncidentEvent {
    /// A warning or a breach, whichever the firing is.
    pub fn sla_fired(firing: SlaFiring) -> IncidentEvent {
        match firing.is_breach() {
            true => IncidentEvent::SlaBreach(firing),
            false => IncidentEvent::SlaWarning(firing),
        }
    }

    /// The fields this event set: all of them on creation, the new values of a change.
    pub fn fields_after(&self) -> Option<&Fields<TicketField>> {
        match self {
            IncidentEvent::Created(fields) => Some(fields),
            IncidentEvent::Updated(c)
            | IncidentEvent::Transitioned(c)
            | IncidentEvent::AutoClosed(c)
            | IncidentEvent::SlaReassigned(c) => Some(&c.after),
            _ => None,
        }
    }

    /// The state it moved the incident to, if it did.
    pub fn state_after(&self) -> Option<State> {
        self.fields_after()?.get(TicketField::State)?.as_text().and_then(|s| State::parse(s).ok())
    }

    pub fn priority_after(&self) -> Option<Priority> {
        self.fields_after()?.get(TicketField::Priority)?.as_int().and_then(|p| Priority::new(p).ok())
    }

    /// `Some(reason)` when it set the hold reason (`Some(None)`: cleared it).
    pub fn hold_reason_after(&self) -> Option<Option<HoldReason>> {
        let value = self.fields_after()?.get(TicketField::HoldReason)?;
        Some(value.as_text().and_then(|h| HoldReason::parse(h).ok()))
    }
}

/// A ticket's fields as an event records them.
pub fn ticket_fields(t: &Ticket) -> Fields<TicketField> {
    use FieldValue::{Int, Text};
    let text = |s: &str| Text(s.to_owned());
    Fields(vec![
        (TicketField::Number, text(&t.number)),
        (TicketField::Title, text(&t.title)),
        (TicketField::Description, text(&t.description)),
        (TicketField::RequesterId, Int(t.requester_id.get())),
        (TicketField::CategoryId, FieldValue::opt_int(t.category_id)),
        (TicketField::SubcategoryId, FieldValue::opt_int(t.subcategory_id)),
        (TicketField::Service, FieldValue::opt_text(t.service.as_deref())),
        (TicketField::Impact, Int(i64::from(t.impact.get()))),
        (TicketField::Urgency, Int(i64::from(t.urgency.get()))),
        (TicketField::Priority, Int(i64::from(t.priority.get()))),
        (TicketField::TeamId, FieldValue::opt_int(t.team_id)),
        (TicketField::AssigneeId, FieldValue::opt_int(t.assignee_id)),
        (TicketField::State, text(t.state.as_str())),
        (TicketField::HoldReason, FieldValue::opt_text(t.hold_reason.map(|h| h.as_str()))),
        (TicketField::ResolutionCode, FieldValue::opt_text(t.resolution_code.map(|c| c.as_str()))),
        (TicketField::ResolutionNote, FieldValue::opt_text(t.resolution_note.as_deref())),
        (TicketField::ReopenCount, Int(t.reopen_count)),
        (TicketField::ParentId, FieldValue::opt_int(t.parent_id)),
        (TicketField::Tags, Text(t.tags.to_string())),
    ])
}

/// The fields that differ between two versions of a ticket; `None` when nothing does.
pub fn ticket_changes(before: &Ticket, after: &Ticket) -> Option<Changes<TicketField>> {
    Fields::changes_from(&ticket_fields(before), &ticket_fields(after))
}

/// A canned reply (`tickets::ReplyTemplate`): what it read after the change, or its name when
/// it was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyTemplateEvent {
    Created(ReplyTemplate),
    Updated(ReplyTemplate),
    Deleted { name: String },
}

/// A category of the incident form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryEvent {
    Created {
        name: String,
        parent_id: Option<CategoryId>,
    },
    /// New tickets in the category go to `team_id` (none: the next rule decides).
    Routed {
        team_id: Option<TeamId>,
    },
}
