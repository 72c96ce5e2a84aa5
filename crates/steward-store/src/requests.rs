//! Service requests and the catalogue: items, their published form and plan versions (JSON the
//! app parses into `requests::Form` and `Plan`), each request's order, approval levels,
//! decisions and fulfilment tasks.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use steward_core::changes::{Decision, Verdict};
use steward_core::ids::{TeamId, TicketId, UserId};
use steward_core::requests::TaskState;

use crate::changes::{verdict_of, verdict_str};
use crate::{Result, Store, StoreError, Tx, from_ms, from_ms_opt, to_ms};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("request: {what}"))
}

/// A catalogue item as typed (without its id and versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInput {
    pub name: String,
    pub name_zh: Option<String>,
    pub category: String,
    pub description: String,
    /// The organisations that may order it; empty: everyone.
    pub audience: Vec<String>,
    pub delivery_hours: i64,
    /// The team that owns its requests.
    pub team_id: Option<TeamId>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: i64,
    pub input: ItemInput,
    /// The version new requests are made on (0: nothing published yet).
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A published form and plan, as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub item_id: i64,
    pub version: i64,
    pub form: String,
    pub plan: String,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub ticket_id: TicketId,
    pub item_id: i64,
    pub form_version: i64,
    /// The answers as JSON.
    pub answers: String,
    pub due_at: Timestamp,
}

/// One approval level of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRecord {
    pub level: i64,
    pub group_id: Option<i64>,
    pub manager_id: Option<UserId>,
    pub verdict: Verdict,
    /// When the level was put to its approvers (`None` while an earlier level decides).
    pub requested_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDecision {
    pub level: i64,
    pub user_id: UserId,
    pub decision: Decision,
    pub comment: String,
    pub decided_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: i64,
    pub request_id: TicketId,
    pub position: i64,
    pub stage: i64,
    pub name: String,
    pub team_id: TeamId,
    pub state: TaskState,
    pub note: String,
    pub opened_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<UserId>,
}

const ITEM_COLUMNS: &str = "id, name, name_zh, category, description, audience, delivery_hours, team_id, active, \
    version, created_at, updated_at";
const TASK_COLUMNS: &str =
    "id, request_id, position, stage, name, team_id, state, note, opened_at, done_at, done_by";

