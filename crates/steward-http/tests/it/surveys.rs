//! The customer's voice (issue 23): a CSAT survey after each resolution, answered by the
//! mailed single-use link or in the portal; a low score noted, mailed to the team's lead or
//! reopening the incident; the monthly NPS sent, answered, unsubscribed from and scored per
//! month, team and service with searchable reasons; and the leaderboard of the month.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use steward_app::surveys::SurveyConfig;
use steward_app::{AppConfig, Clock, MailConfig};
use steward_core::surveys::LowScoreAction;
use steward_test_support::TestApp;

use crate::sla::{SmtpServer, decode_quoted};

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>, want: u16) -> Value {
    let (status, out) = app.api(method, path, token, body).await;
    assert_eq!(status, want, "{path}: {out}");
    out
}

fn config(smtp: Option<&SmtpServer>, at: &str, surveys: SurveyConfig) -> AppConfig {
    AppConfig {
        mail: smtp.map(|s| MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{}", s.port),
            from: "Steward <steward@example.com>".into(),
        }),
        clock: Clock::manual(at.parse().unwrap()),
        surveys,
        ..AppConfig::default()
    }
}

/// The mails to `address` so far, as text.
fn mails_to(smtp: &SmtpServer, address: &str) -> Vec<String> {
    smtp.messages().iter().filter(|m| m.contains(address)).map(|m| decode_quoted(m)).collect()
}

