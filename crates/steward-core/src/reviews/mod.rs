//! Post-incident reviews (复盘, issue 19): for a major incident (priority 1–2) or any other on
//! demand, what it cost (duration, users, services, SLA), what went well and badly, the
//! contributing factors, and action items tracked to done.

use std::fmt;

use jiff::civil::Date;

use crate::events::{Changes, Field, FieldValue, Fields};
use crate::ids::UserId;
use crate::tickets::{FieldError, Priority, Title, parse_description};

/// Whether an incident of this priority needs a review without being asked.
pub fn review_expected(priority: Priority) -> bool {
    priority.get() <= 2
}

/// What people write in a review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    pub summary: String,
    /// How many users were affected (people's estimate).
    pub users_affected: Option<i64>,
    pub went_well: String,
    pub went_badly: String,
    pub factors: String,
}

impl Findings {
    pub fn parse(
        summary: &str,
        users_affected: Option<i64>,
        went_well: &str,
        went_badly: &str,
        factors: &str,
    ) -> Result<Findings, FieldError> {
        if users_affected.is_some_and(|n| !(0..=100_000_000).contains(&n)) {
            return Err(FieldError::new("users_affected", "0 to 100,000,000 users"));
        }
        Ok(Findings {
            summary: parse_description("summary", summary)?.trim().to_owned(),
            users_affected,
            went_well: parse_description("went_well", went_well)?.trim().to_owned(),
            went_badly: parse_description("went_badly", went_badly)?.trim().to_owned(),
            factors: parse_description("factors", factors)?.trim().to_owned(),
        })
    }
}

/// The findings as events record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingField {
    Summary,
    UsersAffected,
    WentWell,
    WentBadly,
    Factors,
}

impl Field for FindingField {
    const ALL: &'static [FindingField] = &[
        FindingField::Summary,
        FindingField::UsersAffected,
        FindingField::WentWell,
        FindingField::WentBadly,
        FindingField::Factors,
    ];

    fn as_str(self) -> &'static str {
        match self {
            FindingField::Summary => "summary",
            FindingField::UsersAffected => "users_affected",
            FindingField::WentWell => "went_well",
            FindingField::WentBadly => "went_badly",
            FindingField::Factors => "factors",
        }
    }
}

pub fn finding_fields(f: &Findings) -> Fields<FindingField> {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    Fields(vec![
        (FindingField::Summary, text(&f.summary)),
        (FindingField::UsersAffected, FieldValue::opt_int(f.users_affected)),
        (FindingField::WentWell, text(&f.went_well)),
        (FindingField::WentBadly, text(&f.went_badly)),
        (FindingField::Factors, text(&f.factors)),
    ])
}

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionState {
    Open,
    InProgress,
    Done,
    Cancelled,
}

impl ActionState {
    pub const ALL: &'static [ActionState] =
        &[ActionState::Open, ActionState::InProgress, ActionState::Done, ActionState::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::InProgress => "in_progress",
            ActionState::Done => "done",
            ActionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<ActionState, FieldError> {
        ActionState::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("state", "an action is open, in_progress, done or cancelled"))
    }

    pub fn is_open(self) -> bool {
        matches!(self, ActionState::Open | ActionState::InProgress)
    }
}

impl fmt::Display for ActionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new action item as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub title: String,
    pub owner_id: UserId,
    pub due: Date,
}

impl NewAction {
    pub fn parse(title: &str, owner_id: UserId, due: &str) -> Result<NewAction, FieldError> {
        let title = Title::parse(title)?.into_string();
        let due =
            due.trim().parse::<Date>().map_err(|_| FieldError::new("due", "a date such as 2027-01-15"))?;
        Ok(NewAction { title, owner_id, due })
    }
}

/// Whether an action is overdue on `today`.
pub fn overdue(state: ActionState, due: Date, today: Date) -> bool {
    state.is_open() && due < today
}

/// What happens to a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewEvent {
    /// Started; `expected` when the incident's priority called for it.
    Opened {
        expected: bool,
    },
    Edited(Changes<FindingField>),
    ActionAdded {
        action_id: i64,
        title: String,
        owner_id: UserId,
        due: String,
    },
    ActionMoved {
        action_id: i64,
        from: String,
        to: String,
    },
    /// Its due date passed while open; the owner was told.
    ActionOverdue {
        action_id: i64,
        owner_id: UserId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_and_actions_are_checked() {
        assert!(Findings::parse("s", Some(120), "", "", "").is_ok());
        assert_eq!(Findings::parse("s", Some(-1), "", "", "").unwrap_err().field, "users_affected");
        assert_eq!(Findings::parse("bell\u{7}", None, "", "", "").unwrap_err().field, "summary");
        let a = NewAction::parse(" Add pool alerts ", UserId(3), "2027-01-15").unwrap();
        assert_eq!((a.title.as_str(), a.due.to_string()), ("Add pool alerts", "2027-01-15".to_owned()));
        assert_eq!(NewAction::parse("x", UserId(3), "tomorrow").unwrap_err().field, "due");
        assert_eq!(NewAction::parse("", UserId(3), "2027-01-15").unwrap_err().field, "title");
        let due: Date = "2027-01-15".parse().unwrap();
        let next: Date = "2027-01-16".parse().unwrap();
        assert!(overdue(ActionState::Open, due, next) && !overdue(ActionState::Done, due, next));
        assert!(!overdue(ActionState::InProgress, due, due), "due today is not late yet");
        assert!(review_expected(Priority::new(2).unwrap()) && !review_expected(Priority::new(3).unwrap()));
    }
}
