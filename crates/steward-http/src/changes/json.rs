//! The change API's answers.

use serde::Serialize;
use steward_app::changes::{ApprovalLevel, ChangeView, ConflictView};
use steward_core::changes::{Factor, Plan, Reason, Step};
use steward_core::ids::{CiId, TeamId, TicketId, UserId};
use steward_core::tickets::Ticket;
use steward_store::{CalendarEntry, FreezeRecord, GroupRecord, ModelRecord};
use utoipa::ToSchema;

use crate::api::time;

/// A change as lists show it.
#[derive(Serialize, ToSchema)]
#[schema(as = Change)]
pub struct ChangeJson {
    id: TicketId,
    /// `CHG000007`.
    number: String,
    title: String,
    description: String,
    service: Option<String>,
    #[schema(minimum = 1, maximum = 5)]
    priority: u8,
    team_id: Option<TeamId>,
    assignee_id: Option<UserId>,
    /// `assessment`, `authorization`, `scheduled`, `implementation`, `review`, `closed`,
    /// `rejected` or `cancelled`.
    state: &'static str,
    /// `standard`, `normal` or `emergency`.
    change_type: &'static str,
    model_id: i64,
    model_version: i64,
    /// The model step the change is at.
    step: String,
    reason: String,
    implementation_plan: String,
    backout_plan: String,
    test_plan: String,
    communication_plan: String,
    planned_start: Option<String>,
    planned_end: Option<String>,
    implementer_team: Option<TeamId>,
    risk_score: Option<i64>,
    /// `low`, `medium` or `high`, once assessed.
    risk_class: Option<&'static str>,
    /// `successful`, `partial`, `failed` or `backed_out`, once implemented.
    outcome: Option<&'static str>,
    started_at: Option<String>,
    completed_at: Option<String>,
    review: String,
    /// What a recorded deployment shipped (empty for other changes).
    deployed_version: String,
    /// A link to its commit or pipeline.
    commit_url: String,
    created_by: Option<UserId>,
    created_at: String,
    updated_at: String,
    /// For `If-Match`; also the `ETag`.
    version: i64,
}

