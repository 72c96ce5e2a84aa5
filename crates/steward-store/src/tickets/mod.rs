//! Tickets of every kind: rows, numbers, optimistic updates, and listing with filters.

#[cfg(feature = "bulk-load")]
mod bulk;
mod conversation;
mod duplicates;
mod insert;
mod query;
mod search;

use jiff::Timestamp;
use sqlx::{Any, Executor};
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::tickets::{
    HoldReason, Impact, Priority, ResolutionCode, State, Tags, Ticket, TicketKind, Urgency,
};

use crate::{AnyQuery, Result, Store, StoreError, Tx, Value, from_ms, from_ms_opt, to_ms, typed};

pub use conversation::{Attachment, Comment, NewAttachment, NewComment};
pub use duplicates::{DuplicateFlag, NewDuplicate, OpenIncident};
#[cfg(feature = "bulk-load")]
pub(crate) use insert::INDEX_PENDING_TITLES;
pub use query::{SortField, TicketPage, TicketQuery, Visibility};
pub use search::SearchTuning;
pub(crate) use search::TrigramSample;

pub(crate) const TICKET_COLUMNS: &str = "t.id, t.kind, t.number, t.title, t.description, t.requester_id, \
    t.created_by, t.category_id, t.subcategory_id, t.service, t.impact, t.urgency, t.priority, t.team_id, \
    t.assignee_id, t.state, t.hold_reason, t.resolution_code, t.resolution_note, t.resolved_at, t.closed_at, \
    t.reopen_count, t.parent_id, t.tags, t.created_at, t.updated_at, t.version";

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    kind: String,
    number: String,
    title: String,
    description: String,
    requester_id: i64,
    created_by: Option<i64>,
    category_id: Option<i64>,
    subcategory_id: Option<i64>,
    service: Option<String>,
    impact: i64,
    urgency: i64,
    priority: i64,
    team_id: Option<i64>,
    assignee_id: Option<i64>,
    state: String,
    hold_reason: Option<String>,
    resolution_code: Option<String>,
    resolution_note: Option<String>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    reopen_count: i64,
    parent_id: Option<i64>,
    tags: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> Result<Ticket> {
        let corrupt =
            |e: steward_core::tickets::FieldError| StoreError::Corrupt(format!("ticket {}: {e}", r.id));
        Ok(Ticket {
            id: TicketId(r.id),
            kind: TicketKind::parse(&r.kind).map_err(corrupt)?,
            number: r.number.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            requester_id: UserId(r.requester_id),
            created_by: r.created_by.map(UserId),
            category_id: r.category_id.map(CategoryId),
            subcategory_id: r.subcategory_id.map(CategoryId),
            service: r.service.clone(),
            impact: Impact::new(r.impact).map_err(corrupt)?,
            urgency: Urgency::new(r.urgency).map_err(corrupt)?,
            priority: Priority::new(r.priority).map_err(corrupt)?,
            team_id: r.team_id.map(TeamId),
            assignee_id: r.assignee_id.map(UserId),
            state: State::parse(&r.state).map_err(corrupt)?,
            hold_reason: r.hold_reason.as_deref().map(HoldReason::parse).transpose().map_err(corrupt)?,
            resolution_code: r
                .resolution_code
                .as_deref()
                .map(ResolutionCode::parse)
                .transpose()
                .map_err(corrupt)?,
            resolution_note: r.resolution_note.clone(),
            resolved_at: from_ms_opt(r.resolved_at)?,
            closed_at: from_ms_opt(r.closed_at)?,
            reopen_count: r.reopen_count,
            parent_id: r.parent_id.map(TicketId),
            tags: Tags::from_stored(&r.tags),
            created_at: from_ms(r.created_at)?,
            updated_at: from_ms(r.updated_at)?,
            version: r.version,
        })
    }
}

