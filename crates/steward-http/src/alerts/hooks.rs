//! Receivers monitoring posts to (`/hooks/*`), each behind a bearer token with the `alerts`
//! scope. A delivery is answered only once its alerts are committed; a 4xx names what is wrong
//! and nothing of the delivery is kept.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use steward_core::alerts::{Alert, RawAlert};
use steward_core::ids::TicketId;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{CurrentActor, JsonBody, RawBody};

/// Prometheus Alertmanager's webhook, `version: "4"`
/// (<https://prometheus.io/docs/alerting/latest/configuration/#webhook_config>). Its other
/// fields (`status`, `receiver`, `groupLabels`, `commonLabels`, `commonAnnotations`,
/// `externalURL`) repeat what each alert carries, and are not read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerWebhook {
    version: String,
    group_key: String,
    /// Alerts left out by the sender's `max_alerts`: they are not seen, so they are logged.
    #[serde(default)]
    truncated_alerts: i64,
    alerts: Vec<AlertmanagerAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    starts_at: String,
    /// `0001-01-01T00:00:00Z` while firing.
    #[serde(default)]
    ends_at: String,
    #[serde(default, rename = "generatorURL")]
    generator_url: String,
    #[serde(default)]
    fingerprint: String,
}

impl AlertmanagerAlert {
    /// The alert checked, as `alerts[i]` of a delivery from `source`; `link` comes before the
    /// generator URL.
    fn check(
        self,
        source: &str,
        i: usize,
        now: jiff::Timestamp,
        link: Option<String>,
    ) -> Result<Alert, ApiError> {
        let field = format!("alerts[{i}]");
        let raw = RawAlert {
            fingerprint: Some(self.fingerprint),
            status: self.status,
            labels: self.labels,
            annotations: self.annotations,
            starts_at: instant(&format!("{field}.startsAt"), &self.starts_at)?,
            ends_at: instant(&format!("{field}.endsAt"), &self.ends_at)?,
            link: link.or(Some(self.generator_url)),
        };
        Alert::parse(source, &field, raw, now).map_err(|e| ApiError::invalid(e.field, e.message))
    }
}

/// What a delivery changed.
#[derive(Serialize, ToSchema)]
pub struct IngestJson {
    received: usize,
    new: usize,
    repeated: usize,
    resolved: usize,
    incidents_opened: Vec<TicketId>,
    incidents_resolved: Vec<TicketId>,
}

/// A time Alertmanager sent: RFC 3339, or its zero time (none).
pub(super) fn instant(field: &str, text: &str) -> Result<Option<jiff::Timestamp>, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0001-01-01") {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ApiError::invalid(field, format!("`{text}` is not an RFC 3339 time")))
}

/// `POST /hooks/alertmanager`.
pub async fn alertmanager(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(body, raw): JsonBody<AlertmanagerWebhook>,
) -> ApiResult<Json<IngestJson>> {
    if body.version != "4" {
        return Err(ApiError::invalid("version", format!("expected \"4\", got \"{}\"", body.version)));
    }
    if body.group_key.trim().is_empty() || body.group_key.len() > 1000 {
        return Err(ApiError::invalid("groupKey", "a group key of 1 to 1000 bytes"));
    }
    let now = state.app.now();
    let mut alerts = Vec::with_capacity(body.alerts.len());
    for (i, a) in body.alerts.into_iter().enumerate() {
        alerts.push(a.check("alertmanager", i, now, None)?);
    }
    if body.truncated_alerts > 0 {
        tracing::warn!(
            group = %body.group_key,
            truncated = body.truncated_alerts,
            "Alertmanager left alerts out of a webhook (its max_alerts); raise it to see them all"
        );
    }
    let report =
        state.app.alerts().ingest(&actor, &body.group_key, alerts, &String::from_utf8_lossy(&raw)).await?;
    Ok(Json(IngestJson::from(report)))
}

impl From<steward_app::alerts::IngestReport> for IngestJson {
    fn from(report: steward_app::alerts::IngestReport) -> IngestJson {
        IngestJson {
            received: report.received,
            new: report.new,
            repeated: report.repeated,
            resolved: report.resolved,
            incidents_opened: report.incidents_opened,
            incidents_resolved: report.incidents_resolved,
        }
    }
}

/// Grafana's unified alerting webhook contact point, `version: "1"`
/// (<https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/>).
/// Its alerts are Alertmanager's, with Grafana's links and the values that fired them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrafanaWebhook {
    version: String,
    #[serde(default)]
    group_key: String,
    #[serde(default)]
    truncated_alerts: i64,
    alerts: Vec<GrafanaAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrafanaAlert {
    /// What Alertmanager's alerts carry too.
    #[serde(flatten)]
    base: AlertmanagerAlert,
    #[serde(default, rename = "panelURL")]
    panel_url: String,
    #[serde(default, rename = "dashboardURL")]
    dashboard_url: String,
    /// What the query returned (`{"B": 22.5}`); older Grafana sends `valueString` instead.
    #[serde(default)]
    values: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    value_string: String,
}

/// The signature Grafana sends: hex HMAC-SHA256 of the body (of `timestamp:body` when it also
/// sends the timestamp header), keyed with the contact point's secret.
fn grafana_signed(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    use hmac::{KeyInit, Mac};
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(sent) = header("x-grafana-alerting-signature").and_then(|s| hex::decode(s).ok()) else {
        return false;
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    if let Some(ts) = header("x-grafana-alerting-signature-timestamp") {
        mac.update(ts.as_bytes());
        mac.update(b":");
    }
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&sent).is_ok()
}

/// `POST|PUT /hooks/grafana`.
pub async fn grafana(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    RawBody(raw): RawBody,
) -> ApiResult<Json<IngestJson>> {
    if let Some(secret) = &state.config.grafana_hmac_secret
        && !grafana_signed(secret, &headers, &raw)
    {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the X-Grafana-Alerting-Signature header is missing or does not match the configured secret",
        ));
    }
    let body: GrafanaWebhook = crate::extract::parse_json(&raw)?;
    if body.version != "1" {
        return Err(ApiError::invalid("version", format!("expected \"1\", got \"{}\"", body.version)));
    }
    let group = if body.group_key.trim().is_empty() { "grafana".to_owned() } else { body.group_key };
    if group.len() > 1000 {
        return Err(ApiError::invalid("groupKey", "a group key of at most 1000 bytes"));
    }
    let now = state.app.now();
    let mut alerts = Vec::with_capacity(body.alerts.len());
    for (i, mut a) in body.alerts.into_iter().enumerate() {
        let values = match a.values {
            Some(v) if !v.is_empty() => {
                v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            }
            _ => a.value_string,
        };
        if !values.trim().is_empty() {
            a.base.annotations.entry("values".to_owned()).or_insert(values);
        }
        let link = [a.panel_url, a.dashboard_url].into_iter().find(|l| !l.trim().is_empty());
        alerts.push(a.base.check("grafana", i, now, link)?);
    }
    if body.truncated_alerts > 0 {
        tracing::warn!(group = %group, truncated = body.truncated_alerts, "Grafana left alerts out of a webhook");
    }
    let report = state.app.alerts().ingest(&actor, &group, alerts, &String::from_utf8_lossy(&raw)).await?;
    Ok(Json(IngestJson::from(report)))
}
