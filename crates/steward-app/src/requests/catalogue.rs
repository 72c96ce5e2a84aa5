//! The service catalogue: items (what can be ordered, by whom, how soon) and their published
//! versions (form and plan). Admins design it; everyone may browse what is open to them.

use steward_core::events::DomainEvent;
use steward_core::identity::{Permission, Role};
use steward_core::ids::TeamId;
use steward_core::requests::{Approver, CatalogueEvent, Form, Plan};
use steward_store::{ItemInput, ItemRecord};

use super::design::Design;
use crate::events::record;
use crate::{Actor, AppError, Result};

/// An item as typed into the designer or the API.
#[derive(Debug, Clone, Default)]
pub struct ItemSpec {
    pub name: String,
    pub name_zh: Option<String>,
    pub category: String,
    pub description: String,
    pub audience: Vec<String>,
    pub delivery_hours: i64,
    pub team_id: Option<TeamId>,
    pub active: bool,
}

/// An item with its current version (none before the first is published).
#[derive(Debug, Clone)]
pub struct CatalogueItem {
    pub record: ItemRecord,
    pub design: Option<Design>,
    pub form: Option<Form>,
    pub plan: Option<Plan>,
}

fn one_line(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(AppError::invalid(field, format!("1–{max} characters on one line")));
    }
    Ok(v.to_owned())
}

impl ItemSpec {
    fn parse(self) -> Result<ItemInput> {
        let name_zh = match self.name_zh.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(z) => Some(one_line("name_zh", z, 120)?),
        };
        let description = steward_core::tickets::parse_description("description", self.description.trim())
            .map_err(AppError::from)?;
        if description.chars().count() > 4000 {
            return Err(AppError::invalid("description", "at most 4,000 characters"));
        }
        let mut audience = Vec::new();
        for a in &self.audience {
            if !a.trim().is_empty() {
                audience.push(one_line("audience", a, 120)?);
            }
        }
        audience.sort();
        audience.dedup();
        if !(1..=24 * 365).contains(&self.delivery_hours) {
            return Err(AppError::invalid("delivery_hours", "1 hour to a year (8,760 hours)"));
        }
        Ok(ItemInput {
            name: one_line("name", &self.name, 120)?,
            name_zh,
            category: one_line("category", &self.category, 80)?,
            description,
            audience,
            delivery_hours: self.delivery_hours,
            team_id: self.team_id,
            active: self.active,
        })
    }
}

/// Whether `actor` may order `item`: it is active and open to the actor's organisation (or to
/// everyone). Admins see every item, to design them.
pub(super) fn may_order(actor: &Actor, item: &ItemInput) -> bool {
    item.active
        && (item.audience.is_empty()
            || actor.user.organisation.as_ref().is_some_and(|o| item.audience.contains(o)))
}

fn may_design(actor: Option<&Actor>) -> Result<()> {
    actor.map_or(Ok(()), |a| a.require(Permission::ManageCatalogue))
}

fn saved(item: &ItemInput) -> CatalogueEvent {
    CatalogueEvent::Saved {
        name: item.name.clone(),
        category: item.category.clone(),
        active: item.active,
        audience: item.audience.clone(),
        delivery_hours: item.delivery_hours,
    }
}

