//! What the notification feed needs (events after a cursor come from `scan.rs`): the cursor, users' channel
//! choices, unread counts and the digest's pending notices. (The notifications table itself is
//! written and read in `sla.rs`, where notices began.)

use jiff::Timestamp;
use sqlx::Row;
use steward_core::ids::UserId;

use crate::{Result, Store, Tx, to_ms};

impl Store {
    /// The last event a feed handled (0 before its first).
    pub async fn feed_cursor(&self, name: &str) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM feed_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// A user's chosen channel per kind (kinds without a row use their default).
    pub async fn notification_prefs(&self, user_id: UserId) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT kind, channel FROM notification_prefs WHERE user_id = $1 ORDER BY kind")
            .bind(user_id.get())
            .fetch_all(&mut *self.reader().await?)
            .await?)
    }

    /// Unread notifications of a user.
    pub async fn unread_notifications(&self, user_id: UserId) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id.get())
            .fetch_one(&mut *self.reader().await?)
            .await?)
    }

    /// Notices not yet in a digest, of the kinds each user gets by digest, by user.
    pub async fn pending_digest(&self, since: Timestamp) -> Result<Vec<PendingNotice>> {
        let rows = sqlx::query(
            "SELECT n.id, n.user_id, n.kind, n.message, n.actor_name, t.number, t.title FROM notifications n \
             JOIN notification_prefs p ON p.user_id = n.user_id AND p.kind = n.kind AND p.channel = 'digest' \
             LEFT JOIN tickets t ON t.id = n.ticket_id \
             WHERE n.digested_at IS NULL AND n.created_at >= $1 ORDER BY n.user_id, n.id",
        )
        .bind(to_ms(since))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let number: Option<String> = r.try_get("number")?;
                let title: Option<String> = r.try_get("title")?;
                Ok(PendingNotice {
                    id: r.try_get("id")?,
                    user_id: UserId(r.try_get("user_id")?),
                    kind: r.try_get("kind")?,
                    message: r.try_get("message")?,
                    actor_name: r.try_get("actor_name")?,
                    ticket: number.zip(title),
                })
            })
            .collect()
    }
}

/// A notice waiting for its user's digest.
#[derive(Debug, Clone)]
pub struct PendingNotice {
    pub id: i64,
    pub user_id: UserId,
    pub kind: String,
    /// The English line written with it.
    pub message: String,
    pub actor_name: Option<String>,
    /// The ticket's number and title now.
    pub ticket: Option<(String, String)>,
}

impl Tx {
    /// Moves a feed from `from` to `to`; false when another node moved it first (then this
    /// one's work is rolled back with the transaction).
    pub async fn advance_feed(&mut self, name: &str, from: i64, to: i64) -> Result<bool> {
        let moved = sqlx::query("UPDATE feed_cursors SET seq = $1 WHERE name = $2 AND seq = $3")
            .bind(to)
            .bind(name)
            .bind(from)
            .execute(self.conn().await?)
            .await?
            .rows_affected();
        if moved == 1 {
            return Ok(true);
        }
        let created = sqlx::query(
            "INSERT INTO feed_cursors (name, seq) SELECT $1, $2 \
             WHERE NOT EXISTS (SELECT 1 FROM feed_cursors WHERE name = $1)",
        )
        .bind(name)
        .bind(to)
        .execute(self.conn().await?)
        .await?
        .rows_affected();
        Ok(created == 1 && from == 0)
    }

    /// Sets a user's channel for one kind.
    pub async fn set_notification_pref(&mut self, user_id: UserId, kind: &str, channel: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO notification_prefs (user_id, kind, channel) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, kind) DO UPDATE SET channel = excluded.channel",
        )
        .bind(user_id.get())
        .bind(kind)
        .bind(channel)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// Marks notifications as sent in a digest.
    pub async fn mark_digested(&mut self, now: Timestamp, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!("UPDATE notifications SET digested_at = $1 WHERE id IN ({})", crate::id_list(ids));
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_ms(now)).execute(self.conn().await?).await?;
        Ok(())
    }
}
