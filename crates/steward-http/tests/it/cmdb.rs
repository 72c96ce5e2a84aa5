//! The CMDB through the API: model a service, relate, analyse impact, link incidents, history,
//! and bad input.

use reqwest::Method;
use serde_json::{Value, json};
use steward_core::ids::CiId;
use steward_test_support::TestApp;

async fn ci(app: &TestApp, token: &str, class: &str, name: &str, attributes: Value) -> i64 {
    let body = json!({ "class": class, "name": name, "attributes": attributes });
    let (status, out) = app.api(Method::POST, "/api/v1/cis", token, Some(body)).await;
    assert_eq!(status, 201, "{out}");
    out["id"].as_i64().unwrap()
}

async fn relate(app: &TestApp, token: &str, from: i64, kind: &str, to: i64) -> (u16, Value) {
    let (status, out) = app
        .api(
            Method::POST,
            "/api/v1/ci-relations",
            token,
            Some(json!({ "from": from, "to": to, "kind": kind })),
        )
        .await;
    (status, out)
}

/// Payroll (service) → payroll-app → web01 (server) ← payroll-db; web01 in DC1, linked to core-sw.
struct Model {
    service: i64,
    app_ci: i64,
    db: i64,
    web: i64,
    dc: i64,
    switch: i64,
}

async fn model(app: &TestApp, t: &str) -> Model {
    let m = Model {
        service: ci(app, t, "business_service", "Payroll", json!({ "sla_tier": "gold" })).await,
        app_ci: ci(app, t, "application", "payroll-app", json!({ "version": "4.2" })).await,
        db: ci(app, t, "database", "payroll-db", json!({ "engine": "PostgreSQL" })).await,
        dc: ci(app, t, "location", "DC1", json!({})).await,
        switch: ci(app, t, "network_device", "core-sw", json!({ "hostname": "core-sw", "kind": "switch" }))
            .await,
        web: 0,
    };
    let web = ci(
        app,
        t,
        "server",
        "web01",
        json!({ "hostname": "web01", "ip_address": "10.0.0.5", "cpu_cores": 8, "location": m.dc }),
    )
    .await;
    let m = Model { web, ..m };
    for (from, kind, to) in [
        (m.service, "depends_on", m.app_ci),
        (m.app_ci, "runs_on", m.web),
        (m.app_ci, "depends_on", m.db),
        (m.db, "runs_on", m.web),
        (m.web, "located_in", m.dc),
        (m.web, "connects_to", m.switch),
    ] {
        assert_eq!(relate(app, t, from, kind, to).await.0, 201);
    }
    m
}

