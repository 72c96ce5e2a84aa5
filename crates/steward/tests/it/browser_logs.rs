//! Issue 22's log explorer in real headless Chromium against `steward serve` with its syslog
//! listener: util-linux `logger` sends lines over TCP, an agent finds their template by its
//! words, opens it (its frequency chart and hosts), jumps to its lines, and reads the explorer
//! in 中文.

use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::json;
use steward_test_support::TestDb;

use crate::browser::{ADMIN_PASSWORD, Driver, chromium, click_through, sign_in};
use crate::server::{Server, steward};

async fn text(browser: &Client, id: &str) -> String {
    match browser.find(Locator::Id(id)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test]
async fn an_agent_finds_a_template_sent_over_syslog_and_jumps_to_its_lines() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD).env("STEWARD_SYSLOG_LISTEN", "127.0.0.1:0");
    let server = Server::start(cmd);
    let syslog = server
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Syslog (UDP and TCP) on "))
        .expect("the syslog listener's address is printed")
        .trim()
        .to_owned();
    let (host, port) = syslog.rsplit_once(':').unwrap();
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let r = api
        .post(server.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "li.wei", "role": "agent", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    for i in 0..30 {
        let message = format!("Accepted publickey for deploy from 10.0.0.{i} port {} ssh2", 40000 + i);
        let status = Command::new("logger")
            .args(["--rfc5424", "--tcp", "-n", host, "-P", port, "-t", "sshd", "-p", "auth.info", &message])
            .status()
            .unwrap();
        assert!(status.success());
    }
    // Stored within the listener's batching interval.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found: serde_json::Value = api
            .get(server.url("/api/v1/logs/templates?q=publickey"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if found["items"][0]["lines"] == 30 {
            break;
        }
        assert!(Instant::now() < deadline, "the lines never arrived: {found}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let driver = Driver::start();
    let dir = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, dir.path()).await;
    let result = async {
        sign_in(&browser, &server, "li.wei", ADMIN_PASSWORD).await;
        browser.goto(&server.url("/logs?lang=en")).await.unwrap();
        browser.find(Locator::Id("logs-q")).await.unwrap().send_keys("publickey").await.unwrap();
        click_through(&browser, Locator::Css("#logs-filter button[type=submit]")).await;
        let table = text(&browser, "templates").await;
        assert!(table.contains("Accepted publickey for deploy from"), "{table}");
        click_through(&browser, Locator::Css("#templates a")).await;
        let template = text(&browser, "template-text").await;
        assert_eq!(template, "Accepted publickey for deploy from <*>.<*>.<*>.<*> port <*> <*>");
        assert_eq!(text(&browser, "template-count").await, "30");
        let bars = browser.find_all(Locator::Css("#frequency rect")).await.unwrap();
        assert!(!bars.is_empty(), "the frequency chart has bars");
        let hosts = text(&browser, "template-hosts").await;
        assert!(!hosts.trim().is_empty(), "the sending host is listed");
        click_through(&browser, Locator::Id("template-lines")).await;
        let lines = browser.find_all(Locator::Css("#lines tbody tr")).await.unwrap();
        assert_eq!(lines.len(), 30);
        assert!(
            text(&browser, "lines")
                .await
                .contains("Accepted publickey for deploy from 10.0.0.29 port 40029 ssh2")
        );

        browser.goto(&server.url("/logs?lang=zh-CN")).await.unwrap();
        let page = browser.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
        assert!(page.contains("日志模板") && page.contains("最近出现"), "{page}");
    }
    .await;
    browser.close().await.ok();
    result
}
