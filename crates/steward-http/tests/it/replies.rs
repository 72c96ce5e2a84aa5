//! Canned replies (issue 17, "writing"): a team keeps its texts, an agent picks one on an
//! incident with its placeholders filled from the ticket.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn a_team_keeps_its_canned_replies_and_agents_get_them_filled_on_its_tickets() {
    let app = TestApp::spawn().await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    let (_, bob_t) = app.user_with_token("bob", "agent").await;
    let (_, root_t) = app.user_with_token("root", "admin").await;
    let (rita, rita_t) = app.user_with_token("rita", "requester").await;
    let dir = app.app.directory();
    let network = dir.create_team(None, "Network", "").await.unwrap();
    let desk = dir.create_team(None, "Desk", "").await.unwrap();
    dir.set_team_member(None, network.id, ada.id, true).await.unwrap();

    let vpn = json!({ "name": "VPN restart", "team_id": network.id,
        "body": "Hello {{ requester.name }},\n{{ticket.number}} ({{ ticket.title }}): please restart the VPN client.\n— {{agent.name}}, {{team.name}}" });
    let (status, created) = app.api(Method::POST, "/api/v1/reply-templates", &ada_t, Some(vpn.clone())).await;
    assert_eq!(status, 201, "{created}");
    let vpn_id = created["id"].as_i64().unwrap();
    let bad = json!({ "name": "Oops", "team_id": network.id, "body": "Hi {{ customer }}" });
    let (status, out) = app.api(Method::POST, "/api/v1/reply-templates", &ada_t, Some(bad)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("body")), "{out}");
    assert!(out["error"]["message"].as_str().unwrap().contains("requester.name"), "{out}");
    let (status, out) = app.api(Method::POST, "/api/v1/reply-templates", &ada_t, Some(vpn.clone())).await;
    assert_eq!((status, out["error"]["field"].as_str()), (409, Some("name")), "one name per team: {out}");
    let other_team = json!({ "name": "Desk text", "team_id": desk.id, "body": "x" });
    assert_eq!(app.api(Method::POST, "/api/v1/reply-templates", &ada_t, Some(other_team)).await.0, 403);
    let shared = json!({ "name": "Thanks", "body": "Thank you, {{requester.name}}." });
    assert_eq!(app.api(Method::POST, "/api/v1/reply-templates", &ada_t, Some(shared.clone())).await.0, 403);
    let (status, _) = app.api(Method::POST, "/api/v1/reply-templates", &root_t, Some(shared)).await;
    assert_eq!(status, 201, "admins keep the shared texts");
    let desk_text = json!({ "name": "Desk text", "team_id": desk.id, "body": "Desk" });
    assert_eq!(app.api(Method::POST, "/api/v1/reply-templates", &root_t, Some(desk_text)).await.0, 201);
    assert_eq!(app.api(Method::GET, "/api/v1/reply-templates", &rita_t, None).await.0, 403);
    let (_, kept) = app.api(Method::GET, "/api/v1/reply-templates", &ada_t, None).await;
    let names: Vec<&str> =
        kept["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Thanks", "VPN restart"], "ada sees the shared texts and her team's");

    let body = json!({ "title": "VPN drops", "requester_id": rita.id, "team_id": network.id });
    let (_, inc) = app.api(Method::POST, "/api/v1/incidents", &ada_t, Some(body)).await;
    let id = inc["id"].as_i64().unwrap();
    let (status, offered) =
        app.api(Method::GET, &format!("/api/v1/incidents/{id}/reply-templates"), &ada_t, None).await;
    assert_eq!(status, 200, "{offered}");
    let offered = offered["items"].as_array().unwrap();
    assert_eq!(
        offered.iter().map(|r| r["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["VPN restart", "Thanks"]
    );
    let number = inc["number"].as_str().unwrap();
    assert_eq!(
        offered[0]["text"],
        format!("Hello rita,\n{number} (VPN drops): please restart the VPN client.\n— ada, Network")
    );
    let (status, _) =
        app.api(Method::GET, &format!("/api/v1/incidents/{id}/reply-templates"), &rita_t, None).await;
    assert_eq!(status, 403, "requesters get no canned replies");
    let (_, for_bob) =
        app.api(Method::GET, &format!("/api/v1/incidents/{id}/reply-templates"), &bob_t, None).await;
    let bob_names: Vec<&str> = for_bob["items"]
        .as_array()
        .map_or(vec![], |a| a.iter().map(|r| r["name"].as_str().unwrap()).collect());
    assert!(!bob_names.contains(&"Desk text"), "another team's texts are not offered: {bob_names:?}");

    let changed =
        json!({ "name": "VPN restart", "team_id": network.id, "body": "Restart it, {{requester.name}}." });
    let path = format!("/api/v1/reply-templates/{vpn_id}");
    assert_eq!(
        app.api(Method::PUT, &path, &bob_t, Some(changed.clone())).await.0,
        403,
        "bob is not in Network"
    );
    assert_eq!(app.api(Method::PUT, &path, &ada_t, Some(changed)).await.0, 204);
    let (_, offered) =
        app.api(Method::GET, &format!("/api/v1/incidents/{id}/reply-templates"), &ada_t, None).await;
    assert_eq!(offered["items"][0]["text"], "Restart it, rita.");

    // The incident page offers the filled texts above the reply box; the page keeps them.
    let (browser, csrf) = app.signed_in("ada").await;
    let (_, html) = app.page(&browser, &format!("/incidents/{id}?lang=en")).await;
    assert!(
        html.contains(r#"id="reply-template""#) && html.contains(r#"value="Restart it, rita.""#),
        "{html}"
    );
    let (status, html) = app.page(&browser, "/replies?lang=zh-CN").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("快捷回复") && html.contains("VPN restart") && html.contains("{{ requester.name }}")
    );
    let refused = browser
        .post(app.url("/replies?lang=en"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Reboot"),
            ("body", "Long text {{ nope }}"),
            ("team_id", &network.id.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Long text {{ nope }}") && html.contains("value=\"Reboot\""),
        "what was typed stays: {html}"
    );
    let deleted = browser
        .post(app.url(&format!("/replies/{vpn_id}/delete")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(deleted.headers()["location"].to_str().unwrap().contains("notice=deleted"));
    assert_eq!(app.api(Method::DELETE, &path, &ada_t, None).await.0, 404);

    // Each change is in the audit trail.
    let (_, audit) =
        app.api(Method::GET, "/api/v1/audit/events?entity_type=reply_template", &root_t, None).await;
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["create", "update", "delete"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}
