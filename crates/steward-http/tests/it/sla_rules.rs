//! SLA policy conditions (service, requester organisation), chosen warning thresholds, the
//! next-update target and reassignment on breach.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use steward_app::{AppConfig, Clock};
use steward_test_support::TestApp;

async fn calendar_id(app: &TestApp, token: &str, name: &str) -> i64 {
    let (_, cals) = app.api(Method::GET, "/api/v1/sla/calendars", token, None).await;
    cals["items"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"].as_i64().unwrap()
}

async fn raise(app: &TestApp, token: &str, body: Value) -> i64 {
    let (status, inc) = app.api(Method::POST, "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(status, 201, "{inc}");
    inc["id"].as_i64().unwrap()
}

async fn policy_of(app: &TestApp, token: &str, id: i64) -> Value {
    let (_, sla) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/sla"), token, None).await;
    sla["policy"].clone()
}

#[tokio::test]
async fn policies_match_on_service_and_the_requesters_organisation() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let body = json!({ "username": "acme.alice", "role": "requester", "password": "alice password 1", "organisation": " ACME " });
    let (status, alice) = app.api(Method::POST, "/api/v1/users", &admin, Some(body)).await;
    assert_eq!((status, alice["organisation"].as_str()), (201, Some("ACME")), "{alice}");
    let alice_t = app.token("acme.alice", "read write").await;
    let (_, bob_t) = app.user_with_token("bob", "requester").await;
    let always = calendar_id(&app, &admin, "24x7").await;
    let vip = json!({ "name": "ACME mail", "rank": 1, "organisation": "ACME", "service": "mail",
        "calendar_id": always, "resolution_minutes": 60 });
    assert_eq!(app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(vip)).await.0, 201);

    let mail = |t: &str| json!({ "title": t, "impact": 3, "urgency": 3, "service": "mail" });
    let a = raise(&app, &alice_t, mail("Mail slow")).await;
    assert_eq!(policy_of(&app, &agent, a).await, "ACME mail");
    let b = raise(&app, &bob_t, mail("Mail slow too")).await;
    assert_eq!(policy_of(&app, &agent, b).await, "P5 default", "another organisation");
    let c =
        raise(&app, &alice_t, json!({ "title": "VPN", "impact": 3, "urgency": 3, "service": "vpn" })).await;
    assert_eq!(policy_of(&app, &agent, c).await, "P5 default", "another service");

    // The organisation decides the SLA, so only admins set it.
    let me = alice["id"].as_i64().unwrap();
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            &alice_t,
            Some(json!({ "organisation": "Other" })),
        )
        .await;
    assert_eq!(status, 403);
    let (status, out) = app
        .api(Method::PATCH, &format!("/api/v1/users/{me}"), &admin, Some(json!({ "organisation": null })))
        .await;
    assert_eq!((status, out["organisation"].clone()), (200, Value::Null));
    assert_eq!(policy_of(&app, &agent, a).await, "P5 default", "no longer ACME");
}

#[tokio::test]
async fn bad_escalation_rules_are_refused() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let always = calendar_id(&app, &admin, "24x7").await;
    for (extra, field) in [
        (json!({ "warn_at": [0] }), "warn_at"),
        (json!({ "warn_at": [50, 100] }), "warn_at"),
        (json!({ "warn_at": [10, 20, 30, 40, 50, 60] }), "warn_at"),
        (json!({ "breach_team_id": 999 }), "breach_team_id"),
        (json!({ "update_minutes": 0 }), "update_minutes"),
        (json!({ "organisation": "x".repeat(200) }), "organisation"),
    ] {
        let mut body = json!({ "name": "Rule", "calendar_id": always, "resolution_minutes": 60 });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (status, out) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(body)).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{out}");
    }
    let (_, list) = app.api(Method::GET, "/api/v1/sla/policies", &admin, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 5, "nothing half-created");
}

