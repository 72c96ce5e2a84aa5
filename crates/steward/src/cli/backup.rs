//! `steward backup FILE` and `steward restore FILE`.
//!
//! SQLite: an online copy (`VACUUM INTO`) while Steward serves. PostgreSQL: `pg_dump`'s custom
//! format, restored with `pg_restore` into an empty database. Either way the anchor log goes
//! along as `FILE.anchors`, copied *before* the database so every anchor in it is covered by
//! the copy. The anchor key does not: keep it apart (see docs/security.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use steward_store::Store;

use crate::config::Config;

fn anchors_beside(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".anchors");
    PathBuf::from(name)
}

pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!file.exists(), "backup: {} already exists; choose a new file", file.display());
    let url = config.database_url()?;
    let log = config.anchors().log;
    let anchors = anchors_beside(file);
    if log.exists() {
        std::fs::copy(&log, &anchors)
            .with_context(|| format!("copying the anchor log to {}", anchors.display()))?;
    }
    if Store::sqlite_file(&url).is_some() {
        let app = super::open(config).await?;
        app.store().backup_sqlite_into(file).await.map_err(|e| anyhow::anyhow!("backup: {e}"))?;
        app.store().close().await;
    } else {
        let out = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(file)
            .arg(&url)
            .output()
            .context("backup: cannot run pg_dump (install PostgreSQL's client tools)")?;
        anyhow::ensure!(
            out.status.success(),
            "backup: pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    println!("backup written to {}", file.display());
    if log.exists() {
        println!("anchor log copied to {}", anchors.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(file.is_file(), "restore: {} is not a file", file.display());
    let url = config.database_url()?;
    let log = config.anchors().log;
    let anchors = anchors_beside(file);
    let sqlite = Store::sqlite_file(&url);
    for existing in sqlite.iter().chain([&log].into_iter().filter(|_| anchors.exists())) {
        anyhow::ensure!(
            !existing.exists(),
            "restore: {} already exists; restore into a fresh data folder",
            existing.display()
        );
    }
    if let Some(target) = sqlite {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Copied under a temporary name and renamed, so a half-copied file is never the database.
        let partial = target.with_extension("db.restoring");
        std::fs::copy(file, &partial).with_context(|| format!("restore: copying {}", file.display()))?;
        std::fs::rename(&partial, &target)?;
    } else {
        let store =
            Store::connect(&url, &config.store()).await.map_err(|e| anyhow::anyhow!("restore: {e}"))?;
        let used = store.has_tables().await.map_err(|e| anyhow::anyhow!("restore: {e}"))?;
        store.close().await;
        anyhow::ensure!(!used, "restore: the database already holds tables; restore into an empty database");
        let out = std::process::Command::new("pg_restore")
            .args(["--no-owner", "--no-privileges", "--exit-on-error", "--dbname"])
            .arg(&url)
            .arg(file)
            .output()
            .context("restore: cannot run pg_restore (install PostgreSQL's client tools)")?;
        anyhow::ensure!(
            out.status.success(),
            "restore: pg_restore failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    if anchors.exists() {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&anchors, &log)?;
    }
    println!("restored from {}; verifying", file.display());
    super::audit(config, super::AuditCommand::Verify { state: true }).await
}
