//! Report storage: each ticket's [`Facts`] and the daily rollup (`report_days`) that the
//! reports read. The app applies a ticket's rollup [`delta`](steward_core::reports::delta) in the
//! same transaction as the ticket write; [`Store::rebuild_reports`] recomputes it from scratch.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use steward_core::reports::{DayRow, Dim, Entry, Facts, Measures, Outage, RollupKey, contributions};
use steward_core::tickets::{State, TicketKind};

use crate::{Backend, Result, Store, StoreError, Tx, from_ms, from_ms_opt, to_ms};

const EPOCH: Date = date(1970, 1, 1);

fn day_number(d: Date) -> i64 {
    d.duration_since(EPOCH).as_secs() / 86_400
}

fn day_of(n: i64) -> Result<Date> {
    EPOCH.checked_add(Span::new().days(n)).map_err(|e| StoreError::Corrupt(format!("report day {n}: {e}")))
}

/// Which tickets a filtered report covers; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub priority: Option<i64>,
    pub team_id: Option<i64>,
    pub service: Option<String>,
    pub category_id: Option<i64>,
}

impl ReportFilter {
    pub fn is_empty(&self) -> bool {
        *self == ReportFilter::default()
    }
}

const FACT_COLUMNS: &str = "f.responded_at, f.response_business_secs, f.response_met, \
    f.resolution_business_secs, f.resolution_met, f.reassigned, f.cancelled_at";

fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|v| v != 0)
}

fn facts_of(r: &AnyRow) -> Result<Facts> {
    let secs = |c: &str| -> Result<Option<SignedDuration>> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(SignedDuration::from_secs))
    };
    Ok(Facts {
        responded_at: from_ms_opt(r.try_get("responded_at")?)?,
        response_business: secs("response_business_secs")?,
        response_met: flag(r.try_get("response_met")?),
        resolution_business: secs("resolution_business_secs")?,
        resolution_met: flag(r.try_get("resolution_met")?),
        reassigned: r.try_get::<Option<i64>, _>("reassigned")?.unwrap_or(0) != 0,
        cancelled_at: from_ms_opt(r.try_get("cancelled_at")?)?,
    })
}

fn entry_of(r: &AnyRow) -> Result<Entry> {
    let corrupt = |e: String| StoreError::Corrupt(e);
    Ok(Entry {
        kind: TicketKind::parse(&r.try_get::<String, _>("kind")?).map_err(|e| corrupt(e.message))?,
        priority: u8::try_from(r.try_get::<i64, _>("priority")?).map_err(|e| corrupt(e.to_string()))?,
        impact: u8::try_from(r.try_get::<i64, _>("impact")?).map_err(|e| corrupt(e.to_string()))?,
        team_id: r.try_get("team_id")?,
        service: r.try_get("service")?,
        category_id: r.try_get("category_id")?,
        state: State::parse(&r.try_get::<String, _>("state")?).map_err(|e| corrupt(e.to_string()))?,
        created_at: from_ms(r.try_get("created_at")?)?,
        resolved_at: from_ms_opt(r.try_get("resolved_at")?)?,
        reopen_count: r.try_get("reopen_count")?,
        facts: facts_of(r)?,
    })
}

fn measure_columns() -> String {
    Measures::COLUMNS.join(", ")
}

