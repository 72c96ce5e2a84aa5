//! Logs (issue 22): lines in over HTTP (JSON lines, text, Loki's push API), mined into
//! templates that merge as their variables show, explored by template, host and text; a new
//! error template on a known host raises an alert that opens an incident on its CI; bad input
//! is refused with the field named or kept safely; retention deletes by age and size.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use steward_app::logs::LogsConfig;
use steward_app::{AppConfig, Clock};
use steward_http::HttpConfig;
use steward_test_support::TestApp;

fn start() -> Timestamp {
    // A fixed instant on a manual clock: nothing here depends on today's date.
    "2031-03-03T09:00:00Z".parse().unwrap()
}

async fn app_with(logs: LogsConfig) -> TestApp {
    let config = AppConfig { clock: Clock::manual(start()), logs, ..AppConfig::default() };
    TestApp::spawn_with(config, HttpConfig::default()).await
}

/// Sends a body to `path` with a content type; answers status and JSON.
async fn send(app: &TestApp, token: &str, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

fn ndjson(lines: &[Value]) -> Vec<u8> {
    lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
}

async fn templates(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, out) = app.api(Method::GET, &format!("/api/v1/logs/templates{query}"), token, None).await;
    assert_eq!(status, 200, "{out}");
    out["items"].as_array().unwrap().clone()
}

fn find<'a>(items: &'a [Value], text: &str) -> &'a Value {
    items.iter().find(|t| t["text"] == text).unwrap_or_else(|| panic!("no template `{text}` in {items:?}"))
}

#[tokio::test]
async fn lines_are_mined_into_templates_stored_and_explored() {
    let app = app_with(LogsConfig::default()).await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let shipper = app.token("ops", "alerts").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let (s, ci) = app
        .api(
            Method::POST,
            "/api/v1/cis",
            &agent,
            Some(json!({"class": "server", "name": "db-01", "attributes": {"hostname": "db-01"}})),
        )
        .await;
    assert_eq!(s, 201, "{ci}");

    let mut lines: Vec<Value> = (0..120)
        .map(|i| json!({"message": format!("Connection from 10.0.{}.{} port {}", i % 7, i, 40000 + i), "host": "db-01", "source": "sshd"}))
        .collect();
    lines.push(json!({"msg": "Disk /dev/sda1 is 91% full", "hostname": "db-01", "level": "warning", "time": "2031-03-03T08:59:00Z"}));
    let body = ndjson(&lines);
    assert_eq!(send(&app, &requester, "/ingest/logs", "application/x-ndjson", body.clone()).await.0, 403);
    let read_write = app.token("ops", "read write").await;
    assert_eq!(
        send(&app, &read_write, "/ingest/logs", "application/x-ndjson", body.clone()).await.0,
        403,
        "needs the alerts scope"
    );
    let (status, out) = send(&app, &shipper, "/ingest/logs", "application/x-ndjson", body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["accepted"], 121);
    assert_eq!(out["new_templates"], 2, "{out}");

    let found = templates(&app, &agent, "").await;
    let conn = find(&found, "Connection from <*>.<*>.<*>.<*> port <*>");
    assert_eq!(conn["lines"], 120);
    assert_eq!(find(&found, "Disk /dev/<*> is <*>% full")["level"], "warning");
    let id = conn["id"].as_i64().unwrap();
    let (status, _) = app.api(Method::GET, "/api/v1/logs/templates", &requester, None).await;
    assert_eq!(status, 403, "requesters see no logs");

    let (_, detail) = app.api(Method::GET, &format!("/api/v1/logs/templates/{id}"), &agent, None).await;
    assert_eq!(detail["minutes"][0]["lines"], 120, "{detail}");
    assert_eq!(detail["hosts"][0]["host"], "db-01");
    assert_eq!(detail["hosts"][0]["ci_id"], ci["id"], "the host is matched to its CI");

    let (_, page) =
        app.api(Method::GET, &format!("/api/v1/logs/lines?template={id}&limit=5"), &agent, None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["message"], "Connection from 10.0.0.119 port 40119", "newest first");
    let (_, page) = app.api(Method::GET, "/api/v1/logs/lines?q=PORT%2040007", &agent, None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "text search ignores case: {page}");
    let (_, page) = app.api(Method::GET, "/api/v1/logs/lines?level=warning", &agent, None).await;
    assert_eq!(page["items"][0]["message"], "Disk /dev/sda1 is 91% full");

    // Plain text with defaults from the query, and Loki's JSON push.
    let (status, out) = send(
        &app,
        &shipper,
        "/ingest/logs?host=web-01&source=nginx",
        "text/plain",
        b"GET /a 200\nGET /b 404\n".to_vec(),
    )
    .await;
    assert_eq!((status, &out["accepted"]), (200, &json!(2)), "{out}");
    let loki = json!({"streams": [{"stream": {"host": "web-01", "job": "api", "level": "error"},
        "values": [["1930000000000000000", "upstream timed out after 30s"], ["1930000000000000001", "upstream timed out after 31s", {"trace": "x"}]]}]});
    let (status, _) =
        send(&app, &shipper, "/loki/api/v1/push", "application/json", loki.to_string().into_bytes()).await;
    assert_eq!(status, 204);
    let (_, page) = app.api(Method::GET, "/api/v1/logs/lines?host=web-01", &agent, None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{page}");
    assert!(items.iter().any(|l| l["source"] == "api" && l["level"] == "error"));
    let (_, hosts) = app.api(Method::GET, "/api/v1/logs/hosts", &agent, None).await;
    assert_eq!(hosts["items"].as_array().unwrap().len(), 2);

    // Names vary: once the fourth user name is seen the position is a variable, and the
    // templates stored for the first names merge into one, counts and lines included.
    for (i, user) in ["alice", "bob", "carol", "dave", "erin"].iter().enumerate() {
        let body =
            ndjson(&[json!({"message": format!("Invalid user {user} from 192.0.2.{i}"), "host": "web-01"})]);
        assert_eq!(send(&app, &shipper, "/ingest/logs", "application/json", body).await.0, 200);
    }
    let found = templates(&app, &agent, "?q=invalid%20user").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["text"], "Invalid user <*> from <*>.<*>.<*>.<*>");
    assert_eq!(found[0]["lines"], 5);
    let merged_id = found[0]["id"].as_i64().unwrap();
    let (_, page) =
        app.api(Method::GET, &format!("/api/v1/logs/lines?template={merged_id}"), &agent, None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5, "a merged template's lines are found: {page}");

    // A node that starts afresh (a restart, another node) learns the stored templates: no new one.
    let other = steward_app::App::new(
        app.db.store().await,
        AppConfig { clock: Clock::manual(start()), ..AppConfig::default() },
    );
    let ops = other.directory().user_by_username("ops").await.unwrap();
    let actor = steward_app::Actor { user: ops, credential: steward_app::Credential::Direct };
    let line = steward_app::logs::IncomingLine {
        source: "sshd".into(),
        host: "web-02".into(),
        message: "Invalid user zed from 198.51.100.9".into(),
        ..Default::default()
    };
    let report = other.logs().ingest(&actor, vec![line]).await.unwrap();
    assert_eq!(report.new_templates, 0, "{report:?}");
    assert_eq!(templates(&app, &agent, "?q=invalid%20user").await[0]["lines"], 6);
}

