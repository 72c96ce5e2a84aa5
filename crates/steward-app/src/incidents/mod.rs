//! Incident management: raising, updating, assigning and moving incidents through their
//! lifecycle, with every change recorded as an event in the same transaction.

mod conversation;
mod duplicates;
mod intake;
mod list;
mod merge;
mod references;
mod replies;

use jiff::Timestamp;
use steward_core::events::Changes;
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{
    Impact, IncidentEvent, State, Tags, Ticket, TicketAccess, TicketField, TicketKind, Title,
    TransitionError, TransitionRequest, Urgency, access, apply_transition, parse_description, ticket_changes,
};

use crate::events::TicketChange;
use crate::{Actor, AppError, Result};

pub(crate) use conversation::checked_upload;
pub use conversation::{ALLOWED_TYPES, ActivityItem, AttachmentUpload};
pub use duplicates::{Duplicate, FIND as FIND_DUPLICATES};
pub use intake::Intake;
pub use list::IncidentList;
pub(crate) use references::parse_service;
pub use replies::FilledReply;

/// The entity name incidents carry in the event log.
pub const ENTITY: &str = "incident";

/// A new incident as typed into a form or the API.
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub title: String,
    pub description: String,
    /// Agents may raise on someone's behalf; requesters always raise for themselves.
    pub requester_id: Option<UserId>,
    pub category_id: Option<CategoryId>,
    pub subcategory_id: Option<CategoryId>,
    pub service: Option<String>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub parent_id: Option<TicketId>,
    pub related: Vec<TicketId>,
    pub watchers: Vec<UserId>,
    pub tags: Vec<String>,
    /// Configuration items the incident affects (agents only).
    pub ci_ids: Vec<CiId>,
}

/// Changes to an incident; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub requester_id: Option<UserId>,
    pub category_id: Option<Option<CategoryId>>,
    pub subcategory_id: Option<Option<CategoryId>>,
    pub service: Option<Option<String>>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<Option<TeamId>>,
    pub assignee_id: Option<Option<UserId>>,
    pub parent_id: Option<Option<TicketId>>,
    pub tags: Option<Vec<String>>,
}

/// An incident with what the caller may do with it.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub ticket: Ticket,
    pub access: TicketAccess,
}

