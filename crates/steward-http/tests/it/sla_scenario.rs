//! The SLA issue's acceptance scenario through the product, on a clock the test sets: a P2
//! opened Friday 17:30 in Beijing on the default calendar.
//!
//! The Friday is the one two to three weeks before today, so the test passes on any day: every
//! instant below is that Friday plus a fixed offset.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use reqwest::Method;
use serde_json::json;
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

/// Friday 09:30 UTC (17:30 in Beijing) two to three weeks before the real today.
fn a_friday_evening_in_beijing() -> Timestamp {
    let today = TimeZone::UTC.to_datetime(Timestamp::now()).date();
    let friday = today.checked_sub(14.days()).unwrap().nth_weekday(-1, Weekday::Friday).unwrap();
    TimeZone::UTC.to_timestamp(friday.at(9, 30, 0, 0)).unwrap()
}

/// The ISO week (as the reports label it) of `t` in Beijing.
fn week_in_beijing(t: Timestamp) -> String {
    let week = TimeZone::get("Asia/Shanghai").unwrap().to_datetime(t).date().iso_week_date();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// A user with a token that outlives the test's four days (the helper's last one).
async fn user(app: &TestApp, name: &str, role: &str) -> (steward_core::identity::User, String) {
    let user = app.user(name, role).await;
    let scopes = user.role.scopes().to_string();
    let token = app.app.tokens().issue(None, user.id, "test", &scopes, "30d").await.unwrap().secret;
    (user, token)
}

#[tokio::test]
async fn a_p2_from_friday_evening_is_due_pauses_breaches_escalates_once_and_is_reported() {
    // Friday, 17:30 in Beijing; `at(h, m)` is h hours and m minutes later.
    let friday = a_friday_evening_in_beijing();
    let at = |hours: i64, minutes: i64| {
        friday.checked_add(SignedDuration::from_hours(hours) + SignedDuration::from_mins(minutes)).unwrap()
    };
    let text = |hours: i64, minutes: i64| at(hours, minutes).to_string();
    let clock = Clock::manual(friday);
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (ada, ada_t) = user(&app, "ada", "agent").await;
    let (lead, lead_t) = user(&app, "lee", "team_lead").await;
    let (_, rita_t) = user(&app, "rita", "requester").await;
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    app.app.directory().set_team_member(None, team.id, lead.id, true).await.unwrap();

    let body = json!({ "title": "Mail is down for everyone", "impact": 1, "urgency": 2, "service": "mail" });
    let (status, inc) = app.api(Method::POST, "/api/v1/incidents", &rita_t, Some(body)).await;
    assert_eq!((status, inc["priority"].as_i64()), (201, Some(2)), "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let sla_path = format!("/api/v1/incidents/{id}/sla");
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["calendar"], "Office hours (Beijing)");
    // By hand: 30 minutes on Friday, then Monday 09:00–12:00 and 13:00–17:30 make 8 hours.
    assert_eq!(sla["resolution"]["due"], text(72, 0), "Monday 17:30: {sla}");
    assert_eq!(sla["response"]["due"], text(0, 30), "30 minutes, by Friday 18:00");

    // Ten minutes later the agent takes it: the first response, in time.
    clock.set(at(0, 10));
    let patch = json!({ "assignee_id": ada.id, "team_id": team.id });
    let (status, _) = app.api(Method::PATCH, &format!("/api/v1/incidents/{id}"), &ada_t, Some(patch)).await;
    assert_eq!(status, 200);

    // Monday 09:30 Beijing: on hold awaiting the customer, who answers at 11:00.
    clock.set(at(64, 0));
    let transition = format!("/api/v1/incidents/{id}/transition");
    app.api(Method::POST, &transition, &ada_t, Some(json!({ "to": "in_progress" }))).await;
    let hold = json!({ "to": "on_hold", "hold_reason": "awaiting_customer" });
    assert_eq!(app.api(Method::POST, &transition, &ada_t, Some(hold)).await.0, 200);
    clock.set(at(65, 30));
    let reply = json!({ "body": "Here is the screenshot" });
    app.api(Method::POST, &format!("/api/v1/incidents/{id}/comments"), &rita_t, Some(reply)).await;
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["resolution"]["state"], "running", "the customer's reply resumes the clock");
    assert_eq!(sla["resolution"]["paused"], json!([[text(64, 0), text(65, 30)]]));
    // 2 h counted by 12:00, 5 h more by 18:00, the last hour on Tuesday 09:00–10:00.
    assert_eq!(sla["resolution"]["due"], text(88, 30), "Tuesday 10:00: {sla}");

    // 75 % (6 h) is reached Monday 17:00; the breach Tuesday 10:00. Each fires once.
    clock.set(at(71, 35));
    assert_eq!(app.app.sla().scan(app.app.now()).await.unwrap(), 1, "the resolution warning");
    assert_eq!(app.app.sla().scan(app.app.now()).await.unwrap(), 0);
    clock.set(at(88, 35));
    assert_eq!(app.app.sla().scan(app.app.now()).await.unwrap(), 1, "the breach");
    assert_eq!(app.app.sla().scan(app.app.now()).await.unwrap(), 0, "never twice");
    let (_, mine) = app.api(Method::GET, "/api/v1/notifications", &ada_t, None).await;
    let kinds: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{mine}");
    let (_, leads) = app.api(Method::GET, "/api/v1/notifications", &lead_t, None).await;
    let breaches = leads["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "sla_breach").count();
    assert_eq!(breaches, 1, "the breach escalates to the team lead: {leads}");

    // Resolved Tuesday 11:00 Beijing.
    clock.set(at(89, 30));
    let resolve =
        json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Restarted the MTA" });
    assert_eq!(app.api(Method::POST, &transition, &ada_t, Some(resolve)).await.0, 200);
    let (_, sla) = app.api(Method::GET, &sla_path, &ada_t, None).await;
    assert_eq!(sla["resolution"]["breached"], true);

    // By week, so the incident is created in one period and resolved in the next on any day.
    let day = |t: Timestamp| TimeZone::get("Asia/Shanghai").unwrap().to_datetime(t).date();
    let range = format!("from={}&to={}", day(at(-7 * 24, 0)), day(at(14 * 24, 0)));
    let (status, r) =
        app.api(Method::GET, &format!("/api/v1/reports/incidents?period=week&{range}"), &ada_t, None).await;
    assert_eq!(status, 200, "{r}");
    let total = &r["total"];
    assert_eq!((total["created"].as_i64(), total["resolved"].as_i64()), (Some(1), Some(1)));
    assert_eq!(total["mtta_wall_secs"], 600);
    assert_eq!(total["mtta_business_secs"], 600);
    assert_eq!(total["mttr_wall_secs"], 3 * 86_400 + 17 * 3600 + 1800, "Friday 17:30 to Tuesday 11:00");
    assert_eq!(total["mttr_business_secs"], 9 * 3600, "the 8 h target plus the hour past it");
    assert_eq!(total["response_attainment"], 1.0);
    assert_eq!(total["resolution_attainment"], 0.0);
    let weeks: Vec<(&str, i64, i64)> = r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["period"].as_str().unwrap(), p["created"].as_i64().unwrap(), p["resolved"].as_i64().unwrap())
        })
        .collect();
    let (opened, resolved) = (week_in_beijing(friday), week_in_beijing(at(89, 30)));
    let with_tickets: Vec<_> = weeks.into_iter().filter(|w| w.1 + w.2 > 0).collect();
    assert_eq!(with_tickets, vec![(opened.as_str(), 1, 0), (resolved.as_str(), 0, 1)]);
    let mail = &r["availability"][0];
    assert_eq!((mail["service"].as_str(), mail["outages"].as_i64()), (Some("mail"), Some(1)));
    assert_eq!(mail["downtime_secs"], 3 * 86_400 + 17 * 3600 + 1800);
    let by_team = &r["by_team"][0];
    assert_eq!(
        (by_team["label"].as_str(), by_team["resolution_attainment"].as_f64()),
        (Some("Desk"), Some(0.0))
    );
}