#[tokio::test]
async fn chosen_thresholds_next_update_and_reassignment_on_breach() {
    // A week before the real today, on the hour: the 24×7 calendar counts every minute alike.
    let week_ago = Timestamp::now().checked_sub(SignedDuration::from_hours(7 * 24)).unwrap();
    let start = Timestamp::from_second(week_ago.as_second() / 3600 * 3600).unwrap();
    let clock = Clock::manual(start);
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    let (mia, mia_t) = app.user_with_token("mia", "agent").await;
    let desk = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    let major = app.app.directory().create_team(None, "Major incidents", "").await.unwrap();
    app.app.directory().set_team_member(None, desk.id, ada.id, true).await.unwrap();
    app.app.directory().set_team_member(None, major.id, mia.id, true).await.unwrap();
    let always = calendar_id(&app, &admin, "24x7").await;
    let rule = json!({ "name": "Payroll", "rank": 1, "service": "payroll", "calendar_id": always,
        "resolution_minutes": 100, "update_minutes": 30, "warn_at": [90, 50], "breach_team_id": major.id });
    let (status, out) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(rule)).await;
    assert_eq!(status, 201, "{out}");
    let body = json!({ "title": "Payroll run stuck", "impact": 2, "urgency": 2, "service": "payroll", "assignee_id": ada.id });
    // Raised by someone else, so the agent's reply is news to the requester.
    let id = raise(&app, &admin, body).await;
    let scan = |minutes: i64| {
        clock.set(start.checked_add(SignedDuration::from_mins(minutes)).unwrap());
        app.app.sla().scan(app.app.now())
    };

    // 31 min without news: the update target's 50 %, 90 % and breach; resolution at 31 %.
    assert_eq!(scan(31).await.unwrap(), 3);
    let (_, sla) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/sla"), &ada_t, None).await;
    assert_eq!(sla["next_update"]["breached"], true, "{sla}");
    // A public reply starts a new update cycle.
    clock.set(start.checked_add(SignedDuration::from_mins(32)).unwrap());
    app.api(
        Method::POST,
        &format!("/api/v1/incidents/{id}/comments"),
        &ada_t,
        Some(json!({ "body": "Rerunning" })),
    )
    .await;
    let (_, sla) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/sla"), &ada_t, None).await;
    assert_eq!(
        (sla["next_update"]["breached"].as_bool(), sla["next_update"]["due"].as_str()),
        (Some(false), Some(start.checked_add(SignedDuration::from_mins(62)).unwrap().to_string().as_str()))
    );
    let (browser, _) = app.signed_in("ada").await;
    let (_, page) = app.page(&browser, &format!("/incidents/{id}")).await;
    assert!(page.contains("id=\"sla-update\"") && page.contains("Next update"), "the detail page shows it");
    // 52 min: resolution passes 50 %; the new update cycle (20 of 30 min) passes 50 %.
    assert_eq!(scan(52).await.unwrap(), 2);
    assert_eq!(scan(52).await.unwrap(), 0);
    // 101 min: resolution 90 % and breach; the update cycle 90 % and breach.
    assert_eq!(scan(101).await.unwrap(), 4);
    assert_eq!(scan(101).await.unwrap(), 0, "each firing once");

    let (_, inc) = app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &admin, None).await;
    assert_eq!(inc["team_id"], major.id.get(), "the breach moved it to the major-incident queue: {inc}");
    assert!(inc["assignee_id"].is_null());
    let (_, activity) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/activity"), &admin, None).await;
    assert!(activity["items"].as_array().unwrap().iter().any(|i| i["event"]["action"] == "sla_reassign"));
    let (_, mias) = app.api(Method::GET, "/api/v1/notifications", &mia_t, None).await;
    assert!(!mias["items"].as_array().unwrap().is_empty(), "the new team hears of it");
    let metrics = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("steward_sla_breaches{target=\"update\"} 2"), "{metrics}");
    assert!(metrics.contains("steward_sla_breaches{target=\"resolution\"} 1"), "{metrics}");
}

