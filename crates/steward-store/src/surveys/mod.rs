//! Satisfaction surveys: CSAT surveys (one per ticket), NPS surveys (one per person and
//! month), their answers and NPS opt-outs. Links are stored as their hash only.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use steward_core::ids::{TeamId, TicketId, UserId};

use crate::{Result, Store, Tx, from_ms, from_ms_opt, to_ms};

mod leaderboard;
pub use leaderboard::{Deed, Deeds};

/// A CSAT survey about to be sent.
#[derive(Debug, Clone)]
pub struct NewCsat {
    pub ticket_id: TicketId,
    pub requester_id: UserId,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub service: Option<String>,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsatRecord {
    pub id: i64,
    pub ticket_id: TicketId,
    pub requester_id: UserId,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub service: Option<String>,
    pub asked_at: Timestamp,
    pub expires_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub stars: Option<i64>,
    pub comment: String,
    /// `portal` or `mail`.
    pub via: Option<String>,
}

const CSAT_COLUMNS: &str = "id, ticket_id, requester_id, team_id, assignee_id, service, asked_at, expires_at, \
                            answered_at, stars, comment, via";

fn csat(r: &AnyRow) -> Result<CsatRecord> {
    Ok(CsatRecord {
        id: r.try_get("id")?,
        ticket_id: TicketId(r.try_get("ticket_id")?),
        requester_id: UserId(r.try_get("requester_id")?),
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        assignee_id: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
        service: r.try_get("service")?,
        asked_at: from_ms(r.try_get("asked_at")?)?,
        expires_at: from_ms(r.try_get("expires_at")?)?,
        answered_at: from_ms_opt(r.try_get("answered_at")?)?,
        stars: r.try_get("stars")?,
        comment: r.try_get("comment")?,
        via: r.try_get("via")?,
    })
}

/// An NPS survey about to be sent.
#[derive(Debug, Clone)]
pub struct NewNps {
    pub month: String,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpsRecord {
    pub id: i64,
    pub month: String,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub score: Option<i64>,
    pub reason: String,
    pub sentiment: Option<String>,
}

const NPS_COLUMNS: &str =
    "id, month, user_id, team_id, service, sent_at, expires_at, answered_at, score, reason, sentiment";

fn nps(r: &AnyRow) -> Result<NpsRecord> {
    Ok(NpsRecord {
        id: r.try_get("id")?,
        month: r.try_get("month")?,
        user_id: UserId(r.try_get("user_id")?),
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        service: r.try_get("service")?,
        sent_at: from_ms(r.try_get("sent_at")?)?,
        expires_at: from_ms(r.try_get("expires_at")?)?,
        answered_at: from_ms_opt(r.try_get("answered_at")?)?,
        score: r.try_get("score")?,
        reason: r.try_get("reason")?,
        sentiment: r.try_get("sentiment")?,
    })
}

/// Answered CSAT surveys summed per team and agent of the resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsatSum {
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub answers: i64,
    pub stars: i64,
    /// Answers of four or five stars.
    pub satisfied: i64,
}

/// A ticket's requester, team and service, for sampling NPS recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpsCandidate {
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
}

