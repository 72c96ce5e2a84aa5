//! The executor: claims due runs (each by one node only), drives a run's steps in order —
//! resuming after an approval —, applies `on_failure`, stores artefacts, and tells the run's
//! incident how it went. `App::run_automation` is the loop every node runs, on a bounded pool.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use steward_core::events::DomainEvent;
use steward_core::ids::TicketId;
use steward_core::runbooks::{
    Action, Authority, Context, Masker, OnFailure, ParamValue, Reference, RunEvent, RunState, Step,
    StepState, check_values,
};
use steward_store::{CiRecord, RunRecord};
use tokio::sync::{Semaphore, watch};

use super::runs::params_of;
use super::steps::{Output, Proc, read_outputs, run_process};
use super::{inventory, yaml};
use crate::{App, AppError, Result, record};

/// A node renews its runs' leases this often; a run whose lease lapsed lost its node.
pub const EXECUTOR_LEASE_MS: i64 = 60_000;
const RENEW_EVERY: Duration = Duration::from_secs(20);
/// Artefacts kept per run.
const MAX_ARTIFACT: u64 = 10 * 1024 * 1024;
const MAX_ARTIFACTS: usize = 50;

/// What a step's templates see.
struct RunContext {
    params: HashMap<String, String>,
    secrets: HashMap<String, String>,
    steps: HashMap<String, Map<String, Value>>,
    run: i64,
    artifacts: String,
    ci: Option<CiRecord>,
    ticket: Option<(i64, String)>,
}

impl Context for RunContext {
    fn resolve(&self, r: &Reference) -> Option<String> {
        match r {
            Reference::Param(p) => self.params.get(p).cloned(),
            Reference::Secret(s) => self.secrets.get(s).cloned(),
            Reference::Step { id, field } => {
                let step = self.steps.get(id)?;
                let v = match field.strip_prefix("outputs.") {
                    Some(key) => step.get("outputs")?.get(key)?,
                    None => step.get(field.as_str())?,
                };
                Some(match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }
            Reference::Run(f) if f == "id" => Some(self.run.to_string()),
            Reference::Run(_) => Some(self.artifacts.clone()),
            Reference::Ci(f) => {
                let ci = self.ci.as_ref()?;
                match f.as_str() {
                    "name" => Some(ci.name.clone()),
                    "id" => Some(ci.id.get().to_string()),
                    "class" => Some(ci.class.clone()),
                    other => ci.attrs.get(other.strip_prefix("attr.")?).cloned(),
                }
            }
            Reference::Ticket(f) => {
                let (id, number) = self.ticket.as_ref()?;
                Some(if f == "id" { id.to_string() } else { number.clone() })
            }
        }
    }
}

/// How one step went.
struct StepResult {
    state: StepState,
    exit_code: Option<i64>,
    outputs: Map<String, Value>,
    error: String,
}

impl StepResult {
    fn failed(error: String) -> StepResult {
        StepResult { state: StepState::Failed, exit_code: None, outputs: Map::new(), error }
    }
}

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

