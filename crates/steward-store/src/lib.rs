//! The only crate that writes SQL.
//!
//! One [`Store`] runs over SQLite or PostgreSQL, chosen from the database URL. Both backends
//! run through sqlx's `Any` driver with one SQL text wherever the dialects agree (placeholders
//! are `$1`, which SQLite accepts too); the few places where they differ `match` on
//! [`Backend`]. Reads go through `Store` methods; every write happens inside a [`Tx`] so the
//! rows, their events and their follow-up jobs commit together.
//!
//! Instants are stored as BIGINT milliseconds since the Unix epoch (UTC).

#![forbid(unsafe_code)]

mod alert_setup;
mod alerts;
mod changes;
mod cmdb;
mod credentials;
mod events;
mod forecasts;
mod jobs;
mod knowledge;
mod logs;
mod notifications;
mod postgres;
mod problems;
mod replies;
mod reports;
mod requests;
mod reviews;
mod runbooks;
mod scan;
mod sides;
mod sla;
mod sqlite;
mod subscriptions;
mod surveys;
mod teams;
mod throttles;
mod tickets;
mod triage;
mod tx;
mod users;

use jiff::Timestamp;
use sides::{ReadConn, ReadSide, WriteConn, WriteSide};
use sqlx::Executor;
use sqlx::any::AnyConnectOptions;
use tx::{AnyQuery, Statement, TxConn, Value};

pub use tx::Tx;

pub use alert_setup::{AlertRuleRecord, MaintenanceRecord};
pub use alerts::{AlertFilter, AlertRecord, NewAlertRow, SilenceRecord};
pub use changes::{
    ApprovalRecord, CalendarEntry, DecisionRecord, DelegationRecord, FreezeRecord, GroupRecord, LinkRecord,
    ModelRecord, PlanRecord, ReleaseRecord, books_calendar,
};
pub use cmdb::{CiQuery, CiRecord, RelationRecord};
pub use credentials::{NewToken, SessionRecord};
pub use events::{
    DecodeError, Encoded, EventFilter, LoggedEvent, NewEvent, SCHEMA_VERSION, encode_event, fields_json,
    relation_json,
};
pub use forecasts::{ForecastOutcome, ForecastRecord, NewForecast};
pub use jobs::{Job, NewJob};
pub use knowledge::{ArticleFilter, ArticleRecord, ArticleVersion};
pub use logs::{
    LineFilter, LogHostRecord, LogTemplateRecord, LogUsage, StoredLine, TemplateFilter, template_hash,
};
pub use notifications::PendingNotice;
pub use replies::ReplyTemplateRecord;
pub use reports::ReportFilter;
pub use requests::{
    ItemInput, ItemRecord, LevelRecord, OrderRecord, RequestDecision, TaskRecord, VersionRecord,
};
pub use reviews::{ActionRecord, ReviewRecord};
pub use runbooks::{
    AlertTriggerRecord, GrantRecord, NewRun, OutputChunk, RunFilter, RunRecord, RunStepRecord, RunTotals,
    RunbookLimits, RunbookRecord, ScheduleRecord,
};
pub use sla::{CalendarRecord, Notification, PolicyHistory, PolicyRecord};
pub use subscriptions::{DeliveryRecord, SubscriptionRecord};
pub use surveys::{CsatRecord, CsatSum, Deed, Deeds, NewCsat, NewNps, NpsCandidate, NpsRecord};
pub use throttles::ThrottleState;
pub use tickets::{
    Attachment, Category, Comment, DuplicateFlag, NewAttachment, NewComment, NewDuplicate, OpenIncident,
    SearchTuning, SortField, TicketPage, TicketQuery, Visibility,
};
pub use triage::{TriageExample, TriageModelRecord};
pub use users::{LoginRecord, NewUser, UserPatch};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record a caller named does not exist (an id from a request, say).
    #[error("not found")]
    NotFound,
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    #[error("the record was changed by someone else (version {current})")]
    Stale { current: i64 },
    /// A fault of the store itself: a stored row that does not read, a row missing from its
    /// own result, a bad URL or setting. Never the caller's doing, so never a 404.
    #[error("a stored row is not valid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// From the direct SQLite connection (`sqlite/direct.rs`).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Unique constraints and the input field each one protects, by PostgreSQL constraint name and
