//! Service reports through the API, the CSV, the pages and `/metrics`.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

async fn raise(app: &TestApp, token: &str, body: Value) -> i64 {
    let (status, inc) = app.api(Method::POST, "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(status, 201, "{inc}");
    inc["id"].as_i64().unwrap()
}

async fn move_to(app: &TestApp, token: &str, id: i64, body: Value) {
    let (status, out) =
        app.api(Method::POST, &format!("/api/v1/incidents/{id}/transition"), token, Some(body)).await;
    assert_eq!(status, 200, "{out}");
}

fn resolve() -> Value {
    json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "done" })
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, r) = app.api(Method::GET, &format!("/api/v1/reports/incidents{query}"), token, None).await;
    assert_eq!(status, 200, "{r}");
    r
}

fn row<'a>(r: &'a Value, section: &str, value: &str) -> &'a Value {
    r[section]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["value"] == value)
        .unwrap_or_else(|| panic!("{section} {value} in {r}"))
}

#[tokio::test]
async fn a_lifecycle_moves_every_figure_and_reopening_retracts_the_resolution() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let id = raise(&app, &agent, json!({ "title": "Mail down", "impact": 2, "urgency": 1 })).await;
    let r = report(&app, &agent, "").await;
    assert_eq!((r["total"]["created"].as_i64(), r["total"]["resolved"].as_i64()), (Some(1), Some(0)));
    assert_eq!(r["periods"].as_array().unwrap().last().unwrap()["backlog"], 1);
    assert_eq!(r["period"], "month");
    assert_eq!(r["periods"].as_array().unwrap().len(), 12, "a year of months by default");

    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/comments"),
        &agent,
        Some(json!({ "body": "Looking" })),
    )
    .await;
    move_to(&app, &agent, id, json!({ "to": "in_progress" })).await;
    move_to(&app, &agent, id, resolve()).await;
    let r = report(&app, &agent, "").await;
    let total = &r["total"];
    assert_eq!((total["responded"].as_i64(), total["resolved"].as_i64()), (Some(1), Some(1)), "{r}");
    assert_eq!(total["first_contact_rate"], 1.0);
    assert_eq!(total["reopen_rate"], 0.0);
    assert_eq!(total["resolution_attainment"], 1.0, "resolved within the P2 target");
    assert_eq!(total["response_attainment"], 1.0);
    assert!(total["mttr_wall_secs"].as_i64().unwrap() < 60);
    assert_eq!(row(&r, "by_priority", "2")["resolved"], 1);
    assert_eq!(row(&r, "by_priority", "2")["label"], "P2");
    assert_eq!(r["periods"].as_array().unwrap().last().unwrap()["backlog"], 0);

    // Reopened: the resolution no longer counts; resolved again, it counts once, reopened.
    move_to(&app, &agent, id, json!({ "to": "in_progress" })).await;
    let r = report(&app, &agent, "").await;
    assert_eq!((r["total"]["resolved"].as_i64(), r["total"]["responded"].as_i64()), (Some(0), Some(1)));
    assert_eq!(r["periods"].as_array().unwrap().last().unwrap()["backlog"], 1);
    move_to(&app, &agent, id, resolve()).await;
    let r = report(&app, &agent, "?period=week").await;
    assert_eq!(r["total"]["resolved"], 1);
    assert_eq!(r["total"]["reopen_rate"], 1.0);
    assert_eq!(r["total"]["first_contact_rate"], 0.0);
    assert!(r["periods"][0]["period"].as_str().unwrap().contains("-W"));
    assert_eq!(r["periods"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn filtered_reports_and_a_rebuild_agree_with_the_rollup() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let mut teams = Vec::new();
    for name in ["Network", "Desktop"] {
        let (_, t) = app.api(Method::POST, "/api/v1/teams", &admin, Some(json!({ "name": name }))).await;
        teams.push(t["id"].as_i64().unwrap());
    }
    for i in 0..6_i64 {
        let team = teams[(i % 2) as usize];
        let body = json!({ "title": format!("Issue {i}"), "impact": 1 + i % 3, "urgency": 2, "team_id": team,
            "service": if i % 3 == 0 { Some("mail") } else { None } });
        let id = raise(&app, &admin, body).await;
        if i % 2 == 0 {
            move_to(&app, &admin, id, json!({ "to": "in_progress" })).await;
            move_to(&app, &admin, id, resolve()).await;
        }
        if i == 5 {
            // Moved to the other team: it counts there, and it is not a first-contact fix.
            let (s, _) = app
                .api(
                    Method::PATCH,
                    &format!("/api/v1/incidents/{id}"),
                    &admin,
                    Some(json!({ "team_id": teams[0] })),
                )
                .await;
            assert_eq!(s, 200);
            move_to(&app, &admin, id, json!({ "to": "in_progress" })).await;
            move_to(&app, &admin, id, resolve()).await;
        }
    }
    let all = report(&app, &agent, "").await;
    assert_eq!(all["total"]["created"], 6);
    assert_eq!(all["total"]["resolved"], 4);
    assert_eq!(all["total"]["first_contact_rate"], 0.75);
    let network = row(&all, "by_team", &teams[0].to_string()).clone();
    assert_eq!(network["label"], "Network");
    assert_eq!((network["created"].as_i64(), network["resolved"].as_i64()), (Some(4), Some(4)));

    let filtered = report(&app, &agent, &format!("?team={}", teams[0])).await;
    for key in ["created", "resolved", "first_contact_rate", "mttr_wall_secs", "resolution_attainment"] {
        assert_eq!(filtered["total"][key], network[key], "{key}: the team's view agrees with its row");
    }
    // Two filters sum the matching tickets one by one: the same figures as the one-filter
    // view's breakdown, which the rollup kept.
    for p in ["2", "3", "4"] {
        let scanned = report(&app, &agent, &format!("?team={}&priority={p}", teams[0])).await;
        let kept = row(&filtered, "by_priority", p);
        for key in [
            "created",
            "resolved",
            "responded",
            "first_contact_rate",
            "mttr_wall_secs",
            "resolution_attainment",
        ] {
            assert_eq!(scanned["total"][key], kept[key], "P{p} {key}: scan and rollup agree");
        }
        assert_eq!(scanned["filter"]["priority"], p.parse::<i64>().unwrap());
    }
    let mail = report(&app, &agent, "?service=mail").await;
    assert_eq!(mail["total"]["created"], 2);
    assert_eq!(mail["availability"][0]["service"], "mail");
    let p1 = report(&app, &agent, "?priority=2").await;
    assert_eq!(p1["total"]["created"], row(&all, "by_priority", "2")["created"]);

    // Outages: impact 1 on a service. Issue 0 (impact 1, mail) was resolved; issue 3 (impact 1,
    // mail) is still open, so the service is down now.
    let avail = &all["availability"].as_array().unwrap()[0];
    assert_eq!((avail["service"].as_str(), avail["outages"].as_i64()), (Some("mail"), Some(2)));
    assert!(avail["availability"].as_f64().unwrap() < 1.0);

    // Recomputing the rollup from scratch gives the figures maintained write by write.
    app.app.store().rebuild_reports(&app.app.config().report_zone, "Asia/Shanghai").await.unwrap();
    let mut rebuilt = report(&app, &agent, "").await;
    let mut all = all;
    // An open outage grows by the second; everything else must be equal.
    rebuilt.as_object_mut().unwrap().remove("availability");
    all.as_object_mut().unwrap().remove("availability");
    assert_eq!(rebuilt, all);
}

#[tokio::test]
async fn bad_report_queries_name_the_parameter() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    for (query, field) in [
        ("?period=day", "period"),
        ("?from=2026-11-30&to=2026-11-01", "from"),
        ("?from=yesterday", "from"),
        ("?to=2026-02-30", "to"),
        ("?team=abc", "team"),
        ("?priority=9", "priority"),
        ("?from=2000-01-01&to=2026-01-01", "from"),
    ] {
        let (status, body) =
            app.api(Method::GET, &format!("/api/v1/reports/incidents{query}"), &agent, None).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let (status, _) = app.api(Method::GET, "/api/v1/reports/incidents?colour=red", &agent, None).await;
    assert_eq!(status, 400);
    let (status, _) = app.api(Method::GET, "/api/v1/reports/incidents", &requester, None).await;
    assert_eq!(status, 403, "requesters do not read organisation-wide figures");
}

#[tokio::test]
async fn csv_metrics_and_pages_show_the_same_report() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let id = raise(&app, &admin, json!({ "title": "VPN down", "impact": 1, "urgency": 1, "service": "vpn" }))
        .await;
    move_to(&app, &admin, id, json!({ "to": "in_progress" })).await;
    move_to(&app, &admin, id, resolve()).await;

    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/api/v1/reports/incidents.csv?period=week"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("section,value,label,created,resolved,backlog"));
    assert_eq!(lines.iter().filter(|l| l.starts_with("week,")).count(), 12);
    assert!(lines.iter().any(|l| l.starts_with("total,,,1,1,")), "{csv}");
    assert!(lines.iter().any(|l| l.starts_with("service,vpn,vpn,1,1")), "{csv}");

    let metrics =
        client.get(app.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("steward_incident_time_to_resolve_seconds_count 1"), "{metrics}");
    assert!(
        metrics.contains("steward_incident_time_to_resolve_seconds_bucket{le=\"3600.0\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("steward_incident_time_to_acknowledge_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("steward_service_availability_ratio{service=\"vpn\"}"), "{metrics}");

    let (browser, _) = app.signed_in("root").await;
    let (status, html) = app.page(&browser, "/reports?period=week").await;
    assert_eq!(status, 200);
    for needle in
        ["id=\"chart-volume\"", "id=\"chart-mttr\"", "id=\"chart-attainment\"", "id=\"kpi-mttr\"", "vpn"]
    {
        assert!(html.contains(needle), "{needle} on the dashboard");
    }
    let (status, html) = app.page(&browser, "/reports?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(html.contains("服务报表") && html.contains("首次解决率"));
    let (status, html) = app.page(&browser, "/reports/monthly").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"monthly-report\"") && html.contains("id=\"availability\""));
    let (status, _) = app.page(&browser, "/reports/monthly?month=2026-13").await;
    assert_eq!(status, 422);
}

