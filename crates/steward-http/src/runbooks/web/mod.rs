//! The automation pages: `/runbooks` (the library, the report, a new runbook),
//! `/runbooks/{id}` (run it, its steps, definition, schedules and alert triggers, its runs);
//! runs in `runs.rs`, the secret store and just-in-time grants in `access.rs`.

pub mod access;
pub mod runs;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::runbooks::{AutomationReport, RunRequest, RunbookView};
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_store::{AlertTriggerRecord, RunFilter, RunRecord, ScheduleRecord};

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender};

/// Where a run is started from, carried in the links (`?ci=12`, `?ticket=40`).
#[derive(Deserialize, Default, Clone, Copy)]
pub struct From {
    ci: Option<i64>,
    ticket: Option<i64>,
}

impl From {
    fn query(self) -> String {
        match (self.ci, self.ticket) {
            (Some(c), _) => format!("?ci={c}"),
            (None, Some(t)) => format!("?ticket={t}"),
            _ => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "runbooks.html")]
struct ListPage<'a> {
    page: Page<'a>,
    runbooks: Vec<RunbookView>,
    report: AutomationReport,
    can_manage: bool,
    from_query: String,
    /// What the run will be started from, as its page names it.
    from_name: Option<String>,
    yaml: String,
}

impl ListPage<'_> {
    fn saved_hours(&self) -> String {
        crate::web::duration_text(self.page.t, self.report.minutes_saved)
    }

    fn rate(&self) -> String {
        self.report.success_rate().map_or_else(|| "—".into(), |r| format!("{r:.1} %"))
    }
}

async fn from_name(state: &AppState, actor: &steward_app::Actor, from: From) -> Option<String> {
    if let Some(ci) = from.ci {
        return state.app.cmdb().ci(actor, CiId(ci)).await.ok().map(|v| v.ci.name);
    }
    if let Some(t) = from.ticket {
        return state.app.store().ticket(TicketId(t)).await.ok().flatten().map(|t| t.number);
    }
    None
}

async fn list_page(
    state: &AppState,
    actor: &steward_app::Actor,
    headers: &HeaderMap,
    uri: &Uri,
    from: From,
    yaml: String,
    err: Option<AppError>,
) -> WebResult {
    let runbooks = state.app.runbooks().list(actor, false).await?;
    let report = state.app.runbooks().report(actor, 30).await?;
    let mut page = Page::new(state, actor, headers, uri, "nav.runbooks");
    let failed = rerender(&mut page, err)?;
    let from_name = from_name(state, actor, from).await;
    let html = render(&ListPage {
        page,
        runbooks,
        report,
        can_manage: actor.can(Permission::ManageRunbooks),
        from_query: from.query(),
        from_name,
        yaml,
    });
    answer(html, failed)
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(from): ApiQuery<From>,
) -> WebResult {
    list_page(&state, &actor, &headers, &uri, from, String::new(), None).await
}

#[derive(Deserialize)]
pub struct DefinitionForm {
    #[serde(default)]
    definition: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<DefinitionForm>,
) -> WebResult {
    match state.app.runbooks().save(&actor, None, &f.definition).await {
        Ok((id, _)) => after_form(Ok(()), &format!("/runbooks/{id}"), Notice::Saved),
        Err(e) => list_page(&state, &actor, &headers, &uri, From::default(), f.definition, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "runbook.html")]
struct DetailPage<'a> {
    page: Page<'a>,
    v: RunbookView,
    runs: Vec<RunRecord>,
    schedules: Vec<ScheduleRecord>,
    triggers: Vec<AlertTriggerRecord>,
    can_manage: bool,
    from_ci: Option<i64>,
    from_ticket: Option<i64>,
    from_name: Option<String>,
    /// What was typed into the run form, when it comes back refused.
    typed: Vec<(String, String)>,
    change_number: String,
    yaml: String,
    /// The detail of a refused definition or run (English, from the rules), shown as code.
    detail: Option<String>,
}

impl DetailPage<'_> {
    fn typed(&self, name: &str) -> String {
        let given = self.typed.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        given
            .or_else(|| self.v.runbook.params.iter().find(|p| p.name == name).and_then(|p| p.default.clone()))
            .unwrap_or_default()
    }

    fn step_kind(&self, kind: &str) -> String {
        self.page.code("step_kind", kind).to_owned()
    }
}

