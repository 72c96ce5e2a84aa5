//! Home pages by role (issue 17): an agent's work (assigned to me, my teams' unassigned, SLAs
//! at risk in the next hours, recently updated), a lead's team load and breaches, and a
//! requester's open tickets with their next step. Each section links to the queue that holds
//! all of it.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use jiff::SignedDuration;
use steward_app::Actor;
use steward_core::identity::{Permission, Role, Team};
use steward_core::ids::TicketId;
use steward_core::tickets::{HoldReason, State as TicketState, Ticket, TicketKind};
use steward_store::{SortField, TicketQuery};

use super::{Page, WebError, WebResult, render, role_key};
use crate::AppState;
use crate::extract::CurrentActor;
use crate::incidents::web::{sla_badge, state_key};

/// The states of work not yet done.
const OPEN: [TicketState; 4] =
    [TicketState::New, TicketState::Assigned, TicketState::InProgress, TicketState::OnHold];
/// How far ahead "at risk" looks.
const AT_RISK: SignedDuration = SignedDuration::from_hours(4);
const ROWS: i64 = 8;

struct Row {
    id: TicketId,
    number: String,
    title: String,
    priority: u8,
    state_key: &'static str,
    /// A catalogue key saying what happens next (requesters) or the SLA badge (agents).
    next_key: Option<&'static str>,
    sla: Option<(&'static str, &'static str, String)>,
}

struct Section {
    id: &'static str,
    title_key: &'static str,
    empty_key: &'static str,
    more: &'static str,
    rows: Vec<Row>,
}

/// A team's load: open, unassigned, breached, and open per member.
struct Load {
    team: String,
    open: usize,
    unassigned: usize,
    breached: usize,
    members: Vec<(String, usize)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    page: Page<'a>,
    role_key: &'static str,
    teams: Vec<Team>,
    sections: Vec<Section>,
    load: Vec<Load>,
    can_raise: bool,
    /// Automation over the last 30 days: runs finished, success rate, time saved, runs waiting
    /// for approval — for those who run runbooks.
    automation: Option<(i64, String, String, i64)>,
}

fn query(f: impl FnOnce(&mut TicketQuery)) -> TicketQuery {
    let mut q = TicketQuery::new(TicketKind::Incident);
    q.states = OPEN.to_vec();
    q.sort = SortField::Priority;
    q.limit = ROWS;
    f(&mut q);
    q
}

/// What a requester does next, or waits for.
fn next_step(t: &Ticket) -> &'static str {
    match (t.state, t.hold_reason) {
        (TicketState::OnHold, Some(HoldReason::AwaitingCustomer)) => "home.next.reply",
        (TicketState::Resolved, _) => "home.next.confirm",
        (TicketState::New, _) => "home.next.triage",
        _ => "home.next.working",
    }
}

async fn rows(
    state: &AppState,
    actor: &Actor,
    page: &Page<'_>,
    tickets: &[Ticket],
) -> Result<Vec<Row>, WebError> {
    let clocks = state.app.sla().of_incidents(actor, tickets).await?;
    let agent = actor.can(Permission::WorkTickets);
    Ok(tickets
        .iter()
        .zip(clocks)
        .map(|(t, clock)| Row {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            priority: t.priority.get(),
            state_key: state_key(t.state),
            next_key: (!agent).then(|| next_step(t)),
            sla: clock.filter(|_| agent).map(|c| sla_badge(page, &c.resolution)),
        })
        .collect())
}