/// Binds, as `$1`..`$20`, the fields that both inserts and updates write, in this order:
/// title, description, requester_id, category_id, subcategory_id, service, impact, urgency,
/// priority, team_id, assignee_id, state, hold_reason, resolution_code, resolution_note,
/// resolved_at, closed_at, reopen_count, parent_id, tags. Owned copies, so a deferred
/// statement can take them along.
/// The values of a ticket's fields, in the order of the columns `title` … `tags`.
fn field_values(t: &Ticket) -> [Value; 20] {
    [
        t.title.clone().into(),
        t.description.clone().into(),
        t.requester_id.into(),
        t.category_id.into(),
        t.subcategory_id.into(),
        t.service.clone().into(),
        i64::from(t.impact.get()).into(),
        i64::from(t.urgency.get()).into(),
        i64::from(t.priority.get()).into(),
        t.team_id.into(),
        t.assignee_id.into(),
        t.state.as_str().into(),
        t.hold_reason.map(|h| h.as_str()).into(),
        t.resolution_code.map(|c| c.as_str()).into(),
        t.resolution_note.clone().into(),
        t.resolved_at.map(to_ms).into(),
        t.closed_at.map(to_ms).into(),
        t.reopen_count.into(),
        t.parent_id.into(),
        t.tags.to_string().into(),
    ]
}

fn bind_fields<'q>(query: AnyQuery<'q>, t: &Ticket) -> AnyQuery<'q> {
    crate::tx::bind_all(query, field_values(t).into())
}

async fn fetch_ticket<'e, E: Executor<'e, Database = Any>>(e: E, id: TicketId) -> Result<Option<Ticket>> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = $1");
    let row: Option<TicketRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.get()).fetch_optional(e).await?;
    row.map(Ticket::try_from).transpose()
}

/// A category or subcategory of the admin-managed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub parent_id: Option<CategoryId>,
    pub active: bool,
    /// The team a ticket in this category goes to when its creator names none.
    pub team_id: Option<TeamId>,
}

impl Store {
    pub async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        fetch_ticket(&mut *self.reader().await?, id).await
    }

    pub async fn ticket_by_number(&self, number: &str) -> Result<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.number = $1");
        let row: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(Ticket::try_from).transpose()
    }

    /// Resolved incidents and service requests whose resolution is older than `cutoff`, oldest
    /// first.
    pub async fn resolved_before(&self, cutoff: Timestamp, limit: i64) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.kind IN ('incident', 'request') AND t.state = 'resolved' \
             AND t.resolved_at < $1 \
             ORDER BY t.resolved_at LIMIT $2"
        );
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(cutoff))
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// When a ticket last changed (ms), among all or, with `requester`, that person's.
    pub async fn latest_ticket_change(&self, requester: Option<UserId>) -> Result<i64> {
        let latest: Option<i64> = match requester {
            Some(r) => {
                sqlx::query_scalar("SELECT MAX(updated_at) FROM tickets WHERE requester_id = $1")
                    .bind(r.get())
                    .fetch_one(&mut *self.reader().await?)
                    .await?
            }
            None => {
                sqlx::query_scalar("SELECT MAX(updated_at) FROM tickets")
                    .fetch_one(&mut *self.reader().await?)
                    .await?
            }
        };
        Ok(latest.unwrap_or(0))
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        /// id, name, parent, active, team.
        type Row = (i64, String, Option<i64>, i64, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, parent_id, active, team_id FROM categories \
             ORDER BY COALESCE(parent_id, id), parent_id IS NOT NULL, name",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, parent_id, active, team_id)| Category {
                id: CategoryId(id),
                name,
                parent_id: parent_id.map(CategoryId),
                active: active != 0,
                team_id: team_id.map(TeamId),
            })
            .collect())
    }

    /// Ids of tickets related to `id`, either way round.
    pub async fn related_tickets(&self, id: TicketId) -> Result<Vec<TicketId>> {
        Ok(typed(
            sqlx::query_scalar(
                "SELECT other_id FROM ticket_links WHERE ticket_id = $1 \
                 UNION SELECT ticket_id FROM ticket_links WHERE other_id = $1 ORDER BY 1",
            )
            .bind(id.get())
            .fetch_all(&mut *self.reader().await?)
            .await?,
        ))
    }

    pub async fn watchers(&self, id: TicketId) -> Result<Vec<UserId>> {
        Ok(typed(
            sqlx::query_scalar("SELECT user_id FROM ticket_watchers WHERE ticket_id = $1 ORDER BY user_id")
                .bind(id.get())
                .fetch_all(&mut *self.reader().await?)
                .await?,
        ))
    }

    /// Child incidents of a major incident.
    pub async fn children(&self, id: TicketId) -> Result<Vec<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.parent_id = $1 ORDER BY t.id");
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// Saved list views of a user: (id, name, query string).
    pub async fn saved_views(&self, user_id: UserId) -> Result<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as("SELECT id, name, query FROM saved_views WHERE user_id = $1 ORDER BY name")
            .bind(user_id.get())
            .fetch_all(&mut *self.reader().await?)
            .await?)
    }
}

