//! The write side's transactions: whatever way a transaction ends without its commit — dropped,
//! cancelled mid-statement, failed, dropped on a thread with no runtime — it leaves nothing
//! behind and the next writer goes on. On SQLite `BEGIN` goes out with the first statement and
//! `COMMIT` with the deferred ones (`sqlite/writer.rs`), so these are the cases that must still hold.

use std::time::Duration;

use jiff::Timestamp;
use steward_core::events::DomainEvent;
use steward_core::identity::{TeamEvent, TeamName};
use steward_core::ids::TeamId;
use steward_core::tickets::TicketKind;
use steward_store::{NewEvent, Store, StoreError, TicketQuery, Visibility};
use steward_test_support::TestDb;

fn event(n: i64) -> NewEvent {
    let event = TeamEvent::Created { name: format!("team-{n}"), description: String::new() };
    NewEvent::new(None, "test".into(), &DomainEvent::Team { id: TeamId(n), event })
}

fn team(n: i64) -> TeamName {
    TeamName::parse(&format!("team-{n}")).unwrap()
}

/// A team and its event, in one transaction.
async fn write_pair(store: &Store, n: i64) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    tx.append_event(Timestamp::now(), event(n)).await?;
    tx.insert_team(Timestamp::now(), &team(n), "").await?;
    tx.commit().await
}

/// A fresh SQLite database and its store; `None` on PostgreSQL, for SQLite-only behaviour.
async fn sqlite_only() -> Option<(TestDb, Store)> {
    let db = TestDb::new().await;
    let store = db.store().await;
    (store.engine() == "Sqlite").then_some((db, store))
}

async fn team_names(store: &Store) -> Vec<String> {
    store.list_teams().await.unwrap().into_iter().map(|t| t.team.name.to_string()).collect()
}

#[tokio::test]
async fn a_transaction_that_wrote_nothing_commits() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store.begin().await.unwrap().commit().await.unwrap();
    write_pair(&store, 1).await.unwrap();
    assert_eq!(team_names(&store).await, ["team-1"]);
}

#[tokio::test]
async fn a_failed_statement_rolls_back_its_transaction_and_frees_the_writer() {
    let db = TestDb::new().await;
    let store = db.store().await;
    write_pair(&store, 1).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(2)).await.unwrap();
    let err = tx.insert_team(Timestamp::now(), &team(1), "").await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "name" }), "{err:?}");
    drop(tx);
    write_pair(&store, 3).await.unwrap();
    assert_eq!(team_names(&store).await, ["team-1", "team-3"]);
    // The failed transaction's event is gone: the chain has no gap and verifies.
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(2));
}

#[tokio::test]
async fn a_transaction_dropped_where_no_runtime_runs_is_rolled_back_by_the_next_writer() {
    // SQLite only: sqlx's pool (PostgreSQL's write side) needs a runtime to take a connection back.
    let Some((_db, store)) = sqlite_only().await else { return };
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(1)).await.unwrap();
    tx.insert_team(Timestamp::now(), &team(1), "").await.unwrap();
    std::thread::spawn(move || drop(tx)).join().unwrap();
    write_pair(&store, 2).await.unwrap();
    assert_eq!(team_names(&store).await, ["team-2"]);
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(1));
}

/// Transactions cut off at every point of their run — before `BEGIN` went out, between
/// statements, while one runs, during the commit — are each written whole or not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_cancelled_anywhere_are_all_or_nothing() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut cut = 0;
    for n in 1..=100 {
        // 22 µs to 0.27 s: from before `BEGIN` goes out to past the commit on either backend,
        // even on a loaded machine (at 40 ms, the old top, PostgreSQL sometimes finished none).
        // The first is cut at its first wait, whatever the timer's granularity: a machine fast
        // enough to finish every pair within a millisecond tick once cut none (and failed).
        let limit = if n == 1 {
            Duration::from_nanos(1)
        } else {
            Duration::from_secs_f64(20e-6 * 1.1f64.powi(n as i32))
        };
        match tokio::time::timeout(limit, write_pair(&store, n)).await {
            Ok(done) => done.unwrap(),
            Err(_) => cut += 1,
        }
    }
    write_pair(&store, 1000).await.unwrap();
    let teams = team_names(&store).await;
    let events =
        store.list_events(&steward_store::EventFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let mut with_events: Vec<String> =
        events.iter().map(|e| format!("team-{}", e.event.entity_id.as_deref().unwrap())).collect();
    with_events.sort();
    let mut sorted = teams.clone();
    sorted.sort();
    assert_eq!(sorted, with_events, "every team has its event and every event its team");
    assert!(teams.contains(&"team-1000".to_owned()));
    assert!(cut > 0, "some transactions were cut off");
    assert!(teams.len() > 2, "some transactions were written whole");
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(events.len() as i64));
}

/// Committed pages reach the database file without any writer checkpointing: the background
/// task does it (the writer alone would wait for 10,000 log pages). Read with `immutable`,
/// which looks at the file only and ignores the log.
#[tokio::test]
async fn commits_reach_the_database_file_in_the_background() {
    let Some((db, store)) = sqlite_only().await else { return };
    for n in 1..=20 {
        write_pair(&store, n).await.unwrap();
    }
    let file_only = db.url.replace("?mode=rwc", "?immutable=true");
    let mut in_file = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&file_only).await.unwrap();
        // Until the first checkpoint even the table is only in the log.
        in_file = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM teams")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(0);
        if in_file == 20 {
            break;
        }
    }
    assert_eq!(in_file, 20, "the database file has every committed team");
}

/// The bundled SQLite is built with the options `.cargo/config.toml` gives it (no global memory
/// statistics: a mutex on every allocation).
#[tokio::test]
async fn sqlite_is_built_with_the_configured_options() {
    let Some((db, _store)) = sqlite_only().await else { return };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    let options: Vec<String> =
        sqlx::query_scalar("PRAGMA compile_options").fetch_all(&mut conn).await.unwrap();
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
}

/// Two bulk loads in a row commit — the second's one statement changes pages of every index the
/// first filled, all kept in its statement journal — and both loads' titles reach the title
/// index in the load's own batch (`tickets/insert.rs`).
#[tokio::test]
async fn bulk_loads_onto_loaded_tables_commit_and_index_their_titles() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let team = tx.insert_team(Timestamp::now(), &team(1), "").await.unwrap();
    let user = tx.insert_user(Timestamp::now(), &crate::users::new_user("loader")).await.unwrap();
    tx.commit().await.unwrap();
    let year_ms = 365 * 24 * 3_600_000;
    for _ in 0..2 {
        let loaded =
            store.bulk_load_incidents(30_000, &[team.id], user.id, Timestamp::now(), year_ms).await.unwrap();
        assert_eq!(loaded, 30_000);
    }
    let mut q = TicketQuery::new(TicketKind::Incident);
    q.text = Some("host-4321".into());
    q.limit = 500;
    let page = store.list_tickets(&q, Visibility::All).await.unwrap();
    // `host-N` is `host-(n % 5000)`: six of each 30,000, twice.
    assert_eq!(page.items.len(), 12, "{:?}", page.items.iter().map(|t| &t.title).collect::<Vec<_>>());
}
