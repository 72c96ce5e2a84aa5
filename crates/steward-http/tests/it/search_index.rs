//! One search over everything a user may see (issue 19): Chinese and English, typos and
//! prefixes, grouped pages, suggestions while typing — and never a ticket, a work note or an
//! internal article shown to someone who may not read it.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, out) = app.api(Method::POST, path, token, Some(body)).await;
    assert!(status == 201 || status == 200, "{path}: {status} {out}");
    out
}

async fn find(app: &TestApp, token: &str, query: &str) -> Vec<(String, String)> {
    let (status, out) = app.api(Method::GET, &format!("/api/v1/search?{query}"), token, None).await;
    assert_eq!(status, 200, "{query}: {out}");
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["kind"].as_str().unwrap().to_owned(), h["number"].as_str().unwrap().to_owned()))
        .collect()
}

fn numbers(hits: &[(String, String)]) -> Vec<&str> {
    hits.iter().map(|h| h.1.as_str()).collect()
}

#[tokio::test]
async fn search_finds_what_each_reader_may_see_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (ada_user, ada) = app.user_with_token("ada", "agent").await;
    let (_, bo) = app.user_with_token("bo", "agent").await;
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let (_, ron) = app.user_with_token("ron", "requester").await;
    let (_, root) = app.user_with_token("root", "admin").await;
    let desk = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    let network = app.app.directory().create_team(None, "Network", "").await.unwrap();
    app.app.directory().set_team_member(None, desk.id, ada_user.id, true).await.unwrap();

    let ritas = post(
        &app,
        &rita,
        "/api/v1/incidents",
        json!({ "title": "VPN 连接断开", "description": "在家无法连接公司 VPN" }),
    )
    .await;
    let rons = post(&app, &ron, "/api/v1/incidents", json!({ "title": "VPN disconnects every hour" })).await;
    let network_only = post(
        &app,
        &root,
        "/api/v1/incidents",
        json!({ "title": "VPN concentrator failover", "team_id": network.id }),
    )
    .await;
    let rita_no = ritas["number"].as_str().unwrap().to_owned();
    let ron_no = rons["number"].as_str().unwrap().to_owned();
    let net_no = network_only["number"].as_str().unwrap().to_owned();
    post(
        &app,
        &ada,
        &format!("/api/v1/incidents/{}/comments", ritas["id"]),
        json!({ "body": "zebrafish tunnel reset", "internal": true }),
    )
    .await;
    post(
        &app,
        &ada,
        &format!("/api/v1/incidents/{}/comments", ritas["id"]),
        json!({ "body": "请重启客户端", "internal": false }),
    )
    .await;

    let public = post(&app, &ada, "/api/v1/articles", json!({ "title": "如何重新连接 VPN", "body": "打开客户端，点击重新连接。", "audience": "requesters" })).await;
    post(&app, &ada, &format!("/api/v1/articles/{}/workflow", public["id"]), json!({ "action": "submit" }))
        .await;
    post(&app, &bo, &format!("/api/v1/articles/{}/workflow", public["id"]), json!({ "action": "publish" }))
        .await;
    let internal = post(
        &app,
        &ada,
        "/api/v1/articles",
        json!({ "title": "VPN concentrator admin guide", "body": "Root password rotation." }),
    )
    .await;
    let problem =
        post(&app, &ada, "/api/v1/problems", json!({ "title": "VPN drops after idle timeout" })).await;

    // Requesters: their own incident and the published article; never the others.
    let seen = find(&app, &rita, "q=VPN").await;
    let kinds: Vec<&str> = seen.iter().map(|h| h.0.as_str()).collect();
    assert!(numbers(&seen).contains(&rita_no.as_str()), "{seen:?}");
    assert!(kinds.contains(&"published_article"), "{seen:?}");
    assert!(
        !numbers(&seen).contains(&ron_no.as_str()) && !numbers(&seen).contains(&net_no.as_str()),
        "{seen:?}"
    );
    assert!(!kinds.contains(&"problem") && !kinds.contains(&"article"), "no problems, no drafts: {seen:?}");
    assert!(find(&app, &rita, "q=zebrafish").await.is_empty(), "work notes stay with staff");
    assert_eq!(
        numbers(&find(&app, &rita, "q=重启客户端&kind=incident").await),
        [rita_no.as_str()],
        "public replies are found"
    );
    assert!(!numbers(&find(&app, &ron, "q=VPN").await).contains(&rita_no.as_str()));

    // An agent: their teams' queue, the unassigned, problems and every article — not Network's.
    let seen = find(&app, &ada, "q=vpn&limit=50").await;
    let all: Vec<&str> = numbers(&seen);
    assert!(all.contains(&rita_no.as_str()) && all.contains(&ron_no.as_str()), "{seen:?}");
    assert!(!all.contains(&net_no.as_str()), "another team's incident: {seen:?}");
    assert!(
        all.contains(&problem["number"].as_str().unwrap())
            && all.contains(&internal["number"].as_str().unwrap())
    );
    assert_eq!(numbers(&find(&app, &ada, "q=zebrafish").await), [rita_no.as_str()], "staff find work notes");
    // Admins: everything.
    assert!(numbers(&find(&app, &root, "q=vpn&limit=50").await).contains(&net_no.as_str()));

    // Chinese, stemming, a typo, a prefix, a number, filters.
    assert_eq!(numbers(&find(&app, &ada, "q=连接断开&kind=incident").await), [rita_no.as_str()]);
    assert!(numbers(&find(&app, &ada, "q=disconnecting").await).contains(&ron_no.as_str()), "stemmed");
    assert!(numbers(&find(&app, &ada, "q=disconects").await).contains(&ron_no.as_str()), "one typo");
    assert!(numbers(&find(&app, &ada, "q=disconn&prefix=true").await).contains(&ron_no.as_str()), "as typed");
    assert_eq!(numbers(&find(&app, &ada, &format!("q={}", ron_no.to_lowercase())).await)[0], ron_no.as_str());
    let problems = find(&app, &ada, "q=vpn&kind=problem").await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(find(&app, &ada, "q=vpn&kind=incident&from=2999-01-01").await.is_empty());

    // Bad input is named; query syntax is just words.
    let (status, _) = app.api(Method::GET, "/api/v1/search?kind=incident", &ada, None).await;
    assert_eq!(status, 400, "q is required");
    for (query, field) in [
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=x&kind=spaceship", "kind"),
        ("q=x&from=soon", "from"),
        ("q=x&limit=0", "limit"),
    ] {
        let (status, out) = app.api(Method::GET, &format!("/api/v1/search?{query}"), &ada, None).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{query}: {out}");
    }
    let long = "a".repeat(10_000);
    let (status, out) = app.api(Method::GET, &format!("/api/v1/search?q={long}"), &ada, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("q")), "a 10 KB query");
    let (status, _) =
        app.api(Method::GET, "/api/v1/search?q=%22unclosed%20AND%20(vpn%20OR%20*", &ada, None).await;
    assert_eq!(status, 200, "no query syntax to get wrong");

    // The index is derived: rebuilt, it answers the same.
    let before = find(&app, &ada, "q=vpn&limit=50").await;
    let written = app.app.search().reindex(|_| {}).await.unwrap();
    assert!(written >= 8, "{written}");
    let mut after = find(&app, &ada, "q=vpn&limit=50").await;
    let mut before = before;
    before.sort();
    after.sort();
    assert_eq!(before, after);
}

