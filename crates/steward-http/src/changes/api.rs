//! `/api/v1/changes` and the change setup under `/api/v1/change-*`: open, read, list, edit,
//! move along the model, cancel, assess the risk, schedule (409 naming each conflict), decide,
//! complete; models (YAML), approver groups, policies, the questionnaire, freezes, the
//! calendar, CIs' change slots and delegations.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use steward_app::changes::{ChangePatch, NewChange};
use steward_core::changes::{Decision, Outcome};
use steward_core::ids::{CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{State as TicketState, TicketKind};
use utoipa::{IntoParams, ToSchema};

use super::json::*;
use crate::AppState;
use crate::api::Items;
use crate::api::patch::{double_option, expected};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};
use crate::ticket_query;

pub(super) fn instant(field: &'static str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("`{}` is not an RFC 3339 time", text.trim())))
}

async fn detail(
    state: &AppState,
    actor: &steward_app::Actor,
    id: TicketId,
    status: StatusCode,
) -> ApiResult<Response> {
    let view = state.app.changes().get(actor, id).await?;
    let mut response = (status, Json(ChangeDetailJson::from(&view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", view.ticket.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewChange)]
pub struct CreateBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    description: String,
    /// With no model: the type's built-in model. Default `normal`.
    #[schema(schema_with = crate::api::schema::change_type_or_null)]
    change_type: Option<String>,
    model_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    reason: String,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    implementation_plan: String,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    backout_plan: String,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    test_plan: String,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    communication_plan: String,
    #[schema(max_length = 200, pattern = "@one_line")]
    service: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    impact: Option<i64>,
    #[schema(minimum = 1, maximum = 3)]
    urgency: Option<i64>,
    team_id: Option<TeamId>,
    assignee_id: Option<UserId>,
    implementer_team: Option<TeamId>,
    #[serde(default)]
    #[schema(max_items = 500)]
    ci_ids: Vec<CiId>,
    /// Incidents and problems the change is linked to.
    #[serde(default)]
    #[schema(max_items = 500)]
    ticket_ids: Vec<TicketId>,
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Vec<String>,
}

/// `POST /api/v1/changes` → 201 with the change.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    if b.ci_ids.len() > 500 || b.ticket_ids.len() > 500 {
        return Err(ApiError::invalid("ci_ids", "at most 500 CIs and 500 tickets at once"));
    }
    let input = NewChange {
        title: b.title,
        description: b.description,
        change_type: b.change_type,
        model_id: b.model_id,
        reason: b.reason,
        implementation_plan: b.implementation_plan,
        backout_plan: b.backout_plan,
        test_plan: b.test_plan,
        communication_plan: b.communication_plan,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        implementer_team: b.implementer_team,
        ci_ids: b.ci_ids,
        ticket_ids: b.ticket_ids,
        tags: b.tags,
    };
    let ticket = state.app.changes().create(&actor, input).await?;
    let mut response = detail(&state, &actor, ticket.id, StatusCode::CREATED).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/changes/{}", ticket.id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Response> {
    detail(&state, &actor, id, StatusCode::OK).await
}

/// `GET /api/v1/changes?state=…&team=…&q=…&cursor=…`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    uri: Uri,
) -> ApiResult<Json<ChangePage>> {
    let query = ticket_query::parse(TicketKind::Change, uri.query(), actor.user.id)?;
    if let Some(bad) = query.states.iter().find(|s| !TicketState::of(TicketKind::Change).contains(s)) {
        return Err(ApiError::invalid("state", format!("a change is never `{bad}`")));
    }
    let page = state.app.changes().list(&actor, &query).await?;
    let next = page.next.map(|c| ticket_query::encode_cursor(query.sort, query.descending, c));
    let items = page.items.iter().map(|(t, p)| ChangeJson::new(t, p)).collect();
    Ok(Json(ChangePage { items, next_cursor: next }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangePatch)]
pub struct PatchBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: Option<String>,
    #[schema(max_length = 65536, pattern = "@text")]
    description: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(max_length = 200, pattern = "@one_line")]
    service: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 3)]
    impact: Option<i64>,
    #[schema(minimum = 1, maximum = 3)]
    urgency: Option<i64>,
    #[serde(default, with = "double_option")]
    team_id: Option<Option<TeamId>>,
    #[serde(default, with = "double_option")]
    assignee_id: Option<Option<UserId>>,
    #[serde(default, with = "double_option")]
    implementer_team: Option<Option<TeamId>>,
    #[schema(max_length = 20000, pattern = "@text")]
    reason: Option<String>,
    #[schema(max_length = 20000, pattern = "@text")]
    implementation_plan: Option<String>,
    #[schema(max_length = 20000, pattern = "@text")]
    backout_plan: Option<String>,
    #[schema(max_length = 20000, pattern = "@text")]
    test_plan: Option<String>,
    #[schema(max_length = 20000, pattern = "@text")]
    communication_plan: Option<String>,
    /// The post-implementation review.
    #[schema(max_length = 20000, pattern = "@text")]
    review: Option<String>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `PATCH /api/v1/changes/{id}`, with `If-Match` (or `version`) → 412 when stale.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let patch = ChangePatch {
        title: b.title,
        description: b.description,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        implementer_team: b.implementer_team,
        reason: b.reason,
        implementation_plan: b.implementation_plan,
        backout_plan: b.backout_plan,
        test_plan: b.test_plan,
        communication_plan: b.communication_plan,
        review: b.review,
    };
    let changes = state.app.changes();
    changes.update(&actor, id, expected.version, patch).await.map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// A step key of the change's model (one of `next_steps`).
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_]+$")]
    to: String,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `POST /api/v1/changes/{id}/move` → 422 naming what the step demands first.
