//! A second SQLite write connection, driven on the calling thread: the incident writer's
//! (`Store::begin_direct`, through [`crate::GroupWriter`]), which runs on a thread of its own and may block it.
//!
//! Why not sqlx for it: sqlx runs each SQLite connection on a thread of its own and hands
//! every statement's result back over a channel, so a group of creates cost three round trips
//! and a wake-up of the waiting writer per statement result — each a pair of context switches,
//! which on this two-vCPU virtual machine were the largest single item of the server's profile
//! (`finish_task_switch`), and each a chance for the database's thread to be preempted on the
//! path every create waits for. Here the writer's own thread steps the statements.
//!
//! Only one writer at a time: a direct transaction holds the sqlx writer's lock
//! (`sqlite/writer.rs`) for its whole life, so the two connections never write at
//! once and neither meets `SQLITE_BUSY` from the other. Each sees the other's commits as any
//! SQLite connection does (the WAL index tells it to drop stale pages).
//!
//! The connection is `rusqlite`'s over the same bundled SQLite library sqlx links
//! (libsqlite3-sys 0.37), so it has the same compile options, FTS5 included.

use std::path::Path;

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::tx::{Row, Statement, Value};
use crate::{Result, StoreError};

/// Prepared statements kept per connection: a group's statements differ with its size (1 to
/// 64 creates), a few per size.
const STATEMENT_CACHE: usize = 512;

/// Opens the database file at `path` for writing and runs `setup` (the writer's pragmas).
pub(crate) fn open(path: &Path, setup: &str) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.execute_batch(setup)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Int(None) | Value::Text(None) => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// Runs `statements` in order and returns the rows of them all. A statement without arguments
/// may be several separated by `;` (and then returns no rows).
pub(crate) fn run(conn: &Connection, statements: &[Statement]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for s in statements {
        if s.args.is_empty() && s.sql.contains(';') {
            conn.execute_batch(&s.sql)?;
            continue;
        }
        let mut stmt = conn.prepare_cached(&s.sql)?;
        let names: std::sync::Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(&s.args))?;
        while let Some(row) = rows.next()? {
            let values = (0..names.len()).map(|i| value_of(row.get_ref(i)?)).collect::<Result<Vec<_>>>()?;
            out.push(Row::new(names.clone(), values));
        }
    }
    Ok(out)
}

fn value_of(v: ValueRef<'_>) -> Result<Value> {
    match v {
        ValueRef::Null => Ok(Value::Int(None)),
        ValueRef::Integer(i) => Ok(Value::Int(Some(i))),
        ValueRef::Text(t) => Ok(Value::Text(Some(
            std::str::from_utf8(t).map_err(|e| StoreError::Corrupt(e.to_string()))?.to_owned(),
        ))),
        other => Err(StoreError::Corrupt(format!("unexpected {:?} value", other.data_type()))),
    }
}
