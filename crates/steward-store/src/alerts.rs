//! Alerts from monitoring (`alerts`, migration 0021): one row per (source, fingerprint).

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::Row;
use steward_core::alerts::{Alert, AlertStatus, Matcher, Severity, Silence};
use steward_core::ids::{CiId, TicketId};

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub id: i64,
    pub alert: Alert,
    /// The sender's group key.
    pub group: String,
    pub title: String,
    pub subject: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Re-sends after the first.
    pub repeats: i64,
    pub ticket_id: Option<TicketId>,
    /// The configuration item its labels name.
    pub ci_id: Option<CiId>,
    /// The silence that matched it when it fired.
    pub silence_id: Option<i64>,
    /// State changes counted since `flips_since` (see `alerts::FlapPolicy`).
    pub flips: i64,
    pub flips_since: Option<Timestamp>,
    /// Who acknowledged it, and when.
    pub acked: Option<(String, Timestamp)>,
    /// The maintenance window it fired in (it was expected).
    pub maintenance_id: Option<i64>,
}

/// A new alert to insert, with what the app derived from it.
#[derive(Debug, Clone, Copy)]
pub struct NewAlertRow<'a> {
    pub alert: &'a Alert,
    pub title: &'a str,
    pub subject: Option<&'a str>,
    pub ci: Option<CiId>,
    /// The incident it joins as it is recorded.
    pub ticket: Option<TicketId>,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceRecord {
    pub id: i64,
    pub silence: Silence,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// Which alerts a list shows, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub severity: Option<Severity>,
    /// The sender (`alertmanager`, `zabbix`, …).
    pub source: Option<String>,
    pub ticket_id: Option<TicketId>,
    /// Only alerts last seen before this id's (keyset paging by id).
    pub before: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "id, source, fingerprint, group_key, status, severity, title, subject, labels, annotations, link, \
                       starts_at, ends_at, first_seen, last_seen, repeats, ticket_id, ci_id, silence_id, flips, flips_since, \
                       acked_by, acked_at, maintenance_id";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("alert: {e}"))
}

fn record(r: &sqlx::any::AnyRow) -> Result<AlertRecord> {
    let text = |k: &str| -> Result<String> { Ok(r.try_get(k)?) };
    let map =
        |k: &str| -> Result<BTreeMap<String, String>> { serde_json::from_str(&text(k)?).map_err(corrupt) };
    let status = text("status")?;
    Ok(AlertRecord {
        id: r.try_get("id")?,
        alert: Alert {
            source: text("source")?,
            fingerprint: text("fingerprint")?,
            status: AlertStatus::parse(&status).ok_or_else(|| corrupt(format!("status `{status}`")))?,
            severity: Severity::from_label(Some(&text("severity")?)),
            labels: map("labels")?,
            annotations: map("annotations")?,
            starts_at: from_ms(r.try_get("starts_at")?)?,
            ends_at: r.try_get::<Option<i64>, _>("ends_at")?.map(from_ms).transpose()?,
            link: r.try_get("link")?,
        },
        group: text("group_key")?,
        title: text("title")?,
        subject: r.try_get("subject")?,
        first_seen: from_ms(r.try_get("first_seen")?)?,
        last_seen: from_ms(r.try_get("last_seen")?)?,
        repeats: r.try_get("repeats")?,
        ticket_id: r.try_get::<Option<i64>, _>("ticket_id")?.map(TicketId),
        ci_id: r.try_get::<Option<i64>, _>("ci_id")?.map(CiId),
        silence_id: r.try_get("silence_id")?,
        flips: r.try_get("flips")?,
        flips_since: r.try_get::<Option<i64>, _>("flips_since")?.map(from_ms).transpose()?,
        acked: match (r.try_get::<Option<String>, _>("acked_by")?, r.try_get::<Option<i64>, _>("acked_at")?) {
            (Some(by), Some(at)) => Some((by, from_ms(at)?)),
            _ => None,
        },
        maintenance_id: r.try_get("maintenance_id")?,
    })
}

