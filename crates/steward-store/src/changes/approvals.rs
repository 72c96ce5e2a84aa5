//! Approver groups, approval policies, the approvals a change asked for, decisions, mailed
//! links, delegations and the risk questionnaire.

use jiff::Timestamp;
use sqlx::Row;
use steward_core::changes::{ApprovalPolicy, ChangeType, Decision, GroupRule, Question, RiskClass, Verdict};
use steward_core::ids::{TicketId, UserId};

use super::corrupt;
use crate::{Result, Store, Tx, from_ms, from_ms_opt, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: i64,
    pub name: String,
    pub rule: GroupRule,
    pub members: Vec<UserId>,
}

/// One level and group a change asked to approve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub change_id: TicketId,
    pub level: i64,
    pub group_id: i64,
    pub requested_at: Timestamp,
    pub reminded_at: Option<Timestamp>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub level: i64,
    pub group_id: i64,
    /// The member it counts for.
    pub user_id: UserId,
    /// Who decided (a delegate, or the member).
    pub decided_by: UserId,
    pub decision: Decision,
    pub comment: String,
    pub via: String,
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub change_id: TicketId,
    pub level: i64,
    pub group_id: i64,
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationRecord {
    pub id: i64,
    pub user_id: UserId,
    pub delegate_id: UserId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

pub(crate) fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Pending => "pending",
        Verdict::Approved => "approved",
        Verdict::Rejected => "rejected",
    }
}

pub(crate) fn verdict_of(s: &str) -> Result<Verdict> {
    match s {
        "pending" => Ok(Verdict::Pending),
        "approved" => Ok(Verdict::Approved),
        "rejected" => Ok(Verdict::Rejected),
        other => Err(corrupt(format!("verdict {other}"))),
    }
}

fn delegation_of(r: (i64, i64, i64, i64, i64)) -> Result<DelegationRecord> {
    Ok(DelegationRecord {
        id: r.0,
        user_id: UserId(r.1),
        delegate_id: UserId(r.2),
        starts_at: from_ms(r.3)?,
        ends_at: from_ms(r.4)?,
    })
}

impl Store {
    pub async fn approver_groups(&self) -> Result<Vec<GroupRecord>> {
        let mut conn = self.reader().await?;
        let rows: Vec<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, name, rule, quorum FROM approver_groups ORDER BY name")
                .fetch_all(&mut *conn)
                .await?;
        let members: Vec<(i64, i64)> =
            sqlx::query_as("SELECT group_id, user_id FROM approver_members ORDER BY group_id, user_id")
                .fetch_all(&mut *conn)
                .await?;
        rows.into_iter()
            .map(|(id, name, rule, quorum)| {
                Ok(GroupRecord {
                    id,
                    name,
                    rule: GroupRule::parse(&rule, Some(quorum)).map_err(corrupt)?,
                    members: members.iter().filter(|m| m.0 == id).map(|m| UserId(m.1)).collect(),
                })
            })
            .collect()
    }

