//! What shapes how alerts are handled (migration 0023): alert rules, maintenance windows on
//! CIs, and the deliveries' raw payloads kept for a while.

use jiff::Timestamp;
use steward_core::alerts::{AlertRule, Matcher, Resolve};
use steward_core::ids::CiId;

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// A stored alert rule, in the order rules are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRuleRecord {
    pub id: i64,
    pub position: i64,
    pub rule: AlertRule,
    pub created_by: String,
}

/// A maintenance window on a CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceRecord {
    pub id: i64,
    pub ci_id: CiId,
    /// The CI's name.
    pub ci: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
    pub change_ref: Option<String>,
    pub created_by: String,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("alert setup: {e}"))
}

type RuleRow = (i64, i64, String, String, i64, Option<i64>, Option<i64>, String, String);
type WindowRow = (i64, i64, String, i64, i64, String, Option<String>, String);

impl Store {
    /// The alert rules, in the order they are tried.
    pub async fn alert_rules(&self) -> Result<Vec<AlertRuleRecord>> {
        let rows: Vec<RuleRow> = sqlx::query_as(
            "SELECT id, position, name, matchers, opens, impact, urgency, resolve, created_by FROM alert_rules \
             ORDER BY position, id",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(id, position, name, matchers, opens, impact, urgency, resolve, created_by)| {
                let matchers = matchers
                    .lines()
                    .map(Matcher::parse)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(corrupt)?;
                let resolve =
                    Resolve::parse(&resolve).ok_or_else(|| corrupt(format!("resolve `{resolve}`")))?;
                Ok(AlertRuleRecord {
                    id,
                    position,
                    rule: AlertRule { name, matchers, opens: opens != 0, impact, urgency, resolve },
                    created_by,
                })
            })
            .collect()
    }

    /// Maintenance windows still to end at `at` (with `None`: all), soonest end first; only
    /// those of `ci` when given.
    pub async fn maintenance_windows(
        &self,
        ending_after: Option<Timestamp>,
        ci: Option<CiId>,
    ) -> Result<Vec<MaintenanceRecord>> {
        let rows: Vec<WindowRow> = sqlx::query_as(
            "SELECT m.id, m.ci_id, c.name, m.starts_at, m.ends_at, m.reason, m.change_ref, m.created_by \
             FROM maintenance_windows m JOIN cis c ON c.id = m.ci_id \
             WHERE m.ends_at > $1 AND ($2 = 0 OR m.ci_id = $2) ORDER BY m.ends_at, m.id LIMIT 500",
        )
        .bind(ending_after.map_or(i64::MIN, to_ms))
        .bind(ci.map_or(0, CiId::get))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(id, ci_id, ci, starts_at, ends_at, reason, change_ref, created_by)| {
                Ok(MaintenanceRecord {
                    id,
                    ci_id: CiId(ci_id),
                    ci,
                    starts_at: from_ms(starts_at)?,
                    ends_at: from_ms(ends_at)?,
                    reason,
                    change_ref,
                    created_by,
                })
            })
            .collect()
    }
}

impl Store {
    /// The windows a change scheduled that have not ended by `at`: (id, starts_at).
    pub async fn maintenance_of_change(
        &self,
        change_ref: &str,
        at: Timestamp,
    ) -> Result<Vec<(i64, Timestamp)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, starts_at FROM maintenance_windows WHERE change_ref = $1 AND ends_at > $2 ORDER BY id",
        )
        .bind(change_ref)
        .bind(to_ms(at))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(|(id, s)| Ok((id, from_ms(s)?))).collect()
    }
}

impl Tx {
    /// Forgets a window that never began.
    pub async fn delete_maintenance(&mut self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM maintenance_windows WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Adds a rule after the others.
    pub async fn insert_alert_rule(
        &mut self,
        now: Timestamp,
        r: &AlertRule,
        created_by: &str,
    ) -> Result<i64> {
        let matchers: Vec<String> = r.matchers.iter().map(Matcher::to_string).collect();
        Ok(sqlx::query_scalar(
            "INSERT INTO alert_rules (position, name, matchers, opens, impact, urgency, resolve, created_by, created_at) \
             VALUES ((SELECT COALESCE(MAX(position), 0) + 1 FROM alert_rules), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&r.name)
        .bind(matchers.join("\n"))
        .bind(i64::from(r.opens))
        .bind(r.impact)
        .bind(r.urgency)
        .bind(r.resolve.as_str())
        .bind(created_by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Deletes a rule; its name, or `None` when there was none.
    pub async fn delete_alert_rule(&mut self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("DELETE FROM alert_rules WHERE id = $1 RETURNING name")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?)
    }

    pub async fn insert_maintenance(
        &mut self,
        now: Timestamp,
        ci: CiId,
        window: (Timestamp, Timestamp),
        reason: &str,
        change_ref: Option<&str>,
        created_by: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO maintenance_windows (ci_id, starts_at, ends_at, reason, change_ref, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(ci.get())
        .bind(to_ms(window.0))
        .bind(to_ms(window.1))
        .bind(reason)
        .bind(change_ref)
        .bind(created_by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Ends a window now; false when none such is still running or to come.
    pub async fn end_maintenance(&mut self, now: Timestamp, id: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE maintenance_windows SET ends_at = $1 WHERE id = $2 AND ends_at > $1")
            .bind(to_ms(now))
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_alert_expected(&mut self, id: i64, window: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE alerts SET maintenance_id = $1 WHERE id = $2")
            .bind(window)
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Keeps a delivery's body as its sender sent it.
    pub async fn keep_payload(&mut self, now: Timestamp, source: &str, body: &str) -> Result<()> {
        sqlx::query("INSERT INTO alert_payloads (source, received_at, body) VALUES ($1, $2, $3)")
            .bind(source)
            .bind(to_ms(now))
            .bind(body)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Forgets payloads received before `before`; how many.
    pub async fn purge_payloads(&mut self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM alert_payloads WHERE received_at < $1")
            .bind(to_ms(before))
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// The CIs' criticality (1 highest to 5), by id.
    pub async fn ci_criticalities(&self, ids: &[CiId]) -> Result<std::collections::HashMap<CiId, i64>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT id, criticality FROM cis WHERE id IN ({})", marks.join(", "));
            let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.get());
            }
            out.extend(
                q.fetch_all(&mut *self.reader().await?).await?.into_iter().map(|(id, c)| (CiId(id), c)),
            );
        }
        Ok(out)
    }
}
