//! The alert console: what monitoring reports, newest first, with the incident each joined.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_store::AlertRecord;

use super::api::AlertQuery;
use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::web::{Page, WebResult, render};

#[derive(Template)]
#[template(path = "alerts.html")]
struct ConsolePage<'a> {
    page: Page<'a>,
    alerts: Vec<AlertRecord>,
    status: String,
    /// The incidents' numbers, by id.
    numbers: std::collections::HashMap<i64, String>,
    now: jiff::Timestamp,
    /// Alerts shown by group, each under a heading row.
    grouped: bool,
    /// The severity and sender filters (empty: any).
    severity: String,
    source: String,
}

impl ConsolePage<'_> {
    fn flapping(&self, a: &AlertRecord) -> bool {
        self.page.flap().flapping(a.flips, a.flips_since, self.now)
    }

    /// The labels a silence made from this alert starts with: its name and where it fires.
    fn silence_query(&self, a: &AlertRecord) -> String {
        let pairs: Vec<(&str, &str)> = ["alertname", "instance", "host", "job"]
            .iter()
            .filter_map(|k| a.alert.labels.get(*k).map(|v| (*k, v.as_str())))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn severities(&self) -> [&'static str; 3] {
        ["critical", "warning", "info"]
    }

    fn sources(&self) -> [&'static str; 5] {
        ["alertmanager", "grafana", "zabbix", "generic", "alerta"]
    }

    fn number(&self, id: &steward_core::ids::TicketId) -> String {
        self.numbers.get(&id.get()).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    /// Whether alert `i` starts a new group (in the grouped view).
    fn starts_group(&self, i: &usize) -> bool {
        let i = *i;
        self.grouped
            && (i == 0 || {
                let (a, b) = (&self.alerts[i - 1], &self.alerts[i]);
                (&a.alert.source, &a.group) != (&b.alert.source, &b.group)
            })
    }

    /// A group's heading: its key as the sender wrote it, shortened.
    fn group_name(&self, a: &AlertRecord) -> String {
        let text: String = a.group.chars().take(80).collect();
        if a.group.chars().count() > 80 { format!("{text}…") } else { text }
    }

    /// The address to come back to after acting on an alert.
    fn here(&self) -> String {
        self.with_status(&self.status)
    }

    /// The console with these filters and view, on status tab `status` (empty: all).
    fn with_status(&self, status: &str) -> String {
        let mut q = Vec::new();
        if !status.is_empty() {
            q.push(format!("status={status}"));
        }
        if self.grouped {
            q.push("view=grouped".to_owned());
        }
        if !self.severity.is_empty() {
            q.push(format!("severity={}", self.severity));
        }
        if !self.source.is_empty() {
            q.push(format!("source={}", self.source));
        }
        if q.is_empty() { "/alerts".into() } else { format!("/alerts?{}", q.join("&")) }
    }
}

/// The console's address: a status tab, the grouped view (and the page's language).
#[derive(serde::Deserialize)]
pub struct ConsoleQuery {
    status: Option<String>,
    severity: Option<String>,
    source: Option<String>,
    #[serde(default)]
    view: String,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

pub async fn console(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ConsoleQuery>,
) -> WebResult {
    let some = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = AlertQuery::of(some(q.status), some(q.severity), some(q.source)).filter()?;
    let mut alerts = state.app.alerts().list(&actor, &filter).await?;
    let grouped = q.view == "grouped";
    if grouped {
        // Each group together, the group with the newest alert first.
        let mut newest: std::collections::HashMap<(String, String), i64> = std::collections::HashMap::new();
        for a in &alerts {
            let slot = newest.entry((a.alert.source.clone(), a.group.clone())).or_insert(a.id);
            *slot = (*slot).max(a.id);
        }
        alerts.sort_by_key(|a| {
            (
                std::cmp::Reverse(newest[&(a.alert.source.clone(), a.group.clone())]),
                a.group.clone(),
                std::cmp::Reverse(a.id),
            )
        });
    }
    let mut numbers = std::collections::HashMap::new();
    for id in alerts.iter().filter_map(|a| a.ticket_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = numbers.entry(id.get())
            && let Some(t) = state.app.store().ticket(id).await.map_err(steward_app::AppError::from)?
        {
            slot.insert(t.number);
        }
    }
    let page = Page::new(&state, &actor, &headers, &uri, "alerts.title");
    let status = filter.status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let severity = filter.severity.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let source = filter.source.clone().unwrap_or_default();
    Ok(render(&ConsolePage {
        page,
        alerts,
        status,
        severity,
        source,
        numbers,
        now: state.app.now(),
        grouped,
    }))
}

#[derive(Template)]
#[template(path = "silences.html")]
struct SilencesPage<'a> {
    page: Page<'a>,
    silences: Vec<steward_store::SilenceRecord>,
    /// The new silence's matchers, one per line (prefilled from an alert).
    matchers: String,
    /// Maintenance windows on CIs still to end.
    windows: Vec<steward_store::MaintenanceRecord>,
}

/// `/alerts/silences[?alertname=…&instance=…]`: the silences, and a form prefilled with the
/// labels given (a silence made from an alert).
pub async fn silences(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let matchers = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "lang" | "notice" | "error"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let silences = state.app.alerts().silences(&actor, false).await?;
    let windows = state.app.alerts().maintenance(&actor, false).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "silences.title");
    Ok(render(&SilencesPage { page, silences, matchers, windows }))
}

