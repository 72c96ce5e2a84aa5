//! The web UI in real headless Chromium, driven through ChromeDriver: sign in, switch the
//! language, sign out. Chromium and ChromeDriver come from Debian (`./scripts/test` installs
//! them); without them this test fails and says so.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use steward_test_support::TestDb;

use crate::server::{Server, steward};

pub(crate) const ADMIN_PASSWORD: &str = "browser-test-password";

/// A ChromeDriver on a free loopback port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub(crate) fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver not found ({e}): install chromium and chromium-driver, or run ./scripts/test"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn chromium(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--lang=en-US", "--window-size=1400,900", format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session through chromedriver")
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_switch_language_and_sign_out_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;

    let result = async {
        // Any page sends an anonymous visitor to the sign-in page, then back.
        browser.goto(&server.url("/tokens")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path().ends_with("/login"));
        browser.find(Locator::Id("username")).await.unwrap().send_keys("admin").await.unwrap();
        browser.find(Locator::Id("password")).await.unwrap().send_keys("wrong password").await.unwrap();
        click_through(&browser, Locator::Id("login-submit")).await;
        assert!(text_of(&browser, "#login-error").await.contains("Invalid username or password"));

        browser.find(Locator::Id("password")).await.unwrap().send_keys(ADMIN_PASSWORD).await.unwrap();
        click_through(&browser, Locator::Id("login-submit")).await;
        assert!(text_of(&browser, "h1").await.contains("API tokens"), "back on the page first asked for");
        assert_eq!(browser.current_url().await.unwrap().path(), "/tokens");

        click_through(&browser, Locator::Id("nav-home")).await;
        assert_eq!(text_of(&browser, "#welcome").await, "Welcome, Administrator");

        click_through(&browser, Locator::Id("lang-zh")).await;
        assert_eq!(text_of(&browser, "#welcome").await, "欢迎, Administrator");
        assert_eq!(text_of(&browser, "#my-role").await, "管理员");
        // The language follows to the next page.
        click_through(&browser, Locator::Id("nav-users")).await;
        assert_eq!(text_of(&browser, "h1").await, "用户");

        click_through(&browser, Locator::Id("signout")).await;
        assert!(text_of(&browser, "#login-submit").await.contains("登录"));
        assert!(browser.current_url().await.unwrap().path().ends_with("/login"));
        // Signed out means signed out: the back door is shut.
        browser.goto(&server.url("/")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path().ends_with("/login"));

        click_through(&browser, Locator::Id("lang-en")).await;
        assert!(text_of(&browser, "#login-submit").await.contains("Sign in"));
    }
    .await;
    browser.close().await.unwrap();
    result
}

