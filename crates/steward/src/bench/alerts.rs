//! `steward bench alerts`: Alertmanager webhooks of 50 alerts, 20 % new and 80 % repeats, from
//! 4 concurrent senders, against `steward serve` over 127.0.0.1 (issue 18). Each webhook is a
//! group (of `--groups`), as Alertmanager sends them; a group's first critical or warning alert
//! opens its incident and the rest join it. Alerts are acknowledged only once committed
//! (SQLite `synchronous=full` unless configured otherwise).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};
use steward_app::App;

use super::{cpu_time, drive, fixture, ms, percentile, rss_kib, start_server};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct AlertBench {
    /// Webhooks measured
    #[arg(long, default_value_t = 4_000)]
    webhooks: usize,
    /// Alerts per webhook
    #[arg(long, default_value_t = 50)]
    alerts: usize,
    /// Share of each webhook's alerts seen for the first time
    #[arg(long, default_value_t = 0.2)]
    new_share: f64,
    /// Senders posting at once
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Alertmanager groups (each webhook is one group's)
    #[arg(long, default_value_t = 200)]
    groups: usize,
}

/// One alert of group `g`, number `n`.
fn alert(g: usize, n: usize) -> Value {
    let severity = match n % 10 {
        0 => "critical",
        1..=4 => "warning",
        _ => "info",
    };
    json!({
        "status": "firing",
        "labels": { "alertname": format!("Bench{}", g % 40), "instance": format!("host-{g}-{}:9100", n % 50),
                    "job": "node", "severity": severity, "group": format!("g{g}") },
        "annotations": { "summary": format!("Bench alert {n} of group {g}") },
        "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.bench/graph",
        "fingerprint": format!("{g:04x}{n:08x}"),
    })
}

fn webhook(g: usize, alerts: Vec<Value>) -> String {
    json!({
        "version": "4", "groupKey": format!("{{}}:{{group=\"g{g}\"}}"), "status": "firing", "receiver": "steward",
        "groupLabels": { "group": format!("g{g}") }, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.bench", "truncatedAlerts": 0, "alerts": alerts,
    })
    .to_string()
}

pub async fn alerts(config: Config, args: AlertBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (agent, _, _) = fixture(&app).await?;
    let token = app.tokens().issue(None, agent.id, "bench alerts", "alerts", "1d").await?.secret;
    drop(app);
    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.senders).build()?;
    let per = args.alerts.max(1);
    let new = ((per as f64 * args.new_share).round() as usize).clamp(1, per);
    println!(
        "# steward bench alerts — {backend}, sqlite_synchronous={}, {} senders, {} webhooks of {per} alerts ({new} new, {} repeats), {} groups",
        config.sqlite_synchronous,
        args.senders,
        args.webhooks,
        per - new,
        args.groups
    );

    // Every group first fires `per` alerts (its incident opens), so that measured webhooks have
    // alerts to repeat; then each measured webhook of group g brings `new` alerts and repeats
    // the group's latest `per - new`.
    let groups = args.groups.max(1);
    let mut bodies = Vec::with_capacity(groups + args.webhooks);
    let mut seen = vec![0usize; groups];
    for (g, count) in seen.iter_mut().enumerate() {
        bodies.push(webhook(g, (0..per).map(|n| alert(g, n)).collect()));
        *count = per;
    }
    for i in 0..args.webhooks {
        let g = i % groups;
        let first_new = seen[g];
        let mut list: Vec<Value> = (first_new - (per - new)..first_new).map(|n| alert(g, n)).collect();
        list.extend((first_new..first_new + new).map(|n| alert(g, n)));
        seen[g] += new;
        bodies.push(webhook(g, list));
    }
    let bodies = Arc::new(bodies);
    let post = {
        let (c, b, t, bodies) = (client.clone(), base.clone(), token.clone(), bodies.clone());
        move |offset: usize| {
            let (c, b, t, bodies) = (c.clone(), b.clone(), t.clone(), bodies.clone());
            move |i: usize| {
                let (c, b, t, bodies) = (c.clone(), b.clone(), t.clone(), bodies.clone());
                async move {
                    let r = c
                        .post(format!("{b}/hooks/alertmanager"))
                        .bearer_auth(&t)
                        .header("content-type", "application/json")
                        .body(bodies[offset + i].clone())
                        .send()
                        .await?;
                    anyhow::ensure!(
                        r.status() == 200,
                        "webhook answered {}: {}",
                        r.status(),
                        r.text().await?
                    );
                    Ok(())
                }
            }
        }
    };
    let t0 = Instant::now();
    let (warm, _) = drive(groups, args.senders, post(0)).await?;
    println!(
        "first firing of each group: {groups} webhooks of {per} new alerts in {:.2} s (opens the incidents); p50 {} p99 {}",
        t0.elapsed().as_secs_f64(),
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99))
    );
    let cpu_before = cpu_time(child.0.id());
    let (latencies, wall) = drive(args.webhooks, args.senders, post(groups)).await?;
    let cpu = cpu_time(child.0.id()).zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    let total = args.webhooks * per;
    println!(
        "alerts: {total} in {:.2} s = {:.0} alerts/s ({:.0} webhooks/s); per webhook p50 {} p99 {} max {}; server CPU {:.0} µs per alert; RSS {} MiB",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        args.webhooks as f64 / wall.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0)),
        cpu.map_or(0.0, |c| c.as_secs_f64() * 1e6 / total.max(1) as f64),
        rss_kib(child.0.id()).unwrap_or(0) / 1024
    );
    Ok(ExitCode::SUCCESS)
}
