//! Issue 17, "checks that keep it this way", in real Chromium: every page, for an admin, an
//! agent and a requester of the demo, in English and 中文, at 1400 px and 390 px, fits its
//! window (no sideways scrolling), and axe-core finds no serious or critical WCAG 2.1 AA
//! violation. Pages come from the route table. axe-core comes from npm (`./scripts/test`
//! installs it under `target/npm`); without it this test fails and says so.

use fantoccini::{Client, Locator};
use steward_test_support::TestDb;

use crate::browser::{ADMIN_PASSWORD, Driver, chromium, sign_in};
use crate::server::{Server, steward};

fn axe_source() -> String {
    let path = std::env::var("STEWARD_AXE_JS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/npm/node_modules/axe-core/axe.min.js").to_owned()
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core not found at {path} ({e}): run ./scripts/test, which installs it")
    })
}

/// The web pages of the route table. `{id}` takes the demo's first record, and for incidents
/// also `incidents`: those the reader's queue shows first (their own, with replies); problem
/// and review pages take `more`'s (area prefix, id) when the reader has one.
fn pages(incidents: &[String], more: &[(&str, String)]) -> Vec<String> {
    steward_http::routes()
        .iter()
        .filter(|r| r.method == axum::http::Method::GET)
        .map(|r| r.path)
        .filter(|p| {
            !["/api/", "/static/", "/healthz", "/readyz", "/metrics", "/login", "/live"]
                .iter()
                .any(|x| p.starts_with(x))
                // Downloads and streams, not pages.
                && !p.contains("/export.")
                && !p.ends_with("/export")
                && !p.ends_with("/live")
                // The portal's answers box, fetched into the home page as one types.
                && *p != "/portal/answers"
                && !p.contains("{name}")
        })
        .flat_map(|p| {
            let mut ids = vec!["1".to_owned()];
            if let Some((_, id)) = more.iter().find(|(prefix, _)| p.starts_with(prefix)) {
                ids = vec![id.clone()];
            } else if p.starts_with("/incidents/{id}") {
                ids.extend(incidents.iter().cloned());
            }
            let query = if p.ends_with("/diff") { "?from=1&to=1" } else { "" };
            ids.into_iter().map(move |id| format!("{}{query}", p.replace("{id}", &id)))
        })
        .collect()
}

