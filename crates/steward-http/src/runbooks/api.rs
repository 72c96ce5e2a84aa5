//! `/api/v1/runbooks`, `/api/v1/runbook-runs`, `/api/v1/secrets`, `/api/v1/jit-grants`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use steward_app::runbooks::RunRequest;
use steward_core::ids::{CiId, TicketId};
use steward_core::runbooks::RunState;
use steward_store::RunFilter;
use utoipa::{IntoParams, ToSchema};

use super::json::*;
use crate::AppState;
use crate::api::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Retired runbooks too.
    #[serde(default)]
    retired: bool,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<RunbookJson>>> {
    let found = state.app.runbooks().list(&actor, q.retired).await?;
    Ok(Json(Items::of(found.iter(), RunbookJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionBody {
    /// The runbook as YAML: `name`, `params`, `steps` (each `id`, `kind`: command, ssh, http
    /// or ansible, and its fields), `rollback`, `approval`, `concurrency`, `manual_minutes`.
    #[schema(min_length = 1, max_length = 131072, pattern = "@nonblank_text")]
    definition: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<DefinitionBody>,
) -> ApiResult<(StatusCode, Json<RunbookDetailJson>)> {
    let (id, _) = state.app.runbooks().save(&actor, None, &b.definition).await?;
    let v = state.app.runbooks().get(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(RunbookDetailJson::from(&v))))
}

/// `POST /api/v1/runbooks/validate`: checks a definition without saving it.
pub async fn validate(
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<DefinitionBody>,
) -> ApiResult<Json<RunbookCheckJson>> {
    actor.require(steward_core::identity::Permission::RunRunbooks)?;
    let r = steward_app::runbooks::validate(&b.definition)?;
    Ok(Json(RunbookCheckJson::from(&r)))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RunbookDetailJson>> {
    let v = state.app.runbooks().get(&actor, id).await?;
    Ok(Json(RunbookDetailJson::from(&v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[schema(min_length = 1, max_length = 131072, pattern = "@nonblank_text")]
    definition: String,
    /// The version edited (409 when another was saved since).
    #[schema(minimum = 1)]
    version: i64,
}

pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<RunbookDetailJson>> {
    state.app.runbooks().save(&actor, Some((id, b.version)), &b.definition).await?;
    let v = state.app.runbooks().get(&actor, id).await?;
    Ok(Json(RunbookDetailJson::from(&v)))
}

pub async fn retire(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.runbooks().retire(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The definition as a YAML file.
pub async fn export(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let v = state.app.runbooks().get(&actor, id).await?;
    Ok(crate::web::download(
        YAML,
        &super::file_name(&v.record.name, "yaml"),
        v.record.definition.into_bytes(),
    ))
}

/// The media type of a definition file.
pub const YAML: &str = "text/yaml; charset=utf-8";

/// Parameter values as JSON gives them: strings, numbers or booleans.
pub fn values(params: BTreeMap<String, serde_json::Value>) -> Result<Vec<(String, String)>, ApiError> {
    params
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            serde_json::Value::Number(n) => Ok((k, n.to_string())),
            serde_json::Value::Bool(b) => Ok((k, b.to_string())),
            _ => Err(steward_app::AppError::invalid(
                "params",
                format!("`{k}` must be a string, number or boolean"),
            )
            .into()),
        })
        .collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// Parameter → value.
    #[serde(default)]
    #[schema(value_type = Object)]
    params: BTreeMap<String, serde_json::Value>,
    /// Started from this CI (fills the first empty `ci` parameter).
    #[serde(default)]
    ci_id: Option<CiId>,
    /// Shown on this ticket; a run on an incident writes its result there.
    #[serde(default)]
    ticket_id: Option<TicketId>,
    /// Attached to this change: it runs only inside the change's approved window.
    #[serde(default)]
    change_id: Option<TicketId>,
}

pub async fn start(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RunBody>,
) -> ApiResult<(StatusCode, Json<RunDetailJson>)> {
    let req = RunRequest {
        runbook_id: id,
        params: values(b.params)?,
        ci: b.ci_id,
        ticket: b.ticket_id,
        change: b.change_id,
    };
    let run = state.app.runbooks().start(&actor, req).await?;
    let v = state.app.runbooks().run(&actor, run).await?;
    Ok((StatusCode::CREATED, Json(RunDetailJson::from(&v))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    runbook_id: Option<i64>,
    /// A run state.
    #[param(pattern = "^(awaiting_approval|queued|running|succeeded|failed|cancelled|rejected)?$")]
    state: Option<String>,
    ci_id: Option<i64>,
    ticket_id: Option<i64>,
    /// Runs older than this id (the previous page's `next_before`).
    before: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

pub fn filter(q: &RunsQuery) -> Result<RunFilter, ApiError> {
    let state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(RunState::parse(s).map_err(|e| steward_app::AppError::invalid("state", e.message))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(steward_app::AppError::invalid("limit", "1–500 runs").into());
    }
    Ok(RunFilter {
        runbook_id: q.runbook_id,
        state,
        ci_id: q.ci_id,
        ticket_id: q.ticket_id,
        before: q.before,
        limit,
    })
}

pub async fn runs(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> ApiResult<Json<RunPage>> {
    let f = filter(&q)?;
    let found = state.app.runbooks().runs(&actor, &f).await?;
    Ok(Json(RunPage::of(&found, f.limit as usize)))
}

pub async fn run(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RunDetailJson>> {
    let v = state.app.runbooks().run(&actor, id).await?;
    Ok(Json(RunDetailJson::from(&v)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutputQuery {
    /// Chunks after this `seq` (0: from the start).
    #[serde(default)]
    #[param(minimum = 0)]
    after: i64,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

pub async fn output(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OutputQuery>,
) -> ApiResult<Json<Items<RunOutputJson>>> {
    let limit = q.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) || q.after < 0 {
        return Err(
            steward_app::AppError::invalid("limit", "1–1000 chunks after a `seq` of 0 or more").into()
        );
    }
    state.app.runbooks().run(&actor, id).await?;
    let chunks = state.app.runbooks().output(&actor, id, q.after, limit).await?;
    Ok(Json(Items::of(chunks.iter(), RunOutputJson::from)))
}

pub async fn artifact(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, name)): ApiPath<(i64, String)>,
) -> ApiResult<Response> {
    let data = state.app.runbooks().artifact(&actor, id, &name).await?;
    Ok(crate::web::download("application/octet-stream", &super::file_name(&name, ""), data))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    approve: bool,
    /// Required to reject.
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    comment: String,
}

pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<RunDetailJson>> {
    state.app.runbooks().decide(&actor, id, b.approve, &b.comment).await?;
    let v = state.app.runbooks().run(&actor, id).await?;
    Ok(Json(RunDetailJson::from(&v)))
}

pub async fn cancel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RunDetailJson>> {
    state.app.runbooks().cancel(&actor, id).await?;
    let v = state.app.runbooks().run(&actor, id).await?;
    Ok(Json(RunDetailJson::from(&v)))
}

pub async fn schedules(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Items<RunbookScheduleJson>>> {
    let found = state.app.runbooks().schedules(&actor, Some(id)).await?;
    Ok(Json(Items::of(found.iter(), RunbookScheduleJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// Five fields (`0 6 * * mon-fri`) or `@daily`, `@hourly`, …
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    cron: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    #[schema(min_length = 1, max_length = 64, pattern = "@line")]
    zone: String,
    /// Skip the days this SLA calendar has as holidays.
    #[serde(default)]
    calendar_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Object)]
    params: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    ci_id: Option<CiId>,
}

pub async fn add_schedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ScheduleBody>,
) -> ApiResult<(StatusCode, Json<RunbookScheduleJson>)> {
    let sid = state
        .app
        .runbooks()
        .add_schedule(&actor, id, &b.cron, &b.zone, b.calendar_id, values(b.params)?, b.ci_id)
        .await?;
    let found = state.app.runbooks().schedules(&actor, Some(id)).await?;
    let s = found.iter().find(|s| s.id == sid).ok_or(steward_app::AppError::NotFound("schedule"))?;
    Ok((StatusCode::CREATED, Json(RunbookScheduleJson::from(s))))
}

pub async fn remove_schedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state.app.runbooks().remove_schedule(&actor, id, sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn triggers(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Items<AlertTriggerJson>>> {
    let found = state.app.runbooks().alert_triggers(&actor, Some(id)).await?;
    Ok(Json(Items::of(found.iter(), AlertTriggerJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// `label=value` pairs (comma- or newline-separated) a firing alert must all carry.
    #[schema(min_length = 3, max_length = 2000, pattern = "@nonblank_text")]
    matchers: String,
    /// Parameter → value; `label:<name>` takes the alert's label.
    #[serde(default)]
    #[schema(value_type = Object)]
    params: BTreeMap<String, serde_json::Value>,
}

pub async fn add_trigger(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TriggerBody>,
) -> ApiResult<(StatusCode, Json<AlertTriggerJson>)> {
    let tid = state.app.runbooks().add_alert_trigger(&actor, id, &b.matchers, values(b.params)?).await?;
    let found = state.app.runbooks().alert_triggers(&actor, Some(id)).await?;
    let t = found.iter().find(|t| t.id == tid).ok_or(steward_app::AppError::NotFound("trigger"))?;
    Ok((StatusCode::CREATED, Json(AlertTriggerJson::from(t))))
}

pub async fn remove_trigger(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, tid)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state.app.runbooks().remove_alert_trigger(&actor, id, tid).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn secrets(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<SecretNameJson>>> {
    let found = state.app.runbooks().secrets(&actor).await?;
    Ok(Json(Items::of(found.iter(), SecretNameJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretBody {
    /// Never shown back.
    #[schema(min_length = 1, max_length = 65536, pattern = "@text")]
    value: String,
}

pub async fn set_secret(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<SecretBody>,
) -> ApiResult<StatusCode> {
    state.app.runbooks().set_secret(&actor, &name, &b.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_secret(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.app.runbooks().delete_secret(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn grants(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<JitGrantJson>>> {
    let found = state.app.runbooks().grants(&actor).await?;
    let now = state.app.now();
    Ok(Json(Items::of(found.iter(), |g| JitGrantJson::of(g, now))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    #[schema(min_items = 1, max_items = 100)]
    ci_ids: Vec<CiId>,
    #[schema(min_length = 1, max_length = 2000, pattern = "@nonblank_text")]
    reason: String,
    /// How long it lasts once approved: 5–1440 minutes.
    #[schema(minimum = 5, maximum = 1440)]
    minutes: i64,
}

pub async fn request_grant(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<GrantBody>,
) -> ApiResult<(StatusCode, Json<JitGrantJson>)> {
    let id = state.app.runbooks().request_grant(&actor, &b.ci_ids, &b.reason, b.minutes).await?;
    grant_answer(&state, &actor, id).await.map(|j| (StatusCode::CREATED, j))
}

async fn grant_answer(
    state: &AppState,
    actor: &steward_app::Actor,
    id: i64,
) -> ApiResult<Json<JitGrantJson>> {
    let found = state.app.runbooks().grants(actor).await?;
    let g = found.iter().find(|g| g.grant.id == id).ok_or(steward_app::AppError::NotFound("grant"))?;
    Ok(Json(JitGrantJson::of(g, state.app.now())))
}

pub async fn decide_grant(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<JitGrantJson>> {
    state.app.runbooks().decide_grant(&actor, id, b.approve, &b.comment).await?;
    grant_answer(&state, &actor, id).await
}

pub async fn revoke_grant(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JitGrantJson>> {
    state.app.runbooks().revoke_grant(&actor, id).await?;
    grant_answer(&state, &actor, id).await
}

#[derive(serde::Serialize, ToSchema)]
pub struct AutomationReportJson {
    /// One entry per day with finished runs: `YYYY-MM-DD`, runs, succeeded, minutes saved.
    days: Vec<AutomationDayJson>,
    runs: i64,
    succeeded: i64,
    /// Percent; absent with no run.
    success_rate: Option<f64>,
    /// The manual minutes configured per runbook × its successful runs.
    minutes_saved: i64,
}

#[derive(serde::Serialize, ToSchema)]
pub struct AutomationDayJson {
    day: String,
    runs: i64,
    succeeded: i64,
    minutes_saved: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[param(minimum = 1, maximum = 366)]
    days: Option<i64>,
}

pub async fn report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<AutomationReportJson>> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(steward_app::AppError::invalid("days", "1–366 days").into());
    }
    let r = state.app.runbooks().report(&actor, days).await?;
    Ok(Json(AutomationReportJson {
        days: r
            .days
            .iter()
            .map(|d| AutomationDayJson {
                day: d.0.to_string(),
                runs: d.1,
                succeeded: d.2,
                minutes_saved: d.3,
            })
            .collect(),
        runs: r.runs,
        succeeded: r.succeeded,
        success_rate: r.success_rate(),
        minutes_saved: r.minutes_saved,
    }))
}
