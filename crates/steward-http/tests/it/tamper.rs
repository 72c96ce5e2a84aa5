//! Tampering that the hash chain alone cannot catch, caught by the signed anchors outside the
//! database: deleting the newest events and moving the head back, and editing an event then
//! recomputing every hash after it (issue 16). Each case first shows the chain still verifies.

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::AppConfig;
use steward_app::audit::{AnchorCheck, AnchorConfig, AnchorKey, Anchoring, append_anchor, read_anchors};
use steward_core::audit::chain_hash;
use steward_http::HttpConfig;
use steward_store::EventFilter;
use steward_test_support::TestApp;

struct Desk {
    app: TestApp,
    admin: String,
    anchors: AnchorConfig,
    _dir: tempfile::TempDir,
}

/// A desk with a dozen events, all anchored.
async fn anchored_desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let anchors = AnchorConfig {
        key: AnchorKey::File(dir.path().join("keys/anchor.key")),
        log: dir.path().join("anchors.log"),
        every_events: 4,
        every: jiff::SignedDuration::from_secs(60),
        syslog: Some(dir.path().join("syslog.sock")),
    };
    // A syslog socket that receives the anchors as the system's would.
    let syslog = std::os::unix::net::UnixDatagram::bind(dir.path().join("syslog.sock")).unwrap();
    syslog.set_nonblocking(true).unwrap();
    let config = AppConfig { anchors: Some(anchors.clone()), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let mut anchoring = Anchoring::open(anchors.clone()).unwrap();
    for n in 0..6 {
        let body = json!({ "title": format!("Printer {n} jammed") });
        assert_eq!(app.api(Method::POST, "/api/v1/incidents", &admin, Some(body)).await.0, 201);
        app.app.anchor_if_due(&mut anchoring, false).await.unwrap();
    }
    app.app.anchor_if_due(&mut anchoring, true).await.unwrap();
    let log = read_anchors(&anchors.log).unwrap();
    assert!(log.len() >= 2, "anchored every few events: {log:?}");
    assert_eq!(log.last().unwrap().seq, app.app.store().event_head().await.unwrap(), "and at the head");
    let mut buf = vec![0; 4096];
    let mut sent = Vec::new();
    while let Ok(n) = syslog.recv(&mut buf) {
        sent.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(sent.len(), log.len(), "each anchor also went to syslog: {sent:?}");
    assert!(sent[0].starts_with("<134>steward[") && sent[0].contains(&log[0].signature), "{}", sent[0]);
    Desk { app, admin, anchors, _dir: dir }
}

async fn verdict(desk: &Desk) -> (bool, AnchorCheck, Value) {
    let chain = desk.app.app.audit().verify(None).await.unwrap().is_ok();
    let anchors = desk.app.app.audit().check_anchors().await.unwrap();
    let (_, api) = desk.app.api(Method::GET, "/api/v1/audit/verify", &desk.admin, None).await;
    (chain, anchors, api)
}

#[tokio::test]
async fn an_untouched_trail_holds_its_anchors() {
    let desk = anchored_desk().await;
    let (chain, anchors, api) = verdict(&desk).await;
    assert!(chain);
    assert!(matches!(anchors, AnchorCheck::Held { anchors, .. } if anchors >= 2), "{anchors:?}");
    assert_eq!((api["ok"].as_bool(), api["anchors"]["status"].as_str()), (Some(true), Some("held")), "{api}");
}

#[tokio::test]
async fn deleting_the_newest_events_and_moving_the_head_back_is_caught() {
    let desk = anchored_desk().await;
    let head = desk.app.app.store().event_head().await.unwrap();
    let keep = head - 3;
    let raw = desk.app.db.raw_pool().await;
    let hash: String = sqlx::query_scalar("SELECT hash FROM events WHERE seq = $1")
        .bind(keep)
        .fetch_one(&raw)
        .await
        .unwrap();
    sqlx::query("DELETE FROM events WHERE seq > $1").bind(keep).execute(&raw).await.unwrap();
    sqlx::query("UPDATE event_chain SET seq = $1, hash = $2 WHERE id = 1")
        .bind(keep)
        .bind(hash)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let (chain, anchors, api) = verdict(&desk).await;
    assert!(chain, "the chain alone cannot tell");
    assert!(
        matches!(&anchors, AnchorCheck::Broken { seq, reason } if *seq > keep && reason.contains("removed")),
        "{anchors:?}"
    );
    assert_eq!(
        (api["ok"].as_bool(), api["anchors"]["status"].as_str()),
        (Some(false), Some("broken")),
        "{api}"
    );
}

#[tokio::test]
async fn editing_an_event_and_recomputing_the_chain_is_caught() {
    let desk = anchored_desk().await;
    let filter = EventFilter { entity_type: None, entity_id: None, before_seq: None, limit: 1000 };
    let mut events = desk.app.app.store().list_events(&filter).await.unwrap();
    events.reverse();
    let raw = desk.app.db.raw_pool().await;
    let mut prev = String::new();
    for (i, logged) in events.iter().enumerate() {
        let mut event = logged.event.clone();
        if i == 0 {
            prev = logged.prev_hash.clone();
        }
        if event.seq == 3 {
            event.actor_name = "mallory".into();
        }
        let hash = chain_hash(&prev, &event);
        sqlx::query("UPDATE events SET actor_name = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&event.actor_name)
            .bind(&prev)
            .bind(&hash)
            .bind(event.seq)
            .execute(&raw)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE event_chain SET hash = $1 WHERE id = 1").bind(&prev).execute(&raw).await.unwrap();
    raw.close().await;
    let (chain, anchors, api) = verdict(&desk).await;
    assert!(chain, "a recomputed chain verifies");
    assert!(
        matches!(&anchors, AnchorCheck::Broken { reason, .. } if reason.contains("rewritten")),
        "{anchors:?}"
    );
    assert_eq!(api["ok"], false, "{api}");
}

#[tokio::test]
async fn anchors_signed_with_another_key_or_gone_are_caught() {
    let desk = anchored_desk().await;
    let (seq, hash) = desk.app.app.store().event_chain_head().await.unwrap();
    let forger = AnchorKey::Seed("11".repeat(32)).signing_key().unwrap();
    append_anchor(&desk.anchors.log, &forger, seq, &hash, jiff::Timestamp::now()).unwrap();
    let (_, anchors, _) = verdict(&desk).await;
    assert!(
        matches!(&anchors, AnchorCheck::Broken { reason, .. } if reason.contains("signature")),
        "{anchors:?}"
    );
    // An empty log while events are older than two anchoring periods.
    std::fs::write(&desk.anchors.log, "").unwrap();
    let raw = desk.app.db.raw_pool().await;
    sqlx::query("UPDATE events SET at = at - 600000").execute(&raw).await.unwrap();
    raw.close().await;
    let anchors = desk.app.app.audit().check_anchors().await.unwrap();
    assert!(
        matches!(&anchors, AnchorCheck::Broken { reason, .. } if reason.contains("missing")),
        "{anchors:?}"
    );
}

/// Rows changed behind Steward's back (no event written) are named by the state check, which
/// replays the log; on the demo desk, untouched, it finds nothing.
#[tokio::test]
async fn direct_table_edits_are_named_by_the_state_check() {
    let app = TestApp::spawn().await;
    app.app.seed_demo_with_history(20).await.unwrap();
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, cis) = app.api(Method::GET, "/api/v1/cis?limit=2", &admin, None).await;
    let (a, b) = (cis["items"][0]["id"].clone(), cis["items"][1]["id"].clone());
    let body = json!({ "from": a, "to": b, "kind": "depends_on" });
    assert_eq!(app.api(Method::POST, "/api/v1/ci-relations", &admin, Some(body)).await.0, 201);
    let clean = app.app.audit().check_state().await.unwrap();
    assert_eq!(clean, Vec::new(), "the untouched desk matches its events");
    let raw = app.db.raw_pool().await;
    for sql in [
        "UPDATE tickets SET priority = 1, title = 'quietly edited' WHERE id = 2",
        "UPDATE users SET role = 'admin' WHERE username = 'liu.yang'",
        "DELETE FROM ci_relations WHERE id = (SELECT MAX(id) FROM ci_relations)",
        "INSERT INTO team_members (team_id, user_id, added_at) VALUES (1, (SELECT id FROM users WHERE username = 'root'), 0)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&raw).await.unwrap();
    }
    raw.close().await;
    let found: Vec<(&str, String)> =
        app.app.audit().check_state().await.unwrap().into_iter().map(|d| (d.entity, d.what)).collect();
    for (entity, what) in
        [("ticket", "title"), ("user", "role"), ("relation", "row missing"), ("team", "members")]
    {
        assert!(found.iter().any(|(e, w)| *e == entity && w.contains(what)), "{entity} {what}: {found:?}");
    }
    assert_eq!(found.len(), 4, "{found:?}");
    let (_, api) = app.api(Method::GET, "/api/v1/audit/verify?state=true", &admin, None).await;
    assert_eq!((api["ok"].as_bool(), api["state"].as_array().map(Vec::len)), (Some(false), Some(4)), "{api}");
}

/// A restore without the key must not start signing with a new one (every old anchor would then
/// look forged): anchoring stays off and verification says the key is missing.
#[tokio::test]
async fn a_missing_key_is_named_not_replaced() {
    let desk = anchored_desk().await;
    let AnchorKey::File(key) = &desk.anchors.key else { unreachable!("a key file") };
    std::fs::remove_file(key).unwrap();
    let refused = Anchoring::open(desk.anchors.clone()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("key") && refused.contains("missing"), "{refused}");
    assert!(!key.exists(), "no new key was made");
    let check = desk.app.app.audit().check_anchors().await.unwrap();
    assert!(
        matches!(&check, AnchorCheck::Broken { reason, .. } if reason.contains("key is missing")),
        "{check:?}"
    );
}
