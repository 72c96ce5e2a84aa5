//! API tokens: scopes, expiry, revocation.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn a_token_can_do_only_what_its_scopes_allow() {
    let app = TestApp::spawn().await;
    app.user("root", "admin").await;
    let read_only = app.token("root", "read").await;
    let (status, _) = app.api(Method::GET, "/api/v1/users", &read_only, None).await;
    assert_eq!(status, 200, "read scope reads the directory");
    let (status, body) =
        app.api(Method::POST, "/api/v1/teams", &read_only, Some(json!({ "name": "Ops" }))).await;
    assert_eq!(status, 403, "an admin's read-only token cannot administer");
    assert!(body["error"]["message"].as_str().unwrap().contains("`admin` scope"), "{body}");
    let (status, _) = app.api(Method::GET, "/api/v1/audit/events", &read_only, None).await;
    assert_eq!(status, 403);
    let (status, _) = app.api(Method::GET, "/metrics", &read_only, None).await;
    assert_eq!(status, 403);

    let metrics = app.token("root", "metrics").await;
    let (status, _) = app.api(Method::GET, "/metrics", &metrics, None).await;
    assert_eq!(status, 200);
    let (status, _) = app.api(Method::GET, "/api/v1/users", &metrics, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn tokens_are_issued_within_the_role_and_the_issuing_token() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("agent1", "agent").await;
    let (status, body) = app
        .api(Method::POST, "/api/v1/tokens", &agent, Some(json!({ "name": "ci", "scopes": ["admin"] })))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "scopes");

    let (status, body) = app
        .api(
            Method::POST,
            "/api/v1/tokens",
            &agent,
            Some(json!({ "name": "ci", "scopes": ["read"], "expires": "7d" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let narrow = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["scopes"], json!(["read"]));

    // The read-only token cannot mint itself a write token (it lacks `write`, which issuing needs).
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/tokens",
            &narrow,
            Some(json!({ "name": "x", "scopes": ["read", "write"] })),
        )
        .await;
    assert_eq!(status, 403);

    for (body, field) in [
        (json!({ "name": "x", "scopes": ["root"] }), "scopes"),
        (json!({ "name": "x", "scopes": [] }), "scopes"),
        (json!({ "name": "x", "scopes": ["read"], "expires": "10y" }), "expires"),
        (json!({ "name": "x", "scopes": ["read"], "expires": "0m" }), "expires"),
        (json!({ "name": "", "scopes": ["read"] }), "name"),
    ] {
        let (status, reply) = app.api(Method::POST, "/api/v1/tokens", &agent, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {reply}");
        assert_eq!(reply["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn expired_and_revoked_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, other) = app.user_with_token("agent1", "agent").await;
    let expiring = app.token("agent1", "read").await;

    let raw = app.db.raw_pool().await;
    let past = jiff::Timestamp::now().as_millisecond() - 1_000;
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = (SELECT MAX(id) FROM api_tokens)")
        .bind(past)
        .execute(&raw)
        .await
        .unwrap();
    let (status, _) = app.api(Method::GET, "/api/v1/me", &expiring, None).await;
    assert_eq!(status, 401, "expired");

    // Agents see only their own tokens; someone else's token looks like it does not exist.
    let (_, mine) = app.api(Method::GET, "/api/v1/tokens", &other, None).await;
    assert!(mine["items"].as_array().unwrap().iter().all(|t| t["username"] == "agent1"));
    let (_, all) = app.api(Method::GET, "/api/v1/tokens?all=true", &admin, None).await;
    let admin_token_id =
        all["items"].as_array().unwrap().iter().find(|t| t["username"] == "root").unwrap()["id"].clone();
    let (status, _) =
        app.api(Method::DELETE, &format!("/api/v1/tokens/{admin_token_id}"), &other, None).await;
    assert_eq!(status, 404);

    // Admins revoke anyone's token; revoked tokens fail at once.
    let other_id = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["username"] == "agent1" && t["active"] == true)
        .unwrap()["id"]
        .clone();
    let (status, revoked) =
        app.api(Method::DELETE, &format!("/api/v1/tokens/{other_id}"), &admin, None).await;
    assert_eq!(status, 200);
    assert_eq!(revoked["active"], false);
    assert!(revoked["revoked_at"].is_string());
    let (status, _) = app.api(Method::GET, "/api/v1/me", &other, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("root", "admin").await;
    let raw = app.db.raw_pool().await;
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_all(&raw).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(&token[4..]));
    assert_eq!(stored[0].len(), 64, "a SHA-256 in hex");
}
