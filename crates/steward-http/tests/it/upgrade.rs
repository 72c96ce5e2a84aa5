//! A desk written by the Steward of before typed events (commit d25d3a6 with its clock fix, by
//! `tests/fixtures/make-upgrade-fixture.sh`) opens with today's code, its event chain verifies,
//! and it reads back exactly as that Steward read it: every incident's record, activity, SLA
//! clocks and page history (in both languages), every CI as of each of its changes, the reports
//! and the audit trail. The expected answers were recorded by the same old code
//! (`upgrade.<backend>.json`, with `STEWARD_BLESS_UPGRADE=1` at that commit). A later change
//! that alters what a read shows *on purpose* (a new field, a better label) records them again
//! with that variable and says so in its commit; a refactoring never does.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;
use sqlx::Row;
use steward_app::{AppConfig, Clock};
use steward_core::ids::UserId;
use steward_store::{EventFilter, encode_event};
use steward_test_support::{TestApp, TestDb};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// The fixture's admin password (`make-upgrade-fixture.sh`).
const ADMIN_PASSWORD: &str = "fixture admin password";

/// Integers from one query over the fixture's raw tables.
async fn ints(db: &TestDb, sql: &str) -> Vec<i64> {
    let raw = db.raw_pool().await;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&raw).await.unwrap();
    raw.close().await;
    rows.iter().map(|r| r.try_get::<i64, _>(0).unwrap()).collect()
}

/// The part of `html` from `start` to the first `end` after it.
fn section(html: &str, start: &str, end: &str) -> String {
    let Some(from) = html.find(start) else { return String::new() };
    let to = html[from..].find(end).map_or(html.len(), |i| from + i + end.len());
    html[from..to].to_owned()
}

#[tokio::test]
async fn a_desk_from_before_typed_events_opens_verifies_and_reads_the_same() {
    let fixtures = Path::new(FIXTURES);
    let db = TestDb::from_fixture(&fixtures.join("upgrade.db"), &fixtures.join("upgrade.sql")).await;
    let backend = if db.is_postgres() { "postgres" } else { "sqlite" };
    // The app's clock stands a day after the fixture's last event, whatever today is.
    let last = ints(&db, "SELECT MAX(at) FROM events").await[0];
    let now = Timestamp::from_millisecond(last + 86_400_000).unwrap();
    let incidents = ints(&db, "SELECT id FROM tickets ORDER BY id").await;
    let cis = ints(&db, "SELECT id FROM cis ORDER BY id").await;
    let ci_changes: Vec<(i64, i64)> = {
        let raw = db.raw_pool().await;
        let sql = "SELECT entity_id, at FROM events WHERE entity_type = 'ci' ORDER BY seq";
        let rows = sqlx::query(sql).fetch_all(&raw).await.unwrap();
        raw.close().await;
        rows.iter()
            .map(|r| (r.try_get::<String, _>(0).unwrap().parse().unwrap(), r.try_get::<i64, _>(1).unwrap()))
            .collect()
    };
    assert!(incidents.len() >= 10 && cis.len() >= 5 && ci_changes.len() >= 20, "the fixture is whole");

    let config = AppConfig { clock: Clock::manual(now), ..AppConfig::default() };
    let app = TestApp::spawn_on(db, config, steward_http::HttpConfig::default()).await;
    let admin_id = ints(&app.db, "SELECT id FROM users WHERE username = 'admin'").await[0];
    let token = app
        .app
        .tokens()
        .issue(None, UserId(admin_id), "upgrade", "read audit admin", "1d")
        .await
        .unwrap()
        .secret;

    let (status, verified) = app.api(Method::GET, "/api/v1/audit/verify", &token, None).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["ok"], true, "the chain written before the upgrade verifies: {verified}");
    // The tables are what the old desk's events say, over 31 kinds of event (auto-close, SLA
    // reassignment, imports and relationships included).
    let differences = app.app.audit().check_state().await.unwrap();
    assert_eq!(differences, Vec::new(), "the state check replays the old log to the old rows");

    // Every stored event reads back typed, and written again it is the very text stored: the
    // codec neither loses nor invents anything of what the old code wrote.
    let mut before_seq = None;
    loop {
        let filter = EventFilter { before_seq, limit: 1000, ..EventFilter::default() };
        let page = app.app.store().list_events(&filter).await.unwrap();
        let Some(last) = page.last() else { break };
        before_seq = Some(last.event.seq);
        for logged in &page {
            let e = &logged.event;
            let typed =
                logged.domain().unwrap_or_else(|err| panic!("event {} does not decode: {err}", e.seq));
            let again = encode_event(&typed);
            assert_eq!(
                (again.entity_type, again.entity_id.as_deref(), again.action),
                (e.entity_type.as_str(), e.entity_id.as_deref(), e.action.as_str()),
                "event {}",
                e.seq
            );
            assert_eq!((again.before, again.after), (e.before.clone(), e.after.clone()), "event {}", e.seq);
        }
    }

    let mut got: BTreeMap<String, Value> = BTreeMap::new();
    let mut read = async |path: String| {
        let (status, body) = app.api(Method::GET, &path, &token, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        got.insert(path, body);
    };
    for id in &incidents {
        for what in ["", "/activity", "/sla", "/cis", "/comments"] {
            read(format!("/api/v1/incidents/{id}{what}")).await;
        }
    }
    for (ci, at) in &ci_changes {
        let at = Timestamp::from_millisecond(*at).unwrap();
        read(format!("/api/v1/cis/{ci}/history?at={at}")).await;
    }
    for ci in &cis {
        read(format!("/api/v1/cis/{ci}")).await;
        read(format!("/api/v1/cis/{ci}/impact?direction=both")).await;
    }
    let first = Timestamp::from_millisecond(last - 30 * 86_400_000).unwrap();
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    for period in ["week", "month"] {
        read(format!("/api/v1/reports/incidents?period={period}&from={}&to={}", day(first), day(now))).await;
    }
    read("/api/v1/audit/events?limit=500".to_owned()).await;

    let browser = TestApp::browser();
    assert_eq!(app.sign_in(&browser, "admin", ADMIN_PASSWORD).await.status(), 303);
    for lang in ["en", "zh-CN"] {
        for id in &incidents {
            let (status, html) = app.page(&browser, &format!("/incidents/{id}?lang={lang}")).await;
            assert_eq!(status, 200);
            let shown = section(&html, "<ol class=\"activity\"", "</ol>")
                + &section(&html, "<section class=\"card\" id=\"sla\"", "</section>");
            got.insert(format!("/incidents/{id}?lang={lang}"), Value::String(shown));
        }
    }

    let expected_file = fixtures.join(format!("upgrade.{backend}.json"));
    let got = Value::Object(got.into_iter().collect());
    if std::env::var("STEWARD_BLESS_UPGRADE").is_ok_and(|v| v == "1") {
        std::fs::write(&expected_file, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&expected_file).unwrap()).unwrap();
    let (got, expected) = (got.as_object().unwrap(), expected.as_object().unwrap());
    assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "the same reads");
    for (path, want) in expected {
        assert_eq!(&got[path], want, "{path} reads differently after the upgrade");
    }
}