impl ChangeJson {
    pub fn new(t: &Ticket, p: &Plan) -> ChangeJson {
        ChangeJson {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            service: t.service.clone(),
            priority: t.priority.get(),
            team_id: t.team_id,
            assignee_id: t.assignee_id,
            state: t.state.as_str(),
            change_type: p.change_type.as_str(),
            model_id: p.model_id,
            model_version: p.model_version,
            step: p.step.clone(),
            reason: p.reason.clone(),
            implementation_plan: p.implementation_plan.clone(),
            backout_plan: p.backout_plan.clone(),
            test_plan: p.test_plan.clone(),
            communication_plan: p.communication_plan.clone(),
            planned_start: p.window.map(|w| time(w.start)),
            planned_end: p.window.map(|w| time(w.end)),
            implementer_team: p.implementer_team,
            risk_score: p.risk_score,
            risk_class: p.risk_class.map(|c| c.as_str()),
            outcome: p.outcome.map(|o| o.as_str()),
            started_at: p.started_at.map(time),
            completed_at: p.completed_at.map(time),
            review: p.review.clone(),
            deployed_version: p.version.clone(),
            commit_url: p.commit_url.clone(),
            created_by: t.created_by,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            version: t.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeJson>,
    pub next_cursor: Option<String>,
}

/// One reason for some of the risk's points.
#[derive(Serialize, ToSchema)]
pub struct RiskReasonJson {
    /// `answer`, `criticality`, `blast_radius`, `failed_before` or `business_hours`.
    factor: &'static str,
    points: i64,
    /// The question and answer, the criticality, the number of CIs or of failed changes.
    detail: String,
}

impl From<&Reason> for RiskReasonJson {
    fn from(r: &Reason) -> Self {
        let (factor, detail) = match &r.factor {
            Factor::Answer { question, answer } => ("answer", format!("{question}: {answer}")),
            Factor::Criticality(c) => ("criticality", c.to_string()),
            Factor::BlastRadius(n) => ("blast_radius", n.to_string()),
            Factor::FailedBefore(n) => ("failed_before", n.to_string()),
            Factor::BusinessHours => ("business_hours", String::new()),
        };
        RiskReasonJson { factor, points: r.points, detail }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DecisionJson {
    user_id: UserId,
    decided_by: UserId,
    /// `approve` or `reject`.
    decision: &'static str,
    comment: String,
    /// `web`, `api` or `mail`.
    via: String,
    decided_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApprovalJson {
    level: i64,
    group_id: i64,
    group: String,
    /// `any`, `all` or `quorum`.
    rule: &'static str,
    quorum: i64,
    members: Vec<UserId>,
    /// `pending`, `approved` or `rejected`.
    verdict: &'static str,
    decisions: Vec<DecisionJson>,
}

pub fn verdict(v: steward_core::changes::Verdict) -> &'static str {
    match v {
        steward_core::changes::Verdict::Pending => "pending",
        steward_core::changes::Verdict::Approved => "approved",
        steward_core::changes::Verdict::Rejected => "rejected",
    }
}

impl From<&ApprovalLevel> for ApprovalJson {
    fn from(l: &ApprovalLevel) -> Self {
        ApprovalJson {
            level: l.level,
            group_id: l.group_id,
            group: l.group.clone(),
            rule: l.rule.rule.as_str(),
            quorum: l.rule.quorum,
            members: l.members.clone(),
            verdict: verdict(l.verdict),
            decisions: l
                .decisions
                .iter()
                .map(|d| DecisionJson {
                    user_id: d.user_id,
                    decided_by: d.decided_by,
                    decision: d.decision.as_str(),
                    comment: d.comment.clone(),
                    via: d.via.clone(),
                    decided_at: time(d.decided_at),
                })
                .collect(),
        }
    }
}

/// A conflict of the change's window, explained.
#[derive(Serialize, ToSchema)]
pub struct ConflictJson {
    /// What an override names: `kind:with`.
    key: String,
    /// `same_ci`, `related_ci`, `freeze`, `outside_slot` or `implementer_busy`.
    kind: &'static str,
    /// The other change, the freeze, or the CI.
    with: String,
    ci: Option<String>,
    other_ci: Option<String>,
    message: String,
    /// Why it was accepted, when it was.
    accepted_reason: Option<String>,
}

impl From<&steward_core::changes::Conflict> for ConflictJson {
    fn from(c: &steward_core::changes::Conflict) -> Self {
        ConflictJson {
            key: c.key(),
            kind: c.kind.as_str(),
            with: c.with.clone(),
            ci: c.ci.clone(),
            other_ci: c.other_ci.clone(),
            message: steward_app::changes::describe(c),
            accepted_reason: None,
        }
    }
}

impl From<&ConflictView> for ConflictJson {
    fn from(v: &ConflictView) -> Self {
        ConflictJson {
            accepted_reason: v.accepted.as_ref().map(|a| a.0.clone()),
            ..ConflictJson::from(&v.conflict)
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StepJson {
    key: String,
    name: String,
    /// The role responsible.
    lane: &'static str,
    phase: &'static str,
    next: Vec<String>,
}

impl From<&Step> for StepJson {
    fn from(s: &Step) -> Self {
        StepJson {
            key: s.key.clone(),
            name: s.name.clone(),
            lane: s.lane.as_str(),
            phase: s.phase.as_str(),
            next: s.next.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LinkedTicketJson {
    id: TicketId,
    number: String,
    title: String,
    state: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct LinkedCiJson {
    id: CiId,
    name: String,
    class: String,
    criticality: i64,
}

/// A change with everything its page shows.
#[derive(Serialize, ToSchema)]
#[schema(as = ChangeDetail)]
pub struct ChangeDetailJson {
    #[serde(flatten)]
    change: ChangeJson,
    model: String,
    steps: Vec<StepJson>,
    /// The steps the change may move to from its own.
    next_steps: Vec<String>,
    risk_reasons: Vec<RiskReasonJson>,
    approvals: Vec<ApprovalJson>,
    /// `pending`, `approved` or `rejected`.
    approval: &'static str,
    conflicts: Vec<ConflictJson>,
    cis: Vec<LinkedCiJson>,
    links: Vec<LinkedTicketJson>,
    review_required: bool,
    /// Completed after its window ended, or still running past it.
    late: bool,
}

impl From<&ChangeView> for ChangeDetailJson {
    fn from(v: &ChangeView) -> Self {
        let here = v.workflow.step(&v.plan.step);
        ChangeDetailJson {
            change: ChangeJson::new(&v.ticket, &v.plan),
            model: v.model_name.clone(),
            steps: v.workflow.steps.iter().map(StepJson::from).collect(),
            next_steps: if v.ticket.state.is_open() {
                here.map(|s| s.next.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            risk_reasons: v.reasons.iter().map(RiskReasonJson::from).collect(),
            approvals: v.approvals.iter().map(ApprovalJson::from).collect(),
            approval: verdict(v.verdict),
            conflicts: v.conflicts.iter().map(ConflictJson::from).collect(),
            cis: v
                .cis
                .iter()
                .map(|c| LinkedCiJson {
                    id: c.id,
                    name: c.name.clone(),
                    class: c.class.clone(),
                    criticality: c.criticality,
                })
                .collect(),
            links: v
                .links
                .iter()
                .map(|t| LinkedTicketJson {
                    id: t.id,
                    number: t.number.clone(),
                    title: t.title.clone(),
                    state: t.state.as_str(),
                })
                .collect(),
            review_required: v.review_required,
            late: v.late,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModelJson {
    id: i64,
    name: String,
    change_type: &'static str,
    version: i64,
    retired: bool,
}

impl From<&ModelRecord> for ModelJson {
    fn from(m: &ModelRecord) -> Self {
        ModelJson {
            id: m.id,
            name: m.name.clone(),
            change_type: m.change_type.as_str(),
            version: m.version,
            retired: m.retired,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModelDetailJson {
    #[serde(flatten)]
    pub model: ModelJson,
    /// The definition as YAML (what import takes).
    pub definition: String,
    pub steps: Vec<StepJson>,
    /// Open changes following it: their numbers.
    pub in_flight: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupJson {
    id: i64,
    name: String,
    rule: &'static str,
    quorum: i64,
    members: Vec<UserId>,
}

impl From<&GroupRecord> for GroupJson {
    fn from(g: &GroupRecord) -> Self {
        GroupJson {
            id: g.id,
            name: g.name.clone(),
            rule: g.rule.rule.as_str(),
            quorum: g.rule.quorum,
            members: g.members.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyJson {
    pub id: i64,
    pub change_type: &'static str,
    pub min_risk: &'static str,
    pub level: i64,
    pub group_id: i64,
}

impl From<&steward_core::changes::ApprovalPolicy> for PolicyJson {
    fn from(p: &steward_core::changes::ApprovalPolicy) -> Self {
        PolicyJson {
            id: p.id,
            change_type: p.change_type.as_str(),
            min_risk: p.min_risk.as_str(),
            level: p.level,
            group_id: p.group_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct QuestionJson {
    pub id: i64,
    pub text: String,
    /// The answers, in order (answer with `answer` = its index).
    pub options: Vec<OptionJson>,
}

#[derive(Serialize, ToSchema)]
pub struct OptionJson {
    pub answer: String,
    pub points: i64,
}

impl From<&steward_core::changes::Question> for QuestionJson {
    fn from(q: &steward_core::changes::Question) -> Self {
        QuestionJson {
            id: q.id,
            text: q.text.clone(),
            options: q.options.iter().map(|(a, p)| OptionJson { answer: a.clone(), points: *p }).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FreezeJson {
    id: i64,
    name: String,
    starts_at: String,
    ends_at: String,
    reason: String,
    created_by: String,
}

impl From<&FreezeRecord> for FreezeJson {
    fn from(f: &FreezeRecord) -> Self {
        FreezeJson {
            id: f.id,
            name: f.name.clone(),
            starts_at: time(f.window.start),
            ends_at: time(f.window.end),
            reason: f.reason.clone(),
            created_by: f.created_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalendarEntryJson {
    id: TicketId,
    number: String,
    title: String,
    state: String,
    change_type: String,
    risk_class: Option<String>,
    planned_start: String,
    planned_end: String,
    team_id: Option<TeamId>,
    service: Option<String>,
}

impl From<&CalendarEntry> for CalendarEntryJson {
    fn from(e: &CalendarEntry) -> Self {
        CalendarEntryJson {
            id: e.id,
            number: e.number.clone(),
            title: e.title.clone(),
            state: e.state.clone(),
            change_type: e.change_type.clone(),
            risk_class: e.risk_class.clone(),
            planned_start: time(e.window.start),
            planned_end: time(e.window.end),
            team_id: e.team_id,
            service: e.service.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalendarJson {
    pub changes: Vec<CalendarEntryJson>,
    pub freezes: Vec<FreezeJson>,
}

#[derive(Serialize, ToSchema)]
pub struct DelegationJson {
    pub id: i64,
    pub user_id: UserId,
    pub delegate_id: UserId,
    pub starts_at: String,
    pub ends_at: String,
}

impl From<&steward_store::DelegationRecord> for DelegationJson {
    fn from(d: &steward_store::DelegationRecord) -> Self {
        DelegationJson {
            id: d.id,
            user_id: d.user_id,
            delegate_id: d.delegate_id,
            starts_at: time(d.starts_at),
            ends_at: time(d.ends_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SuspectJson {
    pub change_id: TicketId,
    pub number: String,
    pub ci: String,
    pub at: String,
}
