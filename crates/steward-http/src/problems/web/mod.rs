//! The problem pages: the list, the form (also reached from the incident queue's bulk bar with
//! the ticked incidents), the known-error database, and the problem box on an incident's page.
//! The problem's own page is `detail.rs`.

mod detail;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::problems::{KnownError, NewProblem};
use steward_app::{Actor, AppError};
use steward_core::ids::{CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{Ticket, TicketKind};

pub use detail::{analyse, detail, link_incidents, resolve_incidents, transition, unlink_incident};

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::incidents::web::{LEVELS, opt_id, state_key};
use crate::ticket_query;
use axum::response::{IntoResponse, Redirect};

use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender};

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage<'a> {
    page: Page<'a>,
    rows: Vec<(Ticket, i64)>,
    teams: HashMap<TeamId, String>,
    states: Vec<(&'static str, &'static str)>,
    chosen: String,
    q: String,
}

/// `GET /problems?state=…&q=…`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let mut query = ticket_query::parse_form(TicketKind::Problem, uri.query(), actor.user.id)
        .map_err(crate::web::WebError)?;
    query.limit = 200;
    let found = state.app.problems().list(&actor, &query).await?;
    let names = state.app.directory().names().await?;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.problems");
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let states = steward_core::tickets::State::of(TicketKind::Problem)
        .iter()
        .map(|s| (s.as_str(), state_key(*s)))
        .collect();
    Ok(render(&ListPage {
        page,
        rows: found.items,
        teams: names.teams.into_iter().collect(),
        states,
        chosen: param("state"),
        q: param("q"),
    }))
}

/// What the new-problem form holds.
#[derive(Default, serde::Deserialize)]
pub struct NewForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    /// Incident numbers, separated by commas or spaces.
    #[serde(default)]
    incidents: String,
    /// CI names, separated by commas.
    #[serde(default)]
    cis: String,
}

#[derive(Template)]
#[template(path = "problem_new.html")]
struct NewPage<'a> {
    page: Page<'a>,
    typed: NewForm,
    levels: [(i64, &'static str); 3],
    teams: Vec<(TeamId, String)>,
    assignable: Vec<(UserId, String)>,
}

/// The new-problem form; after a refused save (`error`) with what was typed and status 422.
async fn new_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: NewForm,
    error: Option<AppError>,
) -> WebResult {
    actor.require(steward_core::identity::Permission::WorkTickets)?;
    let names = state.app.directory().names().await?;
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let mut page = Page::new(state, actor, headers, uri, "problems.new");
    let failed = rerender(&mut page, error)?;
    answer(render(&NewPage { page, typed, levels: LEVELS, teams, assignable: names.assignable }), failed)
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    new_page(&state, &actor, &headers, &uri, NewForm::default(), None).await
}

/// `POST /problems/draft` from the incident queue's bulk bar: the form, filled from the ticked
/// incidents (`ids`, repeated).
pub async fn draft(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let mut numbers = Vec::new();
    let mut first: Option<Ticket> = None;
    for id in form.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse::<TicketId>().ok()) {
        if let Ok(view) = state.app.incidents().get(&actor, id).await {
            numbers.push(view.ticket.number.clone());
            first.get_or_insert(view.ticket);
        }
    }
    let typed = NewForm {
        title: first.as_ref().map(|t| t.title.clone()).unwrap_or_default(),
        service: first.as_ref().and_then(|t| t.service.clone()).unwrap_or_default(),
        incidents: numbers.join(", "),
        ..NewForm::default()
    };
    new_page(&state, &actor, &headers, &uri, typed, None).await
}

/// Incidents by number (`INC000042`, or the bare id), as the forms take them.
pub(super) async fn incidents_named(state: &AppState, text: &str) -> Result<Vec<TicketId>, AppError> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).take(500) {
        let found = match word.parse::<i64>() {
            Ok(id) => state.app.store().ticket(TicketId(id)).await?,
            Err(_) => state.app.store().ticket_by_number(&word.to_uppercase()).await?,
        };
        match found.filter(|t| t.kind == TicketKind::Incident) {
            Some(t) => out.push(t.id),
            None => return Err(AppError::invalid("incident_ids", format!("no incident {word}"))),
        }
    }
    Ok(out)
}

async fn cis_named(state: &AppState, text: &str) -> Result<Vec<CiId>, AppError> {
    let names: Vec<String> =
        text.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).take(500).collect();
    let found = state.app.store().cis_named(&names).await?;
    names
        .iter()
        .map(|n| {
            found
                .get(n)
                .copied()
                .ok_or_else(|| AppError::invalid("ci_ids", format!("no configuration item `{n}`")))
        })
        .collect()
}

fn level(field: &'static str, text: &str) -> Result<Option<i64>, AppError> {
    opt_id::<i64>(field, text)
}

/// `POST /problems`: opens the problem and shows it; a refusal shows the form again.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<NewForm>,
) -> WebResult {
    let result = async {
        let input = NewProblem {
            title: f.title.clone(),
            description: f.description.clone(),
            category_id: None,
            service: Some(f.service.clone()),
            impact: level("impact", &f.impact)?,
            urgency: level("urgency", &f.urgency)?,
            team_id: opt_id("team_id", &f.team_id)?,
            assignee_id: opt_id("assignee_id", &f.assignee_id)?,
            tags: Vec::new(),
            incident_ids: incidents_named(&state, &f.incidents).await?,
            ci_ids: cis_named(&state, &f.cis).await?,
        };
        state.app.problems().create(&actor, input).await
    }
    .await;
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/problems/{}", t.id)).into_response()),
        Err(e) => new_page(&state, &actor, &headers, &uri, f, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "known_errors.html")]
struct KnownErrorsPage<'a> {
    page: Page<'a>,
    found: Vec<KnownError>,
    q: String,
}

#[derive(serde::Deserialize)]
pub struct KnownErrorQuery {
    #[serde(default)]
    q: String,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// `GET /problems/known-errors?q=…`.
pub async fn known_errors(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<KnownErrorQuery>,
) -> WebResult {
    let text: String = q.q.chars().take(500).collect();
    let found = state.app.problems().known_errors(&actor, Some(&text), 200).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "problems.known_errors");
    Ok(render(&KnownErrorsPage { page, found, q: text }))
}

/// The problem box of an incident's page: the problem it is linked to, or `None`.
pub async fn incident_panel(
    state: &AppState,
    actor: &Actor,
    incident: TicketId,
) -> Result<Option<Ticket>, AppError> {
    state.app.problems().of_incident(actor, incident).await
}

#[derive(serde::Deserialize)]
pub struct LinkFromIncident {
    #[serde(default)]
    problem: String,
}

/// `POST /incidents/{id}/problem`: links the incident to a problem given by number.
pub async fn link_from_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<LinkFromIncident>,
) -> WebResult {
    let result = async {
        let word = f.problem.trim().to_uppercase();
        let problem = match word.parse::<i64>() {
            Ok(n) => state.app.problems().ticket(&actor, TicketId(n)).await,
            Err(_) => state.app.problems().by_number(&actor, &word).await,
        }
        .map_err(|_| AppError::invalid("problem", "no problem with this number"))?;
        state.app.problems().link_incidents(&actor, problem.id, &[id]).await
    }
    .await;
    after_form(result, &format!("/incidents/{id}"), Notice::Saved)
}
