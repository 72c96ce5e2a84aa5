//! Problems as tickets: open one (with its incidents and CIs), read, edit, move it through its
//! lifecycle, list. Problems are internal records: agents and admins read and work them all.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, CiId, TeamId, TicketId, UserId};
use steward_core::problems::{Analysis, ProblemEvent};
use steward_core::tickets::{
    Impact, State, Tags, Ticket, TicketField, TicketKind, Title, TransitionError, TransitionRequest, Urgency,
    apply_transition, parse_description, ticket_changes, ticket_fields,
};
use steward_store::{CiRecord, Tx};

use crate::events::record;
use crate::incidents::parse_service;
use crate::{Actor, AppError, Result};

/// A new problem as typed into a form or the API.
#[derive(Debug, Clone, Default)]
pub struct NewProblem {
    pub title: String,
    pub description: String,
    pub category_id: Option<CategoryId>,
    pub service: Option<String>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub tags: Vec<String>,
    /// The incidents it explains (none may be linked to another problem already).
    pub incident_ids: Vec<TicketId>,
    pub ci_ids: Vec<CiId>,
}

/// Changes to a problem; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProblemPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Option<CategoryId>>,
    pub service: Option<Option<String>>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<Option<TeamId>>,
    pub assignee_id: Option<Option<UserId>>,
    pub tags: Option<Vec<String>>,
}

/// A problem with everything its page shows.
#[derive(Debug, Clone)]
pub struct ProblemView {
    pub ticket: Ticket,
    pub analysis: Analysis,
    pub incidents: Vec<Ticket>,
    pub cis: Vec<CiRecord>,
}

/// One page of problems with how many incidents each explains.
#[derive(Debug, Clone)]
pub struct ProblemList {
    pub items: Vec<(Ticket, i64)>,
    pub next: Option<(i64, i64)>,
}

pub(super) fn is_problem(t: &Ticket) -> bool {
    t.kind == TicketKind::Problem
}