/// Clicks something that loads a new page, and waits until the old page is gone, so the next
/// lookup cannot read the page being left.
pub(crate) async fn click_through(browser: &Client, locator: Locator<'_>) {
    let old = browser.find(Locator::Css("html")).await.unwrap();
    browser.find(locator).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn sign_in(browser: &Client, server: &Server, username: &str, password: &str) {
    browser.goto(&server.url("/login?lang=en")).await.unwrap();
    browser.find(Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    click_through(browser, Locator::Id("login-submit")).await;
    browser.wait().for_element(Locator::Id("signout")).await.unwrap();
}

pub(crate) async fn sign_out(browser: &Client) {
    click_through(browser, Locator::Id("signout")).await;
    browser.wait().for_element(Locator::Id("login-submit")).await.unwrap();
}

async fn select(browser: &Client, id: &str, value: &str) {
    let css = format!("#{id} option[value='{value}']");
    browser.find(Locator::Css(&css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

/// An agent and a requester work one incident from creation to closure in the browser.
#[tokio::test]
async fn an_agent_and_a_requester_work_an_incident_to_closure_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let post = |path: &str, body: serde_json::Value| {
        api.post(server.url(path)).bearer_auth(&admin).json(&body).send()
    };
    let team: serde_json::Value =
        post("/api/v1/teams", json!({ "name": "Service Desk" })).await.unwrap().json().await.unwrap();
    let agent: serde_json::Value = post(
        "/api/v1/users",
        json!({ "username": "ada", "display_name": "Ada Agent", "role": "agent", "password": "ada password 1" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    post("/api/v1/users", json!({ "username": "rita", "display_name": "Rita Requester", "role": "requester", "password": "rita password 1" }))
        .await
        .unwrap();
    api.put(server.url(&format!("/api/v1/teams/{}/members/{}", team["id"], agent["id"])))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        // The requester raises an incident; the form previews its priority.
        sign_in(&browser, &server, "rita", "rita password 1").await;
        click_through(&browser, Locator::Id("nav-new-incident")).await;
        browser
            .find(Locator::Id("title"))
            .await
            .unwrap()
            .send_keys("Cannot print to floor 3 printer")
            .await
            .unwrap();
        browser
            .find(Locator::Id("description"))
            .await
            .unwrap()
            .send_keys("Jobs stay **queued**.")
            .await
            .unwrap();
        // A requester answers in plain words (the portal's form): their team, and they cannot work.
        browser.find(Locator::Id("impact-2")).await.unwrap().click().await.unwrap();
        browser.find(Locator::Id("urgency-1")).await.unwrap().click().await.unwrap();
        click_through(&browser, Locator::Id("create-incident")).await;
        assert!(text_of(&browser, "#incident-title").await.starts_with("INC000001"));
        assert_eq!(text_of(&browser, ".prio").await, "P2", "the matrix made it P2");
        assert_eq!(text_of(&browser, "#incident-state").await, "New");
        sign_out(&browser).await;

        // The agent takes it from the unassigned queue, works it and resolves it.
        sign_in(&browser, &server, "ada", "ada password 1").await;
        click_through(&browser, Locator::Id("nav-incidents")).await;
        click_through(&browser, Locator::Id("tab-3")).await;
        click_through(&browser, Locator::LinkText("Cannot print to floor 3 printer")).await;
        select(&browser, "assign-person", &agent["id"].to_string()).await;
        click_through(&browser, Locator::Id("assign-save")).await;
        assert_eq!(text_of(&browser, "#assignee").await, "Ada Agent");
        assert_eq!(text_of(&browser, "#team").await, "Service Desk", "assigning a person implies their team");
        select(&browser, "transition-to", "in_progress").await;
        click_through(&browser, Locator::Id("transition-apply")).await;
        assert_eq!(text_of(&browser, "#incident-state").await, "In progress");
        browser
            .find(Locator::Id("reply-body"))
            .await
            .unwrap()
            .send_keys("Driver reinstalled, please try again")
            .await
            .unwrap();
        click_through(&browser, Locator::Id("reply-send")).await;
        browser
            .find(Locator::Id("reply-body"))
            .await
            .unwrap()
            .send_keys("Spooler was stuck on print01")
            .await
            .unwrap();
        browser.find(Locator::Id("reply-internal")).await.unwrap().click().await.unwrap();
        click_through(&browser, Locator::Id("reply-send")).await;
        select(&browser, "transition-to", "resolved").await;
        select(&browser, "resolution-code", "fixed").await;
        browser
            .find(Locator::Id("resolution-note"))
            .await
            .unwrap()
            .send_keys("Reinstalled the driver")
            .await
            .unwrap();
        click_through(&browser, Locator::Id("transition-apply")).await;
        assert_eq!(text_of(&browser, "#incident-state").await, "Resolved");
        sign_out(&browser).await;

        // The requester sees the reply but not the work note, and closes the incident.
        sign_in(&browser, &server, "rita", "rita password 1").await;
        click_through(&browser, Locator::Id("nav-incidents")).await;
        click_through(&browser, Locator::LinkText("INC000001")).await;
        let activity = text_of(&browser, "#activity").await;
        assert!(activity.contains("Driver reinstalled"), "{activity}");
        assert!(!activity.contains("Spooler"), "work notes stay internal: {activity}");
        select(&browser, "transition-to", "closed").await;
        click_through(&browser, Locator::Id("transition-apply")).await;
        assert_eq!(text_of(&browser, "#incident-state").await, "Closed");
        click_through(&browser, Locator::Id("report-link")).await;
        assert!(text_of(&browser, "#report-resolution").await.contains("Reinstalled the driver"));
        assert!(browser.find(Locator::Id("nav-reports")).await.is_err(), "requesters have no reports");
        sign_out(&browser).await;

        // The agent reads the dashboard: the incident is counted, charted and broken down.
        sign_in(&browser, &server, "ada", "ada password 1").await;
        click_through(&browser, Locator::Id("nav-reports")).await;
        assert_eq!(text_of(&browser, "h1").await, "Service reports");
        assert_eq!(text_of(&browser, "#kpi-created").await, "1");
        assert_eq!(text_of(&browser, "#kpi-resolved").await, "1");
        assert_eq!(text_of(&browser, "#kpi-fcr").await, "100.0%");
        assert!(
            browser.find(Locator::Css("svg#chart-volume rect")).await.is_ok(),
            "the volume chart has bars"
        );
        assert!(text_of(&browser, "#by-team").await.contains("Service Desk"));
        select(&browser, "report-period", "week").await;
        click_through(&browser, Locator::Id("report-apply")).await;
        let periods = text_of(&browser, "#report-periods").await;
        assert!(periods.contains("-W"), "weekly periods: {periods}");
        assert!(browser.current_url().await.unwrap().query().unwrap_or_default().contains("period=week"));
        click_through(&browser, Locator::Id("lang-zh")).await;
        assert_eq!(text_of(&browser, "h1").await, "服务报表");
        click_through(&browser, Locator::Id("report-monthly")).await;
        assert!(text_of(&browser, "#monthly-report h1").await.contains("月度管理报告"));
    }
    .await;
    browser.close().await.unwrap();
    result
}

/// An engineer opens a server in the CMDB and sees which business services and open incidents
/// depend on it, on the impact page's graph.
#[tokio::test]
async fn an_engineer_sees_what_depends_on_a_server_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    let post = |path: &str, body: serde_json::Value| {
        let (api, admin) = (api.clone(), admin.clone());
        let url = server.url(path);
        async move {
            api.post(url)
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let ci = |class: &str, name: &str, attributes: serde_json::Value| {
        post("/api/v1/cis", json!({ "class": class, "name": name, "attributes": attributes }))
    };
    let service = ci("business_service", "Payroll", json!({})).await["id"].clone();
    let app_ci = ci("application", "payroll-app", json!({})).await["id"].clone();
    let web = ci("server", "web01", json!({ "hostname": "web01" })).await["id"].clone();
    post("/api/v1/ci-relations", json!({ "from": service, "to": app_ci, "kind": "depends_on" })).await;
    post("/api/v1/ci-relations", json!({ "from": app_ci, "to": web, "kind": "runs_on" })).await;
    let inc =
        post("/api/v1/incidents", json!({ "title": "Payslips missing", "impact": 2, "urgency": 2 })).await;
    api.put(server.url(&format!("/api/v1/incidents/{}/cis/{}", inc["id"], app_ci)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        sign_in(&browser, &server, "admin", ADMIN_PASSWORD).await;
        click_through(&browser, Locator::Id("nav-cmdb")).await;
        select(&browser, "ci-class-filter", "server").await;
        click_through(&browser, Locator::Id("ci-filter")).await;
        click_through(&browser, Locator::LinkText("web01")).await;
        assert!(text_of(&browser, "#ci-relations").await.contains("hosts payroll-app"));
        click_through(&browser, Locator::Id("ci-impact-link")).await;
        assert_eq!(text_of(&browser, "#impact-services").await, "Payroll");
        assert!(text_of(&browser, "#impact-incidents").await.contains("Payslips missing"));
        let nodes = browser.find_all(Locator::Css("#impact-graph rect.ci-node")).await.unwrap();
        assert_eq!(nodes.len(), 3, "web01, payroll-app and Payroll drawn");
        assert!(
            text_of(&browser, "#impact-hits").await.contains("web01 —hosts→ payroll-app —used by→ Payroll")
        );
        // From the graph to the service, and its upstream view back down to the server.
        click_through(&browser, Locator::Css(&format!("#impact-graph rect[data-ci='{service}']"))).await;
        assert!(text_of(&browser, "#ci-title").await.starts_with("Payroll"));
        click_through(&browser, Locator::Id("ci-upstream-link")).await;
        assert!(text_of(&browser, "#impact-hits").await.contains("web01"));
        click_through(&browser, Locator::Id("lang-zh")).await;
        assert!(text_of(&browser, "h1").await.starts_with("影响分析"));
        click_through(&browser, Locator::Id("lang-en")).await;

        // A new incident picks its CI by searching the CMDB as the agent types.
        click_through(&browser, Locator::Id("nav-new-incident")).await;
        browser.find(Locator::Id("title")).await.unwrap().send_keys("Payroll export fails").await.unwrap();
        browser.find(Locator::Id("ci-picker")).await.unwrap().send_keys("payroll-a").await.unwrap();
        let option = browser.wait().for_element(Locator::Css("#ci-options option")).await.unwrap();
        let picked = option.attr("value").await.unwrap().unwrap();
        assert_eq!(picked, format!("#{app_ci} payroll-app"));
        let picker = browser.find(Locator::Id("ci-picker")).await.unwrap();
        picker.clear().await.unwrap();
        picker.send_keys(&picked).await.unwrap();
        click_through(&browser, Locator::Id("create-incident")).await;
        assert!(text_of(&browser, "#incident-title").await.contains("Payroll export fails"));
    }
    .await;
    browser.close().await.unwrap();
    result
}

/// A long unbroken word in a description widened the incident page to 2,845 px, and the
/// audit trail grew to 3,312 px: at 1400 px neither scrolls sideways now.
#[tokio::test]
async fn long_words_do_not_widen_pages_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let token = server.token("admin", ADMIN_PASSWORD).await;
    let body = json!({ "title": "Long word", "description": format!("Error: {} end", "x".repeat(400)) });
    let created: serde_json::Value = api
        .post(server.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let result = async {
        browser.set_window_size(1400, 900).await.unwrap();
        sign_in(&browser, &server, "admin", ADMIN_PASSWORD).await;
        for path in [format!("/incidents/{}", created["id"]), "/audit".to_owned()] {
            browser.goto(&server.url(&path)).await.unwrap();
            browser.wait().for_element(Locator::Css("h1")).await.unwrap();
            let widths = browser
                .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
                .await
                .unwrap();
            let (page, window) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
            assert!(page <= window, "{path} is {page} px wide in a {window} px window");
        }
    }
    .await;
    browser.close().await.unwrap();
    result
}
