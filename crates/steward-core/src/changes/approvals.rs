//! Approvals: which approver groups must approve a change (by its type and risk), in
//! sequential levels, and when a level is decided by its rule (any one, all, or a quorum).

use super::{ChangeType, RiskClass};
use crate::tickets::FieldError;
use crate::words::word_enum;

word_enum! {
    ApprovalRule, "rule" {
        Any => "any",
        All => "all",
        Quorum => "quorum",
    }
}

word_enum! {
    Decision, "decision" {
        Approve => "approve",
        Reject => "reject",
    }
}

/// Where a level, or the whole approval, stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pending,
    Approved,
    Rejected,
}

/// A group's rule: `quorum` approvals needed when the rule is a quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRule {
    pub rule: ApprovalRule,
    pub quorum: i64,
}

impl GroupRule {
    pub fn parse(rule: &str, quorum: Option<i64>) -> Result<GroupRule, FieldError> {
        let rule = ApprovalRule::parse(rule)?;
        if quorum.is_some_and(|q| !(1..=50).contains(&q)) {
            return Err(FieldError::new("quorum", "a quorum is 1 to 50"));
        }
        let quorum = match rule {
            ApprovalRule::Quorum => match quorum {
                Some(q) if (1..=50).contains(&q) => q,
                _ => return Err(FieldError::new("quorum", "a quorum rule needs a quorum of 1 to 50")),
            },
            _ => 1,
        };
        Ok(GroupRule { rule, quorum })
    }

    /// The level's verdict from its group's size and the decisions so far. Any: the first
    /// decision decides. All: every member approves, one rejection rejects. Quorum: `quorum`
    /// approvals approve; it is rejected once the quorum can no longer be reached.
    pub fn verdict(self, members: usize, approvals: usize, rejections: usize) -> Verdict {
        let (members, approvals, rejections) = (members as i64, approvals as i64, rejections as i64);
        match self.rule {
            ApprovalRule::Any if approvals > 0 => Verdict::Approved,
            ApprovalRule::Any if rejections > 0 => Verdict::Rejected,
            ApprovalRule::All if rejections > 0 => Verdict::Rejected,
            ApprovalRule::All if approvals >= members && members > 0 => Verdict::Approved,
            ApprovalRule::Quorum if approvals >= self.quorum => Verdict::Approved,
            ApprovalRule::Quorum if members - rejections < self.quorum => Verdict::Rejected,
            _ => Verdict::Pending,
        }
    }
}

/// When a group must approve: changes of `change_type` whose risk is at least `min_risk`, at
/// `level` (level 1 decides first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPolicy {
    pub id: i64,
    pub change_type: ChangeType,
    pub min_risk: RiskClass,
    pub level: i64,
    pub group_id: i64,
}

/// The policies that apply to a change, by level then id. Standard changes are pre-approved.
pub fn required(
    policies: &[ApprovalPolicy],
    change_type: ChangeType,
    risk: RiskClass,
) -> Vec<&ApprovalPolicy> {
    if change_type == ChangeType::Standard {
        return Vec::new();
    }
    let mut due: Vec<&ApprovalPolicy> = policies
        .iter()
        .filter(|p| p.change_type == change_type && p.min_risk.rank() <= risk.rank())
        .collect();
    due.sort_by_key(|p| (p.level, p.id));
    due
}

/// The whole approval from each level's verdict, in level order: rejected as soon as one level
/// is, approved when all are, else pending at the first undecided level.
pub fn overall(levels: &[(i64, Verdict)]) -> (Verdict, Option<i64>) {
    let mut sorted = levels.to_vec();
    sorted.sort_by_key(|(l, _)| *l);
    for (level, verdict) in sorted {
        match verdict {
            Verdict::Approved => {}
            Verdict::Rejected => return (Verdict::Rejected, Some(level)),
            Verdict::Pending => return (Verdict::Pending, Some(level)),
        }
    }
    (Verdict::Approved, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_decide_levels() {
        let any = GroupRule::parse("any", None).unwrap();
        let all = GroupRule::parse("all", None).unwrap();
        let two = GroupRule::parse("quorum", Some(2)).unwrap();
        let cases = [
            (any, (3, 0, 0), Verdict::Pending),
            (any, (3, 1, 0), Verdict::Approved),
            (any, (3, 0, 1), Verdict::Rejected),
            (all, (3, 2, 0), Verdict::Pending),
            (all, (3, 3, 0), Verdict::Approved),
            (all, (3, 2, 1), Verdict::Rejected),
            (two, (3, 1, 0), Verdict::Pending),
            (two, (3, 2, 1), Verdict::Approved),
            (two, (3, 1, 1), Verdict::Pending),
            (two, (3, 0, 2), Verdict::Rejected),
        ];
        for (rule, (m, a, r), expected) in cases {
            assert_eq!(rule.verdict(m, a, r), expected, "{rule:?} {m} {a} {r}");
        }
        assert_eq!(GroupRule::parse("quorum", None).unwrap_err().field, "quorum");
        assert_eq!(GroupRule::parse("most", None).unwrap_err().field, "rule");
    }

    #[test]
    fn risk_picks_the_levels() {
        let p = |id, t, min, level| ApprovalPolicy { id, change_type: t, min_risk: min, level, group_id: id };
        let policies = [
            p(1, ChangeType::Normal, RiskClass::Low, 1),
            p(2, ChangeType::Normal, RiskClass::High, 2),
            p(3, ChangeType::Emergency, RiskClass::Low, 1),
        ];
        let ids = |v: Vec<&ApprovalPolicy>| v.iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(required(&policies, ChangeType::Normal, RiskClass::Medium)), vec![1]);
        assert_eq!(ids(required(&policies, ChangeType::Normal, RiskClass::High)), vec![1, 2]);
        assert_eq!(ids(required(&policies, ChangeType::Emergency, RiskClass::High)), vec![3]);
        assert!(required(&policies, ChangeType::Standard, RiskClass::High).is_empty());
    }

    #[test]
    fn levels_in_order() {
        use Verdict::*;
        assert_eq!(overall(&[(2, Pending), (1, Approved)]), (Pending, Some(2)));
        assert_eq!(overall(&[(1, Pending), (2, Rejected)]), (Pending, Some(1)));
        assert_eq!(overall(&[(1, Rejected)]), (Rejected, Some(1)));
        assert_eq!(overall(&[(1, Approved), (2, Approved)]), (Approved, None));
        assert_eq!(overall(&[]), (Approved, None));
    }
}
