//! What change management stores (issue 20): models and their versions, each change's plan
//! (the change itself is a row of `tickets`), its links to incidents and problems; approvals
//! in `approvals.rs`, the calendar (freezes, slots, bookings, overrides) in `calendar.rs`.

mod approvals;
#[cfg(feature = "bulk-load")]
mod bulk;
mod calendar;
mod figures;
mod releases;

pub use approvals::{ApprovalRecord, DecisionRecord, DelegationRecord, GroupRecord, LinkRecord};
pub(crate) use approvals::{verdict_of, verdict_str};
pub use calendar::{CalendarEntry, FreezeRecord};
pub use releases::ReleaseRecord;

use jiff::Timestamp;
use sqlx::Row;
use steward_core::changes::{ChangeType, Outcome, Plan, RiskClass, Window};
use steward_core::ids::{CiId, TeamId, TicketId};
use steward_core::tickets::Ticket;

use crate::tickets::{TICKET_COLUMNS, TicketRow};
use crate::{Result, Store, StoreError, Tx, from_ms, from_ms_opt, to_ms};

/// A model as listed: its newest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRecord {
    pub id: i64,
    pub name: String,
    pub change_type: ChangeType,
    pub version: i64,
    pub retired: bool,
}

/// A change's plan with what its risk assessment recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub plan: Plan,
    pub risk_reasons: String,
    /// (question id, answer index)
    pub risk_answers: Vec<(i64, usize)>,
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("change: {what}"))
}

const PLAN_COLUMNS: &str = "ticket_id, change_type, model_id, model_version, step, reason, implementation_plan, \
    backout_plan, test_plan, communication_plan, planned_start, planned_end, implementer_team, risk_score, \
    risk_class, risk_reasons, risk_answers, outcome, started_at, completed_at, review, version, commit_url";

fn plan_of(r: &sqlx::any::AnyRow) -> Result<(TicketId, PlanRecord)> {
    let text = |c: &str| -> Result<String> { Ok(r.try_get(c)?) };
    let opt = |c: &str| -> Result<Option<String>> { Ok(r.try_get(c)?) };
    let window =
        match (r.try_get::<Option<i64>, _>("planned_start")?, r.try_get::<Option<i64>, _>("planned_end")?) {
            (Some(s), Some(e)) => Some(Window::between(from_ms(s)?, from_ms(e)?).map_err(corrupt)?),
            _ => None,
        };
    let plan = Plan {
        change_type: ChangeType::parse(&text("change_type")?).map_err(corrupt)?,
        model_id: r.try_get("model_id")?,
        model_version: r.try_get("model_version")?,
        step: text("step")?,
        reason: text("reason")?,
        implementation_plan: text("implementation_plan")?,
        backout_plan: text("backout_plan")?,
        test_plan: text("test_plan")?,
        communication_plan: text("communication_plan")?,
        window,
        implementer_team: r.try_get::<Option<i64>, _>("implementer_team")?.map(TeamId),
        risk_score: r.try_get("risk_score")?,
        risk_class: opt("risk_class")?.map(|c| RiskClass::parse(&c)).transpose().map_err(corrupt)?,
        outcome: opt("outcome")?.map(|c| Outcome::parse(&c)).transpose().map_err(corrupt)?,
        started_at: from_ms_opt(r.try_get("started_at")?)?,
        completed_at: from_ms_opt(r.try_get("completed_at")?)?,
        review: text("review")?,
        version: text("version")?,
        commit_url: text("commit_url")?,
    };
    let risk_answers = text("risk_answers")?
        .lines()
        .filter_map(|l| {
            let (q, a) = l.split_once('=')?;
            Some((q.parse().ok()?, a.parse().ok()?))
        })
        .collect();
    Ok((
        TicketId(r.try_get("ticket_id")?),
        PlanRecord { plan, risk_reasons: text("risk_reasons")?, risk_answers },
    ))
}

fn model_of(r: &sqlx::any::AnyRow) -> Result<ModelRecord> {
    Ok(ModelRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        change_type: ChangeType::parse(&r.try_get::<String, _>("change_type")?).map_err(corrupt)?,
        version: r.try_get("version")?,
        retired: r.try_get::<i64, _>("retired")? != 0,
    })
}

/// Whether a change in this state holds its window on the calendar.
pub fn books_calendar(ticket: &Ticket, plan: &Plan) -> bool {
    ticket.state.is_open() && plan.window.is_some() && plan.completed_at.is_none()
}

impl Store {
    pub async fn change_models(&self) -> Result<Vec<ModelRecord>> {
        let rows =
            sqlx::query("SELECT id, name, change_type, version, retired FROM change_models ORDER BY id")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        rows.iter().map(model_of).collect()
    }

