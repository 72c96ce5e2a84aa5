//! Service requests (issue 23): an admin designs a catalogue item with a versioned form and a
//! fulfilment plan; a requester orders it; their manager approves; two teams do their tasks
//! in stages; the requester closes it. Bad definitions and bad orders are refused by name.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>, want: u16) -> Value {
    let (status, out) = app.api(method, path, token, body).await;
    assert_eq!(status, want, "{path}: {out}");
    out
}

fn laptop_form() -> Value {
    json!([
        { "key": "model", "label": "Model", "label_zh": "型号", "kind": "choice", "required": true,
          "options": ["Standard 14\"", "Developer 16\""] },
        { "key": "reason", "label": "Why the big one", "kind": "textarea", "required": true,
          "show_if": { "field": "model", "any_of": ["Developer 16\""] } },
        { "key": "accessories", "label": "Accessories", "kind": "multi_choice", "options": ["Dock", "Headset"] },
        { "key": "monitors", "label": "Monitors", "kind": "number", "min": 1, "max": 3, "required": true,
          "show_if": { "field": "accessories", "any_of": ["Dock"] } },
        { "key": "needed_by", "label": "Needed by", "kind": "date" },
        { "key": "backup", "label": "Who stands in", "kind": "user" },
        { "key": "quote", "label": "Vendor quote", "kind": "attachment" }
    ])
}

