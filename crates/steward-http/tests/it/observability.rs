//! Health, readiness, metrics and security headers.

use reqwest::Method;
use steward_test_support::TestApp;

#[tokio::test]
async fn probes_answer_without_credentials() {
    let app = TestApp::spawn().await;
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = reqwest::get(app.url("/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.app.store().close().await;
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let team = app.app.directory().create_team(None, "Network", "").await.unwrap();
    for (impact, team_id) in [(1, Some(team.id)), (1, Some(team.id)), (3, None)] {
        let body = serde_json::json!({ "title": "x", "impact": impact, "urgency": 1, "team_id": team_id });
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(body)).await;
    }
    for id in [1, 2, 3] {
        app.api(Method::GET, &format!("/api/v1/users/{id}"), &admin, None).await;
    }
    let (status, _) = app.api(Method::GET, "/metrics", &admin, None).await;
    assert_eq!(status, 200);
    let text = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"steward_http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/users/{id}",status="404"} 2"#), "{text}");
    assert!(text.contains("steward_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("steward_build_info"));
    assert!(text.contains(r#"steward_open_incidents{priority="P1",team="Network"} 2"#), "{text}");
    assert!(text.contains(r#"steward_open_incidents{priority="P3",team="unassigned"} 1"#), "{text}");
    assert!(text.contains(r#"steward_sla_breaches{target="resolution"} 0"#), "{text}");
    let later = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(6)).unwrap();
    app.app.sla().scan(later).await.unwrap();
    let text = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#"steward_sla_breaches{target="resolution"} 2"#), "the two P1s breached: {text}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/login", "/static/app.css", "/api/v1/me", "/nowhere", "/"] {
        let response = TestApp::browser().get(app.url(path)).send().await.unwrap();
        let h = response.headers();
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
            "cross-origin-opener-policy",
        ] {
            assert!(h.contains_key(name), "{path} lacks {name}");
        }
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    }
    let css = reqwest::get(app.url("/static/app.css")).await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    assert_eq!(reqwest::get(app.url("/static/../Cargo.toml")).await.unwrap().status(), 404);
}