#[tokio::test]
async fn a_server_shows_the_services_and_incidents_that_depend_on_it() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let m = model(&app, &agent).await;
    let (_, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &agent,
            Some(json!({ "title": "Payroll slow", "impact": 2, "urgency": 2 })),
        )
        .await;
    let inc_id = inc["id"].as_i64().unwrap();
    let link = format!("/api/v1/incidents/{inc_id}/cis/{}", m.app_ci);
    assert_eq!(app.api(Method::PUT, &link, &agent, None).await.0, 204);
    assert_eq!(app.api(Method::PUT, &link, &agent, None).await.0, 204, "linking twice is harmless");
    let body = json!({ "title": "Slow", "ci_ids": [m.web, m.web] });
    let (status, with_ci) = app.api(Method::POST, "/api/v1/incidents", &agent, Some(body)).await;
    assert_eq!(status, 201, "{with_ci}");
    let (_, on_web) =
        app.api(Method::GET, &format!("/api/v1/incidents/{}/cis", with_ci["id"]), &agent, None).await;
    assert_eq!(on_web["items"].as_array().unwrap().len(), 1);
    let (status, out) = app
        .api(Method::POST, "/api/v1/incidents", &agent, Some(json!({ "title": "x", "ci_ids": [99999] })))
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("ci_ids")));
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let (status, _) = app
        .api(Method::POST, "/api/v1/incidents", &rita, Some(json!({ "title": "x", "ci_ids": [m.web] })))
        .await;
    assert_eq!(status, 403, "requesters do not link CIs");
    let (_, linked) = app.api(Method::GET, &format!("/api/v1/incidents/{inc_id}/cis"), &agent, None).await;
    assert_eq!(linked["items"][0]["name"], "payroll-app");

    let (status, impact) = app
        .api(Method::GET, &format!("/api/v1/cis/{}/impact?direction=downstream&depth=6", m.web), &agent, None)
        .await;
    assert_eq!(status, 200, "{impact}");
    let hits: Vec<(&str, i64)> = impact["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["ci"]["name"].as_str().unwrap(), h["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        hits,
        vec![("payroll-app", 1), ("payroll-db", 1), ("Payroll", 2)],
        "not the switch it connects to"
    );
    assert_eq!(impact["business_services"], json!([{ "id": m.service, "name": "Payroll" }]));
    assert_eq!(impact["open_incidents"][0]["number"], inc["number"]);
    let payroll = impact["hits"].as_array().unwrap().iter().find(|h| h["ci"]["name"] == "Payroll").unwrap();
    assert_eq!(
        payroll["path"],
        json!([{ "from": m.web, "kind": "hosts" }, { "from": m.app_ci, "kind": "used_by" }]),
        "the path explains the hit"
    );

    // The same answer as one recursive SQL query.
    let mut walked: Vec<i64> =
        impact["hits"].as_array().unwrap().iter().map(|h| h["ci"]["id"].as_i64().unwrap()).collect();
    walked.sort_unstable();
    assert_eq!(
        app.app.store().downstream_by_cte(CiId(m.web), 6).await.unwrap(),
        walked.into_iter().map(CiId).collect::<Vec<_>>()
    );
    let (_, up) = app
        .api(
            Method::GET,
            &format!("/api/v1/cis/{}/impact?direction=upstream&depth=2", m.service),
            &agent,
            None,
        )
        .await;
    let names: Vec<&str> =
        up["hits"].as_array().unwrap().iter().map(|h| h["ci"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["payroll-app", "payroll-db", "web01"], "depth 2 stops before DC1 and the switch");

    let (_, page) = app.api(Method::GET, &format!("/api/v1/cis/{}", m.app_ci), &agent, None).await;
    assert_eq!(page["open_incidents"][0]["id"], inc_id);
    let reads: Vec<&str> =
        page["relations"].as_array().unwrap().iter().map(|r| r["reads"].as_str().unwrap()).collect();
    assert_eq!(reads, vec!["used_by", "runs_on", "depends_on"]);
    let (_, list) = app.api(Method::GET, "/api/v1/cis?class=server", &agent, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, found) = app.api(Method::GET, "/api/v1/cis?q=payroll-", &agent, None).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 2, "name prefix search");
}

#[tokio::test]
async fn history_answers_what_a_ci_looked_like_then() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, out) = app
        .api(Method::POST, "/api/v1/cis", &agent, Some(json!({ "class": "server", "name": "db01", "attributes": { "hostname": "db01", "os": "Debian 12" } })))
        .await;
    let id = out["id"].as_i64().unwrap();
    let created = out["created_at"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let patch = json!({ "attributes": { "os": "Debian 13", "cpu_cores": 16 }, "status": "maintenance", "version": 1 });
    let (status, after) = app.api(Method::PATCH, &format!("/api/v1/cis/{id}"), &agent, Some(patch)).await;
    assert_eq!((status, after["version"].as_i64()), (200, Some(2)), "{after}");
    let stale = json!({ "name": "x", "version": 1 });
    // A stale version in the body is a conflict (a stale If-Match header answers 412).
    let (status, reply) = app.api(Method::PATCH, &format!("/api/v1/cis/{id}"), &agent, Some(stale)).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (409, Some("stale_version")));

    let (_, then) =
        app.api(Method::GET, &format!("/api/v1/cis/{id}/history?at={created}"), &agent, None).await;
    assert_eq!(then["ci"]["attrs"]["os"], "Debian 12", "{then}");
    assert_eq!(then["ci"]["status"], "in_service");
    let now = jiff::Timestamp::now().to_string();
    let (_, now_) = app.api(Method::GET, &format!("/api/v1/cis/{id}/history?at={now}"), &agent, None).await;
    assert_eq!(
        (now_["ci"]["attrs"]["os"].as_str(), now_["ci"]["status"].as_str()),
        (Some("Debian 13"), Some("maintenance"))
    );
    let (_, before) = app
        .api(Method::GET, &format!("/api/v1/cis/{id}/history?at=2000-01-01T00:00:00Z"), &agent, None)
        .await;
    assert!(before["ci"].is_null(), "it did not exist yet");
    let remove = json!({ "attributes": { "cpu_cores": null } });
    let (_, out) = app.api(Method::PATCH, &format!("/api/v1/cis/{id}"), &agent, Some(remove)).await;
    assert!(out["attributes"].get("cpu_cores").is_none(), "{out}");
}

