//! The change pages: the list, the form, the calendar (month or week), the models drawn as
//! swimlanes (with the incident and problem lifecycles) and their YAML import; the change's
//! own page is `detail.rs`, the mailed approval link's page `link.rs`.

mod detail;
mod link;
pub(super) mod releases;
pub(super) mod setup;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use jiff::civil::Date;
use steward_app::changes::NewChange;
use steward_core::changes::{ChangeType, Lane, Plan, lifecycle_of};
use steward_core::ids::{CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{Ticket, TicketKind};

pub use detail::{act, detail};
pub(crate) use link::link_error;
pub use link::{link_decide, link_page};

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::ticket_query;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender, swimlane};

pub(super) fn lane_key(l: Lane) -> String {
    format!("lane.{}", l.as_str())
}

/// A step's name in the reader's words: a built-in model's step by the catalogue, an admin's
/// as written.
pub(super) fn step_label(page: &Page<'_>, s: &steward_core::changes::Step) -> String {
    let builtin = ChangeType::ALL
        .iter()
        .any(|t| steward_core::changes::builtin(*t).step(&s.key).is_some_and(|b| b.name == s.name));
    match page.t.lookup(&format!("step.{}", s.key)).filter(|_| builtin) {
        Some(t) => t.to_owned(),
        None => s.name.clone(),
    }
}

/// A model's name in the reader's words: a built-in model's by the catalogue, an admin's as
/// written.
pub(super) fn model_label(page: &Page<'_>, name: &str) -> String {
    ChangeType::ALL
        .iter()
        .find(|t| steward_app::changes::builtin_name(**t) == name)
        .and_then(|t| page.t.lookup(&format!("change_model.{}", t.as_str())))
        .map_or_else(|| name.to_owned(), str::to_owned)
}

/// A workflow drawn in the reader's words.
pub(super) fn draw(
    page: &Page<'_>,
    id: &str,
    title: &str,
    w: &steward_core::changes::Workflow,
    current: Option<&str>,
    states: bool,
) -> String {
    swimlane::svg(
        id,
        title,
        w,
        current,
        |l| page.t.get(&lane_key(l)).to_owned(),
        |s| if states { page.code("state", &s.key).to_owned() } else { step_label(page, s) },
    )
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ListPage<'a> {
    page: Page<'a>,
    rows: Vec<(Ticket, Plan)>,
    teams: HashMap<TeamId, String>,
}

/// `GET /changes?state=…&q=…`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let mut query = ticket_query::parse_form(TicketKind::Change, uri.query(), actor.user.id)
        .map_err(crate::web::WebError)?;
    query.limit = 200;
    let found = state.app.changes().list(&actor, &query).await?;
    let names = state.app.directory().names().await?;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.changes");
    Ok(render(&ListPage { page, rows: found.items, teams: names.teams }))
}

#[derive(Default, serde::Deserialize)]
pub struct NewForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    change_type: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    implementation_plan: String,
    #[serde(default)]
    backout_plan: String,
    #[serde(default)]
    test_plan: String,
    #[serde(default)]
    communication_plan: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    implementer_team: String,
    #[serde(default)]
    ci_ids: String,
    #[serde(default)]
    tickets: String,
}

#[derive(Template)]
#[template(path = "change_new.html")]
struct NewPage<'a> {
    page: Page<'a>,
    form: NewForm,
    types: Vec<&'static str>,
    people: Vec<(UserId, String)>,
    teams: Vec<(TeamId, String)>,
}

fn team_list(names: &steward_app::DirectoryNames) -> Vec<(TeamId, String)> {
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    teams
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let names = state.app.directory().names().await?;
    let page = Page::new(&state, &actor, &headers, &uri, "changes.new");
    let form = NewForm { change_type: "normal".into(), ..NewForm::default() };
    let types = ChangeType::ALL.iter().map(|t| t.as_str()).collect();
    let teams = team_list(&names);
    Ok(render(&NewPage { page, form, types, teams, people: names.assignable }))
}

