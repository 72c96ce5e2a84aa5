//! SLA calendars, policies and incident clocks through the API.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn incidents_get_clocks_that_pause_and_stop() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let (_, policies) = app.api(Method::GET, "/api/v1/sla/policies", &agent, None).await;
    assert_eq!(policies["items"].as_array().unwrap().len(), 5, "P1–P5 defaults ship");

    let (_, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &requester,
            Some(json!({ "title": "Core router down", "impact": 1, "urgency": 1 })),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}/sla");
    let (status, sla) = app.api(Method::GET, &path, &requester, None).await;
    assert_eq!(status, 200, "{sla}");
    assert_eq!((sla["policy"].as_str(), sla["calendar"].as_str()), (Some("P1 default"), Some("24x7")));
    assert_eq!(sla["resolution"]["state"], "running");
    assert_eq!(sla["resolution"]["target_minutes"], 240);
    let due: jiff::Timestamp = sla["resolution"]["due"].as_str().unwrap().parse().unwrap();
    let created: jiff::Timestamp = inc["created_at"].as_str().unwrap().parse().unwrap();
    let drift = (due.as_second() - created.as_second() - 4 * 3600).abs();
    assert!(drift <= 2, "due four hours after opening on 24×7, off by {drift}s");
    assert_eq!(sla["response"]["state"], "running");

    // The agent's public reply is the first response; on hold awaiting the customer pauses.
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/comments"),
        &agent,
        Some(json!({ "body": "On it" })),
    )
    .await;
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/transition"),
        &agent,
        Some(json!({ "to": "on_hold", "hold_reason": "awaiting_customer" })),
    )
    .await;
    let (_, sla) = app.api(Method::GET, &path, &agent, None).await;
    assert_eq!(sla["response"]["state"], "stopped");
    assert_eq!(sla["response"]["breached"], false);
    assert_eq!(sla["resolution"]["state"], "paused");
    assert!(sla["resolution"]["due"].is_null(), "no due time while paused");
    assert_eq!(sla["resolution"]["paused"].as_array().unwrap().len(), 1);

    // Awaiting a change does not pause the default policies.
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/transition"),
        &agent,
        Some(json!({ "to": "in_progress" })),
    )
    .await;
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/transition"),
        &agent,
        Some(json!({ "to": "on_hold", "hold_reason": "awaiting_change" })),
    )
    .await;
    let (_, sla) = app.api(Method::GET, &path, &agent, None).await;
    assert_eq!(sla["resolution"]["state"], "running");
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/transition"),
        &agent,
        Some(json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "rebooted" })),
    )
    .await;
    let (_, sla) = app.api(Method::GET, &path, &agent, None).await;
    assert_eq!(
        (sla["resolution"]["state"].as_str(), sla["resolution"]["breached"].as_bool()),
        (Some("stopped"), Some(false))
    );

    let (status, _) =
        app.api(Method::GET, &format!("/api/v1/incidents/{}/sla", id + 100), &agent, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn calendars_and_policies_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let week = |d: &str| json!([d, d, d, d, d, "", ""]);
    let cases = [
        (json!({ "name": "Mars", "time_zone": "Mars/Olympus", "hours": week("09:00-17:00") }), "time_zone"),
        (json!({ "name": "Inverted", "time_zone": "Europe/London", "hours": week("17:00-09:00") }), "hours"),
        (
            json!({ "name": "Overlap", "time_zone": "Europe/London", "hours": week("09:00-12:00,11:00-13:00") }),
            "hours",
        ),
        (json!({ "name": "Never", "time_zone": "Europe/London", "hours": week("") }), "hours"),
        (json!({ "name": "Short", "time_zone": "Europe/London", "hours": ["09:00-17:00"] }), "hours"),
        (
            json!({ "name": "Bad ics", "time_zone": "Europe/London", "hours": week("09:00-17:00"), "ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-99-99\nEND:VEVENT\nEND:VCALENDAR" }),
            "ics",
        ),
        (
            json!({ "name": "Bad date", "time_zone": "Europe/London", "hours": week("09:00-17:00"), "holidays": ["25/12/2026"] }),
            "holidays",
        ),
    ];
    for (body, field) in cases {
        let (status, reply) =
            app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(body.clone())).await;
        assert_eq!((status, reply["error"]["field"].as_str()), (422, Some(field)), "{body}: {reply}");
    }
    let london = json!({ "name": "London office", "time_zone": "Europe/London", "hours": week("09:00-17:30"),
        "ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" });
    assert_eq!(app.api(Method::POST, "/api/v1/sla/calendars", &agent, Some(london.clone())).await.0, 403);
    let (status, created) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(london)).await;
    assert_eq!(status, 201, "{created}");
    let (_, calendars) = app.api(Method::GET, "/api/v1/sla/calendars", &agent, None).await;
    let stored =
        calendars["items"].as_array().unwrap().iter().find(|c| c["name"] == "London office").unwrap().clone();
    assert_eq!(stored["holidays"], json!(["2026-12-25", "2026-12-26"]));

    let calendar = created["id"].as_i64().unwrap();
    for (body, field) in [
        (json!({ "name": "No target", "calendar_id": calendar }), "resolution_minutes"),
        (json!({ "name": "Zero", "calendar_id": calendar, "resolution_minutes": 0 }), "resolution_minutes"),
        (json!({ "name": "Nowhere", "calendar_id": 999, "resolution_minutes": 60 }), "calendar_id"),
        (
            json!({ "name": "P9", "priority": 9, "calendar_id": calendar, "resolution_minutes": 60 }),
            "priority",
        ),
        (
            json!({ "name": "Bad pause", "calendar_id": calendar, "resolution_minutes": 60, "pause_reasons": ["lunch"] }),
            "pause_reasons",
        ),
    ] {
        let (status, reply) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(body.clone())).await;
        assert_eq!((status, reply["error"]["field"].as_str()), (422, Some(field)), "{body}: {reply}");
    }
    let policy = json!({ "name": "VIP P3", "rank": 5, "priority": 3, "calendar_id": calendar, "response_minutes": 15, "resolution_minutes": 120 });
    assert_eq!(app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(policy)).await.0, 201);
    let (_, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &agent,
            Some(json!({ "title": "Slow laptop", "impact": 2, "urgency": 2 })),
        )
        .await;
    let (_, sla) = app.api(Method::GET, &format!("/api/v1/incidents/{}/sla", inc["id"]), &agent, None).await;
    assert_eq!(
        (sla["policy"].as_str(), sla["calendar"].as_str()),
        (Some("VIP P3"), Some("London office")),
        "lower ranks are tried first"
    );
}

