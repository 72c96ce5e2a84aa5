//! An alert's page and API (issue 18): acknowledging it (once, whoever clicks second), its
//! timeline, and the rest of its group.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn an_alert_is_acknowledged_once_and_its_detail_shows_timeline_and_group() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let alert = |fp: &str, host: &str| {
        json!({ "status": "firing", "fingerprint": fp,
        "labels": { "alertname": "HostDown", "instance": host, "severity": "critical" },
        "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z" })
    };
    let body = json!({ "version": "4", "groupKey": "g1", "status": "firing", "alerts": [alert("a1", "web01"), alert("a2", "web02")] });
    assert_eq!(app.api(Method::POST, "/hooks/alertmanager", &bot, Some(body)).await.0, 200);
    let (_, list) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    let id = list["items"].as_array().unwrap().iter().find(|a| a["fingerprint"] == "a1").unwrap()["id"]
        .as_i64()
        .unwrap();

    let ack = format!("/api/v1/alerts/{id}/acknowledge");
    assert_eq!(app.api(Method::POST, &ack, &requester, None).await.0, 403);
    assert_eq!(app.api(Method::POST, &ack, &agent, None).await.0, 204);
    assert_eq!(app.api(Method::POST, &ack, &agent, None).await.0, 204, "a second click is no error");
    assert_eq!(app.api(Method::POST, "/api/v1/alerts/999999/acknowledge", &agent, None).await.0, 404);

    let (status, d) = app.api(Method::GET, &format!("/api/v1/alerts/{id}"), &agent, None).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["alert"]["acknowledged_by"], "li.wei");
    let actions: Vec<&str> =
        d["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["receive", "link", "acknowledge"], "acknowledged once");
    assert_eq!(d["group"].as_array().unwrap().len(), 1);
    assert_eq!(d["group"][0]["fingerprint"], "a2");
    assert_eq!(app.api(Method::GET, "/api/v1/alerts/999999", &agent, None).await.0, 404);

    // Filters.
    let warning = json!({ "version": "4", "groupKey": "g2", "status": "firing", "alerts": [{ "status": "firing", "fingerprint": "w1",
        "labels": { "alertname": "SlowDisk", "instance": "db01", "severity": "warning" }, "startsAt": "2026-01-01T00:00:00Z" }] });
    assert_eq!(app.api(Method::POST, "/hooks/alertmanager", &bot, Some(warning)).await.0, 200);
    let count = |v: &serde_json::Value| v["items"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&app.api(Method::GET, "/api/v1/alerts?severity=critical", &agent, None).await.1), 2);
    assert_eq!(
        count(
            &app.api(Method::GET, "/api/v1/alerts?severity=warning&source=alertmanager", &agent, None)
                .await
                .1
        ),
        1
    );
    assert_eq!(count(&app.api(Method::GET, "/api/v1/alerts?source=zabbix", &agent, None).await.1), 0);
    let (status, out) = app.api(Method::GET, "/api/v1/alerts?severity=loud", &agent, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("severity")));

    // The page, in both languages.
    let (browser, _) = app.signed_in("li.wei").await;
    let (status, page) = app.page(&browser, &format!("/alerts/{id}?lang=zh-CN")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("已认领") && page.contains("并入事件") && page.contains("同组的其他告警"),
        "{page}"
    );
    let (_, page) = app.page(&browser, "/alerts?view=grouped&lang=en").await;
    assert!(page.contains("class=\"group-row\"") && page.contains("Acknowledged"));
    let (_, page) = app.page(&browser, "/alerts?severity=warning&lang=en").await;
    assert!(
        page.contains("SlowDisk") && !page.contains(&format!("alert-link-{id}\"")),
        "filtered by severity"
    );
    let tab = page
        .split("id=\"alerts-firing\"")
        .next()
        .unwrap_or("")
        .rsplit("href=")
        .next()
        .unwrap_or("")
        .to_owned();
    assert!(
        tab.contains("status=firing") && tab.contains("severity=warning"),
        "the tabs keep the filters: {tab}"
    );
}
