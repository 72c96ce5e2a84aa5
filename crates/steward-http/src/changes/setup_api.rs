//! The change setup's API: models (YAML), approver groups, approval policies, the risk
//! questionnaire, freezes, the calendar, CIs' change slots, delegations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use steward_app::changes::NewFreeze;
use steward_core::ids::{CiId, UserId};
use utoipa::{IntoParams, ToSchema};

use super::api::instant;
use super::json::*;
use crate::AppState;
use crate::api::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

pub async fn models(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ModelJson>>> {
    let found = state.app.changes().models(&actor).await?;
    Ok(Json(Items::of(found.iter(), ModelJson::from)))
}

pub async fn model(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ModelDetailJson>> {
    let v = state.app.changes().model(&actor, id, None).await?;
    Ok(Json(ModelDetailJson {
        model: ModelJson::from(&v.record),
        definition: v.yaml.clone(),
        steps: v.definition.workflow.steps.iter().map(StepJson::from).collect(),
        in_flight: v.in_flight.iter().map(|c| c.1.clone()).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelBody {
    /// The model as YAML: `name`, `type`, `steps` (each `key`, `name`, `lane`, `phase`, `next`).
    #[schema(min_length = 1, max_length = 65536, pattern = "@nonblank_text")]
    definition: String,
    /// Move the changes under way to the new version too (409 when one would be stranded).
    #[serde(default)]
    upgrade: bool,
}

/// `POST /api/v1/change-models`: a new model, or the next version of the one with its name.
pub async fn save_model(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ModelBody>,
) -> ApiResult<Json<ModelJson>> {
    let m = state.app.changes().save_model(&actor, &b.definition, b.upgrade).await?;
    Ok(Json(ModelJson::from(&m)))
}

pub async fn retire_model(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.changes().retire_model(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn groups(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<GroupJson>>> {
    let found = state.app.changes().groups(&actor).await?;
    Ok(Json(Items::of(found.iter(), GroupJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// The group's name; an existing group of that name is redefined.
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[schema(schema_with = crate::api::schema::approval_rule)]
    rule: String,
    /// Approvals needed when the rule is `quorum`.
    #[schema(minimum = 1, maximum = 50)]
    quorum: Option<i64>,
    #[serde(default)]
    #[schema(max_items = 200)]
    members: Vec<UserId>,
}

pub async fn save_group(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupJson>> {
    let g = state.app.changes().save_group(&actor, &b.name, &b.rule, b.quorum, &b.members).await?;
    Ok(Json(GroupJson::from(&g)))
}

pub async fn policies(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<PolicyJson>>> {
    let found = state.app.changes().policies(&actor).await?;
    Ok(Json(Items::of(found.iter(), PolicyJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// `normal` or `emergency` (standard changes are pre-approved).
    #[schema(schema_with = crate::api::schema::change_type)]
    change_type: String,
    /// The lowest risk class that needs this group.
    #[schema(schema_with = crate::api::schema::risk_class)]
    min_risk: String,
    #[schema(minimum = 1, maximum = 9)]
    level: i64,
    group_id: i64,
}

pub async fn add_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<PolicyJson>)> {
    let p = state.app.changes().add_policy(&actor, &b.change_type, &b.min_risk, b.level, b.group_id).await?;
    Ok((StatusCode::CREATED, Json(PolicyJson::from(&p))))
}

pub async fn delete_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.changes().delete_policy(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn questions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<QuestionJson>>> {
    let found = state.app.changes().questions(&actor).await?;
    Ok(Json(Items::of(found.iter(), QuestionJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionBody {
    #[schema(min_length = 1, max_length = 300, pattern = "@line")]
    text: String,
    /// 2 to 10 answers, one per line, as `answer | points` (points 0 to 50).
    #[schema(min_length = 1, max_length = 4000, pattern = "@nonblank_text")]
    options: String,
}

pub async fn add_question(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<QuestionBody>,
) -> ApiResult<(StatusCode, Json<QuestionJson>)> {
    let q = state.app.changes().add_question(&actor, &b.text, &b.options).await?;
    Ok((StatusCode::CREATED, Json(QuestionJson::from(&q))))
}

pub async fn delete_question(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.changes().delete_question(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn freezes(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<FreezeJson>>> {
    let found = state.app.changes().freezes(&actor).await?;
    Ok(Json(Items::of(found.iter(), FreezeJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeBody {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[schema(pattern = "@instant")]
    starts_at: String,
    /// After the start, at most 30 days later, not in the past.
    #[schema(pattern = "@instant")]
    ends_at: String,
    #[serde(default)]
    #[schema(max_length = 1000, pattern = "@text")]
    reason: String,
}

pub async fn add_freeze(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<FreezeBody>,
) -> ApiResult<(StatusCode, Json<FreezeJson>)> {
    let f = NewFreeze {
        name: b.name,
        start: instant("starts_at", &b.starts_at)?,
        end: instant("ends_at", &b.ends_at)?,
        reason: b.reason,
    };
    let saved = state.app.changes().add_freeze(&actor, f).await?;
    Ok((StatusCode::CREATED, Json(FreezeJson::from(&saved))))
}

pub async fn delete_freeze(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.changes().delete_freeze(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    #[param(pattern = "@instant")]
    from: String,
    /// At most 62 days after `from`.
    #[param(pattern = "@instant")]
    to: String,
    ci: Option<CiId>,
}

pub async fn calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<CalendarJson>> {
    let (from, to) = (instant("from", &q.from)?, instant("to", &q.to)?);
    let v = state.app.changes().calendar(&actor, from, to, q.ci).await?;
    Ok(Json(CalendarJson {
        changes: v.changes.iter().map(CalendarEntryJson::from).collect(),
        freezes: v.freezes.iter().map(FreezeJson::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsBody {
    /// Weekly slots like `sat,sun 01:00-05:00` or `daily 22:00-02:00`, in the desk's zone;
    /// none: changes at any time.
    #[schema(max_items = 14)]
    slots: Vec<String>,
}

pub async fn set_slots(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    ApiJson(b): ApiJson<SlotsBody>,
) -> ApiResult<Json<Items<String>>> {
    let saved = state.app.changes().set_slots(&actor, id, &b.slots).await?;
    Ok(Json(Items::of(saved.iter(), |s| s.text())))
}

pub async fn slots(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
) -> ApiResult<Json<Items<String>>> {
    let found = state.app.changes().slots(&actor, id).await?;
    Ok(Json(Items::of(found.iter(), |s| s.text())))
}

pub async fn delegations(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<DelegationJson>>> {
    let found = state.app.changes().delegations(&actor).await?;
    Ok(Json(Items::of(found.iter(), DelegationJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationBody {
    /// Whose approvals are delegated (default: one's own; others' need change setup rights).
    user_id: Option<UserId>,
    delegate_id: UserId,
    #[schema(pattern = "@instant")]
    starts_at: String,
    #[schema(pattern = "@instant")]
    ends_at: String,
}

pub async fn delegate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<DelegationBody>,
) -> ApiResult<(StatusCode, Json<DelegationJson>)> {
    let (s, e) = (instant("starts_at", &b.starts_at)?, instant("ends_at", &b.ends_at)?);
    let d = state.app.changes().delegate(&actor, b.user_id, b.delegate_id, s, e).await?;
    Ok((StatusCode::CREATED, Json(DelegationJson::from(&d))))
}

pub async fn end_delegation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.changes().end_delegation(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