pub async fn home(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let teams = state.app.directory().teams_of(actor.user.id).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "home.title");
    let incidents = state.app.incidents();
    let me = actor.user.id;
    let mut sections = Vec::new();
    let mut load = Vec::new();
    if actor.can(Permission::WorkTickets) {
        let mine = incidents.list(&actor, &query(|q| q.assignee_id = Some(Some(me)))).await?.items;
        let unassigned = incidents
            .list(&actor, &query(|q| (q.teams_of, q.assignee_id) = (Some(me), Some(None))))
            .await?
            .items;
        // At risk: my and my teams' open tickets whose resolution is due within the hours ahead.
        let mut scope =
            incidents.list(&actor, &query(|q| (q.teams_of, q.limit) = (Some(me), 200))).await?.items;
        scope.extend(
            incidents.list(&actor, &query(|q| (q.assignee_id, q.limit) = (Some(Some(me)), 200))).await?.items,
        );
        scope.sort_by_key(|t| t.id);
        scope.dedup_by_key(|t| t.id);
        let horizon = state.app.now().saturating_add(AT_RISK).unwrap_or(state.app.now());
        let clocks = state.app.sla().of_incidents(&actor, &scope).await?;
        let mut risky: Vec<(jiff::Timestamp, Ticket)> = scope
            .iter()
            .zip(&clocks)
            .filter_map(|(t, c)| {
                let r = &c.as_ref()?.resolution;
                let due = r.breached_at.or(r.due)?;
                (due <= horizon && r.phase != steward_core::sla::Phase::Stopped).then(|| (due, t.clone()))
            })
            .collect();
        risky.sort_by_key(|(due, _)| *due);
        let risky: Vec<Ticket> = risky.into_iter().take(ROWS as usize).map(|(_, t)| t).collect();
        let recent = incidents
            .list(
                &actor,
                &query(|q| {
                    (q.teams_of, q.sort, q.descending, q.states) =
                        (Some(me), SortField::Updated, true, Vec::new())
                }),
            )
            .await?
            .items;
        for (id, title_key, empty_key, more, list) in [
            ("home-mine", "home.mine", "home.mine_none", "/incidents?assignee=me", mine),
            (
                "home-unassigned",
                "home.unassigned",
                "home.unassigned_none",
                "/incidents?team=mine&assignee=none",
                unassigned,
            ),
            (
                "home-at-risk",
                "home.at_risk",
                "home.at_risk_none",
                "/incidents?team=mine&sort=priority",
                risky,
            ),
            ("home-recent", "home.recent", "home.recent_none", "/incidents?team=mine&sort=-updated", recent),
        ] {
            sections.push(Section {
                id,
                title_key,
                empty_key,
                more,
                rows: rows(&state, &actor, &page, &list).await?,
            });
        }
        if matches!(actor.user.role, Role::TeamLead | Role::Admin) {
            let all = state.app.directory().list_teams(&actor).await?;
            for team in all.iter().filter(|t| teams.iter().any(|m| m.id == t.team.id)) {
                let open = incidents
                    .list(&actor, &query(|q| (q.team_id, q.limit) = (Some(Some(team.team.id)), 500)))
                    .await?
                    .items;
                let clocks = state.app.sla().of_incidents(&actor, &open).await?;
                load.push(Load {
                    team: team.team.name.to_string(),
                    open: open.len(),
                    unassigned: open.iter().filter(|t| t.assignee_id.is_none()).count(),
                    breached: clocks.iter().flatten().filter(|c| c.resolution.breached_at.is_some()).count(),
                    members: team
                        .members
                        .iter()
                        .map(|u| {
                            (
                                u.display_name.clone(),
                                open.iter().filter(|t| t.assignee_id == Some(u.id)).count(),
                            )
                        })
                        .collect(),
                });
            }
        }
    } else if actor.can(Permission::RaiseTickets) {
        let mut states = OPEN.to_vec();
        states.push(TicketState::Resolved);
        let mine = incidents
            .list(
                &actor,
                &query(|q| {
                    (q.requester_id, q.states, q.sort, q.descending) =
                        (Some(me), states, SortField::Updated, true)
                }),
            )
            .await?
            .items;
        let rows = rows(&state, &actor, &page, &mine).await?;
        sections.push(Section {
            id: "home-my-tickets",
            title_key: "home.my_tickets",
            empty_key: "home.my_tickets_none",
            more: "/incidents?requester=me",
            rows,
        });
    }
    let automation = if actor.can(Permission::RunRunbooks) {
        let r = state.app.runbooks().report(&actor, 30).await?;
        let waiting = r.by_state.iter().find(|(s, _)| s == "awaiting_approval").map_or(0, |(_, n)| *n);
        let rate = r.success_rate().map_or_else(|| "—".to_owned(), |p| format!("{p:.1} %"));
        Some((r.runs, rate, crate::web::duration_text(page.t, r.minutes_saved), waiting))
    } else {
        None
    };
    Ok(render(&HomePage {
        role_key: role_key(actor.user.role),
        teams,
        sections,
        load,
        can_raise: actor.can(Permission::RaiseTickets),
        automation,
        page,
    }))
}
