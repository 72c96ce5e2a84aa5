//! Title search answers the same whichever way the store plans it: candidates from rare
//! trigrams, a walk in page order, or a walk that gives up and asks the index (on SQLite,
//! which then looks up the candidates or probes them in page order).

use reqwest::Method;
use serde_json::json;
use steward_core::tickets::TicketKind;
use steward_store::{SearchTuning, Store, StoreOptions, TicketQuery, Visibility};
use steward_test_support::TestApp;

/// Every trigram common, and the walk gives up at once: the index answers. On SQLite the
/// candidates are looked up when fewer than `probe_from`, else probed in the page's order.
fn gives_up(probe_from: i64) -> SearchTuning {
    SearchTuning { rare_below: 0, walk_rows: 3, probe_from }
}

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
        ("every trigram common: walk", SearchTuning { rare_below: 0, walk_rows: 1000, ..Default::default() }),
        ("the walk gives up: candidates looked up", gives_up(i64::MAX)),
        ("the walk gives up: candidates probed in page order", gives_up(0)),
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

/// The numbers of the tickets whose titles contain `term` (ASCII case folded, as `LIKE` does).
fn expected(titles: &[String], term: &str) -> Vec<String> {
    let term = term.to_ascii_lowercase();
    let mut found: Vec<String> = titles
        .iter()
        .enumerate()
        .filter(|(_, t)| t.to_ascii_lowercase().contains(&term))
        .map(|(i, _)| format!("INC{:06}", i + 1))
        .collect();
    found.sort();
    found
}

async fn found_under_every_plan(app: &TestApp, titles: &[String], terms: &[&str]) {
    let tunings = [
        ("rare trigrams give candidates", SearchTuning::default()),
        ("walk", SearchTuning { rare_below: 0, walk_rows: 100_000, ..Default::default() }),
        ("the index, candidates looked up", gives_up(i64::MAX)),
        ("the index, candidates probed in page order", gives_up(0)),
    ];
    for (name, search) in tunings {
        let store =
            Store::connect(&app.db.url, &StoreOptions { search, ..Default::default() }).await.unwrap();
        for term in terms {
            let mut got: Vec<String> = pages(&store, term, 100).await.into_iter().flatten().collect();
            got.sort();
            assert_eq!(got, expected(titles, term), "{name}: `{term}`");
        }
    }
}

/// On SQLite new titles reach the trigram index a batch at a time (`tickets/insert.rs`). A
/// search finds tickets on both sides of the index's mark under every plan, and a title changed
/// on either side is found by its new words only. Once every title is indexed, FTS5's own check
/// compares the index with the titles: entries removed that were never added (a title changed
/// before indexing) or left behind would fail it.
#[tokio::test]
async fn titles_are_found_before_and_after_they_reach_the_index() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let store = Store::connect(&app.db.url, &StoreOptions::default()).await.unwrap();
    let sqlite = store.engine() == "Sqlite";
    let mut titles: Vec<String> = Vec::new();
    let create = async |titles: &mut Vec<String>, title: String| {
        let (status, body) =
            app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": title }))).await;
        assert_eq!(status, 201, "{body}");
        titles.push(title);
        body["id"].as_i64().unwrap()
    };
    let mut ids = Vec::new();
    for i in 0..300 {
        let title =
            if i % 10 == 0 { format!("连接池耗尽 alarm {i}") } else { format!("Disk full on host-{i}") };
        ids.push(create(&mut titles, title).await);
    }
    let mark = async || -> (i64, i64) {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
        sqlx::query_as("SELECT (SELECT upto FROM ticket_title_index), (SELECT MAX(id) FROM tickets)")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    if sqlite {
        let (upto, last) = mark().await;
        assert!(upto > 0 && upto < last, "some titles indexed, some not yet: {upto} of {last}");
    }
    let terms = ["host-1", "HOST-29", "连接池", "alarm 2", "full on host-5", "zebra", "nothing"];
    found_under_every_plan(&app, &titles, &terms).await;

    // One title changed below the mark, one above it.
    for (index, title) in [(2, "Renamed zebra-one"), (298, "Renamed zebra-two")] {
        let path = format!("/api/v1/incidents/{}", ids[index]);
        let (status, body) = app.api(Method::PATCH, &path, &admin, Some(json!({ "title": title }))).await;
        assert_eq!(status, 200, "{body}");
        titles[index] = title.to_owned();
    }
    found_under_every_plan(&app, &titles, &terms).await;
    assert_eq!(expected(&titles, "zebra").len(), 2);

    if sqlite {
        // Create until a batch leaves nothing unindexed, then check the index against the titles.
        while {
            let (upto, last) = mark().await;
            upto < last
        } {
            assert!(titles.len() < 1000, "a batch should have come");
            let n = titles.len();
            create(&mut titles, format!("Backup failed on host-{n}")).await;
        }
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
        sqlx::query("INSERT INTO tickets_title_fts (tickets_title_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&mut conn)
            .await
            .unwrap();
        found_under_every_plan(&app, &titles, &terms).await;
    }
}
