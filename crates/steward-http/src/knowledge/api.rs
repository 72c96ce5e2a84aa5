//! `/api/v1/articles`: write, read, list, version, review, publish, rate, attach.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_app::knowledge::{ArticleView, NewArticle};
use steward_core::ids::TicketId;
use steward_core::knowledge::{ArticleState, Audience, Content, Step};
use steward_store::ArticleFilter;
use utoipa::{IntoParams, ToSchema};

use super::json::{ArticleDetailJson, ArticleJson, DiffJson, DraftJson, VersionJson};
use crate::AppState;
use crate::api::Items;
use crate::api::patch::expected;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

fn invalid(e: steward_core::tickets::FieldError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

fn answer(status: StatusCode, v: &ArticleView) -> Response {
    let mut response = (status, Json(ArticleDetailJson::from(v))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", v.record.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

async fn shown(
    state: &AppState,
    actor: &steward_app::Actor,
    id: i64,
    status: StatusCode,
) -> ApiResult<Response> {
    let record = state.app.store().article(id).await.map_err(steward_app::AppError::from)?;
    let record = record.ok_or(steward_app::AppError::NotFound("article"))?;
    let view =
        state.app.knowledge().view(actor, record).await?.ok_or(steward_app::AppError::NotFound("article"))?;
    Ok(answer(status, &view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `draft`, `review`, `published` or `retired` (the newest version's state).
    #[param(schema_with = crate::api::schema::article_state)]
    state: Option<String>,
    #[param(max_length = 100)]
    category: Option<String>,
    #[param(max_length = 40)]
    tag: Option<String>,
    /// Articles with ids below this one (the next page).
    #[param(minimum = 1)]
    before: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<ArticleJson>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 500"));
    }
    if q.before.is_some_and(|b| b < 1) {
        return Err(ApiError::invalid("before", "an article id, 1 or more"));
    }
    if q.tag.as_ref().is_some_and(|t| t.chars().count() > 40) {
        return Err(ApiError::invalid("tag", "a tag is at most 40 characters"));
    }
    if q.category.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(ApiError::invalid("category", "a category is at most 100 characters"));
    }
    let filter = ArticleFilter {
        state: q
            .state
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(ArticleState::parse)
            .transpose()
            .map_err(invalid)?,
        published: false,
        audience: None,
        category: q.category.filter(|c| !c.trim().is_empty()),
        tag: q.tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
        before: q.before,
        limit,
    };
    let found = state.app.knowledge().list(&actor, filter).await?;
    Ok(Json(Items::of(&found, ArticleJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleInput)]
pub struct ArticleBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    /// Markdown.
    #[schema(min_length = 1, max_length = 65536, pattern = "@nonblank_text")]
    body: String,
    /// `en` or `zh-CN`; guessed from the text when left out.
    #[schema(schema_with = crate::api::schema::article_lang_or_null)]
    lang: Option<String>,
    /// `requesters` or `agents` (the default).
    #[schema(schema_with = crate::api::schema::audience_or_null)]
    audience: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100, pattern = "@one_line")]
    category: String,
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Vec<String>,
    /// A date such as `2027-06-30`.
    #[schema(format = Date)]
    review_by: Option<String>,
    /// The ticket it was written from (creation only).
    source_ticket_id: Option<TicketId>,
    /// The version edited (updates; or `If-Match`).
    #[schema(minimum = 1)]
    version: Option<i64>,
}

impl ArticleBody {
    fn content(&self) -> Result<Content, ApiError> {
        if self.version.is_some_and(|v| v < 1) {
            return Err(ApiError::invalid("version", "a version is 1 or more"));
        }
        if self.review_by.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(ApiError::invalid("review_by", "a date such as 2027-06-30, or null"));
        }
        Content::parse(
            &self.title,
            &self.body,
            self.lang.as_deref(),
            self.audience.as_deref().unwrap_or_default(),
            &self.category,
            &self.tags,
            self.review_by.as_deref(),
        )
        .map_err(invalid)
    }
}

/// `POST /api/v1/articles` → 201, a draft.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ArticleBody>,
) -> ApiResult<Response> {
    let input = NewArticle { content: b.content()?, source_ticket: b.source_ticket_id };
    let record = state.app.knowledge().create(&actor, input).await?;
    let mut response = shown(&state, &actor, record.id, StatusCode::CREATED).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/articles/{}", record.id)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let view = state.app.knowledge().get(&actor, id).await?;
    Ok(answer(StatusCode::OK, &view))
}

/// `PUT /api/v1/articles/{id}` with `If-Match` (or `version`): the next version; 412 (409 with
/// `version` in the body) when someone saved first.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ArticleBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    if b.source_ticket_id.is_some() {
        return Err(ApiError::invalid("source_ticket_id", "the source is set when the article is written"));
    }
    let content = b.content()?;
    let knowledge = state.app.knowledge();
    knowledge.edit(&actor, id, expected.version, content).await.map_err(|e| expected.refusal(e))?;
    shown(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleWorkflow)]
