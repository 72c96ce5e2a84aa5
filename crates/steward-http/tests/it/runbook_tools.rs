//! Runbooks with the real tools (issue 21): `ansible-playbook` (ansible-core from PyPI, which
//! `./scripts/test` installs) over an inventory generated from the CMDB, in check mode and for
//! real, including the built-in inspection; and `ssh` to a real `sshd` (Debian's
//! openssh-server) started here on 127.0.0.1 with throwaway keys, its host key checked.

use std::process::Command;

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

use super::runbooks::{get, import, output, post, start};

fn need(program: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{program} is missing: run ./scripts/test, which installs it");
}

async fn server(app: &TestApp, token: &str, name: &str) {
    let body = json!({"class": "server", "name": name, "criticality": 4, "attributes": {"hostname": name, "os": "debian-12"}});
    let (s, c) = post(app, token, "/api/v1/cis", body).await;
    assert_eq!(s, 201, "{c}");
}

#[tokio::test]
async fn an_ansible_playbook_runs_over_a_cmdb_inventory_in_check_mode_then_for_real() {
    need("ansible-playbook");
    let clock = steward_app::Clock::manual(jiff::Timestamp::now());
    let config = steward_app::AppConfig { clock: clock.clone(), ..steward_app::AppConfig::default() };
    let app = TestApp::spawn_with(config, Default::default()).await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    for name in ["web-a", "web-b"] {
        server(&app, &manager, name).await;
    }
    let marks = tempfile::tempdir().unwrap();
    let yaml = format!(
        r#"
name: Mark the web servers
params:
  - {{ name: greeting, type: string, default: hello }}
steps:
  - id: dry
    kind: ansible
    check: true
    timeout: 5m
    targets: {{ class: server, vars: {{ ansible_connection: local, ansible_python_interpreter: '\{{{{ ansible_playbook_python }}}}' }} }}
    playbook: &play |
      - hosts: all
        gather_facts: false
        tasks:
          - copy:
              dest: "{dir}/{{{{ inventory_hostname }}}}"
              content: "{{{{ greeting }}}} {{{{ os }}}}"
          - copy:
              dest: "{{{{ steward_artifacts }}}}/{{{{ inventory_hostname }}}}.txt"
              content: "{{{{ greeting }}}} from {{{{ inventory_hostname }}}} ({{{{ os }}}}, CI {{{{ steward_ci_id }}}})"
            delegate_to: localhost
            check_mode: false
    extra_vars: {{ greeting: "{{{{ params.greeting }}}}" }}
  - id: real
    kind: ansible
    timeout: 5m
    targets: {{ class: server, vars: {{ ansible_connection: local, ansible_python_interpreter: '\{{{{ ansible_playbook_python }}}}' }} }}
    playbook: *play
    extra_vars: {{ greeting: "{{{{ params.greeting }}}}" }}
"#,
        dir = marks.path().display()
    );
    let id = import(&app, &manager, &yaml).await;
    let (s, run) = start(&app, &manager, id, json!({"params": {"greeting": "ni hao"}})).await;
    assert_eq!(s, 201, "{run}");
    let run_id = run["id"].as_i64().unwrap();
    assert_eq!(run["targets"].as_array().map(Vec::len), Some(2), "the CMDB query chose the targets: {run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{run_id}")).await;
    let text = output(&app, &manager, run_id).await;
    assert_eq!(done["state"], "succeeded", "{done}\n{text}");
    assert!(
        text.contains("ansible-playbook --check on web-a, web-b") && text.contains("PLAY RECAP"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(marks.path().join("web-a")).unwrap(),
        "ni hao debian-12",
        "the real run wrote it"
    );
    let names: Vec<&str> =
        done["artifacts"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["web-a.txt", "web-b.txt"], "{done}");

    // Check mode changes nothing: a run of the dry step alone leaves no mark.
    std::fs::remove_file(marks.path().join("web-b")).unwrap();
    let dry_only =
        yaml.split("  - id: real").next().unwrap().to_owned().replace("Mark the web servers", "Dry marks");
    let id = import(&app, &manager, &dry_only).await;
    start(&app, &manager, id, json!({})).await;
    app.app.runbooks().run_due("node-a").await.unwrap();
    assert!(!marks.path().join("web-b").exists(), "check mode wrote nothing");

    // The built-in inspection, over the CMDB's servers, writes one report per host.
    let list = get(&app, &manager, "/api/v1/runbooks").await;
    let inspection = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Host inspection")
        .expect("the library");
    let (s, run) =
        start(&app, &manager, inspection["id"].as_i64().unwrap(), json!({"params": {"connection": "local"}}))
            .await;
    assert_eq!(s, 201, "{run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let run_id = run["id"].as_i64().unwrap();
    let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}\n{}", output(&app, &manager, run_id).await);
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/runbook-runs/{run_id}/artifacts/inspection-web-a.txt")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    let report = r.text().await.unwrap();
    assert!(
        report.contains("Inspection of web-a")
            && report.contains("== Disk ==")
            && report.contains("== Load =="),
        "{report}"
    );

    // Scheduled every day at 06:00: each day's run leaves its reports.
    let path = format!("/api/v1/runbooks/{}/schedules", inspection["id"]);
    let (s, sched) = post(
        &app,
        &manager,
        &path,
        json!({"cron": "0 6 * * *", "zone": "UTC", "params": {"connection": "local"}}),
    )
    .await;
    assert_eq!(s, 201, "{sched}");
    for day in 0..2 {
        // A token lasts a day: the clock moves on by days here.
        let manager = app.token("grace.kim", "read write").await;
        let next: jiff::Timestamp =
            get(&app, &manager, &path).await["items"][0]["next_at"].as_str().unwrap().parse().unwrap();
        clock.set(next + jiff::SignedDuration::from_secs(1));
        assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 1, "day {day}");
    }
    let manager = app.token("grace.kim", "read write").await;
    let runs = get(&app, &manager, &format!("/api/v1/runbook-runs?runbook_id={}", inspection["id"])).await;
    let scheduled: Vec<&serde_json::Value> =
        runs["items"].as_array().unwrap().iter().filter(|r| r["trigger"] == "schedule").collect();
    assert_eq!(scheduled.len(), 2, "{runs}");
    for run in scheduled {
        let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{}", run["id"])).await;
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["artifacts"].as_array().map(Vec::len), Some(2), "a report per server: {done}");
    }
}