/// Issue 17, "China's calendar": a P3 opened Wednesday 2026-09-30 17:00 Beijing time was due
/// Monday 10-05 (a National Day holiday) instead of Saturday 10-10, a makeup working day. The
/// built-in Beijing calendar now ships the official 2025 and 2026 holidays and working days.
#[tokio::test]
async fn the_golden_week_case_is_due_on_the_official_calendars_day() {
    let opened: Timestamp = "2026-09-30T09:00:00Z".parse().unwrap();
    let config = AppConfig { clock: Clock::manual(opened), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, cals) = app.api(Method::GET, "/api/v1/sla/calendars", &admin, None).await;
    let beijing =
        cals["items"].as_array().unwrap().iter().find(|c| c["name"] == "Office hours (Beijing)").unwrap();
    for day in
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10", "2025-09-28"]
    {
        assert!(beijing["working_days"].as_array().unwrap().contains(&json!(day)), "{day}: {beijing}");
    }
    assert!(beijing["holidays"].as_array().unwrap().contains(&json!("2026-10-05")));
    // P3 (2 × 2): 24 business hours; P4 (2 × 3): 40.
    for (urgency, priority, due) in [(2, 3, "2026-10-10T09:00:00Z"), (3, 4, "2026-10-13T09:00:00Z")] {
        let body = json!({ "title": "Golden Week", "impact": 2, "urgency": urgency });
        let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &admin, Some(body)).await;
        assert_eq!(inc["priority"], priority);
        let (_, sla) =
            app.api(Method::GET, &format!("/api/v1/incidents/{}/sla", inc["id"]), &admin, None).await;
        let got: Timestamp = sla["resolution"]["due"].as_str().unwrap().parse().unwrap();
        assert_eq!(got, due.parse::<Timestamp>().unwrap(), "P{priority}: {sla}");
    }
}

/// Working days through the API: typed, from an `.ics` file's 补班 events, and refused when a
/// date is both.
#[tokio::test]
async fn calendars_take_working_days_typed_or_from_ics() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let hours = ["09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "", ""];
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:国庆节\r\nDTSTART;VALUE=DATE:20271001\r\nDTEND;VALUE=DATE:20271008\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:国庆节补班\r\nDTSTART;VALUE=DATE:20270925\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let body = json!({ "name": "Shanghai plant", "time_zone": "Asia/Shanghai", "hours": hours,
        "working_days": ["2027-10-09"], "ics": ics });
    let (status, out) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(body)).await;
    assert_eq!(status, 201, "{out}");
    let (_, cals) = app.api(Method::GET, "/api/v1/sla/calendars", &admin, None).await;
    let plant =
        cals["items"].as_array().unwrap().iter().find(|c| c["name"] == "Shanghai plant").unwrap().clone();
    assert_eq!(plant["working_days"], json!(["2027-09-25", "2027-10-09"]));
    assert_eq!(plant["holidays"].as_array().unwrap().len(), 7);
    let both = json!({ "name": "Both", "time_zone": "UTC", "hours": hours,
        "holidays": ["2027-05-01"], "working_days": ["2027-05-01"] });
    let (status, out) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(both)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("working_days")), "{out}");
}

/// Issue 17: a policy made through the API paused on nothing, while the built-in ones pause on
/// awaiting customer and vendor. One default for both; `[]` still means never.
#[tokio::test]
async fn api_policies_pause_like_the_built_in_ones_unless_told_otherwise() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let always = calendar_id(&app, &admin, "24x7").await;
    for (name, extra) in [("Default pauses", json!(null)), ("Never pauses", json!([]))] {
        let mut body = json!({ "name": name, "rank": 1, "calendar_id": always, "resolution_minutes": 60 });
        if !extra.is_null() {
            body["pause_reasons"] = extra;
        }
        let (status, out) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(body)).await;
        assert_eq!(status, 201, "{out}");
    }
    let (_, list) = app.api(Method::GET, "/api/v1/sla/policies", &admin, None).await;
    let reasons = |name: &str| {
        list["items"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["pause_reasons"].clone()
    };
    assert_eq!(reasons("Default pauses"), reasons("P3 default"));
    assert_eq!(reasons("Default pauses"), json!(["awaiting_customer", "awaiting_vendor"]));
    assert_eq!(reasons("Never pauses"), json!([]));
    let null =
        json!({ "name": "Null", "calendar_id": always, "resolution_minutes": 60, "pause_reasons": null });
    let (status, _) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(null)).await;
    assert_eq!(status, 422, "null is not a list");
}

