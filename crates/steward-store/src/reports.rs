//! Report storage: each ticket's [`Facts`] and the daily rollup (`report_days`) that the
//! reports read. The app applies a ticket's rollup [`delta`](steward_core::reports::delta) in the
//! same transaction as the ticket write; [`Store::rebuild_reports`] recomputes it from scratch.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::reports::{DayRow, DaySums, Dim, Entry, Facts, Measures, Outage, RollupKey, contributions};
use steward_core::tickets::{State, TicketKind};

use crate::{Backend, Result, Store, StoreError, Tx, Value, from_ms, from_ms_opt, placeholders, to_ms};

pub(crate) const EPOCH: Date = date(1970, 1, 1);

pub(crate) fn day_number(d: Date) -> i64 {
    d.duration_since(EPOCH).as_secs() / 86_400
}

/// Which tickets a filtered report covers; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub priority: Option<i64>,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
    pub category_id: Option<CategoryId>,
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
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        assignee_id: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
        service: r.try_get("service")?,
        category_id: r.try_get::<Option<i64>, _>("category_id")?.map(CategoryId),
        state: State::parse(&r.try_get::<String, _>("state")?).map_err(|e| corrupt(e.to_string()))?,
        created_at: from_ms(r.try_get("created_at")?)?,
        resolved_at: from_ms_opt(r.try_get("resolved_at")?)?,
        reopen_count: r.try_get("reopen_count")?,
        facts: facts_of(r)?,
    })
}

impl Tx {
    /// A ticket's facts. On PostgreSQL the ticket row is locked until commit, so two writers
    /// of one ticket (a reply and a transition, say) queue instead of both counting a response.
    pub async fn report_facts(&mut self, ticket_id: TicketId) -> Result<Facts> {
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE OF t" } else { "" };
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM tickets t LEFT JOIN ticket_facts f ON f.ticket_id = t.id WHERE t.id = $1{lock}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id.get())
            .fetch_optional(self.conn().await?)
            .await?;
        row.as_ref().map(facts_of).transpose().map(Option::unwrap_or_default)
    }

    /// Stores tickets' facts, many per statement (deferred: see [`Tx`]). A group of creates
    /// stores its facts in one statement: on SQLite each statement of a deferred call is one
    /// hand-over from the database's thread to the waiting writer, so one per ticket woke the
    /// writer once per create (see `docs/benchmarks.md`). Ticket ids must be distinct.
    pub async fn put_report_facts(&mut self, facts: &[(TicketId, Facts)]) -> Result<()> {
        for chunk in facts.chunks(100) {
            let tuples: Vec<String> =
                (0..chunk.len()).map(|r| format!("({})", placeholders(self.backend, r * 8 + 1, 8))).collect();
            let sql = format!(
                "INSERT INTO ticket_facts (ticket_id, responded_at, response_business_secs, response_met, \
                 resolution_business_secs, resolution_met, reassigned, cancelled_at) VALUES {} \
                 ON CONFLICT (ticket_id) DO UPDATE SET responded_at = excluded.responded_at, \
                 response_business_secs = excluded.response_business_secs, response_met = excluded.response_met, \
                 resolution_business_secs = excluded.resolution_business_secs, \
                 resolution_met = excluded.resolution_met, reassigned = excluded.reassigned, \
                 cancelled_at = excluded.cancelled_at",
                tuples.join(", ")
            );
            let mut args: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
            for (ticket_id, f) in chunk {
                args.extend([
                    (*ticket_id).into(),
                    f.responded_at.map(to_ms).into(),
                    f.response_business.map(|d| d.as_secs()).into(),
                    f.response_met.map(i64::from).into(),
                    f.resolution_business.map(|d| d.as_secs()).into(),
                    f.resolution_met.map(i64::from).into(),
                    i64::from(f.reassigned).into(),
                    f.cancelled_at.map(to_ms).into(),
                ]);
            }
            self.defer(sql, args);
        }
        Ok(())
    }

    /// Adds `rows` to the rollup (a delta: measures may be negative). Keys must be distinct.
    /// Only the measures some row changes are written, so a new ticket's rows bind six values
    /// each instead of nineteen.
    pub async fn add_to_rollup(&mut self, rows: &[(RollupKey, Measures)]) -> Result<()> {
        for chunk in rows.chunks(100) {
            let arrays: Vec<[i64; 14]> = chunk.iter().map(|(_, m)| m.to_array()).collect();
            let used: Vec<usize> =
                (0..Measures::COLUMNS.len()).filter(|i| arrays.iter().any(|a| a[*i] != 0)).collect();
            if used.is_empty() {
                continue;
            }
            let width = 5 + used.len();
            let columns: Vec<&str> = used.iter().map(|i| Measures::COLUMNS[*i]).collect();
            let sets: Vec<String> =
                columns.iter().map(|c| format!("{c} = report_days.{c} + excluded.{c}")).collect();
            let tuples: Vec<String> = (0..chunk.len())
                .map(|r| format!("({})", placeholders(self.backend, r * width + 1, width)))
                .collect();
            let sql = format!(
                "INSERT INTO report_days (filter, dim, day, kind, value, {}) VALUES {} \
                 ON CONFLICT (filter, kind, dim, day, value) DO UPDATE SET {}",
                columns.join(", "),
                tuples.join(", "),
                sets.join(", ")
            );
            let mut args: Vec<Value> = Vec::with_capacity(chunk.len() * width);
            for ((key, _), values) in chunk.iter().zip(arrays) {
                args.extend([
                    key.filter.clone().into(),
                    key.dim.as_str().into(),
                    day_number(key.day).into(),
                    key.kind.as_str().into(),
                    key.value.clone().into(),
                ]);
                args.extend(used.iter().map(|i| Value::from(values[*i])));
            }
            self.defer(sql, args);
        }
        Ok(())
    }
}