/// `POST /changes`: the form again with what was typed when something is wrong.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<NewForm>,
) -> WebResult {
    let result = async {
        let ids = |s: &str, field: &'static str| -> Result<Vec<i64>, steward_app::AppError> {
            s.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse()
                        .map_err(|_| steward_app::AppError::invalid(field, format!("`{x}` is not a number")))
                })
                .collect()
        };
        let mut ticket_ids = Vec::new();
        for n in f.tickets.split([',', ' ', '\n']).map(str::trim).filter(|x| !x.is_empty()) {
            let t = state.app.store().ticket_by_number(n).await.map_err(steward_app::AppError::from)?;
            let t =
                t.ok_or_else(|| steward_app::AppError::invalid("ticket_ids", format!("no ticket {n}")))?;
            ticket_ids.push(t.id);
        }
        let input = NewChange {
            title: f.title.clone(),
            description: f.description.clone(),
            change_type: Some(f.change_type.clone()),
            model_id: None,
            reason: f.reason.clone(),
            implementation_plan: f.implementation_plan.clone(),
            backout_plan: f.backout_plan.clone(),
            test_plan: f.test_plan.clone(),
            communication_plan: f.communication_plan.clone(),
            service: Some(f.service.clone()).filter(|s| !s.trim().is_empty()),
            impact: None,
            urgency: None,
            team_id: None,
            assignee_id: f.assignee_id.trim().parse().ok().map(UserId),
            implementer_team: f.implementer_team.trim().parse().ok().map(TeamId),
            ci_ids: ids(&f.ci_ids, "ci_ids")?.into_iter().map(CiId).collect(),
            ticket_ids,
            tags: Vec::new(),
        };
        state.app.changes().create(&actor, input).await
    }
    .await;
    let names = state.app.directory().names().await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "changes.new");
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/changes/{}?notice=saved", t.id)).into_response()),
        Err(e) => {
            rerender(&mut page, Some(e))?;
            let types = ChangeType::ALL.iter().map(|t| t.as_str()).collect();
            let teams = team_list(&names);
            answer(render(&NewPage { page, form: f, types, teams, people: names.assignable }), true)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CalendarQuery {
    /// `YYYY-MM-DD`: a day of the month (or week) shown; default today.
    #[serde(default)]
    day: String,
    /// `month` (default) or `week`.
    #[serde(default)]
    view: String,
    #[serde(default)]
    ci: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    service: String,
}

pub(super) struct DayCell {
    pub date: Date,
    pub in_range: bool,
    /// Releases due that day: (id, name and version).
    pub releases: Vec<(i64, String)>,
    pub changes: Vec<(TicketId, String, String, String)>,
    pub frozen: Vec<String>,
}

#[derive(Template)]
#[template(path = "change_calendar.html")]
struct CalendarPage<'a> {
    page: Page<'a>,
    title: String,
    view: &'static str,
    weeks: Vec<Vec<DayCell>>,
    prev: Date,
    next: Date,
    day: Date,
    ci: String,
    team: String,
    service: String,
    teams: Vec<(TeamId, String)>,
    slots: Vec<String>,
}