/// The token of the first link starting with `prefix` in `text`.
fn token_after(text: &str, prefix: &str) -> String {
    let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {text}")) + prefix.len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

struct Desk {
    app: TestApp,
    admin: String,
    agent: (i64, String),
    team: i64,
}

/// Team "Service Desk" with agent `ada` and lead `lee` (who has an address); admin `root`.
async fn desk(config: AppConfig) -> Desk {
    let app = TestApp::spawn_with(config, steward_http::HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    let lee = person(&app, &admin, "lee", "team_lead", "en").await;
    let team = app.app.directory().create_team(None, "Service Desk", "").await.unwrap().id;
    for member in [ada.id.get(), lee] {
        app.app
            .directory()
            .set_team_member(None, team, steward_core::ids::UserId(member), true)
            .await
            .unwrap();
    }
    Desk { app, admin, agent: (ada.id.get(), ada_t), team: team.get() }
}

/// A user with a password and an address, in `locale`; returns their id.
async fn person(app: &TestApp, admin: &str, name: &str, role: &str, locale: &str) -> i64 {
    let body = json!({ "username": name, "role": role, "password": "long-enough-pass",
        "email": format!("{name}@example.com") });
    let u = ok(app, Method::POST, "/api/v1/users", admin, Some(body), 201).await;
    let id = u["id"].as_i64().unwrap();
    ok(app, Method::PATCH, &format!("/api/v1/users/{id}"), admin, Some(json!({ "locale": locale })), 200)
        .await;
    id
}

impl Desk {
    /// `requester` raises an incident; the agent takes it and resolves it. Returns its id.
    async fn resolved(&self, requester: &str, title: &str) -> i64 {
        let id =
            ok(&self.app, Method::POST, "/api/v1/incidents", requester, Some(json!({ "title": title })), 201)
                .await["id"]
                .as_i64()
                .unwrap();
        let path = format!("/api/v1/incidents/{id}");
        let take = json!({ "team_id": self.team, "assignee_id": self.agent.0 });
        ok(&self.app, Method::PATCH, &path, &self.agent.1, Some(take), 200).await;
        let resolve =
            json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Restarted it" });
        ok(&self.app, Method::POST, &format!("{path}/transition"), &self.agent.1, Some(resolve), 200).await;
        id
    }
}

#[tokio::test]
async fn a_resolution_is_rated_once_by_its_mailed_link_and_a_low_score_reaches_the_lead() {
    let smtp = SmtpServer::start();
    let d = desk(config(Some(&smtp), "2026-11-10T02:00:00Z", SurveyConfig::default())).await;
    let app = &d.app;
    person(app, &d.admin, "rita", "requester", "en").await;
    let rita = app.token("rita", "read write").await;

    let first = d.resolved(&rita, "VPN drops every hour").await;
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 1);
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 0, "asked once");
    app.app.run_due_jobs("mailer").await.unwrap();
    let mail = mails_to(&smtp, "rita@example.com").pop().expect("the survey mail");
    assert!(mail.contains("VPN drops every hour"), "{mail}");
    let token = token_after(&mail, "/survey/csat/");
    assert!(token.starts_with("csat_") && token.len() > 40, "{token}");
    let link = format!("/survey/csat/{token}");
    let none = TestApp::browser();

    // The page works without signing in; a forged link does not.
    let (status, html) = app.page(&none, &link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("VPN drops every hour") && html.contains("name=\"stars\""), "{html}");
    let (status, html) =
        app.page(&none, "/survey/csat/csat_forged0000000000000000000000000000000000000").await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("not valid"), "{html}");

    // Out of range, or no stars: refused, nothing stored.
    for stars in ["6", "0", "many"] {
        let response =
            none.post(app.url(&link)).form(&[("stars", stars), ("comment", "x")]).send().await.unwrap();
        assert!(matches!(response.status().as_u16(), 400 | 422), "{stars}: {}", response.status());
    }
    let pending = ok(app, Method::GET, "/api/v1/surveys/pending", &rita, None, 200).await;
    assert_eq!(pending["csat"].as_array().unwrap().len(), 1, "{pending}");

    // The agent cannot rate it for the requester; nor may anyone else.
    let path = format!("/api/v1/surveys/csat/{first}");
    let (status, _) = app.api(Method::POST, &path, &d.agent.1, Some(json!({ "stars": 5 }))).await;
    assert_eq!(status, 404, "surveys go to the requester, never to the agent");

    // Two stars by the link: the requester's answer, a work note, and the lead told.
    let response = none
        .post(app.url(&link))
        .form(&[("stars", "2"), ("comment", "等了三天才解决")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Thank you"));
    let reused = none.post(app.url(&link)).form(&[("stars", "5")]).send().await.unwrap();
    assert_eq!(reused.status(), 409, "a link works once");
    let (status, html) = app.page(&none, &link).await;
    assert_eq!(status, 409);
    assert!(html.contains("answered already"), "{html}");
    let (status, out) = app.api(Method::POST, &path, &rita, Some(json!({ "stars": 4 }))).await;
    assert_eq!(status, 409, "rated already: {out}");

    let incident =
        ok(app, Method::GET, &format!("/api/v1/incidents/{first}/activity"), &d.agent.1, None, 200).await;
    let text = incident.to_string();
    assert!(text.contains("Satisfaction survey") && text.contains("等了三天才解决"), "a work note: {text}");
    let state = ok(app, Method::GET, &format!("/api/v1/incidents/{first}"), &d.agent.1, None, 200).await;
    assert_eq!(state["state"], "resolved", "alert, not reopen, by default");
    app.app.run_due_jobs("mailer").await.unwrap();
    let to_lead = mails_to(&smtp, "lee@example.com").pop().expect("a mail to the team lead");
    assert!(to_lead.contains("2 of 5") && to_lead.contains("等了三天才解决"), "{to_lead}");

    // In the portal: the next resolution waits on rita's home and is rated there.
    let second = d.resolved(&rita, "Printer offline").await;
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 1);
    let (browser, csrf) = {
        let b = TestApp::browser();
        assert_eq!(app.sign_in(&b, "rita", "long-enough-pass").await.status(), 303);
        let csrf = app.csrf(&b).await;
        (b, csrf)
    };
    let (_, home) = app.page(&browser, "/portal").await;
    assert!(
        home.contains(&format!("/portal/ratings/{second}")) && home.contains("Printer offline"),
        "{home}"
    );
    let response = browser
        .post(app.url(&format!("/portal/ratings/{second}")))
        .form(&[("stars", "5"), ("comment", "Quick, thanks"), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let (_, home) = app.page(&browser, "/portal?notice=rated").await;
    assert!(!home.contains(&format!("/portal/ratings/{second}")), "rated: no longer waiting");

    // A third, left alone past its two weeks: the link has expired.
    d.resolved(&rita, "Monitor flickers").await;
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 1);
    app.app.run_due_jobs("mailer").await.unwrap();
    let mail =
        mails_to(&smtp, "rita@example.com").into_iter().find(|m| m.contains("Monitor flickers")).unwrap();
    let late = format!("/survey/csat/{}", token_after(&mail, "/survey/csat/"));
    app.app.config().clock.advance(SignedDuration::from_hours(15 * 24));
    let (status, html) = app.page(&none, &late).await;
    assert_eq!(status, 409);
    assert!(html.contains("expired"), "{html}");

    // The month's report: two ratings, one satisfied.
    let admin = app.token("root", "read write admin").await;
    let month = ok(app, Method::GET, "/api/v1/surveys/csat?month=2026-11", &admin, None, 200).await;
    assert_eq!(
        (month["answers"].as_i64(), month["satisfied_percent"].as_f64()),
        (Some(2), Some(50.0)),
        "{month}"
    );
    let (status, _) = app.api(Method::GET, "/api/v1/surveys/csat?month=2026-13", &admin, None).await;
    assert_eq!(status, 422);
    let rita = app.token("rita", "read write").await;
    let (status, _) = app.api(Method::GET, "/api/v1/surveys/csat", &rita, None).await;
    assert_eq!(status, 403, "requesters do not read the report");

    // The leaderboard shows the month: the team and its agent, CSAT 3.5 of 2 answers.
    let board = ok(app, Method::GET, "/api/v1/leaderboard?month=2026-11", &admin, None, 200).await;
    let team = &board["teams"][0];
    assert_eq!(
        (team["name"].as_str(), team["csat_answers"].as_i64(), team["csat_average"].as_f64()),
        (Some("Service Desk"), Some(2), Some(3.5)),
        "{board}"
    );
    assert_eq!(team["resolved"].as_i64(), Some(3), "{board}");
    assert_eq!(team["rank"], 1);
    assert!(team["movement"].is_null(), "not ranked the month before");
    let agent = &board["agents"][0];
    assert_eq!(
        (agent["id"].as_i64(), agent["first_contact_percent"].as_f64()),
        (Some(d.agent.0), Some(100.0)),
        "{board}"
    );
    // And as gauges for Prometheus.
    let scraper = app.token("root", "metrics").await;
    let (status, metrics) = app.api(Method::GET, "/metrics", &scraper, None).await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains(
            r#"steward_leaderboard_rank{month="2026-11",scope="team",id="1",name="Service Desk"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            r#"steward_leaderboard_csat_average{{month="2026-11",scope="agent",id="{}",name="ada"}} 3.5"#,
            d.agent.0
        )),
        "{metrics}"
    );
    let browser = TestApp::browser();
    assert_eq!(app.sign_in(&browser, "rita", "long-enough-pass").await.status(), 303);
    let (status, page) = app.page(&browser, "/leaderboard").await;
    assert_eq!(status, 403, "requesters do not see the board: {page}");
}

