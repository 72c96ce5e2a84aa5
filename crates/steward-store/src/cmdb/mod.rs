//! The CMDB's rows: admin-defined classes, CIs with their attributes (a JSON object of canonical
//! values), values of unique attributes, relationships, and incidents' links to CIs.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use steward_core::cmdb::{AttrDef, AttrType, CiStatus, ClassDef, Edge, RelationType};

use steward_core::ids::{CiId, RelationId, TeamId, TicketId};

use crate::{Result, Store, StoreError, Tx, from_ms, id_list, placeholders, to_ms, typed};

mod graph;

/// A configuration item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiRecord {
    pub id: CiId,
    pub class: String,
    pub name: String,
    pub external_id: Option<String>,
    pub status: CiStatus,
    pub owner_team_id: Option<TeamId>,
    /// 1 (most critical) to 5.
    pub criticality: i64,
    pub attrs: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A relationship as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationRecord {
    pub id: RelationId,
    pub edge: Edge,
}

const CI_COLUMNS: &str = "c.id, c.class, c.name, c.external_id, c.status, c.owner_team_id, c.criticality, c.attrs, \
    c.created_at, c.updated_at, c.version";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn ci_of(r: &AnyRow) -> Result<CiRecord> {
    let attrs: String = r.try_get("attrs")?;
    let status: String = r.try_get("status")?;
    Ok(CiRecord {
        id: CiId(r.try_get("id")?),
        class: r.try_get("class")?,
        name: r.try_get("name")?,
        external_id: r.try_get("external_id")?,
        status: CiStatus::parse(&status).map_err(corrupt)?,
        owner_team_id: r.try_get::<Option<i64>, _>("owner_team_id")?.map(TeamId),
        criticality: r.try_get("criticality")?,
        attrs: serde_json::from_str(&attrs).map_err(|e| corrupt(format!("ci attributes: {e}")))?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        version: r.try_get("version")?,
    })
}

/// Ids written into SQL as a literal list: integers formatted here, never user text, so a
/// thousand-id lookup binds no parameters.
pub(crate) fn relation_of(r: &AnyRow) -> Result<RelationRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(RelationRecord {
        id: RelationId(r.try_get("id")?),
        edge: Edge {
            from: CiId(r.try_get("from_ci")?),
            to: CiId(r.try_get("to_ci")?),
            kind: RelationType::parse(&kind).map_err(corrupt)?,
        },
    })
}

/// `name|type|required|unique` per line, the form `ci_classes.attrs` holds.
fn encode_attrs(attrs: &[AttrDef]) -> String {
    attrs
        .iter()
        .map(|a| format!("{}|{}|{}|{}", a.name, a.ty, u8::from(a.required), u8::from(a.unique)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_attrs(text: &str) -> Result<Vec<AttrDef>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').collect();
            let [name, ty @ .., required, unique] = parts.as_slice() else {
                return Err(corrupt(format!("class attribute `{l}`")));
            };
            Ok(AttrDef {
                name: (*name).to_owned(),
                ty: AttrType::parse(&ty.join("|")).map_err(corrupt)?,
                required: *required == "1",
                unique: *unique == "1",
            })
        })
        .collect()
}

/// A page of CIs to list: optionally one class, a name prefix, after an id.
#[derive(Debug, Clone, Default)]
pub struct CiQuery {
    pub class: Option<String>,
    pub q: Option<String>,
    pub after: Option<CiId>,
    pub limit: i64,
}