    pub async fn change_model(&self, id: i64) -> Result<Option<ModelRecord>> {
        let row =
            sqlx::query("SELECT id, name, change_type, version, retired FROM change_models WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        row.as_ref().map(model_of).transpose()
    }

    /// A version's definition (YAML).
    pub async fn change_model_definition(&self, id: i64, version: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT definition FROM change_model_versions WHERE model_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// Open changes of a model with the version and step each is at.
    pub async fn changes_in_flight(&self, model: i64) -> Result<Vec<(TicketId, String, i64, String)>> {
        let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT t.id, t.number, c.model_version, c.step FROM changes c JOIN tickets t ON t.id = c.ticket_id \
             WHERE c.model_id = $1 AND t.state NOT IN ('closed', 'cancelled', 'rejected') ORDER BY t.id",
        )
        .bind(model)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|(id, n, v, s)| (TicketId(id), n, v, s)).collect())
    }

    pub async fn change_plan(&self, id: TicketId) -> Result<Option<PlanRecord>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM changes WHERE ticket_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(row.as_ref().map(plan_of).transpose()?.map(|(_, p)| p))
    }

    pub async fn change_plans(&self, ids: &[TicketId]) -> Result<Vec<(TicketId, PlanRecord)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
        let sql = format!("SELECT {PLAN_COLUMNS} FROM changes WHERE ticket_id IN ({})", crate::id_list(&ids));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(plan_of).collect()
    }

    /// The incidents and problems linked to a change.
    pub async fn change_links(&self, change: TicketId) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM change_links l JOIN tickets t ON t.id = l.ticket_id \
             WHERE l.change_id = $1 ORDER BY t.id"
        );
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(change.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// The changes a ticket is linked to.
    pub async fn changes_linked_to(&self, ticket: TicketId) -> Result<Vec<(TicketId, String)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT t.id, t.number FROM change_links l JOIN tickets t ON t.id = l.change_id \
             WHERE l.ticket_id = $1 ORDER BY t.id",
        )
        .bind(ticket.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|(i, n)| (TicketId(i), n)).collect())
    }

    /// Changes on any of `cis` that started (or, not started, were planned to) between `from`
    /// and `to`: (change, number, CI, when). Deployments recorded as changes count alike.
    pub async fn changes_on_cis_between(
        &self,
        cis: &[CiId],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(TicketId, String, CiId, Timestamp)>> {
        if cis.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = cis.iter().map(|c| c.get()).collect();
        let sql = format!(
            "SELECT t.id, t.number, x.ci_id, COALESCE(c.started_at, c.planned_start) AS at \
             FROM ticket_cis x JOIN changes c ON c.ticket_id = x.ticket_id JOIN tickets t ON t.id = x.ticket_id \
             WHERE x.ci_id IN ({}) AND COALESCE(c.started_at, c.planned_start) BETWEEN $1 AND $2 \
             AND t.state NOT IN ('cancelled', 'rejected') ORDER BY at DESC, t.id LIMIT 50",
            crate::id_list(&ids)
        );
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(from))
            .bind(to_ms(to))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(|(t, n, c, at)| Ok((TicketId(t), n, CiId(c), from_ms(at)?))).collect()
    }

    /// An open change recording a deployment of `version` from `commit_url` (a pipeline's
    /// "running" record, to complete when it reports its end).
    pub async fn open_deployment(&self, version: &str, commit_url: &str) -> Result<Option<TicketId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT c.ticket_id FROM changes c JOIN tickets t ON t.id = c.ticket_id \
             WHERE c.version = $1 AND c.commit_url = $2 AND t.state = 'implementation' ORDER BY c.ticket_id DESC LIMIT 1",
        )
        .bind(version)
        .bind(commit_url)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(id.map(TicketId))
    }

    /// How many changes on any of `cis` (other than `except`) failed or were backed out.
    pub async fn failed_changes_on(&self, cis: &[CiId], except: TicketId) -> Result<usize> {
        if cis.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = cis.iter().map(|c| c.get()).collect();
        let sql = format!(
            "SELECT COUNT(DISTINCT c.ticket_id) FROM ticket_cis x JOIN changes c ON c.ticket_id = x.ticket_id \
             WHERE x.ci_id IN ({}) AND c.outcome IN ('failed', 'backed_out') AND c.ticket_id <> $1",
            crate::id_list(&ids)
        );
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(except.get())
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

impl Tx {
    pub async fn insert_change_model(
        &mut self,
        now: Timestamp,
        name: &str,
        change_type: ChangeType,
        definition: &str,
        by: &str,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO change_models (name, change_type, version, created_at) VALUES ($1, $2, 1, $3) RETURNING id",
        )
        .bind(name)
        .bind(change_type.as_str())
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        self.insert_model_version(now, id, 1, definition, by).await?;
        Ok(id)
    }

    /// Saves `definition` as the model's next version; returns it.
    pub async fn new_model_version(
        &mut self,
        now: Timestamp,
        id: i64,
        definition: &str,
        by: &str,
    ) -> Result<i64> {
        let version: i64 = sqlx::query_scalar(
            "UPDATE change_models SET version = version + 1 WHERE id = $1 RETURNING version",
        )
        .bind(id)
        .fetch_one(self.conn().await?)
        .await?;
        self.insert_model_version(now, id, version, definition, by).await?;
        Ok(version)
    }

    async fn insert_model_version(
        &mut self,
        now: Timestamp,
        id: i64,
        version: i64,
        def: &str,
        by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO change_model_versions (model_id, version, definition, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(def)
        .bind(by)
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn set_model_retired(&mut self, id: i64, retired: bool) -> Result<()> {
        sqlx::query("UPDATE change_models SET retired = $1 WHERE id = $2")
            .bind(i64::from(retired))
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Moves open changes of a model at `steps` to its newest version.
    pub async fn upgrade_in_flight(&mut self, model: i64, version: i64, changes: &[TicketId]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = changes.iter().map(|c| c.get()).collect();
        let sql = format!(
            "UPDATE changes SET model_version = $1 WHERE model_id = $2 AND ticket_id IN ({})",
            crate::id_list(&ids)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(version).bind(model).execute(self.conn().await?).await?;
        Ok(())
    }

    /// Writes a change's plan (insert or replace), and whether it holds the calendar.
    pub async fn save_plan(&mut self, id: TicketId, p: &PlanRecord, booked: bool) -> Result<()> {
        let answers: Vec<String> = p.risk_answers.iter().map(|(q, a)| format!("{q}={a}")).collect();
        let plan = &p.plan;
        let ms = |t: Option<Timestamp>| t.map(to_ms);
        sqlx::query(
            "INSERT INTO changes (ticket_id, change_type, model_id, model_version, step, reason, implementation_plan, \
             backout_plan, test_plan, communication_plan, planned_start, planned_end, implementer_team, risk_score, \
             risk_class, risk_reasons, risk_answers, outcome, started_at, completed_at, review, booked, version, commit_url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
             ON CONFLICT (ticket_id) DO UPDATE SET change_type = excluded.change_type, model_id = excluded.model_id, \
             model_version = excluded.model_version, step = excluded.step, reason = excluded.reason, \
             implementation_plan = excluded.implementation_plan, backout_plan = excluded.backout_plan, \
             test_plan = excluded.test_plan, communication_plan = excluded.communication_plan, \
             planned_start = excluded.planned_start, planned_end = excluded.planned_end, \
             implementer_team = excluded.implementer_team, risk_score = excluded.risk_score, \
             risk_class = excluded.risk_class, risk_reasons = excluded.risk_reasons, \
             risk_answers = excluded.risk_answers, outcome = excluded.outcome, started_at = excluded.started_at, \
             completed_at = excluded.completed_at, review = excluded.review, booked = excluded.booked, \
             version = excluded.version, commit_url = excluded.commit_url",
        )
        .bind(id.get())
        .bind(plan.change_type.as_str())
        .bind(plan.model_id)
        .bind(plan.model_version)
        .bind(&plan.step)
        .bind(&plan.reason)
        .bind(&plan.implementation_plan)
        .bind(&plan.backout_plan)
        .bind(&plan.test_plan)
        .bind(&plan.communication_plan)
        .bind(ms(plan.window.map(|w| w.start)))
        .bind(ms(plan.window.map(|w| w.end)))
        .bind(plan.implementer_team.map(TeamId::get))
        .bind(plan.risk_score)
        .bind(plan.risk_class.map(|c| c.as_str()))
        .bind(&p.risk_reasons)
        .bind(answers.join("\n"))
        .bind(plan.outcome.map(|o| o.as_str()))
        .bind(ms(plan.started_at))
        .bind(ms(plan.completed_at))
        .bind(&plan.review)
        .bind(i64::from(booked))
        .bind(&plan.version)
        .bind(&plan.commit_url)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Links a ticket to a change; false when it already was.
    pub async fn link_change_ticket(
        &mut self,
        now: Timestamp,
        change: TicketId,
        ticket: TicketId,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO change_links (change_id, ticket_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(change.get())
        .bind(ticket.get())
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn unlink_change_ticket(&mut self, change: TicketId, ticket: TicketId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM change_links WHERE change_id = $1 AND ticket_id = $2")
            .bind(change.get())
            .bind(ticket.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
