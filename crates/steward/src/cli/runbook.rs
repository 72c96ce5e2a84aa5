//! `steward runbook validate FILE`: checks a runbook definition without a database, as the
//! editor does, and says what is wrong (exit 1) or what it would run (exit 0).

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum RunbookCommand {
    /// Check a runbook definition (YAML; `-` reads stdin)
    Validate { file: std::path::PathBuf },
}

pub fn run(command: RunbookCommand) -> anyhow::Result<ExitCode> {
    match command {
        RunbookCommand::Validate { file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                match std::fs::read_to_string(&file) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return Ok(ExitCode::from(2));
                    }
                }
            };
            match steward_app::runbooks::validate(&text) {
                Ok(r) => {
                    println!(
                        "{}: valid — {} parameter(s), {} step(s)",
                        r.name,
                        r.params.len(),
                        r.steps.len()
                    );
                    for s in r.all_steps() {
                        println!("  {} ({}): {}", s.id, s.action.kind(), s.name);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}: {}", file.display(), crate::cli::describe(&anyhow::Error::new(e)));
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