impl Store {
    pub async fn custom_ci_classes(&self) -> Result<Vec<ClassDef>> {
        let rows = sqlx::query("SELECT name, attrs FROM ci_classes ORDER BY name")
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClassDef {
                    name: r.try_get("name")?,
                    attrs: decode_attrs(&r.try_get::<String, _>("attrs")?)?,
                })
            })
            .collect()
    }

    pub async fn ci(&self, id: CiId) -> Result<Option<CiRecord>> {
        let sql = format!("SELECT {CI_COLUMNS} FROM cis c WHERE c.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .as_ref()
            .map(ci_of)
            .transpose()
    }

    pub async fn cis_by_ids(&self, ids: &[CiId]) -> Result<Vec<CiRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!("SELECT {CI_COLUMNS} FROM cis c WHERE c.id IN ({})", id_list(chunk));
            for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await? {
                out.push(ci_of(&r)?);
            }
        }
        Ok(out)
    }

    /// CIs by name (prefix, case-sensitive) and class, in id order, a page at a time.
    pub async fn list_cis(&self, q: &CiQuery) -> Result<Vec<CiRecord>> {
        let mut clauses = vec!["c.id > $1".to_owned()];
        if q.class.is_some() {
            clauses.push("c.class = $2".into());
        }
        if q.q.is_some() {
            clauses.push("c.name >= $3 AND c.name < $4".into());
        }
        let sql = format!(
            "SELECT {CI_COLUMNS} FROM cis c WHERE {} ORDER BY c.id LIMIT {}",
            clauses.join(" AND "),
            q.limit.clamp(1, 500)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(q.after.map_or(0, CiId::get));
        query = query.bind(q.class.clone().unwrap_or_default());
        if let Some(prefix) = &q.q {
            // Everything that starts with `prefix` sorts between it and it followed by U+10FFFF.
            query = query.bind(prefix.clone()).bind(format!("{prefix}\u{10FFFF}"));
        }
        query.fetch_all(&mut *self.reader().await?).await?.iter().map(ci_of).collect()
    }

    /// The CIs monitoring names by `subjects`: by name, or by a unique `hostname`,
    /// `ip_address` or `fqdn` of any class (the lowest id when several match); only those the
    /// CMDB knows.
    pub async fn cis_named(&self, subjects: &[String]) -> Result<std::collections::HashMap<String, CiId>> {
        let mut out = std::collections::HashMap::new();
        for chunk in subjects.chunks(400) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let list = marks.join(", ");
            let sql = format!(
                "SELECT s, MIN(id) FROM (SELECT name AS s, id FROM cis WHERE name IN ({list}) UNION ALL \
                 SELECT value AS s, ci_id AS id FROM ci_unique_values WHERE attr IN ('hostname', 'ip_address', 'fqdn') \
                 AND value IN ({list})) m GROUP BY s"
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for s in chunk {
                q = q.bind(s);
            }
            out.extend(
                q.fetch_all(&mut *self.reader().await?).await?.into_iter().map(|(s, id)| (s, CiId(id))),
            );
        }
        Ok(out)
    }

    /// The CI that holds `value` for a unique attribute of `class`, if any.
    pub async fn ci_with_unique_value(&self, class: &str, attr: &str, value: &str) -> Result<Option<CiId>> {
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT ci_id FROM ci_unique_values WHERE class = $1 AND attr = $2 AND value = $3",
        )
        .bind(class)
        .bind(attr)
        .bind(value)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(owner.map(CiId))
    }

    pub async fn ci_by_external_id(&self, external_id: &str) -> Result<Option<CiRecord>> {
        let sql = format!("SELECT {CI_COLUMNS} FROM cis c WHERE c.external_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(external_id)
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .as_ref()
            .map(ci_of)
            .transpose()
    }

    /// The relationships with `ci` at either end.
    pub async fn ci_relations(&self, ci: CiId) -> Result<Vec<RelationRecord>> {
        let rows = sqlx::query(
            "SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE from_ci = $1 \
             UNION ALL SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE to_ci = $1 AND from_ci <> $1 ORDER BY id",
        )
        .bind(ci.get())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter().map(relation_of).collect()
    }

    pub async fn ci_relation(&self, id: RelationId) -> Result<Option<RelationRecord>> {
        sqlx::query("SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .as_ref()
            .map(relation_of)
            .transpose()
    }

    /// Open incidents linked to any of `ci_ids`: (ci id, ticket id, number, title, priority).
    pub async fn open_incidents_on(
        &self,
        ci_ids: &[CiId],
    ) -> Result<Vec<(CiId, TicketId, String, String, i64)>> {
        let mut out = Vec::new();
        for chunk in ci_ids.chunks(500) {
            let sql = format!(
                "SELECT l.ci_id, t.id, t.number, t.title, t.priority FROM ticket_cis l JOIN tickets t ON t.id = l.ticket_id \
                 WHERE l.ci_id IN ({}) AND t.kind = 'incident' AND t.state IN ('new', 'assigned', 'in_progress', 'on_hold') ORDER BY t.priority, t.id",
                id_list(chunk)
            );
            let rows: Vec<(i64, i64, String, String, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            out.extend(
                rows.into_iter().map(|(ci, t, number, title, p)| (CiId(ci), TicketId(t), number, title, p)),
            );
        }
        Ok(out)
    }

    /// The newest tickets of any state linked to `ci`: (id, number, title, priority, state).
    pub async fn tickets_on_ci(
        &self,
        ci: CiId,
        limit: i64,
    ) -> Result<Vec<(TicketId, String, String, i64, String)>> {
        let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT t.id, t.number, t.title, t.priority, t.state FROM ticket_cis l JOIN tickets t ON t.id = l.ticket_id \
             WHERE l.ci_id = $1 AND t.kind = 'incident' ORDER BY t.id DESC LIMIT $2",
        )
        .bind(ci.get())
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, title, p, state)| (TicketId(id), number, title, p, state))
            .collect())
    }

    /// The CIs an incident is linked to.
    pub async fn ticket_ci_ids(&self, ticket_id: TicketId) -> Result<Vec<CiId>> {
        Ok(typed(
            sqlx::query_scalar("SELECT ci_id FROM ticket_cis WHERE ticket_id = $1 ORDER BY ci_id")
                .bind(ticket_id.get())
                .fetch_all(&mut *self.reader().await?)
                .await?,
        ))
    }
}

