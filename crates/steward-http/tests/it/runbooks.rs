//! Automation (issue 21): runbooks imported as YAML and checked, runs of real processes with
//! outputs passed between steps, secrets masked, timeouts and cancellation that kill the whole
//! process group, output capped with its tail kept, approval gates — through the API.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

pub async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.api(Method::POST, path, token, Some(body)).await
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (s, v) = app.api(Method::GET, path, token, None).await;
    assert_eq!(s, 200, "{path}: {v}");
    v
}

/// Imports a runbook; answers its id.
pub async fn import(app: &TestApp, token: &str, yaml: &str) -> i64 {
    let (s, r) = post(app, token, "/api/v1/runbooks", json!({"definition": yaml})).await;
    assert_eq!(s, 201, "{r}");
    r["id"].as_i64().unwrap()
}

/// Starts a run; answers (status, run).
pub async fn start(app: &TestApp, token: &str, runbook: i64, body: Value) -> (u16, Value) {
    post(app, token, &format!("/api/v1/runbooks/{runbook}/runs"), body).await
}

/// Everything the run wrote, in order.
pub async fn output(app: &TestApp, token: &str, run: i64) -> String {
    let chunks = get(app, token, &format!("/api/v1/runbook-runs/{run}/output?limit=1000")).await;
    chunks["items"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap().to_owned()).collect()
}

const PIPELINE: &str = r#"
name: Disk report
description: Finds the fullest file system and posts it on.
manual_minutes: 12
params:
  - { name: path, type: string, default: / }
  - { name: warn_at, type: number, default: 90, min: 1, max: 100 }
  - { name: token, type: secret, default: api_token }
steps:
  - id: measure
    name: Measure
    kind: command
    argv: [df, -P, "{{ params.path }}"]
  - id: pick
    name: Pick the use
    kind: command
    env: { DF: "{{ steps.measure.stdout }}", TOKEN: "{{ params.token }}" }
    script: |
      use=$(printf '%s\n' "$DF" | awk 'NR==2 {print $5}' | tr -d '%')
      echo "use=$use" >> "$STEWARD_OUTPUT"
      echo "the token is $TOKEN"
      echo "report for run $STEWARD_RUN_ID" > "$STEWARD_ARTIFACTS/report.txt"
  - id: judge
    name: Judge
    kind: command
    argv: [sh, -c, 'test "$0" -lt "$1" && echo "fine: $0 < $1"', "{{ steps.pick.outputs.use }}", "{{ params.warn_at }}"]
"#;

#[tokio::test]
async fn a_runbook_runs_its_steps_in_order_passing_outputs_masking_secrets_and_keeping_artefacts() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (s, _) = app
        .api(Method::PUT, "/api/v1/secrets/api_token", &admin, Some(json!({"value": "tok-SECRET-4242"})))
        .await;
    assert_eq!(s, 204);
    let secrets = get(&app, &agent, "/api/v1/secrets").await;
    assert_eq!(secrets["items"][0]["name"], "api_token");
    assert!(!secrets.to_string().contains("SECRET-4242"), "a secret is never shown back");
    // Agents run runbooks; they do not write them.
    let (s, _) = post(&app, &agent, "/api/v1/runbooks", json!({"definition": PIPELINE})).await;
    assert_eq!(s, 403);
    let id = import(&app, &admin, PIPELINE).await;
    let (s, dup) = post(&app, &admin, "/api/v1/runbooks", json!({"definition": PIPELINE})).await;
    assert_eq!((s, dup["error"]["field"].as_str()), (409, Some("name")), "{dup}");

    let (s, run) = start(&app, &agent, id, json!({"params": {"warn_at": 101}})).await;
    assert_eq!((s, run["error"]["field"].as_str()), (422, Some("params")), "{run}");
    let (s, run) = start(&app, &agent, id, json!({"params": {"warn_at": 100, "path": "/"}})).await;
    assert_eq!((s, run["state"].as_str()), (201, Some("queued")), "{run}");
    let run_id = run["id"].as_i64().unwrap();
    assert_eq!(run["params"]["token"], "api_token", "a secret parameter is stored by name");
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 1);

    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let steps = done["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["state"] == "succeeded" && s["exit_code"] == 0), "{done}");
    let use_ = steps[1]["outputs"]["outputs"]["use"].as_str().unwrap().parse::<i64>().unwrap();
    assert!((0..=100).contains(&use_));
    assert_eq!(steps[2]["outputs"]["stdout"], format!("fine: {use_} < 100"), "outputs reach later steps");
    assert_eq!(done["artifacts"][0]["name"], "report.txt");
    let text = output(&app, &agent, run_id).await;
    assert!(text.contains("the token is ***"), "{text}");
    assert!(!text.contains("SECRET-4242"), "masked in output: {text}");
    assert!(!done.to_string().contains("SECRET-4242"), "masked in outputs: {done}");
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/runbook-runs/{run_id}/artifacts/report.txt")))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), format!("report for run {run_id}\n"));

    // The record: asked for, started, finished — in the audit trail.
    let (_, auditor) = app.user_with_token("audit.or", "admin").await;
    let (_, events) =
        app.api(Method::GET, "/api/v1/audit/events?entity_type=runbook_run", &auditor, None).await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for a in ["request", "start", "finish"] {
        assert!(actions.contains(&a), "{a} in {events}");
    }
    // A run is claimed once: nothing is left to run.
    assert_eq!(app.app.runbooks().run_due("node-b").await.unwrap(), 0);
}

