//! Duplicate incidents (issue 22): new incidents from the API and from alerts are compared with
//! the open ones and flagged (text, shared CI, time); an agent merges a pair in one click — the
//! conversation, files, watchers, CIs and alerts move to the survivor — or dismisses it.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::{TestApp, hidden_field};

async fn raise(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, inc) = app.api(Method::POST, "/api/v1/incidents", token, Some(body)).await;
    assert_eq!(s, 201, "{inc}");
    inc["id"].as_i64().unwrap()
}

async fn flags(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let (s, out) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/duplicates"), token, None).await;
    assert_eq!(s, 200, "{out}");
    out["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn similar_incidents_are_flagged_and_merged_with_their_conversation_watchers_and_files() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ana", "agent").await;
    let (_, rita) = app.user_with_token("rita", "requester").await;
    let (bob_user, bob) = app.user_with_token("bob", "requester").await;
    let (carl, _) = app.user_with_token("carl", "agent").await;

    let first = raise(
        &app,
        &rita,
        json!({"title": "Outlook cannot connect to the mail server",
        "description": "Since about 9:00 Outlook says it is disconnected and no new mail arrives."}),
    )
    .await;
    let printer = raise(
        &app,
        &rita,
        json!({"title": "Printer on floor 3 jams on every print job",
        "description": "The HP printer next to the kitchen jams on every page."}),
    )
    .await;
    let vpn = raise(
        &app,
        &rita,
        json!({"title": "VPN 连不上",
        "description": "在家无法连接公司 VPN，客户端一直提示证书错误。"}),
    )
    .await;
    let second = raise(
        &app,
        &bob,
        json!({"title": "Outlook disconnected from server, no new mail",
        "description": "My Outlook has shown 'Disconnected' all morning and nothing new comes in."}),
    )
    .await;
    let vpn_again = raise(
        &app,
        &bob,
        json!({"title": "VPN 无法连接，提示证书错误",
        "description": "今天在家办公，VPN 客户端连接时报证书错误，连不上内网。"}),
    )
    .await;
    let other = raise(
        &app,
        &bob,
        json!({"title": "Excel crashes when saving to SharePoint",
        "description": "Saving a workbook to the team site closes Excel."}),
    )
    .await;

    // The conversation and the people around the duplicate.
    let say = |id: i64, token: &str, body: &str, internal: bool| {
        let (app, token, body) = (&app, token.to_owned(), body.to_owned());
        async move {
            let path = format!("/api/v1/incidents/{id}/comments");
            let (s, out) =
                app.api(Method::POST, &path, &token, Some(json!({"body": body, "internal": internal}))).await;
            assert_eq!(s, 201, "{out}");
        }
    };
    say(second, &bob, "Still nothing arriving after a restart.", false).await;
    say(second, &agent, "Checked: Exchange front end answers 503.", true).await;
    let upload = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/incidents/{second}/attachments?filename=outlook.log")))
        .bearer_auth(&bob)
        .header("content-type", "text/plain")
        .body("Connection to outlook.office365.com failed")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let watch = format!("/api/v1/incidents/{second}/watchers/{}", carl.id);
    assert_eq!(app.api(Method::PUT, &watch, &agent, None).await.0, 204);

    let flagged = app.app.incidents().find_duplicates().await.unwrap();
    assert!(flagged >= 2, "{flagged}");
    assert_eq!(app.app.incidents().find_duplicates().await.unwrap(), 0, "each incident is compared once");

    let on_second = flags(&app, &agent, second).await;
    assert_eq!(on_second.len(), 1, "{on_second:?}");
    assert_eq!((on_second[0]["id"].as_i64(), on_second[0]["newer"].as_bool()), (Some(first), Some(false)));
    assert!(on_second[0]["text_score"].as_f64().unwrap() >= 0.3, "{on_second:?}");
    let on_first = flags(&app, &agent, first).await;
    assert_eq!((on_first[0]["id"].as_i64(), on_first[0]["newer"].as_bool()), (Some(second), Some(true)));
    assert_eq!(flags(&app, &agent, vpn_again).await[0]["id"].as_i64(), Some(vpn), "Chinese twins too");
    assert!(flags(&app, &agent, printer).await.is_empty());
    assert!(flags(&app, &agent, other).await.is_empty());
    let path = format!("/api/v1/incidents/{second}/duplicates");
    assert_eq!(app.api(Method::GET, &path, &bob, None).await.0, 403, "requesters see no flags");

    // Bad merges are refused by name, and nothing moves.
    let merge = |id: i64, token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { app.api(Method::POST, &format!("/api/v1/incidents/{id}/merge"), &token, Some(body)).await }
    };
    for (body, field) in [
        (json!({"into": second}), "into"),
        (json!({"into": 999_999}), "into"),
        (json!({"into": first, "also": 1}), "also"),
    ] {
        let (s, e) = merge(second, &agent, body.clone()).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{body}: {e}");
    }
    assert_eq!(merge(second, &bob, json!({"into": first})).await.0, 403, "requesters do not merge");

    // One click: the newer into the older.
    let (s, survivor) = merge(second, &agent, json!({"into": first})).await;
    assert_eq!((s, survivor["id"].as_i64()), (200, Some(first)), "{survivor}");
    let (_, gone) = app.api(Method::GET, &format!("/api/v1/incidents/{second}"), &agent, None).await;
    assert_eq!(
        (gone["state"].as_str(), gone["resolution_code"].as_str()),
        (Some("resolved"), Some("duplicate"))
    );
    assert!(
        gone["resolution_note"].as_str().unwrap().contains(survivor["number"].as_str().unwrap()),
        "{gone}"
    );
    let (_, comments) =
        app.api(Method::GET, &format!("/api/v1/incidents/{first}/comments"), &agent, None).await;
    let comments = comments["items"].as_array().unwrap();
    let moved: Vec<&Value> = comments.iter().filter(|c| c["merged_from"] == gone["number"]).collect();
    assert_eq!(moved.len(), 2, "the reply and the work note: {comments:?}");
    assert_eq!(moved[0]["author"], "bob");
    let (_, rita_sees) =
        app.api(Method::GET, &format!("/api/v1/incidents/{first}/comments"), &rita, None).await;
    assert_eq!(rita_sees["items"].as_array().unwrap().len(), 1, "the work note stays internal: {rita_sees}");
    let (_, files) =
        app.api(Method::GET, &format!("/api/v1/incidents/{first}/attachments"), &agent, None).await;
    assert_eq!(files["items"][0]["filename"], "outlook.log", "{files}");
    let watchers = app.app.store().watchers(steward_core::ids::TicketId(first)).await.unwrap();
    assert!(watchers.contains(&bob_user.id) && watchers.contains(&carl.id), "{watchers:?}");
    let (_, activity) =
        app.api(Method::GET, &format!("/api/v1/incidents/{first}/activity"), &agent, None).await;
    assert!(activity.to_string().contains(r#""action":"merge""#), "{activity}");
    let (_, activity) =
        app.api(Method::GET, &format!("/api/v1/incidents/{second}/activity"), &agent, None).await;
    assert!(activity.to_string().contains(r#""action":"merge_into""#), "{activity}");
    assert!(flags(&app, &agent, first).await.is_empty(), "a merged pair is no longer flagged");
    let (s, e) = merge(second, &agent, json!({"into": first})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("id")), "merged once: {e}");
    let (s, e) = merge(other, &agent, json!({"into": second})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("into")), "not into one merged away: {e}");

    // The page: the box, dismissing, and merging by number, in both languages.
    let (browser, csrf) = app.signed_in("ana").await;
    let (s, html) = app.page(&browser, &format!("/incidents/{vpn_again}?lang=zh-CN")).await;
    assert_eq!(s, 200);
    let section = html.split(r#"id="incident-duplicates""#).nth(1).unwrap();
    assert!(section.contains("可能重复的事件") || html.contains("可能重复的事件"), "{section}");
    assert!(section.contains(&format!(r#"id="merge-{vpn}""#)) && section.contains("文本相似度"), "{section}");
    let dismiss = browser
        .post(app.url(&format!("/incidents/{vpn_again}/duplicates/{vpn}/dismiss")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(dismiss.status(), 303);
    assert!(flags(&app, &agent, vpn).await.is_empty(), "dismissed on both");
    let path = format!("/api/v1/incidents/{vpn_again}/duplicates/{vpn}/dismiss");
    assert_eq!(app.api(Method::POST, &path, &agent, None).await.0, 404, "nothing left to dismiss");
    let (_, page) = app.page(&browser, &format!("/incidents/{other}?lang=en")).await;
    assert!(page.contains("No open incident resembles this one."), "{page}");
    let number = |id: i64| {
        let app = &app;
        let agent = agent.clone();
        async move {
            let (_, t) = app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &agent, None).await;
            t["number"].as_str().unwrap().to_owned()
        }
    };
    let into = number(vpn).await;
    let form_csrf = hidden_field(&page, "_csrf").unwrap();
    let bad = browser
        .post(app.url(&format!("/incidents/{vpn_again}/merge")))
        .form(&[("_csrf", form_csrf.as_str()), ("into", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "an unknown number is shown on the page (digits are a number's)");
    assert!(bad.text().await.unwrap().contains("INC999999"));
    let merged = browser
        .post(app.url(&format!("/incidents/{vpn_again}/merge")))
        .form(&[("_csrf", form_csrf.as_str()), ("into", into.to_lowercase().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(merged.status(), 303);
    assert!(merged.headers()["location"].to_str().unwrap().starts_with(&format!("/incidents/{vpn}?")));
    let (_, html) = app.page(&browser, &format!("/incidents/{vpn}?lang=zh-CN")).await;
    assert!(html.contains("合并入") && html.contains(&number(vpn_again).await), "the history says so");
}

#[tokio::test]
async fn an_alert_and_a_person_on_the_same_ci_are_flagged_and_the_alert_follows_the_merge() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;
    let agent = app.token("prometheus", "read write").await;
    let body = json!({"class": "server", "name": "web01", "attributes": {"hostname": "web01"}});
    let (s, ci) = app.api(Method::POST, "/api/v1/cis", &agent, Some(body)).await;
    assert_eq!(s, 201, "{ci}");
    let alert = |status: &str| {
        json!({"version": "4", "groupKey": "{}:{alertname=\"HostDown\"}", "status": status, "alerts": [{
            "status": status, "fingerprint": "hd-web01",
            "labels": {"alertname": "HostDown", "instance": "web01:9100", "severity": "critical"},
            "annotations": {"summary": "Host is unreachable", "description": "web01 stopped answering pings"},
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": if status == "resolved" { "2026-01-01T00:10:00Z" } else { "0001-01-01T00:00:00Z" }}]})
    };
    let (s, out) = app.api(Method::POST, "/hooks/alertmanager", &bot, Some(alert("firing"))).await;
    assert_eq!(s, 200, "{out}");
    let from_alert = out["incidents_opened"][0].as_i64().unwrap();
    let by_hand = raise(
        &app,
        &agent,
        json!({"title": "web01 unreachable", "ci_ids": [ci["id"]],
        "description": "The web01 host stopped answering, users see timeouts."}),
    )
    .await;
    app.app.incidents().find_duplicates().await.unwrap();
    let found = flags(&app, &agent, by_hand).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0]["id"].as_i64(), found[0]["shared_ci"].as_str()), (Some(from_alert), Some("web01")));

    // Either may stay: here the alert's incident merges into the one a person raised, and the
    // alert goes with it — when it clears, it resolves the survivor.
    let path = format!("/api/v1/incidents/{from_alert}/merge");
    let (s, out) = app.api(Method::POST, &path, &agent, Some(json!({"into": by_hand}))).await;
    assert_eq!(s, 200, "{out}");
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts?status=firing", &agent, None).await;
    assert_eq!(alerts["items"][0]["ticket_id"].as_i64(), Some(by_hand), "{alerts}");
    let (_, out) = app.api(Method::POST, "/hooks/alertmanager", &bot, Some(alert("resolved"))).await;
    assert_eq!(out["incidents_resolved"], json!([by_hand]), "{out}");
}
