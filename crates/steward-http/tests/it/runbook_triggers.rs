//! Automation's safety and triggers (issue 21): just-in-time authority on critical CIs (a
//! grant that expires, an approved change's window), cron schedules fired once across nodes,
//! runs claimed by one node only, an alert that runs a remediation and writes its result on
//! the incident, and an http step against a capture server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::{App, AppConfig, Clock};
use steward_test_support::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::runbooks::{get, import, output, post, start};

const ECHO: &str = "name: Check a host\nparams:\n  - { name: host, type: ci, required: true }\nsteps:\n  - { id: look, kind: command, argv: [echo, 'checking {{ ci.name }}'] }\n";

async fn ci(app: &TestApp, token: &str, name: &str, criticality: i64) -> i64 {
    let body = json!({"class": "server", "name": name, "criticality": criticality, "attributes": {"hostname": name, "os": "debian"}});
    let (s, c) = post(app, token, "/api/v1/cis", body).await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_i64().unwrap()
}

#[tokio::test]
async fn critical_cis_need_a_grant_that_expires_or_an_approved_change_window() {
    let clock = Clock::manual(jiff::Timestamp::now());
    let app =
        TestApp::spawn_with(AppConfig { clock: clock.clone(), ..AppConfig::default() }, Default::default())
            .await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let db = ci(&app, &agent, "db-core", 1).await;
    ci(&app, &agent, "web-07", 4).await;
    let id = import(&app, &manager, ECHO).await;

    // An ordinary CI needs nothing; a critical one is refused without authority.
    let (s, _) = start(&app, &agent, id, json!({"params": {"host": "web-07"}})).await;
    assert_eq!(s, 201);
    let (s, e) = start(&app, &agent, id, json!({"params": {"host": "db-core"}})).await;
    assert_eq!(s, 403, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("db-core"), "{e}");

    // A grant: asked for with a reason, not approvable by its holder, approved by a change
    // manager; it covers runs until it expires.
    let (s, g) = post(
        &app,
        &agent,
        "/api/v1/jit-grants",
        json!({"ci_ids": [db], "reason": "disk cleanup", "minutes": 30}),
    )
    .await;
    assert_eq!((s, g["state"].as_str()), (201, Some("requested")), "{g}");
    let path = format!("/api/v1/jit-grants/{}/decision", g["id"]);
    let (s, _) = post(&app, &agent, &path, json!({"approve": true})).await;
    assert_eq!(s, 403);
    let (s, g) = post(&app, &manager, &path, json!({"approve": true})).await;
    assert_eq!((s, g["active"].as_bool()), (200, Some(true)), "{g}");
    let (s, run) = start(&app, &agent, id, json!({"params": {"host": "db-core"}})).await;
    assert_eq!(s, 201, "{run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{}", run["id"])).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["authority"], format!("grant {}", g["id"]));
    assert!(output(&app, &agent, run["id"].as_i64().unwrap()).await.contains("checking db-core"));

    // Used after it expired: refused again — and a run asked for before, due after, too.
    clock.advance(jiff::SignedDuration::from_mins(31));
    let (s, _) = start(&app, &agent, id, json!({"params": {"host": "db-core"}})).await;
    assert_eq!(s, 403, "an expired grant gives nothing");
    let grants = get(&app, &manager, "/api/v1/jit-grants").await;
    assert_eq!(grants["items"][0]["active"], false);
}

