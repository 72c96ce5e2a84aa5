//! The executor: claims due runs (each by one node only), drives a run's steps in order —
//! resuming after an approval —, applies `on_failure`, stores artefacts, and tells the run's
//! incident how it went. `App::run_automation` is the loop every node runs, on a bounded pool.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use steward_core::events::DomainEvent;
use steward_core::ids::TicketId;
use steward_core::runbooks::{
    Authority, Masker, OnFailure, ParamValue, RunEvent, RunState, Step, StepState, check_values,
};
use steward_store::RunRecord;
use tokio::sync::{Semaphore, watch};

use super::kinds::RunContext;
use super::runs::params_of;
use super::steps::Output;
use super::yaml;
use crate::{App, AppError, Result, record};

/// A node renews its runs' leases this often; a run whose lease lapsed lost its node.
pub const EXECUTOR_LEASE_MS: i64 = 60_000;
const RENEW_EVERY: Duration = Duration::from_secs(20);
/// Artefacts kept per run.
const MAX_ARTIFACT: u64 = 10 * 1024 * 1024;
const MAX_ARTIFACTS: usize = 50;

impl crate::Runbooks<'_> {
    /// Fails runs whose node stopped renewing their lease, then claims up to `free` due runs.
    pub async fn claim(self, node: &str, free: usize) -> Result<Vec<i64>> {
        let now = self.now();
        for id in self.store.lost_runs(now).await? {
            self.finish(
                id,
                None,
                RunState::Failed,
                "the node running it stopped (its lease lapsed); it is not run again",
            )
            .await?;
        }
        Ok(self.store.claim_runs(node, now, EXECUTOR_LEASE_MS, free as i64).await?)
    }

    /// Runs everything due now on this node, `workers` at a time, until nothing is left due
    /// (tests, the CLI and the benchmark call this; `serve` runs `App::run_automation`).
    pub async fn run_due(self, node: &str) -> Result<usize> {
        let mut done = 0;
        loop {
            self.runbooks().fire_schedules().await?;
            let claimed = self.claim(node, self.config.automation.workers.max(1)).await?;
            if claimed.is_empty() {
                return Ok(done);
            }
            done += claimed.len();
            let runs = claimed.into_iter().map(|id| self.execute(id));
            for r in futures_util::future::join_all(runs).await {
                r?;
            }
        }
    }

    /// Drives a claimed run from its first unfinished step to its end (or to a step's gate).
    pub async fn execute(self, id: i64) -> Result<()> {
        let run = self.store.run(id).await?.ok_or(AppError::NotFound("run"))?;
        match self.drive(&run).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::warn!(run = id, error = %e, "run failed inside Steward");
                self.finish(id, Some(&run), RunState::Failed, &format!("Steward could not run it: {e}")).await
            }
        }
    }

    async fn drive(self, run: &RunRecord) -> Result<()> {
        let id = run.id;
        let text = self.store.runbook_version(run.runbook_id, run.version).await?.unwrap_or_default();
        let runbook = yaml::parse(&text)?;
        let values = check_values(&runbook.params, &params_of(&run.params)).map_err(AppError::from)?;
        let ids: Vec<_> =
            self.store.run_targets(id).await?.into_iter().map(steward_core::ids::CiId).collect();
        let targets = self.store.cis_by_ids(&ids).await?;
        let now = self.now();
        // A run attached to a change runs only inside its window; authority is checked when
        // the run starts, whoever or whatever asked for it.
        if let Some(change) = run.change_id {
            match self.change_window(TicketId(change), now).await {
                Ok((start, _)) if start <= now => {}
                Ok(_) => {
                    return self
                        .finish(id, Some(run), RunState::Failed, "refused: its change window has not opened")
                        .await;
                }
                Err(e) => {
                    return self.finish(id, Some(run), RunState::Failed, &format!("refused: {e}")).await;
                }
            }
        }
        let authority = match self.check_authority(&targets, run.requested_by, now).await {
            Ok(a) => a,
            Err(e) => return self.finish(id, Some(run), RunState::Failed, &format!("refused: {e}")).await,
        };
        let mut steps = self.store.run_steps(id).await?;
        // A run starting (not resuming after a step's approval) says so, with the authority that
        // let it, in the transaction that starts its first step.
        let mut announce = steps.iter().all(|s| s.state == StepState::Pending).then(|| match &authority {
            Authority::Covered(by) => by.join(", "),
            _ => String::new(),
        });
        // The context: parameters (a secret parameter reads as its value), secrets, the CI and
        // ticket, and what finished steps left.
        let mut ctx = RunContext {
            params: HashMap::new(),
            secrets: HashMap::new(),
            steps: HashMap::new(),
            run: id,
            artifacts: String::new(),
            ci: match run.ci_id {
                Some(c) => self.store.ci(steward_core::ids::CiId(c)).await?,
                None => None,
            },
            ticket: match run.ticket_id {
                Some(t) => self.store.ticket(TicketId(t)).await?.map(|t| (t.id.get(), t.number)),
                None => None,
            },
        };
        let mut masker = Masker::default();
        for name in runbook.secrets() {
            let value = self.secret_value(&name).await?;
            masker.add(value.clone());
            ctx.secrets.insert(name, value);
        }
        for (k, v) in &values {
            let text = match v {
                ParamValue::Secret(name) => {
                    let value = self.secret_value(name).await?;
                    masker.add(value.clone());
                    value
                }
                other => other.as_text(),
            };
            ctx.params.insert(k.clone(), text);
        }
        let dir = self.config.automation.work_dir.join(format!("run-{id}"));
        let artifacts = dir.join("artifacts");
        std::fs::create_dir_all(&artifacts)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", artifacts.display()))?;
        ctx.artifacts = artifacts.display().to_string();
        let mut seq = self.store.run_output(id, 0, i64::MAX).await?.last().map_or(0, |c| c.seq);
        let all: Vec<&Step> = runbook.all_steps().collect();
        let main = runbook.steps.len();
        let mut failure: Option<String> = None;
        let mut continued: Vec<String> = Vec::new();
        let mut rolling_back = false;
        for (idx, step) in all.iter().enumerate() {
            let row = steps.iter().find(|s| s.idx == idx as i64).cloned();
            let rollback = idx >= main;
            if let Some(r) = &row
                && r.state != StepState::Pending
                && r.state != StepState::AwaitingApproval
            {
                let mut m: Map<String, Value> = serde_json::from_str(&r.outputs).unwrap_or_default();
                m.insert("exit_code".into(), json!(r.exit_code));
                ctx.steps.insert(step.id.clone(), m);
                continue;
            }
            if (rollback && !rolling_back) || (!rollback && failure.is_some()) {
                self.set_step(id, idx, StepState::Skipped, None, None, "").await?;
                continue;
            }
            if let Some(gate) = &step.approval {
                let approved =
                    self.store.run_approvals(id).await?.iter().filter(|a| a.0 == step.id && a.3).count();
                if approved < gate.quorum as usize {
                    let mut tx = self.store.begin().await?;
                    tx.update_run_step(
                        id,
                        idx as i64,
                        StepState::AwaitingApproval,
                        None,
                        None,
                        None,
                        "{}",
                        "",
                    )
                    .await?;
                    tx.move_run(id, RunState::Running, RunState::AwaitingApproval).await?;
                    tx.commit().await?;
                    return Ok(());
                }
            }
            if self.store.run_cancel_requested(id).await? {
                failure = Some("cancelled".into());
                self.set_step(id, idx, StepState::Cancelled, None, None, "").await?;
                continue;
            }
            let started = self.now();
            let mut tx = self.store.begin().await?;
            if let Some(authority) = announce.take() {
                tx.set_run_authority(id, &authority).await?;
                let node = run.node.clone().unwrap_or_default();
                let event = RunEvent::Started { node, authority };
                record(&mut tx, started, None, DomainEvent::RunbookRun { id, event }).await?;
            }
            tx.update_run_step(id, idx as i64, StepState::Running, None, Some(started), None, "{}", "")
                .await?;
            tx.commit().await?;
            let mut out = Output::new(&self, id, idx as i64, &mut seq, &masker, step.output_limit);
            out.note(&format!("▶ {} ({})", step.name, step.action.kind())).await?;
            let result = self.step(run, step, idx, &ctx, &dir, &mut out).await?;
            if !result.error.is_empty() {
                out.note(&format!("✗ {}", result.error)).await?;
            }
            let tail = out.finish();
            let outputs = Value::Object(result.outputs.clone());
            let mut tx = self.store.begin().await?;
            if let Some((seq, text)) = tail {
                tx.append_run_output(id, seq, idx as i64, self.now(), &text).await?;
            }
            let stored = masker.mask(&outputs.to_string());
            tx.update_run_step(
                id,
                idx as i64,
                result.state,
                result.exit_code,
                None,
                Some(self.now()),
                &stored,
                &result.error,
            )
            .await?;
            tx.commit().await?;
            let mut m = result.outputs;
            m.insert("exit_code".into(), json!(result.exit_code));
            ctx.steps.insert(step.id.clone(), m);
            if result.state == StepState::Cancelled {
                failure = Some("cancelled".into());
            } else if result.state.failed() {
                let why = format!(
                    "step {} {}",
                    step.id,
                    if result.error.is_empty() { "failed".into() } else { result.error.clone() }
                );
                match step.on_failure {
                    OnFailure::Continue if !rollback => continued.push(why),
                    OnFailure::Rollback if !rollback => {
                        rolling_back = true;
                        failure = Some(format!("{why}; rolled back"));
                    }
                    _ => {
                        if failure.is_none() {
                            failure = Some(why);
                        }
                    }
                }
            }
            steps = self.store.run_steps(id).await?;
        }
        self.keep_artifacts(id, &artifacts).await?;
        let _ = std::fs::remove_dir_all(&dir);
        let (state, detail) = match failure {
            Some(f) if f == "cancelled" => {
                (RunState::Cancelled, "cancelled: the running step's process group was killed".to_owned())
            }
            Some(f) => (RunState::Failed, f),
            None if continued.is_empty() => (RunState::Succeeded, String::new()),
            None => (RunState::Succeeded, format!("went on past: {}", continued.join("; "))),
        };
        self.finish(id, Some(run), state, &detail).await
    }

    async fn set_step(
        self,
        run: i64,
        idx: usize,
        state: StepState,
        exit: Option<i64>,
        at: Option<jiff::Timestamp>,
        error: &str,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.update_run_step(run, idx as i64, state, exit, at, at, "{}", error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves files the steps left in the artefacts folder into the database.
    async fn keep_artifacts(self, run: i64, dir: &std::path::Path) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
        let entries: Vec<_> = entries.flatten().collect();
        if entries.is_empty() {
            return Ok(());
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        for entry in entries.into_iter().take(MAX_ARTIFACTS) {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || meta.len() > MAX_ARTIFACT {
                continue;
            }
            let name = entry
                .file_name()
                .to_string_lossy()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>();
            if let Ok(data) = std::fs::read(&path) {
                tx.insert_run_artifact(run, &name, &data, at).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends a run (once), records it, and tells its incident how it went.
    pub(crate) async fn finish(
        self,
        id: i64,
        run: Option<&RunRecord>,
        state: RunState,
        detail: &str,
    ) -> Result<()> {
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.finish_run(id, state, detail, at).await? {
            return Ok(());
        }
        let event = RunEvent::Finished { state: state.as_str().into(), detail: detail.to_owned() };
        record(&mut tx, at, None, DomainEvent::RunbookRun { id, event }).await?;
        tx.commit().await?;
        if let Some(run) = run
            && let Some(ticket) = run.ticket_id
        {
            self.tell_ticket(run, TicketId(ticket), state, detail).await?;
        }
        Ok(())
    }
}

impl App {
    /// The executor loop of one node: fires schedules, claims due runs while workers are free,
    /// runs each on its own task, renews their leases, until `shutdown`.
    pub async fn run_automation(&self, node: String, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let pool = Arc::new(Semaphore::new(self.config.automation.workers.max(1)));
        let mut last_renew = std::time::Instant::now();
        loop {
            if let Err(e) = self.runbooks().fire_schedules().await {
                tracing::error!(error = %e, "firing runbook schedules failed");
            }
            let free = pool.available_permits();
            let mut busy = false;
            match self.runbooks().claim(&node, free).await {
                Ok(ids) => {
                    // Work was there: look again as soon as a worker is free, not after a poll.
                    busy = !ids.is_empty();
                    for id in ids {
                        let Ok(permit) = pool.clone().acquire_owned().await else { return };
                        let app = self.clone();
                        tokio::spawn(async move {
                            if let Err(e) = app.runbooks().execute(id).await {
                                tracing::error!(run = id, error = %e, "a run could not be finished");
                            }
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming runs failed"),
            }
            if last_renew.elapsed() >= RENEW_EVERY {
                let until = self
                    .now()
                    .saturating_add(jiff::SignedDuration::from_millis(EXECUTOR_LEASE_MS))
                    .unwrap_or(self.now());
                if let Err(e) = self.store().renew_run_leases(&node, until).await {
                    tracing::error!(error = %e, "renewing run leases failed");
                }
                last_renew = std::time::Instant::now();
            }
            if busy {
                tokio::select! {
                    permit = pool.clone().acquire_owned() => drop(permit),
                    _ = shutdown.changed() => return,
                }
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
