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
}

impl ConsolePage<'_> {
    fn flapping(&self, a: &AlertRecord) -> bool {
        steward_core::alerts::FlapPolicy::default().flapping(a.flips, a.flips_since, self.now)
    }

    /// The labels a silence made from this alert starts with: its name and where it fires.
    fn silence_query(&self, a: &AlertRecord) -> String {
        let pairs: Vec<(&str, &str)> = ["alertname", "instance", "host", "job"]
            .iter()
            .filter_map(|k| a.alert.labels.get(*k).map(|v| (*k, v.as_str())))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn number(&self, id: &steward_core::ids::TicketId) -> String {
        self.numbers.get(&id.get()).cloned().unwrap_or_else(|| format!("#{id}"))
    }
}

/// The console's address: a status tab (and the page's language).
#[derive(serde::Deserialize)]
pub struct ConsoleQuery {
    status: Option<String>,
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
    let filter = AlertQuery::of_status(q.status.filter(|s| !s.is_empty())).filter()?;
    let alerts = state.app.alerts().list(&actor, &filter).await?;
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
    Ok(render(&ConsolePage { page, alerts, status, numbers, now: state.app.now() }))
}

#[derive(Template)]
#[template(path = "silences.html")]
struct SilencesPage<'a> {
    page: Page<'a>,
    silences: Vec<steward_store::SilenceRecord>,
    /// The new silence's matchers, one per line (prefilled from an alert).
    matchers: String,
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
    let page = Page::new(&state, &actor, &headers, &uri, "silences.title");
    Ok(render(&SilencesPage { page, silences, matchers }))
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
