//! Auto-triage (issue 22): what the classifiers learn from, and the trained models.

use jiff::Timestamp;

use crate::{Result, Store, from_ms, to_ms};

/// A resolved incident as the classifiers learn from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageExample {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub service: Option<String>,
    pub team_id: Option<i64>,
    pub priority: i64,
}

/// A stored model and its report.
#[derive(Debug, Clone)]
pub struct TriageModelRecord {
    pub id: i64,
    pub trained_at: Timestamp,
    pub examples: i64,
    pub report: String,
    pub model: Vec<u8>,
}

type ModelRow = (i64, i64, i64, String, Vec<u8>);
type ExampleRow = (i64, String, String, Option<i64>, Option<String>, Option<i64>, i64);

impl Store {
    /// Resolved and closed incidents, newest first, at most `limit`.
    pub async fn triage_examples(&self, limit: i64) -> Result<Vec<TriageExample>> {
        let rows: Vec<ExampleRow> = sqlx::query_as(
            "SELECT id, title, description, category_id, service, team_id, CAST(priority AS BIGINT) FROM tickets \
             WHERE kind = 'incident' AND state IN ('resolved', 'closed') ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TriageExample {
                id: r.0,
                title: r.1,
                description: r.2,
                category_id: r.3,
                service: r.4,
                team_id: r.5,
                priority: r.6,
            })
            .collect())
    }

    pub async fn insert_triage_model(
        &self,
        at: Timestamp,
        examples: i64,
        report: &str,
        model: &[u8],
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO triage_models (trained_at, examples, report, model) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(to_ms(at))
        .bind(examples)
        .bind(report)
        .bind(model)
        .fetch_one(tx.conn().await?)
        .await?;
        // The last few are kept (for looking back at how accuracy moved); older ones go.
        sqlx::query("DELETE FROM triage_models WHERE id < $1")
            .bind(id - 10)
            .execute(tx.conn().await?)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The newest model's id, if any (cheap: nodes check it before reloading).
    pub async fn latest_triage_model_id(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM triage_models")
            .fetch_one(&mut *self.reader().await?)
            .await?)
    }

    pub async fn latest_triage_model(&self) -> Result<Option<TriageModelRecord>> {
        let row: Option<ModelRow> = sqlx::query_as(
            "SELECT id, trained_at, examples, report, model FROM triage_models ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|r| {
            Ok(TriageModelRecord {
                id: r.0,
                trained_at: from_ms(r.1)?,
                examples: r.2,
                report: r.3,
                model: r.4,
            })
        })
        .transpose()
    }
}
