//! Transactions of the store's `GroupWriter` (the incident writer's): on an SQLite file they run
//! on a connection of their own (`sqlite/direct.rs`), which takes turns with the ordinary
//! writer. They must commit, roll back and see the other connection's commits exactly as
//! `begin`'s do; on PostgreSQL they are `begin`'s.

use jiff::Timestamp;
use steward_core::events::{DomainEvent, FieldValue, Fields};
use steward_core::identity::TeamName;
use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::{Impact, IncidentEvent, State, Tags, Ticket, TicketField, TicketKind, Urgency};
use steward_store::{NewEvent, Store, StoreError};
use steward_test_support::TestDb;

use crate::users::new_user;

fn event(entity: &str, n: TicketId) -> NewEvent {
    let fields = Fields(vec![
        (TicketField::Title, FieldValue::Text(entity.into())),
        (TicketField::Description, FieldValue::Text("quote ' and ünïcödé 数据库".into())),
    ]);
    let event = DomainEvent::Incident { id: n, event: IncidentEvent::Created(fields) };
    NewEvent::new(None, "test".into(), &event)
}

fn ticket(title: &str, requester_id: UserId) -> Ticket {
    let at = Timestamp::now();
    Ticket {
        id: TicketId(0),
        kind: TicketKind::Incident,
        number: String::new(),
        title: title.into(),
        description: String::new(),
        requester_id,
        created_by: Some(requester_id),
        category_id: None,
        subcategory_id: None,
        service: Some("mail".into()),
        impact: Impact::new(2).unwrap(),
        urgency: Urgency::new(1).unwrap(),
        priority: steward_core::tickets::Priority::new(2).unwrap(),
        team_id: None,
        assignee_id: None,
        state: State::New,
        hold_reason: None,
        resolution_code: None,
        resolution_note: None,
        resolved_at: None,
        closed_at: None,
        reopen_count: 0,
        parent_id: None,
        tags: Tags::parse(&["vpn"]).unwrap(),
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

async fn requester(store: &Store) -> UserId {
    let mut tx = store.begin().await.unwrap();
    let user = tx.insert_user(Timestamp::now(), &new_user("req")).await.unwrap();
    tx.commit().await.unwrap();
    user.id
}

/// Two tickets, their events, a link between them and a watcher, in one direct transaction.
async fn write_two(store: &Store, user: UserId, titles: [&str; 2]) -> Result<Vec<Ticket>, StoreError> {
    let mut tx = store.group_writer().begin(store).await?;
    let stored = tx.insert_tickets(titles.iter().map(|t| ticket(t, user)).collect()).await?;
    let events = stored.iter().map(|t| (t.created_at, event(&t.title, t.id))).collect();
    tx.append_events_at(events).await?;
    assert!(tx.link_tickets(stored[0].id, stored[1].id).await?, "a new link changes a row");
    assert!(!tx.link_tickets(stored[1].id, stored[0].id).await?, "the same link again changes none");
    assert!(tx.add_watcher(stored[0].id, user).await?);
    tx.commit().await?;
    Ok(stored)
}

/// An ordinary transaction in between: the direct connection must see what it wrote.
async fn write_team(store: &Store, name: &str) {
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(name, TicketId(0))).await.unwrap();
    tx.insert_team(Timestamp::now(), &TeamName::parse(name).unwrap(), "").await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn direct_transactions_take_turns_with_the_writer_and_keep_the_chain() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let user = requester(&store).await;
    let first = write_two(&store, user, ["first", "second"]).await.unwrap();
    write_team(&store, "between").await;
    let next = write_two(&store, user, ["third", "fourth"]).await.unwrap();

    let numbers: Vec<&str> = first.iter().chain(&next).map(|t| t.number.as_str()).collect();
    assert_eq!(numbers, ["INC000001", "INC000002", "INC000003", "INC000004"]);
    for t in first.iter().chain(&next) {
        let got = store.ticket(t.id).await.unwrap().expect("committed");
        assert_eq!(
            (got.title.as_str(), got.number.as_str(), got.version),
            (t.title.as_str(), t.number.as_str(), 1)
        );
        assert_eq!(got.tags, t.tags);
    }
    assert_eq!(store.related_tickets(first[1].id).await.unwrap().len(), 1);
    assert_eq!(store.watchers(first[0].id).await.unwrap().len(), 1);
    // Six events (the user is not one), all chained across both connections.
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(5));
}

