//! Regressions for what an outside probe of Steward found (issue 16): each test failed before
//! its fix.

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::AppConfig;
use steward_core::identity::LoginPolicy;
use steward_http::HttpConfig;
use steward_test_support::{PASSWORD, TestApp};

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

async fn api_login(app: &TestApp, username: &str, password: &str) -> (u16, Option<i64>) {
    let body = json!({ "username": username, "password": password });
    let response =
        reqwest::Client::new().post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry)
}

fn throttled(login: LoginPolicy, client_login: LoginPolicy) -> AppConfig {
    AppConfig { login, client_login, ..AppConfig::default() }
}

const GENEROUS: LoginPolicy =
    LoginPolicy { free_failures: 100, base_delay_ms: 1, lock_after: 1000, lock_ms: 1 };

/// Five wrong passwords gave `401×4, 429` for a real user and `401×6` for an unknown one, so
/// the throttle told which names exist.
#[tokio::test]
async fn unknown_names_are_throttled_like_real_ones() {
    let policy = LoginPolicy { free_failures: 2, base_delay_ms: 60_000, lock_after: 4, lock_ms: 60_000 };
    let app = TestApp::spawn_with(throttled(policy, GENEROUS), HttpConfig::default()).await;
    app.user("bob", "agent").await;
    let mut answers = Vec::new();
    for name in ["bob", "nobody"] {
        let mut seen = Vec::new();
        for _ in 0..5 {
            let (status, retry) = api_login(&app, name, "wrong password!").await;
            seen.push((status, retry.map(|s| s > 55)));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1], "real and unknown names are answered alike");
    assert_eq!(answers[0].iter().map(|a| a.0).collect::<Vec<_>>(), [401, 401, 401, 429, 429]);
}

/// `Retry-After` was rounded down, so a client that waited it out got a second 429.
#[tokio::test]
async fn retry_after_is_rounded_up_and_waiting_it_out_works() {
    let policy = LoginPolicy { free_failures: 0, base_delay_ms: 1_500, lock_after: 100, lock_ms: 60_000 };
    let app = TestApp::spawn_with(throttled(policy, GENEROUS), HttpConfig::default()).await;
    app.user("bob", "agent").await;
    assert_eq!(api_login(&app, "bob", "wrong password!").await.0, 401);
    let (status, retry) = api_login(&app, "bob", PASSWORD).await;
    assert_eq!((status, retry), (429, Some(2)), "1.5 s rounds up to 2");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(api_login(&app, "bob", PASSWORD).await.0, 200);
}

