//! Web sessions and API tokens. Both are stored only as SHA-256 hashes of their secrets; the
//! app layer makes the secrets and hashes them before they reach this module.

use jiff::Timestamp;
use sqlx::{Any, Executor};
use steward_core::identity::{ApiToken, ScopeSet, User, Username};
use steward_core::ids::{TokenId, UserId};

use crate::users::{USER_COLUMNS, UserRow};
use crate::{Result, Store, StoreError, Tx, from_ms, from_ms_opt, to_ms};

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: i64,
    pub user: User,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: UserId,
    pub name: String,
    pub token_hash: String,
    pub scopes: ScopeSet,
    pub expires_at: Timestamp,
    pub created_by: Option<UserId>,
}

/// A token's columns, each under a name of its own (`token_…`): a row that also holds the
/// owner's columns (`u.id`, `u.created_at`, …) must not answer `id` with the user's id, which is
/// how API logout once revoked the token whose id equalled the caller's user id.
const TOKEN_COLUMNS: &str = "t.id AS token_id, t.user_id AS token_user_id, u.username AS token_owner, \
     t.name AS token_name, t.scopes AS token_scopes, t.created_at AS token_created_at, \
     t.expires_at AS token_expires_at, t.revoked_at AS token_revoked_at, t.last_used_at AS token_last_used_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(rename = "token_id")]
    id: i64,
    #[sqlx(rename = "token_user_id")]
    user_id: i64,
    #[sqlx(rename = "token_owner")]
    owner: String,
    #[sqlx(rename = "token_name")]
    name: String,
    #[sqlx(rename = "token_scopes")]
    scopes: String,
    #[sqlx(rename = "token_created_at")]
    created_at: i64,
    #[sqlx(rename = "token_expires_at")]
    expires_at: i64,
    #[sqlx(rename = "token_revoked_at")]
    revoked_at: Option<i64>,
    #[sqlx(rename = "token_last_used_at")]
    last_used_at: Option<i64>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<ApiToken> {
        let corrupt = |e: String| StoreError::Corrupt(format!("token {}: {e}", r.id));
        Ok(ApiToken {
            id: TokenId(r.id),
            user_id: UserId(r.user_id),
            username: Username::parse(&r.owner).map_err(|e| corrupt(e.to_string()))?,
            name: r.name.clone(),
            scopes: ScopeSet::parse(&r.scopes).map_err(|e| corrupt(e.to_string()))?,
            created_at: from_ms(r.created_at)?,
            expires_at: from_ms(r.expires_at)?,
            revoked_at: from_ms_opt(r.revoked_at)?,
            last_used_at: from_ms_opt(r.last_used_at)?,
        })
    }
}

async fn fetch_token<'e, E: Executor<'e, Database = Any>>(e: E, id: TokenId) -> Result<Option<ApiToken>> {
    let sql =
        format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1");
    let row: Option<TokenRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.get()).fetch_optional(e).await?;
    row.map(ApiToken::try_from).transpose()
}

impl Store {
    /// The session with this secret hash, if it is live and its user enabled.
    pub async fn live_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            session_id: i64,
            csrf_token: String,
            expires_at: i64,
            #[sqlx(flatten)]
            user: UserRow,
        }
        let sql = format!(
            "SELECT s.id AS session_id, s.csrf_token, s.expires_at, {USER_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        );
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(to_ms(now))
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(|r| {
            Ok(SessionRecord {
                id: r.session_id,
                user: r.user.try_into()?,
                csrf_token: r.csrf_token,
                expires_at: from_ms(r.expires_at)?,
            })
        })
        .transpose()
    }

    /// The token with this secret hash and its user, if it is live and its user enabled.
    pub async fn live_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<(ApiToken, User)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            token: TokenRow,
            #[sqlx(flatten)]
            user: UserRow,
        }
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.disabled = 0"
        );
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(to_ms(now))
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(|r| Ok((r.token.try_into()?, r.user.try_into()?))).transpose()
    }

    pub async fn token(&self, id: TokenId) -> Result<Option<ApiToken>> {
        fetch_token(&mut *self.reader().await?, id).await
    }

    /// Tokens of one user, or of everyone; newest first.
    pub async fn list_tokens(&self, user_id: Option<UserId>) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id DESC"
        );
        let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id.map(UserId::get))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    /// Records use of a token. Callers skip this when the last record is recent, so a busy
    /// client does not turn every read into a write.
    pub async fn touch_token(&self, id: TokenId, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_ms(now))
            .bind(id.get())
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(())
    }
}

impl Tx {
    pub async fn insert_session(
        &mut self,
        now: Timestamp,
        token_hash: &str,
        user_id: UserId,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $4) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id.get())
        .bind(csrf_token)
        .bind(to_ms(now))
        .bind(to_ms(expires_at))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Ends one session; returns its user when it existed.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<Option<UserId>> {
        let user: Option<i64> =
            sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                .bind(token_hash)
                .fetch_optional(self.conn().await?)
                .await?;
        Ok(user.map(UserId))
    }

    /// Ends every session of a user (disabled, or password changed), except `keep`.
    pub async fn delete_sessions_of(&mut self, user_id: UserId, keep: Option<i64>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
            .bind(user_id.get())
            .bind(keep)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn insert_token(&mut self, now: Timestamp, new: &NewToken) -> Result<ApiToken> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.user_id.get())
        .bind(&new.name)
        .bind(&new.token_hash)
        .bind(new.scopes.to_string())
        .bind(to_ms(now))
        .bind(new.created_by.map(UserId::get))
        .bind(to_ms(new.expires_at))
        .fetch_one(self.conn().await?)
        .await?;
        let id = TokenId(id);
        fetch_token(self.conn().await?, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("token {id} is gone after its insert")))
    }

    pub async fn token(&mut self, id: TokenId) -> Result<Option<ApiToken>> {
        fetch_token(self.conn().await?, id).await
    }

    /// Revokes a token; revoking twice keeps the first instant.
    pub async fn revoke_token(&mut self, now: Timestamp, id: TokenId) -> Result<ApiToken> {
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(to_ms(now))
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        fetch_token(self.conn().await?, id).await?.ok_or(StoreError::NotFound)
    }

    /// Deletes sessions that have expired; returns how many.
    pub async fn purge_expired_sessions(&mut self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected())
    }
}
