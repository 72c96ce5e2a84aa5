//! `/api/v1/incidents`: raise, read, list, update, move through the lifecycle, converse.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_app::incidents::{ActivityItem, AttachmentUpload};
use steward_app::{IncidentPatch, NewIncident};
use steward_core::ids::{CategoryId, CiId, TeamId, TicketId, UserId};
use steward_core::tickets::{
    HoldReason, QueueColumn, ResolutionCode, State as TicketState, Ticket, TicketKind, TransitionRequest,
};
use utoipa::ToSchema;

use super::json::{ActivityEntry, AttachmentJson, CategoryJson, CommentJson, IncidentJson, IncidentPage};
use crate::AppState;
use crate::api::Items;
use crate::api::patch::{double_option, expected};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, CurrentActor};
use crate::ticket_query;

fn with_etag(status: StatusCode, t: &Ticket) -> Response {
    let mut response = (status, Json(IncidentJson::from(t))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", t.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewIncident)]
pub struct CreateBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    description: String,
    requester_id: Option<UserId>,
    category_id: Option<CategoryId>,
    subcategory_id: Option<CategoryId>,
    #[schema(max_length = 200, pattern = "@one_line")]
    service: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    impact: Option<i64>,
    #[schema(minimum = 1, maximum = 3)]
    urgency: Option<i64>,
    team_id: Option<TeamId>,
    assignee_id: Option<UserId>,
    parent_id: Option<TicketId>,
    #[serde(default)]
    related: Vec<TicketId>,
    #[serde(default)]
    watchers: Vec<UserId>,
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Vec<String>,
    #[serde(default)]
    ci_ids: Vec<CiId>,
}

/// `POST /api/v1/incidents` → 201 with `id`, `number`, `state`, `priority`, ….
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let input = NewIncident {
        title: b.title,
        description: b.description,
        requester_id: b.requester_id,
        category_id: b.category_id,
        subcategory_id: b.subcategory_id,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        parent_id: b.parent_id,
        related: b.related,
        watchers: b.watchers,
        ci_ids: b.ci_ids,
        tags: b.tags,
    };
    let ticket = state.app.incidents().create(&actor, input).await?;
    let mut response = with_etag(StatusCode::CREATED, &ticket);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/incidents/{}", ticket.id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Response> {
    let view = state.app.incidents().get(&actor, id).await?;
    Ok(with_etag(StatusCode::OK, &view.ticket))
}

/// `GET /api/v1/incidents?state=…&team=…&sort=priority&cursor=…`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    uri: Uri,
) -> ApiResult<Json<IncidentPage>> {
    let query = ticket_query::parse(TicketKind::Incident, uri.query(), actor.user.id)?;
    let page = state.app.incidents().list(&actor, &query).await?;
    let next = page.next.map(|c| ticket_query::encode_cursor(query.sort, query.descending, c));
    Ok(Json(IncidentPage { items: page.items.iter().map(IncidentJson::from).collect(), next_cursor: next }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = IncidentPatch)]
pub struct PatchBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: Option<String>,
    #[schema(max_length = 65536, pattern = "@text")]
    description: Option<String>,
    requester_id: Option<UserId>,
    #[serde(default, with = "double_option")]
    category_id: Option<Option<CategoryId>>,
    #[serde(default, with = "double_option")]
    subcategory_id: Option<Option<CategoryId>>,
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
    parent_id: Option<Option<TicketId>>,
    #[schema(max_items = 20)]
    tags: Option<Vec<String>>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `PATCH /api/v1/incidents/{id}`, with `If-Match` (or `version`) → 412 when stale.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let patch = IncidentPatch {
        title: b.title,
        description: b.description,
        requester_id: b.requester_id,
        category_id: b.category_id,
        subcategory_id: b.subcategory_id,
        service: b.service,
        impact: b.impact,
        urgency: b.urgency,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        parent_id: b.parent_id,
        tags: b.tags,
    };
    let ticket = state
        .app
        .incidents()
        .update(&actor, id, expected.version, patch)
        .await
        .map_err(|e| expected.refusal(e))?;
    Ok(with_etag(StatusCode::OK, &ticket))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Transition)]
