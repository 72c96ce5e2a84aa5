//! Changes as tickets: open one (with its model, plans, CIs, linked incidents and problems and,
//! optionally, its window), read it with everything its page shows, edit it, move it along
//! its model, cancel it, list them.

use steward_core::changes::{
    ChangeEvent, ChangeType, Gates, Plan, Reason, Verdict, Workflow, check_move, plan_changes, plan_fields,
    plan_text, reasons_from_text,
};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{
    Impact, State, Tags, Ticket, TicketKind, Title, Urgency, parse_description, ticket_changes, ticket_fields,
};
use steward_store::{CiRecord, PlanRecord, Tx, books_calendar};

use super::approvals::ApprovalLevel;
use super::schedule::ConflictView;
use crate::events::record;
use crate::incidents::parse_service;
use crate::{Actor, AppError, Result};

/// A new change as typed into a form or the API.
#[derive(Debug, Clone, Default)]
pub struct NewChange {
    pub title: String,
    pub description: String,
    /// The type when no model is named (then its built-in model); default normal.
    pub change_type: Option<String>,
    pub model_id: Option<i64>,
    pub reason: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub communication_plan: String,
    pub service: Option<String>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub implementer_team: Option<TeamId>,
    pub ci_ids: Vec<CiId>,
    /// Incidents and problems it is linked to (a problem's permanent fix).
    pub ticket_ids: Vec<TicketId>,
    pub tags: Vec<String>,
}

/// Edits; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ChangePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub service: Option<Option<String>>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub team_id: Option<Option<TeamId>>,
    pub assignee_id: Option<Option<UserId>>,
    pub implementer_team: Option<Option<TeamId>>,
    pub reason: Option<String>,
    pub implementation_plan: Option<String>,
    pub backout_plan: Option<String>,
    pub test_plan: Option<String>,
    pub communication_plan: Option<String>,
    pub review: Option<String>,
}

/// A change with everything its page shows.
#[derive(Debug, Clone)]
pub struct ChangeView {
    pub ticket: Ticket,
    pub plan: Plan,
    pub model_name: String,
    pub workflow: Workflow,
    pub reasons: Vec<Reason>,
    pub risk_answers: Vec<(i64, usize)>,
    pub cis: Vec<CiRecord>,
    pub links: Vec<Ticket>,
    pub approvals: Vec<ApprovalLevel>,
    pub verdict: Verdict,
    pub conflicts: Vec<ConflictView>,
    pub review_required: bool,
    pub late: bool,
}

/// One page of changes with their plans.
#[derive(Debug, Clone)]
pub struct ChangeList {
    pub items: Vec<(Ticket, Plan)>,
    pub next: Option<(i64, i64)>,
}

/// A ticket number as typed: one short line (it is looked up, so nothing else reaches SQL).
pub(super) fn ticket_number_text(number: &str) -> Result<&str> {
    let n = number.trim();
    if n.is_empty() || n.len() > 40 || n.chars().any(char::is_control) {
        return Err(AppError::invalid("number", "a ticket number like CHG000042"));
    }
    Ok(n)
}

pub(super) fn is_change(t: &Ticket) -> bool {
    t.kind == TicketKind::Change
}

fn texts(input: &NewChange) -> Result<[String; 5]> {
    Ok([
        plan_text("reason", &input.reason)?,
        plan_text("implementation_plan", &input.implementation_plan)?,
        plan_text("backout_plan", &input.backout_plan)?,
        plan_text("test_plan", &input.test_plan)?,
        plan_text("communication_plan", &input.communication_plan)?,
    ])
}