#[tokio::test]
async fn an_ssh_step_runs_on_a_real_sshd_and_refuses_an_unknown_host_key() {
    need("ssh");
    assert!(
        std::path::Path::new("/usr/sbin/sshd").exists(),
        "sshd is missing: run ./scripts/test, which installs openssh-server"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keygen = |file: &str| {
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(d.join(file))
            .status()
            .unwrap();
        assert!(ok.success());
    };
    keygen("host_key");
    keygen("client_key");
    std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let user =
        String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\nPidFile {pid}\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
            hk = d.join("host_key").display(),
            ak = d.join("authorized_keys").display(),
            pid = d.join("sshd.pid").display()
        ),
    )
    .unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    let mut sshd = Command::new("/usr/sbin/sshd")
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(d.join("sshd_config"))
        .spawn()
        .unwrap();
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
    let known =
        format!("[127.0.0.1]:{port} {}", host_pub.split_whitespace().take(2).collect::<Vec<_>>().join(" "));

    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let key = std::fs::read_to_string(d.join("client_key")).unwrap();
    let (s, _) =
        app.api(Method::PUT, "/api/v1/secrets/deploy_key", &manager, Some(json!({"value": key}))).await;
    assert_eq!(s, 204);
    let (s, _) =
        app.api(Method::PUT, "/api/v1/secrets/known_host", &manager, Some(json!({"value": known}))).await;
    assert_eq!(s, 204);
    let yaml = format!(
        "name: Remote uptime\nparams:\n  - {{ name: user, type: string, default: {user} }}\nsteps:\n  - id: remote\n    kind: ssh\n    host: 127.0.0.1\n    port: {port}\n    user: '{{{{ params.user }}}}'\n    key: deploy_key\n    known_hosts: '{{{{ secrets.known_host }}}}'\n    command: echo \"hello over ssh from $(id -un)\"; cat /proc/loadavg\n    timeout: 30s\n"
    );
    let id = import(&app, &manager, &yaml).await;
    let (_, run) = start(&app, &manager, id, json!({})).await;
    app.app.runbooks().run_due("node-a").await.unwrap();
    let run_id = run["id"].as_i64().unwrap();
    let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{run_id}")).await;
    let text = output(&app, &manager, run_id).await;
    assert_eq!(done["state"], "succeeded", "{done}\n{text}");
    assert!(text.contains(&format!("hello over ssh from {user}")), "{text}");
    assert!(!text.contains("PRIVATE KEY"), "the key never shows");

    // Another host key under the same address: refused.
    keygen("impostor");
    let impostor = std::fs::read_to_string(d.join("impostor.pub")).unwrap();
    let wrong =
        format!("[127.0.0.1]:{port} {}", impostor.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
    app.api(Method::PUT, "/api/v1/secrets/known_host", &manager, Some(json!({"value": wrong}))).await;
    let (_, run) = start(&app, &manager, id, json!({})).await;
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{}", run["id"])).await;
    assert_eq!(
        (done["state"].as_str(), done["steps"][0]["exit_code"].as_i64()),
        (Some("failed"), Some(255)),
        "{done}"
    );
    let _ = sshd.kill();
    let _ = sshd.wait();
}