pub struct TransitionBody {
    #[schema(schema_with = crate::api::schema::state)]
    to: String,
    #[schema(schema_with = crate::api::schema::hold_reason_or_null)]
    hold_reason: Option<String>,
    #[schema(schema_with = crate::api::schema::resolution_code_or_null)]
    resolution_code: Option<String>,
    #[schema(max_length = 65536, pattern = "@text")]
    resolution_note: Option<String>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

fn invalid(e: steward_core::tickets::FieldError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

/// `POST /api/v1/incidents/{id}/transition` `{"to": "resolved", ...}` → 409 listing the
/// allowed states when the move is not allowed.
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
        hold_reason: b.hold_reason.as_deref().map(HoldReason::parse).transpose().map_err(invalid)?,
        resolution_code: b
            .resolution_code
            .as_deref()
            .map(ResolutionCode::parse)
            .transpose()
            .map_err(invalid)?,
        resolution_note: b.resolution_note,
    };
    let ticket = state
        .app
        .incidents()
        .transition(&actor, id, expected.version, request)
        .await
        .map_err(|e| expected.refusal(e))?;
    Ok(with_etag(StatusCode::OK, &ticket))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewComment)]
pub struct CommentBody {
    #[schema(min_length = 1, max_length = 65536, pattern = "@nonblank_text")]
    body: String,
    #[serde(default)]
    internal: bool,
}

pub async fn comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<CommentJson>)> {
    let c = state.app.incidents().comment(&actor, id, &b.body, b.internal).await?;
    Ok((StatusCode::CREATED, Json(CommentJson::from(&c))))
}

pub async fn comments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<CommentJson>>> {
    let list = state.app.incidents().comments(&actor, id).await?;
    Ok(Json(Items::of(&list, CommentJson::from)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    #[param(min_length = 1, max_length = 200)]
    filename: String,
    #[serde(default)]
    internal: bool,
}

/// `POST /api/v1/incidents/{id}/attachments?filename=x.log&internal=false` with the file as the
/// raw body and its type as `Content-Type`.
pub async fn upload(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<UploadQuery>,
    request: Request,
) -> ApiResult<(StatusCode, Json<AttachmentJson>)> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let limit = state.app.config().attachment_max_bytes;
    let too_large =
        || crate::limits::too_large(format!("files may not exceed {} KiB", limit / 1024)).with_field("file");
    if crate::limits::announced_length(request.headers()).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let data = axum::body::to_bytes(request.into_body(), limit).await.map_err(|_| too_large())?;
    let upload =
        AttachmentUpload { filename: q.filename, content_type, internal: q.internal, data: data.to_vec() };
    let stored = state.app.incidents().attach(&actor, id, upload).await?;
    Ok((StatusCode::CREATED, Json(AttachmentJson::from(&stored))))
}

pub async fn attachments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<AttachmentJson>>> {
    let list = state.app.incidents().attachments(&actor, id).await?;
    Ok(Json(Items::of(&list, AttachmentJson::from)))
}

/// `GET /api/v1/attachments/{id}`: always a download, never rendered in Steward's origin.
pub async fn download(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (meta, data) = state.app.incidents().attachment(&actor, id).await?;
    let mut response = Response::new(Body::from(data));
    let h = response.headers_mut();
    let content_type = HeaderValue::from_str(&meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, content_type);
    let encoded: String = meta
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}"))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(response)
}

/// `GET /api/v1/incidents/{id}/activity`: history and conversation, oldest first.
pub async fn activity(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<ActivityEntry>>> {
    let items = state.app.incidents().activity(&actor, id).await?;
    Ok(Json(Items::of(&items, |i| match i {
        ActivityItem::Event(e, _) => ActivityEntry::Event { event: crate::audit::api::event_json(e) },
        ActivityItem::Comment(c) => ActivityEntry::Comment { comment: CommentJson::from(c) },
    })))
}

pub async fn watch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, user_id)): ApiPath<(TicketId, UserId)>,
) -> ApiResult<StatusCode> {
    state.app.incidents().set_watcher(&actor, id, user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unwatch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, user_id)): ApiPath<(TicketId, UserId)>,
) -> ApiResult<StatusCode> {
    state.app.incidents().set_watcher(&actor, id, user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Relate)]
