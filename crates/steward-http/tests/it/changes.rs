//! Change management (issue 20), through the real router on SQLite and PostgreSQL: a normal
//! change on a database server is risk-assessed with reasons, routed to the CAB, approved by
//! quorum (one approval by a mailed link), blocked once by a freeze, rescheduled, implemented
//! while an alert from the server is expected, and reviewed; and the bad inputs the issue names.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

use crate::sla::SmtpServer;

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.api(Method::POST, path, token, Some(body)).await
}

fn at(days: i64, hour: i64) -> String {
    // Far from today, whatever today is: windows are always to come.
    let base = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30);
    let day = base.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let t = day
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    (t + jiff::SignedDuration::from_hours(24 * days + hour)).to_string()
}

#[tokio::test]
async fn a_normal_change_is_assessed_approved_by_quorum_scheduled_around_a_freeze_implemented_and_reviewed() {
    let smtp = SmtpServer::start();
    let app = smtp.app().await;
    let new_user = |name: &str, role: &str| steward_app::NewUserInput {
        username: name.into(),
        role: role.into(),
        email: Some(format!("{name}@example.com")),
        password: steward_test_support::PASSWORD.into(),
        ..Default::default()
    };
    let dir = app.app.directory();
    let li = dir.create_user(None, new_user("li.wei", "agent")).await.unwrap();
    let mut cab = Vec::new();
    for n in ["wang.fang", "zhao.lei", "chen.jie"] {
        cab.push(dir.create_user(None, new_user(n, "change_manager")).await.unwrap());
    }
    let li_t = app.token("li.wei", "read write").await;
    let wang_t = app.token("wang.fang", "read write").await;
    let zhao_t = app.token("zhao.lei", "read write").await;
    let (_, admin) = app.user_with_token("root", "admin").await;

    // The CMDB: a critical database server that an application depends on.
    let (s, db) = post(
        &app,
        &li_t,
        "/api/v1/cis",
        json!({"class": "server", "name": "db-01", "criticality": 1, "attributes": {"hostname": "db-01"}}),
    )
    .await;
    assert_eq!(s, 201, "{db}");
    let (s, appci) =
        post(&app, &li_t, "/api/v1/cis", json!({"class": "application", "name": "billing"})).await;
    assert_eq!(s, 201, "{appci}");
    let (s, rel) = post(
        &app,
        &li_t,
        "/api/v1/ci-relations",
        json!({"from": appci["id"], "to": db["id"], "kind": "depends_on"}),
    )
    .await;
    assert!(s == 201 || s == 200, "{rel}");

    // Setup: a CAB deciding by a quorum of two, for normal changes of any risk; a question.
    let ids: Vec<i64> = cab.iter().map(|u| u.id.get()).collect();
    let (s, group) = post(
        &app,
        &admin,
        "/api/v1/approver-groups",
        json!({"name": "CAB", "rule": "quorum", "quorum": 2, "members": ids}),
    )
    .await;
    assert_eq!(s, 200, "{group}");
    let (s, p) = post(
        &app,
        &admin,
        "/api/v1/approval-policies",
        json!({"change_type": "normal", "min_risk": "low", "level": 1, "group_id": group["id"]}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let (s, q) = post(
        &app,
        &admin,
        "/api/v1/risk-questions",
        json!({"text": "Tested in staging?", "options": "Yes | 0\nNo | 20"}),
    )
    .await;
    assert_eq!(s, 201, "{q}");
    let (s, _) =
        post(&app, &li_t, "/api/v1/risk-questions", json!({"text": "x", "options": "a | 1\nb | 2"})).await;
    assert_eq!(s, 403, "agents do not set up change management");

    // The change.
    let (s, chg) = post(
        &app,
        &li_t,
        "/api/v1/changes",
        json!({
            "title": "Upgrade PostgreSQL on db-01", "change_type": "normal", "reason": "End of support",
            "implementation_plan": "pg_upgrade", "backout_plan": "Restore the snapshot", "ci_ids": [db["id"]],
            "assignee_id": li.id.get(),
        }),
    )
    .await;
    assert_eq!(s, 201, "{chg}");
    let id = chg["id"].as_i64().unwrap();
    assert!(chg["number"].as_str().unwrap().starts_with("CHG"));
    assert_eq!((chg["state"].as_str(), chg["step"].as_str()), (Some("assessment"), Some("assess")));
    let path = |tail: &str| format!("/api/v1/changes/{id}{tail}");

    // Not assessed yet: it cannot go to the CAB.
    let (s, e) = post(&app, &li_t, &path("/move"), json!({"to": "cab"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("risk")), "{e}");
    let (s, e) = post(&app, &li_t, &path("/risk"), json!({"answers": []})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("answers")), "{e}");
    let (s, c) =
        post(&app, &li_t, &path("/risk"), json!({"answers": [{"question_id": q["id"], "answer": 1}]})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["risk_class"], "high", "{c}");
    let factors: Vec<&str> =
        c["risk_reasons"].as_array().unwrap().iter().map(|r| r["factor"].as_str().unwrap()).collect();
    assert!(factors.contains(&"answer") && factors.contains(&"criticality"), "{c}");

    // A freeze over the first window: the schedule is refused, naming it.
    let (s, f) = post(
        &app,
        &admin,
        "/api/v1/change-freezes",
        json!({"name": "Month end", "starts_at": at(1, 0), "ends_at": at(2, 0), "reason": "closing"}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let (s, e) =
        post(&app, &li_t, &path("/schedule"), json!({"planned_start": at(1, 2), "planned_end": at(1, 4)}))
            .await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Month end"), "{e}");
    let (s, e) =
        post(&app, &li_t, &path("/schedule"), json!({"planned_start": at(1, 4), "planned_end": at(1, 2)}))
            .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("planned_end")), "end before start: {e}");
    let (s, e) = post(
        &app,
        &li_t,
        &path("/schedule"),
        json!({"planned_start": "2001-01-01T00:00:00Z", "planned_end": "2001-01-01T01:00:00Z"}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("planned_end")), "window in the past: {e}");
    // Rescheduled after the freeze.
    let (s, c) =
        post(&app, &li_t, &path("/schedule"), json!({"planned_start": at(3, 2), "planned_end": at(3, 4)}))
            .await;
    assert_eq!(s, 200, "{c}");
    assert!(c["conflicts"].as_array().unwrap().is_empty(), "{c}");

    // To the CAB: two of three must approve.
    let (s, c) = post(&app, &li_t, &path("/move"), json!({"to": "cab"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("authorization")), "{c}");
    assert_eq!(c["approvals"][0]["rule"], "quorum");
    let (s, e) = post(&app, &li_t, &path("/decision"), json!({"decision": "approve"})).await;
    assert_eq!(s, 403, "the requester cannot approve their own change: {e}");
    let (s, e) = post(&app, &wang_t, &path("/decision"), json!({"decision": "reject"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("comment")), "a rejection says why: {e}");
    let (s, c) =
        post(&app, &wang_t, &path("/decision"), json!({"decision": "approve", "comment": "ok"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("authorization")), "one of two: {c}");
    let (s, e) = post(&app, &wang_t, &path("/decision"), json!({"decision": "approve"})).await;
    assert_eq!(s, 409, "approving twice: {e}");
    let (s, e) = post(&app, &li_t, &path("/move"), json!({"to": "schedule"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("approvals")), "{e}");

    // The second approval by the mailed link.
    assert_eq!(app.app.run_due_jobs("mailer").await.unwrap(), 3, "one mail per CAB member");
    let mails = smtp.messages();
    let zhao_mail = mails.iter().find(|m| m.contains("zhao.lei@example.com")).expect("a mail to zhao.lei");
    // The body may be quoted-printable: undo its soft line breaks first.
    let body = zhao_mail.replace("=\r\n", "").replace("=\n", "");
    let token = body.split("/approvals/").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let (status, page) = app.page(&TestApp::browser(), &format!("/approvals/{token}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Upgrade PostgreSQL on db-01") && page.contains("Restore the snapshot"),
        "the approver sees the change"
    );
    let (status, _) = app.page(&TestApp::browser(), "/approvals/apv_forged").await;
    assert_eq!(status, 422, "a forged link says so");
    let browser = TestApp::browser();
    let r = browser
        .post(app.url(&format!("/approvals/{token}")))
        .form(&[("decision", "approve"), ("comment", "fine by mail")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("you approved"));
    let r = browser
        .post(app.url(&format!("/approvals/{token}")))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a link works once");
    let (_, c) = app.api(Method::GET, &path(""), &li_t, None).await;
    assert_eq!(
        (c["state"].as_str(), c["step"].as_str(), c["approval"].as_str()),
        (Some("scheduled"), Some("schedule"), Some("approved")),
        "{c}"
    );
    let vias: Vec<&str> = c["approvals"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["via"].as_str().unwrap())
        .collect();
    assert_eq!(vias, ["api", "mail"]);
    let (s, _) = post(&app, &zhao_t, &path("/decision"), json!({"decision": "approve"})).await;
    assert_eq!(s, 409, "nothing is pending any more");

    // Approved and scheduled: its window is a maintenance window on db-01.
    let windows = app
        .app
        .store()
        .maintenance_windows(None, Some(steward_core::ids::CiId(db["id"].as_i64().unwrap())))
        .await
        .unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].change_ref.as_deref(), chg["number"].as_str());

    // Implement, fail, back out: the review is required before closing.
    let (s, c) = post(&app, &li_t, &path("/move"), json!({"to": "implement"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("implementation")), "{c}");
    let (s, c) = post(&app, &li_t, &path("/complete"), json!({"outcome": "backed_out"})).await;
    assert_eq!(
        (s, c["state"].as_str(), c["review_required"].as_bool()),
        (200, Some("review"), Some(true)),
        "{c}"
    );
    let (s, e) = post(&app, &li_t, &path("/move"), json!({"to": "close"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("review")), "{e}");
    let (s, _) = app
        .api(
            Method::PATCH,
            &path(""),
            &li_t,
            Some(json!({"review": "Extension incompatible; test it first."})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, c) = post(&app, &li_t, &path("/move"), json!({"to": "close"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("closed")), "{c}");
    let (s, e) = post(&app, &li_t, &path("/move"), json!({"to": "close"})).await;
    assert_eq!(s, 409, "a closed change moves no more: {e}");

    // The change sits in the audit trail and the chain verifies.
    let (s, v) = app.api(Method::GET, "/api/v1/audit/verify", &admin, None).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn rejected_changes_stay_rejected_and_models_are_guarded() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (cm, cm_t) = app.user_with_token("wang.fang", "change_manager").await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, group) = post(
        &app,
        &admin,
        "/api/v1/approver-groups",
        json!({"name": "ECAB", "rule": "any", "members": [cm.id.get()]}),
    )
    .await;
    post(
        &app,
        &admin,
        "/api/v1/approval-policies",
        json!({"change_type": "emergency", "min_risk": "low", "level": 1, "group_id": group["id"]}),
    )
    .await;
    let (s, chg) =
        post(&app, &agent, "/api/v1/changes", json!({"title": "Hotfix", "change_type": "emergency"})).await;
    assert_eq!(s, 201, "{chg}");
    let id = chg["id"].as_i64().unwrap();
    post(&app, &agent, &format!("/api/v1/changes/{id}/risk"), json!({})).await;
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "ecab"})).await;
    assert_eq!(s, 200, "{c}");
    let (s, c) = post(
        &app,
        &cm_t,
        &format!("/api/v1/changes/{id}/decision"),
        json!({"decision": "reject", "comment": "too risky"}),
    )
    .await;
    assert_eq!((s, c["state"].as_str()), (200, Some("rejected")), "{c}");
    let (s, e) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "implement"})).await;
    assert_eq!(s, 409, "a rejected change is not implemented: {e}");
    let (s, e) =
        post(&app, &agent, &format!("/api/v1/changes/{id}/complete"), json!({"outcome": "successful"})).await;
    assert_eq!(s, 409, "{e}");

    // Models: read, edit into a new version, refused when it would strand a change under way.
    let (_, models) = app.api(Method::GET, "/api/v1/change-models", &agent, None).await;
    let normal =
        models["items"].as_array().unwrap().iter().find(|m| m["change_type"] == "normal").unwrap().clone();
    let (_, detail) =
        app.api(Method::GET, &format!("/api/v1/change-models/{}", normal["id"]), &agent, None).await;
    let yaml = detail["definition"].as_str().unwrap().to_owned();
    let (s, open) =
        post(&app, &agent, "/api/v1/changes", json!({"title": "Routine", "change_type": "normal"})).await;
    assert_eq!(s, 201);
    let lean = yaml.replace("key: assess", "key: evaluate").replace("- assess", "- evaluate");
    let (s, e) =
        post(&app, &admin, "/api/v1/change-models", json!({"definition": lean, "upgrade": true})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("steps")), "{e}");
    let (s, m) = post(&app, &admin, "/api/v1/change-models", json!({"definition": lean})).await;
    assert_eq!((s, m["version"].as_i64()), (200, Some(2)), "{m}");
    let (_, c) = app.api(Method::GET, &format!("/api/v1/changes/{}", open["id"]), &agent, None).await;
    assert_eq!(
        (c["model_version"].as_i64(), c["step"].as_str()),
        (Some(1), Some("assess")),
        "in-flight keeps its version"
    );
    let (s, e) =
        post(&app, &admin, &format!("/api/v1/change-models/{}/retire", normal["id"]), json!({})).await;
    assert_eq!(s, 409, "{e}");
    let (s, e) = post(
        &app,
        &admin,
        "/api/v1/change-models",
        json!({"definition": "name: X\ntype: normal\nsteps: []\n"}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("steps")), "{e}");
    let (s, _) = post(&app, &cm_t, "/api/v1/changes", json!({"title": "x", "change_type": "sideways"})).await;
    assert_eq!(s, 422);

    // Pages: the list, the change with its swimlane, the models with the lifecycles, the calendar.
    let (browser, _) = app.signed_in("li.wei").await;
    for (p, needle) in [
        ("/changes".to_owned(), "Hotfix"),
        (format!("/changes/{}", open["id"]), "class=\"step current\""),
        (format!("/changes/{}", open["id"]), "id=\"change-implementer-team\""),
        ("/changes/models".to_owned(), "lifecycle-incident"),
        ("/changes/calendar".to_owned(), "id=\"calendar\""),
        ("/changes/calendar?view=week".to_owned(), "id=\"calendar\""),
        ("/changes/new".to_owned(), "change-implementer-team"),
    ] {
        let (s, html) = app.page(&browser, &p).await;
        assert_eq!(s, 200, "{p}: {html}");
        assert!(html.contains(needle), "{p} lacks {needle}");
    }
}

#[tokio::test]
async fn a_scheduled_change_quiets_its_cis_alerts_and_is_named_as_a_possible_cause() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let bot = app.token("li.wei", "alerts").await;
    let (_, db) = post(
        &app,
        &agent,
        "/api/v1/cis",
        json!({"class": "server", "name": "db01", "attributes": {"hostname": "db01"}}),
    )
    .await;
    let (s, chg) = post(
        &app,
        &agent,
        "/api/v1/changes",
        json!({"title": "Patch db01", "change_type": "standard", "ci_ids": [db["id"]]}),
    )
    .await;
    assert_eq!(s, 201, "{chg}");
    let id = chg["id"].as_i64().unwrap();
    post(&app, &agent, &format!("/api/v1/changes/{id}/risk"), json!({})).await;
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "schedule"})).await;
    assert_eq!(s, 200, "{c}");
    let now = jiff::Timestamp::now();
    let window = json!({"planned_start": (now - jiff::SignedDuration::from_mins(5)).to_string(), "planned_end": (now + jiff::SignedDuration::from_hours(2)).to_string()});
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/schedule"), window).await;
    assert_eq!(
        (s, c["approval"].as_str()),
        (200, Some("approved")),
        "standard changes are pre-approved: {c}"
    );

    // An alert from db01 inside the window is expected and opens nothing.
    let alert = json!({"version": "4", "groupKey": "db", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "x1", "labels": {"alertname": "HighLoad", "instance": "db01:9100", "severity": "critical"},
        "annotations": {"summary": "Load high"}, "startsAt": now.to_string()}]});
    let (s, out) = post(&app, &bot, "/hooks/alertmanager", alert).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["incidents_opened"], json!([]), "expected during the change: {out}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &agent, None).await;
    assert!(alerts["items"][0]["maintenance_id"].is_i64(), "{alerts}");

    // An incident on db01 names the change as a possible cause; the CI's impact shows it.
    let (s, inc) =
        post(&app, &agent, "/api/v1/incidents", json!({"title": "db01 slow", "ci_ids": [db["id"]]})).await;
    assert_eq!(s, 201, "{inc}");
    let (_, suspects) =
        app.api(Method::GET, &format!("/api/v1/incidents/{}/suspect-changes", inc["id"]), &agent, None).await;
    assert_eq!(suspects["items"][0]["number"], chg["number"], "{suspects}");
    let (_, impact) = app.api(Method::GET, &format!("/api/v1/cis/{}/impact", db["id"]), &agent, None).await;
    assert_eq!(impact["upcoming_changes"][0]["number"], chg["number"], "{impact}");
    let (browser, _) = app.signed_in("li.wei").await;
    let (_, html) = app.page(&browser, &format!("/incidents/{}", inc["id"])).await;
    let (_, page) = app.page(&browser, &format!("/changes/{id}")).await;
    assert!(
        page.contains("id=\"change-impact\"") && page.contains("db01"),
        "the change page shows the CIs' impact"
    );
    assert!(html.contains("incident-suspects") && html.contains(chg["number"].as_str().unwrap()));

    // Completing it ends its maintenance: the next alert opens an incident.
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "implement"})).await;
    assert_eq!(s, 200, "{c}");
    let (s, c) =
        post(&app, &agent, &format!("/api/v1/changes/{id}/complete"), json!({"outcome": "successful"})).await;
    assert_eq!((s, c["state"].as_str()), (200, Some("closed")), "{c}");
    let later = json!({"version": "4", "groupKey": "db2", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "x2", "labels": {"alertname": "DiskFull", "instance": "db01:9100", "severity": "critical"},
        "annotations": {"summary": "Disk"}, "startsAt": jiff::Timestamp::now().to_string()}]});
    let (_, out) = post(&app, &bot, "/hooks/alertmanager", later).await;
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1), "{out}");
}

