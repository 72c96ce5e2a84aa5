//! A request's page — its answers, approvals (with the approver's buttons), tasks (with the
//! team's "done"), conversation and what may be done next — in the portal's layout for the
//! requester and approvers, the desk's for staff; and the forms it posts.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::requests::RequestView;
use steward_core::changes::{Decision, Verdict};
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::requests::TaskState;
use steward_core::tickets::{State as TicketState, TicketAccess};

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::incidents::web::state_key;
use crate::web::{Page, WebForm, WebResult, form_error, render};

pub struct TaskRow {
    id: i64,
    stage: i64,
    name: String,
    team: String,
    state_key: &'static str,
    note: String,
    /// Who did it and when, once done.
    done: Option<String>,
    /// Whether the reader's team does it now.
    mine: bool,
}

macro_rules! request_page {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            page: Page<'a>,
            v: RequestView,
            item_name: String,
            requester: String,
            state_key: &'static str,
            /// (level, who decides, verdict key)
            levels: Vec<(i64, String, &'static str)>,
            /// (who, decision key, comment, when)
            decisions: Vec<(String, &'static str, String, jiff::Timestamp)>,
            tasks: Vec<TaskRow>,
            works: bool,
            can_reply: bool,
            can_cancel: bool,
            can_close: bool,
            can_resolve: bool,
            sla: Vec<crate::incidents::web::SlaRow>,
            sla_source: String,
            /// Levels the desk may put to someone else (pending, nobody decided), with the
            /// people and groups to choose from.
            reroutable: Vec<i64>,
            people: Vec<(steward_core::ids::UserId, String)>,
            groups: Vec<(i64, String)>,
        }
    };
}

request_page!(DeskPage, "request.html");
request_page!(PortalPage, "portal_request.html");

pub fn verdict_key(v: Verdict) -> &'static str {
    match v {
        Verdict::Pending => "req.pending",
        Verdict::Approved => "req.approved",
        Verdict::Rejected => "req.rejected",
    }
}

fn task_key(s: TaskState) -> &'static str {
    match s {
        TaskState::Waiting => "req.task_waiting",
        TaskState::Open => "req.task_open",
        TaskState::Done => "req.task_done",
        TaskState::Cancelled => "req.task_cancelled",
    }
}

/// `GET /requests/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let v = state.app.requests().get(&actor, id).await?;
    let names = state.app.directory().names().await?;
    let groups = state.app.store().approver_groups().await.map_err(AppError::from)?;
    let my_teams: Vec<_> = state
        .app
        .store()
        .teams_of(actor.user.id)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let admin = actor.user.role == steward_core::identity::Role::Admin;
    let mut page = Page::new(&state, &actor, &headers, &uri, "req.title");
    let zh = page.lang_is_zh();
    let item_name = match (&v.item_name_zh, zh) {
        (Some(z), true) => z.clone(),
        _ => v.item_name.clone(),
    };
    page.title = format!("{} {}", v.ticket.number, item_name);
    let levels = v
        .levels
        .iter()
        .map(|l| {
            let who = match (l.manager_id, l.group_id) {
                (Some(m), _) => format!("{} ({})", names.user(Some(m)), page.t.get("req.manager")),
                (_, Some(g)) => {
                    groups.iter().find(|x| x.id == g).map_or_else(String::new, |x| x.name.clone())
                }
                _ => String::new(),
            };
            (l.level, who, verdict_key(l.verdict))
        })
        .collect();
    let decisions = v
        .decisions
        .iter()
        .map(|d| {
            let key = if d.decision == Decision::Approve { "req.approved" } else { "req.rejected" };
            (names.user(Some(d.user_id)), key, d.comment.clone(), d.decided_at)
        })
        .collect();
    let works = v.access == TicketAccess::Work;
    let tasks = v
        .tasks
        .iter()
        .map(|t| TaskRow {
            id: t.id,
            stage: t.stage,
            name: t.name.clone(),
            team: names.teams.get(&t.team_id).cloned().unwrap_or_default(),
            state_key: task_key(t.state),
            note: t.note.clone(),
            done: t.done_by.map(|u| names.user(Some(u))),
            mine: t.state == TaskState::Open
                && actor.can(Permission::WorkTickets)
                && (admin || my_teams.contains(&t.team_id)),
        })
        .collect();
    let own = v.ticket.requester_id == actor.user.id;
    let read_only = v.access == TicketAccess::ReadOnly;
    let open = v.ticket.state.is_open();
    let can_cancel = !read_only && (own || works) && open;
    let can_close = !read_only && (own || works) && v.ticket.state == TicketState::Resolved;
    let can_resolve = works && v.tasks.is_empty() && v.ticket.state == TicketState::InProgress;
    let requester = names.user(Some(v.ticket.requester_id));
    let state_key = state_key(v.ticket.state);
    let can_reply = !read_only && actor.can(Permission::RaiseTickets);
    let reroutable: Vec<i64> = if works && v.ticket.state == TicketState::Authorization {
        v.levels
            .iter()
            .filter(|l| l.verdict == Verdict::Pending && !v.decisions.iter().any(|d| d.level == l.level))
            .map(|l| l.level)
            .collect()
    } else {
        Vec::new()
    };
    let (people, groups) = if reroutable.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let mut people: Vec<_> = names
            .users
            .iter()
            .filter(|(u, _)| **u != v.ticket.requester_id)
            .map(|(u, (name, display))| (*u, format!("{display} ({name})")))
            .collect();
        people.sort_by(|a, b| a.1.cmp(&b.1));
        (people, groups.iter().map(|g| (g.id, g.name.clone())).collect())
    };
    let clocks = state.app.sla().of_request(&actor, id).await?;
    let (sla, sla_source) = crate::incidents::web::sla_rows(&page, clocks.as_ref());
    if actor.can(Permission::WorkTickets) || actor.can(Permission::ReadAudit) {
        Ok(render(&DeskPage {
            page,
            v,
            item_name,
            requester,
            state_key,
            levels,
            decisions,
            tasks,
            works,
            can_reply,
            can_cancel,
            can_close,
            can_resolve,
            sla,
            sla_source,
            reroutable,
            people,
            groups,
        }))
    } else {
        Ok(render(&PortalPage {
            page,
            v,
            item_name,
            requester,
            state_key,
            levels,
            decisions,
            tasks,
            works,
            can_reply,
            can_cancel,
            can_close,
            can_resolve,
            sla,
            sla_source,
            reroutable,
            people,
            groups,
        }))
    }
}

