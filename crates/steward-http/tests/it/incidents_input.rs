//! Bad input on incidents: a clear 4xx naming the field, and the stored data unchanged.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

#[tokio::test]
async fn bad_incidents_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (rita, _) = app.user_with_token("rita", "requester").await;
    let cases = [
        (json!({ "title": "" }), 422, "title"),
        (json!({ "title": "   " }), 422, "title"),
        (json!({ "title": "x".repeat(201) }), 422, "title"),
        (json!({ "title": "ok", "impact": 0 }), 422, "impact"),
        (json!({ "title": "ok", "impact": 4 }), 422, "impact"),
        (json!({ "title": "ok", "urgency": "high" }), 422, "urgency"),
        (json!({ "title": "ok", "team_id": 999 }), 422, "team_id"),
        (json!({ "title": "ok", "assignee_id": rita.id }), 422, "assignee_id"),
        (json!({ "title": "ok", "requester_id": 999 }), 422, "requester_id"),
        (json!({ "title": "ok", "category_id": 5 }), 422, "category_id"),
        (json!({ "title": "ok", "parent_id": 77 }), 422, "parent_id"),
        (json!({ "title": "ok", "tags": ["no spaces allowed"] }), 422, "tags"),
        (json!({ "title": "ok", "state": "closed" }), 422, "state"),
        (json!({ "title": "ok", "description": "bell\u{7}" }), 422, "description"),
    ];
    for (body, status, field) in cases {
        let (got, reply) = app.api(Method::POST, "/api/v1/incidents", &agent, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {reply}");
        assert_eq!(reply["error"]["field"], field, "{body}: {reply}");
    }
    let megabyte = format!(r#"{{"title":"{}"}}"#, "x".repeat(1024 * 1024));
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&agent)
        .header("content-type", "application/json")
        .body(megabyte)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "a 1 MB title");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&agent)
        .header("content-type", "application/json")
        .body(b"{\"title\":\"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "invalid UTF-8");
    let (_, list) = app.api(Method::GET, "/api/v1/incidents", &agent, None).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing was stored");
    let (_, v) = app.api(Method::POST, "/api/v1/incidents", &agent, Some(json!({ "title": "first" }))).await;
    assert_eq!(v["number"], "INC000001", "refused requests used no numbers");
}

#[tokio::test]
async fn bad_updates_and_transitions_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let (_, v) = app
        .api(Method::POST, "/api/v1/incidents", &agent, Some(json!({ "title": "Keep me", "impact": 2 })))
        .await;
    let id = v["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}");
    let before: Value = app.api(Method::GET, &path, &agent, None).await.1;

    for (body, status, field) in [
        (json!({ "impact": 9 }), 422, "impact"),
        (json!({ "title": "" }), 422, "title"),
        (json!({ "colour": "red" }), 422, "colour"),
        (json!({ "parent_id": id }), 422, "parent_id"),
    ] {
        let (got, reply) = app.api(Method::PATCH, &path, &agent, Some(body.clone())).await;
        assert_eq!((got, reply["error"]["field"].as_str()), (status, Some(field)), "{body}");
    }
    for (body, status, code) in [
        (json!({ "to": "flying" }), 422, "invalid"),
        (json!({ "to": "closed" }), 409, "illegal_transition"),
        (json!({ "to": "assigned" }), 422, "invalid"),
    ] {
        let (got, reply) =
            app.api(Method::POST, &format!("{path}/transition"), &agent, Some(body.clone())).await;
        assert_eq!((got, reply["error"]["code"].as_str()), (status, Some(code)), "{body}: {reply}");
    }
    let stale = reqwest::Client::new()
        .patch(app.url(&path))
        .bearer_auth(&agent)
        .header("if-match", "\"0\"")
        .json(&json!({ "title": "Overwritten" }))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let ok = reqwest::Client::new()
        .patch(app.url(&path))
        .bearer_auth(&agent)
        .header("if-match", "\"1\"")
        .json(&json!({ "urgency": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let after: Value = ok.json().await.unwrap();
    assert_eq!(
        (after["priority"].as_i64(), after["version"].as_i64()),
        (Some(2), Some(2)),
        "priority recomputed"
    );
    assert_eq!(after["title"], before["title"]);

    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let r = reqwest::Client::new()
        .post(app.url(&format!("{path}/attachments?filename=big.txt")))
        .bearer_auth(&agent)
        .header("content-type", "text/plain")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    for (content_type, body, field) in [
        ("application/x-msdownload", b"MZ....".to_vec(), "content_type"),
        ("image/png", b"<html>not a png".to_vec(), "content_type"),
        ("text/plain", vec![0xff, 0xfe], "content_type"),
        ("text/plain", vec![], "file"),
    ] {
        let r = reqwest::Client::new()
            .post(app.url(&format!("{path}/attachments?filename=f")))
            .bearer_auth(&agent)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{content_type}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["field"], field, "{content_type}");
    }
    let (_, files) = app.api(Method::GET, &format!("{path}/attachments"), &agent, None).await;
    assert!(files["items"].as_array().unwrap().is_empty());
}
