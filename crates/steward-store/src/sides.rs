//! Where reads and writes get their connections, per backend: sqlx's pool on PostgreSQL, the
//! SQLite engine's own readers and single writer (`sqlite/`) on SQLite.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use tokio::sync::Mutex;

use crate::Result;
use crate::sqlite::{HeldWriter, LentReader, SqliteReaders, SqliteWriter, hold};

/// Where reads get their connection.
#[derive(Debug)]
pub(crate) enum ReadSide {
    Pool(AnyPool),
    Sqlite(Box<SqliteReaders>),
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
            ReadSide::Sqlite(readers) => readers.capacity(),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            ReadSide::Pool(pool) => pool.close().await,
            ReadSide::Sqlite(readers) => readers.close().await,
        }
    }
}
/// Where writes get their connection.
#[derive(Debug, Clone)]
pub(crate) enum WriteSide {
    Pool(AnyPool),
    Sqlite(Arc<Mutex<SqliteWriter>>),
}

/// The write connection, held until dropped: `&mut *conn` is an executor.
pub(crate) enum WriteConn {
    Pool(sqlx::pool::PoolConnection<sqlx::Any>),
    Sqlite(HeldWriter),
}

impl WriteSide {
    pub(crate) fn sqlite(conn: AnyConnection, direct_at: Option<(PathBuf, String)>) -> WriteSide {
        WriteSide::Sqlite(Arc::new(Mutex::new(SqliteWriter::new(conn, direct_at))))
    }

    /// The connection for a single statement outside a transaction.
    pub(crate) async fn conn(&self) -> Result<WriteConn> {
        Ok(match self {
            WriteSide::Pool(pool) => WriteConn::Pool(pool.acquire().await?),
            WriteSide::Sqlite(writer) => WriteConn::Sqlite(hold(writer).await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            WriteSide::Pool(pool) => pool.close().await,
            WriteSide::Sqlite(writer) => writer.lock().await.close().await,
        }
    }
}

impl Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConn::Pool(c) => c,
            WriteConn::Sqlite(c) => c,
        }
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConn::Pool(c) => c,
            WriteConn::Sqlite(c) => c,
        }
    }
}