#[tokio::test]
async fn a_new_error_template_on_a_known_host_raises_an_alert_that_opens_an_incident_on_its_ci() {
    let app = app_with(LogsConfig { learning: SignedDuration::from_mins(30), ..LogsConfig::default() }).await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let shipper = app.token("ops", "alerts").await;
    let (s, ci) = app
        .api(
            Method::POST,
            "/api/v1/cis",
            &agent,
            Some(json!({"class": "server", "name": "db-01", "attributes": {"hostname": "db-01"}})),
        )
        .await;
    assert_eq!(s, 201, "{ci}");
    let ship =
        |message: &str, level: &str| ndjson(&[json!({"message": message, "host": "db-01", "level": level})]);

    // While the host is new everything is new: errors are learned, not alerted on.
    let (_, out) =
        send(&app, &shipper, "/ingest/logs", "application/json", ship("checkpoint starting: time", "info"))
            .await;
    assert_eq!(out["alerts"], 0);
    let (_, out) = send(
        &app,
        &shipper,
        "/ingest/logs",
        "application/json",
        ship("could not receive data from client: Connection reset by peer", "error"),
    )
    .await;
    assert_eq!(out["alerts"], 0, "still learning: {out}");

    app.app.config().clock.advance(SignedDuration::from_hours(1));
    // Known templates and new info lines raise nothing.
    let (_, out) = send(
        &app,
        &shipper,
        "/ingest/logs",
        "application/json",
        ship("could not receive data from client: Connection reset by peer", "error"),
    )
    .await;
    assert_eq!(out["alerts"], 0);
    let (_, out) = send(
        &app,
        &shipper,
        "/ingest/logs",
        "application/json",
        ship("autovacuum: processing database \"app\"", "info"),
    )
    .await;
    assert_eq!(out["alerts"], 0);
    // A new error template does.
    let (status, out) = send(
        &app,
        &shipper,
        "/ingest/logs",
        "application/json",
        ship("PANIC: could not write to file \"pg_wal/xlogtemp.42\": No space left on device", "critical"),
    )
    .await;
    assert_eq!((status, &out["alerts"]), (200, &json!(1)), "{out}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    let alert = &alerts["items"][0];
    assert_eq!(alert["source"], "logs");
    assert_eq!(alert["labels"]["alertname"], "NewLogTemplate");
    assert_eq!(alert["labels"]["host"], "db-01");
    assert_eq!(alert["severity"], "critical");
    let incident = alert["ticket_id"].as_i64().unwrap_or_else(|| panic!("an incident was opened: {alert}"));
    let (_, affected) =
        app.api(Method::GET, &format!("/api/v1/incidents/{incident}/cis"), &agent, None).await;
    assert_eq!(affected["items"][0]["id"], ci["id"], "on the host's CI: {affected}");
    // Seen again: a known template now, no second alert.
    let (_, out) = send(
        &app,
        &shipper,
        "/ingest/logs",
        "application/json",
        ship("PANIC: could not write to file \"pg_wal/xlogtemp.43\": No space left on device", "critical"),
    )
    .await;
    assert_eq!(out["alerts"], 0);
}

#[tokio::test]
async fn bad_input_is_refused_by_field_or_kept_safely() {
    let app = app_with(LogsConfig::default()).await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let shipper = app.token("ops", "alerts").await;
    let post = |body: &[u8], ct: &'static str| send(&app, &shipper, "/ingest/logs", ct, body.to_vec());
    let (status, out) = post(b"{\"message\":\"ok\"}\nnot json\n", "application/json").await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("lines[1]")), "{out}");
    let (status, out) = post(b"{\"message\":\"ok\",\"level\":\"loud\"}\n", "application/json").await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("lines[0].level")), "{out}");
    let (status, out) = post(b"{\"message\":\"ok\",\"time\":\"yesterday\"}\n", "application/json").await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("lines[0].time")), "{out}");
    let (status, out) = post(b"[1, 2]", "application/json").await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("lines[0]")), "{out}");
    let (_, lines) = app.api(Method::GET, "/api/v1/logs/lines", &agent, None).await;
    assert!(lines["items"].as_array().unwrap().is_empty(), "a refused delivery stores nothing");

    // A sender's clock near the end of time (or before 1970) is not believed: filed as now,
    // and the host's learning period does not overflow.
    for time in ["9999-12-30T21:30:00Z", "1960-01-01T00:00:00Z"] {
        let body = format!(
            "{{\"message\":\"clock test\",\"host\":\"far\",\"time\":\"{time}\"}}\n{{\"message\":\"again\",\"host\":\"far\",\"level\":\"error\"}}\n"
        );
        let (status, out) = post(body.as_bytes(), "application/json").await;
        assert_eq!(status, 200, "{out}");
    }
    let (_, far) = app.api(Method::GET, "/api/v1/logs/lines?host=far&limit=1", &agent, None).await;
    assert_eq!(far["items"][0]["at"].as_str().map(|t| &t[..4]), Some("2031"), "{far}");
    // Binary garbage and invalid UTF-8 are kept as text; NUL bytes too, replaced.
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).filter(|b| *b != b'\n').collect();
    let (status, out) = post(&garbage, "text/plain").await;
    assert_eq!((status, &out["accepted"]), (200, &json!(1)), "{out}");
    // A line over 1 MiB is kept cut, and said so.
    let long = format!("{{\"message\":\"{}\"}}\n", "x".repeat(1_200_000));
    let (status, out) = post(long.as_bytes(), "application/json").await;
    assert_eq!((status, &out["truncated"]), (200, &json!(1)), "{out}");
    let (_, lines) = app.api(Method::GET, "/api/v1/logs/lines?limit=10", &agent, None).await;
    let items = lines["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(items[0]["message"].as_str().unwrap().len(), 1 << 20);
    // Loki: a bad value, a bad time, and protobuf that is not.
    let loki = json!({"streams": [{"stream": {}, "values": [["soon", "x"]]}]}).to_string();
    let (status, out) =
        send(&app, &shipper, "/loki/api/v1/push", "application/json", loki.into_bytes()).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("streams[0].values[0][0]")), "{out}");
    let (status, out) =
        send(&app, &shipper, "/loki/api/v1/push", "application/x-protobuf", b"\x01garbage".to_vec()).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("body")), "{out}");
    // Queries name their bad parameter.
    let (status, out) = app.api(Method::GET, "/api/v1/logs/templates?level=loud", &agent, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("level")));
    let (status, out) = app.api(Method::GET, "/api/v1/logs/lines?since=tomorrow", &agent, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("since")));
    let (status, _) = app.api(Method::GET, "/api/v1/logs/templates/999999", &agent, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn retention_deletes_old_chunks_then_the_oldest_beyond_the_size() {
    let app = app_with(LogsConfig {
        retention: SignedDuration::from_hours(24),
        max_bytes: 1_000_000_000,
        ..LogsConfig::default()
    })
    .await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let shipper = app.token("ops", "alerts").await;
    let old = start() - SignedDuration::from_hours(48);
    let body = ndjson(&[json!({"message": "worker 1 stopped", "host": "h", "time": old.to_string()})]);
    assert_eq!(send(&app, &shipper, "/ingest/logs", "application/json", body).await.0, 200);
    let body = ndjson(&[json!({"message": "worker 2 stopped", "host": "h"})]);
    assert_eq!(send(&app, &shipper, "/ingest/logs", "application/json", body).await.0, 200);
    assert_eq!(app.app.logs().expire().await.unwrap(), 1);
    let (_, lines) = app.api(Method::GET, "/api/v1/logs/lines", &agent, None).await;
    let items = lines["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["message"], "worker 2 stopped");
    // The template keeps its count: retention drops lines, not what was learned.
    assert_eq!(templates(&app, &agent, "?hours=720").await[0]["lines"], 2);

    let small = app_with(LogsConfig { max_bytes: 1, ..LogsConfig::default() }).await;
    small.user("ops", "agent").await;
    let shipper = small.token("ops", "alerts").await;
    for i in 0..3 {
        let body = ndjson(&[json!({"message": format!("line {i}"), "host": "h"})]);
        assert_eq!(send(&small, &shipper, "/ingest/logs", "application/json", body).await.0, 200);
    }
    assert_eq!(small.app.logs().expire().await.unwrap(), 3, "every chunk is over a one-byte budget");
    assert_eq!(small.app.logs().expire().await.unwrap(), 0);
}

#[tokio::test]
async fn a_template_whose_hourly_rate_departs_from_its_history_raises_an_alert_that_resolves() {
    let app = app_with(LogsConfig::default()).await;
    let (_, agent) = app.user_with_token("ops", "agent").await;
    let ops = app.app.directory().user_by_username("ops").await.unwrap();
    let actor = steward_app::Actor { user: ops, credential: steward_app::Credential::Direct };
    let line = |at: Timestamp, i: usize| steward_app::logs::IncomingLine {
        at: Some(at),
        source: "api".into(),
        host: "web-09".into(),
        message: format!("GET /api/orders/{i} 200 in {}ms", 10 + i % 50),
        ..Default::default()
    };
    // Three weeks of 12 lines an hour, then 400 in the last complete hour.
    let hour = SignedDuration::from_hours(1);
    let judged = start() - hour;
    let mut batch = Vec::new();
    for h in (1..=21 * 24).rev() {
        let at = judged - hour * h;
        batch.extend((0..12).map(|i| line(at + SignedDuration::from_secs(i as i64 * 250), i)));
    }
    batch.extend((0..400).map(|i| line(judged + SignedDuration::from_secs(i as i64 * 8), i)));
    app.app.logs().ingest(&actor, batch).await.unwrap();
    assert_eq!(app.app.logs().detect_rate_anomalies().await.unwrap(), 1);
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    let alert = &alerts["items"][0];
    assert_eq!(alert["labels"]["alertname"], "LogRateAnomaly", "{alerts}");
    assert_eq!(alert["labels"]["direction"], "above");
    assert_eq!(alert["labels"]["host"], "web-09");
    assert!(
        alert["annotations"]["summary"].as_str().unwrap().starts_with("400 lines in an hour where about 12"),
        "{alert}"
    );

    // The next hour is ordinary again: the alert resolves.
    app.app.config().clock.advance(hour);
    let normal: Vec<_> =
        (0..12).map(|i| line(start() + SignedDuration::from_secs(i as i64 * 250), i)).collect();
    app.app.logs().ingest(&actor, normal).await.unwrap();
    assert_eq!(app.app.logs().detect_rate_anomalies().await.unwrap(), 1);
    let (_, firing) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    assert!(firing["items"].as_array().unwrap().is_empty(), "{firing}");
    // And an ordinary hour after an ordinary one sends nothing.
    app.app.config().clock.advance(hour);
    assert_eq!(app.app.logs().detect_rate_anomalies().await.unwrap(), 0);

    // It fires again, then the template falls silent for two days (the job missing every hour
    // between): the alert does not stay firing.
    let burst: Vec<_> =
        (0..400).map(|i| line(start() + hour + SignedDuration::from_secs(i as i64 * 8), i)).collect();
    app.app.logs().ingest(&actor, burst).await.unwrap();
    assert_eq!(app.app.logs().detect_rate_anomalies().await.unwrap(), 1);
    let (_, firing) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    assert_eq!(firing["items"].as_array().unwrap().len(), 1, "{firing}");
    app.app.config().clock.advance(hour * 48);
    assert_eq!(app.app.logs().detect_rate_anomalies().await.unwrap(), 1);
    // (The first token has expired meanwhile.)
    let agent = app.token("ops", "read write").await;
    let (_, firing) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    assert!(firing["items"].as_array().unwrap().is_empty(), "{firing}");
}
