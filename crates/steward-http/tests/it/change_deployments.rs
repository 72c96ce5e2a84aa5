//! Changes from delivery pipelines (issue 20): `POST /hooks/deployments` in Steward's generic
//! body and GitLab's and GitHub's deployment webhooks records standard changes, checked
//! against freezes — refused by default, flagged when the desk says so.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn hook(
    app: &TestApp,
    token: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url(&format!("/hooks/deployments{query}")))
        .bearer_auth(token)
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn desk(app: &TestApp) -> String {
    let (_, token) = app.user_with_token("ci.bot", "agent").await;
    for name in ["billing-01", "billing-02"] {
        let (s, ci) = app
            .api(
                Method::POST,
                "/api/v1/cis",
                &token,
                Some(json!({"class": "server", "name": name, "attributes": {"hostname": name}})),
            )
            .await;
        assert_eq!(s, 201, "{ci}");
    }
    token
}

#[tokio::test]
async fn pipelines_record_deployments_as_standard_changes() {
    let app = TestApp::spawn().await;
    let token = desk(&app).await;
    let body = json!({"title": "Deploy billing 1.4.2", "cis": ["billing-01", "billing-02"], "version": "1.4.2",
        "commit_url": "https://git.example/billing/commit/abc123", "status": "success"});
    let (s, d) = hook(&app, &token, "", &[], body).await;
    assert_eq!((s, d["state"].as_str()), (201, Some("closed")), "{d}");
    let (_, c) = app.api(Method::GET, &format!("/api/v1/changes/{}", d["change_id"]), &token, None).await;
    assert_eq!(
        (c["change_type"].as_str(), c["deployed_version"].as_str(), c["outcome"].as_str()),
        (Some("standard"), Some("1.4.2"), Some("successful"))
    );
    assert_eq!(c["cis"].as_array().unwrap().len(), 2);

    // GitLab: running, then success completes the same record.
    let running = json!({"object_kind": "deployment", "status": "running", "short_sha": "9f8e7d6",
        "commit_url": "https://gitlab.example/billing/-/commit/9f8e7d6", "environment": "production",
        "project": {"path_with_namespace": "ops/billing"}, "commit_title": "Fix rounding"});
    let gl = [("X-Gitlab-Event", "Deployment Hook")];
    let (s, first) = hook(&app, &token, "?ci=billing-01", &gl, running.clone()).await;
    assert_eq!((s, first["state"].as_str()), (201, Some("implementation")), "{first}");
    let mut done = running;
    done["status"] = json!("failed");
    let (s, second) = hook(&app, &token, "?ci=billing-01", &gl, done).await;
    assert_eq!(
        (s, second["change_id"].clone(), second["completed_earlier"].as_bool()),
        (200, first["change_id"].clone(), Some(true)),
        "{second}"
    );
    let (_, c) = app.api(Method::GET, &format!("/api/v1/changes/{}", first["change_id"]), &token, None).await;
    assert_eq!(c["outcome"], "failed");

    // GitHub's deployment_status.
    let gh = json!({"deployment_status": {"state": "success"}, "deployment": {"sha": "0123456789abcdef", "environment": "production"},
        "repository": {"full_name": "ops/billing", "html_url": "https://github.example/ops/billing"}});
    let (s, d) = hook(&app, &token, "?ci=billing-02", &[("X-GitHub-Event", "deployment_status")], gh).await;
    assert_eq!(s, 201, "{d}");
    let (_, c) = app.api(Method::GET, &format!("/api/v1/changes/{}", d["change_id"]), &token, None).await;
    assert_eq!(c["commit_url"], "https://github.example/ops/billing/commit/0123456789abcdef");

    // Bad input: no CI, an unknown CI, no version, a status nobody knows.
    for (body, field) in [
        (json!({"version": "1", "cis": []}), "cis"),
        (json!({"version": "1", "cis": ["nowhere"]}), "cis"),
        (json!({"cis": ["billing-01"]}), "version"),
        (json!({"version": "1", "cis": ["billing-01"], "status": "exploded"}), "status"),
    ] {
        let (s, e) = hook(&app, &token, "", &[], body).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
}

#[tokio::test]
async fn a_deployment_into_a_freeze_is_refused_or_flagged_by_policy() {
    for flag in [false, true] {
        let config =
            steward_app::AppConfig { flag_deployment_conflicts: flag, ..steward_app::AppConfig::default() };
        let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
        let token = desk(&app).await;
        let (_, admin) = app.user_with_token("root", "admin").await;
        let now = jiff::Timestamp::now();
        let freeze = json!({"name": "Release freeze", "starts_at": (now - jiff::SignedDuration::from_hours(1)).to_string(),
            "ends_at": (now + jiff::SignedDuration::from_hours(5)).to_string()});
        let (s, f) = app.api(Method::POST, "/api/v1/change-freezes", &admin, Some(freeze)).await;
        assert_eq!(s, 201, "{f}");
        let body = json!({"cis": ["billing-01"], "version": "2.0.0", "status": "success"});
        let (s, d) = hook(&app, &token, "", &[], body).await;
        if flag {
            assert_eq!(s, 201, "{d}");
            assert_eq!(d["flagged"], json!(["freeze:Release freeze"]));
        } else {
            assert_eq!((s, d["error"]["field"].as_str()), (409, Some("planned_start")), "{d}");
            assert!(d["error"]["message"].as_str().unwrap().contains("Release freeze"));
            let (_, list) = app.api(Method::GET, "/api/v1/changes", &token, None).await;
            assert!(list["items"].as_array().unwrap().is_empty(), "nothing recorded: {list}");
        }
    }
}

#[tokio::test]
async fn change_figures_reach_the_dashboard_and_metrics() {
    let app = TestApp::spawn().await;
    let token = desk(&app).await;
    for (version, status) in [("1", "success"), ("2", "failed"), ("3", "success"), ("4", "success")] {
        let (s, d) =
            hook(&app, &token, "", &[], json!({"cis": ["billing-01"], "version": version, "status": status}))
                .await;
        assert_eq!(s, 201, "{d}");
    }
    let (_, admin) = app.user_with_token("root", "admin").await;
    let r = reqwest::Client::new().get(app.url("/metrics")).bearer_auth(&admin).send().await.unwrap();
    let text = r.text().await.unwrap();
    assert!(text.contains("steward_change_failure_ratio 0.25"), "{text}");
    assert!(text.contains("steward_change_success_ratio 0.75"), "{text}");
    let (browser, _) = app.signed_in("root").await;
    let (s, html) = app.page(&browser, "/reports").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"chg-failure\" data-label=\"Change failure rate (DORA)\">25 %"), "{html}");
}