#[tokio::test]
async fn bad_definitions_and_bad_runs_get_clear_errors() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("grace.kim", "change_manager").await;
    for (yaml, field) in [
        ("name: x\nsteps: [", "definition"),
        ("name: x\nsteps:\n  - { id: a, kind: teleport }", "kind"),
        (
            "name: x\nsteps:\n  - { id: a, kind: command, argv: ['{{ steps.b.stdout }}'] }\n  - { id: b, kind: command, argv: [ls] }",
            "steps",
        ),
        (
            "name: x\nparams: [{ name: n, type: number, default: many }]\nsteps:\n  - { id: a, kind: command, argv: [ls] }",
            "params",
        ),
        ("name: x\nsteps:\n  - { id: a, kind: command, argv: [ls], timeout: 2d }", "timeout"),
    ] {
        let (s, e) = post(&app, &admin, "/api/v1/runbooks/validate", json!({"definition": yaml})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{yaml}: {e}");
    }
    let (s, e) = post(&app, &admin, "/api/v1/runbooks/validate", json!({"definition": "name: x\nsteps:\n  - { id: a, kind: command, argv: ['{{ steps.b.stdout }}'] }\n  - { id: b, kind: command, argv: [ls] }"})).await;
    assert!(s == 422 && e["error"]["message"].as_str().unwrap().contains("cyclic"), "{e}");
    let (s, ok) = post(&app, &admin, "/api/v1/runbooks/validate", json!({"definition": PIPELINE})).await;
    assert_eq!((s, ok["secrets"].clone()), (200, json!(["api_token"])), "{ok}");

    // A run whose secret is not in the store is refused, naming it.
    let id = import(&app, &admin, PIPELINE).await;
    let (s, e) = start(&app, &admin, id, json!({})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("secret")), "{e}");
    let (s, e) = start(&app, &admin, id, json!({"params": {"path": {"deep": 1}}})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("params")), "{e}");
    let (s, e) = start(&app, &admin, id, json!({"params": {"nope": "1"}})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("params")), "{e}");
    // A new version needs the version edited; a stale one is refused.
    let (s, v2) = app
        .api(Method::PUT, &format!("/api/v1/runbooks/{id}"), &admin, Some(json!({"definition": PIPELINE.replace("manual_minutes: 12", "manual_minutes: 15"), "version": 1})))
        .await;
    assert_eq!((s, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    let (s, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/runbooks/{id}"),
            &admin,
            Some(json!({"definition": PIPELINE, "version": 1})),
        )
        .await;
    assert_eq!(s, 412, "stale");
}

const SLOW: &str = r#"
name: Slow
concurrency: 5
steps:
  - id: spawn
    kind: command
    timeout: 2s
    script: |
      sleep 300 &
      echo "child=$!" >> "$STEWARD_OUTPUT"
      echo started
      sleep 300
"#;

fn alive(pid: i64) -> bool {
    // A killed child may linger as a zombie of the init process for a moment.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

#[tokio::test]
async fn a_step_that_never_ends_times_out_and_its_whole_process_group_is_killed() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("grace.kim", "change_manager").await;
    let id = import(&app, &admin, SLOW).await;
    let (_, run) = start(&app, &admin, id, json!({})).await;
    let run_id = run["id"].as_i64().unwrap();
    let began = std::time::Instant::now();
    app.app.runbooks().run_due("node-a").await.unwrap();
    assert!(began.elapsed() < std::time::Duration::from_secs(20), "the timeout stopped it");
    let done = get(&app, &admin, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(
        (done["state"].as_str(), done["steps"][0]["state"].as_str()),
        (Some("failed"), Some("timed_out")),
        "{done}"
    );
    let child: i64 = done["steps"][0]["outputs"]["outputs"]["child"].as_str().unwrap().parse().unwrap();
    for _ in 0..50 {
        if !alive(child) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!alive(child), "the background child {child} was killed with its group");
    assert!(output(&app, &admin, run_id).await.contains("started"));
}

#[tokio::test]
async fn a_running_step_is_cancelled_and_a_gigabyte_of_output_is_capped() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("grace.kim", "change_manager").await;
    let id = import(&app, &admin, &SLOW.replace("timeout: 2s", "timeout: 10m")).await;
    let (_, run) = start(&app, &admin, id, json!({})).await;
    let run_id = run["id"].as_i64().unwrap();
    let worker = {
        let app = app.app.clone();
        tokio::spawn(async move { app.runbooks().run_due("node-a").await })
    };
    // Once its output shows it running, cancel it.
    for _ in 0..100 {
        if output(&app, &admin, run_id).await.contains("started") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, c) = post(&app, &admin, &format!("/api/v1/runbook-runs/{run_id}/cancel"), json!({})).await;
    assert_eq!(s, 200, "{c}");
    tokio::time::timeout(std::time::Duration::from_secs(20), worker).await.unwrap().unwrap().unwrap();
    let done = get(&app, &admin, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(
        (done["state"].as_str(), done["steps"][0]["state"].as_str()),
        (Some("cancelled"), Some("cancelled")),
        "{done}"
    );
    let child: i64 = done["steps"][0]["outputs"]["outputs"]["child"].as_str().unwrap().parse().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!alive(child), "cancelling killed the process tree");
    let (s, _) = post(&app, &admin, &format!("/api/v1/runbook-runs/{run_id}/cancel"), json!({})).await;
    assert_eq!(s, 409, "a finished run cannot be cancelled");

    // One gigabyte of output: the run succeeds, the store keeps the head and the tail.
    let flood = r#"
name: Flood
steps:
  - id: flood
    kind: command
    output_limit: 64KiB
    script: "yes steward-output-line | head -c 1073741824; echo; echo the-very-end"
"#;
    let id = import(&app, &admin, flood).await;
    let (_, run) = start(&app, &admin, id, json!({})).await;
    let run_id = run["id"].as_i64().unwrap();
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &admin, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let text = output(&app, &admin, run_id).await;
    assert!(text.len() < 200 * 1024, "capped: {} bytes stored", text.len());
    assert!(text.contains("steward-output-line") && text.ends_with("the-very-end\n"), "head and tail kept");
    assert!(text.contains("bytes of output left out"), "says what was left out");
    let (s, _) = app.api(Method::GET, "/api/v1/runbooks", &admin, None).await;
    assert_eq!(s, 200, "the server stays fine");
}

#[tokio::test]
async fn a_gated_run_waits_for_its_approvers_and_a_rejection_needs_a_reason() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, other) = app.user_with_token("zhang.min", "agent").await;
    let gated = "name: Restart billing\napproval: { role: change_manager, quorum: 1 }\nsteps:\n  - { id: go, kind: command, argv: [echo, restarted] }\n";
    let id = import(&app, &admin, gated).await;
    let (s, run) = start(&app, &agent, id, json!({})).await;
    assert_eq!((s, run["state"].as_str()), (201, Some("awaiting_approval")), "{run}");
    let run_id = run["id"].as_i64().unwrap();
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 0, "a waiting run does not run");
    let path = format!("/api/v1/runbook-runs/{run_id}/decision");
    let (s, _) = post(&app, &agent, &path, json!({"approve": true})).await;
    assert_eq!(s, 403, "nobody approves their own run");
    let (s, _) = post(&app, &other, &path, json!({"approve": true})).await;
    assert_eq!(s, 403, "only the gate's approvers decide");
    let (s, e) = post(&app, &admin, &path, json!({"approve": false})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("comment")), "{e}");
    let (s, d) = post(&app, &admin, &path, json!({"approve": true, "comment": "go"})).await;
    assert_eq!((s, d["state"].as_str()), (200, Some("queued")), "{d}");
    let (s, _) = post(&app, &admin, &path, json!({"approve": true})).await;
    assert_eq!(s, 409, "decided already");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["approvals"][0]["approver"], "grace.kim");

    // A rejected run never runs.
    let (_, run) = start(&app, &agent, id, json!({})).await;
    let path = format!("/api/v1/runbook-runs/{}/decision", run["id"]);
    let (s, d) = post(&app, &admin, &path, json!({"approve": false, "comment": "not during the sale"})).await;
    assert_eq!((s, d["state"].as_str()), (200, Some("rejected")), "{d}");
    assert_eq!(app.app.runbooks().run_due("node-a").await.unwrap(), 0);
}