    /// Runs one step.
    async fn step(
        self,
        run: &RunRecord,
        step: &Step,
        idx: usize,
        ctx: &RunContext,
        dir: &std::path::Path,
        out: &mut Output<'_>,
    ) -> Result<StepResult> {
        let render = |t: &steward_core::runbooks::Template| t.render(ctx);
        let timeout = Duration::from_millis(step.timeout.as_millis().clamp(1, i128::from(u32::MAX)) as u64);
        let step_dir = dir.join(format!("step-{idx}"));
        std::fs::create_dir_all(&step_dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", step_dir.display()))?;
        let output_file = step_dir.join("outputs");
        let mut env = vec![
            ("STEWARD_RUN_ID".to_owned(), run.id.to_string()),
            ("STEWARD_ARTIFACTS".to_owned(), ctx.artifacts.clone()),
            ("STEWARD_OUTPUT".to_owned(), output_file.display().to_string()),
        ];
        let proc = |argv: Vec<String>, env: Vec<(String, String)>, workdir: PathBuf| Proc {
            argv,
            env,
            workdir,
            timeout,
        };
        let process = match &step.action {
            Action::Command { argv, shell, env: vars, workdir } => {
                let rendered: std::result::Result<Vec<String>, String> = argv.iter().map(render).collect();
                let mut argv = match rendered {
                    Ok(a) => a,
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                if *shell {
                    argv = vec!["/bin/sh".into(), "-c".into(), argv.concat()];
                }
                for (k, t) in vars {
                    match render(t) {
                        Ok(v) => env.push((k.clone(), v)),
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                let workdir = match workdir.as_ref().map(render).transpose() {
                    Ok(w) => w.map(PathBuf::from).unwrap_or_else(|| step_dir.clone()),
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                out.note(&format!("$ {}", if *shell { "sh -c …" } else { argv[0].as_str() })).await?;
                proc(argv, env, workdir)
            }
            Action::Ssh { host, port, user, key, known_hosts, command } => {
                let (host, user, known, command) =
                    match (render(host), render(user), render(known_hosts), render(command)) {
                        (Ok(h), Ok(u), Ok(k), Ok(c)) => (h, u, k, c),
                        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                            return Ok(StepResult::failed(e));
                        }
                    };
                let key_file = step_dir.join("key");
                let hosts_file = step_dir.join("known_hosts");
                let Some(key_text) = ctx.secrets.get(key) else {
                    return Ok(StepResult::failed(format!("secret `{key}` is not loaded")));
                };
                super::steps::private_file(&key_file, key_text)
                    .map_err(|e| anyhow::anyhow!("writing the key: {e}"))?;
                super::steps::private_file(&hosts_file, &known)
                    .map_err(|e| anyhow::anyhow!("writing known hosts: {e}"))?;
                out.note(&format!("$ ssh {user}@{host} -p {port}")).await?;
                let ssh = self.config.automation.ssh.display().to_string();
                let argv = vec![
                    ssh,
                    "-F".into(),
                    "/dev/null".into(),
                    "-i".into(),
                    key_file.display().to_string(),
                    "-p".into(),
                    port.to_string(),
                    "-o".into(),
                    "BatchMode=yes".into(),
                    "-o".into(),
                    "IdentitiesOnly=yes".into(),
                    "-o".into(),
                    "StrictHostKeyChecking=yes".into(),
                    "-o".into(),
                    format!("UserKnownHostsFile={}", hosts_file.display()),
                    "-o".into(),
                    "ConnectTimeout=15".into(),
                    "-o".into(),
                    "LogLevel=ERROR".into(),
                    "-l".into(),
                    user,
                    "--".into(),
                    host,
                    command,
                ];
                proc(argv, env, step_dir.clone())
            }
            Action::Http { method, url, headers, body, expect_status } => {
                let (url, body) = match (render(url), body.as_ref().map(render).transpose()) {
                    (Ok(u), Ok(b)) => (u, b.unwrap_or_default()),
                    (Err(e), _) | (_, Err(e)) => return Ok(StepResult::failed(e)),
                };
                let mut hs = Vec::new();
                for (k, t) in headers {
                    match render(t) {
                        Ok(v) => hs.push((k.clone(), v)),
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                out.note(&format!("{} {}", method.as_str(), url)).await?;
                return Ok(
                    match crate::subscriptions::post::send(method.as_str(), &url, &hs, body, timeout).await {
                        Ok((status, text)) => {
                            out.note(&format!("HTTP {status}")).await?;
                            out.push(text.as_bytes()).await?;
                            let ok = expect_status.contains(&status);
                            StepResult {
                                state: if ok { StepState::Succeeded } else { StepState::Failed },
                                exit_code: None,
                                outputs: Map::from_iter([
                                    ("status".into(), json!(status)),
                                    ("body".into(), json!(text)),
                                ]),
                                error: if ok {
                                    String::new()
                                } else {
                                    format!("answered {status}, expected {expect_status:?}")
                                },
                            }
                        }
                        Err(e) if e.starts_with("no answer within") => StepResult {
                            state: StepState::TimedOut,
                            exit_code: None,
                            outputs: Map::new(),
                            error: e,
                        },
                        Err(e) => StepResult::failed(e),
                    },
                );
            }
            Action::Ansible { playbook, targets, check, extra_vars } => {
                let values = check_values(&[], &[]).unwrap_or_default();
                let mut vals = values;
                for (k, v) in &ctx.params {
                    vals.insert(k.clone(), ParamValue::Ci(v.clone()));
                }
                let hosts = self.select(targets, &vals).await?;
                if hosts.is_empty() {
                    return Ok(StepResult::failed("the CMDB query selects no CI".into()));
                }
                let vars = match inventory::render_vars(targets, ctx) {
                    Ok(v) => v,
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                let mut extra: Map<String, Value> = Map::new();
                for (k, t) in extra_vars {
                    match render(t) {
                        Ok(v) => {
                            extra.insert(k.clone(), json!(v));
                        }
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                extra.insert("steward_artifacts".into(), json!(ctx.artifacts));
                extra.insert("steward_run_id".into(), json!(run.id));
                let write = |name: &str, text: String| {
                    let path = step_dir.join(name);
                    super::steps::private_file(&path, &text)
                        .map(|()| path)
                        .map_err(|e| anyhow::anyhow!("writing {name}: {e}"))
                };
                let inv = write("inventory.json", inventory::inventory(&hosts, &vars).to_string())?;
                let play = write("playbook.yml", playbook.clone())?;
                let extra_file = write("extra.json", Value::Object(extra).to_string())?;
                let mut argv = vec![
                    self.config.automation.ansible_playbook.display().to_string(),
                    "-i".into(),
                    inv.display().to_string(),
                    "-e".into(),
                    format!("@{}", extra_file.display()),
                ];
                if *check {
                    argv.push("--check".into());
                    argv.push("--diff".into());
                }
                argv.push(play.display().to_string());
                let names: Vec<&str> = hosts.iter().map(|c| c.name.as_str()).collect();
                out.note(&format!(
                    "$ ansible-playbook{} on {}",
                    if *check { " --check" } else { "" },
                    names.join(", ")
                ))
                .await?;
                env.extend([
                    ("ANSIBLE_NOCOLOR".to_owned(), "1".to_owned()),
                    ("ANSIBLE_FORCE_COLOR".to_owned(), "0".to_owned()),
                    ("ANSIBLE_RETRY_FILES_ENABLED".to_owned(), "0".to_owned()),
                    ("ANSIBLE_HOME".to_owned(), step_dir.join(".ansible").display().to_string()),
                    ("ANSIBLE_LOCAL_TEMP".to_owned(), step_dir.join(".ansible/tmp").display().to_string()),
                    ("PYTHONUNBUFFERED".to_owned(), "1".to_owned()),
                ]);
                proc(argv, env, step_dir.clone())
            }
        };
        let (ended, stdout) = run_process(&self, run.id, &process, out).await?;
        let text = String::from_utf8_lossy(&stdout).trim_end().to_owned();
        let mut outputs = Map::new();
        outputs.insert("stdout".into(), json!(text));
        outputs.insert("outputs".into(), Value::Object(read_outputs(&output_file)));
        let exit_code = match ended {
            super::steps::Ended::Exit(c) => Some(i64::from(c)),
            _ => None,
        };
        Ok(StepResult { state: ended.state(), exit_code, outputs, error: ended.describe() })
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
