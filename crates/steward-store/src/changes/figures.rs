//! The change figures over a period, counted in the database.

use jiff::Timestamp;
use steward_core::changes::ChangeCounts;

use crate::{Result, Store, to_ms};

/// A day in milliseconds: how long after a change's start an incident on its CI counts.
const DAY_MS: i64 = 24 * 3_600_000;

impl Store {
    pub async fn change_counts(&self, from: Timestamp, to: Timestamp) -> Result<ChangeCounts> {
        let (from, to) = (to_ms(from), to_ms(to));
        let mut conn = self.reader().await?;
        let (raised, emergency): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.change_type = 'emergency' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM changes c JOIN tickets t ON t.id = c.ticket_id WHERE t.created_at >= $1 AND t.created_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let (completed, successful, failed, deployments): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'successful' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN outcome IN ('failed', 'backed_out') THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN version <> '' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM changes WHERE outcome IS NOT NULL AND completed_at >= $1 AND completed_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let caused_incidents: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT c.ticket_id) FROM changes c \
             JOIN ticket_cis x ON x.ticket_id = c.ticket_id \
             JOIN ticket_cis y ON y.ci_id = x.ci_id AND y.ticket_id <> c.ticket_id \
             JOIN tickets i ON i.id = y.ticket_id AND i.kind = 'incident' \
             WHERE c.outcome IS NOT NULL AND c.completed_at >= $1 AND c.completed_at < $2 \
             AND i.created_at >= c.started_at AND i.created_at < c.started_at + $3",
        )
        .bind(from)
        .bind(to)
        .bind(DAY_MS)
        .fetch_one(&mut *conn)
        .await?;
        let (approvals, approval_ms): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(d.last - a.requested_at), 0) AS BIGINT) FROM change_approvals a \
             JOIN (SELECT change_id, level, group_id, MAX(decided_at) AS last FROM approval_decisions \
                   GROUP BY change_id, level, group_id) d \
             ON d.change_id = a.change_id AND d.level = a.level AND d.group_id = a.group_id \
             WHERE a.verdict = 'approved' AND d.last >= $1 AND d.last < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        Ok(ChangeCounts {
            raised,
            emergency,
            completed,
            successful,
            failed,
            deployments,
            caused_incidents,
            approvals,
            approval_ms,
        })
    }
}
