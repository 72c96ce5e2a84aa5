//! The command line: users, teams, tokens, the audit check, configuration and errors.

use serde_json::Value;
use steward_test_support::TestDb;

use crate::server::{Server, run, steward, text};

#[test]
fn version_is_printed() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward")).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), format!("steward {}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn users_and_teams_are_created_from_the_command_line() {
    let db = TestDb::new().await;
    let mut team = steward(&db);
    team.args(["team", "create", "--name", "Service Desk"]);
    assert!(run(team, "").status.success());

    let mut create = steward(&db);
    create.args([
        "user",
        "create",
        "--username",
        "alice",
        "--role",
        "agent",
        "--team",
        "service desk",
        "--password-stdin",
    ]);
    let out = run(create, "alice's long password\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created user alice"));

    // Global flags are accepted after the subcommand too.
    let mut list = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    list.args(["user", "list", "--database-url", &db.url]);
    let out = run(list, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("alice") && text(&out.stdout).contains("agent"));

    let mut teams = steward(&db);
    teams.args(["team", "list"]);
    assert!(text(&run(teams, "").stdout).contains("Service Desk"));
    let store = db.store().await;
    let listed = store.list_teams().await.unwrap();
    assert_eq!(listed[0].members[0].username.as_str(), "alice");
}

#[tokio::test]
async fn bad_input_fails_with_a_message_naming_the_problem() {
    let db = TestDb::new().await;
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["user", "create", "--username", "bob", "--role", "wizard", "--password-stdin"],
            "a long password\n",
            "role: unknown role `wizard`",
        ),
        (
            vec!["user", "create", "--username", "bob", "--role", "agent", "--password-stdin"],
            "short\n",
            "password: a password must be at least",
        ),
        (
            vec!["user", "create", "--username", "bob", "--role", "agent", "--password-stdin"],
            "",
            "password: nothing was given",
        ),
        (
            vec!["user", "create", "--username", "b b", "--role", "agent", "--password-stdin"],
            "a long password\n",
            "username:",
        ),
        (
            vec![
                "user",
                "create",
                "--username",
                "bob",
                "--role",
                "agent",
                "--team",
                "Nope",
                "--password-stdin",
            ],
            "a long password\n",
            "team: no team named `Nope`",
        ),
        (vec!["token", "create", "--user", "ghost", "--scope", "read"], "", "user: no user named `ghost`"),
    ];
    for (args, stdin, expected) in cases {
        let mut cmd = steward(&db);
        cmd.args(&args);
        let out = run(cmd, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains(expected), "{args:?}: {}", text(&out.stderr));
    }
    let mut list = steward(&db);
    list.args(["user", "list"]);
    assert!(!text(&run(list, "").stdout).contains("bob"), "nothing was half-created");

    let mut missing_flag = steward(&db);
    missing_flag.args(["user", "create", "--username", "bob", "--role", "agent"]);
    let out = run(missing_flag, "");
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    assert!(text(&out.stderr).contains("--password-stdin"));
}

