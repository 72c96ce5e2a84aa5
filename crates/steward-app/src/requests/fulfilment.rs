//! Fulfilment: approvers decide the current level (a manager alone; a group by its rule), a
//! rejection ends the request, the last approval opens the first stage of tasks; a team marks
//! its task done, the next stage opens when a stage is done, and the last task fulfils the
//! request. The requester or the desk may cancel an open request and close a fulfilled one.
//! Each step locks the request's ticket row first, so two deciders at once never both miss —
//! or both take — the last decision.

use jiff::Timestamp;
use steward_core::changes::{Decision, GroupRule, Verdict};
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::requests::{Progress, RequestEvent, TaskState, manager_verdict, progress};
use steward_core::tickets::{
    ResolutionCode, State, Ticket, TicketAccess, TicketField, parse_description, ticket_changes,
};
use steward_store::{RequestDecision, Tx};

use super::RequestView;
use super::mail::Outcome;
use crate::events::TicketChange;
use crate::secrets::secret_hash;
use crate::{Actor, AppError, Result};

/// What a request's mailed approval link opens.
#[derive(Debug, Clone)]
pub struct RequestLink {
    pub view: RequestView,
    /// The approver's user name.
    pub approver: String,
    pub level: i64,
}

impl crate::Requests<'_> {
    /// Records the actor's decision on the level waiting for them.
    pub async fn decide(
        self,
        actor: &Actor,
        id: TicketId,
        decision: Decision,
        comment: &str,
    ) -> Result<Ticket> {
        self.requests().decide_with(actor, id, decision, comment, None).await
    }

    /// A mailed approval link of a request that still works: the request as its approver sees
    /// it, and who that is. A link whose level is no longer the approver's to decide says so.
    pub async fn link(self, token: &str) -> Result<RequestLink> {
        let (link, actor) = self.changes().open_link(token).await?;
        let view = self.requests().get(&actor, link.change_id).await?;
        if view.my_level != Some(link.level) {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this request no longer waits for this approval".into(),
            });
        }
        Ok(RequestLink { view, approver: actor.user.username.as_str().to_owned(), level: link.level })
    }

    /// Decides through a mailed link, once (the link is used in the deciding transaction).
    pub async fn decide_by_link(self, token: &str, decision: Decision, comment: &str) -> Result<Ticket> {
        let found = self.requests().link(token).await?;
        let (_, actor) = self.changes().open_link(token).await?;
        let hash = secret_hash(token.trim());
        let id = found.view.ticket.id;
        self.requests().decide_with(&actor, id, decision, comment, Some((found.level, &hash))).await
    }

    /// [`Self::decide`], optionally through a link (its level and hash), which must be unused.
    async fn decide_with(
        self,
        actor: &Actor,
        id: TicketId,
        decision: Decision,
        comment: &str,
        link: Option<(i64, &str)>,
    ) -> Result<Ticket> {
        actor.require(Permission::RaiseTickets)?;
        let comment = parse_description("comment", comment.trim()).map_err(AppError::from)?;
        let comment = comment.as_str();
        if comment.chars().count() > 2000 {
            return Err(AppError::invalid("comment", "at most 2,000 characters"));
        }
        if decision == Decision::Reject && comment.is_empty() {
            return Err(AppError::invalid("comment", "say why the request is rejected"));
        }
        let view = self.requests().get(actor, id).await?;
        let Some(level) = view.my_level else {
            return Err(AppError::Forbidden("this request is not waiting for your approval".into()));
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
        // What was read before the lock may be stale: the level must still be the current one.
        let levels = tx.request_levels_in(id).await?;
        let current_now = levels.iter().find(|l| l.verdict == Verdict::Pending && l.requested_at.is_some());
        if current_now.map(|l| l.level) != Some(level) || link.is_some_and(|(l, _)| l != level) {
            return Err(AppError::Conflict {
                field: None,
                message: "this approval level was decided meanwhile".into(),
            });
        }
        if let Some((_, hash)) = link
            && !tx.use_approval_link(at, hash).await?
        {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this approval link was used already".into(),
            });
        }
        let d = RequestDecision {
            level,
            user_id: actor.user.id,
            decision,
            comment: comment.to_owned(),
            decided_at: at,
        };
        match tx.insert_request_decision(id, &d).await {
            Err(steward_store::StoreError::Duplicate { .. }) => {
                return Err(AppError::Conflict {
                    field: None,
                    message: "you already decided this request".into(),
                });
            }
            other => other?,
        }
        let event =
            RequestEvent::Decided { level, user_id: actor.user.id, decision, comment: comment.to_owned() };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        let decided = tx.request_decisions_in(id, level).await?;
        let approvals = decided.iter().filter(|(_, d)| *d == Decision::Approve).count();
        let rejections = decided.len() - approvals;
        let current = levels.iter().find(|l| l.level == level).ok_or(AppError::NotFound("level"))?;
        let verdict = match current.group_id {
            None => manager_verdict(approvals, rejections),
            Some(g) => {
                let group = self.store.approver_groups().await?.into_iter().find(|x| x.id == g);
                let (rule, members) = match &group {
                    // The requester never counts among their own approvers.
                    Some(x) => (x.rule, x.members.iter().filter(|m| **m != ticket.requester_id).count()),
                    None => (GroupRule { rule: steward_core::changes::ApprovalRule::Any, quorum: 1 }, 1),
                };
                rule.verdict(members, approvals, rejections)
            }
        };
        let mut saved = ticket.clone();
        match verdict {
            Verdict::Pending => {}
            Verdict::Rejected => {
                tx.set_request_level(id, level, Verdict::Rejected, current.requested_at).await?;
                let mut next = ticket.clone();
                next.state = State::Rejected;
                next.closed_at = Some(at);
                saved = self.requests().save(&mut tx, actor, &ticket, next, at).await?;
                self.requests().cancel_tasks(&mut tx, id, at).await?;
                self.requests().tell_requester(&mut tx, &saved, Outcome::Rejected, comment).await?;
            }
            Verdict::Approved => {
                tx.set_request_level(id, level, Verdict::Approved, current.requested_at).await?;
                match levels.iter().find(|l| l.level > level) {
                    Some(next_level) => {
                        tx.set_request_level(id, next_level.level, Verdict::Pending, Some(at)).await?;
                        let (m, g) = (next_level.manager_id, next_level.group_id);
                        self.requests().tell_approvers(&mut tx, &ticket, next_level.level, m, g).await?;
                    }
                    None => {
                        let mut next = ticket.clone();
                        next.state = State::InProgress;
                        saved = self.requests().save(&mut tx, actor, &ticket, next, at).await?;
                        saved = self.requests().open_next_stage(&mut tx, actor, &saved, at).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Marks an open task done (by a member of its team, or an admin) and moves the request on.
    pub async fn complete_task(
        self,
        actor: &Actor,
        id: TicketId,
        task_id: i64,
        note: &str,
    ) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let note = parse_description("note", note.trim()).map_err(AppError::from)?;
        let note = note.as_str();
        if note.chars().count() > 2000 {
            return Err(AppError::invalid("note", "at most 2,000 characters"));
        }
        let view = self.requests().get(actor, id).await?;
        let task = view.tasks.iter().find(|t| t.id == task_id).ok_or(AppError::NotFound("task"))?;
        let teams: Vec<_> = self.store.teams_of(actor.user.id).await?.into_iter().map(|t| t.id).collect();
        if actor.user.role != steward_core::identity::Role::Admin && !teams.contains(&task.team_id) {
            return Err(AppError::Forbidden("only the task's team marks it done".into()));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let ticket = tx.lock_ticket(id).await?.ok_or(AppError::NotFound("request"))?;
        if !tx
            .move_request_task(task_id, TaskState::Open, TaskState::Done, note, at, Some(actor.user.id))
            .await?
        {
            return Err(AppError::Conflict {
                field: None,
                message: "the task is not open (done already, or not yet started)".into(),
            });
        }
        let event = RequestEvent::TaskDone { task_id, name: task.name.clone(), note: note.to_owned() };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        let saved = self.requests().open_next_stage(&mut tx, actor, &ticket, at).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Opens the next stage's tasks when none is open; fulfils the request when every task is
    /// done (a plan without tasks waits for the desk to resolve it).
    pub(super) async fn open_next_stage(
        self,
        tx: &mut Tx,
        actor: &Actor,
        ticket: &Ticket,
        at: Timestamp,
    ) -> Result<Ticket> {
        let tasks = tx.request_tasks_in(ticket.id).await?;
        if tasks.is_empty() {
            return Ok(ticket.clone());
        }
        let states: Vec<_> = tasks.iter().map(|t| (t.stage, t.state)).collect();
        match progress(&states) {
            Progress::Working => Ok(ticket.clone()),
            Progress::Open(stage) => {
                for t in tasks.iter().filter(|t| t.stage == stage && t.state == TaskState::Waiting) {
                    tx.move_request_task(t.id, TaskState::Waiting, TaskState::Open, "", at, None).await?;
                    let event =
                        RequestEvent::TaskOpened { task_id: t.id, name: t.name.clone(), team_id: t.team_id };
                    self.record_ticket_event(tx, TicketChange::on(ticket, at, Some(actor), event)).await?;
                }
                Ok(ticket.clone())
            }
            Progress::Fulfilled => {
                let mut next = ticket.clone();
                next.state = State::Resolved;
                next.resolution_code = Some(ResolutionCode::Fixed);
                next.resolution_note = Some("Every fulfilment task is done.".into());
                next.resolved_at = Some(at);
                let saved = self.requests().save(tx, actor, ticket, next, at).await?;
                self.requests().tell_requester(tx, &saved, Outcome::Fulfilled, "").await?;
                Ok(saved)
            }
        }
    }

    async fn cancel_tasks(self, tx: &mut Tx, id: TicketId, at: Timestamp) -> Result<()> {
        for t in tx.request_tasks_in(id).await? {
            if matches!(t.state, TaskState::Waiting | TaskState::Open) {
                tx.move_request_task(t.id, t.state, TaskState::Cancelled, "", at, None).await?;
            }
        }
        Ok(())
    }

    /// Moves a request by hand: `cancelled` (its requester or the desk, while open), `closed`
    /// (once fulfilled), `resolved` (the desk, for a plan without tasks; with a note).
    pub async fn transition(
        self,
        actor: &Actor,
        id: TicketId,
        to: State,
        note: Option<&str>,
    ) -> Result<Ticket> {
        actor.require(Permission::RaiseTickets)?;
        let view = self.requests().get(actor, id).await?;
        let works = view.access == TicketAccess::Work;
        let own = view.ticket.requester_id == actor.user.id;
        if !(works || own) || view.access == TicketAccess::ReadOnly {
            return Err(AppError::Forbidden("only the requester or the service desk moves a request".into()));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let ticket = tx.lock_ticket(id).await?.ok_or(AppError::NotFound("request"))?;
        let allowed = ticket.state.allowed(ticket.kind);
        let by_hand = match to {
            State::Cancelled | State::Closed => true,
            State::Resolved => works && view.tasks.is_empty(),
            _ => false,
        };
        if !by_hand || !allowed.contains(&to) {
            return Err(AppError::IllegalTransition {
                message: format!("a request in {} cannot be moved to {to} by hand", ticket.state),
                allowed: allowed
                    .iter()
                    .filter(|s| matches!(s, State::Cancelled | State::Closed))
                    .map(|s| s.as_str())
                    .collect(),
            });
        }
        let mut next = ticket.clone();
        next.state = to;
        match to {
            State::Resolved => {
                let note = note.map(str::trim).unwrap_or_default();
                if note.is_empty() {
                    return Err(AppError::invalid("resolution_note", "say how the request was fulfilled"));
                }
                next.resolution_note =
                    Some(parse_description("resolution_note", note).map_err(AppError::from)?);
                next.resolution_code = Some(ResolutionCode::Fixed);
                next.resolved_at = Some(at);
            }
            State::Cancelled | State::Closed => next.closed_at = Some(at),
            _ => {}
        }
        let saved = self.requests().save(&mut tx, actor, &ticket, next, at).await?;
        if to == State::Cancelled {
            self.requests().cancel_tasks(&mut tx, id, at).await?;
        }
        if to == State::Resolved {
            self.requests().tell_requester(&mut tx, &saved, Outcome::Fulfilled, "").await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// A reply (or, from the desk, a work note) on the request.
    pub async fn comment(self, actor: &Actor, id: TicketId, body: &str, internal: bool) -> Result<i64> {
        actor.require(Permission::RaiseTickets)?;
        let view = self.requests().get(actor, id).await?;
        if internal && view.access != TicketAccess::Work {
            return Err(AppError::Forbidden("work notes are the service desk's".into()));
        }
        if view.access == TicketAccess::ReadOnly {
            return Err(AppError::Forbidden("auditors read requests but do not write on them".into()));
        }
        let body = parse_description("body", body).map_err(AppError::from)?;
        if body.trim().is_empty() {
            return Err(AppError::invalid("body", "write something"));
        }
        let at = self.now();
        let new = steward_store::NewComment {
            ticket_id: id,
            author_id: actor.user.id,
            body_html: crate::markdown::to_safe_html(&body),
            body,
            internal,
            mentions: Vec::new(),
        };
        let mut tx = self.store.begin().await?;
        let comment_id = tx.insert_comment(at, &new).await?;
        let event = RequestEvent::Commented { comment_id, internal };
        self.record_ticket_event(&mut tx, TicketChange::on(&view.ticket, at, Some(actor), event)).await?;
        tx.commit().await?;
        Ok(comment_id)
    }

    /// Writes `next` over `current` (inside `tx`) with one event naming the changed fields.
    async fn save(
        self,
        tx: &mut Tx,
        actor: &Actor,
        current: &Ticket,
        mut next: Ticket,
        at: Timestamp,
    ) -> Result<Ticket> {
        let Some(changes) = ticket_changes(current, &next) else {
            return Ok(current.clone());
        };
        next.updated_at = at;
        let saved = tx.update_ticket(&next).await?;
        let moved = changes.after.get(TicketField::State).is_some();
        let event = if moved { RequestEvent::Transitioned(changes) } else { RequestEvent::Updated(changes) };
        self.record_ticket_event(tx, TicketChange::moved(Some(current), &saved, at, Some(actor), event))
            .await?;
        Ok(saved)
    }
}
