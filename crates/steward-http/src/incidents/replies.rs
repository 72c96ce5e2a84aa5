//! Canned replies (issue 17, "writing"): the API under `/api/v1/reply-templates`, the filled
//! texts offered on an incident, and the `/replies` page where a team keeps its texts.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use steward_app::{Actor, FilledReply};
use steward_core::identity::Permission;
use steward_core::ids::{TeamId, TicketId};
use steward_core::tickets::PLACEHOLDERS;
use steward_store::ReplyTemplateRecord;
use utoipa::ToSchema;

use super::web::opt_id;
use crate::AppState;
use crate::api::{Created, Items};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender};

/// A canned reply as kept (`body` holds the placeholders).
#[derive(Serialize, ToSchema)]
pub struct ReplyTemplateJson {
    id: i64,
    name: String,
    body: String,
    /// null: shared by every agent.
    team_id: Option<TeamId>,
}

impl From<&ReplyTemplateRecord> for ReplyTemplateJson {
    fn from(r: &ReplyTemplateRecord) -> Self {
        ReplyTemplateJson {
            id: r.id,
            name: r.template.name.clone(),
            body: r.template.body.clone(),
            team_id: r.template.team_id,
        }
    }
}

/// A canned reply filled from one ticket, ready to send.
#[derive(Serialize, ToSchema)]
pub struct FilledReplyJson {
    id: i64,
    name: String,
    team_id: Option<TeamId>,
    text: String,
}

impl From<&FilledReply> for FilledReplyJson {
    fn from(r: &FilledReply) -> Self {
        FilledReplyJson { id: r.id, name: r.name.clone(), team_id: r.team_id, text: r.text.clone() }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReplyTemplate)]
pub struct ReplyTemplateBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Markdown with placeholders: `{{ ticket.number }}`, `{{ ticket.title }}`,
    /// `{{ requester.name }}`, `{{ agent.name }}`, `{{ team.name }}`.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
    /// null or absent: shared by every agent (admins only).
    #[serde(default)]
    team_id: Option<TeamId>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ReplyTemplateJson>>> {
    let all = state.app.incidents().reply_templates(&actor).await?;
    Ok(Json(Items::of(&all, ReplyTemplateJson::from)))
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ReplyTemplateBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = state.app.incidents().create_reply_template(&actor, &b.name, &b.body, b.team_id).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn replace(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReplyTemplateBody>,
) -> ApiResult<StatusCode> {
    state.app.incidents().update_reply_template(&actor, id, &b.name, &b.body, b.team_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.incidents().delete_reply_template(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn for_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<FilledReplyJson>>> {
    let filled = state.app.incidents().replies_for(&actor, id).await?;
    Ok(Json(Items::of(&filled, FilledReplyJson::from)))
}

#[derive(Template)]
#[template(path = "replies.html")]
struct RepliesPage<'a> {
    page: Page<'a>,
    /// Each kept text with its team's name ("" when shared).
    templates: Vec<(ReplyTemplateRecord, String)>,
    /// The teams the reader may keep texts for.
    teams: Vec<(TeamId, String)>,
    /// Whether the reader may keep shared texts (admins).
    shared: bool,
    placeholders: &'static [&'static str],
    /// What was typed into the form that failed (the new one: id 0).
    typed: ReplyForm,
}

impl RepliesPage<'_> {
    fn chosen(&self, team: &TeamId, of: &ReplyTemplateRecord) -> bool {
        of.template.team_id == Some(*team)
    }

    fn typed_team(&self, team: &TeamId) -> bool {
        self.typed.id == 0 && self.typed.team_id.trim() == team.to_string()
    }

    /// The name and text a template's form shows: what was typed when its save failed.
    fn shown<'r>(&'r self, of: &'r ReplyTemplateRecord) -> (&'r str, &'r str) {
        match self.typed.id == of.id {
            true => (&self.typed.name, &self.typed.body),
            false => (&of.template.name, &of.template.body),
        }
    }

    /// The new template's form shows what was typed only when it was that form which failed.
    fn new_typed(&self) -> (&str, &str) {
        match self.typed.id {
            0 => (&self.typed.name, &self.typed.body),
            _ => ("", ""),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ReplyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    team_id: String,
    /// The template whose form this is (0: the new one's).
    #[serde(skip)]
    id: i64,
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    replies_page(&state, &actor, &headers, &uri, ReplyForm::default(), None).await
}

async fn replies_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: ReplyForm,
    error: Option<steward_app::AppError>,
) -> WebResult {
    let kept = state.app.incidents().reply_templates(actor).await?;
    let names = state.app.directory().names().await?;
    let shared = actor.can(Permission::ManageDirectory);
    let mut teams: Vec<(TeamId, String)> = if shared {
        names.teams.iter().map(|(id, n)| (*id, n.clone())).collect()
    } else {
        state
            .app
            .directory()
            .teams_of(actor.user.id)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name.to_string()))
            .collect()
    };
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let templates =
        kept.into_iter().map(|r| (names.team(r.template.team_id), r)).map(|(n, r)| (r, n)).collect();
    let mut page = Page::new(state, actor, headers, uri, "replies.title");
    let failed = rerender(&mut page, error)?;
    let html = render(&RepliesPage { page, templates, teams, shared, placeholders: &PLACEHOLDERS, typed });
    answer(html, failed)
}

pub async fn create_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<ReplyForm>,
) -> WebResult {
    let result = async {
        let team = opt_id::<TeamId>("team_id", &f.team_id)?;
        state.app.incidents().create_reply_template(&actor, &f.name, &f.body, team).await
    }
    .await;
    after_reply_form(&state, &actor, &headers, &uri, f, result).await
}

pub async fn update_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<ReplyForm>,
) -> WebResult {
    let result = async {
        let team = opt_id::<TeamId>("team_id", &f.team_id)?;
        state.app.incidents().update_reply_template(&actor, id, &f.name, &f.body, team).await
    }
    .await;
    after_reply_form(&state, &actor, &headers, &uri, ReplyForm { id, ..f }, result).await
}

/// Back to the page with a notice, or the page again with what was typed and why it failed.
async fn after_reply_form<T>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: ReplyForm,
    result: Result<T, steward_app::AppError>,
) -> WebResult {
    match result {
        Err(e) if crate::web::form_errors::users_to_fix(&e) => {
            replies_page(state, actor, headers, uri, typed, Some(e)).await
        }
        result => after_form(result, "/replies", Notice::Saved),
    }
}

pub async fn delete_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    after_form(state.app.incidents().delete_reply_template(&actor, id).await, "/replies", Notice::Deleted)
}
