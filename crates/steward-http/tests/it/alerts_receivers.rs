//! The receivers besides Alertmanager's and Grafana's (issue 18): Zabbix — through the media
//! type Steward ships, its JavaScript run under Node with Zabbix's `HttpRequest` made a real
//! HTTP call —, the generic format, Alerta's `POST /alert`, and Basic and `Key` authentication.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::AppConfig;
use steward_test_support::TestApp;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// Runs the media type's script with these parameters (as Zabbix resolves its macros);
/// returns its exit code and what it returned.
async fn zabbix(params: &Value) -> (i32, String) {
    let out = tokio::process::Command::new("node")
        .arg(repo("crates/steward-http/tests/zabbix/harness.js"))
        .arg(repo("docs/integrations/zabbix/steward.js"))
        .arg(params.to_string())
        .output()
        .await
        .expect("node (the test script installs it)");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_media_type_export_holds_the_shipped_script() {
    let yaml = std::fs::read_to_string(repo("docs/integrations/zabbix/media_steward.yaml")).unwrap();
    let script = std::fs::read_to_string(repo("docs/integrations/zabbix/steward.js")).unwrap();
    let start = yaml.find("      script: |\n").expect("a script block") + "      script: |\n".len();
    let block: Vec<&str> =
        yaml[start..].lines().take_while(|l| l.is_empty() || l.starts_with("        ")).collect();
    let unindented: Vec<&str> = block.iter().map(|l| l.get(8..).unwrap_or("")).collect();
    assert_eq!(unindented.join("\n").trim_end(), script.trim_end());
    for macro_ in [
        "{EVENT.ID}",
        "{EVENT.VALUE}",
        "{EVENT.UPDATE.STATUS}",
        "{EVENT.ACK.STATUS}",
        "{EVENT.NSEVERITY}",
        "{HOST.NAME}",
        "{HOST.IP}",
        "{TRIGGER.ID}",
        "{EVENT.NAME}",
        "{ALERT.MESSAGE}",
        "{EVENT.TAGSJSON}",
        "{$ZABBIX.URL}",
    ] {
        assert!(yaml.contains(&format!("value: '{macro_}'")), "{macro_} is sent");
    }
    assert!(yaml.contains("process_tags: 'YES'"));
}

#[tokio::test]
async fn zabbix_problems_updates_and_recoveries_through_the_media_type_land_on_one_incident() {
    let config = AppConfig { public_url: Some("https://steward.example".into()), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, Default::default()).await;
    app.user("zabbix", "agent").await;
    let bot = app.token("zabbix", "alerts").await;
    let reader = app.token("zabbix", "read write").await;
    let params = |value: &str, update: &str, token: &str| {
        json!({
            "steward_url": app.url("/"), "steward_token": token,
            "event_id": "8842", "event_value": value, "event_update_status": update, "event_ack_status": if update == "1" { "Yes" } else { "No" },
            "event_nseverity": "4", "host_name": "db01", "host_ip": "{HOST.IP}", "trigger_id": "23066",
            "event_name": "Free disk space is less than 5% on /var", "alert_message": "Problem started at 10:00",
            "event_tags": "[{\"tag\":\"service\",\"value\":\"billing\"},{\"tag\":\"scope\",\"value\":\"capacity\"}]",
            "zabbix_url": "https://zabbix.example/", "http_proxy": ""
        })
    };
    let (code, out) = zabbix(&params("1", "0", &bot)).await;
    assert_eq!(code, 0, "{out}");
    let tags: Value = serde_json::from_str(&out).unwrap();
    let number = tags["tags"]["__zbx_steward_incident"].as_str().expect("the incident's tag").to_owned();
    let link = tags["tags"]["__zbx_steward_link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("https://steward.example/incidents/"), "{link}");
    let id: i64 = link.rsplit('/').next().unwrap().parse().unwrap();
    let (_, incident) = app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &reader, None).await;
    assert_eq!(incident["number"], number.as_str());
    assert_eq!(incident["title"], "Free disk space is less than 5% on /var on db01");
    assert_eq!(incident["priority"], 2, "Zabbix's High is critical: a P2");

    // Zabbix retries, and an acknowledgement sends an update: the same alert, the same incident.
    for update in ["0", "1"] {
        let (code, out) = zabbix(&params("1", update, &bot)).await;
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap()["tags"]["__zbx_steward_incident"],
            number.as_str()
        );
    }
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &reader, None).await;
    let alerts = alerts["items"].as_array().unwrap().clone();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a["source"].as_str(), a["repeats"].as_i64()), (Some("zabbix"), Some(2)));
    assert_eq!(a["labels"]["service"], "billing");
    assert_eq!(a["labels"]["severity"], "high");
    assert!(a["labels"].get("host_ip").is_none(), "an unresolved macro is not a value");
    assert_eq!(a["link"], "https://zabbix.example/tr_events.php?triggerid=23066&eventid=8842");
    assert_eq!(a["annotations"]["acknowledged"], "Yes");

    // The recovery resolves the incident.
    let (code, out) = zabbix(&params("0", "0", &bot)).await;
    assert_eq!(code, 0, "{out}");
    let (_, incident) = app.api(Method::GET, &format!("/api/v1/incidents/{id}"), &reader, None).await;
    assert_eq!(incident["state"], "resolved");

    // A revoked or wrong token: the script fails, so Zabbix retries and shows the error.
    let (code, out) = zabbix(&params("1", "0", "stw_wrong")).await;
    assert_eq!(code, 2);
    assert!(out.contains("Steward answered 401"), "{out}");
    // Bad input is refused naming the field.
    let (status, body) = app
        .api(Method::POST, "/hooks/zabbix", &bot, Some(json!({ "event_id": "1", "event_value": "2", "event_nseverity": "4", "host_name": "h", "event_name": "n" })))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("event_value")), "{body}");
    let (status, body) = app
        .api(Method::POST, "/hooks/zabbix", &bot, Some(json!({ "event_id": "{EVENT.ID}", "event_value": "1", "event_nseverity": "4", "host_name": "h", "event_name": "n" })))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("event_id")), "{body}");
}

