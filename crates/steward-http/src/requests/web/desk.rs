//! `/requests`: the desk's view of service requests — open tasks of my teams, requests
//! waiting for my approval, and the requests of my teams (every one for admins).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_core::tickets::{Ticket, TicketKind};
use steward_store::{TaskRecord, TicketQuery};

use crate::AppState;
use crate::extract::CurrentActor;
use crate::web::{Page, WebResult, render};

#[derive(Template)]
#[template(path = "requests.html")]
struct ListPage<'a> {
    page: Page<'a>,
    /// (task, its request, the team's name)
    tasks: Vec<(TaskRecord, Ticket, String)>,
    waiting: Vec<(Ticket, i64)>,
    /// (request, requester, team, resolution clock as a badge)
    rows: Vec<(Ticket, String, String, Option<crate::incidents::web::SlaBadge>)>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let requests = state.app.requests();
    let names = state.app.directory().names().await?;
    let team = |t: Option<steward_core::ids::TeamId>| {
        t.and_then(|t| names.teams.get(&t).cloned()).unwrap_or_default()
    };
    let mut q = TicketQuery::new(TicketKind::Request);
    q.descending = true;
    q.limit = 200;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.requests");
    let listed = requests.list(&actor, &q).await?;
    let clocks = state.app.sla().of_incidents(&actor, &listed).await?;
    let rows = listed
        .into_iter()
        .zip(clocks)
        .map(|(t, sla)| {
            let (who, team) = (names.user(Some(t.requester_id)), team(t.team_id));
            let badge = sla.map(|s| crate::incidents::web::sla_badge(&page, &s.resolution));
            (t, who, team, badge)
        })
        .collect();
    // Auditors read every request but hold no tasks.
    let mine = if actor.can(steward_core::identity::Permission::WorkTickets) {
        requests.my_tasks(&actor).await?
    } else {
        Vec::new()
    };
    let tasks = mine
        .into_iter()
        .map(|(task, t)| {
            let name = team(Some(task.team_id));
            (task, t, name)
        })
        .collect();
    Ok(render(&ListPage { page, tasks, waiting: requests.awaiting_me(&actor).await?, rows }))
}
