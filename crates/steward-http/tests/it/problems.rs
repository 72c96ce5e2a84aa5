//! Problem candidates (issue 19): incidents recurring on one CI, service or category within a
//! window are listed, in the API and on a page in both languages.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn incidents_recurring_on_one_ci_or_service_are_problem_candidates() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let (status, ci) = app
        .api(
            Method::POST,
            "/api/v1/cis",
            &agent,
            Some(json!({ "class": "server", "name": "db01", "attributes": { "hostname": "db01" } })),
        )
        .await;
    assert_eq!(status, 201, "{ci}");
    let raise = |title: &str, body: serde_json::Value| {
        let mut b = json!({ "title": title, "impact": 2, "urgency": 2 });
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (app, agent) = (&app, agent.clone());
        async move {
            let (status, out) = app.api(Method::POST, "/api/v1/incidents", &agent, Some(b)).await;
            assert_eq!(status, 201, "{out}");
            out["id"].as_i64().unwrap()
        }
    };
    let mut on_db = Vec::new();
    for title in ["数据库连接超时", "DB slow again", "db01 连接池耗尽"] {
        on_db.push(raise(title, json!({ "ci_ids": [ci["id"]] })).await);
    }
    raise("VPN drops", json!({ "service": "VPN" })).await;
    raise("VPN drops again", json!({ "service": "VPN" })).await;

    let (status, out) = app.api(Method::GET, "/api/v1/problem-candidates", &agent, None).await;
    assert_eq!(status, 200, "{out}");
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "three make a trend by default: {out}");
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["name"].as_str(), items[0]["count"].as_i64()),
        (Some("ci"), Some("db01"), Some(3))
    );
    let ids: Vec<i64> =
        items[0]["incidents"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, on_db.iter().rev().copied().collect::<Vec<_>>(), "newest first");

    let (_, two) = app.api(Method::GET, "/api/v1/problem-candidates?min=2", &agent, None).await;
    let names: Vec<&str> =
        two["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["db01", "VPN"]);
    let (status, out) = app.api(Method::GET, "/api/v1/problem-candidates?min=1", &agent, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("min")));
    assert_eq!(app.api(Method::GET, "/api/v1/problem-candidates", &requester, None).await.0, 403);

    let (browser, _) = app.signed_in("li.wei").await;
    let (status, page) = app.page(&browser, "/problems/candidates?min=2&lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("候选问题") && page.contains("db01") && page.contains("VPN") && page.contains("配置项"),
        "{page}"
    );
    let (_, page) = app.page(&browser, "/problems/candidates?lang=en").await;
    assert!(page.contains("Problem candidates") && !page.contains("VPN"), "{page}");
}