#[tokio::test]
async fn the_next_matching_incident_is_shown_the_known_error_and_the_article_before_it_is_saved() {
    let app = TestApp::spawn().await;
    let (_, ada) = app.user_with_token("ada", "agent").await;
    let (_, bo) = app.user_with_token("bo", "agent").await;
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let mut incidents = Vec::new();
    for title in ["数据库连接池耗尽", "Database connection pool exhausted", "订单服务数据库连接超时"]
    {
        incidents.push(
            post(&app, &ada, "/api/v1/incidents", json!({ "title": title })).await["id"].as_i64().unwrap(),
        );
    }
    let p = post(
        &app,
        &ada,
        "/api/v1/problems",
        json!({ "title": "数据库连接池过小 / DB connection pool too small", "incident_ids": incidents }),
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    post(&app, &ada, &format!("/api/v1/problems/{id}/transition"), json!({ "to": "under_investigation" }))
        .await;
    let (status, _) = app
        .api(
            Method::PUT,
            &format!("/api/v1/problems/{id}/analysis"),
            &ada,
            Some(json!({
                "whys": ["订单超时", "数据库拒绝连接", "连接池耗尽", "连接池只有 10 个连接", "容量从未复核"],
                "root_cause": "Connection pool sized for 2019 load",
                "workaround": "Restart the order service to release connections / 重启订单服务释放连接",
            })),
        )
        .await;
    assert_eq!(status, 200);
    post(&app, &ada, &format!("/api/v1/problems/{id}/transition"), json!({ "to": "known_error" })).await;
    let article = post(&app, &ada, "/api/v1/articles", json!({ "title": "数据库连接池耗尽时怎么办 (connection pool exhausted)", "body": "重启订单服务。Restart the order service.", "audience": "requesters" })).await;
    post(&app, &ada, &format!("/api/v1/articles/{}/workflow", article["id"]), json!({ "action": "submit" }))
        .await;
    post(&app, &bo, &format!("/api/v1/articles/{}/workflow", article["id"]), json!({ "action": "publish" }))
        .await;

    for typed in ["数据库连接", "connection pool exh"] {
        let (status, s) =
            app.api(Method::GET, &format!("/api/v1/suggestions?text={typed}"), &ada, None).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["known_errors"][0]["number"], p["number"], "{typed}: {s}");
        assert_eq!(s["articles"][0]["id"], article["id"], "{typed}: {s}");
        assert!(!s["incidents"].as_array().unwrap().is_empty(), "possible duplicates: {s}");
    }
    // A requester typing is shown the published article, not the problem or others' incidents.
    let (_, s) = app.api(Method::GET, "/api/v1/suggestions?text=数据库连接", &rita, None).await;
    assert_eq!(
        (s["known_errors"].as_array().unwrap().len(), s["incidents"].as_array().unwrap().len()),
        (0, 0),
        "{s}"
    );
    assert_eq!(s["articles"][0]["kind"], "published_article", "{s}");

    // The pages: the header box on every page, results grouped by kind in both languages.
    let (browser, _) = app.signed_in("ada").await;
    let (_, home) = app.page(&browser, "/incidents/new?lang=zh-CN").await;
    assert!(
        home.contains(r#"id="header-q""#)
            && home.contains(r#"data-suggest="suggestions""#)
            && home.contains("保存之前")
    );
    let (status, page) = app.page(&browser, "/search?q=连接池&lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("问题与已知错误") && page.contains("事件") && page.contains("<b>连接池</b>"),
        "{page}"
    );
    let (_, page) = app.page(&browser, "/search?q=connection&lang=en&kind=problem").await;
    assert!(page.contains("Problems and known errors") && !page.contains(r#"id="group-incident""#), "{page}");
    let (status, page) = app.page(&browser, "/search?q=x&kind=spaceship&lang=en").await;
    assert_eq!(status, 422);
    assert!(page.contains("role=\"alert\""), "{page}");
}
