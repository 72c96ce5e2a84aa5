//! The home page and the signed-in user's own account.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::UserUpdate;
use steward_core::identity::Team;
use steward_core::ids::TicketId;

use super::{Notice, Page, WebForm, WebResult, after_form, render, role_key};
use crate::AppState;
use crate::extract::CurrentActor;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    page: Page<'a>,
    role_key: &'static str,
    teams: Vec<Team>,
}

pub async fn home(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let teams = state.app.directory().teams_of(actor.user.id).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "home.title");
    Ok(render(&HomePage { page, role_key: role_key(actor.user.role), teams }))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: Page<'a>,
}

pub async fn account(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    Ok(render(&AccountPage { page: Page::new(&state, &actor, &headers, &uri, "account.title") }))
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    password: String,
    version: Option<i64>,
}

pub async fn save_account(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<AccountForm>,
) -> WebResult {
    let update = UserUpdate {
        display_name: Some(form.display_name),
        email: Some(Some(form.email)),
        locale: Some(Some(form.locale)),
        password: (!form.password.is_empty()).then_some(form.password),
        ..UserUpdate::default()
    };
    let result = state.app.directory().update_user(&actor, actor.user.id, form.version, update).await;
    after_form(result, "/account", Notice::Saved)
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage<'a> {
    page: Page<'a>,
    /// (ticket id, message, when, read)
    items: Vec<(Option<TicketId>, String, String, bool)>,
}

pub async fn notifications(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let items = state
        .app
        .sla()
        .notifications(&actor)
        .await?
        .into_iter()
        .map(|n| (n.ticket_id, n.message, n.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string(), n.read))
        .collect();
    Ok(render(&NotificationsPage {
        page: Page::new(&state, &actor, &headers, &uri, "notifications.title"),
        items,
    }))
}

pub async fn mark_read(State(state): State<AppState>, CurrentActor(actor): CurrentActor) -> WebResult {
    let result = state.app.sla().mark_notifications_read(&actor).await;
    after_form(result, "/notifications", Notice::Read)
}
