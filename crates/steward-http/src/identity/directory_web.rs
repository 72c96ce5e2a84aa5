//! Admin pages for users and teams.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::{NewUserInput, UserUpdate};
use steward_core::identity::{Role, TeamWithMembers, User};
use steward_core::ids::{CategoryId, TeamId, UserId};
use steward_store::Category;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render, role_key};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage<'a> {
    page: Page<'a>,
    users: Vec<User>,
    /// (value, catalogue key) of every role, for the selects.
    roles: Vec<(&'static str, &'static str)>,
}

impl UsersPage<'_> {
    fn role_label(&self, role: &Role) -> &'static str {
        role_key(*role)
    }
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), role_key(*r))).collect()
}

pub async fn users(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let users = state.app.directory().list_users(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "users.title");
    Ok(render(&UsersPage { page, users, roles: roles() }))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<NewUserForm>,
) -> WebResult {
    let input = NewUserInput {
        username: form.username,
        display_name: Some(form.display_name),
        email: Some(form.email),
        role: form.role,
        password: form.password,
        organisation: None,
    };
    let result = state.app.directory().create_user(Some(&actor), input).await;
    after_form(result, "/admin/users", Notice::UserCreated)
}

#[derive(Deserialize)]
pub struct UserForm {
    role: Option<String>,
    disabled: Option<bool>,
    version: Option<i64>,
}

pub async fn update_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<UserId>,
    WebForm(form): WebForm<UserForm>,
) -> WebResult {
    let update = UserUpdate { role: form.role, disabled: form.disabled, ..UserUpdate::default() };
    let result = state.app.directory().update_user(&actor, id, form.version, update).await;
    after_form(result, "/admin/users", Notice::UserSaved)
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage<'a> {
    page: Page<'a>,
    teams: Vec<TeamWithMembers>,
    /// The team that takes the tickets no category routes.
    intake: Option<TeamId>,
}

impl TeamsPage<'_> {
    fn is_intake(&self, id: &TeamId) -> bool {
        self.intake == Some(*id)
    }
}

pub async fn teams(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let teams = state.app.directory().list_teams(&actor).await?;
    let intake = state.app.directory().intake_team().await?;
    let page = Page::new(&state, &actor, &headers, &uri, "teams.title");
    Ok(render(&TeamsPage { page, teams, intake }))
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create_team(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<TeamForm>,
) -> WebResult {
    let result = state.app.directory().create_team(Some(&actor), &form.name, &form.description).await;
    after_form(result, "/admin/teams", Notice::TeamCreated)
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    username: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(team_id): ApiPath<TeamId>,
    WebForm(form): WebForm<MemberForm>,
) -> WebResult {
    let result = match state.app.directory().user_by_username(&form.username).await {
        Ok(user) => state.app.directory().set_team_member(Some(&actor), team_id, user.id, true).await,
        Err(steward_app::AppError::NotFound(_)) => {
            Err(steward_app::AppError::invalid("username", format!("no user `{}`", form.username.trim())))
        }
        Err(e) => Err(e),
    };
    after_form(result, "/admin/teams", Notice::MemberAdded)
}

pub async fn remove_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((team_id, user_id)): ApiPath<(TeamId, UserId)>,
) -> WebResult {
    let result = state.app.directory().set_team_member(Some(&actor), team_id, user_id, false).await;
    after_form(result, "/admin/teams", Notice::MemberRemoved)
}

#[derive(Template)]
#[template(path = "categories.html")]
struct CategoriesPage<'a> {
    page: Page<'a>,
    /// Each top-level category with its subcategories.
    categories: Vec<(Category, Vec<Category>)>,
    /// (id, name) of every team, for the routing choice.
    teams: Vec<(TeamId, String)>,
}

impl CategoriesPage<'_> {
    fn routes_to(&self, c: &Category, team: &TeamId) -> bool {
        c.team_id == Some(*team)
    }
}

pub async fn categories(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let all = state.app.incidents().categories(&actor).await?;
    let categories = all
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| (c.clone(), all.iter().filter(|s| s.parent_id == Some(c.id)).cloned().collect()))
        .collect();
    let teams = state.app.directory().list_teams(&actor).await?;
    let teams = teams.into_iter().map(|t| (t.team.id, t.team.name.to_string())).collect();
    let page = Page::new(&state, &actor, &headers, &uri, "categories.title");
    Ok(render(&CategoriesPage { page, categories, teams }))
}

#[derive(Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    team_id: String,
}

pub async fn route_category(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CategoryId>,
    WebForm(form): WebForm<RouteForm>,
) -> WebResult {
    let result = match crate::incidents::web::opt_id("team_id", &form.team_id) {
        Ok(team) => state.app.incidents().route_category(Some(&actor), id, team).await,
        Err(e) => Err(e),
    };
    after_form(result, "/admin/categories", Notice::RoutingSaved)
}

#[derive(Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    intake: bool,
}

pub async fn set_intake(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TeamId>,
    WebForm(form): WebForm<IntakeForm>,
) -> WebResult {
    let result = state.app.directory().set_intake_team(Some(&actor), id, form.intake).await;
    after_form(result, "/admin/teams", Notice::RoutingSaved)
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
}

pub async fn create_category(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<CategoryForm>,
) -> WebResult {
    let result = match crate::incidents::web::opt_id("parent_id", &form.parent_id) {
        Ok(parent) => state.app.incidents().create_category(Some(&actor), &form.name, parent).await,
        Err(e) => Err(e),
    };
    after_form(result, "/admin/categories", Notice::CategoryCreated)
}
