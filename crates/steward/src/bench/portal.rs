//! `steward bench portal` (issue 23's targets): over HTTP against `steward serve`,
//! 1. the portal home's search-as-you-type (`GET /portal/answers?q=…`, as a requester) with
//!    100,000 articles and 1,000,000 tickets — p99 ≤ 50 ms;
//! 2. ordering a catalogue item whose form has 50 fields (`POST /api/v1/catalogue/{id}/orders`)
//!    — p99 ≤ 50 ms;
//! 3. the leaderboard of a month of 1,000,000 tickets (a fifth of the resolved ones rated) —
//!    ≤ 300 ms.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};
use steward_app::requests::{Design, ItemSpec};
use steward_app::{Actor, App, Credential, NewUserInput};

use super::search::{Rng, load_articles, query};
use super::{drive, fixture, ms, percentile, rss_kib, start_server, time_gets};
use crate::config::Config;

#[derive(Args, Debug)]
pub struct PortalBench {
    /// Incidents bulk-loaded, created over the last 30 days (the leaderboard's month)
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Published knowledge articles (half for requesters)
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    /// Requests per measurement
    #[arg(long, default_value_t = 300)]
    queries: usize,
}

/// A form of 50 fields: text, numbers, choices, dates, some shown only when a choice says so.
fn fifty_fields() -> (Value, serde_json::Map<String, Value>) {
    let mut fields = Vec::new();
    let mut answers = serde_json::Map::new();
    for i in 0..50 {
        let key = format!("f{i:02}");
        let (field, answer) = match i % 5 {
            0 => (
                json!({ "key": key, "label": format!("Choice {i}"), "kind": "choice", "required": true,
                    "options": ["Standard", "Special", "Other"] }),
                json!("Special"),
            ),
            1 => (
                json!({ "key": key, "label": format!("Amount {i}"), "kind": "number", "min": 0, "max": 1000 }),
                json!(i * 7),
            ),
            2 => (
                json!({ "key": key, "label": format!("Detail {i}"), "kind": "text", "max_length": 200,
                    "show_if": { "field": format!("f{:02}", i - 2), "any_of": ["Special"] } }),
                json!("需要 docking station"),
            ),
            3 => (
                json!({ "key": key, "label": format!("Needed by {i}"), "kind": "date" }),
                json!("2027-03-01"),
            ),
            _ => (
                json!({ "key": key, "label": format!("Extras {i}"), "kind": "multi_choice",
                    "options": ["Dock", "Headset", "Mouse"] }),
                json!(["Dock", "Mouse"]),
            ),
        };
        fields.push(field);
        answers.insert(key, answer);
    }
    (Value::Array(fields), answers)
}

