//! `/api/v1/sla/*` and `/api/v1/incidents/{id}/sla`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use steward_app::sla::{NewCalendar, NewPolicy};
use steward_core::ids::{CalendarId, CategoryId, TeamId, TicketId};
use steward_core::sla::{Phase, SlaStatus};

use crate::AppState;
use crate::api::time;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};

pub async fn calendars(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Value>> {
    let list = state.app.sla().calendars(&actor).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|c| json!({ "id": c.id, "name": c.name, "time_zone": c.time_zone, "hours": c.hours, "holidays": c.holidays, "always": c.always }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    hours: Vec<String>,
    #[serde(default)]
    holidays: Vec<String>,
    ics: Option<String>,
    #[serde(default)]
    always: bool,
}

pub async fn create_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CalendarBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = NewCalendar {
        name: b.name,
        time_zone: b.time_zone,
        hours: b.hours,
        holidays: b.holidays,
        ics: b.ics,
        always: b.always,
    };
    let id = state.app.sla().create_calendar(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

pub async fn policies(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Value>> {
    let list = state.app.sla().policies(&actor).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|p| {
            json!({ "id": p.id, "name": p.name, "rank": p.rank, "kind": p.kind, "priority": p.priority, "category_id": p.category_id,
                    "calendar_id": p.calendar_id, "response_minutes": p.response_minutes, "resolution_minutes": p.resolution_minutes,
                    "pause_reasons": p.pause_reasons, "service": p.service, "organisation": p.organisation,
                    "update_minutes": p.update_minutes, "warn_at": p.warn_at, "breach_team_id": p.breach_team_id })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    name: String,
    #[serde(default)]
    rank: i64,
    priority: Option<i64>,
    category_id: Option<CategoryId>,
    calendar_id: CalendarId,
    response_minutes: Option<i64>,
    resolution_minutes: Option<i64>,
    #[serde(default)]
    pause_reasons: Vec<String>,
    service: Option<String>,
    organisation: Option<String>,
    update_minutes: Option<i64>,
    warn_at: Option<Vec<i64>>,
    breach_team_id: Option<TeamId>,
}

pub async fn create_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = NewPolicy {
        name: b.name,
        rank: b.rank,
        priority: b.priority,
        category_id: b.category_id,
        calendar_id: b.calendar_id,
        response_minutes: b.response_minutes,
        resolution_minutes: b.resolution_minutes,
        pause_reasons: b.pause_reasons,
        service: b.service,
        organisation: b.organisation,
        update_minutes: b.update_minutes,
        warn_at: b.warn_at,
        breach_team_id: b.breach_team_id,
    };
    let id = state.app.sla().create_policy(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

pub fn status_json(s: &SlaStatus) -> Value {
    let span = |v: &[(jiff::Timestamp, jiff::Timestamp)]| {
        v.iter().map(|(a, b)| json!([time(*a), time(*b)])).collect::<Vec<_>>()
    };
    json!({
        "target_minutes": s.target.as_mins(),
        "elapsed_minutes": s.elapsed.as_mins(),
        "remaining_minutes": s.remaining.as_mins(),
        "due": s.due.map(time),
        "breached": s.breached_at.is_some(),
        "breached_at": s.breached_at.map(time),
        "state": match s.phase { Phase::Running => "running", Phase::Paused => "paused", Phase::Stopped => "stopped" },
        "counted": span(&s.counted),
        "paused": span(&s.paused),
    })
}

/// `GET /api/v1/incidents/{id}/sla`: both clocks with the intervals that explain them.
pub async fn incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Value>> {
    let sla = state.app.sla().of_incident(&actor, id).await?;
    Ok(Json(match sla {
        None => json!({ "policy": null }),
        Some(s) => json!({
            "policy": s.policy,
            "calendar": s.calendar,
            "response": s.response.as_ref().map(status_json),
            "resolution": status_json(&s.resolution),
            "next_update": s.next_update.as_ref().map(|(status, since)| {
                let mut v = status_json(status);
                v["since"] = json!(time(*since));
                v
            }),
        }),
    }))
}

/// `GET /api/v1/notifications`: the caller's newest in-app notifications.
pub async fn notifications(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Value>> {
    let list = state.app.sla().notifications(&actor).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|n| json!({ "id": n.id, "ticket_id": n.ticket_id, "kind": n.kind, "message": n.message, "created_at": time(n.created_at), "read": n.read }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/notifications/read`: marks them all read.
pub async fn mark_read(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<StatusCode> {
    state.app.sla().mark_notifications_read(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