pub async fn move_to(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    state
        .app
        .changes()
        .move_to(&actor, id, expected.version, &b.to)
        .await
        .map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    #[schema(minimum = 1)]
    version: Option<i64>,
}

pub async fn cancel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    state.app.changes().cancel(&actor, id, expected.version).await.map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    question_id: i64,
    /// The index of the answer chosen, from 0.
    #[schema(minimum = 0, maximum = 9)]
    answer: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    /// One answer for every question of the questionnaire.
    #[serde(default)]
    #[schema(max_items = 50)]
    answers: Vec<AnswerBody>,
}

/// `POST /api/v1/changes/{id}/risk`: score and class with every reason.
pub async fn assess(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<RiskBody>,
) -> ApiResult<Response> {
    let answers = b.answers.iter().map(|a| (a.question_id, a.answer)).collect();
    state.app.changes().assess_risk(&actor, id, answers).await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// A conflict's `key`.
    #[schema(min_length = 1, max_length = 300, pattern = "@one_line")]
    conflict: String,
    #[schema(min_length = 1, max_length = 1000, pattern = "@nonblank_text")]
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[schema(pattern = "@instant")]
    planned_start: String,
    /// After the start, at most 30 days later, not in the past.
    #[schema(pattern = "@instant")]
    planned_end: String,
    /// Conflicts accepted, each with its reason.
    #[serde(default)]
    #[schema(max_items = 100)]
    overrides: Vec<OverrideBody>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `POST /api/v1/changes/{id}/schedule` → 409 naming each conflict not accepted.
pub async fn schedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ScheduleBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let start = instant("planned_start", &b.planned_start)?;
    let end = instant("planned_end", &b.planned_end)?;
    let overrides: Vec<(String, String)> = b.overrides.into_iter().map(|o| (o.conflict, o.reason)).collect();
    let changes = state.app.changes();
    changes
        .schedule(&actor, id, expected.version, start, end, &overrides)
        .await
        .map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    #[param(pattern = "@instant")]
    planned_start: String,
    #[param(pattern = "@instant")]
    planned_end: String,
}

/// `GET /api/v1/changes/{id}/conflicts?planned_start=…&planned_end=…`: what a window would meet.
pub async fn conflicts(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> ApiResult<Json<Items<ConflictJson>>> {
    let start = instant("planned_start", &q.planned_start)?;
    let end = instant("planned_end", &q.planned_end)?;
    let found = state.app.changes().preview(&actor, id, start, end).await?;
    Ok(Json(Items::of(found.iter(), ConflictJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[schema(schema_with = crate::api::schema::decision)]
    decision: String,
    /// Required to reject.
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    comment: String,
}

/// `POST /api/v1/changes/{id}/decision`: approve or reject as an approver (or their delegate).
pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Response> {
    let decision = Decision::parse(&b.decision).map_err(|e| ApiError::invalid(e.field, e.message))?;
    state.app.changes().decide(&actor, id, decision, &b.comment, "api").await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    #[schema(schema_with = crate::api::schema::change_outcome)]
    outcome: String,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `POST /api/v1/changes/{id}/complete`: the implementation's outcome; the change moves on.
pub async fn complete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CompleteBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let outcome = Outcome::parse(&b.outcome).map_err(|e| ApiError::invalid(e.field, e.message))?;
    state
        .app
        .changes()
        .complete(&actor, id, expected.version, outcome)
        .await
        .map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CiBody {
    ci_id: CiId,
}

pub async fn link_ci(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<CiBody>,
) -> ApiResult<Response> {
    state.app.changes().link_ci(&actor, id, b.ci_id).await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

pub async fn unlink_ci(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, ci)): ApiPath<(TicketId, CiId)>,
) -> ApiResult<StatusCode> {
    state.app.changes().unlink_ci(&actor, id, ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketLinkBody {
    /// An incident's or a problem's number.
    #[schema(min_length = 1, max_length = 40, pattern = "@line")]
    number: String,
}

pub async fn link_ticket(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<TicketLinkBody>,
) -> ApiResult<Response> {
    state.app.changes().link_ticket(&actor, id, &b.number).await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

/// `GET /api/v1/incidents/{id}/suspect-changes`: changes on its CIs within a day before it.
pub async fn suspects(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<SuspectJson>>> {
    let incident = state.app.incidents().get(&actor, id).await?.ticket;
    let found = state.app.changes().suspects(&actor, &incident).await?;
    Ok(Json(Items::of(found.iter(), |s| SuspectJson {
        change_id: s.change_id,
        number: s.number.clone(),
        ci: s.ci.clone(),
        at: crate::api::time(s.at),
    })))
}