#[tokio::test]
async fn change_managers_set_up_groups_policies_questions_and_freezes_on_a_page() {
    let to = |r: &reqwest::Response| {
        r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let app = TestApp::spawn().await;
    let (cm, _) = app.user_with_token("grace.kim", "change_manager").await;
    let (agent, _) = app.user_with_token("li.wei", "agent").await;
    let (browser, csrf) = app.signed_in("grace.kim").await;
    let post = |form: Vec<(&'static str, String)>| {
        let (browser, csrf) = (browser.clone(), csrf.clone());
        let url = app.url("/changes/setup");
        async move {
            let mut form = form;
            form.push(("_csrf", csrf));
            browser.post(url).form(&form).send().await.unwrap()
        }
    };
    let r = post(vec![
        ("action", "group".into()),
        ("name", "CAB".into()),
        ("rule", "quorum".into()),
        ("quorum", "1".into()),
        ("members", cm.id.get().to_string()),
        ("members", agent.id.get().to_string()),
    ])
    .await;
    assert!(to(&r).contains("notice=saved"), "{}", to(&r));
    let group = app.app.store().approver_groups().await.unwrap()[0].clone();
    assert_eq!(group.members.len(), 2);
    let r = post(vec![
        ("action", "policy".into()),
        ("change_type", "normal".into()),
        ("min_risk", "medium".into()),
        ("level", "1".into()),
        ("group_id", group.id.to_string()),
    ])
    .await;
    assert!(to(&r).contains("notice=saved"), "{}", to(&r));
    let r = post(vec![
        ("action", "question".into()),
        ("text", "Tested?".into()),
        ("options", "Yes | 0\nNo".into()),
    ])
    .await;
    assert!(to(&r).contains("error=invalid.options"), "a bad answer line is refused: {}", to(&r));
    // A freeze a year from now, whatever today is (times are the reader's local ones).
    let local = |days: i64| {
        let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
        t.to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let r = post(vec![
        ("action", "freeze".into()),
        ("name", "Year end".into()),
        ("planned_start", local(365)),
        ("planned_end", local(374)),
    ])
    .await;
    assert!(to(&r).contains("notice=saved"), "{}", to(&r));
    let (s, html) = app.page(&browser, "/changes/setup").await;
    assert_eq!(s, 200);
    assert!(html.contains("Year end") && html.contains("CAB") && html.contains("group-form"));
    // An agent reads the setup but edits none of it.
    let (agent_browser, agent_csrf) = app.signed_in("li.wei").await;
    let (_, html) = app.page(&agent_browser, "/changes/setup").await;
    assert!(!html.contains("group-form") && html.contains("delegation-form"));
    let r = agent_browser
        .post(app.url("/changes/setup"))
        .form(&[("action", "delete_freeze"), ("id", "1"), ("_csrf", agent_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_delegate_decides_for_an_approver_away_and_approvers_see_what_they_approve() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (boss, boss_t) = app.user_with_token("boss", "requester").await;
    let (deputy, deputy_t) = app.user_with_token("deputy", "requester").await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, group) = post(
        &app,
        &admin,
        "/api/v1/approver-groups",
        json!({"name": "Owners", "rule": "any", "members": [boss.id.get()]}),
    )
    .await;
    post(
        &app,
        &admin,
        "/api/v1/approval-policies",
        json!({"change_type": "normal", "min_risk": "low", "level": 1, "group_id": group["id"]}),
    )
    .await;
    let (_, chg) = post(
        &app,
        &agent,
        "/api/v1/changes",
        json!({"title": "Move the file share", "change_type": "normal"}),
    )
    .await;
    let id = chg["id"].as_i64().unwrap();
    let (s, _) = app.api(Method::GET, &format!("/api/v1/changes/{id}"), &boss_t, None).await;
    assert_eq!(s, 404, "a requester sees no change they are not asked about");
    post(&app, &agent, &format!("/api/v1/changes/{id}/risk"), json!({})).await;
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "cab"})).await;
    assert_eq!(s, 200, "{c}");
    let (s, c) = app.api(Method::GET, &format!("/api/v1/changes/{id}"), &boss_t, None).await;
    assert_eq!(
        (s, c["title"].as_str()),
        (200, Some("Move the file share")),
        "the approver sees the change: {c}"
    );

    // Away: the deputy decides for the boss.
    let (s, e) =
        post(&app, &deputy_t, &format!("/api/v1/changes/{id}/decision"), json!({"decision": "approve"}))
            .await;
    assert_eq!(s, 403, "not an approver yet: {e}");
    let now = jiff::Timestamp::now();
    let (s, d) = post(&app, &boss_t, "/api/v1/delegations", json!({"delegate_id": deputy.id.get(),
        "starts_at": (now - jiff::SignedDuration::from_mins(1)).to_string(), "ends_at": (now + jiff::SignedDuration::from_hours(48)).to_string()})).await;
    assert_eq!(s, 201, "{d}");
    let (s, e) = post(
        &app,
        &boss_t,
        "/api/v1/delegations",
        json!({"delegate_id": boss.id.get(),
        "starts_at": now.to_string(), "ends_at": (now + jiff::SignedDuration::from_hours(1)).to_string()}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("delegate_id")), "not to oneself: {e}");
    let (s, c) = app.api(Method::GET, &format!("/api/v1/changes/{id}"), &deputy_t, None).await;
    assert_eq!(s, 200, "the delegate sees it too: {c}");
    let (s, c) = post(
        &app,
        &deputy_t,
        &format!("/api/v1/changes/{id}/decision"),
        json!({"decision": "approve", "comment": "for boss"}),
    )
    .await;
    assert_eq!((s, c["state"].as_str()), (200, Some("scheduled")), "{c}");
    let decision = &c["approvals"][0]["decisions"][0];
    assert_eq!(
        (decision["user_id"].as_i64(), decision["decided_by"].as_i64()),
        (Some(boss.id.get()), Some(deputy.id.get()))
    );
}

#[tokio::test]
async fn approvers_are_asked_and_reminded_in_their_language() {
    // Mail is configured (nothing needs to listen: the messages are read from the job queue).
    let clock = steward_app::Clock::manual(jiff::Timestamp::now());
    let mail = steward_app::MailConfig {
        smtp_url: "smtp://127.0.0.1:9".into(),
        from: "Steward <s@example.com>".into(),
    };
    let config = steward_app::AppConfig {
        mail: Some(mail),
        clock: clock.clone(),
        ..steward_app::AppConfig::default()
    };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, agent) = app.user_with_token("li.wei", "agent").await;
    let (root, admin) = app.user_with_token("root", "admin").await;
    let root_actor = steward_app::Actor { user: root, credential: steward_app::Credential::Direct };
    let mut members = Vec::new();
    for (name, locale) in [("wang.fang", "zh-CN"), ("grace.kim", "en")] {
        let input = steward_app::NewUserInput {
            username: name.into(),
            role: "change_manager".into(),
            email: Some(format!("{name}@example.com")),
            password: steward_test_support::PASSWORD.into(),
            ..Default::default()
        };
        let u = app.app.directory().create_user(None, input).await.unwrap();
        let zh = steward_app::UserUpdate { locale: Some(Some(locale.into())), ..Default::default() };
        app.app.directory().update_user(&root_actor, u.id, None, zh).await.unwrap();
        members.push(u.id.get());
    }
    let (_, group) = post(
        &app,
        &admin,
        "/api/v1/approver-groups",
        json!({"name": "CAB", "rule": "all", "members": members}),
    )
    .await;
    post(
        &app,
        &admin,
        "/api/v1/approval-policies",
        json!({"change_type": "normal", "min_risk": "low", "level": 1, "group_id": group["id"]}),
    )
    .await;
    let (_, chg) =
        post(&app, &agent, "/api/v1/changes", json!({"title": "Rotate keys", "change_type": "normal"})).await;
    let id = chg["id"].as_i64().unwrap();
    post(&app, &agent, &format!("/api/v1/changes/{id}/risk"), json!({})).await;
    let (s, c) = post(&app, &agent, &format!("/api/v1/changes/{id}/move"), json!({"to": "cab"})).await;
    assert_eq!(s, 200, "{c}");
    let pool = app.db.raw_pool().await;
    let mails = |pool: sqlx::AnyPool| async move {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'send_email' ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        rows
    };
    let first = mails(pool.clone()).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first.iter().any(|m| m.contains("wang.fang@") && m.contains("变更审批请求")), "{first:?}");
    assert!(first.iter().any(|m| m.contains("grace.kim@") && m.contains("Approval requested")), "{first:?}");
    // Nothing to remind the same day; a day later, each approver gets a fresh link once.
    assert_eq!(app.app.changes().remind_approvers().await.unwrap(), 0);
    clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(app.app.changes().remind_approvers().await.unwrap(), 1, "one level waits");
    assert_eq!(mails(pool.clone()).await.len(), 4);
    assert_eq!(app.app.changes().remind_approvers().await.unwrap(), 0, "reminded once a day");
}