#[tokio::test]
async fn failures_go_on_or_roll_back_and_a_gated_step_waits_for_its_approver() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let yaml = r#"
name: Careful
steps:
  - { id: first, kind: command, argv: [sh, -c, "exit 3"], on_failure: continue }
  - { id: gate, kind: command, argv: [echo, gated], approval: { role: change_manager } }
  - { id: breaks, kind: command, argv: [sh, -c, "exit 4"], on_failure: rollback }
  - { id: never, kind: command, argv: [echo, never] }
rollback:
  - { id: undo, kind: command, argv: [echo, "undo after {{ steps.breaks.exit_code }}"] }
"#;
    let id = import(&app, &manager, yaml).await;
    let (s, run) = start(&app, &agent, id, json!({})).await;
    assert_eq!((s, run["state"].as_str()), (201, Some("queued")), "{run}");
    let run_id = run["id"].as_i64().unwrap();
    app.app.runbooks().run_due("node-a").await.unwrap();
    let waiting = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    assert_eq!(waiting["state"], "awaiting_approval", "{waiting}");
    assert_eq!(
        (waiting["steps"][0]["state"].as_str(), waiting["steps"][1]["state"].as_str()),
        (Some("failed"), Some("awaiting_approval"))
    );
    assert!(waiting["waiting_for"].as_str().unwrap().contains("change_manager"), "{waiting}");
    let (s, d) =
        post(&app, &manager, &format!("/api/v1/runbook-runs/{run_id}/decision"), json!({"approve": true}))
            .await;
    assert_eq!((s, d["state"].as_str()), (200, Some("queued")), "{d}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &agent, &format!("/api/v1/runbook-runs/{run_id}")).await;
    let states: Vec<&str> =
        done["steps"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["failed", "succeeded", "failed", "skipped", "succeeded"], "{done}");
    assert_eq!(done["state"], "failed");
    assert!(done["detail"].as_str().unwrap().contains("rolled back"), "{done}");
    assert!(output(&app, &agent, run_id).await.contains("undo after 4"));
    assert_eq!(done["approvals"][0]["step"], "gate");
}

