//! Concurrent creates are committed together (group commit): numbers stay consecutive, the
//! event chain and the report rollup stay exact, and a create that fails inside a shared
//! transaction fails alone.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

/// Raises every body at once; returns (status, answer) in the order given.
async fn raise_all(app: &TestApp, token: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let client = reqwest::Client::new();
    let calls: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let request = client.post(app.url("/api/v1/incidents")).bearer_auth(token).json(&body);
            tokio::spawn(async move {
                let response = request.send().await.expect("create");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.expect("JSON answer"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.expect("request task"));
    }
    answers
}

fn numbers(answers: &[(u16, Value)]) -> Vec<String> {
    let mut n: Vec<String> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, v)| v["number"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

fn consecutive(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("INC{i:06}")).collect()
}

async fn report(app: &TestApp, token: &str) -> Value {
    let (status, mut r) = app.api(Method::GET, "/api/v1/reports/incidents", token, None).await;
    assert_eq!(status, 200, "{r}");
    // An open outage grows by the second; everything else must match exactly.
    r.as_object_mut().unwrap().remove("availability");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_commit_together_and_stay_exact() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, team) = app.api(Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "Network" }))).await;
    let team = team["id"].as_i64().unwrap();
    let bodies: Vec<Value> = (0..48_i64)
        .map(|i| {
            json!({ "title": format!("Concurrent {i}"), "impact": 1 + i % 3, "urgency": 1 + (i / 3) % 3,
                "team_id": if i % 2 == 0 { Some(team) } else { None },
                "service": if i % 5 == 0 { Some("mail") } else { None } })
        })
        .collect();
    let answers = raise_all(&app, &admin, bodies).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    assert_eq!(numbers(&answers), consecutive(48), "numbers are unique and leave no gap");
    for (i, (_, created)) in answers.iter().enumerate() {
        let id = created["id"].as_i64().unwrap();
        let (status, got) = app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &admin, None).await;
        assert_eq!(
            (status, &got["title"], &got["number"]),
            (200, &json!(format!("Concurrent {i}")), &created["number"])
        );
        let (_, activity) =
            app.api(Method::GET, &format!("/api/v1/incidents/{id}/activity"), &admin, None).await;
        let items = activity["items"].as_array().unwrap();
        let creates = items.iter().filter(|a| a["event"]["action"] == "create").count();
        assert_eq!(creates, 1, "each incident has its own create event: {activity}");
    }
    assert_eq!(
        app.app.store().verify_event_chain().await.unwrap(),
        Ok(app.app.store().event_head().await.unwrap())
    );

    let maintained = report(&app, &admin).await;
    let total: i64 =
        maintained["periods"].as_array().unwrap().iter().map(|p| p["created"].as_i64().unwrap()).sum();
    assert_eq!(total, 48, "{maintained}");
    app.app.store().rebuild_reports(&app.app.config().report_zone, "Asia/Shanghai").await.unwrap();
    assert_eq!(report(&app, &admin).await, maintained, "the merged rollup deltas equal a rebuild");
}

/// Holds the database's write lock (SQLite) or the ticket counters (PostgreSQL), so creates
/// queue up behind the first and the rest are written as one batch once it is released.
async fn with_writes_held(app: &TestApp, during: impl std::future::Future<Output = ()>) {
    let raw = app.db.raw_pool().await;
    let mut conn = raw.acquire().await.unwrap();
    let (begin, lock) = match app.db.is_postgres() {
        true => ("BEGIN", "LOCK TABLE ticket_counters IN EXCLUSIVE MODE"),
        false => ("BEGIN IMMEDIATE", "SELECT 1"),
    };
    sqlx::query(begin).execute(&mut *conn).await.unwrap();
    sqlx::query(lock).execute(&mut *conn).await.unwrap();
    during.await;
    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_fails_inside_a_batch_fails_alone() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    // A database fault that strikes one row: the insert of a ticket titled "explode".
    app.db.refuse_inserts("tickets", "title", "explode").await;
    let bodies: Vec<Value> = (0..20)
        .map(|i| json!({ "title": if i == 13 { "explode".to_owned() } else { format!("Fine {i}") } }))
        .collect();
    let calls = raise_all(&app, &admin, bodies);
    let (answers, ()) = tokio::join!(
        calls,
        with_writes_held(&app, async {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        })
    );
    for (i, (status, answer)) in answers.iter().enumerate() {
        let expected = if i == 13 { 500 } else { 201 };
        assert_eq!(*status, expected, "create {i}: {answer}");
    }
    assert_eq!(numbers(&answers), consecutive(19), "the failed batch's numbers were rolled back");
    let (_, list) = app.api(Method::GET, "/api/v1/incidents?limit=100", &admin, None).await;
    let titles: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 19, "{titles:?}");
    assert!(!titles.contains(&"explode"));
    assert_eq!(
        app.app.store().verify_event_chain().await.unwrap(),
        Ok(app.app.store().event_head().await.unwrap())
    );
    let (_, events) =
        app.api(Method::GET, "/api/v1/audit/events?entity_type=incident&limit=100", &admin, None).await;
    assert_eq!(events["items"].as_array().map(Vec::len), Some(19), "one event per stored incident: {events}");
}