#[derive(serde::Deserialize)]
pub struct SilenceForm {
    #[serde(default)]
    matchers: String,
    #[serde(default)]
    duration: String,
    #[serde(default)]
    comment: String,
}

pub async fn create_silence(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::web::WebForm(f): crate::web::WebForm<SilenceForm>,
) -> WebResult {
    let result = async {
        let minutes =
            crate::sla::parse_minutes(&f.duration).filter(|m| (1..=527_040).contains(m)).ok_or_else(
                || steward_app::AppError::invalid("duration", "a duration such as 2 h, up to a year"),
            )?;
        let starts = state.app.now();
        let ends = starts.checked_add(jiff::SignedDuration::from_mins(minutes)).unwrap_or(starts);
        let matchers: Vec<String> = f.matchers.lines().map(str::to_owned).collect();
        state.app.alerts().create_silence(&actor, &matchers, starts, ends, &f.comment).await
    }
    .await;
    crate::web::after_form(result, "/alerts/silences", crate::web::Notice::Saved)
}

pub async fn expire_silence(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> WebResult {
    let result = state.app.alerts().expire_silence(&actor, id).await;
    crate::web::after_form(result, "/alerts/silences", crate::web::Notice::Saved)
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage<'a> {
    page: Page<'a>,
    d: steward_app::alerts::AlertDetail,
    number: Option<String>,
    now: jiff::Timestamp,
}

impl AlertPage<'_> {
    fn flapping(&self) -> bool {
        let a = &self.d.alert;
        self.page.flap().flapping(a.flips, a.flips_since, self.now)
    }

    /// What a history entry carried, in words: the incident linked, the silence, the window.
    fn detail(&self, e: &steward_store::LoggedEvent) -> String {
        let after: serde_json::Value =
            e.event.after.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
        match e.event.action.as_str() {
            "link" => after["ticket_id"].as_i64().map(|t| format!("#{t}")).unwrap_or_default(),
            "silence" => after["silence_id"].as_i64().map(|s| format!("#{s}")).unwrap_or_default(),
            "expect" => after["window_id"].as_i64().map(|s| format!("#{s}")).unwrap_or_default(),
            "flap" => after["changes"].as_i64().map(|n| n.to_string()).unwrap_or_default(),
            "receive" => after["severity"]
                .as_str()
                .map(|s| self.page.code("severity", s).to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn event_at(&self, e: &steward_store::LoggedEvent) -> String {
        self.page.minute(e.at())
    }
}

/// `/alerts/{id}`: one alert, its timeline and its group.
pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> WebResult {
    let d = state.app.alerts().detail(&actor, id).await?;
    let number = match d.alert.ticket_id {
        Some(t) => state.app.store().ticket(t).await.map_err(steward_app::AppError::from)?.map(|t| t.number),
        None => None,
    };
    let page = Page::new(&state, &actor, &headers, &uri, "alerts.detail");
    Ok(render(&AlertPage { page, d, number, now: state.app.now() }))
}

#[derive(serde::Deserialize)]
pub struct AckForm {
    #[serde(default)]
    next: String,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
    crate::web::WebForm(f): crate::web::WebForm<AckForm>,
) -> WebResult {
    let result = state.app.alerts().acknowledge(&actor, id).await;
    // Back where the button was: the console (with its tab) or the alert's page; nowhere else.
    let back = match f.next.starts_with("/alerts") && !f.next.contains("//") {
        true => f.next.as_str(),
        false => "/alerts",
    };
    match (result, back.split_once('?')) {
        (Ok(()), Some((path, query))) => {
            let query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
            let mut kept: Vec<(String, String)> =
                query.into_iter().filter(|(k, _)| k != "notice" && k != "error").collect();
            kept.push(("notice".into(), "saved".into()));
            let query = serde_urlencoded::to_string(kept).unwrap_or_default();
            Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
                "{path}?{query}"
            ))))
        }
        (result, _) => crate::web::after_form(
            result,
            back.split('?').next().unwrap_or("/alerts"),
            crate::web::Notice::Saved,
        ),
    }
}
