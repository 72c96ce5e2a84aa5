//! Duplicate incidents (issue 22): the flags on an incident, dismissing one, and merging —
//! the API under `/api/v1/incidents/{id}/…` and the forms of the incident page's box.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use steward_app::incidents::Duplicate;
use steward_app::{Actor, AppError};
use steward_core::ids::{CiId, TicketId};
use utoipa::ToSchema;

use super::json::IncidentJson;
use super::web::{Typed, after_incident_form};
use crate::AppState;
use crate::api::{Items, time};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, duration_text, form_errors};

/// An open incident flagged as resembling this one, and why.
#[derive(Serialize, ToSchema)]
#[schema(as = DuplicateFlag)]
pub struct DuplicateJson {
    /// The other incident.
    id: TicketId,
    number: String,
    title: String,
    state: &'static str,
    /// Whether the other incident is the newer (then it is the one a merge resolves).
    newer: bool,
    /// 0–1: the text's similarity plus what else they share.
    score: f64,
    /// The text's similarity alone, 0–1.
    text_score: f64,
    shared_ci_id: Option<CiId>,
    shared_ci: Option<String>,
    same_service: bool,
    /// Seconds between their creation.
    apart_seconds: i64,
    found_at: String,
}

impl From<&Duplicate> for DuplicateJson {
    fn from(d: &Duplicate) -> DuplicateJson {
        let p = &d.flag.pair;
        DuplicateJson {
            id: d.other.id,
            number: d.other.number.clone(),
            title: d.other.title.clone(),
            state: d.other.state.as_str(),
            newer: d.other_is_newer,
            score: p.score as f64 / 1000.0,
            text_score: p.text_score as f64 / 1000.0,
            shared_ci_id: p.shared_ci,
            shared_ci: d.flag.shared_ci_name.clone(),
            same_service: p.same_service,
            apart_seconds: p.apart_ms / 1000,
            found_at: time(d.flag.found_at),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<DuplicateJson>>> {
    let found = state.app.incidents().duplicates(&actor, id).await?;
    Ok(Json(Items::of(&found, DuplicateJson::from)))
}

pub async fn dismiss(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, other)): ApiPath<(TicketId, TicketId)>,
) -> ApiResult<StatusCode> {
    state.app.incidents().dismiss_duplicate(&actor, id, other).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Merge)]
pub struct MergeBody {
    /// The incident that stays; this one is resolved as its duplicate.
    into: TicketId,
}

pub async fn merge(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(b): ApiJson<MergeBody>,
) -> ApiResult<Json<IncidentJson>> {
    let survivor = state.app.incidents().merge(&actor, id, b.into).await?;
    Ok(Json(IncidentJson::from(&survivor)))
}

/// One flag in the incident page's box.
pub(super) struct DuplicateRow {
    pub other: TicketId,
    pub number: String,
    pub title: String,
    pub state_key: &'static str,
    /// Why, in the reader's language.
    pub reasons: Vec<String>,
    /// The merge the button makes: (the newer, resolved; the older, kept; the button's text).
    pub merge: (TicketId, TicketId, String),
}

pub(super) fn rows(
    page: &Page,
    this: &steward_core::tickets::Ticket,
    found: &[Duplicate],
) -> Vec<DuplicateRow> {
    let t = page.t;
    found
        .iter()
        .map(|d| {
            let p = &d.flag.pair;
            let mut reasons = vec![format!("{} {} %", t.get("duplicates.text"), p.text_score / 10)];
            if let Some(ci) = &d.flag.shared_ci_name {
                reasons.push(format!("{}: {ci}", t.get("duplicates.same_ci")));
            }
            if p.same_service {
                reasons.push(t.get("duplicates.same_service").to_owned());
            }
            reasons.push(t.get("duplicates.apart").replace("{time}", &duration_text(t, p.apart_ms / 60_000)));
            let (newer, older) = if d.other_is_newer { (&d.other, this) } else { (this, &d.other) };
            let label = format!("{} {} → {}", t.get("duplicates.merge"), newer.number, older.number);
            DuplicateRow {
                other: d.other.id,
                number: d.other.number.clone(),
                title: d.other.title.clone(),
                state_key: super::web::state_key(d.other.state),
                reasons,
                merge: (newer.id, older.id, label),
            }
        })
        .collect()
}

/// The page's merge forms: `into` as typed — an incident's number (`INC000042`, or just `42`)
/// — or `into_id`, the id a flag's button carries.
#[derive(Deserialize, Default)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
    #[serde(default)]
    into_id: Option<i64>,
}

async fn survivor_id(state: &AppState, f: &MergeForm) -> Result<TicketId, AppError> {
    if let Some(id) = f.into_id {
        return Ok(TicketId(id));
    }
    let word = f.into.trim().trim_start_matches('#').to_uppercase();
    let number = match word.parse::<u32>() {
        // Digits are the number's digits (ids are not what people read).
        Ok(n) => {
            steward_core::tickets::ticket_number(steward_core::tickets::TicketKind::Incident, i64::from(n))
        }
        Err(_) => word,
    };
    if number.is_empty() {
        return Err(AppError::invalid("into", "name the incident to merge into (its number)"));
    }
    match state.app.store().ticket_by_number(&number).await? {
        Some(t) => Ok(t.id),
        None => Err(AppError::invalid("into", format!("no incident {number}"))),
    }
}

pub async fn merge_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<MergeForm>,
) -> WebResult {
    let result = merge_typed(&state, &actor, id, &f).await;
    match result {
        Ok(survivor) => after_form(Ok(()), &format!("/incidents/{}", survivor.id), Notice::Saved),
        Err(e) if form_errors::users_to_fix(&e) => {
            after_incident_form::<()>(
                &state,
                &actor,
                &headers,
                &uri,
                id,
                Err(e),
                Typed::default,
                Notice::Saved,
            )
            .await
        }
        Err(e) => after_form::<()>(Err(e), &format!("/incidents/{id}"), Notice::Saved),
    }
}

async fn merge_typed(
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    f: &MergeForm,
) -> Result<steward_core::tickets::Ticket, AppError> {
    let into = survivor_id(state, f).await?;
    state.app.incidents().merge(actor, id, into).await
}

pub async fn dismiss_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath((id, other)): ApiPath<(TicketId, TicketId)>,
) -> WebResult {
    let result = state.app.incidents().dismiss_duplicate(&actor, id, other).await;
    after_incident_form(&state, &actor, &headers, &uri, id, result, Typed::default, Notice::Saved).await
}
