//! `steward bench search`: the search index at scale (issue 19). Loads synthetic incidents and
//! articles of mixed Chinese and English text into a fresh SQLite data folder (or the
//! configured database), rebuilds the index and reports its rate, then times searches and
//! suggestions as an agent and as a requester, and how soon a commit is found by the server's
//! catch-up loop.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use steward_app::knowledge::ImportLine;
use steward_app::search::SearchQuery;
use steward_app::{Actor, App, Credential};

use super::{ms, percentile};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct SearchBench {
    /// Incidents to load
    #[arg(long, default_value_t = 1_000_000)]
    tickets: usize,
    /// Knowledge articles to load
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    /// Searches (and suggestions) timed
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
}

/// A small deterministic generator (xorshift64*): the same corpus on every run.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const SYSTEMS_EN: &[&str] = &[
    "Outlook",
    "Exchange",
    "VPN",
    "Wi-Fi",
    "printer",
    "payroll system",
    "SAP ERP",
    "database",
    "connection pool",
    "file share",
    "Kubernetes pod",
    "load balancer",
    "DNS",
    "backup job",
    "certificate",
    "Teams",
    "laptop",
    "SSO",
    "MFA token",
    "disk",
    "web server",
    "API gateway",
    "mail queue",
    "CRM",
    "HR portal",
];
const SYMPTOMS_EN: &[&str] = &[
    "keeps asking for the password",
    "times out",
    "is very slow",
    "returns error 500",
    "is out of disk space",
    "disconnects every hour",
    "certificate expired",
    "account locked out",
    "cannot connect",
    "crashes on start",
    "shows a blank page",
    "sync fails",
    "jobs failed overnight",
    "memory usage keeps growing",
    "login fails",
];
const PLACES_EN: &[&str] = &[
    "in Beijing office",
    "on floor 3",
    "for the finance team",
    "after the update",
    "since Monday",
    "for remote staff",
];
const SYSTEMS_ZH: &[&str] = &[
    "邮件系统",
    "Outlook",
    "VPN",
    "无线网络",
    "打印机",
    "工资系统",
    "ERP",
    "数据库",
    "数据库连接池",
    "文件共享",
    "容器",
    "负载均衡",
    "域名解析",
    "备份任务",
    "证书",
    "钉钉",
    "企业微信",
    "笔记本电脑",
    "单点登录",
    "磁盘",
    "网站",
    "接口网关",
];
const SYMPTOMS_ZH: &[&str] = &[
    "一直提示输入密码",
    "连接超时",
    "响应很慢",
    "报错500",
    "磁盘空间不足",
    "频繁断开",
    "证书过期",
    "账号被锁定",
    "无法连接",
    "启动就崩溃",
    "页面空白",
    "同步失败",
    "夜间任务失败",
    "内存持续增长",
    "登录失败",
];
const PLACES_ZH: &[&str] = &["北京办公室", "三楼", "财务部", "升级之后", "从周一开始", "远程办公人员"];

pub(super) fn text(rng: &mut Rng) -> (String, String) {
    if rng.next().is_multiple_of(2) {
        let (s, p, w) = (rng.pick(SYSTEMS_EN), rng.pick(SYMPTOMS_EN), rng.pick(PLACES_EN));
        let title = format!("{s} {p} {w}");
        let body = format!(
            "Users report that the {s} {p}. It started {w} and affects host-{}. We tried restarting the {} without success.",
            rng.next() % 5000,
            rng.pick(SYSTEMS_EN)
        );
        (title, body)
    } else {
        let (s, p, w) = (rng.pick(SYSTEMS_ZH), rng.pick(SYMPTOMS_ZH), rng.pick(PLACES_ZH));
        let title = format!("{w}{s}{p}");
        let body = format!(
            "用户反馈{s}{p}，影响主机 host-{}。已尝试重启{}，问题仍然存在，请尽快处理。",
            rng.next() % 5000,
            rng.pick(SYSTEMS_ZH)
        );
        (title, body)
    }
}

pub(super) fn query(rng: &mut Rng) -> String {
    match rng.next() % 4 {
        0 => format!(
            "{} {}",
            rng.pick(SYSTEMS_EN),
            rng.pick(SYMPTOMS_EN).split(' ').next().unwrap_or_default()
        ),
        1 => rng.pick(SYMPTOMS_EN).to_owned(),
        2 => format!("{}{}", rng.pick(SYSTEMS_ZH), rng.pick(SYMPTOMS_ZH)),
        _ => rng.pick(SYMPTOMS_ZH).to_owned(),
    }
}

