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
}

impl ConsolePage<'_> {
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
    Ok(render(&ConsolePage { page, alerts, status, numbers }))
}