#[tokio::test]
async fn a_direct_transaction_that_fails_or_is_dropped_leaves_nothing_and_frees_the_writer() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let user = requester(&store).await;

    // Dropped after its statements ran.
    let mut tx = store.group_writer().begin(&store).await.unwrap();
    let stored = tx.insert_tickets(vec![ticket("dropped", user)]).await.unwrap();
    tx.append_events_at(vec![(Timestamp::now(), event("dropped", stored[0].id))]).await.unwrap();
    tx.link_tickets(stored[0].id, stored[0].id).await.unwrap();
    drop(tx);

    // Failed: a link to a ticket that does not exist breaks a foreign key.
    let mut tx = store.group_writer().begin(&store).await.unwrap();
    let stored = tx.insert_tickets(vec![ticket("failed", user)]).await.unwrap();
    let err = tx.link_tickets(stored[0].id, TicketId(999)).await.unwrap_err();
    assert!(!matches!(err, StoreError::NotFound | StoreError::Duplicate { .. }), "{err:?}");
    drop(tx);

    write_team(&store, "after").await;
    let kept = write_two(&store, user, ["kept", "also kept"]).await.unwrap();
    assert_eq!(kept[0].number, "INC000001", "the rolled-back numbers are free again");
    assert_eq!(store.ticket(kept[1].id).await.unwrap().map(|t| t.title), Some("also kept".into()));
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(3));
}

#[tokio::test]
async fn a_statement_a_direct_transaction_cannot_run_fails_without_harm() {
    let db = TestDb::new().await;
    let store = db.store().await;
    if !store.group_writer().wants_own_thread() {
        return;
    }
    let user = requester(&store).await;
    let mut tx = store.group_writer().begin(&store).await.unwrap();
    tx.insert_tickets(vec![ticket("before", user)]).await.unwrap();
    // Team inserts go through sqlx's connection, which a direct transaction does not use.
    assert!(tx.insert_team(Timestamp::now(), &TeamName::parse("nope").unwrap(), "").await.is_err());
    drop(tx);
    write_team(&store, "fine").await;
    assert_eq!(store.list_teams().await.unwrap().len(), 1);
    assert_eq!(store.ticket(TicketId(1)).await.unwrap(), None);
}

#[tokio::test]
async fn groups_of_creates_keep_the_title_index_whole_while_they_merge_it() {
    // SQLite only: the FTS5 trigram index and its merges (migration 0009, `insert.rs`).
    let db = TestDb::new().await;
    let store = db.store().await;
    if !store.group_writer().wants_own_thread() {
        return;
    }
    let user = requester(&store).await;
    // 40 groups of 40: five index batches of 256 titles or more, so levels fill and merge.
    for g in 0..40 {
        let mut tx = store.group_writer().begin(&store).await.unwrap();
        let tickets = (0..40).map(|i| ticket(&format!("group zq{g:03}x item {i}"), user)).collect();
        tx.insert_tickets(tickets).await.unwrap();
        tx.commit().await.unwrap();
    }
    let raw = db.raw_pool().await;
    let scalar = |sql: &'static str| {
        let raw = raw.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&raw).await.unwrap() }
    };
    // FTS5's own merging stays off: the writer merges (a few pages per group).
    assert_eq!(scalar("SELECT v FROM tickets_title_fts_config WHERE k = 'automerge'").await, 0);
    let indexed = scalar("SELECT upto FROM ticket_title_index").await;
    assert!(indexed >= 1280, "five batches indexed or more: {indexed}");
    // Every indexed group is found whole, whatever segment it ended up in.
    for g in 0..(indexed / 40) {
        let sql =
            format!("SELECT COUNT(*) FROM tickets_title_fts WHERE tickets_title_fts MATCH '\"zq{g:03}x\"'");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&raw).await.unwrap();
        assert_eq!(n, 40, "group {g}");
    }
    sqlx::query("INSERT INTO tickets_title_fts (tickets_title_fts) VALUES ('integrity-check')")
        .execute(&raw)
        .await
        .expect("the merged index agrees with the tickets");
}
