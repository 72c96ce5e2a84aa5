//! The SQLite engine: one write connection behind a mutex (`writer.rs`), a second, direct
//! connection for the incident writer's grouped transactions (`direct.rs`), read connections
//! from an idle list (`readers.rs`) and WAL checkpoints in the background (`checkpoint.rs`).
//! Nothing outside the store knows any of this: the app asks for a [`crate::GroupWriter`].

mod checkpoint;
pub(crate) mod direct;
mod readers;
mod writer;

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Executor};

pub(crate) use readers::{LentReader, SqliteReaders};
pub(crate) use writer::{HeldWriter, SqliteWriter, hold};

use crate::sides::{ReadSide, WriteSide};
use crate::{Result, StoreError, StoreOptions};

/// The SQLite writer's `temp_store`. A statement inside a transaction that may have to undo
/// only itself (a multi-row insert, rows with triggers or foreign keys) keeps the pages it
/// changes in a statement journal. SQLite keeps that journal in memory up to 64 KiB and then
/// creates, writes and deletes a temporary file; a group of creates crossed 64 KiB in every
/// transaction, and the file's creation and deletion (an inode eviction) were ~25 % of the
/// writer thread's time. In memory, a statement's journal holds the pages it changed that
/// existed before it: a group's few dozen, or for a bulk insert the tail of the tables and
/// indexes it appends to. (Raising the 64 KiB instead, `SQLITE_STMTJRNL_SPILL`, works only up
/// to 128 KiB, too little here: a spill writes the journal's first chunk, as large as the
/// threshold, in one call, and SQLite's Unix layer cuts every write to 17 bits of length, so a
/// 4 MiB threshold wrote nothing and failed the statement with `SQLITE_FULL`.)
pub(crate) const WRITER_TEMP_STORE: &str = "MEMORY";

/// Opens the database file of `url`: the writer first (it creates the file and switches it to
/// WAL), its checkpointer, and the readers.
pub(crate) async fn connect(
    url: &str,
    connect_options: AnyConnectOptions,
    options: &StoreOptions,
) -> Result<(ReadSide, WriteSide)> {
    let synchronous = match options.sqlite_synchronous.as_str() {
        "full" => "FULL",
        "normal" => "NORMAL",
        other => {
            return Err(StoreError::Corrupt(format!(
                "sqlite_synchronous must be `full` or `normal`, not `{other}`"
            )));
        }
    };
    // The writer's page cache: a big transaction (an import, a group of creates) otherwise
    // re-reads index pages from the OS and spills dirty ones mid-way. 64 MiB at most, and only
    // what is used; readers keep SQLite's 2 MiB default each.
    let pragmas = move |cache_kib: i64| {
        format!(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
             PRAGMA synchronous = {synchronous}; PRAGMA cache_size = -{cache_kib};"
        )
    };
    // The writer leaves checkpoints to a background task (`checkpoint.rs`) unless the log grows
    // large. Its statement journals stay in memory (`WRITER_TEMP_STORE`).
    let mut write = connect_options.connect().await?;
    let writer_setup = format!(
        "{} PRAGMA wal_autocheckpoint = {}; PRAGMA temp_store = {WRITER_TEMP_STORE};",
        pragmas(65_536),
        checkpoint::WRITER_CHECKPOINT_PAGES
    );
    write.execute(sqlx::AssertSqlSafe(writer_setup.clone())).await?;
    // The incident writer's direct connection (`direct.rs`) opens the same file; an in-memory
    // database has none (a second connection would see another one).
    let file = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.get_filename().to_owned();
    let direct_at = file.is_file().then_some((file, writer_setup));
    let write = WriteSide::sqlite(write, direct_at);
    if let WriteSide::Sqlite(writer) = &write {
        checkpoint::start(connect_options.clone(), pragmas(2_000), std::sync::Arc::downgrade(writer));
    }
    let readers =
        SqliteReaders::new(connect_options, pragmas(2_000), options.max_connections.max(2) as usize);
    Ok((ReadSide::Sqlite(Box::new(readers)), write))
}
