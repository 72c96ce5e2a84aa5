//! Automation (自动化运维): runbooks — versioned YAML definitions — and their runs, started by
//! hand, on a cron schedule, by an alert or inside a change's window; approval gates and
//! just-in-time authority on critical CIs; the encrypted secret store; the executor that runs
//! them on a bounded pool across nodes.
//!
//! `yaml.rs` reads definitions, `vault.rs` seals secrets, `runs.rs` asks for runs and decides
//! on them, `grants.rs` is just-in-time authority, `triggers.rs` the schedules and alert
//! triggers, `engine.rs` claims and drives runs, `kinds.rs` turns a step into a process or a request,
//! `steps.rs` runs a process and keeps its output, `inventory.rs` turns
//! CMDB queries into targets and Ansible inventories.

mod engine;
mod grants;
mod inventory;
mod kinds;
mod runs;
mod steps;
mod triggers;
mod vault;
pub mod yaml;

use std::path::PathBuf;

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::runbooks::{Runbook, RunbookEvent, check_key};
use steward_store::{RunbookLimits, RunbookRecord, StoreError};

pub use engine::EXECUTOR_LEASE_MS;
pub use runs::{AutomationReport, RunRequest, RunView, describe_gate};
pub use vault::SecretKey;

use crate::{Actor, AppError, Result, record};

/// How this node runs automation.
#[derive(Debug, Clone)]
pub struct AutomationConfig {
    /// Runs at once on this node (the global worker pool).
    pub workers: usize,
    /// Where runs get their working folders.
    pub work_dir: PathBuf,
    pub secret_key: SecretKey,
    /// `ansible-playbook`, found on `PATH` unless given.
    pub ansible_playbook: PathBuf,
    /// `ssh`.
    pub ssh: PathBuf,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        AutomationConfig {
            workers: 4,
            // A folder of its own per configuration, so apps side by side (tests) never share
            // a run's folder; `serve` sets `<data>/runs`.
            work_dir: std::env::temp_dir().join(format!("steward-runs-{}-{}", std::process::id(), {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            })),
            secret_key: SecretKey::Ephemeral,
            ansible_playbook: "ansible-playbook".into(),
            ssh: "ssh".into(),
        }
    }
}

/// The built-in library, installed on a desk that has no runbooks yet.
const LIBRARY: &[&str] = &[
    include_str!("library/inspection.yaml"),
    include_str!("library/backup.yaml"),
    include_str!("library/apt_patch.yaml"),
];

/// A runbook with its definition read.
#[derive(Debug, Clone)]
pub struct RunbookView {
    pub record: RunbookRecord,
    pub runbook: Runbook,
}

fn limits(r: &Runbook) -> RunbookLimits {
    RunbookLimits {
        concurrency: i64::from(r.concurrency),
        target_concurrency: i64::from(r.target_concurrency),
        manual_minutes: i64::from(r.manual_minutes),
    }
}

fn read(record: RunbookRecord) -> Result<RunbookView> {
    let runbook = yaml::parse(&record.definition)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("runbook {} does not read: {e}", record.id)))?;
    Ok(RunbookView { record, runbook })
}