/// Imports `n` published articles of mixed languages, half for requesters; returns how many.
pub(super) async fn load_articles(
    app: &App,
    author: steward_core::ids::UserId,
    n: usize,
    rng: &mut Rng,
) -> anyhow::Result<usize> {
    let lines: Vec<(String, ImportLine)> = (0..n)
        .map(|i| {
            let (title, body) = text(rng);
            let audience = if i % 2 == 0 { "requesters" } else { "agents" };
            let line = ImportLine {
                title,
                body,
                audience: audience.into(),
                state: Some("published".into()),
                ..Default::default()
            };
            (i.to_string(), line)
        })
        .collect();
    let report = app.knowledge().import(author, lines, |_| {}).await?;
    anyhow::ensure!(report.errors.is_empty(), "article import: {:?}", report.errors.first());
    Ok(report.created)
}

fn actor(user: steward_core::identity::User) -> Actor {
    Actor { user, credential: Credential::Direct }
}

pub async fn search(config: Config, args: SearchBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    println!(
        "# steward bench search — {}, {} incidents + {} articles, {} queries",
        app.store().engine(),
        args.tickets,
        args.articles,
        args.queries
    );
    let (agent, teams, _) = super::fixture(&app).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t0 = Instant::now();
    let mut left = args.tickets;
    while left > 0 {
        let n = left.min(50_000);
        let texts: Vec<(String, String)> = (0..n).map(|_| text(&mut rng)).collect();
        app.store()
            .bulk_load_texts(&texts, &teams, agent.id, jiff::Timestamp::now(), 365 * 24 * 3600 * 1000)
            .await?;
        left -= n;
    }
    let created = load_articles(&app, agent.id, args.articles, &mut rng).await?;
    println!(
        "load: {} incidents and {created} articles in {:.1} s",
        args.tickets,
        t0.elapsed().as_secs_f64()
    );

    let t0 = Instant::now();
    let docs = app.search().reindex(|_| {}).await?;
    let secs = t0.elapsed().as_secs_f64();
    println!("reindex: {docs} documents in {secs:.1} s = {:.0} documents/s", docs as f64 / secs);

    let requester = app
        .directory()
        .create_user(
            None,
            steward_app::NewUserInput {
                username: "bench.requester".into(),
                role: "requester".into(),
                password: "bench password 1".into(),
                ..Default::default()
            },
        )
        .await?;
    for (who, actor) in [("agent", actor(agent.clone())), ("requester", actor(requester))] {
        let mut latencies = Vec::with_capacity(args.queries);
        let mut hits = 0;
        for _ in 0..args.queries {
            let q = SearchQuery { text: query(&mut rng), limit: 20, ..SearchQuery::default() };
            let t = Instant::now();
            let found = app.search().query(&actor, &q).await?;
            latencies.push(t.elapsed());
            hits += found.hits.len();
        }
        latencies.sort();
        println!(
            "search as {who}: p50 {} p99 {} max {} ({:.1} hits per query)",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(percentile(&latencies, 1.0)),
            hits as f64 / args.queries as f64
        );
        let mut latencies = Vec::with_capacity(args.queries);
        for _ in 0..args.queries {
            let full = query(&mut rng);
            let typed: String = full.chars().take(2 + (rng.next() % 8) as usize).collect();
            let t = Instant::now();
            app.search().suggest(&actor, &typed, None).await?;
            latencies.push(t.elapsed());
        }
        latencies.sort();
        println!(
            "suggestions as {who} (3 searches, the last word a prefix): p50 {} p99 {} max {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(percentile(&latencies, 1.0))
        );
    }

    // A commit, found by the server's catch-up loop (every 500 ms) without a search asking.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let feed_app = app.clone();
    let feed =
        tokio::spawn(async move { feed_app.run_search_feed(Duration::from_millis(500), stopped).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut waits = Vec::new();
    for i in 0..10 {
        let input = steward_app::NewIncident {
            title: format!("Fresh incident zebra{i} after the commit"),
            team_id: Some(teams[0]),
            ..Default::default()
        };
        app.incidents().create(&actor(agent.clone()), input).await?;
        let head = app.store().event_head().await?;
        let t = Instant::now();
        while app.search().cursor().await?.unwrap_or(0) < head {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waits.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(rng.next() % 400)).await;
    }
    let _ = stop.send(true);
    let _ = feed.await;
    waits.sort();
    println!(
        "a commit in the index (catch-up loop every 500 ms; a search catches up itself): p50 {} max {}",
        ms(percentile(&waits, 0.5)),
        ms(percentile(&waits, 1.0))
    );
    Ok(ExitCode::SUCCESS)
}
