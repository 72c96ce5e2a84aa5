//! Alert rules, CI criticality, maintenance windows, the re-fire window and raw payloads
//! (issue 18).

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

fn alert(fp: &str, instance: &str, severity: &str, status: &str, extra: Value) -> Value {
    let mut labels = json!({ "alertname": "DiskFull", "instance": instance, "severity": severity });
    if let Some(m) = extra.as_object() {
        for (k, v) in m {
            labels[k] = v.clone();
        }
    }
    json!({ "status": status, "fingerprint": fp, "labels": labels, "annotations": { "summary": "Disk almost full" },
            "startsAt": "2026-01-01T00:00:00Z", "endsAt": if status == "resolved" { "2026-01-01T01:00:00Z" } else { "0001-01-01T00:00:00Z" } })
}

fn webhook(group: &str, alerts: Vec<Value>) -> Value {
    json!({ "version": "4", "groupKey": group, "status": "firing", "alerts": alerts })
}

struct Desk {
    app: TestApp,
    bot: String,
    agent: String,
    admin: String,
    clock: Clock,
}

async fn desk() -> Desk {
    let clock = Clock::manual(jiff::Timestamp::now());
    let app =
        TestApp::spawn_with(AppConfig { clock: clock.clone(), ..AppConfig::default() }, Default::default())
            .await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    Desk { app, bot, agent, admin, clock }
}

impl Desk {
    /// New tokens after the clock moved past the old ones' day.
    async fn renew(&mut self) {
        self.bot = self.app.token("prometheus", "alerts").await;
        self.agent = self.app.token("prometheus", "read write").await;
    }

    async fn send(&self, group: &str, alerts: Vec<Value>) -> Value {
        let (status, out) =
            self.app.api(Method::POST, "/hooks/alertmanager", &self.bot, Some(webhook(group, alerts))).await;
        assert_eq!(status, 200, "{out}");
        out
    }

    async fn incident(&self, id: &Value) -> Value {
        self.app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &self.agent, None).await.1
    }

    async fn rule(&self, body: Value) -> (u16, Value) {
        self.app.api(Method::POST, "/api/v1/alert-rules", &self.admin, Some(body)).await
    }
}

