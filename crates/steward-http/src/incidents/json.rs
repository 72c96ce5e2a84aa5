//! The incident API's answers, as typed structs: what they serialize to is the API, and the
//! OpenAPI document's schemas are derived from them.

use serde::Serialize;
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::tickets::Ticket;
use steward_store::{Attachment, Category, Comment};
use utoipa::ToSchema;

use crate::api::time;
use crate::audit::api::EventJson;

/// An incident as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Incident)]
pub struct IncidentJson {
    id: TicketId,
    /// `INC000042`.
    number: String,
    kind: &'static str,
    title: String,
    description: String,
    requester_id: UserId,
    created_by: Option<UserId>,
    category_id: Option<CategoryId>,
    subcategory_id: Option<CategoryId>,
    service: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    impact: u8,
    #[schema(minimum = 1, maximum = 3)]
    urgency: u8,
    /// From impact × urgency: 1 (critical) to 5.
    #[schema(minimum = 1, maximum = 5)]
    priority: u8,
    team_id: Option<steward_core::ids::TeamId>,
    assignee_id: Option<UserId>,
    /// `new`, `assigned`, `in_progress`, `on_hold`, `resolved`, `closed` or `cancelled`.
    state: &'static str,
    hold_reason: Option<&'static str>,
    resolution_code: Option<&'static str>,
    resolution_note: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    reopen_count: i64,
    parent_id: Option<TicketId>,
    tags: Vec<String>,
    created_at: String,
    updated_at: String,
    /// For `If-Match`; also the `ETag`.
    version: i64,
    /// The states it may move to now.
    allowed_transitions: Vec<&'static str>,
}

impl From<&Ticket> for IncidentJson {
    fn from(t: &Ticket) -> IncidentJson {
        IncidentJson {
            id: t.id,
            number: t.number.clone(),
            kind: t.kind.as_str(),
            title: t.title.clone(),
            description: t.description.clone(),
            requester_id: t.requester_id,
            created_by: t.created_by,
            category_id: t.category_id,
            subcategory_id: t.subcategory_id,
            service: t.service.clone(),
            impact: t.impact.get(),
            urgency: t.urgency.get(),
            priority: t.priority.get(),
            team_id: t.team_id,
            assignee_id: t.assignee_id,
            state: t.state.as_str(),
            hold_reason: t.hold_reason.map(|h| h.as_str()),
            resolution_code: t.resolution_code.map(|c| c.as_str()),
            resolution_note: t.resolution_note.clone(),
            resolved_at: t.resolved_at.map(time),
            closed_at: t.closed_at.map(time),
            reopen_count: t.reopen_count,
            parent_id: t.parent_id,
            tags: t.tags.iter().map(|tag| tag.to_string()).collect(),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            version: t.version,
            allowed_transitions: t.state.allowed(t.kind).iter().map(|s| s.as_str()).collect(),
        }
    }
}

/// A page of incidents.
#[derive(Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<IncidentJson>,
    /// The `cursor` of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A reply, or a work note (`internal`) that only agents see.
#[derive(Serialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentJson {
    id: i64,
    author_id: UserId,
    author: String,
    /// Markdown as written.
    body: String,
    /// The body rendered and sanitized.
    body_html: String,
    internal: bool,
    created_at: String,
    /// The incident it was written on (its number), when it came over in a merge; absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    merged_from: Option<String>,
}

impl From<&Comment> for CommentJson {
    fn from(c: &Comment) -> CommentJson {
        CommentJson {
            id: c.id,
            author_id: c.author_id,
            author: c.author.clone(),
            body: c.body.clone(),
            body_html: c.body_html.clone().unwrap_or_default(),
            internal: c.internal,
            created_at: time(c.created_at),
            merged_from: c.merged_from.clone(),
        }
    }
}

/// A file on an incident; `url` downloads it.
#[derive(Serialize, ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentJson {
    id: i64,
    ticket_id: TicketId,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    internal: bool,
    uploaded_by: UserId,
    created_at: String,
    url: String,
}

impl From<&Attachment> for AttachmentJson {
    fn from(a: &Attachment) -> AttachmentJson {
        AttachmentJson {
            id: a.id,
            ticket_id: a.ticket_id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            internal: a.internal,
            uploaded_by: a.uploaded_by,
            created_at: time(a.created_at),
            url: format!("/api/v1/attachments/{}", a.id),
        }
    }
}

/// One entry of an incident's activity: a recorded change or a comment.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActivityEntry {
    Event { event: EventJson },
    Comment { comment: CommentJson },
}

/// A category (no `parent_id`) or a subcategory of the incident form.
#[derive(Serialize, ToSchema)]
#[schema(as = Category)]
pub struct CategoryJson {
    id: CategoryId,
    name: String,
    parent_id: Option<CategoryId>,
    active: bool,
    /// Where new tickets in this category go when their creator names no team.
    team_id: Option<TeamId>,
}

impl From<&Category> for CategoryJson {
    fn from(c: &Category) -> CategoryJson {
        CategoryJson {
            id: c.id,
            name: c.name.clone(),
            parent_id: c.parent_id,
            active: c.active,
            team_id: c.team_id,
        }
    }
}