impl crate::Incidents<'_> {
    async fn team_ids(self, actor: &Actor) -> Result<Vec<TeamId>> {
        Ok(self.store.teams_of(actor.user.id).await?.into_iter().map(|t| t.id).collect())
    }

    /// The incident if the actor may see it; otherwise "not found", so ids do not leak.
    pub async fn get(self, actor: &Actor, id: TicketId) -> Result<IncidentView> {
        actor.require(Permission::ReadTickets)?;
        let ticket = self.store.ticket(id).await?.filter(|t| t.kind == TicketKind::Incident);
        let ticket = ticket.ok_or(AppError::NotFound("incident"))?;
        let access = access(actor.user.role, actor.user.id, &self.team_ids(actor).await?, &ticket);
        if !access.can_read() {
            return Err(AppError::NotFound("incident"));
        }
        Ok(IncidentView { ticket, access })
    }

    /// The incident if the actor may work it (agents on their queues, admins).
    async fn workable(self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let view = self.incidents().get(actor, id).await?;
        if view.access != TicketAccess::Work {
            return Err(AppError::Forbidden("you may read this incident but not work on it".into()));
        }
        Ok(view.ticket)
    }

    pub async fn create(self, actor: &Actor, input: NewIncident) -> Result<Ticket> {
        actor.require(Permission::RaiseTickets)?;
        let agent = actor.can(Permission::WorkTickets);
        let on_behalf = input.requester_id.is_some_and(|r| r != actor.user.id);
        let links = input.parent_id.is_some()
            || !input.related.is_empty()
            || !input.watchers.is_empty()
            || !input.ci_ids.is_empty();
        if !agent && (on_behalf || input.team_id.is_some() || input.assignee_id.is_some() || links) {
            return Err(AppError::Forbidden(
                "requesters may not assign incidents, link them, or raise them for others".into(),
            ));
        }
        let title = Title::parse(&input.title).map_err(AppError::from)?;
        let description = parse_description("description", &input.description).map_err(AppError::from)?;
        let impact = Impact::new(input.impact.unwrap_or(3)).map_err(AppError::from)?;
        let urgency = Urgency::new(input.urgency.unwrap_or(3)).map_err(AppError::from)?;
        let tags = Tags::parse(&input.tags).map_err(AppError::from)?;
        let service = references::parse_service(input.service.as_deref())?;
        let requester_id = input.requester_id.unwrap_or(actor.user.id);
        let at = self.now();
        let mut ticket = Ticket {
            id: TicketId(0),
            kind: TicketKind::Incident,
            number: String::new(),
            title: title.into_string(),
            description,
            requester_id,
            created_by: Some(actor.user.id),
            category_id: input.category_id,
            subcategory_id: input.subcategory_id,
            service,
            impact,
            urgency,
            priority: self.config.priority_matrix.priority(impact, urgency),
            team_id: input.team_id,
            assignee_id: input.assignee_id,
            state: State::New,
            hold_reason: None,
            resolution_code: None,
            resolution_note: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            parent_id: input.parent_id,
            tags,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        self.incidents().check_references(actor, &mut ticket, None).await?;
        let related = self.incidents().existing_tickets(&input.related, "related").await?;
        let watchers = self.incidents().existing_users(&input.watchers, "watchers").await?;
        let mut ci_ids = input.ci_ids.clone();
        ci_ids.sort_unstable();
        ci_ids.dedup();
        let found = self.store.cis_by_ids(&ci_ids).await?;
        if let Some(missing) = ci_ids.iter().find(|id| !found.iter().any(|c| c.id == **id)) {
            return Err(AppError::invalid("ci_ids", format!("there is no CI {missing}")));
        }
        if ticket.assignee_id.is_some() {
            ticket.state = State::Assigned;
        }
        let item = intake::Prepared { ticket, actor: actor.clone(), related, watchers, cis: found };
        let ticket = self.write_new_incident(item).await?;
        // Auto-triage (issue 22), after the commit: what the raiser left open, when confident.
        if (ticket.category_id.is_none() || ticket.team_id.is_none())
            && !self.triage().apply_to_new(ticket.id).await.is_empty()
            && let Some(triaged) = self.store.ticket(ticket.id).await?
        {
            return Ok(triaged);
        }
        Ok(ticket)
    }

    /// Applies a patch if the incident is still at `expected_version` (when given).
    pub async fn update(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        patch: IncidentPatch,
    ) -> Result<Ticket> {
        let current = self.workable(actor, id).await?;
        if let Some(v) = expected_version
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        let mut next = current.clone();
        if let Some(t) = &patch.title {
            next.title = Title::parse(t).map_err(AppError::from)?.into_string();
        }
        if let Some(d) = &patch.description {
            next.description = parse_description("description", d).map_err(AppError::from)?;
        }
        if let Some(r) = patch.requester_id {
            next.requester_id = r;
        }
        if let Some(c) = patch.category_id {
            next.category_id = c;
        }
        if let Some(c) = patch.subcategory_id {
            next.subcategory_id = c;
        }
        if let Some(s) = &patch.service {
            next.service = references::parse_service(s.as_deref())?;
        }
        if let Some(i) = patch.impact {
            next.impact = Impact::new(i).map_err(AppError::from)?;
        }
        if let Some(u) = patch.urgency {
            next.urgency = Urgency::new(u).map_err(AppError::from)?;
        }
        next.priority = self.config.priority_matrix.priority(next.impact, next.urgency);
        if let Some(t) = patch.team_id {
            next.team_id = t;
        }
        if let Some(a) = patch.assignee_id {
            next.assignee_id = a;
        }
        if let Some(p) = patch.parent_id {
            next.parent_id = p;
        }
        if let Some(tags) = &patch.tags {
            next.tags = Tags::parse(tags).map_err(AppError::from)?;
        }
        let team_requested = patch.team_id.flatten();
        self.incidents().check_references(actor, &mut next, Some((current.team_id, team_requested))).await?;
        if next.state == State::New && next.assignee_id.is_some() {
            next.state = State::Assigned;
        }
        self.save_incident(actor, &current, next, IncidentEvent::Updated).await
    }

    /// Writes `next` over `current` with one event naming the changed fields.
    async fn save_incident(
        self,
        actor: &Actor,
        current: &Ticket,
        mut next: Ticket,
        event: fn(Changes<TicketField>) -> IncidentEvent,
    ) -> Result<Ticket> {
        let Some(changes) = ticket_changes(current, &next) else {
            return Ok(current.clone());
        };
        let at = self.now();
        next.updated_at = at;
        let mut tx = self.store.begin().await?;
        let saved = tx.update_ticket(&next).await?;
        let change = TicketChange {
            at,
            actor: Some(actor),
            before: Some(current),
            after: &saved,
            event: event(changes).into(),
        };
        self.record_ticket_event(&mut tx, change).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves an incident to another state. Requesters may reopen or close their resolved
    /// incidents; everything else needs an agent on the incident's queue.
    pub async fn transition(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        request: TransitionRequest,
    ) -> Result<Ticket> {
        let view = self.incidents().get(actor, id).await?;
        let requester_move = view.access == TicketAccess::Participate
            && view.ticket.state == State::Resolved
            && matches!(request.to, Some(State::InProgress | State::Closed));
        if requester_move {
            actor.require(Permission::RaiseTickets)?;
        } else {
            actor.require(Permission::WorkTickets)?;
            if view.access != TicketAccess::Work {
                return Err(AppError::Forbidden("you may read this incident but not work on it".into()));
            }
        }
        let current = view.ticket;
        if let Some(v) = expected_version
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        let mut next = current.clone();
        apply_transition(&mut next, &request, self.now()).map_err(|e| match e {
            TransitionError::NotAllowed { ref allowed, .. } => AppError::IllegalTransition {
                message: e.to_string(),
                allowed: allowed.iter().map(|s| s.as_str()).collect(),
            },
            TransitionError::Missing(f) => f.into(),
        })?;
        self.save_incident(actor, &current, next, IncidentEvent::Transitioned).await
    }

    /// Closes incidents and fulfilled service requests resolved longer than the configured time
    /// ago (by the system, each with its kind's event); returns how many.
    pub async fn auto_close_resolved(self) -> Result<usize> {
        let cutoff = self.now().saturating_sub(self.config.auto_close_after).unwrap_or(Timestamp::MIN);
        let due = self.store.resolved_before(cutoff, 200).await?;
        let mut closed = 0;
        for current in due {
            let mut next = current.clone();
            let at = self.now();
            let request = TransitionRequest { to: Some(State::Closed), ..TransitionRequest::default() };
            if apply_transition(&mut next, &request, at).is_err() {
                continue;
            }
            next.updated_at = at;
            let Some(changes) = ticket_changes(&current, &next) else { continue };
            let mut tx = self.store.begin().await?;
            match tx.update_ticket(&next).await {
                Ok(saved) => {
                    let event: crate::events::TicketEvent = match current.kind {
                        TicketKind::Request => {
                            steward_core::requests::RequestEvent::Transitioned(changes).into()
                        }
                        _ => IncidentEvent::AutoClosed(changes).into(),
                    };
                    let change = TicketChange::moved(Some(&current), &saved, at, None, event);
                    self.record_ticket_event(&mut tx, change).await?;
                    tx.commit().await?;
                    closed += 1;
                }
                // Someone changed it meanwhile (reopened, say): their change wins.
                Err(steward_store::StoreError::Stale { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(closed)
    }
}