#[tokio::test]
async fn a_run_attached_to_a_change_runs_only_inside_its_approved_window() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let db = ci(&app, &agent, "db-pay", 2).await;
    let id = import(&app, &manager, ECHO).await;
    let change = |offset_min: i64, len_min: i64| {
        let app = &app;
        let agent = agent.clone();
        async move {
            let (s, chg) = post(
                app,
                &agent,
                "/api/v1/changes",
                json!({"title": "Patch db-pay", "change_type": "standard", "ci_ids": [db]}),
            )
            .await;
            assert_eq!(s, 201, "{chg}");
            let cid = chg["id"].as_i64().unwrap();
            post(app, &agent, &format!("/api/v1/changes/{cid}/risk"), json!({})).await;
            post(app, &agent, &format!("/api/v1/changes/{cid}/move"), json!({"to": "schedule"})).await;
            let now = jiff::Timestamp::now();
            let window = json!({"planned_start": (now + jiff::SignedDuration::from_mins(offset_min)).to_string(),
                "planned_end": (now + jiff::SignedDuration::from_mins(offset_min + len_min)).to_string()});
            let (s, c) = post(app, &agent, &format!("/api/v1/changes/{cid}/schedule"), window).await;
            assert_eq!((s, c["state"].as_str()), (200, Some("scheduled")), "{c}");
            (cid, chg["number"].as_str().unwrap().to_owned())
        }
    };
    // Inside an approved window: it runs, on the change's authority.
    let (open, number) = change(-5, 30).await;
    let (s, run) = start(&app, &agent, id, json!({"params": {"host": "db-pay"}, "change_id": open})).await;
    assert_eq!((s, run["trigger"].as_str()), (201, Some("change")), "{run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{}", run["id"])).await;
    assert_eq!(
        (done["state"].as_str(), done["authority"].as_str()),
        (Some("succeeded"), Some(number.as_str())),
        "{done}"
    );
    // Before its window: it waits for it.
    let (later, _) = change(60, 60).await;
    let (s, run) = start(&app, &agent, id, json!({"params": {"host": "db-pay"}, "change_id": later})).await;
    assert_eq!((s, run["state"].as_str()), (201, Some("queued")), "{run}");
    assert!(run["due_at"].as_str().unwrap() > run["requested_at"].as_str().unwrap());
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 0, "not before the window opens");
    // A change that is not approved, or whose window has passed, refuses the run.
    let (s, chg) = post(
        &app,
        &agent,
        "/api/v1/changes",
        json!({"title": "Unapproved", "change_type": "normal", "ci_ids": [db]}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, e) = start(&app, &agent, id, json!({"params": {"host": "db-pay"}, "change_id": chg["id"]})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("change")), "{e}");
    let (s, _) = start(&app, &agent, id, json!({"params": {"host": "db-pay"}})).await;
    assert_eq!(s, 201, "inside the open window of an approved change on the CI, a run needs no grant");
}

#[tokio::test]
async fn schedules_fire_once_per_occurrence_across_nodes_and_each_run_runs_on_one_node() {
    let start_at: jiff::Timestamp = "2031-03-03T05:58:30Z".parse().unwrap();
    let clock = Clock::manual(start_at);
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config.clone(), Default::default()).await;
    let other = App::new(app.db.store().await, AppConfig { clock: clock.clone(), ..AppConfig::default() });
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let yaml = format!(
        "name: Tick\nconcurrency: 3\nsteps:\n  - {{ id: note, kind: command, script: 'echo \"$STEWARD_RUN_ID\" >> {}' }}\n",
        log.path().display()
    );
    let id = import(&app, &manager, &yaml).await;
    let (s, sched) = post(
        &app,
        &manager,
        &format!("/api/v1/runbooks/{id}/schedules"),
        json!({"cron": "0 6 * * *", "zone": "UTC"}),
    )
    .await;
    assert_eq!((s, sched["next_at"].as_str()), (201, Some("2031-03-03T06:00:00Z")), "{sched}");
    let (s, e) = post(
        &app,
        &manager,
        &format!("/api/v1/runbooks/{id}/schedules"),
        json!({"cron": "61 * * * *", "zone": "UTC"}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("cron")), "{e}");
    let (s, e) = post(
        &app,
        &manager,
        &format!("/api/v1/runbooks/{id}/schedules"),
        json!({"cron": "@daily", "zone": "Mars/Olympus"}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("zone")), "{e}");

    assert_eq!(app.app.runbooks().fire_schedules().await.unwrap(), 0, "not due yet");
    clock.set("2031-03-03T06:00:00.200Z".parse().unwrap());
    let (a, b) = tokio::join!(app.app.runbooks().fire_schedules(), other.runbooks().fire_schedules());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one run for the occurrence, whichever node saw it");
    // Eleven more asked for by hand: two nodes share the twelve, each run exactly once.
    for _ in 0..11 {
        start(&app, &manager, id, json!({})).await;
    }
    let (a, b) = tokio::join!(app.app.runbooks().run_due("node-a"), other.runbooks().run_due("node-b"));
    assert_eq!(a.unwrap() + b.unwrap(), 12);
    let lines = std::fs::read_to_string(log.path()).unwrap();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for l in lines.lines() {
        *seen.entry(l).or_default() += 1;
    }
    assert_eq!(seen.len(), 12, "{lines}");
    assert!(seen.values().all(|n| *n == 1), "no run ran twice: {lines}");
    let runs = get(&app, &manager, &format!("/api/v1/runbook-runs?runbook_id={id}&limit=50")).await;
    let items = runs["items"].as_array().unwrap();
    assert!(items.iter().all(|r| r["state"] == "succeeded"), "{runs}");
    let scheduled: Vec<&Value> = items.iter().filter(|r| r["trigger"] == "schedule").collect();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0]["due_at"], "2031-03-03T06:00:00Z");
    let s = get(&app, &manager, &format!("/api/v1/runbooks/{id}/schedules")).await;
    assert_eq!(s["items"][0]["next_at"], "2031-03-04T06:00:00Z");
    let report = get(&app, &manager, "/api/v1/automation/report?days=7").await;
    assert_eq!(
        (report["runs"].as_i64(), report["success_rate"].as_f64()),
        (Some(12), Some(100.0)),
        "{report}"
    );
}

