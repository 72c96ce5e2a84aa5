//! The change calendar: booked windows, freezes, CIs' weekly slots and accepted conflicts.

use jiff::Timestamp;
use steward_core::changes::{Booked, Slot, Window};
use steward_core::ids::{CiId, TeamId, TicketId, UserId};

use super::corrupt;

/// The longest window (`changes::MAX_WINDOW_DAYS`) in milliseconds.
const MAX_WINDOW_MS: i64 = steward_core::changes::MAX_WINDOW_DAYS * 24 * 3_600_000;
use crate::{Result, Store, Tx, from_ms, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeRecord {
    pub id: i64,
    pub name: String,
    pub window: Window,
    pub reason: String,
    pub created_by: String,
}

/// A change on the calendar with what the views filter and show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub id: TicketId,
    pub number: String,
    pub title: String,
    pub state: String,
    pub change_type: String,
    pub risk_class: Option<String>,
    pub window: Window,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
}

/// id, number, title, state, type, risk, start, end, team, service.
type EntryRow = (i64, String, String, String, String, Option<String>, i64, i64, Option<i64>, Option<String>);

impl Store {
    /// Changes holding the calendar whose windows overlap `[from, to)`, with their CIs and
    /// implementer (the assignee).
    pub async fn booked_changes(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Booked>> {
        let mut conn = self.reader().await?;
        let rows: Vec<(i64, String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT t.id, t.number, c.planned_start, c.planned_end, t.assignee_id FROM changes c \
             JOIN tickets t ON t.id = c.ticket_id \
             WHERE c.booked = 1 AND c.planned_start < $2 AND c.planned_start > $3 AND c.planned_end > $1 \
             ORDER BY c.planned_start, t.id",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        // A window lasts at most 30 days: one overlapping `from` started after `from - 30 d`,
        // which bounds the index range.
        .bind(to_ms(from) - MAX_WINDOW_MS)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let sql =
            format!("SELECT ticket_id, ci_id FROM ticket_cis WHERE ticket_id IN ({})", crate::id_list(&ids));
        let cis: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        let mut by_change: std::collections::HashMap<i64, Vec<CiId>> = std::collections::HashMap::new();
        for (t, c) in cis {
            by_change.entry(t).or_default().push(CiId(c));
        }
        rows.into_iter()
            .map(|(id, number, s, e, who)| {
                Ok(Booked {
                    id: TicketId(id),
                    number,
                    window: Window::between(from_ms(s)?, from_ms(e)?).map_err(corrupt)?,
                    cis: by_change.remove(&id).unwrap_or_default(),
                    implementer: who.map(UserId),
                })
            })
            .collect()
    }

    /// Every change with a window overlapping `[from, to)` (booked or done), for the calendar;
    /// only those on `ci` when given.
    pub async fn calendar_changes(
        &self,
        from: Timestamp,
        to: Timestamp,
        ci: Option<CiId>,
    ) -> Result<Vec<CalendarEntry>> {
        let rows: Vec<EntryRow> =
            sqlx::query_as(
                "SELECT t.id, t.number, t.title, t.state, c.change_type, c.risk_class, c.planned_start, c.planned_end, \
                 t.team_id, t.service FROM changes c JOIN tickets t ON t.id = c.ticket_id \
                 WHERE c.planned_start < $2 AND c.planned_start > $4 AND c.planned_end > $1 \
                 AND t.state NOT IN ('cancelled', 'rejected') \
                 AND ($3 = 0 OR EXISTS (SELECT 1 FROM ticket_cis x WHERE x.ticket_id = t.id AND x.ci_id = $3)) \
                 ORDER BY c.planned_start, t.id LIMIT 2000",
            )
            .bind(to_ms(from))
            .bind(to_ms(to))
            .bind(ci.map_or(0, CiId::get))
            .bind(to_ms(from) - MAX_WINDOW_MS)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter()
            .map(|(id, number, title, state, change_type, risk_class, s, e, team, service)| {
                Ok(CalendarEntry {
                    id: TicketId(id),
                    number,
                    title,
                    state,
                    change_type,
                    risk_class,
                    window: Window::between(from_ms(s)?, from_ms(e)?).map_err(corrupt)?,
                    team_id: team.map(TeamId),
                    service,
                })
            })
            .collect()
    }

    /// Freezes overlapping `[from, to)`.
    pub async fn freezes(&self, from: Timestamp, to: Timestamp) -> Result<Vec<FreezeRecord>> {
        let rows: Vec<(i64, String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, name, starts_at, ends_at, reason, created_by FROM change_freezes \
             WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(id, name, s, e, reason, created_by)| {
                Ok(FreezeRecord {
                    id,
                    name,
                    window: Window::between(from_ms(s)?, from_ms(e)?).map_err(corrupt)?,
                    reason,
                    created_by,
                })
            })
            .collect()
    }

    /// The weekly change slots of `cis`.
    pub async fn ci_slots(&self, cis: &[CiId]) -> Result<Vec<(CiId, Slot)>> {
        if cis.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = cis.iter().map(|c| c.get()).collect();
        let sql = format!(
            "SELECT ci_id, slot FROM ci_change_slots WHERE ci_id IN ({}) ORDER BY ci_id, slot",
            crate::id_list(&ids)
        );
        let rows: Vec<(i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.into_iter().map(|(c, s)| Ok((CiId(c), Slot::parse(&s).map_err(corrupt)?))).collect()
    }

    /// The conflicts a change's schedule accepted: (key, reason, who, when).
    pub async fn conflict_overrides(
        &self,
        change: TicketId,
    ) -> Result<Vec<(String, String, UserId, Timestamp)>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT conflict_key, reason, user_id, at FROM conflict_overrides WHERE change_id = $1 ORDER BY at, conflict_key",
        )
        .bind(change.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(|(k, r, u, at)| Ok((k, r, UserId(u), from_ms(at)?))).collect()
    }
}

impl Tx {
    pub async fn insert_freeze(
        &mut self,
        now: Timestamp,
        name: &str,
        w: Window,
        reason: &str,
        by: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO change_freezes (name, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(to_ms(w.start))
        .bind(to_ms(w.end))
        .bind(reason)
        .bind(by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn delete_freeze(&mut self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("DELETE FROM change_freezes WHERE id = $1 RETURNING name")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?)
    }

    pub async fn set_ci_slots(&mut self, ci: CiId, slots: &[Slot]) -> Result<()> {
        sqlx::query("DELETE FROM ci_change_slots WHERE ci_id = $1")
            .bind(ci.get())
            .execute(self.conn().await?)
            .await?;
        for s in slots {
            sqlx::query("INSERT INTO ci_change_slots (ci_id, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(ci.get())
                .bind(s.text())
                .execute(self.conn().await?)
                .await?;
        }
        Ok(())
    }

    pub async fn insert_conflict_override(
        &mut self,
        now: Timestamp,
        change: TicketId,
        key: &str,
        reason: &str,
        user: UserId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO conflict_overrides (change_id, conflict_key, reason, user_id, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (change_id, conflict_key) DO UPDATE SET reason = excluded.reason, user_id = excluded.user_id, at = excluded.at",
        )
        .bind(change.get())
        .bind(key)
        .bind(reason)
        .bind(user.get())
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Forgets a change's accepted conflicts (its window moved: they are judged again).
    pub async fn clear_conflict_overrides(&mut self, change: TicketId) -> Result<()> {
        sqlx::query("DELETE FROM conflict_overrides WHERE change_id = $1")
            .bind(change.get())
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }
}