fn item_of(r: &AnyRow) -> Result<ItemRecord> {
    let audience: String = r.try_get("audience")?;
    Ok(ItemRecord {
        id: r.try_get("id")?,
        input: ItemInput {
            name: r.try_get("name")?,
            name_zh: r.try_get("name_zh")?,
            category: r.try_get("category")?,
            description: r.try_get("description")?,
            audience: serde_json::from_str(&audience).map_err(corrupt)?,
            delivery_hours: r.try_get("delivery_hours")?,
            team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
            active: r.try_get::<i64, _>("active")? != 0,
        },
        version: r.try_get("version")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

fn task_of(r: &AnyRow) -> Result<TaskRecord> {
    Ok(TaskRecord {
        id: r.try_get("id")?,
        request_id: TicketId(r.try_get("request_id")?),
        position: r.try_get("position")?,
        stage: r.try_get("stage")?,
        name: r.try_get("name")?,
        team_id: TeamId(r.try_get("team_id")?),
        state: TaskState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        note: r.try_get("note")?,
        opened_at: from_ms_opt(r.try_get("opened_at")?)?,
        done_at: from_ms_opt(r.try_get("done_at")?)?,
        done_by: r.try_get::<Option<i64>, _>("done_by")?.map(UserId),
    })
}

fn level_of(
    (level, group_id, manager, verdict, at): (i64, Option<i64>, Option<i64>, String, Option<i64>),
) -> Result<LevelRecord> {
    Ok(LevelRecord {
        level,
        group_id,
        manager_id: manager.map(UserId),
        verdict: verdict_of(&verdict)?,
        requested_at: from_ms_opt(at)?,
    })
}

fn audience_json(a: &[String]) -> String {
    serde_json::Value::from(a.to_vec()).to_string()
}

impl Store {
    /// Every catalogue item, by category then name.
    pub async fn catalogue_items(&self) -> Result<Vec<ItemRecord>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM catalogue_items ORDER BY category, name, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(item_of).collect()
    }

    pub async fn catalogue_item(&self, id: i64) -> Result<Option<ItemRecord>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM catalogue_items WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.as_ref().map(item_of).transpose()
    }

    pub async fn catalogue_version(&self, item_id: i64, version: i64) -> Result<Option<VersionRecord>> {
        let row: Option<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT form, plan, created_at, created_by FROM catalogue_versions WHERE item_id = $1 AND version = $2",
        )
        .bind(item_id)
        .bind(version)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|(form, plan, at, by)| {
            Ok(VersionRecord {
                item_id,
                version,
                form,
                plan,
                created_at: from_ms(at)?,
                created_by: by.map(UserId),
            })
        })
        .transpose()
    }

    pub async fn request_order(&self, ticket: TicketId) -> Result<Option<OrderRecord>> {
        let row: Option<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT item_id, form_version, answers, due_at FROM service_requests WHERE ticket_id = $1",
        )
        .bind(ticket.get())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|(item_id, form_version, answers, due)| {
            Ok(OrderRecord { ticket_id: ticket, item_id, form_version, answers, due_at: from_ms(due)? })
        })
        .transpose()
    }

    /// The catalogue item and promised delivery time of each of these requests (those that
    /// are requests), in one query per 500: what their SLA clocks match on.
    pub async fn request_items(&self, tickets: &[TicketId]) -> Result<Vec<(TicketId, i64, Timestamp)>> {
        let mut out = Vec::new();
        for chunk in tickets.chunks(500) {
            let sql = format!(
                "SELECT ticket_id, item_id, due_at FROM service_requests WHERE ticket_id IN ({})",
                crate::placeholders(self.backend, 1, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id.get());
            }
            for (id, item, due) in query.fetch_all(&mut *self.reader().await?).await? {
                out.push((TicketId(id), item, from_ms(due)?));
            }
        }
        Ok(out)
    }

    pub async fn request_levels(&self, ticket: TicketId) -> Result<Vec<LevelRecord>> {
        type Row = (i64, Option<i64>, Option<i64>, String, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT level, group_id, manager_id, verdict, requested_at FROM request_approvals \
             WHERE request_id = $1 ORDER BY level",
        )
        .bind(ticket.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(level_of).collect()
    }

    pub async fn request_decisions(&self, ticket: TicketId) -> Result<Vec<RequestDecision>> {
        let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT level, user_id, decision, comment, decided_at FROM request_decisions \
             WHERE request_id = $1 ORDER BY decided_at, level, user_id",
        )
        .bind(ticket.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(level, user, decision, comment, at)| {
                Ok(RequestDecision {
                    level,
                    user_id: UserId(user),
                    decision: Decision::parse(&decision).map_err(corrupt)?,
                    comment,
                    decided_at: from_ms(at)?,
                })
            })
            .collect()
    }

    pub async fn request_tasks(&self, ticket: TicketId) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM request_tasks WHERE request_id = $1 ORDER BY position");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(task_of).collect()
    }

    /// Open tasks of these teams, oldest first.
    pub async fn open_request_tasks(&self, teams: &[TeamId]) -> Result<Vec<TaskRecord>> {
        if teams.is_empty() {
            return Ok(Vec::new());
        }
        let list = teams.iter().map(|t| t.get().to_string()).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM request_tasks WHERE state = 'open' AND team_id IN ({list}) \
             ORDER BY opened_at, id LIMIT 500"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(task_of).collect()
    }

    /// Requests whose current level waits for this manager, or for one of these approver
    /// groups: (request, level), oldest first.
    pub async fn levels_waiting_for(&self, manager: UserId, groups: &[i64]) -> Result<Vec<(TicketId, i64)>> {
        let groups = if groups.is_empty() {
            "NULL".to_owned()
        } else {
            groups.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        };
        let sql = format!(
            "SELECT a.request_id, a.level FROM request_approvals a JOIN tickets t ON t.id = a.request_id \
             WHERE a.verdict = 'pending' AND a.requested_at IS NOT NULL AND t.state = 'authorization' \
             AND t.requester_id <> $1 AND (a.manager_id = $1 OR a.group_id IN ({groups})) \
             ORDER BY a.requested_at, a.request_id LIMIT 500"
        );
        let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(manager.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        Ok(rows.into_iter().map(|(t, l)| (TicketId(t), l)).collect())
    }
}

