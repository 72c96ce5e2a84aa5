//! Big deliveries (issue 18): 10,000 alerts in one webhook are taken whole; a body over the
//! receivers' limit, or one bad alert among them, is refused whole with nothing kept.

use reqwest::Method;
use serde_json::{Value, json};
use steward_test_support::TestApp;

fn alerts(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": { "alertname": "DiskFull", "instance": format!("node-{i}:9100"), "job": "node",
                            "severity": "warning", "cluster": "bj-1", "team": "storage" },
                "annotations": { "summary": "Disk almost full", "description": format!("node-{i} has 3% left on /var") },
                "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.local/graph", "fingerprint": format!("{i:016x}")
            })
        })
        .collect()
}

fn webhook(alerts: Vec<Value>) -> Value {
    json!({ "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing", "receiver": "steward",
            "truncatedAlerts": 0, "alerts": alerts })
}

async fn stored(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM alerts")
        .fetch_one(&app.db.raw_pool().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn ten_thousand_alerts_in_one_webhook_are_taken_whole_and_a_bigger_body_is_refused_whole() {
    let app = TestApp::spawn().await;
    app.user("prometheus", "agent").await;
    let bot = app.token("prometheus", "alerts").await;

    // One bad alert at the end: nothing of the delivery is kept.
    let mut list = alerts(10_000);
    list[9_999]["status"] = json!("burning");
    let (status, out) = app.api(Method::POST, "/hooks/alertmanager", &bot, Some(webhook(list))).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("alerts[9999].status")), "{out}");
    assert_eq!(stored(&app).await, 0);

    let body = webhook(alerts(10_000));
    assert!(body.to_string().len() > 3_000_000, "a realistic size");
    let (status, out) = app.api(Method::POST, "/hooks/alertmanager", &bot, Some(body.clone())).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!((out["received"].as_i64(), out["new"].as_i64()), (Some(10_000), Some(10_000)));
    assert_eq!(out["incidents_opened"].as_array().map(Vec::len), Some(1), "one group, one incident");
    assert_eq!(stored(&app).await, 10_000);
    // Sent again: all repeats.
    let (_, out) = app.api(Method::POST, "/hooks/alertmanager", &bot, Some(body)).await;
    assert_eq!((out["new"].as_i64(), out["repeated"].as_i64()), (Some(0), Some(10_000)), "{out}");

    // Over the receivers' 8 MiB: 413 with a JSON error, and nothing kept.
    let (status, out) =
        app.api(Method::POST, "/hooks/alertmanager", &bot, Some(webhook(alerts(25_000)))).await;
    assert_eq!((status, out["error"]["code"].as_str()), (413, Some("payload_too_large")), "{out}");
    assert_eq!(stored(&app).await, 10_000);
    // Announced as 10 MB: refused before it is read.
    let r = reqwest::Client::new()
        .post(app.url("/hooks/alertmanager"))
        .bearer_auth(&bot)
        .header("content-type", "application/json")
        .body(vec![b' '; 10_000_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    // Grafana's receiver reads its body itself (to check the signature): the same limit.
    let (status, _) = app
        .api(Method::POST, "/hooks/grafana", &bot, Some(json!({ "version": "1", "alerts": alerts(25_000) })))
        .await;
    assert_eq!(status, 413);
}