impl crate::Problems<'_> {
    /// The problem, to an agent or admin; "not found" for anyone else and for other kinds.
    pub async fn ticket(self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets).map_err(|_| AppError::NotFound("problem"))?;
        self.store.ticket(id).await?.filter(is_problem).ok_or(AppError::NotFound("problem"))
    }

    /// The problem with its analysis, incidents and CIs.
    pub async fn get(self, actor: &Actor, id: TicketId) -> Result<ProblemView> {
        let ticket = self.problems().ticket(actor, id).await?;
        let analysis = self.store.analysis(id).await?;
        let incidents = self.store.problem_incidents(id).await?;
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        Ok(ProblemView { ticket, analysis, incidents, cis })
    }

    /// A problem by its number (PRB000007).
    pub async fn by_number(self, actor: &Actor, number: &str) -> Result<Ticket> {
        let found = self.store.ticket_by_number(number).await?.filter(is_problem);
        let ticket = found.ok_or(AppError::NotFound("problem"))?;
        self.problems().ticket(actor, ticket.id).await
    }

    pub async fn list(self, actor: &Actor, query: &steward_store::TicketQuery) -> Result<ProblemList> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let mut query = query.clone();
        query.kind = TicketKind::Problem;
        let page = self.store.list_tickets(&query, steward_store::Visibility::All).await?;
        let ids: Vec<TicketId> = page.items.iter().map(|t| t.id).collect();
        let counts = self.store.problem_incident_counts(&ids).await?;
        let items = page
            .items
            .into_iter()
            .map(|t| {
                let n = counts.iter().find(|(p, _)| *p == t.id).map_or(0, |c| c.1);
                (t, n)
            })
            .collect();
        Ok(ProblemList { items, next: page.next })
    }

    pub async fn create(self, actor: &Actor, input: NewProblem) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let title = Title::parse(&input.title).map_err(AppError::from)?;
        let description = parse_description("description", &input.description).map_err(AppError::from)?;
        let impact = Impact::new(input.impact.unwrap_or(3)).map_err(AppError::from)?;
        let urgency = Urgency::new(input.urgency.unwrap_or(3)).map_err(AppError::from)?;
        let at = self.now();
        let mut ticket = Ticket {
            id: TicketId(0),
            kind: TicketKind::Problem,
            number: String::new(),
            title: title.into_string(),
            description,
            requester_id: actor.user.id,
            created_by: Some(actor.user.id),
            category_id: input.category_id,
            subcategory_id: None,
            service: parse_service(input.service.as_deref())?,
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
            parent_id: None,
            tags: Tags::parse(&input.tags).map_err(AppError::from)?,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        self.incidents().check_references(actor, &mut ticket, None).await?;
        let incidents = self.problems().linkable(&input.incident_ids).await?;
        let cis = self.problems().existing_cis(&input.ci_ids).await?;
        let mut tx = self.store.begin().await?;
        let saved = tx.insert_tickets(vec![ticket]).await?.pop().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the store returned no ticket for the one inserted"))
        })?;
        if !saved.description.is_empty() {
            tx.set_description_html(saved.id, crate::markdown::to_safe_html(&saved.description));
        }
        tx.save_analysis(saved.id, &Analysis::default(), at).await?;
        let event = ProblemEvent::Opened(ticket_fields(&saved));
        record(&mut tx, at, Some(actor), DomainEvent::Problem { id: saved.id, event }).await?;
        self.problems().link_in(&mut tx, actor, &saved, &incidents).await?;
        self.problems().link_cis_in(&mut tx, actor, &saved, &cis).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn update(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        patch: ProblemPatch,
    ) -> Result<Ticket> {
        let current = self.problems().current(actor, id, expected_version).await?;
        let mut next = current.clone();
        if let Some(t) = &patch.title {
            next.title = Title::parse(t).map_err(AppError::from)?.into_string();
        }
        if let Some(d) = &patch.description {
            next.description = parse_description("description", d).map_err(AppError::from)?;
        }
        if let Some(c) = patch.category_id {
            next.category_id = c;
        }
        if let Some(s) = &patch.service {
            next.service = parse_service(s.as_deref())?;
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
        if let Some(tags) = &patch.tags {
            next.tags = Tags::parse(tags).map_err(AppError::from)?;
        }
        let team_requested = patch.team_id.flatten();
        self.incidents().check_references(actor, &mut next, Some((current.team_id, team_requested))).await?;
        self.problems().save(actor, &current, next, ProblemEvent::Updated).await
    }

    /// Moves a problem to another state. Root cause known needs the root cause recorded, known
    /// error the workaround; resolved needs a resolution code and the fix note.
    pub async fn transition(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        request: TransitionRequest,
    ) -> Result<Ticket> {
        let current = self.problems().current(actor, id, expected_version).await?;
        if let Some(to) = request.to
            && current.state.allowed(TicketKind::Problem).contains(&to)
        {
            self.store.analysis(id).await?.ready_for(to).map_err(AppError::from)?;
        }
        let mut next = current.clone();
        apply_transition(&mut next, &request, self.now()).map_err(|e| match e {
            TransitionError::NotAllowed { ref allowed, .. } => AppError::IllegalTransition {
                message: e.to_string(),
                allowed: allowed.iter().map(|s| s.as_str()).collect(),
            },
            TransitionError::Missing(f) => f.into(),
        })?;
        self.problems().save(actor, &current, next, ProblemEvent::Transitioned).await
    }

    /// The problem as it stands, if the actor may work it and it is still at `expected_version`.
    pub(super) async fn current(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
    ) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let current = self.problems().ticket(actor, id).await?;
        if let Some(v) = expected_version
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        Ok(current)
    }

    /// Writes `next` over `current` with one event naming the changed fields.
    async fn save(
        self,
        actor: &Actor,
        current: &Ticket,
        mut next: Ticket,
        event: fn(steward_core::events::Changes<TicketField>) -> ProblemEvent,
    ) -> Result<Ticket> {
        let Some(changes) = ticket_changes(current, &next) else {
            return Ok(current.clone());
        };
        let at = self.now();
        next.updated_at = at;
        let mut tx = self.store.begin().await?;
        let saved = tx.update_ticket(&next).await?;
        if saved.description != current.description {
            tx.set_description_html(saved.id, crate::markdown::to_safe_html(&saved.description));
        }
        record(&mut tx, at, Some(actor), DomainEvent::Problem { id: saved.id, event: event(changes) })
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Stamps the problem's `updated_at` (and version) when something beside its own fields
    /// changed: its analysis or its links.
    pub(super) async fn touch(self, tx: &mut Tx, problem: &Ticket) -> Result<Ticket> {
        let mut next = problem.clone();
        next.updated_at = self.now();
        Ok(tx.update_ticket(&next).await?)
    }
}
