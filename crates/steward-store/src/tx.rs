//! [`Tx`], the one database transaction every write goes through, and the owned [`Value`]s
//! its statements bind.

use sqlx::Any;
use sqlx::{Column as _, Row as _};

use crate::sqlite::{HeldWriter, direct};
use crate::{Backend, Result, StoreError};

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// A value a statement binds or a row returns, owned so that a deferred statement can wait,
/// and bindable through sqlx or the direct SQLite connection alike. A null keeps its type:
/// PostgreSQL has to know a parameter's type even when it is null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        Value::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(Some(v))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        Value::Text(v.map(str::to_owned))
    }
}

/// Typed ids bind as their row id.
macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<$id> for Value {
            fn from(v: $id) -> Value {
                Value::Int(Some(v.get()))
            }
        }

        impl From<Option<$id>> for Value {
            fn from(v: Option<$id>) -> Value {
                Value::Int(v.map(<$id>::get))
            }
        }
    )*};
}

use steward_core::ids::{CalendarId, CategoryId, CiId, RelationId, TeamId, TicketId, TokenId, UserId};
id_values!(TicketId, UserId, TeamId, CiId, RelationId, CategoryId, TokenId, CalendarId);

impl Value {
    pub(crate) fn int(&self) -> Result<i64> {
        match self {
            Value::Int(Some(v)) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("expected an integer, found {other:?}"))),
        }
    }

    pub(crate) fn into_text(self) -> Result<String> {
        match self {
            Value::Text(Some(v)) => Ok(v),
            other => Err(StoreError::Corrupt(format!("expected text, found {other:?}"))),
        }
    }

    /// A column of a row sqlx returned: an integer, else text (all [`Tx::fetch_all`] reads).
    pub(crate) fn of_column(row: &sqlx::any::AnyRow, i: usize) -> Result<Value> {
        match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => Ok(Value::Int(v)),
            Err(_) => Ok(Value::Text(row.try_get(i)?)),
        }
    }
}

/// One row a statement returned, read by column name: the callers of [`Tx::fetch_all`] name
/// the columns they select (`RETURNING seq, hash`, `AS max_id`), never count them.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    columns: std::sync::Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(columns: std::sync::Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    fn get(&self, column: &str) -> Result<&Value> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("no column `{column}` in a statement's result")))
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64> {
        self.get(column)?.int()
    }

    pub(crate) fn text(&self, column: &str) -> Result<String> {
        self.get(column)?.clone().into_text()
    }
}

/// `q` with `values` bound in order.
pub(crate) fn bind_all(q: AnyQuery<'_>, values: Vec<Value>) -> AnyQuery<'_> {
    values.into_iter().fold(q, |q, v| match v {
        Value::Int(v) => q.bind(v),
        Value::Text(v) => q.bind(v),
    })
}

/// A statement and its arguments.
pub(crate) struct Statement {
    pub sql: String,
    pub args: Vec<Value>,
}

/// One database transaction. Dropping it without [`Tx::commit`] rolls everything back.
///
/// Statements whose outcome the caller does not wait for (event rows, the chain head's hash,
/// report facts and rollup rows) are *deferred*: queued, then run together just before the
/// transaction's next other statement or its commit. On SQLite that is one call for the lot
/// (sqlx runs a multi-statement text on the connection's thread, taking positional `?`
/// arguments in order), where each statement would otherwise be a round trip to that thread;
/// on PostgreSQL they run one by one. A deferred statement's error surfaces at that point, and
/// fails the transaction all the same. Deferred statements return no rows.
///
/// On SQLite, `BEGIN IMMEDIATE` is the first deferred statement and `COMMIT` goes in the same
/// call as the last ones, and [`Tx::fetch_all`] runs its statements in the same call as the
/// deferred ones before them: a group of creates takes three round trips instead of seven.
///
/// A transaction from a [`crate::GroupWriter`] on SQLite runs every statement on the
/// calling thread through the direct connection (`sqlite/direct.rs`): no round trips at all.
pub struct Tx {
    pub(crate) conn: TxConn,
    pub(crate) backend: Backend,
    deferred: Vec<Statement>,
}

pub(crate) enum TxConn {
    /// PostgreSQL: sqlx's transaction on a pooled connection.
    Pool(sqlx::Transaction<'static, Any>),
    /// SQLite: the one write connection; `sent` once anything (so perhaps `BEGIN`) went out,
    /// after which dropping the transaction uncommitted has to roll it back.
    Sqlite { writer: HeldWriter, sent: bool },
    /// SQLite through the direct connection, which the held writer guards; `sent` as above.
    Direct { writer: HeldWriter, sent: bool },
    /// Committed; the connection is given back.
    Done,
}

impl Drop for Tx {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.conn, TxConn::Done) {
            TxConn::Sqlite { writer, sent: true } => writer.abandon(),
            TxConn::Direct { mut writer, sent: true } => writer.direct_rollback(),
            _ => {}
        }
    }
}

impl Tx {
    pub(crate) fn new(conn: TxConn, backend: Backend) -> Tx {
        let mut tx = Tx { conn, backend, deferred: Vec::new() };
        if backend == Backend::Sqlite {
            // IMMEDIATE takes SQLite's write lock up front, so a transaction that reads before
            // it writes cannot fail half-way with SQLITE_BUSY when another process writes.
            tx.defer("BEGIN IMMEDIATE".into(), Vec::new());
        }
        tx
    }

