//! Connections for reads. On PostgreSQL they come from sqlx's pool. On SQLite they are lent
//! from a plain idle list instead: sqlx's pool pings every connection it takes back — one more
//! round trip to the connection's own thread, and two thread wake-ups — which made a one-row
//! read cost 1.6–1.9 times the CPU of the read itself (release build, 20,000 reads: 143–170 µs
//! per read through the pool, 87–90 µs on a held connection). A connection to a local file
//! does not go stale, so here it simply goes back to the list.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Executor};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::Result;

/// How long a read waits for a free connection before it fails, as sqlx's pool does.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where reads get their connection.
#[derive(Debug)]
pub(crate) enum ReadSide {
    Pool(AnyPool),
    Sqlite(Box<SqliteReaders>),
}

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

    async fn lend(&self) -> Result<LentReader<'_>> {
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

    async fn close(&self) {
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
    conn: Option<AnyConnection>,
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

/// A connection to read through: `&mut *conn` is an executor.
pub(crate) enum ReadConn<'a> {
    Pool(PoolConnection<Any>),
    Sqlite(LentReader<'a>),
}

impl Deref for ReadConn<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            ReadConn::Pool(c) => c,
            ReadConn::Sqlite(r) => r.conn.as_ref().expect("a lent connection until dropped"),
        }
    }
}

impl DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            ReadConn::Pool(c) => c,
            ReadConn::Sqlite(r) => r.conn.as_mut().expect("a lent connection until dropped"),
        }
    }
}

impl ReadSide {
    pub(crate) async fn conn(&self) -> Result<ReadConn<'_>> {
        Ok(match self {
            ReadSide::Pool(pool) => ReadConn::Pool(pool.acquire().await?),
            ReadSide::Sqlite(readers) => ReadConn::Sqlite(readers.lend().await?),
        })
    }

    /// How many connections reads may hold at once.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            ReadSide::Pool(pool) => pool.options().get_max_connections() as usize,
            ReadSide::Sqlite(readers) => readers.max,
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            ReadSide::Pool(pool) => pool.close().await,
            ReadSide::Sqlite(readers) => readers.close().await,
        }
    }
}
