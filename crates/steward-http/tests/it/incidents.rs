//! Incidents through the API: lifecycle, visibility, lists, conversation, attachments.

use reqwest::Method;
use serde_json::{Value, json};
use steward_core::ids::{TicketId, UserId};
use steward_test_support::TestApp;

/// A service desk: team "Desk" with agent `ada`, team "Net" with agent `ned`, requesters
/// `rita` and `ron`, admin `root`, auditor `aud`. Returns tokens in that order.
struct Desk {
    app: TestApp,
    desk: i64,
    net: i64,
    ada: (i64, String),
    ned: (i64, String),
    rita: (i64, String),
    ron: (i64, String),
    root: String,
    aud: String,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let (_, root) = app.user_with_token("root", "admin").await;
    let (ada, ada_t) = app.user_with_token("ada", "agent").await;
    let (ned, ned_t) = app.user_with_token("ned", "agent").await;
    let (rita, rita_t) = app.user_with_token("rita", "requester").await;
    let (ron, ron_t) = app.user_with_token("ron", "requester").await;
    let (_, aud) = app.user_with_token("aud", "auditor").await;
    let desk = app.app.directory().create_team(None, "Desk", "").await.unwrap().id;
    let net = app.app.directory().create_team(None, "Net", "").await.unwrap().id;
    app.app.directory().set_team_member(None, desk, ada.id, true).await.unwrap();
    app.app.directory().set_team_member(None, net, ned.id, true).await.unwrap();
    Desk {
        app,
        desk: desk.get(),
        net: net.get(),
        ada: (ada.id.get(), ada_t),
        ned: (ned.id.get(), ned_t),
        rita: (rita.id.get(), rita_t),
        ron: (ron.id.get(), ron_t),
        root,
        aud,
    }
}

impl Desk {
    async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.app.api(method, path, token, body).await
    }

    async fn raise(&self, token: &str, body: Value) -> Value {
        let (status, v) = self.call(token, Method::POST, "/api/v1/incidents", Some(body)).await;
        assert_eq!(status, 201, "{v}");
        v
    }

    async fn list(&self, token: &str) -> Value {
        self.call(token, Method::GET, "/api/v1/incidents?sort=number", None).await.1
    }

    async fn to(&self, token: &str, id: i64, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, &format!("/api/v1/incidents/{id}/transition"), Some(body)).await
    }
}

#[tokio::test]
async fn an_incident_from_creation_to_closure() {
    let d = desk().await;
    let created = d
        .raise(&d.rita.1, json!({ "title": "VPN drops every 10 minutes", "description": "Since **Monday**.", "impact": 2, "urgency": 1 }))
        .await;
    assert_eq!(created["number"], "INC000001");
    assert_eq!(created["state"], "new");
    assert_eq!(created["priority"], 2, "impact 2 + urgency 1 - 1");
    assert_eq!(created["requester_id"], d.rita.0);
    let id = created["id"].as_i64().unwrap();

    // Assigning a person implies their team and moves the incident to assigned.
    let (status, v) = d
        .call(
            &d.ada.1,
            Method::PATCH,
            &format!("/api/v1/incidents/{id}"),
            Some(json!({ "assignee_id": d.ada.0 })),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["team_id"].as_i64(), v["state"].as_str()), (Some(d.desk), Some("assigned")));

    assert_eq!(d.to(&d.ada.1, id, json!({ "to": "in_progress" })).await.0, 200);
    let (status, v) = d.to(&d.ada.1, id, json!({ "to": "on_hold" })).await;
    assert_eq!((status, v["error"]["field"].as_str()), (422, Some("hold_reason")));
    let (_, v) = d.to(&d.ada.1, id, json!({ "to": "on_hold", "hold_reason": "awaiting_customer" })).await;
    assert_eq!(v["state"], "on_hold");

    // The requester answers; work resumes by itself.
    let (status, _) = d
        .call(
            &d.rita.1,
            Method::POST,
            &format!("/api/v1/incidents/{id}/comments"),
            Some(json!({ "body": "It happens on Wi-Fi only" })),
        )
        .await;
    assert_eq!(status, 201);
    let (_, v) = d.call(&d.rita.1, Method::GET, &format!("/api/v1/incidents/{id}"), None).await;
    assert_eq!((v["state"].as_str(), v["hold_reason"].as_str()), (Some("in_progress"), None));

    let (status, v) = d.to(&d.ada.1, id, json!({ "to": "resolved", "resolution_code": "fixed" })).await;
    assert_eq!((status, v["error"]["field"].as_str()), (422, Some("resolution_note")));
    let (status, v) = d
        .to(&d.ada.1, id, json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Replaced the Wi-Fi driver" }))
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["resolved_at"].is_string());

    let (status, v) = d.to(&d.ada.1, id, json!({ "to": "on_hold", "hold_reason": "awaiting_vendor" })).await;
    assert_eq!(status, 409);
    assert_eq!(v["error"]["code"], "illegal_transition");
    assert_eq!(v["error"]["allowed"], json!(["in_progress", "closed"]));

    // The requester reopens (counted), the agent resolves again, the requester confirms.
    let (_, v) = d.to(&d.rita.1, id, json!({ "to": "in_progress" })).await;
    assert_eq!((v["reopen_count"].as_i64(), v["resolution_note"].as_str()), (Some(1), None));
    d.to(
        &d.ada.1,
        id,
        json!({ "to": "resolved", "resolution_code": "workaround", "resolution_note": "Wired link" }),
    )
    .await;
    let (status, v) = d.to(&d.rita.1, id, json!({ "to": "closed" })).await;
    assert_eq!((status, v["state"].as_str()), (200, Some("closed")));
    let (status, v) = d.to(&d.root, id, json!({ "to": "in_progress" })).await;
    assert_eq!(status, 409);
    assert_eq!(v["error"]["allowed"], json!([]));

    // Every step is in the activity stream with who, what field, old → new.
    let (_, activity) =
        d.call(&d.ada.1, Method::GET, &format!("/api/v1/incidents/{id}/activity"), None).await;
    let items = activity["items"].as_array().unwrap();
    let events: Vec<&Value> = items.iter().filter(|i| i["type"] == "event").map(|i| &i["event"]).collect();
    assert_eq!(events[0]["action"], "create");
    let assign = events.iter().find(|e| e["after"]["assignee_id"] == d.ada.0).unwrap();
    assert_eq!(assign["before"]["assignee_id"], Value::Null);
    assert_eq!(assign["actor"], "ada");
    assert!(
        events.iter().any(|e| e["before"]["state"] == "resolved" && e["after"]["state"] == "in_progress")
    );
    assert!(items.iter().any(|i| i["type"] == "comment" && i["comment"]["author"] == "rita"));
}

