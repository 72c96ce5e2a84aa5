//! What the monthly leaderboard counts, per team and agent: incidents' and service requests'
//! figures from the report rollup (never the tickets themselves), problems resolved, changes
//! succeeded and review action items done.

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use steward_core::ids::{TeamId, UserId};
use steward_core::reports::{Dim, Measures};

use crate::reports::{day_number, measures_of};
use crate::{Result, Store, to_ms};

/// A count per team and agent (either may be unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deeds {
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub count: i64,
}

/// The three kinds of deed the leaderboard counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deed {
    ProblemsResolved,
    ChangesSucceeded,
    ImprovementsShipped,
}

impl Store {
    /// Incidents' and service requests' measures of local days `from..to` in the whole desk's
    /// view, per value of `dim` (a team's or an agent's id; empty: none).
    pub async fn rollup_by(&self, dim: Dim, from: Date, to: Date) -> Result<Vec<(String, Measures)>> {
        let sums: Vec<String> =
            Measures::COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT value, {} FROM report_days WHERE filter = '' AND kind IN ('incident', 'request') AND dim = $1 \
             AND day >= $2 AND day < $3 GROUP BY value",
            sums.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dim.as_str())
            .bind(day_number(from))
            .bind(day_number(to))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("value")?, measures_of(r)?))).collect()
    }

    /// How many of `deed` were done in [from, to), per team and agent.
    pub async fn deeds(&self, deed: Deed, from: Timestamp, to: Timestamp) -> Result<Vec<Deeds>> {
        let sql = match deed {
            Deed::ProblemsResolved => {
                "SELECT team_id, assignee_id AS user_id, COUNT(*) AS n FROM tickets \
                 WHERE kind = 'problem' AND resolved_at >= $1 AND resolved_at < $2 GROUP BY team_id, assignee_id"
            }
            Deed::ChangesSucceeded => {
                "SELECT t.team_id, t.assignee_id AS user_id, COUNT(*) AS n FROM changes c JOIN tickets t ON t.id = c.ticket_id \
                 WHERE c.outcome = 'successful' AND c.completed_at >= $1 AND c.completed_at < $2 \
                 GROUP BY t.team_id, t.assignee_id"
            }
            Deed::ImprovementsShipped => {
                "SELECT t.team_id, a.owner_id AS user_id, COUNT(*) AS n FROM review_actions a \
                 JOIN tickets t ON t.id = a.incident_id \
                 WHERE a.state = 'done' AND a.done_at >= $1 AND a.done_at < $2 GROUP BY t.team_id, a.owner_id"
            }
        };
        let rows =
            sqlx::query(sql).bind(to_ms(from)).bind(to_ms(to)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter()
            .map(|r| {
                Ok(Deeds {
                    team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
                    user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}
