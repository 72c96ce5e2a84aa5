//! The signed-in user's own account and notifications.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::UserUpdate;

use super::{Notice, Page, WebForm, WebResult, after_form, render};
use crate::AppState;
use crate::extract::CurrentActor;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: Page<'a>,
    /// (kind, chosen channel) for the notification choices.
    channels: Vec<(&'static str, &'static str)>,
    /// Every channel.
    options: Vec<&'static str>,
    /// The zones a user may pick, and the desk's, used when they pick none.
    zones: Vec<String>,
    desk_zone: String,
}

pub async fn account(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let channels = state.app.notifications().preferences(&actor).await?;
    Ok(render(&AccountPage {
        page: Page::new(&state, &actor, &headers, &uri, "account.title"),
        channels: channels.iter().map(|(k, c)| (k.as_str(), c.as_str())).collect(),
        options: steward_core::tickets::Channel::ALL.iter().map(|c| c.as_str()).collect(),
        zones: time_zones(),
        desk_zone: state.app.config().report_zone.iana_name().unwrap_or("UTC").to_owned(),
    }))
}

/// The zone names people pick from: the zone database's, without the legacy aliases
/// ("US/Pacific", "Etc/GMT+8", "PRC") that would only make the list longer.
fn time_zones() -> Vec<String> {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n == "UTC" || (n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("US/")))
        .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !n.starts_with("SystemV/"))
        .collect();
    zones.sort();
    zones
}

/// The notification choices: one `<kind>=<channel>` field per kind.
pub async fn save_notification_prefs(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let result = async {
        for (kind, channel) in form.iter().filter(|(k, _)| k != "_csrf") {
            state.app.notifications().set_preference(&actor, kind, channel).await?;
        }
        Ok::<_, steward_app::AppError>(())
    }
    .await;
    after_form(result, "/account", Notice::Saved)
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
    #[serde(default)]
    time_zone: String,
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
        time_zone: Some(Some(form.time_zone)),
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
    /// (the ticket's page, message, when, read)
    items: Vec<(Option<String>, String, String, bool)>,
}

/// A notification in the reader's language: `notification.<kind>` with who and the ticket,
/// or the English text it was written with for a kind the catalogue does not know.
fn notification_text(t: &crate::i18n::Catalog, n: &steward_store::Notification) -> String {
    match (t.lookup(&format!("notification.{}", n.kind)), &n.ticket) {
        (Some(template), Some((number, title))) => template
            .replace("{who}", n.actor_name.as_deref().unwrap_or("Steward"))
            .replace("{number}", number)
            .replace("{title}", title),
        _ => n.message.clone(),
    }
}

pub async fn notifications(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "notifications.title");
    let items = state
        .app
        .sla()
        .notifications(&actor)
        .await?
        .iter()
        .map(|n| {
            let when = page.minute(n.created_at);
            let href = n.ticket_id.map(|id| crate::web::ticket_href(n.ticket_kind, id));
            (href, notification_text(page.t, n), when, n.read)
        })
        .collect();
    Ok(render(&NotificationsPage { page, items }))
}

pub async fn mark_read(State(state): State<AppState>, CurrentActor(actor): CurrentActor) -> WebResult {
    let result = state.app.sla().mark_notifications_read(&actor).await;
    after_form(result, "/notifications", Notice::Read)
}
