//! Post-incident reviews (复盘, issue 19): a P1's review records its impact and findings, its
//! timeline comes from the event log, two action items are tracked to done (an overdue one is
//! told to its owner once), and it prints and exports as Markdown — on both backends.

use reqwest::Method;
use serde_json::json;
use steward_test_support::TestApp;

#[tokio::test]
async fn a_p1_review_has_its_timeline_and_two_actions_tracked_to_done() {
    let app = TestApp::spawn().await;
    let (ada_user, ada) = app.user_with_token("ada", "agent").await;
    let (bo_user, bo) = app.user_with_token("bo", "agent").await;
    let (rita_user, rita) = app.user_with_token("rita", "requester").await;
    let (status, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &ada,
            Some(
                json!({ "title": "Email down for everyone", "impact": 1, "urgency": 1, "service": "Email" }),
            ),
        )
        .await;
    assert_eq!((status, inc["priority"].as_i64()), (201, Some(1)));
    let id = inc["id"].as_i64().unwrap();
    let fix = json!({ "to": "resolved", "resolution_code": "fixed", "resolution_note": "Restarted the mail queue." });
    assert_eq!(
        app.api(Method::POST, &format!("/api/v1/incidents/{id}/transition"), &ada, Some(fix)).await.0,
        200
    );

    let path = format!("/api/v1/incidents/{id}/review");
    assert_eq!(app.api(Method::GET, &path, &ada, None).await.0, 404, "no review yet");
    let (status, review) = app.api(Method::POST, &path, &ada, None).await;
    assert_eq!(status, 201, "{review}");
    assert_eq!(
        (review["priority"].as_i64(), review["resolved"].as_bool(), review["service"].as_str()),
        (Some(1), Some(true), Some("Email"))
    );
    assert_eq!(app.api(Method::POST, &path, &ada, None).await.0, 409, "one review per incident");
    assert_eq!(app.api(Method::POST, &path, &rita, None).await.0, 403, "reviews are staff work");

    let findings = json!({
        "summary": "Mail queue stalled after a certificate rotation.",
        "users_affected": 1200,
        "went_well": "Alert fired within a minute.",
        "went_badly": "Nobody knew the queue needed a restart.",
        "factors": "No runbook; certificate rotation untested.",
        "version": 1,
    });
    let (status, out) = app.api(Method::PUT, &path, &ada, Some(findings.clone())).await;
    assert_eq!((status, out["users_affected"].as_i64()), (200, Some(1200)), "{out}");
    assert_eq!(app.api(Method::PUT, &path, &bo, Some(findings)).await.0, 409, "a stale version is refused");
    let (status, out) = app.api(Method::PUT, &path, &ada, Some(json!({ "users_affected": -3 }))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("users_affected")));

    let today = jiff::tz::TimeZone::UTC.to_datetime(app.app.now()).date();
    let next_week = today.checked_add(jiff::Span::new().days(7)).unwrap();
    let yesterday = today.checked_sub(jiff::Span::new().days(1)).unwrap();
    let actions = format!("{path}/actions");
    let (status, runbook) = app
        .api(Method::POST, &actions, &ada, Some(json!({ "title": "Write the mail queue runbook", "owner_id": bo_user.id, "due": next_week.to_string() })))
        .await;
    assert_eq!((status, runbook["overdue"].as_bool()), (201, Some(false)), "{runbook}");
    let (status, cert) = app
        .api(Method::POST, &actions, &ada, Some(json!({ "title": "Test certificate rotation in staging", "owner_id": ada_user.id, "due": yesterday.to_string() })))
        .await;
    assert_eq!((status, cert["overdue"].as_bool()), (201, Some(true)), "{cert}");
    for (body, field) in [
        (json!({ "title": "x", "owner_id": rita_user.id, "due": next_week.to_string() }), "owner_id"),
        (json!({ "title": "x", "owner_id": bo_user.id, "due": "soon" }), "due"),
        (json!({ "title": " ", "owner_id": bo_user.id, "due": next_week.to_string() }), "title"),
    ] {
        let (status, out) = app.api(Method::POST, &actions, &ada, Some(body)).await;
        assert_eq!((status, out["error"]["field"].as_str()), (422, Some(field)), "{out}");
    }

    // The overdue action is told to its owner once.
    assert_eq!(app.app.remind_overdue_actions().await.unwrap(), 1);
    assert_eq!(app.app.remind_overdue_actions().await.unwrap(), 0);
    let (_, open) = app.api(Method::GET, "/api/v1/review-actions?owner=me", &bo, None).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");

    // Tracked to done: by the owner, then by a colleague on the incident.
    let (status, moved) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/review-actions/{}", runbook["id"]),
            &bo,
            Some(json!({ "state": "done" })),
        )
        .await;
    assert_eq!((status, moved["state"].as_str()), (200, Some("done")), "{moved}");
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/review-actions/{}", cert["id"]),
            &ada,
            Some(json!({ "state": "in_progress" })),
        )
        .await;
    assert_eq!(status, 200);
    let (_, open) = app.api(Method::GET, "/api/v1/review-actions", &ada, None).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    app.api(
        Method::PATCH,
        &format!("/api/v1/review-actions/{}", cert["id"]),
        &ada,
        Some(json!({ "state": "done" })),
    )
    .await;
    let (_, open) = app.api(Method::GET, "/api/v1/review-actions", &ada, None).await;
    assert_eq!(open["items"], json!([]), "every action done");
    let (status, out) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/review-actions/{}", cert["id"]),
            &ada,
            Some(json!({ "state": "finished" })),
        )
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("state")));

    // The timeline: the incident's events and the review's, oldest first.
    let (_, review) = app.api(Method::GET, &path, &ada, None).await;
    let lines: Vec<(String, String)> = review["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["entity"].as_str().unwrap().to_owned(), e["action"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(lines[0], ("incident".to_owned(), "create".to_owned()), "{review}");
    assert!(
        lines.contains(&("review".to_owned(), "action_add".to_owned()))
            && lines.contains(&("review".to_owned(), "action_overdue".to_owned()))
    );
    assert_eq!(review["actions"].as_array().unwrap().iter().filter(|a| a["state"] == "done").count(), 2);

    // Exported as Markdown and as a printable page.
    let response =
        reqwest::Client::new().get(app.url(&format!("{path}.md"))).bearer_auth(&ada).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
    let md = response.text().await.unwrap();
    assert!(
        md.contains("# Post-incident review: ")
            && md.contains("- Users affected: 1200")
            && md.contains("| Write the mail queue runbook | bo |"),
        "{md}"
    );
    assert!(md.contains("## Timeline (UTC)") && md.contains("## Contributing factors"));
    assert!(app.app.audit().check_state().await.unwrap().is_empty());

    let (browser, csrf) = app.signed_in("ada").await;
    let (status, page) = app.page(&browser, &format!("/incidents/{id}/review/print?lang=zh-CN")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("事后复盘")
            && page.contains("已完成")
            && page.contains("受影响用户数")
            && !page.contains("main-nav"),
        "{page}"
    );
    let (_, page) = app.page(&browser, "/reviews?lang=en").await;
    assert!(page.contains("Post-incident review") || page.contains("Reviews"));
    assert!(page.contains("No open actions.") && page.contains("Email down for everyone"), "{page}");

    // The pages' forms: another incident reviewed from its page.
    let (_, other) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &ada,
            Some(json!({ "title": "VPN slow", "impact": 2, "urgency": 1 })),
        )
        .await;
    let other_id = other["id"].as_i64().unwrap();
    let (_, incident_page) = app.page(&browser, &format!("/incidents/{other_id}?lang=en")).await;
    assert!(
        incident_page.contains("A P1 or P2 incident should be reviewed.")
            && incident_page.contains("review-start")
    );
    let started = browser
        .post(app.url(&format!("/incidents/{other_id}/review")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(started.headers()["location"], format!("/incidents/{other_id}/review").as_str());
    let added = browser
        .post(app.url(&format!("/incidents/{other_id}/review/actions")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "Add VPN capacity alert"),
            ("owner_id", &ada_user.id.to_string()),
            ("due", &next_week.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert!(!added.headers()["location"].to_str().unwrap().contains("error"));
    let saved = browser
        .post(app.url(&format!("/incidents/{other_id}/review/findings")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("summary", "Concentrator saturated"),
            ("users_affected", "40"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(!saved.headers()["location"].to_str().unwrap().contains("error"));
    let (_, page) = app.page(&browser, &format!("/incidents/{other_id}/review?lang=zh-CN")).await;
    assert!(
        page.contains("Add VPN capacity alert")
            && page.contains("Concentrator saturated")
            && page.contains("改进措施"),
        "{page}"
    );
}
