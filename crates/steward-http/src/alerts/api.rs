//! `/api/v1/alerts`: what monitoring reported, newest first.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use steward_core::alerts::AlertStatus;
use steward_core::ids::TicketId;
use steward_store::{AlertFilter, AlertRecord};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, CurrentActor};

#[derive(Serialize, ToSchema)]
#[schema(as = Alert)]
pub struct AlertJson {
    id: i64,
    source: String,
    fingerprint: String,
    group: String,
    status: &'static str,
    severity: &'static str,
    title: String,
    subject: Option<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    link: Option<String>,
    starts_at: String,
    ends_at: Option<String>,
    first_seen: String,
    last_seen: String,
    repeats: i64,
    ticket_id: Option<TicketId>,
    silence_id: Option<i64>,
    /// Changing state too often: it opens and resolves nothing until it settles.
    flapping: bool,
    /// Who said they are on it, and when.
    acknowledged_by: Option<String>,
    acknowledged_at: Option<String>,
    /// It fired on a CI inside this maintenance window: expected, it opened nothing.
    maintenance_id: Option<i64>,
}

impl AlertJson {
    pub fn of(r: &AlertRecord, now: jiff::Timestamp, flap: steward_core::alerts::FlapPolicy) -> AlertJson {
        AlertJson {
            id: r.id,
            source: r.alert.source.clone(),
            fingerprint: r.alert.fingerprint.clone(),
            group: r.group.clone(),
            status: r.alert.status.as_str(),
            severity: r.alert.severity.as_str(),
            title: r.title.clone(),
            subject: r.subject.clone(),
            labels: r.alert.labels.clone(),
            annotations: r.alert.annotations.clone(),
            link: r.alert.link.clone(),
            starts_at: time(r.alert.starts_at),
            ends_at: r.alert.ends_at.map(time),
            first_seen: time(r.first_seen),
            last_seen: time(r.last_seen),
            repeats: r.repeats,
            ticket_id: r.ticket_id,
            silence_id: r.silence_id,
            flapping: flap.flapping(r.flips, r.flips_since, now),
            acknowledged_by: r.acked.as_ref().map(|(by, _)| by.clone()),
            acknowledged_at: r.acked.as_ref().map(|(_, at)| time(*at)),
            maintenance_id: r.maintenance_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `firing` or `resolved`
    #[param(pattern = "^(firing|resolved)$")]
    status: Option<String>,
    /// `critical`, `warning` or `info`
    #[param(pattern = "^(critical|warning|info)$")]
    severity: Option<String>,
    /// The sender: `alertmanager`, `grafana`, `zabbix`, `generic`, `alerta`
    #[param(pattern = "^(alertmanager|grafana|zabbix|generic|alerta)$")]
    source: Option<String>,
    /// Only the alerts of this incident
    #[param(minimum = 1)]
    ticket_id: Option<i64>,
    /// Only alerts older than this id (the next page)
    #[param(minimum = 1)]
    before: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

impl AlertQuery {
    /// The console's filters.
    pub fn of(status: Option<String>, severity: Option<String>, source: Option<String>) -> AlertQuery {
        AlertQuery { status, severity, source, ticket_id: None, before: None, limit: None }
    }

    pub fn filter(&self) -> Result<AlertFilter, steward_app::AppError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(
                AlertStatus::parse(s)
                    .ok_or_else(|| steward_app::AppError::invalid("status", "firing or resolved"))?,
            ),
        };
        let invalid = steward_app::AppError::invalid;
        let severity = match self.severity.as_deref() {
            None => None,
            Some(s @ ("critical" | "warning" | "info")) => {
                Some(steward_core::alerts::Severity::from_label(Some(s)))
            }
            Some(_) => return Err(invalid("severity", "critical, warning or info")),
        };
        let source = match self.source.as_deref() {
            None => None,
            Some(s @ ("alertmanager" | "grafana" | "zabbix" | "generic" | "alerta")) => Some(s.to_owned()),
            Some(_) => return Err(invalid("source", "alertmanager, grafana, zabbix, generic or alerta")),
        };
        if self.ticket_id.is_some_and(|t| t < 1) {
            return Err(invalid("ticket_id", "an incident id is at least 1"));
        }
        if self.before.is_some_and(|b| b < 1) {
            return Err(invalid("before", "an alert id is at least 1"));
        }
        if self.limit.is_some_and(|l| !(1..=500).contains(&l)) {
            return Err(invalid("limit", "between 1 and 500"));
        }
        Ok(AlertFilter {
            status,
            severity,
            source,
            ticket_id: self.ticket_id.map(TicketId),
            before: self.before,
            limit: self.limit.unwrap_or(100).clamp(1, 500),
        })
    }
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Items<AlertJson>>> {
    let alerts = state.app.alerts().list(&actor, &q.filter()?).await?;
    let now = state.app.now();
    let flap = state.app.config().alert_flap;
    Ok(Json(Items::of(&alerts, |a| AlertJson::of(a, now, flap))))
}

/// A silence (maintenance window).
#[derive(Serialize, ToSchema)]
#[schema(as = Silence)]
pub struct SilenceJson {
    id: i64,
    /// `label=value` or `label!=value`
    matchers: Vec<String>,
    starts_at: String,
    ends_at: String,
    comment: String,
    created_by: String,
    created_at: String,
}

impl From<&steward_store::SilenceRecord> for SilenceJson {
    fn from(s: &steward_store::SilenceRecord) -> SilenceJson {
        SilenceJson {
            id: s.id,
            matchers: s.silence.matchers.iter().map(|m| m.to_string()).collect(),
            starts_at: time(s.silence.starts_at),
            ends_at: time(s.silence.ends_at),
            comment: s.silence.comment.clone(),
            created_by: s.created_by.clone(),
            created_at: time(s.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSilence)]
pub struct SilenceBody {
    /// `label=value` or `label!=value`; at least one `=`.
    #[schema(min_items = 1, max_items = 20)]
    matchers: Vec<String>,
    /// RFC 3339; absent: now.
    #[serde(default)]
    #[schema(pattern = "@instant")]
    starts_at: Option<String>,
    /// RFC 3339, after `starts_at`.
    #[schema(pattern = "@instant")]
    ends_at: String,
    #[schema(min_length = 1, max_length = 1000)]
    comment: String,
}

pub(super) fn instant(field: &'static str, text: &str) -> Result<jiff::Timestamp, steward_app::AppError> {
    text.trim()
        .parse()
        .map_err(|_| steward_app::AppError::invalid(field, format!("`{text}` is not an RFC 3339 time")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EndedQuery {
    /// Ended ones too
    #[serde(default)]
    pub(super) all: bool,
}

pub async fn silences(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<EndedQuery>,
) -> ApiResult<Json<Items<SilenceJson>>> {
    let list = state.app.alerts().silences(&actor, q.all).await?;
    Ok(Json(Items::of(&list, SilenceJson::from)))
}

pub async fn create_silence(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiJson(b): crate::extract::ApiJson<SilenceBody>,
) -> ApiResult<(axum::http::StatusCode, Json<crate::api::Created>)> {
    let starts = match &b.starts_at {
        Some(s) => instant("starts_at", s)?,
        None => state.app.now(),
    };
    let ends = instant("ends_at", &b.ends_at)?;
    let id = state.app.alerts().create_silence(&actor, &b.matchers, starts, ends, &b.comment).await?;
    Ok((axum::http::StatusCode::CREATED, Json(crate::api::Created { id })))
}

pub async fn expire_silence(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> ApiResult<axum::http::StatusCode> {
    state.app.alerts().expire_silence(&actor, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// An alert with its group and history.
#[derive(Serialize, ToSchema)]
#[schema(as = AlertDetail)]
pub struct AlertDetailJson {
    alert: AlertJson,
    /// The other alerts of its sender's group, newest first (at most 100).
    group: Vec<AlertJson>,
    /// What happened to it, oldest first.
    history: Vec<AlertHistoryJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AlertHistoryEntry)]
pub struct AlertHistoryJson {
    at: String,
    /// `receive`, `resolve`, `refire`, `link`, `silence`, `flap`, `acknowledge`, `expect`
    action: String,
    actor: String,
    /// What the change carried (the incident linked, the silence, …).
    detail: Option<serde_json::Value>,
}

impl AlertHistoryJson {
    pub fn of(e: &steward_store::LoggedEvent) -> AlertHistoryJson {
        AlertHistoryJson {
            at: time(e.at()),
            action: e.event.action.clone(),
            actor: e.event.actor_name.clone(),
            detail: e.event.after.as_deref().and_then(|a| serde_json::from_str(a).ok()),
        }
    }
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> ApiResult<Json<AlertDetailJson>> {
    let d = state.app.alerts().detail(&actor, id).await?;
    let now = state.app.now();
    let flap = state.app.config().alert_flap;
    Ok(Json(AlertDetailJson {
        alert: AlertJson::of(&d.alert, now, flap),
        group: d.group.iter().map(|a| AlertJson::of(a, now, flap)).collect(),
        history: d.history.iter().map(AlertHistoryJson::of).collect(),
    }))
}

pub async fn acknowledge(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> ApiResult<axum::http::StatusCode> {
    state.app.alerts().acknowledge(&actor, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
