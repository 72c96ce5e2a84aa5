//! `/api/v1/problems`: open, read, list, update, move through the lifecycle, record the
//! root-cause analysis, link incidents and CIs, resolve the linked incidents, the timeline; and
//! `/api/v1/known-errors`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_app::problems::{NewProblem, ProblemPatch};
use steward_core::ids::{CategoryId, CiId, TeamId, TicketId, UserId};
use steward_core::problems::Analysis;
use steward_core::tickets::{ResolutionCode, State as TicketState, TicketKind, TransitionRequest};
use utoipa::{IntoParams, ToSchema};

use super::json::{
    KnownErrorJson, LinkedIncident, ProblemDetailJson, ProblemJson, ProblemPage, TimelineJson,
};
use crate::AppState;
use crate::api::Items;
use crate::api::patch::{double_option, expected};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};
use crate::ticket_query;

/// The problem's detail with its version as the `ETag`.
async fn detail(
    state: &AppState,
    actor: &steward_app::Actor,
    id: TicketId,
    status: StatusCode,
) -> ApiResult<Response> {
    let view = state.app.problems().get(actor, id).await?;
    let mut response = (status, Json(ProblemDetailJson::from(&view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", view.ticket.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewProblem)]
pub struct CreateBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    description: String,
    category_id: Option<CategoryId>,
    #[schema(max_length = 200, pattern = "@one_line")]
    service: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    impact: Option<i64>,
    #[schema(minimum = 1, maximum = 3)]
    urgency: Option<i64>,
    team_id: Option<TeamId>,
    assignee_id: Option<UserId>,
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Vec<String>,
    /// Incidents this problem explains (each may belong to one problem only).
    #[serde(default)]
    #[schema(max_items = 500)]
    incident_ids: Vec<TicketId>,
    #[serde(default)]
    #[schema(max_items = 500)]
    ci_ids: Vec<CiId>,
}

/// `POST /api/v1/problems` → 201 with the problem.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    if b.incident_ids.len() > 500 || b.ci_ids.len() > 500 {
        return Err(ApiError::invalid("incident_ids", "at most 500 incidents and 500 CIs at once"));
    }
    let input = NewProblem {
        title: b.title,
        description: b.description,
        category_id: b.category_id,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        tags: b.tags,
        incident_ids: b.incident_ids,
        ci_ids: b.ci_ids,
    };
    let ticket = state.app.problems().create(&actor, input).await?;
    let mut response = detail(&state, &actor, ticket.id, StatusCode::CREATED).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/problems/{}", ticket.id)) {
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

/// `GET /api/v1/problems?state=…&team=…&q=…&cursor=…`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    uri: Uri,
) -> ApiResult<Json<ProblemPage>> {
    let query = ticket_query::parse(TicketKind::Problem, uri.query(), actor.user.id)?;
    if let Some(bad) = query.states.iter().find(|s| !TicketState::of(TicketKind::Problem).contains(s)) {
        return Err(ApiError::invalid("state", format!("a problem is never `{bad}`")));
    }
    let page = state.app.problems().list(&actor, &query).await?;
    let next = page.next.map(|c| ticket_query::encode_cursor(query.sort, query.descending, c));
    let items = page.items.iter().map(|(t, n)| ProblemJson::new(t, Some(*n))).collect();
    Ok(Json(ProblemPage { items, next_cursor: next }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProblemPatch)]
pub struct PatchBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: Option<String>,
    #[schema(max_length = 65536, pattern = "@text")]
    description: Option<String>,
    #[serde(default, with = "double_option")]
    category_id: Option<Option<CategoryId>>,
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
    #[schema(max_items = 20)]
    tags: Option<Vec<String>>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `PATCH /api/v1/problems/{id}`, with `If-Match` (or `version`) → 412 when stale.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let patch = ProblemPatch {
        title: b.title,
        description: b.description,
        category_id: b.category_id,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        tags: b.tags,
    };
    let problems = state.app.problems();
    problems.update(&actor, id, expected.version, patch).await.map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProblemTransition)]
