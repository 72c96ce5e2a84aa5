//! What an operator relies on: acknowledged writes survive `kill -9`, and a backup restores
//! into a fresh folder (or an empty database), verifies, and serves.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use steward_test_support::TestDb;

use crate::server::{Server, run, steward, text};

const PASSWORD: &str = "a long admin password";

fn with_admin(db: &TestDb) -> std::process::Command {
    let mut cmd = steward(db);
    cmd.env("STEWARD_ADMIN_PASSWORD", PASSWORD);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_kill_9() {
    let db = TestDb::new().await;
    let mut server = Server::start(with_admin(&db));
    let token = server.token("admin", PASSWORD).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let client = reqwest::Client::new();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, token, url, acknowledged) =
            (client.clone(), token.clone(), server.url("/api/v1/incidents"), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            // Bounded: at most 400 creates per writer, ended sooner by the kill.
            for n in 0..400 {
                let body = json!({ "title": format!("burst {w}-{n}") });
                let Ok(response) = client.post(&url).bearer_auth(&token).json(&body).send().await else {
                    break;
                };
                if response.status() != 201 {
                    break;
                }
                let Ok(created) = response.json::<Value>().await else { break };
                acknowledged.lock().unwrap().push(created["id"].as_i64().unwrap());
            }
        }));
    }
    // Kill mid-burst, once some creates are in.
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200);

    let server = Server::start(with_admin(&db));
    let token = server.token("admin", PASSWORD).await;
    for id in &acknowledged {
        let response =
            client.get(server.url(&format!("/api/v1/incidents/{id}"))).bearer_auth(&token).send().await;
        assert_eq!(response.unwrap().status(), 200, "acknowledged incident {id} was lost");
    }
    drop(server);
    let mut verify = steward(&db);
    verify.args(["audit", "verify", "--state"]);
    let out = run(verify, "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

/// Alertmanager retries what it was not answered; what was answered must be there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_alerts_survive_kill_9_mid_burst() {
    let db = TestDb::new().await;
    let mut server = Server::start(with_admin(&db));
    let token = server.token("admin", PASSWORD).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::new();
    let mut senders = Vec::new();
    for s in 0..4 {
        let (client, token, url, acknowledged) =
            (client.clone(), token.clone(), server.url("/hooks/alertmanager"), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            // Bounded: at most 100 webhooks of 50 alerts per sender, ended sooner by the kill.
            for n in 0..100 {
                let fingerprints: Vec<String> = (0..50).map(|i| format!("{s:02x}{n:04x}{i:04x}")).collect();
                let alerts: Vec<Value> = fingerprints
                    .iter()
                    .map(|f| json!({ "status": "firing", "labels": { "alertname": "Burst", "instance": format!("h-{f}"), "severity": "warning" },
                                     "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f }))
                    .collect();
                let body = json!({ "version": "4", "groupKey": format!("burst-{s}"), "status": "firing", "alerts": alerts });
                let Ok(response) = client.post(&url).bearer_auth(&token).json(&body).send().await else { break };
                if response.status() != 200 {
                    break;
                }
                acknowledged.lock().unwrap().extend(fingerprints);
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 2_000 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.kill();
    for s in senders {
        s.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let server = Server::start(with_admin(&db));
    drop(server);
    let kept: std::collections::HashSet<String> = sqlx::query_scalar("SELECT fingerprint FROM alerts")
        .fetch_all(&db.raw_pool().await)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|f| !kept.contains(*f)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged alerts lost, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        lost.first()
    );
    let mut verify = steward(&db);
    verify.args(["audit", "verify", "--state"]);
    let out = run(verify, "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_a_fresh_place_verifies_and_serves() {
    let db = TestDb::new().await;
    drop(Server::start(with_admin(&db)));
    let mut demo = steward(&db);
    demo.arg("demo");
    assert!(run(demo, "").status.success());
    let server = Server::start(with_admin(&db));
    let token = server.token("admin", PASSWORD).await;
    let client = reqwest::Client::new();
    let body = json!({ "title": "Backed-up printer fire" });
    let created: Value = client
        .post(server.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file = db.dir.path().join("backups/steward.backup");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // Online: the server keeps serving during the backup.
    let mut backup = steward(&db);
    backup.arg("backup").arg(&file);
    let out = run(backup, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut again = steward(&db);
    again.arg("backup").arg(&file);
    let out = run(again, "");
    assert_eq!(out.status.code(), Some(1), "an existing backup is never overwritten");
    assert!(text(&out.stderr).contains("already exists"), "{}", text(&out.stderr));
    drop(server);

    let fresh = TestDb::new().await;
    let key = db.dir.path().join("steward-data/anchor.key");
    let restore_into = |what: &TestDb| {
        let mut cmd = steward(what);
        cmd.env("STEWARD_ANCHOR_KEY_FILE", &key).arg("restore").arg(&file);
        cmd
    };
    let out = run(restore_into(&fresh), "");
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("state matches the events"), "{said}");
    assert_eq!(run(restore_into(&fresh), "").status.code(), Some(1), "never over a database in use");

    let server = Server::start(with_admin(&fresh));
    let token = server.token("admin", PASSWORD).await;
    let got: Value = client
        .get(server.url(&format!("/api/v1/incidents/{}", created["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "Backed-up printer fire");
}
