//! Problems as tickets (issue 19): a problem links incidents and CIs, records its root-cause
//! analysis, moves through its own lifecycle, publishes its workaround as a known error, and
//! resolves its incidents when fixed — in the API and in the pages, in both languages.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn raise(app: &TestApp, token: &str, title: &str, extra: Value) -> i64 {
    let mut body = json!({ "title": title, "impact": 2, "urgency": 2 });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, out) = app.api(Method::POST, "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(status, 201, "{out}");
    out["id"].as_i64().unwrap()
}

async fn move_to(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.api(Method::POST, &format!("/api/v1/problems/{id}/transition"), token, Some(body)).await
}

#[tokio::test]
async fn a_problem_explains_incidents_finds_its_root_cause_and_resolves_them() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let (status, ci) = app
        .api(
            Method::POST,
            "/api/v1/cis",
            &agent,
            Some(json!({ "class": "server", "name": "db01", "attributes": { "hostname": "db01" } })),
        )
        .await;
    assert_eq!(status, 201, "{ci}");
    let a = raise(&app, &agent, "数据库连接超时", json!({ "ci_ids": [ci["id"]] })).await;
    let b = raise(&app, &agent, "DB connection pool exhausted", json!({})).await;
    let c = raise(&app, &agent, "Orders time out", json!({})).await;

    let (status, p) = app
        .api(
            Method::POST,
            "/api/v1/problems",
            &agent,
            Some(
                json!({ "title": "Connection pool too small", "incident_ids": [a, b], "ci_ids": [ci["id"]] }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert!(p["number"].as_str().unwrap().starts_with("PRB"), "{p}");
    assert_eq!((p["state"].as_str(), p["incidents"].as_array().unwrap().len()), (Some("new"), 2));
    assert_eq!(p["cis"][0]["name"], "db01");
    assert_eq!(p["allowed_transitions"], json!(["under_investigation", "cancelled"]));

    let (status, p) = app
        .api(
            Method::POST,
            &format!("/api/v1/problems/{id}/incidents"),
            &agent,
            Some(json!({ "incident_ids": [c] })),
        )
        .await;
    assert_eq!((status, p["incidents"].as_array().unwrap().len()), (200, 3), "{p}");
    // An incident has one problem.
    let (status, other) = app
        .api(
            Method::POST,
            "/api/v1/problems",
            &agent,
            Some(json!({ "title": "Another", "incident_ids": [a] })),
        )
        .await;
    assert_eq!((status, other["error"]["field"].as_str()), (409, Some("incident_ids")), "{other}");
    let (_, listed) = app.api(Method::GET, "/api/v1/problems", &agent, None).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "the refused problem was not half-written: {listed}"
    );
    let (status, out) = app
        .api(
            Method::POST,
            "/api/v1/problems",
            &agent,
            Some(json!({ "title": "Ghost", "incident_ids": [999999] })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("incident_ids")));

    // Its own lifecycle, each state demanding its part of the analysis.
    let (status, out) = move_to(&app, &agent, id, json!({ "to": "known_error" })).await;
    assert_eq!(status, 409, "{out}");
    let (status, out) = move_to(&app, &agent, id, json!({ "to": "in_progress" })).await;
    assert_eq!(status, 409, "an incident's state is not a problem's: {out}");
    assert_eq!(move_to(&app, &agent, id, json!({ "to": "under_investigation" })).await.0, 200);
    let (status, out) = move_to(&app, &agent, id, json!({ "to": "root_cause_known" })).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("root_cause")), "{out}");

    let analysis = format!("/api/v1/problems/{id}/analysis");
    let (status, out) = app
        .api(
            Method::PUT,
            &analysis,
            &agent,
            Some(json!({ "fishbone": [{ "category": "weather", "cause": "rain" }] })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("fishbone")), "{out}");
    let body = json!({
        "whys": ["Orders time out", "The database refuses connections", "The pool is exhausted", "", "The pool has 10 connections"],
        "fishbone": [
            { "category": "technology", "cause": "pool size 10 since 2019" },
            { "category": "process", "cause": "no capacity review" },
        ],
        "root_cause": "The connection pool is sized for 2019's load.",
        "workaround": "Restart the order service to drop idle connections (连接池重启).",
    });
    let (status, out) = app.api(Method::PUT, &analysis, &agent, Some(body.clone())).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["analysis"]["whys"].as_array().unwrap().len(), 4, "blank whys are dropped");
    assert_eq!(
        out["analysis"]["fishbone"][1],
        json!({ "category": "process", "cause": "no capacity review" })
    );
    assert_eq!(move_to(&app, &agent, id, json!({ "to": "root_cause_known" })).await.0, 200);
    assert_eq!(move_to(&app, &agent, id, json!({ "to": "known_error" })).await.0, 200);
    let cleared = json!({ "root_cause": "The connection pool is sized for 2019's load." });
    let (status, out) = app.api(Method::PUT, &analysis, &agent, Some(cleared)).await;
    assert_eq!(
        (status, out["error"]["field"].as_str()),
        (422, Some("workaround")),
        "a known error keeps its workaround"
    );

    let (_, known) = app.api(Method::GET, "/api/v1/known-errors?q=pool", &agent, None).await;
    assert_eq!(known["items"][0]["problem_id"].as_i64(), Some(id), "{known}");
    assert!(known["items"][0]["workaround"].as_str().unwrap().contains("Restart"));
    let (_, none) = app.api(Method::GET, "/api/v1/known-errors?q=printer", &agent, None).await;
    assert_eq!(none["items"], json!([]));

    // Resolving: first the problem, then its incidents in one go with the fix note.
    let resolve = format!("/api/v1/problems/{id}/resolve-incidents");
    let (status, out) = app.api(Method::POST, &resolve, &agent, Some(json!({}))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (409, Some("state")), "{out}");
    let (status, out) =
        move_to(&app, &agent, id, json!({ "to": "resolved", "resolution_code": "fixed" })).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("resolution_note")));
    let fix = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Pool raised to 100 (CHG000012)." });
    assert_eq!(move_to(&app, &agent, id, fix).await.0, 200);
    let (status, out) =
        app.api(Method::POST, &resolve, &agent, Some(json!({ "incident_ids": [a, b, c] }))).await;
    assert_eq!((status, out["items"].as_array().map(Vec::len)), (200, Some(3)), "{out}");
    let (_, incident) = app.api(Method::GET, &format!("/api/v1/incidents/{b}"), &agent, None).await;
    assert_eq!(
        (incident["state"].as_str(), incident["resolution_note"].as_str()),
        (Some("resolved"), Some("Pool raised to 100 (CHG000012)."))
    );

    let (_, timeline) = app.api(Method::GET, &format!("/api/v1/problems/{id}/timeline"), &agent, None).await;
    let lines: Vec<(String, String, Option<String>)> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["state"].as_str().map(Into::into),
            )
        })
        .collect();
    assert!(lines.contains(&("problem".into(), "analyse".into(), None)), "{timeline}");
    assert!(lines.contains(&("incident".into(), "transition".into(), Some("resolved".into()))), "{timeline}");
    assert_eq!(lines[0].0, "incident", "the first incident came before the problem: {timeline}");

    // A closed problem takes no more incidents.
    assert_eq!(move_to(&app, &agent, id, json!({ "to": "closed" })).await.0, 200);
    let d = raise(&app, &agent, "Slow again", json!({})).await;
    let (status, out) = app
        .api(
            Method::POST,
            &format!("/api/v1/problems/{id}/incidents"),
            &agent,
            Some(json!({ "incident_ids": [d] })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (409, Some("incident_ids")), "{out}");

    // Problems are internal: requesters see none.
    assert_eq!(app.api(Method::GET, &format!("/api/v1/problems/{id}"), &requester, None).await.0, 404);
    assert_eq!(app.api(Method::GET, "/api/v1/problems", &requester, None).await.0, 403);
    // …and the incident API does not serve them.
    assert_eq!(app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &agent, None).await.0, 404);
    assert!(app.app.audit().check_state().await.unwrap().is_empty(), "the rows match their events");
}