#[tokio::test]
async fn a_run_gated_by_an_approver_group_needs_its_quorum_of_members() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (a, lead_a) = app.user_with_token("wang.fang", "team_lead").await;
    let (b, lead_b) = app.user_with_token("omar.haddad", "team_lead").await;
    let (_, outsider) = app.user_with_token("chen.jie", "team_lead").await;
    let (s, g) = post(
        &app,
        &manager,
        "/api/v1/approver-groups",
        json!({"name": "Ops leads", "rule": "quorum", "quorum": 2, "members": [a.id, b.id]}),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    let id = import(&app, &manager, "name: Failover\napproval: { group: Ops leads, quorum: 2 }\nsteps:\n  - { id: go, kind: command, argv: [echo, failed over] }\n").await;
    let (_, run) = start(&app, &agent, id, json!({})).await;
    let path = format!("/api/v1/runbook-runs/{}/decision", run["id"]);
    let (s, _) = post(&app, &outsider, &path, json!({"approve": true})).await;
    assert_eq!(s, 403, "not a member of the group");
    let (s, d) = post(&app, &lead_a, &path, json!({"approve": true})).await;
    assert_eq!((s, d["state"].as_str()), (200, Some("awaiting_approval")), "one of two: {d}");
    let (s, d) = post(&app, &lead_b, &path, json!({"approve": true})).await;
    assert_eq!((s, d["state"].as_str()), (200, Some("queued")), "the quorum: {d}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    assert_eq!(get(&app, &agent, &format!("/api/v1/runbook-runs/{}", run["id"])).await["state"], "succeeded");
}

#[tokio::test]
async fn the_built_in_backup_archives_a_folder_and_keeps_only_what_retention_allows() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user_with_token("grace.kim", "change_manager").await;
    let (src, dest) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(src.path().join("payroll.csv"), "id,amount\n1,100\n").unwrap();
    // An archive from long ago, past any retention.
    let old = dest.path().join("backup-20200101T000000Z-1.tar.gz");
    std::fs::write(&old, b"old").unwrap();
    let touched = std::process::Command::new("touch").args(["-d", "2020-01-01"]).arg(&old).status().unwrap();
    assert!(touched.success());
    let list = get(&app, &manager, "/api/v1/runbooks").await;
    let backup = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Backup a folder")
        .expect("the library");
    let params = json!({"path": src.path().display().to_string(), "dest": dest.path().display().to_string(), "keep_days": 7});
    let (s, run) = start(&app, &manager, backup["id"].as_i64().unwrap(), json!({"params": params})).await;
    assert_eq!(s, 201, "{run}");
    app.app.runbooks().run_due("node-a").await.unwrap();
    let done = get(&app, &manager, &format!("/api/v1/runbook-runs/{}", run["id"])).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let archive = done["steps"][0]["outputs"]["outputs"]["archive"].as_str().unwrap().to_owned();
    let listing = std::process::Command::new("tar").arg("-tzf").arg(&archive).output().unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains("payroll.csv"), "the archive holds the folder");
    assert!(!old.exists(), "retention deleted the old archive");
    assert!(
        output(&app, &manager, run["id"].as_i64().unwrap())
            .await
            .contains("backup-20200101T000000Z-1.tar.gz")
    );
}