#[tokio::test]
async fn rules_decide_what_opens_how_urgent_and_how_it_resolves_and_criticality_raises_impact() {
    let d = desk().await;
    // Only admins add rules; bad ones are refused naming the field.
    let batch = json!({ "name": "Batch jobs wait", "matchers": ["team=batch"], "opens": false });
    assert_eq!(d.app.api(Method::POST, "/api/v1/alert-rules", &d.agent, Some(batch.clone())).await.0, 403);
    assert_eq!(d.rule(batch).await.0, 201);
    let (status, out) = d.rule(json!({ "name": "x", "matchers": ["no equals sign"], "opens": true })).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("matchers")), "{out}");
    let (status, out) =
        d.rule(json!({ "name": "x", "matchers": ["a=b"], "opens": true, "resolve": "later" })).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("resolve")), "{out}");
    let storage = json!({ "name": "Storage: a person confirms", "matchers": ["team=storage", "severity!=info"], "opens": true,
                          "impact": 3, "urgency": 3, "resolve": "confirm" });
    assert_eq!(d.rule(storage).await.0, 201);
    assert_eq!(d.rule(json!({ "name": "Batch jobs wait", "matchers": ["a=b"], "opens": true })).await.0, 409);
    let (_, rules) = d.app.api(Method::GET, "/api/v1/alert-rules", &d.agent, None).await;
    let names: Vec<&str> =
        rules["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Batch jobs wait", "Storage: a person confirms"]);

    // A muted alert is recorded and opens nothing.
    let out =
        d.send("batch", vec![alert("b1", "etl01", "critical", "firing", json!({ "team": "batch" }))]).await;
    assert_eq!(
        (out["new"].as_i64(), out["incidents_opened"].as_array().map(Vec::len)),
        (Some(1), Some(0)),
        "{out}"
    );

    // The storage rule: P3-ish levels, and clearing asks a person instead of resolving.
    let out = d
        .send("storage", vec![alert("s1", "nas01", "critical", "firing", json!({ "team": "storage" }))])
        .await;
    let storage_incident = out["incidents_opened"][0].clone();
    let inc = d.incident(&storage_incident).await;
    assert_eq!((inc["impact"].as_i64(), inc["urgency"].as_i64()), (Some(3), Some(3)), "{inc}");
    let out = d
        .send("storage", vec![alert("s1", "nas01", "critical", "resolved", json!({ "team": "storage" }))])
        .await;
    assert_eq!(out["incidents_resolved"], json!([]));
    let inc = d.incident(&storage_incident).await;
    assert_ne!(inc["state"], "resolved");
    let (_, comments) = d
        .app
        .api(Method::GET, &format!("/api/v1/incidents/{storage_incident}/comments"), &d.agent, None)
        .await;
    let notes = comments.to_string();
    assert!(notes.contains("asks a person to confirm"), "{notes}");
    // Sent again, the clearing is not noted twice.
    d.send("storage", vec![alert("s1", "nas01", "critical", "resolved", json!({ "team": "storage" }))]).await;
    let (_, again) = d
        .app
        .api(Method::GET, &format!("/api/v1/incidents/{storage_incident}/comments"), &d.agent, None)
        .await;
    let notes = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["body"].as_str().unwrap_or("").contains("asks a person to confirm"))
            .count()
    };
    assert_eq!((notes(&comments), notes(&again)), (1, 1), "{again}");

    // A warning on a criticality-1 CI: the impact is high.
    let (status, ci) = d
        .app
        .api(Method::POST, "/api/v1/cis", &d.agent, Some(json!({ "class": "server", "name": "core-db", "criticality": 1, "attributes": { "hostname": "core-db" } })))
        .await;
    assert_eq!(status, 201, "{ci}");
    let out = d.send("core", vec![alert("c1", "core-db:9100", "warning", "firing", json!({}))]).await;
    let inc = d.incident(&out["incidents_opened"][0]).await;
    assert_eq!((inc["impact"].as_i64(), inc["urgency"].as_i64()), (Some(1), Some(2)), "{inc}");

    // Deleting a rule: batch alerts open incidents again.
    let batch_id = rules["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        d.app.api(Method::DELETE, &format!("/api/v1/alert-rules/{batch_id}"), &d.admin, None).await.0,
        204
    );
    let out =
        d.send("batch2", vec![alert("b2", "etl02", "critical", "firing", json!({ "team": "batch" }))]).await;
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_alert_on_a_ci_in_maintenance_is_expected_and_opens_nothing() {
    let d = desk().await;
    let (_, ci) = d
        .app
        .api(
            Method::POST,
            "/api/v1/cis",
            &d.agent,
            Some(json!({ "class": "server", "name": "db01", "attributes": { "hostname": "db01" } })),
        )
        .await;
    let ci_id = ci["id"].as_i64().unwrap();
    let ends = d.clock.now().checked_add(jiff::SignedDuration::from_hours(2)).unwrap().to_string();
    let window =
        json!({ "ci_id": ci_id, "ends_at": ends, "reason": "Firmware upgrade", "change_ref": "CHG-42" });
    let (status, created) =
        d.app.api(Method::POST, "/api/v1/maintenance-windows", &d.agent, Some(window)).await;
    assert_eq!(status, 201, "{created}");
    let (status, out) = d
        .app
        .api(
            Method::POST,
            "/api/v1/maintenance-windows",
            &d.agent,
            Some(json!({ "ci_id": 999999, "ends_at": ends, "reason": "x" })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("ci_id")));
    // A NUL or an escape in the reason is refused by name (PostgreSQL would refuse the NUL).
    for (field, body) in [
        ("reason", json!({ "ci_id": ci_id, "ends_at": ends, "reason": "a\u{0}b" })),
        ("change_ref", json!({ "ci_id": ci_id, "ends_at": ends, "reason": "x", "change_ref": "CHG\u{1b}1" })),
    ] {
        let (status, out) =
            d.app.api(Method::POST, "/api/v1/maintenance-windows", &d.agent, Some(body)).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{out}");
    }

    let out = d.send("db", vec![alert("m1", "db01:9100", "critical", "firing", json!({}))]).await;
    assert_eq!(out["incidents_opened"], json!([]), "expected: {out}");
    let (_, alerts) = d.app.api(Method::GET, "/api/v1/alerts", &d.agent, None).await;
    assert_eq!(alerts["items"][0]["maintenance_id"], created["id"]);
    let (_, detail) =
        d.app.api(Method::GET, &format!("/api/v1/alerts/{}", alerts["items"][0]["id"]), &d.agent, None).await;
    assert!(detail["history"].as_array().unwrap().iter().any(|e| e["action"] == "expect"));

    // The window ends: the still-firing alert opens its incident on the next re-send.
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        d.app.api(Method::DELETE, &format!("/api/v1/maintenance-windows/{id}"), &d.agent, None).await.0,
        204
    );
    d.clock.advance(jiff::SignedDuration::from_secs(1));
    let out = d.send("db", vec![alert("m1", "db01:9100", "critical", "firing", json!({}))]).await;
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1), "{out}");
}

