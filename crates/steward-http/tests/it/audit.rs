//! Every change is in the hash-chained audit trail, and tampering shows.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn changes_are_recorded_with_before_and_after() {
    let app = TestApp::spawn().await;
    let (root, admin) = app.user_with_token("root", "admin").await;
    let (_, user) = app
        .api(
            Method::POST,
            "/api/v1/users",
            &admin,
            Some(json!({ "username": "gus", "role": "agent", "password": "long enough pw" })),
        )
        .await;
    let id = user["id"].as_i64().unwrap();
    app.api(Method::PATCH, &format!("/api/v1/users/{id}"), &admin, Some(json!({ "role": "team_lead" })))
        .await;

    let (status, events) = app
        .api(Method::GET, &format!("/api/v1/audit/events?entity_type=user&entity_id={id}"), &admin, None)
        .await;
    assert_eq!(status, 200);
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{events}");
    assert_eq!(items[0]["action"], "update");
    assert_eq!(items[0]["actor"], "root");
    assert_eq!(items[0]["actor_id"], root.id.get());
    assert_eq!(items[0]["before"]["role"], "agent");
    assert_eq!(items[0]["after"]["role"], "team_lead");
    assert_eq!(items[1]["action"], "create");
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("argon2"), "password hashes never reach the audit trail");

    let (_, verified) = app.api(Method::GET, "/api/v1/audit/verify", &admin, None).await;
    assert_eq!(verified["ok"], true);
}

#[tokio::test]
async fn tampering_is_reported_by_the_api() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    app.api(Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "Ops" }))).await;
    let raw = app.db.raw_pool().await;
    sqlx::query("UPDATE events SET actor_name = 'mallory' WHERE seq = 1").execute(&raw).await.unwrap();
    let (_, verified) = app.api(Method::GET, "/api/v1/audit/verify", &admin, None).await;
    assert_eq!(verified["ok"], false);
    assert!(verified["error"].as_str().unwrap().contains("event 1 was edited"), "{verified}");
}

#[tokio::test]
async fn failed_sign_ins_are_audited() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": "root", "password": "not the password" }))
        .send()
        .await
        .unwrap();
    let (_, events) = app.api(Method::GET, "/api/v1/audit/events?entity_type=user", &admin, None).await;
    let failed =
        events["items"].as_array().unwrap().iter().find(|e| e["action"] == "login_failed").unwrap().clone();
    assert_eq!(failed["after"]["reason"], "wrong password");
}

#[tokio::test]
async fn the_periodic_job_purges_expired_sessions_and_reschedules_itself() {
    let app = TestApp::spawn().await;
    app.user("hal", "agent").await;
    let browser = TestApp::browser();
    app.sign_in(&browser, "hal", steward_test_support::PASSWORD).await;
    let raw = app.db.raw_pool().await;
    sqlx::query("UPDATE sessions SET expires_at = 1").execute(&raw).await.unwrap();
    app.app.schedule_periodic_jobs().await.unwrap();
    // The periodic jobs (session purge, incident auto-close, SLA scan, notification feed and
    // digest, subscription feed, alert payload purge, article review reminders, overdue review
    // actions, approval reminders, log retention and rates, forecasts, triage training, duplicate
    // detection, CSAT surveys, the monthly NPS) run once each, ten claimed at a time.
    assert_eq!(app.app.run_due_jobs("test-worker").await.unwrap(), 10);
    assert_eq!(app.app.run_due_jobs("test-worker").await.unwrap(), 7);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&raw).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(app.app.store().job_counts().await.unwrap(), (17, 0), "the next runs are scheduled");
    assert_eq!(app.app.run_due_jobs("test-worker").await.unwrap(), 0, "and not due yet");
}