impl crate::Catalogue<'_> {
    /// The items the actor may order, by category and name (every item, for admins).
    pub async fn list(self, actor: &Actor) -> Result<Vec<ItemRecord>> {
        actor.require(Permission::ReadTickets)?;
        let mut items = self.store.catalogue_items().await?;
        if actor.user.role != Role::Admin {
            items.retain(|i| i.version > 0 && may_order(actor, &i.input));
        }
        Ok(items)
    }

    /// One item with its current form and plan; "not found" for an item the actor may not order.
    pub async fn item(self, actor: &Actor, id: i64) -> Result<CatalogueItem> {
        actor.require(Permission::ReadTickets)?;
        let record = self.store.catalogue_item(id).await?.ok_or(AppError::NotFound("catalogue item"))?;
        if actor.user.role != Role::Admin && (record.version == 0 || !may_order(actor, &record.input)) {
            return Err(AppError::NotFound("catalogue item"));
        }
        let design = self.catalogue().design(id, record.version).await?;
        let (form, plan) = match &design {
            Some(d) => (Some(d.form()?), Some(d.plan()?)),
            None => (None, None),
        };
        Ok(CatalogueItem { record, design, form, plan })
    }

    /// A published version's design (`None` for version 0, nothing published).
    pub(super) async fn design(self, item: i64, version: i64) -> Result<Option<Design>> {
        if version == 0 {
            return Ok(None);
        }
        let v = self.store.catalogue_version(item, version).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("catalogue item {item} has no version {version}"))
        })?;
        Ok(Some(Design::from_json(&v.form, &v.plan)?))
    }

    /// Adds an item: an admin, or the system (`None`: the demo).
    pub async fn create(self, actor: Option<&Actor>, spec: ItemSpec) -> Result<ItemRecord> {
        may_design(actor)?;
        let input = spec.parse()?;
        self.catalogue().check_team(input.team_id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_catalogue_item(at, &input).await?;
        record(&mut tx, at, actor, DomainEvent::CatalogueItem { id, event: saved(&input) }).await?;
        tx.commit().await?;
        self.store.catalogue_item(id).await?.ok_or(AppError::NotFound("catalogue item"))
    }

    pub async fn update(self, actor: Option<&Actor>, id: i64, spec: ItemSpec) -> Result<ItemRecord> {
        may_design(actor)?;
        let input = spec.parse()?;
        self.catalogue().check_team(input.team_id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.update_catalogue_item(at, id, &input).await? {
            return Err(AppError::NotFound("catalogue item"));
        }
        record(&mut tx, at, actor, DomainEvent::CatalogueItem { id, event: saved(&input) }).await?;
        tx.commit().await?;
        self.store.catalogue_item(id).await?.ok_or(AppError::NotFound("catalogue item"))
    }

    /// Publishes a new form and plan: requests made from now on use it; those made before keep
    /// theirs. Returns the new version's number.
    pub async fn publish(self, actor: Option<&Actor>, id: i64, design: Design) -> Result<i64> {
        may_design(actor)?;
        let form = design.form()?;
        let plan = design.plan()?;
        let groups = self.store.approver_groups().await?;
        for (i, a) in plan.approvals.iter().enumerate() {
            if let Approver::Group(g) = a {
                match groups.iter().find(|x| x.id == *g) {
                    None => {
                        let m = format!("plan.approvals[{i}]: there is no approver group {g}");
                        return Err(AppError::invalid("plan", m));
                    }
                    Some(x) if x.members.is_empty() => {
                        let m = format!("plan.approvals[{i}]: the group has no members to decide");
                        return Err(AppError::invalid("plan", m));
                    }
                    _ => {}
                }
            }
        }
        let teams = self.store.list_teams().await?;
        for (i, t) in plan.tasks.iter().enumerate() {
            if !teams.iter().any(|x| x.team.id == t.team_id) {
                return Err(AppError::invalid(
                    "plan",
                    format!("plan.tasks[{i}].team_id: there is no such team"),
                ));
            }
        }
        // Stored as checked: keys, labels, options and conditions trimmed as the form holds them,
        // so the order form's browser side compares what the server compares.
        let mut design = design;
        for (f, checked) in design.fields.iter_mut().zip(form.fields()) {
            f.key = checked.key.clone();
            f.label = checked.label.clone();
            f.label_zh = checked.label_zh.clone();
            f.options = f.options.iter().map(|o| o.trim().to_owned()).collect();
            f.show_if = checked
                .show_if
                .as_ref()
                .map(|c| super::design::ConditionInput { field: c.field.clone(), any_of: c.any_of.clone() });
        }
        let (form_json, plan_json) = design.to_json();
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let version = match tx
            .publish_catalogue_version(at, id, &form_json, &plan_json, actor.map(|a| a.user.id))
            .await
        {
            Err(steward_store::StoreError::NotFound) => return Err(AppError::NotFound("catalogue item")),
            other => other?,
        };
        let event = CatalogueEvent::Published {
            version,
            fields: form.fields().len() as i64,
            approvals: plan.approvals.len() as i64,
            tasks: plan.tasks.len() as i64,
        };
        record(&mut tx, at, actor, DomainEvent::CatalogueItem { id, event }).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn check_team(self, team: Option<TeamId>) -> Result<()> {
        if let Some(t) = team
            && !self.store.list_teams().await?.iter().any(|x| x.team.id == t)
        {
            return Err(AppError::invalid("team_id", "there is no such team"));
        }
        Ok(())
    }
}