impl Store {
    /// The ids of the user's own open incidents (the newest 200).
    pub async fn open_tickets_of(&self, user: UserId) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM tickets WHERE requester_id = $1 AND kind = 'incident' \
             AND state IN ('new', 'assigned', 'in_progress', 'on_hold') ORDER BY id DESC LIMIT 200",
        )
        .bind(user.get())
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// The services named on the user's tickets of the last 500.
    pub async fn services_of(&self, user: UserId) -> Result<Vec<String>> {
        let rows: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT service FROM tickets WHERE requester_id = $1 ORDER BY id DESC LIMIT 500",
        )
        .bind(user.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let mut out: Vec<String> = rows.into_iter().flatten().collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Deflections recorded in `[from, to)`, by kind (`article`, `known_error`).
    pub async fn deflections_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT kind, COUNT(*) FROM portal_deflections WHERE at >= $1 AND at < $2 GROUP BY kind ORDER BY kind",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }
}

impl Tx {
    /// Records that an answer solved `user`'s need; `false` when they already said so for it
    /// within the last hour (a double click counts once).
    pub async fn insert_deflection(
        &mut self,
        at: Timestamp,
        user: UserId,
        kind: &str,
        target: i64,
        query: &str,
    ) -> Result<bool> {
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_deflections WHERE user_id = $1 AND kind = $2 AND target_id = $3 AND at > $4",
        )
        .bind(user.get())
        .bind(kind)
        .bind(target)
        .bind(to_ms(at) - 3_600_000)
        .fetch_one(self.conn().await?)
        .await?;
        if recent > 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO portal_deflections (user_id, kind, target_id, query, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.get())
            .bind(kind)
            .bind(target)
            .bind(query)
            .bind(to_ms(at))
            .execute(self.conn().await?)
            .await?;
        Ok(true)
    }

    pub async fn insert_catalogue_item(&mut self, now: Timestamp, item: &ItemInput) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO catalogue_items (name, name_zh, category, description, audience, delivery_hours, team_id, \
             active, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9) RETURNING id",
        )
        .bind(&item.name)
        .bind(&item.name_zh)
        .bind(&item.category)
        .bind(&item.description)
        .bind(audience_json(&item.audience))
        .bind(item.delivery_hours)
        .bind(item.team_id.map(TeamId::get))
        .bind(i64::from(item.active))
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Saves an item's fields; `false` when there is no such item.
    pub async fn update_catalogue_item(&mut self, now: Timestamp, id: i64, item: &ItemInput) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE catalogue_items SET name = $1, name_zh = $2, category = $3, description = $4, audience = $5, \
             delivery_hours = $6, team_id = $7, active = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&item.name)
        .bind(&item.name_zh)
        .bind(&item.category)
        .bind(&item.description)
        .bind(audience_json(&item.audience))
        .bind(item.delivery_hours)
        .bind(item.team_id.map(TeamId::get))
        .bind(i64::from(item.active))
        .bind(to_ms(now))
        .bind(id)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Publishes the next form and plan version of an item and makes it current; its number.
    pub async fn publish_catalogue_version(
        &mut self,
        now: Timestamp,
        item_id: i64,
        form: &str,
        plan: &str,
        by: Option<UserId>,
    ) -> Result<i64> {
        // Taking the item's row first serialises two publishers of one item.
        let version: i64 = sqlx::query_scalar(
            "UPDATE catalogue_items SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING version",
        )
        .bind(to_ms(now))
        .bind(item_id)
        .fetch_optional(self.conn().await?)
        .await?
        .ok_or(StoreError::NotFound)?;
        sqlx::query(
            "INSERT INTO catalogue_versions (item_id, version, form, plan, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(item_id)
        .bind(version)
        .bind(form)
        .bind(plan)
        .bind(to_ms(now))
        .bind(by.map(UserId::get))
        .execute(self.conn().await?)
        .await?;
        Ok(version)
    }

    pub async fn insert_request_order(&mut self, order: &OrderRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_requests (ticket_id, item_id, form_version, answers, due_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(order.ticket_id.get())
        .bind(order.item_id)
        .bind(order.form_version)
        .bind(&order.answers)
        .bind(to_ms(order.due_at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn insert_request_level(&mut self, ticket: TicketId, level: &LevelRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO request_approvals (request_id, level, group_id, manager_id, verdict, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ticket.get())
        .bind(level.level)
        .bind(level.group_id)
        .bind(level.manager_id.map(UserId::get))
        .bind(verdict_str(level.verdict))
        .bind(level.requested_at.map(to_ms))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Sets a level's verdict and when it was put to its approvers.
    pub async fn set_request_level(
        &mut self,
        ticket: TicketId,
        level: i64,
        verdict: Verdict,
        requested_at: Option<Timestamp>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE request_approvals SET verdict = $1, requested_at = $2 WHERE request_id = $3 AND level = $4",
        )
        .bind(verdict_str(verdict))
        .bind(requested_at.map(to_ms))
        .bind(ticket.get())
        .bind(level)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Puts level `level` of a request to another approver: a person (as a manager level) or a
    /// group. False when there is no such level still pending.
    pub async fn reroute_request_level(
        &mut self,
        ticket: TicketId,
        level: i64,
        manager: Option<UserId>,
        group: Option<i64>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE request_approvals SET manager_id = $1, group_id = $2 \
             WHERE request_id = $3 AND level = $4 AND verdict = 'pending'",
        )
        .bind(manager.map(UserId::get))
        .bind(group)
        .bind(ticket.get())
        .bind(level)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a decision; `Duplicate` when this user already decided this level.
    pub async fn insert_request_decision(&mut self, ticket: TicketId, d: &RequestDecision) -> Result<()> {
        sqlx::query(
            "INSERT INTO request_decisions (request_id, level, user_id, decision, comment, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ticket.get())
        .bind(d.level)
        .bind(d.user_id.get())
        .bind(d.decision.as_str())
        .bind(&d.comment)
        .bind(to_ms(d.decided_at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// The request's decisions inside this transaction (after its row was locked).
    pub async fn request_decisions_in(
        &mut self,
        ticket: TicketId,
        level: i64,
    ) -> Result<Vec<(UserId, Decision)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT user_id, decision FROM request_decisions WHERE request_id = $1 AND level = $2",
        )
        .bind(ticket.get())
        .bind(level)
        .fetch_all(self.conn().await?)
        .await?;
        rows.into_iter().map(|(u, d)| Ok((UserId(u), Decision::parse(&d).map_err(corrupt)?))).collect()
    }

    /// The request's approval levels inside this transaction (after its row was locked).
    pub async fn request_levels_in(&mut self, ticket: TicketId) -> Result<Vec<LevelRecord>> {
        type Row = (i64, Option<i64>, Option<i64>, String, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT level, group_id, manager_id, verdict, requested_at FROM request_approvals \
             WHERE request_id = $1 ORDER BY level",
        )
        .bind(ticket.get())
        .fetch_all(self.conn().await?)
        .await?;
        rows.into_iter().map(level_of).collect()
    }

    /// Inserts a request's tasks (all waiting); their ids in order.
    pub async fn insert_request_tasks(
        &mut self,
        ticket: TicketId,
        tasks: &[(i64, String, TeamId)],
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(tasks.len());
        for (position, (stage, name, team)) in tasks.iter().enumerate() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO request_tasks (request_id, position, stage, name, team_id, state, note) \
                 VALUES ($1, $2, $3, $4, $5, 'waiting', '') RETURNING id",
            )
            .bind(ticket.get())
            .bind(position as i64)
            .bind(stage)
            .bind(name)
            .bind(team.get())
            .fetch_one(self.conn().await?)
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Moves a task to `state`, stamping when it opened or ended; `false` when it was not in
    /// `from` any more (someone else moved it first).
    pub async fn move_request_task(
        &mut self,
        id: i64,
        from: TaskState,
        state: TaskState,
        note: &str,
        at: Timestamp,
        by: Option<UserId>,
    ) -> Result<bool> {
        let (opened, done) = match state {
            TaskState::Open => (Some(to_ms(at)), None),
            TaskState::Done | TaskState::Cancelled => (None, Some(to_ms(at))),
            TaskState::Waiting => (None, None),
        };
        let done = sqlx::query(
            "UPDATE request_tasks SET state = $1, note = $2, opened_at = COALESCE($3, opened_at), done_at = $4, \
             done_by = $5 WHERE id = $6 AND state = $7",
        )
        .bind(state.as_str())
        .bind(note)
        .bind(opened)
        .bind(done)
        .bind(by.map(UserId::get))
        .bind(id)
        .bind(from.as_str())
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn request_tasks_in(&mut self, ticket: TicketId) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM request_tasks WHERE request_id = $1 ORDER BY position");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket.get()).fetch_all(self.conn().await?).await?;
        rows.iter().map(task_of).collect()
    }
}