impl Tx {
    pub async fn insert_ci_class(&mut self, now: Timestamp, class: &ClassDef) -> Result<()> {
        sqlx::query("INSERT INTO ci_classes (name, attrs, created_at) VALUES ($1, $2, $3)")
            .bind(&class.name)
            .bind(encode_attrs(&class.attrs))
            .bind(to_ms(now))
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// Inserts (`ci.id == 0`) or updates a CI at `ci.version`; returns the stored record.
    pub async fn save_ci(&mut self, now: Timestamp, ci: &CiRecord) -> Result<CiRecord> {
        let attrs = serde_json::to_string(&ci.attrs).map_err(corrupt)?;
        let id: i64 = if ci.id == CiId(0) {
            sqlx::query_scalar(
                "INSERT INTO cis (class, name, external_id, status, owner_team_id, criticality, attrs, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&ci.class)
            .bind(&ci.name)
            .bind(&ci.external_id)
            .bind(ci.status.as_str())
            .bind(ci.owner_team_id.map(TeamId::get))
            .bind(ci.criticality)
            .bind(attrs)
            .bind(to_ms(now))
            .fetch_one(self.conn().await?)
            .await?
        } else {
            let done = sqlx::query(
                "UPDATE cis SET name = $1, external_id = $2, status = $3, owner_team_id = $4, criticality = $5, attrs = $6, \
                 updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
            )
            .bind(&ci.name)
            .bind(&ci.external_id)
            .bind(ci.status.as_str())
            .bind(ci.owner_team_id.map(TeamId::get))
            .bind(ci.criticality)
            .bind(attrs)
            .bind(to_ms(now))
            .bind(ci.id.get())
            .bind(ci.version)
            .execute(self.conn().await?)
            .await?;
            if done.rows_affected() == 0 {
                let current: Option<i64> = sqlx::query_scalar("SELECT version FROM cis WHERE id = $1")
                    .bind(ci.id.get())
                    .fetch_optional(self.conn().await?)
                    .await?;
                return Err(match current {
                    Some(current) => StoreError::Stale { current },
                    None => StoreError::NotFound,
                });
            }
            ci.id.get()
        };
        let sql = format!("SELECT {CI_COLUMNS} FROM cis c WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(self.conn().await?).await?;
        ci_of(&row)
    }

    /// Replaces the stored values of `ci`'s unique attributes.
    pub async fn set_unique_values(&mut self, ci: CiId, class: &str, values: &[(&str, &str)]) -> Result<()> {
        sqlx::query("DELETE FROM ci_unique_values WHERE ci_id = $1")
            .bind(ci.get())
            .execute(self.conn().await?)
            .await?;
        for (attr, value) in values {
            sqlx::query("INSERT INTO ci_unique_values (class, attr, value, ci_id) VALUES ($1, $2, $3, $4)")
                .bind(class)
                .bind(*attr)
                .bind(*value)
                .bind(ci.get())
                .execute(self.conn().await?)
                .await?;
        }
        Ok(())
    }

    pub async fn insert_ci_relation(&mut self, now: Timestamp, edge: Edge) -> Result<RelationId> {
        let id = sqlx::query_scalar(
            "INSERT INTO ci_relations (kind, from_ci, to_ci, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(edge.kind.as_str())
        .bind(edge.from.get())
        .bind(edge.to.get())
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?;
        Ok(RelationId(id))
    }

    pub async fn delete_ci_relation(&mut self, id: RelationId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM ci_relations WHERE id = $1")
            .bind(id.get())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn link_ticket_ci(&mut self, ticket_id: TicketId, ci_id: CiId) -> Result<bool> {
        let sql = "INSERT INTO ticket_cis (ticket_id, ci_id) VALUES ($1, $2) ON CONFLICT (ticket_id, ci_id) DO NOTHING";
        Ok(self.execute(sql, vec![ticket_id.into(), ci_id.into()]).await? == 1)
    }

    /// Whether the link existed (and is now gone).
    pub async fn unlink_ticket_ci(&mut self, ticket_id: TicketId, ci_id: CiId) -> Result<bool> {
        let sql = "DELETE FROM ticket_cis WHERE ticket_id = $1 AND ci_id = $2";
        Ok(self.execute(sql, vec![ticket_id.into(), ci_id.into()]).await? == 1)
    }
}

impl Store {
    /// The CIs holding these external ids.
    pub async fn cis_by_external_ids(&self, ids: &[&str]) -> Result<Vec<CiRecord>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {CI_COLUMNS} FROM cis c WHERE c.external_id IN ({})",
                placeholders(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.reader().await?).await? {
                out.push(ci_of(&r)?);
            }
        }
        Ok(out)
    }

    /// Which CI holds each of `values` for one unique attribute of `class`.
    pub async fn unique_value_owners(
        &self,
        class: &str,
        attr: &str,
        values: &[&str],
    ) -> Result<Vec<(String, CiId)>> {
        let mut out = Vec::new();
        for chunk in values.chunks(500) {
            // One list, so SQLite's `?` and PostgreSQL's `$n` both bind in order.
            let all = placeholders(self.backend, 1, chunk.len() + 2);
            let all: Vec<&str> = all.split(", ").collect();
            let sql = format!(
                "SELECT value, ci_id FROM ci_unique_values WHERE class = {} AND attr = {} AND value IN ({})",
                all[0],
                all[1],
                all[2..].join(", ")
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(class).bind(attr);
            for v in chunk {
                q = q.bind(*v);
            }
            let rows: Vec<(String, i64)> = q.fetch_all(&mut *self.reader().await?).await?;
            out.extend(rows.into_iter().map(|(value, ci)| (value, CiId(ci))));
        }
        Ok(out)
    }

    /// Relationships in id order after `after`, a page at a time (export).
    pub async fn list_ci_relations(&self, after: RelationId, limit: i64) -> Result<Vec<RelationRecord>> {
        let rows = sqlx::query(
            "SELECT id, kind, from_ci, to_ci FROM ci_relations WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.get())
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter().map(relation_of).collect()
    }
}

impl Tx {
    /// Inserts new CIs (ids are assigned) in multi-row statements; returns their ids by
    /// external id, which is how the caller tells them apart: each must have its own (the
    /// rows come back in no promised order).
    pub async fn insert_cis(
        &mut self,
        now: Timestamp,
        cis: &[CiRecord],
    ) -> Result<Vec<(Option<String>, CiId)>> {
        let mut ids = Vec::with_capacity(cis.len());
        for chunk in cis.chunks(300) {
            let tuples: Vec<String> =
                (0..chunk.len()).map(|i| format!("({})", placeholders(self.backend, i * 9 + 1, 9))).collect();
            let sql = format!(
                "INSERT INTO cis (class, name, external_id, status, owner_team_id, criticality, attrs, created_at, \
                 updated_at) VALUES {} RETURNING external_id, id",
                tuples.join(", ")
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for ci in chunk {
                let attrs = serde_json::to_string(&ci.attrs).map_err(corrupt)?;
                q = q
                    .bind(ci.class.as_str())
                    .bind(ci.name.as_str())
                    .bind(ci.external_id.as_deref())
                    .bind(ci.status.as_str())
                    .bind(ci.owner_team_id.map(TeamId::get))
                    .bind(ci.criticality)
                    .bind(attrs)
                    .bind(to_ms(now))
                    .bind(to_ms(now));
            }
            let rows: Vec<(Option<String>, i64)> = q.fetch_all(self.conn().await?).await?;
            ids.extend(rows.into_iter().map(|(external_id, id)| (external_id, CiId(id))));
        }
        Ok(ids)
    }

    /// Claims unique values `(class, attr, value, ci id)` in multi-row statements.
    pub async fn insert_unique_values(&mut self, values: &[(&str, &str, &str, CiId)]) -> Result<()> {
        for chunk in values.chunks(500) {
            let tuples: Vec<String> =
                (0..chunk.len()).map(|i| format!("({})", placeholders(self.backend, i * 4 + 1, 4))).collect();
            let sql = format!(
                "INSERT INTO ci_unique_values (class, attr, value, ci_id) VALUES {}",
                tuples.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &(class, attr, value, id) in chunk {
                q = q.bind(class).bind(attr).bind(value).bind(id.get());
            }
            q.execute(self.conn().await?).await?;
        }
        Ok(())
    }

    /// Inserts relationships, skipping any that exist; returns how many were new.
    pub async fn insert_ci_relations(&mut self, now: Timestamp, edges: &[Edge]) -> Result<u64> {
        let mut added = 0;
        for chunk in edges.chunks(500) {
            let tuples: Vec<String> =
                (0..chunk.len()).map(|i| format!("({})", placeholders(self.backend, i * 4 + 1, 4))).collect();
            let sql = format!(
                "INSERT INTO ci_relations (kind, from_ci, to_ci, created_at) VALUES {} \
                 ON CONFLICT (from_ci, to_ci, kind) DO NOTHING",
                tuples.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q.bind(e.kind.as_str()).bind(e.from.get()).bind(e.to.get()).bind(to_ms(now));
            }
            added += q.execute(self.conn().await?).await?.rows_affected();
        }
        Ok(added)
    }
}

impl Store {
    /// Brings the planner's statistics of the CMDB tables up to date after a bulk import. On
    /// PostgreSQL a million fresh rows are otherwise planned from the old statistics until
    /// autovacuum gets to them (minutes later, and at a cost of its own while queries run).
    /// SQLite's planner does without statistics here.
    pub async fn refresh_cmdb_statistics(&self) -> Result<()> {
        if self.backend == crate::Backend::Postgres {
            sqlx::query("ANALYZE cis, ci_relations, ci_unique_values")
                .execute(&mut *self.writer().await?)
                .await?;
        }
        Ok(())
    }
}