impl Tx {
    pub async fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>> {
        fetch_ticket(self.conn().await?, id).await
    }

    /// The ticket, its row locked until the transaction ends (a no-op write takes the row
    /// lock on PostgreSQL; SQLite's one writer already holds the database), so work that reads
    /// several of its rows and decides from them — the last task done, the quorum reached —
    /// is never decided twice, or not at all, by two at once.
    pub async fn lock_ticket(&mut self, id: TicketId) -> Result<Option<Ticket>> {
        sqlx::query("UPDATE tickets SET version = version WHERE id = $1")
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        self.ticket(id).await
    }

    /// Writes every field of `ticket` if the stored row is still at `ticket.version`; returns
    /// the ticket at its new version.
    pub async fn update_ticket(&mut self, ticket: &Ticket) -> Result<Ticket> {
        let done = bind_fields(
            sqlx::query(
                "UPDATE tickets SET title = $1, description = $2, requester_id = $3, category_id = $4, \
                 subcategory_id = $5, service = $6, impact = $7, urgency = $8, priority = $9, team_id = $10, \
                 assignee_id = $11, state = $12, hold_reason = $13, resolution_code = $14, resolution_note = $15, \
                 resolved_at = $16, closed_at = $17, reopen_count = $18, parent_id = $19, tags = $20, \
                 updated_at = $21, version = version + 1 WHERE id = $22 AND version = $23",
            ),
            ticket,
        )
        .bind(to_ms(ticket.updated_at))
        .bind(ticket.id.get())
        .bind(ticket.version)
        .execute(self.conn().await?)
        .await?;
        if done.rows_affected() == 0 {
            let current = self.ticket(ticket.id).await?.ok_or(StoreError::NotFound)?;
            return Err(StoreError::Stale { current: current.version });
        }
        Ok(Ticket { version: ticket.version + 1, ..ticket.clone() })
    }

    pub async fn insert_category(
        &mut self,
        now: Timestamp,
        name: &str,
        parent_id: Option<CategoryId>,
    ) -> Result<CategoryId> {
        let id = sqlx::query_scalar(
            "INSERT INTO categories (name, parent_id, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(parent_id.map(CategoryId::get))
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        Ok(CategoryId(id))
    }

    /// Sets the team `id`'s tickets go to; false when there is no such category.
    pub async fn set_category_team(&mut self, id: CategoryId, team_id: Option<TeamId>) -> Result<bool> {
        let done = sqlx::query("UPDATE categories SET team_id = $1 WHERE id = $2")
            .bind(team_id.map(TeamId::get))
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn add_watcher(&mut self, ticket_id: TicketId, user_id: UserId) -> Result<bool> {
        let sql = "INSERT INTO ticket_watchers (ticket_id, user_id) VALUES ($1, $2) \
                   ON CONFLICT (ticket_id, user_id) DO NOTHING";
        Ok(self.execute(sql, vec![ticket_id.into(), user_id.into()]).await? == 1)
    }

    pub async fn remove_watcher(&mut self, ticket_id: TicketId, user_id: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM ticket_watchers WHERE ticket_id = $1 AND user_id = $2")
            .bind(ticket_id.get())
            .bind(user_id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Relates two tickets; returns false when they already were.
    pub async fn link_tickets(&mut self, a: TicketId, b: TicketId) -> Result<bool> {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let sql = "INSERT INTO ticket_links (ticket_id, other_id) VALUES ($1, $2) \
                   ON CONFLICT (ticket_id, other_id) DO NOTHING";
        Ok(self.execute(sql, vec![lo.into(), hi.into()]).await? == 1)
    }

    pub async fn insert_saved_view(
        &mut self,
        now: Timestamp,
        user_id: UserId,
        name: &str,
        query: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id.get())
        .bind(name)
        .bind(query)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_saved_view(&mut self, user_id: UserId, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
