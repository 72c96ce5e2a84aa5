//! A catalogue item's fulfilment plan: approval levels decided one after another (the
//! requester's manager, or an approver group by its rule), then tasks for teams in stages —
//! tasks of one stage run in parallel, a stage opens when the one before is done — and the
//! request is fulfilled when its last task is done.

use crate::changes::Verdict;
use crate::ids::TeamId;
use crate::words::word_enum;

use super::FormError;

/// The most approval levels and tasks a plan has.
pub const MAX_LEVELS: usize = 5;
pub const MAX_TASKS: usize = 20;

/// Who decides one approval level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approver {
    /// The requester's manager (the directory's `manager_id`).
    Manager,
    /// An approver group (a CAB's kind), deciding by its rule: any, all, or a quorum.
    Group(i64),
}

/// One task of the plan: a name, the team that does it, and its stage (1 goes first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStep {
    pub name: String,
    pub team_id: TeamId,
    pub stage: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Level 1 first.
    pub approvals: Vec<Approver>,
    pub tasks: Vec<TaskStep>,
}

fn refuse(field: String, message: &str) -> FormError {
    FormError { field, message: message.into() }
}

impl Plan {
    /// Checks a plan: at most five levels (a group named once), at most twenty tasks, each
    /// with a name of 1–120 characters on one line and a stage from 1 to 20.
    pub fn new(approvals: Vec<Approver>, tasks: Vec<TaskStep>) -> Result<Plan, FormError> {
        if approvals.len() > MAX_LEVELS {
            return Err(refuse("plan.approvals".into(), "at most 5 approval levels"));
        }
        for (i, a) in approvals.iter().enumerate() {
            if approvals[..i].contains(a) {
                return Err(refuse(format!("plan.approvals[{i}]"), "this approver already decides a level"));
            }
        }
        if tasks.len() > MAX_TASKS {
            return Err(refuse("plan.tasks".into(), "at most 20 tasks"));
        }
        for (i, t) in tasks.iter().enumerate() {
            let name = t.name.trim();
            if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
                return Err(refuse(format!("plan.tasks[{i}].name"), "a task name of 1–120 characters"));
            }
            if !(1..=20).contains(&t.stage) {
                return Err(refuse(format!("plan.tasks[{i}].stage"), "a stage from 1 to 20"));
            }
        }
        let tasks = tasks.into_iter().map(|t| TaskStep { name: t.name.trim().to_owned(), ..t }).collect();
        Ok(Plan { approvals, tasks })
    }
}

word_enum! {
    /// A fulfilment task's state: waiting for its stage, open for its team, done, or
    /// cancelled with its request.
    TaskState, "task_state" {
        Waiting => "waiting",
        Open => "open",
        Done => "done",
        Cancelled => "cancelled",
    }
}

/// What follows from the tasks' states (each a stage and a state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Tasks are still open: nothing to do.
    Working,
    /// Every task of the stage before is done: open this stage's tasks.
    Open(i64),
    /// Every task is done: the request is fulfilled.
    Fulfilled,
}

pub fn progress(tasks: &[(i64, TaskState)]) -> Progress {
    if tasks.iter().any(|(_, s)| *s == TaskState::Open) {
        return Progress::Working;
    }
    match tasks.iter().filter(|(_, s)| *s == TaskState::Waiting).map(|(stage, _)| *stage).min() {
        Some(stage) => Progress::Open(stage),
        None => Progress::Fulfilled,
    }
}

/// A manager's level: one approver, whose decision decides.
pub fn manager_verdict(approvals: usize, rejections: usize) -> Verdict {
    match (approvals, rejections) {
        (_, r) if r > 0 => Verdict::Rejected,
        (a, _) if a > 0 => Verdict::Approved,
        _ => Verdict::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, stage: i64) -> TaskStep {
        TaskStep { name: name.into(), team_id: TeamId(1), stage }
    }

    #[test]
    fn plans_are_checked() {
        let ok =
            Plan::new(vec![Approver::Manager, Approver::Group(2)], vec![task(" Buy ", 1), task("Image", 2)]);
        assert_eq!(ok.unwrap().tasks[0].name, "Buy");
        let cases = [
            (vec![Approver::Manager, Approver::Manager], vec![], "plan.approvals[1]"),
            (vec![Approver::Group(1); 6], vec![], "plan.approvals"),
            (vec![], vec![task("", 1)], "plan.tasks[0].name"),
            (vec![], vec![task("a", 1), task("b", 0)], "plan.tasks[1].stage"),
            (vec![], vec![task("a", 21)], "plan.tasks[0].stage"),
            (vec![], (0..21).map(|i| task("a", i % 3 + 1)).collect(), "plan.tasks"),
        ];
        for (approvals, tasks, field) in cases {
            assert_eq!(Plan::new(approvals, tasks).unwrap_err().field, field);
        }
    }

    #[test]
    fn stages_open_in_order_and_the_last_task_fulfils() {
        use TaskState::*;
        assert_eq!(progress(&[(1, Waiting), (1, Waiting), (2, Waiting)]), Progress::Open(1));
        assert_eq!(progress(&[(1, Done), (1, Open), (2, Waiting)]), Progress::Working);
        assert_eq!(progress(&[(1, Done), (1, Done), (2, Waiting)]), Progress::Open(2));
        // A gap in the stage numbers is no stage.
        assert_eq!(progress(&[(1, Done), (5, Waiting)]), Progress::Open(5));
        assert_eq!(progress(&[(1, Done), (2, Done)]), Progress::Fulfilled);
        assert_eq!(progress(&[]), Progress::Fulfilled);
    }

    #[test]
    fn a_manager_decides_alone() {
        assert_eq!(manager_verdict(0, 0), Verdict::Pending);
        assert_eq!(manager_verdict(1, 0), Verdict::Approved);
        assert_eq!(manager_verdict(0, 1), Verdict::Rejected);
    }
}
