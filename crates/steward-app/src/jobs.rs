//! Background work: the worker loop that claims jobs from the queue and runs them.
//!
//! Every node runs one worker. Jobs are leased, so a node that dies mid-job only delays it;
//! every handler is safe to run twice.

use std::time::Duration;

use jiff::SignedDuration;
use serde_json::json;
use steward_core::jobs::RetryPolicy;
use steward_store::{Job, NewJob};
use tokio::sync::watch;

use crate::{App, AppError, Result};

/// Deletes expired web sessions, device cookies and idle sign-in counters; re-enqueues itself
/// every hour.
pub const PURGE_SESSIONS: &str = "purge_expired_sessions";
const PURGE_EVERY: SignedDuration = SignedDuration::from_hours(1);
/// Closes incidents resolved longer ago than `auto_close_after`; re-enqueues itself hourly.
pub const AUTO_CLOSE: &str = "auto_close_resolved";

/// Periodic jobs and how often each runs.
/// Fires SLA warnings and breaches; re-enqueues itself every minute.
pub const SLA_SCAN: &str = "sla_scan";

/// Tells people what happened to their tickets, from the event log; every five seconds.
pub const NOTIFY: &str = "notification_feed";
/// Mails the day's notices to those who chose a digest; daily.
pub const DIGEST: &str = "notification_digest";

/// Forgets alerts' raw payloads past `alert_payload_days`.
pub const PURGE_PAYLOADS: &str = "alert_payload_purge";

/// Periodic jobs and how often each runs.
const PERIODIC: &[(&str, SignedDuration)] = &[
    (PURGE_SESSIONS, PURGE_EVERY),
    (AUTO_CLOSE, SignedDuration::from_hours(1)),
    (SLA_SCAN, SignedDuration::from_mins(1)),
    (NOTIFY, SignedDuration::from_secs(5)),
    (DIGEST, SignedDuration::from_hours(24)),
    (crate::subscriptions::FEED, SignedDuration::from_secs(5)),
    (PURGE_PAYLOADS, SignedDuration::from_hours(6)),
    (crate::knowledge::REVIEW_REMINDERS, SignedDuration::from_hours(1)),
    (crate::reviews::REVIEW_ACTIONS_OVERDUE, SignedDuration::from_hours(1)),
    (crate::changes::APPROVAL_REMINDERS, SignedDuration::from_hours(1)),
    (crate::logs::RETENTION, SignedDuration::from_mins(1)),
    (crate::logs::RATES, SignedDuration::from_mins(10)),
    (crate::forecasts::EVALUATE, SignedDuration::from_mins(1)),
    (crate::triage::TRAIN, SignedDuration::from_hours(24)),
    (crate::incidents::FIND_DUPLICATES, SignedDuration::from_secs(5)),
    (crate::surveys::CSAT_FEED, SignedDuration::from_secs(10)),
    (crate::surveys::NPS_MONTHLY, SignedDuration::from_hours(1)),
];

const LEASE_MS: i64 = 5 * 60 * 1000;
const RESCHEDULE_EVERY: Duration = Duration::from_secs(600);

impl App {
    /// Schedules the periodic jobs that must always be pending (a no-op when they are).
    pub async fn schedule_periodic_jobs(&self) -> Result<()> {
        for (kind, _) in PERIODIC {
            self.enqueue_periodic(kind, SignedDuration::ZERO).await?;
        }
        Ok(())
    }

    async fn enqueue_periodic(&self, kind: &'static str, delay: SignedDuration) -> Result<()> {
        let at = self.now();
        let job = NewJob {
            kind,
            payload: json!({}),
            run_at: at.saturating_add(delay).unwrap_or(at),
            max_attempts: RetryPolicy::default().max_attempts,
            dedupe_key: Some(kind.to_owned()),
        };
        let mut tx = self.store.begin().await?;
        tx.enqueue_job(at, &job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims and runs due jobs once; returns how many ran. Tests call this directly.
    pub async fn run_due_jobs(&self, worker: &str) -> Result<usize> {
        let jobs = self.store.claim_jobs(worker, self.now(), LEASE_MS, 10).await?;
        let count = jobs.len();
        for job in jobs {
            match self.run_job(&job).await {
                Ok(()) => {
                    self.store.complete_job(job.id, worker).await?;
                    if let Some((kind, every)) = PERIODIC.iter().find(|(k, _)| *k == job.kind) {
                        self.enqueue_periodic(kind, *every).await?;
                    }
                }
                Err(err) => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %err, "job failed");
                    let policy = RetryPolicy { max_attempts: job.max_attempts, ..RetryPolicy::default() };
                    let after = policy.after_failure(job.attempts);
                    self.store.fail_job(job.id, worker, self.now(), &err.to_string(), after).await?;
                }
            }
        }
        Ok(count)
    }

