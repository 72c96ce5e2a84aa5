//! Sign-in throttles by key and the browsers that proved themselves (`login_devices`, stored
//! as hashes of their cookie secrets). The rules are `steward_core::identity::throttle`'s.

use jiff::Timestamp;
use steward_core::identity::ThrottleKey;
use steward_core::ids::UserId;

use crate::{Result, Store, Tx, from_ms, to_ms};

/// A key's counter: consecutive failures, and no attempt checked before `blocked_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub blocked_until: Timestamp,
}

impl Default for ThrottleState {
    fn default() -> Self {
        ThrottleState { failures: 0, blocked_until: Timestamp::UNIX_EPOCH }
    }
}

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    failures: i64,
    blocked_until: i64,
}

impl Store {
    /// Each key's counter, in the order given; a key never failed reads as zero.
    pub async fn throttles(&self, keys: &[ThrottleKey]) -> Result<Vec<ThrottleState>> {
        let mut conn = self.reader().await?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let row: Option<ThrottleRow> =
                sqlx::query_as("SELECT failures, blocked_until FROM login_throttles WHERE throttle_key = $1")
                    .bind(key.as_stored())
                    .fetch_optional(&mut *conn)
                    .await?;
            out.push(match row {
                Some(r) => ThrottleState {
                    failures: u32::try_from(r.failures).unwrap_or(u32::MAX),
                    blocked_until: from_ms(r.blocked_until)?,
                },
                None => ThrottleState::default(),
            });
        }
        Ok(out)
    }

    /// The user a live device cookie (by its secret's hash) signed in as.
    pub async fn login_device(&self, secret_hash: &str, now: Timestamp) -> Result<Option<UserId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM login_devices WHERE secret_hash = $1 AND expires_at > $2",
        )
        .bind(secret_hash)
        .bind(to_ms(now))
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(id.map(UserId))
    }
}

impl Tx {
    pub async fn set_throttle(
        &mut self,
        now: Timestamp,
        key: &ThrottleKey,
        state: ThrottleState,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_throttles (throttle_key, failures, blocked_until, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (throttle_key) DO UPDATE SET \
             failures = excluded.failures, blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
        )
        .bind(key.as_stored())
        .bind(i64::from(state.failures))
        .bind(to_ms(state.blocked_until))
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn clear_throttle(&mut self, key: &ThrottleKey) -> Result<()> {
        sqlx::query("DELETE FROM login_throttles WHERE throttle_key = $1")
            .bind(key.as_stored())
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    pub async fn insert_login_device(
        &mut self,
        now: Timestamp,
        secret_hash: &str,
        user_id: UserId,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_devices (secret_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(secret_hash)
        .bind(user_id.get())
        .bind(to_ms(now))
        .bind(to_ms(expires_at))
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn delete_login_device(&mut self, secret_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_devices WHERE secret_hash = $1")
            .bind(secret_hash)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Forgets devices past their expiry and counters untouched since `idle_since` that no
    /// longer block; returns how many rows went.
    pub async fn prune_login_state(&mut self, now: Timestamp, idle_since: Timestamp) -> Result<u64> {
        let devices = sqlx::query("DELETE FROM login_devices WHERE expires_at <= $1")
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?
            .rows_affected();
        let counters =
            sqlx::query("DELETE FROM login_throttles WHERE updated_at < $1 AND blocked_until <= $2")
                .bind(to_ms(idle_since))
                .bind(to_ms(now))
                .execute(self.conn().await?)
                .await?
                .rows_affected();
        Ok(devices + counters)
    }
}
