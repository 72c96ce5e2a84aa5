//! The knowledge base (issue 19): articles written, reviewed by four eyes, published to their
//! audience, versioned with diffs and rollback, rated, attached to tickets, reminded for
//! review, imported — in the API and the pages, in both languages.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn write(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, out) = app.api(Method::POST, "/api/v1/articles", token, Some(body)).await;
    assert_eq!(status, 201, "{out}");
    out
}

async fn step(app: &TestApp, token: &str, id: i64, action: &str) -> (u16, Value) {
    app.api(
        Method::POST,
        &format!("/api/v1/articles/{id}/workflow"),
        token,
        Some(json!({ "action": action })),
    )
    .await
}

#[tokio::test]
async fn articles_are_reviewed_by_four_eyes_and_readers_see_the_published_version() {
    let app = TestApp::spawn().await;
    let (_, ada) = app.user_with_token("ada", "agent").await;
    let (_, bo) = app.user_with_token("bo", "agent").await;
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let a = write(
        &app,
        &ada,
        json!({ "title": "重置 VPN 密码", "body": "1. 打开门户\n2. 点击“忘记密码”\n", "audience": "requesters", "category": "网络 / VPN", "tags": ["vpn"] }),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        (a["state"].as_str(), a["lang"].as_str(), a["number"].as_str()),
        (Some("draft"), Some("zh-CN"), Some(format!("KB{id:06}").as_str()))
    );
    let internal =
        write(&app, &ada, json!({ "title": "Rotate the VPN CA", "body": "Only for the network team." }))
            .await;
    let internal_id = internal["id"].as_i64().unwrap();

    let path = format!("/api/v1/articles/{id}");
    assert_eq!(app.api(Method::GET, &path, &rita, None).await.0, 404, "a draft is not for readers");
    assert_eq!(step(&app, &ada, id, "publish").await.0, 409, "a draft is reviewed first");
    assert_eq!(step(&app, &ada, id, "submit").await.0, 200);
    let (status, out) = step(&app, &ada, id, "publish").await;
    assert_eq!(status, 403, "the writer does not publish their own work: {out}");
    let (status, out) =
        app.api(Method::POST, &format!("{path}/workflow"), &bo, Some(json!({ "action": "reject" }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("comment")), "{out}");
    assert_eq!(step(&app, &bo, id, "publish").await.0, 200);
    let (status, seen) = app.api(Method::GET, &path, &rita, None).await;
    assert_eq!((status, seen["shown_version"].as_i64()), (200, Some(1)), "{seen}");
    assert!(seen["body_html"].as_str().unwrap().contains("<ol>"), "rendered: {seen}");
    let (_, listed) = app.api(Method::GET, "/api/v1/articles", &rita, None).await;
    let ids: Vec<i64> =
        listed["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [id], "readers see only published articles meant for them");
    assert_eq!(step(&app, &ada, internal_id, "submit").await.0, 200);
    assert_eq!(step(&app, &bo, internal_id, "publish").await.0, 200);
    assert_eq!(
        app.api(Method::GET, &format!("/api/v1/articles/{internal_id}"), &rita, None).await.0,
        404,
        "agents only"
    );

    // An edit is a new draft version; readers keep the published one meanwhile.
    let edited = json!({ "title": "重置 VPN 密码", "body": "1. 打开自助门户\n2. 点击“忘记密码”\n3. 查收短信\n", "audience": "requesters", "category": "网络 / VPN", "tags": ["vpn"], "version": 1 });
    let (status, out) = app.api(Method::PUT, &path, &ada, Some(edited.clone())).await;
    assert_eq!(
        (status, out["version"].as_i64(), out["state"].as_str(), out["published_version"].as_i64()),
        (200, Some(2), Some("draft"), Some(1)),
        "{out}"
    );
    let (status, out) = app.api(Method::PUT, &path, &bo, Some(edited)).await;
    assert_eq!(status, 409, "a save over a newer version is refused, not lost: {out}");
    let (_, seen) = app.api(Method::GET, &path, &rita, None).await;
    assert!(!seen["body"].as_str().unwrap().contains("短信"), "readers still see version 1");
    let (_, diff) = app.api(Method::GET, &format!("{path}/diff?from=1&to=2"), &ada, None).await;
    let ops: Vec<(&str, &str)> = diff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["op"].as_str().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert!(ops.contains(&("removed", "1. 打开门户")) && ops.contains(&("added", "3. 查收短信")), "{diff}");
    let (status, out) = app
        .api(Method::POST, &format!("{path}/rollback"), &ada, Some(json!({ "to_version": 1, "version": 2 })))
        .await;
    assert_eq!((status, out["version"].as_i64()), (200, Some(3)), "{out}");
    assert!(!out["body"].as_str().unwrap().contains("短信"), "version 1's text came back as version 3");
    let (_, versions) = app.api(Method::GET, &format!("{path}/versions"), &ada, None).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 3);
    assert_eq!(app.api(Method::GET, &format!("{path}/versions"), &rita, None).await.0, 403);

    // One answer per reader.
    for helpful in [true, true, false] {
        let (status, out) = app
            .api(Method::POST, &format!("{path}/feedback"), &rita, Some(json!({ "helpful": helpful })))
            .await;
        assert_eq!(status, 200, "{out}");
    }
    let (_, out) = app.api(Method::GET, &path, &ada, None).await;
    assert_eq!((out["helpful"].as_i64(), out["unhelpful"].as_i64()), (Some(0), Some(1)), "{out}");
    assert!(out["views"].as_i64().unwrap() >= 3, "readers' views are counted: {out}");
    assert!(app.app.audit().check_state().await.unwrap().is_empty());
}

#[tokio::test]
async fn articles_attach_to_tickets_come_from_them_and_their_bad_input_is_named() {
    let app = TestApp::spawn().await;
    let (_, ada) = app.user_with_token("ada", "agent").await;
    let (bo_user, bo) = app.user_with_token("bo", "agent").await;
    let (status, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &ada,
            Some(json!({ "title": "Outlook keeps asking for a password", "description": "Since Monday." })),
        )
        .await;
    assert_eq!(status, 201);
    let inc_id = inc["id"].as_i64().unwrap();
    let resolve = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Removed the stale credential in Windows Credential Manager." });
    assert_eq!(
        app.api(Method::POST, &format!("/api/v1/incidents/{inc_id}/transition"), &ada, Some(resolve)).await.0,
        200
    );
    let (status, draft) =
        app.api(Method::GET, &format!("/api/v1/article-drafts?ticket_id={inc_id}"), &ada, None).await;
    assert_eq!(status, 200, "{draft}");
    assert!(
        draft["body"].as_str().unwrap().contains("Credential Manager")
            && draft["title"] == "Outlook keeps asking for a password"
    );
    let a = write(
        &app,
        &ada,
        json!({ "title": draft["title"], "body": format!("{}\n<script>alert(1)</script>", draft["body"].as_str().unwrap()), "source_ticket_id": inc_id }),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    assert!(!a["body_html"].as_str().unwrap().contains("<script"), "HTML in articles is inert: {a}");
    let (status, attached) = app
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{inc_id}/articles"),
            &ada,
            Some(json!({ "article_id": id })),
        )
        .await;
    assert_eq!((status, attached["items"][0]["id"].as_i64()), (200, Some(id)), "{attached}");
    let (status, out) = app
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{inc_id}/articles"),
            &ada,
            Some(json!({ "article_id": 99999 })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("article_id")));

    for (body, field) in [
        (json!({ "title": "t", "body": "b", "lang": "fr" }), "lang"),
        (json!({ "title": "t", "body": "b", "audience": "everyone" }), "audience"),
        (json!({ "title": "t", "body": "b", "review_by": "soon" }), "review_by"),
        (json!({ "title": "", "body": "b" }), "title"),
        (json!({ "title": "t", "body": "b", "tags": ["no spaces allowed"] }), "tags"),
    ] {
        let (status, out) = app.api(Method::POST, "/api/v1/articles", &ada, Some(body)).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{out}");
    }
    let (status, out) = app
        .api(Method::POST, &format!("/api/v1/articles/{id}/workflow"), &ada, Some(json!({ "action": "fly" })))
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("action")));

    // Review reminders, once per review date, from the app's own clock (never today's).
    let today = jiff::tz::TimeZone::UTC.to_datetime(app.app.now()).date();
    let due = json!({ "title": "Due", "body": "Check me.", "review_by": today.to_string() });
    write(&app, &bo, due).await;
    assert_eq!(app.app.remind_article_reviews().await.unwrap(), 1);
    assert_eq!(app.app.remind_article_reviews().await.unwrap(), 0, "reminded once");

    // An import checks every article and writes none when one is wrong.
    let line = |title: &str, body: &str| steward_app::knowledge::ImportLine {
        title: title.into(),
        body: body.into(),
        state: Some("published".into()),
        audience: "requesters".into(),
        ..Default::default()
    };
    let bo_id = bo_user.id;
    let bad =
        vec![("1".to_owned(), line("Printer jams", "Open tray 2.")), ("2".to_owned(), line("", "no title"))];
    let report = app.app.knowledge().import(bo_id, bad, |_| {}).await.unwrap();
    assert_eq!((report.created, report.errors.len(), report.errors[0].1.as_str()), (0, 1, "title"));
    let good = vec![
        ("1".to_owned(), line("Printer jams", "Open tray 2.")),
        ("2".to_owned(), line("打印机卡纸", "打开二号纸盒。")),
    ];
    let mut seen = 0;
    let report = app.app.knowledge().import(bo_id, good, |n| seen = n).await.unwrap();
    assert_eq!((report.created, seen), (2, 2));
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let (_, listed) = app.api(Method::GET, "/api/v1/articles", &rita, None).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "imported as published for requesters: {listed}"
    );
}

