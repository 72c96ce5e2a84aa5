//! What automation stores (issue 21): runbooks and their versions, the desk's encrypted
//! secrets, cron schedules and alert triggers; runs in `runs.rs`, just-in-time grants and the
//! change windows that give authority in `grants.rs`.

mod grants;
mod runs;

pub use grants::GrantRecord;
pub use runs::{NewRun, OutputChunk, RunFilter, RunRecord, RunStepRecord, RunTotals};

use jiff::Timestamp;

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("runbook: {what}"))
}

/// A runbook with its newest version's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookRecord {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub retired: bool,
    pub definition: String,
    pub manual_minutes: i64,
    pub updated_at: Timestamp,
}

/// What a definition tells the store beyond its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunbookLimits {
    pub concurrency: i64,
    pub target_concurrency: i64,
    pub manual_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub id: i64,
    pub runbook_id: i64,
    pub cron: String,
    pub zone: String,
    pub calendar_id: Option<i64>,
    /// JSON object: parameter → value as text.
    pub params: String,
    pub ci_id: Option<i64>,
    pub owner: i64,
    pub next_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTriggerRecord {
    pub id: i64,
    pub runbook_id: i64,
    /// `label=value` lines, all of which an alert must carry.
    pub matchers: String,
    pub params: String,
    pub owner: i64,
}

type RunbookRow = (i64, String, i64, i64, String, i64, i64);

fn runbook_of(r: RunbookRow) -> Result<RunbookRecord> {
    Ok(RunbookRecord {
        id: r.0,
        name: r.1,
        version: r.2,
        retired: r.3 != 0,
        definition: r.4,
        manual_minutes: r.5,
        updated_at: from_ms(r.6)?,
    })
}

const RUNBOOK_SQL: &str = "SELECT b.id, b.name, b.version, b.retired, v.definition, b.manual_minutes, b.updated_at \
    FROM runbooks b JOIN runbook_versions v ON v.runbook_id = b.id AND v.version = b.version";

type ScheduleRow = (i64, i64, String, String, Option<i64>, String, Option<i64>, i64, i64);

fn schedule_of(r: ScheduleRow) -> Result<ScheduleRecord> {
    Ok(ScheduleRecord {
        id: r.0,
        runbook_id: r.1,
        cron: r.2,
        zone: r.3,
        calendar_id: r.4,
        params: r.5,
        ci_id: r.6,
        owner: r.7,
        next_at: from_ms(r.8)?,
    })
}

const SCHEDULE_SQL: &str =
    "SELECT id, runbook_id, cron, zone, calendar_id, params, ci_id, owner, next_at FROM runbook_schedules";

impl Store {
    /// Every runbook by name (retired ones too when asked).
    pub async fn runbooks(&self, retired: bool) -> Result<Vec<RunbookRecord>> {
        let sql = format!("{RUNBOOK_SQL} WHERE b.retired = 0 OR $1 = 1 ORDER BY b.name LIMIT 1000");
        let rows: Vec<RunbookRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(retired))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(runbook_of).collect()
    }

    pub async fn runbook(&self, id: i64) -> Result<Option<RunbookRecord>> {
        let sql = format!("{RUNBOOK_SQL} WHERE b.id = $1");
        let row: Option<RunbookRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(runbook_of).transpose()
    }

    pub async fn runbook_by_name(&self, name: &str) -> Result<Option<RunbookRecord>> {
        let sql = format!("{RUNBOOK_SQL} WHERE b.name = $1");
        let row: Option<RunbookRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(runbook_of).transpose()
    }

    /// The definition of one version (a run keeps the version it was started with).
    pub async fn runbook_version(&self, id: i64, version: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT definition FROM runbook_versions WHERE runbook_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// A secret's sealed value.
    pub async fn secret(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT sealed FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.reader().await?)
            .await?)
    }

    /// The secrets' names, who set each and when.
    pub async fn secret_names(&self) -> Result<Vec<(String, String, Timestamp)>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, updated_by, updated_at FROM secrets ORDER BY name")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        rows.into_iter().map(|(n, b, at)| Ok((n, b, from_ms(at)?))).collect()
    }

    pub async fn runbook_schedules(&self, runbook: Option<i64>) -> Result<Vec<ScheduleRecord>> {
        let sql = format!("{SCHEDULE_SQL} WHERE runbook_id = $1 OR $1 = 0 ORDER BY next_at, id LIMIT 1000");
        let rows: Vec<ScheduleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(runbook.unwrap_or(0))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(schedule_of).collect()
    }

    /// Schedules whose next run is due at `now` or before.
    pub async fn due_schedules(&self, now: Timestamp) -> Result<Vec<ScheduleRecord>> {
        let sql = format!("{SCHEDULE_SQL} WHERE next_at <= $1 ORDER BY next_at, id LIMIT 500");
        let rows: Vec<ScheduleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(now))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(schedule_of).collect()
    }

    pub async fn alert_triggers(&self, runbook: Option<i64>) -> Result<Vec<AlertTriggerRecord>> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, runbook_id, matchers, params, owner FROM runbook_alert_triggers \
             WHERE runbook_id = $1 OR $1 = 0 ORDER BY id",
        )
        .bind(runbook.unwrap_or(0))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AlertTriggerRecord { id: r.0, runbook_id: r.1, matchers: r.2, params: r.3, owner: r.4 })
            .collect())
    }
}

