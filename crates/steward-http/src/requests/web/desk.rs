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
    /// (request, requester, team)
    rows: Vec<(Ticket, String, String)>,
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
    let rows = requests
        .list(&actor, &q)
        .await?
        .into_iter()
        .map(|t| {
            let (who, team) = (names.user(Some(t.requester_id)), team(t.team_id));
            (t, who, team)
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
    let page = Page::new(&state, &actor, &headers, &uri, "nav.requests");
    Ok(render(&ListPage { page, tasks, waiting: requests.awaiting_me(&actor).await?, rows }))
}
