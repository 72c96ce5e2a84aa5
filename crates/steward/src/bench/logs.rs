//! `steward bench logs`: the whole HTTP ingest path (issue 22's target: ≥ 200,000 lines/s
//! durable on SQLite) — `POST /ingest/logs` batches of JSON lines from concurrent senders
//! against `steward serve` over 127.0.0.1, each answered once its chunk is committed — for a
//! fixed time, reporting lines/s, batch latency, and the server's resident memory sampled
//! every ten seconds (bounded memory at full speed for ten minutes: `--seconds 600`).
//!
//! The lines are the Loghub-2k samples (`--samples`, default `../shared/data/loghub`) with
//! fresh numbers in every batch, from 20 hosts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use steward_app::App;

use super::{cpu_time, fixture, ms, percentile, rss_kib, start_server};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct LogBench {
    /// How long to send, in seconds
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Lines per request
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Senders posting at once
    #[arg(long, default_value_t = 2)]
    senders: usize,
    /// The Loghub samples' folder
    #[arg(long, default_value = "../shared/data/loghub")]
    samples: PathBuf,
}

fn samples(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for system in ["Apache", "BGL", "HDFS", "Hadoop", "Linux", "OpenSSH", "Spark", "Zookeeper"] {
        let path = dir.join(system).join(format!("{system}_2k.log"));
        let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        out.extend(text.lines().map(str::to_owned));
    }
    Ok(out)
}

/// A batch of JSON lines: samples from `start`, digits renewed from `seed`.
fn batch(lines: &[String], start: usize, size: usize, mut seed: u64) -> String {
    let mut body = String::with_capacity(size * 160);
    for i in 0..size {
        let line = &lines[(start + i) % lines.len()];
        let fresh: String = line
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from(b'0' + (seed % 10) as u8)
                } else {
                    c
                }
            })
            .collect();
        let record = serde_json::json!({"message": fresh, "host": format!("host-{:02}", (start + i) % 20), "source": "bench"});
        body.push_str(&record.to_string());
        body.push('\n');
    }
    body
}

pub async fn logs(config: Config, args: LogBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let lines = samples(&args.samples)?;
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (agent, _, _) = fixture(&app).await?;
    let token = app.tokens().issue(None, agent.id, "bench logs", "alerts", "1d").await?.secret;
    drop(app);
    let (child, base) = start_server(&config, &data_dir).await?;
    println!(
        "# steward bench logs — {backend}, sqlite_synchronous={}, {} senders, batches of {} JSON lines, {} s",
        config.sqlite_synchronous, args.senders, args.batch, args.seconds
    );
    // Batches are made ahead (64 distinct ones), so the senders measure the server.
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..64).map(|i| batch(&lines, i * args.batch, args.batch, 0x9e37_79b9 + i as u64)).collect(),
    );
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.senders).build()?;
    let sent = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let cpu_before = cpu_time(child.0.id());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..args.senders.max(1) {
        let (client, base, token, bodies, sent) =
            (client.clone(), base.clone(), token.clone(), bodies.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = s;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/ingest/logs"))
                    .bearer_auth(&token)
                    .header("content-type", "application/x-ndjson")
                    .body(bodies[i % bodies.len()].clone())
                    .send()
                    .await?;
                anyhow::ensure!(r.status() == 200, "ingest answered {}: {}", r.status(), r.text().await?);
                latencies.push(t.elapsed());
                sent.fetch_add(1, Ordering::Relaxed);
                i += args.senders.max(1);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let pid = child.0.id();
    let mut peak = 0u64;
    let mut samples_rss = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(10).min(deadline.saturating_duration_since(Instant::now())))
            .await;
        let rss = rss_kib(pid).unwrap_or(0) / 1024;
        peak = peak.max(rss);
        samples_rss.push(rss);
        println!(
            "  {:>4} s: {} batches stored, RSS {rss} MiB",
            started.elapsed().as_secs(),
            sent.load(Ordering::Relaxed)
        );
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let wall = started.elapsed();
    latencies.sort();
    let cpu = cpu_time(pid).zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    let total = latencies.len() * args.batch;
    println!(
        "lines: {total} in {:.1} s = {:.0} lines/s durable; per batch p50 {} p99 {}; server CPU {:.2} µs per line; RSS peak {peak} MiB (samples {samples_rss:?})",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        cpu.map_or(0.0, |c| c.as_secs_f64() * 1e6 / total.max(1) as f64),
    );
    // Every acknowledged line must be stored: the server is killed (no shutdown, no flush) and
    // the database read back. Hosts' counts are never cut by retention.
    drop(child);
    let app: App = crate::cli::open(&config).await?;
    let stored: i64 = app.store().log_hosts(None).await?.iter().map(|h| h.lines).sum();
    let lost = total as i64 - stored;
    println!(
        "acknowledged {total} lines; after killing the server, {stored} are stored: {} lost",
        lost.max(0)
    );
    Ok(if lost > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