/// `GET /changes/calendar?day=…&view=month|week&ci=…&team=…`.
pub async fn calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "changes.calendar");
    let zone = page.zone.clone();
    let today = state.app.now().to_zoned_datetime(zone.clone()).date();
    // Days far from the present would run the calendar arithmetic off jiff's range.
    let day: Date =
        q.day.trim().parse().ok().filter(|d: &Date| (1971..=8999).contains(&d.year())).unwrap_or(today);
    let week = q.view == "week";
    let (first, last, prev, next) = if week {
        let monday = day - jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset()));
        (
            monday,
            monday + jiff::Span::new().days(6),
            day - jiff::Span::new().days(7),
            day + jiff::Span::new().days(7),
        )
    } else {
        let first = day.first_of_month();
        let start = first - jiff::Span::new().days(i64::from(first.weekday().to_monday_zero_offset()));
        let end_month = day.last_of_month();
        let end =
            end_month + jiff::Span::new().days(i64::from(6 - end_month.weekday().to_monday_zero_offset()));
        (start, end, first - jiff::Span::new().months(1), first + jiff::Span::new().months(1))
    };
    let at = |d: Date| zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).unwrap_or_default();
    let ci = q.ci.trim().parse().ok().map(CiId);
    let team: Option<TeamId> = q.team.trim().parse().ok().map(TeamId);
    let service = q.service.trim();
    let view =
        state.app.changes().calendar(&actor, at(first), at(last + jiff::Span::new().days(1)), ci).await?;
    let mut weeks: Vec<Vec<DayCell>> = Vec::new();
    let mut d = first;
    while d <= last {
        let (s, e) = (at(d), at(d + jiff::Span::new().days(1)));
        let changes = view
            .changes
            .iter()
            .filter(|c| c.window.start < e && c.window.end > s && (team.is_none() || c.team_id == team))
            .filter(|c| {
                service.is_empty() || c.service.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(service))
            })
            .map(|c| {
                let kind = c.risk_class.clone().unwrap_or_else(|| "none".into());
                (c.id, c.number.clone(), c.title.clone(), format!("risk-{kind} {}", c.change_type))
            })
            .collect();
        let frozen = view
            .freezes
            .iter()
            .filter(|f| f.window.start < e && f.window.end > s)
            .map(|f| f.name.clone())
            .collect();
        let releases = view
            .releases
            .iter()
            .filter(|r| r.target == d)
            .map(|r| (r.id, format!("{} {}", r.name, r.version)))
            .collect();
        let cell = DayCell { date: d, in_range: week || d.month() == day.month(), releases, changes, frozen };
        if weeks.last().is_none_or(|w| w.len() == 7) {
            weeks.push(Vec::new());
        }
        if let Some(w) = weeks.last_mut() {
            w.push(cell);
        }
        let Ok(n) = d.tomorrow() else { break };
        d = n;
    }
    let names = state.app.directory().names().await?;
    let mut teams: Vec<(TeamId, String)> = names.teams.into_iter().collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let title = if week { format!("{first} – {last}") } else { day.strftime("%Y-%m").to_string() };
    Ok(render(&CalendarPage {
        page,
        title,
        view: if week { "week" } else { "month" },
        weeks,
        prev,
        next,
        day,
        ci: q.ci.clone(),
        team: q.team.clone(),
        service: q.service.clone(),
        teams,
        slots: view.slots.iter().map(|s| s.text()).collect(),
    }))
}

#[derive(Template)]
#[template(path = "change_models.html")]
struct ModelsPage<'a> {
    page: Page<'a>,
    /// (id, name, version, retired, in-flight count, svg, yaml)
    models: Vec<(i64, String, i64, bool, usize, String, String)>,
    lifecycles: Vec<(String, String)>,
    can_edit: bool,
    yaml: String,
}

/// `GET /changes/models`: every model as a swimlane, the incident and problem lifecycles too.
pub async fn models(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "changes.models");
    models_page(&state, &actor, page, String::new()).await
}

async fn models_page(
    state: &AppState,
    actor: &steward_app::Actor,
    page: Page<'_>,
    yaml: String,
) -> WebResult {
    let mut models = Vec::new();
    for m in state.app.changes().models(actor).await? {
        let v = state.app.changes().model(actor, m.id, None).await?;
        let name = model_label(&page, &m.name);
        let svg = draw(&page, &format!("model-{}", m.id), &name, &v.definition.workflow, None, false);
        models.push((m.id, name, m.version, m.retired, v.in_flight.len(), svg, v.yaml));
    }
    let lifecycles = [TicketKind::Incident, TicketKind::Problem]
        .into_iter()
        .filter_map(|k| {
            let w = lifecycle_of(k)?;
            let title = page.t.get(&format!("changes.lifecycle_{}", k.as_str())).to_owned();
            Some((title.clone(), draw(&page, &format!("lifecycle-{}", k.as_str()), &title, &w, None, true)))
        })
        .collect();
    let can_edit = actor.can(steward_core::identity::Permission::ManageChanges);
    let failed = page.error.is_some();
    answer(render(&ModelsPage { page, models, lifecycles, can_edit, yaml }), failed)
}

#[derive(serde::Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    definition: String,
    #[serde(default)]
    upgrade: Option<String>,
}

/// `POST /changes/models`: import a model's YAML (a new model or its next version).
pub async fn save_model(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<ModelForm>,
) -> WebResult {
    let result = state.app.changes().save_model(&actor, &f.definition, f.upgrade.is_some()).await;
    match result {
        Ok(_) => after_form(Ok(()), "/changes/models", Notice::Saved),
        Err(e) => {
            let mut page = Page::new(&state, &actor, &headers, &uri, "changes.models");
            rerender(&mut page, Some(e))?;
            models_page(&state, &actor, page, f.definition).await
        }
    }
}
