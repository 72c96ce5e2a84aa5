//! Releases and the changes they bundle.

use jiff::Timestamp;
use jiff::civil::Date;
use steward_core::changes::ReleaseInput;
use steward_core::ids::TicketId;

use super::corrupt;
use crate::{Result, Store, Tx, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRecord {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub target: Date,
    pub description: String,
    pub created_by: String,
    /// How many changes it bundles.
    pub changes: i64,
}

type Row = (i64, String, String, String, String, String, i64);

fn release_of(r: Row) -> Result<ReleaseRecord> {
    Ok(ReleaseRecord {
        id: r.0,
        name: r.1,
        version: r.2,
        target: r.3.parse().map_err(|e| corrupt(format!("release target {}: {e}", r.3)))?,
        description: r.4,
        created_by: r.5,
        changes: r.6,
    })
}

const COLUMNS: &str = "r.id, r.name, r.version, r.target_date, r.description, r.created_by, \
    (SELECT COUNT(*) FROM release_changes c WHERE c.release_id = r.id)";

impl Store {
    /// Releases whose target date lies in `[from, to]` (every one with `None`), soonest first.
    pub async fn releases(&self, between: Option<(Date, Date)>) -> Result<Vec<ReleaseRecord>> {
        let (from, to) = between.map_or(("0000-01-01".to_owned(), "9999-12-31".to_owned()), |(a, b)| {
            (a.to_string(), b.to_string())
        });
        let sql = format!(
            "SELECT {COLUMNS} FROM releases r WHERE r.target_date >= $1 AND r.target_date <= $2 ORDER BY r.target_date, r.id LIMIT 500"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(release_of).collect()
    }

    pub async fn release(&self, id: i64) -> Result<Option<ReleaseRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM releases r WHERE r.id = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(release_of).transpose()
    }

    pub async fn release_change_ids(&self, id: i64) -> Result<Vec<TicketId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT change_id FROM release_changes WHERE release_id = $1 ORDER BY change_id",
        )
        .bind(id)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// The release a change belongs to.
    pub async fn release_of_change(&self, change: TicketId) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT release_id FROM release_changes WHERE change_id = $1")
            .bind(change.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?)
    }
}

impl Tx {
    pub async fn insert_release(
        &mut self,
        now: Timestamp,
        r: &ReleaseInput,
        description: &str,
        by: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO releases (name, version, target_date, description, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&r.name)
        .bind(&r.version)
        .bind(r.target.to_string())
        .bind(description)
        .bind(by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Puts a change in a release; `Duplicate` when it is in one already.
    pub async fn add_release_change(&mut self, release: i64, change: TicketId) -> Result<()> {
        sqlx::query("INSERT INTO release_changes (change_id, release_id) VALUES ($1, $2)")
            .bind(change.get())
            .bind(release)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    pub async fn remove_release_change(&mut self, release: i64, change: TicketId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM release_changes WHERE change_id = $1 AND release_id = $2")
            .bind(change.get())
            .bind(release)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
