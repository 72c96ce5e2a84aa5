//! What the log pipeline stores (issue 22): templates with counts per minute and per host, the
//! hosts that send, and raw lines in chunks — one chunk per ingested batch, lz4-compressed JSON
//! lines — indexed by the templates and hosts each holds, so a template's or a host's lines are
//! found by reading only the chunks that have them.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use steward_core::ids::CiId;
use steward_core::logs::Level;

use crate::{Backend, Result, Store, StoreError, Tx, from_ms, placeholders, to_ms};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("logs: {what}"))
}

/// One line as stored in a chunk, with its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    /// ms since the epoch.
    #[serde(rename = "t")]
    pub at_ms: i64,
    #[serde(rename = "s")]
    pub source: String,
    #[serde(rename = "h")]
    pub host: String,
    /// The level's rank (0 emergency … 7 debug).
    #[serde(rename = "l")]
    pub level: u8,
    #[serde(rename = "p")]
    pub template: i64,
    #[serde(rename = "m")]
    pub message: String,
}

impl StoredLine {
    pub fn level(&self) -> Level {
        Level::from_severity(self.level)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTemplateRecord {
    pub id: i64,
    pub text: String,
    pub lines: i64,
    pub level: Level,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub example: Option<String>,
    /// Lines in the window the list was asked for (all lines when none was).
    pub recent: i64,
}

/// Which templates a list shows.
#[derive(Debug, Clone, Default)]
pub struct TemplateFilter {
    /// Words the text contains.
    pub text: Option<String>,
    pub host: Option<String>,
    /// Seen at or after.
    pub since: Option<Timestamp>,
    /// At least this severe.
    pub level: Option<Level>,
    pub limit: i64,
}

/// Which lines a search reads.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub template: Option<i64>,
    pub host: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Text the message contains.
    pub text: Option<String>,
    pub level: Option<Level>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHostRecord {
    pub host: String,
    pub ci_id: Option<CiId>,
    pub lines: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// Totals over what is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogUsage {
    pub chunks: i64,
    pub lines: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub templates: i64,
}

/// The key of a template text.
pub fn template_hash(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn min_rank(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "MIN",
        Backend::Postgres => "LEAST",
    }
}

type TemplateRow = (i64, String, i64, i64, i64, i64, String, i64);

fn template_of(r: TemplateRow) -> Result<LogTemplateRecord> {
    let examples: Vec<String> = serde_json::from_str(&r.6).map_err(corrupt)?;
    Ok(LogTemplateRecord {
        id: r.0,
        text: r.1,
        lines: r.2,
        level: Level::from_severity(u8::try_from(r.3).unwrap_or(7)),
        first_seen: from_ms(r.4)?,
        last_seen: from_ms(r.5)?,
        example: examples.into_iter().next(),
        recent: r.7,
    })
}

impl Tx {
    /// The ids of these template texts, inserting the missing ones with their first example
    /// line (another node may insert the same text at once: the hash's key keeps one).
    pub async fn ensure_log_templates(
        &mut self,
        at: Timestamp,
        new: &[(String, String)],
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(new.len());
        for (text, example) in new {
            let hash = template_hash(text);
            let examples = serde_json::to_string(&[example]).map_err(corrupt)?;
            sqlx::query(
                "INSERT INTO log_templates (text, text_hash, first_seen, last_seen, examples) VALUES ($1, $2, $3, 0, $4) \
                 ON CONFLICT (text_hash) DO NOTHING",
            )
            .bind(text)
            .bind(&hash)
            .bind(to_ms(at))
            .bind(examples)
            .execute(self.conn().await?)
            .await?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM log_templates WHERE text_hash = $1")
                .bind(&hash)
                .fetch_one(self.conn().await?)
                .await?;
            // The text may be a template merged away since (by another node): its survivor.
            ids.push(self.survivor(id).await?);
        }
        Ok(ids)
    }

    /// Stores one batch of lines as a chunk and counts them into their templates, minutes,
    /// hosts and (template, host) pairs. `cis` names the CI of each new host.
    pub async fn insert_log_chunk(
        &mut self,
        received: Timestamp,
        lines: &[StoredLine],
        cis: &HashMap<String, CiId>,
    ) -> Result<i64> {
        let Some(first) = lines.iter().map(|l| l.at_ms).min() else { return Ok(0) };
        let last = lines.iter().map(|l| l.at_ms).max().unwrap_or(first);
        let mut raw = Vec::with_capacity(lines.iter().map(|l| l.message.len() + 64).sum());
        for line in lines {
            serde_json::to_writer(&mut raw, line).map_err(corrupt)?;
            raw.push(b'\n');
        }
        let body = lz4_flex::block::compress_prepend_size(&raw);
        let chunk: i64 = sqlx::query_scalar(
            "INSERT INTO log_chunks (received_at, first_at, last_at, lines, raw_bytes, stored_bytes, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(to_ms(received))
        .bind(first)
        .bind(last)
        .bind(lines.len() as i64)
        .bind(raw.len() as i64)
        .bind(body.len() as i64)
        .bind(body)
        .fetch_one(self.conn().await?)
        .await?;

        // Aggregates of the batch.
        // Per template: lines, newest, worst level, oldest.
        let mut templates: BTreeMap<i64, (i64, i64, u8, i64)> = BTreeMap::new();
        let mut minutes: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut pairs: BTreeMap<(i64, &str), (i64, i64, i64)> = BTreeMap::new();
        let mut hosts: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
        for l in lines {
            let t = templates.entry(l.template).or_insert((0, l.at_ms, l.level, l.at_ms));
            t.0 += 1;
            t.1 = t.1.max(l.at_ms);
            t.2 = t.2.min(l.level);
            t.3 = t.3.min(l.at_ms);
            *minutes.entry((l.template, l.at_ms.div_euclid(60_000))).or_default() += 1;
            let p = pairs.entry((l.template, &l.host)).or_insert((0, l.at_ms, l.at_ms));
            p.0 += 1;
            p.1 = p.1.min(l.at_ms);
            p.2 = p.2.max(l.at_ms);
            let h = hosts.entry(&l.host).or_insert((0, l.at_ms, l.at_ms));
            h.0 += 1;
            h.1 = h.1.min(l.at_ms);
            h.2 = h.2.max(l.at_ms);
        }
        let b = self.backend;
        let rows = |n: usize, per: usize| -> String {
            (0..n).map(|r| format!("({})", placeholders(b, r * per + 1, per))).collect::<Vec<_>>().join(", ")
        };
        for part in templates.iter().collect::<Vec<_>>().chunks(300) {
            let sql = format!(
                "INSERT INTO log_chunk_templates (template_id, chunk_id, lines) VALUES {}",
                rows(part.len(), 3)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, (n, _, _, _)) in part {
                q = q.bind(**id).bind(chunk).bind(*n);
            }
            q.execute(self.conn().await?).await?;
            // One statement per template: its count, last sighting and worst level.
            for (id, (n, last, level, oldest)) in part {
                // Lines may be older than the template's row (a sender catching up): the first
                // sighting is the oldest line's time.
                let sql = format!(
                    "UPDATE log_templates SET lines = lines + $1, last_seen = CASE WHEN last_seen < $2 THEN $2 ELSE last_seen END, \
                     level_rank = {}(level_rank, $3), first_seen = CASE WHEN first_seen > $5 THEN $5 ELSE first_seen END WHERE id = $4",
                    min_rank(b)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(*n)
                    .bind(*last)
                    .bind(i64::from(*level))
                    .bind(**id)
                    .bind(*oldest)
                    .execute(self.conn().await?)
                    .await?;
            }
        }
        for part in minutes.iter().collect::<Vec<_>>().chunks(300) {
            let sql = format!(
                "INSERT INTO log_template_minutes (template_id, minute, lines) VALUES {} \
                 ON CONFLICT (template_id, minute) DO UPDATE SET lines = log_template_minutes.lines + excluded.lines",
                rows(part.len(), 3)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((id, minute), n) in part {
                q = q.bind(*id).bind(*minute).bind(**n);
            }
            q.execute(self.conn().await?).await?;
        }
        for part in pairs.iter().collect::<Vec<_>>().chunks(200) {
            let sql = format!(
                "INSERT INTO log_template_hosts (template_id, host, lines, first_seen, last_seen) VALUES {} \
                 ON CONFLICT (template_id, host) DO UPDATE SET lines = log_template_hosts.lines + excluded.lines, \
                 last_seen = CASE WHEN log_template_hosts.last_seen < excluded.last_seen THEN excluded.last_seen \
                 ELSE log_template_hosts.last_seen END",
                rows(part.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((id, host), (n, lo, hi)) in part {
                q = q.bind(*id).bind(*host).bind(*n).bind(*lo).bind(*hi);
            }
            q.execute(self.conn().await?).await?;
        }
        for part in hosts.iter().collect::<Vec<_>>().chunks(200) {
            let sql = format!(
                "INSERT INTO log_hosts (host, ci_id, lines, first_seen, last_seen) VALUES {} \
                 ON CONFLICT (host) DO UPDATE SET lines = log_hosts.lines + excluded.lines, \
                 ci_id = COALESCE(log_hosts.ci_id, excluded.ci_id), \
                 last_seen = CASE WHEN log_hosts.last_seen < excluded.last_seen THEN excluded.last_seen \
                 ELSE log_hosts.last_seen END",
                rows(part.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (host, (n, lo, hi)) in part {
                q = q.bind(**host).bind(cis.get(**host).map(|c| c.get())).bind(*n).bind(*lo).bind(*hi);
            }
            q.execute(self.conn().await?).await?;
            let sql = format!("INSERT INTO log_chunk_hosts (host, chunk_id) VALUES {}", rows(part.len(), 2));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (host, _) in part {
                q = q.bind(**host).bind(chunk);
            }
            q.execute(self.conn().await?).await?;
        }
        Ok(chunk)
    }

    /// `from` becomes part of `into`: its counts move over and it leaves the lists.
    pub async fn merge_log_template(&mut self, from: i64, into: i64) -> Result<()> {
        if from == into {
            return Ok(());
        }
        let b = self.backend;
        let statements = [
            "INSERT INTO log_template_minutes (template_id, minute, lines) \
             SELECT $2, minute, lines FROM log_template_minutes WHERE template_id = $1 AND true \
             ON CONFLICT (template_id, minute) DO UPDATE SET lines = log_template_minutes.lines + excluded.lines"
                .to_owned(),
            "DELETE FROM log_template_minutes WHERE template_id = $1 AND $2 = $2".to_owned(),
            "INSERT INTO log_template_hosts (template_id, host, lines, first_seen, last_seen) \
             SELECT $2, host, lines, first_seen, last_seen FROM log_template_hosts WHERE template_id = $1 AND true \
             ON CONFLICT (template_id, host) DO UPDATE SET lines = log_template_hosts.lines + excluded.lines"
                .to_owned(),
            "DELETE FROM log_template_hosts WHERE template_id = $1 AND $2 = $2".to_owned(),
            "INSERT INTO log_chunk_templates (template_id, chunk_id, lines) \
             SELECT $2, chunk_id, lines FROM log_chunk_templates WHERE template_id = $1 AND true \
             ON CONFLICT (template_id, chunk_id) DO UPDATE SET lines = log_chunk_templates.lines + excluded.lines"
                .to_owned(),
            "DELETE FROM log_chunk_templates WHERE template_id = $1 AND $2 = $2".to_owned(),
            format!(
                "UPDATE log_templates SET lines = lines + (SELECT lines FROM log_templates WHERE id = $1), \
                 level_rank = {}(level_rank, (SELECT level_rank FROM log_templates WHERE id = $1)) WHERE id = $2",
                min_rank(b)
            ),
            "UPDATE log_templates SET merged_into = $2, lines = 0 WHERE id = $1".to_owned(),
        ];
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(into).execute(self.conn().await?).await?;
        }
        Ok(())
    }

    /// Gives a template a new text; when another template has that text already, answers its id
    /// (the caller merges into it) and changes nothing.
    pub async fn rename_log_template(&mut self, id: i64, text: &str) -> Result<Option<i64>> {
        let hash = template_hash(text);
        let other: Option<i64> = sqlx::query_scalar("SELECT id FROM log_templates WHERE text_hash = $1")
            .bind(&hash)
            .fetch_optional(self.conn().await?)
            .await?;
        if let Some(other) = other {
            let other = self.survivor(other).await?;
            if other != id {
                return Ok(Some(other));
            }
        }
        sqlx::query("UPDATE log_templates SET text = $1, text_hash = $2 WHERE id = $3")
            .bind(text)
            .bind(&hash)
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(None)
    }

    /// The template `id` was merged into, however indirectly (itself when live).
    async fn survivor(&mut self, mut id: i64) -> Result<i64> {
        for _ in 0..64 {
            let next: Option<i64> = sqlx::query_scalar("SELECT merged_into FROM log_templates WHERE id = $1")
                .bind(id)
                .fetch_one(self.conn().await?)
                .await?;
            match next {
                Some(n) if n != id => id = n,
                _ => return Ok(id),
            }
        }
        Err(corrupt(format!("template {id} is merged in a loop")))
    }

    /// Deletes chunks (retention) with their index rows; the templates' counts stay.
    pub async fn delete_log_chunks(&mut self, ids: &[i64]) -> Result<()> {
        for part in ids.chunks(500) {
            let list = crate::id_list(part);
            for table in ["log_chunk_templates", "log_chunk_hosts"] {
                let sql = format!("DELETE FROM {table} WHERE chunk_id IN ({list})");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(self.conn().await?).await?;
            }
            let sql = format!("DELETE FROM log_chunks WHERE id IN ({list})");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(self.conn().await?).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Live templates (not merged), most lines in the window first.
    pub async fn log_templates(&self, f: &TemplateFilter) -> Result<Vec<LogTemplateRecord>> {
        let mut sql = String::from(
            "SELECT t.id, t.text, t.lines, t.level_rank, t.first_seen, t.last_seen, t.examples, ",
        );
        let mut n = 0;
        let mut mark = || {
            n += 1;
            format!("${n}")
        };
        let since = f.since.map(|s| to_ms(s).div_euclid(60_000));
        match since {
            Some(_) => sql.push_str(&format!(
                "COALESCE((SELECT SUM(m.lines) FROM log_template_minutes m WHERE m.template_id = t.id AND m.minute >= {}), 0) AS recent ",
                mark()
            )),
            None => sql.push_str("t.lines AS recent "),
        }
        sql.push_str("FROM log_templates t WHERE t.merged_into IS NULL");
        let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some() {
            sql.push_str(&format!(" AND LOWER(t.text) LIKE {} ESCAPE '\\'", mark()));
        }
        if f.host.is_some() {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM log_template_hosts h WHERE h.template_id = t.id AND h.host = {})",
                mark()
            ));
        }
        if since.is_some() {
            sql.push_str(&format!(" AND t.last_seen >= {}", mark()));
        }
        if f.level.is_some() {
            sql.push_str(&format!(" AND t.level_rank <= {}", mark()));
        }
        sql.push_str(&format!(" ORDER BY recent DESC, t.id LIMIT {}", mark()));
        let sql = sql.replace("SUM(m.lines)", "CAST(SUM(m.lines) AS BIGINT)");
        let mut q = sqlx::query_as::<_, TemplateRow>(sqlx::AssertSqlSafe(sql));
        if let Some(s) = since {
            q = q.bind(s);
        }
        if let Some(t) = text {
            q = q.bind(format!("%{}%", like_escape(&t.to_lowercase())));
        }
        if let Some(h) = &f.host {
            q = q.bind(h.clone());
        }
        if let Some(s) = f.since {
            q = q.bind(to_ms(s));
        }
        if let Some(l) = f.level {
            q = q.bind(l as i64);
        }
        q = q.bind(f.limit.clamp(1, 1000));
        q.fetch_all(&mut *self.reader().await?).await?.into_iter().map(template_of).collect()
    }

    /// One template; a merged one answers its survivor.
    pub async fn log_template(&self, mut id: i64) -> Result<Option<LogTemplateRecord>> {
        for _ in 0..32 {
            let row: Option<(TemplateRow, Option<i64>)> = sqlx::query_as(
                "SELECT id, text, lines, level_rank, first_seen, last_seen, examples, lines, merged_into \
                 FROM log_templates WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .map(|r: (i64, String, i64, i64, i64, i64, String, i64, Option<i64>)| {
                ((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7), r.8)
            });
            match row {
                None => return Ok(None),
                Some((_, Some(into))) => id = into,
                Some((r, None)) => return template_of(r).map(Some),
            }
        }
        Err(corrupt(format!("template {id} is merged in a loop")))
    }

    /// Lines per minute of a template, `[from, to)` in minutes since the epoch.
    pub async fn log_template_minutes(&self, id: i64, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT minute, lines FROM log_template_minutes WHERE template_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// The hosts a template comes from, with their CIs: (host, ci, lines, last seen).
    pub async fn log_template_hosts(&self, id: i64) -> Result<Vec<(String, Option<CiId>, i64, Timestamp)>> {
        let rows: Vec<(String, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT th.host, h.ci_id, th.lines, th.last_seen FROM log_template_hosts th \
             LEFT JOIN log_hosts h ON h.host = th.host WHERE th.template_id = $1 ORDER BY th.lines DESC, th.host LIMIT 200",
        )
        .bind(id)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter().map(|r| Ok((r.0, r.1.map(CiId), r.2, from_ms(r.3)?))).collect()
    }

    /// Lines per hour of each template in `ids`, hours `[from, to)` since the epoch; hours
    /// without lines are left out.
    pub async fn log_template_hours(
        &self,
        ids: &[i64],
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, Vec<(i64, i64)>>> {
        let mut out: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for part in ids.chunks(200) {
            let sql = format!(
                "SELECT template_id, CAST(minute / 60 AS BIGINT) AS hour, CAST(SUM(lines) AS BIGINT) FROM log_template_minutes \
                 WHERE template_id IN ({}) AND minute >= $1 AND minute < $2 GROUP BY template_id, CAST(minute / 60 AS BIGINT) \
                 ORDER BY template_id, hour",
                crate::id_list(part)
            );
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(from * 60)
                .bind(to * 60)
                .fetch_all(&mut *self.reader().await?)
                .await?;
            for (t, h, n) in rows {
                out.entry(t).or_default().push((h, n));
            }
        }
        Ok(out)
    }

    /// Live templates seen since `since` that were first seen before `known_before`, with the
    /// hosts they come from (up to two: one host names a CI, more name none).
    pub async fn active_log_templates(
        &self,
        since: Timestamp,
        known_before: Timestamp,
    ) -> Result<Vec<(i64, Vec<String>)>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM log_templates WHERE merged_into IS NULL AND last_seen >= $1 AND first_seen < $2 \
             ORDER BY lines DESC LIMIT 2000",
        )
        .bind(to_ms(since))
        .bind(to_ms(known_before))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let sql = format!(
                "SELECT template_id, host FROM log_template_hosts WHERE template_id IN ({}) ORDER BY template_id, lines DESC",
                crate::id_list(part)
            );
            let rows: Vec<(i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            let mut hosts: HashMap<i64, Vec<String>> = HashMap::new();
            for (t, h) in rows {
                let list = hosts.entry(t).or_default();
                if list.len() < 2 {
                    list.push(h);
                }
            }
            out.extend(part.iter().map(|id| (*id, hosts.remove(id).unwrap_or_default())));
        }
        Ok(out)
    }

    /// Which of these (template, host) pairs have been seen.
    pub async fn known_log_pairs(&self, pairs: &[(i64, String)]) -> Result<HashSet<(i64, String)>> {
        let mut out = HashSet::new();
        let templates: Vec<i64> = pairs.iter().map(|p| p.0).collect::<HashSet<_>>().into_iter().collect();
        for part in templates.chunks(500) {
            let sql = format!(
                "SELECT template_id, host FROM log_template_hosts WHERE template_id IN ({})",
                crate::id_list(part)
            );
            let rows: Vec<(i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Hosts that send logs, most recent first (`names`: only these).
    pub async fn log_hosts(&self, names: Option<&[String]>) -> Result<Vec<LogHostRecord>> {
        let rows: Vec<(String, Option<i64>, i64, i64, i64)> = match names {
            Some(names) => {
                let mut out = Vec::new();
                for part in names.chunks(400) {
                    let marks = placeholders(Backend::Postgres, 1, part.len());
                    let sql = format!(
                        "SELECT host, ci_id, lines, first_seen, last_seen FROM log_hosts WHERE host IN ({marks})"
                    );
                    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                    for n in part {
                        q = q.bind(n.clone());
                    }
                    out.extend(q.fetch_all(&mut *self.reader().await?).await?);
                }
                out
            }
            None => {
                sqlx::query_as(
                    "SELECT host, ci_id, lines, first_seen, last_seen FROM log_hosts ORDER BY last_seen DESC LIMIT 500",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?
            }
        };
        rows.into_iter()
            .map(|r| {
                Ok(LogHostRecord {
                    host: r.0,
                    ci_id: r.1.map(CiId),
                    lines: r.2,
                    first_seen: from_ms(r.3)?,
                    last_seen: from_ms(r.4)?,
                })
            })
            .collect()
    }

    /// Live templates' texts, for the miner to start from.
    pub async fn log_template_texts(&self, limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, text FROM log_templates WHERE merged_into IS NULL ORDER BY last_seen DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// Lines matching `f`, newest chunks first, up to `f.limit`.
    pub async fn log_lines(&self, f: &LineFilter) -> Result<Vec<StoredLine>> {
        let mut sql = String::from("SELECT c.id, c.body FROM log_chunks c WHERE 1 = 1");
        let mut n = 0;
        let mut mark = || {
            n += 1;
            format!("${n}")
        };
        // Lines keep the template they were stored under: a template's lines include those of
        // the templates merged into it, and so do the chunks to read.
        let family: Vec<i64> = match f.template {
            Some(t) => self.merged_family(t).await?.into_iter().collect(),
            None => Vec::new(),
        };
        if f.template.is_some() {
            sql.push_str(&format!(
                " AND c.id IN (SELECT chunk_id FROM log_chunk_templates WHERE template_id IN ({}))",
                crate::id_list(&family)
            ));
        }
        if f.host.is_some() {
            sql.push_str(&format!(
                " AND c.id IN (SELECT chunk_id FROM log_chunk_hosts WHERE host = {})",
                mark()
            ));
        }
        if f.since.is_some() {
            sql.push_str(&format!(" AND c.last_at >= {}", mark()));
        }
        if f.until.is_some() {
            sql.push_str(&format!(" AND c.first_at < {}", mark()));
        }
        sql.push_str(" AND c.id < {before} ORDER BY c.id DESC LIMIT 20");
        let limit = f.limit.clamp(1, 5000);
        let needle = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        let family: HashSet<i64> = family.into_iter().collect();
        let mut out = Vec::new();
        let mut before = i64::MAX;
        // Read chunks twenty at a time, newest first, until enough lines match (or 2,000 chunks
        // were read: a search over a month of logs is the explorer's filters' job).
        for _ in 0..100 {
            let page = sql.replace("{before}", &before.to_string());
            let mut q = sqlx::query_as::<_, (i64, Vec<u8>)>(sqlx::AssertSqlSafe(page));
            if let Some(h) = &f.host {
                q = q.bind(h.clone());
            }
            if let Some(s) = f.since {
                q = q.bind(to_ms(s));
            }
            if let Some(u) = f.until {
                q = q.bind(to_ms(u));
            }
            let chunks = q.fetch_all(&mut *self.reader().await?).await?;
            let Some(last) = chunks.last() else { break };
            before = last.0;
            for (_, body) in chunks {
                let raw = lz4_flex::block::decompress_size_prepended(&body).map_err(corrupt)?;
                let mut lines: Vec<StoredLine> = Vec::new();
                for text in raw.split(|b| *b == b'\n').filter(|t| !t.is_empty()) {
                    lines.push(serde_json::from_slice(text).map_err(corrupt)?);
                }
                for line in lines.into_iter().rev() {
                    let keep = (f.template.is_none() || family.contains(&line.template))
                        && f.host.as_ref().is_none_or(|h| *h == line.host)
                        && f.since.is_none_or(|s| line.at_ms >= to_ms(s))
                        && f.until.is_none_or(|u| line.at_ms < to_ms(u))
                        && f.level.is_none_or(|l| line.level <= l as u8)
                        && needle.as_ref().is_none_or(|n| line.message.to_lowercase().contains(n.as_str()));
                    if keep {
                        out.push(line);
                        if out.len() >= limit {
                            return Ok(out);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// `id` and every template merged into it, however indirectly.
    async fn merged_family(&self, id: i64) -> Result<HashSet<i64>> {
        let mut family = HashSet::from([id]);
        let mut frontier = vec![id];
        while !frontier.is_empty() && family.len() < 10_000 {
            let sql =
                format!("SELECT id FROM log_templates WHERE merged_into IN ({})", crate::id_list(&frontier));
            let found: Vec<i64> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            frontier = found.into_iter().filter(|f| family.insert(*f)).collect();
        }
        Ok(family)
    }

    pub async fn log_usage(&self) -> Result<LogUsage> {
        let (chunks, lines, raw, stored): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(lines), 0) AS BIGINT), CAST(COALESCE(SUM(raw_bytes), 0) AS BIGINT), \
             CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) FROM log_chunks",
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        let templates: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM log_templates WHERE merged_into IS NULL")
                .fetch_one(&mut *self.reader().await?)
                .await?;
        Ok(LogUsage { chunks, lines, raw_bytes: raw, stored_bytes: stored, templates })
    }

    /// Chunks to delete: every one whose newest line is older than `before`, then the oldest
    /// until what is kept fits in `max_bytes` (stored size).
    pub async fn expired_log_chunks(&self, before: Timestamp, max_bytes: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT id, last_at, stored_bytes FROM log_chunks ORDER BY id")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        let mut total: i64 = rows.iter().map(|r| r.2).sum();
        let mut out = Vec::new();
        for (id, last_at, bytes) in rows {
            if last_at < to_ms(before) || total > max_bytes {
                out.push(id);
                total -= bytes;
            }
        }
        Ok(out)
    }
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