#[tokio::test]
async fn audit_verify_names_the_tampered_row() {
    let db = TestDb::new().await;
    for name in ["ann", "ben", "cat"] {
        let mut cmd = steward(&db);
        cmd.args(["user", "create", "--username", name, "--role", "agent", "--password-stdin"]);
        assert!(run(cmd, "a long password\n").status.success());
    }
    let mut verify = steward(&db);
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("3 events verified"), "{}", text(&out.stdout));

    let raw = db.raw_pool().await;
    sqlx::query("UPDATE events SET after_json = replace(after_json, 'ben', 'eve') WHERE seq = 2")
        .execute(&raw)
        .await
        .unwrap();
    let mut verify = steward(&db);
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("event 2 was edited"), "{}", text(&out.stderr));

    sqlx::query("DELETE FROM events WHERE seq = 2").execute(&raw).await.unwrap();
    let mut verify = steward(&db);
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("event 2 is missing"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn first_start_prints_the_admin_login_and_cli_tokens_work() {
    let db = TestDb::new().await;
    let server = Server::start(steward(&db));
    let banner = server.banner.join("\n");
    let password = banner
        .split("with password: ")
        .nth(1)
        .expect("generated password printed")
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();

    let client = reqwest::Client::new();
    let login = client
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "admin", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    let mut token = steward(&db);
    token.args(["token", "create", "--user", "admin", "--scope", "read,metrics", "--expires", "1d"]);
    let out = run(token, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let secret = text(&out.stdout).trim().to_owned();
    let me: Value =
        client.get(server.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["scopes"], serde_json::json!(["read", "metrics"]));
    let metrics = client.get(server.url("/metrics")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    drop(server);

    // A second start finds the admin and prints no password.
    let again = Server::start(steward(&db));
    assert!(!again.banner.join("\n").contains("password"));
}

#[test]
fn the_embedded_default_lives_in_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.current_dir(dir.path()).env_remove("STEWARD_DATABASE_URL").env_remove("STEWARD_DATA");
    cmd.args(["migrate"]);
    let out = run(cmd, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("steward-data/steward.db").is_file());

    let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    other.current_dir(dir.path()).args(["--data", "elsewhere", "migrate"]);
    assert!(run(other, "").status.success());
    assert!(dir.path().join("elsewhere/steward.db").is_file());
}

#[test]
fn configuration_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("steward.toml"), "listen = \"127.0.0.1:9\"\nsesion_ttl = \"1h\"\n")
        .unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.current_dir(dir.path()).arg("migrate");
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("sesion_ttl"), "{}", text(&out.stderr));

    std::fs::write(dir.path().join("steward.toml"), "session_ttl = \"forever\"\n").unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.current_dir(dir.path()).arg("migrate");
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("session_ttl"), "{}", text(&out.stderr));

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.current_dir(dir.path())
        .env("STEWARD_LOG_FORMAT", "xml")
        .arg("--config")
        .arg("/nonexistent.toml")
        .arg("migrate");
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent.toml"), "{}", text(&out.stderr));

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.current_dir(dir.path()).args(["--database-url", "mysql://x/y", "migrate"]);
    std::fs::remove_file(dir.path().join("steward.toml")).unwrap();
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unsupported database URL"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn demo_data_seeds_a_living_service_desk_once() {
    let db = TestDb::new().await;
    let mut demo = steward(&db);
    demo.arg("demo");
    let out = run(demo, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("steward-demo"));
    let mut again = steward(&db);
    again.arg("demo");
    assert!(text(&run(again, "").stdout).contains("not seeded"));

    let store = db.store().await;
    let all = store
        .list_tickets(
            &steward_store::TicketQuery {
                limit: 200,
                ..steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Incident)
            },
            steward_store::Visibility::All,
        )
        .await
        .unwrap();
    let mut states: Vec<&str> = all.items.iter().map(|t| t.state.as_str()).collect();
    states.sort();
    states.dedup();
    assert_eq!(
        states,
        vec!["assigned", "cancelled", "closed", "in_progress", "new", "on_hold", "resolved"],
        "every state"
    );
    let with_replies = all.items.iter().filter(|t| t.state == steward_core::tickets::State::Closed).count();
    assert!(with_replies >= 2);
    assert!(all.items.iter().any(|t| t.parent_id.is_some()), "a major incident with children");
    let mail = store.ci_by_external_id("srv-mail01").await.unwrap().expect("a demo CMDB");
    assert_eq!(store.downstream_by_cte(mail.id, 6).await.unwrap().len(), 2, "Exchange and the Email service");
    assert_eq!(store.open_incidents_on(&[mail.id]).await.unwrap().len(), 1, "the major incident names it");
    let now = jiff::Timestamp::now();
    let outages = store
        .outages(now.checked_sub(jiff::SignedDuration::from_hours(24)).unwrap(), now, None)
        .await
        .unwrap();
    assert_eq!(outages.len(), 1, "the email outage shows in availability");
    assert!(store.verify_event_chain().await.unwrap().is_ok());
}

#[tokio::test]
async fn the_cmdb_imports_and_exports_from_the_command_line() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("cis.csv");
    std::fs::write(
        &good,
        "external_id,class,name,hostname\nsrv-1,server,web01,web01\nsvc-1,business_service,Payroll,\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "external_id,class,name,hostname\nsrv-2,server,web02,web02\nsrv-3,spaceship,x,\n")
        .unwrap();
    let rels = dir.path().join("rels.csv");
    std::fs::write(&rels, "from,kind,to\nsvc-1,depends_on,srv-1\n").unwrap();

    let mut dry = steward(&db);
    dry.args(["import", "cmdb"]).arg(&good).arg("--dry-run");
    let out = run(dry, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 CIs would be created") && text(&out.stdout).contains("dry run"));
    let mut wrong = steward(&db);
    wrong.args(["import", "cmdb"]).arg(&bad);
    let out = run(wrong, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("row 3, column `class`: unknown class `spaceship`"),
        "{}",
        text(&out.stderr)
    );
    for file in [&good, &rels] {
        let mut import = steward(&db);
        import.args(["import", "cmdb"]).arg(file);
        let out = run(import, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut export = steward(&db);
    export.args(["export", "cmdb", "--format", "csv", "--relations"]);
    let out = run(export, "");
    assert_eq!(text(&out.stdout).trim(), "from,kind,to\nsvc-1,depends_on,srv-1");
    let store = db.store().await;
    assert_eq!(
        store.list_cis(&steward_store::CiQuery { limit: 10, ..Default::default() }).await.unwrap().len(),
        2,
        "web02 never written"
    );
}

#[tokio::test]
async fn knowledge_articles_import_and_export_from_the_command_line() {
    let db = TestDb::new().await;
    let mut create = steward(&db);
    create.args(["user", "create", "--username", "km", "--role", "agent", "--password-stdin"]);
    assert!(run(create, "a long enough password\n").status.success());
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("kb.jsonl");
    std::fs::write(
        &lines,
        concat!(
            r#"{"title": "Reset the VPN password", "body": "Use the **portal**.", "tags": ["vpn"], "audience": "requesters", "state": "published"}"#,
            "\n",
            r#"{"title": "打印机卡纸", "body": "打开二号纸盒。", "lang": "zh-CN", "category": "打印"}"#,
            "\n"
        ),
    )
    .unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"title\": \"ok\", \"body\": \"fine\"}\n{\"title\": \"x\", \"body\": \"y\", \"audience\": \"all\"}\n{\"nope\": 1}\n").unwrap();
    let folder = dir.path().join("md");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("outlook.md"),
        "---\ntitle: Outlook asks for a password\ntags: [mail, outlook]\n---\n\nClear the stored password.\n",
    )
    .unwrap();
    std::fs::write(folder.join("wifi.md"), "# 无线网络连不上\n\n忘记网络后重新连接。\n").unwrap();

    let mut wrong = steward(&db);
    wrong.args(["import", "kb"]).arg(&bad).args(["--owner", "km"]);
    let out = run(wrong, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("line 3:") && text(&out.stderr).contains("nothing imported"),
        "{}",
        text(&out.stderr)
    );
    let mut wrong = steward(&db);
    wrong.args(["import", "kb"]).arg(&bad).args(["--owner", "nobody"]);
    assert_eq!(run(wrong, "").status.code(), Some(1), "an unknown owner is refused");
    for path in [&lines, &folder] {
        let mut import = steward(&db);
        import.args(["import", "kb"]).arg(path).args(["--owner", "km"]);
        let out = run(import, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("2 articles imported"), "{}", text(&out.stdout));
    }
    let mut export = steward(&db);
    export.args(["export", "kb"]);
    let out = run(export, "");
    let exported: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported.len(), 4, "{}", text(&out.stdout));
    assert_eq!(
        (exported[0]["state"].as_str(), exported[0]["audience"].as_str()),
        (Some("published"), Some("requesters"))
    );
    assert_eq!(
        (exported[1]["lang"].as_str(), exported[3]["title"].as_str()),
        (Some("zh-CN"), Some("无线网络连不上"))
    );
    assert_eq!(exported[2]["tags"], serde_json::json!(["mail", "outlook"]));
}