#[allow(clippy::too_many_arguments)]
async fn detail_page(
    state: &AppState,
    actor: &steward_app::Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: i64,
    from: From,
    typed: Vec<(String, String)>,
    change_number: String,
    yaml: Option<String>,
    err: Option<AppError>,
) -> WebResult {
    let v = state.app.runbooks().get(actor, id).await?;
    let runs = state
        .app
        .runbooks()
        .runs(actor, &RunFilter { runbook_id: Some(id), limit: 20, ..RunFilter::default() })
        .await?;
    let schedules = state.app.runbooks().schedules(actor, Some(id)).await?;
    let triggers = state.app.runbooks().alert_triggers(actor, Some(id)).await?;
    let mut page = Page::new(state, actor, headers, uri, "nav.runbooks");
    page.title = v.record.name.clone();
    let detail = match &err {
        Some(
            AppError::Invalid { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::Forbidden(message),
        ) => Some(message.clone()),
        _ => None,
    };
    let failed = match err {
        Some(AppError::Forbidden(_)) => {
            page.error = Some(page.t.get("runbooks.needs_authority").to_owned());
            true
        }
        other => rerender(&mut page, other)?,
    };
    let from_name = from_name(state, actor, from).await;
    let yaml = yaml.unwrap_or_else(|| v.record.definition.clone());
    let html = render(&DetailPage {
        page,
        v,
        runs,
        schedules,
        triggers,
        can_manage: actor.can(Permission::ManageRunbooks),
        from_ci: from.ci,
        from_ticket: from.ticket,
        from_name,
        typed,
        change_number,
        yaml,
        detail,
    });
    answer(html, failed)
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(from): ApiQuery<From>,
) -> WebResult {
    detail_page(&state, &actor, &headers, &uri, id, from, Vec::new(), String::new(), None, None).await
}

/// `POST /runbooks/{id}/run`: the run form. Parameters come as `p.<name>`.
pub async fn start(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let get =
        |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let params: Vec<(String, String)> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("p.").map(|n| (n.to_owned(), v.clone()))).collect();
    let from = From { ci: get("ci_id").parse().ok(), ticket: get("ticket_id").parse().ok() };
    let change_number = get("change");
    let change = if change_number.is_empty() {
        None
    } else {
        match state.app.store().ticket_by_number(&change_number).await.map_err(AppError::from)? {
            Some(t) => Some(t.id),
            None => {
                let e = AppError::invalid("change", format!("no change {change_number}"));
                return detail_page(
                    &state,
                    &actor,
                    &headers,
                    &uri,
                    id,
                    from,
                    params,
                    change_number,
                    None,
                    Some(e),
                )
                .await;
            }
        }
    };
    let req = RunRequest {
        runbook_id: id,
        params: params.clone(),
        ci: from.ci.map(CiId),
        ticket: from.ticket.map(TicketId),
        change,
    };
    match state.app.runbooks().start(&actor, req).await {
        Ok(run) => after_form(Ok(()), &format!("/runbooks/runs/{run}"), Notice::Saved),
        Err(e) => {
            detail_page(&state, &actor, &headers, &uri, id, from, params, change_number, None, Some(e)).await
        }
    }
}

#[derive(Deserialize)]
pub struct RunbookAction {
    action: String,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    cron: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    calendar_id: String,
    #[serde(default)]
    matchers: String,
    /// `name=value` lines: the schedule's or trigger's parameters.
    #[serde(default)]
    params: String,
    #[serde(default)]
    id: i64,
}

fn lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// `POST /runbooks/{id}`: save a new version, retire, add or remove a schedule or trigger.
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<RunbookAction>,
) -> WebResult {
    let r = state.app.runbooks();
    let back = format!("/runbooks/{id}");
    match f.action.as_str() {
        "save" => match r.save(&actor, Some((id, f.version)), &f.definition).await {
            Ok(_) => after_form(Ok(()), &back, Notice::Saved),
            Err(e) => {
                detail_page(
                    &state,
                    &actor,
                    &headers,
                    &uri,
                    id,
                    From::default(),
                    Vec::new(),
                    String::new(),
                    Some(f.definition),
                    Some(e),
                )
                .await
            }
        },
        "retire" => after_form(r.retire(&actor, id).await, "/runbooks", Notice::Saved),
        "add_schedule" => {
            let calendar = f.calendar_id.trim().parse().ok();
            let zone = if f.zone.trim().is_empty() {
                state.app.config().report_zone.iana_name().unwrap_or("UTC").to_owned()
            } else {
                f.zone.trim().to_owned()
            };
            let result = r.add_schedule(&actor, id, &f.cron, &zone, calendar, lines(&f.params), None).await;
            after_form(result, &back, Notice::Saved)
        }
        "remove_schedule" => after_form(r.remove_schedule(&actor, id, f.id).await, &back, Notice::Deleted),
        "add_trigger" => after_form(
            r.add_alert_trigger(&actor, id, &f.matchers, lines(&f.params)).await,
            &back,
            Notice::Saved,
        ),
        "remove_trigger" => {
            after_form(r.remove_alert_trigger(&actor, id, f.id).await, &back, Notice::Deleted)
        }
        _ => after_form::<()>(Err(AppError::invalid("action", "unknown action")), &back, Notice::Saved),
    }
}

/// `GET /runbooks/{id}/export`: the definition as a YAML file.
pub async fn export(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let v = state.app.runbooks().get(&actor, id).await?;
    let file = super::file_name(&v.record.name, "yaml");
    Ok(crate::web::download(super::api::YAML, &file, v.record.definition.into_bytes()))
}
