//! Issue 20's "done when", in real headless Chromium: a normal change on a database server is
//! risk-assessed with reasons, routed to the CAB, approved by a quorum of two (one approval
//! on the page, one through the mailed link), blocked once by a freeze, rescheduled,
//! implemented while an alert from that server is marked expected, and reviewed; every model's
//! swimlane renders, with the incident and problem lifecycles.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use steward_test_support::TestDb;

use crate::browser::{ADMIN_PASSWORD, Driver, chromium, click_through, sign_in};
use crate::server::{Server, steward};

async fn field(browser: &Client, id: &str, text: &str) {
    let input = browser.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Sets a `datetime-local` input (typing into one is locale-dependent in Chromium).
async fn set_value(browser: &Client, id: &str, value: &str) {
    browser
        .execute(&format!("document.getElementById('{id}').value = arguments[0];"), vec![json!(value)])
        .await
        .unwrap();
}

async fn text(browser: &Client, id: &str) -> String {
    browser.find(Locator::Id(id)).await.unwrap().text().await.unwrap_or_default()
}

/// Waits until the element's text holds every one of `wanted`.
async fn shows(browser: &Client, id: &str, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = match browser.find(Locator::Id(id)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if wanted.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(Instant::now() < deadline, "#{id} never showed {wanted:?}: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A local `datetime-local` value (the desk's zone, Asia/Shanghai) `hours` from now.
fn local(hours: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours);
    t.to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn a_normal_change_goes_from_risk_to_review_through_the_cab_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    // Mail goes nowhere (nothing listens there): the approval links wait in the job queue.
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD).env("STEWARD_SMTP_URL", "smtp://127.0.0.1:9");
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let call = |method: reqwest::Method, path: &str, body: Value| {
        let (api, admin, url) = (api.clone(), admin.clone(), server.url(path));
        async move {
            let r = api.request(method, url).bearer_auth(admin).json(&body).send().await.unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    let post = |path: &str, body: Value| call(reqwest::Method::POST, path, body);
    let mut cab = Vec::new();
    for name in ["wang.fang", "zhao.lei", "chen.jie"] {
        let u = post(
            "/api/v1/users",
            json!({"username": name, "role": "change_manager", "password": ADMIN_PASSWORD, "email": format!("{name}@example.com")}),
        )
        .await;
        cab.push(u["id"].clone());
    }
    post("/api/v1/users", json!({"username": "li.wei", "role": "agent", "password": ADMIN_PASSWORD})).await;
    let db01 = post(
        "/api/v1/cis",
        json!({"class": "server", "name": "db01", "criticality": 1, "attributes": {"hostname": "db01"}}),
    )
    .await;
    let group = post(
        "/api/v1/approver-groups",
        json!({"name": "CAB", "rule": "quorum", "quorum": 2, "members": cab}),
    )
    .await;
    post(
        "/api/v1/approval-policies",
        json!({"change_type": "normal", "min_risk": "low", "level": 1, "group_id": group["id"]}),
    )
    .await;
    post("/api/v1/risk-questions", json!({"text": "Tested in staging?", "options": "Yes | 0\nNo | 20"}))
        .await;
    let now = jiff::Timestamp::now();
    post(
        "/api/v1/change-freezes",
        json!({"name": "Quarter close", "starts_at": (now + jiff::SignedDuration::from_hours(20)).to_string(),
               "ends_at": (now + jiff::SignedDuration::from_hours(48)).to_string()}),
    )
    .await;

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        sign_in(&browser, &server, "li.wei", ADMIN_PASSWORD).await;
        browser.goto(&server.url("/changes/new?lang=en")).await.unwrap();
        field(&browser, "change-title", "Upgrade PostgreSQL on db01").await;
        field(&browser, "change-backout", "Restore the snapshot").await;
        field(&browser, "change-cis", &db01["id"].to_string()).await;
        click_through(&browser, Locator::Id("change-save")).await;
        shows(&browser, "change-state", &["Assessment"]).await;
        let url = browser.current_url().await.unwrap();
        let change_path = url.path().to_owned();

        // Risk with its reasons.
        browser.find(Locator::Css("#risk-form select option[value='1']")).await.unwrap().click().await.unwrap();
        click_through(&browser, Locator::Id("risk-assess")).await;
        let risk = shows(&browser, "change-risk", &["High", "Tested in staging? — No", "criticality 1"]).await;
        assert!(risk.contains("20"), "{risk}");

        // Scheduled into the freeze: refused, the conflict named; then rescheduled to now.
        set_value(&browser, "planned-start", &local(24)).await;
        set_value(&browser, "planned-end", &local(26)).await;
        click_through(&browser, Locator::Id("schedule")).await;
        shows(&browser, "proposed-conflicts", &["Freeze", "Quarter close"]).await;
        set_value(&browser, "planned-start", &local(0)).await;
        set_value(&browser, "planned-end", &local(3)).await;
        click_through(&browser, Locator::Id("schedule")).await;
        assert!(!text(&browser, "change-schedule").await.contains("Quarter close"));
        click_through(&browser, Locator::Id("move-cab")).await;
        shows(&browser, "change-state", &["Authorization"]).await;

        // One CAB member approves on the page.
        let wang = tempfile::tempdir().unwrap();
        let wang_browser = chromium(&driver, wang.path()).await;
        sign_in(&wang_browser, &server, "wang.fang", ADMIN_PASSWORD).await;
        wang_browser.goto(&server.url(&format!("{change_path}?lang=en"))).await.unwrap();
        field(&wang_browser, "decide-comment", "Plan reviewed").await;
        click_through(&wang_browser, Locator::Id("approve")).await;
        shows(&wang_browser, "change-approvals", &["Plan reviewed"]).await;
        wang_browser.close().await.ok();

        // The second through the link mailed to zhao.lei.
        let pool = db.raw_pool().await;
        let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'send_email'")
            .fetch_all(&pool)
            .await
            .unwrap();
        let mail = payloads.iter().find(|p| p.contains("zhao.lei@example.com")).expect("a mail to zhao.lei");
        let token = mail.split("/approvals/").nth(1).unwrap().split(|c: char| c.is_whitespace() || c == '\\').next().unwrap();
        browser.goto(&server.url(&format!("/approvals/{token}?lang=en"))).await.unwrap();
        shows(&browser, "link-change", &["Upgrade PostgreSQL on db01", "Restore the snapshot", "High"]).await;
        click_through(&browser, Locator::Id("link-approve")).await;
        shows(&browser, "link-done", &["you approved"]).await;

        // Approved and booked: db01 is in maintenance, its alert is expected.
        browser.goto(&server.url(&format!("{change_path}?lang=en"))).await.unwrap();
        shows(&browser, "change-state", &["Scheduled"]).await;
        let bot = server.token("admin", ADMIN_PASSWORD).await;
        let alert = json!({"version": "4", "groupKey": "db", "status": "firing", "alerts": [{
            "status": "firing", "fingerprint": "db01-load", "labels": {"alertname": "HighLoad", "instance": "db01:9100", "severity": "critical"},
            "annotations": {"summary": "Load high"}, "startsAt": jiff::Timestamp::now().to_string()}]});
        let r = api.post(server.url("/hooks/alertmanager")).bearer_auth(&bot).json(&alert).send().await.unwrap();
        let out: Value = r.json().await.unwrap();
        assert_eq!(out["incidents_opened"], json!([]), "expected during the change: {out}");

        // Implemented, backed out, reviewed, closed.
        click_through(&browser, Locator::Id("move-implement")).await;
        shows(&browser, "change-state", &["Implementation"]).await;
        browser.find(Locator::Css("#outcome option[value='backed_out']")).await.unwrap().click().await.unwrap();
        click_through(&browser, Locator::Id("complete")).await;
        shows(&browser, "change-review", &["required"]).await;
        field(&browser, "review-text", "The extension was incompatible; test it in staging first.").await;
        click_through(&browser, Locator::Id("save-review")).await;
        click_through(&browser, Locator::Id("move-close")).await;
        shows(&browser, "change-state", &["Closed"]).await;

        // Every model drawn as a swimlane, and the incident and problem lifecycles.
        browser.goto(&server.url("/changes/models?lang=zh-CN")).await.unwrap();
        for id in ["model-1", "model-2", "model-3", "lifecycle-incident", "lifecycle-problem"] {
            let svg = browser.find(Locator::Id(id)).await.unwrap();
            assert!(!svg.find_all(Locator::Css("g.step")).await.unwrap().is_empty(), "{id}");
        }
    }
    .await;
    browser.close().await.ok();
    result
}
