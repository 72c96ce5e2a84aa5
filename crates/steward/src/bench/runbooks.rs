//! `steward bench runbooks`: the executor's figures (issue 21).
//!
//! 1. **Schedules**: `--scheduled` schedules (spread over runbooks of concurrency 100) due in
//!    the same minute, each running `true`; this node's executor (`App::run_automation`, the
//!    loop `serve` runs, `--workers` at once) fires and runs them. Reported: the drift of each
//!    run's start from its due minute (p50, p99, max), when the last one finished, and the
//!    most runs seen running at once (the pool's bound).
//! 2. **Per-step overhead**: runs of a runbook of `--steps` steps of `true`, one after another;
//!    the executor's time per step (a run's wall time ÷ its steps, which includes starting the
//!    process) and each step's own recorded time.
//! 3. **The runs page**: `--runs` runs written straight to the store, then `GET /runbooks/runs`
//!    and `GET /api/v1/runbook-runs` over HTTP from `steward serve`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use steward_app::runbooks::RunRequest;
use steward_app::{Actor, App, Credential, NewUserInput};
use steward_core::runbooks::{RunState, Trigger};
use steward_store::{NewRun, RunFilter};

use super::{fixture, ms, percentile, start_server, time_gets};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct RunbookBench {
    /// Scheduled runs due in the same minute
    #[arg(long, default_value_t = 1000)]
    scheduled: usize,
    /// The executor's pool: runs at once
    #[arg(long, default_value_t = 32)]
    workers: usize,
    /// Steps per run in the overhead figure
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Runs in the overhead figure
    #[arg(long, default_value_t = 50)]
    overhead_runs: usize,
    /// Runs stored for the runs page
    #[arg(long, default_value_t = 100_000)]
    runs: usize,
    /// Page loads measured
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

fn trivial(name: &str, steps: usize) -> String {
    let mut yaml = format!("name: {name}\nconcurrency: 100\nsteps:\n");
    for i in 0..steps {
        yaml.push_str(&format!("  - {{ id: s{i}, kind: command, argv: [\"true\"], output_limit: 4KiB }}\n"));
    }
    yaml
}

pub async fn runbooks(config: Config, args: RunbookBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), automation_workers: args.workers, ..config };
    let app: App = crate::cli::open(&config).await?;
    println!("# steward bench runbooks — {}, {} workers", app.store().engine(), args.workers);
    let (_, _, token) = fixture(&app).await?;
    let manager = app
        .directory()
        .create_user(
            None,
            NewUserInput {
                username: "bench.manager".into(),
                role: "change_manager".into(),
                password: "bench password 1".into(),
                ..Default::default()
            },
        )
        .await?;
    let actor = Actor { user: manager, credential: Credential::Direct };
    let r = app.runbooks();

    // 1. Schedules due in the same minute.
    let mut ids = Vec::new();
    for i in 0..args.scheduled.div_ceil(100) {
        ids.push(r.save(&actor, None, &trivial(&format!("Tick {i}"), 1)).await?.0);
    }
    let now = app.now();
    let minute = now.as_second().div_euclid(60) * 60 + 120;
    let due = jiff::Timestamp::from_second(minute)?;
    let utc = jiff::tz::TimeZone::UTC.to_datetime(due);
    let cron = format!("{} {} * * *", utc.minute(), utc.hour());
    for i in 0..args.scheduled {
        r.add_schedule(&actor, ids[i / 100], &cron, "UTC", None, Vec::new(), None).await?;
    }
    println!("{} schedules due at {due}; waiting for the minute", args.scheduled);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let executor = {
        let app = app.clone();
        tokio::spawn(
            async move { app.run_automation("bench".into(), Duration::from_millis(250), stopped).await },
        )
    };
    let mut busiest = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let states = app.store().runs_by_state().await?;
        let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        busiest = busiest.max(count("running"));
        let finished = count("succeeded") + count("failed");
        if finished as usize >= args.scheduled {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the scheduled runs did not finish: {states:?}");
    }
    let _ = stop.send(true);
    let _ = executor.await;
    let mut drift = Vec::new();
    let mut queued = Duration::ZERO;
    let mut last_end = due;
    let mut before = None;
    loop {
        let page = app.store().runs(&RunFilter { before, limit: 500, ..RunFilter::default() }).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for run in page.iter().filter(|r| r.trigger == Trigger::Schedule) {
            anyhow::ensure!(run.state == RunState::Succeeded, "run {} {}: {}", run.id, run.state, run.detail);
            let started = run.started_at.unwrap_or(due);
            queued = queued.max(Duration::from_millis(
                run.requested_at.duration_since(run.due_at).as_millis().max(0) as u64,
            ));
            drift.push(Duration::from_millis(started.duration_since(run.due_at).as_millis().max(0) as u64));
            last_end = last_end.max(run.finished_at.unwrap_or(due));
        }
    }
    drift.sort();
    println!(
        "schedules: {} runs, all queued within {} of the minute; start drift p50 {} p99 {} max {}; all finished {} after the minute; at most {busiest} running at once (pool {})",
        drift.len(),
        ms(queued),
        ms(percentile(&drift, 0.5)),
        ms(percentile(&drift, 0.99)),
        ms(drift.last().copied().unwrap_or_default()),
        ms(Duration::from_millis(last_end.duration_since(due).as_millis().max(0) as u64)),
        args.workers
    );

    // 2. Per-step overhead.
    let (id, _) = r.save(&actor, None, &trivial("Many steps", args.steps)).await?;
    let mut per_step = Vec::new();
    let mut step_times = Vec::new();
    for _ in 0..args.overhead_runs {
        let run = r.start(&actor, RunRequest { runbook_id: id, ..Default::default() }).await?;
        let t0 = Instant::now();
        r.run_due("bench").await?;
        per_step.push(t0.elapsed() / args.steps as u32);
        for s in app.store().run_steps(run).await? {
            if let (Some(a), Some(b)) = (s.started_at, s.finished_at) {
                step_times.push(Duration::from_millis(b.duration_since(a).as_millis().max(0) as u64));
            }
        }
    }
    per_step.sort();
    step_times.sort();
    println!(
        "per step ({} runs of {} steps of `true`): executor time per step p50 {} p99 {}; a step's recorded time p50 {} p99 {}",
        args.overhead_runs,
        args.steps,
        ms(percentile(&per_step, 0.5)),
        ms(percentile(&per_step, 0.99)),
        ms(percentile(&step_times, 0.5)),
        ms(percentile(&step_times, 0.99))
    );

    // 3. The runs page over many runs.
    let t0 = Instant::now();
    let at = app.now();
    let mut written = 0;
    while written < args.runs {
        let mut tx = app.store().begin().await?;
        for _ in 0..1000.min(args.runs - written) {
            let new = NewRun {
                runbook_id: ids[written % ids.len()],
                version: 1,
                state: if written % 10 == 0 { RunState::Failed } else { RunState::Succeeded },
                trigger: Trigger::Schedule,
                params: "{}".into(),
                requested_by: Some(actor.user.id.get()),
                ci_id: None,
                ticket_id: None,
                change_id: None,
                alert_id: None,
                schedule_id: None,
                due_at: at,
                targets: Vec::new(),
                steps: vec![("s0".into(), "s0".into(), "command".into(), false)],
            };
            tx.insert_run(at, &new).await?;
            written += 1;
        }
        tx.commit().await?;
    }
    println!("{} runs stored in {:.1} s", args.runs, t0.elapsed().as_secs_f64());
    let (_server, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::new();
    let b = base.clone();
    time_gets(&client, &token, "GET /runbooks/runs (the page, 50 newest)", args.queries, 4, move |_| {
        format!("{b}/runbooks/runs")
    })
    .await?;
    let b = base.clone();
    time_gets(&client, &token, "GET /runbooks/runs?state=failed", args.queries, 4, move |_| {
        format!("{b}/runbooks/runs?state=failed")
    })
    .await?;
    time_gets(&client, &token, "GET /api/v1/runbook-runs?limit=50", args.queries, 4, move |_| {
        format!("{base}/api/v1/runbook-runs?limit=50")
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}