impl Store {
    /// The fingerprints of `source`'s firing alerts that start with `prefix`, however many.
    pub async fn firing_fingerprints(&self, source: &str, prefix: &str) -> Result<Vec<String>> {
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        Ok(sqlx::query_scalar(
            "SELECT fingerprint FROM alerts WHERE source = $1 AND status = 'firing' AND fingerprint LIKE $2 ESCAPE '\\'",
        )
        .bind(source)
        .bind(pattern)
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// Alerts, newest first.
    pub async fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRecord>> {
        let mut conditions = Vec::new();
        let mut args: Vec<crate::tx::Value> = Vec::new();
        if let Some(s) = f.status {
            args.push(s.as_str().to_owned().into());
            conditions.push(format!("status = ${}", args.len()));
        }
        if let Some(s) = f.severity {
            args.push(s.as_str().to_owned().into());
            conditions.push(format!("severity = ${}", args.len()));
        }
        if let Some(s) = &f.source {
            args.push(s.clone().into());
            conditions.push(format!("source = ${}", args.len()));
        }
        if let Some(t) = f.ticket_id {
            args.push(t.into());
            conditions.push(format!("ticket_id = ${}", args.len()));
        }
        if let Some(b) = f.before {
            args.push(b.into());
            conditions.push(format!("id < ${}", args.len()));
        }
        let filter =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts {filter} ORDER BY id DESC LIMIT {}",
            f.limit.clamp(1, 10_000)
        );
        let q = crate::tx::bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), args);
        let rows = q.fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(record).collect()
    }

    /// Firing alerts with an incident, on any of `cis`: (CI, incident).
    pub async fn firing_incidents_on(&self, cis: &[CiId]) -> Result<Vec<(CiId, TicketId)>> {
        let mut out = Vec::new();
        for chunk in cis.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT ci_id, ticket_id FROM alerts WHERE status = 'firing' AND ticket_id IS NOT NULL \
                 AND ci_id IN ({}) ORDER BY id",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.get());
            }
            out.extend(
                q.fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map(|(c, t)| (CiId(c), TicketId(t))),
            );
        }
        Ok(out)
    }

    /// The incidents alerts of a sender's group are linked to, newest first (the last 20).
    pub async fn group_tickets(&self, source: &str, group: &str) -> Result<Vec<TicketId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT ticket_id FROM alerts WHERE source = $1 AND group_key = $2 AND ticket_id IS NOT NULL \
             ORDER BY ticket_id DESC LIMIT 20",
        )
        .bind(source)
        .bind(group)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// The fingerprints among `fingerprints` one sender's alerts already have.
    pub async fn known_fingerprints(&self, source: &str, fingerprints: &[&str]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in fingerprints.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT fingerprint FROM alerts WHERE source = $1 AND fingerprint IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(source);
            for f in chunk {
                q = q.bind(*f);
            }
            out.extend(q.fetch_all(&mut *self.reader().await?).await?);
        }
        Ok(out)
    }

    /// An incident's alerts: how many, and how many still fire.
    pub async fn alert_counts(&self, ticket: TicketId) -> Result<(i64, i64)> {
        let (all, firing): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), SUM(CASE WHEN status = 'firing' THEN 1 ELSE 0 END) FROM alerts WHERE ticket_id = $1",
        )
        .bind(ticket.get())
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok((all, firing.unwrap_or(0)))
    }

    /// When an alert last arrived or changed (ms since the epoch; 0 with none): what a live
    /// console watches.
    pub async fn latest_alert_activity(&self) -> Result<i64> {
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(last_seen) FROM alerts")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(latest.unwrap_or(0))
    }

    /// The other alerts of a sender's group, newest first.
    pub async fn group_alerts(&self, source: &str, group: &str, limit: i64) -> Result<Vec<AlertRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE source = $1 AND group_key = $2 ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 500)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .bind(group)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(record).collect()
    }

    /// Firing alerts with an incident first seen since `since`, newest first.
    pub async fn recent_firing_linked(&self, since: Timestamp, limit: i64) -> Result<Vec<AlertRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE status = 'firing' AND ticket_id IS NOT NULL AND first_seen >= $1 \
             ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 5000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(since))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(record).collect()
    }

    /// Alerts by id.
    pub async fn alerts_by_ids(&self, ids: &[i64]) -> Result<Vec<AlertRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT {COLUMNS} FROM alerts WHERE id IN ({})", marks.join(", "));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.reader().await?).await? {
                out.push(record(&r)?);
            }
        }
        Ok(out)
    }

    /// One sender's alert by its fingerprint.
    pub async fn alert_by_fingerprint(&self, source: &str, fingerprint: &str) -> Result<Option<AlertRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE source = $1 AND fingerprint = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .bind(fingerprint)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn alert(&self, id: i64) -> Result<Option<AlertRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.as_ref().map(record).transpose()
    }
}

