//! `/api/v1/sla/*` and `/api/v1/incidents/{id}/sla`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::sla::{NewCalendar, NewPolicy};
use steward_core::ids::{CalendarId, CategoryId, TeamId, TicketId};
use steward_core::sla::{Phase, SlaStatus};
use steward_store::{CalendarRecord, Notification, PolicyRecord};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Created, Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

pub async fn calendars(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<CalendarJson>>> {
    let list = state.app.sla().calendars(&actor).await?;
    Ok(Json(Items::of(&list, CalendarJson::from)))
}

/// Business hours: seven day specs (Monday first, `09:00-18:00` or empty), holidays, a time zone.
#[derive(Serialize, ToSchema)]
#[schema(as = Calendar)]
pub struct CalendarJson {
    id: CalendarId,
    name: String,
    time_zone: String,
    hours: Vec<String>,
    holidays: Vec<String>,
    /// Dates worked although their weekday is not (makeup working days, 调休).
    working_days: Vec<String>,
    /// Counts every hour of every day.
    always: bool,
}

impl From<&CalendarRecord> for CalendarJson {
    fn from(c: &CalendarRecord) -> CalendarJson {
        CalendarJson {
            id: c.id,
            name: c.name.clone(),
            time_zone: c.time_zone.clone(),
            hours: c.hours.clone(),
            holidays: c.holidays.clone(),
            working_days: c.working_days.clone(),
            always: c.always,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCalendar)]
pub struct CalendarBody {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    hours: Vec<String>,
    #[serde(default)]
    holidays: Vec<String>,
    /// Dates worked although their weekday is not (makeup working days).
    #[serde(default)]
    working_days: Vec<String>,
    /// An iCalendar file: its events are holidays, or working days when they say so (补班).
    ics: Option<String>,
    #[serde(default)]
    always: bool,
}

impl From<CalendarBody> for NewCalendar {
    fn from(b: CalendarBody) -> NewCalendar {
        NewCalendar {
            name: b.name,
            time_zone: b.time_zone,
            hours: b.hours,
            holidays: b.holidays,
            working_days: b.working_days,
            ics: b.ics,
            always: b.always,
        }
    }
}

pub async fn create_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<CalendarBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = state.app.sla().create_calendar(&actor, b.into()).await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.get() })))
}

/// A new definition for a calendar, from now on; time before the change counts as it did.
pub async fn update_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CalendarId>,
    ApiJson(b): ApiJson<CalendarBody>,
) -> ApiResult<Json<CalendarJson>> {
    let record = state.app.sla().update_calendar(&actor, id, b.into()).await?;
    Ok(Json(CalendarJson::from(&record)))
}

