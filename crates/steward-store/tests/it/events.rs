use jiff::Timestamp;
use serde_json::json;
use steward_core::audit::ChainBreak;
use steward_store::{EventFilter, NewEvent, Store};
use steward_test_support::TestDb;

fn event(n: i64) -> NewEvent {
    NewEvent {
        actor_id: Some(1),
        actor_name: "admin".into(),
        entity_type: "user",
        entity_id: Some(n.to_string()),
        action: "create",
        before: None,
        after: Some(json!({ "n": n })),
    }
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
    db.refuse_inserts("events", "action", "refused").await;
    let mut tx = store.begin().await.unwrap();
    tx.append_event(Timestamp::now(), event(2)).await.unwrap();
    let refused = NewEvent { action: "refused", ..event(3) };
    assert_eq!(tx.append_event(Timestamp::now(), refused).await.unwrap(), 3, "the insert waits");
    assert!(tx.commit().await.is_err(), "the refused row fails the commit");
    assert_eq!(store.event_head().await.unwrap(), 1, "nothing of the transaction stays");
    assert_eq!(store.verify_event_chain().await.unwrap(), Ok(1));
}