#[tokio::test]
async fn a_low_score_reopens_when_set_and_sampling_and_robots_are_respected() {
    let surveys = SurveyConfig {
        low_score: LowScoreAction::Reopen,
        leaderboard_agents: false,
        ..SurveyConfig::default()
    };
    let d = desk(config(None, "2026-11-10T02:00:00Z", surveys)).await;
    let app = &d.app;
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let id = d.resolved(&rita, "Laptop will not boot").await;
    // The agent's own ticket is not surveyed: they raised and resolved it.
    let own =
        ok(app, Method::POST, "/api/v1/incidents", &d.agent.1, Some(json!({ "title": "Mine" })), 201).await;
    let path = format!("/api/v1/incidents/{}", own["id"]);
    ok(app, Method::PATCH, &path, &d.agent.1, Some(json!({ "assignee_id": d.agent.0 })), 200).await;
    let resolve = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Done" });
    ok(app, Method::POST, &format!("{path}/transition"), &d.agent.1, Some(resolve), 200).await;
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 1, "only rita's");

    let rate = format!("/api/v1/surveys/csat/{id}");
    let read_only = app.token("rita", "read").await;
    let (status, _) = app.api(Method::POST, &rate, &read_only, Some(json!({ "stars": 1 }))).await;
    assert_eq!(status, 403, "a read-only token does not answer (a low score writes and mails)");
    let (status, out) = app.api(Method::POST, &rate, &rita, Some(json!({ "stars": 9 }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("stars")), "{out}");
    let rated =
        ok(app, Method::POST, &rate, &rita, Some(json!({ "stars": 1, "comment": "Still broken" })), 200)
            .await;
    assert_eq!((rated["stars"].as_i64(), rated["via"].as_str()), (Some(1), Some("portal")));
    let incident = ok(app, Method::GET, &format!("/api/v1/incidents/{id}"), &d.agent.1, None, 200).await;
    assert_eq!(
        (incident["state"].as_str(), incident["reopen_count"].as_i64()),
        (Some("in_progress"), Some(1)),
        "{incident}"
    );

    // Resolved again: not asked a second time.
    let resolve = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "New disk" });
    ok(app, Method::POST, &format!("/api/v1/incidents/{id}/transition"), &d.agent.1, Some(resolve), 200)
        .await;
    assert_eq!(app.app.surveys().ask_for_ratings().await.unwrap(), 0, "at most once per ticket");

    let admin = app.token("root", "read write admin").await;
    let board = ok(app, Method::GET, "/api/v1/leaderboard", &admin, None, 200).await;
    assert!(board.get("agents").is_none(), "teams only, by the setting: {board}");

    // Sampling: none of the share is asked at 0 %.
    let none = SurveyConfig { csat_percent: 0, ..SurveyConfig::default() };
    let d = desk(config(None, "2026-11-10T02:00:00Z", none)).await;
    let (_, rita) = d.app.user_with_token("rita", "requester").await;
    d.resolved(&rita, "Keyboard").await;
    assert_eq!(d.app.app.surveys().ask_for_ratings().await.unwrap(), 0);
}

