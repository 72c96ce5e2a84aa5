//! What problem management stores (issue 19): each problem's root-cause analysis and the
//! incidents it caused (the problem itself is a row of `tickets`), and, in `trends.rs`, the
//! incidents read for trend detection.

mod trends;

use jiff::Timestamp;
use steward_core::ids::TicketId;
use steward_core::problems::{Analysis, fishbone_from_lines};
use steward_core::tickets::Ticket;

use crate::tickets::{TICKET_COLUMNS, TicketRow};
use crate::{Result, Store, Tx, to_ms};

type AnalysisRow = (i64, String, String, String, String, String);

fn analysis_of(r: AnalysisRow) -> (TicketId, Analysis) {
    let (id, whys, fishbone, root_cause, workaround, permanent_fix) = r;
    let whys = whys.lines().map(str::to_owned).collect();
    (
        TicketId(id),
        Analysis { whys, fishbone: fishbone_from_lines(&fishbone), root_cause, workaround, permanent_fix },
    )
}

const ANALYSIS_COLUMNS: &str = "ticket_id, whys, fishbone, root_cause, workaround, permanent_fix";

impl Store {
    /// A problem's analysis (empty until one is recorded).
    pub async fn analysis(&self, problem: TicketId) -> Result<Analysis> {
        let sql = format!("SELECT {ANALYSIS_COLUMNS} FROM problem_analyses WHERE ticket_id = $1");
        let row: Option<AnalysisRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(problem.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(row.map(|r| analysis_of(r).1).unwrap_or_default())
    }

    /// The problem an incident is linked to, if any.
    pub async fn problem_of(&self, incident: TicketId) -> Result<Option<TicketId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT problem_id FROM problem_incidents WHERE incident_id = $1")
                .bind(incident.get())
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        Ok(id.map(TicketId))
    }

    /// The incidents linked to a problem, oldest first.
    pub async fn problem_incidents(&self, problem: TicketId) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM problem_incidents p JOIN tickets t ON t.id = p.incident_id \
             WHERE p.problem_id = $1 ORDER BY t.id"
        );
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(problem.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// How many incidents each of `problems` has linked.
    pub async fn problem_incident_counts(&self, problems: &[TicketId]) -> Result<Vec<(TicketId, i64)>> {
        if problems.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = problems.iter().map(|p| p.get()).collect();
        let sql = format!(
            "SELECT problem_id, COUNT(*) FROM problem_incidents WHERE problem_id IN ({}) GROUP BY problem_id",
            crate::id_list(&ids)
        );
        let rows: Vec<(i64, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        Ok(rows.into_iter().map(|(p, n)| (TicketId(p), n)).collect())
    }

    /// Problems in `states` with their analyses, newest first: the known-error database reads
    /// the known errors (and resolved problems whose workaround still helps older systems).
    pub async fn problems_with_analysis(
        &self,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<(Ticket, Analysis)>> {
        let states: Vec<String> = states.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect();
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.kind = 'problem' AND t.state IN ({}) \
             ORDER BY t.updated_at DESC, t.id DESC LIMIT $1",
            states.join(", ")
        );
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        let tickets: Vec<Ticket> = rows.into_iter().map(Ticket::try_from).collect::<Result<_>>()?;
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = tickets.iter().map(|t| t.id.get()).collect();
        let sql = format!(
            "SELECT {ANALYSIS_COLUMNS} FROM problem_analyses WHERE ticket_id IN ({})",
            crate::id_list(&ids)
        );
        let rows: Vec<AnalysisRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        let mut analyses: std::collections::HashMap<TicketId, Analysis> =
            rows.into_iter().map(analysis_of).collect();
        Ok(tickets
            .into_iter()
            .map(|t| {
                let a = analyses.remove(&t.id).unwrap_or_default();
                (t, a)
            })
            .collect())
    }
}

impl Tx {
    /// Writes a problem's analysis, replacing the one before.
    pub async fn save_analysis(&mut self, problem: TicketId, a: &Analysis, at: Timestamp) -> Result<()> {
        let fishbone: Vec<String> =
            a.fishbone.iter().map(|c| format!("{}: {}", c.bone.as_str(), c.text)).collect();
        let sql = "INSERT INTO problem_analyses (ticket_id, whys, fishbone, root_cause, workaround, permanent_fix, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ticket_id) DO UPDATE SET whys = excluded.whys, \
                   fishbone = excluded.fishbone, root_cause = excluded.root_cause, workaround = excluded.workaround, \
                   permanent_fix = excluded.permanent_fix, updated_at = excluded.updated_at";
        self.execute(
            sql,
            vec![
                problem.into(),
                a.whys.join("\n").into(),
                fishbone.join("\n").into(),
                a.root_cause.clone().into(),
                a.workaround.clone().into(),
                a.permanent_fix.clone().into(),
                to_ms(at).into(),
            ],
        )
        .await?;
        Ok(())
    }

    /// Links an incident to a problem (`Duplicate { field: "incident_ids" }` when the incident
    /// already has one).
    pub async fn link_problem_incident(
        &mut self,
        problem: TicketId,
        incident: TicketId,
        at: Timestamp,
    ) -> Result<()> {
        let sql = "INSERT INTO problem_incidents (incident_id, problem_id, linked_at) VALUES ($1, $2, $3)";
        self.execute(sql, vec![incident.into(), problem.into(), to_ms(at).into()]).await?;
        Ok(())
    }

    /// Unlinks an incident from a problem; false when it was not linked to it.
    pub async fn unlink_problem_incident(&mut self, problem: TicketId, incident: TicketId) -> Result<bool> {
        let sql = "DELETE FROM problem_incidents WHERE incident_id = $1 AND problem_id = $2";
        Ok(self.execute(sql, vec![incident.into(), problem.into()]).await? == 1)
    }

    /// The problems already linked to any of `incidents`: (incident, problem).
    pub async fn problems_of(&mut self, incidents: &[TicketId]) -> Result<Vec<(TicketId, TicketId)>> {
        if incidents.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = incidents.iter().map(|i| i.get()).collect();
        let sql = format!(
            "SELECT incident_id, problem_id FROM problem_incidents WHERE incident_id IN ({})",
            crate::id_list(&ids)
        );
        let rows: Vec<(i64, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(self.conn().await?).await?;
        Ok(rows.into_iter().map(|(i, p)| (TicketId(i), TicketId(p))).collect())
    }
}