#[tokio::test]
async fn a_patch_playbook_runs_through_ansible_only_inside_its_changes_window() {
    need("ansible-playbook");
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let body = json!({"class": "server", "name": "core-db", "criticality": 1, "attributes": {"hostname": "core-db"}});
    let (s, db) = post(&app, &agent, "/api/v1/cis", body).await;
    assert_eq!(s, 201, "{db}");
    let marks = tempfile::tempdir().unwrap();
    let yaml = format!(
        "name: Patch core-db\nparams:\n  - {{ name: host, type: ci, required: true }}\nsteps:\n  - id: patch\n    kind: ansible\n    timeout: 5m\n    targets: {{ ci_param: host, vars: {{ ansible_connection: local }} }}\n    playbook: |\n      - hosts: all\n        gather_facts: false\n        tasks:\n          - copy: {{ dest: \"{}/{{{{ inventory_hostname }}}}.patched\", content: \"patched\" }}\n",
        marks.path().display()
    );
    let id = import(&app, &manager, &yaml).await;
    // Without a change or a grant, a critical CI refuses the run.
    let (s, e) = start(&app, &agent, id, json!({"params": {"host": "core-db"}})).await;
    assert_eq!(s, 403, "{e}");
    // An approved standard change whose window is open: the playbook runs, on its authority.
    let (s, chg) = post(
        &app,
        &agent,
        "/api/v1/changes",
        json!({"title": "Patch core-db", "change_type": "standard", "ci_ids": [db["id"]]}),
    )
    .await;
    assert_eq!(s, 201, "{chg}");
    let cid = chg["id"].as_i64().unwrap();
    post(&app, &agent, &format!("/api/v1/changes/{cid}/risk"), json!({})).await;
    post(&app, &agent, &format!("/api/v1/changes/{cid}/move"), json!({"to": "schedule"})).await;
    let now = jiff::Timestamp::now();
    let window = json!({"planned_start": (now - jiff::SignedDuration::from_mins(1)).to_string(), "planned_end": (now + jiff::SignedDuration::from_hours(1)).to_string()});
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{cid}/schedule"), window).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("scheduled")), "{c}");
    let (s, run) = start(&app, &agent, id, json!({"params": {"host": "core-db"}, "change_id": cid})).await;
    assert_eq!(s, 201, "{run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let run_id = run["id"].as_i64().unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}\n{}", output(&app, &agent, run_id).await);
    assert_eq!(done["authority"], chg["number"]);
    assert!(marks.path().join("core-db.patched").exists(), "the playbook ran");
}
