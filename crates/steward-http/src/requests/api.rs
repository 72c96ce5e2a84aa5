//! `/api/v1/catalogue` (items, their forms and plans, ordering) and `/api/v1/requests`
//! (reading, approving, tasks, moving, replying).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use steward_app::incidents::AttachmentUpload;
use steward_app::requests::{
    ApproverInput, ConditionInput, Design, FieldInput, ItemSpec, NewOrder, PlanInput, TaskInput,
};
use steward_core::changes::Decision;
use steward_core::ids::{TeamId, TicketId};
use steward_core::tickets::State as TicketState;
use utoipa::{IntoParams, ToSchema};

use super::json::{ItemDetailJson, ItemJson, RequestDetailJson, RequestJson, VersionJson, WaitingJson};
use crate::AppState;
use crate::api::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogueItemInput)]
pub struct ItemBody {
    #[schema(min_length = 1, max_length = 120, pattern = "@line")]
    name: String,
    #[serde(default)]
    #[schema(max_length = 120, pattern = "@one_line")]
    name_zh: Option<String>,
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    category: String,
    #[serde(default)]
    #[schema(max_length = 4000, pattern = "@text")]
    description: String,
    /// The organisations that may order it; empty: everyone.
    #[serde(default)]
    #[schema(max_items = 50)]
    audience: Vec<String>,
    #[schema(minimum = 1, maximum = 8760)]
    delivery_hours: i64,
    /// The team that owns its requests.
    #[serde(default)]
    team_id: Option<TeamId>,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

impl From<ItemBody> for ItemSpec {
    fn from(b: ItemBody) -> ItemSpec {
        ItemSpec {
            name: b.name,
            name_zh: b.name_zh,
            category: b.category,
            description: b.description,
            audience: b.audience,
            delivery_hours: b.delivery_hours,
            team_id: b.team_id,
            active: b.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FormFieldInput)]
pub struct FieldBody {
    #[schema(min_length = 1, max_length = 40)]
    key: String,
    #[schema(min_length = 1, max_length = 200)]
    label: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    label_zh: Option<String>,
    /// text, textarea, number, date, choice, multi_choice, user, ci, attachment.
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    #[schema(max_items = 100)]
    options: Vec<String>,
    #[serde(default)]
    max_length: Option<i64>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    /// A CI field's CMDB query: `class:server env:prod`.
    #[serde(default)]
    #[schema(max_length = 500)]
    query: Option<String>,
    #[serde(default)]
    show_if: Option<ConditionBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FormConditionInput)]
pub struct ConditionBody {
    field: String,
    #[schema(max_items = 100)]
    any_of: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanApprovalInput)]
pub struct ApproverBody {
    /// `manager`, or `group` with `group_id`.
    approver: String,
    #[serde(default)]
    group_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanTaskInput)]
pub struct TaskBody {
    #[schema(min_length = 1, max_length = 120)]
    name: String,
    team_id: i64,
    /// Tasks of one stage run in parallel; stage 1 goes first.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20)]
    stage: Option<i64>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanInput)]
pub struct PlanBody {
    #[serde(default)]
    #[schema(max_items = 5)]
    approvals: Vec<ApproverBody>,
    #[serde(default)]
    #[schema(max_items = 20)]
    tasks: Vec<TaskBody>,
}

/// A form and fulfilment plan to publish as the item's next version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogueDesign)]
pub struct DesignBody {
    #[schema(max_items = 100)]
    fields: Vec<FieldBody>,
    #[serde(default)]
    plan: PlanBody,
}