fn back(id: TicketId, notice: &str) -> WebResult {
    Ok(Redirect::to(&format!("/requests/{id}?notice={notice}")).into_response())
}

fn or_back(id: TicketId, result: Result<impl Sized, AppError>, notice: &str) -> WebResult {
    match result {
        Ok(_) => back(id, notice),
        Err(e) => form_error(e, &format!("/requests/{id}")),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

/// `POST /requests/{id}/decision`.
pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<DecisionForm>,
) -> WebResult {
    let decision = Decision::parse(&f.decision).map_err(AppError::from)?;
    or_back(id, state.app.requests().decide(&actor, id, decision, &f.comment).await, "decided")
}

#[derive(Deserialize)]
pub struct RerouteForm {
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    group_id: String,
}

/// `POST /requests/{id}/levels/{level}/approver`: a person or a group, whichever is chosen.
pub async fn reroute(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, level)): ApiPath<(TicketId, i64)>,
    WebForm(f): WebForm<RerouteForm>,
) -> WebResult {
    use steward_app::requests::NewApprover;
    let person = crate::incidents::web::opt_id("manager_id", &f.manager_id)?;
    let group = crate::incidents::web::opt_id("group_id", &f.group_id)?;
    let to = match (person, group) {
        (Some(u), None) => NewApprover::Person(u),
        (None, Some(g)) => NewApprover::Group(g),
        _ => {
            return form_error(
                AppError::invalid("manager_id", "choose a person or a group"),
                &format!("/requests/{id}"),
            );
        }
    };
    or_back(id, state.app.requests().reroute(&actor, id, level, to).await, "rerouted")
}

#[derive(Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    note: String,
}

/// `POST /requests/{id}/tasks/{task}/done`.
pub async fn task_done(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, task)): ApiPath<(TicketId, i64)>,
    WebForm(f): WebForm<TaskForm>,
) -> WebResult {
    or_back(id, state.app.requests().complete_task(&actor, id, task, &f.note).await, "saved")
}

#[derive(Deserialize)]
pub struct MoveForm {
    to: String,
    #[serde(default)]
    resolution_note: Option<String>,
}

/// `POST /requests/{id}/transition`.
pub async fn transition(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<MoveForm>,
) -> WebResult {
    let to = TicketState::parse(&f.to).map_err(AppError::from)?;
    let done = state.app.requests().transition(&actor, id, to, f.resolution_note.as_deref()).await;
    or_back(id, done, "saved")
}

#[derive(Deserialize)]
pub struct ReplyForm {
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

/// `POST /requests/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<ReplyForm>,
) -> WebResult {
    let internal = f.internal.is_some_and(|v| v == "true");
    or_back(id, state.app.requests().comment(&actor, id, &f.body, internal).await, "sent")
}