#[tokio::test]
async fn who_sees_what() {
    let d = desk().await;
    let rita_inc = d.raise(&d.rita.1, json!({ "title": "Printer jam" })).await["id"].as_i64().unwrap();
    let net_inc = d.raise(&d.root, json!({ "title": "Core switch flapping", "team_id": d.net })).await["id"]
        .as_i64()
        .unwrap();
    let desk_inc = d
        .raise(&d.ada.1, json!({ "title": "Laptop slow", "requester_id": d.ron.0, "team_id": d.desk }))
        .await["id"]
        .as_i64()
        .unwrap();

    let ids = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&d.list(&d.rita.1).await), vec![rita_inc], "requesters see their own");
    assert_eq!(ids(&d.list(&d.ron.1).await), vec![desk_inc]);
    assert_eq!(ids(&d.list(&d.ada.1).await), vec![rita_inc, desk_inc], "agents: own team + unassigned queue");
    assert_eq!(ids(&d.list(&d.ned.1).await), vec![rita_inc, net_inc]);
    assert_eq!(ids(&d.list(&d.aud).await), vec![rita_inc, net_inc, desk_inc], "auditors see all");

    // Get, update, comment and attach on someone else's incident: not found.
    for (token, id) in [(&d.rita.1, desk_inc), (&d.ada.1, net_inc)] {
        assert_eq!(d.call(token, Method::GET, &format!("/api/v1/incidents/{id}"), None).await.0, 404);
        let patch = d
            .call(
                token,
                Method::PATCH,
                &format!("/api/v1/incidents/{id}"),
                Some(json!({ "title": "mine now" })),
            )
            .await;
        assert!(matches!(patch.0, 403 | 404), "{patch:?}");
        let c = d
            .call(
                token,
                Method::POST,
                &format!("/api/v1/incidents/{id}/comments"),
                Some(json!({ "body": "hi" })),
            )
            .await;
        assert!(matches!(c.0, 403 | 404), "{c:?}");
        assert_eq!(
            d.call(token, Method::GET, &format!("/api/v1/incidents/{id}/comments"), None).await.0,
            404
        );
        let response = reqwest::Client::new()
            .post(d.app.url(&format!("/api/v1/incidents/{id}/attachments?filename=a.txt")))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert!(matches!(response.status().as_u16(), 403 | 404));
    }
    // Auditors read everything and change nothing.
    let (status, _) = d
        .call(&d.aud, Method::PATCH, &format!("/api/v1/incidents/{net_inc}"), Some(json!({ "title": "x" })))
        .await;
    assert_eq!(status, 403);
    assert_eq!(d.to(&d.aud, net_inc, json!({ "to": "cancelled" })).await.0, 403);
    // Requesters cannot assign or raise for others, nor move their incident along.
    let (status, _) = d
        .call(&d.rita.1, Method::POST, "/api/v1/incidents", Some(json!({ "title": "x", "team_id": d.desk })))
        .await;
    assert_eq!(status, 403);
    assert_eq!(d.to(&d.rita.1, rita_inc, json!({ "to": "cancelled" })).await.0, 403);
    let (_, v) = d.call(&d.root, Method::GET, &format!("/api/v1/incidents/{desk_inc}"), None).await;
    assert_eq!(v["title"], "Laptop slow", "nothing changed");
}