/// by the `table.column` SQLite names in its message.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("users_username_key", "users.username", "username"),
    ("teams_name_key", "teams.name", "name"),
    // A unique index: SQLite names the index itself.
    ("categories_name_key", "categories_name_key", "name"),
    ("reply_templates_name", "reply_templates_name", "name"),
    ("alerts_fingerprint_key", "alerts.source, alerts.fingerprint", "fingerprint"),
    ("alert_rules_name_key", "alert_rules.name", "name"),
    ("subscriptions_name_key", "subscriptions.name", "name"),
    ("saved_views_name_key", "saved_views.user_id, saved_views.name", "name"),
    ("sla_calendars_name_key", "sla_calendars.name", "name"),
    ("sla_policies_name_key", "sla_policies.name", "name"),
    ("cis_external_id_key", "cis.external_id", "external_id"),
    ("ci_unique_values_key", "ci_unique_values.class, ci_unique_values.attr", "attributes"),
    ("ci_relations_key", "ci_relations.from_ci, ci_relations.to_ci, ci_relations.kind", "kind"),
    ("ci_classes_pkey", "ci_classes.name", "name"),
    ("problem_incidents_pkey", "problem_incidents.incident_id", "incident_ids"),
    ("change_models_name_key", "change_models.name", "name"),
    ("approver_groups_name_key", "approver_groups.name", "name"),
    ("catalogue_items_name_key", "catalogue_items.name", "name"),
    ("request_decisions_pkey", "request_decisions.request_id", "decision"),
    ("approval_decisions_pkey", "approval_decisions.change_id", "decision"),
    ("releases_name_version_key", "releases.name, releases.version", "version"),
    ("release_changes_pkey", "release_changes.change_id", "change_id"),
    ("runbooks_name_key", "runbooks.name", "name"),
    ("runbook_approvals_pkey", "runbook_approvals.run_id", "approval"),
    ("runbook_runs_schedule_due", "runbook_runs.schedule_id", "schedule_id"),
    ("secrets_name_key", "secrets.name", "name"),
    ("runbook_artifacts_pkey", "runbook_artifacts.run_id", "name"),
    ("forecast_rules_name_key", "forecast_rules.name", "name"),
];

impl From<DecodeError> for StoreError {
    fn from(err: DecodeError) -> StoreError {
        StoreError::Corrupt(err.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let message = db.message();
                let constraint = db.constraint().unwrap_or_default();
                UNIQUE_FIELDS
                    .iter()
                    .find(|(pg, sqlite, _)| constraint == *pg || message.contains(sqlite))
                    .map(|(_, _, field)| StoreError::Duplicate { field })
                    .unwrap_or(StoreError::Database(err))
            }
            _ => StoreError::Database(err),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database engine behind the store: private, so no code outside the store picks a path by
/// engine (the app asks for a [`GroupWriter`] instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// How a writer of grouped transactions (the incident intake) runs best on this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupWriter {
    /// On SQLite: the writer's transactions step their statements on its own thread, through
    /// the direct connection (`sqlite/direct.rs`).
    direct: bool,
}

impl GroupWriter {
    /// A writer for a caller on the shared runtime (a one-off write outside the group).
    pub fn shared() -> GroupWriter {
        GroupWriter { direct: false }
    }

    /// Whether the writer should run on a thread of its own with a current-thread runtime: its
    /// transactions then block that thread while SQLite runs their statements, instead of
    /// handing each statement to another thread. On PostgreSQL the writer stays on the shared
    /// runtime, whose connections belong to it.
    pub fn wants_own_thread(self) -> bool {
        self.direct
    }

    /// Starts one group's transaction. Such a transaction takes only statements made with
    /// [`Tx::defer`], [`Tx::fetch_all`] and [`Tx::execute`] (the ticket insert, events, facts
    /// and links do); others fail cleanly.
    pub async fn begin(self, store: &Store) -> Result<Tx> {
        match self.direct {
            true => store.begin_direct().await,
            false => store.begin().await,
        }
    }
}

/// How the store connects; the binary fills this from its configuration.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// SQLite's `synchronous` pragma: `full` survives power loss, `normal` only a crash.
    pub sqlite_synchronous: String,
    pub search: SearchTuning,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 10,
            sqlite_synchronous: "full".into(),
            search: SearchTuning::default(),
        }
    }
}

/// The database, over SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Store {
    read: std::sync::Arc<ReadSide>,
    /// On SQLite exactly one connection, so writers queue instead of failing with SQLITE_BUSY
    /// (`sqlite/writer.rs`); on PostgreSQL the same pool as `read`.
    write: WriteSide,
    backend: Backend,
    search: SearchTuning,
    /// Trigram frequencies of a sample of titles, for planning title searches.
    trigram_sample: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<tickets::TrigramSample>>>>,
}

