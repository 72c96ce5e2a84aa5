//! The CMDB API's answers, as typed structs: what they serialize to is the API, and the
//! OpenAPI document's schemas are derived from them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use steward_app::cmdb::{CiImpact, CiView};
use steward_core::cmdb::ClassDef;
use steward_core::ids::{CiId, RelationId, TeamId, TicketId};
use steward_store::CiRecord;
use utoipa::ToSchema;

use crate::api::time;

/// A configuration item.
#[derive(Serialize, ToSchema)]
#[schema(as = Ci)]
pub struct CiJson {
    id: CiId,
    class: String,
    name: String,
    external_id: Option<String>,
    /// `planned`, `active`, `maintenance` or `retired`.
    status: &'static str,
    owner_team_id: Option<TeamId>,
    /// 1 (most critical) to 5.
    criticality: i64,
    /// The class's attributes, each in its canonical text form.
    attributes: BTreeMap<String, String>,
    created_at: String,
    updated_at: String,
    version: i64,
}

impl From<&CiRecord> for CiJson {
    fn from(c: &CiRecord) -> CiJson {
        CiJson {
            id: c.id,
            class: c.class.clone(),
            name: c.name.clone(),
            external_id: c.external_id.clone(),
            status: c.status.as_str(),
            owner_team_id: c.owner_team_id,
            criticality: c.criticality,
            attributes: c.attrs.clone(),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            version: c.version,
        }
    }
}

/// A page of CIs; `next_after` continues it.
#[derive(Serialize, ToSchema)]
pub struct CiPage {
    pub items: Vec<CiJson>,
    pub next_after: Option<CiId>,
}

/// A CI class with its typed attributes.
#[derive(Serialize, ToSchema)]
#[schema(as = CiClass)]
pub struct ClassJson {
    name: String,
    attributes: Vec<AttrJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CiAttribute)]
pub struct AttrJson {
    name: String,
    /// `text`, `integer`, `number`, `boolean`, `date`, `ip`, `enum(a|b)`, `ref(class)`.
    #[serde(rename = "type")]
    ty: String,
    required: bool,
    unique: bool,
}

impl From<&ClassDef> for ClassJson {
    fn from(c: &ClassDef) -> ClassJson {
        ClassJson {
            name: c.name.clone(),
            attributes: c
                .attrs
                .iter()
                .map(|a| AttrJson {
                    name: a.name.clone(),
                    ty: a.ty.to_string(),
                    required: a.required,
                    unique: a.unique,
                })
                .collect(),
        }
    }
}

/// A new class's name.
#[derive(Serialize, ToSchema)]
pub struct ClassCreated {
    pub name: String,
}

/// A CI named where another refers to it.
#[derive(Serialize, ToSchema)]
pub struct CiRef {
    id: CiId,
    name: String,
    class: String,
}

impl From<&CiRecord> for CiRef {
    fn from(c: &CiRecord) -> CiRef {
        CiRef { id: c.id, name: c.name.clone(), class: c.class.clone() }
    }
}

/// A relationship seen from one of its CIs: `reads` says it from that side
/// (`runs_on` one way, `hosts` the other).
#[derive(Serialize, ToSchema)]
pub struct RelationView {
    id: RelationId,
    kind: &'static str,
    reads: &'static str,
    from: CiId,
    to: CiId,
    other: CiRef,
}

/// A ticket linked to a CI.
#[derive(Serialize, ToSchema)]
pub struct LinkedTicket {
    id: TicketId,
    number: String,
    title: String,
    priority: i64,
    /// Absent for the open incidents, which are all open.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
}

/// A CI with its relationships, open incidents and newest tickets.
#[derive(Serialize, ToSchema)]
#[schema(as = CiDetail)]
pub struct CiViewJson {
    #[serde(flatten)]
    ci: CiJson,
    relations: Vec<RelationView>,
    open_incidents: Vec<LinkedTicket>,
    tickets: Vec<LinkedTicket>,
    owner_team: Option<String>,
}