#[tokio::test]
async fn edits_are_versioned_and_bad_input_is_named() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (_, p) = app
        .api(Method::POST, "/api/v1/problems", &agent, Some(json!({ "title": "<script>x</script>" })))
        .await;
    let id = p["id"].as_i64().unwrap();
    let path = format!("/api/v1/problems/{id}");
    let (status, out) =
        app.api(Method::PATCH, &path, &agent, Some(json!({ "impact": 1, "version": 1 }))).await;
    assert_eq!((status, out["priority"].as_i64()), (200, Some(3)), "{out}");
    let (status, _) =
        app.api(Method::PATCH, &path, &agent, Some(json!({ "title": "lost", "version": 1 }))).await;
    assert_eq!(status, 409, "a stale version is refused, not overwritten");
    let (status, out) = app.api(Method::PATCH, &path, &agent, Some(json!({ "title": " " }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("title")));
    let long = vec!["why"; 11];
    let (status, out) =
        app.api(Method::PUT, &format!("{path}/analysis"), &agent, Some(json!({ "whys": long }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("whys")));
    let (status, out) = app.api(Method::GET, "/api/v1/problems?state=in_progress", &agent, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("state")));

    let (browser, _) = app.signed_in("li.wei").await;
    let (status, page) = app.page(&browser, &format!("/problems/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("&#60;script&#62;x") && !page.contains("<script>x"), "titles are inert");
}

#[tokio::test]
async fn problem_pages_link_incidents_record_the_analysis_and_move_in_both_languages() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let a = raise(&app, &agent, "VPN drops", json!({})).await;
    let b = raise(&app, &agent, "VPN drops again", json!({})).await;
    let (_, inc_b) = app.api(Method::GET, &format!("/api/v1/incidents/{b}"), &agent, None).await;
    let (browser, csrf) = app.signed_in("li.wei").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let (browser, app, csrf) = (browser.clone(), &app, csrf.clone());
        async move {
            let mut form = form;
            form.push(("_csrf", csrf));
            browser.post(app.url(&path)).form(&form).send().await.unwrap()
        }
    };

    // From the queue's bulk bar: the form comes filled from the ticked incidents.
    let (_, queue) = app.page(&browser, "/incidents?state=new&lang=zh-CN").await;
    assert!(queue.contains("由这些事件创建问题"), "the bulk bar offers it");
    let draft = post("/problems/draft".into(), vec![("ids", a.to_string()), ("ids", b.to_string())]).await;
    let draft = draft.text().await.unwrap();
    assert!(
        draft.contains(r#"value="VPN drops""#) && draft.contains(inc_b["number"].as_str().unwrap()),
        "{draft}"
    );
    let refused = post(
        "/problems".into(),
        vec![("title", "VPN tunnel resets".into()), ("incidents", "INC999999".into())],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("VPN tunnel resets"), "what was typed comes back");
    let created = post(
        "/problems".into(),
        vec![
            ("title", "VPN tunnel resets".into()),
            ("incidents", format!("{a}")),
            ("impact", "2".into()),
            ("urgency", "2".into()),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/problems/").parse().unwrap();

    // The incident page links to its problem, or offers to link one.
    let (_, page) = app.page(&browser, &format!("/incidents/{a}")).await;
    assert!(page.contains(&format!(r#"href="/problems/{id}""#)), "{page}");
    let (_, page) = app.page(&browser, &format!("/incidents/{b}")).await;
    assert!(page.contains("incident-problem-form"));
    let (_, p) = app.api(Method::GET, &format!("/api/v1/problems/{id}"), &agent, None).await;
    let linked = post(
        format!("/incidents/{b}/problem"),
        vec![("problem", p["number"].as_str().unwrap().to_lowercase())],
    )
    .await;
    assert_eq!(linked.status(), 303);
    assert!(!linked.headers()["location"].to_str().unwrap().contains("error"));

    let analysed = post(
        format!("/problems/{id}/analysis"),
        vec![
            ("why1", "Tunnels reset".into()),
            ("why2", "The keepalive is shorter than the firewall's idle timer".into()),
            ("bone_environment", "firewall idle timer 30 s\nISP NAT".into()),
            ("root_cause", "Keepalive 60 s > firewall idle 30 s".into()),
            ("workaround", "Reconnect; set keepalive to 20 s on the client".into()),
        ],
    )
    .await;
    assert_eq!(analysed.status(), 303);
    assert!(!analysed.headers()["location"].to_str().unwrap().contains("error"));
    for to in ["under_investigation", "known_error"] {
        let (_, p) = app.api(Method::GET, &format!("/api/v1/problems/{id}"), &agent, None).await;
        let moved = post(
            format!("/problems/{id}/transition"),
            vec![("to", to.into()), ("version", p["version"].to_string())],
        )
        .await;
        assert!(!moved.headers()["location"].to_str().unwrap().contains("error"), "{to}");
    }
    let (status, page) = app.page(&browser, &format!("/problems/{id}?lang=zh-CN")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("已知错误")
            && page.contains("鱼骨图")
            && page.contains("ISP NAT")
            && page.contains("环境"),
        "{page}"
    );
    assert!(page.contains("时间线"));
    let (_, known) = app.page(&browser, "/problems/known-errors?q=keepalive&lang=en").await;
    assert!(known.contains("Reconnect; set keepalive") && known.contains("VPN tunnel resets"), "{known}");
    let (_, list) = app.page(&browser, "/problems?state=known_error&lang=en").await;
    assert!(list.contains("VPN tunnel resets") && list.contains("Known error"), "{list}");

    // Resolved: the page offers the open incidents for resolution with the fix note.
    let (_, p) = app.api(Method::GET, &format!("/api/v1/problems/{id}"), &agent, None).await;
    let fixed = vec![
        ("to", "resolved".into()),
        ("resolution_code", "fixed".into()),
        ("resolution_note", "Keepalive 20 s pushed to every client".into()),
        ("version", p["version"].to_string()),
    ];
    assert!(
        !post(format!("/problems/{id}/transition"), fixed).await.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error")
    );
    let (_, page) = app.page(&browser, &format!("/problems/{id}?lang=en")).await;
    assert!(page.contains("resolve-incidents-form") && page.contains("Keepalive 20 s pushed"), "{page}");
    let done = post(
        format!("/problems/{id}/resolve-incidents"),
        vec![
            ("ids", a.to_string()),
            ("ids", b.to_string()),
            ("note", "Keepalive 20 s pushed to every client".into()),
        ],
    )
    .await;
    assert!(!done.headers()["location"].to_str().unwrap().contains("error"));
    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{a}"), &agent, None).await;
    assert_eq!(inc["state"], "resolved");
}
