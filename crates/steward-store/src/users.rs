//! Users and what sign-in needs to know about them.

use jiff::Timestamp;
use sqlx::{Any, Executor};
use steward_core::identity::{Role, User, Username};
use steward_core::ids::UserId;

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub password_hash: Option<String>,
    pub locale: Option<String>,
    pub organisation: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub locale: Option<Option<String>>,
    pub organisation: Option<Option<String>>,
    pub time_zone: Option<Option<String>>,
    pub manager_id: Option<Option<UserId>>,
}

/// A user with the password hash sign-in checks.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub user: User,
    pub password_hash: Option<String>,
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.email, u.role, u.disabled, u.locale, u.time_zone, u.organisation, u.manager_id, u.created_at, u.updated_at, u.version";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    role: String,
    disabled: i64,
    locale: Option<String>,
    time_zone: Option<String>,
    organisation: Option<String>,
    manager_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            id: UserId(r.id),
            username: Username::parse(&r.username)
                .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", r.id)))?,
            display_name: r.display_name,
            email: r.email,
            role: Role::parse(&r.role).map_err(|e| StoreError::Corrupt(format!("user {}: {e}", r.id)))?,
            disabled: r.disabled != 0,
            locale: r.locale,
            time_zone: r.time_zone,
            organisation: r.organisation,
            manager_id: r.manager_id.map(UserId),
            created_at: from_ms(r.created_at)?,
            updated_at: from_ms(r.updated_at)?,
            version: r.version,
        })
    }
}

async fn fetch_user<'e, E: Executor<'e, Database = Any>>(e: E, id: UserId) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    let row: Option<UserRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.get()).fetch_optional(e).await?;
    row.map(User::try_from).transpose()
}

impl Store {
    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        fetch_user(&mut *self.reader().await?, id).await
    }

    pub async fn user_by_username(&self, username: &Username) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(User::try_from).transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
        let rows: Vec<UserRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// The user's queue columns as saved (comma-separated names), if they chose.
    pub async fn queue_columns(&self, id: UserId) -> Result<Option<String>> {
        let saved: Option<Option<String>> =
            sqlx::query_scalar("SELECT queue_columns FROM users WHERE id = $1")
                .bind(id.get())
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        Ok(saved.flatten())
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *self.reader().await?).await?)
    }

    pub async fn login_record(&self, username: &Username) -> Result<Option<LoginRecord>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: Option<String>,
        }
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(username.as_str())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(|r| Ok(LoginRecord { user: r.user.try_into()?, password_hash: r.password_hash })).transpose()
    }
}

impl Tx {
    pub async fn user(&mut self, id: UserId) -> Result<Option<User>> {
        fetch_user(self.conn().await?, id).await
    }

    pub async fn insert_user(&mut self, now: Timestamp, new: &NewUser) -> Result<User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, email, role, password_hash, locale, organisation, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7) RETURNING id",
        )
        .bind(new.username.as_str())
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(&new.locale)
        .bind(to_ms(now))
        .bind(&new.organisation)
        .fetch_one(self.conn().await?)
        .await?;
        let id = UserId(id);
        self.user(id).await?.ok_or_else(|| StoreError::Corrupt(format!("user {id} is gone after its insert")))
    }

    /// Applies `patch` if the user is still at `expected_version` (when given).
    pub async fn update_user(
        &mut self,
        now: Timestamp,
        id: UserId,
        expected_version: Option<i64>,
        patch: &UserPatch,
    ) -> Result<User> {
        let current = self.user(id).await?.ok_or(StoreError::NotFound)?;
        if let Some(v) = expected_version
            && v != current.version
        {
            return Err(StoreError::Stale { current: current.version });
        }
        let display_name = patch.display_name.as_ref().unwrap_or(&current.display_name);
        let email = patch.email.as_ref().unwrap_or(&current.email);
        let role = patch.role.unwrap_or(current.role);
        let disabled = patch.disabled.unwrap_or(current.disabled);
        let locale = patch.locale.as_ref().unwrap_or(&current.locale);
        let organisation = patch.organisation.as_ref().unwrap_or(&current.organisation);
        let time_zone = patch.time_zone.as_ref().unwrap_or(&current.time_zone);
        let manager_id = patch.manager_id.unwrap_or(current.manager_id);
        let unchanged = *display_name == current.display_name
            && *email == current.email
            && role == current.role
            && disabled == current.disabled
            && *locale == current.locale
            && *organisation == current.organisation
            && *time_zone == current.time_zone
            && manager_id == current.manager_id;
        if unchanged {
            // Nothing to write: the version stays, so no event and no 412 for other editors.
            return Ok(current);
        }
        sqlx::query(
            "UPDATE users SET display_name = $1, email = $2, role = $3, disabled = $4, locale = $5, \
             updated_at = $6, version = version + 1, organisation = $8, time_zone = $9, manager_id = $10 WHERE id = $7",
        )
        .bind(display_name)
        .bind(email)
        .bind(role.as_str())
        .bind(i64::from(disabled))
        .bind(locale)
        .bind(to_ms(now))
        .bind(id.get())
        .bind(organisation)
        .bind(time_zone)
        .bind(manager_id.map(UserId::get))
        .execute(self.conn().await?)
        .await?;
        self.user(id).await?.ok_or(StoreError::NotFound)
    }

    /// Sets (or, with `None`, forgets) the user's queue columns.
    pub async fn set_queue_columns(&mut self, id: UserId, columns: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET queue_columns = $1 WHERE id = $2")
            .bind(columns)
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    pub async fn set_password_hash(&mut self, now: Timestamp, id: UserId, hash: &str) -> Result<()> {
        sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3",
        )
        .bind(hash)
        .bind(to_ms(now))
        .bind(id.get())
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }
}
