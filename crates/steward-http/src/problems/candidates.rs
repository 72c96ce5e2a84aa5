//! Problem candidates: the API and the page.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::{Deserialize, Serialize};
use steward_app::AppError;
use steward_core::ids::TicketId;
use steward_core::problems::{Candidate, TrendPolicy};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, CurrentActor};
use crate::web::{Page, WebResult, render};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CandidateQuery {
    /// Incidents that make a trend (default 3)
    #[param(minimum = 2, maximum = 100)]
    min: Option<i64>,
    /// Within this many days up to now (default 30)
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
    #[serde(rename = "lang")]
    #[param(ignore)]
    _lang: Option<String>,
}

impl CandidateQuery {
    fn policy(&self) -> Result<TrendPolicy, AppError> {
        let min = self.min.unwrap_or(3);
        let days = self.days.unwrap_or(30);
        if !(2..=100).contains(&min) {
            return Err(AppError::invalid("min", "2 to 100 incidents"));
        }
        if !(1..=365).contains(&days) {
            return Err(AppError::invalid("days", "1 to 365 days"));
        }
        Ok(TrendPolicy { min: min as usize, window: jiff::SignedDuration::from_hours(24 * days) })
    }
}

/// One incident of a candidate.
#[derive(Serialize, ToSchema)]
#[schema(as = CandidateIncident)]
pub struct IncidentRef {
    id: TicketId,
    number: String,
    title: String,
    state: String,
}

/// Incidents recurring on one thing.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemCandidate)]
pub struct CandidateJson {
    /// `ci`, `service` or `category`
    kind: &'static str,
    /// The CI's or category's id; none for a service.
    key_id: Option<i64>,
    name: String,
    count: usize,
    first: String,
    last: String,
    /// Newest first.
    incidents: Vec<IncidentRef>,
}

async fn refs(state: &AppState, found: &[Candidate]) -> Result<HashMap<TicketId, IncidentRef>, AppError> {
    let mut out = HashMap::new();
    for id in found.iter().flat_map(|c| c.tickets.iter()) {
        if out.contains_key(id) {
            continue;
        }
        if let Some(t) = state.app.store().ticket(*id).await? {
            out.insert(
                *id,
                IncidentRef { id: *id, number: t.number, title: t.title, state: t.state.as_str().to_owned() },
            );
        }
    }
    Ok(out)
}

fn key_id(c: &Candidate) -> Option<i64> {
    match &c.key {
        steward_core::problems::RecurrenceKey::Ci { id, .. }
        | steward_core::problems::RecurrenceKey::Category { id, .. } => Some(*id),
        steward_core::problems::RecurrenceKey::Service(_) => None,
    }
}

pub async fn api(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<CandidateQuery>,
) -> ApiResult<Json<Items<CandidateJson>>> {
    let found = state.app.problems().candidates(&actor, q.policy()?).await?;
    let mut refs = refs(&state, &found).await?;
    let items = found
        .iter()
        .map(|c| CandidateJson {
            kind: c.key.kind(),
            key_id: key_id(c),
            name: c.key.name().to_owned(),
            count: c.tickets.len(),
            first: time(c.first),
            last: time(c.last),
            incidents: c.tickets.iter().filter_map(|t| refs.remove(t)).collect(),
        })
        .collect();
    Ok(Json(Items { items }))
}

#[derive(Template)]
#[template(path = "problem_candidates.html")]
struct CandidatesPage<'a> {
    page: Page<'a>,
    found: Vec<Candidate>,
    refs: HashMap<TicketId, IncidentRef>,
    min: i64,
    days: i64,
}

impl CandidatesPage<'_> {
    fn incidents(&self, c: &Candidate) -> Vec<&IncidentRef> {
        c.tickets.iter().filter_map(|t| self.refs.get(t)).collect()
    }

    fn link(&self, c: &Candidate) -> Option<String> {
        match &c.key {
            steward_core::problems::RecurrenceKey::Ci { id, .. } => Some(format!("/cmdb/{id}")),
            _ => None,
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<CandidateQuery>,
) -> WebResult {
    let policy = q.policy()?;
    let found = state.app.problems().candidates(&actor, policy).await?;
    let refs = refs(&state, &found).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "problems.candidates");
    Ok(render(&CandidatesPage { page, found, refs, min: q.min.unwrap_or(3), days: q.days.unwrap_or(30) }))
}
