//! Every non-public route refuses anonymous callers, and roles limit what signed-in ones do.

use reqwest::Method;
use serde_json::json;
use steward_http::{Access, routes};
use steward_test_support::TestApp;

/// Walks the route table the router is built from: only health probes, the sign-in page, API
/// login, static assets and a mailed approval link (its secret is the credential) may answer
/// without credentials.
#[tokio::test]
async fn every_route_but_the_public_ones_requires_authentication() {
    let app = TestApp::spawn().await;
    let client = TestApp::browser();
    // The OpenAPI document describes the API; it is not a secret.
    let allowed_public = [
        "/healthz",
        "/readyz",
        "/login",
        "/api/v1/auth/login",
        "/static/{file}",
        "/api/openapi.json",
        "/approvals/{token}",
        // Mailed survey links: the secret in the path is the credential.
        "/survey/csat/{token}",
        "/survey/nps/{token}",
        "/survey/nps/{token}/unsubscribe",
    ];
    let mut checked = 0;
    for route in routes() {
        if route.access == Access::Public {
            assert!(
                allowed_public.contains(&route.path),
                "{} {} is public but should not be",
                route.method,
                route.path
            );
            continue;
        }
        let path = route.path.replace("{id}", "1").replace("{user_id}", "1").replace("{file}", "x");
        let response = client
            .request(route.method.clone(), app.url(&path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if path.starts_with("/api/") || path.starts_with("/hooks/") || path == "/metrics" {
            assert_eq!(status, 401, "{} {path}", route.method);
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated", "{} {path}", route.method);
        } else {
            assert_eq!(status, 303, "{} {path} should redirect to sign-in", route.method);
            let location = response.headers()["location"].to_str().unwrap();
            assert!(location.starts_with("/login?next="), "{} {path} → {location}", route.method);
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} protected routes found");
}

#[tokio::test]
async fn a_bad_or_revoked_credential_is_as_good_as_none() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("ann", "agent").await;
    let (status, _) = app.api(Method::GET, "/api/v1/me", "stw_not-a-real-token", None).await;
    assert_eq!(status, 401);
    let client = reqwest::Client::new();
    let forged = client
        .get(app.url("/api/v1/me"))
        .header("cookie", "steward_session=sws_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let (status, me) = app.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["username"], "ann");
    let (status, _) = app.api(Method::POST, "/api/v1/auth/logout", &token, None).await;
    assert_eq!(status, 204);
    let (status, _) = app.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, 401, "a logged-out token no longer works");
}

/// Found by an outside probe: API logout revoked the token whose id equalled the caller's
/// *user* id, and use was stamped on that row, because the token and its owner were read from
/// one row with two `id` columns. Here no token's id is its owner's id, and one token's id is
/// another user's id.
#[tokio::test]
async fn logout_revokes_the_token_in_use_and_no_other() {
    let app = TestApp::spawn().await;
    let ann = app.user("ann", "agent").await;
    let bob = app.user("bob", "agent").await;
    let cy = app.user("cy", "agent").await;
    let scopes = "read write";
    let cy_first = app.token("cy", scopes).await;
    let cy_second = app.token("cy", scopes).await;
    let ann_token = app.token("ann", scopes).await;
    let bob_token = app.token("bob", scopes).await;
    // Users are numbered in creation order and tokens too, so ann's or bob's token has cy's
    // user id (whether or not the test app made an admin first).
    let token_ids = [1, 2, 3, 4];
    assert!(token_ids.contains(&cy.id.get()) && ann.id < bob.id && bob.id < cy.id);

    // cy uses the second token: its use is recorded on it, not on the token numbered like cy.
    let (status, me) = app.api(Method::GET, "/api/v1/me", &cy_second, None).await;
    assert_eq!((status, me["user"]["username"].as_str()), (200, Some("cy")));
    let (_, mine) = app.api(Method::GET, "/api/v1/tokens", &cy_first, None).await;
    let used: Vec<bool> =
        mine["items"].as_array().unwrap().iter().map(|t| !t["last_used_at"].is_null()).collect();
    assert_eq!(used, vec![true, true], "both of cy's tokens were used (newest first): {mine}");

    let (status, _) = app.api(Method::POST, "/api/v1/auth/logout", &cy_second, None).await;
    assert_eq!(status, 204);
    let still = |token: String| {
        let app = &app;
        async move { app.api(Method::GET, "/api/v1/me", &token, None).await.0 }
    };
    assert_eq!(still(cy_second.clone()).await, 401, "the token that logged out is revoked");
    assert_eq!(still(cy_first.clone()).await, 200, "cy's other token still works");
    assert_eq!(still(ann_token).await, 200, "a token numbered like cy's user id is untouched");
    assert_eq!(still(bob_token).await, 200);
    let (_, mine) = app.api(Method::GET, "/api/v1/tokens", &cy_first, None).await;
    let active: Vec<bool> = mine["items"].as_array().unwrap().iter().map(|t| t["active"] == true).collect();
    assert_eq!(active, vec![false, true], "only the newest of cy's tokens is revoked: {mine}");
}

#[tokio::test]
async fn roles_limit_what_each_user_may_do() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("agent1", "agent").await;
    let (_, requester) = app.user_with_token("req1", "requester").await;
    let (_, auditor) = app.user_with_token("aud1", "auditor").await;
    let new_user = json!({ "username": "newbie", "role": "agent", "password": "a long enough pw" });

    // (who, method, path, body, expected status)
    let cases = [
        (&requester, Method::GET, "/api/v1/users", None, 403),
        (&agent, Method::GET, "/api/v1/users", None, 200),
        (&auditor, Method::GET, "/api/v1/users", None, 200),
        (&agent, Method::POST, "/api/v1/users", Some(new_user.clone()), 403),
        (&auditor, Method::POST, "/api/v1/users", Some(new_user.clone()), 403),
        (&agent, Method::POST, "/api/v1/teams", Some(json!({ "name": "Net" })), 403),
        (&agent, Method::GET, "/api/v1/audit/events", None, 403),
        (&requester, Method::GET, "/api/v1/audit/verify", None, 403),
        (&auditor, Method::GET, "/api/v1/audit/events", None, 200),
        (&agent, Method::GET, "/metrics", None, 403),
        (&auditor, Method::GET, "/metrics", None, 200),
        (&agent, Method::GET, "/api/v1/tokens?all=true", None, 403),
        (&agent, Method::GET, "/api/v1/tokens", None, 200),
        (&admin, Method::POST, "/api/v1/users", Some(new_user.clone()), 201),
        (&admin, Method::POST, "/api/v1/teams", Some(json!({ "name": "Net" })), 201),
    ];
    for (who, method, path, body, expected) in cases {
        let (status, reply) = app.api(method.clone(), path, who, body).await;
        assert_eq!(status, expected, "{method} {path}: {reply}");
        if expected == 403 {
            assert_eq!(reply["error"]["code"], "forbidden", "{method} {path}");
        }
    }
    // An agent may not promote themselves.
    let me = app.app.directory().user_by_username("agent1").await.unwrap();
    let (status, _) = app
        .api(Method::PATCH, &format!("/api/v1/users/{}", me.id), &agent, Some(json!({ "role": "admin" })))
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.app.directory().user_by_username("agent1").await.unwrap().role.as_str(), "agent");
}