#[test]
fn search_ranks_the_judged_queries_better_than_sqlite_fts5() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("docs/bench/relevance");
    let out = tempfile::tempdir().unwrap();
    let rankings = out.path().join("rankings.json");
    let ranked = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["bench", "relevance", "--dir"])
        .arg(&dir)
        .arg("--out")
        .arg(&rankings)
        .output()
        .unwrap();
    assert!(ranked.status.success(), "{}", text(&ranked.stderr));
    // compare.py exits 1 unless Steward's nDCG@10 leads FTS5's by more than the margin.
    let compared = std::process::Command::new("python3")
        .arg(dir.join("compare.py"))
        .arg("--steward")
        .arg(&rankings)
        .args(["--min-lead", "0.1"])
        .output()
        .expect("python3 (./scripts/test installs it)");
    assert!(compared.status.success(), "{}{}", text(&compared.stdout), text(&compared.stderr));
    assert!(text(&compared.stdout).contains("| steward nDCG@10 |"), "{}", text(&compared.stdout));
}

#[tokio::test]
async fn deployments_are_recorded_from_the_command_line() {
    let db = TestDb::new().await;
    let mut create = steward(&db);
    create.args(["user", "create", "--username", "jenkins", "--role", "agent", "--password-stdin"]);
    assert!(run(create, "jenkins's long password\n").status.success());
    let dir = tempfile::tempdir().unwrap();
    let cis = dir.path().join("cis.csv");
    std::fs::write(&cis, "external_id,class,name,hostname\nsrv-1,server,web01,web01\n").unwrap();
    let mut import = steward(&db);
    import.args(["import", "cmdb"]).arg(&cis);
    assert!(run(import, "").status.success());

    let mut record = steward(&db);
    record.args(["change", "record", "--ci", "web01", "--version", "3.1.0", "--user", "jenkins"]);
    record.args(["--commit-url", "https://git.example/web/commit/1"]);
    let out = run(record, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("CHG000001 recorded (closed)"), "{}", text(&out.stdout));

    let mut unknown = steward(&db);
    unknown.args(["change", "record", "--ci", "nowhere", "--version", "1", "--user", "jenkins"]);
    let out = run(unknown, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cis: no CI is named `nowhere`"), "{}", text(&out.stderr));
    let mut bad = steward(&db);
    bad.args([
        "change",
        "record",
        "--ci",
        "web01",
        "--version",
        "1",
        "--status",
        "exploded",
        "--user",
        "jenkins",
    ]);
    let out = run(bad, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--status"), "{}", text(&out.stderr));
}

#[test]
fn a_runbook_file_is_validated_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "name: Ping\nsteps:\n  - { id: ping, kind: command, argv: [echo, pong] }\n")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["runbook", "validate"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Ping: valid") && text(&out.stdout).contains("ping (command)"));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: Loop\nsteps:\n  - { id: a, kind: command, argv: ['{{ steps.a.stdout }}'] }\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["runbook", "validate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("steps:") && text(&out.stderr).contains("cyclic"),
        "{}",
        text(&out.stderr)
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["runbook", "validate", "/nonexistent/runbook.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a missing file is not a crash");
}