#[tokio::test]
async fn work_notes_and_internal_files_stay_with_agents() {
    let d = desk().await;
    let id = d.raise(&d.rita.1, json!({ "title": "Mail bounce" })).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}/comments");
    d.call(
        &d.ada.1,
        Method::POST,
        &path,
        Some(json!({ "body": "Looks like the **MX** record, @ned please check", "internal": true })),
    )
    .await;
    d.call(&d.ada.1, Method::POST, &path, Some(json!({ "body": "We are on it" }))).await;
    let (status, _) =
        d.call(&d.rita.1, Method::POST, &path, Some(json!({ "body": "secret", "internal": true }))).await;
    assert_eq!(status, 403, "requesters write no work notes");

    let (_, theirs) = d.call(&d.rita.1, Method::GET, &path, None).await;
    let bodies: Vec<&str> =
        theirs["items"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["We are on it"]);
    let (_, ours) = d.call(&d.ada.1, Method::GET, &path, None).await;
    assert_eq!(
        ours["items"][0]["body_html"],
        "<p>Looks like the <strong>MX</strong> record, @ned please check</p>\n"
    );
    let (_, activity) =
        d.call(&d.rita.1, Method::GET, &format!("/api/v1/incidents/{id}/activity"), None).await;
    assert!(!serde_json::to_string(&activity).unwrap().contains("MX record"));
    // The mentioned agent now watches the incident.
    let watchers = d.app.app.store().watchers(TicketId(id)).await.unwrap();
    assert_eq!(watchers, vec![UserId(d.ned.0)]);

    let upload = |token: &str, query: &str, content_type: &str, body: Vec<u8>| {
        reqwest::Client::new()
            .post(d.app.url(&format!("/api/v1/incidents/{id}/attachments?{query}")))
            .bearer_auth(token.to_owned())
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
    };
    let r =
        upload(&d.ada.1, "filename=..%2Fmx.log&internal=true", "text/plain", b"dig mx example.com".to_vec())
            .await
            .unwrap();
    assert_eq!(r.status(), 201);
    let internal: Value = r.json().await.unwrap();
    assert_eq!(internal["filename"], "mx.log");
    let r =
        upload(&d.rita.1, "filename=shot.png", "image/png", b"\x89PNG\r\n\x1a\nrest".to_vec()).await.unwrap();
    assert_eq!(r.status(), 201);
    let public: Value = r.json().await.unwrap();

    let (_, theirs) =
        d.call(&d.rita.1, Method::GET, &format!("/api/v1/incidents/{id}/attachments"), None).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    let hidden = format!("/api/v1/attachments/{}", internal["id"]);
    assert_eq!(d.call(&d.rita.1, Method::GET, &hidden, None).await.0, 404);
    let download = reqwest::Client::new()
        .get(d.app.url(&format!("/api/v1/attachments/{}", public["id"])))
        .bearer_auth(&d.rita.1)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert!(download.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\nrest");
}

