//! The administrative subcommands. They act on the database directly as the operator of the
//! server (no sign-in), and every change they make is recorded in the event log as `system`.

pub mod backup;
pub mod change;
pub mod cmdb;
pub mod kb;
pub mod logs;
pub mod runbook;

use std::io::Read;
use std::process::ExitCode;

use clap::Subcommand;
use steward_app::{App, AppError, NewUserInput};
use steward_store::Store;

use crate::config::Config;

/// Connects to the configured database and brings its schema up to date.
pub async fn open(config: &Config) -> anyhow::Result<App> {
    let url = config.database_url()?;
    let store = Store::connect(&url, &config.store())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    store.migrate().await.map_err(|e| anyhow::anyhow!("cannot migrate the database: {e}"))?;
    Ok(App::new(store, config.app()))
}

/// A one-line message for the terminal, naming the field when the input was at fault.
pub fn describe(err: &anyhow::Error) -> String {
    match err.downcast_ref::<AppError>() {
        Some(AppError::Invalid { field, message }) => format!("{field}: {message}"),
        Some(AppError::Conflict { field: Some(field), message }) => format!("{field}: {message}"),
        _ => format!("{err:#}"),
    }
}

pub async fn seed_demo(app: &App) -> anyhow::Result<()> {
    if app.seed_demo().await? {
        println!(
            "Demo data seeded: 4 teams, 15 people, 15 incidents. Every demo user's password is `{}` \
             (try li.wei, an agent, or liu.yang, a requester).",
            steward_app::demo::DEMO_PASSWORD
        );
    } else {
        println!("Demo data not seeded: this service desk already has incidents.");
    }
    Ok(())
}

pub async fn demo(config: &Config) -> anyhow::Result<ExitCode> {
    let app = open(config).await?;
    seed_demo(&app).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let app = open(config).await?;
    println!("database schema is up to date ({})", app.store().engine());
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input
    Create {
        #[arg(long)]
        username: String,
        /// requester, agent, team_lead, change_manager, admin or auditor
        #[arg(long)]
        role: String,
        /// Add the user to this existing team
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required, so it never shows in `ps`)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Set a user's password, read from standard input
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TeamCommand {
    /// Create a team
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List teams and their members
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue an API token and print it once
    Create {
        /// The token's owner
        #[arg(long)]
        user: String,
        /// Scopes (repeat or separate with commas): read, write, admin, audit, metrics
        #[arg(long = "scope", required = true, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Lifetime, e.g. 90m, 12h, 30d, 2w
        #[arg(long, default_value = "30d")]
        expires: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the event log's hash chain and its signed anchors; exits 1 naming what is at fault
    Verify {
        /// Also replay the events and compare them with the current rows of tickets, users,
        /// teams, CIs and relationships, naming each row changed behind Steward's back
        #[arg(long)]
        state: bool,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| anyhow::anyhow!("reading the password from stdin: {e}"))?;
    let password = input.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&input);
    anyhow::ensure!(!password.is_empty(), "password: nothing was given on standard input");
    Ok(password.to_owned())
}

pub async fn user(config: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Create { username, role, team, display_name, email, password_stdin: _ } => {
            let password = read_password()?;
            let app = open(config).await?;
            let team_id = match &team {
                Some(name) => Some(find_team(&app, name).await?),
                None => None,
            };
            let input = NewUserInput { username, display_name, email, role, password, organisation: None };
            let user = app.directory().create_user(None, input).await?;
            if let Some(team_id) = team_id {
                app.directory().set_team_member(None, team_id, user.id, true).await?;
            }
            println!("created user {} (id {}, role {})", user.username, user.id, user.role);
        }
        UserCommand::List => {
            let app = open(config).await?;
            println!("{:<6} {:<24} {:<16} {:<9} DISPLAY NAME", "ID", "USERNAME", "ROLE", "STATUS");
            for u in app.store().list_users().await? {
                let status = if u.disabled { "disabled" } else { "active" };
                println!("{:<6} {:<24} {:<16} {:<9} {}", u.id, u.username, u.role, status, u.display_name);
            }
        }
        UserCommand::SetPassword { username, password_stdin: _ } => {
            let password = read_password()?;
            let app = open(config).await?;
            let user = app.directory().reset_password(&username, &password).await?;
            println!("password changed for {}; their sessions were ended", user.username);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn find_team(app: &App, name: &str) -> anyhow::Result<steward_core::ids::TeamId> {
    let teams = app.store().list_teams().await?;
    teams.iter().find(|t| t.team.name.eq_ignore_ascii_case(name.trim())).map(|t| t.team.id).ok_or_else(|| {
        anyhow::anyhow!("team: no team named `{name}` (create it with `steward team create --name`)")
    })
}

pub async fn team(config: &Config, command: TeamCommand) -> anyhow::Result<ExitCode> {
    let app = open(config).await?;
    match command {
        TeamCommand::Create { name, description } => {
            let team = app.directory().create_team(None, &name, &description).await?;
            println!("created team {} (id {})", team.name, team.id);
        }
        TeamCommand::List => {
            for t in app.store().list_teams().await? {
                let members: Vec<_> = t.members.iter().map(|m| m.username.to_string()).collect();
                println!("{:<6} {:<24} {}", t.team.id, t.team.name, members.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(config: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create { user, scopes, expires, name } = command;
    let app = open(config).await?;
    let owner = app.directory().user_by_username(&user).await.map_err(|e| match e {
        AppError::NotFound(_) => anyhow::anyhow!("user: no user named `{user}`"),
        other => other.into(),
    })?;
    let issued = app.tokens().issue(None, owner.id, &name, &scopes.join(" "), &expires).await?;
    eprintln!(
        "token {} for {} with scopes `{}`, expires {} (shown only this once):",
        issued.token.id, owner.username, issued.token.scopes, issued.token.expires_at
    );
    println!("{}", issued.secret);
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(config: &Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { state } = command;
    let app = open(config).await?;
    let mut intact = true;
    match app.audit().verify(None).await? {
        Ok(n) => println!("hash chain intact: {n} events verified"),
        Err(b) => {
            eprintln!("hash chain BROKEN: {b}");
            intact = false;
        }
    }
    use steward_app::audit::AnchorCheck;
    match app.audit().check_anchors().await? {
        AnchorCheck::Held { anchors, last_seq } => {
            println!("anchors hold: {anchors} signed checkpoints, the newest at event {last_seq}")
        }
        AnchorCheck::NotConfigured => println!("anchors: none configured"),
        AnchorCheck::Broken { seq, reason } => {
            eprintln!("anchors BROKEN at event {seq}: {reason}");
            intact = false;
        }
    }
    if state {
        let differences = app.audit().check_state().await?;
        for d in &differences {
            eprintln!("state DIFFERS: {} {}: {}", d.entity, d.id, d.what);
        }
        if differences.is_empty() {
            println!("state matches the events: tickets, users, teams, CIs and relationships");
        } else {
            intact = false;
        }
    }
    if intact {
        println!("audit trail intact");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
