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

const ADMIN_PASSWORD: &str = "browser-test-password";

/// A ChromeDriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
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

async fn chromium(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--lang=en-US", format!("--user-data-dir={}", profile.display()),
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
        browser.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        assert!(text_of(&browser, "#login-error").await.contains("Invalid username or password"));

        browser.find(Locator::Id("password")).await.unwrap().send_keys(ADMIN_PASSWORD).await.unwrap();
        browser.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        assert!(text_of(&browser, "h1").await.contains("API tokens"), "back on the page first asked for");
        assert_eq!(browser.current_url().await.unwrap().path(), "/tokens");

        browser.find(Locator::Id("nav-home")).await.unwrap().click().await.unwrap();
        assert_eq!(text_of(&browser, "#welcome").await, "Welcome, Administrator");

        browser.find(Locator::Id("lang-zh")).await.unwrap().click().await.unwrap();
        assert_eq!(text_of(&browser, "#welcome").await, "欢迎, Administrator");
        assert_eq!(text_of(&browser, "#my-role").await, "管理员");
        // The language follows to the next page.
        browser.find(Locator::Id("nav-users")).await.unwrap().click().await.unwrap();
        assert_eq!(text_of(&browser, "h1").await, "用户");

        browser.find(Locator::Id("signout")).await.unwrap().click().await.unwrap();
        assert!(text_of(&browser, "#login-submit").await.contains("登录"));
        assert!(browser.current_url().await.unwrap().path().ends_with("/login"));
        // Signed out means signed out: the back door is shut.
        browser.goto(&server.url("/")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path().ends_with("/login"));

        browser.find(Locator::Id("lang-en")).await.unwrap().click().await.unwrap();
        assert!(text_of(&browser, "#login-submit").await.contains("Sign in"));
    }
    .await;
    browser.close().await.unwrap();
    result
}
