//! Bulk loading of synthetic incidents, for benchmarks and demos at scale.
//!
//! Rows are generated inside the database (a recursive CTE on SQLite, `generate_series` on
//! PostgreSQL), so a million incidents load without a million round trips. These rows have no
//! events: they are fixtures, not history. Their facts are loaded too; the caller rebuilds the
//! report rollup (`Store::rebuild_reports`).

use jiff::Timestamp;
use steward_core::ids::{TeamId, UserId};

use crate::{Backend, Result, Store, to_ms};

/// Words the synthetic titles are made of; `host-N` makes each title searchable by host.
const TITLES: &[&str] = &[
    "Disk full on",
    "High latency on",
    "Service down on",
    "Login failures on",
    "Backup failed on",
    "Certificate expiring on",
    "数据库连接池耗尽",
    "Memory leak on",
];

impl Store {
    /// Inserts `count` incidents spread over `team_ids`, requested by `requester_id`, created
    /// over the `span_ms` before `now`. Returns the number of rows inserted.
    pub async fn bulk_load_incidents(
        &self,
        count: i64,
        team_ids: &[TeamId],
        requester_id: UserId,
        now: Timestamp,
        span_ms: i64,
    ) -> Result<u64> {
        let teams = team_ids.len().max(1) as i64;
        let first_team = team_ids.first().map_or(0, |t| t.get());
        let titles = TITLES
            .iter()
            .enumerate()
            .map(|(i, t)| format!("WHEN {i} THEN '{t}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let states = "CASE n % 7 WHEN 0 THEN 'new' WHEN 1 THEN 'assigned' WHEN 2 THEN 'in_progress' \
                      WHEN 3 THEN 'on_hold' WHEN 4 THEN 'resolved' WHEN 5 THEN 'closed' ELSE 'in_progress' END";
        let mut tx = self.begin().await?;
        let start: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(next), 1) FROM ticket_counters WHERE kind = 'incident'")
                .fetch_one(tx.conn().await?)
                .await?;
        let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM tickets")
            .fetch_one(tx.conn().await?)
            .await?;
        let (series, number) = match self.backend {
            Backend::Sqlite => (
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) SELECT n FROM seq",
                "'INC' || printf('%06d', n + $2 - 1)",
            ),
            Backend::Postgres => (
                "SELECT n FROM generate_series(1, $1::bigint) AS n",
                "'INC' || CASE WHEN n + $2 - 1 < 1000000 THEN lpad((n + $2 - 1)::text, 6, '0') ELSE (n + $2 - 1)::text END",
            ),
        };
        // Team ids are consecutive when made by the loader's caller; `first_team + n % teams`
        // spreads rows over them.
        let sql = format!(
            "INSERT INTO tickets (kind, number, title, description, requester_id, impact, urgency, priority, team_id, \
             state, hold_reason, service, resolved_at, closed_at, created_at, updated_at, version) \
             SELECT 'incident', {number}, \
                    (CASE n % {len} {titles} END) || ' host-' || (n % 5000), '', $3, \
                    1 + n % 3, 1 + (n / 3) % 3, 1 + n % 3 + (n / 3) % 3, $4 + n % $5, {states}, \
                    CASE WHEN n % 7 = 3 THEN 'awaiting_customer' END, \
                    CASE WHEN n % 50 = 0 THEN 'svc-' || ((n / 50) % 20) END, \
                    CASE WHEN n % 7 IN (4, 5) THEN $6 - (n * $7) / $1 + (n % 97 + 1) * 600000 END, \
                    CASE WHEN n % 7 = 5 THEN $6 - (n * $7) / $1 + (n % 97 + 2) * 600000 END, \
                    $6 - (n * $7) / $1, $6 - (n * $7) / $1, 1 \
             FROM ({series}) AS s",
            len = TITLES.len(),
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(count)
            .bind(start)
            .bind(requester_id.get())
            .bind(first_team)
            .bind(teams)
            .bind(to_ms(now))
            .bind(span_ms)
            .execute(tx.conn().await?)
            .await?;
        // Facts as the app would have fixed them: a response minutes after creation for every
        // ticket that left `new`, business time equal to wall time, one target in ten missed.
        sqlx::query(
            "INSERT INTO ticket_facts (ticket_id, responded_at, response_business_secs, response_met, \
             resolution_business_secs, resolution_met) \
             SELECT id, CASE WHEN state <> 'new' THEN created_at + (id % 13 + 1) * 60000 END, \
                    CASE WHEN state <> 'new' THEN (id % 13 + 1) * 60 END, \
                    CASE WHEN state <> 'new' THEN CASE WHEN id % 10 = 0 THEN 0 ELSE 1 END END, \
                    (resolved_at - created_at) / 1000, \
                    CASE WHEN resolved_at IS NOT NULL THEN CASE WHEN id % 10 = 1 THEN 0 ELSE 1 END END \
             FROM tickets WHERE id > $1",
        )
        .bind(before)
        .execute(tx.conn().await?)
        .await?;
        sqlx::query(
            "INSERT INTO ticket_counters (kind, next) VALUES ('incident', $1) \
             ON CONFLICT (kind) DO UPDATE SET next = $1",
        )
        .bind(start + count)
        .execute(tx.conn().await?)
        .await?;
        if self.backend == Backend::Sqlite {
            // One batch for the whole load (see `insert.rs`), merged as it goes by FTS5 itself:
            // no create waits on a bulk load, and its many segments need merging at once.
            let merging = "INSERT INTO tickets_title_fts (tickets_title_fts, rank) VALUES ('automerge', 4); ";
            let done = "; INSERT INTO tickets_title_fts (tickets_title_fts, rank) VALUES ('automerge', 0)";
            let sql = format!("{merging}{}{done}", super::insert::INDEX_PENDING_TITLES);
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(tx.conn().await?).await?;
        }
        tx.commit().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE tickets").execute(&mut *self.writer().await?).await?;
        } else {
            sqlx::query("ANALYZE").execute(&mut *self.writer().await?).await?;
        }
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Inserts incidents with the given (title, description), requested by `requester_id` and
    /// spread over `team_ids`, created over the `span_ms` before `now`, a thousand rows per
    /// statement: fixtures for the search benchmark, which needs varied text. No events.
    pub async fn bulk_load_texts(
        &self,
        texts: &[(String, String)],
        team_ids: &[TeamId],
        requester_id: UserId,
        now: Timestamp,
        span_ms: i64,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(next), 1) FROM ticket_counters WHERE kind = 'incident'")
                .fetch_one(tx.conn().await?)
                .await?;
        let total = texts.len().max(1) as i64;
        let mut done = 0_u64;
        for (chunk_no, chunk) in texts.chunks(1_000).enumerate() {
            let mut values = Vec::with_capacity(chunk.len());
            for i in 0..chunk.len() {
                let p = i * 3;
                values.push(format!(
                    "('incident', ${}, ${}, ${}, {requester}, 2, 2, 3, {team}, 'in_progress', {at}, {at}, 1)",
                    p + 1,
                    p + 2,
                    p + 3,
                    requester = requester_id.get(),
                    team =
                        team_ids.get((chunk_no * 1_000 + i) % team_ids.len().max(1)).map_or(0, |t| t.get()),
                    at = to_ms(now) - (((chunk_no * 1_000 + i) as i64) * span_ms) / total,
                ));
            }
            let sql = format!(
                "INSERT INTO tickets (kind, number, title, description, requester_id, impact, urgency, priority, team_id, \
                 state, created_at, updated_at, version) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (title, description) in chunk {
                q = q.bind(format!("INC{next:06}")).bind(title.as_str()).bind(description.as_str());
                next += 1;
            }
            done += q.execute(tx.conn().await?).await?.rows_affected();
        }
        sqlx::query(
            "INSERT INTO ticket_counters (kind, next) VALUES ('incident', $1) ON CONFLICT (kind) DO UPDATE SET next = $1",
        )
        .bind(next)
        .execute(tx.conn().await?)
        .await?;
        if self.backend == Backend::Sqlite {
            sqlx::query(sqlx::AssertSqlSafe(super::insert::INDEX_PENDING_TITLES))
                .execute(tx.conn().await?)
                .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Benchmarks: gives every incident one of `agents` (round robin by id), then a rating of
    /// 1–5 stars, answered an hour after resolution, to every fifth resolved one. Returns the
    /// ratings written.
    pub async fn bulk_load_ratings(&self, agents: &[UserId]) -> Result<u64> {
        let Some(first) = agents.first() else { return Ok(0) };
        let cases: String =
            agents.iter().enumerate().map(|(i, a)| format!(" WHEN {i} THEN {}", a.get())).collect();
        let mut tx = self.begin().await?;
        let assign = format!(
            "UPDATE tickets SET assignee_id = CASE id % {}{cases} ELSE {} END WHERE kind = 'incident'",
            agents.len(),
            first.get()
        );
        sqlx::query(sqlx::AssertSqlSafe(assign)).execute(tx.conn().await?).await?;
        let rated = sqlx::query(
            "INSERT INTO csat_surveys (ticket_id, requester_id, team_id, assignee_id, service, token_hash, asked_at, \
             expires_at, answered_at, stars, comment, via) \
             SELECT id, requester_id, team_id, assignee_id, service, 'bench-' || CAST(id AS TEXT), resolved_at, \
             resolved_at + 1209600000, resolved_at + 3600000, 1 + (id / 5) % 5, '', 'portal' FROM tickets t \
             WHERE kind = 'incident' AND resolved_at IS NOT NULL AND id % 5 = 0 \
             AND NOT EXISTS (SELECT 1 FROM csat_surveys c WHERE c.ticket_id = t.id)",
        )
        .execute(tx.conn().await?)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(rated)
    }
}
