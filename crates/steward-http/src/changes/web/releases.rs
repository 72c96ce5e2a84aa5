//! `/changes/releases`: the releases with a form for a new one, and a release's readiness.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::changes::ReleaseView;
use steward_core::ids::TicketId;
use steward_store::ReleaseRecord;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "releases.html")]
struct ListPage<'a> {
    page: Page<'a>,
    releases: Vec<ReleaseRecord>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let releases = state.app.changes().releases(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "changes.releases");
    Ok(render(&ListPage { page, releases }))
}

#[derive(serde::Deserialize)]
pub struct NewRelease {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    target_date: String,
    #[serde(default)]
    description: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<NewRelease>,
) -> WebResult {
    let result =
        state.app.changes().create_release(&actor, &f.name, &f.version, &f.target_date, &f.description).await;
    match result {
        Ok(r) => after_form(Ok(()), &format!("/changes/releases/{}", r.id), Notice::Saved),
        Err(e) => after_form::<()>(Err(e), "/changes/releases", Notice::Saved),
    }
}

#[derive(Template)]
#[template(path = "release.html")]
struct DetailPage<'a> {
    page: Page<'a>,
    v: ReleaseView,
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let v = state.app.changes().release(&actor, id).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "changes.releases");
    Ok(render(&DetailPage { page, v }))
}

#[derive(serde::Deserialize)]
pub struct ReleaseAction {
    #[serde(default)]
    number: String,
    #[serde(default)]
    remove: String,
}

/// `POST /changes/releases/{id}`: add a change by number, or remove one (`remove` = its id).
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<ReleaseAction>,
) -> WebResult {
    let result = match f.remove.trim().parse::<i64>() {
        Ok(change) => state.app.changes().remove_from_release(&actor, id, TicketId(change)).await,
        Err(_) => state.app.changes().add_to_release(&actor, id, &f.number).await.map(|_| ()),
    };
    after_form(result, &format!("/changes/releases/{id}"), Notice::Saved)
}
