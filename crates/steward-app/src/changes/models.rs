//! Change models as admins see them: listed, read and exchanged as YAML, edited into new
//! versions (changes under way keep theirs unless moved up, which is refused when it would
//! strand one), retired. A fresh desk gets the built-in standard, normal and emergency models.

use serde::{Deserialize, Serialize};
use steward_core::changes::{ChangeType, Lane, Phase, Step, Workflow, builtin};
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_store::ModelRecord;

use crate::{Actor, AppError, Result};

/// A model as written in YAML.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelYaml {
    name: String,
    #[serde(rename = "type")]
    change_type: String,
    steps: Vec<StepYaml>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepYaml {
    key: String,
    name: String,
    lane: String,
    phase: String,
    #[serde(default)]
    next: Vec<String>,
}

/// A model read from YAML: its name, type and checked workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDefinition {
    pub name: String,
    pub change_type: ChangeType,
    pub workflow: Workflow,
}

impl ModelDefinition {
    pub fn parse(yaml: &str) -> Result<ModelDefinition> {
        if yaml.len() > 64 * 1024 {
            return Err(AppError::invalid("definition", "a model is at most 64 KiB of YAML"));
        }
        let raw: ModelYaml = yaml_serde::from_str(yaml)
            .map_err(|e| AppError::invalid("definition", format!("not a model in YAML: {e}")))?;
        let name = raw.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "a model needs a name of 1–80 characters"));
        }
        let change_type = ChangeType::parse(&raw.change_type).map_err(AppError::from)?;
        let steps = raw
            .steps
            .into_iter()
            .map(|s| {
                Ok(Step {
                    lane: Lane::parse(&s.lane).map_err(AppError::from)?,
                    phase: Phase::parse(&s.phase).map_err(AppError::from)?,
                    key: s.key,
                    name: s.name.trim().to_owned(),
                    next: s.next,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let workflow = Workflow { steps }.validate(change_type).map_err(AppError::from)?;
        Ok(ModelDefinition { name: name.to_owned(), change_type, workflow })
    }

    pub fn to_yaml(&self) -> String {
        let raw = ModelYaml {
            name: self.name.clone(),
            change_type: self.change_type.as_str().into(),
            steps: self
                .workflow
                .steps
                .iter()
                .map(|s| StepYaml {
                    key: s.key.clone(),
                    name: s.name.clone(),
                    lane: s.lane.as_str().into(),
                    phase: s.phase.as_str().into(),
                    next: s.next.clone(),
                })
                .collect(),
        };
        yaml_serde::to_string(&raw).unwrap_or_default()
    }
}

/// The name each built-in model is stored under.
pub fn builtin_name(t: ChangeType) -> &'static str {
    match t {
        ChangeType::Standard => "Standard change",
        ChangeType::Normal => "Normal change",
        ChangeType::Emergency => "Emergency change",
    }
}

/// A model with its newest definition.
#[derive(Debug, Clone)]
pub struct ModelView {
    pub record: ModelRecord,
    pub definition: ModelDefinition,
    pub yaml: String,
    /// Open changes of the model: (id, number, version, step).
    pub in_flight: Vec<(TicketId, String, i64, String)>,
}

impl crate::Changes<'_> {
    /// Writes the built-in models when a desk has none yet.
    pub(crate) async fn ensure_models(self) -> Result<()> {
        if !self.store.change_models().await?.is_empty() {
            return Ok(());
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        for t in ChangeType::ALL {
            let def =
                ModelDefinition { name: builtin_name(*t).into(), change_type: *t, workflow: builtin(*t) };
            match tx.insert_change_model(at, &def.name, *t, &def.to_yaml(), "system").await {
                Ok(_) => {}
                // Another request wrote them first.
                Err(steward_store::StoreError::Duplicate { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn models(self, actor: &Actor) -> Result<Vec<ModelRecord>> {
        actor.require(Permission::WorkTickets)?;
        self.changes().ensure_models().await?;
        Ok(self.store.change_models().await?)
    }

    /// A model's definition at `version` (its newest when `None`).
    pub async fn model(self, actor: &Actor, id: i64, version: Option<i64>) -> Result<ModelView> {
        actor.require(Permission::WorkTickets)?;
        self.changes().ensure_models().await?;
        let record = self.store.change_model(id).await?.ok_or(AppError::NotFound("change model"))?;
        let version = version.unwrap_or(record.version);
        let yaml = self
            .store
            .change_model_definition(id, version)
            .await?
            .ok_or(AppError::NotFound("change model version"))?;
        let definition = ModelDefinition::parse(&yaml)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored model {id} v{version}: {e}")))?;
        let in_flight = self.store.changes_in_flight(id).await?;
        Ok(ModelView { record, definition, yaml, in_flight })
    }

    /// The workflow a change follows.
    pub(crate) async fn workflow(self, model: i64, version: i64) -> Result<Workflow> {
        let yaml = self.store.change_model_definition(model, version).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("change model {model} v{version} is missing"))
        })?;
        Ok(ModelDefinition::parse(&yaml)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored model {model} v{version}: {e}")))?
            .workflow)
    }

    /// Imports a model from YAML: a new model, or — under an existing name of the same type —
    /// its next version. With `upgrade`, changes under way move to the new version too, which
    /// is refused when one sits in a step the new version lacks.
    pub async fn save_model(self, actor: &Actor, yaml: &str, upgrade: bool) -> Result<ModelRecord> {
        actor.require(Permission::ManageChanges)?;
        self.changes().ensure_models().await?;
        let def = ModelDefinition::parse(yaml)?;
        let existing = self.store.change_models().await?.into_iter().find(|m| m.name == def.name);
        let at = self.now();
        let by = actor.user.username.as_str();
        let mut tx = self.store.begin().await?;
        let id = match existing {
            None => tx.insert_change_model(at, &def.name, def.change_type, &def.to_yaml(), by).await?,
            Some(m) => {
                if m.change_type != def.change_type {
                    return Err(AppError::invalid(
                        "type",
                        format!("`{}` is a {} model; its type cannot change", m.name, m.change_type),
                    ));
                }
                let in_flight = self.store.changes_in_flight(m.id).await?;
                let stranded: Vec<&str> = in_flight
                    .iter()
                    .filter(|(_, _, _, step)| def.workflow.step(step).is_none())
                    .map(|(_, n, _, _)| n.as_str())
                    .collect();
                if upgrade && !stranded.is_empty() {
                    return Err(AppError::Conflict {
                        field: Some("steps"),
                        message: format!(
                            "moving the changes under way to this version would strand {}: their step is gone",
                            stranded.join(", ")
                        ),
                    });
                }
                let version = tx.new_model_version(at, m.id, &def.to_yaml(), by).await?;
                if upgrade {
                    let ids: Vec<TicketId> = in_flight.iter().map(|c| c.0).collect();
                    tx.upgrade_in_flight(m.id, version, &ids).await?;
                }
                tx.set_model_retired(m.id, false).await?;
                m.id
            }
        };
        tx.commit().await?;
        self.store.change_model(id).await?.ok_or(AppError::NotFound("change model"))
    }

    /// Retires a model (no new changes use it); refused while changes under way follow it.
    pub async fn retire_model(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageChanges)?;
        let m = self.store.change_model(id).await?.ok_or(AppError::NotFound("change model"))?;
        let in_flight = self.store.changes_in_flight(m.id).await?;
        if !in_flight.is_empty() {
            let numbers: Vec<&str> = in_flight.iter().map(|c| c.1.as_str()).collect();
            return Err(AppError::Conflict {
                field: Some("model_id"),
                message: format!("retiring it would strand the changes under way: {}", numbers.join(", ")),
            });
        }
        let mut tx = self.store.begin().await?;
        tx.set_model_retired(id, true).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_models_round_trip_through_yaml() {
        for t in ChangeType::ALL {
            let def =
                ModelDefinition { name: builtin_name(*t).into(), change_type: *t, workflow: builtin(*t) };
            assert_eq!(ModelDefinition::parse(&def.to_yaml()).unwrap(), def);
        }
    }

    #[test]
    fn bad_yaml_names_the_field() {
        let err = |y: &str| match ModelDefinition::parse(y).unwrap_err() {
            AppError::Invalid { field, .. } => field,
            other => panic!("{other}"),
        };
        assert_eq!(err("- not a map"), "definition");
        assert_eq!(err("name: X\ntype: normal\nsteps: []\nextra: 1\n"), "definition");
        assert_eq!(err("name: X\ntype: sideways\nsteps: []\n"), "change_type");
        assert_eq!(err("name: X\ntype: normal\nsteps: []\n"), "steps");
        assert_eq!(
            err("name: X\ntype: standard\nsteps:\n- {key: a, name: A, lane: boss, phase: done}\n"),
            "lane"
        );
    }
}
