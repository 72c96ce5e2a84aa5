//! `steward import cmdb FILE` and `steward export cmdb`: the CMDB in and out as CSV or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use steward_app::cmdb::parse_any;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A `.json` file (`{"cis": […], "relations": […]}`), or a CSV of CIs
    /// (`external_id,class,name[,status,criticality],<attribute>…`) or of relationships
    /// (`from,kind,to`)
    file: PathBuf,
    /// Check every row and report, but write nothing
    #[arg(long)]
    dry_run: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// With `--format csv`: the relationships instead of the CIs
    #[arg(long)]
    relations: bool,
    /// Write here instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub async fn import(config: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let file = match parse_any(&text, args.file.extension().is_some_and(|e| e == "json")) {
        Ok(f) => f,
        Err(errors) => {
            for e in &errors {
                eprintln!("row {}, column `{}`: {}", e.row, e.column, e.reason);
            }
            eprintln!("{} error(s); nothing imported", errors.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let app = super::open(config).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows written ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = app.cmdb().import(None, file, args.dry_run, &progress).await?;
    bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("row {}, column `{}`: {}", e.row, e.column, e.reason);
    }
    let verb = if args.dry_run || !report.errors.is_empty() { "would be" } else { "were" };
    println!(
        "{} CIs {verb} created, {} updated, {} unchanged; {} relationships {verb} added",
        report.created, report.updated, report.unchanged, report.relations_added
    );
    if !report.errors.is_empty() {
        eprintln!("{} error(s); nothing imported", report.errors.len());
        return Ok(ExitCode::FAILURE);
    }
    if args.dry_run {
        println!("dry run: nothing written");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export(config: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let app = super::open(config).await?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&app.cmdb().export_json(None).await?)?,
        Format::Csv => app.cmdb().export_csv(None, args.relations).await?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
