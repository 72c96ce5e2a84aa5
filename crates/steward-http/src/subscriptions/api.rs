//! `/api/v1/subscriptions` and `/api/v1/deliveries`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::subscriptions::NewSubscription;
use steward_core::alerts::Matcher;
use steward_core::subscriptions::{Filter, public_target};
use steward_store::{DeliveryRecord, SubscriptionRecord};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Created, Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

/// A subscription. Its target is shown without its query (where robots keep their token) and
/// its secret not at all.
#[derive(Serialize, ToSchema)]
#[schema(as = Subscription)]
pub struct SubscriptionJson {
    id: i64,
    name: String,
    topics: Vec<&'static str>,
    channel: &'static str,
    target: String,
    signed: bool,
    locale: String,
    filter: FilterJson,
    created_by: String,
    created_at: String,
}

/// Which events of its topics it hears of; every condition given must hold.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(as = SubscriptionFilter)]
pub struct FilterJson {
    /// Only incidents of this team.
    #[serde(default)]
    #[schema(minimum = 1)]
    team_id: Option<i64>,
    /// Only priorities at least this urgent: 1 (P1) to 4.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    max_priority: Option<i64>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    service: Option<String>,
    /// `label=value` or `label!=value`, over an alert's labels or an incident's `priority`
    /// (`P2`), `service` and `team`.
    #[serde(default)]
    #[schema(max_items = 20)]
    labels: Vec<String>,
}

impl SubscriptionJson {
    pub fn of(r: &SubscriptionRecord) -> SubscriptionJson {
        let s = &r.subscription;
        SubscriptionJson {
            id: r.id,
            name: s.name.clone(),
            topics: s.topics.iter().map(|t| t.as_str()).collect(),
            channel: s.channel.as_str(),
            target: public_target(&s.target),
            signed: s.secret.is_some(),
            locale: s.locale.clone(),
            filter: FilterJson {
                team_id: s.filter.team,
                max_priority: s.filter.max_priority,
                service: s.filter.service.clone(),
                labels: s.filter.labels.iter().map(Matcher::to_string).collect(),
            },
            created_by: r.created_by.clone(),
            created_at: time(r.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSubscription)]
pub struct SubscriptionBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// `incident.opened`, `incident.resolved`, `incident.reopened`, `sla.breached`,
    /// `alert.firing`, `alert.resolved`.
    #[schema(min_items = 1, max_items = 6)]
    topics: Vec<String>,
    /// `email`, `webhook`, `slack`, `dingtalk`, `wecom` or `feishu`.
    #[schema(pattern = "^(email|webhook|slack|dingtalk|wecom|feishu)$")]
    channel: String,
    /// The robot's or endpoint's URL, or for email an address.
    #[schema(min_length = 1, max_length = 2000)]
    target: String,
    /// Signs deliveries (webhook: `X-Steward-Signature`; DingTalk and Feishu: their signing).
    #[serde(default)]
    #[schema(max_length = 500)]
    secret: Option<String>,
    /// `en` (default) or `zh-CN`.
    #[serde(default)]
    #[schema(pattern = "^(en|zh-CN)$")]
    locale: Option<String>,
    #[serde(default)]
    filter: FilterJson,
}

/// The filter as typed, checked.
pub fn filter(f: FilterJson) -> Result<Filter, steward_app::AppError> {
    let labels = f
        .labels
        .iter()
        .map(|m| Matcher::parse(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| steward_app::AppError::invalid("filter.labels", e.message))?;
    if f.team_id.is_some_and(|t| t < 1) {
        return Err(steward_app::AppError::invalid("filter.team_id", "a team id is at least 1"));
    }
    Ok(Filter {
        team: f.team_id,
        max_priority: f.max_priority,
        service: f.service.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        labels,
    })
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<SubscriptionJson>>> {
    let list = state.app.subscriptions().list(&actor).await?;
    Ok(Json(Items::of(&list, SubscriptionJson::of)))
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<SubscriptionBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let new = NewSubscription {
        name: b.name,
        topics: b.topics,
        channel: b.channel,
        target: b.target,
        secret: b.secret,
        locale: b.locale.unwrap_or_default(),
        filter: filter(b.filter)?,
    };
    let id = state.app.subscriptions().create(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.subscriptions().delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One message to one subscription.
#[derive(Serialize, ToSchema)]
#[schema(as = Delivery)]
pub struct DeliveryJson {
    id: i64,
    subscription_id: i64,
    subscription: String,
    channel: &'static str,
    /// `incident.opened`, …
    topic: &'static str,
    /// The headline sent.
    headline: String,
    /// `pending`, `delivered` or `dead`.
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

impl DeliveryJson {
    pub fn of(d: &DeliveryRecord) -> DeliveryJson {
        DeliveryJson {
            id: d.id,
            subscription_id: d.subscription_id,
            subscription: d.subscription_name.clone(),
            channel: d.channel.as_str(),
            topic: d.notice.topic.as_str(),
            headline: d.notice.headline(false),
            status: d.status.clone(),
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`
    #[param(pattern = "^(pending|delivered|dead)$")]
    status: Option<String>,
}

/// The status asked for, checked.
pub fn status(s: Option<&str>) -> Result<Option<&str>, steward_app::AppError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s @ ("pending" | "delivered" | "dead")) => Ok(Some(s)),
        Some(_) => Err(steward_app::AppError::invalid("status", "pending, delivered or dead")),
    }
}

pub async fn deliveries(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Items<DeliveryJson>>> {
    if q.status.as_deref() == Some("") {
        return Err(steward_app::AppError::invalid("status", "pending, delivered or dead").into());
    }
    let list = state.app.subscriptions().deliveries(&actor, status(q.status.as_deref())?).await?;
    Ok(Json(Items::of(&list, DeliveryJson::of)))
}

pub async fn resend(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.app.subscriptions().resend(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
