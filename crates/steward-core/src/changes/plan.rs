//! A change's own record beside its ticket: model and step, the plans, the window, risk and
//! outcome — and what each step demands before the change may leave it.

use jiff::Timestamp;

use super::{ChangeType, Phase, RiskClass, Step, Verdict, Window, Workflow};
use crate::events::{Changes, Field, FieldValue, Fields};
use crate::ids::TeamId;
use crate::tickets::FieldError;
use crate::words::word_enum;

word_enum! {
    Outcome, "outcome" {
        Successful => "successful",
        Partial => "partial",
        Failed => "failed",
        BackedOut => "backed_out",
    }
}

impl Outcome {
    pub fn failed(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::BackedOut)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub change_type: ChangeType,
    pub model_id: i64,
    pub model_version: i64,
    pub step: String,
    pub reason: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub communication_plan: String,
    pub window: Option<Window>,
    pub implementer_team: Option<TeamId>,
    pub risk_score: Option<i64>,
    pub risk_class: Option<RiskClass>,
    pub outcome: Option<Outcome>,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub review: String,
    /// What a deployment shipped: its version and a link to its commit or pipeline.
    pub version: String,
    pub commit_url: String,
}

/// The longest plan text.
pub const MAX_PLAN: usize = 20_000;

/// A plan text: trimmed, at most `MAX_PLAN` characters.
pub fn plan_text(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = crate::tickets::parse_description(field, text.trim())?;
    if t.chars().count() > MAX_PLAN {
        return Err(FieldError::new(field, format!("at most {MAX_PLAN} characters")));
    }
    Ok(t)
}

impl Plan {
    /// Whether a post-implementation review must be written before the change closes: failed
    /// or backed out, an emergency, or high risk.
    pub fn review_required(&self) -> bool {
        self.change_type == ChangeType::Emergency
            || self.risk_class == Some(RiskClass::High)
            || self.outcome.is_some_and(Outcome::failed)
    }

    /// Late: completed after its window ended (or still running past it at `now`).
    pub fn late(&self, now: Timestamp) -> bool {
        match (self.window, self.completed_at) {
            (Some(w), Some(done)) => done > w.end,
            (Some(w), None) => self.started_at.is_some() && now > w.end,
            _ => false,
        }
    }
}

/// Where the change stands for a move: its approvals and its conflicts not yet overridden.
#[derive(Debug, Clone, Copy)]
pub struct Gates {
    pub approvals: Verdict,
    pub open_conflicts: usize,
}

/// Checks the move from the change's step to `to` and returns that step, or says what is
/// missing (naming the field to fill).
pub fn check_move<'w>(
    plan: &Plan,
    workflow: &'w Workflow,
    to: &str,
    gates: Gates,
) -> Result<&'w Step, FieldError> {
    let here = workflow.step(&plan.step).ok_or_else(|| {
        FieldError::new("step", format!("the change's step `{}` is not in its model", plan.step))
    })?;
    let target = workflow.step(to).filter(|_| here.next.iter().any(|n| n == to)).ok_or_else(|| {
        FieldError::new("to", format!("from `{}` the change may move to: {}", here.key, here.next.join(", ")))
    })?;
    if target.phase == Phase::Assess {
        return Ok(target); // sending a change back to be assessed again is always allowed
    }
    match here.phase {
        Phase::Assess if plan.risk_class.is_none() => {
            return Err(FieldError::new("risk", "assess the risk before the change moves on"));
        }
        Phase::Approve if gates.approvals != Verdict::Approved => {
            return Err(FieldError::new("approvals", "the change is not approved yet"));
        }
        Phase::Schedule if plan.window.is_none() => {
            return Err(FieldError::new("planned_start", "schedule a window before the change moves on"));
        }
        Phase::Implement if plan.outcome.is_none() => {
            return Err(FieldError::new("outcome", "complete the implementation with its outcome first"));
        }
        Phase::Review if plan.review_required() && plan.review.is_empty() => {
            return Err(FieldError::new("review", "this change needs its post-implementation review"));
        }
        _ => {}
    }
    if target.phase == Phase::Implement {
        if plan.window.is_none() {
            return Err(FieldError::new("planned_start", "a change is implemented in a planned window"));
        }
        if gates.approvals != Verdict::Approved {
            return Err(FieldError::new("approvals", "the change is not approved yet"));
        }
    }
    let schedule_matters = matches!(target.phase, Phase::Implement) || here.phase == Phase::Schedule;
    if schedule_matters && gates.open_conflicts > 0 {
        return Err(FieldError::new(
            "conflicts",
            format!(
                "{} conflict(s) in the schedule: reschedule or override each with a reason",
                gates.open_conflicts
            ),
        ));
    }
    if target.phase == Phase::Done && here.phase != Phase::Review && plan.review_required() {
        return Err(FieldError::new("review", "this change needs its post-implementation review"));
    }
    Ok(target)
}

