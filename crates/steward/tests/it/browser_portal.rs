//! Issue 23's "done when", in real headless Chromium at phone size: a requester searches
//! "VPN 连不上", reads the article and is counted as deflected; orders a laptop through a form
//! whose fields show as they apply; their manager approves; two teams do their tasks in turn;
//! the requester closes the fulfilled request, rates it by the mailed link (no sign-in); the
//! month's NPS survey is sent, answered by its link and scored; the leaderboard shows the month.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use steward_test_support::TestDb;

use crate::browser::{ADMIN_PASSWORD, Driver, chromium, click_through, sign_in, sign_out};
use crate::server::{Server, steward};

const PASSWORD: &str = "portal-pass-123";

/// Waits until the element's text holds `wanted`.
async fn shows(browser: &Client, id: &str, wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = match browser.find(Locator::Id(id)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(wanted) {
            return text;
        }
        assert!(Instant::now() < deadline, "#{id} never showed {wanted:?}: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn displayed(browser: &Client, id: &str) -> bool {
    browser.find(Locator::Id(id)).await.unwrap().is_displayed().await.unwrap()
}

async fn no_sideways_scroll(browser: &Client, what: &str) {
    let sizes = browser
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .unwrap();
    let (scroll, width) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
    assert!(scroll <= width, "{what} scrolls sideways at phone size: {scroll} > {width}");
}

/// The link starting with `prefix` in the newest mail queued for `to` (waits for the job that
/// asks, which runs every ten seconds).
async fn mailed_link(db: &TestDb, to: &str, prefix: &str) -> String {
    let pool = db.raw_pool().await;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let payloads: Vec<String> =
            sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'send_email' ORDER BY id DESC")
                .fetch_all(&pool)
                .await
                .unwrap();
        let found = payloads.iter().filter(|p| p.contains(to)).find_map(|p| {
            let rest = p.split(prefix).nth(1)?;
            let token: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
            Some(format!("{prefix}{token}"))
        });
        if let Some(link) = found {
            return link;
        }
        assert!(Instant::now() < deadline, "no mail to {to} with {prefix}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_requester_is_answered_before_a_ticket_then_orders_a_laptop_approved_and_fulfilled_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    // Mail is queued as jobs (nothing listens on port 9): the test reads the links there.
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD).env("STEWARD_SMTP_URL", "smtp://127.0.0.1:9");
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let send = |method: reqwest::Method, path: &str, body: Value| {
        let (api, admin, url) = (api.clone(), admin.clone(), server.url(path));
        async move {
            let r = api.request(method, url).bearer_auth(admin).json(&body).send().await.unwrap();
            let status = r.status();
            let out = r.json::<Value>().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status}: {out}");
            out
        }
    };
    let post = |path: &'static str, body: Value| send(reqwest::Method::POST, path, body);
    let mut ids = std::collections::HashMap::new();
    for (name, role) in [("rita", "requester"), ("bo.ss", "requester"), ("hana", "agent"), ("dirk", "agent")]
    {
        let email = format!("{name}@example.com");
        let u = post(
            "/api/v1/users",
            json!({ "username": name, "role": role, "password": PASSWORD, "email": email }),
        )
        .await;
        ids.insert(name, u["id"].as_i64().unwrap());
    }
    send(
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{}", ids["rita"]),
        json!({ "manager_id": ids["bo.ss"] }),
    )
    .await;
    let mut teams = Vec::new();
    for (team, member) in [("Hardware", "hana"), ("Desktop", "dirk")] {
        let t = post("/api/v1/teams", json!({ "name": team })).await;
        let path = format!("/api/v1/teams/{}/members/{}", t["id"], ids[member]);
        let r = api.put(server.url(&path)).bearer_auth(&admin).send().await.unwrap();
        assert!(r.status().is_success());
        teams.push(t["id"].as_i64().unwrap());
    }
    let article = post(
        "/api/v1/articles",
        json!({ "title": "VPN 连不上怎么办 / VPN won't connect", "body": "重启 VPN 客户端。Restart the VPN client.", "audience": "requesters" }),
    )
    .await;
    for action in ["submit", "publish"] {
        send(
            reqwest::Method::POST,
            &format!("/api/v1/articles/{}/workflow", article["id"]),
            json!({ "action": action }),
        )
        .await;
    }
    let item = post(
        "/api/v1/catalogue",
        json!({ "name": "New laptop", "name_zh": "新笔记本电脑", "category": "Hardware", "delivery_hours": 72,
            "team_id": teams[1] }),
    )
    .await;
    let design = json!({
        "fields": [
            { "key": "model", "label": "Model", "kind": "choice", "required": true, "options": ["Standard", "Developer"] },
            { "key": "reason", "label": "Why", "kind": "textarea", "required": true,
              "show_if": { "field": "model", "any_of": ["Developer"] } },
            { "key": "accessories", "label": "Accessories", "kind": "multi_choice", "options": ["Dock", "Headset"] },
            { "key": "monitors", "label": "Monitors", "kind": "number", "min": 1, "max": 3, "required": true,
              "show_if": { "field": "accessories", "any_of": ["Dock"] } }
        ],
        "plan": { "approvals": [{ "approver": "manager" }], "tasks": [
            { "name": "Order the laptop", "team_id": teams[0], "stage": 1 },
            { "name": "Image and hand over", "team_id": teams[1], "stage": 2 } ] }
    });
    send(reqwest::Method::POST, &format!("/api/v1/catalogue/{}/versions", item["id"]), design).await;

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        browser.set_window_size(390, 844).await.unwrap();
        sign_in(&browser, &server, "rita", PASSWORD).await;

        // Answered before a ticket: typed, not submitted.
        browser.goto(&server.url("/portal?lang=zh-CN")).await.unwrap();
        no_sideways_scroll(&browser, "the portal").await;
        browser.find(Locator::Id("portal-q")).await.unwrap().send_keys("VPN 连不上").await.unwrap();
        shows(&browser, "portal-answers", "VPN 连不上怎么办").await;
        click_through(&browser, Locator::Id(&format!("answer-article-{}", article["id"]))).await;
        shows(&browser, "did-it-help", "这解答了你的问题吗").await;
        click_through(&browser, Locator::Id("solved")).await;
        assert!(browser.current_url().await.unwrap().as_str().contains("notice=deflected"));

        // The order form: fields appear as they apply.
        browser.goto(&server.url(&format!("/portal/catalogue/{}?lang=en", item["id"]))).await.unwrap();
        no_sideways_scroll(&browser, "the order form").await;
        assert!(!displayed(&browser, "field-reason").await, "the reason shows only for the developer model");
        browser
            .find(Locator::Css("#a-model option[value='Developer']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(displayed(&browser, "field-reason").await);
        browser.find(Locator::Id("a-reason")).await.unwrap().send_keys("Large builds").await.unwrap();
        assert!(!displayed(&browser, "field-monitors").await);
        browser.find(Locator::Id("a-accessories-1")).await.unwrap().click().await.unwrap();
        assert!(displayed(&browser, "field-monitors").await);
        browser.find(Locator::Id("a-monitors")).await.unwrap().send_keys("2").await.unwrap();
        click_through(&browser, Locator::Id("order-submit")).await;
        shows(&browser, "request-state", "Authorization").await;
        let url = browser.current_url().await.unwrap();
        let request = url.path().trim_start_matches("/requests/").to_owned();
        no_sideways_scroll(&browser, "the request page").await;
        sign_out(&browser).await;

        // The manager approves from the portal.
        sign_in(&browser, &server, "bo.ss", PASSWORD).await;
        browser.goto(&server.url("/portal/approvals?lang=en")).await.unwrap();
        click_through(&browser, Locator::Id(&format!("approve-{request}"))).await;
        click_through(&browser, Locator::Id("approve")).await;
        shows(&browser, "request-state", "In progress").await;
        sign_out(&browser).await;

        // Hardware buys it, then Desktop hands it over.
        for (agent, task) in [("hana", "Order the laptop"), ("dirk", "Image and hand over")] {
            sign_in(&browser, &server, agent, PASSWORD).await;
            browser.goto(&server.url("/requests?lang=en")).await.unwrap();
            shows(&browser, "my-tasks", task).await;
            browser.goto(&server.url(&format!("/requests/{request}?lang=en"))).await.unwrap();
            let done = browser.find(Locator::Css("button[id^='done-']")).await.unwrap();
            let task = done.attr("id").await.unwrap().unwrap();
            click_through(&browser, Locator::Id(&task)).await;
            sign_out(&browser).await;
        }

        // Rita has it and closes the request.
        sign_in(&browser, &server, "rita", PASSWORD).await;
        browser.goto(&server.url(&format!("/requests/{request}?lang=en"))).await.unwrap();
        shows(&browser, "request-state", "Resolved").await;
        click_through(&browser, Locator::Id("request-close")).await;
        shows(&browser, "request-state", "Closed").await;
        sign_out(&browser).await;

        // She rates the fulfilment by the link mailed to her, without signing in.
        let link = mailed_link(&db, "rita@example.com", "/survey/csat/").await;
        browser.goto(&server.url(&format!("{link}?lang=en"))).await.unwrap();
        shows(&browser, "survey-csat", "New laptop").await;
        no_sideways_scroll(&browser, "the rating page").await;
        browser.find(Locator::Css("input[name='stars'][value='4']")).await.unwrap().click().await.unwrap();
        browser.find(Locator::Id("csat-comment")).await.unwrap().send_keys("Quick, thanks").await.unwrap();
        click_through(&browser, Locator::Id("csat-send")).await;
        shows(&browser, "survey-done", "Thank you").await;
        browser.goto(&server.url(&format!("{link}?lang=en"))).await.unwrap();
        shows(&browser, "main", "answered already").await;

        // The month's NPS survey goes out; rita answers by its link.
        let today =
            jiff::tz::TimeZone::get("Asia/Shanghai").unwrap().to_datetime(jiff::Timestamp::now()).date();
        let month = format!("{:04}-{:02}", today.year(), today.month());
        let sent = post("/api/v1/surveys/nps/send", json!({ "month": month })).await;
        assert_eq!(sent["sent"], 1, "rita had a request this month: {sent}");
        let link = mailed_link(&db, "rita@example.com", "/survey/nps/").await;
        browser.goto(&server.url(&format!("{link}?lang=zh-CN"))).await.unwrap();
        no_sideways_scroll(&browser, "the NPS page").await;
        browser.find(Locator::Css("input[name='score'][value='9']")).await.unwrap().click().await.unwrap();
        browser.find(Locator::Id("nps-reason")).await.unwrap().send_keys("处理很及时，谢谢").await.unwrap();
        click_through(&browser, Locator::Id("nps-send")).await;
        shows(&browser, "survey-done", "谢谢").await;

        // The deflection is counted where the catalogue is designed.
        sign_in(&browser, &server, "admin", ADMIN_PASSWORD).await;
        browser.goto(&server.url("/admin/catalogue?lang=en")).await.unwrap();
        shows(&browser, "deflected-count", "1").await;

        // Scored: NPS +100 from one promoter, her words tagged positive; CSAT 4 stars.
        browser.goto(&server.url("/satisfaction?lang=en")).await.unwrap();
        shows(&browser, "nps-score", "+100").await;
        shows(&browser, "verbatims", "处理很及时，谢谢").await;
        shows(&browser, "verbatims", "Positive").await;
        shows(&browser, "csat-average", "4.0").await;
        no_sideways_scroll(&browser, "the satisfaction report").await;

        // The leaderboard shows the month: Desktop, whose request was rated.
        browser.goto(&server.url("/leaderboard?lang=zh-CN")).await.unwrap();
        shows(&browser, "main", &month).await;
        shows(&browser, "board-teams", "Desktop").await;
        no_sideways_scroll(&browser, "the leaderboard").await;
    }
    .await;
    browser.close().await.unwrap();
    result
}
