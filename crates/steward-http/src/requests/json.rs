//! The catalogue and request API's answers.

use serde::Serialize;
use steward_app::requests::{CatalogueItem, Design, RequestView};
use steward_core::changes::Verdict;
use steward_core::ids::{TeamId, TicketId, UserId};
use steward_core::tickets::Ticket;
use steward_store::ItemRecord;
use utoipa::ToSchema;

use crate::api::time;

/// A catalogue item as lists show it.
#[derive(Serialize, ToSchema)]
#[schema(as = CatalogueItem)]
pub struct ItemJson {
    id: i64,
    name: String,
    name_zh: Option<String>,
    category: String,
    description: String,
    /// The organisations that may order it; empty: everyone.
    audience: Vec<String>,
    delivery_hours: i64,
    team_id: Option<TeamId>,
    active: bool,
    /// The form version new requests are made on (0: none published yet).
    version: i64,
    updated_at: String,
}

impl From<&ItemRecord> for ItemJson {
    fn from(i: &ItemRecord) -> ItemJson {
        ItemJson {
            id: i.id,
            name: i.input.name.clone(),
            name_zh: i.input.name_zh.clone(),
            category: i.input.category.clone(),
            description: i.input.description.clone(),
            audience: i.input.audience.clone(),
            delivery_hours: i.input.delivery_hours,
            team_id: i.input.team_id,
            active: i.input.active,
            version: i.version,
            updated_at: time(i.updated_at),
        }
    }
}

/// One field of a form, as designed.
#[derive(Serialize, ToSchema)]
#[schema(as = FormField)]
pub struct FieldJson {
    key: String,
    label: String,
    label_zh: Option<String>,
    /// text, textarea, number, date, choice, multi_choice, user, ci, attachment.
    kind: String,
    required: bool,
    options: Vec<String>,
    max_length: Option<i64>,
    min: Option<f64>,
    max: Option<f64>,
    query: Option<String>,
    show_if: Option<ConditionJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FormCondition)]
pub struct ConditionJson {
    field: String,
    any_of: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PlanApproval)]
pub struct ApproverJson {
    /// `manager` or `group`.
    approver: String,
    group_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PlanTask)]
pub struct TaskStepJson {
    name: String,
    team_id: i64,
    stage: i64,
}

/// An item with its current form and fulfilment plan.
#[derive(Serialize, ToSchema)]
#[schema(as = CatalogueItemDetail)]
pub struct ItemDetailJson {
    #[serde(flatten)]
    item: ItemJson,
    fields: Vec<FieldJson>,
    approvals: Vec<ApproverJson>,
    tasks: Vec<TaskStepJson>,
}

pub fn design_parts(d: &Design) -> (Vec<FieldJson>, Vec<ApproverJson>, Vec<TaskStepJson>) {
    let fields = d
        .fields
        .iter()
        .map(|f| FieldJson {
            key: f.key.clone(),
            label: f.label.clone(),
            label_zh: f.label_zh.clone(),
            kind: f.kind.clone(),
            required: f.required,
            options: f.options.clone(),
            max_length: f.max_length,
            min: f.min,
            max: f.max,
            query: f.query.clone(),
            show_if: f
                .show_if
                .as_ref()
                .map(|c| ConditionJson { field: c.field.clone(), any_of: c.any_of.clone() }),
        })
        .collect();
    let approvals = d
        .plan
        .approvals
        .iter()
        .map(|a| ApproverJson { approver: a.approver.clone(), group_id: a.group_id })
        .collect();
    let tasks = d
        .plan
        .tasks
        .iter()
        .map(|t| TaskStepJson { name: t.name.clone(), team_id: t.team_id, stage: t.stage })
        .collect();
    (fields, approvals, tasks)
}

impl From<&CatalogueItem> for ItemDetailJson {
    fn from(c: &CatalogueItem) -> ItemDetailJson {
        let (fields, approvals, tasks) = c.design.as_ref().map(design_parts).unwrap_or_default();
        ItemDetailJson { item: ItemJson::from(&c.record), fields, approvals, tasks }
    }
}

/// `{"version": 3}`: the version just published.
#[derive(Serialize, ToSchema)]
#[schema(as = PublishedVersion)]
pub struct VersionJson {
    pub version: i64,
}

/// A request as lists show it.
#[derive(Serialize, ToSchema)]
#[schema(as = ServiceRequest)]
pub struct RequestJson {
    id: TicketId,
    /// `REQ000042`.
    number: String,
    title: String,
    requester_id: UserId,
    team_id: Option<TeamId>,
    /// new, authorization (awaiting approval), in_progress (being fulfilled), resolved
    /// (fulfilled), closed, rejected or cancelled.
    state: &'static str,
    created_at: String,
    updated_at: String,
    resolved_at: Option<String>,
    closed_at: Option<String>,
}

