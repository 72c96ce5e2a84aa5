//! The CI graph as impact analysis reads it: the edges around a frontier, a walk's whole
//! neighbourhood in one recursive query, and the plain recursive CTE kept for comparison.

use sqlx::Row;
use steward_core::cmdb::{Direction, Edge};
use steward_core::ids::CiId;

use super::relation_of;
use crate::{Result, Store, id_list, typed};

impl Store {
    /// Every edge with an end in `ids` (one step of an impact walk).
    pub async fn edges_touching(&self, ids: &[CiId]) -> Result<Vec<Edge>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let list = id_list(chunk);
            let sql = format!(
                "SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE from_ci IN ({list}) \
                 UNION ALL SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE to_ci IN ({list})"
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await? {
                out.push(relation_of(&r)?.edge);
            }
        }
        Ok(out)
    }

    /// Every edge an impact walk from `start` in `direction` to `depth` steps can cross, in one
    /// recursive query: the edges (in `direction`) of each CI within `depth - 1` steps. `None`
    /// when the neighbourhood passes `cap` CI-steps or edges; the caller then walks level by
    /// level with [`Store::edges_touching`], which its own CI limit bounds.
    pub async fn edges_near(
        &self,
        start: CiId,
        direction: Direction,
        depth: u32,
        cap: i64,
    ) -> Result<Option<Vec<Edge>>> {
        // (the column a step follows, the column it reaches): for `Both`, either end.
        let (step, edges) = match direction {
            Direction::Downstream => (
                "SELECT r.from_ci, w.depth + 1 FROM reach w JOIN ci_relations r ON r.to_ci = w.ci",
                "SELECT r.id, r.kind, r.from_ci, r.to_ci FROM ci_relations r WHERE r.to_ci IN (SELECT ci FROM bounded)",
            ),
            Direction::Upstream => (
                "SELECT r.to_ci, w.depth + 1 FROM reach w JOIN ci_relations r ON r.from_ci = w.ci",
                "SELECT r.id, r.kind, r.from_ci, r.to_ci FROM ci_relations r WHERE r.from_ci IN (SELECT ci FROM bounded)",
            ),
            Direction::Both => (
                "SELECT CASE WHEN r.to_ci = w.ci THEN r.from_ci ELSE r.to_ci END, w.depth + 1 \
                 FROM reach w JOIN ci_relations r ON r.to_ci = w.ci OR r.from_ci = w.ci",
                "SELECT r.id, r.kind, r.from_ci, r.to_ci FROM ci_relations r WHERE r.to_ci IN (SELECT ci FROM bounded) \
                 UNION SELECT r.id, r.kind, r.from_ci, r.to_ci FROM ci_relations r WHERE r.from_ci IN (SELECT ci FROM bounded)",
            ),
        };
        // `bounded` stops the recursion after `cap` rows (both databases evaluate a recursive
        // query only as far as it is read); `reached` says whether it stopped early.
        let sql = format!(
            "WITH RECURSIVE reach (ci, depth) AS ( \
                 SELECT CAST($1 AS BIGINT), CAST(0 AS BIGINT) UNION {step} WHERE w.depth < $2 \
             ), bounded AS (SELECT ci FROM reach LIMIT $3) \
             SELECT e.id, e.kind, e.from_ci, e.to_ci, (SELECT COUNT(*) FROM bounded) AS reached \
             FROM ({edges}) e LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(start.get())
            .bind(i64::from(depth.saturating_sub(1)))
            .bind(cap)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        let reached: i64 = rows.first().map(|r| r.try_get("reached")).transpose()?.unwrap_or(1);
        if reached >= cap || rows.len() as i64 >= cap {
            return Ok(None);
        }
        rows.iter().map(|r| Ok(relation_of(r)?.edge)).collect::<Result<Vec<_>>>().map(Some)
    }

    /// The CIs downstream of `start` within `depth` steps by one recursive SQL query: the
    /// plain-SQL way to answer impact, kept to compare with the level-by-level walk.
    pub async fn downstream_by_cte(&self, start: CiId, depth: i64) -> Result<Vec<CiId>> {
        Ok(typed(sqlx::query_scalar(
            "WITH RECURSIVE walk (ci, depth) AS ( \
                 SELECT CAST($1 AS BIGINT), CAST(0 AS BIGINT) \
                 UNION \
                 SELECT r.from_ci, w.depth + 1 FROM ci_relations r JOIN walk w ON r.to_ci = w.ci WHERE w.depth < $2 \
             ) SELECT DISTINCT ci FROM walk WHERE ci <> $1 ORDER BY ci",
        )
        .bind(start.get())
        .bind(depth)
        .fetch_all(&mut *self.reader().await?)
        .await?))
    }

    /// The CIs `start` depends on within `depth` steps (the other way from
    /// `downstream_by_cte`): a service's hosts, databases and networks.
    pub async fn dependencies_by_cte(&self, start: CiId, depth: i64) -> Result<Vec<CiId>> {
        Ok(typed(sqlx::query_scalar(
            "WITH RECURSIVE walk (ci, depth) AS ( \
                 SELECT CAST($1 AS BIGINT), CAST(0 AS BIGINT) \
                 UNION \
                 SELECT r.to_ci, w.depth + 1 FROM ci_relations r JOIN walk w ON r.from_ci = w.ci WHERE w.depth < $2 \
             ) SELECT DISTINCT ci FROM walk WHERE ci <> $1 ORDER BY ci",
        )
        .bind(start.get())
        .bind(depth)
        .fetch_all(&mut *self.reader().await?)
        .await?))
    }
}