#[tokio::test]
async fn admins_add_classes_and_bad_input_is_refused_cleanly() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let class = json!({ "name": "payroll_batch", "attributes": [
        { "name": "schedule", "type": "text", "required": true }, { "name": "runs", "type": "enum:daily|monthly" } ] });
    assert_eq!(app.api(Method::POST, "/api/v1/ci-classes", &admin, Some(class.clone())).await.0, 201);
    assert_eq!(app.api(Method::POST, "/api/v1/ci-classes", &agent, Some(class.clone())).await.0, 403);
    assert_eq!(app.api(Method::POST, "/api/v1/ci-classes", &admin, Some(class)).await.0, 409);
    let batch =
        ci(&app, &agent, "payroll_batch", "Month end", json!({ "schedule": "0 2 1 * *", "runs": "monthly" }))
            .await;
    let db = ci(&app, &agent, "database", "payroll-db", json!({})).await;
    let web =
        ci(&app, &agent, "server", "web01", json!({ "hostname": "web01", "ip_address": "10.0.0.5" })).await;
    assert_eq!(relate(&app, &agent, batch, "depends_on", db).await.0, 201, "custom classes join open rules");

    let (_, before) = app.api(Method::GET, "/api/v1/cis", &agent, None).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({ "class": "spaceship", "name": "x" }), 422, "class"),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "x", "colour": "red" } }),
            422,
            "attributes",
        ),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "x", "ip_address": "10.0.0.300" } }),
            422,
            "attributes",
        ),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "x", "cpu_cores": "many" } }),
            422,
            "attributes",
        ),
        (json!({ "class": "server", "name": "x", "attributes": {} }), 422, "attributes"),
        (json!({ "class": "server", "name": "x", "attributes": { "hostname": "web01" } }), 409, "attributes"),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "y", "ip_address": "10.0.0.5" } }),
            409,
            "attributes",
        ),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "z", "location": 99999 } }),
            422,
            "attributes",
        ),
        (
            json!({ "class": "server", "name": "x", "attributes": { "hostname": "z", "location": db } }),
            422,
            "attributes",
        ),
        (
            json!({ "class": "payroll_batch", "name": "x", "attributes": { "schedule": "x", "runs": "hourly" } }),
            422,
            "attributes",
        ),
        (json!({ "class": "database", "name": "" }), 422, "name"),
        (json!({ "class": "database", "name": "x", "criticality": 9 }), 422, "criticality"),
        (json!({ "class": "database", "name": "x", "status": "broken" }), 422, "status"),
        (json!({ "class": "database", "name": "x", "attributes": { "engine": [1] } }), 422, "attributes"),
    ];
    for (body, status, field) in cases {
        let (s, out) = app.api(Method::POST, "/api/v1/cis", &agent, Some(body.clone())).await;
        assert_eq!((s, out["error"]["field"].as_str()), (status, Some(field)), "{body}: {out}");
    }
    let (_, out) = app
        .api(
            Method::POST,
            "/api/v1/cis",
            &agent,
            Some(
                json!({ "class": "server", "name": "x", "attributes": { "hostname": "x", "colour": "red" } }),
            ),
        )
        .await;
    assert!(out["error"]["message"].as_str().unwrap().contains("colour"), "the message names the attribute");
    let (_, after) = app.api(Method::GET, "/api/v1/cis", &agent, None).await;
    assert_eq!(before["items"], after["items"], "nothing was half-written");

    assert_eq!(relate(&app, &agent, web, "runs_on", db).await.0, 422, "a server does not run on a database");
    assert_eq!(relate(&app, &agent, db, "runs_on", 99999).await.1["error"]["field"], "to");
    assert_eq!(relate(&app, &agent, db, "hosts", web).await.1["error"]["field"], "kind");
    assert_eq!(relate(&app, &agent, db, "runs_on", web).await.0, 201);
    assert_eq!(relate(&app, &agent, db, "runs_on", web).await.0, 409, "the same relationship twice");
    assert_eq!(relate(&app, &agent, db, "depends_on", db).await.0, 422);
    for q in ["direction=sideways", "depth=0", "depth=11"] {
        let (s, _) = app.api(Method::GET, &format!("/api/v1/cis/{web}/impact?{q}"), &agent, None).await;
        assert_eq!(s, 422, "{q}");
    }
    assert_eq!(app.api(Method::GET, "/api/v1/cis/99999", &agent, None).await.0, 404);
    assert_eq!(app.api(Method::GET, "/api/v1/cis", &requester, None).await.0, 403);
    assert_eq!(
        app.api(Method::GET, &format!("/api/v1/cis/{web}/history?at=yesterday"), &agent, None).await.0,
        422
    );
}

