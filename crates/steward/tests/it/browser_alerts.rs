//! The alert console in real headless Chromium (issue 18): alerts arrive while it is open and
//! appear without a reload; an engineer acknowledges one, reads its timeline, and silences it
//! from its page — in English and Chinese.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};
use steward_test_support::TestDb;

use crate::browser::{ADMIN_PASSWORD, Driver, chromium, click_through, sign_in};
use crate::server::{Server, steward};

fn webhook(fingerprint: &str, instance: &str, summary: &str) -> Value {
    json!({ "version": "4", "groupKey": format!("{{}}:{{instance=\"{instance}\"}}"), "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": fingerprint,
        "labels": { "alertname": "HostDown", "instance": format!("{instance}:9100"), "job": "node", "severity": "critical" },
        "annotations": { "summary": summary }, "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z" }] })
}

#[tokio::test]
async fn the_alert_console_updates_itself_and_an_alert_is_acknowledged_and_silenced_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let send = |body: Value| {
        let (api, admin, url) = (api.clone(), admin.clone(), server.url("/hooks/alertmanager"));
        async move {
            let r = api.post(url).bearer_auth(admin).json(&body).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    };
    send(webhook("aa01", "web01", "web01 is down")).await;

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        sign_in(&browser, &server, "admin", ADMIN_PASSWORD).await;
        click_through(&browser, Locator::Id("nav-alerts")).await;
        let rows = browser.find_all(Locator::Css("#alerts tbody tr")).await.unwrap();
        assert_eq!(rows.len(), 1);
        // A second alert arrives while the console is open: it appears, and the page is the same
        // page (not reloaded).
        let page = browser.find(Locator::Css("html")).await.unwrap();
        send(webhook("bb02", "db01", "db01 is down")).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = browser.find(Locator::Id("alert-console")).await.unwrap().text().await.unwrap();
            if text.contains("db01 is down") {
                break;
            }
            assert!(Instant::now() < deadline, "the console did not show the new alert: {text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(page.tag_name().await.is_ok(), "updated in place, not reloaded");

        // The grouped view puts each group under its heading.
        click_through(&browser, Locator::Id("view-grouped")).await;
        let headings = browser.find_all(Locator::Css("#alerts tr.group-row")).await.unwrap();
        assert_eq!(headings.len(), 2);

        // Acknowledge web01's alert from the console.
        let (_, list): (u16, Value) = {
            let r = api.get(server.url("/api/v1/alerts")).bearer_auth(&admin).send().await.unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        };
        let web01 =
            list["items"].as_array().unwrap().iter().find(|a| a["fingerprint"] == "aa01").unwrap()["id"]
                .as_i64()
                .unwrap();
        click_through(&browser, Locator::Id(&format!("ack-{web01}"))).await;
        assert!(
            browser.current_url().await.unwrap().query().unwrap_or("").contains("view=grouped"),
            "back on the same view"
        );
        let row = browser.find(Locator::Id(&format!("alert-{web01}"))).await.unwrap().text().await.unwrap();
        assert!(row.contains("Acknowledged"), "{row}");

        // Its page: the timeline, then a silence made from it.
        click_through(&browser, Locator::Id(&format!("alert-link-{web01}"))).await;
        let timeline = browser.find(Locator::Id("alert-timeline")).await.unwrap().text().await.unwrap();
        assert!(
            timeline.contains("Received")
                && timeline.contains("Joined incident")
                && timeline.contains("Acknowledged"),
            "{timeline}"
        );
        click_through(&browser, Locator::Id("silence-this")).await;
        let matchers = browser
            .find(Locator::Id("silence-matchers"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(
            matchers.contains("alertname=HostDown") && matchers.contains("instance=web01:9100"),
            "{matchers}"
        );
        browser
            .find(Locator::Id("silence-comment"))
            .await
            .unwrap()
            .send_keys("Replacing the PSU")
            .await
            .unwrap();
        click_through(&browser, Locator::Id("silence-create")).await;
        assert!(
            browser
                .find(Locator::Id("silences"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("Replacing the PSU")
        );

        // In Chinese.
        browser.goto(&server.url(&format!("/alerts/{web01}?lang=zh-CN"))).await.unwrap();
        let timeline = browser.find(Locator::Id("alert-timeline")).await.unwrap().text().await.unwrap();
        assert!(timeline.contains("收到") && timeline.contains("已认领"), "{timeline}");
        browser.goto(&server.url("/alerts?lang=zh-CN")).await.unwrap();
        assert_eq!(browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "告警");
    }
    .await;
    browser.close().await.unwrap();
    result
}
