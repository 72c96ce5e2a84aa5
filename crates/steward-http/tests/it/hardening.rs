//! Regressions for what an outside probe of Steward found (issue 16): each test failed before
//! its fix.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn event_count(app: &TestApp) -> i64 {
    let raw = app.db.raw_pool().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(&raw).await.unwrap();
    raw.close().await;
    n
}

async fn send_raw(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().request(method, app.url(path)).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.body(body.to_owned()).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `[null,null]` cleared a user's e-mail and `["admin","pw"]` signed in: serde builds a struct
/// from an array of its fields in order. Bodies are objects, at every depth.
#[tokio::test]
async fn a_json_array_is_not_an_object() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let body = json!({ "username": "ann", "role": "agent", "password": "long enough pw", "email": "ann@example.com" });
    let (status, ann) = app.api(Method::POST, "/api/v1/users", &admin, Some(body)).await;
    assert_eq!(status, 201, "{ann}");
    let events = event_count(&app).await;
    let path = format!("/api/v1/users/{}", ann["id"]);
    let (status, reply) = send_raw(&app, Some(&admin), Method::PATCH, &path, "[null,null]").await;
    assert_eq!((status, reply["error"]["field"].as_str()), (422, Some("body")), "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains("JSON object"), "{reply}");
    let (status, login) =
        send_raw(&app, None, Method::POST, "/api/v1/auth/login", r#"["ann","long enough pw"]"#).await;
    assert_eq!(status, 422, "{login}");
    assert!(login.get("token").is_none());
    // Nested: a class's attribute given as an array of its fields.
    let class = r#"{"name":"rack","attributes":[["u","integer"]]}"#;
    let (status, reply) = send_raw(&app, Some(&admin), Method::POST, "/api/v1/ci-classes", class).await;
    assert_eq!(status, 422, "{reply}");
    let (_, user) = app.api(Method::GET, &path, &admin, None).await;
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(event_count(&app).await, events, "nothing was written");
}

/// `{}` bumped a user's version and wrote an event whose before and after were equal.
#[tokio::test]
async fn an_empty_patch_changes_nothing_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (root, admin) = app.user_with_token("root", "admin").await;
    let (_, incident) =
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Printer on fire" }))).await;
    let ci = json!({ "class": "server", "name": "db01", "attributes": { "hostname": "db01" } });
    let (status, ci) = app.api(Method::POST, "/api/v1/cis", &admin, Some(ci)).await;
    assert_eq!(status, 201, "{ci}");
    let same_values = json!({ "display_name": root.display_name, "email": root.email });
    let targets = [
        (format!("/api/v1/users/{}", root.id), json!({})),
        (format!("/api/v1/users/{}", root.id), same_values),
        (format!("/api/v1/incidents/{}", incident["id"]), json!({})),
        (format!("/api/v1/cis/{}", ci["id"]), json!({})),
    ];
    for (path, patch) in targets {
        let (_, before) = app.api(Method::GET, &path, &admin, None).await;
        let events = event_count(&app).await;
        let response = reqwest::Client::new()
            .patch(app.url(&path))
            .bearer_auth(&admin)
            .header("if-match", format!("\"{}\"", before["version"]))
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path} {patch}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["version"], before["version"], "{path} {patch}");
        let (_, after) = app.api(Method::GET, &path, &admin, None).await;
        assert_eq!(after, before, "{path} {patch}");
        assert_eq!(event_count(&app).await, events, "{path} {patch} wrote an event");
    }
}
