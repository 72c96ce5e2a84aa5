//! Post-incident reviews' rows (issue 19): one per incident, and its action items.

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use steward_core::ids::{TicketId, UserId};
use steward_core::reviews::{ActionState, Findings};

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// A review as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub incident_id: TicketId,
    pub findings: Findings,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// An action item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub id: i64,
    pub incident_id: TicketId,
    pub title: String,
    pub owner_id: UserId,
    pub due: Date,
    pub state: ActionState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("review: {what}"))
}

fn action(r: &sqlx::any::AnyRow) -> Result<ActionRecord> {
    let due: String = r.try_get("due")?;
    Ok(ActionRecord {
        id: r.try_get("id")?,
        incident_id: TicketId(r.try_get("incident_id")?),
        title: r.try_get("title")?,
        owner_id: UserId(r.try_get("owner_id")?),
        due: due.parse().map_err(|e| corrupt(format!("due {due}: {e}")))?,
        state: ActionState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

const ACTION_COLUMNS: &str = "id, incident_id, title, owner_id, due, state, created_at, updated_at";

impl Store {
    pub async fn review(&self, incident: TicketId) -> Result<Option<ReviewRecord>> {
        let row = sqlx::query(
            "SELECT incident_id, summary, users_affected, went_well, went_badly, factors, created_by, created_at, \
             updated_at, version FROM reviews WHERE incident_id = $1",
        )
        .bind(incident.get())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|r| {
            Ok(ReviewRecord {
                incident_id: TicketId(r.try_get("incident_id")?),
                findings: Findings {
                    summary: r.try_get("summary")?,
                    users_affected: r.try_get("users_affected")?,
                    went_well: r.try_get("went_well")?,
                    went_badly: r.try_get("went_badly")?,
                    factors: r.try_get("factors")?,
                },
                created_by: UserId(r.try_get("created_by")?),
                created_at: from_ms(r.try_get("created_at")?)?,
                updated_at: from_ms(r.try_get("updated_at")?)?,
                version: r.try_get("version")?,
            })
        })
        .transpose()
    }

    /// The incidents with a review, newest review first.
    pub async fn reviewed_incidents(&self, limit: i64) -> Result<Vec<TicketId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT incident_id FROM reviews ORDER BY created_at DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&mut *self.reader().await?)
                .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    pub async fn review_actions(&self, incident: TicketId) -> Result<Vec<ActionRecord>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM review_actions WHERE incident_id = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(action).collect()
    }

    pub async fn review_action(&self, id: i64) -> Result<Option<ActionRecord>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM review_actions WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.as_ref().map(action).transpose()
    }

    /// Open and in-progress actions, soonest due first; `owner` narrows to one person's.
    pub async fn open_review_actions(&self, owner: Option<UserId>, limit: i64) -> Result<Vec<ActionRecord>> {
        let by_owner = if owner.is_some() { " AND owner_id = $2" } else { "" };
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM review_actions WHERE state IN ('open', 'in_progress'){by_owner} \
             ORDER BY due, id LIMIT $1"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit);
        if let Some(o) = owner {
            q = q.bind(o.get());
        }
        let rows = q.fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(action).collect()
    }

    /// Open actions due before `today` whose owner was not told of this due date.
    pub async fn overdue_review_actions(&self, today: Date, limit: i64) -> Result<Vec<ActionRecord>> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM review_actions WHERE state IN ('open', 'in_progress') AND due < $1 \
             AND (overdue_for IS NULL OR overdue_for <> due) ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(today.to_string())
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(action).collect()
    }
}

impl Tx {
    pub async fn insert_review(&mut self, incident: TicketId, by: UserId, at: Timestamp) -> Result<()> {
        self.execute(
            "INSERT INTO reviews (incident_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $3)",
            vec![incident.into(), by.into(), to_ms(at).into()],
        )
        .await?;
        Ok(())
    }

    /// Saves the findings if the review is still at `expected`.
    pub async fn save_findings(
        &mut self,
        incident: TicketId,
        expected: i64,
        f: &Findings,
        at: Timestamp,
    ) -> Result<()> {
        let done = self
            .execute(
                "UPDATE reviews SET summary = $1, users_affected = $2, went_well = $3, went_badly = $4, factors = $5, \
                 updated_at = $6, version = version + 1 WHERE incident_id = $7 AND version = $8",
                vec![
                    f.summary.clone().into(),
                    f.users_affected.into(),
                    f.went_well.clone().into(),
                    f.went_badly.clone().into(),
                    f.factors.clone().into(),
                    to_ms(at).into(),
                    incident.into(),
                    expected.into(),
                ],
            )
            .await?;
        if done == 0 {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT version FROM reviews WHERE incident_id = $1")
                    .bind(incident.get())
                    .fetch_optional(self.conn().await?)
                    .await?;
            return Err(current.map_or(StoreError::NotFound, |current| StoreError::Stale { current }));
        }
        Ok(())
    }

    pub async fn insert_review_action(
        &mut self,
        incident: TicketId,
        title: &str,
        owner: UserId,
        due: Date,
        at: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO review_actions (incident_id, title, owner_id, due, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING id",
        )
        .bind(incident.get())
        .bind(title)
        .bind(owner.get())
        .bind(due.to_string())
        .bind(to_ms(at))
        .fetch_one(self.conn().await?)
        .await?)
    }

    pub async fn move_review_action(&mut self, id: i64, state: ActionState, at: Timestamp) -> Result<()> {
        self.execute(
            "UPDATE review_actions SET state = $1, updated_at = $2, \
             done_at = CASE WHEN $1 = 'done' THEN COALESCE(done_at, $2) ELSE NULL END WHERE id = $3",
            vec![state.as_str().into(), to_ms(at).into(), id.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn mark_action_overdue(&mut self, id: i64, due: Date) -> Result<()> {
        self.execute(
            "UPDATE review_actions SET overdue_for = $1 WHERE id = $2",
            vec![due.to_string().into(), id.into()],
        )
        .await?;
        Ok(())
    }
}
