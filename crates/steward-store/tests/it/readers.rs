use steward_store::{Store, StoreOptions};
use steward_test_support::TestDb;

/// Fifty reads at once over two connections all answer (they wait for a connection rather
/// than fail), and after `close` a read fails with an error instead of hanging or panicking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_share_few_connections_and_fail_cleanly_once_closed() {
    let db = TestDb::new().await;
    db.store().await.close().await;
    let options = StoreOptions { max_connections: 2, ..StoreOptions::default() };
    let store = Store::connect(&db.url, &options).await.unwrap();
    // Opening every connection up front gives them all back for reads.
    store.warm_up().await.unwrap();
    let reads: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ping().await })
        })
        .collect();
    for read in reads {
        read.await.unwrap().expect("every read answers");
    }
    // A read abandoned half-way gives its connection back for the next one.
    for _ in 0..5 {
        let abandoned = tokio::time::timeout(std::time::Duration::from_micros(1), store.ping()).await;
        drop(abandoned);
    }
    store.ping().await.expect("connections come back after abandoned reads");
    store.close().await;
    assert!(store.ping().await.is_err(), "a closed store refuses reads");
}