/// A one-request-at-a-time HTTP server that answers 201 and keeps what it was sent.
async fn capture_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/restart", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = vec![0u8; 65536];
            let mut got = 0;
            loop {
                let n = sock.read(&mut buf[got..]).await.unwrap_or(0);
                got += n;
                let text = String::from_utf8_lossy(&buf[..got]).to_string();
                if n == 0
                    || text.contains("\r\n\r\n")
                        && text.split("\r\n\r\n").nth(1).is_some_and(|b| !b.is_empty())
                {
                    keep.lock().unwrap().push(text);
                    break;
                }
            }
            let _ = sock
                .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 7\r\nconnection: close\r\n\r\ncreated")
                .await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn an_alert_runs_its_remediation_which_calls_out_and_reports_on_the_incident() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let bot = app.token("li.wei", "alerts").await;
    ci(&app, &agent, "web-01", 3).await;
    let (url, seen) = capture_server().await;
    let (s, _) = app
        .api(Method::PUT, "/api/v1/secrets/restart_token", &manager, Some(json!({"value": "rst-9f8e7d6c"})))
        .await;
    assert_eq!(s, 204);
    let yaml = format!(
        "name: Restart a service\nmanual_minutes: 20\nparams:\n  - {{ name: service, type: string, required: true }}\n  - {{ name: host, type: ci }}\nsteps:\n  - id: call\n    kind: http\n    method: POST\n    url: \"{url}\"\n    headers: {{ Authorization: 'Bearer {{{{ secrets.restart_token }}}}' }}\n    body: '{{\"service\": \"{{{{ params.service }}}}\", \"host\": \"{{{{ ci.name }}}}\"}}'\n    expect_status: [201]\n"
    );
    let id = import(&app, &manager, &yaml).await;
    let (s, t) = post(
        &app,
        &manager,
        &format!("/api/v1/runbooks/{id}/alert-triggers"),
        json!({"matchers": "alertname=ServiceDown", "params": {"service": "label:service"}}),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let (s, e) = post(
        &app,
        &manager,
        &format!("/api/v1/runbooks/{id}/alert-triggers"),
        json!({"matchers": "no pairs here"}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("matchers")), "{e}");

    let now = jiff::Timestamp::now().to_string();
    let firing = json!({"version": "4", "groupKey": "web", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "svc1", "labels": {"alertname": "ServiceDown", "service": "nginx", "instance": "web-01:9100", "severity": "critical"},
        "annotations": {"summary": "nginx is down"}, "startsAt": now}]});
    let (s, out) = post(&app, &bot, "/hooks/alertmanager", firing.clone()).await;
    assert_eq!(s, 200, "{out}");
    let incident = out["incidents_opened"][0].as_i64().expect("an incident");
    let runs = get(&app, &agent, "/api/v1/runbook-runs").await;
    let run = &runs["items"][0];
    assert_eq!(
        (run["trigger"].as_str(), run["ticket_id"].as_i64()),
        (Some("alert"), Some(incident)),
        "{runs}"
    );
    assert_eq!(run["params"]["service"], "nginx");
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 1);
    let run_id = run["id"].as_i64().unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["steps"][0]["outputs"]["status"], 201);
    let request = seen.lock().unwrap().join("\n");
    assert!(request.starts_with("POST /hooks/restart"), "{request}");
    assert!(
        request.contains("Bearer rst-9f8e7d6c")
            && request.contains("{\"service\": \"nginx\", \"host\": \"web-01\"}"),
        "{request}"
    );
    assert!(!output(&app, &agent, run_id).await.contains("rst-9f8e7d6c"));
    // The incident shows the result; the same alert sent again starts nothing new.
    let comments = get(&app, &agent, &format!("/api/v1/incidents/{incident}/comments")).await;
    assert!(
        comments.to_string().contains("succeeded") && comments.to_string().contains("Restart a service"),
        "{comments}"
    );
    post(&app, &bot, "/hooks/alertmanager", firing).await;
    assert_eq!(get(&app, &agent, "/api/v1/runbook-runs").await["items"].as_array().unwrap().len(), 1);
    // When the alert clears, the incident resolves.
    let resolved = json!({"version": "4", "groupKey": "web", "status": "resolved", "alerts": [{
        "status": "resolved", "fingerprint": "svc1", "labels": {"alertname": "ServiceDown", "service": "nginx", "instance": "web-01:9100", "severity": "critical"},
        "annotations": {"summary": "nginx is down"}, "startsAt": now, "endsAt": jiff::Timestamp::now().to_string()}]});
    let (_, out) = post(&app, &bot, "/hooks/alertmanager", resolved).await;
    assert_eq!(out["incidents_resolved"][0].as_i64(), Some(incident), "{out}");
}

