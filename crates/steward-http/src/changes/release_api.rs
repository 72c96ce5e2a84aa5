//! `/api/v1/releases`: changes bundled under a version and a target date, with readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_app::changes::ReleaseView;
use steward_core::ids::TicketId;
use steward_store::ReleaseRecord;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentActor};

#[derive(Serialize, ToSchema)]
pub struct ReleaseJson {
    id: i64,
    name: String,
    version: String,
    /// `YYYY-MM-DD`.
    target_date: String,
    description: String,
    created_by: String,
    /// How many changes it bundles.
    changes: i64,
}

impl From<&ReleaseRecord> for ReleaseJson {
    fn from(r: &ReleaseRecord) -> Self {
        ReleaseJson {
            id: r.id,
            name: r.name.clone(),
            version: r.version.clone(),
            target_date: r.target.to_string(),
            description: r.description.clone(),
            created_by: r.created_by.clone(),
            changes: r.changes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseChangeJson {
    id: TicketId,
    number: String,
    title: String,
    state: &'static str,
    /// `done`, `ready`, `awaiting_approval`, `not_scheduled`, `failed` or `dropped`.
    readiness: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseDetailJson {
    #[serde(flatten)]
    release: ReleaseJson,
    items: Vec<ReleaseChangeJson>,
    /// Every change is done, ready (approved and scheduled) or dropped.
    ready: bool,
}

impl From<&ReleaseView> for ReleaseDetailJson {
    fn from(v: &ReleaseView) -> Self {
        ReleaseDetailJson {
            release: ReleaseJson::from(&v.release),
            items: v
                .changes
                .iter()
                .map(|(t, r)| ReleaseChangeJson {
                    id: t.id,
                    number: t.number.clone(),
                    title: t.title.clone(),
                    state: t.state.as_str(),
                    readiness: r.as_str(),
                })
                .collect(),
            ready: v.ready,
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ReleaseJson>>> {
    let found = state.app.changes().releases(&actor).await?;
    Ok(Json(Items::of(found.iter(), ReleaseJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    #[schema(min_length = 1, max_length = 80, pattern = "@line")]
    name: String,
    #[schema(min_length = 1, max_length = 40, pattern = "@line")]
    version: String,
    /// `YYYY-MM-DD`.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    target_date: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = "@text")]
    description: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ReleaseBody>,
) -> ApiResult<(StatusCode, Json<ReleaseJson>)> {
    let r = state
        .app
        .changes()
        .create_release(&actor, &b.name, &b.version, &b.target_date, &b.description)
        .await?;
    Ok((StatusCode::CREATED, Json(ReleaseJson::from(&r))))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ReleaseDetailJson>> {
    let v = state.app.changes().release(&actor, id).await?;
    Ok(Json(ReleaseDetailJson::from(&v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// The change's number (CHG…).
    #[schema(min_length = 1, max_length = 40, pattern = "@line")]
    number: String,
}

pub async fn add(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AddBody>,
) -> ApiResult<Json<ReleaseDetailJson>> {
    state.app.changes().add_to_release(&actor, id, &b.number).await?;
    let v = state.app.changes().release(&actor, id).await?;
    Ok(Json(ReleaseDetailJson::from(&v)))
}

pub async fn remove(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, change)): ApiPath<(i64, TicketId)>,
) -> ApiResult<StatusCode> {
    state.app.changes().remove_from_release(&actor, id, change).await?;
    Ok(StatusCode::NO_CONTENT)
}
