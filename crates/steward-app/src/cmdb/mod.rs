//! The CMDB use cases: classes, configuration items with typed attributes, relationships, links
//! from incidents, and impact analysis. Every change is an event on the CI (`entity = "ci"`),
//! which is its history.

use std::collections::BTreeMap;

use steward_core::cmdb::{
    AttrDef, AttrType, AttrValue, CiClassEvent, CiEvent, CiField, CiStatus, ClassDef, Edge, RawValue,
    RelationDetail, RelationType, builtin_classes, parse_class_name,
};
use steward_core::events::{DomainEvent, FieldValue, Fields};
use steward_core::identity::Permission;
use steward_core::ids::{CiId, RelationId, TeamId, TicketId};
use steward_core::tickets::IncidentEvent;
use steward_store::{CiQuery, CiRecord, RelationRecord};

mod export;
mod impact;
mod import;

pub use impact::{CiAsOf, CiImpact, ImpactHit};
pub use import::{CiRow, ImportFile, ImportReport, RelationRow, RowError, parse_any, parse_csv, parse_json};

use crate::events::{TicketChange, record};
use crate::{Actor, AppError, Result};

pub const ENTITY: &str = "ci";

/// A new CI as typed (or read from an import row).
#[derive(Debug, Clone, Default)]
pub struct CiInput {
    pub class: String,
    pub name: String,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub owner_team_id: Option<TeamId>,
    pub criticality: Option<i64>,
    pub attrs: BTreeMap<String, RawValue>,
}

/// Changes to a CI; `None` leaves a field as it is. An attribute set to `None` is removed.
#[derive(Debug, Clone, Default)]
pub struct CiPatch {
    pub name: Option<String>,
    pub external_id: Option<Option<String>>,
    pub status: Option<String>,
    pub owner_team_id: Option<Option<TeamId>>,
    pub criticality: Option<i64>,
    pub attrs: BTreeMap<String, Option<RawValue>>,
}

/// A CI with its neighbours and the open incidents on it.
#[derive(Debug, Clone)]
pub struct CiView {
    pub ci: CiRecord,
    /// Each relationship with the CI at its other end.
    pub relations: Vec<(RelationRecord, CiRecord)>,
    /// Open incidents linked to the CI: (ticket id, number, title, priority).
    pub incidents: Vec<(TicketId, String, String, i64)>,
    /// The newest 50 tickets of any state linked to the CI: (id, number, title, priority, state).
    pub tickets: Vec<(TicketId, String, String, i64, String)>,
    pub owner_team: Option<String>,
}

/// The JSON snapshot of a CI that events hold.
pub fn snapshot(ci: &CiRecord) -> Fields<CiField> {
    use FieldValue::{Int, Text};
    Fields(vec![
        (CiField::Class, Text(ci.class.clone())),
        (CiField::Name, Text(ci.name.clone())),
        (CiField::ExternalId, FieldValue::opt_text(ci.external_id.as_deref())),
        (CiField::Status, Text(ci.status.as_str().to_owned())),
        (CiField::OwnerTeamId, FieldValue::opt_int(ci.owner_team_id)),
        (CiField::Criticality, Int(ci.criticality)),
        (CiField::Attrs, FieldValue::Map(ci.attrs.clone())),
    ])
}

fn parse_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "a CI name is 1 to 200 characters on one line"));
    }
    Ok(name.to_owned())
}

fn parse_external_id(id: Option<&str>) -> Result<Option<String>> {
    let id = id.unwrap_or_default().trim();
    check_external_id(id)?;
    Ok((!id.is_empty()).then(|| id.to_owned()))
}

/// The rule for an external id (trimmed): at most 200 characters, on one line.
fn check_external_id(id: &str) -> Result<()> {
    if id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(AppError::invalid("external_id", "an external id is at most 200 characters on one line"));
    }
    Ok(())
}

fn parse_criticality(c: i64) -> Result<i64> {
    if (1..=5).contains(&c) {
        Ok(c)
    } else {
        Err(AppError::invalid("criticality", "criticality is 1 (highest) to 5"))
    }
}

