//! Canned replies (`reply_templates`, migration 0018).

use jiff::Timestamp;
use steward_core::ids::TeamId;
use steward_core::tickets::ReplyTemplate;

use crate::{Result, Store, Tx, to_ms};

/// A stored canned reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplateRecord {
    pub id: i64,
    pub template: ReplyTemplate,
}

/// id, team, name, body.
type Row = (i64, Option<i64>, String, String);

fn record((id, team_id, name, body): Row) -> ReplyTemplateRecord {
    ReplyTemplateRecord { id, template: ReplyTemplate { name, body, team_id: team_id.map(TeamId) } }
}

impl Store {
    /// Every canned reply: the shared ones first, then by team and name.
    pub async fn reply_templates(&self) -> Result<Vec<ReplyTemplateRecord>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, team_id, name, body FROM reply_templates ORDER BY COALESCE(team_id, 0), name",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    pub async fn reply_template(&self, id: i64) -> Result<Option<ReplyTemplateRecord>> {
        let row: Option<Row> =
            sqlx::query_as("SELECT id, team_id, name, body FROM reply_templates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        Ok(row.map(record))
    }
}

impl Tx {
    pub async fn insert_reply_template(&mut self, now: Timestamp, t: &ReplyTemplate) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO reply_templates (team_id, name, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(t.team_id.map(TeamId::get))
        .bind(&t.name)
        .bind(&t.body)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// False when there is no such template.
    pub async fn update_reply_template(
        &mut self,
        now: Timestamp,
        id: i64,
        t: &ReplyTemplate,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE reply_templates SET team_id = $1, name = $2, body = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(t.team_id.map(TeamId::get))
        .bind(&t.name)
        .bind(&t.body)
        .bind(to_ms(now))
        .bind(id)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// False when there is no such template.
    pub async fn delete_reply_template(&mut self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM reply_templates WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
