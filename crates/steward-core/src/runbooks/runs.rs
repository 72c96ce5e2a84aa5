//! A run's life, and the rule of just-in-time authority: work on a CI of criticality 1–2 needs
//! an approved change whose window covers now and that CI, or a grant approved by a change
//! manager that has not expired.

use jiff::Timestamp;

use crate::ids::{CiId, UserId};
use crate::words::word_enum;

word_enum! {
    /// Where a run is.
    RunState, "run_state" {
        AwaitingApproval => "awaiting_approval",
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
        Rejected => "rejected",
    }
}

impl RunState {
    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Succeeded | RunState::Failed | RunState::Cancelled | RunState::Rejected)
    }
}

word_enum! {
    /// Where one step of a run is.
    StepState, "step_state" {
        Pending => "pending",
        AwaitingApproval => "awaiting_approval",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        TimedOut => "timed_out",
        Cancelled => "cancelled",
        Skipped => "skipped",
    }
}

impl StepState {
    pub fn failed(self) -> bool {
        matches!(self, StepState::Failed | StepState::TimedOut)
    }
}

word_enum! {
    /// What started a run.
    Trigger, "trigger" {
        Manual => "manual",
        Schedule => "schedule",
        Alert => "alert",
        Change => "change",
    }
}

word_enum! {
    GrantState, "grant_state" {
        Requested => "requested",
        Approved => "approved",
        Rejected => "rejected",
        Revoked => "revoked",
    }
}

/// CI criticality 1 (highest) and 2 need authority to be worked on by automation.
pub fn needs_authority(criticality: Option<i64>) -> bool {
    matches!(criticality, Some(1 | 2))
}

/// An approved change's window over its CIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub change: String,
    pub cis: Vec<CiId>,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A just-in-time grant: `user` may run automation on `cis` until `expires_at` once approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: i64,
    pub user: UserId,
    pub cis: Vec<CiId>,
    pub state: GrantState,
    pub expires_at: Timestamp,
}

impl Grant {
    pub fn active(&self, now: Timestamp) -> bool {
        self.state == GrantState::Approved && now < self.expires_at
    }
}

/// Why a run may touch its CIs, or which critical ones it may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// No CI of criticality 1–2 is touched.
    NotNeeded,
    /// Covered by these changes' windows and grants (names: `CHG…`, `grant 12`).
    Covered(Vec<String>),
    /// These critical CIs (names) are covered by no window and no grant.
    Missing(Vec<String>),
}

/// Checks each critical CI (`(id, name)`) against the windows open now and `user`'s active
/// grants. A scheduled or alert-started run has the user who set up its trigger.
pub fn authority(
    critical: &[(CiId, String)],
    now: Timestamp,
    user: Option<UserId>,
    windows: &[Window],
    grants: &[Grant],
) -> Authority {
    if critical.is_empty() {
        return Authority::NotNeeded;
    }
    let mut by = Vec::new();
    let mut missing = Vec::new();
    for (ci, name) in critical {
        let window = windows.iter().find(|w| w.start <= now && now < w.end && w.cis.contains(ci));
        let grant = grants.iter().find(|g| Some(g.user) == user && g.active(now) && g.cis.contains(ci));
        match (window, grant) {
            (Some(w), _) => by.push(w.change.clone()),
            (None, Some(g)) => by.push(format!("grant {}", g.id)),
            (None, None) => missing.push(name.clone()),
        }
    }
    if !missing.is_empty() {
        return Authority::Missing(missing);
    }
    by.sort();
    by.dedup();
    Authority::Covered(by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn critical_cis_need_a_window_or_an_active_grant() {
        let db = (CiId(1), "db-1".to_owned());
        let web = (CiId(2), "web-1".to_owned());
        let window = Window {
            change: "CHG1".into(),
            cis: vec![CiId(1)],
            start: at("2030-01-01T01:00Z"),
            end: at("2030-01-01T03:00Z"),
        };
        let grant = Grant {
            id: 7,
            user: UserId(5),
            cis: vec![CiId(2)],
            state: GrantState::Approved,
            expires_at: at("2030-01-01T02:00Z"),
        };
        let now = at("2030-01-01T01:30Z");
        assert_eq!(authority(&[], now, None, &[], &[]), Authority::NotNeeded);
        assert_eq!(
            authority(
                &[db.clone(), web.clone()],
                now,
                Some(UserId(5)),
                std::slice::from_ref(&window),
                std::slice::from_ref(&grant)
            ),
            Authority::Covered(vec!["CHG1".into(), "grant 7".into()])
        );
        // Another user's grant, an expired grant, and a window not yet open cover nothing.
        assert_eq!(
            authority(std::slice::from_ref(&web), now, Some(UserId(6)), &[], std::slice::from_ref(&grant)),
            Authority::Missing(vec!["web-1".into()])
        );
        let later = at("2030-01-01T02:00Z");
        assert_eq!(
            authority(std::slice::from_ref(&web), later, Some(UserId(5)), &[], &[grant]),
            Authority::Missing(vec!["web-1".into()])
        );
        assert_eq!(
            authority(&[db], at("2030-01-01T00:59Z"), None, &[window], &[]),
            Authority::Missing(vec!["db-1".into()])
        );
        assert!(needs_authority(Some(2)) && !needs_authority(Some(3)) && !needs_authority(None));
    }
}
