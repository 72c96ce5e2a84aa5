//! Just-in-time grants, and the approved changes whose windows give authority over their CIs.

use jiff::Timestamp;
use steward_core::ids::{CiId, UserId};
use steward_core::runbooks::{Grant, GrantState, Window};

use super::corrupt;
use crate::{Result, Store, Tx, from_ms, from_ms_opt, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub grant: Grant,
    pub username: String,
    pub reason: String,
    pub minutes: i64,
    pub requested_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub comment: String,
    /// The CIs' names, in the order of `grant.cis`.
    pub ci_names: Vec<String>,
}

type GrantRow =
    (i64, i64, String, String, i64, String, i64, Option<String>, Option<i64>, Option<i64>, String);

const GRANT_SQL: &str = "SELECT g.id, g.user_id, u.username, g.reason, g.minutes, g.state, g.requested_at, d.username, \
    g.decided_at, g.expires_at, g.comment FROM jit_grants g JOIN users u ON u.id = g.user_id \
    LEFT JOIN users d ON d.id = g.decided_by";

impl Store {
    async fn grants_of(&self, rows: Vec<GrantRow>) -> Result<Vec<GrantRecord>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let cis: Vec<(i64, String)> = sqlx::query_as(
                "SELECT c.id, c.name FROM jit_grant_cis g JOIN cis c ON c.id = g.ci_id WHERE g.grant_id = $1 ORDER BY c.name",
            )
            .bind(r.0)
            .fetch_all(&mut *self.reader().await?)
            .await?;
            let requested_at = from_ms(r.6)?;
            out.push(GrantRecord {
                grant: Grant {
                    id: r.0,
                    user: UserId(r.1),
                    cis: cis.iter().map(|c| CiId(c.0)).collect(),
                    state: GrantState::parse(&r.5).map_err(corrupt)?,
                    // Not approved yet: it would expire `minutes` after approval.
                    expires_at: from_ms_opt(r.9)?.unwrap_or(requested_at),
                },
                username: r.2,
                reason: r.3,
                minutes: r.4,
                requested_at,
                decided_by: r.7,
                decided_at: from_ms_opt(r.8)?,
                comment: r.10,
                ci_names: cis.into_iter().map(|c| c.1).collect(),
            });
        }
        Ok(out)
    }

    /// Grants newest first: one user's, or everyone's.
    pub async fn grants(&self, user: Option<UserId>) -> Result<Vec<GrantRecord>> {
        let sql = format!("{GRANT_SQL} WHERE g.user_id = $1 OR $1 = 0 ORDER BY g.id DESC LIMIT 200");
        let rows: Vec<GrantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user.map_or(0, |u| u.get()))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        self.grants_of(rows).await
    }

    pub async fn grant(&self, id: i64) -> Result<Option<GrantRecord>> {
        let sql = format!("{GRANT_SQL} WHERE g.id = $1");
        let rows: Vec<GrantRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(&mut *self.reader().await?).await?;
        Ok(self.grants_of(rows).await?.into_iter().next())
    }

    /// The user's approved grants that have not expired at `now`.
    pub async fn active_grants(&self, user: UserId, now: Timestamp) -> Result<Vec<Grant>> {
        let sql = format!("{GRANT_SQL} WHERE g.user_id = $1 AND g.state = 'approved' AND g.expires_at > $2");
        let rows: Vec<GrantRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user.get())
            .bind(to_ms(now))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        Ok(self.grants_of(rows).await?.into_iter().map(|g| g.grant).collect())
    }

    /// Approved changes (scheduled or being implemented) whose window holds `now`, with their
    /// CIs.
    pub async fn open_change_windows(&self, now: Timestamp) -> Result<Vec<Window>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT t.id, t.number, c.planned_start, c.planned_end FROM changes c JOIN tickets t ON t.id = c.ticket_id \
             WHERE t.state IN ('scheduled', 'implementation') AND c.planned_start <= $1 AND c.planned_end > $1",
        )
        .bind(to_ms(now))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, number, start, end) in rows {
            let cis: Vec<i64> = sqlx::query_scalar("SELECT ci_id FROM ticket_cis WHERE ticket_id = $1")
                .bind(id)
                .fetch_all(&mut *self.reader().await?)
                .await?;
            out.push(Window {
                change: number,
                cis: cis.into_iter().map(CiId).collect(),
                start: from_ms(start)?,
                end: from_ms(end)?,
            });
        }
        Ok(out)
    }
}

impl Tx {
    pub async fn insert_grant(
        &mut self,
        now: Timestamp,
        user: UserId,
        cis: &[CiId],
        reason: &str,
        minutes: i64,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jit_grants (user_id, reason, minutes, state, requested_at) VALUES ($1, $2, $3, 'requested', $4) \
             RETURNING id",
        )
        .bind(user.get())
        .bind(reason)
        .bind(minutes)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        for ci in cis {
            sqlx::query("INSERT INTO jit_grant_cis (grant_id, ci_id) VALUES ($1, $2)")
                .bind(id)
                .bind(ci.get())
                .execute(self.conn().await?)
                .await?;
        }
        Ok(id)
    }

    /// Decides a requested grant (or revokes an approved one); false when it was not in `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_grant(
        &mut self,
        id: i64,
        from: GrantState,
        to: GrantState,
        by: UserId,
        at: Timestamp,
        expires_at: Option<Timestamp>,
        comment: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jit_grants SET state = $3, decided_by = $4, decided_at = $5, \
             expires_at = COALESCE($6, expires_at), comment = $7 WHERE id = $1 AND state = $2",
        )
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(by.get())
        .bind(to_ms(at))
        .bind(expires_at.map(to_ms))
        .bind(comment)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
