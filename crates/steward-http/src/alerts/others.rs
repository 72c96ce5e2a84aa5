//! The receivers for senders without Alertmanager's format: Zabbix (the media type shipped in
//! `docs/integrations/zabbix/`), Steward's own generic format, and Alerta's `POST /alert`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use steward_core::alerts::{Alert, RawAlert, label_fingerprint};
use steward_core::ids::TicketId;

use super::hooks::{IngestJson, instant};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{CurrentActor, JsonBody};

/// What the Zabbix media type sends: its macros, resolved by Zabbix (an unresolved one arrives
/// as the macro itself, `{HOST.IP}`, and is treated as absent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZabbixEvent {
    /// `{EVENT.ID}`: the problem's id, also in its recovery and update messages.
    event_id: String,
    /// `{EVENT.VALUE}`: 1 problem, 0 resolved.
    event_value: String,
    /// `{EVENT.UPDATE.STATUS}`: 1 for an update (acknowledged, commented, severity changed).
    #[serde(default)]
    event_update_status: String,
    /// `{EVENT.ACK.STATUS}`: `Yes` or `No`.
    #[serde(default)]
    event_ack_status: String,
    /// `{EVENT.NSEVERITY}`: 0 not classified … 5 disaster.
    event_nseverity: String,
    host_name: String,
    #[serde(default)]
    host_ip: String,
    #[serde(default)]
    trigger_id: String,
    event_name: String,
    #[serde(default)]
    alert_message: String,
    /// `{EVENT.TAGSJSON}`: `[{"tag": "service", "value": "billing"}]`.
    #[serde(default)]
    event_tags: serde_json::Value,
    /// `{$ZABBIX.URL}`: where the frontend is, for the link back.
    #[serde(default)]
    zabbix_url: String,
}

/// Zabbix's answer: the tags it sets on the problem (with the media type's `process_tags`), so
/// its later messages and its event menu lead to the same incident.
#[derive(Serialize)]
pub struct ZabbixAnswer {
    #[serde(flatten)]
    ingest: IngestJson,
    tags: BTreeMap<&'static str, String>,
}

/// A macro Zabbix left unresolved, or nothing.
fn given(value: &str) -> Option<&str> {
    let v = value.trim();
    let unresolved = v.starts_with('{') && v.ends_with('}');
    (!v.is_empty() && !unresolved).then_some(v)
}

const ZABBIX_SEVERITIES: [&str; 6] =
    ["not_classified", "information", "warning", "average", "high", "disaster"];

impl ZabbixEvent {
    fn check(self, now: jiff::Timestamp) -> Result<Alert, ApiError> {
        let event_id = given(&self.event_id)
            .filter(|id| id.len() <= 40 && id.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| ApiError::invalid("event_id", "Zabbix's {EVENT.ID}: digits"))?
            .to_owned();
        let status = match self.event_value.trim() {
            "1" => "firing",
            "0" => "resolved",
            _ => {
                return Err(ApiError::invalid(
                    "event_value",
                    "Zabbix's {EVENT.VALUE}: 1 (problem) or 0 (resolved)",
                ));
            }
        };
        let severity = self
            .event_nseverity
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| ZABBIX_SEVERITIES.get(n))
            .ok_or_else(|| ApiError::invalid("event_nseverity", "Zabbix's {EVENT.NSEVERITY}: 0 to 5"))?;
        let host =
            given(&self.host_name).ok_or_else(|| ApiError::invalid("host_name", "Zabbix's {HOST.NAME}"))?;
        let name = given(&self.event_name)
            .ok_or_else(|| ApiError::invalid("event_name", "Zabbix's {EVENT.NAME}"))?;
        let mut labels = BTreeMap::from([
            ("alertname".to_owned(), name.to_owned()),
            ("host".to_owned(), host.to_owned()),
            ("severity".to_owned(), (*severity).to_owned()),
        ]);
        if let Some(ip) = given(&self.host_ip) {
            labels.insert("host_ip".into(), ip.to_owned());
        }
        if let Some(t) = given(&self.trigger_id) {
            labels.insert("zabbix_trigger_id".into(), t.to_owned());
        }
        let tags = match &self.event_tags {
            serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or(serde_json::Value::Null),
            other => other.clone(),
        };
        for tag in tags.as_array().into_iter().flatten() {
            if let (Some(k), Some(v)) = (tag["tag"].as_str(), tag["value"].as_str()) {
                // Steward's own tags come back on updates; they are not the problem's labels.
                if !k.starts_with("__zbx_steward") {
                    labels.entry(label_name(k)).or_insert_with(|| v.to_owned());
                }
            }
        }
        let mut annotations = BTreeMap::from([("summary".to_owned(), name.to_owned())]);
        if let Some(m) = given(&self.alert_message) {
            annotations.insert("description".into(), m.to_owned());
        }
        if given(&self.event_update_status) == Some("1") {
            annotations
                .insert("acknowledged".into(), given(&self.event_ack_status).unwrap_or("No").to_owned());
        }
        let link = given(&self.zabbix_url).map(|base| {
            let trigger = given(&self.trigger_id).unwrap_or("");
            format!("{}/tr_events.php?triggerid={trigger}&eventid={event_id}", base.trim_end_matches('/'))
        });
        // Event ids are per Zabbix server: the frontend's address tells servers apart.
        let server = given(&self.zabbix_url).map(|u| u.trim_end_matches('/').to_owned());
        let fingerprint = match &server {
            Some(u) => format!(
                "{}:event-{event_id}",
                &label_fingerprint(&BTreeMap::from([("zabbix".to_owned(), u.clone())]))[..8]
            ),
            None => format!("event-{event_id}"),
        };
        let raw = RawAlert {
            fingerprint: Some(fingerprint),
            status: status.to_owned(),
            labels,
            annotations,
            starts_at: None,
            ends_at: None,
            link,
        };
        Alert::parse("zabbix", "event", raw, now).map_err(|e| ApiError::invalid(e.field, e.message))
    }
}

