//! SQLite's write side (on PostgreSQL writes take connections from sqlx's pool): exactly one
//! write connection (so writers queue instead of failing with `SQLITE_BUSY`), held
//! here behind a mutex rather than in a one-connection sqlx pool, for two reasons:
//!
//! - sqlx's pool pings every connection it takes back: after each transaction, a round trip to
//!   the connection's thread that the next writer waits for.
//! - A transaction here sends `BEGIN IMMEDIATE` together with its first statement, and
//!   `COMMIT` together with its deferred statements ([`crate::Tx`]), where sqlx's transaction
//!   sends each alone.
//!
//! Each round trip wakes the connection's thread and then the waiting task; on a busy
//! two-core machine a wake-up costs a few hundred microseconds, and the writer is the one
//! place every create passes in turn (group commit of 16 creates measured 0.6 ms median for
//! acquiring the connection and `BEGIN` alone). See `docs/benchmarks.md`.
//!
//! A transaction dropped before its commit is rolled back: the connection goes to a task that
//! sends `ROLLBACK` before anyone else may use it, and is marked so that the next user rolls
//! back first should that task never run (a runtime shutting down).

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::Result;

/// How long a write waits for the connection before it fails, as sqlx's pool does.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite write connection, `None` once closed.
pub(crate) struct SqliteWriter {
    conn: Option<AnyConnection>,
    /// A transaction was abandoned and its rollback has not been confirmed.
    needs_rollback: bool,
    /// Where and how to open the direct connection (`direct.rs`): the database file and the
    /// writer's pragmas; `None` for a database that is not a file of its own.
    direct_at: Option<(PathBuf, String)>,
    /// The direct connection, opened on first use.
    direct: Option<rusqlite::Connection>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter")
            .field("open", &self.conn.is_some())
            .field("needs_rollback", &self.needs_rollback)
            .field("direct_at", &self.direct_at)
            .finish_non_exhaustive()
    }
}

/// The SQLite write connection, held.
pub(crate) struct HeldWriter(OwnedMutexGuard<SqliteWriter>);

impl SqliteWriter {
    pub(crate) fn new(conn: AnyConnection, direct_at: Option<(PathBuf, String)>) -> SqliteWriter {
        SqliteWriter { conn: Some(conn), needs_rollback: false, direct_at, direct: None }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.conn.is_some()
    }

    pub(crate) async fn close(&mut self) {
        self.direct = None;
        if let Some(conn) = self.conn.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// Waits for the SQLite writer and makes sure no abandoned transaction is still open on it.
pub(crate) async fn hold(writer: &Arc<Mutex<SqliteWriter>>) -> Result<HeldWriter> {
    let mut held = tokio::time::timeout(ACQUIRE_TIMEOUT, writer.clone().lock_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?;
    if held.conn.is_none() {
        return Err(sqlx::Error::PoolClosed.into());
    }
    if held.needs_rollback {
        rollback(&mut held).await;
    }
    Ok(HeldWriter(held))
}

/// Rolls back whatever transaction is open; "no transaction is active" is fine too.
async fn rollback(writer: &mut SqliteWriter) {
    if let Some(conn) = writer.conn.as_mut() {
        let _ = conn.execute("ROLLBACK").await;
        writer.needs_rollback = false;
    }
}

impl HeldWriter {
    /// Whether this database has a direct connection (`direct.rs`).
    pub(crate) fn has_direct(&self) -> bool {
        self.0.direct_at.is_some()
    }

    /// The direct connection, opened now if it is not yet.
    pub(crate) fn direct(&mut self) -> Result<&rusqlite::Connection> {
        let writer = &mut *self.0;
        if writer.direct.is_none() {
            let (path, setup) = writer
                .direct_at
                .as_ref()
                .ok_or_else(|| crate::StoreError::Corrupt("this database has no direct connection".into()))?;
            writer.direct = Some(super::direct::open(path, setup)?);
        }
        Ok(writer.direct.as_ref().expect("opened above"))
    }

    /// Rolls back the direct connection's open transaction. Should that fail, the connection
    /// is closed, which rolls it back all the same; the next use opens a new one.
    pub(crate) fn direct_rollback(&mut self) {
        if let Some(conn) = &self.0.direct
            && conn.execute_batch("ROLLBACK").is_err()
            && !conn.is_autocommit()
        {
            self.0.direct = None;
        }
    }

    /// Gives the connection back after a transaction that did not commit: rolled back first,
    /// by a task when a runtime is there to run it, else by the next holder.
    pub(crate) fn abandon(mut self) {
        self.0.needs_rollback = true;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { rollback(&mut self.0).await });
        }
    }
}

impl Deref for HeldWriter {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.0.conn.as_ref().expect("checked open when held")
    }
}

impl DerefMut for HeldWriter {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.0.conn.as_mut().expect("checked open when held")
    }
}