#[tokio::test]
async fn the_generic_format_and_alertas_shape_are_taken_with_bearer_basic_or_key() {
    let app = TestApp::spawn().await;
    app.user("kuma", "agent").await;
    let bot = app.token("kuma", "alerts").await;
    let reader = app.token("kuma", "read write").await;
    let client = reqwest::Client::new();
    let generic = |status: &str| {
        json!({ "sender": "uptime-kuma", "alerts": [{ "fingerprint": "https-shop", "status": status, "severity": "critical",
            "labels": { "alertname": "SiteDown", "service": "shop.example.com" }, "annotations": { "summary": "Shop is down" },
            "starts_at": "2026-01-01T00:00:00Z" }] })
    };
    // Basic: the token is the password, as Alertmanager's and Grafana's basic_auth send it.
    let r = client
        .post(app.url("/hooks/generic"))
        .basic_auth("monitor", Some(&bot))
        .json(&generic("firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(
        (out["new"].as_i64(), out["incidents_opened"].as_array().map(Vec::len)),
        (Some(1), Some(1)),
        "{out}"
    );
    let r = client
        .post(app.url("/hooks/generic"))
        .basic_auth("monitor", Some("wrong"))
        .json(&generic("firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Basic is only for the receivers.
    let r = client.get(app.url("/api/v1/alerts")).basic_auth("monitor", Some(&bot)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (status, out) = app.api(Method::POST, "/hooks/generic", &bot, Some(generic("resolved"))).await;
    assert_eq!(
        (status, out["repeated"].as_i64(), out["incidents_resolved"].as_array().map(Vec::len)),
        (200, Some(1), Some(1)),
        "{out}"
    );
    let (_, alerts) = app.api(Method::GET, "/api/v1/alerts", &reader, None).await;
    assert_eq!(alerts["items"][0]["fingerprint"], "uptime-kuma:https-shop");
    assert_eq!(alerts["items"][0]["labels"]["sender"], "uptime-kuma");
    let mut bad = generic("firing");
    bad["alerts"][0]["starts_at"] = json!("yesterday");
    let (status, out) = app.api(Method::POST, "/hooks/generic", &bot, Some(bad)).await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("alerts[0].starts_at")), "{out}");
    let (status, _) = app
        .api(Method::POST, "/hooks/generic", &bot, Some(json!({ "alerts": [{ "status": "firing" }] })))
        .await;
    assert_eq!(status, 422, "labels are required");

    // Alerta's client: `Authorization: Key …`, POST {endpoint}/alert, `status: ok` back.
    let alerta = |severity: &str| {
        json!({ "resource": "web01", "event": "HttpServerError", "environment": "Production", "severity": severity,
            "service": ["Web"], "group": "Web", "value": "5xx=12%", "text": "Web server returns errors",
            "tags": ["dc1"], "attributes": { "region": "cn-east" }, "origin": "curl", "type": "exceptionAlert" })
    };
    let send = |body: Value| {
        client
            .post(app.url("/hooks/alerta/alert"))
            .header("authorization", format!("Key {bot}"))
            .json(&body)
            .send()
    };
    let r = send(alerta("major")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], "ok");
    let incident = out["incident"].as_i64().expect("a major alert opens an incident");
    let out: Value = send(alerta("major")).await.unwrap().json().await.unwrap();
    assert_eq!(
        (out["repeated"].as_i64(), out["incident"].as_i64()),
        (Some(1), Some(incident)),
        "de-duplicated by environment, resource, event"
    );
    let out: Value = send(alerta("normal")).await.unwrap().json().await.unwrap();
    assert_eq!(out["incidents_resolved"], json!([incident]), "{out}");
    let (status, out) = app
        .api(Method::POST, "/hooks/alerta/alert", &bot, Some(json!({ "resource": "", "event": "x" })))
        .await;
    assert_eq!((status, out["error"]["field"].as_str()), (422, Some("resource")));
}