pub struct RelateBody {
    ticket_id: TicketId,
}

pub async fn relate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<RelateBody>,
) -> ApiResult<StatusCode> {
    state.app.incidents().relate(&actor, id, b.ticket_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn categories(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<CategoryJson>>> {
    let list = state.app.incidents().categories(&actor).await?;
    Ok(Json(Items::of(&list, CategoryJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCategory)]
pub struct CategoryBody {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    parent_id: Option<CategoryId>,
}

pub async fn create_category(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryJson>)> {
    let id = state.app.incidents().create_category(Some(&actor), &b.name, b.parent_id).await?;
    let category = steward_store::Category {
        id,
        name: b.name.trim().to_owned(),
        parent_id: b.parent_id,
        active: true,
        team_id: None,
    };
    Ok((StatusCode::CREATED, Json(CategoryJson::from(&category))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CategoryPatch)]
pub struct PatchCategory {
    /// The team new tickets in this category go to when their creator names none; null: none
    /// (the parent category's team, else the intake team, takes them).
    team_id: Option<TeamId>,
}

pub async fn update_category(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CategoryId>,
    ApiJson(b): ApiJson<PatchCategory>,
) -> ApiResult<Json<CategoryJson>> {
    state.app.incidents().route_category(Some(&actor), id, b.team_id).await?;
    let list = state.app.incidents().categories(&actor).await?;
    let category = list.iter().find(|c| c.id == id).ok_or(steward_app::AppError::NotFound("category"))?;
    Ok(Json(CategoryJson::from(category)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MarkdownText)]
pub struct PreviewBody {
    #[schema(max_length = 100000)]
    text: String,
}

/// Markdown as a reply or description will show it.
#[derive(Serialize, ToSchema)]
#[schema(as = MarkdownPreview)]
pub struct PreviewJson {
    html: String,
}

/// `POST /api/v1/markdown/preview`: the writing aid behind the Preview buttons.
pub async fn preview(
    CurrentActor(_actor): CurrentActor,
    ApiJson(b): ApiJson<PreviewBody>,
) -> ApiResult<Json<PreviewJson>> {
    if b.text.chars().count() > 100_000 {
        return Err(crate::error::ApiError::invalid("text", "at most 100,000 characters"));
    }
    Ok(Json(PreviewJson { html: steward_app::markdown::to_safe_html(&b.text) }))
}

/// The caller's queue columns in order, and every column there is.
#[derive(Serialize, ToSchema)]
pub struct QueueColumnsJson {
    columns: Vec<&'static str>,
    available: Vec<&'static str>,
}

impl QueueColumnsJson {
    fn of(columns: &[QueueColumn]) -> QueueColumnsJson {
        QueueColumnsJson {
            columns: columns.iter().map(|c| c.as_str()).collect(),
            available: QueueColumn::ALL.iter().map(|c| c.as_str()).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = QueueColumns)]
pub struct QueueColumnsBody {
    /// In the order the queue shows them; `number` is always shown (first, unless placed).
    #[schema(schema_with = crate::api::schema::queue_columns)]
    columns: Vec<String>,
}

pub async fn queue_columns(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<QueueColumnsJson>> {
    Ok(Json(QueueColumnsJson::of(&state.app.incidents().queue_columns(&actor).await?)))
}

pub async fn set_queue_columns(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<QueueColumnsBody>,
) -> ApiResult<Json<QueueColumnsJson>> {
    Ok(Json(QueueColumnsJson::of(&state.app.incidents().set_queue_columns(&actor, Some(&b.columns)).await?)))
}

pub async fn reset_queue_columns(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<QueueColumnsJson>> {
    Ok(Json(QueueColumnsJson::of(&state.app.incidents().set_queue_columns(&actor, None).await?)))
}
