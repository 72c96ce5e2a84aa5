//! Service requests' own SLA policies and reports (issue 23): a request policy for one
//! catalogue item pauses while the request awaits approval and is answered by a finished task;
//! a request no policy matches is measured by its item's delivery time; the escalation scan
//! warns and breaches on requests as on incidents; the request report counts them.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>, want: u16) -> Value {
    let (status, out) = app.api(method, path, token, body).await;
    assert_eq!(status, want, "{path}: {out}");
    out
}

/// A catalogue item with one choice field and `plan`, published; returns its id.
async fn item(app: &TestApp, admin: &str, name: &str, hours: i64, team: i64, plan: Value) -> i64 {
    let body = json!({ "name": name, "category": "Access", "description": name, "delivery_hours": hours,
        "team_id": team });
    let id = ok(app, Method::POST, "/api/v1/catalogue", admin, Some(body), 201).await["id"].as_i64().unwrap();
    let fields = json!([{ "key": "what", "label": "What", "kind": "choice", "required": true,
        "options": ["Standard", "Big"] }]);
    let versions = format!("/api/v1/catalogue/{id}/versions");
    ok(app, Method::POST, &versions, admin, Some(json!({ "fields": fields, "plan": plan })), 201).await;
    id
}

#[tokio::test]
async fn requests_are_measured_by_their_own_policies_escalated_and_reported() {
    // A Monday, 09:00 in Beijing; the clock is the app's own, so the test reads no real date.
    let start: Timestamp = "2030-01-07T01:00:00Z".parse().unwrap();
    let config = AppConfig { clock: Clock::manual(start), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let clock = &app.app.config().clock;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (rita, rita_t) = app.user_with_token("rita", "requester").await;
    let (boss, boss_t) = app.user_with_token("bo.ss", "requester").await;
    let (hw, hw_t) = app.user_with_token("hana", "agent").await;
    let team =
        ok(&app, Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": "Hardware" })), 201).await;
    let team = team["id"].as_i64().unwrap();
    let member = format!("/api/v1/teams/{team}/members/{}", hw.id);
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
    let plan = json!({ "approvals": [{ "approver": "manager" }], "tasks": [
        { "name": "Order it", "team_id": team, "stage": 1 }, { "name": "Hand it over", "team_id": team, "stage": 2 } ] });
    let laptop = item(&app, &admin, "New laptop", 72, team, plan).await;
    let vpn_plan = json!({ "tasks": [{ "name": "Grant", "team_id": team, "stage": 1 }] });
    let vpn = item(&app, &admin, "VPN access", 4, team, vpn_plan).await;
    let cal = ok(
        &app,
        Method::POST,
        "/api/v1/sla/calendars",
        &admin,
        Some(json!({ "name": "Round the clock", "always": true })),
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // Bad policies are refused by the field at fault.
    let policies = "/api/v1/sla/policies";
    let base = json!({ "name": "Laptops", "calendar_id": cal, "resolution_minutes": 120 });
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, field) in [
        (json!({ "item_id": laptop }), "item_id"),
        (json!({ "kind": "request", "item_id": 999_999 }), "item_id"),
        (json!({ "kind": "request", "category_id": 1 }), "category_id"),
        (json!({ "kind": "problem" }), "kind"),
        (json!({ "pause_reasons": ["awaiting_approval"] }), "pause_reasons"),
    ] {
        let (status, out) = app.api(Method::POST, policies, &admin, Some(with(extra.clone()))).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{extra}: {out}");
    }
    let (status, _) =
        app.api(Method::POST, policies, &rita_t, Some(with(json!({ "kind": "request" })))).await;
    assert_eq!(status, 403, "only admins set policies");

    // Laptops: answered within an hour, fulfilled within two; the approval wait is not counted.
    let body = with(json!({ "kind": "request", "item_id": laptop, "response_minutes": 60, "rank": 1 }));
    let pid = ok(&app, Method::POST, policies, &admin, Some(body), 201).await["id"].as_i64().unwrap();
    let listed = ok(&app, Method::GET, policies, &admin, None, 200).await;
    let p = listed["items"].as_array().unwrap().iter().find(|p| p["id"] == pid).unwrap().clone();
    assert_eq!((p["kind"].as_str(), p["item_id"].as_i64()), (Some("request"), Some(laptop)), "{p}");
    let pauses: Vec<&str> =
        p["pause_reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(
        pauses.contains(&"awaiting_approval"),
        "a request policy waits for approvers by default: {pauses:?}"
    );
    // An edit that leaves the kind out keeps it.
    let edit = json!({ "name": "Laptops", "calendar_id": cal, "resolution_minutes": 120, "response_minutes": 60,
        "rank": 1, "item_id": laptop });
    let edited = ok(&app, Method::PUT, &format!("{policies}/{pid}"), &admin, Some(edit), 200).await;
    assert_eq!(edited["kind"], "request", "{edited}");

    let order = |item: i64| {
        (
            format!("/api/v1/catalogue/{item}/orders"),
            json!({ "form_version": 1, "answers": { "what": "Big" } }),
        )
    };
    let (path, body) = order(laptop);
    let req = ok(&app, Method::POST, &path, &rita_t, Some(body), 201).await;
    let rid = req["id"].as_i64().unwrap();
    let sla_path = format!("/api/v1/requests/{rid}/sla");

    // Three hours awaiting the manager: paused, nothing used.
    clock.advance(SignedDuration::from_hours(3));
    let sla = ok(&app, Method::GET, &sla_path, &rita_t, None, 200).await;
    assert_eq!(sla["policy"], "Laptops", "{sla}");
    assert_eq!(
        (sla["resolution"]["state"].as_str(), sla["resolution"]["elapsed_minutes"].as_i64()),
        (Some("paused"), Some(0)),
        "{sla}"
    );
    assert_eq!(sla["response"]["state"], "paused", "nobody can answer before the approvers: {sla}");
    let (status, _) = app.api(Method::GET, &sla_path, &boss_t, None).await;
    assert_eq!(status, 200, "the approver reads it too");
    let (_, other_t) = app.user_with_token("otto", "requester").await;
    assert_eq!(app.api(Method::GET, &sla_path, &other_t, None).await.0, 404, "another requester does not");

    // Approved; 30 minutes later the first task is done: the response is met, the clock runs.
    let after = ok(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{rid}/decision"),
        &boss_t,
        Some(json!({ "decision": "approve" })),
        200,
    )
    .await;
    let first = after["tasks"][0]["id"].as_i64().unwrap();
    let second = after["tasks"][1]["id"].as_i64().unwrap();
    clock.advance(SignedDuration::from_mins(30));
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{rid}/tasks/{first}/done"),
        &hw_t,
        Some(json!({})),
        200,
    )
    .await;
    let sla = ok(&app, Method::GET, &sla_path, &hw_t, None, 200).await;
    assert_eq!(sla["response"]["state"], "stopped", "{sla}");
    assert_eq!(sla["response"]["breached"], false, "{sla}");
    assert_eq!(sla["resolution"]["state"], "running", "{sla}");
    assert_eq!(sla["resolution"]["elapsed_minutes"], 30, "only the time since approval: {sla}");
    assert_eq!(sla["resolution"]["paused"].as_array().unwrap().len(), 1, "{sla}");

    // The scan warns at 75 % and breaches at 100 %, once each, telling the team.
    clock.advance(SignedDuration::from_mins(65));
    assert_eq!(app.app.sla().scan(clock.now()).await.unwrap(), 1, "the 75 % warning");
    clock.advance(SignedDuration::from_mins(30));
    assert_eq!(app.app.sla().scan(clock.now()).await.unwrap(), 1, "the breach");
    assert_eq!(app.app.sla().scan(clock.now()).await.unwrap(), 0, "each fires once");
    let told = ok(&app, Method::GET, "/api/v1/notifications", &hw_t, None, 200).await;
    let texts: Vec<&str> =
        told["items"].as_array().unwrap().iter().map(|n| n["message"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.contains("breached its resolution target")), "{texts:?}");
    let (hana_browser, _) = app.signed_in("hana").await;
    let (_, told_page) = app.page(&hana_browser, "/notifications").await;
    assert!(told_page.contains(&format!("href=\"/requests/{rid}\"")), "a request's notice opens the request");
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
    assert!(actions.contains(&"sla_breach") && actions.contains(&"sla_warning"), "{actions:?}");

    // Fulfilled late: the clock stops, breached.
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{rid}/tasks/{second}/done"),
        &hw_t,
        Some(json!({})),
        200,
    )
    .await;
    let sla = ok(&app, Method::GET, &sla_path, &rita_t, None, 200).await;
    assert_eq!(
        (sla["resolution"]["state"].as_str(), sla["resolution"]["breached"].as_bool()),
        (Some("stopped"), Some(true)),
        "{sla}"
    );

    // VPN access has no policy: its four-hour delivery time, around the clock, approvals and all.
    let (path, body) = order(vpn);
    let vid = ok(&app, Method::POST, &path, &rita_t, Some(body), 201).await["id"].as_i64().unwrap();
    clock.advance(SignedDuration::from_hours(1));
    let vsla = ok(&app, Method::GET, &format!("/api/v1/requests/{vid}/sla"), &rita_t, None, 200).await;
    assert_eq!(
        (vsla["policy"].as_str(), vsla["resolution"]["target_minutes"].as_i64()),
        (Some(""), Some(240)),
        "{vsla}"
    );
    assert_eq!(vsla["resolution"]["elapsed_minutes"], 60, "{vsla}");
    assert!(vsla["response"].is_null(), "the delivery time has no response target: {vsla}");
    let task = ok(&app, Method::GET, &format!("/api/v1/requests/{vid}"), &hw_t, None, 200).await["tasks"][0]
        ["id"]
        .as_i64()
        .unwrap();
    ok(&app, Method::POST, &format!("/api/v1/requests/{vid}/tasks/{task}/done"), &hw_t, Some(json!({})), 200)
        .await;

    // The month's request report: two ordered, two fulfilled, one within its target.
    let month = "from=2030-01-01&to=2030-01-31";
    let report = ok(&app, Method::GET, &format!("/api/v1/reports/requests?{month}"), &admin, None, 200).await;
    let total = &report["total"];
    assert_eq!((total["created"].as_i64(), total["resolved"].as_i64()), (Some(2), Some(2)), "{report}");
    assert_eq!(total["resolution_attainment"].as_f64(), Some(0.5), "{report}");
    assert_eq!(
        total["response_attainment"].as_f64(),
        Some(1.0),
        "the laptop's first task was in time: {report}"
    );
    let incidents =
        ok(&app, Method::GET, &format!("/api/v1/reports/incidents?{month}"), &admin, None, 200).await;
    assert_eq!(incidents["total"]["created"], 0, "requests are not incidents: {incidents}");
    let (status, out) =
        app.api(Method::GET, &format!("/api/v1/reports/incidents?{month}&kind=request"), &admin, None).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("kind")), "{out}");
    let csv = app.api(Method::GET, &format!("/api/v1/reports/requests.csv?{month}"), &admin, None).await;
    assert_eq!(csv.0, 200);
    assert_eq!(app.api(Method::GET, "/api/v1/reports/requests", &rita_t, None).await.0, 403);

    // A rebuilt rollup (another zone, an upgrade) gives the same figures.
    let zone = app.app.config().report_zone.clone();
    let name = zone.iana_name().unwrap_or("UTC").to_owned();
    let rebuilt = app.app.store().rebuild_reports(&zone, &name).await.unwrap();
    assert!(rebuilt >= 2, "{rebuilt}");
    let again = ok(&app, Method::GET, &format!("/api/v1/reports/requests?{month}"), &admin, None, 200).await;
    assert_eq!(
        (again["total"]["created"].as_i64(), again["total"]["resolved"].as_i64()),
        (Some(2), Some(2)),
        "{again}"
    );

    // The pages: the request's SLA card, the dashboard's switch, the portal's list.
    let (browser, _) = app.signed_in("rita").await;
    let (status, html) = app.page(&browser, &format!("/requests/{vid}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"sla-resolution\"") && html.contains("delivery time"),
        "the card names its source"
    );
    let (status, html) = app.page(&browser, "/portal/requests").await;
    assert_eq!(status, 200);
    assert!(html.contains("class=\"sla met\""), "{html}");
    let (admin_browser, _) = app.signed_in("root").await;
    let (status, html) = app.page(&admin_browser, &format!("/reports?kind=request&{month}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("/api/v1/reports/requests.csv?"), "the CSV link follows the switch");
    let (status, html) = app.page(&admin_browser, "/admin/sla").await;
    assert_eq!(status, 200);
    assert!(html.contains("Service requests"), "the policy list names the kind");

    // A week after fulfilment both close by themselves, as incidents do, recorded as the system's.
    clock.advance(SignedDuration::from_hours(8 * 24));
    assert_eq!(app.app.incidents().auto_close_resolved().await.unwrap(), 2);
    // (Tokens made at the start have expired by the app's clock.)
    let (rita_t, admin) =
        (app.token("rita", "read,write").await, app.token("root", "read,write,audit").await);
    let closed = ok(&app, Method::GET, &format!("/api/v1/requests/{vid}"), &rita_t, None, 200).await;
    assert_eq!(closed["state"], "closed", "{closed}");
    let history = ok(
        &app,
        Method::GET,
        &format!("/api/v1/audit/events?entity_type=request&entity_id={vid}"),
        &admin,
        None,
        200,
    )
    .await;
    let last = &history["items"][0];
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("transition"), Some("system")),
        "{last}"
    );
    assert_eq!(app.app.incidents().auto_close_resolved().await.unwrap(), 0, "closed once");
}
