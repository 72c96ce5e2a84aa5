//! Auto-triage's API: `/api/v1/triage` (the newest training's report), `…/train` and
//! `…/suggest`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, CurrentActor};

#[derive(Serialize, ToSchema)]
pub struct TriageJson {
    /// `None` before the first training that learned anything.
    trained_at: Option<String>,
    examples: usize,
    held_out: usize,
    /// Held-out accuracy per field (0–1).
    accuracy: BTreeMap<String, f64>,
    /// Fields without a classifier, and why.
    untrained: Vec<String>,
}

impl From<steward_app::triage::TriageReport> for TriageJson {
    fn from(r: steward_app::triage::TriageReport) -> Self {
        TriageJson {
            trained_at: Some(r.trained_at),
            examples: r.examples,
            held_out: r.held_out,
            accuracy: r.accuracy,
            untrained: r.untrained,
        }
    }
}

pub async fn report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<TriageJson>> {
    Ok(Json(match state.app.triage().report(&actor).await? {
        Some((_, r)) => r.into(),
        None => TriageJson {
            trained_at: None,
            examples: 0,
            held_out: 0,
            accuracy: BTreeMap::new(),
            untrained: Vec::new(),
        },
    }))
}

pub async fn train(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<TriageJson>> {
    let r = state.app.triage().train(Some(&actor)).await?;
    let nothing_learned = r.accuracy.is_empty() && !r.untrained.is_empty();
    let mut json: TriageJson = r.into();
    if nothing_learned {
        // Nothing could be learned: no model was stored.
        json.trained_at = None;
    }
    Ok(Json(json))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    title: String,
    #[serde(default)]
    #[schema(max_length = 20000, pattern = "@text")]
    description: String,
}

#[derive(Serialize, ToSchema)]
pub struct TriageSuggestionJson {
    /// `category`, `service`, `team` or `priority`.
    field: &'static str,
    /// As stored: a category's or team's id, a service, a priority 1–4.
    value: String,
    label: String,
    /// 0–1.
    confidence: f32,
}

pub async fn suggest(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<SuggestBody>,
) -> ApiResult<Json<Items<TriageSuggestionJson>>> {
    if b.title.trim().is_empty() || b.title.chars().count() > 200 || b.title.chars().any(char::is_control) {
        return Err(crate::error::ApiError::invalid("title", "a title of 1–200 characters on one line"));
    }
    if b.description.chars().count() > 20000
        || b.description.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(crate::error::ApiError::invalid("description", "at most 20,000 characters"));
    }
    let found = state.app.triage().suggest(&actor, &b.title, &b.description).await?;
    Ok(Json(Items::of(found, |s| TriageSuggestionJson {
        field: s.field,
        value: s.value,
        label: s.label,
        confidence: s.confidence,
    })))
}
