//! Setting up change management: approver groups and who must approve what, the risk
//! questionnaire, freezes, CIs' weekly change slots, and delegations while away.

use jiff::Timestamp;
use steward_core::changes::{ApprovalPolicy, ChangeType, GroupRule, Question, RiskClass, Slot, Window};
use steward_core::identity::Permission;
use steward_core::ids::{CiId, UserId};
use steward_store::{DelegationRecord, FreezeRecord, GroupRecord};

use crate::{Actor, AppError, Result};

/// A freeze as typed.
#[derive(Debug, Clone)]
pub struct NewFreeze {
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub reason: String,
}

fn name(field: &'static str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 80 || t.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "a name of 1–80 characters"));
    }
    Ok(t.to_owned())
}

impl crate::Changes<'_> {
    pub async fn groups(self, actor: &Actor) -> Result<Vec<GroupRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.approver_groups().await?)
    }

    /// Creates or redefines a group by name: its rule and members (every member must exist
    /// and be active).
    pub async fn save_group(
        self,
        actor: &Actor,
        group: &str,
        rule: &str,
        quorum: Option<i64>,
        members: &[UserId],
    ) -> Result<GroupRecord> {
        actor.require(Permission::ManageChanges)?;
        let group = name("name", group)?;
        let rule = GroupRule::parse(rule, quorum).map_err(AppError::from)?;
        let mut members = members.to_vec();
        members.sort_unstable();
        members.dedup();
        for m in &members {
            if self.store.user(*m).await?.is_none_or(|u| u.disabled) {
                return Err(AppError::invalid("members", format!("there is no active user {m}")));
            }
        }
        if rule.quorum > members.len() as i64 && !members.is_empty() {
            return Err(AppError::invalid("quorum", "the quorum is larger than the group"));
        }
        let existing = self.store.approver_groups().await?.into_iter().find(|g| g.name == group);
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = match existing {
            Some(g) => g.id,
            None => tx.insert_approver_group(at, &group, rule).await?,
        };
        tx.update_approver_group(id, rule, &members).await?;
        tx.commit().await?;
        let saved = self.store.approver_groups().await?.into_iter().find(|g| g.id == id);
        saved.ok_or(AppError::NotFound("approver group"))
    }

    pub async fn policies(self, actor: &Actor) -> Result<Vec<ApprovalPolicy>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.approval_policies().await?)
    }

    pub async fn add_policy(
        self,
        actor: &Actor,
        change_type: &str,
        min_risk: &str,
        level: i64,
        group_id: i64,
    ) -> Result<ApprovalPolicy> {
        actor.require(Permission::ManageChanges)?;
        let change_type = ChangeType::parse(change_type).map_err(AppError::from)?;
        if change_type == ChangeType::Standard {
            return Err(AppError::invalid("change_type", "standard changes are pre-approved"));
        }
        let min_risk = RiskClass::parse(min_risk).map_err(AppError::from)?;
        if !(1..=9).contains(&level) {
            return Err(AppError::invalid("level", "levels are 1 to 9"));
        }
        if !self.store.approver_groups().await?.iter().any(|g| g.id == group_id) {
            return Err(AppError::invalid("group_id", format!("there is no approver group {group_id}")));
        }
        let mut p = ApprovalPolicy { id: 0, change_type, min_risk, level, group_id };
        let mut tx = self.store.begin().await?;
        p.id = tx.insert_approval_policy(&p).await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn delete_policy(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageChanges)?;
        let mut tx = self.store.begin().await?;
        if !tx.delete_approval_policy(id).await? {
            return Err(AppError::NotFound("approval policy"));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_question(self, actor: &Actor, text: &str, options: &str) -> Result<Question> {
        actor.require(Permission::ManageChanges)?;
        let mut q = Question::parse(0, text, options).map_err(AppError::from)?;
        let mut tx = self.store.begin().await?;
        q.id = tx.insert_risk_question(&q).await?;
        tx.commit().await?;
        Ok(q)
    }

    pub async fn delete_question(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageChanges)?;
        let mut tx = self.store.begin().await?;
        if !tx.delete_risk_question(id).await? {
            return Err(AppError::NotFound("risk question"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Freezes still to end after now (with `all`: every one from a year back).
    pub async fn freezes(self, actor: &Actor) -> Result<Vec<FreezeRecord>> {
        actor.require(Permission::WorkTickets)?;
        let now = self.now();
        Ok(self.store.freezes(now, now + jiff::SignedDuration::from_hours(24 * 3660)).await?)
    }

    pub async fn add_freeze(self, actor: &Actor, f: NewFreeze) -> Result<FreezeRecord> {
        actor.require(Permission::ManageChanges)?;
        let fname = name("name", &f.name)?;
        let window = Window::between(f.start, f.end).map_err(AppError::from)?;
        if window.end <= self.now() {
            return Err(AppError::invalid("planned_end", "the freeze lies in the past"));
        }
        let reason =
            steward_core::tickets::parse_description("reason", f.reason.trim()).map_err(AppError::from)?;
        let reason = reason.as_str();
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid("reason", "at most 1000 characters"));
        }
        let by = actor.user.username.as_str();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_freeze(self.now(), &fname, window, reason, by).await?;
        tx.commit().await?;
        Ok(FreezeRecord { id, name: fname, window, reason: reason.to_owned(), created_by: by.to_owned() })
    }

    pub async fn delete_freeze(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageChanges)?;
        let mut tx = self.store.begin().await?;
        if tx.delete_freeze(id).await?.is_none() {
            return Err(AppError::NotFound("freeze"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the weekly slots a CI accepts changes in (none: any time), e.g. `sat,sun 01:00-05:00`.
    pub async fn set_slots(self, actor: &Actor, ci: CiId, slots: &[String]) -> Result<Vec<Slot>> {
        actor.require(Permission::WriteCmdb)?;
        if slots.len() > 14 {
            return Err(AppError::invalid("maintenance_slot", "at most 14 slots per CI"));
        }
        if self.store.ci(ci).await?.is_none() {
            return Err(AppError::NotFound("CI"));
        }
        let parsed: Vec<Slot> = slots
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| Slot::parse(s).map_err(AppError::from))
            .collect::<Result<_>>()?;
        if parsed.len() > 14 {
            return Err(AppError::invalid("maintenance_slot", "at most 14 slots per CI"));
        }
        let mut tx = self.store.begin().await?;
        tx.set_ci_slots(ci, &parsed).await?;
        tx.commit().await?;
        Ok(parsed)
    }

    pub async fn slots(self, actor: &Actor, ci: CiId) -> Result<Vec<Slot>> {
        actor.require(Permission::ReadCmdb)?;
        Ok(self.store.ci_slots(&[ci]).await?.into_iter().map(|s| s.1).collect())
    }

    /// Lets `delegate` decide for the actor between two instants (admins and change managers
    /// may set one for anyone).
    pub async fn delegate(
        self,
        actor: &Actor,
        user: Option<UserId>,
        delegate: UserId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<DelegationRecord> {
        actor.require(Permission::ReadTickets)?;
        let user = match user {
            Some(u) if u != actor.user.id => {
                actor.require(Permission::ManageChanges)?;
                u
            }
            _ => actor.user.id,
        };
        if delegate == user {
            return Err(AppError::invalid("delegate_id", "one cannot stand in for oneself"));
        }
        if self.store.user(delegate).await?.is_none_or(|u| u.disabled) {
            return Err(AppError::invalid("delegate_id", format!("there is no active user {delegate}")));
        }
        let window =
            Window::parse(start, end, self.now()).map_err(|e| AppError::invalid("ends_at", e.message))?;
        let mut d = DelegationRecord {
            id: 0,
            user_id: user,
            delegate_id: delegate,
            starts_at: window.start,
            ends_at: window.end,
        };
        let mut tx = self.store.begin().await?;
        d.id = tx.insert_delegation(&d).await?;
        tx.commit().await?;
        Ok(d)
    }

    pub async fn delegations(self, actor: &Actor) -> Result<Vec<DelegationRecord>> {
        actor.require(Permission::ReadTickets)?;
        let all = self.store.delegations(self.now()).await?;
        if actor.can(Permission::ManageChanges) {
            return Ok(all);
        }
        Ok(all.into_iter().filter(|d| d.user_id == actor.user.id || d.delegate_id == actor.user.id).collect())
    }

    pub async fn end_delegation(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ReadTickets)?;
        let only = (!actor.can(Permission::ManageChanges)).then_some(actor.user.id);
        let mut tx = self.store.begin().await?;
        if !tx.end_delegation(self.now(), id, only).await? {
            return Err(AppError::NotFound("delegation"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The change figures of the `days` before now (ITIL's and DORA's).
    pub async fn figures(self, actor: &Actor, days: i64) -> Result<steward_core::changes::ChangeCounts> {
        // Report readers, and `/metrics` scrapers (whose tokens may hold only that scope).
        if !actor.can(Permission::ReadMetrics) {
            actor.require(Permission::ReadReports)?;
        }
        if !(1..=3660).contains(&days) {
            return Err(AppError::invalid("days", "1 to 3660 days"));
        }
        let now = self.now();
        Ok(self.store.change_counts(now - jiff::SignedDuration::from_hours(24 * days), now).await?)
    }
}
