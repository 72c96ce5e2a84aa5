//! SQLite's read connections, lent from a plain idle list (on PostgreSQL reads use sqlx's
//! pool). sqlx's pool pings every connection it takes back — one more round trip to the connection's own thread, and two thread wake-ups — which made a one-row
//! read cost 1.6–1.9 times the CPU of the read itself (release build, 20,000 reads: 143–170 µs
//! per read through the pool, 87–90 µs on a held connection). A connection to a local file
//! does not go stale, so here it simply goes back to the list.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Executor};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::Result;

/// How long a read waits for a free connection before it fails, as sqlx's pool does.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Up to `max` SQLite connections, opened when first needed and set up with `setup`.
#[derive(Debug)]
pub(crate) struct SqliteReaders {
    options: AnyConnectOptions,
    setup: String,
    idle: Mutex<Vec<AnyConnection>>,
    permits: Semaphore,
    max: usize,
}

impl SqliteReaders {
    pub(crate) fn new(options: AnyConnectOptions, setup: String, max: usize) -> SqliteReaders {
        SqliteReaders { options, setup, idle: Mutex::new(Vec::new()), permits: Semaphore::new(max), max }
    }

    /// How many connections may be lent at once.
    pub(crate) fn capacity(&self) -> usize {
        self.max
    }

    pub(crate) async fn lend(&self) -> Result<LentReader<'_>> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let mut conn = self.options.connect().await?;
                conn.execute(sqlx::AssertSqlSafe(self.setup.clone())).await?;
                conn
            }
        };
        Ok(LentReader { conn: Some(conn), readers: self, _permit: permit })
    }

    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle: Vec<AnyConnection> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for conn in idle {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// A SQLite connection on loan; it goes back to the idle list when dropped.
pub(crate) struct LentReader<'a> {
    pub(crate) conn: Option<AnyConnection>,
    readers: &'a SqliteReaders,
    _permit: SemaphorePermit<'a>,
}

impl Drop for LentReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !self.readers.permits.is_closed()
        {
            self.readers.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        }
    }
}
