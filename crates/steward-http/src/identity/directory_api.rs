//! `/api/v1/users` and `/api/v1/teams`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_app::{NewUserInput, UserUpdate};
use steward_core::identity::TeamWithMembers;
use steward_core::ids::{TeamId, UserId};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::patch::{double_option, expected};
use crate::api::{Items, UserJson, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};

pub async fn list_users(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<UserJson>>> {
    let users = state.app.directory().list_users(&actor).await?;
    Ok(Json(Items::of(&users, UserJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewUser)]
pub struct CreateUser {
    #[schema(pattern = "^\\s*[A-Za-z0-9][A-Za-z0-9._@-]{1,63}\\s*$")]
    username: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120, pattern = "@line")]
    display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254, pattern = "@email")]
    email: Option<String>,
    #[schema(schema_with = crate::api::schema::role)]
    role: String,
    #[schema(min_length = 10, max_length = 1024)]
    password: String,
    #[serde(default)]
    #[schema(max_length = 120, pattern = "@one_line")]
    organisation: Option<String>,
}

fn with_etag(status: StatusCode, user: &steward_core::identity::User) -> Response {
    let mut response = (status, Json(UserJson::from(user))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", user.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

pub async fn create_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    let input = NewUserInput {
        username: body.username,
        display_name: body.display_name,
        email: body.email,
        role: body.role,
        password: body.password,
        organisation: body.organisation,
    };
    let user = state.app.directory().create_user(Some(&actor), input).await?;
    Ok(with_etag(StatusCode::CREATED, &user))
}

pub async fn get_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Response> {
    let user = state.app.directory().user(&actor, id).await?;
    Ok(with_etag(StatusCode::OK, &user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
pub struct PatchUser {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120, pattern = "@line")]
    display_name: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(max_length = 254, pattern = "@email")]
    email: Option<Option<String>>,
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::role_or_null)]
    role: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default, with = "double_option")]
    #[schema(schema_with = crate::api::schema::locale_or_null)]
    locale: Option<Option<String>>,
    #[serde(default)]
    #[schema(min_length = 10, max_length = 1024)]
    password: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(max_length = 120, pattern = "@one_line")]
    organisation: Option<Option<String>>,
    /// The IANA time zone pages show times in (null: the desk's report zone).
    #[serde(default, with = "double_option")]
    #[schema(max_length = 64, pattern = "@one_line")]
    time_zone: Option<Option<String>>,
    /// Whose approval the user's service requests need (admins; null: none).
    #[serde(default, with = "double_option")]
    manager_id: Option<Option<UserId>>,
    /// The version the client last saw; the `If-Match` header does the same.
    #[serde(default)]
    #[schema(minimum = 1)]
    version: Option<i64>,
}

pub async fn update_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<UserId>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PatchUser>,
) -> ApiResult<Response> {
    let expected = expected(&headers, body.version)?;
    let update = UserUpdate {
        display_name: body.display_name,
        email: body.email,
        role: body.role,
        disabled: body.disabled,
        locale: body.locale,
        password: body.password,
        organisation: body.organisation,
        time_zone: body.time_zone,
        manager_id: body.manager_id,
    };
    let user = state
        .app
        .directory()
        .update_user(&actor, id, expected.version, update)
        .await
        .map_err(|e| expected.refusal(e))?;
    Ok(with_etag(StatusCode::OK, &user))
}

/// A team and the people in it.
#[derive(Serialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamJson {
    id: TeamId,
    name: String,
    description: String,
    created_at: String,
    /// Whether the team takes the new tickets no category routes (at most one team does).
    intake: bool,
    members: Vec<Member>,
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    id: UserId,
    username: String,
    display_name: String,
    role: &'static str,
}

fn team_json(t: &TeamWithMembers, intake: Option<TeamId>) -> TeamJson {
    TeamJson {
        id: t.team.id,
        name: t.team.name.to_string(),
        description: t.team.description.clone(),
        created_at: time(t.team.created_at),
        intake: intake == Some(t.team.id),
        members: t
            .members
            .iter()
            .map(|u| Member {
                id: u.id,
                username: u.username.to_string(),
                display_name: u.display_name.clone(),
                role: u.role.as_str(),
            })
            .collect(),
    }
}

pub async fn list_teams(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<TeamJson>>> {
    let teams = state.app.directory().list_teams(&actor).await?;
    let intake = state.app.directory().intake_team().await?;
    Ok(Json(Items::of(&teams, |t| team_json(t, intake))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTeam)]
pub struct CreateTeam {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    description: String,
}

pub async fn create_team(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(body): ApiJson<CreateTeam>,
) -> ApiResult<(StatusCode, Json<TeamJson>)> {
    let team = state.app.directory().create_team(Some(&actor), &body.name, &body.description).await?;
    let with_members = TeamWithMembers { team, members: Vec::new() };
    Ok((StatusCode::CREATED, Json(team_json(&with_members, None))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TeamPatch)]
pub struct PatchTeam {
    /// True makes this the intake team (the one before it stops being it); false: no longer.
    intake: bool,
}

pub async fn update_team(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TeamId>,
    ApiJson(body): ApiJson<PatchTeam>,
) -> ApiResult<Json<TeamJson>> {
    state.app.directory().set_intake_team(Some(&actor), id, body.intake).await?;
    let teams = state.app.directory().list_teams(&actor).await?;
    let team = teams.iter().find(|t| t.team.id == id).ok_or(steward_app::AppError::NotFound("team"))?;
    let intake = state.app.directory().intake_team().await?;
    Ok(Json(team_json(team, intake)))
}

pub async fn add_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((team_id, user_id)): ApiPath<(TeamId, UserId)>,
) -> ApiResult<StatusCode> {
    state.app.directory().set_team_member(Some(&actor), team_id, user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((team_id, user_id)): ApiPath<(TeamId, UserId)>,
) -> ApiResult<StatusCode> {
    state.app.directory().set_team_member(Some(&actor), team_id, user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