pub async fn delete_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CalendarId>,
) -> ApiResult<StatusCode> {
    state.app.sla().delete_calendar(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// When the clock starts, RFC 3339 (`2026-09-30T09:00:00Z`)
    #[param(pattern = "@instant")]
    from: String,
    /// Business minutes to add
    #[param(minimum = 0, maximum = 525600)]
    minutes: i64,
}

/// One working stretch a due time is made of.
#[derive(Serialize, ToSchema)]
pub struct SpanJson {
    from: String,
    to: String,
    minutes: i64,
}

/// When business time runs out, and the working stretches it is made of.
#[derive(Serialize, ToSchema)]
pub struct DueJson {
    due: String,
    spans: Vec<SpanJson>,
}

/// The due-time calculator: `from` plus `minutes` of business time by the calendar.
pub async fn due(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<Json<DueJson>> {
    let from: jiff::Timestamp = q.from.parse().map_err(|_| {
        crate::error::ApiError::invalid("from", "an RFC 3339 instant, such as 2026-09-30T09:00:00Z")
    })?;
    let (due, spans) = state.app.sla().due(&actor, id, from, q.minutes).await?;
    let spans = spans
        .into_iter()
        .map(|(a, b)| SpanJson { from: time(a), to: time(b), minutes: b.duration_since(a).as_mins() })
        .collect();
    Ok(Json(DueJson { due: time(due), spans }))
}

pub async fn policies(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<PolicyJson>>> {
    let list = state.app.sla().policies(&actor).await?;
    Ok(Json(Items::of(&list, PolicyJson::from)))
}

/// An SLA policy: which tickets it matches, in `rank` order, and their targets.
#[derive(Serialize, ToSchema)]
#[schema(as = Policy)]
pub struct PolicyJson {
    id: i64,
    name: String,
    rank: i64,
    kind: String,
    priority: Option<i64>,
    category_id: Option<CategoryId>,
    calendar_id: CalendarId,
    response_minutes: Option<i64>,
    resolution_minutes: i64,
    pause_reasons: Vec<String>,
    service: Option<String>,
    organisation: Option<String>,
    update_minutes: Option<i64>,
    warn_at: Vec<i64>,
    breach_team_id: Option<TeamId>,
    /// A request policy's catalogue item (`null`: any).
    item_id: Option<i64>,
}

impl From<&PolicyRecord> for PolicyJson {
    fn from(p: &PolicyRecord) -> PolicyJson {
        PolicyJson {
            id: p.id,
            name: p.name.clone(),
            rank: p.rank,
            kind: p.kind.clone(),
            priority: p.priority,
            category_id: p.category_id,
            calendar_id: p.calendar_id,
            response_minutes: p.response_minutes,
            resolution_minutes: p.resolution_minutes,
            pause_reasons: p.pause_reasons.clone(),
            service: p.service.clone(),
            organisation: p.organisation.clone(),
            update_minutes: p.update_minutes,
            warn_at: p.warn_at.clone(),
            breach_team_id: p.breach_team_id,
            item_id: p.item_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPolicy)]
pub struct PolicyBody {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[serde(default)]
    rank: i64,
    #[schema(minimum = 1, maximum = 5)]
    priority: Option<i64>,
    category_id: Option<CategoryId>,
    calendar_id: CalendarId,
    #[schema(minimum = 1, maximum = 525600)]
    response_minutes: Option<i64>,
    #[schema(minimum = 1, maximum = 525600)]
    resolution_minutes: Option<i64>,
    /// Hold reasons that pause the clocks (and, for a request policy, `awaiting_approval`:
    /// the wait for its approvers); left out: awaiting customer and awaiting vendor, as the
    /// built-in policies, and for requests the approval wait too; `[]`: never paused.
    #[serde(default, deserialize_with = "crate::api::patch::present::deserialize")]
    #[schema(schema_with = crate::api::schema::pause_reasons)]
    pause_reasons: Option<Vec<String>>,
    #[schema(max_length = 120, pattern = "@one_line")]
    service: Option<String>,
    #[schema(max_length = 120, pattern = "@one_line")]
    organisation: Option<String>,
    #[schema(minimum = 1, maximum = 525600)]
    update_minutes: Option<i64>,
    #[schema(schema_with = crate::api::schema::warn_at)]
    warn_at: Option<Vec<i64>>,
    breach_team_id: Option<TeamId>,
    /// What the policy measures: `incident` (left out) or `request`.
    #[schema(schema_with = crate::api::schema::policy_kind)]
    kind: Option<String>,
    /// A request policy's condition: the catalogue item ordered.
    item_id: Option<i64>,
}

impl From<PolicyBody> for NewPolicy {
    fn from(b: PolicyBody) -> NewPolicy {
        NewPolicy {
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
            kind: b.kind,
            item_id: b.item_id,
        }
    }
}

pub async fn create_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = state.app.sla().create_policy(&actor, b.into()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn update_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyJson>> {
    let policy = state.app.sla().update_policy(&actor, id, b.into()).await?;
    Ok(Json(PolicyJson::from(&policy)))
}

pub async fn delete_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.sla().delete_policy(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One SLA clock, with the intervals it counted and paused (each `[from, to]`).
#[derive(Serialize, ToSchema)]
pub struct Clock {
    target_minutes: i64,
    elapsed_minutes: i64,
    remaining_minutes: i64,
    due: Option<String>,
    breached: bool,
    breached_at: Option<String>,
    /// `running`, `paused` or `stopped`.
    state: &'static str,
    counted: Vec<Vec<String>>,
    paused: Vec<Vec<String>>,
    /// The next-update clock only: when its cycle began (the last agent reply).
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
}

fn clock(s: &SlaStatus) -> Clock {
    let span =
        |v: &[(jiff::Timestamp, jiff::Timestamp)]| v.iter().map(|(a, b)| vec![time(*a), time(*b)]).collect();
    Clock {
        target_minutes: s.target.as_mins(),
        elapsed_minutes: s.elapsed.as_mins(),
        remaining_minutes: s.remaining.as_mins(),
        due: s.due.map(time),
        breached: s.breached_at.is_some(),
        breached_at: s.breached_at.map(time),
        state: match s.phase {
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Stopped => "stopped",
        },
        counted: span(&s.counted),
        paused: span(&s.paused),
        since: None,
    }
}

/// A ticket's SLA: all `null` when no policy applies (a request no policy matches is measured
/// by its item's delivery time: `policy` and `calendar` are then empty).
#[derive(Serialize, ToSchema)]
pub struct IncidentSla {
    policy: Option<String>,
    calendar: Option<String>,
    response: Option<Clock>,
    resolution: Option<Clock>,
    next_update: Option<Clock>,
}

/// `GET /api/v1/incidents/{id}/sla`: both clocks with the intervals that explain them.
pub async fn incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<IncidentSla>> {
    Ok(Json(sla_json(state.app.sla().of_incident(&actor, id).await?)))
}

/// `GET /api/v1/requests/{id}/sla`: a service request's clocks.
pub async fn request(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<IncidentSla>> {
    Ok(Json(sla_json(state.app.sla().of_request(&actor, id).await?)))
}

fn sla_json(sla: Option<steward_app::sla::TicketSla>) -> IncidentSla {
    match sla {
        None => {
            IncidentSla { policy: None, calendar: None, response: None, resolution: None, next_update: None }
        }
        Some(s) => IncidentSla {
            policy: Some(s.policy),
            calendar: Some(s.calendar),
            response: s.response.as_ref().map(clock),
            resolution: Some(clock(&s.resolution)),
            next_update: s
                .next_update
                .as_ref()
                .map(|(status, since)| Clock { since: Some(time(*since)), ..clock(status) }),
        },
    }
}

/// `GET /api/v1/notifications`: the caller's newest in-app notifications.
pub async fn notifications(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<NotificationJson>>> {
    let list = state.app.sla().notifications(&actor).await?;
    Ok(Json(Items::of(&list, NotificationJson::from)))
}

/// An in-app notification (an SLA warning or breach, a mention).
#[derive(Serialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationJson {
    id: i64,
    ticket_id: Option<TicketId>,
    kind: String,
    message: String,
    created_at: String,
    read: bool,
}

impl From<&Notification> for NotificationJson {
    fn from(n: &Notification) -> NotificationJson {
        NotificationJson {
            id: n.id,
            ticket_id: n.ticket_id,
            kind: n.kind.clone(),
            message: n.message.clone(),
            created_at: time(n.created_at),
            read: n.read,
        }
    }
}

/// `POST /api/v1/notifications/read`: marks them all read.
pub async fn mark_read(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<StatusCode> {
    state.app.sla().mark_notifications_read(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