impl Store {
    /// The rollup summed per period: `starts` are the periods' first days (ascending) and `end`
    /// the day after the last. Each row's `day` is the start of the period it sums, so a report
    /// reads a few hundred rows however many days and tickets the range holds.
    pub async fn report_rows(
        &self,
        kind: TicketKind,
        filter: &str,
        starts: &[Date],
        end: Date,
    ) -> Result<Vec<DayRow>> {
        let Some(first) = starts.first() else { return Ok(Vec::new()) };
        // Day numbers are integers computed here, so they are written into the SQL directly.
        let period: String = starts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, d)| format!("WHEN day < {} THEN {}", day_number(*d), i - 1))
            .collect::<Vec<_>>()
            .join(" ");
        // One period: an expression, since a bare `0` in GROUP BY names a column on SQLite.
        let period = if starts.len() == 1 {
            "(day * 0)".to_owned()
        } else {
            format!("CASE {period} ELSE {} END", starts.len() - 1)
        };
        let sums: Vec<String> =
            Measures::COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT dim, {period} AS period, value, {} FROM report_days WHERE day >= $1 AND day < $2 AND kind = $3 \
             AND filter = $4 AND dim IN ('all', 'priority', 'team', 'service', 'category') \
             GROUP BY dim, {period}, value",
            sums.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(day_number(*first))
            .bind(day_number(end))
            .bind(kind.as_str())
            .bind(filter)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter()
            .map(|r| {
                let dim: String = r.try_get("dim")?;
                let period = usize::try_from(r.try_get::<i64, _>("period")?).unwrap_or(0);
                Ok(DayRow {
                    day: starts.get(period).copied().unwrap_or(*first),
                    dim: Dim::parse(&dim)
                        .ok_or_else(|| StoreError::Corrupt(format!("report dimension {dim}")))?,
                    value: r.try_get("value")?,
                    measures: measures_of(r)?,
                })
            })
            .collect()
    }

    /// Tickets of one kind (in one filter's view) opened and not yet ended before local day
    /// `before`.
    pub async fn report_backlog_before(&self, kind: TicketKind, filter: &str, before: Date) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(created - ended) AS BIGINT) FROM report_days \
             WHERE filter = $3 AND kind = $1 AND dim = 'all' AND day < $2",
        )
        .bind(kind.as_str())
        .bind(day_number(before))
        .bind(filter)
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(n.unwrap_or(0))
    }

    /// All-time sums of one dimension's values (the histograms in `/metrics`).
    pub async fn report_totals(&self, kind: TicketKind, dim: Dim) -> Result<Vec<(String, Measures)>> {
        let sums: Vec<String> =
            Measures::COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT value, {} FROM report_days WHERE filter = '' AND kind = $2 AND dim = $1 GROUP BY value ORDER BY value",
            sums.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dim.as_str())
            .bind(kind.as_str())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("value")?, measures_of(r)?))).collect()
    }

    /// The rollup rows of the tickets matching `filter` created before `before`, summed in `tz`
    /// as they stream in, so memory stays small however many match.
    pub async fn report_day_rows(
        &self,
        kind: TicketKind,
        filter: &ReportFilter,
        before: Timestamp,
        tz: &TimeZone,
    ) -> Result<Vec<DayRow>> {
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
            "SELECT t.kind, t.priority, t.impact, t.team_id, t.assignee_id, t.service, t.category_id, t.state, t.created_at, \
             t.resolved_at, t.reopen_count, {FACT_COLUMNS} FROM tickets t LEFT JOIN ticket_facts f ON f.ticket_id = t.id \
             WHERE {}",
            clauses.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.as_str()).bind(to_ms(before));
        if let Some(p) = filter.priority {
            q = q.bind(p);
        }
        if let Some(t) = filter.team_id {
            q = q.bind(t.get());
        }
        if let Some(s) = &filter.service {
            q = q.bind(s.clone());
        }
        if let Some(c) = filter.category_id {
            q = q.bind(c.get());
        }
        // Streamed, not collected: memory holds the sums, not the tickets.
        let mut conn = self.reader().await?;
        let mut rows = q.fetch(&mut *conn);
        let mut sums = DaySums::default();
        while let Some(r) = rows.try_next().await? {
            sums.add(&entry_of(&r)?, tz);
        }
        Ok(sums.into_rows())
    }

    /// Incidents of widespread impact (1) on a named service that overlap `[from, to)`.
    pub async fn outages(
        &self,
        from: Timestamp,
        to: Timestamp,
        service: Option<&str>,
    ) -> Result<Vec<Outage>> {
        // One row per service with its windows packed as `start:end,…` (end empty while open):
        // a few rows instead of one per outage, since each row costs a round trip.
        let windows = match self.backend {
            Backend::Sqlite => "group_concat(created_at || ':' || COALESCE(resolved_at, ''), ',')",
            Backend::Postgres => {
                "string_agg(created_at::text || ':' || COALESCE(resolved_at::text, ''), ',')"
            }
        };
        let sql = format!(
            "SELECT service, {windows} AS windows FROM tickets WHERE impact = 1 AND service IS NOT NULL \
             AND kind = 'incident' AND state <> 'cancelled' AND created_at < $1 \
             AND (resolved_at IS NULL OR resolved_at > $2) GROUP BY service"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(to))
            .bind(to_ms(from))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        let mut out = Vec::new();
        let corrupt = |w: &str| StoreError::Corrupt(format!("outage window `{w}`"));
        for r in &rows {
            let name: String = r.try_get("service")?;
            if service.is_some_and(|s| s != name) {
                continue;
            }
            let windows: String = r.try_get("windows")?;
            for w in windows.split(',') {
                let (start, end) = w.split_once(':').ok_or_else(|| corrupt(w))?;
                let start = start.parse().map_err(|_| corrupt(w))?;
                let end = if end.is_empty() { None } else { Some(end.parse().map_err(|_| corrupt(w))?) };
                out.push(Outage { service: name.clone(), start: from_ms(start)?, end: from_ms_opt(end)? });
            }
        }
        Ok(out)
    }

    /// The zone the rollup was built in, if it was built.
    pub async fn report_time_zone(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT time_zone FROM report_settings WHERE id = 1")
            .fetch_optional(&mut *self.reader().await?)
            .await?)
    }

    /// Recomputes the whole rollup from the tickets and their facts, in `tz`. Returns the number
    /// of tickets read.
    pub async fn rebuild_reports(&self, tz: &TimeZone, tz_name: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM report_days").execute(tx.conn().await?).await?;
        let mut sums: BTreeMap<RollupKey, Measures> = BTreeMap::new();
        let (mut after, mut read) = (0_i64, 0_u64);
        loop {
            let sql = format!(
                "SELECT t.id, t.kind, t.priority, t.impact, t.team_id, t.assignee_id, t.service, t.category_id, t.state, \
                 t.created_at, t.resolved_at, t.reopen_count, {FACT_COLUMNS} FROM tickets t \
                 LEFT JOIN ticket_facts f ON f.ticket_id = t.id WHERE t.id > $1 AND t.kind IN ('incident', 'request') ORDER BY t.id LIMIT 10000"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(tx.conn().await?).await?;
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
        .execute(tx.conn().await?)
        .await?;
        tx.commit().await?;
        Ok(read)
    }
}

pub(crate) fn measures_of(r: &AnyRow) -> Result<Measures> {
    let mut a = [0_i64; 14];
    for (i, c) in Measures::COLUMNS.iter().enumerate() {
        a[i] = r.try_get::<Option<i64>, _>(*c)?.unwrap_or(0);
    }
    Ok(Measures::from_array(a))
}