/// A tag name as a label name: letters, digits and `_`.
fn label_name(tag: &str) -> String {
    let name: String =
        tag.chars().take(100).map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if name.is_empty() { "tag".into() } else { name }
}

/// `POST /hooks/zabbix`.
pub async fn zabbix(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(body, raw): JsonBody<ZabbixEvent>,
) -> ApiResult<Json<ZabbixAnswer>> {
    let alert = body.check(state.app.now())?;
    let group = format!("host:{}", alert.labels.get("host").map(String::as_str).unwrap_or_default());
    let fingerprint = alert.fingerprint.clone();
    let report =
        state.app.alerts().ingest(&actor, &group, vec![alert], &String::from_utf8_lossy(&raw)).await?;
    let mut tags = BTreeMap::new();
    if let Some((id, number)) = state.app.alerts().incident_of(&actor, "zabbix", &fingerprint).await? {
        tags.insert("__zbx_steward_incident", number);
        if let Some(base) = &state.app.config().public_url {
            tags.insert(
                "__zbx_steward_link",
                format!("{}/incidents/{}", base.trim_end_matches('/'), id.get()),
            );
        }
    }
    Ok(Json(ZabbixAnswer { ingest: IngestJson::from(report), tags }))
}

/// Steward's generic format: for any sender that can post JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericWebhook {
    /// Who sends (`nagios`, `uptime-kuma`, …): kept as the `sender` label.
    #[serde(default)]
    sender: Option<String>,
    /// Alerts of a group share an incident; default: the sender.
    #[serde(default)]
    group: Option<String>,
    alerts: Vec<GenericAlert>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericAlert {
    /// Identifies the alert across re-sends; default: a hash of its labels.
    #[serde(default)]
    fingerprint: Option<String>,
    /// `firing` or `resolved`.
    status: String,
    /// `critical`, `warning`, `info` (and the usual synonyms); else the `severity` label.
    #[serde(default)]
    severity: Option<String>,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    /// RFC 3339.
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

/// `POST /hooks/generic`.
pub async fn generic(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(body, raw): JsonBody<GenericWebhook>,
) -> ApiResult<Json<IngestJson>> {
    let sender = body.sender.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if sender.as_ref().is_some_and(|s| s.len() > 100) {
        return Err(ApiError::invalid("sender", "at most 100 bytes"));
    }
    let group = body.group.or_else(|| sender.clone()).unwrap_or_else(|| "generic".into());
    if group.trim().is_empty() || group.len() > 1000 {
        return Err(ApiError::invalid("group", "a group of 1 to 1000 bytes"));
    }
    let now = state.app.now();
    let mut alerts = Vec::with_capacity(body.alerts.len());
    for (i, a) in body.alerts.into_iter().enumerate() {
        let mut labels = a.labels;
        if let Some(s) = a.severity {
            labels.insert("severity".into(), s);
        }
        if let Some(s) = &sender {
            labels.insert("sender".into(), s.clone());
        }
        // Two senders' own fingerprints never meet.
        let fingerprint = match (a.fingerprint, &sender) {
            (Some(f), Some(s)) => Some(format!("{s}:{f}")),
            (f, _) => f,
        };
        let time = |k: &str, v: Option<String>| -> Result<_, ApiError> {
            Ok(match v {
                Some(t) => instant(&format!("alerts[{i}].{k}"), &t)?,
                None => None,
            })
        };
        let raw = RawAlert {
            fingerprint,
            status: a.status,
            labels,
            annotations: a.annotations,
            starts_at: time("starts_at", a.starts_at)?,
            ends_at: time("ends_at", a.ends_at)?,
            link: a.link,
        };
        alerts.push(
            Alert::parse("generic", &format!("alerts[{i}]"), raw, now)
                .map_err(|e| ApiError::invalid(e.field, e.message))?,
        );
    }
    let report = state.app.alerts().ingest(&actor, &group, alerts, &String::from_utf8_lossy(&raw)).await?;
    Ok(Json(IngestJson::from(report)))
}

/// Alerta's alert (<https://docs.alerta.io/api/reference.html#create-an-alert>): what its
/// clients and integrations post to `/alert`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertaAlert {
    resource: String,
    event: String,
    #[serde(default)]
    environment: String,
    /// `security`, `critical`, `major`, `minor`, `warning`, `informational`, …; `normal`, `ok`
    /// and `cleared` mean it has resolved.
    #[serde(default)]
    severity: String,
    #[serde(default)]
    service: Vec<String>,
    #[serde(default)]
    group: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    create_time: Option<String>,
}