impl From<&CiView> for CiViewJson {
    fn from(v: &CiView) -> CiViewJson {
        CiViewJson {
            ci: CiJson::from(&v.ci),
            relations: v
                .relations
                .iter()
                .map(|(r, other)| {
                    let outgoing = r.edge.from == v.ci.id;
                    RelationView {
                        id: r.id,
                        kind: r.edge.kind.as_str(),
                        reads: if outgoing { r.edge.kind.as_str() } else { r.edge.kind.inverse_name() },
                        from: r.edge.from,
                        to: r.edge.to,
                        other: CiRef::from(other),
                    }
                })
                .collect(),
            open_incidents: v
                .incidents
                .iter()
                .map(|(id, number, title, p)| LinkedTicket {
                    id: *id,
                    number: number.clone(),
                    title: title.clone(),
                    priority: *p,
                    state: None,
                })
                .collect(),
            tickets: v
                .tickets
                .iter()
                .map(|(id, number, title, p, state)| LinkedTicket {
                    id: *id,
                    number: number.clone(),
                    title: title.clone(),
                    priority: *p,
                    state: Some(state.clone()),
                })
                .collect(),
            owner_team: v.owner_team.clone(),
        }
    }
}

/// One step of the path that explains a hit: from CI `from` along `kind`.
#[derive(Serialize, ToSchema)]
pub struct PathStep {
    from: CiId,
    kind: &'static str,
}

/// A CI the walk reached, how many steps away, and why.
#[derive(Serialize, ToSchema)]
#[schema(as = ImpactHit)]
pub struct ImpactHitJson {
    ci: CiRef,
    depth: u32,
    path: Vec<PathStep>,
}

/// An open incident on the start CI or a hit.
#[derive(Serialize, ToSchema)]
pub struct ImpactIncident {
    ci_id: CiId,
    id: TicketId,
    number: String,
    title: String,
    priority: i64,
}

/// A business service among the hits.
#[derive(Serialize, ToSchema)]
pub struct ServiceRef {
    id: CiId,
    name: String,
}

/// The blast radius of a CI: what its failure reaches (or what it relies on).
#[derive(Serialize, ToSchema)]
#[schema(as = Impact)]
pub struct ImpactJson {
    ci: CiRef,
    hits: Vec<ImpactHitJson>,
    business_services: Vec<ServiceRef>,
    open_incidents: Vec<ImpactIncident>,
    /// Changes on these CIs from a day ago to 90 days ahead, soonest first.
    upcoming_changes: Vec<ImpactChange>,
    /// The walk stopped at its limit of CIs.
    truncated: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ImpactChange {
    ci_id: CiId,
    change_id: TicketId,
    number: String,
    /// When it starts (or started).
    at: String,
}

impl From<&CiImpact> for ImpactJson {
    fn from(i: &CiImpact) -> ImpactJson {
        ImpactJson {
            ci: CiRef::from(&i.start),
            hits: i
                .hits
                .iter()
                .map(|h| ImpactHitJson {
                    ci: CiRef::from(&h.ci),
                    depth: h.hit.depth,
                    path: h
                        .hit
                        .path
                        .iter()
                        .map(|s| PathStep {
                            from: s.ci,
                            kind: if s.forward { s.kind.as_str() } else { s.kind.inverse_name() },
                        })
                        .collect(),
                })
                .collect(),
            business_services: i
                .services
                .iter()
                .map(|s| ServiceRef { id: s.id, name: s.name.clone() })
                .collect(),
            open_incidents: i
                .incidents
                .iter()
                .map(|(ci, id, number, title, p)| ImpactIncident {
                    ci_id: *ci,
                    id: *id,
                    number: number.clone(),
                    title: title.clone(),
                    priority: *p,
                })
                .collect(),
            upcoming_changes: i
                .changes
                .iter()
                .map(|(ci, t, n, at)| ImpactChange {
                    ci_id: *ci,
                    change_id: *t,
                    number: n.clone(),
                    at: time(*at),
                })
                .collect(),
            truncated: i.truncated,
        }
    }
}

/// A CI as it was at `at`, replayed from its history: its fields and relationships as
/// recorded then; `ci` is `null` before it existed.
#[derive(Serialize, ToSchema)]
pub struct CiAsOf {
    pub at: String,
    pub ci: Option<Value>,
}
