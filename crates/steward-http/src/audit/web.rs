//! The audit trail page: recent events and the state of the hash chain.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_store::EventFilter;

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::web::{Page, WebResult, render};

struct EventRow {
    seq: i64,
    at: String,
    actor: String,
    entity: String,
    action: String,
    change: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    page: Page<'a>,
    verified: Result<i64, String>,
    events: Vec<EventRow>,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

const PAGE: i64 = 100;

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> WebResult {
    let filter = EventFilter { before_seq: q.before, limit: PAGE, ..EventFilter::default() };
    let events = state.app.audit().list_events(&actor, &filter).await?;
    let verified = state.app.audit().verify(Some(&actor)).await?.map_err(|b| b.to_string());
    let older = (events.len() as i64 == PAGE).then(|| events.last().map(|e| e.event.seq)).flatten();
    let events = events
        .iter()
        .map(|e| EventRow {
            seq: e.event.seq,
            at: e.at().strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.event.actor_name.clone(),
            entity: format!("{} {}", e.event.entity_type, e.event.entity_id.as_deref().unwrap_or("")),
            action: e.event.action.clone(),
            change: e.event.after.clone().or_else(|| e.event.before.clone()).unwrap_or_default(),
        })
        .collect();
    let page = Page::new(&state, &actor, &headers, &uri, "audit.title");
    Ok(render(&AuditPage { page, verified, events, older }))
}
