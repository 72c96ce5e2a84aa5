//! `steward bench cmdb`: a realistic topology imported through the real import path, then
//! impact analysis and CI pages over HTTP, and the same impact as one recursive SQL query.
//!
//! Topology for `--cis 1000000`: business services depend on applications (two each), each
//! application depends on a database and runs on about twenty VMs, each VM runs on a server
//! and depends on its application's database, servers sit in a location and connect to a
//! switch; the relationships are topped up to `--relations` with VMs connecting to switches.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use steward_app::App;
use steward_app::cmdb::parse_csv;
use steward_core::ids::CiId;

use super::{fixture, ms, percentile, rss_kib, start_server, time_gets};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct CmdbBench {
    /// Configuration items to import
    #[arg(long, default_value_t = 1_000_000)]
    cis: usize,
    /// Relationships to import (at least about three per CI)
    #[arg(long, default_value_t = 3_000_000)]
    relations: usize,
    /// Requests measured per query
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

/// How many CIs of each class, for `total` CIs.
fn shape(total: usize) -> [(&'static str, usize); 7] {
    let services = (total / 500).max(1);
    let apps = (total / 25).max(1);
    let dbs = (total / 50).max(1);
    let servers = (total / 10).max(1);
    let switches = (total / 1000).max(1);
    let locations = (total / 10_000).max(1);
    let vms = total.saturating_sub(services + apps + dbs + servers + switches + locations).max(1);
    [
        ("business_service", services),
        ("application", apps),
        ("database", dbs),
        ("server", servers),
        ("network_device", switches),
        ("location", locations),
        ("virtual_machine", vms),
    ]
}

pub(super) fn generate(total: usize, relations: usize) -> (String, String, usize) {
    let [(_, services), (_, apps), (_, dbs), (_, servers), (_, switches), (_, locations), (_, vms)] =
        shape(total);
    let mut cis = String::from("external_id,class,name,hostname,ip_address\n");
    let ip = |n: usize| format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    for i in 0..services {
        let _ = writeln!(cis, "svc-{i},business_service,Service {i},,");
    }
    for i in 0..apps {
        let _ = writeln!(cis, "app-{i},application,app-{i},,");
    }
    for i in 0..dbs {
        let _ = writeln!(cis, "db-{i},database,db-{i},,");
    }
    for i in 0..servers {
        let _ = writeln!(cis, "srv-{i},server,srv-{i},srv-{i},{}", ip(i));
    }
    for i in 0..switches {
        let _ = writeln!(cis, "sw-{i},network_device,sw-{i},sw-{i},");
    }
    for i in 0..locations {
        let _ = writeln!(cis, "loc-{i},location,DC {i},,");
    }
    for i in 0..vms {
        let _ = writeln!(cis, "vm-{i},virtual_machine,vm-{i},vm-{i},{}", ip(servers + i));
    }
    let mut rel = String::from("from,kind,to\n");
    let edge = |rel: &mut String, from: String, kind: &str, to: String| {
        let _ = writeln!(rel, "{from},{kind},{to}");
    };
    for a in 0..apps {
        edge(&mut rel, format!("svc-{}", a % services), "depends_on", format!("app-{a}"));
        edge(&mut rel, format!("svc-{}", (a * 7 + 1) % services), "depends_on", format!("app-{a}"));
        edge(&mut rel, format!("app-{a}"), "depends_on", format!("db-{}", a % dbs));
    }
    for d in 0..dbs {
        edge(&mut rel, format!("db-{d}"), "runs_on", format!("srv-{}", d % servers));
    }
    for s in 0..servers {
        edge(&mut rel, format!("srv-{s}"), "located_in", format!("loc-{}", s % locations));
        edge(&mut rel, format!("srv-{s}"), "connects_to", format!("sw-{}", s % switches));
    }
    for v in 0..vms {
        let app = v % apps;
        edge(&mut rel, format!("app-{app}"), "runs_on", format!("vm-{v}"));
        edge(&mut rel, format!("vm-{v}"), "runs_on", format!("srv-{}", v % servers));
        edge(&mut rel, format!("vm-{v}"), "depends_on", format!("db-{}", app % dbs));
    }
    let mut n = rel.lines().count() - 1;
    let mut v = 0;
    while n < relations && v < vms {
        n += 1;
        edge(&mut rel, format!("vm-{v}"), "connects_to", format!("sw-{}", v % switches));
        v += 1;
    }
    (cis, rel, servers)
}

pub async fn cmdb(config: Config, args: CmdbBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    let (_, _, token) = fixture(&app).await?;
    let (cis_csv, rel_csv, servers) = generate(args.cis, args.relations);
    println!("# steward bench cmdb — {backend}, {} CIs", args.cis);

    // Where the import's time goes: parsing alone, then a dry run (parse and every check),
    // then the import itself (parse, checks, writes), which is the figure.
    let t0 = Instant::now();
    let file = parse_csv(&cis_csv).map_err(|e| anyhow::anyhow!("{:?}", e.first()))?;
    let parse = t0.elapsed().as_secs_f64();
    let dry = app.cmdb().import(None, file, true, &|_, _| {}).await?;
    let checks = t0.elapsed().as_secs_f64() - parse;
    anyhow::ensure!(dry.errors.is_empty(), "import errors: {:?}", dry.errors.first());
    let t0 = Instant::now();
    let file = parse_csv(&cis_csv).map_err(|e| anyhow::anyhow!("{:?}", e.first()))?;
    let report = app.cmdb().import(None, file, false, &|_, _| {}).await?;
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "import CIs: {} in {secs:.1} s = {:.0} CIs/s (parse, check, insert, one event each; \
         of which parsing {parse:.1} s, checks {checks:.1} s as a dry run shows)",
        report.created,
        report.created as f64 / secs
    );
    let t0 = Instant::now();
    let file = parse_csv(&rel_csv).map_err(|e| anyhow::anyhow!("{:?}", e.first()))?;
    let report = app.cmdb().import(None, file, false, &|_, _| {}).await?;
    anyhow::ensure!(report.errors.is_empty(), "import errors: {:?}", report.errors.first());
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "import relationships: {} in {secs:.1} s = {:.0}/s",
        report.relations_added,
        report.relations_added as f64 / secs
    );
    drop((cis_csv, rel_csv));

    // The servers' ids: import order makes them consecutive after the services, apps and dbs.
    let first_server =
        app.store().ci_by_external_id("srv-0").await?.ok_or_else(|| anyhow::anyhow!("srv-0 missing"))?.id;
    let pick = move |i: usize| CiId(first_server.get() + ((i * 7919) % servers) as i64);

    // In process, the same servers: one recursive CTE for the CI set; the level-by-level walk
    // (one query per level, what impact analysis falls back to for a huge neighbourhood); and
    // the whole impact operation as the API runs it (the walk over the neighbourhood fetched in
    // one query, then the CIs' rows and their open incidents).
    let actor =
        app.tokens().token_actor(&token).await?.ok_or_else(|| anyhow::anyhow!("bench token refused"))?;
    let [mut cte_times, mut level_times, mut impact_times] = [(); 3].map(|_| Vec::new());
    let mut hits = 0;
    for i in 0..args.queries.min(100) {
        let id = pick(i);
        let t = Instant::now();
        let n = app.store().downstream_by_cte(id, 6).await?.len();
        cte_times.push(t.elapsed());
        let t = Instant::now();
        let mut walk =
            steward_core::cmdb::ImpactWalk::new(&[id], steward_core::cmdb::Direction::Downstream, 6, 5_000);
        while !walk.frontier().is_empty() {
            let edges = app.store().edges_touching(walk.frontier()).await?;
            walk.expand(&edges);
        }
        level_times.push(t.elapsed());
        let t = Instant::now();
        let impact = app.cmdb().impact(&actor, id, "downstream", 6).await?;
        impact_times.push(t.elapsed());
        anyhow::ensure!(walk.hits().len() == n, "level walk and CTE disagree for CI {id}");
        anyhow::ensure!(impact.hits.len() == n, "impact and CTE disagree for CI {id}");
        hits += n;
    }
    println!(
        "in process, depth 6 downstream from a server ({} hits on average):",
        hits / cte_times.len().max(1)
    );
    for (name, times) in [
        ("one recursive CTE, CI ids only", &mut cte_times),
        ("level-by-level walk", &mut level_times),
        ("impact operation (one-query walk, CI rows, incidents)", &mut impact_times),
    ] {
        times.sort();
        println!("  {name}: p50 {} p99 {}", ms(percentile(times, 0.5)), ms(percentile(times, 0.99)));
    }
    app.store().close().await;

    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::new();
    for (name, path) in [
        ("impact API, depth 6 downstream", "/api/v1/cis/{id}/impact?direction=downstream&depth=6"),
        ("CI page /cmdb/{id}", "/cmdb/{id}"),
        ("impact page with the SVG graph", "/cmdb/{id}/impact"),
    ] {
        let b = base.clone();
        let url = move |i: usize| format!("{b}{}", path.replace("{id}", &pick(i).to_string()));
        time_gets(&client, &token, name, args.queries, 1, url).await?;
    }
    if let Some(kib) = rss_kib(child.0.id()) {
        println!("server RSS: {:.1} MB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}
