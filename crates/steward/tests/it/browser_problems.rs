//! Issue 19's "done when", in real headless Chromium: an engineer links three incidents to a
//! problem from the queue, records its 5-Whys root cause and workaround, makes it a known
//! error; the next matching incident, typed in Chinese and then in English, is shown the known
//! error and the article before it is saved; a P1's review has its timeline and two action
//! items tracked to done.

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

async fn select(browser: &Client, id: &str, value: &str) {
    browser
        .find(Locator::Css(&format!("#{id} option[value='{value}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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

#[tokio::test]
async fn a_problem_becomes_a_known_error_that_the_next_incident_is_shown_and_a_p1_review_is_tracked_in_chromium()
 {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let post = |path: &str, body: Value| {
        let (api, admin, url) = (api.clone(), admin.clone(), server.url(path));
        async move {
            let r = api.post(url).bearer_auth(admin).json(&body).send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<Value>().await.unwrap()
        }
    };
    let mut numbers = Vec::new();
    for title in [
        "订单服务数据库连接池耗尽",
        "Orders: database connection pool exhausted",
        "数据库连接超时，订单无法提交",
    ] {
        numbers.push(
            post("/api/v1/incidents", json!({ "title": title, "impact": 2, "urgency": 2 })).await["number"]
                .clone(),
        );
    }
    let article = post(
        "/api/v1/articles",
        json!({ "title": "数据库连接池耗尽时怎么办 / When the connection pool is exhausted", "body": "重启订单服务以释放连接。Restart the order service to release connections.", "audience": "requesters" }),
    )
    .await;
    let article_path = format!("/api/v1/articles/{}/workflow", article["id"]);
    post(&article_path, json!({ "action": "submit" })).await;
    post(&article_path, json!({ "action": "publish" })).await;

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        sign_in(&browser, &server, "admin", ADMIN_PASSWORD).await;

        // From the queue: tick the three incidents, create a problem from them.
        browser.goto(&server.url("/incidents?state=new&lang=en")).await.unwrap();
        for pick in browser.find_all(Locator::Css("td.pick input[type=checkbox]")).await.unwrap() {
            pick.click().await.unwrap();
        }
        browser.find(Locator::Id("bulk-bar")).await.unwrap().click().await.unwrap();
        click_through(&browser, Locator::Id("bulk-problem")).await;
        let linked = browser
            .find(Locator::Id("problem-incidents"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        for n in &numbers {
            assert!(linked.contains(n.as_str().unwrap()), "{linked}");
        }
        field(&browser, "title", "数据库连接池过小 / DB connection pool too small").await;
        click_through(&browser, Locator::Id("create-problem")).await;
        let number = browser.find(Locator::Id("problem-title")).await.unwrap().text().await.unwrap();
        assert!(number.starts_with("PRB"), "{number}");
        let number = number.split(' ').next().unwrap().to_owned();
        assert_eq!(browser.find_all(Locator::Css("#problem-incidents tbody tr")).await.unwrap().len(), 3);

        // The 5-Whys, the root cause and the workaround; then it becomes a known error.
        for (i, why) in
            ["订单提交失败", "数据库拒绝新连接", "连接池耗尽", "连接池只有 10 个连接", "容量从未复核"]
                .iter()
                .enumerate()
        {
            field(&browser, &format!("why{}", i + 1), why).await;
        }
        field(&browser, "bone-technology", "pool size 10 since 2019").await;
        field(&browser, "root-cause", "连接池按 2019 年的负载配置 / the pool is sized for 2019's load").await;
        field(&browser, "workaround", "重启订单服务释放连接 / restart the order service").await;
        click_through(&browser, Locator::Id("analysis-save")).await;
        for to in ["under_investigation", "known_error"] {
            select(&browser, "problem-to", to).await;
            click_through(&browser, Locator::Id("problem-move")).await;
        }
        shows(&browser, "problem-state", &["Known error"]).await;

        // The next incident: typed in Chinese, then in English, it is shown the known error
        // and the article before it is saved.
        for typed in ["数据库连接池", "connection pool exh"] {
            browser.goto(&server.url("/incidents/new?lang=en")).await.unwrap();
            browser.find(Locator::Id("title")).await.unwrap().send_keys(typed).await.unwrap();
            let panel = shows(&browser, "suggestions", &[number.as_str(), "KB000001"]).await;
            assert!(panel.contains("Known errors") && panel.contains("Articles"), "{panel}");
        }

        // A P1's review: timeline, two action items tracked to done.
        let p1 = post(
            "/api/v1/incidents",
            json!({ "title": "Email down for everyone", "impact": 1, "urgency": 1 }),
        )
        .await;
        browser.goto(&server.url(&format!("/incidents/{}?lang=en", p1["id"]))).await.unwrap();
        shows(&browser, "incident-review", &["A P1 or P2 incident should be reviewed."]).await;
        click_through(&browser, Locator::Id("review-start")).await;
        let admin_id = browser
            .find(Locator::Css("#action-owner option:nth-child(2)"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        for title in ["Write the mail queue runbook", "Alert on queue length"] {
            field(&browser, "action-title", title).await;
            select(&browser, "action-owner", &admin_id).await;
            browser
                .execute("document.getElementById('action-due').value = '2030-01-31'", vec![])
                .await
                .unwrap();
            click_through(&browser, Locator::Id("action-add")).await;
        }
        let ids: Vec<String> = {
            let mut ids = Vec::new();
            for row in browser.find_all(Locator::Css("#review-actions tbody tr")).await.unwrap() {
                ids.push(row.attr("id").await.unwrap().unwrap().trim_start_matches("action-").to_owned());
            }
            ids
        };
        assert_eq!(ids.len(), 2);
        for id in &ids {
            select(&browser, &format!("action-state-{id}"), "done").await;
            click_through(&browser, Locator::Id(&format!("action-move-{id}"))).await;
        }
        let actions = shows(&browser, "review-actions", &["Done"]).await;
        assert!(actions.matches("Done").count() >= 2, "{actions}");
        shows(&browser, "timeline", &["opened", "action added", "action moved"]).await;
        browser.goto(&server.url("/reviews?lang=zh-CN")).await.unwrap();
        shows(&browser, "no-open-actions", &["没有未完成的措施"]).await;
    }
    .await;
    browser.close().await.unwrap();
    result
}
