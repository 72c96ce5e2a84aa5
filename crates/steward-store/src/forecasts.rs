//! Forecast rules (issue 22) and the outcome of their last evaluation.

use jiff::Timestamp;
use steward_core::ids::CiId;

use crate::{Result, Store, StoreError, Tx, from_ms, from_ms_opt, to_ms};

#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRecord {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub ci_id: Option<CiId>,
    pub ci_name: Option<String>,
    pub threshold: f64,
    pub breach: String,
    pub horizon_minutes: i64,
    pub lookback_minutes: i64,
    pub created_at: Timestamp,
    pub evaluated_at: Option<Timestamp>,
    pub predicted_at: Option<Timestamp>,
    pub last_value: Option<f64>,
    pub model: String,
    pub error: String,
}

/// What a new rule stores.
#[derive(Debug, Clone)]
pub struct NewForecast<'a> {
    pub name: &'a str,
    pub query: &'a str,
    pub ci_id: Option<CiId>,
    pub threshold: f64,
    pub breach: &'a str,
    pub horizon_minutes: i64,
    pub lookback_minutes: i64,
    pub created_by: i64,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone)]
pub struct ForecastOutcome {
    pub predicted_at: Option<Timestamp>,
    pub last_value: Option<f64>,
    pub model: String,
    pub error: String,
}

type Row = (
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
);

const SELECT: &str = "SELECT f.id, f.name, f.query, f.ci_id, c.name, f.threshold, f.breach, f.horizon_minutes, \
    f.lookback_minutes, f.created_at, f.evaluated_at, f.predicted_at, f.last_value, f.model, f.error \
    FROM forecast_rules f LEFT JOIN cis c ON c.id = f.ci_id WHERE f.deleted = 0";

fn record(r: Row) -> Result<ForecastRecord> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("forecast {}: {what}", r.0));
    Ok(ForecastRecord {
        id: r.0,
        name: r.1,
        query: r.2,
        ci_id: r.3.map(CiId),
        ci_name: r.4,
        threshold: r.5.parse().map_err(|_| corrupt("threshold"))?,
        breach: r.6,
        horizon_minutes: r.7,
        lookback_minutes: r.8,
        created_at: from_ms(r.9)?,
        evaluated_at: from_ms_opt(r.10)?,
        predicted_at: from_ms_opt(r.11)?,
        last_value: r.12.parse().ok(),
        model: r.13,
        error: r.14,
    })
}

impl Tx {
    pub async fn insert_forecast(&mut self, at: Timestamp, f: &NewForecast<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO forecast_rules (name, query, ci_id, threshold, breach, horizon_minutes, lookback_minutes, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(f.name)
        .bind(f.query)
        .bind(f.ci_id.map(CiId::get))
        .bind(f.threshold.to_string())
        .bind(f.breach)
        .bind(f.horizon_minutes)
        .bind(f.lookback_minutes)
        .bind(f.created_by)
        .bind(to_ms(at))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Marks a rule deleted; `NotFound` when there is none.
    pub async fn delete_forecast(&mut self, id: i64) -> Result<()> {
        let done = sqlx::query("UPDATE forecast_rules SET deleted = 1 WHERE id = $1 AND deleted = 0")
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl Store {
    pub async fn forecasts(&self) -> Result<Vec<ForecastRecord>> {
        let sql = format!("{SELECT} ORDER BY f.name");
        let rows: Vec<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn forecast(&self, id: i64) -> Result<Option<ForecastRecord>> {
        let sql = format!("{SELECT} AND f.id = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(record).transpose()
    }

    /// Records an evaluation's outcome (not an event: it changes every minute).
    pub async fn record_forecast(&self, id: i64, at: Timestamp, o: &ForecastOutcome) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE forecast_rules SET evaluated_at = $1, predicted_at = $2, last_value = $3, model = $4, error = $5 WHERE id = $6",
        )
        .bind(to_ms(at))
        .bind(o.predicted_at.map(to_ms))
        .bind(o.last_value.map(|v| v.to_string()).unwrap_or_default())
        .bind(&o.model)
        .bind(&o.error)
        .bind(id)
        .execute(tx.conn().await?)
        .await?;
        tx.commit().await
    }
}