#[tokio::test]
async fn a_laptop_is_ordered_approved_and_fulfilled_in_two_stages() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let (rita, rita_t) = app.user_with_token("rita", "requester").await;
    let (boss, boss_t) = app.user_with_token("bo.ss", "requester").await;
    let (_, other_t) = app.user_with_token("otto", "requester").await;
    let (hw, hw_t) = app.user_with_token("hana", "agent").await;
    let (desk, desk_t) = app.user_with_token("dirk", "agent").await;
    let mut teams = Vec::new();
    for (name, member) in [("Hardware", hw.id.get()), ("Desktop", desk.id.get())] {
        let t = ok(&app, Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": name })), 201).await;
        let path = format!("/api/v1/teams/{}/members/{member}", t["id"]);
        let (status, out) = app.api(Method::PUT, &path, &admin, None).await;
        assert!(status < 300, "{out}");
        teams.push(t["id"].as_i64().unwrap());
    }

    // Managers: none of one's own, no circles, admins only.
    let me = format!("/api/v1/users/{}", rita.id);
    let (status, out) = app.api(Method::PATCH, &me, &admin, Some(json!({ "manager_id": rita.id }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("manager_id")), "{out}");
    let (status, _) = app.api(Method::PATCH, &me, &rita_t, Some(json!({ "manager_id": boss.id }))).await;
    assert_eq!(status, 403, "a requester does not pick their own approver");
    ok(&app, Method::PATCH, &me, &admin, Some(json!({ "manager_id": boss.id })), 200).await;
    let boss_path = format!("/api/v1/users/{}", boss.id);
    let (status, out) =
        app.api(Method::PATCH, &boss_path, &admin, Some(json!({ "manager_id": rita.id }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("manager_id")), "a circle: {out}");

    // The item and its form, version 1.
    let item = json!({ "name": "New laptop", "name_zh": "新笔记本电脑", "category": "Hardware",
        "description": "A laptop for work.", "delivery_hours": 72, "team_id": teams[1] });
    let (status, _) = app.api(Method::POST, "/api/v1/catalogue", &rita_t, Some(item.clone())).await;
    assert_eq!(status, 403, "only admins design the catalogue");
    let created = ok(&app, Method::POST, "/api/v1/catalogue", &admin, Some(item), 201).await;
    let id = created["id"].as_i64().unwrap();
    let versions = format!("/api/v1/catalogue/{id}/versions");
    let plan = json!({ "approvals": [{ "approver": "manager" }], "tasks": [
        { "name": "Order the laptop", "team_id": teams[0], "stage": 1 },
        { "name": "Image and hand over", "team_id": teams[1], "stage": 2 } ] });

    // Bad definitions: a circle of conditions, a field that could never show, a missing team.
    let mut circle = laptop_form();
    circle[0]["show_if"] = json!({ "field": "reason", "any_of": ["x"] });
    let (status, out) =
        app.api(Method::POST, &versions, &admin, Some(json!({ "fields": circle, "plan": plan }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("fields")), "{out}");
    assert!(out["error"]["message"].as_str().unwrap().contains("circle"), "{out}");
    let mut never = laptop_form();
    never[1]["show_if"]["any_of"] = json!(["Gaming 18\""]);
    let (status, out) =
        app.api(Method::POST, &versions, &admin, Some(json!({ "fields": never, "plan": plan }))).await;
    assert_eq!(status, 422, "{out}");
    assert!(out["error"]["message"].as_str().unwrap().contains("never show"), "{out}");
    let ghost = json!({ "tasks": [{ "name": "x", "team_id": 9999 }] });
    let (status, out) = app
        .api(Method::POST, &versions, &admin, Some(json!({ "fields": laptop_form(), "plan": ghost })))
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("plan")), "{out}");
    let v = ok(
        &app,
        Method::POST,
        &versions,
        &admin,
        Some(json!({ "fields": laptop_form(), "plan": plan })),
        201,
    )
    .await;
    assert_eq!(v["version"], 1);

    // Rita sees it; the form is what was designed.
    let list = ok(&app, Method::GET, "/api/v1/catalogue", &rita_t, None, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let detail = ok(&app, Method::GET, &format!("/api/v1/catalogue/{id}"), &rita_t, None, 200).await;
    assert_eq!(detail["fields"][1]["show_if"]["field"], "model");
    assert_eq!(detail["approvals"][0]["approver"], "manager");

    // Bad orders.
    let orders = format!("/api/v1/catalogue/{id}/orders");
    let good = json!({ "model": "Developer 16\"", "reason": "Builds of the monorepo",
        "accessories": ["Dock"], "monitors": 2, "needed_by": "2031-01-15", "backup": "dirk",
        "quote": { "filename": "quote.txt", "content_type": "text/plain", "content_base64": "UE8gNDQxMQ==" } });
    let bad = [
        (json!({ "form_version": 2, "answers": good }), 409, "form_version"),
        (
            json!({ "form_version": 1, "answers": { "model": "Standard 14\"", "reason": "x" } }),
            422,
            "answers",
        ),
        (json!({ "form_version": 1, "answers": { "model": "Developer 16\"" } }), 422, "answers"),
        (
            json!({ "form_version": 1, "answers": { "model": "Standard 14\"", "colour": "red" } }),
            422,
            "answers",
        ),
        (
            json!({ "form_version": 1, "answers": { "model": "Standard 14\"", "accessories": ["Dock"], "monitors": 9 } }),
            422,
            "answers",
        ),
        (
            json!({ "form_version": 1, "answers": { "model": "Standard 14\"", "backup": "nobody.here" } }),
            422,
            "answers",
        ),
    ];
    for (body, want, field) in bad {
        let (status, out) = app.api(Method::POST, &orders, &rita_t, Some(body.clone())).await;
        assert_eq!((status, out["error"]["field"].as_str()), (want, Some(field)), "{body}: {out}");
    }
    let (status, out) =
        app.api(Method::POST, &orders, &other_t, Some(json!({ "form_version": 1, "answers": good }))).await;
    assert_eq!(
        (status, out["error"]["field"].as_str()),
        (422, Some("manager_id")),
        "no manager on record: {out}"
    );

    let req =
        ok(&app, Method::POST, &orders, &rita_t, Some(json!({ "form_version": 1, "answers": good })), 201)
            .await;
    assert!(req["number"].as_str().unwrap().starts_with("REQ"), "{req}");
    assert_eq!((req["state"].as_str(), req["form_version"].as_i64()), (Some("authorization"), Some(1)));
    let answers: Vec<(&str, &str)> = req["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["key"].as_str().unwrap(), a["value"].as_str().unwrap()))
        .collect();
    assert!(
        answers.contains(&("accessories", "Dock")) && answers.contains(&("quote", "quote.txt")),
        "{answers:?}"
    );
    assert!(answers.iter().any(|(k, v)| *k == "backup" && v.contains("dirk")), "{answers:?}");
    let rid = req["id"].as_i64().unwrap();
    let path = format!("/api/v1/requests/{rid}");

    // Who sees it.
    assert_eq!(app.api(Method::GET, &path, &other_t, None).await.0, 404, "another requester");
    let mine = ok(&app, Method::GET, "/api/v1/requests?mine=true", &rita_t, None, 200).await;
    assert_eq!(mine["items"][0]["id"], rid);
    let waiting = ok(&app, Method::GET, "/api/v1/requests/awaiting-approval", &boss_t, None, 200).await;
    assert_eq!(waiting["items"][0]["id"], rid, "{waiting}");
    let seen = ok(&app, Method::GET, &path, &boss_t, None, 200).await;
    assert_eq!(seen["awaiting_my_decision"], 1);

    // The manager approves (only they may); the first stage opens.
    let decide = format!("{path}/decision");
    let (status, _) = app.api(Method::POST, &decide, &rita_t, Some(json!({ "decision": "approve" }))).await;
    assert_eq!(status, 403, "nobody approves their own request");
    let (status, out) = app.api(Method::POST, &decide, &boss_t, Some(json!({ "decision": "maybe" }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("decision")));
    let after = ok(&app, Method::POST, &decide, &boss_t, Some(json!({ "decision": "approve" })), 200).await;
    assert_eq!(after["state"], "in_progress");
    let states: Vec<&str> =
        after["tasks"].as_array().unwrap().iter().map(|t| t["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["open", "waiting"]);
    let (first, second) =
        (after["tasks"][0]["id"].as_i64().unwrap(), after["tasks"][1]["id"].as_i64().unwrap());

    // Teams do their tasks in order; the last one fulfils the request.
    let done = |task: i64| format!("{path}/tasks/{task}/done");
    let (status, _) = app.api(Method::POST, &done(first), &desk_t, Some(json!({}))).await;
    assert_eq!(status, 403, "another team's task");
    let after = ok(&app, Method::POST, &done(first), &hw_t, Some(json!({ "note": "PO 4411" })), 200).await;
    assert_eq!(after["tasks"][1]["state"], "open");
    let (status, _) = app.api(Method::POST, &done(first), &hw_t, Some(json!({}))).await;
    assert_eq!(status, 409, "done twice");
    let after = ok(&app, Method::POST, &done(second), &desk_t, Some(json!({})), 200).await;
    assert_eq!(after["state"], "resolved");
    ok(&app, Method::POST, &format!("{path}/comments"), &rita_t, Some(json!({ "body": "Thanks!" })), 201)
        .await;
    let closed =
        ok(&app, Method::POST, &format!("{path}/transition"), &rita_t, Some(json!({ "to": "closed" })), 200)
            .await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["comments"][0]["body"], "Thanks!");

    // A rejection needs a reason and ends the request; its tasks never open.
    let second_order = json!({ "form_version": 1, "answers": { "model": "Standard 14\"" } });
    let req = ok(&app, Method::POST, &orders, &rita_t, Some(second_order), 201).await;
    let decide = format!("/api/v1/requests/{}/decision", req["id"]);
    let (status, out) = app.api(Method::POST, &decide, &boss_t, Some(json!({ "decision": "reject" }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("comment")));
    let out = ok(
        &app,
        Method::POST,
        &decide,
        &boss_t,
        Some(json!({ "decision": "reject", "comment": "Budget" })),
        200,
    )
    .await;
    assert_eq!(out["state"], "rejected");
    assert!(out["tasks"].as_array().unwrap().iter().all(|t| t["state"] == "cancelled"), "{out}");

    // A new version: new orders use it, the old request keeps its own.
    let simpler =
        json!({ "fields": [{ "key": "model", "label": "Model", "kind": "text", "required": true }] });
    assert_eq!(ok(&app, Method::POST, &versions, &admin, Some(simpler), 201).await["version"], 2);
    assert_eq!(
        ok(&app, Method::GET, &path, &rita_t, None, 200).await["answers"].as_array().unwrap().len(),
        7
    );
    let (status, out) =
        app.api(Method::POST, &orders, &rita_t, Some(json!({ "form_version": 1, "answers": good }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (409, Some("form_version")), "{out}");
    let no_plan = ok(
        &app,
        Method::POST,
        &orders,
        &rita_t,
        Some(json!({ "form_version": 2, "answers": { "model": "T14" } })),
        201,
    )
    .await;
    assert_eq!(no_plan["state"], "in_progress", "no approvals and no tasks: the desk fulfils it by hand");
    let to = format!("/api/v1/requests/{}/transition", no_plan["id"]);
    let (status, _) =
        app.api(Method::POST, &to, &rita_t, Some(json!({ "to": "resolved", "resolution_note": "x" }))).await;
    assert_eq!(status, 409, "the requester does not resolve");
    let out = ok(
        &app,
        Method::POST,
        &to,
        &desk_t,
        Some(json!({ "to": "resolved", "resolution_note": "Handed over" })),
        200,
    )
    .await;
    assert_eq!(out["state"], "resolved");

    // An item for another organisation is not Rita's to see.
    let branch = json!({ "name": "Branch printer", "category": "Hardware", "delivery_hours": 24,
        "audience": ["Branch office"] });
    let b = ok(&app, Method::POST, "/api/v1/catalogue", &admin, Some(branch), 201).await;
    let fields = json!({ "fields": [{ "key": "room", "label": "Room", "kind": "text" }] });
    ok(&app, Method::POST, &format!("/api/v1/catalogue/{}/versions", b["id"]), &admin, Some(fields), 201)
        .await;
    assert_eq!(app.api(Method::GET, &format!("/api/v1/catalogue/{}", b["id"]), &rita_t, None).await.0, 404);
    let list = ok(&app, Method::GET, "/api/v1/catalogue", &rita_t, None, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// A group decides by its rule; the requester never approves their own request, nobody decides
/// twice, a cancelled request leaves the approvers' lists, and an empty group is refused.
#[tokio::test]
async fn an_approver_group_decides_by_quorum_without_the_requester() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let mut members = Vec::new();
    for name in ["amy", "ben", "cat"] {
        members.push(app.user_with_token(name, "agent").await);
    }
    let ids: Vec<i64> = members.iter().map(|(u, _)| u.id.get()).collect();
    let group = ok(
        &app,
        Method::POST,
        "/api/v1/approver-groups",
        &admin,
        Some(json!({ "name": "Purchasing", "rule": "quorum", "quorum": 2, "members": ids })),
        200,
    )
    .await;
    let empty = ok(
        &app,
        Method::POST,
        "/api/v1/approver-groups",
        &admin,
        Some(json!({ "name": "Nobody", "rule": "any", "members": [] })),
        200,
    )
    .await;
    let item = ok(
        &app,
        Method::POST,
        "/api/v1/catalogue",
        &admin,
        Some(json!({ "name": "Monitor", "category": "Hardware", "delivery_hours": 24 })),
        201,
    )
    .await;
    let versions = format!("/api/v1/catalogue/{}/versions", item["id"]);
    let fields = json!([{ "key": "size", "label": "Size", "kind": "text" }]);
    let (status, out) = app
        .api(
            Method::POST,
            &versions,
            &admin,
            Some(json!({ "fields": fields,
            "plan": { "approvals": [{ "approver": "group", "group_id": empty["id"] }] } })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("plan")), "an empty group: {out}");
    let plan = json!({ "approvals": [{ "approver": "group", "group_id": group["id"] }] });
    ok(&app, Method::POST, &versions, &admin, Some(json!({ "fields": fields, "plan": plan })), 201).await;
    let orders = format!("/api/v1/catalogue/{}/orders", item["id"]);
    let order = json!({ "form_version": 1, "answers": { "size": "27\"" } });

    // Amy orders; with her out, Ben and Cat are the two a quorum of two needs.
    let (amy, ben, cat) = (&members[0].1, &members[1].1, &members[2].1);
    let req = ok(&app, Method::POST, &orders, amy, Some(order.clone()), 201).await;
    let path = format!("/api/v1/requests/{}", req["id"]);
    assert!(ok(&app, Method::GET, &path, amy, None, 200).await["awaiting_my_decision"].is_null());
    let (status, _) =
        app.api(Method::POST, &format!("{path}/decision"), amy, Some(json!({ "decision": "approve" }))).await;
    assert_eq!(status, 403, "nobody approves their own request");
    let waiting = ok(&app, Method::GET, "/api/v1/requests/awaiting-approval", amy, None, 200).await;
    assert!(waiting["items"].as_array().unwrap().is_empty(), "{waiting}");
    let after =
        ok(&app, Method::POST, &format!("{path}/decision"), ben, Some(json!({ "decision": "approve" })), 200)
            .await;
    assert_eq!(after["state"], "authorization", "one of two");
    let (status, _) =
        app.api(Method::POST, &format!("{path}/decision"), ben, Some(json!({ "decision": "approve" }))).await;
    assert_eq!(status, 403, "a second decision is refused");
    let after =
        ok(&app, Method::POST, &format!("{path}/decision"), cat, Some(json!({ "decision": "approve" })), 200)
            .await;
    assert_eq!(after["state"], "in_progress", "two of two: {after}");

    // A cancelled request leaves the approvers' lists.
    let req = ok(&app, Method::POST, &orders, amy, Some(order), 201).await;
    let waiting = ok(&app, Method::GET, "/api/v1/requests/awaiting-approval", cat, None, 200).await;
    assert_eq!(waiting["items"].as_array().unwrap().len(), 1);
    let to = format!("/api/v1/requests/{}/transition", req["id"]);
    assert_eq!(
        ok(&app, Method::POST, &to, amy, Some(json!({ "to": "cancelled" })), 200).await["state"],
        "cancelled"
    );
    let waiting = ok(&app, Method::GET, "/api/v1/requests/awaiting-approval", cat, None, 200).await;
    assert!(waiting["items"].as_array().unwrap().is_empty(), "{waiting}");
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/requests/{}/decision", req["id"]),
            cat,
            Some(json!({ "decision": "approve" })),
        )
        .await;
    assert_eq!(status, 403);
}

/// The manager is mailed when a request waits for them, in their language; the requester when
/// it is rejected, with the reason.
#[tokio::test]
async fn approvers_and_requesters_are_told_by_mail() {
    let smtp = crate::sla::SmtpServer::start();
    let app = smtp.app().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let mut ids = Vec::new();
    for (name, locale) in [("rita", "en"), ("bo.ss", "zh-CN")] {
        let body = json!({ "username": name, "role": "requester", "password": "long-enough-pass",
            "email": format!("{name}@example.com") });
        let u = ok(&app, Method::POST, "/api/v1/users", &admin, Some(body), 201).await;
        let id = u["id"].as_i64().unwrap();
        ok(
            &app,
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &admin,
            Some(json!({ "locale": locale })),
            200,
        )
        .await;
        ids.push(id);
    }
    ok(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", ids[0]),
        &admin,
        Some(json!({ "manager_id": ids[1] })),
        200,
    )
    .await;
    let rita = app.token("rita", "read write").await;
    let boss = app.token("bo.ss", "read write").await;
    let item = json!({ "name": "VPN access", "category": "Access", "delivery_hours": 8 });
    let item = ok(&app, Method::POST, "/api/v1/catalogue", &admin, Some(item), 201).await;
    let design = json!({ "fields": [{ "key": "why", "label": "Why", "kind": "text" }],
        "plan": { "approvals": [{ "approver": "manager" }] } });
    ok(&app, Method::POST, &format!("/api/v1/catalogue/{}/versions", item["id"]), &admin, Some(design), 201)
        .await;
    let order = json!({ "form_version": 1, "answers": { "why": "home office" } });
    let req =
        ok(&app, Method::POST, &format!("/api/v1/catalogue/{}/orders", item["id"]), &rita, Some(order), 201)
            .await;
    assert_eq!(app.app.run_due_jobs("mailer").await.unwrap(), 1, "one mail: the manager's");
    let mails = smtp.messages();
    let to_boss = mails.iter().find(|m| m.contains("bo.ss@example.com")).expect("a mail to the manager");
    // In Chinese, so its body travels in base64.
    let encoded =
        to_boss.split("\r\n\r\n").nth(1).or_else(|| to_boss.split("\n\n").nth(1)).unwrap_or_default();
    let clean: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    use base64::Engine;
    let body = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(clean).unwrap()).unwrap();
    assert!(body.contains("等待你的审批") && body.contains(&format!("/requests/{}", req["id"])), "{body}");

    // The mail's single-use link decides without signing in (the manager reads Chinese).
    let start = body.find("/approvals/").expect("a link in the mail") + "/approvals/".len();
    let token: String =
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    let browser = TestApp::browser();
    let (status, page) = app.page(&browser, &format!("/approvals/{token}")).await;
    assert_eq!(
        status,
        200,
        "{token}: {}",
        page.split("id=\"main\"").nth(1).unwrap_or_default().chars().take(700).collect::<String>()
    );
    assert!(
        page.contains("Request approval") && page.contains("home office") && page.contains("link-approve"),
        "{page}"
    );
    let (status, forged) = app.page(&browser, "/approvals/apv_forged").await;
    assert!(status >= 400 && forged.contains("This approval link is not known"), "{status}");
    let post = |decision: &'static str, comment: &'static str| {
        let url = app.url(&format!("/approvals/{token}"));
        let browser = browser.clone();
        async move {
            let r =
                browser.post(url).form(&[("decision", decision), ("comment", comment)]).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, _) = post("reject", "").await;
    assert_eq!(status, 422, "a rejection says why");
    let (status, done) = post("reject", "Not this quarter").await;
    assert_eq!(status, 200);
    assert!(done.contains("link-done"), "{done}");
    let (status, again) = post("approve", "").await;
    assert!(status >= 400, "the link works once: {status}");
    assert!(again.contains("已使用") || again.contains("used already"), "{again}");
    let seen = ok(&app, Method::GET, &format!("/api/v1/requests/{}", req["id"]), &boss, None, 200).await;
    assert_eq!(seen["state"], "rejected", "{seen}");
    assert_eq!(app.app.run_due_jobs("mailer").await.unwrap(), 1, "one mail: the requester's");
    let mails = smtp.messages();
    let to_rita = mails.iter().find(|m| m.contains("rita@example.com")).expect("a mail to the requester");
    assert!(to_rita.contains("Rejected") && to_rita.contains("Not this quarter"), "{to_rita}");
}

/// A file in an order travels inline (base64 in the API's JSON and in the portal's form): it is
/// held to the attachment size, not to the usual 1 MiB body limit.
#[tokio::test]
async fn an_order_carries_a_file_up_to_the_attachment_size() {
    use base64::Engine;
    let config = steward_app::AppConfig { attachment_max_bytes: 3 * 1024 * 1024, ..Default::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let (_, rita_t) = app.user_with_token("rita", "requester").await;
    let item = json!({ "name": "Scan upload", "category": "Documents", "description": "Send a scan.",
        "delivery_hours": 8 });
    let id =
        ok(&app, Method::POST, "/api/v1/catalogue", &admin, Some(item), 201).await["id"].as_i64().unwrap();
    let fields = json!([{ "key": "scan", "label": "Scan", "kind": "attachment", "required": true }]);
    let versions = format!("/api/v1/catalogue/{id}/versions");
    ok(
        &app,
        Method::POST,
        &versions,
        &admin,
        Some(json!({ "fields": fields, "plan": { "tasks": [] } })),
        201,
    )
    .await;
    let file = |size: usize| {
        let text = "scan line\n".repeat(size / 10);
        json!({ "filename": "scan.txt", "content_type": "text/plain",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(text) })
    };
    let orders = format!("/api/v1/catalogue/{id}/orders");
    let two_mib = json!({ "form_version": 1, "answers": { "scan": file(2 * 1024 * 1024) } });
    let req = ok(&app, Method::POST, &orders, &rita_t, Some(two_mib), 201).await;
    assert_eq!(req["answers"][0]["value"], "scan.txt", "{req}");
    let too_big = json!({ "form_version": 1, "answers": { "scan": file(3 * 1024 * 1024 + 100) } });
    let (status, out) = app.api(Method::POST, &orders, &rita_t, Some(too_big)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("file")), "{out}");
    // Other routes keep the usual limit.
    let big_comment = json!({ "body": "x".repeat(2 * 1024 * 1024) });
    let path = format!("/api/v1/requests/{}/comments", req["id"]);
    assert_eq!(app.api(Method::POST, &path, &rita_t, Some(big_comment)).await.0, 413);

    // The portal's form, signed in: the same file goes through the CSRF check and the order.
    let (browser, csrf) = app.signed_in("rita").await;
    let form = [
        ("_csrf", csrf.clone()),
        ("form_version", "1".to_owned()),
        ("a.scan", file(2 * 1024 * 1024).to_string()),
    ];
    let sent = browser.post(app.url(&format!("/portal/catalogue/{id}"))).form(&form).send().await.unwrap();
    assert_eq!(
        sent.status(),
        303,
        "{}",
        sent.text().await.unwrap_or_default().chars().take(300).collect::<String>()
    );
}

/// The manager a level waits for has left: the request's desk puts the level to someone else
/// (a person or a group) instead of cancelling it; a level already decided does not move.
#[tokio::test]
async fn a_level_whose_approver_left_is_put_to_someone_else() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("ada", "admin").await;
    let (rita, rita_t) = app.user_with_token("rita", "requester").await;
    let (boss, _) = app.user_with_token("bo.ss", "requester").await;
    let (carol, carol_t) = app.user_with_token("carol", "requester").await;
    let (desk, desk_t) = app.user_with_token("dirk", "agent").await;
    let team = ok(&app, Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "Desktop" })), 201).await;
    let member = format!("/api/v1/teams/{}/members/{}", team["id"], desk.id);
    assert!(app.api(Method::PUT, &member, &admin, None).await.0 < 300);
    ok(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", rita.id),
        &admin,
        Some(json!({ "manager_id": boss.id })),
        200,
    )
    .await;
    let item =
        json!({ "name": "Monitor", "category": "Hardware", "delivery_hours": 24, "team_id": team["id"] });
    let item = ok(&app, Method::POST, "/api/v1/catalogue", &admin, Some(item), 201).await;
    let design = json!({ "fields": [{ "key": "size", "label": "Size", "kind": "text" }],
        "plan": { "approvals": [{ "approver": "manager" }] } });
    ok(&app, Method::POST, &format!("/api/v1/catalogue/{}/versions", item["id"]), &admin, Some(design), 201)
        .await;
    let order = json!({ "form_version": 1, "answers": { "size": "27 inch" } });
    let req = ok(
        &app,
        Method::POST,
        &format!("/api/v1/catalogue/{}/orders", item["id"]),
        &rita_t,
        Some(order),
        201,
    )
    .await;
    let rid = req["id"].as_i64().unwrap();
    // Bo leaves the company.
    ok(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", boss.id),
        &admin,
        Some(json!({ "disabled": true })),
        200,
    )
    .await;

    let reroute = format!("/api/v1/requests/{rid}/levels/1/approver");
    let (status, _) = app.api(Method::POST, &reroute, &rita_t, Some(json!({ "manager_id": carol.id }))).await;
    assert_eq!(status, 403, "the requester does not pick their approver");
    for (body, field) in [
        (json!({ "manager_id": rita.id }), "manager_id"),
        (json!({ "manager_id": boss.id }), "manager_id"),
        (json!({}), "manager_id"),
        (json!({ "manager_id": carol.id, "group_id": 1 }), "manager_id"),
        (json!({ "group_id": 9999 }), "group_id"),
    ] {
        let (status, out) = app.api(Method::POST, &reroute, &desk_t, Some(body.clone())).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{body}: {out}");
    }
    let moved = ok(&app, Method::POST, &reroute, &desk_t, Some(json!({ "manager_id": carol.id })), 200).await;
    assert_eq!(moved["state"], "authorization", "{moved}");
    let waiting = ok(&app, Method::GET, "/api/v1/requests/awaiting-approval", &carol_t, None, 200).await;
    assert_eq!(waiting["items"][0]["id"], rid, "{waiting}");
    let decided = ok(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{rid}/decision"),
        &carol_t,
        Some(json!({ "decision": "approve" })),
        200,
    )
    .await;
    assert_eq!(decided["state"], "in_progress", "{decided}");
    let (status, _) = app.api(Method::POST, &reroute, &desk_t, Some(json!({ "manager_id": boss.id }))).await;
    assert!(status == 409 || status == 422, "a decided level does not move: {status}");
    let history = ok(
        &app,
        Method::GET,
        &format!("/api/v1/audit/events?entity_type=request&entity_id={rid}"),
        &admin,
        None,
        200,
    )
    .await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"reroute"), "{actions:?}");
}
