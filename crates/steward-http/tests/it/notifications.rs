//! Bug 10 of issue 17: the notifications page was empty for every user. Assignment, replies,
//! state changes, resolution and watched tickets now reach the right people, in the app and
//! by mail, by each user's choice; the bell's count comes live from `/live`.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

use crate::sla::SmtpServer;

async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let (_, list) = app.api(Method::GET, "/api/v1/notifications", token, None).await;
    list["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_people_around_a_ticket_hear_of_it_by_their_choice() {
    let smtp = SmtpServer::start();
    let app = smtp.app().await;
    let mut tokens = Vec::new();
    for (name, role, locale) in [
        ("ada", "agent", "en"),
        ("ned", "agent", "zh-CN"),
        ("rita", "requester", "en"),
        ("wes", "agent", "en"),
    ] {
        let input = steward_app::NewUserInput {
            username: name.into(),
            role: role.into(),
            email: Some(format!("{name}@example.com")),
            password: steward_test_support::PASSWORD.into(),
            ..Default::default()
        };
        let user = app.app.directory().create_user(None, input).await.unwrap();
        let update = steward_app::UserUpdate { locale: Some(Some(locale.into())), ..Default::default() };
        let root = steward_app::Actor { user: user.clone(), credential: steward_app::Credential::Direct };
        app.app.directory().update_user(&root, user.id, None, update).await.unwrap();
        tokens.push((user.id, app.token(name, "read write").await));
    }
    let [(ada, ada_t), (ned, ned_t), (_rita, rita_t), (wes, wes_t)] = tokens.try_into().unwrap();
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    for u in [ada, ned] {
        app.app.directory().set_team_member(None, team.id, u, true).await.unwrap();
    }
    let feed = || async { app.app.notifications().process_feed().await.unwrap() };

    // A requester's ticket in the team's queue: both agents hear of it.
    let (_, inc) =
        app.api(Method::POST, "/api/v1/incidents", &rita_t, Some(json!({ "title": "VPN drops" }))).await;
    let id = inc["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}");
    let patch = |body: Value| app.api(Method::PATCH, &path, &ada_t, Some(body));
    patch(json!({ "team_id": team.id })).await;
    feed().await;
    assert_eq!(kinds(&app, &ned_t).await, ["queued"]);

    // Ada assigns Ned; Wes watches; Ned hears (and, by default, gets a mail in Chinese).
    app.api(Method::PUT, &format!("/api/v1/incidents/{id}/watchers/{wes}"), &ada_t, None).await;
    let (status, out) = patch(json!({ "assignee_id": ned })).await;
    assert_eq!(status, 200, "{out}");
    assert!(feed().await >= 2);
    assert_eq!(kinds(&app, &ned_t).await, ["assigned", "queued"]);
    assert_eq!(kinds(&app, &wes_t).await, ["watched"]);
    assert!(kinds(&app, &ada_t).await.is_empty(), "nobody hears of their own doing");

    // Replies go to the other side; resolution asks the requester to check.
    let comments = format!("/api/v1/incidents/{id}/comments");
    app.api(Method::POST, &comments, &ned_t, Some(json!({ "body": "Restarting the gateway" }))).await;
    app.api(Method::POST, &comments, &rita_t, Some(json!({ "body": "Thanks" }))).await;
    let transition = format!("/api/v1/incidents/{id}/transition");
    let to = |body: Value| app.api(Method::POST, &transition, &ned_t, Some(body));
    to(json!({ "to": "in_progress" })).await;
    let (status, out) =
        to(json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Gateway restarted" }))
            .await;
    assert_eq!(status, 200, "{out}");
    feed().await;
    let rita_kinds = kinds(&app, &rita_t).await;
    assert_eq!(rita_kinds[0], "resolved", "{rita_kinds:?}");
    assert!(rita_kinds.contains(&"reply".to_owned()), "{rita_kinds:?}");
    assert!(kinds(&app, &ned_t).await.contains(&"reply".to_owned()));
    assert_eq!(feed().await, 0, "each event is told once");

    // The mail went out in the recipient's language.
    for _ in 0..10 {
        app.app.run_due_jobs("test").await.unwrap();
    }
    let mails: Vec<String> = smtp.messages().iter().map(|m| crate::sla::decode_quoted(m)).collect();
    assert!(mails.iter().any(|m| m.contains("分派给了您")), "Ned reads Chinese: {mails:?}");
    let resolved: Vec<&String> = mails.iter().filter(|m| m.contains("resolved INC000001")).collect();
    assert_eq!(resolved.len(), 1, "one mail asks the requester to check: {mails:?}");

    // Choices: Wes turns watching off and takes replies as a digest.
    let watched_before = kinds(&app, &wes_t).await.len();
    assert!(watched_before >= 3, "assignment, replies and moves");
    let (browser, csrf) = app.signed_in("wes").await;
    let sent = browser
        .post(app.url("/account/notifications"))
        .form(&[("_csrf", csrf.as_str()), ("watched", "off"), ("reply", "digest")])
        .send()
        .await
        .unwrap();
    assert!(sent.headers()["location"].to_str().unwrap().contains("notice=saved"));
    app.api(Method::POST, &comments, &ned_t, Some(json!({ "body": "Anything else?" }))).await;
    feed().await;
    assert_eq!(kinds(&app, &wes_t).await.len(), watched_before, "watching is off now");
    let (_, page) = app.page(&browser, "/account?lang=zh-CN").await;
    assert!(page.contains(r#"<option value="off" selected>关闭</option>"#), "{page}");

    // A digest gathers what waited into one mail, once.
    let rita = app.app.directory().user_by_username("rita").await.unwrap();
    let rita_actor = steward_app::Actor { user: rita, credential: steward_app::Credential::Direct };
    app.app.notifications().set_preference(&rita_actor, "reply", "digest").await.unwrap();
    app.api(Method::POST, &comments, &ned_t, Some(json!({ "body": "One more thing" }))).await;
    app.api(Method::POST, &comments, &ned_t, Some(json!({ "body": "And another" }))).await;
    feed().await;
    assert_eq!(app.app.notifications().send_digests().await.unwrap(), 1);
    assert_eq!(app.app.notifications().send_digests().await.unwrap(), 0, "sent once");

    // The notifications page speaks the reader's language.
    let (ned_browser, _) = app.signed_in("ned").await;
    let (_, page) = app.page(&ned_browser, "/notifications?lang=zh-CN").await;
    assert!(page.contains("ada 将 INC000001 分派给了您：VPN drops"), "{page}");
}

/// The bell: `/live` streams the unread count and the ticket's version as server-sent events.
#[tokio::test]
async fn live_pages_hear_the_unread_count_and_the_tickets_version() {
    let app = TestApp::spawn().await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    app.user("ned", "agent").await;
    let body = json!({ "title": "Printer", "assignee_id": ada.id });
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    app.app.directory().set_team_member(None, team.id, ada.id, true).await.unwrap();
    let (ned_b, _) = app.signed_in("ned").await;
    let ned_t = app.token("ned", "read write").await;
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &ned_t, Some(body)).await;
    app.app.notifications().process_feed().await.unwrap();
    let _ = ada_t;
    let (ada_b, _) = app.signed_in("ada").await;
    let mut live = ada_b.get(app.url(&format!("/live?ticket={}", inc["id"]))).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let first = String::from_utf8(live.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(first.contains("event: status"), "{first}");
    assert!(first.contains(r#""unread":1"#) && first.contains(r#""version":"#), "{first}");
    // Signing out ends the stream at its next tick.
    let csrf = app.csrf(&ada_b).await;
    ada_b.post(app.url("/logout")).form(&[("_csrf", csrf.as_str())]).send().await.unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(chunk) = live.chunk().await.unwrap() {
            // Keep-alive comments may come; a status would mean the stream went on.
            assert!(!String::from_utf8_lossy(&chunk).contains("event: status"), "the stream went on");
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ended");
    drop(ned_b);
}

/// Mentions and SLA warnings and breaches follow each user's choices like the rest (off, app,
/// mail, digest), and a digest's lines are in the reader's language.
#[tokio::test]
async fn mentions_and_sla_notices_follow_the_chosen_channels_and_digests_speak_the_readers_language() {
    let smtp = SmtpServer::start();
    let app = smtp.app().await;
    let mut people = Vec::new();
    for (name, role, locale) in [("ada", "team_lead", "en"), ("ned", "agent", "zh-CN")] {
        let input = steward_app::NewUserInput {
            username: name.into(),
            role: role.into(),
            email: Some(format!("{name}@example.com")),
            password: steward_test_support::PASSWORD.into(),
            ..Default::default()
        };
        let user = app.app.directory().create_user(None, input).await.unwrap();
        let update = steward_app::UserUpdate { locale: Some(Some(locale.into())), ..Default::default() };
        let me = steward_app::Actor { user: user.clone(), credential: steward_app::Credential::Direct };
        let user = app.app.directory().update_user(&me, user.id, None, update).await.unwrap();
        people.push((
            steward_app::Actor { user, credential: steward_app::Credential::Direct },
            app.token(name, "read write").await,
        ));
    }
    let [(ada, ada_t), (ned, ned_t)] = people.try_into().unwrap();
    let team = app.app.directory().create_team(None, "Desk", "").await.unwrap();
    for u in [&ada, &ned] {
        app.app.directory().set_team_member(None, team.id, u.user.id, true).await.unwrap();
    }
    let choose = |kind: &'static str, channel: &'static str| {
        let ned = ned.clone();
        let app = &app;
        async move { app.app.notifications().set_preference(&ned, kind, channel).await.unwrap() }
    };
    let body = json!({ "title": "Payroll export fails", "impact": 1, "urgency": 1, "team_id": team.id, "assignee_id": ned.user.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &ada_t, Some(body)).await;
    let comments = format!("/api/v1/incidents/{}/comments", inc["id"]);
    let mentions_of_ned =
        || async { kinds(&app, &ned_t).await.into_iter().filter(|k| k == "mention").count() };

    choose("mention", "off").await;
    app.api(Method::POST, &comments, &ada_t, Some(json!({ "body": "@ned can you look?", "internal": true })))
        .await;
    assert_eq!(mentions_of_ned().await, 0, "mentions are off for Ned");
    choose("mention", "email").await;
    app.api(Method::POST, &comments, &ada_t, Some(json!({ "body": "@ned now?", "internal": true }))).await;
    assert_eq!(mentions_of_ned().await, 1);

    choose("sla_warning", "off").await;
    choose("sla_breach", "digest").await;
    let in_5h = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(5)).unwrap();
    assert_eq!(app.app.sla().scan(in_5h).await.unwrap(), 2, "resolution warning and breach");
    let ned_kinds = kinds(&app, &ned_t).await;
    assert!(!ned_kinds.contains(&"sla_warning".to_owned()), "{ned_kinds:?}");
    assert!(ned_kinds.contains(&"sla_breach".to_owned()), "a digest's notices show in the app too");
    assert!(
        kinds(&app, &ada_t).await.contains(&"sla_breach".to_owned()),
        "the lead chose nothing: she hears"
    );
    assert_eq!(app.app.notifications().send_digests().await.unwrap(), 1);
    for _ in 0..10 {
        app.app.run_due_jobs("test").await.unwrap();
    }
    let mails: Vec<String> = smtp.messages().iter().map(|m| crate::sla::decode_quoted(m)).collect();
    // Ned: the mention at once and the breach in the digest, in Chinese; Ada: the breach.
    // No one is mailed the warning (Ned turned it off; it is not the lead's to hear).
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(mails.iter().any(|m| m.contains("ada 在工单中提到了您")), "{mails:?}");
    assert!(
        mails.iter().any(|m| m.contains("SLA 已超时：INC000001")),
        "the digest speaks Chinese: {mails:?}"
    );
    assert!(mails.iter().any(|m| m.contains("has breached its resolution target")), "{mails:?}");
    assert!(!mails.iter().any(|m| m.contains("used 75%")), "{mails:?}");
}