/// Found by schemathesis: a 24×7 calendar took any text as holidays and working days (a NUL
/// byte among them) and failed with a 500. Dates are checked whatever the calendar.
#[tokio::test]
async fn a_round_the_clock_calendar_checks_its_dates_too() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let body = json!({ "name": "T1", "always": true, "time_zone": "Asia/Shanghai", "hours": ["y"],
        "holidays": ["x", ""], "working_days": ["\u{b9}Iz\u{0}\u{d1}1", ""] });
    let (status, out) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(body)).await;
    assert_eq!(status, 422, "{out}");
    // The case as schemathesis sent it.
    let raw = r#"{"hours": ["y\udabc\udda3\u0005\u0015\u00b6\ud82a\ude81"], "always": true, "holidays": ["\ud9be\uded5O\u00de\u00eaS\u00c5\udb7b\udfc4\ud85e\udca1%*\u00de\u00e8\ud8ce\udfb0\u00f3\"\u0004\u00e8\u00e5\ud979\udd59\u008b", "\ud846\uddec\u008bp\u008a", "(\u00e1\uda7e\udc74\u008eQ_\ud9f9\udcd7", "\u00a6\u00d38;", "", "L"], "name": "\u00e4\u013c\u00f1\u00dal\u00b5\udae5\udf8c\u00f1\ud9ee\udc33\u012b\u00e2\u00caig/\u01337", "time_zone": "Asia/Shanghai", "working_days": ["]\u0090", "\u00fd", "\u00b9Iz\u0000\u00d11", ""], "ics": null}"#;
    let body: serde_json::Value = serde_json::from_str(raw).unwrap();
    let (status, out) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(body)).await;
    assert_eq!(status, 422, "{out}");
}

/// Issue 17, SLA setup: calendars can be edited (from now on: a ticket keeps the time it spent
/// before, counted as it was) and deleted when no policy uses them, and a calculator shows
/// when a target falls due and which working stretches count.
#[tokio::test]
async fn calendars_are_edited_from_now_on_deleted_when_unused_and_checked_by_a_calculator() {
    // Monday 2027-01-04 08:00 UTC.
    let clock = Clock::manual("2027-01-04T08:00:00Z".parse().unwrap());
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let nine_to_five = ["09:00-17:00"; 7];
    let body = json!({ "name": "Plant", "time_zone": "UTC", "hours": nine_to_five });
    let (_, created) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(body)).await;
    let cal = created["id"].as_i64().unwrap();
    let policy = json!({ "name": "Plant P3", "rank": 1, "calendar_id": cal, "resolution_minutes": 600 });
    assert_eq!(app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(policy)).await.0, 201);
    let (_, inc) =
        app.api(Method::POST, "/api/v1/incidents", &admin, Some(json!({ "title": "Line 3 stopped" }))).await;
    let sla = format!("/api/v1/incidents/{}/sla", inc["id"]);
    let due = |v: &Value| v["resolution"]["due"].as_str().unwrap().to_owned();
    let (_, before) = app.api(Method::GET, &sla, &admin, None).await;
    assert_eq!(due(&before), "2027-01-05T11:00:00Z", "8 h Monday, 2 h Tuesday");

    // At noon Monday the plant goes round the clock: 3 h were counted (09–12), 7 h remain.
    clock.set("2027-01-04T12:00:00Z".parse().unwrap());
    let all_day = ["00:00-24:00"; 7];
    let edit = json!({ "name": "Plant", "time_zone": "UTC", "hours": all_day });
    let (status, out) =
        app.api(Method::PUT, &format!("/api/v1/sla/calendars/{cal}"), &admin, Some(edit)).await;
    assert_eq!(status, 200, "{out}");
    let (_, after) = app.api(Method::GET, &sla, &admin, None).await;
    assert_eq!(due(&after), "2027-01-04T19:00:00Z", "{after}");
    assert_eq!(after["resolution"]["elapsed_minutes"], 180, "the morning counts as it did: {after}");

    // The calculator, with the stretches it counted.
    let path = format!("/api/v1/sla/calendars/{cal}/due?from=2027-01-04T08:00:00Z&minutes=300");
    let (status, calc) = app.api(Method::GET, &path, &admin, None).await;
    assert_eq!(status, 200, "{calc}");
    assert_eq!(calc["due"], "2027-01-04T14:00:00Z", "3 h by the old hours, 2 h by the new: {calc}");
    assert_eq!(calc["spans"].as_array().unwrap().len(), 2, "{calc}");
    let beijing = calendar_id(&app, &admin, "Office hours (Beijing)").await;
    let golden = format!("/api/v1/sla/calendars/{beijing}/due?from=2026-09-30T09:00:00Z&minutes=1440");
    let (_, calc) = app.api(Method::GET, &golden, &admin, None).await;
    assert_eq!(calc["due"], "2026-10-10T09:00:00Z", "{calc}");

    // A calendar in use is not deleted; an unused one is, and the audit trail says so.
    let (status, refused) =
        app.api(Method::DELETE, &format!("/api/v1/sla/calendars/{cal}"), &admin, None).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("Plant P3"));
    let spare = json!({ "name": "Spare", "always": true });
    let (_, spare) = app.api(Method::POST, "/api/v1/sla/calendars", &admin, Some(spare)).await;
    let (status, _) =
        app.api(Method::DELETE, &format!("/api/v1/sla/calendars/{}", spare["id"]), &admin, None).await;
    assert_eq!(status, 204);
    let (_, cals) = app.api(Method::GET, "/api/v1/sla/calendars", &admin, None).await;
    assert!(!cals.to_string().contains("Spare"));

    // The pages: the list, a calendar with the calculator, in Chinese.
    app.user("boss", "admin").await;
    let (browser, _) = app.signed_in("boss").await;
    let (status, list) = app.page(&browser, "/admin/sla?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(list.contains("工作日历") && list.contains("Plant P3") && list.contains("10 小时"), "{list}");
    let calc_page =
        format!("/admin/sla/calendars/{beijing}?lang=zh-CN&start=2026-09-30+17%3A00&duration=24+h");
    let (status, page) = app.page(&browser, &calc_page).await;
    assert_eq!(status, 200);
    assert!(page.contains("2026-10-10 周六 17:00"), "due on the makeup Saturday: {page}");
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let (status, _) = app
        .api(Method::PUT, &format!("/api/v1/sla/calendars/{cal}"), &rita, Some(json!({ "name": "x" })))
        .await;
    assert_eq!(status, 403);
}

