//! The job queue: durable work enqueued in the same transaction as the change that caused it.
//!
//! A claimed job is leased to one worker until `locked_until`; a worker that dies simply lets
//! the lease run out and another claims the job again, so every job must be safe to run twice.
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so nodes never wait on each other; SQLite has
//! one writer, which makes the claim atomic by itself.

use jiff::Timestamp;
use sqlx::Row;
use steward_core::jobs::AfterFailure;

use crate::{Backend, Result, Store, Tx, to_ms};

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: u32,
    /// At most one pending job per key: enqueueing a duplicate is a no-op.
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Attempts so far, counting the one this claim starts.
    pub attempts: u32,
    pub max_attempts: u32,
}

impl Tx {
    /// Enqueues a job; returns its id, or `None` when a job with the same dedupe key is pending.
    pub async fn enqueue_job(&mut self, now: Timestamp, job: &NewJob) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(job.kind)
        .bind(job.payload.to_string())
        .bind(&job.dedupe_key)
        .bind(to_ms(job.run_at))
        .bind(i64::from(job.max_attempts))
        .bind(to_ms(now))
        .fetch_optional(self.conn().await?)
        .await?;
        Ok(id)
    }
}

impl Store {
    /// Leases up to `limit` due jobs to `worker` for `lease_ms`.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM jobs \
                          WHERE dead_at IS NULL AND run_at <= $3 \
                            AND (locked_until IS NULL OR locked_until < $3) \
                          ORDER BY run_at, id LIMIT $4 {lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(to_ms(now) + lease_ms)
            .bind(to_ms(now))
            .bind(limit)
            .fetch_all(&mut *self.writer().await?)
            .await?;
        let mut jobs = rows
            .iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                Ok(Job {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| crate::StoreError::Corrupt(format!("job payload: {e}")))?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    max_attempts: u32::try_from(row.try_get::<i64, _>("max_attempts")?).unwrap_or(1),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Removes a finished job, if this worker still holds its lease.
    pub async fn complete_job(&self, id: i64, worker: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
            .bind(id)
            .bind(worker)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: schedules the retry, or keeps the job as dead.
    pub async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        now: Timestamp,
        error: &str,
        after: AfterFailure,
    ) -> Result<()> {
        let error: String = error.chars().take(2000).collect();
        let (run_at, dead_at) = match after {
            AfterFailure::RetryIn { delay_ms } => (Some(to_ms(now) + delay_ms), None),
            AfterFailure::GiveUp => (None, Some(to_ms(now))),
        };
        sqlx::query(
            // A dead job gives up its dedupe key, so the work can be enqueued afresh.
            "UPDATE jobs SET locked_by = NULL, locked_until = NULL, last_error = $1, \
             run_at = COALESCE($2, run_at), dead_at = $3, \
             dedupe_key = CASE WHEN $3 IS NULL THEN dedupe_key ELSE NULL END \
             WHERE id = $4 AND locked_by = $5",
        )
        .bind(error)
        .bind(run_at)
        .bind(dead_at)
        .bind(id)
        .bind(worker)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// Jobs waiting or running, and jobs given up; tests check the queue is left empty.
    pub async fn job_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
                    COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 0 ELSE 1 END), 0) AS dead FROM jobs",
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok((row.try_get("pending")?, row.try_get("dead")?))
    }
}