#[tokio::test]
async fn a_refire_within_the_window_reopens_and_a_later_one_opens_a_new_incident() {
    let mut d = desk().await;
    let fire = |status: &str| vec![alert("r1", "web01:9100", "critical", status, json!({}))];
    let first = d.send("web", fire("firing")).await["incidents_opened"][0].clone();
    assert_eq!(d.send("web", fire("resolved")).await["incidents_resolved"], json!([first.clone()]));
    // Within a day: the same incident, reopened.
    d.clock.advance(jiff::SignedDuration::from_hours(2));
    let out = d.send("web", fire("firing")).await;
    assert_eq!(out["incidents_opened"], json!([]));
    assert_eq!(d.incident(&first).await["state"], "in_progress");
    // Resolved again, and two days later it fires: a new incident.
    d.send("web", fire("resolved")).await;
    d.clock.advance(jiff::SignedDuration::from_hours(48));
    d.renew().await;
    let out = d.send("web", fire("firing")).await;
    let second = out["incidents_opened"][0].clone();
    assert!(second.is_i64() && second != first, "{out}");
    assert_eq!(d.incident(&first).await["state"], "resolved");
    let (_, alerts) = d.app.api(Method::GET, "/api/v1/alerts", &d.agent, None).await;
    assert_eq!(alerts["items"][0]["ticket_id"], second);
}

#[tokio::test]
async fn raw_payloads_are_kept_for_the_configured_days_then_purged() {
    let d = desk().await;
    d.send("p", vec![alert("p1", "web01:9100", "warning", "firing", json!({}))]).await;
    let pool = d.app.db.raw_pool().await;
    let count = || {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM alert_payloads WHERE body LIKE '%\"fingerprint\":\"p1\"%'",
        )
        .fetch_one(&pool)
    };
    assert_eq!(count().await.unwrap(), 1, "kept as sent");
    assert_eq!(d.app.app.alerts().purge_payloads().await.unwrap(), 0, "younger than a week");
    d.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    assert_eq!(d.app.app.alerts().purge_payloads().await.unwrap(), 1);
    assert_eq!(count().await.unwrap(), 0);
}

#[tokio::test]
async fn the_rules_page_and_the_maintenance_form_work_in_both_languages() {
    let d = desk().await;
    d.app
        .api(
            Method::POST,
            "/api/v1/cis",
            &d.agent,
            Some(json!({ "class": "server", "name": "db02", "attributes": { "hostname": "db02" } })),
        )
        .await;
    let (admin, csrf) = d.app.signed_in("ada").await;
    let location = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().to_owned();
    let form = [
        ("_csrf", csrf.as_str()),
        ("name", "静默批处理"),
        ("matchers", "team=batch\nseverity!=critical"),
        ("opens", "no"),
        ("resolve", "auto"),
    ];
    let r = admin.post(d.app.url("/alerts/rules")).form(&form).send().await.unwrap();
    assert!(location(&r).contains("notice=saved"), "{}", location(&r));
    let bad = [
        ("_csrf", csrf.as_str()),
        ("name", "x"),
        ("matchers", "oops"),
        ("opens", "yes"),
        ("resolve", "auto"),
    ];
    let r = admin.post(d.app.url("/alerts/rules")).form(&bad).send().await.unwrap();
    assert!(location(&r).contains("error=invalid.matchers"), "{}", location(&r));
    let (status, page) = d.app.page(&admin, "/alerts/rules?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("静默批处理") && page.contains("不创建事件") && page.contains("severity!=critical"),
        "{page}"
    );

    let window = [
        ("_csrf", csrf.as_str()),
        ("ci", "db02"),
        ("duration", "3 h"),
        ("reason", "Disk swap"),
        ("change_ref", "CHG-7"),
    ];
    let r = admin.post(d.app.url("/alerts/maintenance")).form(&window).send().await.unwrap();
    assert!(location(&r).contains("notice=saved"), "{}", location(&r));
    let nowhere = [
        ("_csrf", csrf.as_str()),
        ("ci", "no-such-host"),
        ("duration", "3 h"),
        ("reason", "x"),
        ("change_ref", ""),
    ];
    let r = admin.post(d.app.url("/alerts/maintenance")).form(&nowhere).send().await.unwrap();
    assert!(location(&r).contains("error=invalid.ci_id"), "{}", location(&r));
    let (_, page) = d.app.page(&admin, "/alerts/silences?lang=en").await;
    assert!(
        page.contains("Disk swap") && page.contains("CHG-7") && page.contains("Maintenance windows"),
        "{page}"
    );
    // An agent reads the rules but is offered no form.
    let (agent, _) = d.app.signed_in("prometheus").await;
    let (status, page) = d.app.page(&agent, "/alerts/rules").await;
    assert_eq!(status, 200);
    assert!(!page.contains("id=\"new-rule\""));
}

