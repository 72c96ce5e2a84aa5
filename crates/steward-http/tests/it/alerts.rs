//! Alerts from monitoring (issue 18): Alertmanager's webhook opens an incident, re-sends only
//! count, the incident resolves itself when every alert has cleared, and bad deliveries are
//! refused whole.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

/// An Alertmanager webhook body (`version: "4"`) as its documentation shows it.
fn webhook(status: &str, alerts: &[(&str, &str, &str)]) -> Value {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|(fingerprint, instance, alert_status)| {
            json!({
                "status": alert_status,
                "labels": { "alertname": "HostDown", "instance": instance, "job": "node", "severity": "critical" },
                "annotations": { "summary": "Host is unreachable", "description": "node_exporter stopped answering" },
                "startsAt": "2026-01-01T00:00:00.123456789Z",
                "endsAt": if *alert_status == "resolved" { "2026-01-01T00:10:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus.local/graph?g0.expr=up%3D%3D0",
                "fingerprint": fingerprint
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"HostDown\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "steward",
        "groupLabels": { "alertname": "HostDown" },
        "commonLabels": { "alertname": "HostDown", "severity": "critical" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "alerts": alerts
    })
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.api(Method::POST, "/hooks/alertmanager", token, Some(body)).await
}

#[tokio::test]
async fn alertmanager_alerts_open_an_incident_once_and_resolve_it_when_they_clear() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let monitor = app.token("prometheus", "read write").await;
    let bot = app.token("prometheus", "alerts").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;

    let firing = webhook("firing", &[("fa01", "web01:9100", "firing"), ("fa02", "web02:9100", "firing")]);
    assert_eq!(post(&app, &requester, firing.clone()).await.0, 403, "a requester delivers no alerts");
    assert_eq!(
        post(&app, &monitor, firing.clone()).await.0,
        403,
        "a token without the `alerts` scope neither"
    );
    assert_eq!(post(&app, "stw_not-a-token", firing.clone()).await.0, 401);
    let (status, out) = post(&app, &bot, firing.clone()).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!((out["received"].as_i64(), out["new"].as_i64()), (Some(2), Some(2)));
    let opened = out["incidents_opened"].as_array().unwrap();
    assert_eq!(opened.len(), 1, "one group, one incident: {out}");
    let incident = opened[0].as_i64().unwrap();
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &monitor, None).await;
    assert_eq!(inc["priority"], 2, "a critical alert opens a P2: {inc}");
    assert_eq!(inc["title"], "Host is unreachable on web01", "named by the group's first alert");
    assert_eq!(inc["service"], "web01");

    // Alertmanager re-sends the group every repeat_interval and retries: counted, never doubled.
    for _ in 0..3 {
        let (status, out) = post(&app, &bot, firing.clone()).await;
        assert_eq!(status, 200);
        assert_eq!((out["new"].as_i64(), out["repeated"].as_i64()), (Some(0), Some(2)));
        assert!(out["incidents_opened"].as_array().unwrap().is_empty());
    }
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &monitor, None).await;
    let items = alerts["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|a| a["repeats"] == 3 && a["ticket_id"] == incident), "{alerts}");

    // One clears: the incident stays; both cleared: it resolves itself with a note.
    let half = webhook("firing", &[("fa01", "web01:9100", "resolved"), ("fa02", "web02:9100", "firing")]);
    let (_, out) = post(&app, &bot, half).await;
    assert_eq!(out["resolved"], 1);
    assert!(out["incidents_resolved"].as_array().unwrap().is_empty());
    let all_clear =
        webhook("resolved", &[("fa01", "web01:9100", "resolved"), ("fa02", "web02:9100", "resolved")]);
    let (_, out) = post(&app, &bot, all_clear.clone()).await;
    assert_eq!(out["incidents_resolved"], json!([incident]), "{out}");
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &monitor, None).await;
    assert_eq!(inc["state"], "resolved", "{inc}");
    let (_, again) = post(&app, &bot, all_clear).await;
    assert!(again["incidents_resolved"].as_array().unwrap().is_empty(), "resolved once");

    // It fires again: the resolved incident reopens instead of a duplicate opening.
    let (_, out) = post(&app, &bot, firing).await;
    assert!(out["incidents_opened"].as_array().unwrap().is_empty(), "{out}");
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &monitor, None).await;
    assert_eq!(inc["state"], "in_progress", "{inc}");

    // The console, in both languages.
    let (browser, _) = app.signed_in("prometheus").await;
    let (status, html) = app.page(&browser, "/alerts?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(html.contains("告警中") && html.contains("Host is unreachable"), "{html}");
    let (_, html) = app.page(&browser, "/alerts?status=resolved&lang=en").await;
    assert!(html.contains(r#"id="no-alerts""#), "none resolved now: {html}");
    let (_, html) = app.page(&browser, &format!("/incidents/{incident}?lang=en")).await;
    let section = html.split(r#"id="incident-alerts""#).nth(1).expect("the incident shows its alerts");
    assert!(section.contains("Host is unreachable") && section.contains("web02"), "{section}");
    let (rita, _) = app.signed_in("rita").await;
    assert_eq!(app.page(&rita, "/alerts").await.0, 403);
}

#[tokio::test]
async fn bad_deliveries_are_refused_whole_naming_the_field() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let (_, reader) = app.user_with_token("ada", "agent").await;
    let good = webhook("firing", &[("b1", "db01:9100", "firing")]);
    let with = |path: &str, value: Value| {
        let mut body = good.clone();
        let mut target = &mut body;
        let parts: Vec<&str> = path.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            target = match p.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*p],
            };
        }
        target[parts[parts.len() - 1]] = value;
        body
    };
    for (body, field) in [
        (with("version", json!("3")), "version"),
        (with("alerts.0.status", json!("burning")), "alerts[0].status"),
        (with("alerts.0.startsAt", json!("yesterday")), "alerts[0].startsAt"),
        (with("alerts.0.startsAt", json!("2999-01-01T00:00:00Z")), "alerts[0].startsAt"),
        (with("alerts.0.endsAt", json!("1900-01-01T00:00:00Z")), "alerts[0].endsAt"),
        (with("alerts.0.labels", json!({})), "alerts[0].labels"),
        (with("groupKey", json!("")), "groupKey"),
    ] {
        let (status, out) = post(&app, &bot, body).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{out}");
    }
    let raw = reqwest::Client::new()
        .post(app.url("/hooks/alertmanager"))
        .bearer_auth(&bot)
        .header("content-type", "application/json")
        .body("{\"version\": \"4\", ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let huge = reqwest::Client::new()
        .post(app.url("/hooks/alertmanager"))
        .bearer_auth(&bot)
        .header("content-type", "application/json")
        .body(vec![b' '; 10 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    // A bad alert anywhere in a delivery keeps all of it out.
    let mut mixed = webhook("firing", &[("m1", "a:1", "firing"), ("m2", "b:1", "firing")]);
    mixed["alerts"][1]["status"] = json!("weird");
    assert_eq!(post(&app, &bot, mixed).await.0, 422);
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &reader, None).await;
    assert!(alerts["items"].as_array().unwrap().is_empty(), "nothing half-kept: {alerts}");
}

/// The bodies a real Alertmanager 0.25 sent (captured from Debian's, the rule `vector(1)`
/// firing and then removed) open and resolve an incident as the documented ones do.
#[tokio::test]
async fn bodies_a_real_alertmanager_sent_open_and_resolve_an_incident() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let fixture = |name: &str| -> Value {
        let path = format!("{}/tests/fixtures/alertmanager/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (status, out) = post(&app, &bot, fixture("firing.json")).await;
    assert_eq!(status, 200, "{out}");
    let incident = out["incidents_opened"][0].as_i64().expect("an incident opened");
    let (_, out) = post(&app, &bot, fixture("resolved.json")).await;
    assert_eq!(out["incidents_resolved"], json!([incident]), "{out}");
}

/// Issue 18, done when: a switch outage and its servers' alerts fold into one incident on the
/// switch — whichever arrives first, in one delivery or several — while an unrelated host's
/// alert opens its own.
#[tokio::test]
async fn a_switch_and_the_servers_behind_it_fold_into_one_incident_on_the_switch() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let ci = |class: &str, name: &str, attrs: Value| {
        let body = json!({ "class": class, "name": name, "attributes": attrs });
        let app = &app;
        let agent = agent.clone();
        async move {
            let (status, out) = app.api(Method::POST, "/api/v1/cis", &agent, Some(body)).await;
            assert_eq!(status, 201, "{out}");
            out["id"].as_i64().unwrap()
        }
    };
    let switch = ci("network_device", "sw01", json!({ "kind": "switch", "hostname": "sw01-mgmt" })).await;
    let mut servers = Vec::new();
    for name in ["web01", "web02", "db09"] {
        servers.push(ci("server", &format!("{name}.corp"), json!({ "hostname": name })).await);
    }
    for server in &servers[..2] {
        let edge = json!({ "from": server, "kind": "connects_to", "to": switch });
        assert_eq!(app.api(Method::POST, "/api/v1/ci-relations", &agent, Some(edge)).await.0, 201);
    }
    let delivery = |group: &str, alerts: &[(&str, &str, &str)]| {
        let items: Vec<Value> = alerts
            .iter()
            .map(|(name, instance, summary)| {
                json!({ "status": "firing", "fingerprint": format!("{name}-{instance}"),
                        "labels": { "alertname": name, "instance": instance, "severity": "critical" },
                        "annotations": { "summary": summary }, "startsAt": "2026-01-01T00:00:00Z" })
            })
            .collect();
        json!({ "version": "4", "groupKey": group, "alerts": items })
    };
    // Servers first, then the switch, in one delivery: the switch still names the incident.
    let body = delivery(
        "{}:{outage}",
        &[
            ("HostDown", "web01:9100", "Host down"),
            ("HostDown", "web02:9100", "Host down"),
            ("SwitchDown", "sw01", "Switch down"),
        ],
    );
    let (status, out) = post(&app, &bot, body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["incidents_opened"].as_array().unwrap().len(), 1, "{out}");
    let incident = out["incidents_opened"][0].as_i64().unwrap();
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &agent, None).await;
    assert_eq!(inc["title"], "Switch down on sw01", "{inc}");
    let (_, cis) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}/cis"), &agent, None).await;
    let mut linked: Vec<i64> =
        cis["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    linked.sort_unstable();
    assert_eq!(linked, vec![switch, servers[0], servers[1]]);

    // A server behind the switch, in another group later: it joins the switch's incident; an
    // unrelated host opens its own.
    let (_, out) = post(&app, &bot, delivery("{}:{disk}", &[("DiskFull", "web02:9100", "Disk full")])).await;
    assert!(out["incidents_opened"].as_array().unwrap().is_empty(), "{out}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    let disk =
        alerts["items"].as_array().unwrap().iter().find(|a| a["title"] == "Disk full").unwrap().clone();
    assert_eq!(disk["ticket_id"], incident);
    let (_, out) = post(&app, &bot, delivery("{}:{other}", &[("HostDown", "db09:9100", "Host down")])).await;
    assert_eq!(out["incidents_opened"].as_array().unwrap().len(), 1, "db09 is not behind the switch: {out}");
}

/// Issue 18, done when: a silenced alert opens nothing — recorded and marked, never dropped —
/// and opens its incident once the silence has ended and the alert still fires.
#[tokio::test]
async fn a_silenced_alert_is_recorded_and_opens_nothing_until_the_silence_ends() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let body = json!({ "matchers": ["alertname=HostDown", "instance!=db01:9100"], "ends_at": "2999-01-01T00:00:00Z",
                       "comment": "patching the web tier" });
    let (status, created) = app.api(Method::POST, "/api/v1/silences", &agent, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let silence = created["id"].as_i64().unwrap();
    let bad = json!({ "matchers": ["job!=x"], "ends_at": "2999-01-01T00:00:00Z", "comment": "x" });
    let (status, out) = app.api(Method::POST, "/api/v1/silences", &agent, Some(bad)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("matchers")), "{out}");

    let firing = webhook("firing", &[("s1", "web01:9100", "firing"), ("s2", "db01:9100", "firing")]);
    let (_, out) = post(&app, &bot, firing.clone()).await;
    assert_eq!(out["new"], 2, "both recorded: {out}");
    let opened = out["incidents_opened"].as_array().unwrap().clone();
    assert_eq!(opened.len(), 1, "db01 is not silenced: {out}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    let web01 = alerts["items"].as_array().unwrap().iter().find(|a| a["subject"] == "web01").unwrap().clone();
    assert!(web01["ticket_id"].is_null(), "the silenced one joined nothing: {web01}");
    let (browser, csrf) = app.signed_in("prometheus").await;
    let (_, html) = app.page(&browser, "/alerts?lang=en").await;
    assert!(html.contains("Silenced"), "the console marks it");
    let (status, html) =
        app.page(&browser, "/alerts/silences?alertname=HostDown&instance=web02%3A9100&lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("patching the web tier") && html.contains("instance=web02:9100"),
        "prefilled from an alert"
    );

    // The silence ends (here, from the page); the next re-send opens web01's incident.
    let ended = browser
        .post(app.url(&format!("/alerts/silences/{silence}/expire")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(ended.headers()["location"].to_str().unwrap().contains("notice=saved"));
    assert_eq!(app.api(Method::DELETE, &format!("/api/v1/silences/{silence}"), &agent, None).await.0, 404);
    let (_, out) = post(&app, &bot, firing).await;
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    let web01 = alerts["items"].as_array().unwrap().iter().find(|a| a["subject"] == "web01").unwrap().clone();
    assert!(web01["ticket_id"].is_i64(), "covered now: {web01} {out}");
    let made = browser
        .post(app.url("/alerts/silences"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("matchers", "alertname=DiskFull"),
            ("duration", "2 h"),
            ("comment", "disk swap"),
        ])
        .send()
        .await
        .unwrap();
    assert!(made.headers()["location"].to_str().unwrap().contains("notice=saved"));
    let (_, list) = app.api(Method::GET, "/api/v1/silences", &agent, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "the ended one is gone from the running list");
}

/// Issue 18, done when: a flapping alert stops opening and resolving incidents — after four
/// changes within an hour it is marked and the incident is left as it stands.
#[tokio::test]
async fn a_flapping_alert_stops_opening_and_resolving_its_incident() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let send = |state: &'static str| post(&app, &bot, webhook(state, &[("flap1", "web07:9100", state)]));
    let (_, out) = send("firing").await;
    let incident = out["incidents_opened"][0].as_i64().unwrap();
    let state = || async {
        let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &agent, None).await;
        inc["state"].as_str().unwrap().to_owned()
    };
    send("resolved").await;
    assert_eq!(state().await, "resolved", "change 1");
    send("firing").await;
    assert_eq!(state().await, "in_progress", "change 2 reopens");
    send("resolved").await;
    assert_eq!(state().await, "resolved", "change 3");
    send("firing").await;
    assert_eq!(state().await, "resolved", "change 4: flapping, left as it stands");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    assert_eq!(alerts["items"][0]["flapping"], true, "{alerts}");
    let (browser, _) = app.signed_in("prometheus").await;
    let (_, html) = app.page(&browser, "/alerts?lang=zh-CN").await;
    assert!(html.contains("抖动中"));
}

/// Grafana's webhook (`version: "1"`, as its documentation shows it) opens and resolves an
/// incident; with a secret configured, only a delivery signed with it is taken.
#[tokio::test]
async fn grafana_alerts_land_and_a_configured_secret_is_checked() {
    use hmac::{KeyInit, Mac};
    let http = steward_http::HttpConfig { grafana_hmac_secret: Some("s3cret".into()), ..Default::default() };
    let app = TestApp::spawn_with(steward_app::AppConfig::default(), http).await;
    app.user("grafana", "agent").await;
    let bot = app.token("grafana", "alerts").await;
    let body = |status: &str| {
        json!({
            "receiver": "steward", "status": status, "orgId": 1, "version": "1",
            "groupKey": "{}/{}:{alertname=\"HighCPU\"}", "truncatedAlerts": 0,
            "title": "[FIRING:1] HighCPU", "state": "alerting", "message": "CPU above 90%",
            "alerts": [{
                "status": status,
                "labels": { "alertname": "HighCPU", "instance": "app01:9100", "severity": "warning" },
                "annotations": { "summary": "CPU above 90%" },
                "startsAt": "2026-01-01T00:00:00Z",
                "endsAt": if status == "resolved" { "2026-01-01T00:05:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://grafana.local/alerting/grafana/abc/view",
                "fingerprint": "c6eadffa33fcdf37",
                "silenceURL": "http://grafana.local/alerting/silence/new",
                "dashboardURL": "http://grafana.local/d/xyz", "panelURL": "http://grafana.local/d/xyz?viewPanel=2",
                "values": { "B": 93.5 }, "valueString": "[ var='B' value=93.5 ]"
            }]
        })
        .to_string()
    };
    let send = |text: String, signature: Option<String>| {
        let mut request = reqwest::Client::new()
            .put(app.url("/hooks/grafana"))
            .bearer_auth(&bot)
            .header("content-type", "application/json")
            .header("x-grafana-alerting-signature-timestamp", "1767225600");
        if let Some(sig) = signature {
            request = request.header("x-grafana-alerting-signature", sig);
        }
        request.body(text).send()
    };
    let sign = |text: &str| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"1767225600:");
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let firing = body("firing");
    assert_eq!(send(firing.clone(), None).await.unwrap().status(), 401, "unsigned");
    let wrong = send(firing.clone(), Some(sign("something else"))).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let out: Value = wrong.json().await.unwrap();
    assert_eq!(out["error"]["code"], "bad_signature");
    let out: Value = send(firing.clone(), Some(sign(&firing))).await.unwrap().json().await.unwrap();
    let incident = out["incidents_opened"][0].as_i64().expect("a warning opens a P3");
    let reader = app.token("grafana", "read write").await;
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &reader, None).await;
    assert_eq!((inc["priority"].as_i64(), inc["title"].as_str()), (Some(3), Some("CPU above 90% on app01")));
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &reader, None).await;
    let alert = &alerts["items"][0];
    assert_eq!(
        (alert["source"].as_str(), alert["link"].as_str()),
        (Some("grafana"), Some("http://grafana.local/d/xyz?viewPanel=2"))
    );
    assert_eq!(alert["annotations"]["values"], "B=93.5", "{alert}");
    let resolved = body("resolved");
    let out: Value = send(resolved.clone(), Some(sign(&resolved))).await.unwrap().json().await.unwrap();
    assert_eq!(out["incidents_resolved"], json!([incident]));
    let old = body("firing").replace("\"version\":\"1\"", "\"version\":\"0\"");
    let refused = send(old.clone(), Some(sign(&old))).await.unwrap();
    assert_eq!(refused.status(), 422);
}