#[tokio::test]
async fn lists_filter_sort_search_and_page() {
    let d = desk().await;
    let titles =
        ["数据库连接池耗尽", "Disk full on db01", "VPN slow", "Disk latency on db02", "Printer offline"];
    for (n, title) in titles.iter().enumerate() {
        let impact = (n % 3) as i64 + 1;
        d.raise(
            &d.ada.1,
            json!({ "title": title, "impact": impact, "urgency": 1, "team_id": d.desk, "tags": ["batch"] }),
        )
        .await;
    }
    let numbers = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let (_, v) = d.call(&d.ada.1, Method::GET, "/api/v1/incidents?q=disk", None).await;
    assert_eq!(numbers(&v), vec!["INC000004", "INC000002"], "case-insensitive substring, newest first");
    let (_, v) = d.call(&d.ada.1, Method::GET, "/api/v1/incidents?q=%E8%BF%9E%E6%8E%A5%E6%B1%A0", None).await;
    assert_eq!(numbers(&v), vec!["INC000001"], "Chinese substring (连接池)");
    let (_, v) = d.call(&d.ada.1, Method::GET, "/api/v1/incidents?q=inc000003", None).await;
    assert_eq!(numbers(&v), vec!["INC000003"], "by number");

    let (_, v) = d
        .call(
            &d.ada.1,
            Method::GET,
            &format!("/api/v1/incidents?team={}&state=assigned,new&sort=priority", d.desk),
            None,
        )
        .await;
    let priorities: Vec<i64> =
        v["items"].as_array().unwrap().iter().map(|i| i["priority"].as_i64().unwrap()).collect();
    assert_eq!(priorities, vec![1, 1, 2, 2, 3]);

    // Walk the list two at a time with the cursor.
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?sort=-number&limit=2".to_owned();
    loop {
        let (status, v) = d.call(&d.ada.1, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{v}");
        seen.extend(numbers(&v));
        match v["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?sort=-number&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["INC000005", "INC000004", "INC000003", "INC000002", "INC000001"]);

    let (_, v) = d.call(&d.ada.1, Method::GET, "/api/v1/incidents?priority=1&tag=batch", None).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let (_, v) = d
        .call(&d.ada.1, Method::GET, "/api/v1/incidents?created_from=2000-01-01&created_to=2001-01-01", None)
        .await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (_, v) = d.call(&d.ada.1, Method::GET, "/api/v1/incidents?assignee=none&requester=me", None).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn resolved_incidents_close_themselves() {
    let d = desk().await;
    let id = d.raise(&d.ada.1, json!({ "title": "Old one" })).await["id"].as_i64().unwrap();
    d.to(&d.ada.1, id, json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "done" }))
        .await;
    let fresh = d.raise(&d.ada.1, json!({ "title": "New one" })).await["id"].as_i64().unwrap();
    d.to(&d.ada.1, fresh, json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "done" }))
        .await;
    let raw = d.app.db.raw_pool().await;
    let long_ago = jiff::Timestamp::now().as_millisecond() - 8 * 24 * 3600 * 1000;
    sqlx::query("UPDATE tickets SET resolved_at = $1 WHERE id = $2")
        .bind(long_ago)
        .bind(id)
        .execute(&raw)
        .await
        .unwrap();
    assert_eq!(d.app.app.incidents().auto_close_resolved().await.unwrap(), 1);
    let (_, v) = d.call(&d.ada.1, Method::GET, &format!("/api/v1/incidents/{id}"), None).await;
    assert_eq!(v["state"], "closed");
    let (_, v) = d.call(&d.ada.1, Method::GET, &format!("/api/v1/incidents/{fresh}"), None).await;
    assert_eq!(v["state"], "resolved");
    let (_, events) = d
        .call(
            &d.root,
            Method::GET,
            &format!("/api/v1/audit/events?entity_type=incident&entity_id={id}"),
            None,
        )
        .await;
    assert_eq!(events["items"][0]["action"], "auto_close");
    assert_eq!(events["items"][0]["actor"], "system");
}

#[tokio::test]
async fn the_openapi_document_describes_the_incident_api() {
    let d = desk().await;
    let (status, doc) = d.call(&d.rita.1, Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/incidents/{id}/transition"]["post"]["requestBody"].is_object());
    assert_eq!(doc["components"]["schemas"]["Incident"]["properties"]["priority"]["maximum"], 5);
}

#[tokio::test]
async fn read_only_tokens_change_nothing() {
    let d = desk().await;
    let id = d.raise(&d.rita.1, json!({ "title": "Scanner offline" })).await["id"].as_i64().unwrap();
    d.to(&d.ada.1, id, json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "power" }))
        .await;
    let rita_read = d.app.token("rita", "read").await;
    let ada_read = d.app.token("ada", "read").await;
    assert_eq!(d.to(&rita_read, id, json!({ "to": "closed" })).await.0, 403, "closing is a write");
    let watch =
        d.call(&ada_read, Method::PUT, &format!("/api/v1/incidents/{id}/watchers/{}", d.ada.0), None).await;
    assert_eq!(watch.0, 403);
    let me = d
        .call(
            &rita_read,
            Method::PATCH,
            &format!("/api/v1/users/{}", d.rita.0),
            Some(json!({ "password": "taken over!!" })),
        )
        .await;
    assert_eq!(me.0, 403, "a read token cannot change its owner's password");
    let (status, _) = d
        .call(&d.rita.1, Method::POST, "/api/v1/incidents", Some(json!({ "title": "x", "related": [id] })))
        .await;
    assert_eq!(status, 403, "requesters do not link incidents");
    let (_, v) = d.call(&d.root, Method::GET, &format!("/api/v1/incidents/{id}"), None).await;
    assert_eq!(v["state"], "resolved");
}