#[tokio::test]
async fn a_schedule_skips_its_calendars_holidays() {
    let clock = Clock::manual("2031-12-24T12:00:00Z".parse().unwrap());
    let app =
        TestApp::spawn_with(AppConfig { clock: clock.clone(), ..AppConfig::default() }, Default::default())
            .await;
    let (_, root) = app.user_with_token("root", "admin").await;
    let days = json!(["09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "", ""]);
    let body = json!({"name": "Office", "time_zone": "UTC", "hours": days, "holidays": ["2031-12-25"]});
    let (s, cal) = post(&app, &root, "/api/v1/sla/calendars", body).await;
    assert_eq!(s, 201, "{cal}");
    let id =
        import(&app, &root, "name: Daily\nsteps:\n  - { id: go, kind: command, argv: [\"true\"] }\n").await;
    let path = format!("/api/v1/runbooks/{id}/schedules");
    let (s, sched) =
        post(&app, &root, &path, json!({"cron": "0 6 * * *", "zone": "UTC", "calendar_id": cal["id"]})).await;
    assert_eq!((s, sched["next_at"].as_str()), (201, Some("2031-12-25T06:00:00Z")), "{sched}");
    // Christmas is the calendar's holiday: the schedule moves on and no run is asked for.
    clock.set("2031-12-25T06:00:01Z".parse().unwrap());
    assert_eq!(app.app.runbooks().fire_schedules().await.unwrap(), 0);
    assert_eq!(get(&app, &root, &path).await["items"][0]["next_at"], "2031-12-26T06:00:00Z");
    clock.set("2031-12-26T06:00:01Z".parse().unwrap());
    assert_eq!(app.app.runbooks().fire_schedules().await.unwrap(), 1, "the next working day runs");
}

#[tokio::test]
async fn ansible_targets_come_from_class_label_service_and_impact_queries() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let mut ids = HashMap::new();
    for (class, name, attrs) in [
        ("server", "pay-01", json!({"hostname": "pay-01", "os": "debian"})),
        ("server", "pay-02", json!({"hostname": "pay-02", "os": "rhel"})),
        ("server", "mail-01", json!({"hostname": "mail-01", "os": "debian"})),
        ("application", "Payroll app", json!({})),
        ("business_service", "Payroll", json!({})),
    ] {
        let (s, c) =
            post(&app, &manager, "/api/v1/cis", json!({"class": class, "name": name, "attributes": attrs}))
                .await;
        assert_eq!(s, 201, "{c}");
        ids.insert(name, c["id"].clone());
    }
    for (from, kind, to) in [
        ("Payroll", "depends_on", "Payroll app"),
        ("Payroll app", "runs_on", "pay-01"),
        ("Payroll app", "runs_on", "pay-02"),
    ] {
        let (s, r) = post(
            &app,
            &manager,
            "/api/v1/ci-relations",
            json!({"from": ids[from], "kind": kind, "to": ids[to]}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
    let targets = |n: u32, query: &str| {
        let yaml = format!(
            "name: Query {n}\nsteps:\n  - id: play\n    kind: ansible\n    targets: {query}\n    playbook: '- hosts: all'\n"
        );
        let (app, manager) = (&app, manager.clone());
        async move {
            let id = import(app, &manager, &yaml).await;
            let (s, run) = start(app, &manager, id, json!({})).await;
            assert_eq!(s, 201, "{run}");
            let mut names: Vec<String> = run["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(targets(1, "{ class: server }").await, ["mail-01", "pay-01", "pay-02"]);
    assert_eq!(targets(2, "{ class: server, label: os=debian }").await, ["mail-01", "pay-01"]);
    assert_eq!(
        targets(3, "{ service: Payroll, class: server }").await,
        ["pay-01", "pay-02"],
        "the service's hosts"
    );
    assert_eq!(
        targets(4, "{ impact_of: pay-02 }").await,
        ["Payroll", "Payroll app"],
        "what depends on pay-02"
    );
}
