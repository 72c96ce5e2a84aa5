//! Bad input gets a clear 4xx in the error envelope, naming the field, and changes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn raw(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// (body, content type, status, code, field)
type Case = (Vec<u8>, &'static str, u16, &'static str, Option<&'static str>);

#[tokio::test]
async fn malformed_bodies_are_named() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let json_type = "application/json";
    // (body, content type, status, code, field)
    let cases: Vec<Case> = vec![
        (b"{not json".to_vec(), json_type, 400, "malformed_json", None),
        (
            br#"{"username":"zed","role":"agent","password":"long enough pw"} trailing"#.to_vec(),
            json_type,
            400,
            "malformed_json",
            None,
        ),
        (vec![b'"', 0xff, 0xfe, b'"'], json_type, 400, "malformed_json", None),
        (
            br#"{"username":"zed","role":"agent","password":"long enough pw","colour":"red"}"#.to_vec(),
            json_type,
            422,
            "unknown_field",
            Some("colour"),
        ),
        (
            br#"{"username":"zed","password":"long enough pw"}"#.to_vec(),
            json_type,
            422,
            "invalid",
            Some("role"),
        ),
        (
            br#"{"username":42,"role":"agent","password":"long enough pw"}"#.to_vec(),
            json_type,
            422,
            "invalid",
            Some("username"),
        ),
        (
            br#"{"username":"zed","role":"wizard","password":"long enough pw"}"#.to_vec(),
            json_type,
            422,
            "invalid",
            Some("role"),
        ),
        (
            br#"{"username":"zed","role":"agent","password":"short"}"#.to_vec(),
            json_type,
            422,
            "invalid",
            Some("password"),
        ),
        (
            br#"{"username":"z","role":"agent","password":"long enough pw"}"#.to_vec(),
            json_type,
            422,
            "invalid",
            Some("username"),
        ),
        (
            br#"{"username":"zed","role":"agent","password":"long enough pw","email":"not-an-email"}"#
                .to_vec(),
            json_type,
            422,
            "invalid",
            Some("email"),
        ),
        (br#"{"username":"zed"}"#.to_vec(), "text/plain", 415, "unsupported_media_type", None),
    ];
    for (body, content_type, status, code, field) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let (got, reply) = raw(&app, &admin, Method::POST, "/api/v1/users", content_type, body).await;
        assert_eq!(got, status, "{shown}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{shown}: {reply}");
        if let Some(field) = field {
            assert_eq!(reply["error"]["field"], field, "{shown}: {reply}");
        }
        assert!(!reply["error"]["message"].as_str().unwrap().is_empty());
    }
    let (_, users) = app.api(Method::GET, "/api/v1/users", &admin, None).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1, "no user was created");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let (status, reply) =
        raw(&app, &admin, Method::POST, "/api/v1/teams", "application/json", huge.into_bytes()).await;
    assert_eq!(status, 413);
    assert_eq!(reply["error"]["code"], "payload_too_large");
    let long_name = json!({ "name": "x".repeat(81) });
    let (status, reply) = app.api(Method::POST, "/api/v1/teams", &admin, Some(long_name)).await;
    assert_eq!((status, reply["error"]["field"].as_str()), (422, Some("name")));
}

#[tokio::test]
async fn duplicates_conflict_and_stale_writes_are_refused() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let body = json!({ "username": "twin", "role": "agent", "password": "long enough pw" });
    assert_eq!(app.api(Method::POST, "/api/v1/users", &admin, Some(body.clone())).await.0, 201);
    let (status, reply) = app.api(Method::POST, "/api/v1/users", &admin, Some(body)).await;
    assert_eq!((status, reply["error"]["field"].as_str()), (409, Some("username")));

    let twin = app.app.directory().user_by_username("twin").await.unwrap();
    let path = format!("/api/v1/users/{}", twin.id);
    let patch = |name: &str, etag: &str| {
        reqwest::Client::new()
            .patch(app.url(&path))
            .bearer_auth(&admin)
            .header("if-match", etag)
            .json(&json!({ "display_name": name }))
    };
    let first = patch("First", "\"1\"").send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let stale = patch("Second", "\"1\"").send().await.unwrap();
    assert_eq!(stale.status(), 412);
    let reply: Value = stale.json().await.unwrap();
    assert_eq!(reply["error"]["code"], "stale_version");
    assert_eq!(app.app.directory().user_by_username("twin").await.unwrap().display_name, "First");
    let bad = patch("Third", "yesterday").send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn bad_paths_queries_and_methods_get_the_envelope() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    for (method, path, status, code) in [
        (Method::GET, "/api/v1/users/abc", 400, "invalid_path"),
        (Method::GET, "/api/v1/users/99999", 404, "not_found"),
        (Method::GET, "/api/v1/nothing-here", 404, "not_found"),
        (Method::GET, "/api/v1/audit/events?limit=many", 400, "invalid_query"),
        (Method::GET, "/api/v1/audit/events?colour=red", 400, "invalid_query"),
        (Method::DELETE, "/api/v1/users", 405, "method_not_allowed"),
    ] {
        let (got, reply) = app.api(method.clone(), path, &admin, None).await;
        assert_eq!(got, status, "{method} {path}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{method} {path}");
    }
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let (root, admin) = app.user_with_token("root", "admin").await;
    let path = format!("/api/v1/users/{}", root.id);
    let (status, reply) = app.api(Method::PATCH, &path, &admin, Some(json!({ "disabled": true }))).await;
    assert_eq!((status, reply["error"]["field"].as_str()), (409, Some("disabled")));
    let (status, _) = app.api(Method::PATCH, &path, &admin, Some(json!({ "role": "agent" }))).await;
    assert_eq!(status, 409);
}

/// A fault of the store — here the event chain's head row gone from under it — is an internal
/// error: 500 with nothing of its detail, never a 404 that blames the caller's id. (It was a
/// 404 when the store called a row missing from its own result "not found".)
#[tokio::test]
async fn a_store_fault_is_a_500_not_a_404() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let raw = app.db.raw_pool().await;
    sqlx::query("DELETE FROM event_chain").execute(&raw).await.unwrap();
    raw.close().await;
    let (status, reply) =
        app.api(Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "Desk" }))).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (500, Some("internal")), "{reply}");
    assert!(!reply.to_string().contains("event chain"), "the detail stays in the log: {reply}");
    let (_, teams) = app.api(Method::GET, "/api/v1/teams", &admin, None).await;
    assert_eq!(teams["items"], json!([]), "and nothing was half-written");
}