pub async fn portal(config: Config, args: PortalBench, data: Option<&Path>) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir()?;
    let data_dir: PathBuf = data.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().join("data"));
    let config = Config { data: data_dir.clone(), ..config };
    let app: App = crate::cli::open(&config).await?;
    let backend = app.store().engine();
    println!(
        "# steward bench portal — {backend}, {} incidents over 30 days + {} articles, {} requests per measurement",
        args.tickets, args.articles, args.queries
    );
    let (agent, teams, agent_token) = fixture(&app).await?;
    let admin = Actor {
        user: app
            .directory()
            .create_user(
                None,
                NewUserInput {
                    username: "bench.admin".into(),
                    role: "admin".into(),
                    password: "bench password 1".into(),
                    ..Default::default()
                },
            )
            .await?,
        credential: Credential::Direct,
    };
    let mut agents = vec![agent.id];
    for i in 1..24 {
        let a = app
            .directory()
            .create_user(
                None,
                NewUserInput {
                    username: format!("bench.agent{i}"),
                    role: "agent".into(),
                    password: "bench password 1".into(),
                    ..Default::default()
                },
            )
            .await?;
        app.directory().set_team_member(None, teams[i % teams.len()], a.id, true).await?;
        agents.push(a.id);
    }

    let t0 = Instant::now();
    let month_ms = 30 * 24 * 3600 * 1000;
    app.store().bulk_load_incidents(args.tickets, &teams, agent.id, jiff::Timestamp::now(), month_ms).await?;
    let rated = app.store().bulk_load_ratings(&agents).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let created = load_articles(&app, agent.id, args.articles, &mut rng).await?;
    println!(
        "load: {} incidents ({rated} rated), {created} articles in {:.1} s",
        args.tickets,
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let read = app.reports().prepare().await?.unwrap_or(0);
    let docs = app.search().reindex(|_| {}).await?;
    println!("rollup of {read} tickets and index of {docs} documents in {:.1} s", t0.elapsed().as_secs_f64());

    // The catalogue item with its 50-field form, and a requester to order it.
    let (fields, answers) = fifty_fields();
    let spec = ItemSpec {
        name: "Workplace setup".into(),
        name_zh: Some("工位配置".into()),
        category: "Hardware".into(),
        description: String::new(),
        audience: Vec::new(),
        delivery_hours: 48,
        team_id: Some(teams[1]),
        active: true,
    };
    let item = app.catalogue().create(Some(&admin), spec).await?;
    let design: Design = serde_json::from_value(json!({ "fields": fields,
        "plan": { "tasks": [{ "name": "Set it up", "team_id": teams[1], "stage": 1 }] } }))?;
    let version = app.catalogue().publish(Some(&admin), item.id, design).await?;
    let requester = app
        .directory()
        .create_user(
            None,
            NewUserInput {
                username: "bench.requester".into(),
                role: "requester".into(),
                password: "bench password 1".into(),
                ..Default::default()
            },
        )
        .await?;
    let requester_token = app.tokens().issue(None, requester.id, "bench", "read write", "1d").await?.secret;
    app.store().close().await;
    // The server opens the search index for writing: this process lets go of it first.
    drop(app);

    let (child, base) = start_server(&config, &data_dir).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;

    // 1. Search as one types: each query's first 2–9 characters, as the box sends them.
    let typed: Vec<String> = (0..args.queries)
        .map(|_| {
            let full = query(&mut rng);
            let n = 2 + (rng.next() % 8) as usize;
            full.chars().take(n).collect()
        })
        .collect();
    // A few searches first: the server's first opens its index readers.
    for q in ["VPN", "打印机", "password"] {
        client.get(answers_url(&base, q)?).bearer_auth(&requester_token).send().await?;
    }
    let urls: Vec<String> = typed.iter().map(|q| answers_url(&base, q)).collect::<anyhow::Result<_>>()?;
    time_gets(
        &client,
        &requester_token,
        "portal search-as-you-type /portal/answers (requester)",
        urls.len(),
        1,
        move |i| urls[i].clone(),
    )
    .await?;

    // 2. Orders of the 50-field form.
    let body = json!({ "form_version": version, "answers": answers });
    let url = format!("{base}/api/v1/catalogue/{}/orders", item.id);
    let (c, t) = (client.clone(), requester_token.clone());
    let (latencies, wall) = drive(args.queries, 1, move |_| {
        let (c, t, url, body) = (c.clone(), t.clone(), url.clone(), body.clone());
        async move {
            let r = c.post(&url).bearer_auth(&t).json(&body).send().await?;
            anyhow::ensure!(r.status() == 201, "order answered {}: {}", r.status(), r.text().await?);
            Ok(())
        }
    })
    .await?;
    println!(
        "order a 50-field form POST /api/v1/catalogue/{{id}}/orders: {} orders in {:.1} s; p50 {} p99 {} max {}",
        args.queries,
        wall.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );

    // 3. The month's leaderboard (teams and agents).
    let requests = (args.queries / 3).max(20);
    let api = format!("{base}/api/v1/leaderboard");
    time_gets(
        &client,
        &agent_token,
        "leaderboard JSON /api/v1/leaderboard (this month)",
        requests,
        1,
        move |_| api.clone(),
    )
    .await?;
    let page = format!("{base}/leaderboard");
    time_gets(&client, &agent_token, "leaderboard page /leaderboard", requests, 1, move |_| page.clone())
        .await?;
    if let Some(kib) = rss_kib(child.0.id()) {
        println!("server RSS: {:.1} MB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}

/// The portal's answers box for `q` (reqwest's `Url` encodes the query).
fn answers_url(base: &str, q: &str) -> anyhow::Result<String> {
    Ok(reqwest::Url::parse_with_params(&format!("{base}/portal/answers"), [("q", q)])?.to_string())
}