#[tokio::test]
async fn alerts_sharing_correlation_labels_within_the_window_join_one_incident_across_senders() {
    let clock = Clock::manual(jiff::Timestamp::now());
    let correlation = steward_app::Correlation {
        labels: vec!["cluster".into()],
        window: jiff::SignedDuration::from_mins(15),
    };
    let config =
        AppConfig { clock: clock.clone(), alert_correlation: Some(correlation), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, Default::default()).await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let post = |path: &'static str, body: Value| {
        let (app, bot) = (&app, bot.clone());
        async move {
            let (status, out) = app.api(Method::POST, path, &bot, Some(body)).await;
            assert_eq!(status, 200, "{out}");
            out
        }
    };
    let first = post(
        "/hooks/alertmanager",
        webhook("g-api", vec![alert("k1", "api01", "critical", "firing", json!({ "cluster": "bj-prod" }))]),
    )
    .await;
    let incident = first["incidents_opened"][0].clone();
    // Another sender, another group, the same cluster, five minutes later: the same incident.
    clock.advance(jiff::SignedDuration::from_mins(5));
    let generic = json!({ "sender": "blackbox", "alerts": [{ "status": "firing", "severity": "critical",
        "labels": { "alertname": "ProbeFailed", "cluster": "bj-prod", "instance": "https://shop" } }] });
    let out = post("/hooks/generic", generic).await;
    assert_eq!(out["incidents_opened"], json!([]), "{out}");
    // Another cluster opens its own; and the same cluster after the window does too.
    let out = post(
        "/hooks/alertmanager",
        webhook("g-db", vec![alert("k2", "db01", "critical", "firing", json!({ "cluster": "sh-prod" }))]),
    )
    .await;
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1));
    clock.advance(jiff::SignedDuration::from_mins(30));
    let out = post(
        "/hooks/alertmanager",
        webhook("g-web", vec![alert("k3", "web01", "critical", "firing", json!({ "cluster": "bj-prod" }))]),
    )
    .await;
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1), "outside the window");
    let reader = app.token("prometheus", "read write").await;
    let (_, alerts) =
        app.api(Method::GET, &format!("/api/v1/alerts?ticket_id={incident}"), &reader, None).await;
    assert_eq!(alerts["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_new_alert_joining_a_resolved_incident_reopens_it_and_a_silenced_one_reopens_nothing() {
    let d = desk().await;
    d.app
        .api(
            Method::POST,
            "/api/v1/cis",
            &d.agent,
            Some(json!({ "class": "server", "name": "app07", "attributes": { "hostname": "app07" } })),
        )
        .await;
    let first =
        d.send("grp", vec![alert("j1", "web07", "critical", "firing", json!({}))]).await["incidents_opened"]
            [0]
        .clone();
    d.send("grp", vec![alert("j1", "web07", "critical", "resolved", json!({}))]).await;
    assert_eq!(d.incident(&first).await["state"], "resolved");
    // A new alert of the group on a CI (it takes the topology path, not the quick join).
    d.clock.advance(jiff::SignedDuration::from_mins(10));
    let out = d.send("grp", vec![alert("j2", "app07:9100", "critical", "firing", json!({}))]).await;
    assert_eq!(out["incidents_opened"], json!([]), "{out}");
    assert_eq!(d.incident(&first).await["state"], "in_progress", "reopened by the alert that joined it");

    // Resolved again; the first alert fires again under a silence: the incident stays resolved.
    d.send("grp", vec![alert("j2", "app07:9100", "critical", "resolved", json!({}))]).await;
    assert_eq!(d.incident(&first).await["state"], "resolved");
    let ends = d.clock.now().checked_add(jiff::SignedDuration::from_hours(1)).unwrap().to_string();
    let silence = json!({ "matchers": ["instance=web07"], "ends_at": ends, "comment": "known" });
    assert_eq!(d.app.api(Method::POST, "/api/v1/silences", &d.agent, Some(silence)).await.0, 201);
    d.send("grp", vec![alert("j1", "web07", "critical", "firing", json!({}))]).await;
    assert_eq!(d.incident(&first).await["state"], "resolved", "a silenced alert reopens nothing");
}

#[tokio::test]
async fn configured_subject_labels_find_the_ci_and_configured_keys_deduplicate() {
    let config = AppConfig {
        alert_subject_labels: vec!["node".into(), "instance".into()],
        alert_fingerprint_labels: [("generic".to_owned(), vec!["alertname".to_owned(), "node".to_owned()])]
            .into(),
        ..AppConfig::default()
    };
    let app = TestApp::spawn_with(config, Default::default()).await;
    app.user("kuma", "agent").await;
    let bot = app.token("kuma", "alerts").await;
    let agent = app.token("kuma", "read write").await;
    let (_, ci) = app
        .api(Method::POST, "/api/v1/cis", &agent, Some(json!({ "class": "server", "name": "k8s-node-3", "attributes": { "hostname": "k8s-node-3" } })))
        .await;
    // Two senders' ways of saying the same thing: `fingerprint` and the `pod` label differ, the
    // configured keys (alertname, node) do not.
    for (fp, pod) in [("x1", "api-7f9"), ("x2", "api-c41")] {
        let body = json!({ "alerts": [{ "fingerprint": fp, "status": "firing", "severity": "critical",
            "labels": { "alertname": "NodeNotReady", "node": "k8s-node-3", "pod": pod, "instance": "10.0.0.9:9100" } }] });
        let (status, out) = app.api(Method::POST, "/hooks/generic", &bot, Some(body)).await;
        assert_eq!(status, 200, "{out}");
    }
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    let items = alerts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one alert, repeated: {alerts}");
    assert_eq!((items[0]["repeats"].as_i64(), items[0]["subject"].as_str()), (Some(1), Some("k8s-node-3")));
    let (_, detail) =
        app.api(Method::GET, &format!("/api/v1/incidents/{}", items[0]["ticket_id"]), &agent, None).await;
    assert!(
        detail.to_string().contains(&format!("\"id\":{}", ci["id"])),
        "the node's CI is linked: {detail}"
    );
}

#[tokio::test]
async fn the_flapping_thresholds_are_configured() {
    let clock = Clock::manual(jiff::Timestamp::now());
    let flap = steward_core::alerts::FlapPolicy { changes: 2, window: jiff::SignedDuration::from_hours(1) };
    let config = AppConfig { clock: clock.clone(), alert_flap: flap, ..AppConfig::default() };
    let app = TestApp::spawn_with(config, Default::default()).await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let send = |status: &str| {
        let body = webhook("f", vec![alert("f1", "web09", "critical", status, json!({}))]);
        let (app, bot) = (&app, bot.clone());
        async move { app.api(Method::POST, "/hooks/alertmanager", &bot, Some(body)).await.1 }
    };
    let incident = send("firing").await["incidents_opened"][0].clone();
    clock.advance(jiff::SignedDuration::from_mins(1));
    assert_eq!(
        send("resolved").await["incidents_resolved"],
        json!([incident.clone()]),
        "one change: not flapping yet"
    );
    clock.advance(jiff::SignedDuration::from_mins(1));
    send("firing").await;
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &agent, None).await;
    assert_eq!(inc["state"], "resolved", "the second change within the hour: flapping, nothing reopens");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    assert_eq!(alerts["items"][0]["flapping"], true);
}
