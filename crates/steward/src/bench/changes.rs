//! `steward bench changes`: conflict detection for a new change against `--changes` scheduled
//! changes over the CMDB of `steward bench cmdb` (`--cis` CIs, `--relations` relationships),
//! and the change calendar's month, in process and over HTTP.
//!
//! The CMDB is imported through the real import path; the scheduled changes are bulk-loaded
//! (two CIs each, two-hour windows spread over a year, one in fifty by the bench's
//! implementer). A measured conflict check is the app's `preview` — the same code that
//! `POST …/schedule` runs: the booked changes overlapping the window, their CIs, the CMDB
//! edges of the change's CIs, freezes and slots, and the pure conflict rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use jiff::SignedDuration;
use steward_app::App;
use steward_app::changes::NewChange;
use steward_app::cmdb::parse_csv;
use steward_core::changes::ChangeType;
use steward_core::ids::CiId;

use super::{fixture, ms, percentile, rss_kib, start_server, time_gets};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct ChangeBench {
    /// Configuration items to import
    #[arg(long, default_value_t = 1_000_000)]
    cis: usize,
    /// Relationships to import
    #[arg(long, default_value_t = 3_000_000)]
    relations: usize,
    /// Scheduled changes to bulk-load
    #[arg(long, default_value_t = 100_000)]
    changes: i64,
    /// Measurements per figure
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

const DAY: SignedDuration = SignedDuration::from_hours(24);

pub async fn changes(config: Config, args: ChangeBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (agent, _, token) = fixture(&app).await?;
    println!(
        "# steward bench changes — {backend}, {} CIs, {} relationships, {} changes",
        args.cis, args.relations, args.changes
    );

    let t0 = Instant::now();
    let (cis_csv, rel_csv, servers) = super::cmdb::generate(args.cis, args.relations);
    for text in [cis_csv, rel_csv] {
        let file = parse_csv(&text).map_err(|e| anyhow::anyhow!("{:?}", e.first()))?;
        let report = app.cmdb().import(None, file, false, &|_, _| {}).await?;
        anyhow::ensure!(report.errors.is_empty(), "import errors: {:?}", report.errors.first());
    }
    println!("CMDB imported in {:.1} s", t0.elapsed().as_secs_f64());

    let actor =
        app.tokens().token_actor(&token).await?.ok_or_else(|| anyhow::anyhow!("bench token refused"))?;
    let models = app.changes().models(&actor).await?;
    let standard = models
        .iter()
        .find(|m| m.change_type == ChangeType::Standard)
        .ok_or_else(|| anyhow::anyhow!("no standard model"))?;
    let first_server =
        app.store().ci_by_external_id("srv-0").await?.ok_or_else(|| anyhow::anyhow!("srv-0 missing"))?.id;
    let first_ci =
        app.store().ci_by_external_id("svc-0").await?.ok_or_else(|| anyhow::anyhow!("svc-0 missing"))?.id;
    let now = app.now();
    let year_ms = (DAY * 365).as_millis() as i64;
    let t0 = Instant::now();
    let loaded = app
        .store()
        .bulk_load_changes(
            args.changes,
            first_ci,
            args.cis as i64,
            agent.id,
            agent.id,
            standard.id,
            now + DAY,
            year_ms,
        )
        .await?;
    println!("{loaded} scheduled changes bulk-loaded in {:.1} s", t0.elapsed().as_secs_f64());

    // The change being scheduled: a normal change on two servers (each with a database and
    // VMs around it in the graph), implemented by the agent who holds one change in fifty.
    let pick = |i: usize| CiId(first_server.get() + ((i * 7919) % servers) as i64);
    let new = NewChange {
        title: "Bench change".into(),
        change_type: Some("normal".into()),
        ci_ids: vec![pick(1), pick(2)],
        assignee_id: Some(agent.id),
        ..NewChange::default()
    };
    let change = app.changes().create(&actor, new).await?;
    let window = |i: usize| {
        let start = now + DAY + SignedDuration::from_mins(((i * 7727) % (365 * 24 * 60)) as i64);
        (start, start + SignedDuration::from_hours(2))
    };
    // Warm the caches first (a server that has been up a while has), then measure.
    for i in 0..20 {
        let (start, end) = window(10_000 + i);
        app.changes().preview(&actor, change.id, start, end).await?;
    }
    let mut times = Vec::new();
    let mut found = 0;
    for i in 0..args.queries {
        let (start, end) = window(i);
        let t = Instant::now();
        let conflicts = app.changes().preview(&actor, change.id, start, end).await?;
        times.push(t.elapsed());
        found += conflicts.len();
    }
    times.sort();
    println!(
        "conflict detection, in process (a 2-hour window, {:.1} conflicts on average): p50 {} p99 {}",
        found as f64 / args.queries as f64,
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
    let mut times = Vec::new();
    let mut entries = 0;
    for i in 0..args.queries.min(100) {
        let from = now + DAY * (1 + (i as i32 % 11) * 30);
        let t = Instant::now();
        let view = app.changes().calendar(&actor, from, from + DAY * 31, None).await?;
        times.push(t.elapsed());
        entries += view.changes.len();
    }
    times.sort();
    println!(
        "calendar month, in process ({} changes shown on average; a month shows at most 2000): p50 {} p99 {}",
        entries / times.len().max(1),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
    app.store().close().await;

    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::new();
    let days: Vec<String> =
        (0..12).map(|m| (now + DAY * (15 + 30 * m)).to_string()[..10].to_owned()).collect();
    let b = base.clone();
    let days2 = days.clone();
    time_gets(&client, &token, "calendar month page /changes/calendar", args.queries.min(100), 1, move |i| {
        format!("{b}/changes/calendar?day={}", days2[i % days2.len()])
    })
    .await?;
    let b = base.clone();
    let id = change.id;
    time_gets(&client, &token, "conflicts API for a window", args.queries, 1, move |i| {
        let start = now + DAY + SignedDuration::from_mins(((i * 7727) % (365 * 24 * 60)) as i64);
        let end = start + SignedDuration::from_hours(2);
        format!("{b}/api/v1/changes/{id}/conflicts?planned_start={start}&planned_end={end}")
    })
    .await?;
    if let Some(kib) = rss_kib(child.0.id()) {
        println!("server RSS: {:.1} MB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}