/// Issue 17, "SLA setup": a policy is edited and deleted in the UI and the API; the change
/// applies to tickets opened from then on, and older tickets keep the targets they were given.
#[tokio::test]
async fn policies_are_edited_and_deleted_for_new_tickets_while_old_ones_keep_their_targets() {
    let clock = Clock::manual("2027-01-04T08:00:00Z".parse().unwrap());
    let config = AppConfig { clock: clock.clone(), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let always = calendar_id(&app, &admin, "24x7").await;
    let body = json!({ "name": "Mail", "rank": 1, "calendar_id": always, "resolution_minutes": 600, "service": "Mail" });
    let (_, created) = app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(body)).await;
    let id = created["id"].as_i64().unwrap();
    let old = raise(&app, &agent, json!({ "title": "Mail slow", "service": "Mail" })).await;
    let due = |v: &Value| v["resolution"]["due"].as_str().unwrap_or_default().to_owned();
    let sla = |inc: i64| {
        let app = &app;
        let agent = agent.clone();
        async move { app.api(Method::GET, &format!("/api/v1/incidents/{inc}/sla"), &agent, None).await.1 }
    };
    assert_eq!(due(&sla(old).await), "2027-01-04T18:00:00Z");

    clock.set("2027-01-04T09:00:00Z".parse().unwrap());
    let path = format!("/api/v1/sla/policies/{id}");
    let edit = json!({ "name": "Mail", "rank": 1, "calendar_id": always, "resolution_minutes": 120, "service": "Mail" });
    let (_, agent_edit) = app.api(Method::PUT, &path, &agent, Some(edit.clone())).await;
    assert_eq!(agent_edit["error"]["code"], "forbidden");
    let (status, out) = app.api(Method::PUT, &path, &admin, Some(edit)).await;
    assert_eq!((status, out["resolution_minutes"].as_i64()), (200, Some(120)), "{out}");
    let new = raise(&app, &agent, json!({ "title": "Mail down", "service": "Mail" })).await;
    assert_eq!(due(&sla(new).await), "2027-01-04T11:00:00Z", "a new ticket gets the new target");
    assert_eq!(due(&sla(old).await), "2027-01-04T18:00:00Z", "the old one keeps its ten hours");

    clock.set("2027-01-04T10:00:00Z".parse().unwrap());
    assert_eq!(app.api(Method::DELETE, &path, &admin, None).await.0, 204);
    assert_eq!(app.api(Method::DELETE, &path, &admin, None).await.0, 404);
    let (_, list) = app.api(Method::GET, "/api/v1/sla/policies", &admin, None).await;
    assert!(!list.to_string().contains("\"Mail"), "a deleted policy is not listed: {list}");
    let newest = raise(&app, &agent, json!({ "title": "Mail again", "service": "Mail" })).await;
    assert_ne!(sla(newest).await["policy"], "Mail", "tickets opened after the deletion get the next policy");
    assert_eq!(due(&sla(new).await), "2027-01-04T11:00:00Z", "tickets opened before keep it");
    assert_eq!(sla(new).await["policy"].as_str().unwrap(), format!("Mail (#{id})"), "named as deleted");
    assert_eq!(sla(old).await["policy"], "Mail", "the old one by the definition it was opened under");
    // A new policy may take the freed name; a calendar old tickets are measured by stays.
    let again = json!({ "name": "Mail", "calendar_id": always, "resolution_minutes": 60 });
    assert_eq!(app.api(Method::POST, "/api/v1/sla/policies", &admin, Some(again)).await.0, 201);
    let (status, _) = app.api(Method::DELETE, &format!("/api/v1/sla/calendars/{always}"), &admin, None).await;
    assert_eq!(status, 409);

    // The pages: a new policy typed with durations, a refused one kept, an edit, a deletion.
    app.user("boss", "admin").await;
    let (browser, csrf) = app.signed_in("boss").await;
    let (status, html) = app.page(&browser, "/admin/sla/policies/new?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(html.contains("新建策略") && html.contains("24x7"));
    let form = |name: &'static str, resolution: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("name", name.to_owned()),
            ("rank", "5".to_owned()),
            ("priority", "2".to_owned()),
            ("calendar_id", always.to_string()),
            ("resolution", resolution.to_owned()),
            ("response", "30 min".to_owned()),
            ("pause", "awaiting_customer".to_owned()),
            ("warn_at", "50 80".to_owned()),
        ]
    };
    let refused = browser
        .post(app.url("/admin/sla/policies?lang=en"))
        .form(&form("Gold", "soon"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"value="Gold""#) && html.contains(r#"value="soon""#), "what was typed stays");
    let saved =
        browser.post(app.url("/admin/sla/policies")).form(&form("Gold", "1 d 4 h")).send().await.unwrap();
    assert_eq!(saved.headers()["location"], "/admin/sla?notice=saved");
    let (_, list) = app.api(Method::GET, "/api/v1/sla/policies", &admin, None).await;
    let gold = list["items"].as_array().unwrap().iter().find(|p| p["name"] == "Gold").unwrap().clone();
    assert_eq!(
        (gold["resolution_minutes"].as_i64(), gold["response_minutes"].as_i64()),
        (Some(1680), Some(30))
    );
    assert_eq!(
        (gold["pause_reasons"].clone(), gold["warn_at"].clone()),
        (json!(["awaiting_customer"]), json!([50, 80]))
    );
    let gold_id = gold["id"].as_i64().unwrap();
    let (_, html) = app.page(&browser, &format!("/admin/sla/policies/{gold_id}?lang=en")).await;
    assert!(html.contains(r#"value="1 d 4 h""#), "durations read as people write them: {html}");
    let edited = browser
        .post(app.url(&format!("/admin/sla/policies/{gold_id}")))
        .form(&form("Gold", "8 h"))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.headers()["location"], "/admin/sla?notice=saved");
    let (_, list) = app.api(Method::GET, "/api/v1/sla/policies", &admin, None).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Gold" && p["resolution_minutes"] == 480)
    );
    let deleted = browser
        .post(app.url(&format!("/admin/sla/policies/{gold_id}/delete")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(deleted.headers()["location"].to_str().unwrap().contains("notice=deleted"));
    let (_, audit) = app.api(Method::GET, "/api/v1/audit/events?entity_type=sla_policy", &admin, None).await;
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["create", "update", "delete"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}
