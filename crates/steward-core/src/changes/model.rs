//! Change models: workflows as data. A model is a list of steps, each in one lane (the role
//! responsible) and one phase (what Steward demands there), with the steps it may move to.
//! The built-in standard, normal and emergency models are plain values of the same type, and
//! the incident and problem lifecycles are drawn from the same type too (`lifecycle_of`).

use std::collections::{BTreeSet, HashMap};

use crate::tickets::{FieldError, State, TicketKind};
use crate::words::word_enum;

word_enum! {
    /// The three kinds of change ITIL names.
    ChangeType, "change_type" {
        Standard => "standard",
        Normal => "normal",
        Emergency => "emergency",
    }
}

word_enum! {
    /// Who is responsible for a step: one swimlane each.
    Lane, "lane" {
        Requester => "requester",
        ServiceDesk => "service_desk",
        Resolver => "resolver",
        ProblemManager => "problem_manager",
        ChangeManager => "change_manager",
        Cab => "cab",
        Ecab => "ecab",
        Implementer => "implementer",
    }
}

word_enum! {
    /// What Steward checks of a change in a step, and the ticket state it shows.
    Phase, "phase" {
        Assess => "assess",
        Approve => "approve",
        Schedule => "schedule",
        Implement => "implement",
        Review => "review",
        Done => "done",
    }
}

impl Phase {
    /// The change ticket's state while it is in a step of this phase.
    pub fn state(self) -> State {
        match self {
            Phase::Assess => State::Assessment,
            Phase::Approve => State::Authorization,
            Phase::Schedule => State::Scheduled,
            Phase::Implement => State::Implementation,
            Phase::Review => State::Review,
            Phase::Done => State::Closed,
        }
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable key (`cab`, `implement`), lower-case letters, digits and `_`.
    pub key: String,
    /// What people call it; shown as written (admins write it in their language).
    pub name: String,
    pub lane: Lane,
    pub phase: Phase,
    /// The keys of the steps it may move to.
    pub next: Vec<String>,
}

/// A workflow: its first step is where every change of the model starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub steps: Vec<Step>,
}

pub const MAX_STEPS: usize = 30;

impl Workflow {
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    pub fn first(&self) -> &Step {
        &self.steps[0]
    }

    /// The lanes in the order their first step appears.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut lanes = Vec::new();
        for s in &self.steps {
            if !lanes.contains(&s.lane) {
                lanes.push(s.lane);
            }
        }
        lanes
    }

    /// Checks a workflow for `change_type`: at least one step, unique well-formed keys, every
    /// arrow to a known step, every step reachable from the first and able to reach a done
    /// step, done steps final, one implement step; an approval step unless the type is
    /// standard (pre-approved), and none if it is.
    pub fn validate(self, change_type: ChangeType) -> Result<Workflow, FieldError> {
        let bad = |msg: String| Err(FieldError::new("steps", msg));
        if self.steps.is_empty() {
            return bad("a model needs at least one step".into());
        }
        if self.steps.len() > MAX_STEPS {
            return bad(format!("a model has at most {MAX_STEPS} steps"));
        }
        let mut index = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            let ok_key = !s.key.is_empty()
                && s.key.len() <= 40
                && s.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok_key {
                return bad(format!("step key `{}` must be 1–40 lower-case letters, digits or _", s.key));
            }
            let name = s.name.trim();
            if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
                return bad(format!("step `{}` needs a name of 1–80 characters", s.key));
            }
            if index.insert(s.key.as_str(), i).is_some() {
                return bad(format!("step key `{}` is used twice", s.key));
            }
        }
        for s in &self.steps {
            if let Some(n) = s.next.iter().find(|n| !index.contains_key(n.as_str())) {
                return bad(format!("step `{}` moves to `{n}`, which is no step of this model", s.key));
            }
            if s.next.contains(&s.key) {
                return bad(format!("step `{}` moves to itself", s.key));
            }
            if s.phase == Phase::Done && !s.next.is_empty() {
                return bad(format!("step `{}` is a done step and may not move on", s.key));
            }
            if s.phase != Phase::Done && s.next.is_empty() {
                return bad(format!("step `{}` leads nowhere: give it a next step or make it done", s.key));
            }
        }
        let reach = |from: usize, forward: bool| -> BTreeSet<usize> {
            let mut seen = BTreeSet::from([from]);
            let mut stack = vec![from];
            while let Some(i) = stack.pop() {
                for (j, s) in self.steps.iter().enumerate() {
                    let edge = if forward {
                        self.steps[i].next.contains(&s.key)
                    } else {
                        s.next.contains(&self.steps[i].key)
                    };
                    if edge && seen.insert(j) {
                        stack.push(j);
                    }
                }
            }
            seen
        };
        let reachable = reach(0, true);
        if let Some(s) = self.steps.iter().enumerate().find(|(i, _)| !reachable.contains(i)) {
            return bad(format!("step `{}` cannot be reached from the first step", s.1.key));
        }
        let finishing: BTreeSet<usize> = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.phase == Phase::Done)
            .flat_map(|(i, _)| reach(i, false))
            .collect();
        if let Some(s) = self.steps.iter().enumerate().find(|(i, _)| !finishing.contains(i)) {
            return bad(format!("step `{}` can never reach a done step", s.1.key));
        }
        let count = |p: Phase| self.steps.iter().filter(|s| s.phase == p).count();
        if count(Phase::Implement) != 1 {
            return bad("a model has exactly one implement step".into());
        }
        match (change_type, count(Phase::Approve)) {
            (ChangeType::Standard, 0) => {}
            (ChangeType::Standard, _) => {
                return bad("a standard change is pre-approved: no approve step".into());
            }
            (_, 0) => return bad(format!("a {change_type} change needs an approve step")),
            _ => {}
        }
        Ok(self)
    }
}

