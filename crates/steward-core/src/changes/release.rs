//! Releases: changes bundled under a version and a target date, and how ready each is.

use jiff::civil::Date;

use super::{Outcome, Verdict};
use crate::tickets::{FieldError, State};
use crate::words::word_enum;

word_enum! {
    /// Where one change of a release stands, for the readiness view.
    Readiness, "readiness" {
        Done => "done",
        Ready => "ready",
        AwaitingApproval => "awaiting_approval",
        NotScheduled => "not_scheduled",
        Failed => "failed",
        Dropped => "dropped",
    }
}

/// One change's readiness from its state, approvals, window and outcome.
pub fn readiness(state: State, approvals: Verdict, scheduled: bool, outcome: Option<Outcome>) -> Readiness {
    match (state, outcome) {
        (_, Some(o)) if o.failed() => Readiness::Failed,
        (State::Cancelled | State::Rejected, _) => Readiness::Dropped,
        (_, Some(_)) | (State::Closed, None) => Readiness::Done,
        _ if approvals != Verdict::Approved => Readiness::AwaitingApproval,
        _ if !scheduled => Readiness::NotScheduled,
        _ => Readiness::Ready,
    }
}

/// A release is ready when every change is done or ready (and it has one at least).
pub fn release_ready(items: &[Readiness]) -> bool {
    !items.is_empty()
        && items.iter().all(|r| matches!(r, Readiness::Done | Readiness::Ready | Readiness::Dropped))
}

/// A release's name, version and target date as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInput {
    pub name: String,
    pub version: String,
    pub target: Date,
}

impl ReleaseInput {
    pub fn parse(name: &str, version: &str, target: &str) -> Result<ReleaseInput, FieldError> {
        let one_line = |field: &'static str, s: &str, max: usize| {
            let t = s.trim();
            if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
                return Err(FieldError::new(field, format!("1 to {max} characters on one line")));
            }
            Ok(t.to_owned())
        };
        let target: Date = target
            .trim()
            .parse()
            .ok()
            .filter(|d: &Date| (1971..=8999).contains(&d.year()))
            .ok_or_else(|| FieldError::new("target_date", "a date like 2027-03-01"))?;
        Ok(ReleaseInput {
            name: one_line("name", name, 80)?,
            version: one_line("version", version, 40)?,
            target,
        })
    }
}

/// What happens to a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseEvent {
    Created { name: String, version: String, target_date: String },
    ChangeAdded { change_id: crate::ids::TicketId, number: String },
    ChangeRemoved { change_id: crate::ids::TicketId, number: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_of_changes_and_releases() {
        use Readiness::*;
        assert_eq!(readiness(State::Authorization, Verdict::Pending, true, None), AwaitingApproval);
        assert_eq!(readiness(State::Scheduled, Verdict::Approved, false, None), NotScheduled);
        assert_eq!(readiness(State::Scheduled, Verdict::Approved, true, None), Ready);
        assert_eq!(readiness(State::Review, Verdict::Approved, true, Some(Outcome::Successful)), Done);
        assert_eq!(readiness(State::Review, Verdict::Approved, true, Some(Outcome::BackedOut)), Failed);
        assert_eq!(readiness(State::Rejected, Verdict::Rejected, false, None), Dropped);
        assert!(release_ready(&[Done, Ready, Dropped]));
        assert!(!release_ready(&[Done, AwaitingApproval]));
        assert!(!release_ready(&[]));
        assert_eq!(
            ReleaseInput::parse("Billing", "2.0", "2027-03-01").unwrap().target.to_string(),
            "2027-03-01"
        );
        assert_eq!(ReleaseInput::parse("Billing", "2.0", "March").unwrap_err().field, "target_date");
        assert_eq!(ReleaseInput::parse(" ", "2.0", "2027-03-01").unwrap_err().field, "name");
    }
}
