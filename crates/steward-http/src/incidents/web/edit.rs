//! Editing an incident's details after it was raised (issue 17, "writing"): title,
//! description (Markdown, with a preview), category, affected service and tags. A refused
//! save comes back with what was typed (the `form_errors` convention).

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::IncidentPatch;
use steward_core::ids::{CategoryId, TicketId};
use steward_core::tickets::Ticket;

use super::detail::{Typed, after_incident_form};
use super::opt_id;
use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, WebForm, WebResult};

#[derive(Deserialize, Default, Clone)]
pub struct DetailsForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub tags: String,
    pub version: Option<i64>,
}

impl DetailsForm {
    /// The form as the incident is.
    pub fn of(t: &Ticket) -> DetailsForm {
        DetailsForm {
            title: t.title.clone(),
            description: t.description.clone(),
            category_id: t.category_id.map(|c| c.to_string()).unwrap_or_default(),
            service: t.service.clone().unwrap_or_default(),
            tags: t.tags.to_string(),
            version: Some(t.version),
        }
    }

    /// Whether `id` is the chosen category (for the select).
    pub fn has_category(&self, id: &CategoryId) -> bool {
        self.category_id.trim() == id.to_string()
    }
}

pub async fn save_details(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<DetailsForm>,
) -> WebResult {
    let result = async {
        let current = state.app.incidents().get(&actor, id).await?.ticket;
        let category: Option<CategoryId> = opt_id("category_id", &f.category_id)?;
        let patch = IncidentPatch {
            title: Some(f.title.clone()),
            description: Some(f.description.clone()),
            category_id: Some(category),
            // A new category leaves the old one's subcategory behind.
            subcategory_id: (category != current.category_id).then_some(None),
            service: Some(Some(f.service.clone())),
            tags: Some(f.tags.split_whitespace().map(str::to_owned).collect()),
            ..IncidentPatch::default()
        };
        state.app.incidents().update(&actor, id, f.version, patch).await
    }
    .await;
    let typed = || Typed { details: Some(f), ..Typed::default() };
    after_incident_form(&state, &actor, &headers, &uri, id, result, typed, Notice::Saved).await
}