impl Tx {
    /// A ticket's facts. On PostgreSQL the ticket row is locked until commit, so two writers
    /// of one ticket (a reply and a transition, say) queue instead of both counting a response.
    pub async fn report_facts(&mut self, ticket_id: i64) -> Result<Facts> {
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE OF t" } else { "" };
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM tickets t LEFT JOIN ticket_facts f ON f.ticket_id = t.id WHERE t.id = $1{lock}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket_id).fetch_optional(self.conn()).await?;
        row.as_ref().map(facts_of).transpose().map(Option::unwrap_or_default)
    }

    pub async fn put_report_facts(&mut self, ticket_id: i64, f: &Facts) -> Result<()> {
        let flag = |b: Option<bool>| b.map(i64::from);
        sqlx::query(
            "INSERT INTO ticket_facts (ticket_id, responded_at, response_business_secs, response_met, \
             resolution_business_secs, resolution_met, reassigned, cancelled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (ticket_id) DO UPDATE SET responded_at = $2, response_business_secs = $3, \
             response_met = $4, resolution_business_secs = $5, resolution_met = $6, reassigned = $7, \
             cancelled_at = $8",
        )
        .bind(ticket_id)
        .bind(f.responded_at.map(to_ms))
        .bind(f.response_business.map(|d| d.as_secs()))
        .bind(flag(f.response_met))
        .bind(f.resolution_business.map(|d| d.as_secs()))
        .bind(flag(f.resolution_met))
        .bind(i64::from(f.reassigned))
        .bind(f.cancelled_at.map(to_ms))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Adds `rows` to the rollup (a delta: measures may be negative). Keys must be distinct.
    pub async fn add_to_rollup(&mut self, rows: &[(RollupKey, Measures)]) -> Result<()> {
        let width = 4 + Measures::COLUMNS.len();
        let sets: Vec<String> =
            Measures::COLUMNS.iter().map(|c| format!("{c} = report_days.{c} + excluded.{c}")).collect();
        for chunk in rows.chunks(100) {
            let tuples: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let params: Vec<String> = (1..=width).map(|i| format!("${}", r * width + i)).collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO report_days (dim, day, kind, value, {}) VALUES {} \
                 ON CONFLICT (dim, day, kind, value) DO UPDATE SET {}",
                measure_columns(),
                tuples.join(", "),
                sets.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (key, m) in chunk {
                q = q
                    .bind(key.dim.as_str())
                    .bind(day_number(key.day))
                    .bind(key.kind.as_str())
                    .bind(key.value.clone());
                for v in m.to_array() {
                    q = q.bind(v);
                }
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }
}

impl Store {
    /// The rollup rows of one kind between two local days (inclusive).
    pub async fn report_rows(&self, kind: TicketKind, from: Date, to: Date) -> Result<Vec<DayRow>> {
        let sql = format!(
            "SELECT dim, day, value, {} FROM report_days WHERE day >= $1 AND day <= $2 AND kind = $3 AND dim IN \
             ('all', 'priority', 'team', 'service', 'category')",
            measure_columns()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(day_number(from))
            .bind(day_number(to))
            .bind(kind.as_str())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let dim: String = r.try_get("dim")?;
                Ok(DayRow {
                    day: day_of(r.try_get("day")?)?,
                    dim: Dim::parse(&dim)
                        .ok_or_else(|| StoreError::Corrupt(format!("report dimension {dim}")))?,
                    value: r.try_get("value")?,
                    measures: measures_of(r)?,
                })
            })
            .collect()
    }

    /// Tickets of one kind opened and not yet ended before local day `before`.
    pub async fn report_backlog_before(&self, kind: TicketKind, before: Date) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(created - ended) AS BIGINT) FROM report_days WHERE dim = 'all' AND kind = $1 AND day < $2",
        )
        .bind(kind.as_str())
        .bind(day_number(before))
        .fetch_one(&self.read)
        .await?;
        Ok(n.unwrap_or(0))
    }

    /// All-time sums of one dimension's values (the histograms in `/metrics`).
    pub async fn report_totals(&self, kind: TicketKind, dim: Dim) -> Result<Vec<(String, Measures)>> {
        let sums: Vec<String> =
            Measures::COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT value, {} FROM report_days WHERE dim = $1 AND kind = $2 GROUP BY value ORDER BY value",
            sums.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dim.as_str())
            .bind(kind.as_str())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("value")?, measures_of(r)?))).collect()
    }

    /// The tickets a filtered report covers: those matching `filter` created before `before`.
    pub async fn report_entries(
        &self,
        kind: TicketKind,
        filter: &ReportFilter,
        before: Timestamp,
    ) -> Result<Vec<Entry>> {
        let mut clauses = vec!["t.kind = $1".to_owned(), "t.created_at < $2".to_owned()];
        let mut n = 2;
        let mut next = |col: &str| {
            n += 1;
            format!("t.{col} = ${n}")
        };
        if filter.priority.is_some() {
            clauses.push(next("priority"));
        }
        if filter.team_id.is_some() {
            clauses.push(next("team_id"));
        }
        if filter.service.is_some() {
            clauses.push(next("service"));
        }
        if filter.category_id.is_some() {
            clauses.push(next("category_id"));
        }
        let sql = format!(
            "SELECT t.kind, t.priority, t.impact, t.team_id, t.service, t.category_id, t.state, t.created_at, \
             t.resolved_at, t.reopen_count, {FACT_COLUMNS} FROM tickets t LEFT JOIN ticket_facts f ON f.ticket_id = t.id \
             WHERE {}",
            clauses.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.as_str()).bind(to_ms(before));
        if let Some(p) = filter.priority {
            q = q.bind(p);
        }
        if let Some(t) = filter.team_id {
            q = q.bind(t);
        }
        if let Some(s) = &filter.service {
            q = q.bind(s.clone());
        }
        if let Some(c) = filter.category_id {
            q = q.bind(c);
        }
        q.fetch_all(&self.read).await?.iter().map(entry_of).collect()
    }

    /// Incidents of widespread impact (1) on a named service that overlap `[from, to)`.
    pub async fn outages(
        &self,
        from: Timestamp,
        to: Timestamp,
        service: Option<&str>,
    ) -> Result<Vec<Outage>> {
        let rows = sqlx::query(
            "SELECT service, created_at, resolved_at FROM tickets WHERE impact = 1 AND service IS NOT NULL \
             AND kind = 'incident' AND state <> 'cancelled' AND created_at < $1 \
             AND (resolved_at IS NULL OR resolved_at > $2)",
        )
        .bind(to_ms(to))
        .bind(to_ms(from))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let name: String = r.try_get("service")?;
            if service.is_some_and(|s| s != name) {
                continue;
            }
            out.push(Outage {
                service: name,
                start: from_ms(r.try_get("created_at")?)?,
                end: from_ms_opt(r.try_get("resolved_at")?)?,
            });
        }
        Ok(out)
    }

    /// The zone the rollup was built in, if it was built.
    pub async fn report_time_zone(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT time_zone FROM report_settings WHERE id = 1")
            .fetch_optional(&self.read)
            .await?)
    }

    /// Recomputes the whole rollup from the tickets and their facts, in `tz`. Returns the number
    /// of tickets read.
    pub async fn rebuild_reports(&self, tz: &TimeZone, tz_name: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM report_days").execute(tx.conn()).await?;
        let mut sums: BTreeMap<RollupKey, Measures> = BTreeMap::new();
        let (mut after, mut read) = (0_i64, 0_u64);
        loop {
            let sql = format!(
                "SELECT t.id, t.kind, t.priority, t.impact, t.team_id, t.service, t.category_id, t.state, \
                 t.created_at, t.resolved_at, t.reopen_count, {FACT_COLUMNS} FROM tickets t \
                 LEFT JOIN ticket_facts f ON f.ticket_id = t.id WHERE t.id > $1 ORDER BY t.id LIMIT 10000"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(tx.conn()).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for r in &rows {
                for (k, m) in contributions(&entry_of(r)?, tz) {
                    *sums.entry(k).or_default() += m;
                }
            }
            read += rows.len() as u64;
        }
        let rows: Vec<(RollupKey, Measures)> = sums.into_iter().collect();
        tx.add_to_rollup(&rows).await?;
        sqlx::query(
            "INSERT INTO report_settings (id, time_zone) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET time_zone = $1",
        )
        .bind(tz_name)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(read)
    }
}

fn measures_of(r: &AnyRow) -> Result<Measures> {
    let mut a = [0_i64; 14];
    for (i, c) in Measures::COLUMNS.iter().enumerate() {
        a[i] = r.try_get::<Option<i64>, _>(*c)?.unwrap_or(0);
    }
    Ok(Measures::from_array(a))
}
