//! Runs: asked for, claimed by one node (a conditional UPDATE, within the runbook's and each
//! target's concurrency), their steps, output chunks, artefacts and approvals.

use jiff::Timestamp;
use steward_core::runbooks::{RunState, StepState, Trigger};

use super::corrupt;
use crate::{Backend, Result, Store, Tx, from_ms, from_ms_opt, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub runbook_id: i64,
    pub version: i64,
    pub state: RunState,
    pub trigger: Trigger,
    /// JSON object: parameter → value as text (secrets by name).
    pub params: String,
    pub requested_by: Option<i64>,
    pub ci_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub change_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub schedule_id: Option<i64>,
    pub due_at: Timestamp,
    pub targets: Vec<i64>,
    /// The steps as planned: (key, name, kind, rollback).
    pub steps: Vec<(String, String, String, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: i64,
    pub runbook_id: i64,
    pub runbook: String,
    pub version: i64,
    pub state: RunState,
    pub trigger: Trigger,
    pub params: String,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub ci_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub change_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub schedule_id: Option<i64>,
    pub due_at: Timestamp,
    pub requested_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub node: Option<String>,
    pub cancel_requested: bool,
    pub detail: String,
    pub authority: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStepRecord {
    pub idx: i64,
    pub key: String,
    pub name: String,
    pub kind: String,
    pub rollback: bool,
    pub state: StepState,
    pub exit_code: Option<i64>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// JSON object of what later steps may read (`status`, `outputs`, …).
    pub outputs: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    pub seq: i64,
    pub step_idx: i64,
    pub at: Timestamp,
    pub text: String,
}

/// Which runs a list shows; `before` pages by id, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub runbook_id: Option<i64>,
    pub state: Option<RunState>,
    pub ci_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// Runs finished in a period: how many, how many succeeded, and the manual minutes they saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTotals {
    pub runs: i64,
    pub succeeded: i64,
    pub minutes_saved: i64,
}

const RUN_COLUMNS: &str = "r.id, r.runbook_id, b.name, r.version, r.state, r.run_trigger, r.params, r.requested_by, \
    u.username, r.ci_id, r.ticket_id, r.change_id, r.alert_id, r.schedule_id, r.due_at, r.requested_at, r.started_at, \
    r.finished_at, r.node, r.cancel_requested, r.detail, r.authority";
const RUN_FROM: &str =
    "FROM runbook_runs r JOIN runbooks b ON b.id = r.runbook_id LEFT JOIN users u ON u.id = r.requested_by";

fn run_of(r: &sqlx::any::AnyRow) -> Result<RunRecord> {
    use sqlx::Row;
    let state: String = r.try_get(4)?;
    let trigger: String = r.try_get(5)?;
    Ok(RunRecord {
        id: r.try_get(0)?,
        runbook_id: r.try_get(1)?,
        runbook: r.try_get(2)?,
        version: r.try_get(3)?,
        state: RunState::parse(&state).map_err(corrupt)?,
        trigger: Trigger::parse(&trigger).map_err(corrupt)?,
        params: r.try_get(6)?,
        requested_by: r.try_get(7)?,
        requested_by_name: r.try_get(8)?,
        ci_id: r.try_get(9)?,
        ticket_id: r.try_get(10)?,
        change_id: r.try_get(11)?,
        alert_id: r.try_get(12)?,
        schedule_id: r.try_get(13)?,
        due_at: from_ms(r.try_get(14)?)?,
        requested_at: from_ms(r.try_get(15)?)?,
        started_at: from_ms_opt(r.try_get(16)?)?,
        finished_at: from_ms_opt(r.try_get(17)?)?,
        node: r.try_get(18)?,
        cancel_requested: r.try_get::<i64, _>(19)? != 0,
        detail: r.try_get(20)?,
        authority: r.try_get(21)?,
    })
}

type StepRow =
    (i64, String, String, String, i64, String, Option<i64>, Option<i64>, Option<i64>, String, String);

impl Store {
    pub async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        let sql = format!("SELECT {RUN_COLUMNS} {RUN_FROM} WHERE r.id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.as_ref().map(run_of).transpose()
    }

    /// Runs newest first, one page (keyset on the id, so the page costs the same at any depth).
    pub async fn runs(&self, f: &RunFilter) -> Result<Vec<RunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} {RUN_FROM} WHERE ($1 = 0 OR r.runbook_id = $1) AND ($2 = '' OR r.state = $2) \
             AND ($3 = 0 OR r.ci_id = $3 OR r.id IN (SELECT run_id FROM runbook_run_targets WHERE ci_id = $3)) \
             AND ($4 = 0 OR r.ticket_id = $4 OR r.change_id = $4) AND r.id < $5 ORDER BY r.id DESC LIMIT $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(f.runbook_id.unwrap_or(0))
            .bind(f.state.map_or("", |s| s.as_str()))
            .bind(f.ci_id.unwrap_or(0))
            .bind(f.ticket_id.unwrap_or(0))
            .bind(f.before.unwrap_or(i64::MAX))
            .bind(f.limit.clamp(1, 500))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(run_of).collect()
    }

    pub async fn run_steps(&self, run: i64) -> Result<Vec<RunStepRecord>> {
        let rows: Vec<StepRow> = sqlx::query_as(
            "SELECT idx, step_key, name, kind, rollback, state, exit_code, started_at, finished_at, outputs, error \
             FROM runbook_run_steps WHERE run_id = $1 ORDER BY idx",
        )
        .bind(run)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(RunStepRecord {
                    idx: r.0,
                    key: r.1,
                    name: r.2,
                    kind: r.3,
                    rollback: r.4 != 0,
                    state: StepState::parse(&r.5).map_err(corrupt)?,
                    exit_code: r.6,
                    started_at: from_ms_opt(r.7)?,
                    finished_at: from_ms_opt(r.8)?,
                    outputs: r.9,
                    error: r.10,
                })
            })
            .collect()
    }

    pub async fn run_targets(&self, run: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT ci_id FROM runbook_run_targets WHERE run_id = $1 ORDER BY ci_id")
            .bind(run)
            .fetch_all(&mut *self.reader().await?)
            .await?)
    }

    /// Output chunks after `after`, at most `limit`.
    pub async fn run_output(&self, run: i64, after: i64, limit: i64) -> Result<Vec<OutputChunk>> {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT seq, step_idx, at, text FROM runbook_output WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(run)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|r| Ok(OutputChunk { seq: r.0, step_idx: r.1, at: from_ms(r.2)?, text: r.3 }))
            .collect()
    }

    /// Whether someone asked to cancel the run.
    pub async fn run_cancel_requested(&self, run: i64) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT cancel_requested FROM runbook_runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(v.unwrap_or(0) != 0)
    }

    /// (name, size) of a run's artefacts.
    pub async fn run_artifacts(&self, run: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT name, size FROM runbook_artifacts WHERE run_id = $1 ORDER BY name")
            .bind(run)
            .fetch_all(&mut *self.reader().await?)
            .await?)
    }

    pub async fn run_artifact(&self, run: i64, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT data FROM runbook_artifacts WHERE run_id = $1 AND name = $2")
            .bind(run)
            .bind(name)
            .fetch_optional(&mut *self.reader().await?)
            .await?)
    }

    /// Decisions on a run: (step key, approver id, approver name, approve, comment, at).
    pub async fn run_approvals(
        &self,
        run: i64,
    ) -> Result<Vec<(String, i64, String, bool, String, Timestamp)>> {
        let rows: Vec<(String, i64, String, i64, String, i64)> = sqlx::query_as(
            "SELECT a.step_key, a.approver, u.username, a.approve, a.comment, a.decided_at FROM runbook_approvals a \
             JOIN users u ON u.id = a.approver WHERE a.run_id = $1 ORDER BY a.decided_at",
        )
        .bind(run)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(|r| Ok((r.0, r.1, r.2, r.3 != 0, r.4, from_ms(r.5)?))).collect()
    }

    /// Runs finished in `[from, to)`, per state, with the manual minutes of the successful.
    pub async fn run_totals(&self, from: Timestamp, to: Timestamp) -> Result<RunTotals> {
        let row: (i64, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(CASE WHEN r.state = 'succeeded' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN r.state = 'succeeded' THEN b.manual_minutes ELSE 0 END) AS BIGINT) \
             FROM runbook_runs r JOIN runbooks b ON b.id = r.runbook_id \
             WHERE r.finished_at >= $1 AND r.finished_at < $2 AND r.state IN ('succeeded', 'failed')",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(RunTotals { runs: row.0, succeeded: row.1.unwrap_or(0), minutes_saved: row.2.unwrap_or(0) })
    }

    /// Runs finished in `[from, to)` per day (days start at UTC midnight shifted by
    /// `offset_ms`, the report zone's offset): (day number since the epoch, runs, succeeded,
    /// manual minutes saved).
    pub async fn run_days(
        &self,
        from: Timestamp,
        to: Timestamp,
        offset_ms: i64,
    ) -> Result<Vec<(i64, i64, i64, i64)>> {
        let rows: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT CAST((r.finished_at + $3) / 86400000 AS BIGINT) AS day, COUNT(*), \
             CAST(SUM(CASE WHEN r.state = 'succeeded' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN r.state = 'succeeded' THEN b.manual_minutes ELSE 0 END) AS BIGINT) \
             FROM runbook_runs r JOIN runbooks b ON b.id = r.runbook_id \
             WHERE r.finished_at >= $1 AND r.finished_at < $2 AND r.state IN ('succeeded', 'failed') \
             GROUP BY CAST((r.finished_at + $3) / 86400000 AS BIGINT) ORDER BY day",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .bind(offset_ms)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|r| (r.0, r.1, r.2.unwrap_or(0), r.3.unwrap_or(0))).collect())
    }

    /// Runs per state right now (for `/metrics`).
    pub async fn runs_by_state(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT state, COUNT(*) FROM runbook_runs GROUP BY state ORDER BY state")
            .fetch_all(&mut *self.reader().await?)
            .await?)
    }

    /// Claims up to `max` due queued runs for `node`, each within its runbook's concurrency and
    /// per-target concurrency; a run another node claimed first is skipped, so none runs twice.
    pub async fn claim_runs(&self, node: &str, now: Timestamp, lease_ms: i64, max: i64) -> Result<Vec<i64>> {
        if max <= 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let candidates: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.runbook_id, b.concurrency, b.target_concurrency FROM runbook_runs r \
             JOIN runbooks b ON b.id = r.runbook_id WHERE r.state = 'queued' AND r.due_at <= $1 \
             ORDER BY r.due_at, r.id LIMIT $2",
        )
        .bind(to_ms(now))
        .bind(max * 4)
        .fetch_all(tx.conn().await?)
        .await?;
        let mut claimed = Vec::new();
        let mut locked = std::collections::HashSet::new();
        for (run, runbook, concurrency, per_target) in candidates {
            if claimed.len() as i64 >= max {
                break;
            }
            // On PostgreSQL two nodes claim at once: the runbook's row serialises their counts.
            if self.backend == Backend::Postgres && locked.insert(runbook) {
                sqlx::query("SELECT id FROM runbooks WHERE id = $1 FOR UPDATE")
                    .bind(runbook)
                    .execute(tx.conn().await?)
                    .await?;
            }
            let running: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM runbook_runs WHERE runbook_id = $1 AND state = 'running'",
            )
            .bind(runbook)
            .fetch_one(tx.conn().await?)
            .await?;
            if running >= concurrency {
                continue;
            }
            let busiest: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM runbook_run_targets t JOIN runbook_runs o ON o.id = t.run_id \
                 WHERE o.state = 'running' AND o.runbook_id = $2 AND t.ci_id IN \
                 (SELECT ci_id FROM runbook_run_targets WHERE run_id = $1) GROUP BY t.ci_id) busy",
            )
            .bind(run)
            .bind(runbook)
            .fetch_one(tx.conn().await?)
            .await?;
            if busiest.unwrap_or(0) >= per_target {
                continue;
            }
            let done = sqlx::query(
                "UPDATE runbook_runs SET state = 'running', node = $2, started_at = $3, lease_until = $4 \
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(run)
            .bind(node)
            .bind(to_ms(now))
            .bind(to_ms(now) + lease_ms)
            .execute(tx.conn().await?)
            .await?;
            if done.rows_affected() == 1 {
                claimed.push(run);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Extends the lease of `node`'s running runs.
    pub async fn renew_run_leases(&self, node: &str, until: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE runbook_runs SET lease_until = $2 WHERE node = $1 AND state = 'running'")
            .bind(node)
            .bind(to_ms(until))
            .execute(tx.conn().await?)
            .await?;
        tx.commit().await
    }

    /// Running runs whose node stopped renewing its lease before `now`.
    pub async fn lost_runs(&self, now: Timestamp) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM runbook_runs WHERE state = 'running' AND lease_until < $1 LIMIT 100",
        )
        .bind(to_ms(now))
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// Runs waiting in `awaiting_approval` or queued for a change window, for one change.
    pub async fn runs_of_change(&self, change: i64) -> Result<Vec<RunRecord>> {
        self.runs(&RunFilter { ticket_id: Some(change), limit: 100, ..RunFilter::default() }).await
    }
}

