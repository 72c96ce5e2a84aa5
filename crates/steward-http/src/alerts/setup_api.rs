//! `/api/v1/alert-rules` and `/api/v1/maintenance-windows`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_core::ids::CiId;
use steward_store::{AlertRuleRecord, MaintenanceRecord};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Created, Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

/// A rule deciding which alerts open incidents; the first whose matchers all hold decides.
#[derive(Serialize, ToSchema)]
#[schema(as = AlertRule)]
pub struct RuleJson {
    id: i64,
    position: i64,
    name: String,
    matchers: Vec<String>,
    opens: bool,
    impact: Option<i64>,
    urgency: Option<i64>,
    /// `auto` or `confirm`
    resolve: &'static str,
    created_by: String,
}

impl RuleJson {
    pub fn of(r: &AlertRuleRecord) -> RuleJson {
        RuleJson {
            id: r.id,
            position: r.position,
            name: r.rule.name.clone(),
            matchers: r.rule.matchers.iter().map(|m| m.to_string()).collect(),
            opens: r.rule.opens,
            impact: r.rule.impact,
            urgency: r.rule.urgency,
            resolve: r.rule.resolve.as_str(),
            created_by: r.created_by.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAlertRule)]
pub struct RuleBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// `label=value` or `label!=value` over the alert's labels, where `severity` is `critical`,
    /// `warning` or `info`, `source` the sender and `ci_criticality` the matched CI's (1–5).
    #[schema(min_items = 1, max_items = 20)]
    matchers: Vec<String>,
    /// Whether matching alerts open (or join) an incident; false mutes them.
    opens: bool,
    /// 1 (high) to 3; absent: from the severity.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3)]
    impact: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3)]
    urgency: Option<i64>,
    /// `auto` (default): the incident resolves itself when its alerts clear; `confirm`: a work
    /// note asks a person to.
    #[serde(default)]
    #[schema(pattern = "^(auto|confirm)$")]
    resolve: Option<String>,
}

pub async fn rules(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<RuleJson>>> {
    let list = state.app.alerts().rules(&actor).await?;
    Ok(Json(Items::of(&list, RuleJson::of)))
}

pub async fn create_rule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<RuleBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let resolve = b.resolve.unwrap_or_else(|| "auto".into());
    let id = state
        .app
        .alerts()
        .create_rule(&actor, &b.name, &b.matchers, b.opens, (b.impact, b.urgency), &resolve)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn delete_rule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.alerts().delete_rule(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A maintenance window on a CI: its alerts meanwhile are expected and open nothing.
#[derive(Serialize, ToSchema)]
#[schema(as = MaintenanceWindow)]
pub struct WindowJson {
    id: i64,
    ci_id: CiId,
    ci: String,
    starts_at: String,
    ends_at: String,
    reason: String,
    change_ref: Option<String>,
    created_by: String,
}

impl WindowJson {
    pub fn of(w: &MaintenanceRecord) -> WindowJson {
        WindowJson {
            id: w.id,
            ci_id: w.ci_id,
            ci: w.ci.clone(),
            starts_at: time(w.starts_at),
            ends_at: time(w.ends_at),
            reason: w.reason.clone(),
            change_ref: w.change_ref.clone(),
            created_by: w.created_by.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewMaintenanceWindow)]
pub struct WindowBody {
    #[schema(minimum = 1)]
    ci_id: i64,
    /// RFC 3339; absent: now.
    #[serde(default)]
    #[schema(pattern = "@instant")]
    starts_at: Option<String>,
    /// RFC 3339, after `starts_at`, at most 31 days later.
    #[schema(pattern = "@instant")]
    ends_at: String,
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
    /// The change this window is for.
    #[serde(default)]
    #[schema(max_length = 100)]
    change_ref: Option<String>,
}

pub async fn windows(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<super::api::EndedQuery>,
) -> ApiResult<Json<Items<WindowJson>>> {
    let list = state.app.alerts().maintenance(&actor, q.all).await?;
    Ok(Json(Items::of(&list, WindowJson::of)))
}

pub async fn create_window(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<WindowBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let starts = match &b.starts_at {
        Some(s) => super::api::instant("starts_at", s)?,
        None => state.app.now(),
    };
    let ends = super::api::instant("ends_at", &b.ends_at)?;
    let id = state
        .app
        .alerts()
        .schedule_maintenance(&actor, CiId(b.ci_id), (starts, ends), &b.reason, b.change_ref.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn end_window(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.alerts().end_maintenance(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