/// Alerta's answer shape, which its clients read.
#[derive(Serialize)]
pub struct AlertaAnswer {
    status: &'static str,
    id: String,
    #[serde(flatten)]
    ingest: IngestJson,
    incident: Option<TicketId>,
}

/// `POST /hooks/alerta/alert` (Alerta's endpoint: `/hooks/alerta`).
pub async fn alerta(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(a, body): JsonBody<AlertaAlert>,
) -> ApiResult<Json<AlertaAnswer>> {
    let resource =
        given(&a.resource).ok_or_else(|| ApiError::invalid("resource", "the resource that is alerting"))?;
    let event = given(&a.event).ok_or_else(|| ApiError::invalid("event", "the event's name"))?;
    let severity = a.severity.trim().to_ascii_lowercase();
    let status = match severity.as_str() {
        "normal" | "ok" | "cleared" => "resolved",
        _ => "firing",
    };
    let environment = if a.environment.trim().is_empty() { "Production" } else { a.environment.trim() };
    let mut labels = BTreeMap::from([
        ("alertname".to_owned(), event.to_owned()),
        ("resource".to_owned(), resource.to_owned()),
        ("host".to_owned(), resource.to_owned()),
        ("environment".to_owned(), environment.to_owned()),
    ]);
    if status == "firing" && !severity.is_empty() {
        labels.insert("severity".into(), severity.clone());
    }
    if let Some(s) = a.service.first() {
        labels.insert("service_name".into(), s.clone());
    }
    for (k, v) in &a.attributes {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        labels.entry(label_name(k)).or_insert(text);
    }
    let mut annotations = BTreeMap::new();
    for (k, v) in [("summary", &a.text), ("value", &a.value), ("origin", &a.origin)] {
        if !v.trim().is_empty() {
            annotations.insert(k.to_owned(), v.clone());
        }
    }
    if !a.tags.is_empty() {
        annotations.insert("tags".into(), a.tags.join(", "));
    }
    // Alerta de-duplicates by environment, resource and event; so does Steward.
    let fingerprint = label_fingerprint(&BTreeMap::from([
        ("environment".to_owned(), environment.to_owned()),
        ("resource".to_owned(), resource.to_owned()),
        ("event".to_owned(), event.to_owned()),
    ]));
    let starts_at = match &a.create_time {
        Some(t) => instant("createTime", t)?,
        None => None,
    };
    let raw = RawAlert {
        fingerprint: Some(fingerprint.clone()),
        status: status.to_owned(),
        labels,
        annotations,
        starts_at,
        ends_at: None,
        link: None,
    };
    let alert = Alert::parse("alerta", "alert", raw, state.app.now())
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let group =
        format!("{environment}:{}", if a.group.trim().is_empty() { resource } else { a.group.trim() });
    let report =
        state.app.alerts().ingest(&actor, &group, vec![alert], &String::from_utf8_lossy(&body)).await?;
    let incident = state.app.alerts().incident_of(&actor, "alerta", &fingerprint).await?.map(|(id, _)| id);
    Ok(Json(AlertaAnswer { status: "ok", id: fingerprint, ingest: IngestJson::from(report), incident }))
}
