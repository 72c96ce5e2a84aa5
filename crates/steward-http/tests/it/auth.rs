//! Password sign-in: success, failure, throttling and lockout, sessions and CSRF.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use steward_app::AppConfig;
use steward_core::identity::LoginPolicy;
use steward_http::HttpConfig;
use steward_test_support::{PASSWORD, TestApp};

async fn api_login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (u16, serde_json::Value, Option<String>) {
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), retry)
}

#[tokio::test]
async fn api_login_returns_a_working_token() {
    let app = TestApp::spawn().await;
    app.user("alice", "agent").await;
    let (status, body, _) = api_login(&app, "Alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["token"].as_str().unwrap().starts_with("stw_"));
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let (status, me) = app.api(Method::GET, "/api/v1/me", body["token"].as_str().unwrap(), None).await;
    assert_eq!((status, me["user"]["username"].as_str()), (200, Some("alice")));

    let (status, body, _) = api_login(&app, "alice", "wrong password!").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_credentials");
    let (status, body, _) = api_login(&app, "nobody", PASSWORD).await;
    assert_eq!(status, 401, "unknown users look like wrong passwords");
    assert_eq!(body["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn repeated_failures_are_slowed_then_locked() {
    let policy = LoginPolicy { free_failures: 2, base_delay_ms: 400, lock_after: 4, lock_ms: 60_000 };
    let app =
        TestApp::spawn_with(AppConfig { login: policy, ..AppConfig::default() }, HttpConfig::default()).await;
    app.user("bob", "agent").await;
    for _ in 0..2 {
        assert_eq!(api_login(&app, "bob", "wrong password!").await.0, 401);
    }
    // The third failure starts the delay: an immediate retry is refused unchecked...
    assert_eq!(api_login(&app, "bob", "wrong password!").await.0, 401);
    let (status, body, retry) = api_login(&app, "bob", PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert!(retry.is_some());
    // ...but after the delay the right password works and clears the counter.
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(api_login(&app, "bob", PASSWORD).await.0, 200);

    // Four failures in a row lock the account; even the right password is refused.
    for attempt in 0..4 {
        tokio::time::sleep(Duration::from_millis(if attempt < 2 { 0 } else { 850 })).await;
        let (status, body, _) = api_login(&app, "bob", "wrong password!").await;
        assert!(status == 401 || (attempt == 3 && status == 429), "attempt {attempt}: {status} {body}");
    }
    let (status, _, retry) = api_login(&app, "bob", PASSWORD).await;
    assert_eq!(status, 429);
    let secs: i64 = retry.unwrap().parse().unwrap();
    assert!(secs > 30 && secs <= 60, "locked for about a minute, got {secs}s");
    let key = steward_core::identity::ThrottleKey::name("bob");
    let state = app.app.store().throttles(&[key]).await.unwrap()[0];
    assert!(state.blocked_until > jiff::Timestamp::now());
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_and_lose_their_sessions() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let carol = app.user("carol", "agent").await;
    let browser = TestApp::browser();
    assert_eq!(app.sign_in(&browser, "carol", PASSWORD).await.status(), 303);
    assert_eq!(browser.get(app.url("/")).send().await.unwrap().status(), 200);

    let (status, _) = app
        .api(Method::PATCH, &format!("/api/v1/users/{}", carol.id), &admin, Some(json!({ "disabled": true })))
        .await;
    assert_eq!(status, 200);
    assert_eq!(browser.get(app.url("/")).send().await.unwrap().status(), 303, "the session ended");
    assert_eq!(api_login(&app, "carol", PASSWORD).await.0, 401);
}

#[tokio::test]
async fn web_sign_in_sets_a_hardened_cookie_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    app.user("dave", "agent").await;
    let browser = TestApp::browser();
    let response = app.sign_in(&browser, "dave", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("steward_session="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );

    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("dave"));

    let csrf = app.csrf(&browser).await;
    let out = browser.post(app.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(browser.get(app.url("/")).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn session_requests_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.user("root", "admin").await;
    let browser = TestApp::browser();
    app.sign_in(&browser, "root", PASSWORD).await;
    let csrf = app.csrf(&browser).await;

    let form = [("name", "Forged team")];
    let no_token = browser.post(app.url("/admin/teams")).form(&form).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong = browser
        .post(app.url("/admin/teams"))
        .form(&[("name", "Forged team"), ("_csrf", "0000")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    // JSON calls riding on the cookie need the header.
    let json_call =
        browser.post(app.url("/api/v1/teams")).json(&json!({ "name": "Forged team" })).send().await.unwrap();
    assert_eq!(json_call.status(), 403);
    let body: serde_json::Value = json_call.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf");
    // A cross-site request is refused by its Origin before the token is even looked at.
    let cross = browser
        .post(app.url("/admin/teams"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Forged team"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let body: serde_json::Value = cross.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf");
    let actor_token = app.token("root", "read").await;
    let (_, teams) = app.api(Method::GET, "/api/v1/teams", &actor_token, None).await;
    assert_eq!(teams["items"].as_array().unwrap().len(), 0, "nothing was created");

    let ok = browser
        .post(app.url("/admin/teams"))
        .form(&[("name", "Real team"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let header_ok = browser
        .post(app.url("/api/v1/teams"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": "Second team" }))
        .send()
        .await
        .unwrap();
    assert_eq!(header_ok.status(), 201);
}

#[tokio::test]
async fn the_login_form_itself_is_protected_against_csrf() {
    let app = TestApp::spawn().await;
    app.user("erin", "agent").await;
    let browser = TestApp::browser();
    let response = browser
        .post(app.url("/login"))
        .form(&[("username", "erin"), ("password", PASSWORD), ("_csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("steward_session=s"))
    );
}

#[tokio::test]
async fn sign_in_only_redirects_to_local_pages() {
    let app = TestApp::spawn().await;
    app.user("fred", "agent").await;
    let browser = TestApp::browser();
    let page =
        browser.get(app.url("/login?next=//evil.example/x")).send().await.unwrap().text().await.unwrap();
    let csrf = steward_test_support::hidden_field(&page, "_csrf").unwrap();
    let response = browser
        .post(app.url("/login"))
        .form(&[("username", "fred"), ("password", PASSWORD), ("_csrf", &csrf), ("next", "//evil.example/x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
    for next in ["/\t/evil.example", "/\\evil.example"] {
        let fresh = TestApp::browser();
        let page = fresh.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = steward_test_support::hidden_field(&page, "_csrf").unwrap();
        let response = fresh
            .post(app.url("/login"))
            .form(&[("username", "fred"), ("password", PASSWORD), ("_csrf", &csrf), ("next", next)])
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.headers().get("location").map(|l| l.to_str().unwrap()), Some("/") | None),
            "{next:?}"
        );
    }
}