    pub async fn commit(mut self) -> Result<()> {
        match &self.conn {
            // Nothing went out and nothing waits: no transaction was ever opened.
            TxConn::Sqlite { sent: false, .. } | TxConn::Direct { sent: false, .. }
                if self.deferred.len() <= 1 => {}
            TxConn::Sqlite { .. } | TxConn::Direct { .. } => {
                self.defer("COMMIT".into(), Vec::new());
                self.flush().await?;
            }
            TxConn::Pool(_) => {
                self.flush().await?;
                if let TxConn::Pool(tx) = std::mem::replace(&mut self.conn, TxConn::Done) {
                    tx.commit().await?;
                }
            }
            TxConn::Done => {}
        }
        self.conn = TxConn::Done;
        Ok(())
    }

    /// The sqlx connection, after the deferred statements have run (so every statement sees
    /// the ones queued before it). A direct transaction has none: its statements go through
    /// [`Tx::defer`], [`Tx::fetch_all`] and [`Tx::execute`] only.
    pub(crate) async fn conn(&mut self) -> Result<&mut sqlx::AnyConnection> {
        if matches!(self.conn, TxConn::Direct { .. }) {
            return Err(StoreError::Corrupt("this statement cannot run in a direct transaction".into()));
        }
        self.flush().await?;
        Ok(self.raw())
    }

    fn raw(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.conn {
            TxConn::Pool(tx) => tx,
            TxConn::Sqlite { writer, sent } => {
                *sent = true;
                writer
            }
            TxConn::Direct { .. } | TxConn::Done => {
                unreachable!("direct transactions do not use sqlx; `commit` consumes the transaction")
            }
        }
    }

    /// Queues `sql` (placeholders from [`crate::placeholders`], numbered from 1) with its
    /// arguments. A statement without arguments may be several, separated by `;`.
    pub(crate) fn defer(&mut self, sql: String, args: Vec<Value>) {
        self.deferred.push(Statement { sql, args });
    }

    /// Runs `statements` (placeholders from [`crate::placeholders`], numbered from 1) and
    /// returns the rows of them all, in order, each an integer or text per named column; on
    /// SQLite in the same call as the deferred statements before them.
    pub(crate) async fn fetch_all(&mut self, statements: Vec<Statement>) -> Result<Vec<Row>> {
        let rows = match &mut self.conn {
            TxConn::Direct { writer, sent } => {
                *sent = true;
                let mut batch = std::mem::take(&mut self.deferred);
                batch.extend(statements);
                return direct::run(writer.direct()?, &batch);
            }
            TxConn::Sqlite { .. } => {
                self.deferred.extend(statements);
                let q = self.take_deferred();
                q.fetch_all(self.raw()).await?
            }
            _ => {
                self.flush().await?;
                let mut rows = Vec::new();
                for s in statements {
                    let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(s.sql)), s.args);
                    rows.extend(q.fetch_all(self.raw()).await?);
                }
                rows
            }
        };
        rows.iter()
            .map(|r| {
                let columns: std::sync::Arc<[String]> =
                    r.columns().iter().map(|c| c.name().to_owned()).collect();
                let values = (0..r.len()).map(|i| Value::of_column(r, i)).collect::<Result<Vec<_>>>()?;
                Ok(Row::new(columns, values))
            })
            .collect()
    }

    /// Runs one statement after the deferred ones and returns how many rows it changed.
    pub(crate) async fn execute(&mut self, sql: &'static str, args: Vec<Value>) -> Result<u64> {
        if let TxConn::Direct { writer, sent } = &mut self.conn {
            *sent = true;
            let mut batch = std::mem::take(&mut self.deferred);
            batch.push(Statement { sql: sql.to_owned(), args });
            let conn = writer.direct()?;
            direct::run(conn, &batch)?;
            return Ok(conn.changes());
        }
        let q = bind_all(sqlx::query(sql), args);
        Ok(q.execute(self.conn().await?).await?.rows_affected())
    }

    /// The deferred statements as one multi-statement query, their arguments bound in order.
    fn take_deferred(&mut self) -> AnyQuery<'static> {
        let deferred = std::mem::take(&mut self.deferred);
        let sql = deferred.iter().map(|d| d.sql.as_str()).collect::<Vec<_>>().join(";\n");
        let args = deferred.into_iter().flat_map(|d| d.args).collect();
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
    }

    async fn flush(&mut self) -> Result<()> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        match &mut self.conn {
            TxConn::Direct { writer, sent } => {
                *sent = true;
                direct::run(writer.direct()?, &std::mem::take(&mut self.deferred))?;
            }
            TxConn::Sqlite { .. } => {
                let q = self.take_deferred();
                q.execute(self.raw()).await?;
            }
            _ => {
                for d in std::mem::take(&mut self.deferred) {
                    bind_all(sqlx::query(sqlx::AssertSqlSafe(d.sql)), d.args).execute(self.raw()).await?;
                }
            }
        }
        Ok(())
    }
}