impl Tx {
    pub async fn insert_runbook(
        &mut self,
        now: Timestamp,
        name: &str,
        definition: &str,
        limits: RunbookLimits,
        by: &str,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO runbooks (name, version, concurrency, target_concurrency, manual_minutes, created_at, updated_at) \
             VALUES ($1, 1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(name)
        .bind(limits.concurrency)
        .bind(limits.target_concurrency)
        .bind(limits.manual_minutes)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        self.insert_runbook_version(now, id, 1, definition, by).await?;
        Ok(id)
    }

    async fn insert_runbook_version(
        &mut self,
        now: Timestamp,
        id: i64,
        version: i64,
        definition: &str,
        by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO runbook_versions (runbook_id, version, definition, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(definition)
        .bind(by)
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Saves the next version; `Stale` when `expected` is not the newest any more.
    pub async fn save_runbook_version(
        &mut self,
        now: Timestamp,
        id: i64,
        expected: i64,
        definition: &str,
        limits: RunbookLimits,
        by: &str,
    ) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE runbooks SET version = version + 1, concurrency = $3, target_concurrency = $4, \
             manual_minutes = $5, updated_at = $6, retired = 0 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected)
        .bind(limits.concurrency)
        .bind(limits.target_concurrency)
        .bind(limits.manual_minutes)
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        if done.rows_affected() != 1 {
            let current: Option<i64> = sqlx::query_scalar("SELECT version FROM runbooks WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn().await?)
                .await?;
            return Err(match current {
                Some(current) => StoreError::Stale { current },
                None => StoreError::NotFound,
            });
        }
        self.insert_runbook_version(now, id, expected + 1, definition, by).await?;
        Ok(expected + 1)
    }

    pub async fn retire_runbook(&mut self, now: Timestamp, id: i64) -> Result<()> {
        sqlx::query("UPDATE runbooks SET retired = 1, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?;
        sqlx::query("DELETE FROM runbook_schedules WHERE runbook_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        sqlx::query("DELETE FROM runbook_alert_triggers WHERE runbook_id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Sets a secret (new or replaced); answers whether it existed.
    pub async fn set_secret(&mut self, now: Timestamp, name: &str, sealed: &[u8], by: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE secrets SET sealed = $2, updated_by = $3, updated_at = $4 WHERE name = $1")
                .bind(name)
                .bind(sealed)
                .bind(by)
                .bind(to_ms(now))
                .execute(self.conn().await?)
                .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        sqlx::query("INSERT INTO secrets (name, sealed, updated_by, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(sealed)
            .bind(by)
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?;
        Ok(false)
    }

    pub async fn delete_secret(&mut self, name: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM secrets WHERE name = $1").bind(name).execute(self.conn().await?).await?;
        Ok(done.rows_affected() == 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_schedule(
        &mut self,
        now: Timestamp,
        runbook: i64,
        cron: &str,
        zone: &str,
        calendar: Option<i64>,
        params: &str,
        ci: Option<i64>,
        owner: i64,
        next_at: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO runbook_schedules (runbook_id, cron, zone, calendar_id, params, ci_id, owner, next_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(runbook)
        .bind(cron)
        .bind(zone)
        .bind(calendar)
        .bind(params)
        .bind(ci)
        .bind(owner)
        .bind(to_ms(next_at))
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_schedule(&mut self, runbook: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM runbook_schedules WHERE id = $1 AND runbook_id = $2")
            .bind(id)
            .bind(runbook)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves a schedule from `due` to `next`; false when another node moved it first.
    pub async fn advance_schedule(&mut self, id: i64, due: Timestamp, next: Timestamp) -> Result<bool> {
        let done = sqlx::query("UPDATE runbook_schedules SET next_at = $3 WHERE id = $1 AND next_at = $2")
            .bind(id)
            .bind(to_ms(due))
            .bind(to_ms(next))
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_alert_trigger(
        &mut self,
        now: Timestamp,
        runbook: i64,
        matchers: &str,
        params: &str,
        owner: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO runbook_alert_triggers (runbook_id, matchers, params, owner, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(runbook)
        .bind(matchers)
        .bind(params)
        .bind(owner)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_alert_trigger(&mut self, runbook: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM runbook_alert_triggers WHERE id = $1 AND runbook_id = $2")
            .bind(id)
            .bind(runbook)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
