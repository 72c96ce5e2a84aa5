//! What the automation API answers.

use serde::Serialize;
use steward_app::runbooks::{RunView, RunbookView};
use steward_core::runbooks::Action;
use steward_store::{AlertTriggerRecord, GrantRecord, OutputChunk, RunRecord, ScheduleRecord};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct RunbookParamJson {
    name: String,
    label: String,
    /// `string`, `number`, `bool`, `enum`, `ci` or `secret` (a secret's name).
    #[serde(rename = "type")]
    kind: &'static str,
    required: bool,
    default: Option<String>,
    choices: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RunbookStepJson {
    id: String,
    name: String,
    /// `command`, `ssh`, `http` or `ansible`.
    kind: &'static str,
    /// Seconds.
    timeout: i64,
    on_failure: &'static str,
    rollback: bool,
    needs_approval: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RunbookJson {
    id: i64,
    name: String,
    description: String,
    version: i64,
    retired: bool,
    manual_minutes: i64,
    needs_approval: bool,
    updated_at: String,
}

impl From<&RunbookView> for RunbookJson {
    fn from(v: &RunbookView) -> Self {
        RunbookJson {
            id: v.record.id,
            name: v.record.name.clone(),
            description: v.runbook.description.clone(),
            version: v.record.version,
            retired: v.record.retired,
            manual_minutes: v.record.manual_minutes,
            needs_approval: v.runbook.approval.is_some(),
            updated_at: v.record.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunbookDetailJson {
    #[serde(flatten)]
    runbook: RunbookJson,
    /// The definition as written (YAML).
    definition: String,
    params: Vec<RunbookParamJson>,
    steps: Vec<RunbookStepJson>,
    concurrency: u32,
    target_concurrency: u32,
}

pub fn params(v: &RunbookView) -> Vec<RunbookParamJson> {
    v.runbook
        .params
        .iter()
        .map(|p| RunbookParamJson {
            name: p.name.clone(),
            label: p.label.clone(),
            kind: p.kind.as_str(),
            required: p.required,
            default: p.default.clone(),
            choices: p.choices.clone(),
        })
        .collect()
}

pub fn steps(r: &steward_core::runbooks::Runbook) -> Vec<RunbookStepJson> {
    let main = r.steps.len();
    r.all_steps()
        .enumerate()
        .map(|(i, s)| RunbookStepJson {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.action.kind(),
            timeout: s.timeout.as_secs(),
            on_failure: s.on_failure.as_str(),
            rollback: i >= main,
            needs_approval: s.approval.is_some(),
        })
        .collect()
}

impl From<&RunbookView> for RunbookDetailJson {
    fn from(v: &RunbookView) -> Self {
        RunbookDetailJson {
            runbook: RunbookJson::from(v),
            definition: v.record.definition.clone(),
            params: params(v),
            steps: steps(&v.runbook),
            concurrency: v.runbook.concurrency,
            target_concurrency: v.runbook.target_concurrency,
        }
    }
}

/// Whether the definition would be accepted, and what it holds.
#[derive(Serialize, ToSchema)]
pub struct RunbookCheckJson {
    name: String,
    params: usize,
    steps: Vec<RunbookStepJson>,
    /// Secrets it names (each must be in the secret store when it runs).
    secrets: Vec<String>,
    /// Whether an Ansible step is among them (it needs `ansible-playbook` on the node).
    uses_ansible: bool,
}

impl From<&steward_core::runbooks::Runbook> for RunbookCheckJson {
    fn from(r: &steward_core::runbooks::Runbook) -> Self {
        RunbookCheckJson {
            name: r.name.clone(),
            params: r.params.len(),
            steps: steps(r),
            secrets: r.secrets(),
            uses_ansible: r.all_steps().any(|s| matches!(s.action, Action::Ansible { .. })),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunJson {
    id: i64,
    runbook_id: i64,
    runbook: String,
    version: i64,
    /// `awaiting_approval`, `queued`, `running`, `succeeded`, `failed`, `cancelled`, `rejected`.
    state: &'static str,
    /// `manual`, `schedule`, `alert` or `change`.
    trigger: &'static str,
    /// Parameter → value as text (a secret parameter by its name, never its value).
    params: serde_json::Value,
    requested_by: Option<String>,
    ci_id: Option<i64>,
    ticket_id: Option<i64>,
    change_id: Option<i64>,
    alert_id: Option<i64>,
    schedule_id: Option<i64>,
    due_at: String,
    requested_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    node: Option<String>,
    /// Why it failed or what it went past.
    detail: String,
    /// The change windows or grants that allowed it on critical CIs.
    authority: String,
}

impl From<&RunRecord> for RunJson {
    fn from(r: &RunRecord) -> Self {
        RunJson {
            id: r.id,
            runbook_id: r.runbook_id,
            runbook: r.runbook.clone(),
            version: r.version,
            state: r.state.as_str(),
            trigger: r.trigger.as_str(),
            params: serde_json::from_str(&r.params).unwrap_or_default(),
            requested_by: r.requested_by_name.clone(),
            ci_id: r.ci_id,
            ticket_id: r.ticket_id,
            change_id: r.change_id,
            alert_id: r.alert_id,
            schedule_id: r.schedule_id,
            due_at: r.due_at.to_string(),
            requested_at: r.requested_at.to_string(),
            started_at: r.started_at.map(|t| t.to_string()),
            finished_at: r.finished_at.map(|t| t.to_string()),
            node: r.node.clone(),
            detail: r.detail.clone(),
            authority: r.authority.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunPage {
    items: Vec<RunJson>,
    /// Pass as `before` for the next (older) page; absent on the last.
    next_before: Option<i64>,
}

impl RunPage {
    pub fn of(runs: &[RunRecord], limit: usize) -> RunPage {
        RunPage {
            items: runs.iter().map(RunJson::from).collect(),
            next_before: (runs.len() >= limit).then(|| runs.last().map(|r| r.id)).flatten(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunStepStateJson {
    id: String,
    name: String,
    kind: String,
    rollback: bool,
    /// `pending`, `awaiting_approval`, `running`, `succeeded`, `failed`, `timed_out`,
    /// `cancelled`, `skipped`.
    state: &'static str,
    exit_code: Option<i64>,
    started_at: Option<String>,
    finished_at: Option<String>,
    /// What later steps may read (`stdout`, `status`, `body`, `outputs`), secrets masked.
    outputs: serde_json::Value,
    error: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunDecisionJson {
    /// The gated step, or empty for the run's own gate.
    step: String,
    approver: String,
    approve: bool,
    comment: String,
    at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunArtifactJson {
    name: String,
    size: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RunTargetJson {
    id: i64,
    name: String,
    class: String,
    criticality: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RunDetailJson {
    #[serde(flatten)]
    run: RunJson,
    steps: Vec<RunStepStateJson>,
    targets: Vec<RunTargetJson>,
    approvals: Vec<RunDecisionJson>,
    artifacts: Vec<RunArtifactJson>,
    /// Who may decide, while it waits for approval.
    waiting_for: Option<String>,
}

impl From<&RunView> for RunDetailJson {
    fn from(v: &RunView) -> Self {
        RunDetailJson {
            run: RunJson::from(&v.record),
            steps: v
                .steps
                .iter()
                .map(|s| RunStepStateJson {
                    id: s.key.clone(),
                    name: s.name.clone(),
                    kind: s.kind.clone(),
                    rollback: s.rollback,
                    state: s.state.as_str(),
                    exit_code: s.exit_code,
                    started_at: s.started_at.map(|t| t.to_string()),
                    finished_at: s.finished_at.map(|t| t.to_string()),
                    outputs: serde_json::from_str(&s.outputs).unwrap_or_default(),
                    error: s.error.clone(),
                })
                .collect(),
            targets: v
                .targets
                .iter()
                .map(|c| RunTargetJson {
                    id: c.id.get(),
                    name: c.name.clone(),
                    class: c.class.clone(),
                    criticality: c.criticality,
                })
                .collect(),
            approvals: v
                .approvals
                .iter()
                .map(|a| RunDecisionJson {
                    step: a.0.clone(),
                    approver: a.1.clone(),
                    approve: a.2,
                    comment: a.3.clone(),
                    at: a.4.to_string(),
                })
                .collect(),
            artifacts: v.artifacts.iter().map(|a| RunArtifactJson { name: a.0.clone(), size: a.1 }).collect(),
            waiting_for: v.waiting_for.as_ref().map(|(_, g)| steward_app::runbooks::describe_gate(g)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunOutputJson {
    seq: i64,
    /// The step's index in the run (main steps, then rollback steps).
    step: i64,
    at: String,
    text: String,
}

impl From<&OutputChunk> for RunOutputJson {
    fn from(c: &OutputChunk) -> Self {
        RunOutputJson { seq: c.seq, step: c.step_idx, at: c.at.to_string(), text: c.text.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunbookScheduleJson {
    id: i64,
    runbook_id: i64,
    cron: String,
    zone: String,
    calendar_id: Option<i64>,
    params: serde_json::Value,
    ci_id: Option<i64>,
    next_at: String,
}

impl From<&ScheduleRecord> for RunbookScheduleJson {
    fn from(s: &ScheduleRecord) -> Self {
        RunbookScheduleJson {
            id: s.id,
            runbook_id: s.runbook_id,
            cron: s.cron.clone(),
            zone: s.zone.clone(),
            calendar_id: s.calendar_id,
            params: serde_json::from_str(&s.params).unwrap_or_default(),
            ci_id: s.ci_id,
            next_at: s.next_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AlertTriggerJson {
    id: i64,
    runbook_id: i64,
    /// `label=value` lines, all of which a firing alert must carry.
    matchers: String,
    params: serde_json::Value,
}

impl From<&AlertTriggerRecord> for AlertTriggerJson {
    fn from(t: &AlertTriggerRecord) -> Self {
        AlertTriggerJson {
            id: t.id,
            runbook_id: t.runbook_id,
            matchers: t.matchers.clone(),
            params: serde_json::from_str(&t.params).unwrap_or_default(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SecretNameJson {
    name: String,
    updated_by: String,
    updated_at: String,
}

impl From<&(String, String, jiff::Timestamp)> for SecretNameJson {
    fn from(s: &(String, String, jiff::Timestamp)) -> Self {
        SecretNameJson { name: s.0.clone(), updated_by: s.1.clone(), updated_at: s.2.to_string() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct JitGrantJson {
    id: i64,
    user: String,
    cis: Vec<String>,
    reason: String,
    minutes: i64,
    /// `requested`, `approved`, `rejected`, `revoked`.
    state: &'static str,
    /// Approved and not expired.
    active: bool,
    requested_at: String,
    decided_by: Option<String>,
    expires_at: Option<String>,
    comment: String,
}

impl JitGrantJson {
    pub fn of(g: &GrantRecord, now: jiff::Timestamp) -> JitGrantJson {
        JitGrantJson {
            id: g.grant.id,
            user: g.username.clone(),
            cis: g.ci_names.clone(),
            reason: g.reason.clone(),
            minutes: g.minutes,
            state: g.grant.state.as_str(),
            active: g.grant.active(now),
            requested_at: g.requested_at.to_string(),
            decided_by: g.decided_by.clone(),
            expires_at: g.decided_at.map(|_| g.grant.expires_at.to_string()),
            comment: g.comment.clone(),
        }
    }
}
