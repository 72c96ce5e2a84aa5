//! Logs (issue 22): lines in from any sender (the HTTP JSON-lines endpoint, the Loki push API,
//! syslog), mined into templates as they arrive, stored in compressed chunks, and explored by
//! template, host and time. A template never seen before on a host raises an alert into the
//! alert pipeline (`anomalies.rs`), so dedup, silences, rules and incidents apply to it.

mod anomalies;

pub use anomalies::PIPELINE_USER;
pub(crate) mod miner;

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use steward_core::identity::Permission;
use steward_core::logs::{Level, LogLine};
use steward_store::{LineFilter, LogHostRecord, LogTemplateRecord, LogUsage, StoredLine, TemplateFilter};

use crate::{Actor, Result};
use miner::{StoredChange, plan_changes};

/// How logs are kept and watched.
#[derive(Debug, Clone)]
pub struct LogsConfig {
    /// Chunks whose newest line is older than this are deleted.
    pub retention: SignedDuration,
    /// Compressed bytes kept at most; the oldest chunks go first.
    pub max_bytes: i64,
    /// A host's new templates raise alerts only once it has sent logs this long (before that,
    /// everything is new).
    pub learning: SignedDuration,
    /// New templates at least this severe raise alerts.
    pub new_template_level: Level,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            retention: SignedDuration::from_hours(14 * 24),
            max_bytes: 2 << 30,
            learning: SignedDuration::from_hours(1),
            new_template_level: Level::Warning,
        }
    }
}

/// One line as a sender gave it.
#[derive(Debug, Clone, Default)]
pub struct IncomingLine {
    /// The sender's time; `None`: received now.
    pub at: Option<Timestamp>,
    pub source: String,
    pub host: String,
    /// `None`: guessed from the message's first words.
    pub level: Option<Level>,
    pub message: String,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogIngestReport {
    pub accepted: usize,
    /// Messages longer than the limit, kept cut.
    pub truncated: usize,
    pub new_templates: usize,
    /// Alerts raised for templates new on a host.
    pub alerts: usize,
}

/// A template with what its page shows.
#[derive(Debug, Clone)]
pub struct TemplateDetail {
    pub template: LogTemplateRecord,
    /// (minute since the epoch, lines) over the asked window.
    pub minutes: Vec<(i64, i64)>,
    pub hosts: Vec<(String, Option<steward_core::ids::CiId>, i64, Timestamp)>,
}

/// The job that deletes log chunks past retention (age, then size); every minute (at full
/// speed ingest writes ~14 MB a minute, so the size bound is kept to about that).
pub const RETENTION: &str = "log_retention";

/// The job that judges templates' hourly rates against their seasonal history; every ten
/// minutes (an hour is judged once it is complete; re-judging it only re-sends).
pub const RATES: &str = "log_rate_anomalies";

/// Lines per batch at most (a longer delivery is stored as several chunks).
const CHUNK_LINES: usize = 5_000;

impl crate::Logs<'_> {
    /// Records lines from an authenticated sender.
    pub async fn ingest(self, actor: &Actor, lines: Vec<IncomingLine>) -> Result<LogIngestReport> {
        actor.require(Permission::IngestLogs)?;
        self.ingest_lines(lines).await
    }

    /// Records lines from a listener the administrator configured (syslog), whose network is
    /// its access control.
    pub async fn ingest_from_listener(self, lines: Vec<IncomingLine>) -> Result<LogIngestReport> {
        self.ingest_lines(lines).await
    }

    pub(crate) async fn ingest_lines(self, incoming: Vec<IncomingLine>) -> Result<LogIngestReport> {
        let mut report = LogIngestReport::default();
        for part in incoming.chunks(CHUNK_LINES) {
            // In a task of its own: a sender hanging up mid-batch must not leave the miner
            // knowing templates the database never got (the task finishes or resets it).
            let (app, part) = (crate::App::clone(&self), part.to_vec());
            let r = tokio::spawn(async move { app.logs().ingest_chunk(&part).await })
                .await
                .map_err(|e| crate::AppError::Internal(anyhow::anyhow!("log ingest: {e}")))??;
            report.accepted += r.accepted;
            report.truncated += r.truncated;
            report.new_templates += r.new_templates;
            report.alerts += r.alerts;
        }
        Ok(report)
    }