impl Tx {
    pub async fn insert_run(&mut self, now: Timestamp, r: &NewRun) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO runbook_runs (runbook_id, version, state, run_trigger, params, requested_by, ci_id, ticket_id, \
             change_id, alert_id, schedule_id, due_at, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(r.runbook_id)
        .bind(r.version)
        .bind(r.state.as_str())
        .bind(r.trigger.as_str())
        .bind(&r.params)
        .bind(r.requested_by)
        .bind(r.ci_id)
        .bind(r.ticket_id)
        .bind(r.change_id)
        .bind(r.alert_id)
        .bind(r.schedule_id)
        .bind(to_ms(r.due_at))
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        for ci in &r.targets {
            sqlx::query("INSERT INTO runbook_run_targets (run_id, ci_id) VALUES ($1, $2)")
                .bind(id)
                .bind(ci)
                .execute(self.conn().await?)
                .await?;
        }
        for (i, (key, name, kind, rollback)) in r.steps.iter().enumerate() {
            sqlx::query(
                "INSERT INTO runbook_run_steps (run_id, idx, step_key, name, kind, rollback, state) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
            )
            .bind(id)
            .bind(i as i64)
            .bind(key)
            .bind(name)
            .bind(kind)
            .bind(i64::from(*rollback))
            .execute(self.conn().await?)
            .await?;
        }
        Ok(id)
    }

