//! Whole-table reads in pages, for checks that compare everything (`audit verify --state`).

use steward_core::ids::TicketId;
use steward_core::tickets::Ticket;

use crate::cmdb::RelationRecord;
use crate::events::LoggedEvent;
use crate::tickets::{TICKET_COLUMNS, TicketRow};
use crate::{Result, Store};

impl Store {
    /// Events after `after_seq` in sequence order, at most `limit`.
    pub async fn events_after(&self, after_seq: i64, limit: i64) -> Result<Vec<LoggedEvent>> {
        let sql =
            format!("SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", crate::events::COLUMNS);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(crate::events::read_event).collect()
    }

    /// Tickets after `after` in id order, at most `limit`.
    pub async fn tickets_after(&self, after: TicketId, limit: i64) -> Result<Vec<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id > $1 ORDER BY t.id LIMIT $2");
        let rows: Vec<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after.get())
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// Every CI relationship.
    pub async fn all_relations(&self) -> Result<Vec<RelationRecord>> {
        let rows = sqlx::query("SELECT id, kind, from_ci, to_ci FROM ci_relations ORDER BY id")
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(crate::cmdb::relation_of).collect()
    }
}