impl crate::Cmdb<'_> {
    /// The built-in classes and those admins added.
    pub async fn classes(self, actor: &Actor) -> Result<Vec<ClassDef>> {
        actor.require(Permission::ReadCmdb)?;
        self.all_classes().await
    }

    async fn all_classes(self) -> Result<Vec<ClassDef>> {
        let mut classes = builtin_classes();
        classes.extend(self.store.custom_ci_classes().await?);
        Ok(classes)
    }

    async fn class(self, name: &str) -> Result<ClassDef> {
        let classes = self.all_classes().await?;
        let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
        let message = format!("unknown class `{name}`: expected one of {}", names.join(", "));
        classes
            .iter()
            .find(|c| c.name == name.trim())
            .cloned()
            .ok_or_else(|| AppError::invalid("class", message))
    }

    /// Adds a class (admins). `attrs`: (name, type, required, unique).
    pub async fn create_class(
        self,
        actor: &Actor,
        name: &str,
        attrs: &[(String, String, bool, bool)],
    ) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let name = parse_class_name(name).map_err(|e| AppError::invalid("name", e))?;
        if builtin_classes().iter().any(|c| c.name == name) {
            return Err(AppError::Conflict {
                field: Some("name"),
                message: format!("`{name}` is a built-in class"),
            });
        }
        let mut defs = Vec::new();
        for (attr, ty, required, unique) in attrs {
            let attr_name = parse_class_name(attr).map_err(|e| AppError::invalid("attrs", e))?;
            let ty = AttrType::parse(ty).map_err(|e| AppError::invalid("attrs", e))?;
            if defs.iter().any(|d: &AttrDef| d.name == attr_name) {
                return Err(AppError::invalid("attrs", format!("attribute `{attr_name}` is listed twice")));
            }
            defs.push(AttrDef { name: attr_name, ty, required: *required, unique: *unique });
        }
        let class = ClassDef { name: name.clone(), attrs: defs };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_ci_class(at, &class).await?;
        let event = CiClassEvent::Created { attrs: class.attrs.iter().map(|a| a.name.clone()).collect() };
        record(&mut tx, at, Some(actor), DomainEvent::CiClass { name, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a CI against its class, the references it holds and the unique values it claims.
    async fn check_ci(self, ci: &CiRecord, class: &ClassDef) -> Result<()> {
        let values: BTreeMap<String, AttrValue> =
            ci.attrs.iter().map(|(k, v)| (k.clone(), AttrValue(v.clone()))).collect();
        for (attr, class_name, id) in class.references(&values) {
            match self.store.ci(id).await? {
                Some(target) if class_name.is_empty() || target.class == class_name => {}
                Some(target) => {
                    return Err(AppError::invalid(
                        "attributes",
                        format!("{attr}: CI {id} is a {}, not a {class_name}", target.class),
                    ));
                }
                None => return Err(AppError::invalid("attributes", format!("{attr}: there is no CI {id}"))),
            }
        }
        for def in class.attrs.iter().filter(|a| a.unique) {
            if let Some(value) = ci.attrs.get(&def.name)
                && let Some(other) = self.store.ci_with_unique_value(&class.name, &def.name, value).await?
                && other != ci.id
            {
                return Err(AppError::Conflict {
                    field: Some("attributes"),
                    message: format!("{}: `{value}` already belongs to CI {other}", def.name),
                });
            }
        }
        if let Some(team) = ci.owner_team_id
            && !self.directory().team_exists(team).await?
        {
            return Err(AppError::invalid("owner_team_id", format!("no team {team}")));
        }
        Ok(())
    }

    /// Builds the record a create would store, fully validated; for imports' dry runs too.
    pub async fn prepare_ci(self, input: &CiInput) -> Result<CiRecord> {
        let class = self.class(&input.class).await?;
        let attrs = class.validate(&input.attrs).map_err(|e| AppError::invalid("attributes", e))?;
        let at = self.now();
        let ci = CiRecord {
            id: CiId(0),
            class: class.name.clone(),
            name: parse_name(&input.name)?,
            external_id: parse_external_id(input.external_id.as_deref())?,
            status: CiStatus::parse(input.status.as_deref().unwrap_or("in_service"))
                .map_err(|e| AppError::invalid("status", e))?,
            owner_team_id: input.owner_team_id,
            criticality: parse_criticality(input.criticality.unwrap_or(3))?,
            attrs: attrs.into_iter().map(|(k, v)| (k, v.0)).collect(),
            created_at: at,
            updated_at: at,
            version: 1,
        };
        self.check_ci(&ci, &class).await?;
        Ok(ci)
    }

    pub async fn create_ci(self, actor: &Actor, input: CiInput) -> Result<CiRecord> {
        actor.require(Permission::WriteCmdb)?;
        let ci = self.cmdb().prepare_ci(&input).await?;
        let class = self.class(&ci.class).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let saved = tx.save_ci(at, &ci).await?;
        tx.set_unique_values(saved.id, &class.name, &unique_values(&class, &saved)).await?;
        record(
            &mut tx,
            at,
            Some(actor),
            DomainEvent::Ci { id: saved.id, event: CiEvent::Created(snapshot(&saved)) },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn update_ci(
        self,
        actor: &Actor,
        id: CiId,
        expected_version: Option<i64>,
        patch: CiPatch,
    ) -> Result<CiRecord> {
        actor.require(Permission::WriteCmdb)?;
        let current = self.store.ci(id).await?.ok_or(AppError::NotFound("CI"))?;
        if let Some(v) = expected_version
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        let class = self.class(&current.class).await?;
        let mut raw: BTreeMap<String, RawValue> =
            current.attrs.iter().map(|(k, v)| (k.clone(), RawValue::Text(v.clone()))).collect();
        for (k, v) in &patch.attrs {
            match v {
                Some(v) => raw.insert(k.clone(), v.clone()),
                None => raw.remove(k),
            };
        }
        let attrs = class.validate(&raw).map_err(|e| AppError::invalid("attributes", e))?;
        let mut next = current.clone();
        next.attrs = attrs.into_iter().map(|(k, v)| (k, v.0)).collect();
        if let Some(n) = &patch.name {
            next.name = parse_name(n)?;
        }
        if let Some(e) = &patch.external_id {
            next.external_id = parse_external_id(e.as_deref())?;
        }
        if let Some(s) = &patch.status {
            next.status = CiStatus::parse(s).map_err(|e| AppError::invalid("status", e))?;
        }
        if let Some(t) = patch.owner_team_id {
            next.owner_team_id = t;
        }
        if let Some(c) = patch.criticality {
            next.criticality = parse_criticality(c)?;
        }
        self.check_ci(&next, &class).await?;
        let Some(changes) = Fields::changes_from(&snapshot(&current), &snapshot(&next)) else {
            return Ok(current);
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let saved = tx.save_ci(at, &next).await?;
        tx.set_unique_values(saved.id, &class.name, &unique_values(&class, &saved)).await?;
        record(&mut tx, at, Some(actor), DomainEvent::Ci { id, event: CiEvent::Updated(changes) }).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn list(self, actor: &Actor, query: &CiQuery) -> Result<Vec<CiRecord>> {
        actor.require(Permission::ReadCmdb)?;
        Ok(self.store.list_cis(query).await?)
    }

    pub async fn ci(self, actor: &Actor, id: CiId) -> Result<CiView> {
        actor.require(Permission::ReadCmdb)?;
        let ci = self.store.ci(id).await?.ok_or(AppError::NotFound("CI"))?;
        let relations = self.store.ci_relations(id).await?;
        let others: Vec<CiId> =
            relations.iter().map(|r| if r.edge.from == id { r.edge.to } else { r.edge.from }).collect();
        let cis: BTreeMap<CiId, CiRecord> =
            self.store.cis_by_ids(&others).await?.into_iter().map(|c| (c.id, c)).collect();
        let relations = relations
            .into_iter()
            .zip(others)
            .filter_map(|(r, other)| cis.get(&other).map(|c| (r, c.clone())))
            .collect();
        let incidents = self
            .store
            .open_incidents_on(&[id])
            .await?
            .into_iter()
            .map(|(_, t, n, title, p)| (t, n, title, p))
            .collect();
        let tickets = self.store.tickets_on_ci(id, 50).await?;
        let owner_team = match ci.owner_team_id {
            Some(t) => self.store.team(t).await?.map(|x| x.name.to_string()),
            None => None,
        };
        Ok(CiView { ci, relations, incidents, tickets, owner_team })
    }

    /// Relates two CIs; the type must allow their classes.
    pub async fn relate(self, actor: &Actor, from: CiId, to: CiId, kind: &str) -> Result<RelationId> {
        actor.require(Permission::WriteCmdb)?;
        let kind = RelationType::parse(kind).map_err(|e| AppError::invalid("kind", e))?;
        if from == to {
            return Err(AppError::invalid("to", "a CI cannot be related to itself"));
        }
        let a = self
            .store
            .ci(from)
            .await?
            .ok_or_else(|| AppError::invalid("from", format!("there is no CI {from}")))?;
        let b = self
            .store
            .ci(to)
            .await?
            .ok_or_else(|| AppError::invalid("to", format!("there is no CI {to}")))?;
        kind.check(&a.class, &b.class).map_err(|e| AppError::invalid("kind", e))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_ci_relation(at, Edge { from, to, kind }).await?;
        let detail = RelationDetail { relation_id: Some(id), kind, from, to };
        for ci in [from, to] {
            record(
                &mut tx,
                at,
                Some(actor),
                DomainEvent::Ci { id: ci, event: CiEvent::Related(detail.clone()) },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn unrelate(self, actor: &Actor, relation_id: RelationId) -> Result<()> {
        actor.require(Permission::WriteCmdb)?;
        let r = self.store.ci_relation(relation_id).await?.ok_or(AppError::NotFound("relationship"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_ci_relation(relation_id).await? {
            return Err(AppError::NotFound("relationship"));
        }
        let detail = RelationDetail {
            relation_id: Some(relation_id),
            kind: r.edge.kind,
            from: r.edge.from,
            to: r.edge.to,
        };
        for ci in [r.edge.from, r.edge.to] {
            let event = CiEvent::Unrelated(detail.clone());
            record(&mut tx, at, Some(actor), DomainEvent::Ci { id: ci, event }).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Links an incident to a CI it affects.
    pub async fn link_incident(self, actor: &Actor, incident: TicketId, ci: CiId) -> Result<()> {
        let ticket = self.incidents().get(actor, incident).await?.ticket;
        actor.require(Permission::WorkTickets)?;
        let ci = self
            .store
            .ci(ci)
            .await?
            // The id is the path's: naming nothing is 404, not bad input.
            .ok_or(AppError::NotFound("CI"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if tx.link_ticket_ci(ticket.id, ci.id).await? {
            let event = IncidentEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() };
            self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Tells that an incident no longer affects a CI (a wrong pick, or a cause ruled out).
    pub async fn unlink_incident(self, actor: &Actor, incident: TicketId, ci: CiId) -> Result<()> {
        let ticket = self.incidents().get(actor, incident).await?.ticket;
        actor.require(Permission::WorkTickets)?;
        let ci = self.store.ci(ci).await?.ok_or(AppError::NotFound("CI"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.unlink_ticket_ci(ticket.id, ci.id).await? {
            // The path names a link that does not exist.
            return Err(AppError::NotFound("CI link"));
        }
        let event = IncidentEvent::CiUnlinked { ci_id: ci.id, ci: ci.name.clone() };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The CIs an incident is linked to.
    pub async fn incident_cis(self, actor: &Actor, incident: TicketId) -> Result<Vec<CiRecord>> {
        let ticket = self.incidents().get(actor, incident).await?.ticket;
        let ids = self.store.ticket_ci_ids(ticket.id).await?;
        Ok(self.store.cis_by_ids(&ids).await?)
    }
}

fn unique_values<'a>(class: &'a ClassDef, ci: &'a CiRecord) -> Vec<(&'a str, &'a str)> {
    class
        .attrs
        .iter()
        .filter(|a| a.unique)
        .filter_map(|a| ci.attrs.get(&a.name).map(|v| (a.name.as_str(), v.as_str())))
        .collect()
}
