//! SQLite checkpoints in the background. A WAL database copies committed pages from the
//! write-ahead log back into the database file ("checkpoints") from time to time. By default
//! the connection whose commit crosses 1,000 log pages does it, inside that commit: every
//! twentieth group of creates or so then also wrote a few hundred pages and synced the
//! database file before anyone waiting on it got an answer, on the one path all writes share.
//!
//! Here a task with a connection of its own runs a `PASSIVE` checkpoint every 100 ms instead
//! (it copies what it can without waiting for, or blocking, readers and the writer), and the
//! writer only checkpoints itself past [`WRITER_CHECKPOINT_PAGES`], should this task ever fall
//! behind. The task ends with the store.

use std::sync::Weak;
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Executor};
use tokio::sync::Mutex;

use super::SqliteWriter;

/// How often the background checkpoint runs.
const EVERY: Duration = Duration::from_millis(100);

/// The log size, in pages, past which the writer checkpoints in its own commit after all
/// (40 MiB of 4 KiB pages; SQLite's default is 1,000).
pub(crate) const WRITER_CHECKPOINT_PAGES: u32 = 10_000;

/// Starts the background checkpoints for the database `options` opens; they stop once the
/// writer is closed or dropped.
pub(crate) fn start(options: AnyConnectOptions, setup: String, writer: Weak<Mutex<SqliteWriter>>) {
    tokio::spawn(async move {
        let mut conn: Option<AnyConnection> = None;
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // A writer in use is open; only an idle one is looked at, so this never waits.
            match writer.upgrade() {
                Some(w) if w.try_lock().map_or(true, |w| w.is_open()) => {}
                _ => break,
            }
            if let Err(e) = checkpoint(&mut conn, &options, &setup).await {
                // The writer's own checkpoints still bound the log; try again on a new connection.
                tracing::warn!(error = %e, "background checkpoint failed");
                conn = None;
            }
        }
        if let Some(conn) = conn {
            let _ = sqlx::Connection::close(conn).await;
        }
    });
}

async fn checkpoint(
    conn: &mut Option<AnyConnection>,
    options: &AnyConnectOptions,
    setup: &str,
) -> crate::Result<()> {
    let conn = match conn {
        Some(conn) => conn,
        None => {
            let mut fresh = options.connect().await?;
            fresh.execute(sqlx::AssertSqlSafe(setup.to_owned())).await?;
            conn.insert(fresh)
        }
    };
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await?;
    Ok(())
}