pub struct TransitionBody {
    #[schema(schema_with = crate::api::schema::problem_state)]
    to: String,
    /// Required to resolve.
    #[schema(schema_with = crate::api::schema::resolution_code_or_null)]
    resolution_code: Option<String>,
    /// The fix, required to resolve.
    #[schema(max_length = 65536, pattern = "@text")]
    resolution_note: Option<String>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

fn invalid(e: steward_core::tickets::FieldError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

/// `POST /api/v1/problems/{id}/transition` → 409 listing the allowed states, 422 naming what
/// the target state needs (the root cause, the workaround, the fix).
pub async fn transition(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<TransitionBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let request = TransitionRequest {
        to: Some(TicketState::parse(&b.to).map_err(|e| invalid(e).with_field("to"))?),
        hold_reason: None,
        resolution_code: b
            .resolution_code
            .as_deref()
            .map(ResolutionCode::parse)
            .transpose()
            .map_err(invalid)?,
        resolution_note: b.resolution_note,
    };
    let problems = state.app.problems();
    problems.transition(&actor, id, expected.version, request).await.map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

/// One fishbone cause as sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FishboneCauseInput)]
pub struct CauseBody {
    #[schema(schema_with = crate::api::schema::fishbone_bone)]
    category: String,
    #[schema(max_length = 500, pattern = "@one_line")]
    cause: String,
}

/// The whole analysis; what is left out is recorded empty.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProblemAnalysisInput)]
pub struct AnalysisBody {
    #[serde(default)]
    #[schema(max_items = 10)]
    whys: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 60)]
    fishbone: Vec<CauseBody>,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    root_cause: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    workaround: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    permanent_fix: String,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `PUT /api/v1/problems/{id}/analysis`: the 5-Whys, the fishbone, root cause, workaround
/// and fix, replacing what was recorded.
pub async fn analyse(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<AnalysisBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let bones: Vec<(String, String)> = b.fishbone.into_iter().map(|c| (c.category, c.cause)).collect();
    let analysis =
        Analysis::parse(&b.whys, &bones, &b.root_cause, &b.workaround, &b.permanent_fix).map_err(invalid)?;
    let problems = state.app.problems();
    problems.analyse(&actor, id, expected.version, analysis).await.map_err(|e| expected.refusal(e))?;
    detail(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProblemIncidentLinks)]
pub struct LinkBody {
    #[schema(min_items = 1, max_items = 500)]
    incident_ids: Vec<TicketId>,
}

/// `POST /api/v1/problems/{id}/incidents` → 409 when an incident has a problem already or the
/// problem is closed.
pub async fn link_incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<LinkBody>,
) -> ApiResult<Response> {
    if b.incident_ids.is_empty() || b.incident_ids.len() > 500 {
        return Err(ApiError::invalid("incident_ids", "1 to 500 incidents"));
    }
    state.app.problems().link_incidents(&actor, id, &b.incident_ids).await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

pub async fn unlink_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, incident)): ApiPath<(TicketId, TicketId)>,
) -> ApiResult<StatusCode> {
    state.app.problems().unlink_incident(&actor, id, incident).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProblemCiLinks)]
pub struct CiLinkBody {
    #[schema(min_items = 1, max_items = 500)]
    ci_ids: Vec<CiId>,
}

pub async fn link_cis(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<CiLinkBody>,
) -> ApiResult<Response> {
    if b.ci_ids.is_empty() || b.ci_ids.len() > 500 {
        return Err(ApiError::invalid("ci_ids", "1 to 500 CIs"));
    }
    state.app.problems().link_cis(&actor, id, &b.ci_ids).await?;
    detail(&state, &actor, id, StatusCode::OK).await
}

pub async fn unlink_ci(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, ci)): ApiPath<(TicketId, CiId)>,
) -> ApiResult<StatusCode> {
    state.app.problems().unlink_ci(&actor, id, ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResolveLinkedIncidents)]
pub struct ResolveBody {
    /// Only these of the open linked incidents (default: all of them).
    #[schema(max_items = 500)]
    incident_ids: Option<Vec<TicketId>>,
    /// The resolution note each incident gets (default: the problem's fix note).
    #[schema(max_length = 65536, pattern = "@text")]
    note: Option<String>,
}

/// `POST /api/v1/problems/{id}/resolve-incidents`: a resolved problem's open incidents resolved
/// with the fix note; answers the incidents resolved.
pub async fn resolve_incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<ResolveBody>,
) -> ApiResult<Json<Items<LinkedIncident>>> {
    let problems = state.app.problems();
    let note = match b.note.filter(|n| !n.trim().is_empty()) {
        Some(n) => n,
        None => problems.ticket(&actor, id).await?.resolution_note.unwrap_or_default(),
    };
    let resolved = problems.resolve_incidents(&actor, id, b.incident_ids.as_deref(), &note).await?;
    Ok(Json(Items::of(&resolved, LinkedIncident::from)))
}

pub async fn timeline(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<TimelineJson>>> {
    let entries = state.app.problems().timeline(&actor, id).await?;
    Ok(Json(Items::of(&entries, TimelineJson::from)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KnownErrorQuery {
    /// Words that must all appear in the title, root cause or workaround.
    #[param(max_length = 500)]
    q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/known-errors?q=…`: the known-error database.
pub async fn known_errors(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<KnownErrorQuery>,
) -> ApiResult<Json<Items<KnownErrorJson>>> {
    if q.q.as_ref().is_some_and(|s| s.len() > 500) {
        return Err(ApiError::invalid("q", "a query may not exceed 500 bytes"));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 500"));
    }
    let found = state.app.problems().known_errors(&actor, q.q.as_deref(), limit).await?;
    Ok(Json(Items::of(&found, KnownErrorJson::from)))
}