/// Bug 2 of issue 17: a requester's ticket went to no team, so no agent's "My teams" queue
/// showed it. Routing: subcategory's team, else category's, else the intake team.
#[tokio::test]
async fn requester_tickets_reach_a_team_by_category_or_the_intake_team() {
    let d = desk().await;
    let r = &d;
    let post = |path: &'static str, body: Value| async move {
        r.call(&r.root, Method::POST, path, Some(body)).await
    };
    let (_, network) = post("/api/v1/categories", json!({ "name": "Network" })).await;
    let network = network["id"].as_i64().unwrap();
    let (_, wifi) = post("/api/v1/categories", json!({ "name": "Wi-Fi", "parent_id": network })).await;
    let (_, vpn) = post("/api/v1/categories", json!({ "name": "VPN", "parent_id": network })).await;
    let (wifi, vpn) = (wifi["id"].as_i64().unwrap(), vpn["id"].as_i64().unwrap());

    // With no rule at all a ticket has no team, as before.
    let nothing = d.raise(&d.rita.1, json!({ "title": "Printer jams" })).await;
    assert_eq!(nothing["team_id"], Value::Null);

    let patch =
        |path: String, body: Value| async move { r.call(&r.root, Method::PATCH, &path, Some(body)).await };
    let (status, team) = patch(format!("/api/v1/teams/{}", d.desk), json!({ "intake": true })).await;
    assert_eq!((status, team["intake"].clone()), (200, json!(true)), "{team}");
    let (status, c) = patch(format!("/api/v1/categories/{network}"), json!({ "team_id": d.net })).await;
    assert_eq!((status, c["team_id"].as_i64()), (200, Some(d.net)), "{c}");
    let (status, _) = patch(format!("/api/v1/categories/{wifi}"), json!({ "team_id": d.desk })).await;
    assert_eq!(status, 200);

    let raise = |body: Value| d.raise(&d.rita.1, body);
    let plain = raise(json!({ "title": "Printer jams again" })).await;
    assert_eq!(plain["team_id"].as_i64(), Some(d.desk), "no category: the intake team");
    let by_category = raise(json!({ "title": "Slow LAN", "category_id": network })).await;
    assert_eq!(by_category["team_id"].as_i64(), Some(d.net));
    let by_sub = raise(json!({ "title": "No Wi-Fi", "category_id": network, "subcategory_id": wifi })).await;
    assert_eq!(by_sub["team_id"].as_i64(), Some(d.desk), "the subcategory's own team wins");
    let inherits =
        raise(json!({ "title": "VPN drops", "category_id": network, "subcategory_id": vpn })).await;
    assert_eq!(inherits["team_id"].as_i64(), Some(d.net), "a subcategory without a team inherits");

    // The team's agents see it in their queue; an agent's explicit choice still wins.
    let mine = d.call(&d.ned.1, Method::GET, "/api/v1/incidents?team=mine", None).await.1;
    let numbers: Vec<_> = mine["items"].as_array().unwrap().iter().map(|i| i["title"].clone()).collect();
    assert!(numbers.contains(&json!("VPN drops")), "{mine}");
    let chosen =
        d.raise(&d.ada.1, json!({ "title": "Switch down", "category_id": network, "team_id": d.desk })).await;
    assert_eq!(chosen["team_id"].as_i64(), Some(d.desk));

    // One intake team at a time; bad input is named.
    let (_, net_team) = patch(format!("/api/v1/teams/{}", d.net), json!({ "intake": true })).await;
    assert_eq!(net_team["intake"], true);
    let teams = d.call(&d.root, Method::GET, "/api/v1/teams", None).await.1;
    let intakes = teams["items"].as_array().unwrap().iter().filter(|t| t["intake"] == true).count();
    assert_eq!(intakes, 1, "{teams}");
    let (status, e) = patch(format!("/api/v1/categories/{network}"), json!({ "team_id": 999 })).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("team_id"), "{e}");
    let (status, _) = patch("/api/v1/categories/999".into(), json!({ "team_id": null })).await;
    assert_eq!(status, 404);
    let (status, _) = d
        .call(&d.ada.1, Method::PATCH, &format!("/api/v1/teams/{}", d.desk), Some(json!({ "intake": true })))
        .await;
    assert_eq!(status, 403, "only admins route");
}