impl From<&Ticket> for RequestJson {
    fn from(t: &Ticket) -> RequestJson {
        RequestJson {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            requester_id: t.requester_id,
            team_id: t.team_id,
            state: t.state.as_str(),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            resolved_at: t.resolved_at.map(time),
            closed_at: t.closed_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestAnswer)]
pub struct AnswerJson {
    key: String,
    label: String,
    label_zh: Option<String>,
    /// The answer in words (a user's name, a CI's name, a file's name, options joined).
    value: String,
    attachment_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestApprovalLevel)]
pub struct LevelJson {
    level: i64,
    /// `manager` or `group`.
    approver: &'static str,
    group_id: Option<i64>,
    manager_id: Option<UserId>,
    /// pending, approved or rejected.
    verdict: &'static str,
    requested_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestDecision)]
pub struct DecisionJson {
    level: i64,
    user_id: UserId,
    /// approve or reject.
    decision: &'static str,
    comment: String,
    decided_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestTask)]
pub struct TaskJson {
    id: i64,
    name: String,
    team_id: TeamId,
    stage: i64,
    /// waiting, open, done or cancelled.
    state: &'static str,
    note: String,
    opened_at: Option<String>,
    done_at: Option<String>,
    done_by: Option<UserId>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RequestComment)]
pub struct CommentJson {
    id: i64,
    author_id: UserId,
    body: String,
    internal: bool,
    created_at: String,
}

/// A request with its order, approvals, tasks and conversation.
#[derive(Serialize, ToSchema)]
#[schema(as = ServiceRequestDetail)]
pub struct RequestDetailJson {
    #[serde(flatten)]
    request: RequestJson,
    item_id: i64,
    item_name: String,
    form_version: i64,
    /// When the item promises delivery.
    due_at: String,
    resolution_note: Option<String>,
    answers: Vec<AnswerJson>,
    approvals: Vec<LevelJson>,
    decisions: Vec<DecisionJson>,
    tasks: Vec<TaskJson>,
    comments: Vec<CommentJson>,
    /// The approval level waiting for the caller, if any.
    awaiting_my_decision: Option<i64>,
}

pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pending => "pending",
        Verdict::Approved => "approved",
        Verdict::Rejected => "rejected",
    }
}

impl From<&RequestView> for RequestDetailJson {
    fn from(v: &RequestView) -> RequestDetailJson {
        RequestDetailJson {
            request: RequestJson::from(&v.ticket),
            item_id: v.order.item_id,
            item_name: v.item_name.clone(),
            form_version: v.order.form_version,
            due_at: time(v.order.due_at),
            resolution_note: v.ticket.resolution_note.clone(),
            answers: v
                .answers
                .iter()
                .map(|a| AnswerJson {
                    key: a.key.clone(),
                    label: a.label.clone(),
                    label_zh: a.label_zh.clone(),
                    value: a.value.clone(),
                    attachment_id: a.attachment_id,
                })
                .collect(),
            approvals: v
                .levels
                .iter()
                .map(|l| LevelJson {
                    level: l.level,
                    approver: if l.group_id.is_some() { "group" } else { "manager" },
                    group_id: l.group_id,
                    manager_id: l.manager_id,
                    verdict: verdict_word(l.verdict),
                    requested_at: l.requested_at.map(time),
                })
                .collect(),
            decisions: v
                .decisions
                .iter()
                .map(|d| DecisionJson {
                    level: d.level,
                    user_id: d.user_id,
                    decision: d.decision.as_str(),
                    comment: d.comment.clone(),
                    decided_at: time(d.decided_at),
                })
                .collect(),
            tasks: v
                .tasks
                .iter()
                .map(|t| TaskJson {
                    id: t.id,
                    name: t.name.clone(),
                    team_id: t.team_id,
                    stage: t.stage,
                    state: t.state.as_str(),
                    note: t.note.clone(),
                    opened_at: t.opened_at.map(time),
                    done_at: t.done_at.map(time),
                    done_by: t.done_by,
                })
                .collect(),
            comments: v
                .comments
                .iter()
                .map(|c| CommentJson {
                    id: c.id,
                    author_id: c.author_id,
                    body: c.body.clone(),
                    internal: c.internal,
                    created_at: time(c.created_at),
                })
                .collect(),
            awaiting_my_decision: v.my_level,
        }
    }
}

/// A request waiting for the caller's approval.
#[derive(Serialize, ToSchema)]
#[schema(as = ApprovalWaiting)]
pub struct WaitingJson {
    #[serde(flatten)]
    pub request: RequestJson,
    pub level: i64,
}
