//! The SLA issue's acceptance scenario through the product, on a clock the test sets: a P2
//! opened Friday 17:30 in Beijing on the default calendar.

use jiff::Timestamp;
use reqwest::Method;
use serde_json::json;
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A user with a token that outlives the test's four days (the helper's last one).
async fn user(app: &TestApp, name: &str, role: &str) -> (steward_core::identity::User, String) {
    let user = app.user(name, role).await;
    let scopes = user.role.scopes().to_string();
    let token = app.app.issue_token(None, user.id, "test", &scopes, "30d").await.unwrap().secret;
    (user, token)
}

#[tokio::test]
async fn a_p2_from_friday_evening_is_due_pauses_breaches_escalates_once_and_is_reported() {
    // Friday 27 November 2026, 17:30 in Beijing.
    let clock = Clock::manual(at("2026-11-27T09:30:00Z"));
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (ada, ada_t) = user(&app, "ada", "agent").await;
    let (lead, lead_t) = user(&app, "lee", "team_lead").await;
    let (_, rita_t) = user(&app, "rita", "requester").await;
    let team = app.app.create_team(None, "Desk", "").await.unwrap();
    app.app.set_team_member(None, team.id, ada.id, true).await.unwrap();
    app.app.set_team_member(None, team.id, lead.id, true).await.unwrap();

    let body = json!({ "title": "Mail is down for everyone", "impact": 1, "urgency": 2, "service": "mail" });
    let (status, inc) = app.api(Method::POST, "/api/v1/incidents", &rita_t, Some(body)).await;
    assert_eq!((status, inc["priority"].as_i64()), (201, Some(2)), "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let sla_path = format!("/api/v1/incidents/{id}/sla");
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["calendar"], "Office hours (Beijing)");
    // By hand: 30 minutes on Friday, then Monday 09:00–12:00 and 13:00–17:30 make 8 hours.
    assert_eq!(sla["resolution"]["due"], "2026-11-30T09:30:00Z", "{sla}");
    assert_eq!(sla["response"]["due"], "2026-11-27T10:00:00Z", "30 minutes, by Friday 18:00");

    // Ten minutes later the agent takes it: the first response, in time.
    clock.set(at("2026-11-27T09:40:00Z"));
    let patch = json!({ "assignee_id": ada.id, "team_id": team.id });
    let (status, _) = app.api(Method::PATCH, &format!("/api/v1/incidents/{id}"), &ada_t, Some(patch)).await;
    assert_eq!(status, 200);

    // Monday 09:30 Beijing: on hold awaiting the customer, who answers at 11:00.
    clock.set(at("2026-11-30T01:30:00Z"));
    let transition = format!("/api/v1/incidents/{id}/transition");
    app.api(Method::POST, &transition, &ada_t, Some(json!({ "to": "in_progress" }))).await;
    let hold = json!({ "to": "on_hold", "hold_reason": "awaiting_customer" });
    assert_eq!(app.api(Method::POST, &transition, &ada_t, Some(hold)).await.0, 200);
    clock.set(at("2026-11-30T03:00:00Z"));
    let reply = json!({ "body": "Here is the screenshot" });
    app.api(Method::POST, &format!("/api/v1/incidents/{id}/comments"), &rita_t, Some(reply)).await;
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["resolution"]["state"], "running", "the customer's reply resumes the clock");
    assert_eq!(sla["resolution"]["paused"], json!([["2026-11-30T01:30:00Z", "2026-11-30T03:00:00Z"]]));
    // 2 h counted by 12:00, 5 h more by 18:00, the last hour on Tuesday 09:00–10:00.
    assert_eq!(sla["resolution"]["due"], "2026-12-01T02:00:00Z", "{sla}");

    // 75 % (6 h) is reached Monday 17:00; the breach Tuesday 10:00. Each fires once.
    clock.set(at("2026-11-30T09:05:00Z"));
    assert_eq!(app.app.scan_sla(app.app.now()).await.unwrap(), 1, "the resolution warning");
    assert_eq!(app.app.scan_sla(app.app.now()).await.unwrap(), 0);
    clock.set(at("2026-12-01T02:05:00Z"));
    assert_eq!(app.app.scan_sla(app.app.now()).await.unwrap(), 1, "the breach");
    assert_eq!(app.app.scan_sla(app.app.now()).await.unwrap(), 0, "never twice");
    let (_, mine) = app.api(Method::GET, "/api/v1/notifications", &ada_t, None).await;
    let kinds: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{mine}");
    let (_, leads) = app.api(Method::GET, "/api/v1/notifications", &lead_t, None).await;
    let breaches = leads["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "sla_breach").count();
    assert_eq!(breaches, 1, "the breach escalates to the team lead: {leads}");

    // Resolved Tuesday 11:00 Beijing.
    clock.set(at("2026-12-01T03:00:00Z"));
    let resolve =
        json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Restarted the MTA" });
    assert_eq!(app.api(Method::POST, &transition, &ada_t, Some(resolve)).await.0, 200);
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["resolution"]["breached"], true);

    let (status, r) =
        app.api(Method::GET, "/api/v1/reports/incidents?from=2026-11-01&to=2026-12-31", &ada_t, None).await;
    assert_eq!(status, 200, "{r}");
    let total = &r["total"];
    assert_eq!((total["created"].as_i64(), total["resolved"].as_i64()), (Some(1), Some(1)));
    assert_eq!(total["mtta_wall_secs"], 600);
    assert_eq!(total["mtta_business_secs"], 600);
    assert_eq!(total["mttr_wall_secs"], 3 * 86_400 + 17 * 3600 + 1800, "Friday 17:30 to Tuesday 11:00");
    assert_eq!(total["mttr_business_secs"], 9 * 3600, "the 8 h target plus the hour past it");
    assert_eq!(total["response_attainment"], 1.0);
    assert_eq!(total["resolution_attainment"], 0.0);
    let months: Vec<(&str, i64, i64)> = r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["period"].as_str().unwrap(), p["created"].as_i64().unwrap(), p["resolved"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(months, vec![("2026-11", 1, 0), ("2026-12", 0, 1)]);
    let mail = &r["availability"][0];
    assert_eq!((mail["service"].as_str(), mail["outages"].as_i64()), (Some("mail"), Some(1)));
    assert_eq!(mail["downtime_secs"], 3 * 86_400 + 17 * 3600 + 1800);
    let by_team = &r["by_team"][0];
    assert_eq!(
        (by_team["label"].as_str(), by_team["resolution_attainment"].as_f64()),
        (Some("Desk"), Some(0.0))
    );
}
