//! Forecast rules (issue 22): checked field by field, audited, and evaluated safely when
//! Prometheus is away or answers nonsense (the error is recorded; nothing fires). The real
//! Prometheus and node-exporter run in `forecasts_e2e.rs`.

use reqwest::Method;
use serde_json::json;
use steward_app::AppConfig;
use steward_http::HttpConfig;
use steward_test_support::TestApp;

fn rule(name: &str) -> serde_json::Value {
    json!({"name": name, "query": "node_filesystem_avail_bytes{mountpoint=\"/data\"}", "threshold": 1048576.0,
           "breach": "below", "horizon_minutes": 4320, "lookback_minutes": 360})
}

#[tokio::test]
async fn rules_are_checked_and_a_missing_or_nonsensical_prometheus_is_reported_not_fatal() {
    // Prometheus "at" a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config =
        AppConfig { prometheus_url: Some(format!("http://127.0.0.1:{closed}")), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, HttpConfig::default()).await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;

    assert_eq!(app.api(Method::POST, "/api/v1/forecasts", &agent, Some(rule("a"))).await.0, 403);
    let (s, created) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(rule("Disk /data"))).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (s, dup) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(rule("Disk /data"))).await;
    assert_eq!((s, dup["error"]["field"].as_str()), (409, Some("name")), "{dup}");
    for (field, value) in [
        ("breach", json!("sideways")),
        ("horizon_minutes", json!(0)),
        ("lookback_minutes", json!(1)),
        ("query", json!("   ")),
        ("ci_id", json!(424242)),
    ] {
        let mut body = rule("x");
        body[field] = value;
        let (s, e) = app.api(Method::POST, "/api/v1/forecasts", &manager, Some(body)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    assert_eq!(app.api(Method::GET, "/api/v1/forecasts", &requester, None).await.0, 403);
    let (_, listed) = app.api(Method::GET, "/api/v1/forecasts", &agent, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Prometheus unreachable: the rule says so; no alert.
    let (s, run) = app.api(Method::POST, &format!("/api/v1/forecasts/{id}/run"), &manager, None).await;
    assert_eq!(s, 200, "{run}");
    assert!(run["error"].as_str().unwrap().contains("unreachable"), "{run}");
    assert!(run["predicted_at"].is_null());
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    assert!(alerts["items"].as_array().unwrap().is_empty());

    // Prometheus answering nonsense (here: Steward itself, which knows no query_range).
    let nonsense = AppConfig { prometheus_url: Some(app.url("")), ..AppConfig::default() };
    let other = steward_app::App::new(app.db.store().await, nonsense);
    assert_eq!(other.forecasts().evaluate_all().await.unwrap(), 0);
    let (_, got) = app.api(Method::GET, &format!("/api/v1/forecasts/{id}"), &agent, None).await;
    assert!(got["error"].as_str().unwrap().contains("not its API's JSON"), "{got}");

    // Deleted once.
    assert_eq!(app.api(Method::DELETE, &format!("/api/v1/forecasts/{id}"), &manager, None).await.0, 204);
    assert_eq!(app.api(Method::GET, &format!("/api/v1/forecasts/{id}"), &agent, None).await.0, 404);
    assert_eq!(app.api(Method::DELETE, &format!("/api/v1/forecasts/{id}"), &manager, None).await.0, 404);
}