#[tokio::test]
async fn admins_manage_users_and_teams_through_the_api() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (status, user) = app
        .api(
            Method::POST,
            "/api/v1/users",
            &admin,
            Some(json!({ "username": "Li.Wei", "display_name": "李伟", "role": "agent", "password": "s3cret-enough", "email": "li.wei@example.com" })),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["username"], "li.wei");
    assert_eq!(user["display_name"], "李伟");
    let id = user["id"].as_i64().unwrap();

    let (status, team) =
        app.api(Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "数据库组" }))).await;
    assert_eq!(status, 201);
    let team_id = team["id"].as_i64().unwrap();
    let (status, _) =
        app.api(Method::PUT, &format!("/api/v1/teams/{team_id}/members/{id}"), &admin, None).await;
    assert_eq!(status, 204);
    let (_, teams) = app.api(Method::GET, "/api/v1/teams", &admin, None).await;
    assert_eq!(teams["items"][0]["members"][0]["username"], "li.wei");

    // The new user signs in with the API and sees their team.
    let login = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": "li.wei", "password": "s3cret-enough" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let body: serde_json::Value = login.json().await.unwrap();
    let (_, me) = app.api(Method::GET, "/api/v1/me", body["token"].as_str().unwrap(), None).await;
    assert_eq!(me["teams"][0]["name"], "数据库组");

    let (status, _) =
        app.api(Method::DELETE, &format!("/api/v1/teams/{team_id}/members/{id}"), &admin, None).await;
    assert_eq!(status, 204);
    let (status, _) =
        app.api(Method::PUT, &format!("/api/v1/teams/{team_id}/members/999999"), &admin, None).await;
    assert_eq!(status, 404);
}
