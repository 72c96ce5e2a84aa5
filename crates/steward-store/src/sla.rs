//! SLA calendars and policies.

use jiff::Timestamp;
use sqlx::Row;

use steward_core::ids::{CalendarId, CategoryId, TeamId, TicketId, UserId};

use crate::{Result, Store, Tx, id_at, opt_id_at, to_ms};

/// A calendar as stored: the core `BusinessCalendar` is built from these fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRecord {
    pub id: CalendarId,
    pub name: String,
    pub time_zone: String,
    /// Seven day specs, Monday first.
    pub hours: Vec<String>,
    /// ISO dates.
    pub holidays: Vec<String>,
    /// ISO dates worked although their weekday is not (makeup working days).
    pub working_days: Vec<String>,
    pub always: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub id: i64,
    pub name: String,
    pub rank: i64,
    pub kind: String,
    pub priority: Option<i64>,
    pub category_id: Option<CategoryId>,
    pub calendar_id: CalendarId,
    pub response_minutes: Option<i64>,
    pub resolution_minutes: i64,
    pub pause_reasons: Vec<String>,
    /// Conditions: the ticket's service, the requester's organisation (`None`: any).
    pub service: Option<String>,
    pub organisation: Option<String>,
    /// Longest time between updates to the requester while the ticket is open.
    pub update_minutes: Option<i64>,
    /// Warning percentages (the breach at 100 always fires).
    pub warn_at: Vec<i64>,
    /// On a resolution breach the ticket moves to this team's queue.
    pub breach_team_id: Option<TeamId>,
    /// A request policy's condition: the catalogue item ordered (`None`: any).
    pub item_id: Option<i64>,
}

impl Store {
    pub async fn sla_calendars(&self) -> Result<Vec<CalendarRecord>> {
        let rows =
            sqlx::query("SELECT id, name, time_zone, hours, holidays, working_days, always FROM sla_calendars ORDER BY id")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        rows.iter()
            .map(|r| {
                let hours: String = r.try_get("hours")?;
                let holidays: String = r.try_get("holidays")?;
                let working_days: String = r.try_get("working_days")?;
                let dates = |s: &str| s.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect();
                Ok(CalendarRecord {
                    id: id_at(r, "id")?,
                    name: r.try_get("name")?,
                    time_zone: r.try_get("time_zone")?,
                    hours: hours.split('|').map(str::to_owned).collect(),
                    holidays: dates(&holidays),
                    working_days: dates(&working_days),
                    always: r.try_get::<i64, _>("always")? != 0,
                })
            })
            .collect()
    }