    pub async fn approval_policies(&self) -> Result<Vec<ApprovalPolicy>> {
        let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, change_type, min_risk, level, group_id FROM approval_policies ORDER BY level, id",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(id, t, min, level, group_id)| {
                Ok(ApprovalPolicy {
                    id,
                    change_type: ChangeType::parse(&t).map_err(corrupt)?,
                    min_risk: RiskClass::parse(&min).map_err(corrupt)?,
                    level,
                    group_id,
                })
            })
            .collect()
    }

    pub async fn change_approvals(&self, change: TicketId) -> Result<Vec<ApprovalRecord>> {
        let rows: Vec<(i64, i64, i64, i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT change_id, level, group_id, requested_at, reminded_at, verdict FROM change_approvals \
             WHERE change_id = $1 ORDER BY level, group_id",
        )
        .bind(change.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(approval_of).collect()
    }

    /// Approvals still pending, requested before `before` and not reminded since then.
    pub async fn approvals_to_remind(&self, before: Timestamp) -> Result<Vec<ApprovalRecord>> {
        let rows: Vec<(i64, i64, i64, i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT change_id, level, group_id, requested_at, reminded_at, verdict FROM change_approvals \
             WHERE verdict = 'pending' AND COALESCE(reminded_at, requested_at) < $1 ORDER BY requested_at LIMIT 500",
        )
        .bind(to_ms(before))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(approval_of).collect()
    }

    pub async fn approval_decisions(&self, change: TicketId) -> Result<Vec<DecisionRecord>> {
        let rows = sqlx::query(
            "SELECT level, group_id, user_id, decided_by, decision, comment, via, decided_at FROM approval_decisions \
             WHERE change_id = $1 ORDER BY decided_at, level",
        )
        .bind(change.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DecisionRecord {
                    level: r.try_get("level")?,
                    group_id: r.try_get("group_id")?,
                    user_id: UserId(r.try_get("user_id")?),
                    decided_by: UserId(r.try_get("decided_by")?),
                    decision: Decision::parse(&r.try_get::<String, _>("decision")?).map_err(corrupt)?,
                    comment: r.try_get("comment")?,
                    via: r.try_get("via")?,
                    decided_at: from_ms(r.try_get("decided_at")?)?,
                })
            })
            .collect()
    }

    pub async fn approval_link(&self, token_hash: &str) -> Result<Option<LinkRecord>> {
        let row: Option<(i64, i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT change_id, level, group_id, user_id, expires_at, used_at FROM approval_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|(c, level, group_id, user, expires, used)| {
            Ok(LinkRecord {
                change_id: TicketId(c),
                level,
                group_id,
                user_id: UserId(user),
                expires_at: from_ms(expires)?,
                used_at: from_ms_opt(used)?,
            })
        })
        .transpose()
    }

    /// Delegations in force at `at` to `delegate` (whom they may decide for).
    pub async fn delegations_to(&self, delegate: UserId, at: Timestamp) -> Result<Vec<DelegationRecord>> {
        let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, user_id, delegate_id, starts_at, ends_at FROM delegations \
             WHERE delegate_id = $1 AND starts_at <= $2 AND ends_at > $2 ORDER BY id",
        )
        .bind(delegate.get())
        .bind(to_ms(at))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(delegation_of).collect()
    }

    /// Every delegation still to end after `at`.
    pub async fn delegations(&self, at: Timestamp) -> Result<Vec<DelegationRecord>> {
        let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, user_id, delegate_id, starts_at, ends_at FROM delegations WHERE ends_at > $1 ORDER BY starts_at, id",
        )
        .bind(to_ms(at))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(delegation_of).collect()
    }

    pub async fn risk_questions(&self) -> Result<Vec<Question>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, text, options FROM risk_questions ORDER BY position, id")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        rows.into_iter()
            .map(|(id, text, options)| Question::parse(id, &text, &options).map_err(corrupt))
            .collect()
    }
}

fn approval_of(r: (i64, i64, i64, i64, Option<i64>, String)) -> Result<ApprovalRecord> {
    Ok(ApprovalRecord {
        change_id: TicketId(r.0),
        level: r.1,
        group_id: r.2,
        requested_at: from_ms(r.3)?,
        reminded_at: from_ms_opt(r.4)?,
        verdict: verdict_of(&r.5)?,
    })
}