impl crate::Changes<'_> {
    /// The change, to staff; "not found" for anyone else and for other kinds.
    /// Staff read every change; anyone else only one they are asked to approve (or stand in
    /// for an approver of) — an approver always sees what they approve.
    pub async fn ticket(self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        actor.require(Permission::ReadTickets)?;
        let t = self.store.ticket(id).await?.filter(is_change).ok_or(AppError::NotFound("change"))?;
        if actor.can(Permission::WorkTickets) || self.changes().is_approver(actor, id).await? {
            return Ok(t);
        }
        Err(AppError::NotFound("change"))
    }

    async fn is_approver(self, actor: &Actor, id: TicketId) -> Result<bool> {
        let asked = self.store.change_approvals(id).await?;
        if asked.is_empty() {
            return Ok(false);
        }
        let groups = self.store.approver_groups().await?;
        let mut people = vec![actor.user.id];
        people.extend(self.store.delegations_to(actor.user.id, self.now()).await?.iter().map(|d| d.user_id));
        Ok(asked.iter().any(|a| {
            groups.iter().any(|g| g.id == a.group_id && g.members.iter().any(|m| people.contains(m)))
        }))
    }

    pub(super) async fn plan(self, id: TicketId) -> Result<PlanRecord> {
        self.store
            .change_plan(id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("change {id} has no plan row")))
    }

    pub async fn get(self, actor: &Actor, id: TicketId) -> Result<ChangeView> {
        let ticket = self.changes().ticket(actor, id).await?;
        self.changes().view(ticket).await
    }

    /// Everything the change's page shows (the caller has checked the reader may see it).
    pub(crate) async fn view(self, ticket: Ticket) -> Result<ChangeView> {
        let id = ticket.id;
        let rec = self.changes().plan(id).await?;
        let plan = rec.plan.clone();
        let workflow = self.changes().workflow(plan.model_id, plan.model_version).await?;
        let model_name = self.store.change_model(plan.model_id).await?.map(|m| m.name).unwrap_or_default();
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        let links = self.store.change_links(id).await?;
        let (approvals, verdict) = self.changes().approval_levels(&ticket, &plan).await?;
        let conflicts = self.changes().conflict_views(&ticket, &plan, &cis).await?;
        let late = plan.late(self.now());
        Ok(ChangeView {
            review_required: plan.review_required(),
            reasons: reasons_from_text(&rec.risk_reasons),
            risk_answers: rec.risk_answers,
            ticket,
            plan,
            model_name,
            workflow,
            cis,
            links,
            approvals,
            verdict,
            conflicts,
            late,
        })
    }

    pub async fn by_number(self, actor: &Actor, number: &str) -> Result<Ticket> {
        let found = self.store.ticket_by_number(number).await?.filter(is_change);
        let ticket = found.ok_or(AppError::NotFound("change"))?;
        self.changes().ticket(actor, ticket.id).await
    }

    pub async fn list(self, actor: &Actor, query: &steward_store::TicketQuery) -> Result<ChangeList> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let mut query = query.clone();
        query.kind = TicketKind::Change;
        let page = self.store.list_tickets(&query, steward_store::Visibility::All).await?;
        let ids: Vec<TicketId> = page.items.iter().map(|t| t.id).collect();
        let mut plans = self.store.change_plans(&ids).await?;
        let items = page
            .items
            .into_iter()
            .filter_map(|t| {
                let i = plans.iter().position(|(id, _)| *id == t.id)?;
                Some((t, plans.swap_remove(i).1.plan))
            })
            .collect();
        Ok(ChangeList { items, next: page.next })
    }

    pub async fn create(self, actor: &Actor, input: NewChange) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        self.changes().ensure_models().await?;
        let title = Title::parse(&input.title).map_err(AppError::from)?;
        let description = parse_description("description", &input.description).map_err(AppError::from)?;
        let impact = Impact::new(input.impact.unwrap_or(3)).map_err(AppError::from)?;
        let urgency = Urgency::new(input.urgency.unwrap_or(3)).map_err(AppError::from)?;
        let [reason, implementation_plan, backout_plan, test_plan, communication_plan] = texts(&input)?;
        let models = self.store.change_models().await?;
        let model = match (input.model_id, input.change_type.as_deref()) {
            (Some(id), _) => models
                .into_iter()
                .find(|m| m.id == id && !m.retired)
                .ok_or_else(|| AppError::invalid("model_id", format!("there is no model {id} in use")))?,
            (None, t) => {
                let t = ChangeType::parse(t.unwrap_or("normal")).map_err(AppError::from)?;
                let name = super::builtin_name(t);
                models
                    .into_iter()
                    .filter(|m| m.change_type == t && !m.retired)
                    .min_by_key(|m| (m.name != name, m.id))
                    .ok_or_else(|| AppError::invalid("change_type", format!("no {t} model is in use")))?
            }
        };
        let workflow = self.changes().workflow(model.id, model.version).await?;
        let first = workflow.first();
        let at = self.now();
        let mut ticket = Ticket {
            id: TicketId(0),
            kind: TicketKind::Change,
            number: String::new(),
            title: title.into_string(),
            description,
            requester_id: actor.user.id,
            created_by: Some(actor.user.id),
            category_id: None,
            subcategory_id: None,
            service: parse_service(input.service.as_deref())?,
            impact,
            urgency,
            priority: self.config.priority_matrix.priority(impact, urgency),
            team_id: input.team_id,
            assignee_id: input.assignee_id,
            state: first.phase.state(),
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
        // A change is not routed to the intake queue: it belongs to its assignee's team (or the
        // team named), like an update's assignment.
        self.incidents().check_references(actor, &mut ticket, Some((None, input.team_id))).await?;
        self.changes().check_team(input.implementer_team).await?;
        let cis = self.problems().existing_cis(&input.ci_ids).await?;
        let linked = self.changes().linkable(&input.ticket_ids).await?;
        let plan = Plan {
            change_type: model.change_type,
            model_id: model.id,
            model_version: model.version,
            step: first.key.clone(),
            reason,
            implementation_plan,
            backout_plan,
            test_plan,
            communication_plan,
            window: None,
            implementer_team: input.implementer_team,
            risk_score: None,
            risk_class: None,
            outcome: None,
            started_at: None,
            completed_at: None,
            review: String::new(),
            version: String::new(),
            commit_url: String::new(),
        };
        let mut tx = self.store.begin().await?;
        let (saved, _) = self.changes().insert_change(&mut tx, actor, at, ticket, plan, &cis).await?;
        for t in &linked {
            tx.link_change_ticket(at, saved.id, t.id).await?;
            let event = ChangeEvent::TicketLinked { ticket_id: t.id, number: t.number.clone() };
            record(&mut tx, at, Some(actor), DomainEvent::Change { id: saved.id, event }).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Writes a new change in `tx`: the ticket, its description's HTML, its plan, the opening
    /// event and its CIs. Shared by the form and API and by pipelines' deployments.
    pub(super) async fn insert_change(
        self,
        tx: &mut Tx,
        actor: &Actor,
        at: jiff::Timestamp,
        ticket: Ticket,
        plan: Plan,
        cis: &[CiRecord],
    ) -> Result<(Ticket, PlanRecord)> {
        let saved = tx.insert_tickets(vec![ticket]).await?.pop().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the store returned no ticket for the one inserted"))
        })?;
        if !saved.description.is_empty() {
            tx.set_description_html(saved.id, crate::markdown::to_safe_html(&saved.description));
        }
        let rec = PlanRecord { plan, risk_reasons: String::new(), risk_answers: Vec::new() };
        tx.save_plan(saved.id, &rec, books_calendar(&saved, &rec.plan)).await?;
        let event = ChangeEvent::Opened { ticket: ticket_fields(&saved), plan: plan_fields(&rec.plan) };
        record(tx, at, Some(actor), DomainEvent::Change { id: saved.id, event }).await?;
        for ci in cis {
            if tx.link_ticket_ci(saved.id, ci.id).await? {
                let event = ChangeEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() };
                record(tx, at, Some(actor), DomainEvent::Change { id: saved.id, event }).await?;
            }
        }
        Ok((saved, rec))
    }

    async fn check_team(self, team: Option<TeamId>) -> Result<()> {
        if let Some(t) = team
            && self.store.team(t).await?.is_none()
        {
            return Err(AppError::invalid("implementer_team", format!("there is no team {t}")));
        }
        Ok(())
    }

    /// Incidents and problems that exist, each once.
    async fn linkable(self, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let mut out: Vec<Ticket> = Vec::new();
        for id in ids {
            let t = self.store.ticket(*id).await?.filter(|t| t.kind != TicketKind::Change);
            let t = t.ok_or_else(|| {
                AppError::invalid("ticket_ids", format!("there is no incident or problem {id}"))
            })?;
            if !out.iter().any(|o| o.id == t.id) {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub async fn update(
        self,
        actor: &Actor,
        id: TicketId,
        expected: Option<i64>,
        patch: ChangePatch,
    ) -> Result<Ticket> {
        let current = self.changes().current(actor, id, expected).await?;
        let rec = self.changes().plan(id).await?;
        let mut next = current.clone();
        if let Some(t) = &patch.title {
            next.title = Title::parse(t).map_err(AppError::from)?.into_string();
        }
        if let Some(d) = &patch.description {
            next.description = parse_description("description", d).map_err(AppError::from)?;
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
        let team_requested = patch.team_id.flatten();
        self.incidents().check_references(actor, &mut next, Some((current.team_id, team_requested))).await?;
        let mut plan = rec.plan.clone();
        if let Some(t) = patch.implementer_team {
            self.changes().check_team(t).await?;
            plan.implementer_team = t;
        }
        for (field, value, slot) in [
            ("reason", &patch.reason, &mut plan.reason),
            ("implementation_plan", &patch.implementation_plan, &mut plan.implementation_plan),
            ("backout_plan", &patch.backout_plan, &mut plan.backout_plan),
            ("test_plan", &patch.test_plan, &mut plan.test_plan),
            ("communication_plan", &patch.communication_plan, &mut plan.communication_plan),
            ("review", &patch.review, &mut plan.review),
        ] {
            if let Some(v) = value {
                *slot = plan_text(field, v)?;
            }
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let saved = self.changes().save_ticket(&mut tx, actor, &current, next, ChangeEvent::Updated).await?;
        self.changes().save_plan_in(&mut tx, actor, &saved, &rec, plan).await?;
        let _ = at;
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves the change to step `to` of its model, when what the step it leaves demands is done.
    pub async fn move_to(
        self,
        actor: &Actor,
        id: TicketId,
        expected: Option<i64>,
        to: &str,
    ) -> Result<Ticket> {
        let current = self.changes().current(actor, id, expected).await?;
        self.changes().open(&current)?;
        let rec = self.changes().plan(id).await?;
        let workflow = self.changes().workflow(rec.plan.model_id, rec.plan.model_version).await?;
        let (_, approvals) = self.changes().approval_levels(&current, &rec.plan).await?;
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        let open_conflicts = self
            .changes()
            .conflict_views(&current, &rec.plan, &cis)
            .await?
            .iter()
            .filter(|c| c.accepted.is_none())
            .count();
        let target = check_move(&rec.plan, &workflow, to, Gates { approvals, open_conflicts })
            .map_err(AppError::from)?;
        let target = target.clone();
        let mut tx = self.store.begin().await?;
        let saved = self.changes().step_in(&mut tx, actor, &current, &rec, &target).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Cancels an open change (its calendar place and maintenance go with it).
    pub async fn cancel(self, actor: &Actor, id: TicketId, expected: Option<i64>) -> Result<Ticket> {
        let current = self.changes().current(actor, id, expected).await?;
        self.changes().open(&current)?;
        if current.state == State::Implementation {
            return Err(AppError::invalid(
                "to",
                "a change being implemented completes with an outcome (backed out, failed…)",
            ));
        }
        let rec = self.changes().plan(id).await?;
        let mut next = current.clone();
        next.state = State::Cancelled;
        next.closed_at = Some(self.now());
        let mut tx = self.store.begin().await?;
        let saved = self
            .changes()
            .save_ticket(&mut tx, actor, &current, next, |c| ChangeEvent::Moved {
                ticket: c,
                plan: super::no_changes(),
            })
            .await?;
        tx.save_plan(id, &rec, false).await?;
        self.changes().sync_maintenance(&mut tx, &saved, &rec.plan, false).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub(super) fn open(self, t: &Ticket) -> Result<()> {
        if t.state.is_open() {
            return Ok(());
        }
        Err(AppError::IllegalTransition {
            message: format!("{} is {}: it moves no more", t.number, t.state),
            allowed: Vec::new(),
        })
    }

    /// Moves the change into `target` (its state follows the step's phase); entering an
    /// approval step asks for the approvals its risk requires.
    pub(super) async fn step_in(
        self,
        tx: &mut Tx,
        actor: &Actor,
        current: &Ticket,
        rec: &PlanRecord,
        target: &steward_core::changes::Step,
    ) -> Result<Ticket> {
        let at = self.now();
        let mut next = current.clone();
        next.state = target.phase.state();
        if next.state == State::Closed {
            next.closed_at = Some(at);
        }
        let mut plan = rec.plan.clone();
        plan.step = target.key.clone();
        if target.phase == steward_core::changes::Phase::Implement && plan.started_at.is_none() {
            plan.started_at = Some(at);
        }
        let ticket_c = ticket_changes(current, &next);
        let plan_c = plan_changes(&rec.plan, &plan);
        next.updated_at = at;
        let saved = tx.update_ticket(&next).await?;
        let new_rec = PlanRecord { plan: plan.clone(), ..rec.clone() };
        tx.save_plan(saved.id, &new_rec, books_calendar(&saved, &plan)).await?;
        let empty = super::no_changes;
        let event = ChangeEvent::Moved {
            ticket: ticket_c.unwrap_or_else(empty),
            plan: plan_c.unwrap_or_else(super::no_changes),
        };
        record(tx, at, Some(actor), DomainEvent::Change { id: saved.id, event }).await?;
        if target.phase == steward_core::changes::Phase::Approve {
            self.changes().request_approvals(tx, &saved, &plan).await?;
        }
        if !saved.state.is_open() {
            self.changes().sync_maintenance(tx, &saved, &plan, false).await?;
        }
        Ok(saved)
    }

    /// The change as it stands, if the actor may work it and it is still at `expected`.
    pub(super) async fn current(self, actor: &Actor, id: TicketId, expected: Option<i64>) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let current = self.changes().ticket(actor, id).await?;
        if let Some(v) = expected
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        Ok(current)
    }

    /// Writes `next` over `current` with one event naming the changed ticket fields.
    pub(super) async fn save_ticket(
        self,
        tx: &mut Tx,
        actor: &Actor,
        current: &Ticket,
        mut next: Ticket,
        event: impl FnOnce(steward_core::events::Changes<steward_core::tickets::TicketField>) -> ChangeEvent,
    ) -> Result<Ticket> {
        let Some(changes) = ticket_changes(current, &next) else {
            return Ok(current.clone());
        };
        let at = self.now();
        next.updated_at = at;
        let saved = tx.update_ticket(&next).await?;
        if saved.description != current.description {
            tx.set_description_html(saved.id, crate::markdown::to_safe_html(&saved.description));
        }
        record(tx, at, Some(actor), DomainEvent::Change { id: saved.id, event: event(changes) }).await?;
        Ok(saved)
    }

    /// Writes the plan with one event naming its changed fields (none: nothing is written).
    pub(super) async fn save_plan_in(
        self,
        tx: &mut Tx,
        actor: &Actor,
        ticket: &Ticket,
        rec: &PlanRecord,
        plan: Plan,
    ) -> Result<PlanRecord> {
        let Some(changes) = plan_changes(&rec.plan, &plan) else {
            return Ok(rec.clone());
        };
        let new_rec = PlanRecord { plan, ..rec.clone() };
        tx.save_plan(ticket.id, &new_rec, books_calendar(ticket, &new_rec.plan)).await?;
        record(
            tx,
            self.now(),
            Some(actor),
            DomainEvent::Change { id: ticket.id, event: ChangeEvent::Planned(changes) },
        )
        .await?;
        Ok(new_rec)
    }

    /// Links a CI to a change.
    pub async fn link_ci(self, actor: &Actor, id: TicketId, ci: CiId) -> Result<()> {
        let change = self.changes().current(actor, id, None).await?;
        self.changes().open(&change)?;
        let ci = self.problems().existing_cis(&[ci]).await?.remove(0);
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if tx.link_ticket_ci(id, ci.id).await? {
            let event = ChangeEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() };
            record(&mut tx, at, Some(actor), DomainEvent::Change { id, event }).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_ci(self, actor: &Actor, id: TicketId, ci: CiId) -> Result<()> {
        let change = self.changes().current(actor, id, None).await?;
        self.changes().open(&change)?;
        let record_ci = self.store.ci(ci).await?.ok_or(AppError::NotFound("CI"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.unlink_ticket_ci(id, ci).await? {
            return Err(AppError::NotFound("CI link"));
        }
        let event = ChangeEvent::CiUnlinked { ci_id: ci, ci: record_ci.name };
        record(&mut tx, at, Some(actor), DomainEvent::Change { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links an incident or a problem (by number) to a change.
    pub async fn link_ticket(self, actor: &Actor, id: TicketId, number: &str) -> Result<Ticket> {
        self.changes().current(actor, id, None).await?;
        let number = ticket_number_text(number)?;
        let found = self.store.ticket_by_number(number).await?.filter(|t| t.kind != TicketKind::Change);
        let t =
            found.ok_or_else(|| AppError::invalid("number", format!("no incident or problem {number}")))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if tx.link_change_ticket(at, id, t.id).await? {
            let event = ChangeEvent::TicketLinked { ticket_id: t.id, number: t.number.clone() };
            record(&mut tx, at, Some(actor), DomainEvent::Change { id, event }).await?;
        }
        tx.commit().await?;
        Ok(t)
    }
}
