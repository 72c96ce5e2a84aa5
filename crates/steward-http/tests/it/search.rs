//! Title search answers the same whichever way the store plans it: candidates from rare
//! trigrams, a walk in page order, a walk that gives up and asks the index, or the index alone.

use reqwest::Method;
use serde_json::json;
use steward_core::tickets::TicketKind;
use steward_store::{SearchTuning, Store, StoreOptions, TicketQuery, Visibility};
use steward_test_support::TestApp;

/// Every page of a search, as (number) lists per page, following the cursors.
async fn pages(store: &Store, text: &str, limit: i64) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let mut q = TicketQuery::new(TicketKind::Incident);
        q.text = Some(text.to_owned());
        q.limit = limit;
        q.after = after;
        let page = store.list_tickets(&q, Visibility::All).await.unwrap();
        out.push(page.items.iter().map(|t| t.number.clone()).collect());
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

#[tokio::test]
async fn every_search_plan_gives_the_same_pages() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let titles = [
        "Mail queue stuck on host-12",
        "High latency on host-120",
        "Login failures on HOST-1",
        "连接池耗尽 on db01",
        "数据库连接池超时",
        "Printer a_b offline",
        "Disk full on host-7",
        "VPN \"quoted\" drops",
    ];
    for i in 0..40 {
        let title = titles[i % titles.len()];
        let (status, body) =
            app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": title }))).await;
        assert_eq!(status, 201, "{body}");
    }
    let tunings = [
        ("defaults: rare trigrams give candidates", SearchTuning::default()),
        ("every trigram common: walk", SearchTuning { rare_below: 0, walk_rows: 1000 }),
        ("the walk gives up: index", SearchTuning { rare_below: 0, walk_rows: 3 }),
    ];
    let terms = [
        "host-12",
        "HOST-12",
        "连接池",
        "db",
        "a_b",
        "50%",
        "\"quoted\"",
        "INC000007",
        "nothing like it",
        "on",
    ];
    let mut answers = Vec::new();
    for (name, search) in tunings {
        let store =
            Store::connect(&app.db.url, &StoreOptions { search, ..Default::default() }).await.unwrap();
        let mut per_term = Vec::new();
        for term in terms {
            per_term.push(pages(&store, term, 4).await);
        }
        answers.push((name, per_term));
    }
    let first = &answers[0].1;
    let count = |term: usize| first[term].iter().map(Vec::len).sum::<usize>();
    assert_eq!(count(0), 10, "host-12 and host-120: {:?}", first[0]);
    assert_eq!(count(1), 10, "case-insensitive");
    assert_eq!(count(2), 10, "连接池 in two titles");
    assert_eq!(count(4), 5, "`_` matches itself or any character");
    assert_eq!(count(6), 5, "quotes are searched as text");
    assert_eq!(first[7], vec![vec!["INC000007".to_owned()]], "a ticket number");
    assert_eq!(count(8), 0);
    assert_eq!(count(9), 25, "a two-letter term in five titles of eight");
    for (name, per_term) in &answers[1..] {
        for (i, term) in terms.iter().enumerate() {
            assert_eq!(&per_term[i], &first[i], "{name}: pages of `{term}`");
        }
    }
}
