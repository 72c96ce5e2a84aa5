use jiff::Timestamp;
use steward_core::audit::ChainBreak;
use steward_core::events::{Changes, DomainEvent, Fields};
use steward_core::identity::UserEvent;
use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::IncidentEvent;
use steward_store::{EventFilter, NewEvent, Store};
use steward_test_support::TestDb;

fn event(n: i64) -> NewEvent {
    let event = UserEvent::SignedIn { via: format!("test {n}") };
    NewEvent::new(Some(UserId(1)), "admin".into(), &DomainEvent::User { id: Some(UserId(n)), event })
}

async fn store_with_events(n: i64) -> (TestDb, Store) {
    let db = TestDb::new().await;
    let store = db.store().await;
    for i in 1..=n {
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.append_event(Timestamp::now(), event(i)).await.unwrap(), i);
        tx.commit().await.unwrap();
    }
    (db, store)
}

#[tokio::test]
async fn chain_verifies_and_lists_newest_first() {
    let (_db, store) = store_with_events(5).await;
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(5));
    let page = store.list_events(&EventFilter { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.event.seq).collect::<Vec<_>>(), vec![5, 4]);
    let older = store
        .list_events(&EventFilter { limit: 10, before_seq: Some(4), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(older.iter().map(|e| e.event.seq).collect::<Vec<_>>(), vec![3, 2, 1]);
    let one = EventFilter {
        entity_type: Some("user".into()),
        entity_id: Some("2".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.list_events(&one).await.unwrap().len(), 1);
}

#[tokio::test]
async fn rolled_back_events_leave_no_gap() {
    let (_db, store) = store_with_events(2).await;
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(3)).await.unwrap();
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.append_event(Timestamp::now(), event(3)).await.unwrap(), 3);
    tx.commit().await.unwrap();
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(3));
}

#[tokio::test]
async fn an_edited_row_is_named() {
    let (db, store) = store_with_events(4).await;
    let raw = db.raw_pool().await;
    sqlx::query("UPDATE events SET after_json = '{\"n\":99}' WHERE seq = 3").execute(&raw).await.unwrap();
    assert_eq!(store.verify_event_chain().await.unwrap(), Err(ChainBreak::Edited { seq: 3 }));
}

#[tokio::test]
async fn a_deleted_row_is_named() {
    let (db, store) = store_with_events(4).await;
    let raw = db.raw_pool().await;
    sqlx::query("DELETE FROM events WHERE seq = 2").execute(&raw).await.unwrap();
    assert_eq!(store.verify_event_chain().await.unwrap(), Err(ChainBreak::Missing { seq: 2, found: 3 }));
}

#[tokio::test]
async fn deleting_the_newest_rows_is_detected() {
    let (db, store) = store_with_events(4).await;
    let raw = db.raw_pool().await;
    sqlx::query("DELETE FROM events WHERE seq >= 3").execute(&raw).await.unwrap();
    assert_eq!(store.verify_event_chain().await.unwrap(), Err(ChainBreak::Truncated { from: 3, to: 4 }));
}

#[tokio::test]
async fn concurrent_appends_keep_one_chain() {
    let (_db, store) = store_with_events(0).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..10 {
                let mut tx = store.begin().await.unwrap();
                tx.append_event(Timestamp::now(), event(i * 100 + j)).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(80));
}

#[tokio::test]
async fn deferred_rows_are_seen_by_the_next_statement_of_their_transaction() {
    let (_db, store) = store_with_events(0).await;
    let mut tx = store.begin().await.unwrap();
    // The rows and the head's hash of the first two appends wait; the third append's head
    // update runs them first, so the chain links up across all three.
    for i in 1..=3 {
        assert_eq!(tx.append_event(Timestamp::now(), event(i)).await.unwrap(), i);
    }
    tx.commit().await.unwrap();
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(3));
}

#[tokio::test]
async fn a_deferred_statement_that_fails_fails_the_commit_and_writes_nothing() {
    let (db, store) = store_with_events(1).await;
    db.refuse_inserts("events", "action", "logout").await;
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(2)).await.unwrap();
    let refused = NewEvent::new(
        Some(UserId(1)),
        "admin".into(),
        &DomainEvent::User { id: Some(UserId(3)), event: UserEvent::SignedOut },
    );
    assert_eq!(tx.append_event(Timestamp::now(), refused).await.unwrap(), 3, "the insert waits");
    assert!(tx.commit().await.is_err(), "the refused row fails the commit");
    assert_eq!(store.event_head().await.unwrap(), 1, "nothing of the transaction stays");
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(1));
}

/// Every combination of filters answers from the log, and `histories` gives each entity's
/// events oldest first, across its chunks of 500 entities.
#[tokio::test]
async fn filters_and_histories_pick_each_entitys_events() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    // Two rounds over 600 tickets, and a user event between them.
    for round in 0..2 {
        for id in 1..=600 {
            let change = match round {
                0 => IncidentEvent::Created(Fields(vec![])),
                _ => IncidentEvent::Updated(Changes { before: Fields(vec![]), after: Fields(vec![]) }),
            };
            let e = NewEvent::new(
                Some(UserId(1)),
                "admin".into(),
                &DomainEvent::Incident { id: TicketId(id), event: change },
            );
            tx.append_event(Timestamp::now(), e).await.unwrap();
        }
        tx.append_event(Timestamp::now(), event(7)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let list = async |entity_type: Option<&str>, entity_id: Option<&str>, before_seq, limit| {
        let filter = EventFilter {
            entity_type: entity_type.map(str::to_owned),
            entity_id: entity_id.map(str::to_owned),
            before_seq,
            limit,
        };
        store.list_events(&filter).await.unwrap().iter().map(|e| e.event.seq).collect::<Vec<_>>()
    };
    assert_eq!(list(Some("incident"), Some("7"), None, 10).await, vec![608, 7]);
    assert_eq!(list(Some("incident"), Some("7"), Some(608), 10).await, vec![7]);
    assert_eq!(list(Some("user"), Some("7"), None, 10).await, vec![1202, 601]);
    assert_eq!(list(Some("user"), None, Some(1202), 10).await, vec![601]);
    assert_eq!(list(None, Some("7"), None, 10).await, vec![1202, 608, 601, 7]);
    assert_eq!(list(None, None, Some(4), 10).await, vec![3, 2, 1]);
    assert_eq!(list(Some("incident"), None, None, 2).await, vec![1201, 1200]);

    let ids: Vec<String> = (1..=601).map(|i| i.to_string()).collect();
    let all = store.histories("incident", &ids).await.unwrap();
    assert_eq!(all.len(), 1200, "two per ticket, none for the unknown one, no user events");
    let mut seen: std::collections::HashMap<String, Vec<(i64, String)>> = Default::default();
    for e in &all {
        let id = e.event.entity_id.clone().unwrap();
        seen.entry(id).or_default().push((e.event.seq, e.event.action.clone()));
    }
    assert_eq!(seen["1"], vec![(1, "create".to_owned()), (602, "update".to_owned())]);
    assert_eq!(seen["600"], vec![(600, "create".to_owned()), (1201, "update".to_owned())]);
    assert!(seen.values().all(|h| h.len() == 2 && h[0].0 < h[1].0), "each oldest first");
    assert!(store.histories("incident", &[]).await.unwrap().is_empty());
}
