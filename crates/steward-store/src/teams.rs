//! Teams and their members.

use jiff::Timestamp;
use sqlx::{Any, Executor};
use steward_core::identity::{Team, TeamName, TeamWithMembers, User};
use steward_core::ids::{TeamId, UserId};

use crate::users::{USER_COLUMNS, UserRow};
use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    name: String,
    description: String,
    created_at: i64,
}

impl TryFrom<TeamRow> for Team {
    type Error = StoreError;
    fn try_from(r: TeamRow) -> Result<Team> {
        Ok(Team {
            id: TeamId(r.id),
            name: r.name,
            description: r.description,
            created_at: from_ms(r.created_at)?,
        })
    }
}

async fn fetch_team<'e, E: Executor<'e, Database = Any>>(e: E, id: TeamId) -> Result<Option<Team>> {
    let row: Option<TeamRow> =
        sqlx::query_as("SELECT id, name, description, created_at FROM teams WHERE id = $1")
            .bind(id.get())
            .fetch_optional(e)
            .await?;
    row.map(Team::try_from).transpose()
}

impl Store {
    pub async fn team(&self, id: TeamId) -> Result<Option<Team>> {
        fetch_team(&mut *self.reader().await?, id).await
    }

    /// The team that takes new tickets no category routes (see migration 0014).
    pub async fn intake_team(&self) -> Result<Option<TeamId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE intake = 1")
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(id.map(TeamId))
    }

    /// Every team with its members, ordered by name.
    pub async fn list_teams(&self) -> Result<Vec<TeamWithMembers>> {
        let teams: Vec<TeamRow> =
            sqlx::query_as("SELECT id, name, description, created_at FROM teams ORDER BY name")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        #[derive(sqlx::FromRow)]
        struct MemberRow {
            team_id: i64,
            #[sqlx(flatten)]
            user: UserRow,
        }
        let sql = format!(
            "SELECT m.team_id, {USER_COLUMNS} FROM team_members m JOIN users u ON u.id = m.user_id \
             ORDER BY u.username"
        );
        let members: Vec<MemberRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
        let mut out = teams
            .into_iter()
            .map(|t| Ok(TeamWithMembers { team: t.try_into()?, members: Vec::new() }))
            .collect::<Result<Vec<_>>>()?;
        for m in members {
            if let Some(t) = out.iter_mut().find(|t| t.team.id.get() == m.team_id) {
                t.members.push(User::try_from(m.user)?);
            }
        }
        Ok(out)
    }

    /// The teams a user belongs to.
    pub async fn teams_of(&self, user_id: UserId) -> Result<Vec<Team>> {
        let rows: Vec<TeamRow> = sqlx::query_as(
            "SELECT t.id, t.name, t.description, t.created_at FROM teams t \
             JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.name",
        )
        .bind(user_id.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(Team::try_from).collect()
    }
}

impl Tx {
    pub async fn team(&mut self, id: TeamId) -> Result<Option<Team>> {
        fetch_team(self.conn().await?, id).await
    }

    /// Makes `team` the intake team (or, with `None`, leaves none).
    pub async fn set_intake_team(&mut self, team: Option<TeamId>) -> Result<()> {
        sqlx::query("UPDATE teams SET intake = 0 WHERE intake = 1").execute(self.conn().await?).await?;
        if let Some(id) = team {
            sqlx::query("UPDATE teams SET intake = 1 WHERE id = $1")
                .bind(id.get())
                .execute(self.conn().await?)
                .await?;
        }
        Ok(())
    }

    pub async fn insert_team(&mut self, now: Timestamp, name: &TeamName, description: &str) -> Result<Team> {
        let id = sqlx::query_scalar(
            "INSERT INTO teams (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(name.as_str())
        .bind(description)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await
        .map(TeamId)?;
        self.team(id).await?.ok_or_else(|| StoreError::Corrupt(format!("team {id} is gone after its insert")))
    }

    /// Adds a member; returns false when they already were one.
    pub async fn add_team_member(
        &mut self,
        now: Timestamp,
        team_id: TeamId,
        user_id: UserId,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO team_members (team_id, user_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team_id.get())
        .bind(user_id.get())
        .bind(to_ms(now))
        .execute(self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes a member; returns false when they were not one.
    pub async fn remove_team_member(&mut self, team_id: TeamId, user_id: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id.get())
            .bind(user_id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