#[tokio::test]
async fn warnings_and_breaches_fire_once_even_with_two_nodes() {
    let app = TestApp::spawn().await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    let (lead, lead_t) = app.user_with_token("lee", "team_lead").await;
    let (_, other_t) = app.user_with_token("otto", "agent").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    app.app.directory().set_team_member(None, team.id, lead.id, true).await.unwrap();
    // Raised into the team's queue with nobody assigned yet, so the first response is pending.
    let body = json!({ "title": "Payroll export fails", "impact": 1, "urgency": 1, "team_id": team.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &ada_t, Some(body)).await;
    let id = inc["id"].as_i64().unwrap();

    // A second node: another App over the same database.
    let store = app.db.store().await;
    let other_node = steward_app::App::new(store, steward_app::AppConfig::default());
    let now = jiff::Timestamp::now();
    let in_3h = now.checked_add(jiff::SignedDuration::from_hours(3)).unwrap();
    let (a, b) = tokio::join!(app.app.sla().scan(in_3h), other_node.sla().scan(in_3h));
    // P1 on 24×7: 15 min response and 4 h resolution; at 3 h the response has breached (75 and
    // 100) and resolution is past 75 %.
    assert_eq!(a.unwrap() + b.unwrap(), 3, "each firing happened on exactly one node");
    assert_eq!(app.app.sla().scan(in_3h).await.unwrap(), 0, "a restart fires nothing again");
    let in_5h = now.checked_add(jiff::SignedDuration::from_hours(5)).unwrap();
    assert_eq!(other_node.sla().scan(in_5h).await.unwrap(), 1, "the resolution breach");

    let (_, mine) = app.api(Method::GET, "/api/v1/notifications", &ada_t, None).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        4,
        "with nobody assigned the team hears of every firing: {mine}"
    );
    let (_, leads) = app.api(Method::GET, "/api/v1/notifications", &lead_t, None).await;
    let breaches = leads["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "sla_breach").count();
    assert_eq!(breaches, 2, "both breaches reach the team lead");
    let (_, others) = app.api(Method::GET, "/api/v1/notifications", &other_t, None).await;
    assert!(others["items"].as_array().unwrap().is_empty());
    assert_eq!(sla_events(&app, id, &ada_t).await, 4, "each firing is an event");
    assert_eq!(app.api(Method::POST, "/api/v1/notifications/read", &ada_t, None).await.0, 204);
    let (_, mine) = app.api(Method::GET, "/api/v1/notifications", &ada_t, None).await;
    assert!(mine["items"].as_array().unwrap().iter().all(|n| n["read"] == true));

    // Once assigned, a new incident's warnings go to the assignee and breaches also to the lead.
    let body = json!({ "title": "VPN slow", "impact": 1, "urgency": 1, "assignee_id": ada.id });
    app.api(Method::POST, "/api/v1/incidents", &ada_t, Some(body)).await;
    let in_5h = now.checked_add(jiff::SignedDuration::from_hours(5)).unwrap();
    assert_eq!(app.app.sla().scan(in_5h).await.unwrap(), 2, "its resolution warning and breach");
    let (_, leads) = app.api(Method::GET, "/api/v1/notifications", &lead_t, None).await;
    let lead_breaches =
        leads["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "sla_breach").count();
    assert_eq!(lead_breaches, 3, "the lead gets the breach, not the warning");
}

/// A real SMTP server (Python's aiosmtpd) on a loopback port, delivering into a maildir.
pub(crate) struct SmtpServer {
    child: std::process::Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// A Steward that mails through this server, on the router at 127.0.0.1:0.
    pub(crate) async fn app(&self) -> TestApp {
        let mail = steward_app::MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{}", self.port),
            from: "Steward <steward@example.com>".into(),
        };
        let config = steward_app::AppConfig { mail: Some(mail), ..steward_app::AppConfig::default() };
        TestApp::spawn_with(config, steward_http::HttpConfig::default()).await
    }

    pub(crate) fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 not found");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start: run ./scripts/test, or `pip install aiosmtpd`"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpServer { child, port, dir }
    }

    /// Every message delivered so far, as raw text.
    pub(crate) fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir/new");
        let mut out: Vec<String> = std::fs::read_dir(new)
            .map(|d| d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn breaches_are_mailed_in_the_recipients_language() {
    let smtp = SmtpServer::start();
    let app = smtp.app().await;
    let new_user = |name: &str, role: &str| steward_app::NewUserInput {
        username: name.into(),
        role: role.into(),
        email: Some(format!("{name}@example.com")),
        password: steward_test_support::PASSWORD.into(),
        ..Default::default()
    };
    let ada = app.app.directory().create_user(None, new_user("ada", "agent")).await.unwrap();
    let wang = app.app.directory().create_user(None, new_user("wang", "team_lead")).await.unwrap();
    let zh = steward_app::UserUpdate { locale: Some(Some("zh-CN".into())), ..Default::default() };
    let root = app.user("root", "admin").await;
    let root_actor = steward_app::Actor { user: root, credential: steward_app::Credential::Direct };
    app.app.directory().update_user(&root_actor, wang.id, None, zh).await.unwrap();
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    app.app.directory().set_team_member(None, team.id, wang.id, true).await.unwrap();
    let token = app.token("ada", "read write").await;
    let body = json!({ "title": "Payroll export fails", "impact": 1, "urgency": 1, "assignee_id": ada.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &token, Some(body)).await;

    let in_5h = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(5)).unwrap();
    assert_eq!(app.app.sla().scan(in_5h).await.unwrap(), 2, "resolution warning and breach");
    // The mails leave through the job queue: warning to ada, breach to ada and wang.
    assert_eq!(app.app.run_due_jobs("mailer").await.unwrap(), 3, "three emails");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let to = |who: &str| {
        messages.iter().filter(|m| m.contains(&format!("To: {who}@example.com"))).cloned().collect::<Vec<_>>()
    };
    assert_eq!(to("ada").len(), 2);
    let number = inc["number"].as_str().unwrap();
    assert!(to("ada").iter().any(|m| m.contains(&format!("[SLA breach] {number}"))), "{:?}", to("ada"));
    let chinese = &to("wang")[0];
    assert!(chinese.contains("Subject: =?utf-8?") || chinese.contains("SLA"), "{chinese}");
    assert!(decode_quoted(chinese).contains("已超过解决时限"), "{chinese}");
    assert_eq!(app.app.store().job_counts().await.unwrap(), (0, 0), "every mail went out");
}

/// Undoes quoted-printable and base64 bodies well enough to look for a phrase.
pub(crate) fn decode_quoted(message: &str) -> String {
    use base64::Engine;
    let body = message.split("\n\n").skip(1).collect::<Vec<_>>().join("\n");
    let compact: String = body.lines().map(str::trim).collect();
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut out = Vec::new();
    let raw = body.replace("=\r\n", "").replace("=\n", "");
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'='
            && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The SLA firings (warnings, breaches, reassignments) in an incident's activity stream.
async fn sla_events(app: &TestApp, id: i64, token: &str) -> usize {
    let (_, events) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/activity"), token, None).await;
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["event"]["action"].as_str().is_some_and(|a| a.starts_with("sla_")))
        .count()
}

/// The scan reads a page of tickets at a time, with the page's histories and firings in one
/// query each: every ticket is measured by its own history, on later pages too.
#[tokio::test]
async fn a_scan_over_many_pages_measures_each_ticket_by_its_own_history() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let create = async |p1: bool| {
        let (impact, urgency) = if p1 { (1, 1) } else { (3, 3) };
        let body = json!({ "title": "Printer jam", "impact": impact, "urgency": urgency });
        let (status, inc) = app.api(Method::POST, "/api/v1/incidents", &requester, Some(body)).await;
        assert_eq!(status, 201, "{inc}");
        inc["id"].as_i64().unwrap()
    };
    // Answered and on hold awaiting the customer: neither clock can fire.
    let answer_and_hold = async |id: i64| {
        let path = format!("/api/v1/incidents/{id}/comments");
        let (status, _) = app.api(Method::POST, &path, &agent, Some(json!({ "body": "On it" }))).await;
        assert_eq!(status, 201);
        let path = format!("/api/v1/incidents/{id}/transition");
        let hold = json!({ "to": "on_hold", "hold_reason": "awaiting_customer" });
        let (status, body) = app.api(Method::POST, &path, &agent, Some(hold)).await;
        assert_eq!(status, 200, "{body}");
    };
    // P5 tickets (8 office hours to respond) do not fire within 5 hours; three P1s among them
    // (15 minutes to respond, 4 hours to resolve): one on the first page of 500 and two on the
    // second, held, untouched and held.
    let mut p1 = Vec::new();
    for i in 0..505 {
        let id = create(matches!(i, 1 | 501 | 502)).await;
        if matches!(i, 1 | 501 | 502) {
            p1.push(id);
        }
    }
    answer_and_hold(p1[0]).await;
    answer_and_hold(p1[2]).await;

    let in_5h = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(5)).unwrap();
    assert_eq!(
        app.app.sla().scan(in_5h).await.unwrap(),
        4,
        "only the untouched P1 fires: response and resolution, warning and breach each"
    );
    assert_eq!(sla_events(&app, p1[1], &agent).await, 4);
    assert_eq!(app.app.sla().scan(in_5h).await.unwrap(), 0);
}
