//! Subscriptions (issue 18): an incident and an alert are delivered to DingTalk, WeCom, Feishu,
//! Slack and a signed webhook — to a capture server on 127.0.0.1 that answers as each of them
//! does and checks each format and signature itself — and a receiver that keeps failing leaves
//! a dead letter that an admin sends again.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use base64::Engine;
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

/// What the capture server received: the channel (its path) and the body.
#[derive(Clone, Default)]
struct Capture {
    seen: Arc<Mutex<Vec<(String, Value)>>>,
    /// Whether `/flaky` answers 503.
    down: Arc<Mutex<bool>>,
}

const SECRET: &str = "SEC0123456789";

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Answers as each robot does; a wrong signature gets that robot's refusal.
async fn receive(
    State(c): State<Capture>,
    Path(channel): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let header = |k: &str| headers.get(k).and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    let answer = match channel.as_str() {
        // https://open.dingtalk.com/document/robots/customize-robot-security-settings
        "dingtalk" => {
            let ts = q.get("timestamp").cloned().unwrap_or_default();
            let sign = b64(&hmac(SECRET.as_bytes(), format!("{ts}\n{SECRET}").as_bytes()));
            let ok = q.get("access_token").map(String::as_str) == Some("tok")
                && q.get("sign") == Some(&sign)
                && v["msgtype"] == "markdown"
                && v["markdown"]["title"].is_string()
                && v["markdown"]["text"].is_string();
            (
                StatusCode::OK,
                if ok {
                    r#"{"errcode":0,"errmsg":"ok"}"#
                } else {
                    r#"{"errcode":310000,"errmsg":"sign not match"}"#
                },
            )
        }
        "wecom" => {
            let ok = v["msgtype"] == "markdown" && v["markdown"]["content"].is_string();
            (
                StatusCode::OK,
                if ok {
                    r#"{"errcode":0,"errmsg":"ok"}"#
                } else {
                    r#"{"errcode":40008,"errmsg":"invalid message type"}"#
                },
            )
        }
        // https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
        "feishu" => {
            let ts = v["timestamp"].as_str().unwrap_or_default();
            let sign = b64(&hmac(format!("{ts}\n{SECRET}").as_bytes(), b""));
            let ok =
                v["sign"] == sign.as_str() && v["msg_type"] == "text" && v["content"]["text"].is_string();
            (
                StatusCode::OK,
                if ok {
                    r#"{"code":0,"msg":"success"}"#
                } else {
                    r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#
                },
            )
        }
        "slack" => match v["text"].is_string() && v["blocks"][0]["text"]["type"] == "mrkdwn" {
            true => (StatusCode::OK, "ok"),
            false => (StatusCode::BAD_REQUEST, "invalid_blocks"),
        },
        "hook" => {
            let ts = header("x-steward-timestamp");
            let expected =
                format!("sha256={}", hex::encode(hmac(SECRET.as_bytes(), format!("{ts}.{body}").as_bytes())));
            match header("x-steward-signature") == expected && v["event"].is_string() {
                true => (StatusCode::NO_CONTENT, ""),
                false => (StatusCode::UNAUTHORIZED, "bad signature"),
            }
        }
        "flaky" if *c.down.lock().unwrap() => (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance"),
        _ => (StatusCode::OK, ""),
    };
    c.seen.lock().unwrap().push((channel, v));
    (answer.0, answer.1.to_owned())
}

async fn capture_server() -> (String, Capture) {
    let capture = Capture::default();
    let router =
        axum::Router::new().route("/{channel}", axum::routing::post(receive)).with_state(capture.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, capture)
}

/// Runs the feed and every due job until none is left.
async fn drain(app: &TestApp) {
    app.app.subscriptions().process_feed().await.unwrap();
    while app.app.run_due_jobs("test").await.unwrap() > 0 {}
}

fn seen(c: &Capture, channel: &str) -> Vec<Value> {
    c.seen.lock().unwrap().iter().filter(|(ch, _)| ch == channel).map(|(_, v)| v.clone()).collect()
}

#[tokio::test]
async fn incidents_and_alerts_reach_each_robot_in_its_format_and_dead_letters_are_sent_again() {
    let clock = Clock::manual(jiff::Timestamp::now());
    let config = AppConfig {
        clock: clock.clone(),
        public_url: Some("https://steward.example".into()),
        ..AppConfig::default()
    };
    let app = TestApp::spawn_with(config, Default::default()).await;
    let (base, capture) = capture_server().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let subscribe =
        |name: &str, channel: &str, target: String, secret: Option<&str>, topics: Value, filter: Value| {
            json!({ "name": name, "channel": channel, "target": target, "secret": secret, "topics": topics,
                "locale": "zh-CN", "filter": filter })
        };
    let incidents = json!(["incident.opened", "incident.resolved"]);
    for (name, channel, path, secret) in [
        ("钉钉值班群", "dingtalk", "dingtalk?access_token=tok", Some(SECRET)),
        ("WeCom ops", "wecom", "wecom?key=k", None),
        ("Feishu ops", "feishu", "feishu", Some(SECRET)),
        ("Slack #ops", "slack", "slack", None),
        ("CMDB sync", "webhook", "hook", Some(SECRET)),
    ] {
        let body = subscribe(name, channel, format!("{base}/{path}"), secret, incidents.clone(), json!({}));
        let (status, out) = app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(body)).await;
        assert_eq!(status, 201, "{name}: {out}");
    }
    // Only critical alerts, to Slack in English.
    let mut critical = subscribe(
        "Critical alerts",
        "slack",
        format!("{base}/slack"),
        None,
        json!(["alert.firing"]),
        json!({ "labels": ["severity=critical"] }),
    );
    critical["locale"] = json!("en");
    assert_eq!(app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(critical)).await.0, 201);
    // P1 only: a P3 incident is not sent.
    let p1 = subscribe(
        "P1 pager",
        "webhook",
        format!("{base}/p1"),
        None,
        incidents.clone(),
        json!({ "max_priority": 1 }),
    );
    assert_eq!(app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(p1)).await.0, 201);

    // Bad subscriptions are refused, naming the field; only admins subscribe.
    let bad = subscribe("x", "dingtalk", "ftp://nowhere".into(), None, incidents.clone(), json!({}));
    let (status, out) = app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(bad)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("target")), "{out}");
    let bad = subscribe("x", "slack", format!("{base}/slack"), Some("s"), incidents.clone(), json!({}));
    assert_eq!(
        app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(bad)).await.1["error"]["field"],
        "secret"
    );
    let bad = subscribe("x", "slack", format!("{base}/slack"), None, json!(["incident.eaten"]), json!({}));
    assert_eq!(
        app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(bad)).await.1["error"]["field"],
        "topics"
    );
    let dup = subscribe("Slack #ops", "slack", format!("{base}/slack"), None, incidents.clone(), json!({}));
    assert_eq!(app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(dup)).await.0, 409);
    let ok = subscribe("mine", "slack", format!("{base}/slack"), None, incidents.clone(), json!({}));
    assert_eq!(app.api(Method::POST, "/api/v1/subscriptions", &agent, Some(ok)).await.0, 403);
    let (_, list) = app.api(Method::GET, "/api/v1/subscriptions", &admin, None).await;
    let ding = list["items"].as_array().unwrap().iter().find(|s| s["channel"] == "dingtalk").unwrap().clone();
    let shown = ding["target"].as_str().unwrap();
    assert!(
        shown.starts_with(&format!("{base}/…")) && !shown.contains("access_token"),
        "the token is not shown: {shown}"
    );
    assert_eq!(ding["signed"], true);
    assert!(ding.get("secret").is_none());

    // An incident opens: every incident subscription hears of it, each in its own format.
    let (status, incident) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &agent,
            Some(json!({ "title": "数据库磁盘已满", "impact": 2, "urgency": 2 })),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let (number, id) = (incident["number"].as_str().unwrap().to_owned(), incident["id"].as_i64().unwrap());
    drain(&app).await;
    let link = format!("https://steward.example/incidents/{id}");
    let ding = seen(&capture, "dingtalk");
    assert_eq!(ding.len(), 1, "{ding:?}");
    assert_eq!(ding[0]["markdown"]["title"], format!("事件已创建：{number} 数据库磁盘已满"));
    assert!(ding[0]["markdown"]["text"].as_str().unwrap().contains(&format!("[在 Steward 中查看]({link})")));
    let wecom = seen(&capture, "wecom");
    assert!(wecom[0]["markdown"]["content"].as_str().unwrap().contains("- 优先级：P3"), "{wecom:?}");
    let feishu = seen(&capture, "feishu");
    assert!(feishu[0]["content"]["text"].as_str().unwrap().starts_with(&format!("事件已创建：{number}")));
    let slack = seen(&capture, "slack");
    assert_eq!(slack.len(), 1);
    assert!(
        slack[0]["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("<{link}|在 Steward 中查看>"))
    );
    let hook = seen(&capture, "hook");
    assert_eq!(
        (hook[0]["event"].as_str(), hook[0]["reference"].as_str()),
        (Some("incident.opened"), Some(number.as_str()))
    );
    assert!(seen(&capture, "p1").is_empty(), "a P3 is not a P1");
    let (_, delivered) = app.api(Method::GET, "/api/v1/deliveries?status=delivered", &admin, None).await;
    assert_eq!(delivered["items"].as_array().unwrap().len(), 5, "{delivered}");
    // The feed running again sends nothing twice.
    drain(&app).await;
    assert_eq!(seen(&capture, "dingtalk").len(), 1);

    // A critical alert reaches the alert subscription; a warning does not.
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let alert = |fp: &str, severity: &str| {
        json!({ "status": "firing", "labels": { "alertname": "DiskFull", "instance": "db01:9100", "severity": severity },
                "annotations": { "summary": "Disk almost full" }, "startsAt": jiff::Timestamp::now().to_string(),
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": fp })
    };
    let body = json!({ "version": "4", "groupKey": "g", "status": "firing", "alerts": [alert("c1", "critical"), alert("w1", "warning")] });
    assert_eq!(app.api(Method::POST, "/hooks/alertmanager", &bot, Some(body)).await.0, 200);
    drain(&app).await;
    let alerts: Vec<Value> = seen(&capture, "slack")
        .into_iter()
        .filter(|v| v["text"].as_str().unwrap().starts_with("Alert firing"))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["text"], "Alert firing: alertmanager Disk almost full (db01)");

    // A receiver that keeps failing: retried with backoff, then a dead letter.
    *capture.down.lock().unwrap() = true;
    let flaky =
        subscribe("Flaky", "webhook", format!("{base}/flaky"), None, json!(["incident.resolved"]), json!({}));
    let (_, created) = app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(flaky)).await;
    clock.advance(jiff::SignedDuration::from_secs(1));
    let resolve = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "扩容磁盘" });
    let (status, out) =
        app.api(Method::POST, &format!("/api/v1/incidents/{id}/transition"), &agent, Some(resolve)).await;
    assert_eq!(status, 200, "{out}");
    drain(&app).await;
    let (_, pending) = app.api(Method::GET, "/api/v1/deliveries?status=pending", &admin, None).await;
    let first = &pending["items"][0];
    assert_eq!(
        (first["subscription"].as_str(), first["attempts"].as_i64()),
        (Some("Flaky"), Some(1)),
        "{pending}"
    );
    assert!(first["last_error"].as_str().unwrap().contains("HTTP 503"), "{first}");
    for _ in 0..10 {
        clock.advance(jiff::SignedDuration::from_mins(10));
        drain(&app).await;
    }
    let (_, dead) = app.api(Method::GET, "/api/v1/deliveries?status=dead", &admin, None).await;
    let dead = dead["items"].as_array().unwrap().clone();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        (dead[0]["attempts"].as_i64(), dead[0]["topic"].as_str()),
        (Some(6), Some("incident.resolved"))
    );
    assert_eq!(seen(&capture, "flaky").len(), 6, "six attempts, no more");
    // Only a dead delivery is sent again; an agent may not.
    let dead_id = dead[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.api(Method::POST, &format!("/api/v1/deliveries/{dead_id}/resend"), &agent, None).await.0,
        403
    );
    *capture.down.lock().unwrap() = false;
    assert_eq!(
        app.api(Method::POST, &format!("/api/v1/deliveries/{dead_id}/resend"), &admin, None).await.0,
        204
    );
    assert_eq!(
        app.api(Method::POST, &format!("/api/v1/deliveries/{dead_id}/resend"), &admin, None).await.0,
        422
    );
    drain(&app).await;
    let (_, dead_now) = app.api(Method::GET, "/api/v1/deliveries?status=dead", &admin, None).await;
    assert_eq!(dead_now["items"].as_array().unwrap().len(), 0);
    let flaky = seen(&capture, "flaky");
    assert_eq!(flaky.last().unwrap()["event"], "incident.resolved");
    // The resolution reached the others too, once (the other message: the critical alert's
    // own incident opening).
    let titles: Vec<String> = seen(&capture, "dingtalk")
        .iter()
        .map(|v| v["markdown"]["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert_eq!(titles[2], format!("事件已解决：{number} 数据库磁盘已满"));
    assert!(titles[1].starts_with("事件已创建：INC") && titles[1].contains("Disk almost full"), "{titles:?}");

    // Deleting a subscription stops it; the deletion is audited.
    let flaky_id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.api(Method::DELETE, &format!("/api/v1/subscriptions/{flaky_id}"), &admin, None).await.0,
        204
    );
    assert_eq!(
        app.api(Method::DELETE, &format!("/api/v1/subscriptions/{flaky_id}"), &admin, None).await.0,
        404
    );
}

