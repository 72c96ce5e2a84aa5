use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use steward_core::jobs::AfterFailure;
use steward_store::{NewJob, Store};
use steward_test_support::TestDb;

fn job(kind: &'static str, run_at: Timestamp, dedupe: Option<&str>) -> NewJob {
    NewJob {
        kind,
        payload: json!({ "k": kind }),
        run_at,
        max_attempts: 3,
        dedupe_key: dedupe.map(str::to_owned),
    }
}

async fn enqueue(store: &Store, j: NewJob) -> Option<i64> {
    let mut tx = store.begin().await.unwrap();
    let id = tx.enqueue_job(Timestamp::now(), &j).await.unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn claim_complete_and_dedupe() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let now = Timestamp::now();
    let first = enqueue(&store, job("a", now, Some("only-one"))).await;
    assert!(first.is_some());
    assert_eq!(enqueue(&store, job("a", now, Some("only-one"))).await, None, "duplicate key is a no-op");
    let later = now.checked_add(SignedDuration::from_hours(1)).unwrap();
    enqueue(&store, job("b", later, None)).await.unwrap();

    let claimed = store.claim_jobs("w1", now, 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only the due job is claimed");
    assert_eq!(claimed[0].kind, "a");
    assert_eq!(claimed[0].payload, json!({ "k": "a" }));
    assert_eq!(claimed[0].attempts, 1);
    assert!(
        store.claim_jobs("w2", now, 60_000, 10).await.unwrap().is_empty(),
        "a leased job is not claimed twice"
    );
    assert!(!store.complete_job(claimed[0].id, "w2").await.unwrap(), "only the lease holder completes");
    assert!(store.complete_job(claimed[0].id, "w1").await.unwrap());
    assert_eq!(store.job_counts().await.unwrap(), (1, 0));
    assert!(enqueue(&store, job("a", now, Some("only-one"))).await.is_some(), "the key is free once done");
}

#[tokio::test]
async fn failures_back_off_then_die() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let now = Timestamp::now();
    let id = enqueue(&store, job("flaky", now, Some("flaky-key"))).await.unwrap();

    let c = store.claim_jobs("w", now, 60_000, 1).await.unwrap();
    store.fail_job(id, "w", now, "boom", AfterFailure::RetryIn { delay_ms: 10_000 }).await.unwrap();
    assert_eq!(c[0].attempts, 1);
    assert!(store.claim_jobs("w", now, 60_000, 1).await.unwrap().is_empty(), "not due during the back-off");
    let later = now.checked_add(SignedDuration::from_secs(11)).unwrap();
    let c = store.claim_jobs("w", later, 60_000, 1).await.unwrap();
    assert_eq!(c[0].attempts, 2);
    store.fail_job(id, "w", later, "boom again", AfterFailure::GiveUp).await.unwrap();
    let much_later = later.checked_add(SignedDuration::from_hours(10)).unwrap();
    assert!(store.claim_jobs("w", much_later, 60_000, 1).await.unwrap().is_empty(), "dead jobs stay dead");
    assert_eq!(store.job_counts().await.unwrap(), (0, 1));
    assert!(
        enqueue(&store, job("flaky", now, Some("flaky-key"))).await.is_some(),
        "a dead job frees its key"
    );
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let now = Timestamp::now();
    enqueue(&store, job("x", now, None)).await.unwrap();
    assert_eq!(store.claim_jobs("dead-node", now, 1_000, 1).await.unwrap().len(), 1);
    let after_lease = now.checked_add(SignedDuration::from_secs(2)).unwrap();
    let again = store.claim_jobs("live-node", after_lease, 1_000, 1).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
}

#[tokio::test]
async fn concurrent_workers_never_share_a_job() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let now = Timestamp::now();
    for _ in 0..60 {
        enqueue(&store, job("bulk", now, None)).await.unwrap();
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store.claim_jobs(&format!("w{w}"), now, 60_000, 3).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.iter().map(|j| j.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for w in workers {
        for id in w.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(total, 60);
}
