//! `/api/v1/audit/*`: the event log and its verification.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_app::audit::AnchorCheck;
use steward_core::ids::UserId;
use steward_store::{EventFilter, LoggedEvent};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, CurrentActor};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// Cursor: the `next_before` of the previous page.
    before: Option<i64>,
    limit: Option<i64>,
}

/// One entry of the audit trail, with the hash that chains it to the one before.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventJson {
    seq: i64,
    at: String,
    /// `null`: the system.
    actor_id: Option<UserId>,
    actor: String,
    entity_type: String,
    entity_id: Option<String>,
    action: String,
    /// The entity (or the changed fields) before and after, as recorded.
    before: Option<Value>,
    after: Option<Value>,
    hash: String,
}

pub fn event_json(e: &LoggedEvent) -> EventJson {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
    EventJson {
        seq: e.event.seq,
        at: e.at().to_string(),
        actor_id: e.event.actor_id,
        actor: e.event.actor_name.clone(),
        entity_type: e.event.entity_type.clone(),
        entity_id: e.event.entity_id.clone(),
        action: e.event.action.clone(),
        before: parse(&e.event.before),
        after: parse(&e.event.after),
        hash: e.hash.clone(),
    }
}

/// A page of the trail, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    items: Vec<EventJson>,
    /// The `before` of the next page; `null` on the last.
    next_before: Option<i64>,
}

/// Whether the audit trail holds: the hash chain (`events` checked, `error` where it broke)
/// and the signed anchors outside the database.
#[derive(Serialize, ToSchema)]
pub struct Verification {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    anchors: AnchorsJson,
    /// With `state=true`: each row its events do not account for; `null` when not asked.
    state: Option<Vec<DifferenceJson>>,
}

/// A row that differs from what its events say.
#[derive(Serialize, ToSchema)]
pub struct DifferenceJson {
    /// `ticket`, `user`, `team`, `ci` or `relation`
    entity: &'static str,
    id: i64,
    /// The fields that differ, `row without events` or `row missing`
    what: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Also replay the events against the current rows (slower: reads every table)
    #[serde(default)]
    state: bool,
}

/// The anchors' verdict: `held`, `not_configured` or `broken` (at `seq`, for `reason`).
#[derive(Serialize, ToSchema)]
pub struct AnchorsJson {
    status: &'static str,
    /// Checkpoints checked.
    count: Option<usize>,
    /// The newest anchored event, or where they broke.
    seq: Option<i64>,
    reason: Option<String>,
}

impl From<AnchorCheck> for AnchorsJson {
    fn from(check: AnchorCheck) -> Self {
        match check {
            AnchorCheck::Held { anchors, last_seq } => {
                AnchorsJson { status: "held", count: Some(anchors), seq: Some(last_seq), reason: None }
            }
            AnchorCheck::NotConfigured => {
                AnchorsJson { status: "not_configured", count: None, seq: None, reason: None }
            }
            AnchorCheck::Broken { seq, reason } => {
                AnchorsJson { status: "broken", count: None, seq: Some(seq), reason: Some(reason) }
            }
        }
    }
}

pub async fn events(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<EventPage>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter =
        EventFilter { entity_type: q.entity_type, entity_id: q.entity_id, before_seq: q.before, limit };
    let events = state.app.audit().list_events(&actor, &filter).await?;
    let next = (events.len() as i64 == limit).then(|| events.last().map(|e| e.event.seq)).flatten();
    Ok(Json(EventPage { items: events.iter().map(event_json).collect(), next_before: next }))
}

pub async fn verify(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<VerifyQuery>,
) -> ApiResult<Json<Verification>> {
    let chain = state.app.audit().verify(Some(&actor)).await?;
    let anchors = state.app.audit().check_anchors().await?;
    let mut ok = chain.is_ok() && !matches!(anchors, AnchorCheck::Broken { .. });
    let differences = match q.state {
        true => Some(state.app.audit().check_state().await?),
        false => None,
    };
    ok &= differences.as_ref().is_none_or(Vec::is_empty);
    let state = differences.map(|ds| {
        ds.into_iter().map(|d| DifferenceJson { entity: d.entity, id: d.id, what: d.what }).collect()
    });
    let anchors = AnchorsJson::from(anchors);
    Ok(Json(match chain {
        Ok(n) => Verification { ok, events: Some(n), error: None, anchors, state },
        Err(b) => Verification { ok, events: None, error: Some(b.to_string()), anchors, state },
    }))
}