impl Tx {
    pub async fn insert_approver_group(
        &mut self,
        now: Timestamp,
        name: &str,
        rule: GroupRule,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO approver_groups (name, rule, quorum, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(rule.rule.as_str())
        .bind(rule.quorum)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn update_approver_group(
        &mut self,
        id: i64,
        rule: GroupRule,
        members: &[UserId],
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE approver_groups SET rule = $1, quorum = $2 WHERE id = $3")
            .bind(rule.rule.as_str())
            .bind(rule.quorum)
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM approver_members WHERE group_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        for m in members {
            sqlx::query("INSERT INTO approver_members (group_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(m.get())
                .execute(self.conn().await?)
                .await?;
        }
        Ok(true)
    }

    pub async fn insert_approval_policy(&mut self, p: &ApprovalPolicy) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO approval_policies (change_type, min_risk, level, group_id) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(p.change_type.as_str())
        .bind(p.min_risk.as_str())
        .bind(p.level)
        .bind(p.group_id)
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_approval_policy(&mut self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM approval_policies WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a change's approvals (a new assessment asks again); decisions go with them.
    pub async fn reset_approvals(
        &mut self,
        now: Timestamp,
        change: TicketId,
        due: &[(i64, i64)],
    ) -> Result<()> {
        for table in ["approval_decisions", "approval_links", "change_approvals"] {
            let sql = format!("DELETE FROM {table} WHERE change_id = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(change.get()).execute(self.conn().await?).await?;
        }
        for (level, group) in due {
            sqlx::query(
                "INSERT INTO change_approvals (change_id, level, group_id, requested_at, verdict) \
                 VALUES ($1, $2, $3, $4, 'pending')",
            )
            .bind(change.get())
            .bind(level)
            .bind(group)
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?;
        }
        Ok(())
    }

    pub async fn set_approval_verdict(
        &mut self,
        change: TicketId,
        level: i64,
        group: i64,
        v: Verdict,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE change_approvals SET verdict = $1 WHERE change_id = $2 AND level = $3 AND group_id = $4",
        )
        .bind(verdict_str(v))
        .bind(change.get())
        .bind(level)
        .bind(group)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn mark_approval_reminded(
        &mut self,
        now: Timestamp,
        change: TicketId,
        level: i64,
        group: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE change_approvals SET reminded_at = $1 WHERE change_id = $2 AND level = $3 AND group_id = $4")
            .bind(to_ms(now))
            .bind(change.get())
            .bind(level)
            .bind(group)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Records a decision; `Duplicate` when the member already decided at that level.
    pub async fn insert_decision(&mut self, change: TicketId, d: &DecisionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO approval_decisions (change_id, level, group_id, user_id, decided_by, decision, comment, via, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(change.get())
        .bind(d.level)
        .bind(d.group_id)
        .bind(d.user_id.get())
        .bind(d.decided_by.get())
        .bind(d.decision.as_str())
        .bind(&d.comment)
        .bind(&d.via)
        .bind(to_ms(d.decided_at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn insert_approval_link(&mut self, token_hash: &str, l: &LinkRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO approval_links (token_hash, change_id, level, group_id, user_id, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(l.change_id.get())
        .bind(l.level)
        .bind(l.group_id)
        .bind(l.user_id.get())
        .bind(to_ms(l.expires_at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Uses a link once: false when it was used already (or raced).
    pub async fn use_approval_link(&mut self, now: Timestamp, token_hash: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE approval_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
                .bind(to_ms(now))
                .bind(token_hash)
                .execute(self.conn().await?)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_delegation(&mut self, d: &DelegationRecord) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO delegations (user_id, delegate_id, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(d.user_id.get())
        .bind(d.delegate_id.get())
        .bind(to_ms(d.starts_at))
        .bind(to_ms(d.ends_at))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Ends a delegation of `user` now; false when none such runs or is to come.
    pub async fn end_delegation(&mut self, now: Timestamp, id: i64, user: Option<UserId>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE delegations SET ends_at = $1 WHERE id = $2 AND ends_at > $1 AND ($3 = 0 OR user_id = $3)",
        )
        .bind(to_ms(now))
        .bind(id)
        .bind(user.map_or(0, UserId::get))
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_risk_question(&mut self, q: &Question) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO risk_questions (position, text, options) \
             VALUES ((SELECT COALESCE(MAX(position), 0) + 1 FROM risk_questions), $1, $2) RETURNING id",
        )
        .bind(&q.text)
        .bind(q.options_text())
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_risk_question(&mut self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM risk_questions WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
