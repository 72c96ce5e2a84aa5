//! `steward bench incidents|reports|sla`. The HTTP benches start `steward serve` as a child
//! process on a prepared data folder and drive it over 127.0.0.1.
//!
//! `incidents`:
//!
//! It prepares a data folder (or a PostgreSQL database), starts `steward serve` on it as a
//! child process, and drives it with bounded concurrency:
//! 1. creates N incidents through `POST /api/v1/incidents` and reports the rate and latency
//!    percentiles;
//! 2. bulk-loads incidents up to a total (a fixture loader inside the database), then times the
//!    first page of a team's in-progress queue sorted by priority, and a title search;
//! 3. reports the server's resident memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;
use steward_app::{App, NewUserInput};

use crate::config::Config;

mod alerts;
mod changes;
mod cmdb;
mod logs;
mod markdown;
mod portal;
mod relevance;
mod reports;
mod runbooks;
mod search;
mod sla;

pub use alerts::{AlertBench, alerts};
pub use changes::{ChangeBench, changes};
pub use cmdb::{CmdbBench, cmdb};
pub use logs::{LogBench, logs};
pub use markdown::{MarkdownBench, markdown};
pub use portal::{PortalBench, portal};
pub use relevance::{RelevanceBench, relevance};
pub use reports::{ReportBench, reports};
pub use runbooks::{RunbookBench, runbooks};
pub use search::{SearchBench, search};
pub use sla::{SlaBench, sla};

#[derive(Args, Debug)]
pub struct IncidentBench {
    /// Incidents to create over HTTP
    #[arg(long, default_value_t = 20_000)]
    creates: usize,
    /// Requests in flight at once (with `--rate`, the most in flight)
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Offer creates at this fixed rate per second instead of as fast as the server answers
    /// (an open loop: each latency counts from the request's scheduled time, so time spent
    /// waiting behind a slow server is included)
    #[arg(long)]
    rate: Option<f64>,
    /// Total incidents for the query phase (bulk-loaded up to this number; 0 skips the phase)
    #[arg(long, default_value_t = 1_000_000)]
    total: i64,
    /// Requests per query measured
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// Query requests in flight at once
    #[arg(long, default_value_t = 4)]
    query_concurrency: usize,
    /// Give each created incident a Markdown description of about this many bytes (a user's
    /// report: paragraphs, a list, emphasis, a log excerpt), rendered when written
    #[arg(long, default_value_t = 0)]
    description_bytes: usize,
    /// Leave the team out of each create, as a requester's ticket does: routing picks it (the
    /// category's team, else the intake team — here the agent's, made the intake team)
    #[arg(long)]
    routed: bool,
}

