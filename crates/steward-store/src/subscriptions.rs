//! Subscriptions and their deliveries (migration 0022).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use steward_core::alerts::Matcher;
use steward_core::subscriptions::{Channel, Filter, Notice, Subscription, Topic};

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub id: i64,
    pub subscription: Subscription,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// A stored delivery: `pending`, `delivered` or `dead`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub subscription_id: i64,
    pub subscription_name: String,
    pub channel: Channel,
    pub notice: Notice,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("subscription: {e}"))
}

/// The filter as stored.
#[derive(Serialize, Deserialize, Default)]
struct StoredFilter {
    #[serde(default)]
    team: Option<i64>,
    #[serde(default)]
    max_priority: Option<i64>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

fn encode_filter(f: &Filter) -> Result<String> {
    serde_json::to_string(&StoredFilter {
        team: f.team,
        max_priority: f.max_priority,
        service: f.service.clone(),
        labels: f.labels.iter().map(Matcher::to_string).collect(),
    })
    .map_err(corrupt)
}

fn decode_filter(text: &str) -> Result<Filter> {
    let f: StoredFilter = serde_json::from_str(text).map_err(corrupt)?;
    Ok(Filter {
        team: f.team,
        max_priority: f.max_priority,
        service: f.service,
        labels: f
            .labels
            .iter()
            .map(|m| Matcher::parse(m))
            .collect::<std::result::Result<_, _>>()
            .map_err(corrupt)?,
    })
}

fn subscription(r: &sqlx::any::AnyRow) -> Result<SubscriptionRecord> {
    let topics: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("topics")?).map_err(corrupt)?;
    let channel: String = r.try_get("channel")?;
    Ok(SubscriptionRecord {
        id: r.try_get("id")?,
        subscription: Subscription {
            name: r.try_get("name")?,
            topics: topics.iter().filter_map(|t| Topic::parse(t)).collect(),
            filter: decode_filter(&r.try_get::<String, _>("filter")?)?,
            channel: Channel::parse(&channel).ok_or_else(|| corrupt(format!("channel `{channel}`")))?,
            target: r.try_get("target")?,
            secret: r.try_get("secret")?,
            locale: r.try_get("locale")?,
        },
        created_by: r.try_get("created_by")?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

const DELIVERY: &str = "SELECT d.id, d.subscription_id, s.name, s.channel, d.notice, d.status, d.attempts, \
                        d.last_error, d.created_at, d.updated_at FROM deliveries d \
                        JOIN subscriptions s ON s.id = d.subscription_id";

fn delivery(r: &sqlx::any::AnyRow) -> Result<DeliveryRecord> {
    let channel: String = r.try_get("channel")?;
    Ok(DeliveryRecord {
        id: r.try_get("id")?,
        subscription_id: r.try_get("subscription_id")?,
        subscription_name: r.try_get("name")?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt(format!("channel `{channel}`")))?,
        notice: serde_json::from_str(&r.try_get::<String, _>("notice")?).map_err(corrupt)?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

impl Store {
    /// Every subscription, by name.
    pub async fn subscriptions(&self) -> Result<Vec<SubscriptionRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, topics, filter, channel, target, secret, locale, created_by, created_at \
             FROM subscriptions ORDER BY name",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter().map(subscription).collect()
    }

    /// Deliveries, newest first; `status` picks one kind (`dead`: the dead letters).
    pub async fn deliveries(&self, status: Option<&str>, limit: i64) -> Result<Vec<DeliveryRecord>> {
        let sql = format!(
            "{DELIVERY} WHERE ($1 = '' OR d.status = $1) ORDER BY d.id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.unwrap_or(""))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(delivery).collect()
    }

    pub async fn delivery(&self, id: i64) -> Result<Option<(DeliveryRecord, SubscriptionRecord)>> {
        let sql = format!("{DELIVERY} WHERE d.id = $1");
        let Some(row) =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?
        else {
            return Ok(None);
        };
        let d = delivery(&row)?;
        let sub = self.subscriptions().await?.into_iter().find(|s| s.id == d.subscription_id);
        Ok(sub.map(|s| (d, s)))
    }
}

impl Tx {
    pub async fn insert_subscription(
        &mut self,
        now: Timestamp,
        s: &Subscription,
        created_by: &str,
    ) -> Result<i64> {
        let topics: Vec<&str> = s.topics.iter().map(|t| t.as_str()).collect();
        Ok(sqlx::query_scalar(
            "INSERT INTO subscriptions (name, topics, filter, channel, target, secret, locale, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&s.name)
        .bind(serde_json::to_string(&topics).map_err(corrupt)?)
        .bind(encode_filter(&s.filter)?)
        .bind(s.channel.as_str())
        .bind(&s.target)
        .bind(s.secret.as_deref())
        .bind(&s.locale)
        .bind(created_by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Deletes a subscription and its deliveries; its name, or `None` when there was none.
    pub async fn delete_subscription(&mut self, id: i64) -> Result<Option<String>> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?;
        if name.is_some() {
            sqlx::query("DELETE FROM deliveries WHERE subscription_id = $1")
                .bind(id)
                .execute(self.conn().await?)
                .await?;
            sqlx::query("DELETE FROM subscriptions WHERE id = $1")
                .bind(id)
                .execute(self.conn().await?)
                .await?;
        }
        Ok(name)
    }

    /// A pending delivery of `notice`; `None` when this subscription already has it (the feed
    /// ran twice over the same event).
    pub async fn insert_delivery(
        &mut self,
        now: Timestamp,
        subscription: i64,
        notice: &Notice,
    ) -> Result<Option<i64>> {
        let text = serde_json::to_string(notice).map_err(corrupt)?;
        Ok(sqlx::query_scalar(
            "INSERT INTO deliveries (subscription_id, seq, topic, notice, status, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (subscription_id, seq, topic) DO NOTHING \
             RETURNING id",
        )
        .bind(subscription)
        .bind(notice.seq)
        .bind(notice.topic.as_str())
        .bind(text)
        .bind(to_ms(now))
        .fetch_optional(self.conn().await?)
        .await?)
    }

    /// Records an attempt: `delivered`, `pending` (to be retried) or `dead`, with its error.
    pub async fn record_attempt(
        &mut self,
        now: Timestamp,
        id: i64,
        status: &str,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET status = $1, last_error = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(error)
        .bind(to_ms(now))
        .bind(id)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Puts a dead delivery back to pending; false when it is not dead.
    pub async fn revive_delivery(&mut self, now: Timestamp, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'pending', updated_at = $1 WHERE id = $2 AND status = 'dead'",
        )
        .bind(to_ms(now))
        .bind(id)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