    async fn ingest_chunk(self, incoming: &[IncomingLine]) -> Result<LogIngestReport> {
        let now = self.now();
        let mut report = LogIngestReport { accepted: incoming.len(), ..LogIngestReport::default() };
        let mut state = self.logs_miner.lock().await;
        let result = async {
            state.seed(&self.store).await?;
            let mut lines = Vec::with_capacity(incoming.len());
            let mut mined = Vec::with_capacity(incoming.len());
            for i in incoming {
                let level = i.level.unwrap_or_else(|| Level::guess(&i.message));
                // A sender's clock far ahead (or before 1970) is not believed: such a line is
                // filed as received now, so buckets, retention and alerts stay sane.
                let at = i
                    .at
                    .filter(|t| *t >= Timestamp::UNIX_EPOCH && *t <= now + SignedDuration::from_hours(24));
                let (line, cut) = LogLine::new(at.unwrap_or(now), &i.source, &i.host, level, &i.message);
                report.truncated += usize::from(cut);
                mined.push(state.miner.parse(line.mined()).template);
                lines.push(line);
            }
            let changes = state.miner.take_changes();
            let planned = plan_changes(&mut state, changes);
            // Templates not stored yet, with their first line as the example.
            let mut fresh: Vec<(u32, String, String)> = Vec::new();
            for (t, line) in mined.iter().zip(&lines) {
                let t = state.miner.resolve(*t);
                if state.stored_id(t).is_none() && !fresh.iter().any(|f| f.0 == t) {
                    fresh.push((t, state.miner.text(t).to_owned(), line.message.clone()));
                }
            }
            // Hosts: known ones and their CIs; new ones matched to CIs by name.
            let names: Vec<String> =
                lines.iter().map(|l| l.host.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let known: HashMap<String, LogHostRecord> =
                self.store.log_hosts(Some(&names)).await?.into_iter().map(|h| (h.host.clone(), h)).collect();
            let unknown: Vec<String> =
                names.iter().filter(|n| !known.contains_key(*n) && !n.is_empty()).cloned().collect();
            let cis = self.store.cis_named(&unknown).await?;

            let mut tx = self.store.begin().await?;
            for change in planned {
                match change {
                    StoredChange::Merge { from, into } => tx.merge_log_template(from, into).await?,
                    StoredChange::Rename { id, text } => {
                        if let Some(other) = tx.rename_log_template(id, &text).await? {
                            tx.merge_log_template(id, other).await?;
                            state.stored.values_mut().filter(|v| **v == id).for_each(|v| *v = other);
                        }
                    }
                }
            }
            let texts: Vec<(String, String)> = fresh.iter().map(|f| (f.1.clone(), f.2.clone())).collect();
            let ids = tx.ensure_log_templates(now, &texts).await?;
            for (f, id) in fresh.iter().zip(&ids) {
                state.stored.insert(f.0, *id);
            }
            report.new_templates = fresh.len();
            let stored: Vec<StoredLine> = lines
                .into_iter()
                .zip(&mined)
                .map(|(l, t)| StoredLine {
                    at_ms: l.at.as_millisecond(),
                    source: l.source,
                    host: l.host,
                    level: l.level as u8,
                    template: state.stored_id(*t).unwrap_or_default(),
                    message: l.message,
                })
                .collect();
            let pairs: Vec<(i64, String)> = stored
                .iter()
                .map(|l| (l.template, l.host.clone()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let seen = self.store.known_log_pairs(&pairs).await?;
            tx.insert_log_chunk(now, &stored, &cis).await?;
            tx.commit().await?;
            Ok::<_, crate::AppError>((stored, seen, known))
        }
        .await;
        let (stored, seen, known) = match result {
            Ok(r) => r,
            Err(e) => {
                // The miner may now know templates the database does not: start it afresh.
                *state = miner::MinerState::default();
                return Err(e);
            }
        };
        drop(state);
        // The lines are committed: an alert that cannot be raised is logged, never answered as
        // a failed delivery (which the sender would send again).
        report.alerts = match self.logs().raise_new_templates(now, &stored, &seen, &known).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "new log templates: alerts not raised");
                0
            }
        };
        Ok(report)
    }

    /// Templates for the explorer.
    pub async fn templates(self, actor: &Actor, filter: &TemplateFilter) -> Result<Vec<LogTemplateRecord>> {
        actor.require(Permission::ReadLogs)?;
        Ok(self.store.log_templates(filter).await?)
    }

    /// A template with its lines per minute over `[from, to)` and its hosts.
    pub async fn template(
        self,
        actor: &Actor,
        id: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<TemplateDetail> {
        actor.require(Permission::ReadLogs)?;
        let template = self.store.log_template(id).await?.ok_or(crate::AppError::NotFound("log template"))?;
        let minutes = self
            .store
            .log_template_minutes(
                template.id,
                from.as_millisecond().div_euclid(60_000),
                to.as_millisecond().div_euclid(60_000) + 1,
            )
            .await?;
        let hosts = self.store.log_template_hosts(template.id).await?;
        Ok(TemplateDetail { template, minutes, hosts })
    }

    /// Lines matching `filter`, newest first.
    pub async fn lines(self, actor: &Actor, filter: &LineFilter) -> Result<Vec<StoredLine>> {
        actor.require(Permission::ReadLogs)?;
        Ok(self.store.log_lines(filter).await?)
    }

    pub async fn hosts(self, actor: &Actor) -> Result<Vec<LogHostRecord>> {
        actor.require(Permission::ReadLogs)?;
        Ok(self.store.log_hosts(None).await?)
    }

    pub async fn usage(self, actor: &Actor) -> Result<LogUsage> {
        actor.require(Permission::ReadLogs)?;
        Ok(self.store.log_usage().await?)
    }

    /// Deletes what retention no longer keeps (by age, then by size); answers the chunks deleted.
    pub async fn expire(self) -> Result<usize> {
        let config = &self.config.logs;
        let ids = self.store.expired_log_chunks(self.now() - config.retention, config.max_bytes).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        tx.delete_log_chunks(&ids).await?;
        tx.commit().await?;
        Ok(ids.len())
    }
}