/// The plan's fields as events record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanField {
    ChangeType,
    ModelId,
    ModelVersion,
    Step,
    Reason,
    ImplementationPlan,
    BackoutPlan,
    TestPlan,
    CommunicationPlan,
    PlannedStart,
    PlannedEnd,
    ImplementerTeam,
    RiskScore,
    RiskClass,
    Outcome,
    StartedAt,
    CompletedAt,
    Review,
    Version,
    CommitUrl,
}

impl Field for PlanField {
    const ALL: &'static [PlanField] = &[
        PlanField::ChangeType,
        PlanField::ModelId,
        PlanField::ModelVersion,
        PlanField::Step,
        PlanField::Reason,
        PlanField::ImplementationPlan,
        PlanField::BackoutPlan,
        PlanField::TestPlan,
        PlanField::CommunicationPlan,
        PlanField::PlannedStart,
        PlanField::PlannedEnd,
        PlanField::ImplementerTeam,
        PlanField::RiskScore,
        PlanField::RiskClass,
        PlanField::Outcome,
        PlanField::StartedAt,
        PlanField::CompletedAt,
        PlanField::Review,
        PlanField::Version,
        PlanField::CommitUrl,
    ];

    fn as_str(self) -> &'static str {
        match self {
            PlanField::ChangeType => "change_type",
            PlanField::ModelId => "model_id",
            PlanField::ModelVersion => "model_version",
            PlanField::Step => "step",
            PlanField::Reason => "reason",
            PlanField::ImplementationPlan => "implementation_plan",
            PlanField::BackoutPlan => "backout_plan",
            PlanField::TestPlan => "test_plan",
            PlanField::CommunicationPlan => "communication_plan",
            PlanField::PlannedStart => "planned_start",
            PlanField::PlannedEnd => "planned_end",
            PlanField::ImplementerTeam => "implementer_team",
            PlanField::RiskScore => "risk_score",
            PlanField::RiskClass => "risk_class",
            PlanField::Outcome => "outcome",
            PlanField::StartedAt => "started_at",
            PlanField::CompletedAt => "completed_at",
            PlanField::Review => "review",
            PlanField::Version => "version",
            PlanField::CommitUrl => "commit_url",
        }
    }
}

fn ms(t: Option<Timestamp>) -> FieldValue {
    FieldValue::opt_int(t.map(|t| t.as_millisecond()))
}

pub fn plan_fields(p: &Plan) -> Fields<PlanField> {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    Fields(vec![
        (PlanField::ChangeType, text(p.change_type.as_str())),
        (PlanField::ModelId, FieldValue::Int(p.model_id)),
        (PlanField::ModelVersion, FieldValue::Int(p.model_version)),
        (PlanField::Step, text(&p.step)),
        (PlanField::Reason, text(&p.reason)),
        (PlanField::ImplementationPlan, text(&p.implementation_plan)),
        (PlanField::BackoutPlan, text(&p.backout_plan)),
        (PlanField::TestPlan, text(&p.test_plan)),
        (PlanField::CommunicationPlan, text(&p.communication_plan)),
        (PlanField::PlannedStart, ms(p.window.map(|w| w.start))),
        (PlanField::PlannedEnd, ms(p.window.map(|w| w.end))),
        (PlanField::ImplementerTeam, FieldValue::opt_int(p.implementer_team)),
        (PlanField::RiskScore, FieldValue::opt_int(p.risk_score)),
        (PlanField::RiskClass, FieldValue::opt_text(p.risk_class.map(|c| c.as_str()))),
        (PlanField::Outcome, FieldValue::opt_text(p.outcome.map(|o| o.as_str()))),
        (PlanField::StartedAt, ms(p.started_at)),
        (PlanField::CompletedAt, ms(p.completed_at)),
        (PlanField::Review, text(&p.review)),
        (PlanField::Version, text(&p.version)),
        (PlanField::CommitUrl, text(&p.commit_url)),
    ])
}

