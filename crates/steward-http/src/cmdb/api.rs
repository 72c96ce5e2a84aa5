//! `/api/v1/cis`, `/api/v1/ci-relations`, `/api/v1/ci-classes` and incidents' CI links.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use steward_app::cmdb::{CiInput, CiPatch};
use steward_core::cmdb::RawValue;
use steward_core::ids::{CiId, RelationId, TeamId, TicketId};
use steward_store::{CiQuery, fields_json, relation_json};
use utoipa::{IntoParams, ToSchema};

use super::json::{CiAsOf, CiJson, CiPage, CiViewJson, ClassCreated, ClassJson, ImpactJson};
use crate::AppState;
use crate::api::patch::{double_option, expected};
use crate::api::{Created, Items, time};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

/// JSON attribute values: strings, numbers and booleans (`null` only in a patch, to remove).
fn raw(field: &str, v: &Value) -> Result<RawValue, ApiError> {
    match v {
        Value::String(s) => Ok(RawValue::Text(s.clone())),
        Value::Number(n) => {
            n.as_f64().map(RawValue::Number).ok_or_else(|| ApiError::invalid("attributes", "bad number"))
        }
        Value::Bool(b) => Ok(RawValue::Bool(*b)),
        _ => Err(ApiError::invalid("attributes", format!("{field}: give a string, number or boolean"))),
    }
}

pub async fn classes(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<ClassJson>>> {
    let classes = state.app.cmdb().classes(&actor).await?;
    Ok(Json(Items::of(&classes, ClassJson::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCiAttribute)]
pub struct AttrBody {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCiClass)]
pub struct ClassBody {
    #[schema(pattern = "^[a-z][a-z0-9_]{1,39}$")]
    name: String,
    #[serde(default)]
    attributes: Vec<AttrBody>,
}

pub async fn create_class(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ClassBody>,
) -> ApiResult<(StatusCode, Json<ClassCreated>)> {
    let attrs: Vec<(String, String, bool, bool)> =
        b.attributes.into_iter().map(|a| (a.name, a.ty, a.required, a.unique)).collect();
    state.app.cmdb().create_class(&actor, &b.name, &attrs).await?;
    Ok((StatusCode::CREATED, Json(ClassCreated { name: b.name.trim().to_owned() })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    class: Option<String>,
    q: Option<String>,
    after: Option<CiId>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CiPage>> {
    let query = CiQuery {
        class: q.class.filter(|c| !c.is_empty()),
        q: q.q.filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
        after: q.after,
        limit: q.limit.unwrap_or(50),
    };
    let items = state.app.cmdb().list(&actor, &query).await?;
    let next =
        (items.len() as i64 == query.limit.clamp(1, 500)).then(|| items.last().map(|c| c.id)).flatten();
    Ok(Json(CiPage { items: items.iter().map(CiJson::from).collect(), next_after: next }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCi)]
pub struct NewCiBody {
    #[schema(pattern = "^[a-z][a-z0-9_]{1,39}$")]
    class: String,
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    name: String,
    #[schema(max_length = 200, pattern = "@one_line")]
    external_id: Option<String>,
    #[schema(schema_with = crate::api::schema::ci_status_or_null)]
    status: Option<String>,
    owner_team_id: Option<TeamId>,
    #[schema(minimum = 1, maximum = 5)]
    criticality: Option<i64>,
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<NewCiBody>,
) -> ApiResult<(StatusCode, Json<CiJson>)> {
    let mut attrs = BTreeMap::new();
    for (k, v) in &b.attributes {
        attrs.insert(k.clone(), raw(k, v)?);
    }
    let input = CiInput {
        class: b.class,
        name: b.name,
        external_id: b.external_id,
        status: b.status,
        owner_team_id: b.owner_team_id,
        criticality: b.criticality,
        attrs,
    };
    let ci = state.app.cmdb().create_ci(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(CiJson::from(&ci))))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
) -> ApiResult<Json<CiViewJson>> {
    Ok(Json(CiViewJson::from(&state.app.cmdb().ci(&actor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CiPatch)]
pub struct PatchCiBody {
    #[schema(min_length = 1, max_length = 200, pattern = "@line")]
    name: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(max_length = 200, pattern = "@one_line")]
    external_id: Option<Option<String>>,
    #[schema(schema_with = crate::api::schema::ci_status_or_null)]
    status: Option<String>,
    #[serde(default, with = "double_option")]
    owner_team_id: Option<Option<TeamId>>,
    #[schema(minimum = 1, maximum = 5)]
    criticality: Option<i64>,
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
    #[schema(minimum = 1)]
    version: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchCiBody>,
) -> ApiResult<Json<CiJson>> {
    let expected = expected(&headers, b.version)?;
    let mut attrs = BTreeMap::new();
    for (k, v) in &b.attributes {
        attrs.insert(k.clone(), if v.is_null() { None } else { Some(raw(k, v)?) });
    }
    let patch = CiPatch {
        name: b.name,
        external_id: b.external_id,
        status: b.status,
        owner_team_id: b.owner_team_id,
        criticality: b.criticality,
        attrs,
    };
    Ok(Json(CiJson::from(
        &state
            .app
            .cmdb()
            .update_ci(&actor, id, expected.version, patch)
            .await
            .map_err(|e| expected.refusal(e))?,
    )))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImpactQuery {
    #[param(pattern = "@direction")]
    direction: Option<String>,
    #[param(minimum = 1, maximum = 10)]
    depth: Option<u32>,
}

pub async fn impact(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<Json<ImpactJson>> {
    let direction = q.direction.unwrap_or_else(|| "downstream".into());
    let result = state.app.cmdb().impact(&actor, id, &direction, q.depth.unwrap_or(6)).await?;
    Ok(Json(ImpactJson::from(&result)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// An RFC 3339 instant
    #[param(format = DateTime)]
    at: String,
}

/// `GET /api/v1/cis/{id}/history?at=2026-11-01T00:00:00Z`: the CI as it was then.
pub async fn as_of(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<CiAsOf>> {
    let at: jiff::Timestamp = q.at.parse().map_err(|_| {
        ApiError::invalid("at", format!("`{}` is not an instant (RFC 3339, e.g. 2026-11-01T00:00:00Z)", q.at))
    })?;
    let state_then = state.app.cmdb().as_of(&actor, id, at).await?.map(|then| {
        let mut ci = fields_json(&then.fields);
        ci["relations"] = then.relations.iter().map(relation_json).collect();
        ci
    });
    Ok(Json(CiAsOf { at: time(at), ci: state_then }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewRelation)]
pub struct RelationBody {
    from: CiId,
    to: CiId,
    #[schema(schema_with = crate::api::schema::relation_type)]
    kind: String,
}

pub async fn relate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<RelationBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = state.app.cmdb().relate(&actor, b.from, b.to, &b.kind).await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.get() })))
}

pub async fn unrelate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<RelationId>,
) -> ApiResult<StatusCode> {
    state.app.cmdb().unrelate(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn link_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, ci)): ApiPath<(TicketId, CiId)>,
) -> ApiResult<StatusCode> {
    state.app.cmdb().link_incident(&actor, id, ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unlink_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, ci)): ApiPath<(TicketId, CiId)>,
) -> ApiResult<StatusCode> {
    state.app.cmdb().unlink_incident(&actor, id, ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn incident_cis(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Items<CiJson>>> {
    let cis = state.app.cmdb().incident_cis(&actor, id).await?;
    Ok(Json(Items::of(&cis, CiJson::from)))
}
