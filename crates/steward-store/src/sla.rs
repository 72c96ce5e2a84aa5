//! SLA calendars and policies.

use jiff::Timestamp;
use sqlx::Row;

use crate::{Result, Store, Tx, to_ms};

/// A calendar as stored: the core `BusinessCalendar` is built from these fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRecord {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    /// Seven day specs, Monday first.
    pub hours: Vec<String>,
    /// ISO dates.
    pub holidays: Vec<String>,
    pub always: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub id: i64,
    pub name: String,
    pub rank: i64,
    pub kind: String,
    pub priority: Option<i64>,
    pub category_id: Option<i64>,
    pub calendar_id: i64,
    pub response_minutes: Option<i64>,
    pub resolution_minutes: i64,
    pub pause_reasons: Vec<String>,
}

impl Store {
    pub async fn sla_calendars(&self) -> Result<Vec<CalendarRecord>> {
        let rows =
            sqlx::query("SELECT id, name, time_zone, hours, holidays, always FROM sla_calendars ORDER BY id")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| {
                let hours: String = r.try_get("hours")?;
                let holidays: String = r.try_get("holidays")?;
                Ok(CalendarRecord {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    time_zone: r.try_get("time_zone")?,
                    hours: hours.split('|').map(str::to_owned).collect(),
                    holidays: holidays.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect(),
                    always: r.try_get::<i64, _>("always")? != 0,
                })
            })
            .collect()
    }

    /// Policies in the order they are tried.
    pub async fn sla_policies(&self) -> Result<Vec<PolicyRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, rank, kind, priority, category_id, calendar_id, response_minutes, resolution_minutes, \
             pause_reasons FROM sla_policies ORDER BY rank, id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let pauses: String = r.try_get("pause_reasons")?;
                Ok(PolicyRecord {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    rank: r.try_get("rank")?,
                    kind: r.try_get("kind")?,
                    priority: r.try_get("priority")?,
                    category_id: r.try_get("category_id")?,
                    calendar_id: r.try_get("calendar_id")?,
                    response_minutes: r.try_get("response_minutes")?,
                    resolution_minutes: r.try_get("resolution_minutes")?,
                    pause_reasons: pauses.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
                })
            })
            .collect()
    }
}

impl Tx {
    pub async fn insert_sla_calendar(&mut self, now: Timestamp, c: &CalendarRecord) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sla_calendars (name, time_zone, hours, holidays, always, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&c.name)
        .bind(&c.time_zone)
        .bind(c.hours.join("|"))
        .bind(c.holidays.join(","))
        .bind(i64::from(c.always))
        .bind(to_ms(now))
        .fetch_one(self.conn())
        .await?)
    }

    pub async fn insert_sla_policy(&mut self, now: Timestamp, p: &PolicyRecord) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sla_policies (name, rank, kind, priority, category_id, calendar_id, response_minutes, \
             resolution_minutes, pause_reasons, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&p.name)
        .bind(p.rank)
        .bind(&p.kind)
        .bind(p.priority)
        .bind(p.category_id)
        .bind(p.calendar_id)
        .bind(p.response_minutes)
        .bind(p.resolution_minutes)
        .bind(p.pause_reasons.join(" "))
        .bind(to_ms(now))
        .fetch_one(self.conn())
        .await?)
    }
}
