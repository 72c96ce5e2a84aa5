//! The `steward` binary: command-line parsing, configuration and wiring. The logic lives in
//! the library crates; this crate is glue.

#![forbid(unsafe_code)]

mod bench;
mod cli;
mod config;
mod serve;

/// mimalloc instead of glibc's allocator: under a create load glibc's `malloc`/`free` (with
/// `malloc_consolidate`) took about a tenth of the server's CPU (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "steward", version, about = "IT service management and AIOps in one binary")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every subcommand accepts, before or after its name.
#[derive(Args, Debug)]
struct GlobalArgs {
    /// Data folder for the embedded database [default: ./steward-data]
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user:pass@host/db); overrides the embedded SQLite database
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Configuration file [default: ./steward.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web UI, the API and the background worker
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Seed the demo organisation first when the service desk is empty
        #[arg(long)]
        demo: bool,
    },
    /// Seed a demo IT organisation (teams, people, incidents in every state) and exit
    Demo,
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Manage users
    #[command(subcommand)]
    User(cli::UserCommand),
    /// Manage teams
    #[command(subcommand)]
    Team(cli::TeamCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(cli::TokenCommand),
    /// Work with the audit trail
    #[command(subcommand)]
    Audit(cli::AuditCommand),
    /// Measure whole-system performance over HTTP on 127.0.0.1
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Import data: `steward import cmdb FILE [--dry-run]`, `steward import kb FILE|FOLDER`
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data: `steward export cmdb [--format json|csv] [--relations]`, `steward export kb`
    #[command(subcommand)]
    Export(ExportCommand),
    /// Changes: `steward change record --ci NAME --version V` records a deployment
    #[command(subcommand)]
    Change(cli::change::ChangeCommand),
    /// Runbooks: `steward runbook validate FILE` checks a definition
    #[command(subcommand)]
    Runbook(cli::runbook::RunbookCommand),
    /// Logs: `steward logs parse FILE|-` mines templates, one message per line, as CSV
    #[command(subcommand)]
    Logs(cli::logs::LogsCommand),
    /// Build this node's search index anew from the database (stop the server first)
    Reindex,
    /// Print the API's OpenAPI 3.1 document (what `GET /api/openapi.json` serves)
    Openapi,
    /// Copy the database (online on SQLite; pg_dump on PostgreSQL) and the anchor log to FILE
    Backup { file: std::path::PathBuf },
    /// Restore a backup into a fresh data folder or an empty database, then verify it
    Restore { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// CIs and relationships from CSV or JSON; every row checked, nothing written on an error
    Cmdb(cli::cmdb::ImportArgs),
    /// Knowledge articles from JSON lines or a folder of Markdown files with front matter
    Kb(cli::kb::ImportArgs),
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// CIs and relationships as JSON, or as CSV (the import formats)
    Cmdb(cli::cmdb::ExportArgs),
    /// Knowledge articles as JSON lines (the import format)
    Kb(cli::kb::ExportArgs),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Create incidents over HTTP, then query a large incident table
    Incidents(bench::IncidentBench),
    /// The search index with a million tickets and a hundred thousand articles
    Search(bench::SearchBench),
    /// The portal: search as one types, a 50-field order, the month's leaderboard, over HTTP
    Portal(bench::PortalBench),
    /// Rank the judged queries of docs/bench/relevance (scored by its compare.py)
    Relevance(bench::RelevanceBench),
    /// Recompute the SLA state of many open tickets with the core clock
    Sla(bench::SlaBench),
    /// The report dashboard over a large bulk-loaded incident table, over HTTP
    Reports(bench::ReportBench),
    /// Import a large CMDB, then impact analysis and CI pages over HTTP
    Cmdb(bench::CmdbBench),
    /// Conflict detection against many scheduled changes over a large CMDB, and the calendar
    Changes(bench::ChangeBench),
    /// Runbooks: scheduled runs' start drift, the executor's per-step time, the runs page
    Runbooks(bench::RunbookBench),
    /// Log lines through `POST /ingest/logs` for a while: lines/s durable, latency, memory
    Logs(bench::LogBench),
    /// Alertmanager webhooks of 50 alerts (20 % new), 4 senders: alerts/s and latency
    Alerts(bench::AlertBench),
    /// Render adversarial Markdown at growing sizes: time per KiB stays flat
    Markdown(bench::MarkdownBench),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let overrides = config::Overrides {
        data: cli.global.data.clone(),
        database_url: cli.global.database_url.clone(),
        listen,
    };
    let config = match config::Config::load(cli.global.config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { demo, .. } => serve::run(config, demo).await,
            Command::Demo => cli::demo(&config).await,
            Command::Migrate => cli::migrate(&config).await,
            Command::User(c) => cli::user(&config, c).await,
            Command::Team(c) => cli::team(&config, c).await,
            Command::Token(c) => cli::token(&config, c).await,
            Command::Audit(c) => cli::audit(&config, c).await,
            Command::Backup { file } => cli::backup::backup(&config, &file).await,
            Command::Restore { file } => cli::backup::restore(&config, &file).await,
            Command::Import(ImportCommand::Cmdb(args)) => cli::cmdb::import(&config, args).await,
            Command::Export(ExportCommand::Cmdb(args)) => cli::cmdb::export(&config, args).await,
            Command::Import(ImportCommand::Kb(args)) => cli::kb::import(&config, args).await,
            Command::Export(ExportCommand::Kb(args)) => cli::kb::export(&config, args).await,
            Command::Reindex => cli::kb::reindex(&config).await,
            Command::Change(c) => cli::change::run(&config, c).await,
            Command::Runbook(c) => cli::runbook::run(c),
            Command::Logs(c) => cli::logs::run(c),
            Command::Openapi => {
                println!("{:#}", steward_http::openapi_document());
                Ok(ExitCode::SUCCESS)
            }
            Command::Bench(BenchCommand::Sla(args)) => bench::sla(args),
            Command::Bench(BenchCommand::Markdown(args)) => bench::markdown(args),
            Command::Bench(BenchCommand::Alerts(args)) => {
                bench::alerts(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Cmdb(args)) => {
                bench::cmdb(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Changes(args)) => {
                bench::changes(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Logs(args)) => {
                bench::logs(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Runbooks(args)) => {
                bench::runbooks(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Reports(args)) => {
                bench::reports(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Relevance(args)) => bench::relevance(args),
            Command::Bench(BenchCommand::Portal(args)) => {
                bench::portal(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Search(args)) => {
                bench::search(config, args, cli.global.data.as_deref()).await
            }
            Command::Bench(BenchCommand::Incidents(args)) => {
                bench::incidents(config, args, cli.global.data.as_deref()).await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", cli::describe(&e));
            ExitCode::FAILURE
        }
    }
}
