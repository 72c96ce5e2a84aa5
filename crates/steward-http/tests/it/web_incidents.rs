//! Incident pages through forms, as a browser posts them.

use steward_test_support::TestApp;

async fn signed_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    app.signed_in(username).await
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String) {
    app.page(browser, path).await
}

#[tokio::test]
async fn raising_listing_and_reporting_through_pages() {
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    app.user("rita", "requester").await;
    app.user("ron", "requester").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();

    let (rita, csrf) = signed_in(&app, "rita").await;
    let (_, form) = page(&app, &rita, "/incidents/new").await;
    assert!(
        form.contains(r#"class="portal-nav""#)
            && form.contains("Who is affected?")
            && form.contains("I cannot work at all"),
        "a requester reports in the portal's layout, in plain words"
    );
    assert!(!form.contains("assignee_id"), "requesters do not assign");
    let empty = rita
        .post(app.url("/incidents"))
        .form(&[("_csrf", csrf.as_str()), ("title", " "), ("impact", "3"), ("urgency", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422, "the form comes back with the error");
    let again = empty.text().await.unwrap();
    assert!(again.contains("Give a title of 1 to 200 characters.") && again.contains(r#"id="new-incident""#));
    let created = rita
        .post(app.url("/incidents"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "Monitor flickers"),
            ("description", "Since the **update**"),
            ("impact", "3"),
            ("urgency", "2"),
            ("tags", "screen"),
        ])
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/incidents/"), "{location}");
    let (status, detail) = page(&app, &rita, &location).await;
    assert_eq!(status, 200);
    assert!(detail.contains("INC000001 · Monitor flickers") && detail.contains("<strong>update</strong>"));
    assert!(!detail.contains("assign-form"), "requesters get no assignment form");

    let (ron, _) = signed_in(&app, "ron").await;
    assert_eq!(page(&app, &ron, &location).await.0, 404, "someone else's incident");
    let (_, list) = page(&app, &ron, "/incidents").await;
    assert!(list.contains("no-incidents"));

    let (ada_browser, ada_csrf) = signed_in(&app, "ada").await;
    let (_, desk_form) = page(&app, &ada_browser, "/incidents/new").await;
    assert!(
        desk_form.contains(r#"data-matrix="1,2,3,2,3,4,3,4,5""#),
        "the desk's form previews the priority"
    );
    let (_, queue) = page(&app, &ada_browser, "/incidents?assignee=none&state=new&sort=priority").await;
    assert!(queue.contains("Monitor flickers"));
    let id = location.trim_start_matches("/incidents/");
    let assign = ada_browser
        .post(app.url(&format!("/incidents/{id}/update")))
        .form(&[
            ("_csrf", ada_csrf.as_str()),
            ("team_id", ""),
            ("assignee_id", &ada.id.to_string()),
            ("impact", "3"),
            ("urgency", "2"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(!assign.headers()["location"].to_str().unwrap().contains("error"));
    // "Move to" preselects nothing (it used to preselect the first state, so Apply without
    // looking moved a ticket backwards), and an empty choice moves nothing.
    let (_, detail) = page(&app, &ada_browser, &format!("/incidents/{id}")).await;
    let select = detail.split("id=\"transition-to\"").nth(1).unwrap();
    let first = select.split("<option").nth(1).unwrap();
    assert!(first.contains("value=\"\" selected disabled"), "{first}");
    let empty = ada_browser
        .post(app.url(&format!("/incidents/{id}/transition")))
        .form(&[("_csrf", ada_csrf.as_str()), ("to", ""), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Choose the state to move to."));
    let unchanged =
        app.app.store().ticket(steward_core::ids::TicketId(id.parse().unwrap())).await.unwrap().unwrap();
    assert_eq!(unchanged.version, 2, "nothing moved");
    let bad = ada_browser
        .post(app.url(&format!("/incidents/{id}/transition")))
        .form(&[("_csrf", ada_csrf.as_str()), ("to", "closed"), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("cannot move to that state"), "an illegal move is explained on the page");
    let (_, mine) = page(&app, &ada_browser, "/incidents?assignee=me").await;
    assert!(mine.contains("Monitor flickers") && mine.contains("Desk"));

    let save = ada_browser
        .post(app.url("/incidents/views"))
        .form(&[("_csrf", ada_csrf.as_str()), ("name", "My P3s"), ("query", "assignee=me&priority=3")])
        .send()
        .await
        .unwrap();
    assert_eq!(save.status(), 303);
    let again = ada_browser
        .post(app.url("/incidents/views"))
        .form(&[("_csrf", ada_csrf.as_str()), ("name", "My P3s"), ("query", "assignee=me")])
        .send()
        .await
        .unwrap();
    assert!(
        again.headers()["location"].to_str().unwrap().contains("error="),
        "a taken view name is explained, not a 500"
    );
    let (_, with_view) = page(&app, &ada_browser, "/incidents").await;
    assert!(
        with_view.contains(r#"<a href="/incidents?assignee=me&#38;priority=3">My P3s</a>"#),
        "{with_view}"
    );

    let (status, report) = page(&app, &rita, &format!("/incidents/{id}/report")).await;
    assert_eq!(status, 200);
    assert!(report.contains("closure-report") && report.contains("Monitor flickers"));
    let (_, zh) = page(&app, &rita, &format!("/incidents/{id}?lang=zh-CN")).await;
    assert!(zh.contains("已分派") && zh.contains("结案报告"), "the detail page speaks Chinese");
    assert!(
        zh.contains("处理人: — → ada") && zh.contains("状态: 新建 → 已分派"),
        "so does its activity stream: {zh}"
    );
}

/// A CI picked in the new-incident form was linked, but the incident page never showed it; and
/// the form had two fields that both said "CI".
#[tokio::test]
async fn a_ci_picked_when_raising_shows_on_the_incident() {
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let token = app.token("ada", "read write").await;
    let ci =
        serde_json::json!({ "class": "server", "name": "mail01", "attributes": { "hostname": "mail01" } });
    let (status, ci) = app.api(reqwest::Method::POST, "/api/v1/cis", &token, Some(ci)).await;
    assert_eq!(status, 201, "{ci}");
    let (browser, csrf) = signed_in(&app, &ada.username.to_string()).await;
    let (_, form) = page(&app, &browser, "/incidents/new?lang=en").await;
    // Labels only: a CSRF token may hold the letters "CI" too.
    let labels: Vec<&str> = form
        .split("<label>")
        .skip(1)
        .filter(|l| l.split("</label>").next().unwrap_or("").contains("CI"))
        .collect();
    assert_eq!(labels.len(), 1, "one field names CIs: {labels:?}");
    assert!(labels[0].contains("Affected CI"));
    let picked = format!("#{} mail01", ci["id"]);
    let created = browser
        .post(app.url("/incidents"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "Mail down"),
            ("impact", "2"),
            ("urgency", "2"),
            ("ci", picked.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let (_, detail) = page(&app, &browser, &location).await;
    let shown = detail.split("id=\"incident-cis\"").nth(1).unwrap().split("</dd>").next().unwrap();
    assert!(shown.contains(&format!("<a href=\"/cmdb/{}\">mail01</a>", ci["id"])), "{shown}");
    // The history names the CI in the reader's language, not "link ci".
    assert!(detail.contains("Affected CI added: mail01") && !detail.contains("link ci"), "{detail}");
    let (_, zh) = page(&app, &browser, &format!("{location}?lang=zh-CN")).await;
    assert!(zh.contains("添加受影响的配置项: mail01"), "{zh}");
}

/// An @mention notified no one. Those mentioned are told in-app when they may read what
/// mentions them: a work note only its queue's agents; never the author.
#[tokio::test]
async fn mentions_notify_those_who_may_read_them() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let (ada, ada_token) = app.user_with_token("ada", "agent").await;
    let (bob, bob_token) = app.user_with_token("bob", "agent").await;
    let (rita, rita_token) = app.user_with_token("rita", "requester").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    for u in [ada.id, bob.id] {
        app.app.directory().set_team_member(None, team.id, u, true).await.unwrap();
    }
    let body = serde_json::json!({ "title": "VPN drops", "team_id": team.id, "requester_id": rita.id });
    let (status, incident) = app.api(Method::POST, "/api/v1/incidents", &ada_token, Some(body)).await;
    assert_eq!(status, 201, "{incident}");
    let comments = format!("/api/v1/incidents/{}/comments", incident["id"]);
    let note = serde_json::json!({ "body": "@bob @rita @ada can you look?", "internal": true });
    assert_eq!(app.api(Method::POST, &comments, &ada_token, Some(note)).await.0, 201);
    let count = |token: String| {
        let app = &app;
        async move {
            let (_, list) = app.api(Method::GET, "/api/v1/notifications", &token, None).await;
            list["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "mention").count()
        }
    };
    assert_eq!(count(bob_token.clone()).await, 1, "an agent of the queue hears of the note");
    assert_eq!(count(rita_token.clone()).await, 0, "a requester never hears of a work note");
    assert_eq!(count(ada_token.clone()).await, 0, "nor does the author");
    let reply = serde_json::json!({ "body": "@rita please restart the client" });
    assert_eq!(app.api(Method::POST, &comments, &ada_token, Some(reply)).await.0, 201);
    assert_eq!(count(rita_token).await, 1, "the requester hears of a public reply");
}

/// Bugs 4 and 5 of issue 17: a failed save threw away what was typed (the description with an
/// empty title; the resolution note without a code), and the message read "无法保存:
/// resolution_code: a resolution code is required" — an internal key, in English.
#[tokio::test]
async fn a_failed_save_keeps_what_was_typed_and_says_why_in_the_users_language() {
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    let (ada_browser, csrf) = signed_in(&app, "ada").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("_csrf", csrf.clone()));
        let request = ada_browser.post(app.url(&format!("{path}?lang=zh-CN"))).form(&form);
        async move {
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        }
    };
    let typed = "第一行 <b>bold</b>\n第二行".to_owned();
    let (status, html) = post(
        "/incidents".into(),
        vec![
            ("title", " ".into()),
            ("description", typed.clone()),
            ("impact", "1".into()),
            ("urgency", "2".into()),
            ("team_id", team.id.to_string()),
            ("tags", "vpn office".into()),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("第一行 &#60;b&#62;bold&#60;/b&#62;"), "the description is kept, escaped: {html}");
    assert!(html.contains(r#"value="vpn office""#));
    assert!(html.contains(r#"<option value="1" selected>"#), "impact kept");
    assert!(html.contains(&format!(r#"<option value="{}" selected>Desk"#, team.id)), "team kept");
    assert!(html.contains("请填写标题"), "{html}");
    assert!(!html.contains("title:") && !html.contains("title must"), "no internal key, no English");

    let token = app.token("ada", "read write").await;
    let body = serde_json::json!({ "title": "VPN down", "assignee_id": ada.id });
    let (_, incident) = app.api(reqwest::Method::POST, "/api/v1/incidents", &token, Some(body)).await;
    let id = incident["id"].as_i64().unwrap();
    for to in ["in_progress"] {
        let body = serde_json::json!({ "to": to });
        app.api(reqwest::Method::POST, &format!("/api/v1/incidents/{id}/transition"), &token, Some(body))
            .await;
    }
    let note = "重启了 VPN 网关，恢复正常".to_owned();
    let (status, html) = post(
        format!("/incidents/{id}/transition"),
        vec![("to", "resolved".into()), ("resolution_note", note.clone()), ("version", "2".into())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(&format!(">{note}</textarea>")), "the note is kept: {html}");
    assert!(html.contains(r#"<option value="resolved" selected>"#), "the chosen state is kept");
    assert!(html.contains("解决事件前请选择解决代码"), "{html}");
    assert!(!html.contains("resolution_code:") && !html.contains("is required"), "{html}");

    // An empty reply keeps the work-note box as it was, and a word from a link shows nothing.
    let (status, html) =
        post(format!("/incidents/{id}/comment"), vec![("body", " ".into()), ("internal", "true".into())])
            .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="reply-internal" checked"#), "{html}");
    let (_, page) = app.page(&ada_browser, &format!("/incidents/{id}?error=Call+555+now")).await;
    assert!(!page.contains("555"), "an error text comes only from the server");
}

/// Issue 17, queue power: tick tickets and change them at once (each refused one says why),
/// and take the filtered list away as CSV with a BOM and as XLSX.
#[tokio::test]
async fn the_queue_changes_many_tickets_at_once_and_exports_them() {
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let ned = app.user("ned", "agent").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    for u in [ada.id, ned.id] {
        app.app.directory().set_team_member(None, team.id, u, true).await.unwrap();
    }
    let token = app.token("ada", "read write").await;
    let mut ids = Vec::new();
    for title in ["打印机卡纸", "VPN drops", "=HYPERLINK(\"http://evil.example\",\"x\")"] {
        let body = serde_json::json!({ "title": title, "team_id": team.id });
        let (_, t) = app.api(reqwest::Method::POST, "/api/v1/incidents", &token, Some(body)).await;
        ids.push(t["id"].as_i64().unwrap());
    }
    let (browser, csrf) = signed_in(&app, "ada").await;
    let (_, queue) = page(&app, &browser, "/incidents?lang=en").await;
    assert!(queue.contains(r#"id="bulk-form""#) && queue.contains(r#"name="ids""#), "{queue}");
    // Assign two to Ned and move them on; resolving without a code is refused, per ticket.
    let mut form =
        vec![("_csrf", csrf.clone()), ("assignee_id", ned.id.to_string()), ("to", "in_progress".into())];
    form.extend(ids[..2].iter().map(|id| ("ids", id.to_string())));
    let sent = browser.post(app.url("/incidents/bulk?lang=en")).form(&form).send().await.unwrap();
    assert_eq!(sent.status(), 200);
    let result = sent.text().await.unwrap();
    assert_eq!(result.matches(r#"class="done""#).count(), 2, "{result}");
    for id in &ids[..2] {
        let t = app.app.store().ticket(steward_core::ids::TicketId(*id)).await.unwrap().unwrap();
        assert_eq!((t.assignee_id, t.state.as_str()), (Some(ned.id), "in_progress"));
    }
    let form = vec![
        ("_csrf", csrf.clone()),
        ("to", "resolved".into()),
        ("assignee_id", ada.id.to_string()),
        ("ids", ids[0].to_string()),
        ("ids", ids[2].to_string()),
    ];
    let result = browser
        .post(app.url("/incidents/bulk?lang=zh-CN"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(result.matches(r#"class="refused""#).count(), 2, "{result}");
    assert!(result.contains("解决代码"), "the reason, in the reader's language: {result}");
    assert!(result.contains("已保存处理组或处理人"), "the saved half is reported too: {result}");

    // Exports follow the queue's filters.
    let csv =
        browser.get(app.url("/incidents/export.csv?state=in_progress&lang=zh-CN")).send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM so Excel reads UTF-8");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("编号,") && text.contains("打印机卡纸") && text.contains("处理中"), "{text}");
    assert!(!text.contains("HYPERLINK"), "filtered: {text}");
    let all = browser.get(app.url("/incidents/export.csv")).send().await.unwrap().text().await.unwrap();
    assert!(all.contains("'=HYPERLINK"), "a formula is shown as typed, never run: {all}");
    let xlsx = browser.get(app.url("/incidents/export.xlsx?lang=en")).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    assert!(bytes.len() > 2000);
}

/// Issue 17, writing: an incident's title, description, category, service and tags can be
/// changed after it was raised (a refused save keeps what was typed), and Markdown can be
/// previewed as it will show.
#[tokio::test]
async fn details_are_edited_after_raising_and_markdown_is_previewed() {
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    let root = steward_app::Actor {
        user: app.user("root", "admin").await,
        credential: steward_app::Credential::Direct,
    };
    let network = app.app.incidents().create_category(Some(&root), "Network", None).await.unwrap();
    let token = app.token("ada", "read write").await;
    let body = serde_json::json!({ "title": "Printer", "team_id": team.id, "assignee_id": ada.id });
    let (_, inc) = app.api(reqwest::Method::POST, "/api/v1/incidents", &token, Some(body)).await;
    let id = inc["id"].as_i64().unwrap();
    let (browser, csrf) = signed_in(&app, "ada").await;
    let (_, page_html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(page_html.contains(r#"id="edit-details""#) && page_html.contains(r#"value="Printer""#));
    let save = |title: &str| {
        let form = [
            ("_csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("description", "Jams on **every** page".to_owned()),
            ("category_id", network.to_string()),
            ("service", "Printing".to_owned()),
            ("tags", "floor3 paper".to_owned()),
        ];
        browser.post(app.url(&format!("/incidents/{id}/details?lang=en"))).form(&form).send()
    };
    let refused = save(" ").await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Jams on **every** page") && html.contains("Give a title"), "{html}");
    let saved = save("Printer on floor 3 jams").await.unwrap();
    assert!(saved.headers()["location"].to_str().unwrap().contains("notice=saved"));
    let t = app.app.store().ticket(steward_core::ids::TicketId(id)).await.unwrap().unwrap();
    assert_eq!(t.title, "Printer on floor 3 jams");
    assert_eq!(
        (t.category_id, t.service.as_deref(), t.tags.to_string().as_str()),
        (Some(network), Some("Printing"), "floor3 paper")
    );

    let preview = serde_json::json!({ "text": "**bold** <script>alert(1)</script>" });
    let (status, out) =
        app.api(reqwest::Method::POST, "/api/v1/markdown/preview", &token, Some(preview)).await;
    assert_eq!(status, 200);
    let html = out["html"].as_str().unwrap();
    assert!(html.contains("<strong>bold</strong>") && !html.contains("<script>"), "{html}");
    let anonymous = reqwest::Client::new()
        .post(app.url("/api/v1/markdown/preview"))
        .json(&serde_json::json!({ "text": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// Issue 17, "writing": the affected CIs and the category at any level are changed after
/// raising, through the page and the API; the history says what changed.
#[tokio::test]
async fn cis_and_a_subcategory_are_changed_after_raising() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let root = steward_app::Actor {
        user: app.user("root", "admin").await,
        credential: steward_app::Credential::Direct,
    };
    let incidents = app.app.incidents();
    let network = incidents.create_category(Some(&root), "Network", None).await.unwrap();
    let wifi = incidents.create_category(Some(&root), "Wi-Fi", Some(network)).await.unwrap();
    let token = app.token("ada", "read write").await;
    let ci =
        serde_json::json!({ "class": "server", "name": "mail01", "attributes": { "hostname": "mail01" } });
    let (_, ci) = app.api(Method::POST, "/api/v1/cis", &token, Some(ci)).await;
    let ci_id = ci["id"].as_i64().unwrap();
    let body = serde_json::json!({ "title": "Mail slow", "assignee_id": ada.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &token, Some(body)).await;
    let id = inc["id"].as_i64().unwrap();
    let (browser, csrf) = signed_in(&app, "ada").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("_csrf", csrf.clone()));
        browser.post(app.url(&path)).form(&form).send()
    };

    let added = post(format!("/incidents/{id}/cis?lang=en"), vec![("add", format!("#{ci_id} mail01"))])
        .await
        .unwrap();
    assert!(added.headers()["location"].to_str().unwrap().contains("notice=saved"), "{added:?}");
    let cis = app.app.store().ticket_ci_ids(steward_core::ids::TicketId(id)).await.unwrap();
    assert_eq!(cis.iter().map(|c| c.get()).collect::<Vec<_>>(), vec![ci_id]);
    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(html.contains(&format!("id=\"ci-remove-{ci_id}\"")), "{html}");
    let refused =
        post(format!("/incidents/{id}/cis?lang=en"), vec![("add", "mail".to_owned())]).await.unwrap();
    assert_eq!(refused.status(), 422, "a name not picked from the list is refused on the page");
    let removed =
        post(format!("/incidents/{id}/cis?lang=en"), vec![("remove", ci_id.to_string())]).await.unwrap();
    assert!(removed.headers()["location"].to_str().unwrap().contains("notice=saved"));
    assert!(app.app.store().ticket_ci_ids(steward_core::ids::TicketId(id)).await.unwrap().is_empty());
    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(html.contains("Affected CI removed: mail01"), "{html}");
    let (_, zh) = page(&app, &browser, &format!("/incidents/{id}?lang=zh-CN")).await;
    assert!(zh.contains("移除受影响的配置项: mail01"));

    let link = format!("/api/v1/incidents/{id}/cis/{ci_id}");
    assert_eq!(app.api(Method::PUT, &link, &token, None).await.0, 204);
    let (_, rita) = app.user_with_token("rita", "requester").await;
    assert_ne!(app.api(Method::DELETE, &link, &rita, None).await.0, 204, "requesters unlink nothing");
    assert_eq!(app.api(Method::DELETE, &link, &token, None).await.0, 204);
    let (status, out) = app.api(Method::DELETE, &link, &token, None).await;
    assert_eq!(status, 404, "no link to remove: {out}");
    let (_, events) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/activity"), &token, None).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().filter_map(|e| e["event"]["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "unlink_ci").count(), 2, "{actions:?}");

    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(html.contains("Network › Wi-Fi"), "subcategories are offered");
    let form = vec![("title", "Mail slow".to_owned()), ("category_id", wifi.to_string())];
    let saved = post(format!("/incidents/{id}/details?lang=en"), form).await.unwrap();
    assert!(saved.headers()["location"].to_str().unwrap().contains("notice=saved"));
    let t = app.app.store().ticket(steward_core::ids::TicketId(id)).await.unwrap().unwrap();
    assert_eq!((t.category_id, t.subcategory_id), (Some(network), Some(wifi)));
    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    let facts = html.split("class=\"facts\"").nth(1).unwrap();
    assert!(facts.contains("Network › Wi-Fi"), "{facts}");
}

/// Issue 17, "SLA setup": each user reads times in their own zone (else the desk's report
/// zone), chosen on the account page or through the API; a zone no database knows is refused.
#[tokio::test]
async fn times_show_in_the_readers_time_zone() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let token = app.token("ada", "read write").await;
    let body = serde_json::json!({ "title": "Clock check", "assignee_id": ada.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &token, Some(body)).await;
    let id = inc["id"].as_i64().unwrap();
    let created: jiff::Timestamp = inc["created_at"].as_str().unwrap().parse().unwrap();
    let local = |zone: &str| {
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        tz.to_datetime(created).strftime("%Y-%m-%d %H:%M").to_string()
    };
    let (browser, csrf) = signed_in(&app, "ada").await;
    let created_fact = |html: &str| html.split("class=\"facts\"").nth(1).unwrap().to_owned();
    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(created_fact(&html).contains(&local("Asia/Shanghai")), "the desk's zone by default");
    assert!(html.contains("times in Asia/Shanghai"));

    let save = |zone: &str| {
        let form = [
            ("_csrf", csrf.clone()),
            ("display_name", "Ada".to_owned()),
            ("email", String::new()),
            ("locale", "en".to_owned()),
            ("password", String::new()),
            ("time_zone", zone.to_owned()),
        ];
        browser.post(app.url("/account")).form(&form).send()
    };
    let refused = save("Mars/Olympus").await.unwrap();
    assert!(refused.headers()["location"].to_str().unwrap().contains("error=invalid.time_zone"));
    let saved = save("America/New_York").await.unwrap();
    assert!(saved.headers()["location"].to_str().unwrap().contains("notice=saved"), "{saved:?}");
    let (_, html) = page(&app, &browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(created_fact(&html).contains(&local("America/New_York")), "{html}");
    assert!(html.contains("times in America/New_York"));
    let (_, account) = page(&app, &browser, "/account?lang=en").await;
    assert!(
        account.contains(r#"value="America/New_York""#)
            && account.contains("<option value=\"Europe/London\">")
    );

    let me = format!("/api/v1/users/{}", ada.id);
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (status, out) =
        app.api(Method::PATCH, &me, &admin, Some(serde_json::json!({ "time_zone": "Nowhere/Land" }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("time_zone")), "{out}");
    let (status, out) =
        app.api(Method::PATCH, &me, &admin, Some(serde_json::json!({ "time_zone": "Europe/Berlin" }))).await;
    assert_eq!((status, out["time_zone"].as_str()), (200, Some("Europe/Berlin")), "{out}");
    let (status, out) =
        app.api(Method::PATCH, &me, &admin, Some(serde_json::json!({ "time_zone": null }))).await;
    assert_eq!(status, 200);
    assert!(out.get("time_zone").is_none(), "none chosen: the desk's zone again: {out}");
}

/// Issue 17, "queue power": each reader chooses the queue's columns and their order, on the
/// page or through the API; the number always shows.
#[tokio::test]
async fn readers_choose_and_order_their_queue_columns() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let ada = app.user("ada", "agent").await;
    let token = app.token("ada", "read write").await;
    let body = serde_json::json!({ "title": "Mail slow", "assignee_id": ada.id, "service": "Mail" });
    assert_eq!(app.api(Method::POST, "/api/v1/incidents", &token, Some(body)).await.0, 201);
    let (_, cols) = app.api(Method::GET, "/api/v1/me/queue-columns", &token, None).await;
    assert_eq!(cols["columns"][7], "sla");
    assert_eq!(cols["available"].as_array().unwrap().len(), 12);

    let (browser, csrf) = signed_in(&app, "ada").await;
    let headings = |html: &str| -> Vec<String> {
        let head = html.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap();
        head.split("<th>").skip(2).map(|h| h.split("</th>").next().unwrap().to_owned()).collect()
    };
    let (_, html) = page(&app, &browser, "/incidents?sort=-created&lang=en").await;
    assert_eq!(
        headings(&html),
        ["Number", "Title", "Priority", "State", "Assignment team", "Assignee", "Updated", "SLA"]
    );
    let choose = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("_csrf", csrf.as_str()), ("back", "sort=-created&lang=en")];
        for col in ["number", "title", "requester", "service", "sla"] {
            form.push(("col", col));
        }
        form.extend(extra);
        browser.post(app.url("/incidents/columns")).form(&form).send()
    };
    let saved = choose(vec![]).await.unwrap();
    assert_eq!(saved.headers()["location"], "/incidents?sort=-created&lang=en&notice=saved");
    let (_, html) = page(&app, &browser, "/incidents?sort=-created&lang=en").await;
    assert_eq!(headings(&html), ["Number", "Title", "Requester", "Affected service", "SLA"]);
    assert!(html.contains(r#"<td data-label="Affected service">Mail</td>"#), "{html}");
    choose(vec![("up", "sla")]).await.unwrap();
    let (_, cols) = app.api(Method::GET, "/api/v1/me/queue-columns", &token, None).await;
    assert_eq!(cols["columns"], serde_json::json!(["number", "title", "requester", "sla", "service"]));
    let (_, zh) = page(&app, &browser, "/incidents?sort=-created&lang=zh-CN").await;
    assert!(headings(&zh).contains(&"请求人".to_owned()), "{:?}", headings(&zh));

    let put = |cols: serde_json::Value, token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.api(
                Method::PUT,
                "/api/v1/me/queue-columns",
                &token,
                Some(serde_json::json!({ "columns": cols })),
            )
            .await
        }
    };
    let (status, out) = put(serde_json::json!(["title", "salary"]), &token).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("columns")), "{out}");
    let (status, out) = put(serde_json::json!(["sla", "title", "sla"]), &token).await;
    assert_eq!((status, out["columns"].clone()), (200, serde_json::json!(["number", "sla", "title"])));
    let reader = app.token("ada", "read").await;
    assert_eq!(put(serde_json::json!(["title"]), &reader).await.0, 403, "a read-only token changes nothing");
    let (_, out) = app.api(Method::DELETE, "/api/v1/me/queue-columns", &token, None).await;
    assert_eq!(out["columns"].as_array().unwrap().len(), 8, "back to the default");
}