impl Store {
    /// The URL of the embedded database in a data folder.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("steward.db").display())
    }

    /// The file of a SQLite URL; `None` for PostgreSQL or an in-memory database.
    pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
    }

    /// Writes a consistent copy of a SQLite database to `path` while it serves (`VACUUM
    /// INTO`: one read transaction, so writers go on). PostgreSQL has `pg_dump` for this.
    pub async fn backup_sqlite_into(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt("an online copy is SQLite's; use pg_dump on PostgreSQL".into()));
        }
        let target =
            path.to_str().ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&mut *self.reader().await?).await?;
        Ok(())
    }

    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL `{}`: use sqlite://PATH or postgres://...",
                url.split(['?', '@']).next().unwrap_or_default()
            )));
        };
        let connect_options: AnyConnectOptions = url.parse()?;
        let (read, write) = match backend {
            Backend::Postgres => postgres::connect(connect_options, options).await?,
            Backend::Sqlite => sqlite::connect(url, connect_options, options).await?,
        };
        Ok(Store {
            read: std::sync::Arc::new(read),
            write,
            backend,
            search: options.search,
            trigram_sample: Default::default(),
        })
    }

    /// A connection for reads (`&mut *conn` is the executor).
    async fn reader(&self) -> Result<ReadConn<'_>> {
        self.read.conn().await
    }

    /// The engine's name, for logs and reports: `Sqlite` or `Postgres`.
    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "Sqlite",
            Backend::Postgres => "Postgres",
        }
    }

    /// How the incident intake should write its groups here.
    pub fn group_writer(&self) -> GroupWriter {
        GroupWriter { direct: self.backend == Backend::Sqlite }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // A migration may rewrite a whole table in one statement: its statement journal
                // goes to a file, as SQLite does by default, not into memory.
                let mut writer = self.writer().await?;
                writer.execute("PRAGMA temp_store = FILE").await?;
                sqlx::migrate!("./migrations/sqlite").run(&mut *writer).await?;
                writer
                    .execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA temp_store = {}",
                        sqlite::WRITER_TEMP_STORE
                    )))
                    .await?;
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres").run(&mut *self.writer().await?).await?
            }
        }
        Ok(())
    }

    /// Opens every read connection now, so that the first requests after a start do not each
    /// wait for one to open (on SQLite: a thread, the file, the schema). `serve` calls this.
    pub async fn warm_up(&self) -> Result<()> {
        let connections = self.read.capacity();
        let lent = futures_util::future::try_join_all((0..connections).map(|_| self.reader())).await?;
        drop(lent);
        Ok(())
    }

    /// Checks that the database answers; `/readyz` calls this.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&mut *self.reader().await?).await?;
        Ok(())
    }

    /// Starts the transaction every write goes through. On SQLite its `BEGIN IMMEDIATE` waits
    /// to go with the transaction's first statement (see [`Tx`]).
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match &self.write {
            WriteSide::Pool(pool) => TxConn::Pool(pool.begin().await?),
            WriteSide::Sqlite(writer) => TxConn::Sqlite { writer: sqlite::hold(writer).await?, sent: false },
        };
        Ok(Tx::new(conn, self.backend))
    }

    /// [`Store::begin`] for a caller on a thread of its own (the incident writer, through
    /// [`GroupWriter::begin`]): on an SQLite file its statements run on the calling thread,
    /// blocking it (`sqlite/direct.rs`). Anywhere else it is [`Store::begin`].
    async fn begin_direct(&self) -> Result<Tx> {
        match &self.write {
            WriteSide::Sqlite(writer) => {
                let writer = sqlite::hold(writer).await?;
                let conn = if writer.has_direct() {
                    TxConn::Direct { writer, sent: false }
                } else {
                    TxConn::Sqlite { writer, sent: false }
                };
                Ok(Tx::new(conn, self.backend))
            }
            WriteSide::Pool(_) => self.begin().await,
        }
    }

    /// The write connection, for a single statement outside a transaction.
    async fn writer(&self) -> Result<WriteConn> {
        self.write.conn().await
    }

    /// Whether the database holds any table yet (a restore wants an empty one).
    pub async fn has_tables(&self) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            }
        };
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *self.reader().await?).await?;
        Ok(n > 0)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// `n` parameter placeholders numbered from `first`, for statements built with many rows.
///
/// SQLite gets anonymous `?` (bound in order): with `$N` names it looks every name up in a list,
/// so a statement of P parameters costs O(P²) to bind — seconds for a bulk insert. Anonymous
/// ones also let a statement run after deferred ones in one call ([`Tx::fetch_all`]).
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    (first..first + n).map(|i| placeholder(backend, i)).collect::<Vec<_>>().join(", ")
}

/// The `i`-th parameter placeholder (from 1); see [`placeholders`].
fn placeholder(backend: Backend, i: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${i}"),
    }
}

/// Ids as a literal SQL list (integers only, so nothing to escape): one statement for many ids
/// without one bound parameter each.
fn id_list<I: Copy + Into<i64>>(ids: &[I]) -> String {
    ids.iter().map(|&id| id.into().to_string()).collect::<Vec<_>>().join(",")
}

/// Row ids read from a column, as typed ids.
fn typed<I: From<i64>>(ids: Vec<i64>) -> Vec<I> {
    ids.into_iter().map(I::from).collect()
}

/// A typed id from a row's column.
fn id_at<I: From<i64>>(row: &sqlx::any::AnyRow, column: &str) -> Result<I> {
    Ok(I::from(sqlx::Row::try_get::<i64, _>(row, column)?))
}

/// A typed id from a row's nullable column.
fn opt_id_at<I: From<i64>>(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<I>> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(row, column)?.map(I::from))
}

fn to_ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

fn from_ms(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("instant {ms}: {e}")))
}

fn from_ms_opt(ms: Option<i64>) -> Result<Option<Timestamp>> {
    ms.map(from_ms).transpose()
}

/// The migration folders of the two backends must hold the same migrations, or one backend
/// silently lacks a table the code expects.
#[cfg(test)]
mod tests {
    #[test]
    fn migrations_match_between_backends() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{root}/migrations/sqlite"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names(&format!("{root}/migrations/postgres")));
    }
}
