//! `/api/v1/audit/*`: the event log and its verification.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use steward_store::{EventFilter, LoggedEvent};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, CurrentActor};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// Cursor: the `next_before` of the previous page.
    before: Option<i64>,
    limit: Option<i64>,
}

pub fn event_json(e: &LoggedEvent) -> Value {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
    json!({
        "seq": e.event.seq,
        "at": e.at().to_string(),
        "actor_id": e.event.actor_id,
        "actor": e.event.actor_name,
        "entity_type": e.event.entity_type,
        "entity_id": e.event.entity_id,
        "action": e.event.action,
        "before": parse(&e.event.before),
        "after": parse(&e.event.after),
        "hash": e.hash,
    })
}

pub async fn events(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter =
        EventFilter { entity_type: q.entity_type, entity_id: q.entity_id, before_seq: q.before, limit };
    let events = state.app.audit().list_events(&actor, &filter).await?;
    let next = (events.len() as i64 == limit).then(|| events.last().map(|e| e.event.seq)).flatten();
    Ok(Json(json!({ "items": events.iter().map(event_json).collect::<Vec<_>>(), "next_before": next })))
}

pub async fn verify(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Value>> {
    Ok(Json(match state.app.audit().verify(Some(&actor)).await? {
        Ok(n) => json!({ "ok": true, "events": n }),
        Err(b) => json!({ "ok": false, "error": b.to_string() }),
    }))
}