/// Issue 17: `--demo` seeds six months of a believable company, so the reports and SLA
/// figures look alive from minute one: hundreds of incidents over the whole span, with
/// replies, waits on the customer, reopenings, cancellations, outages with their calls, and
/// late resolutions that breached.
#[tokio::test]
async fn the_demo_holds_six_months_of_history() {
    let app = TestApp::spawn().await;
    assert!(app.app.seed_demo().await.unwrap());
    let raw = app.db.raw_pool().await;
    let count = |sql: &'static str| {
        let raw = raw.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&raw).await.unwrap() }
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let oldest = count("SELECT MIN(created_at) FROM tickets").await;
    let days = (now - oldest) / 86_400_000;
    assert!((170..=183).contains(&days), "the history spans {days} days");
    assert!(count("SELECT COUNT(*) FROM tickets").await >= 250);
    assert!(count("SELECT COUNT(*) FROM tickets WHERE reopen_count > 0").await >= 5, "reopenings");
    assert!(count("SELECT COUNT(*) FROM tickets WHERE state = 'cancelled'").await >= 5);
    assert!(
        count("SELECT COUNT(*) FROM tickets WHERE parent_id IS NOT NULL").await >= 9,
        "outages with their calls"
    );
    assert!(count("SELECT COUNT(*) FROM comments").await >= 300, "replies");
    assert!(
        count("SELECT COUNT(*) FROM events WHERE after_json LIKE '%awaiting_customer%'").await >= 30,
        "waits"
    );
    // Every month of the span has work in it, and some of it breached its SLA.
    let months = count("SELECT COUNT(DISTINCT created_at / 2592000000) FROM tickets").await;
    assert!(months >= 6, "{months} thirty-day stretches");
    let (_, admin) = app.user_with_token("root", "admin").await;
    let from = jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(24 * 150)).unwrap();
    let path = format!(
        "/api/v1/reports/incidents?from={}&to={}",
        &from.to_string()[..10],
        &jiff::Timestamp::now().to_string()[..10]
    );
    let (status, report) = app.api(reqwest::Method::GET, &path, &admin, None).await;
    assert_eq!(status, 200, "{report}");
    let total = &report["total"];
    let attainment = total["resolution_attainment"].as_f64().unwrap();
    assert!(total["resolved"].as_i64().unwrap() >= 150, "{total}");
    assert!((0.6..0.97).contains(&attainment), "most met, some breached: {total}");
    assert!(total["reopen_rate"].as_f64().unwrap() > 0.0, "{total}");
}