#[tokio::test]
async fn knowledge_pages_write_review_and_show_articles_in_both_languages() {
    let app = TestApp::spawn().await;
    app.user_with_token("ada", "agent").await;
    let (_, bo) = app.user_with_token("bo", "agent").await;
    app.user_with_token("rita", "requester").await;
    let (ada, csrf) = app.signed_in("ada").await;
    let form = |title: &str, body: &str, version: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("body", body.to_owned()),
            ("audience", "requesters".to_owned()),
            ("category", "Mail".to_owned()),
            ("tags", "outlook mail".to_owned()),
            ("version", version.to_owned()),
        ]
    };
    let created = ada
        .post(app.url("/kb"))
        .form(&form("Outlook asks for a password", "Clear the **stored** password.", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/kb/").parse().unwrap();
    let (_, page) = app.page(&ada, &format!("/kb/{id}?lang=zh-CN")).await;
    assert!(
        page.contains("<strong>stored</strong>") && page.contains("草稿") && page.contains("提交审核"),
        "{page}"
    );

    // Two writers: the second save over the same version comes back with its text kept.
    let first = ada
        .post(app.url(&format!("/kb/{id}")))
        .form(&form("Outlook asks for a password", "Version two.", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let second = ada
        .post(app.url(&format!("/kb/{id}")))
        .form(&form("Outlook asks for a password", "My lost work.", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 422);
    assert!(second.text().await.unwrap().contains("My lost work."), "the typed text comes back");

    let submit = ada
        .post(app.url(&format!("/kb/{id}/workflow")))
        .form(&[("_csrf", csrf.as_str()), ("action", "submit"), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert!(!submit.headers()["location"].to_str().unwrap().contains("error"));
    assert_eq!(
        app.api(
            Method::POST,
            &format!("/api/v1/articles/{id}/workflow"),
            &bo,
            Some(json!({ "action": "publish" }))
        )
        .await
        .0,
        200
    );
    let (_, diff) = app.page(&ada, &format!("/kb/{id}/diff?from=1&to=2&lang=en")).await;
    assert!(diff.contains("- Clear the **stored** password.") && diff.contains("+ Version two."), "{diff}");

    let (rita, rita_csrf) = app.signed_in("rita").await;
    let (status, page) = app.page(&rita, &format!("/kb/{id}?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Version two.")
            && page.contains("Was this helpful?")
            && !page.contains("workflow-form"),
        "{page}"
    );
    let rated = rita
        .post(app.url(&format!("/kb/{id}/feedback")))
        .form(&[("_csrf", rita_csrf.as_str()), ("helpful", "yes")])
        .send()
        .await
        .unwrap();
    assert!(!rated.headers()["location"].to_str().unwrap().contains("error"));
    let (_, list) = app.page(&rita, "/kb?q=outlook&lang=zh-CN").await;
    assert!(list.contains("Outlook asks for a password") && list.contains("知识库"), "{list}");
}
