//! Issue 21 in real headless Chromium against `steward serve` (whose executor runs the runs):
//! a change manager imports a runbook on the page, an agent starts it from the runbook's form,
//! and the run's output streams onto the run page while the step is still running; a gated
//! run waits on its page until the change manager approves it there; the pages read in 中文.

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

/// Waits until the element's text holds every one of `wanted`; answers the text.
async fn shows(browser: &Client, id: &str, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = text(browser, id).await;
        if wanted.iter().all(|w| t.contains(w)) {
            return t;
        }
        assert!(Instant::now() < deadline, "#{id} never showed {wanted:?}: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const SLOW: &str = "name: Count slowly\nparams:\n  - { name: upto, type: number, default: 4, min: 1, max: 10 }\nsteps:\n  - id: count\n    kind: command\n    env: { UPTO: '{{ params.upto }}' }\n    script: 'for i in $(seq 1 \"$UPTO\"); do echo \"tick $i\"; sleep 1; done; echo finished-counting'\n";

#[tokio::test]
async fn a_run_started_on_its_page_streams_its_output_live_and_a_gated_one_is_approved_there() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start(cmd);
    let api = reqwest::Client::new();
    let admin = server.token("admin", ADMIN_PASSWORD).await;
    for (name, role) in [("grace.kim", "change_manager"), ("li.wei", "agent")] {
        let r = api
            .post(server.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": name, "role": role, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    let driver = Driver::start();
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let manager = chromium(&driver, one.path()).await;
    let agent = chromium(&driver, two.path()).await;
    let result = async {
        // The change manager imports two runbooks on the page.
        sign_in(&manager, &server, "grace.kim", ADMIN_PASSWORD).await;
        for yaml in [
            SLOW.to_owned(),
            SLOW.replace("Count slowly", "Count with approval")
                .replace("params:", "approval: { role: change_manager }\nparams:"),
        ] {
            manager.goto(&server.url("/runbooks?lang=en")).await.unwrap();
            manager
                .execute("document.getElementById('runbook-yaml').value = arguments[0];", vec![json!(yaml)])
                .await
                .unwrap();
            click_through(&manager, Locator::Id("runbook-save")).await;
            assert!(manager.current_url().await.unwrap().path().starts_with("/runbooks/"), "saved");
        }
        let gated_page = manager.current_url().await.unwrap().path().to_owned();

        // The agent starts the slow one; its output arrives while it runs.
        sign_in(&agent, &server, "li.wei", ADMIN_PASSWORD).await;
        agent.goto(&server.url("/runbooks?lang=en")).await.unwrap();
        agent.find(Locator::LinkText("Count slowly")).await.unwrap().click().await.unwrap();
        let upto = agent.find(Locator::Id("param-upto")).await.unwrap();
        upto.clear().await.unwrap();
        upto.send_keys("5").await.unwrap();
        click_through(&agent, Locator::Id("run-start")).await;
        let early = shows(&agent, "run-output", &["tick 1"]).await;
        assert!(!early.contains("finished-counting"), "output shown before the step ended: {early}");
        shows(&agent, "run-output", &["tick 5", "finished-counting"]).await;
        // When the run ends the page shows its final state.
        shows(&agent, "run-state", &["succeeded"]).await;
        let steps = text(&agent, "run-steps").await;
        assert!(steps.contains("succeeded") && steps.contains('0'), "{steps}");

        // The gated one waits, visibly, until the change manager approves it on its page.
        agent.goto(&server.url(&format!("{gated_page}?lang=en"))).await.unwrap();
        click_through(&agent, Locator::Id("run-start")).await;
        shows(&agent, "run-state", &["waiting for approval"]).await;
        let run_page = agent.current_url().await.unwrap().path().to_owned();
        assert!(agent.find(Locator::Id("approve")).await.is_err(), "nobody approves their own run");
        manager.goto(&server.url(&format!("{run_page}?lang=zh-CN"))).await.unwrap();
        shows(&manager, "run-state", &["等待审批"]).await;
        click_through(&manager, Locator::Id("approve")).await;
        agent.goto(&server.url(&format!("{run_page}?lang=zh-CN"))).await.unwrap();
        shows(&agent, "run-output", &["finished-counting"]).await;
        shows(&agent, "run-state", &["成功"]).await;
    }
    .await;
    manager.close().await.ok();
    agent.close().await.ok();
    result
}