    /// Moves a run from `from` to `to`; false when it was not in `from` any more.
    pub async fn move_run(&mut self, id: i64, from: RunState, to: RunState) -> Result<bool> {
        let done = sqlx::query("UPDATE runbook_runs SET state = $3 WHERE id = $1 AND state = $2")
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_run_authority(&mut self, id: i64, authority: &str) -> Result<()> {
        sqlx::query("UPDATE runbook_runs SET authority = $2 WHERE id = $1")
            .bind(id)
            .bind(authority)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Ends a run that is not finished yet; false when it was.
    pub async fn finish_run(
        &mut self,
        id: i64,
        state: RunState,
        detail: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE runbook_runs SET state = $2, detail = $3, finished_at = $4, lease_until = NULL \
             WHERE id = $1 AND state IN ('queued', 'running', 'awaiting_approval')",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(detail)
        .bind(to_ms(at))
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn request_run_cancel(&mut self, id: i64) -> Result<()> {
        sqlx::query("UPDATE runbook_runs SET cancel_requested = 1 WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_run_step(
        &mut self,
        run: i64,
        idx: i64,
        state: StepState,
        exit_code: Option<i64>,
        started: Option<Timestamp>,
        finished: Option<Timestamp>,
        outputs: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE runbook_run_steps SET state = $3, exit_code = $4, started_at = COALESCE($5, started_at), \
             finished_at = $6, outputs = $7, error = $8 WHERE run_id = $1 AND idx = $2",
        )
        .bind(run)
        .bind(idx)
        .bind(state.as_str())
        .bind(exit_code)
        .bind(started.map(to_ms))
        .bind(finished.map(to_ms))
        .bind(outputs)
        .bind(error)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn append_run_output(
        &mut self,
        run: i64,
        seq: i64,
        step: i64,
        at: Timestamp,
        text: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO runbook_output (run_id, seq, step_idx, at, text) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run)
        .bind(seq)
        .bind(step)
        .bind(to_ms(at))
        .bind(text)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn insert_run_artifact(
        &mut self,
        run: i64,
        name: &str,
        data: &[u8],
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO runbook_artifacts (run_id, name, size, created_at, data) VALUES ($1, $2, $3, $4, $5)")
            .bind(run)
            .bind(name)
            .bind(data.len() as i64)
            .bind(to_ms(at))
            .bind(data)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Records a decision; `Duplicate` when this approver decided already.
    pub async fn insert_run_approval(
        &mut self,
        run: i64,
        step: &str,
        approver: i64,
        approve: bool,
        comment: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO runbook_approvals (run_id, step_key, approver, approve, comment, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run)
        .bind(step)
        .bind(approver)
        .bind(i64::from(approve))
        .bind(comment)
        .bind(to_ms(at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }
}