impl crate::Runbooks<'_> {
    /// Writes the built-in library when a desk has no runbook yet.
    pub(crate) async fn ensure_library(self) -> Result<()> {
        if !self.store.runbooks(true).await?.is_empty() {
            return Ok(());
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        for text in LIBRARY {
            let r = yaml::parse(text)?;
            match tx.insert_runbook(at, &r.name, text, limits(&r), "system").await {
                Ok(id) => {
                    let event = RunbookEvent::Saved { name: r.name.clone(), version: 1 };
                    record(&mut tx, at, None, DomainEvent::Runbook { id, event }).await?;
                }
                // Another node wrote them first.
                Err(StoreError::Duplicate { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list(self, actor: &Actor, retired: bool) -> Result<Vec<RunbookView>> {
        actor.require(Permission::RunRunbooks)?;
        self.ensure_library().await?;
        self.store.runbooks(retired).await?.into_iter().map(read).collect()
    }

    pub async fn get(self, actor: &Actor, id: i64) -> Result<RunbookView> {
        actor.require(Permission::RunRunbooks)?;
        read(self.store.runbook(id).await?.ok_or(AppError::NotFound("runbook"))?)
    }

    /// A definition at an earlier version, as written.
    pub async fn version_text(self, actor: &Actor, id: i64, version: i64) -> Result<String> {
        actor.require(Permission::RunRunbooks)?;
        self.store.runbook_version(id, version).await?.ok_or(AppError::NotFound("runbook version"))
    }

    /// Saves a definition: a new runbook, or (`id`, the version the author edited) the next
    /// version of one. Answers the id and version.
    pub async fn save(self, actor: &Actor, id: Option<(i64, i64)>, text: &str) -> Result<(i64, i64)> {
        actor.require(Permission::ManageRunbooks)?;
        let r = yaml::parse(text)?;
        // The library comes first, so a desk's own runbooks never keep it out.
        self.ensure_library().await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let (id, version) = match id {
            None => {
                let id = tx
                    .insert_runbook(at, &r.name, text, limits(&r), actor.user.username.as_str())
                    .await
                    .map_err(|e| match e {
                        StoreError::Duplicate { .. } => AppError::Conflict {
                            field: Some("name"),
                            message: format!("a runbook named `{}` exists already", r.name),
                        },
                        e => e.into(),
                    })?;
                (id, 1)
            }
            Some((id, expected)) => {
                let current = self.store.runbook(id).await?.ok_or(AppError::NotFound("runbook"))?;
                if current.name != r.name && self.store.runbook_by_name(&r.name).await?.is_some() {
                    return Err(AppError::Conflict {
                        field: Some("name"),
                        message: format!("a runbook named `{}` exists already", r.name),
                    });
                }
                let v = tx
                    .save_runbook_version(at, id, expected, text, limits(&r), actor.user.username.as_str())
                    .await?;
                (id, v)
            }
        };
        let event = RunbookEvent::Saved { name: r.name.clone(), version };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id, event }).await?;
        tx.commit().await?;
        Ok((id, version))
    }

    pub async fn retire(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let current = self.store.runbook(id).await?.ok_or(AppError::NotFound("runbook"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.retire_runbook(at, id).await?;
        let event = RunbookEvent::Retired { name: current.name };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The secrets' names, who set each and when; never their values.
    pub async fn secrets(self, actor: &Actor) -> Result<Vec<(String, String, jiff::Timestamp)>> {
        actor.require(Permission::RunRunbooks)?;
        Ok(self.store.secret_names().await?)
    }

    pub async fn set_secret(self, actor: &Actor, name: &str, value: &str) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let name = name.trim();
        check_key(name).map_err(|e| AppError::invalid("name", e.message))?;
        if value.is_empty()
            || value.len() > 64 * 1024
            || value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(AppError::invalid(
                "value",
                "a secret is 1 B–64 KiB of text without control characters",
            ));
        }
        let sealed = vault::seal(&self.vault_key()?, name, value)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_secret(at, name, &sealed, actor.user.username.as_str()).await?;
        let event = RunbookEvent::SecretSet { name: name.to_owned() };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id: 0, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_secret(self, actor: &Actor, name: &str) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_secret(name).await? {
            return Err(AppError::NotFound("secret"));
        }
        let event = RunbookEvent::SecretRemoved { name: name.to_owned() };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id: 0, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A secret's value, for a step about to run.
    pub(crate) async fn secret_value(self, name: &str) -> Result<String> {
        let sealed = self.store.secret(name).await?.ok_or_else(|| AppError::Conflict {
            field: Some("secret"),
            message: format!("secret `{name}` is not in the secret store"),
        })?;
        vault::open(&self.vault_key()?, name, &sealed)
    }

    /// The secret store's key: read (or made) once per process.
    fn vault_key(self) -> Result<[u8; 32]> {
        if let Some(k) = self.vault.get() {
            return Ok(*k);
        }
        let key = match &self.config.automation.secret_key {
            SecretKey::File(path) => crate::audit::key_seed(path, "the secret store's key")?,
            SecretKey::Ephemeral => {
                let mut k = [0u8; 32];
                getrandom::fill(&mut k)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
                k
            }
        };
        Ok(*self.vault.get_or_init(|| key))
    }
}

/// Checks a definition without saving it (`steward runbook validate`, the editor's check).
pub fn validate(text: &str) -> Result<Runbook> {
    yaml::parse(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_library_reads() {
        for text in super::LIBRARY {
            let r = super::yaml::parse(text).unwrap();
            assert!(r.manual_minutes > 0, "{}", r.name);
        }
    }
}
