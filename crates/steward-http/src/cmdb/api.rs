//! `/api/v1/cis`, `/api/v1/ci-relations`, `/api/v1/ci-classes` and incidents' CI links.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use steward_app::cmdb::{CiImpact, CiInput, CiPatch, CiView};
use steward_core::cmdb::{ClassDef, RawValue};
use steward_core::ids::{CiId, RelationId, TeamId, TicketId};
use steward_store::{CiQuery, CiRecord, fields_json, relation_json};

use crate::AppState;
use crate::api::patch::{double_option, if_match};
use crate::api::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentActor};

pub fn ci_json(c: &CiRecord) -> Value {
    json!({
        "id": c.id, "class": c.class, "name": c.name, "external_id": c.external_id, "status": c.status.as_str(),
        "owner_team_id": c.owner_team_id, "criticality": c.criticality, "attributes": c.attrs,
        "created_at": time(c.created_at), "updated_at": time(c.updated_at), "version": c.version,
    })
}

fn class_json(c: &ClassDef) -> Value {
    let attrs: Vec<Value> = c
        .attrs
        .iter()
        .map(|a| json!({ "name": a.name, "type": a.ty.to_string(), "required": a.required, "unique": a.unique }))
        .collect();
    json!({ "name": c.name, "attributes": attrs })
}

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
) -> ApiResult<Json<Value>> {
    let classes = state.app.cmdb().classes(&actor).await?;
    Ok(Json(json!({ "items": classes.iter().map(class_json).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrBody {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    name: String,
    #[serde(default)]
    attributes: Vec<AttrBody>,
}

pub async fn create_class(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ClassBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let attrs: Vec<(String, String, bool, bool)> =
        b.attributes.into_iter().map(|a| (a.name, a.ty, a.required, a.unique)).collect();
    state.app.cmdb().create_class(&actor, &b.name, &attrs).await?;
    Ok((StatusCode::CREATED, Json(json!({ "name": b.name.trim() }))))
}

#[derive(Deserialize)]
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
) -> ApiResult<Json<Value>> {
    let query = CiQuery {
        class: q.class.filter(|c| !c.is_empty()),
        q: q.q.filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
        after: q.after,
        limit: q.limit.unwrap_or(50),
    };
    let items = state.app.cmdb().list(&actor, &query).await?;
    let next =
        (items.len() as i64 == query.limit.clamp(1, 500)).then(|| items.last().map(|c| c.id)).flatten();
    Ok(Json(json!({ "items": items.iter().map(ci_json).collect::<Vec<_>>(), "next_after": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCiBody {
    class: String,
    name: String,
    external_id: Option<String>,
    status: Option<String>,
    owner_team_id: Option<TeamId>,
    criticality: Option<i64>,
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<NewCiBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
    Ok((StatusCode::CREATED, Json(ci_json(&ci))))
}

pub fn view_json(v: &CiView) -> Value {
    let relations: Vec<Value> = v
        .relations
        .iter()
        .map(|(r, other)| {
            let outgoing = r.edge.from == v.ci.id;
            json!({
                "id": r.id, "kind": r.edge.kind.as_str(),
                "reads": if outgoing { r.edge.kind.as_str() } else { r.edge.kind.inverse_name() },
                "from": r.edge.from, "to": r.edge.to,
                "other": { "id": other.id, "name": other.name, "class": other.class },
            })
        })
        .collect();
    let incidents: Vec<Value> = v
        .incidents
        .iter()
        .map(|(id, number, title, p)| json!({ "id": id, "number": number, "title": title, "priority": p }))
        .collect();
    let tickets: Vec<Value> = v
        .tickets
        .iter()
        .map(|(id, number, title, p, state)| json!({ "id": id, "number": number, "title": title, "priority": p, "state": state }))
        .collect();
    let mut out = ci_json(&v.ci);
    out["relations"] = json!(relations);
    out["open_incidents"] = json!(incidents);
    out["tickets"] = json!(tickets);
    out["owner_team"] = json!(v.owner_team);
    out
}

pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(view_json(&state.app.cmdb().ci(&actor, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchCiBody {
    name: Option<String>,
    #[serde(default, with = "double_option")]
    external_id: Option<Option<String>>,
    status: Option<String>,
    #[serde(default, with = "double_option")]
    owner_team_id: Option<Option<TeamId>>,
    criticality: Option<i64>,
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
    version: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PatchCiBody>,
) -> ApiResult<Json<Value>> {
    let version = if_match(&headers)?.or(b.version);
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
    Ok(Json(ci_json(&state.app.cmdb().update_ci(&actor, id, version, patch).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactQuery {
    direction: Option<String>,
    depth: Option<u32>,
}

pub fn impact_json(i: &CiImpact) -> Value {
    let hits: Vec<Value> = i
        .hits
        .iter()
        .map(|h| {
            let path: Vec<Value> = h
                .hit
                .path
                .iter()
                .map(|s| json!({ "from": s.ci, "kind": if s.forward { s.kind.as_str() } else { s.kind.inverse_name() } }))
                .collect();
            json!({ "ci": { "id": h.ci.id, "name": h.ci.name, "class": h.ci.class }, "depth": h.hit.depth, "path": path })
        })
        .collect();
    let incidents: Vec<Value> = i
        .incidents
        .iter()
        .map(|(ci, id, number, title, p)| json!({ "ci_id": ci, "id": id, "number": number, "title": title, "priority": p }))
        .collect();
    json!({
        "ci": { "id": i.start.id, "name": i.start.name, "class": i.start.class },
        "hits": hits,
        "business_services": i.services.iter().map(|s| json!({ "id": s.id, "name": s.name })).collect::<Vec<_>>(),
        "open_incidents": incidents,
        "truncated": i.truncated,
    })
}

pub async fn impact(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<Json<Value>> {
    let direction = q.direction.unwrap_or_else(|| "downstream".into());
    let result = state.app.cmdb().impact(&actor, id, &direction, q.depth.unwrap_or(6)).await?;
    Ok(Json(impact_json(&result)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    at: String,
}

/// `GET /api/v1/cis/{id}/history?at=2026-11-01T00:00:00Z`: the CI as it was then.
pub async fn as_of(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<Value>> {
    let at: jiff::Timestamp = q.at.parse().map_err(|_| {
        ApiError::invalid("at", format!("`{}` is not an instant (RFC 3339, e.g. 2026-11-01T00:00:00Z)", q.at))
    })?;
    let state_then = state.app.cmdb().as_of(&actor, id, at).await?.map(|then| {
        let mut ci = fields_json(&then.fields);
        ci["relations"] = then.relations.iter().map(relation_json).collect();
        ci
    });
    Ok(Json(json!({ "at": time(at), "ci": state_then })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationBody {
    from: CiId,
    to: CiId,
    kind: String,
}

pub async fn relate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<RelationBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = state.app.cmdb().relate(&actor, b.from, b.to, &b.kind).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
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

pub async fn incident_cis(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> ApiResult<Json<Value>> {
    let cis = state.app.cmdb().incident_cis(&actor, id).await?;
    Ok(Json(json!({ "items": cis.iter().map(ci_json).collect::<Vec<_>>() })))
}