    async fn run_job(&self, job: &Job) -> Result<()> {
        match job.kind.as_str() {
            PURGE_SESSIONS => {
                let mut tx = self.store.begin().await?;
                let now = self.now();
                let purged = tx.purge_expired_sessions(now).await?;
                // Sign-in counters idle for a day start again from zero.
                let idle_since = now.saturating_sub(jiff::SignedDuration::from_hours(24)).unwrap_or(now);
                let forgotten = tx.prune_login_state(now, idle_since).await?;
                tx.commit().await?;
                tracing::debug!(purged, forgotten, "expired sessions and sign-in counters purged");
                Ok(())
            }
            crate::mail::SEND_EMAIL => self.send_email(&job.payload).await,
            crate::incidents::FIND_DUPLICATES => {
                let flagged = self.incidents().find_duplicates().await?;
                tracing::debug!(flagged, "duplicate incidents flagged");
                Ok(())
            }
            crate::triage::TRAIN => {
                let report = self.triage().train(None).await?;
                tracing::info!(examples = report.examples, accuracy = ?report.accuracy, "triage retrained");
                Ok(())
            }
            crate::forecasts::EVALUATE => {
                let breaching = self.forecasts().evaluate_all().await?;
                tracing::debug!(breaching, "forecasts evaluated");
                Ok(())
            }
            crate::logs::RATES => {
                let sent = self.logs().detect_rate_anomalies().await?;
                tracing::debug!(sent, "log rate anomalies");
                Ok(())
            }
            crate::logs::RETENTION => {
                let deleted = self.logs().expire().await?;
                tracing::debug!(deleted, "log chunks past retention deleted");
                Ok(())
            }
            SLA_SCAN => {
                let fired = self.sla().scan(self.now()).await?;
                tracing::debug!(fired, "SLA scan");
                Ok(())
            }
            NOTIFY => {
                let written = self.notifications().process_feed().await?;
                tracing::debug!(written, "notifications");
                Ok(())
            }
            DIGEST => {
                let mails = self.notifications().send_digests().await?;
                tracing::debug!(mails, "notification digests");
                Ok(())
            }
            crate::subscriptions::FEED => {
                let queued = self.subscriptions().process_feed().await?;
                tracing::debug!(queued, "subscription deliveries queued");
                Ok(())
            }
            crate::subscriptions::DELIVER => {
                let id = job.payload.get("delivery").and_then(serde_json::Value::as_i64).unwrap_or_default();
                self.subscriptions().deliver(id, job.attempts, job.max_attempts).await
            }
            crate::changes::APPROVAL_REMINDERS => {
                let told = self.changes().remind_approvers().await?;
                tracing::debug!(told, "approvers reminded");
                Ok(())
            }
            crate::reviews::REVIEW_ACTIONS_OVERDUE => {
                let told = self.remind_overdue_actions().await?;
                tracing::debug!(told, "overdue review actions");
                Ok(())
            }
            crate::knowledge::REVIEW_REMINDERS => {
                let reminded = self.remind_article_reviews().await?;
                tracing::debug!(reminded, "article review reminders");
                Ok(())
            }
            PURGE_PAYLOADS => {
                let purged = self.alerts().purge_payloads().await?;
                tracing::debug!(purged, "alert payloads purged");
                Ok(())
            }
            crate::surveys::CSAT_FEED => {
                let asked = self.surveys().ask_for_ratings().await?;
                tracing::debug!(asked, "satisfaction surveys sent");
                Ok(())
            }
            crate::surveys::NPS_MONTHLY => {
                let sent = self.surveys().send_monthly_nps().await?;
                tracing::debug!(sent, "NPS surveys sent");
                Ok(())
            }
            AUTO_CLOSE => {
                let closed = self.incidents().auto_close_resolved().await?;
                tracing::debug!(closed, "resolved incidents and requests closed");
                Ok(())
            }
            other => Err(AppError::Internal(anyhow::anyhow!("no handler for job kind `{other}`"))),
        }
    }

    /// Runs the worker until `shutdown` turns true, polling every `poll`.
    pub async fn run_worker(&self, worker: String, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut last_scheduled: Option<std::time::Instant> = None;
        let mut anchoring = match self.config.anchors.clone().map(crate::audit::Anchoring::open).transpose() {
            Ok(a) => a,
            Err(err) => {
                tracing::error!(error = %err, "audit anchors are off: the anchor key or log cannot be used");
                None
            }
        };
        loop {
            if let Some(a) = anchoring.as_mut()
                && let Err(err) = self.anchor_if_due(a, false).await
            {
                tracing::error!(error = %err, "anchoring the event chain failed");
            }
            // Re-ensured now and then, so a periodic job that died is scheduled again.
            if last_scheduled.is_none_or(|t| t.elapsed() > RESCHEDULE_EVERY) {
                match self.schedule_periodic_jobs().await {
                    Ok(()) => last_scheduled = Some(std::time::Instant::now()),
                    Err(err) => tracing::error!(error = %err, "scheduling periodic jobs failed"),
                }
            }
            match self.run_due_jobs(&worker).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::error!(error = %err, "job worker error"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {
                    if let Some(a) = anchoring.as_mut()
                        && let Err(err) = self.anchor_if_due(a, true).await
                    {
                        tracing::error!(error = %err, "anchoring the event chain failed");
                    }
                    return;
                }
            }
        }
    }
}