#[tokio::test]
async fn the_monthly_nps_is_sent_answered_unsubscribed_from_and_scored() {
    let smtp = SmtpServer::start();
    let d = desk(config(Some(&smtp), "2026-11-10T02:00:00Z", SurveyConfig::default())).await;
    let app = &d.app;
    for (name, locale) in [("ann", "en"), ("bo", "zh-CN"), ("cy", "en")] {
        person(app, &d.admin, name, "requester", locale).await;
        let token = app.token(name, "read write").await;
        let body = json!({ "title": format!("{name}'s mail") });
        let id = ok(app, Method::POST, "/api/v1/incidents", &token, Some(body), 201).await["id"].clone();
        let triage = json!({ "service": "Email", "team_id": d.team });
        ok(app, Method::PATCH, &format!("/api/v1/incidents/{id}"), &d.agent.1, Some(triage), 200).await;
    }
    // Not before the month has ended; an admin may send it early, by hand.
    assert_eq!(app.app.surveys().send_monthly_nps().await.unwrap(), 0);
    let early =
        ok(app, Method::POST, "/api/v1/surveys/nps/send", &d.admin, Some(json!({ "month": "2026-11" })), 200)
            .await;
    assert_eq!(early["sent"], 3, "{early}");
    // Dan's first ticket comes after that: the month's run still reaches him.
    person(app, &d.admin, "dan", "requester", "en").await;
    let dan = app.token("dan", "read write").await;
    ok(app, Method::POST, "/api/v1/incidents", &dan, Some(json!({ "title": "Late in the month" })), 201)
        .await;
    // 1 December, 10:00 in Beijing: November's survey goes out, once.
    let clock = &app.app.config().clock;
    clock.set("2026-12-01T02:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(app.app.surveys().send_monthly_nps().await.unwrap(), 1, "only dan is still due it");
    assert_eq!(app.app.surveys().send_monthly_nps().await.unwrap(), 0, "the month ran");
    app.app.run_due_jobs("mailer").await.unwrap();
    let link = |name: &str| {
        let mail = mails_to(&smtp, &format!("{name}@example.com")).pop().expect("an NPS mail");
        assert!(mail.contains("/unsubscribe"), "{mail}");
        format!("/survey/nps/{}", token_after(&mail, "/survey/nps/"))
    };
    let none = TestApp::browser();
    let (ann, bo, cy) = (link("ann"), link("bo"), link("cy"));
    let (status, html) = app.page(&none, &bo).await;
    assert_eq!(status, 200);
    assert!(html.contains("推荐") && html.contains("name=\"score\""), "in bo's language: {html}");

    let post = |path: String, form: Vec<(&'static str, &'static str)>| {
        let none = none.clone();
        let url = app.url(&path);
        async move { none.post(url).form(&form).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(ann.clone(), vec![("score", "11")]).await, 422, "out of range");
    assert_eq!(post(ann.clone(), vec![("score", "10"), ("reason", "Fast and friendly, thanks")]).await, 200);
    assert_eq!(post(ann.clone(), vec![("score", "9")]).await, 409, "once");
    assert_eq!(post(bo.clone(), vec![("score", "3"), ("reason", "太慢了，等了三天")]).await, 200);
    assert_eq!(post("/survey/nps/nps_forged".into(), vec![("score", "5")]).await, 404);
    let (status, html) = app.page(&none, &format!("{cy}/unsubscribe")).await;
    assert_eq!(status, 200, "a button, not a change, on opening: {html}");
    assert_eq!(post(format!("{cy}/unsubscribe"), vec![]).await, 200);

    let admin = app.token("root", "read write admin").await;
    let r = ok(app, Method::GET, "/api/v1/surveys/nps?from=2026-11&to=2026-11", &admin, None, 200).await;
    assert_eq!(
        (r["sent"].as_i64(), r["total"]["answers"].as_i64(), r["total"]["nps"].as_i64()),
        (Some(4), Some(2), Some(0)),
        "{r}"
    );
    assert_eq!(r["by_team"][0]["key"], "Service Desk", "{r}");
    assert_eq!(r["by_service"][0]["key"], "Email", "{r}");
    let slow =
        ok(app, Method::GET, "/api/v1/surveys/nps?from=2026-11&to=2026-11&q=%E6%85%A2", &admin, None, 200)
            .await;
    let reasons: Vec<&str> =
        slow["verbatims"].as_array().unwrap().iter().map(|v| v["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, vec!["太慢了，等了三天"]);
    assert_eq!(slow["verbatims"][0]["sentiment"], "negative");
    let happy = ok(
        app,
        Method::GET,
        "/api/v1/surveys/nps?from=2026-11&to=2026-11&sentiment=positive",
        &admin,
        None,
        200,
    )
    .await;
    assert_eq!(happy["verbatims"][0]["score"], 10, "{happy}");
    let (status, _) = app.api(Method::GET, "/api/v1/surveys/nps?sentiment=angry", &admin, None).await;
    assert_eq!(status, 422);
    let ann_t = app.token("ann", "read write").await;
    let (status, _) = app.api(Method::GET, "/api/v1/surveys/nps", &ann_t, None).await;
    assert_eq!(status, 403);

    // December: ann and cy raise tickets again; cy unsubscribed, so only ann is asked. An
    // admin may send it by hand (nobody gets a month's survey twice).
    for name in ["ann", "cy"] {
        let token = app.token(name, "read write").await;
        ok(app, Method::POST, "/api/v1/incidents", &token, Some(json!({ "title": "Again" })), 201).await;
    }
    clock.set("2027-01-02T02:00:00Z".parse::<Timestamp>().unwrap());
    let admin = app.token("root", "read write admin").await;
    let sent =
        ok(app, Method::POST, "/api/v1/surveys/nps/send", &admin, Some(json!({ "month": "2026-12" })), 200)
            .await;
    assert_eq!(sent["sent"], 1, "{sent}");
    assert_eq!(app.app.surveys().send_monthly_nps().await.unwrap(), 0, "sent already");
    let (status, out) =
        app.api(Method::POST, "/api/v1/surveys/nps/send", &admin, Some(json!({ "month": "2027-02" }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("month")), "{out}");
    let (status, _) =
        app.api(Method::POST, "/api/v1/surveys/nps/send", &ann_t, Some(json!({ "month": "2026-12" }))).await;
    assert!(matches!(status, 401 | 403), "admins only");
    // Ann answers December's in the portal's way, through the API.
    let ann_t = app.token("ann", "read write").await;
    let pending = ok(app, Method::GET, "/api/v1/surveys/pending", &ann_t, None, 200).await;
    assert_eq!(pending["nps"]["month"], "2026-12", "{pending}");
    let answered =
        ok(app, Method::POST, "/api/v1/surveys/nps", &ann_t, Some(json!({ "score": 8, "reason": "" })), 200)
            .await;
    assert_eq!(answered["sentiment"], "neutral");
    let r = ok(app, Method::GET, "/api/v1/surveys/nps?from=2026-11&to=2026-12", &admin, None, 200).await;
    let months: Vec<&str> =
        r["by_month"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(months, vec!["2026-11", "2026-12"], "{r}");
}
