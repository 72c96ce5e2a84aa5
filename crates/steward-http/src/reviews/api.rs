//! The review API: `/api/v1/incidents/{id}/review` and its action items.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_app::reviews::ReviewView;
use steward_core::ids::{TicketId, UserId};
use steward_core::reviews::{ActionState, Findings, NewAction};
use steward_store::ActionRecord;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::patch::expected;
use crate::api::{Items, time};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

fn invalid(e: steward_core::tickets::FieldError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

/// An action item.
#[derive(Serialize, ToSchema)]
#[schema(as = ReviewAction)]
pub struct ActionJson {
    id: i64,
    incident_id: TicketId,
    title: String,
    owner_id: UserId,
    /// `2027-01-15`.
    due: String,
    /// `open`, `in_progress`, `done` or `cancelled`.
    state: &'static str,
    /// Open with its due date passed.
    overdue: bool,
}

impl ActionJson {
    pub fn new(a: &ActionRecord, today: jiff::civil::Date) -> ActionJson {
        ActionJson {
            id: a.id,
            incident_id: a.incident_id,
            title: a.title.clone(),
            owner_id: a.owner_id,
            due: a.due.to_string(),
            state: a.state.as_str(),
            overdue: steward_core::reviews::overdue(a.state, a.due, today),
        }
    }
}

/// One line of the timeline.
#[derive(Serialize, ToSchema)]
#[schema(as = ReviewTimelineEntry)]
pub struct TimelineJson {
    at: String,
    entity: String,
    subject: String,
    action: String,
    actor: String,
    state: Option<String>,
}

/// A review with its impact, findings, actions and timeline.
#[derive(Serialize, ToSchema)]
#[schema(as = Review)]
pub struct ReviewJson {
    incident_id: TicketId,
    number: String,
    title: String,
    #[schema(minimum = 1, maximum = 5)]
    priority: u8,
    /// From opening to resolution (or now), in minutes.
    duration_minutes: i64,
    resolved: bool,
    service: Option<String>,
    cis: Vec<String>,
    /// SLA breaches recorded.
    sla_breaches: usize,
    summary: String,
    users_affected: Option<i64>,
    went_well: String,
    went_badly: String,
    factors: String,
    /// For `If-Match`; also the `ETag`.
    version: i64,
    actions: Vec<ActionJson>,
    timeline: Vec<TimelineJson>,
}

pub fn review_json(v: &ReviewView, today: jiff::civil::Date) -> ReviewJson {
    let f = &v.review.findings;
    ReviewJson {
        incident_id: v.incident.id,
        number: v.incident.number.clone(),
        title: v.incident.title.clone(),
        priority: v.incident.priority.get(),
        duration_minutes: v.impact.duration.as_secs() / 60,
        resolved: v.impact.resolved,
        service: v.impact.service.clone(),
        cis: v.impact.cis.iter().map(|c| c.name.clone()).collect(),
        sla_breaches: v.impact.sla_firings.iter().filter(|f| f.1 >= 100).count(),
        summary: f.summary.clone(),
        users_affected: f.users_affected,
        went_well: f.went_well.clone(),
        went_badly: f.went_badly.clone(),
        factors: f.factors.clone(),
        version: v.review.version,
        actions: v.actions.iter().map(|a| ActionJson::new(a, today)).collect(),
        timeline: v
            .timeline
            .iter()
            .map(|e| TimelineJson {
                at: time(e.at),
                entity: e.entity.clone(),
                subject: e.subject.clone(),
                action: e.action.clone(),
                actor: e.actor.clone(),
                state: e.state.clone(),
            })
            .collect(),
    }
}

fn today(state: &AppState) -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC.to_datetime(state.app.now()).date()
}

fn answer(state: &AppState, status: StatusCode, v: &ReviewView) -> Response {
    let mut r = (status, Json(review_json(v, today(state)))).into_response();
    if let Ok(tag) = axum::http::HeaderValue::from_str(&format!("\"{}\"", v.review.version)) {
        r.headers_mut().insert(header::ETAG, tag);
    }
    r
}

/// `POST /api/v1/incidents/{id}/review` → 201; 409 when it has one.
pub async fn open(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Response> {
    let v = state.app.reviews().open(&actor, id).await?;
    Ok(answer(&state, StatusCode::CREATED, &v))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Response> {
    let v = state.app.reviews().get(&actor, id).await?;
    Ok(answer(&state, StatusCode::OK, &v))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewFindings)]
pub struct FindingsBody {
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    summary: String,
    #[schema(minimum = 0, maximum = 100000000)]
    users_affected: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    went_well: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    went_badly: String,
    /// Contributing factors.
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    factors: String,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `PUT /api/v1/incidents/{id}/review` with `If-Match` (or `version`).
pub async fn edit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<FindingsBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let findings = Findings::parse(&b.summary, b.users_affected, &b.went_well, &b.went_badly, &b.factors)
        .map_err(invalid)?;
    let v = state
        .app
        .reviews()
        .edit(&actor, id, expected.version, findings)
        .await
        .map_err(|e| expected.refusal(e))?;
    Ok(answer(&state, StatusCode::OK, &v))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewReviewAction)]
pub struct ActionBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    owner_id: UserId,
    /// `2027-01-15`.
    #[schema(format = Date)]
    due: String,
}

pub async fn add_action(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<ActionBody>,
) -> ApiResult<(StatusCode, Json<ActionJson>)> {
    let action = NewAction::parse(&b.title, b.owner_id, &b.due).map_err(invalid)?;
    let a = state.app.reviews().add_action(&actor, id, action).await?;
    Ok((StatusCode::CREATED, Json(ActionJson::new(&a, today(&state)))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewActionMove)]
pub struct MoveBody {
    #[schema(schema_with = crate::api::schema::action_state)]
    state: String,
}

pub async fn move_action(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<Json<ActionJson>> {
    let to = ActionState::parse(&b.state).map_err(invalid)?;
    let a = state.app.reviews().move_action(&actor, id, to).await?;
    Ok(Json(ActionJson::new(&a, today(&state))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActionsQuery {
    /// Only this owner's (`me` for the caller's own)
    #[param(pattern = "^(me|[0-9]{1,18})$")]
    owner: Option<String>,
}

/// `GET /api/v1/review-actions?owner=me`: open action items, soonest due first.
pub async fn open_actions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ActionsQuery>,
) -> ApiResult<Json<Items<ActionJson>>> {
    let owner = match q.owner.as_deref() {
        None => None,
        Some("me") => Some(actor.user.id),
        Some(n) => Some(UserId(n.parse().map_err(|_| ApiError::invalid("owner", "`me` or a user id"))?)),
    };
    let found = state.app.reviews().open_actions(&actor, owner).await?;
    let today = today(&state);
    Ok(Json(Items::of(found.iter().map(|(a, _)| a), |a| ActionJson::new(a, today))))
}

/// `GET /api/v1/incidents/{id}/review.md`: the review as Markdown.
pub async fn markdown(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Response> {
    let v = state.app.reviews().get(&actor, id).await?;
    let names = state.app.directory().names().await?;
    let name = |u: UserId| names.users.get(&u).map(|(_, d)| d.clone()).unwrap_or_else(|| format!("#{u}"));
    let text = v.markdown(&name);
    let disposition = format!("attachment; filename=\"review-{}.md\"", v.incident.number);
    Ok((
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}
