//! Editing an incident's details after it was raised (issue 17, "writing"): title,
//! description (Markdown, with a preview), category, affected service and tags. A refused
//! save comes back with what was typed (the `form_errors` convention).

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::{AppError, IncidentPatch};
use steward_core::ids::{CategoryId, CiId, TicketId};
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
            category_id: t.subcategory_id.or(t.category_id).map(|c| c.to_string()).unwrap_or_default(),
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
        let categories = state.app.incidents().categories(&actor).await?;
        let (category, subcategory) = super::chosen_category(&categories, &f.category_id)?;
        let patch = IncidentPatch {
            title: Some(f.title.clone()),
            description: Some(f.description.clone()),
            category_id: Some(category),
            subcategory_id: Some(subcategory),
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

/// The affected-CI box: `add` from the picker (`#42 web01`), or `remove` one CI's id.
#[derive(Deserialize, Default)]
pub struct CisForm {
    #[serde(default)]
    add: String,
    #[serde(default)]
    remove: String,
}

pub async fn save_cis(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<CisForm>,
) -> WebResult {
    let cmdb = state.app.cmdb();
    let result = async {
        if let Some(ci) = opt_id::<CiId>("remove", &f.remove)? {
            return cmdb.unlink_incident(&actor, id, ci).await;
        }
        match crate::cmdb::web::picked_ci("ci", &f.add)? {
            Some(ci) => cmdb.link_incident(&actor, id, ci).await,
            None => Err(AppError::invalid("ci", "pick a configuration item from the list")),
        }
    }
    .await;
    after_incident_form(&state, &actor, &headers, &uri, id, result, Typed::default, Notice::Saved).await
}