pub fn plan_changes(before: &Plan, after: &Plan) -> Option<Changes<PlanField>> {
    Fields::changes_from(&plan_fields(before), &plan_fields(after))
}

#[cfg(test)]
mod tests {
    use super::super::builtin;
    use super::*;

    pub(crate) fn plan(step: &str) -> Plan {
        Plan {
            change_type: ChangeType::Normal,
            model_id: 2,
            model_version: 1,
            step: step.into(),
            reason: String::new(),
            implementation_plan: String::new(),
            backout_plan: String::new(),
            test_plan: String::new(),
            communication_plan: String::new(),
            window: None,
            implementer_team: None,
            risk_score: None,
            risk_class: None,
            outcome: None,
            started_at: None,
            completed_at: None,
            review: String::new(),
            version: String::new(),
            commit_url: String::new(),
        }
    }

    const OPEN: Gates = Gates { approvals: Verdict::Pending, open_conflicts: 0 };
    const APPROVED: Gates = Gates { approvals: Verdict::Approved, open_conflicts: 0 };

    #[test]
    fn a_normal_change_walks_its_model_when_each_step_is_done() {
        let w = builtin(ChangeType::Normal);
        let mut p = plan("assess");
        assert_eq!(check_move(&p, &w, "cab", OPEN).unwrap_err().field, "risk");
        assert_eq!(check_move(&p, &w, "implement", OPEN).unwrap_err().field, "to");
        p.risk_class = Some(RiskClass::High);
        assert_eq!(check_move(&p, &w, "cab", OPEN).unwrap().key, "cab");
        p.step = "cab".into();
        assert_eq!(check_move(&p, &w, "schedule", OPEN).unwrap_err().field, "approvals");
        assert_eq!(check_move(&p, &w, "assess", OPEN).unwrap().key, "assess");
        assert!(check_move(&p, &w, "schedule", APPROVED).is_ok());
        p.step = "schedule".into();
        assert_eq!(check_move(&p, &w, "implement", APPROVED).unwrap_err().field, "planned_start");
        let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        p.window = Some(Window::between(start, start + jiff::SignedDuration::from_hours(1)).unwrap());
        let busy = Gates { open_conflicts: 1, ..APPROVED };
        assert_eq!(check_move(&p, &w, "implement", busy).unwrap_err().field, "conflicts");
        assert!(check_move(&p, &w, "implement", APPROVED).is_ok());
        p.step = "implement".into();
        assert_eq!(check_move(&p, &w, "review", APPROVED).unwrap_err().field, "outcome");
        p.outcome = Some(Outcome::Successful);
        p.step = "review".into();
        assert_eq!(check_move(&p, &w, "close", APPROVED).unwrap_err().field, "review", "high risk");
        p.review = "went to plan".into();
        assert!(check_move(&p, &w, "close", APPROVED).is_ok());
    }

    #[test]
    fn reviews_are_required_for_failures_emergencies_and_high_risk() {
        let mut p = plan("review");
        assert!(!p.review_required());
        p.outcome = Some(Outcome::BackedOut);
        assert!(p.review_required());
        p.outcome = Some(Outcome::Partial);
        assert!(!p.review_required());
        p.change_type = ChangeType::Emergency;
        assert!(p.review_required());
    }

    #[test]
    fn late_closure() {
        let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let end = start + jiff::SignedDuration::from_hours(1);
        let mut p = plan("implement");
        p.window = Some(Window::between(start, end).unwrap());
        p.started_at = Some(start);
        assert!(!p.late(start));
        assert!(p.late(end + jiff::SignedDuration::from_mins(1)));
        p.completed_at = Some(end);
        assert!(!p.late(end + jiff::SignedDuration::from_hours(5)));
    }
}