impl Store {
    pub async fn csat_by_token(&self, token_hash: &str) -> Result<Option<CsatRecord>> {
        let sql = format!("SELECT {CSAT_COLUMNS} FROM csat_surveys WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(csat).transpose()
    }

    pub async fn csat_of_ticket(&self, ticket_id: TicketId) -> Result<Option<CsatRecord>> {
        let sql = format!("SELECT {CSAT_COLUMNS} FROM csat_surveys WHERE ticket_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(csat).transpose()
    }

    /// A requester's surveys still waiting for an answer at `now`, newest first.
    pub async fn csat_waiting(&self, requester: UserId, now: Timestamp) -> Result<Vec<CsatRecord>> {
        let sql = format!(
            "SELECT {CSAT_COLUMNS} FROM csat_surveys WHERE requester_id = $1 AND answered_at IS NULL \
             AND expires_at > $2 ORDER BY asked_at DESC, id DESC LIMIT 20"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(requester.get())
            .bind(to_ms(now))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(csat).collect()
    }

    /// Answers given in [from, to), newest first (at most `limit`).
    pub async fn csat_answers(&self, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<CsatRecord>> {
        let sql = format!(
            "SELECT {CSAT_COLUMNS} FROM csat_surveys WHERE answered_at >= $1 AND answered_at < $2 \
             ORDER BY answered_at DESC, id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(from))
            .bind(to_ms(to))
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(csat).collect()
    }

    /// Answers given in [from, to), summed per team and agent.
    pub async fn csat_sums(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CsatSum>> {
        let rows = sqlx::query(
            "SELECT team_id, assignee_id, COUNT(*) AS answers, CAST(SUM(stars) AS BIGINT) AS stars, \
             CAST(SUM(CASE WHEN stars >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS satisfied FROM csat_surveys \
             WHERE answered_at >= $1 AND answered_at < $2 GROUP BY team_id, assignee_id",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CsatSum {
                    team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
                    assignee_id: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
                    answers: r.try_get("answers")?,
                    stars: r.try_get("stars")?,
                    satisfied: r.try_get("satisfied")?,
                })
            })
            .collect()
    }

    pub async fn nps_by_token(&self, token_hash: &str) -> Result<Option<NpsRecord>> {
        let sql = format!("SELECT {NPS_COLUMNS} FROM nps_surveys WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(nps).transpose()
    }

    /// The person's NPS survey waiting for an answer at `now`, if any.
    pub async fn nps_waiting(&self, user: UserId, now: Timestamp) -> Result<Option<NpsRecord>> {
        let sql = format!(
            "SELECT {NPS_COLUMNS} FROM nps_surveys WHERE user_id = $1 AND answered_at IS NULL \
             AND expires_at > $2 ORDER BY sent_at DESC, id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.get())
            .bind(to_ms(now))
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(nps).transpose()
    }

    /// The surveys of months `from`..=`to` (`YYYY-MM`), answered or not, in order of sending.
    pub async fn nps_surveys(&self, from: &str, to: &str) -> Result<Vec<NpsRecord>> {
        let sql =
            format!("SELECT {NPS_COLUMNS} FROM nps_surveys WHERE month >= $1 AND month <= $2 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(nps).collect()
    }

    /// Whether the monthly job sent `month`'s NPS survey.
    pub async fn nps_ran(&self, month: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM nps_runs WHERE month = $1")
            .bind(month)
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(n > 0)
    }

    /// The requesters of incidents and requests raised in [from, to), each with the team and
    /// service of their latest one; people who opted out and disabled accounts left out.
    pub async fn nps_candidates(&self, from: Timestamp, to: Timestamp) -> Result<Vec<NpsCandidate>> {
        let rows = sqlx::query(
            "SELECT t.requester_id, t.team_id, t.service FROM tickets t JOIN users u ON u.id = t.requester_id \
             WHERE t.created_at >= $1 AND t.created_at < $2 AND t.kind IN ('incident', 'request') \
             AND u.disabled = 0 AND NOT EXISTS (SELECT 1 FROM nps_opt_outs o WHERE o.user_id = t.requester_id) \
             ORDER BY t.requester_id, t.created_at DESC, t.id DESC",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let mut out: Vec<NpsCandidate> = Vec::new();
        for r in &rows {
            let user_id = UserId(r.try_get("requester_id")?);
            if out.last().is_some_and(|c| c.user_id == user_id) {
                continue;
            }
            out.push(NpsCandidate {
                user_id,
                team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
                service: r.try_get("service")?,
            });
        }
        Ok(out)
    }

    pub async fn nps_opted_out(&self, user: UserId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM nps_opt_outs WHERE user_id = $1")
            .bind(user.get())
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(n > 0)
    }
}

impl Tx {
    /// Records a survey for a ticket; `None` when the ticket has one already (one per ticket).
    pub async fn insert_csat(&mut self, at: Timestamp, s: &NewCsat) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO csat_surveys (ticket_id, requester_id, team_id, assignee_id, service, token_hash, \
             asked_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id) DO NOTHING RETURNING id",
        )
        .bind(s.ticket_id.get())
        .bind(s.requester_id.get())
        .bind(s.team_id.map(|t| t.get()))
        .bind(s.assignee_id.map(|u| u.get()))
        .bind(s.service.as_deref())
        .bind(&s.token_hash)
        .bind(to_ms(at))
        .bind(to_ms(s.expires_at))
        .fetch_optional(self.conn().await?)
        .await?)
    }

    /// Stores the answer unless one is there; false when it was answered already.
    pub async fn answer_csat(
        &mut self,
        id: i64,
        at: Timestamp,
        stars: i64,
        comment: &str,
        via: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE csat_surveys SET answered_at = $1, stars = $2, comment = $3, via = $4 \
             WHERE id = $5 AND answered_at IS NULL",
        )
        .bind(to_ms(at))
        .bind(stars)
        .bind(comment)
        .bind(via)
        .bind(id)
        .execute(self.conn().await?)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Records a person's survey for a month; `None` when they have one already.
    pub async fn insert_nps(&mut self, at: Timestamp, s: &NewNps) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "INSERT INTO nps_surveys (month, user_id, team_id, service, token_hash, sent_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (month, user_id) DO NOTHING RETURNING id",
        )
        .bind(&s.month)
        .bind(s.user_id.get())
        .bind(s.team_id.map(|t| t.get()))
        .bind(s.service.as_deref())
        .bind(&s.token_hash)
        .bind(to_ms(at))
        .bind(to_ms(s.expires_at))
        .fetch_optional(self.conn().await?)
        .await?)
    }

    pub async fn answer_nps(
        &mut self,
        id: i64,
        at: Timestamp,
        score: i64,
        reason: &str,
        sentiment: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE nps_surveys SET answered_at = $1, score = $2, reason = $3, sentiment = $4 \
             WHERE id = $5 AND answered_at IS NULL",
        )
        .bind(to_ms(at))
        .bind(score)
        .bind(reason)
        .bind(sentiment)
        .bind(id)
        .execute(self.conn().await?)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Records that the monthly job sent `month`'s survey; false when it had (another node).
    pub async fn record_nps_run(&mut self, month: &str, at: Timestamp) -> Result<bool> {
        let done =
            sqlx::query("INSERT INTO nps_runs (month, at) VALUES ($1, $2) ON CONFLICT (month) DO NOTHING")
                .bind(month)
                .bind(to_ms(at))
                .execute(self.conn().await?)
                .await?
                .rows_affected();
        Ok(done == 1)
    }

    /// No more NPS surveys for `user`; false when they had opted out already.
    pub async fn opt_out_of_nps(&mut self, user: UserId, at: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO nps_opt_outs (user_id, at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.get())
        .bind(to_ms(at))
        .execute(self.conn().await?)
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