pub struct WorkflowBody {
    /// `submit`, `publish`, `reject` (with a comment) or `retire`.
    #[schema(schema_with = crate::api::schema::article_step)]
    action: String,
    #[schema(max_length = 2000, pattern = "@text")]
    comment: Option<String>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `POST /api/v1/articles/{id}/workflow` → 409 when the step does not apply now, 403 when the
/// last editor publishes their own work.
pub async fn workflow(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<WorkflowBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let action = Step::parse(&b.action).map_err(invalid)?;
    let knowledge = state.app.knowledge();
    knowledge
        .step(&actor, id, expected.version, action, b.comment.as_deref())
        .await
        .map_err(|e| expected.refusal(e))?;
    shown(&state, &actor, id, StatusCode::OK).await
}

pub async fn versions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Items<VersionJson>>> {
    let found = state.app.knowledge().versions(&actor, id).await?;
    Ok(Json(Items::of(&found, VersionJson::from)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    #[param(minimum = 1)]
    from: i64,
    #[param(minimum = 1)]
    to: i64,
}

pub async fn diff(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Items<DiffJson>>> {
    let lines = state.app.knowledge().diff(&actor, id, q.from, q.to).await?;
    Ok(Json(Items::of(&lines, DiffJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleRollback)]
pub struct RollbackBody {
    /// The version whose content becomes the newest version again.
    #[schema(minimum = 1)]
    to_version: i64,
    /// The article's current version (or `If-Match`).
    #[schema(minimum = 1)]
    version: Option<i64>,
}

pub async fn rollback(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RollbackBody>,
) -> ApiResult<Response> {
    let expected = expected(&headers, b.version)?;
    let knowledge = state.app.knowledge();
    knowledge.rollback(&actor, id, expected.version, b.to_version).await.map_err(|e| expected.refusal(e))?;
    shown(&state, &actor, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleFeedback)]
pub struct FeedbackBody {
    helpful: bool,
}

/// `POST /api/v1/articles/{id}/feedback`: one answer per reader (a new one replaces it).
pub async fn feedback(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FeedbackBody>,
) -> ApiResult<Json<ArticleJson>> {
    let record = state.app.knowledge().rate(&actor, id, b.helpful).await?;
    Ok(Json(ArticleJson::from(&record)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AttachArticle)]
pub struct AttachBody {
    #[schema(minimum = 1)]
    article_id: i64,
}

/// `POST /api/v1/tickets/{id}/articles`: attach an article to an incident or a problem.
pub async fn attach(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(ticket): ApiPath<TicketId>,
    ApiJson(b): ApiJson<AttachBody>,
) -> ApiResult<Json<Items<ArticleJson>>> {
    state.app.knowledge().attach(&actor, ticket, b.article_id).await?;
    ticket_articles(State(state), CurrentActor(actor), ApiPath(ticket)).await
}

pub async fn ticket_articles(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(ticket): ApiPath<TicketId>,
) -> ApiResult<Json<Items<ArticleJson>>> {
    let t = state.app.store().ticket(ticket).await.map_err(steward_app::AppError::from)?;
    match t.map(|t| t.kind) {
        Some(steward_core::tickets::TicketKind::Incident) => {
            drop(state.app.incidents().get(&actor, ticket).await?)
        }
        Some(steward_core::tickets::TicketKind::Problem) => {
            drop(state.app.problems().ticket(&actor, ticket).await?)
        }
        Some(steward_core::tickets::TicketKind::Change) => {
            drop(state.app.changes().ticket(&actor, ticket).await?)
        }
        Some(steward_core::tickets::TicketKind::Request) => {
            drop(state.app.requests().get(&actor, ticket).await?)
        }
        None => return Err(steward_app::AppError::NotFound("ticket").into()),
    }
    let found = state.app.knowledge().of_ticket(&actor, ticket).await?;
    Ok(Json(Items::of(found.iter().map(|v| &v.record), ArticleJson::from)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DraftQuery {
    /// The incident or problem to write up.
    #[param(minimum = 1)]
    ticket_id: TicketId,
}

/// `GET /api/v1/article-drafts?ticket_id=…`: a draft from a resolved incident or a known error.
pub async fn draft(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<DraftQuery>,
) -> ApiResult<Json<DraftJson>> {
    let c = state.app.knowledge().draft_from(&actor, q.ticket_id).await?;
    Ok(Json(DraftJson {
        title: c.title,
        body: c.body,
        lang: c.lang.as_str(),
        audience: if c.audience == Audience::Requesters { "requesters" } else { "agents" },
        category: c.category,
    }))
}
