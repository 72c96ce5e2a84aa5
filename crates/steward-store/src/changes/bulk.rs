//! Bulk loading of synthetic scheduled changes, for the change benchmark: rows generated inside
//! the database (as `tickets/bulk.rs` does for incidents), two CIs each. No events: fixtures.

use jiff::Timestamp;
use steward_core::ids::{CiId, UserId};

use crate::{Backend, Result, Store, to_ms};

impl Store {
    /// Inserts `count` standard changes of model `model_id` at its step `schedule`, booked on the
    /// calendar with two-hour windows spread over `span_ms` from `from`, each on two CIs of the
    /// `ci_count` CIs from `first_ci` (ids consecutive), one in fifty implemented by `implementer`.
    #[allow(clippy::too_many_arguments)]
    pub async fn bulk_load_changes(
        &self,
        count: i64,
        first_ci: CiId,
        ci_count: i64,
        requester: UserId,
        implementer: UserId,
        model_id: i64,
        from: Timestamp,
        span_ms: i64,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let start: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(next), 1) FROM ticket_counters WHERE kind = 'change'")
                .fetch_one(tx.conn().await?)
                .await?;
        let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM tickets")
            .fetch_one(tx.conn().await?)
            .await?;
        let (series, number) = match self.backend {
            Backend::Sqlite => (
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) SELECT n FROM seq",
                "'CHG' || printf('%06d', n + $2 - 1)",
            ),
            Backend::Postgres => (
                "SELECT n FROM generate_series(1, $1::bigint) AS n",
                "'CHG' || CASE WHEN n + $2 - 1 < 1000000 THEN lpad((n + $2 - 1)::text, 6, '0') ELSE (n + $2 - 1)::text END",
            ),
        };
        let now = to_ms(Timestamp::now());
        let sql = format!(
            "INSERT INTO tickets (kind, number, title, description, requester_id, impact, urgency, priority, \
             assignee_id, state, created_at, updated_at, version) \
             SELECT 'change', {number}, 'Change ' || n, '', $3, 3, 3, 5, \
                    CASE WHEN n % 50 = 0 THEN $4 END, 'scheduled', $5, $5, 1 FROM ({series}) AS s"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(count)
            .bind(start)
            .bind(requester.get())
            .bind(implementer.get())
            .bind(now)
            .execute(tx.conn().await?)
            .await?;
        sqlx::query(
            "INSERT INTO changes (ticket_id, change_type, model_id, model_version, step, planned_start, planned_end, booked) \
             SELECT id, 'standard', $1, 1, 'schedule', $2 + (id * 2654435761) % $3, $2 + (id * 2654435761) % $3 + 7200000, 1 \
             FROM tickets WHERE id > $4",
        )
        .bind(model_id)
        .bind(to_ms(from))
        .bind(span_ms)
        .bind(before)
        .execute(tx.conn().await?)
        .await?;
        for prime in [104_729_i64, 1_299_709] {
            sqlx::query(
                "INSERT INTO ticket_cis (ticket_id, ci_id) SELECT id, $1 + (id * $2) % $3 FROM tickets WHERE id > $4 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(first_ci.get())
            .bind(prime)
            .bind(ci_count)
            .bind(before)
            .execute(tx.conn().await?)
            .await?;
        }
        sqlx::query("INSERT INTO ticket_counters (kind, next) VALUES ('change', $1) ON CONFLICT (kind) DO UPDATE SET next = $1")
            .bind(start + count)
            .execute(tx.conn().await?)
            .await?;
        if self.backend == Backend::Sqlite {
            let sql = format!("{};", crate::tickets::INDEX_PENDING_TITLES);
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(tx.conn().await?).await?;
        }
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(&mut *self.writer().await?).await?;
        Ok(done.rows_affected())
    }
}
