//! Issue 17, "checks that keep it this way": every page, for every demo role, in 中文 and in
//! English, shows no catalogue key, no raw snake_case code, and (in Chinese) no label left in
//! English. Pages come from the route table, so a new page is checked without being listed.

use std::collections::{BTreeMap, BTreeSet};

use steward_test_support::TestApp;

/// `"key" = "value"` lines of a catalogue (the test reads the files the binary embeds).
fn catalogue(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(" = ")?;
            let k = k.trim().strip_prefix('"')?.strip_suffix('"')?;
            let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            Some((k.to_owned(), v.replace("\\\"", "\"")))
        })
        .collect()
}

/// The text a reader sees: no tags, scripts, styles, `<code>` or editors; entities decoded.
fn visible_text(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    let mut current = String::new();
    while let Some(lt) = rest.find('<') {
        current.push_str(&rest[..lt]);
        out.push(std::mem::take(&mut current));
        rest = &rest[lt..];
        let skip_to = if rest.starts_with("<script") {
            "</script>"
        } else if rest.starts_with("<style") {
            "</style>"
        } else if rest.starts_with("<title") {
            "</title>"
        } else if rest.starts_with("<code") {
            // An identifier shown on purpose (an attribute's name to type, stored JSON).
            "</code>"
        } else if rest.starts_with("<textarea") {
            // An editor's content is the user's own text (a runbook's YAML), as in `<code>`.
            "</textarea>"
        } else {
            ">"
        };
        match rest.find(skip_to) {
            Some(end) => rest = &rest[end + skip_to.len()..],
            None => rest = "",
        }
    }
    out.push(rest.to_owned());
    out.into_iter()
        .map(|s| {
            s.replace("&#60;", "<")
                .replace("&#62;", ">")
                .replace("&#38;", "&")
                .replace("&#34;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
                .replace("&nbsp;", " ")
                .trim()
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// What a page shows that it should not.
fn findings(texts: &[String], keys: &BTreeSet<&str>, english_only: &BTreeSet<&str>) -> Vec<String> {
    let mut found = Vec::new();
    for text in texts {
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
            let word = word.trim_matches('.');
            if keys.contains(word) {
                found.push(format!("catalogue key `{word}`"));
            }
            let snake = word.split('_').count() > 1
                && word.split('_').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()));
            if snake {
                found.push(format!("raw code `{word}` in “{text}”"));
            }
        }
        // Short English words the catalogue check is too coarse for.
        if !english_only.is_empty()
            && text.split_whitespace().any(|w| ["min", "internal", "more"].contains(&w))
        {
            found.push(format!("English word in “{text}”"));
        }
        if english_only.contains(text.as_str()) {
            found.push(format!("English label “{text}”"));
        }
    }
    found
}

#[tokio::test]
async fn every_page_for_every_role_reads_in_its_language_without_codes() {
    let app = TestApp::spawn().await;
    app.user("root", "admin").await;
    assert!(app.app.seed_demo_with_history(20).await.unwrap());
    let en = catalogue(include_str!("../../i18n/en.toml"));
    let zh = catalogue(include_str!("../../i18n/zh-CN.toml"));
    let keys: BTreeSet<&str> = en.keys().map(String::as_str).collect();
    // English labels a Chinese page must not show: catalogue texts that differ between the
    // two and read as words (not "P1", "SLA", "CSV" or a format).
    let english_only: BTreeSet<&str> = en
        .iter()
        .filter(|(k, v)| zh.get(*k) != Some(v) && v.chars().filter(|c| c.is_ascii_alphabetic()).count() > 3)
        .filter(|(_, v)| !v.contains('{'))
        .map(|(_, v)| v.as_str())
        .collect();
    let none = BTreeSet::new();
    // Names the demo gave its records ("Email", "Database") are data, not labels.
    let root = app.app.directory().user_by_username("root").await.unwrap();
    let actor = steward_app::Actor { user: root, credential: steward_app::Credential::Direct };
    let mut data_names: BTreeSet<String> = BTreeSet::new();
    data_names.extend(
        app.app.directory().list_teams(&actor).await.unwrap().into_iter().map(|t| t.team.name.to_string()),
    );
    data_names.extend(app.app.incidents().categories(&actor).await.unwrap().into_iter().map(|c| c.name));
    let query = steward_store::CiQuery { limit: 500, ..Default::default() };
    data_names.extend(app.app.cmdb().list(&actor, &query).await.unwrap().into_iter().map(|c| c.name));
    let english_only: BTreeSet<&str> =
        english_only.into_iter().filter(|v| !data_names.contains(*v)).collect();

    let incident = app
        .app
        .incidents()
        .list(&actor, &steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Incident))
        .await
        .unwrap()
        .items[0]
        .id;
    let ci = app
        .app
        .cmdb()
        .list(&actor, &steward_store::CiQuery { limit: 10, ..Default::default() })
        .await
        .unwrap()[0]
        .id;
    let problem = app
        .app
        .problems()
        .list(&actor, &steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Problem))
        .await
        .unwrap()
        .items[0]
        .0
        .id;
    let article = app
        .app
        .knowledge()
        .list(&actor, steward_store::ArticleFilter { limit: 1, ..Default::default() })
        .await
        .unwrap()[0]
        .id;
    let reviewed = app.app.reviews().list(&actor).await.unwrap()[0].0.id;
    let release = app.app.changes().releases(&actor).await.unwrap()[0].id;
    let change = app
        .app
        .changes()
        .list(&actor, &steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Change))
        .await
        .unwrap()
        .items[0]
        .0
        .id;
    let runbook = app.app.runbooks().list(&actor, false).await.unwrap()[0].record.id;
    let run = app
        .app
        .runbooks()
        .runs(&actor, &steward_store::RunFilter { limit: 1, ..Default::default() })
        .await
        .unwrap()[0]
        .id;
    let template = app
        .app
        .logs()
        .templates(&actor, &steward_store::TemplateFilter { limit: 1, ..Default::default() })
        .await
        .unwrap()[0]
        .id;
    let paths: Vec<String> = steward_http::routes()
        .iter()
        .filter(|r| r.method == axum::http::Method::GET)
        .map(|r| r.path)
        .filter(|p| {
            !["/api/", "/static/", "/healthz", "/readyz", "/metrics", "/live"]
                .iter()
                .any(|x| p.starts_with(x))
                // Downloads and streams, not pages.
                && !p.contains("/export.")
                && !p.ends_with("/export")
                && !p.ends_with("/live")
                && !p.contains("{name}")
        })
        .map(|p| {
            let id = if p.starts_with("/logs/") {
                template.to_string()
            } else if p.starts_with("/cmdb/") {
                ci.to_string()
            } else if p.starts_with("/changes/releases/") {
                release.to_string()
            } else if p.starts_with("/runbooks/runs/") {
                run.to_string()
            } else if p.starts_with("/runbooks/") {
                runbook.to_string()
            } else if p.starts_with("/changes/") {
                change.to_string()
            } else if p.starts_with("/problems/") {
                problem.to_string()
            } else if p.starts_with("/kb/") {
                article.to_string()
            } else if p.contains("/review") {
                reviewed.to_string()
            } else {
                incident.to_string()
            };
            let path = p.replace("{id}", &id);
            if path.ends_with("/diff") { format!("{path}?from=1&to=1") } else { path }
        })
        .collect();
    assert!(paths.len() >= 15, "{paths:?}");

    let mut problems = Vec::new();
    for (username, password) in [
        ("root", steward_test_support::PASSWORD),
        ("wang.fang", steward_app::demo::DEMO_PASSWORD),
        ("li.wei", steward_app::demo::DEMO_PASSWORD),
        ("liu.yang", steward_app::demo::DEMO_PASSWORD),
        ("grace.kim", steward_app::demo::DEMO_PASSWORD),
        ("audit.lin", steward_app::demo::DEMO_PASSWORD),
    ] {
        let browser = TestApp::browser();
        assert_eq!(app.sign_in(&browser, username, password).await.status(), 303, "{username}");
        for path in &paths {
            for lang in ["zh-CN", "en"] {
                let sep = if path.contains('?') { '&' } else { '?' };
                let (status, html) = app.page(&browser, &format!("{path}{sep}lang={lang}")).await;
                if status == 303 || status == 302 {
                    continue;
                }
                // A page that refuses its own links' parameters (`lang`) is broken; a 404 or 403
                // is a record this role may not see.
                if status == 400 {
                    problems.push(format!("{username} {lang} {path}: status {status}"));
                }
                let english = if lang == "zh-CN" { &english_only } else { &none };
                for f in findings(&visible_text(&html), &keys, english) {
                    problems.push(format!("{username} {lang} {path} ({status}): {f}"));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} findings:\n{}", problems.len(), problems.join("\n"));
}
