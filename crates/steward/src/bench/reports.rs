//! `steward bench reports`: the report dashboard over a large ticket table (issue 4's target:
//! the dashboard page over 1,000,000 tickets in ≤ 300 ms).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use steward_app::App;

use super::{fixture, rss_kib, start_server, time_gets};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct ReportBench {
    /// Incidents bulk-loaded (spread over the past year, every state, with their facts)
    #[arg(long, default_value_t = 1_000_000)]
    total: i64,
    /// Requests per page measured
    #[arg(long, default_value_t = 100)]
    queries: usize,
    /// Requests in flight at once
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

pub async fn reports(config: Config, args: ReportBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (agent, teams, token) = fixture(&app).await?;
    let t0 = Instant::now();
    let year_ms = 365 * 24 * 3600 * 1000;
    app.store().bulk_load_incidents(args.total, &teams, agent.id, jiff::Timestamp::now(), year_ms).await?;
    println!("# steward bench reports — {backend}, {} incidents over one year", args.total);
    println!("bulk load: {:.1} s", t0.elapsed().as_secs_f64());
    let t0 = Instant::now();
    // The server would rebuild at start; timing it here shows what a zone change costs.
    let read = app.reports().prepare().await?.unwrap_or(0);
    println!("rollup rebuild: {read} tickets in {:.1} s", t0.elapsed().as_secs_f64());
    app.store().close().await;

    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency.max(1)).build()?;
    let pages = [
        ("dashboard page /reports (12 months)", format!("{base}/reports"), 1),
        ("dashboard page /reports?period=week (12 weeks)", format!("{base}/reports?period=week"), 1),
        ("report JSON /api/v1/reports/incidents", format!("{base}/api/v1/reports/incidents"), 1),
        ("monthly report page /reports/monthly", format!("{base}/reports/monthly"), 1),
        // One filter reads that value's rollup view; two sum the matching tickets as they stream.
        ("report JSON, one filter ?team=X", format!("{base}/api/v1/reports/incidents?team={}", teams[0]), 1),
        (
            "report JSON, two filters ?team=X&priority=3 (streams 1/24 of the tickets)",
            format!("{base}/api/v1/reports/incidents?team={}&priority=3", teams[0]),
            10,
        ),
    ];
    for (name, url, share) in pages {
        let requests = (args.queries / share).max(5);
        time_gets(&client, &token, name, requests, args.concurrency, move |_| url.clone()).await?;
    }
    if let Some(kib) = rss_kib(child.0.id()) {
        println!("server RSS: {:.1} MB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}