    /// The earlier definitions of edited calendars, oldest first: (calendar, applied until,
    /// definition).
    pub async fn sla_calendar_versions(&self) -> Result<Vec<(CalendarId, Timestamp, CalendarRecord)>> {
        let rows = sqlx::query(
            "SELECT calendar_id, valid_until, time_zone, hours, holidays, working_days, always \
             FROM sla_calendar_versions ORDER BY calendar_id, valid_until",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let text = |k: &str| -> Result<String> { Ok(r.try_get(k)?) };
                let dates = |s: String| s.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect();
                let id: CalendarId = id_at(r, "calendar_id")?;
                Ok((
                    id,
                    crate::from_ms(r.try_get("valid_until")?)?,
                    CalendarRecord {
                        id,
                        name: String::new(),
                        time_zone: text("time_zone")?,
                        hours: text("hours")?.split('|').map(str::to_owned).collect(),
                        holidays: dates(text("holidays")?),
                        working_days: dates(text("working_days")?),
                        always: r.try_get::<i64, _>("always")? != 0,
                    },
                ))
            })
            .collect()
    }

    /// The policies in force, in the order they are tried.
    pub async fn sla_policies(&self) -> Result<Vec<PolicyRecord>> {
        let sql = format!(
            "SELECT id, {POLICY_COLUMNS} FROM sla_policies WHERE deleted_at IS NULL ORDER BY rank, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(|r| policy_of(r, "id")).collect()
    }

    /// Every policy ever in force, for tickets opened before an edit or a deletion: the
    /// policies (with when each was deleted) and the earlier definitions of edited ones,
    /// oldest first, each with the instant it stopped applying to new tickets.
    pub async fn sla_policy_history(&self) -> Result<PolicyHistory> {
        let sql = format!("SELECT id, deleted_at, {POLICY_COLUMNS} FROM sla_policies ORDER BY rank, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        let policies = rows
            .iter()
            .map(|r| {
                let deleted: Option<i64> = r.try_get("deleted_at")?;
                Ok((policy_of(r, "id")?, deleted.map(crate::from_ms).transpose()?))
            })
            .collect::<Result<_>>()?;
        let sql = format!(
            "SELECT policy_id, valid_until, {POLICY_COLUMNS} FROM sla_policy_versions ORDER BY policy_id, valid_until"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        let versions = rows
            .iter()
            .map(|r| Ok((policy_of(r, "policy_id")?, crate::from_ms(r.try_get("valid_until")?)?)))
            .collect::<Result<_>>()?;
        Ok(PolicyHistory { policies, versions })
    }
}

/// Every policy with its deletion instant, and the earlier definitions with theirs.
#[derive(Debug, Clone, Default)]
pub struct PolicyHistory {
    pub policies: Vec<(PolicyRecord, Option<Timestamp>)>,
    pub versions: Vec<(PolicyRecord, Timestamp)>,
}

/// A policy's definition: the columns `sla_policies` and `sla_policy_versions` share.
const POLICY_COLUMNS: &str = "name, rank, kind, priority, category_id, calendar_id, response_minutes, \
    resolution_minutes, pause_reasons, service, organisation, update_minutes, thresholds, breach_team_id, item_id";

fn policy_of(r: &sqlx::any::AnyRow, id: &str) -> Result<PolicyRecord> {
    let pauses: String = r.try_get("pause_reasons")?;
    let thresholds: String = r.try_get("thresholds")?;
    Ok(PolicyRecord {
        id: r.try_get(id)?,
        name: r.try_get("name")?,
        rank: r.try_get("rank")?,
        kind: r.try_get("kind")?,
        priority: r.try_get("priority")?,
        category_id: opt_id_at(r, "category_id")?,
        calendar_id: id_at(r, "calendar_id")?,
        response_minutes: r.try_get("response_minutes")?,
        resolution_minutes: r.try_get("resolution_minutes")?,
        pause_reasons: pauses.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        service: r.try_get("service")?,
        organisation: r.try_get("organisation")?,
        update_minutes: r.try_get("update_minutes")?,
        warn_at: thresholds.split(' ').filter_map(|t| t.parse().ok()).collect(),
        breach_team_id: opt_id_at(r, "breach_team_id")?,
        item_id: r.try_get("item_id")?,
    })
}

impl Tx {
    pub async fn insert_sla_calendar(&mut self, now: Timestamp, c: &CalendarRecord) -> Result<CalendarId> {
        let id = sqlx::query_scalar(
            "INSERT INTO sla_calendars (name, time_zone, hours, holidays, always, created_at, working_days) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&c.name)
        .bind(&c.time_zone)
        .bind(c.hours.join("|"))
        .bind(c.holidays.join(","))
        .bind(i64::from(c.always))
        .bind(to_ms(now))
        .bind(c.working_days.join(","))
        .fetch_one(self.conn().await?)
        .await?;
        Ok(CalendarId(id))
    }

    /// Replaces calendar `c.id`'s definition; the one it had is kept as applying until `now`.
    /// False when there is no such calendar.
    pub async fn update_sla_calendar(&mut self, now: Timestamp, c: &CalendarRecord) -> Result<bool> {
        sqlx::query(
            "INSERT INTO sla_calendar_versions (calendar_id, valid_until, time_zone, hours, holidays, working_days, always) \
             SELECT id, $1, time_zone, hours, holidays, working_days, always FROM sla_calendars WHERE id = $2 \
             ON CONFLICT (calendar_id, valid_until) DO NOTHING",
        )
        .bind(to_ms(now))
        .bind(c.id.get())
        .execute(self.conn().await?)
        .await?;
        let done = sqlx::query(
            "UPDATE sla_calendars SET name = $1, time_zone = $2, hours = $3, holidays = $4, working_days = $5, \
             always = $6 WHERE id = $7",
        )
        .bind(&c.name)
        .bind(&c.time_zone)
        .bind(c.hours.join("|"))
        .bind(c.holidays.join(","))
        .bind(c.working_days.join(","))
        .bind(i64::from(c.always))
        .bind(c.id.get())
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a calendar no policy uses, with its earlier definitions.
    pub async fn delete_sla_calendar(&mut self, id: CalendarId) -> Result<bool> {
        sqlx::query("DELETE FROM sla_calendar_versions WHERE calendar_id = $1")
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        let done = sqlx::query("DELETE FROM sla_calendars WHERE id = $1")
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_sla_policy(&mut self, now: Timestamp, p: &PolicyRecord) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sla_policies (name, rank, kind, priority, category_id, calendar_id, response_minutes, \
             resolution_minutes, pause_reasons, created_at, service, organisation, update_minutes, thresholds, breach_team_id, item_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(&p.name)
        .bind(p.rank)
        .bind(&p.kind)
        .bind(p.priority)
        .bind(p.category_id.map(CategoryId::get))
        .bind(p.calendar_id.get())
        .bind(p.response_minutes)
        .bind(p.resolution_minutes)
        .bind(p.pause_reasons.join(" "))
        .bind(to_ms(now))
        .bind(&p.service)
        .bind(&p.organisation)
        .bind(p.update_minutes)
        .bind(p.warn_at.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
        .bind(p.breach_team_id.map(TeamId::get))
        .bind(p.item_id)
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Gives policy `p.id` a new definition for tickets opened from `now` on, keeping the old
    /// one for those opened before. False when there is no such policy in force.
    pub async fn update_sla_policy(&mut self, now: Timestamp, p: &PolicyRecord) -> Result<bool> {
        let keep = format!(
            "INSERT INTO sla_policy_versions (policy_id, valid_until, {POLICY_COLUMNS}) \
             SELECT id, $1, {POLICY_COLUMNS} FROM sla_policies WHERE id = $2 AND deleted_at IS NULL \
             ON CONFLICT (policy_id, valid_until) DO NOTHING"
        );
        sqlx::query(sqlx::AssertSqlSafe(keep))
            .bind(to_ms(now))
            .bind(p.id)
            .execute(self.conn().await?)
            .await?;
        let done = sqlx::query(
            "UPDATE sla_policies SET name = $1, rank = $2, priority = $3, category_id = $4, calendar_id = $5, \
             response_minutes = $6, resolution_minutes = $7, pause_reasons = $8, service = $9, organisation = $10, \
             update_minutes = $11, thresholds = $12, breach_team_id = $13, kind = $14, item_id = $15 \
             WHERE id = $16 AND deleted_at IS NULL",
        )
        .bind(&p.name)
        .bind(p.rank)
        .bind(p.priority)
        .bind(p.category_id.map(CategoryId::get))
        .bind(p.calendar_id.get())
        .bind(p.response_minutes)
        .bind(p.resolution_minutes)
        .bind(p.pause_reasons.join(" "))
        .bind(&p.service)
        .bind(&p.organisation)
        .bind(p.update_minutes)
        .bind(p.warn_at.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
        .bind(p.breach_team_id.map(TeamId::get))
        .bind(&p.kind)
        .bind(p.item_id)
        .bind(p.id)
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stops policy `id` applying to tickets opened from `now` on (older ones keep it); its
    /// name is freed for a new policy. False when there is no such policy in force.
    pub async fn delete_sla_policy(&mut self, now: Timestamp, id: i64) -> Result<bool> {
        // `text || bigint` is text on both engines.
        let sql = "UPDATE sla_policies SET deleted_at = $1, name = name || ' (#' || id || ')' \
                   WHERE id = $2 AND deleted_at IS NULL";
        let done = sqlx::query(sql).bind(to_ms(now)).bind(id).execute(self.conn().await?).await?;
        Ok(done.rows_affected() == 1)
    }
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: Option<TicketId>,
    pub kind: String,
    /// The English text written with it (the page shows `kind` in the reader's language).
    pub message: String,
    pub created_at: Timestamp,
    pub read: bool,
    /// Who caused it, when someone did.
    pub actor_name: Option<String>,
    /// The ticket's number and title now.
    pub ticket: Option<(String, String)>,
    /// The ticket's kind (its pages differ by kind).
    pub ticket_kind: Option<steward_core::tickets::TicketKind>,
}

impl Store {
    /// A user's newest notifications.
    pub async fn notifications(&self, user_id: UserId, limit: i64) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT n.id, n.ticket_id, n.kind, n.message, n.created_at, n.read_at, n.actor_name, \
             t.number AS ticket_number, t.title AS ticket_title, t.kind AS ticket_kind \
             FROM notifications n LEFT JOIN tickets t ON t.id = n.ticket_id \
             WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(user_id.get())
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    ticket_id: opt_id_at(r, "ticket_id")?,
                    kind: r.try_get("kind")?,
                    message: r.try_get("message")?,
                    created_at: crate::from_ms(r.try_get("created_at")?)?,
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                    actor_name: r.try_get("actor_name")?,
                    ticket: match (r.try_get("ticket_number")?, r.try_get("ticket_title")?) {
                        (Some(n), Some(t)) => Some((n, t)),
                        _ => None,
                    },
                    ticket_kind: r
                        .try_get::<Option<String>, _>("ticket_kind")?
                        .and_then(|k| steward_core::tickets::TicketKind::parse(&k).ok()),
                })
            })
            .collect()
    }

    /// Breaches fired so far, by target (`response`, `resolution`).
    pub async fn sla_breach_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            // Next-update firings are keyed per update cycle (`update@<ms>`); they count as one target.
            "SELECT CASE WHEN target LIKE 'update@%' THEN 'update' ELSE target END AS t, COUNT(*) FROM sla_firings \
             WHERE threshold >= 100 GROUP BY CASE WHEN target LIKE 'update@%' THEN 'update' ELSE target END ORDER BY 1",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// `(ticket_id, target, threshold)` already fired for these tickets, for the scan to skip.
    pub async fn sla_firings(&self, ticket_ids: &[TicketId]) -> Result<Vec<(TicketId, String, i64)>> {
        let mut out = Vec::new();
        for chunk in ticket_ids.chunks(500) {
            let sql = format!(
                "SELECT ticket_id, target, threshold FROM sla_firings WHERE ticket_id IN ({})",
                crate::id_list(chunk)
            );
            let rows = sqlx::query_as::<_, FiringRow>(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *self.reader().await?)
                .await?;
            out.extend(rows.into_iter().map(|r| (TicketId(r.ticket_id), r.target, r.threshold)));
        }
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
struct FiringRow {
    ticket_id: i64,
    target: String,
    threshold: i64,
}

impl Tx {
    /// Claims one firing; false when it already fired (here or on another node).
    pub async fn claim_sla_firing(
        &mut self,
        now: Timestamp,
        ticket_id: TicketId,
        target: &str,
        threshold: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO sla_firings (ticket_id, target, threshold, fired_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (ticket_id, target, threshold) DO NOTHING",
        )
        .bind(ticket_id.get())
        .bind(target)
        .bind(threshold)
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn notify(
        &mut self,
        now: Timestamp,
        user_id: UserId,
        ticket_id: Option<TicketId>,
        kind: &str,
        message: &str,
    ) -> Result<()> {
        self.notify_by(now, user_id, ticket_id, kind, message, None).await
    }

    /// A notification `actor_name` caused.
    pub async fn notify_by(
        &mut self,
        now: Timestamp,
        user_id: UserId,
        ticket_id: Option<TicketId>,
        kind: &str,
        message: &str,
        actor_name: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (user_id, ticket_id, kind, message, created_at, actor_name) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id.get())
        .bind(ticket_id.map(TicketId::get))
        .bind(kind)
        .bind(message)
        .bind(to_ms(now))
        .bind(actor_name)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn mark_notifications_read(&mut self, now: Timestamp, user_id: UserId) -> Result<u64> {
        let done =
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
                .bind(to_ms(now))
                .bind(user_id.get())
                .execute(self.conn().await?)
                .await?;
        Ok(done.rows_affected())
    }
}