#[tokio::test]
async fn the_admin_page_subscribes_and_lists_dead_letters_in_both_languages() {
    let app = TestApp::spawn().await;
    app.user("ada", "admin").await;
    let (browser, csrf) = app.signed_in("ada").await;
    let form = [
        ("_csrf", csrf.as_str()),
        ("name", "值班钉钉群"),
        ("channel", "dingtalk"),
        ("target", "https://oapi.dingtalk.com/robot/send?access_token=abc"),
        ("secret", "SECxyz"),
        ("locale", "zh-CN"),
        ("topics", "incident.opened"),
        ("topics", "sla.breached"),
        ("max_priority", "2"),
        ("labels", "service=billing"),
    ];
    let location = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().to_owned();
    let response = browser.post(app.url("/admin/subscriptions")).form(&form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert!(location(&response).contains("notice=saved"), "{}", location(&response));
    let (status, page) = app.page(&browser, "/admin/subscriptions?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(page.contains("值班钉钉群") && page.contains("钉钉") && page.contains("SLA 超时"), "{page}");
    assert!(page.contains("P1–P2 · service=billing"));
    assert!(!page.contains("access_token=abc"), "the robot's token is not shown");
    let bad = [
        ("_csrf", csrf.as_str()),
        ("name", "x"),
        ("channel", "slack"),
        ("target", "nowhere"),
        ("topics", "incident.opened"),
    ];
    let response = browser.post(app.url("/admin/subscriptions")).form(&bad).send().await.unwrap();
    assert!(location(&response).contains("error=invalid.target"), "{}", location(&response));
    let (_, page) = app.page(&browser, "/admin/subscriptions?status=dead").await;
    assert!(page.contains("id=\"no-deliveries\""));
    app.user("li.wei", "agent").await;
    let (agent, _) = app.signed_in("li.wei").await;
    assert_eq!(app.page(&agent, "/admin/subscriptions").await.0, 403);
}

#[tokio::test]
async fn an_email_subscription_mails_through_a_real_smtp_server() {
    let smtp = crate::sla::SmtpServer::start();
    let app = smtp.app().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let body = json!({ "name": "NOC mailbox", "channel": "email", "target": "noc@example.com",
                       "topics": ["incident.opened"], "locale": "zh-CN" });
    assert_eq!(app.api(Method::POST, "/api/v1/subscriptions", &admin, Some(body)).await.0, 201);
    let (status, _) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &agent,
            Some(json!({ "title": "打印机卡纸", "impact": 2, "urgency": 2 })),
        )
        .await;
    assert_eq!(status, 201);
    drain(&app).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mails = loop {
        let mails: Vec<String> = smtp.messages().iter().map(|m| crate::sla::decode_quoted(m)).collect();
        if !mails.is_empty() || std::time::Instant::now() > deadline {
            break mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        while app.app.run_due_jobs("test").await.unwrap() > 0 {}
    };
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("优先级：P3"), "{}", mails[0]);
    assert!(smtp.messages()[0].contains("To: noc@example.com"), "{}", smtp.messages()[0]);
    let (_, delivered) = app.api(Method::GET, "/api/v1/deliveries?status=delivered", &admin, None).await;
    assert_eq!(delivered["items"][0]["channel"], "email");
}
