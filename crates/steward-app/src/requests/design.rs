//! A form and a fulfilment plan as typed by the designer or the API, and as stored (JSON of
//! these same structs): checked into core's `Form` and `Plan`. One shape in and out, so what
//! an admin saved is what the designer shows again.

use serde::{Deserialize, Serialize};
use steward_core::ids::TeamId;
use steward_core::requests::{Approver, Condition, FieldKind, Form, FormError, FormField, Plan, TaskStep};

use crate::{AppError, Result};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldInput {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    /// text, textarea, number, date, choice, multi_choice, user, ci, attachment.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A CI field's CMDB query (`class:server env:prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ConditionInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionInput {
    pub field: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    #[serde(default)]
    pub approvals: Vec<ApproverInput>,
    #[serde(default)]
    pub tasks: Vec<TaskInput>,
}

/// `manager`, or `group` with the approver group's id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproverInput {
    pub approver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    pub name: String,
    pub team_id: i64,
    #[serde(default = "first_stage")]
    pub stage: i64,
}

fn first_stage() -> i64 {
    1
}

/// A form and a plan, as one version publishes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Design {
    pub fields: Vec<FieldInput>,
    pub plan: PlanInput,
}

fn invalid(e: FormError) -> AppError {
    // The API names nested places (`fields[2].show_if`); the error type names a static field,
    // so the place leads the message.
    AppError::Invalid { field: "fields", message: format!("{}: {}", e.field, e.message) }
}

fn plan_invalid(e: FormError) -> AppError {
    AppError::Invalid { field: "plan", message: format!("{}: {}", e.field, e.message) }
}

impl FieldInput {
    fn kind(&self, i: usize) -> std::result::Result<FieldKind, FormError> {
        let err = |m: &str| FormError { field: format!("fields[{i}].kind"), message: m.to_owned() };
        let length = |default: i64| usize::try_from(self.max_length.unwrap_or(default)).unwrap_or(0);
        Ok(match self.kind.as_str() {
            "text" => FieldKind::Text { multiline: false, max_length: length(200) },
            "textarea" => FieldKind::Text { multiline: true, max_length: length(4000) },
            "number" => FieldKind::Number { min: self.min, max: self.max },
            "date" => FieldKind::Date,
            "choice" => FieldKind::Choice { options: self.options.clone() },
            "multi_choice" => FieldKind::MultiChoice { options: self.options.clone() },
            "user" => FieldKind::User,
            "ci" => FieldKind::Ci { query: self.query.clone().unwrap_or_default() },
            "attachment" => FieldKind::Attachment,
            _ => {
                return Err(err(
                    "one of text, textarea, number, date, choice, multi_choice, user, ci, attachment",
                ));
            }
        })
    }
}

impl Design {
    /// The checked form.
    pub fn form(&self) -> Result<Form> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for (i, f) in self.fields.iter().enumerate() {
            fields.push(FormField {
                key: f.key.trim().to_owned(),
                label: f.label.trim().to_owned(),
                label_zh: f.label_zh.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned),
                kind: f.kind(i).map_err(invalid)?,
                required: f.required,
                show_if: f.show_if.as_ref().map(|c| Condition {
                    field: c.field.trim().to_owned(),
                    any_of: c.any_of.iter().map(|v| v.trim().to_owned()).collect(),
                }),
            });
        }
        Form::new(fields).map_err(invalid)
    }

    /// The checked plan (whether its groups and teams exist is the catalogue's check).
    pub fn plan(&self) -> Result<Plan> {
        let mut approvals = Vec::new();
        for (i, a) in self.plan.approvals.iter().enumerate() {
            approvals.push(match (a.approver.as_str(), a.group_id) {
                ("manager", _) => Approver::Manager,
                ("group", Some(g)) => Approver::Group(g),
                _ => {
                    return Err(plan_invalid(FormError {
                        field: format!("plan.approvals[{i}]"),
                        message: "`manager`, or `group` with a group_id".into(),
                    }));
                }
            });
        }
        let tasks = self
            .plan
            .tasks
            .iter()
            .map(|t| TaskStep { name: t.name.clone(), team_id: TeamId(t.team_id), stage: t.stage })
            .collect();
        Plan::new(approvals, tasks).map_err(plan_invalid)
    }

    pub fn to_json(&self) -> (String, String) {
        (
            serde_json::to_string(&self.fields).unwrap_or_default(),
            serde_json::to_string(&self.plan).unwrap_or_default(),
        )
    }

    /// A stored version read back.
    pub fn from_json(form: &str, plan: &str) -> Result<Design> {
        let corrupt =
            |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("a stored catalogue version: {e}"));
        Ok(Design {
            fields: serde_json::from_str(form).map_err(corrupt)?,
            plan: serde_json::from_str(plan).map_err(corrupt)?,
        })
    }
}