impl From<DesignBody> for Design {
    fn from(b: DesignBody) -> Design {
        Design {
            fields: b
                .fields
                .into_iter()
                .map(|f| FieldInput {
                    key: f.key,
                    label: f.label,
                    label_zh: f.label_zh,
                    kind: f.kind,
                    required: f.required,
                    options: f.options,
                    max_length: f.max_length,
                    min: f.min,
                    max: f.max,
                    query: f.query,
                    show_if: f.show_if.map(|c| ConditionInput { field: c.field, any_of: c.any_of }),
                })
                .collect(),
            plan: PlanInput {
                approvals: b
                    .plan
                    .approvals
                    .into_iter()
                    .map(|a| ApproverInput { approver: a.approver, group_id: a.group_id })
                    .collect(),
                tasks: b
                    .plan
                    .tasks
                    .into_iter()
                    .map(|t| TaskInput { name: t.name, team_id: t.team_id, stage: t.stage.unwrap_or(1) })
                    .collect(),
            },
        }
    }
}

pub async fn list_items(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ItemJson>>> {
    let items = state.app.catalogue().list(&actor).await?;
    Ok(Json(Items::of(&items, ItemJson::from)))
}

pub async fn get_item(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ItemDetailJson>> {
    let item = state.app.catalogue().item(&actor, id).await?;
    Ok(Json(ItemDetailJson::from(&item)))
}

pub async fn create_item(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ItemBody>,
) -> ApiResult<(StatusCode, Json<ItemJson>)> {
    let item = state.app.catalogue().create(Some(&actor), b.into()).await?;
    Ok((StatusCode::CREATED, Json(ItemJson::from(&item))))
}

pub async fn update_item(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ItemBody>,
) -> ApiResult<Json<ItemJson>> {
    let item = state.app.catalogue().update(Some(&actor), id, b.into()).await?;
    Ok(Json(ItemJson::from(&item)))
}

pub async fn publish(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DesignBody>,
) -> ApiResult<(StatusCode, Json<VersionJson>)> {
    let version = state.app.catalogue().publish(Some(&actor), id, b.into()).await?;
    Ok((StatusCode::CREATED, Json(VersionJson { version })))
}

/// An order: the form version the requester saw and the answers by field key. A file for an
/// attachment field is `{"filename", "content_type", "content_base64"}`, each up to the
/// attachment size (`attachment_max_bytes`); the whole body may hold two such files beside
/// the usual body limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Order)]
pub struct OrderBody {
    #[schema(minimum = 1)]
    form_version: i64,
    #[serde(default)]
    #[schema(value_type = Object)]
    answers: BTreeMap<String, Value>,
}

/// Splits the files out of the answers.
fn order_of(item_id: i64, b: OrderBody) -> ApiResult<NewOrder> {
    let mut answers = BTreeMap::new();
    let mut files = BTreeMap::new();
    for (key, value) in b.answers {
        match &value {
            Value::Object(file) if file.contains_key("content_base64") => {
                let text = |k: &str| file.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                let data = base64::engine::general_purpose::STANDARD.decode(text("content_base64")).map_err(
                    |_| ApiError::invalid("answers", format!("answers.{key}: content_base64 is not base64")),
                )?;
                files.insert(
                    key,
                    AttachmentUpload {
                        filename: text("filename"),
                        content_type: text("content_type"),
                        internal: false,
                        data,
                    },
                );
            }
            _ => {
                answers.insert(key, value);
            }
        }
    }
    Ok(NewOrder { item_id, form_version: b.form_version, answers, files })
}

pub async fn order(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<OrderBody>,
) -> ApiResult<(StatusCode, Json<RequestDetailJson>)> {
    let ticket = state.app.requests().submit(&actor, order_of(id, b)?).await?;
    let view = state.app.requests().get(&actor, ticket.id).await?;
    Ok((StatusCode::CREATED, Json(RequestDetailJson::from(&view))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the caller's own requests (a requester sees no others anyway).
    mine: Option<bool>,
}

/// `GET /api/v1/requests`: the caller's own (`mine=true`, and always for requesters), or the
/// desk's requests (their teams' and the unassigned), newest first, 100 at most.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<RequestJson>>> {
    let requests = if q.mine.unwrap_or(false) {
        state.app.requests().mine(&actor).await?
    } else {
        let mut query = steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Request);
        query.descending = true;
        query.limit = 100;
        state.app.requests().list(&actor, &query).await?
    };
    Ok(Json(Items::of(&requests, RequestJson::from)))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<RequestDetailJson>> {
    let view = state.app.requests().get(&actor, id).await?;
    Ok(Json(RequestDetailJson::from(&view)))
}

async fn detail(
    state: &AppState,
    actor: &steward_app::Actor,
    id: TicketId,
) -> ApiResult<Json<RequestDetailJson>> {
    Ok(Json(RequestDetailJson::from(&state.app.requests().get(actor, id).await?)))
}

/// Whom a pending approval level is put to instead: exactly one of a person and a group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestReroute)]
pub struct RerouteBody {
    manager_id: Option<steward_core::ids::UserId>,
    group_id: Option<i64>,
}

impl RerouteBody {
    pub fn approver(&self) -> Result<steward_app::requests::NewApprover, ApiError> {
        use steward_app::requests::NewApprover;
        match (self.manager_id, self.group_id) {
            (Some(u), None) => Ok(NewApprover::Person(u)),
            (None, Some(g)) => Ok(NewApprover::Group(g)),
            _ => Err(ApiError::invalid(
                "manager_id",
                "give either a person (manager_id) or a group (group_id)",
            )),
        }
    }
}

/// `POST /api/v1/requests/{id}/levels/{level}/approver`: the desk re-routes a pending level.
pub async fn reroute(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, level)): ApiPath<(TicketId, i64)>,
    ApiJson(b): ApiJson<RerouteBody>,
) -> ApiResult<Json<RequestDetailJson>> {
    state.app.requests().reroute(&actor, id, level, b.approver()?).await?;
    detail(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestDecisionInput)]
pub struct DecisionBody {
    #[schema(schema_with = crate::api::schema::decision)]
    decision: String,
    /// Required to reject.
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    comment: String,
}

pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<RequestDetailJson>> {
    let decision = Decision::parse(&b.decision).map_err(|e| ApiError::invalid("decision", e.message))?;
    state.app.requests().decide(&actor, id, decision, &b.comment).await?;
    detail(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TaskDoneInput)]
pub struct TaskDoneBody {
    #[serde(default)]
    #[schema(max_length = 2000, pattern = "@text")]
    note: String,
}

pub async fn task_done(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, task_id)): ApiPath<(TicketId, i64)>,
    ApiJson(b): ApiJson<TaskDoneBody>,
) -> ApiResult<Json<RequestDetailJson>> {
    state.app.requests().complete_task(&actor, id, task_id, &b.note).await?;
    detail(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestTransition)]
pub struct TransitionBody {
    /// cancelled, closed, or resolved (a plan without tasks, by the desk).
    #[schema(schema_with = crate::api::schema::request_move)]
    to: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    resolution_note: Option<String>,
}

pub async fn transition(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<TransitionBody>,
) -> ApiResult<Json<RequestDetailJson>> {
    let to = TicketState::parse(&b.to).map_err(|e| ApiError::invalid("to", e.message))?;
    state.app.requests().transition(&actor, id, to, b.resolution_note.as_deref()).await?;
    detail(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestCommentInput)]
pub struct CommentBody {
    #[schema(min_length = 1, max_length = 65536, pattern = "@text")]
    body: String,
    /// A work note, seen by the desk only.
    #[serde(default)]
    internal: bool,
}

pub async fn comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<RequestDetailJson>)> {
    state.app.requests().comment(&actor, id, &b.body, b.internal).await?;
    Ok((StatusCode::CREATED, detail(&state, &actor, id).await?))
}

pub async fn waiting(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<WaitingJson>>> {
    let waiting = state.app.requests().awaiting_me(&actor).await?;
    Ok(Json(Items::of(&waiting, |(t, level)| WaitingJson { request: RequestJson::from(t), level: *level })))
}