impl Store {
    /// Silences not yet ended at `at` (with `None`: every silence), newest first.
    pub async fn silences(&self, ending_after: Option<Timestamp>) -> Result<Vec<SilenceRecord>> {
        let rows: Vec<(i64, String, i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, matchers, starts_at, ends_at, comment, created_by, created_at FROM silences \
             WHERE ends_at > $1 ORDER BY id DESC LIMIT 500",
        )
        .bind(ending_after.map_or(i64::MIN, to_ms))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.into_iter()
            .map(|(id, matchers, starts_at, ends_at, comment, created_by, created_at)| {
                let matchers = matchers
                    .lines()
                    .map(Matcher::parse)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(corrupt)?;
                Ok(SilenceRecord {
                    id,
                    silence: Silence {
                        matchers,
                        starts_at: from_ms(starts_at)?,
                        ends_at: from_ms(ends_at)?,
                        comment,
                    },
                    created_by,
                    created_at: from_ms(created_at)?,
                })
            })
            .collect()
    }
}

impl Tx {
    pub async fn insert_silence(&mut self, now: Timestamp, s: &Silence, created_by: &str) -> Result<i64> {
        let matchers: Vec<String> = s.matchers.iter().map(Matcher::to_string).collect();
        Ok(sqlx::query_scalar(
            "INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(matchers.join("\n"))
        .bind(to_ms(s.starts_at))
        .bind(to_ms(s.ends_at))
        .bind(&s.comment)
        .bind(created_by)
        .bind(to_ms(now))
        .fetch_one(self.conn().await?)
        .await?)
    }

    /// Ends silence `id` at `now`; false when it has no such silence still running.
    pub async fn expire_silence(&mut self, now: Timestamp, id: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE silences SET ends_at = $1 WHERE id = $2 AND ends_at > $1")
            .bind(to_ms(now))
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks an alert acknowledged; false when it already was (or there is none).
    pub async fn acknowledge_alert(&mut self, now: Timestamp, id: i64, by: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE alerts SET acked_by = $1, acked_at = $2 WHERE id = $3 AND acked_by IS NULL")
                .bind(by)
                .bind(to_ms(now))
                .bind(id)
                .execute(self.conn().await?)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_alert_flips(&mut self, id: i64, flips: i64, since: Timestamp) -> Result<()> {
        sqlx::query("UPDATE alerts SET flips = $1, flips_since = $2 WHERE id = $3")
            .bind(flips)
            .bind(to_ms(since))
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    pub async fn mark_alert_silenced(&mut self, id: i64, silence: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE alerts SET silence_id = $1 WHERE id = $2")
            .bind(silence)
            .bind(id)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }

    /// The stored alerts of one sender with these fingerprints.
    pub async fn alerts_by_fingerprint(
        &mut self,
        source: &str,
        fingerprints: &[&str],
    ) -> Result<Vec<AlertRecord>> {
        let mut out = Vec::new();
        for chunk in fingerprints.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM alerts WHERE source = $1 AND fingerprint IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source);
            for f in chunk {
                q = q.bind(*f);
            }
            for r in q.fetch_all(self.conn().await?).await? {
                out.push(record(&r)?);
            }
        }
        Ok(out)
    }

    /// The alerts linked to an incident.
    pub async fn alerts_of_ticket(&mut self, ticket: TicketId) -> Result<Vec<AlertRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE ticket_id = $1 ORDER BY id");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket.get()).fetch_all(self.conn().await?).await?;
        rows.iter().map(record).collect()
    }

    /// A re-send: the state, end and annotations it carries now, one more repeat.
    pub async fn update_alert_seen(&mut self, now: Timestamp, id: i64, a: &Alert) -> Result<()> {
        let annotations = serde_json::to_string(&a.annotations).map_err(corrupt)?;
        sqlx::query(
            "UPDATE alerts SET status = $1, ends_at = $2, annotations = $3, last_seen = $4, repeats = repeats + 1, \
             starts_at = $5 WHERE id = $6",
        )
        .bind(a.status.as_str())
        .bind(a.ends_at.map(to_ms))
        .bind(annotations)
        .bind(to_ms(now))
        .bind(to_ms(a.starts_at))
        .bind(id)
        .execute(self.conn().await?)
        .await?;
        Ok(())
    }

    /// New alerts of one group, many per statement; their ids by fingerprint.
    pub async fn insert_alerts(
        &mut self,
        now: Timestamp,
        group: &str,
        rows: &[NewAlertRow<'_>],
    ) -> Result<Vec<(String, i64)>> {
        const PER_ROW: usize = 16;
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(200) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let p: Vec<String> = (1..=PER_ROW).map(|c| format!("${}", r * PER_ROW + c)).collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO alerts (source, fingerprint, status, severity, title, subject, labels, annotations, link, \
                 starts_at, ends_at, first_seen, last_seen, group_key, ci_id, ticket_id) VALUES {} RETURNING fingerprint, id",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                let a = r.alert;
                q = q
                    .bind(&a.source)
                    .bind(&a.fingerprint)
                    .bind(a.status.as_str())
                    .bind(a.severity.as_str())
                    .bind(r.title)
                    .bind(r.subject)
                    .bind(serde_json::to_string(&a.labels).map_err(corrupt)?)
                    .bind(serde_json::to_string(&a.annotations).map_err(corrupt)?)
                    .bind(a.link.as_deref())
                    .bind(to_ms(a.starts_at))
                    .bind(a.ends_at.map(to_ms))
                    .bind(to_ms(now))
                    .bind(to_ms(now))
                    .bind(group)
                    .bind(r.ci.map(CiId::get))
                    .bind(r.ticket.map(TicketId::get));
            }
            out.extend(q.fetch_all(self.conn().await?).await?);
        }
        Ok(out)
    }

    /// Re-sends that changed nothing but that they were sent again: one more repeat each.
    pub async fn touch_alerts(&mut self, now: Timestamp, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "UPDATE alerts SET last_seen = $1, repeats = repeats + 1 WHERE id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_ms(now));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(self.conn().await?).await?;
        }
        Ok(())
    }

    /// Links alerts to incidents: `(alert, incident)` pairs, one statement per incident.
    pub async fn link_alerts(&mut self, links: &[(i64, TicketId)]) -> Result<()> {
        let mut by_ticket: BTreeMap<TicketId, Vec<i64>> = BTreeMap::new();
        for (id, ticket) in links {
            by_ticket.entry(*ticket).or_default().push(*id);
        }
        for (ticket, ids) in by_ticket {
            for chunk in ids.chunks(500) {
                let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!("UPDATE alerts SET ticket_id = $1 WHERE id IN ({})", marks.join(", "));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket.get());
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(self.conn().await?).await?;
            }
        }
        Ok(())
    }
}