/// What is wrong with the page `browser` shows: sideways scrolling, and axe's serious and
/// critical findings (rule and the first elements).
async fn check(browser: &Client, axe: &str, width: i64, run_axe: bool) -> Vec<String> {
    let mut found = Vec::new();
    let widths = browser
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .unwrap();
    let (page, window) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(window <= width, "the window is {window} px, asked for {width}: the check would be void");
    if page > window {
        found.push(format!("{page} px wide in a {window} px window"));
    }
    if run_axe {
        browser.execute(axe, vec![]).await.unwrap();
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
              .then(r => done(r.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "))))
              .catch(e => done(["axe failed: " + e]));"#;
        let violations = browser.execute_async(script, vec![]).await.unwrap();
        for v in violations.as_array().into_iter().flatten() {
            found.push(v.as_str().unwrap_or_default().to_owned());
        }
    }
    found
}

#[tokio::test]
async fn every_page_fits_phone_and_desktop_and_passes_axe_in_chromium() {
    let db = TestDb::new().await;
    let mut cmd = steward(&db);
    cmd.env("STEWARD_ADMIN_PASSWORD", ADMIN_PASSWORD);
    let server = Server::start_with(cmd, &["--demo"]);
    let axe = axe_source();
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = chromium(&driver, profile.path()).await;
    let demo = steward_app::demo::DEMO_PASSWORD;
    let mut problems = Vec::new();
    async {
        for (user, password, langs) in [
            ("admin", ADMIN_PASSWORD, &["en", "zh-CN"][..]),
            ("li.wei", demo, &["zh-CN"][..]),
            ("liu.yang", demo, &["en", "zh-CN"][..]),
        ] {
            browser.delete_all_cookies().await.unwrap();
            browser.set_window_size(1400, 900).await.unwrap();
            sign_in(&browser, &server, user, password).await;
            // The first two incidents of the reader's own queue.
            browser.goto(&server.url("/incidents")).await.unwrap();
            let found = browser
                .execute("return [...document.querySelectorAll('#incidents td:nth-child(2) a')].slice(0, 2).map(a => a.getAttribute('href').split('/').pop())", vec![])
                .await
                .unwrap();
            let incidents: Vec<String> =
                found.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
            // The first problem and the first reviewed incident the reader can open.
            let mut more = Vec::new();
            for (list, link, prefix) in [("/problems", "#problems a", "/problems/{id}"), ("/reviews", "#reviews a", "/incidents/{id}/review")] {
                browser.goto(&server.url(list)).await.unwrap();
                let script = format!("const a = document.querySelector('{link}'); return a ? a.getAttribute('href').split('/')[2] : null");
                if let Some(id) = browser.execute(&script, vec![]).await.unwrap().as_str() {
                    more.push((prefix, id.to_owned()));
                }
            }
            for lang in langs {
                for (width, run_axe) in [(1400, true), (390, false)] {
                    browser.set_window_size(width, 900).await.unwrap();
                    for path in pages(&incidents, &more) {
                        let sep = if path.contains('?') { '&' } else { '?' };
                        browser.goto(&server.url(&format!("{path}{sep}lang={lang}"))).await.unwrap();
                        browser.wait().for_element(Locator::Css("h1")).await.unwrap();
                        // axe once per page and language (the rules do not depend on the width).
                        for f in
                            check(&browser, &axe, width.into(), run_axe && (*lang == "en" || user != "admin"))
                                .await
                        {
                            problems.push(format!("{user} {lang} {width} px {path}: {f}"));
                        }
                    }
                }
            }
        }
    }
    .await;
    // Writing aids, as an agent (a requester reports on the portal's plainer form): Markdown
    // preview from the server, and `?` lists the keyboard shortcuts.
    browser.delete_all_cookies().await.unwrap();
    sign_in(&browser, &server, "li.wei", demo).await;
    browser.set_window_size(1400, 900).await.unwrap();
    browser.goto(&server.url("/incidents/new?lang=en")).await.unwrap();
    browser.find(Locator::Id("description")).await.unwrap().send_keys("**bold** text").await.unwrap();
    browser.find(Locator::Css(".preview-button")).await.unwrap().click().await.unwrap();
    let preview = browser.wait().for_element(Locator::Css("#description-preview strong")).await.unwrap();
    assert_eq!(preview.text().await.unwrap(), "bold");
    browser.find(Locator::Css("h1")).await.unwrap().click().await.unwrap();
    browser.execute("document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }))", vec![]).await.unwrap();
    let open = browser.execute("return document.getElementById('shortcuts').open", vec![]).await.unwrap();
    assert_eq!(open, serde_json::json!(true), "`?` opens the shortcuts");

    // A picture dropped into the reply box is attached and shows on the page.
    browser.goto(&server.url("/incidents?lang=en")).await.unwrap();
    let first = browser
        .execute("return document.querySelector('#incidents td:nth-child(2) a').getAttribute('href')", vec![])
        .await
        .unwrap();
    browser.goto(&server.url(first.as_str().unwrap())).await.unwrap();
    browser.wait().for_element(Locator::Id("reply-body")).await.unwrap();
    let drop = r#"
        const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
        document.getElementById("reply-body").dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));"#;
    browser.execute(drop, vec![]).await.unwrap();
    let picture = browser.wait().for_element(Locator::Css("img.attachment-preview")).await.unwrap();
    assert_eq!(picture.attr("alt").await.unwrap().as_deref(), Some("dropped.png"));

    // At phone width the menu folds behind its button and opens from it.
    browser.set_window_size(390, 800).await.unwrap();
    browser.goto(&server.url("/?lang=en")).await.unwrap();
    let link = browser.wait().for_element(Locator::Id("nav-incidents")).await.unwrap();
    assert!(!link.is_displayed().await.unwrap(), "the menu is folded at 390 px");
    browser.find(Locator::Id("nav-toggle")).await.unwrap().click().await.unwrap();
    assert!(link.is_displayed().await.unwrap(), "the menu button opens it");
    browser.close().await.unwrap();
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} findings:\n{}", problems.len(), problems.join("\n"));
}