fn step(key: &str, name: &str, lane: Lane, phase: Phase, next: &[&str]) -> Step {
    Step {
        key: key.into(),
        name: name.into(),
        lane,
        phase,
        next: next.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The model a fresh desk starts with for each change type.
pub fn builtin(change_type: ChangeType) -> Workflow {
    use Lane::*;
    use Phase::*;
    let steps = match change_type {
        ChangeType::Standard => vec![
            step("record", "Record", Requester, Assess, &["schedule"]),
            step("schedule", "Schedule", Implementer, Schedule, &["implement"]),
            step("implement", "Implement", Implementer, Implement, &["close"]),
            step("close", "Close", ChangeManager, Done, &[]),
        ],
        ChangeType::Normal => vec![
            step("assess", "Assess", ChangeManager, Assess, &["cab"]),
            step("cab", "CAB approval", Cab, Approve, &["schedule", "assess"]),
            step("schedule", "Schedule", ChangeManager, Schedule, &["implement"]),
            step("implement", "Implement", Implementer, Implement, &["review"]),
            step("review", "Review", ChangeManager, Review, &["close"]),
            step("close", "Close", ChangeManager, Done, &[]),
        ],
        ChangeType::Emergency => vec![
            step("assess", "Assess", ChangeManager, Assess, &["ecab"]),
            step("ecab", "ECAB approval", Ecab, Approve, &["implement"]),
            step("implement", "Implement", Implementer, Implement, &["review"]),
            step("review", "Review afterwards", ChangeManager, Review, &["close"]),
            step("close", "Close", ChangeManager, Done, &[]),
        ],
    };
    Workflow { steps }
}

/// The lane responsible for a ticket state of an incident or a problem, for their swimlanes.
fn lane_of(kind: TicketKind, state: State) -> Lane {
    match (kind, state) {
        (TicketKind::Incident | TicketKind::Request, State::New) => Lane::ServiceDesk,
        (TicketKind::Incident | TicketKind::Request, State::Closed) => Lane::Requester,
        (TicketKind::Incident | TicketKind::Request, _) => Lane::Resolver,
        (_, State::New | State::Closed) => Lane::ProblemManager,
        _ => Lane::Resolver,
    }
}

/// An incident's or a problem's lifecycle as a workflow (drawn as a swimlane); the terminal
/// states are its done steps. `None` for changes, whose models are their own.
pub fn lifecycle_of(kind: TicketKind) -> Option<Workflow> {
    if kind == TicketKind::Change {
        return None;
    }
    let steps = State::of(kind)
        .iter()
        .map(|s| Step {
            key: s.as_str().into(),
            name: s.as_str().into(),
            lane: lane_of(kind, *s),
            phase: if s.allowed(kind).is_empty() { Phase::Done } else { Phase::Implement },
            next: s.allowed(kind).iter().map(|n| n.as_str().to_owned()).collect(),
        })
        .collect();
    Some(Workflow { steps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_models_are_valid() {
        for t in ChangeType::ALL {
            builtin(*t).validate(*t).unwrap_or_else(|e| panic!("{t}: {e}"));
        }
    }

    #[test]
    fn broken_models_are_refused_with_a_reason() {
        let normal = builtin(ChangeType::Normal);
        let mut cases: Vec<(Workflow, ChangeType, &str)> = Vec::new();
        let mut w = normal.clone();
        w.steps[0].next = vec!["nowhere".into()];
        cases.push((w, ChangeType::Normal, "no step of this model"));
        let mut w = normal.clone();
        w.steps[1].key = "assess".into();
        cases.push((w, ChangeType::Normal, "used twice"));
        let mut w = normal.clone();
        w.steps[4].next.clear();
        cases.push((w, ChangeType::Normal, "leads nowhere"));
        let mut w = normal.clone();
        w.steps[0].next.push("limbo".into());
        w.steps.push(step("limbo", "Limbo", Lane::Cab, Phase::Review, &["limbo2"]));
        w.steps.push(step("limbo2", "Limbo 2", Lane::Cab, Phase::Review, &["limbo"]));
        cases.push((w, ChangeType::Normal, "never reach a done step"));
        let mut w = normal.clone();
        w.steps[0].next = vec!["schedule".into()];
        cases.push((w, ChangeType::Normal, "cannot be reached"));
        cases.push((normal.clone(), ChangeType::Standard, "pre-approved"));
        cases.push((builtin(ChangeType::Standard), ChangeType::Normal, "needs an approve step"));
        let mut w = normal.clone();
        w.steps[0].key = "Assess!".into();
        cases.push((w, ChangeType::Normal, "lower-case"));
        cases.push((Workflow { steps: vec![] }, ChangeType::Normal, "at least one step"));
        for (w, t, expected) in cases {
            let err = w.validate(t).unwrap_err();
            assert_eq!(err.field, "steps");
            assert!(err.message.contains(expected), "{expected}: {}", err.message);
        }
    }

    #[test]
    fn lanes_follow_first_appearance() {
        let w = builtin(ChangeType::Normal);
        assert_eq!(w.lanes(), vec![Lane::ChangeManager, Lane::Cab, Lane::Implementer]);
    }

    #[test]
    fn incident_and_problem_lifecycles_are_workflows() {
        for kind in [TicketKind::Incident, TicketKind::Problem] {
            let w = lifecycle_of(kind).unwrap();
            assert_eq!(w.steps.len(), State::of(kind).len());
            assert!(w.steps.iter().any(|s| s.phase == Phase::Done));
        }
        assert!(lifecycle_of(TicketKind::Change).is_none());
    }
}
