//! `steward change record`: a deployment from Jenkins or a script, recorded as a standard
//! change on the named CIs (the same rules as `POST /hooks/deployments`: checked against
//! freezes and other changes, refused or flagged as the desk's `deployment_conflicts` says).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use steward_app::changes::Deployment;
use steward_core::changes::Outcome;
use steward_core::identity::Username;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum ChangeCommand {
    /// Record a deployment as a standard change
    Record(RecordArgs),
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// A CI it changes (name, host name or external id); repeat for several
    #[arg(long = "ci", required = true)]
    cis: Vec<String>,
    /// The version it ships
    #[arg(long)]
    version: String,
    /// A link to its commit or pipeline run
    #[arg(long, default_value = "")]
    commit_url: String,
    /// Its title (default: "Deploy VERSION")
    #[arg(long, default_value = "")]
    title: String,
    /// running, success, failed or canceled
    #[arg(long, default_value = "success")]
    status: String,
    /// When it started (RFC 3339; default: now)
    #[arg(long)]
    started_at: Option<String>,
    /// When it ended (RFC 3339; default: now)
    #[arg(long)]
    finished_at: Option<String>,
    /// The user it is recorded as (who ran the pipeline)
    #[arg(long, default_value = "admin")]
    user: String,
}

fn instant(flag: &str, s: &Option<String>) -> anyhow::Result<Option<jiff::Timestamp>> {
    s.as_deref()
        .map(|t| t.trim().parse().map_err(|_| anyhow::anyhow!("--{flag}: `{t}` is not an RFC 3339 time")))
        .transpose()
}

pub async fn run(config: &Config, command: ChangeCommand) -> anyhow::Result<ExitCode> {
    let ChangeCommand::Record(a) = command;
    let outcome = match a.status.as_str() {
        "running" => None,
        "success" => Some(Outcome::Successful),
        "failed" => Some(Outcome::Failed),
        "canceled" | "cancelled" => Some(Outcome::BackedOut),
        other => anyhow::bail!("--status: `{other}` is not running, success, failed or canceled"),
    };
    let deployment = Deployment {
        title: a.title,
        description: String::new(),
        cis: a.cis,
        version: a.version,
        commit_url: a.commit_url,
        started_at: instant("started-at", &a.started_at)?,
        finished_at: instant("finished-at", &a.finished_at)?,
        outcome,
    };
    let app = super::open(config).await?;
    let name = Username::parse(&a.user).map_err(|e| anyhow::anyhow!("--user: {e}"))?;
    let user = app
        .store()
        .user_by_username(&name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--user: no user `{}`", a.user))?;
    let actor = steward_app::Actor { user, credential: steward_app::Credential::Direct };
    let recorded = app.changes().record_deployment(&actor, deployment).await?;
    println!(
        "{} recorded ({}){}",
        recorded.change.number,
        recorded.change.state,
        if recorded.flagged.is_empty() {
            String::new()
        } else {
            format!("; flagged: {}", recorded.flagged.iter().map(|c| c.key()).collect::<Vec<_>>().join(", "))
        }
    );
    Ok(ExitCode::SUCCESS)
}