/// Anyone who knew a username could lock its owner out for 15 minutes. A browser that already
/// signed in as the user, and sessions already open, keep working; strangers stay locked out.
#[tokio::test]
async fn knowing_a_name_does_not_lock_its_owner_out_of_a_proven_device() {
    let policy = LoginPolicy { free_failures: 1, base_delay_ms: 1, lock_after: 3, lock_ms: 60_000 };
    let app = TestApp::spawn_with(throttled(policy, GENEROUS), HttpConfig::default()).await;
    app.user("bob", "agent").await;
    let (open, _) = app.signed_in("bob").await;
    let (laptop, csrf) = app.signed_in("bob").await;
    let out = laptop.post(app.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    for _ in 0..3 {
        api_login(&app, "bob", "guessing!").await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(api_login(&app, "bob", PASSWORD).await.0, 429, "the name is locked for strangers");
    let stranger = TestApp::browser();
    assert_eq!(app.sign_in(&stranger, "bob", PASSWORD).await.status(), 429);
    assert_eq!(app.sign_in(&laptop, "bob", PASSWORD).await.status(), 303, "bob's own laptop signs in");
    assert_eq!(app.page(&open, "/account").await.0, 200, "an open session is untouched");
    // The laptop's own guesses lock the laptop, and then it is trusted no more.
    let (again, csrf) = (laptop.clone(), app.csrf(&laptop).await);
    again.post(app.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    for _ in 0..3 {
        app.sign_in(&laptop, "bob", "guessing!").await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(app.sign_in(&laptop, "bob", PASSWORD).await.status(), 429);
}

/// One address trying many names (password spraying) is slowed, then locked, across names.
#[tokio::test]
async fn one_client_trying_many_names_is_locked() {
    let per_client = LoginPolicy { free_failures: 2, base_delay_ms: 1, lock_after: 4, lock_ms: 60_000 };
    let app = TestApp::spawn_with(throttled(GENEROUS, per_client), HttpConfig::default()).await;
    app.user("bob", "agent").await;
    let mut seen = Vec::new();
    for name in ["ann", "cy", "dee", "eve"] {
        seen.push(api_login(&app, name, "Winter2026!").await.0);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(seen, [401, 401, 401, 429]);
    assert_eq!(api_login(&app, "bob", PASSWORD).await.0, 429, "this address waits, whatever the name");
}

async fn scrape(app: &TestApp, token: &str, accept: Option<&str>) -> (String, String) {
    let mut request = reqwest::Client::new().get(app.url("/metrics")).bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (content_type, response.text().await.unwrap())
}

/// Each request with a made-up method added ~19 `steward_http_*` series.
#[tokio::test]
async fn made_up_methods_and_paths_add_no_series() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let odd = |n: usize| {
        let method = Method::from_bytes(format!("BREW{n}").as_bytes()).unwrap();
        reqwest::Client::new().request(method, app.url(&format!("/api/v1/pot-{n}"))).send()
    };
    odd(0).await.unwrap();
    scrape(&app, &admin, None).await;
    let (_, before) = scrape(&app, &admin, None).await;
    for n in 1..20 {
        odd(n).await.unwrap();
    }
    let (_, after) = scrape(&app, &admin, None).await;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(series(&after), series(&before), "{after}");
    assert!(!after.contains("BREW") && !after.contains("pot-"), "{after}");
    assert!(after.contains(r#"method="other",route="unmatched""#), "{after}");
}

/// `/metrics` answered OpenMetrics whatever was asked, and `promtool check metrics` failed on it
/// ("no help text"). It negotiates from `Accept`, and the classic text passes promtool.
#[tokio::test]
async fn metrics_negotiate_their_format_and_pass_promtool() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Disk full" }))).await;
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;\
                      q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (open_type, open) = scrape(&app, &admin, Some(prometheus)).await;
    assert!(open_type.starts_with("application/openmetrics-text; version=1.0.0"), "{open_type}");
    assert!(open.ends_with("# EOF\n"));
    for accept in [None, Some("text/plain;version=0.0.4"), Some("*/*")] {
        let (text_type, text) = scrape(&app, &admin, accept).await;
        assert_eq!(text_type, "text/plain; version=0.0.4; charset=utf-8", "{accept:?}");
        assert!(text.contains("# TYPE steward_http_requests_total counter"), "{text}");
        let checked = promtool_check(&text);
        assert!(checked.0, "promtool check metrics: {}\n{text}", checked.1);
    }
}

/// `promtool check metrics` over `text`: whether it passed, and what it said.
fn promtool_check(text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test installs it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && said.trim().is_empty(), said)
}

/// Sends a request head announcing `length` bytes and one byte of body; the status line that
/// comes back within five seconds.
async fn announce(app: &TestApp, token: &str, path: &str, content_type: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or("").to_owned()
}

/// A request announcing `Content-Length: 99999999999` was not refused: the server waited for
/// the body.
#[tokio::test]
async fn an_announced_huge_body_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let status = announce(&app, &admin, "/api/v1/teams", "application/json", 99_999_999_999).await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    let (_, incident) =
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Upload" }))).await;
    let upload = format!("/api/v1/incidents/{}/attachments?filename=a.log", incident["id"]);
    let over = u64::try_from(AppConfig::default().attachment_max_bytes).unwrap() + 1;
    assert_eq!(announce(&app, &admin, &upload, "text/plain", over).await, "HTTP/1.1 413 Payload Too Large");
}

/// A comment of 65,000 `>` took 6 s to post and 11 s per view of its incident: the sanitizer
/// is quadratic in nesting depth and every view rendered it again. Now it is rendered once, when
/// written, to HTML nested no deeper than the bound (`steward bench markdown` shows the render
/// time linear in size).
#[tokio::test]
async fn comments_are_rendered_once_and_nest_boundedly() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, incident) =
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Quoted" }))).await;
    let path = format!("/api/v1/incidents/{}/comments", incident["id"]);
    for body in [format!("{} deep", ">".repeat(65_000)), "<div><b>".repeat(8_000)] {
        let (status, reply) = app.api(Method::POST, &path, &admin, Some(json!({ "body": body }))).await;
        assert_eq!(status, 201, "{reply}");
    }
    let raw = app.db.raw_pool().await;
    let stored: Vec<Option<String>> =
        sqlx::query_scalar("SELECT body_html FROM comments ORDER BY id").fetch_all(&raw).await.unwrap();
    assert!(stored.iter().all(Option::is_some), "rendered when written");
    // A comment from before the column existed is rendered when read.
    sqlx::query("UPDATE comments SET body_html = NULL WHERE id = (SELECT MIN(id) FROM comments)")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let (_, comments) = app.api(Method::GET, &path, &admin, None).await;
    let html: Vec<&str> =
        comments["items"].as_array().unwrap().iter().map(|c| c["body_html"].as_str().unwrap()).collect();
    assert_eq!(html[0].matches("<blockquote>").count(), steward_app::markdown::MAX_DEPTH);
    assert!(html[0].contains("deep"));
    assert!(
        html[1].starts_with("<p>&lt;div&gt;&lt;b&gt;") || html[1].starts_with("&lt;div&gt;"),
        "raw HTML is text"
    );
    let page = app.page(&app.signed_in("root").await.0, &format!("/incidents/{}", incident["id"])).await;
    assert_eq!(page.0, 200);
    assert!(page.1.matches("<blockquote>").count() <= steward_app::markdown::MAX_DEPTH);
}

/// schemathesis found a 500 on PostgreSQL: a username holding NUL went into the sign-in record,
/// and PostgreSQL's text refuses NUL.
#[tokio::test]
async fn control_characters_in_a_typed_name_are_an_ordinary_failure() {
    let app = TestApp::spawn().await;
    for name in ["x\u{0}y", "\u{0}", "a\u{96}b\u{6}"] {
        assert_eq!(api_login(&app, name, "wrong password!").await.0, 401, "{name:?}");
    }
}

/// Descriptions are rendered when written too — a projection of the events that set them —
/// and a description from before that is rendered when read.
#[tokio::test]
async fn descriptions_are_rendered_when_written() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let deep = format!("{} deep", ">".repeat(65_000));
    let body = json!({ "title": "Quoted", "description": deep });
    let (status, incident) = app.api(Method::POST, "/api/v1/incidents", &admin, Some(body)).await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_i64().unwrap();
    let html = stored_description(&app, id).await.expect("rendered on create");
    assert_eq!(html.matches("<blockquote>").count(), steward_app::markdown::MAX_DEPTH);
    let patch = json!({ "description": "**now** plain" });
    app.api(Method::PATCH, &format!("/api/v1/incidents/{id}"), &admin, Some(patch)).await;
    assert_eq!(
        stored_description(&app, id).await.as_deref().map(str::trim),
        Some("<p><strong>now</strong> plain</p>")
    );
    let title = json!({ "title": "Quoted again" });
    app.api(Method::PATCH, &format!("/api/v1/incidents/{id}"), &admin, Some(title)).await;
    assert!(
        stored_description(&app, id).await.is_some_and(|h| h.contains("<strong>now</strong>")),
        "kept when other fields change"
    );
    let raw = app.db.raw_pool().await;
    sqlx::query("UPDATE tickets SET description_html = NULL").execute(&raw).await.unwrap();
    raw.close().await;
    let (browser, _) = app.signed_in("root").await;
    let (status, page) = app.page(&browser, &format!("/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>now</strong> plain"), "rendered when read");
}

