//! Duplicate incidents (issue 22): the open incidents a new one is compared with, the pairs
//! flagged, dismissed or merged, and what a merge copies and moves.

use jiff::Timestamp;
use sqlx::Row;
use steward_core::ids::{CiId, TicketId, UserId};

use crate::{Result, Store, Tx, from_ms, id_at, opt_id_at, to_ms};

/// The states of an open incident, as stored.
const OPEN: &str = "('new', 'assigned', 'in_progress', 'on_hold')";

/// An open incident as duplicates are looked for among them.
#[derive(Debug, Clone)]
pub struct OpenIncident {
    pub id: TicketId,
    pub title: String,
    pub description: String,
    pub service: Option<String>,
    pub cis: Vec<CiId>,
    pub created_at: Timestamp,
}

/// A pair found to resemble: `incident` (the newer) and `candidate` (the older); scores in
/// thousandths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDuplicate {
    pub incident: TicketId,
    pub candidate: TicketId,
    pub score: i64,
    pub text_score: i64,
    pub shared_ci: Option<CiId>,
    pub same_service: bool,
    pub apart_ms: i64,
}

/// A flagged pair as a ticket's page shows it, with the shared CI's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateFlag {
    pub pair: NewDuplicate,
    pub shared_ci_name: Option<String>,
    pub found_at: Timestamp,
}

impl Store {
    /// Open incidents raised at or after `since`, newest first, at most `limit`, with their CIs.
    pub async fn open_incidents_since(&self, since: Timestamp, limit: i64) -> Result<Vec<OpenIncident>> {
        let sql = format!(
            "SELECT id, title, description, service, created_at FROM tickets \
             WHERE kind = 'incident' AND state IN {OPEN} AND created_at >= $1 ORDER BY id DESC LIMIT $2"
        );
        let mut conn = self.reader().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(since))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(OpenIncident {
                id: id_at(r, "id")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                service: r.try_get("service")?,
                cis: Vec::new(),
                created_at: from_ms(r.try_get("created_at")?)?,
            });
        }
        if !out.is_empty() {
            let ids: Vec<i64> = out.iter().map(|o| o.id.get()).collect();
            let sql = format!(
                "SELECT ticket_id, ci_id FROM ticket_cis WHERE ticket_id IN ({})",
                crate::id_list(&ids)
            );
            let links: Vec<(i64, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
            for (t, c) in links {
                if let Some(o) = out.iter_mut().find(|o| o.id.get() == t) {
                    o.cis.push(CiId(c));
                }
            }
        }
        Ok(out)
    }

    /// The pairs `id` is in, not dismissed, whose other incident is still open (`id` itself may
    /// be in any state), best first.
    pub async fn duplicate_flags(&self, id: TicketId) -> Result<Vec<DuplicateFlag>> {
        let sql = format!(
            "SELECT d.incident_id, d.candidate_id, d.score, d.text_score, d.shared_ci_id, c.name AS ci_name, \
             d.same_service, d.apart_ms, d.found_at FROM incident_duplicates d \
             JOIN tickets o ON o.id = CASE WHEN d.incident_id = $1 THEN d.candidate_id ELSE d.incident_id END \
             LEFT JOIN cis c ON c.id = d.shared_ci_id \
             WHERE (d.incident_id = $1 OR d.candidate_id = $1) AND d.dismissed_at IS NULL AND o.state IN {OPEN} \
             ORDER BY d.score DESC, o.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DuplicateFlag {
                    pair: NewDuplicate {
                        incident: id_at(r, "incident_id")?,
                        candidate: id_at(r, "candidate_id")?,
                        score: r.try_get("score")?,
                        text_score: r.try_get("text_score")?,
                        shared_ci: opt_id_at(r, "shared_ci_id")?,
                        same_service: r.try_get::<i64, _>("same_service")? != 0,
                        apart_ms: r.try_get("apart_ms")?,
                    },
                    shared_ci_name: r.try_get("ci_name")?,
                    found_at: from_ms(r.try_get("found_at")?)?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Records flagged pairs (a pair found again is left as it was, dismissed or not).
    pub async fn insert_duplicates(&mut self, at: Timestamp, pairs: &[NewDuplicate]) -> Result<()> {
        for p in pairs {
            let sql = "INSERT INTO incident_duplicates (incident_id, candidate_id, score, text_score, shared_ci_id, \
                       same_service, apart_ms, found_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                       ON CONFLICT (incident_id, candidate_id) DO NOTHING";
            let args = vec![
                p.incident.into(),
                p.candidate.into(),
                p.score.into(),
                p.text_score.into(),
                p.shared_ci.into(),
                i64::from(p.same_service).into(),
                p.apart_ms.into(),
                to_ms(at).into(),
            ];
            self.execute(sql, args).await?;
        }
        Ok(())
    }

    /// Marks the pair of `a` and `b` (either way round) as not duplicates; false when no such
    /// pair is flagged.
    pub async fn dismiss_duplicate(
        &mut self,
        a: TicketId,
        b: TicketId,
        by: UserId,
        at: Timestamp,
    ) -> Result<bool> {
        let sql = "UPDATE incident_duplicates SET dismissed_by = $3, dismissed_at = $4 \
                   WHERE ((incident_id = $1 AND candidate_id = $2) OR (incident_id = $2 AND candidate_id = $1)) \
                   AND dismissed_at IS NULL";
        Ok(self.execute(sql, vec![a.into(), b.into(), by.into(), to_ms(at).into()]).await? > 0)
    }

    /// Copies `from`'s replies, work notes and attachments to `into`, with their authors and
    /// times, marked as merged from `from` (those copied by an earlier merge of the two are not
    /// copied again); answers how many comments and attachments.
    pub async fn copy_conversation(&mut self, from: TicketId, into: TicketId) -> Result<(i64, i64)> {
        let comments = self
            .execute(
                "INSERT INTO comments (ticket_id, author_id, body, body_html, internal, created_at, merged_from) \
                 SELECT $2, c.author_id, c.body, c.body_html, c.internal, c.created_at, $1 FROM comments c \
                 WHERE c.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM comments k WHERE k.ticket_id = $2 \
                 AND k.merged_from = $1 AND k.author_id = c.author_id AND k.created_at = c.created_at \
                 AND k.body = c.body) ORDER BY c.id",
                vec![from.into(), into.into()],
            )
            .await?;
        let attachments = self
            .execute(
                "INSERT INTO attachments (ticket_id, filename, content_type, size, sha256, internal, uploaded_by, \
                 created_at, data, merged_from) \
                 SELECT $2, a.filename, a.content_type, a.size, a.sha256, a.internal, a.uploaded_by, a.created_at, \
                 a.data, $1 FROM attachments a WHERE a.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM attachments k \
                 WHERE k.ticket_id = $2 AND k.merged_from = $1 AND k.sha256 = a.sha256 AND k.created_at = a.created_at) \
                 ORDER BY a.id",
                vec![from.into(), into.into()],
            )
            .await?;
        Ok((comments as i64, attachments as i64))
    }

    /// Moves the alerts that opened or joined `from` to `into`; answers how many.
    pub async fn move_alerts(&mut self, from: TicketId, into: TicketId) -> Result<u64> {
        self.execute("UPDATE alerts SET ticket_id = $2 WHERE ticket_id = $1", vec![from.into(), into.into()])
            .await
    }
}
