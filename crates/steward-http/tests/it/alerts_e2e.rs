//! Issue 18, done when: a real Prometheus and a real Alertmanager (Debian's, installed by
//! `./scripts/test`) drive an incident open in Steward, and closed when the rule stops firing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use steward_test_support::TestApp;

/// A child process killed when the test ends, however it ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(program: &str, args: &[String]) -> Peer {
    let child =
        Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(
            |e| panic!("{program} could not start ({e}): run ./scripts/test, which installs it"),
        );
    Peer(child)
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn rules(dir: &Path, firing: bool) {
    let rule = "  - alert: DiskAlmostFull\n    expr: vector(1)\n    labels:\n      severity: critical\n      \
                instance: db01:9100\n    annotations:\n      summary: Disk almost full\n";
    let text =
        format!("groups:\n- name: steward-e2e\n  interval: 1s\n  rules:\n{}", if firing { rule } else { "" });
    let text = if firing { text } else { "groups: []\n".to_owned() };
    std::fs::write(dir.join("rules.yml"), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_opens_an_incident_and_resolves_it_when_the_rule_stops_firing() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let reader = app.token("prometheus", "read write").await;
    let dir = tempfile::tempdir().unwrap();
    let (prom_port, am_port) = (free_port(), free_port());
    // Auto-remediation (issue 21): this alert starts a runbook that reports on the incident.
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let yaml = "name: Free disk space\nparams:\n  - { name: host, type: string }\nsteps:\n  - { id: clean, kind: command, argv: [echo, 'cleaning {{ params.host }}'] }\n";
    let (s, rb) = app
        .api(Method::POST, "/api/v1/runbooks", &manager, Some(serde_json::json!({"definition": yaml})))
        .await;
    assert_eq!(s, 201, "{rb}");
    let trigger =
        serde_json::json!({"matchers": "alertname=DiskAlmostFull", "params": {"host": "label:instance"}});
    let (s, t) = app
        .api(Method::POST, &format!("/api/v1/runbooks/{}/alert-triggers", rb["id"]), &manager, Some(trigger))
        .await;
    assert_eq!(s, 201, "{t}");

    let am_config = format!(
        "route:\n  receiver: steward\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  \
         repeat_interval: 1h\nreceivers:\n- name: steward\n  webhook_configs:\n  - url: {}\n    send_resolved: true\n    \
         http_config:\n      authorization:\n        type: Bearer\n        credentials: {bot}\n",
        app.url("/hooks/alertmanager")
    );
    std::fs::write(dir.path().join("alertmanager.yml"), am_config).unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let _alertmanager = start(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", path("alertmanager.yml")),
            format!("--storage.path={}", path("am-data")),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            // No cluster: nothing listens beyond loopback.
            "--cluster.listen-address=".into(),
        ],
    );
    rules(dir.path(), true);
    let prom_config = format!(
        "global:\n  evaluation_interval: 1s\nrule_files: [{}]\nalerting:\n  alertmanagers:\n  - static_configs:\n    \
         - targets: ['127.0.0.1:{am_port}']\n",
        path("rules.yml")
    );
    std::fs::write(dir.path().join("prometheus.yml"), prom_config).unwrap();
    let _prometheus = start(
        "prometheus",
        &[
            format!("--config.file={}", path("prometheus.yml")),
            format!("--storage.tsdb.path={}", path("prom-data")),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
            "--web.enable-lifecycle".into(),
            "--rules.alert.resend-delay=1s".into(),
        ],
    );

    // Prometheus fires, Alertmanager groups and posts, Steward opens an incident.
    let alerts = || async {
        app.api(Method::GET, "/api/v1/alerts", &reader, None).await.1["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    wait_until("an incident opened by a real Alertmanager", Duration::from_secs(90), || async {
        alerts().await.first().is_some_and(|a| a["ticket_id"].is_i64())
    })
    .await;
    let alert = alerts().await.remove(0);
    assert_eq!((alert["source"].as_str(), alert["subject"].as_str()), (Some("alertmanager"), Some("db01")));
    assert_eq!(alert["title"], "Disk almost full");
    let incident = alert["ticket_id"].as_i64().unwrap();
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &reader, None).await;
    assert_eq!((inc["priority"].as_i64(), inc["state"].as_str()), (Some(2), Some("new")), "{inc}");
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 1, "the trigger started the remediation");
    let (_, runs) = app.api(Method::GET, "/api/v1/runbook-runs", &manager, None).await;
    assert_eq!(
        (runs["items"][0]["state"].as_str(), runs["items"][0]["ticket_id"].as_i64()),
        (Some("succeeded"), Some(incident)),
        "{runs}"
    );
    let (_, notes) =
        app.api(Method::GET, &format!("/api/v1/incidents/{incident}/comments"), &manager, None).await;
    assert!(notes.to_string().contains("Free disk space"), "the incident shows the result: {notes}");

    // The rule goes away: Prometheus resolves the alert, Alertmanager says so, the incident resolves.
    rules(dir.path(), false);
    let reload =
        reqwest::Client::new().post(format!("http://127.0.0.1:{prom_port}/-/reload")).send().await.unwrap();
    assert!(reload.status().is_success(), "reload: {}", reload.status());
    wait_until("the incident resolving itself", Duration::from_secs(120), || async {
        let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{incident}"), &reader, None).await;
        inc["state"] == "resolved"
    })
    .await;
    let all = alerts().await;
    assert_eq!(all.len(), 1, "one alert, however often it was sent: {all:?}");
    assert_eq!(all[0]["status"], "resolved");
}