/// A description of about `bytes` bytes as users write them.
fn description(bytes: usize) -> String {
    const PARTS: [&str; 4] = [
        "Since this morning **Outlook** cannot connect to the mail server; webmail works.\n\n",
        "Steps tried:\n\n- restarted the laptop\n- checked the VPN (connected)\n- cleared the *credential cache*\n\n",
        "The error says `0x800CCC0E` and the [status page](https://status.example.com) is green.\n\n",
        "> Cannot connect to server. Verify the server name and your network connection.\n\n",
    ];
    let mut text = String::with_capacity(bytes + 200);
    while text.len() < bytes {
        text.push_str(PARTS[text.len() % PARTS.len()]);
    }
    text
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The child `steward serve`, killed when dropped.
struct Child_(Child);

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at state; utime and stime
    // are the 12th and 13th of them, in clock ticks of 1/100 s on Linux.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The machine's CPU time so far, all cores: `(stolen, total)` in clock ticks, from
/// `/proc/stat`. Steal is time the hypervisor gave this VM's virtual CPUs to someone else;
/// on a shared VM it explains runs that are slow for no reason of their own.
fn cpu_steal() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    Some((*fields.get(7)?, fields.iter().sum()))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Starts `steward serve` on `data_dir` (or the configured PostgreSQL) on a free loopback port
/// and waits until it is ready; returns the child and its base URL.
async fn start_server(config: &Config, data_dir: &Path) -> anyhow::Result<(Child_, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--data").arg(data_dir);
    if let Some(url) = &config.database_url {
        cmd.arg("--database-url").arg(&url.0);
    }
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("STEWARD_LOG", "warn")
        .env("STEWARD_SQLITE_SYNCHRONOUS", &config.sqlite_synchronous)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let child = Child_(cmd.spawn().context("starting steward serve")?);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "steward serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((child, base))
}

/// A bench agent in eight teams' first, and the teams; what both HTTP benches start from.
async fn fixture(
    app: &App,
) -> anyhow::Result<(steward_core::identity::User, Vec<steward_core::ids::TeamId>, String)> {
    let agent = app
        .directory()
        .create_user(
            None,
            NewUserInput {
                username: "bench.agent".into(),
                role: "agent".into(),
                password: "bench password 1".into(),
                ..Default::default()
            },
        )
        .await?;
    let mut teams = Vec::new();
    for i in 0..8 {
        let team = app.directory().create_team(None, &format!("Bench team {i}"), "").await?;
        teams.push(team.id);
    }
    app.directory().set_team_member(None, teams[0], agent.id, true).await?;
    app.directory().set_intake_team(None, teams[0], true).await?;
    let token = app.tokens().issue(None, agent.id, "bench", "read write", "1d").await?.secret;
    Ok((agent, teams, token))
}

/// Times `requests` GETs of `url(i)` with `concurrency` in flight, each of which must answer
/// 200, and prints the latency percentiles under `name`.
async fn time_gets<F>(
    client: &reqwest::Client,
    token: &str,
    name: &str,
    requests: usize,
    concurrency: usize,
    url: F,
) -> anyhow::Result<()>
where
    F: Fn(usize) -> String + Send + Sync + 'static,
{
    let (c, t) = (client.clone(), token.to_owned());
    let url = Arc::new(url);
    let (latencies, _) = drive(requests, concurrency, move |i| {
        let (c, t, url) = (c.clone(), t.clone(), url(i));
        async move {
            let r = c.get(&url).bearer_auth(&t).send().await?;
            anyhow::ensure!(r.status() == 200, "{url} answered {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    println!(
        "{name}: {requests} requests; p50 {} p99 {} max {}",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );
    Ok(())
}

/// Runs `requests` calls of `make` with `concurrency` in flight; returns sorted latencies and
/// the wall time.
async fn drive<F, Fut>(
    requests: usize,
    concurrency: usize,
    make: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let next = next.clone();
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                make(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(requests);
    for w in workers {
        all.extend(w.await??);
    }
    let wall = started.elapsed();
    all.sort();
    Ok((all, wall))
}

/// Starts call `i` of `make` at `started + i / rate` (an open loop, as load from many
/// independent users arrives), never more than `max_in_flight` at once, and measures each
/// latency from the call's scheduled start. A server that falls behind the rate therefore shows
/// its backlog in the latencies instead of slowing the load down (what a closed loop like
/// [`drive`] does, and why its latencies at saturation say more about the load than the server).
/// Returns sorted latencies, the wall time, and the sorted latencies from the moment each call
/// was actually sent. On a machine the load generator shares, the difference is its own late
/// dispatch (its threads waiting for a core), which the first figure counts too — and any wait
/// for one of the `max_in_flight` slots, so compare them with slots to spare.
async fn drive_at_rate<F, Fut>(
    requests: usize,
    rate: f64,
    max_in_flight: usize,
    make: F,
) -> anyhow::Result<(Vec<Duration>, Duration, Vec<Duration>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    anyhow::ensure!(rate.is_finite() && rate >= 0.1, "--rate must be at least 0.1 per second");
    let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let started = tokio::time::Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    let (mut all, mut from_send) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for i in 0..requests {
        // A failed call ends the run now rather than after the rest of the schedule.
        while let Some(latency) = calls.try_join_next() {
            let (scheduled, sent) = latency??;
            all.push(scheduled);
            from_send.push(sent);
        }
        let at = started + Duration::try_from_secs_f64(i as f64 / rate)?;
        tokio::time::sleep_until(at).await;
        let slot = slots.clone().acquire_owned().await?;
        let call = make(i);
        calls.spawn(async move {
            let sent = tokio::time::Instant::now();
            call.await?;
            drop(slot);
            Ok::<_, anyhow::Error>((at.elapsed(), sent.elapsed()))
        });
    }
    while let Some(latency) = calls.join_next().await {
        let (scheduled, sent) = latency??;
        all.push(scheduled);
        from_send.push(sent);
    }
    let wall = started.elapsed();
    all.sort();
    from_send.sort();
    Ok((all, wall, from_send))
}

pub async fn incidents(config: Config, args: IncidentBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    // A fresh data folder unless one was named; PostgreSQL runs use the configured URL.
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (agent, teams, token) = fixture(&app).await?;
    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let load = match args.rate {
        Some(rate) => format!("open loop at {rate}/s, at most {} in flight", args.concurrency),
        None => format!("concurrency {}", args.concurrency),
    };
    let load = if args.routed { format!("{load}, routed creates (no team named)") } else { load };
    println!(
        "# steward bench incidents — {backend}, sqlite_synchronous={}, {load} (queries {})",
        config.sqlite_synchronous, args.query_concurrency
    );

    // Open the client's connections first, as a long-running client has them: otherwise the
    // first requests of the run also time TCP connects and the server's first accepts.
    let (c, b) = (client.clone(), base.clone());
    drive(args.concurrency * 4, args.concurrency, move |_| {
        let (c, b) = (c.clone(), b.clone());
        async move { Ok(c.get(format!("{b}/readyz")).send().await?.bytes().await.map(drop)?) }
    })
    .await?;

    // 1. Creates over HTTP.
    let cpu_before = cpu_time(child.0.id());
    let steal_before = cpu_steal();
    let (c, b, t) = (client.clone(), base.clone(), token.clone());
    let team = (!args.routed).then_some(teams[0]);
    let text = Arc::new(description(args.description_bytes));
    let create = move |i: usize| {
        let (c, b, t, text) = (c.clone(), b.clone(), t.clone(), text.clone());
        async move {
            let mut body = json!({ "title": format!("Bench incident {i} on host-{}", i % 5000), "description": *text, "impact": 1 + i % 3, "urgency": 1 + (i / 3) % 3 });
            if let Some(team) = team {
                body["team_id"] = json!(team);
            }
            let r = c.post(format!("{b}/api/v1/incidents")).bearer_auth(&t).json(&body).send().await?;
            anyhow::ensure!(r.status() == 201, "create answered {}", r.status());
            Ok(())
        }
    };
    let (latencies, wall, from_send) = match args.rate {
        Some(rate) => {
            let (latencies, wall, from_send) =
                drive_at_rate(args.creates, rate, args.concurrency, create).await?;
            (latencies, wall, Some(from_send))
        }
        None => {
            let (latencies, wall) = drive(args.creates, args.concurrency, create).await?;
            (latencies, wall, None)
        }
    };
    let rate = args.creates as f64 / wall.as_secs_f64();
    // The server's CPU per create is steadier than the rate on a machine shared with the client.
    let cpu = cpu_time(child.0.id()).zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    let steal = cpu_steal().zip(steal_before).map(|((s1, t1), (s0, t0))| {
        100.0 * s1.saturating_sub(s0) as f64 / t1.saturating_sub(t0).max(1) as f64
    });
    println!(
        "creates: {} in {:.2} s = {:.0}/s; p50 {} p99 {} max {}; server CPU {:.0} µs per create; CPU steal {}",
        args.creates,
        wall.as_secs_f64(),
        rate,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0)),
        cpu.map_or(0.0, |c| c.as_secs_f64() * 1e6 / args.creates.max(1) as f64),
        steal.map_or("n/a".to_owned(), |s| format!("{s:.0} %"))
    );
    if let Some(sent) = from_send {
        println!(
            "  timed from when each was sent (left out: the load generator's late dispatch, waits for a slot): p50 {} p99 {}",
            ms(percentile(&sent, 0.5)),
            ms(percentile(&sent, 0.99))
        );
    }

    // 2. Queries over a large table.
    if args.total > args.creates as i64 {
        let load = args.total - args.creates as i64;
        let t0 = Instant::now();
        let year_ms = 365 * 24 * 3600 * 1000;
        app.store().bulk_load_incidents(load, &teams, agent.id, jiff::Timestamp::now(), year_ms).await?;
        println!(
            "bulk load: {load} incidents in {:.1} s ({:.0}/s)",
            t0.elapsed().as_secs_f64(),
            load as f64 / t0.elapsed().as_secs_f64()
        );
        let queue =
            format!("{base}/api/v1/incidents?state=in_progress&team={}&sort=priority&limit=50", teams[0]);
        // (name, url, divisor of `queries`): the Chinese word is in one title in eight, which
        // makes it the slow case, so it gets fewer requests.
        let selective = format!("{base}/api/v1/incidents?q=host-1234&limit=50");
        let unselective = format!("{base}/api/v1/incidents?q=%E8%BF%9E%E6%8E%A5%E6%B1%A0&limit=50");
        for (name, url, share) in [
            ("queue page (state=in_progress, team, sort=priority)", queue, 1),
            ("title search, selective (q=host-1234, 0.02 % of titles)", selective, 1),
            ("title search, unselective (q=连接池, 12.5 % of titles)", unselective, 10),
        ] {
            let requests = (args.queries / share).max(10);
            let (c, t) = (client.clone(), token.clone());
            let (latencies, _) = drive(requests, args.query_concurrency, move |_| {
                let (c, t, url) = (c.clone(), t.clone(), url.clone());
                async move {
                    let r = c.get(&url).bearer_auth(&t).send().await?;
                    anyhow::ensure!(r.status() == 200, "query answered {}", r.status());
                    let body: serde_json::Value = r.json().await?;
                    anyhow::ensure!(
                        !body["items"].as_array().is_none_or(|a| a.is_empty()),
                        "query found nothing"
                    );
                    Ok(())
                }
            })
            .await?;
            println!(
                "{name}: {requests} requests; p50 {} p99 {}",
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99))
            );
        }
    }
    if let Some(kib) = rss_kib(child.0.id()) {
        println!("server RSS: {:.1} MB", kib as f64 / 1024.0);
    }
    drop(child);
    app.store().close().await;
    Ok(ExitCode::SUCCESS)
}