#[tokio::test]
async fn releases_bundle_changes_and_show_their_readiness() {
    let app = TestApp::spawn().await;
    let token = desk(&app).await;
    let (s, r) = app
        .api(
            Method::POST,
            "/api/v1/releases",
            &token,
            Some(json!({"name": "Billing", "version": "2.0", "target_date": "2030-03-01"})),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, e) = app
        .api(
            Method::POST,
            "/api/v1/releases",
            &token,
            Some(json!({"name": "Billing", "version": "2.0", "target_date": "2030-03-01"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("version")), "{e}");
    let (s, e) = app
        .api(
            Method::POST,
            "/api/v1/releases",
            &token,
            Some(json!({"name": "Billing", "version": "3", "target_date": "soon"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("target_date")), "{e}");
    let (_, done) =
        hook(&app, &token, "", &[], json!({"cis": ["billing-01"], "version": "1.9", "status": "success"}))
            .await;
    let (_, open) = app
        .api(
            Method::POST,
            "/api/v1/changes",
            &token,
            Some(json!({"title": "Schema change", "change_type": "normal"})),
        )
        .await;
    let path = format!("/api/v1/releases/{}/changes", r["id"]);
    let (s, v) = app.api(Method::POST, &path, &token, Some(json!({"number": done["number"]}))).await;
    assert_eq!((s, v["ready"].as_bool()), (200, Some(true)), "{v}");
    let (s, v) = app.api(Method::POST, &path, &token, Some(json!({"number": open["number"]}))).await;
    assert_eq!((s, v["ready"].as_bool()), (200, Some(false)), "{v}");
    let readiness: Vec<&str> =
        v["items"].as_array().unwrap().iter().map(|i| i["readiness"].as_str().unwrap()).collect();
    assert_eq!(readiness, ["done", "awaiting_approval"]);
    let (_, other) = app
        .api(
            Method::POST,
            "/api/v1/releases",
            &token,
            Some(json!({"name": "Other", "version": "1", "target_date": "2030-04-01"})),
        )
        .await;
    let (s, e) = app
        .api(
            Method::POST,
            &format!("/api/v1/releases/{}/changes", other["id"]),
            &token,
            Some(json!({"number": open["number"]})),
        )
        .await;
    assert_eq!(s, 409, "a change is in one release at most: {e}");
    let (s, e) = app.api(Method::POST, &path, &token, Some(json!({"number": "CHG\u{0}"}))).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("number")),
        "no control characters reach SQL: {e}"
    );
    let (s, e) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/changes/{}", open["id"]),
            &token,
            Some(json!({"backout_plan": "a\u{0}b"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("backout_plan")), "{e}");
    let (s, _) = app.api(Method::DELETE, &format!("{path}/{}", open["id"]), &token, None).await;
    assert_eq!(s, 204);
    let (browser, _) = app.signed_in("ci.bot").await;
    let (s, html) = app.page(&browser, &format!("/changes/releases/{}", r["id"])).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"release-ready\">Ready"), "{html}");
    let (s, html) = app.page(&browser, "/changes/calendar?day=2030-03-10").await;
    assert_eq!(s, 200);
    assert!(html.contains("Billing 2.0"), "the release sits on the calendar");
}