#[tokio::test]
async fn the_pages_list_create_edit_and_relate_cis() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let m = model(&app, &agent).await;
    let (browser, csrf) = app.signed_in("ada").await;
    let (status, html) = app.page(&browser, "/cmdb?class=server").await;
    assert_eq!(status, 200);
    assert!(html.contains("web01") && !html.contains("payroll-app"));
    // A new CI's form is typed by its class (issue 17): numbers, IPs, lists, CI pickers.
    let (status, form_html) = app.page(&browser, "/cmdb/new?class=server&lang=en").await;
    assert_eq!(status, 200);
    assert!(form_html.contains(r#"name="attr.cpu_cores" id="attr-cpu_cores" type="number""#), "{form_html}");
    assert!(form_html.contains(
        r#"name="attr.location" id="attr-location" value="" list="attr-location-options" data-ci-picker"#
    ));
    assert!(form_html.contains(r#"name="attr.hostname" id="attr-hostname" type="text" value="" required"#));
    let (_, network) = app.page(&browser, "/cmdb/new?class=network_device&lang=zh-CN").await;
    assert!(network.contains(r#"<option value="firewall">"#), "an enum is a list: {network}");
    let form = [
        ("_csrf", csrf.as_str()),
        ("class", "virtual_machine"),
        ("name", "vm7"),
        ("attr.hostname", "vm7"),
        ("attr.ip_address", "10.1.1.7"),
        ("attr.os", ""),
    ];
    let res = browser.post(app.url("/cmdb")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/cmdb/"), "{to}");
    let vm: i64 = to.trim_start_matches("/cmdb/").split('?').next().unwrap().parse().unwrap();
    let picked_dc = format!("#{} dc", m.dc);
    let bad = [
        ("_csrf", csrf.as_str()),
        ("class", "server"),
        ("name", "x9"),
        ("attr.hostname", "x9"),
        ("attr.ip_address", "nope"),
        ("attr.location", picked_dc.as_str()),
    ];
    let res = browser.post(app.url("/cmdb?lang=en")).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422, "the form comes back with the error");
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"value="nope""#) && html.contains(r#"value="x9""#),
        "what was typed stays: {html}"
    );
    let good = [bad[0], bad[1], bad[2], bad[3], ("attr.ip_address", "10.9.9.9"), bad[5]];
    let res = browser.post(app.url("/cmdb")).form(&good).send().await.unwrap();
    let x9 = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/cmdb/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, json) = app.api(Method::GET, &format!("/api/v1/cis/{x9}"), &agent, None).await;
    assert_eq!(
        json["attributes"]["location"],
        m.dc.to_string(),
        "a picked reference is stored as its id: {json}"
    );
    let (_, x9_page) = app.page(&browser, &format!("/cmdb/{x9}")).await;
    assert!(x9_page.contains(&format!("value=\"#{}\"", m.dc)), "and shown back in the picker");
    // The target is picked by searching: the picker's text is `#<id> <name>` (issue 17).
    let picked = format!("#{vm} vm7");
    let relate = [("_csrf", csrf.as_str()), ("kind", "runs_on"), ("other", picked.as_str()), ("way", "out")];
    let url = app.url(&format!("/cmdb/{}/relations", m.app_ci));
    let sent = browser.post(url.clone()).form(&relate).send().await.unwrap();
    assert_eq!(sent.status(), 303);
    assert!(!sent.headers()["location"].to_str().unwrap().contains("error="));
    let typo = [("_csrf", csrf.as_str()), ("kind", "runs_on"), ("other", "vm seven"), ("way", "out")];
    let refused = browser.post(url).form(&typo).send().await.unwrap();
    assert!(refused.headers()["location"].to_str().unwrap().contains("error=invalid.ci_id"));
    let (_, page) = app.page(&browser, &format!("/cmdb/{vm}")).await;
    assert!(page.contains("hosts") && page.contains("payroll-app"), "{page}");
    let edit = [
        ("_csrf", csrf.as_str()),
        ("name", "vm7"),
        ("status", "maintenance"),
        ("criticality", "2"),
        ("attr.hostname", "vm7"),
        ("attr.ip_address", ""),
        ("version", "1"),
    ];
    assert_eq!(browser.post(app.url(&format!("/cmdb/{vm}"))).form(&edit).send().await.unwrap().status(), 303);
    let (_, json) = app.api(Method::GET, &format!("/api/v1/cis/{vm}"), &agent, None).await;
    assert_eq!((json["status"].as_str(), json["criticality"].as_i64()), (Some("maintenance"), Some(2)));
    assert!(json["attributes"].get("ip_address").is_none(), "a blank field: removed");
    let refused = [
        ("_csrf", csrf.as_str()),
        ("name", "vm7"),
        ("status", "in_service"),
        ("criticality", "2"),
        ("attr.hostname", "vm7"),
        ("attr.ip_address", "999.1.1.1"),
        ("version", "2"),
    ];
    let res = browser.post(app.url(&format!("/cmdb/{vm}?lang=en"))).form(&refused).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"value="999.1.1.1""#), "the edit keeps what was typed");
    // The owner team, set on the edit form, and every incident naming the CI, open or not.
    let team = app.app.directory().create_team(None, "Platform", "").await.unwrap();
    let edit = [
        ("_csrf", csrf.as_str()),
        ("name", "vm7"),
        ("status", "in_service"),
        ("criticality", "2"),
        ("owner_team_id", &team.id.to_string()),
        ("attr.hostname", "vm7"),
        ("version", "2"),
    ];
    assert_eq!(browser.post(app.url(&format!("/cmdb/{vm}"))).form(&edit).send().await.unwrap().status(), 303);
    let body = json!({ "title": "VM7 rebooted", "ci_ids": [vm] });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &agent, Some(body)).await;
    let cancel = json!({ "to": "cancelled" });
    let (s, _) = app
        .api(Method::POST, &format!("/api/v1/incidents/{}/transition", inc["id"]), &agent, Some(cancel))
        .await;
    assert_eq!(s, 200);
    let (_, page) = app.page(&browser, &format!("/cmdb/{vm}")).await;
    assert!(
        page.contains("Platform") && page.contains("VM7 rebooted") && page.contains("Cancelled"),
        "{page}"
    );
    let (_, json) = app.api(Method::GET, &format!("/api/v1/cis/{vm}"), &agent, None).await;
    assert_eq!(
        (json["owner_team"].as_str(), json["tickets"][0]["state"].as_str()),
        (Some("Platform"), Some("cancelled"))
    );
    assert!(json["open_incidents"].as_array().unwrap().is_empty());

    // Classes: everyone reads them; only admins add one, from the page.
    let (_, classes) = app.page(&browser, "/cmdb/classes").await;
    assert!(classes.contains("hostname text required unique") && !classes.contains("id=\"class-new\""));
    app.user_with_token("root", "admin").await;
    let (admin, admin_csrf) = app.signed_in("root").await;
    let form = [
        ("_csrf", admin_csrf.as_str()),
        ("name", "payroll_batch"),
        ("attributes", "schedule text required\nruns enum:daily|monthly"),
    ];
    assert_eq!(admin.post(app.url("/cmdb/classes")).form(&form).send().await.unwrap().status(), 303);
    let (_, classes) = app.page(&admin, "/cmdb/classes").await;
    assert!(classes.contains("payroll_batch") && classes.contains("runs enum:daily|monthly"), "{classes}");
    let (status, page) = app.page(&browser, &format!("/cmdb/{}/impact?lang=zh-CN", m.web)).await;
    assert_eq!(status, 200);
    assert!(page.contains("影响分析") && page.contains("id=\"impact-graph\"") && page.contains("Payroll"));
}

/// Issue 17, "CMDB usability": import and export from the UI, with the command line's checks:
/// a dry run reports, a bad row is named with its column, an export imports again unchanged.
#[tokio::test]
async fn the_cmdb_is_imported_and_exported_from_the_ui_with_the_same_checks() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    app.user("rita", "requester").await;
    let (browser, csrf) = app.signed_in("ada").await;
    let (status, html) = app.page(&browser, "/cmdb/transfer?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(html.contains("导入与导出") && html.contains(r#"id="import-form""#));
    let csv = "external_id,class,name,hostname,ip_address\nsrv-1,server,db01,db01,10.0.0.1\nsrv-2,server,db02,db02,10.0.0.2\n";
    let post = |text: &str, dry: bool| {
        let mut form = vec![("_csrf", csrf.clone()), ("text", text.to_owned()), ("format", String::new())];
        if dry {
            form.push(("dry_run", "1".to_owned()));
        }
        browser.post(app.url("/cmdb/import?lang=en")).form(&form).send()
    };
    let dry = post(csv, true).await.unwrap();
    assert_eq!(dry.status(), 200);
    let html = dry.text().await.unwrap();
    assert!(html.contains("Nothing was written (dry run)") && html.contains("CIs created 2"), "{html}");
    let (_, none) = app.api(Method::GET, "/api/v1/cis?class=server", &agent, None).await;
    assert!(none["items"].as_array().unwrap().is_empty(), "a dry run writes nothing");

    let bad = "external_id,class,name,hostname,ip_address\nsrv-1,server,db01,db01,10.0.0.1\nsrv-3,server,db03,db03,not-an-ip\n";
    let refused = post(bad, false).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<td>3</td><td><code>ip_address</code></td>"),
        "the row and column are named: {html}"
    );
    assert!(html.contains("not-an-ip"), "what was pasted stays to be fixed");
    let (_, none) = app.api(Method::GET, "/api/v1/cis?class=server", &agent, None).await;
    assert!(none["items"].as_array().unwrap().is_empty(), "one bad row: nothing written");
    let unreadable = post("{ not json", false).await.unwrap();
    assert_eq!(unreadable.status(), 422);

    let done = post(csv, false).await.unwrap();
    assert!(done.text().await.unwrap().contains("Imported."));
    let (_, two) = app.api(Method::GET, "/api/v1/cis?class=server", &agent, None).await;
    assert_eq!(two["items"].as_array().unwrap().len(), 2);

    let exported = browser.get(app.url("/cmdb/export.csv")).send().await.unwrap();
    assert!(exported.headers()["content-disposition"].to_str().unwrap().contains("cmdb-cis.csv"));
    let text = exported.text().await.unwrap();
    let again = post(&text, false).await.unwrap().text().await.unwrap();
    assert!(again.contains("CIs created 0") && again.contains("unchanged 2"), "{again}");
    let json = browser.get(app.url("/cmdb/export.json")).send().await.unwrap().text().await.unwrap();
    assert!(json.contains("\"srv-1\""));
    let relations = browser.get(app.url("/cmdb/export.csv?relations=true")).send().await.unwrap();
    assert!(relations.text().await.unwrap().starts_with("from,kind,to"));

    let (rita, rita_csrf) = app.signed_in("rita").await;
    assert_eq!(app.page(&rita, "/cmdb/transfer").await.0, 403);
    let form = [("_csrf", rita_csrf.as_str()), ("text", csv)];
    assert_eq!(rita.post(app.url("/cmdb/import")).form(&form).send().await.unwrap().status(), 403);
    assert_eq!(rita.get(app.url("/cmdb/export.json")).send().await.unwrap().status(), 403);
}