async fn stored_description(app: &TestApp, id: i64) -> Option<String> {
    let raw = app.db.raw_pool().await;
    let html: Option<String> = sqlx::query_scalar("SELECT description_html FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(&raw)
        .await
        .unwrap();
    raw.close().await;
    html
}

/// `.log` files were refused: browsers on Linux send them as `text/x-log`, others send no type.
/// Both are taken, as text; an untyped file still has to be what its name says.
#[tokio::test]
async fn log_files_are_accepted_as_text() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, incident) =
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Crash" }))).await;
    let upload = |name: &str, content_type: &str, body: &'static [u8]| {
        reqwest::Client::new()
            .post(app.url(&format!("/api/v1/incidents/{}/attachments?filename={name}", incident["id"])))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let r = upload("app.log", "text/x-log", b"12:00 ERROR pool exhausted\n").await.unwrap();
    assert_eq!(r.status(), 201);
    let r = upload("worker.log", "application/octet-stream", b"12:01 WARN retrying\n").await.unwrap();
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["content_type"], "text/plain");
    let r = upload("photo.png", "application/octet-stream", b"not a png").await.unwrap();
    assert_eq!(r.status(), 422, "the bytes are still checked");
    let r = upload("tool.exe", "application/octet-stream", b"MZ..").await.unwrap();
    assert_eq!(r.status(), 422);
}
