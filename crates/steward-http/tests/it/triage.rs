//! Auto-triage (issue 22): classifiers trained on the desk's resolved incidents route a new
//! Chinese incident to the right team and category, with a work note saying so; with too little
//! history they say so instead of guessing.

use reqwest::Method;
use serde_json::{Value, json};
use steward_app::AppConfig;
use steward_http::HttpConfig;
use steward_test_support::TestApp;

const VPN: [&str; 8] = [
    "VPN keeps dropping when working from home",
    "VPN 连不上，在家无法访问内网",
    "Cannot reach intranet over VPN since the client update",
    "远程 VPN 频繁断线，需要重新登录",
    "VPN client says certificate expired",
    "出差时 VPN 认证失败，提示超时",
    "Remote access tunnel disconnects every ten minutes",
    "在家连接公司 VPN 后访问不了共享盘",
];
const PRINTER: [&str; 8] = [
    "Printer on the 3rd floor jams every few pages",
    "三楼打印机卡纸，打印任务一直排队",
    "Print jobs stuck in the queue, nothing comes out",
    "打印机提示缺少碳粉，打不出来",
    "Cannot add the new network printer to my laptop",
    "财务部打印机打印出来全是乱码",
    "Printer prints blank pages after the driver update",
    "会议室旁边的打印机无法扫描到邮箱",
];

async fn resolved(app: &TestApp, token: &str, title: &str, category: i64, team: i64, i: usize) {
    let (s, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            token,
            Some(json!({"title": format!("{title} #{i}"), "description": format!("{title}. Reported by user {i}."),
                        "category_id": category, "team_id": team})),
        )
        .await;
    assert_eq!(s, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    for body in [
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "resolution_code": "fixed", "resolution_note": "Fixed"}),
    ] {
        let (s, out) =
            app.api(Method::POST, &format!("/api/v1/incidents/{id}/transition"), token, Some(body)).await;
        assert_eq!(s, 200, "{out}");
    }
}

#[tokio::test]
async fn a_new_chinese_incident_is_routed_to_the_right_team_by_the_classifier() {
    let config = AppConfig { triage_threshold: Some(0.5), ..AppConfig::default() };
    let app = TestApp::spawn_with(config, HttpConfig::default()).await;
    let (_, admin) = app.user_with_token("root", "admin").await;
    let (_, requester) = app.user_with_token("rita", "requester").await;
    let network = app.app.directory().create_team(None, "Network", "LAN, WAN, VPN").await.unwrap().id.get();
    let desk = app.app.directory().create_team(None, "Service Desk", "First line").await.unwrap().id.get();
    let vpn = app.app.incidents().create_category(None, "VPN", None).await.unwrap().get();
    let printer = app.app.incidents().create_category(None, "Printer", None).await.unwrap().get();

    // Too little history: it says so.
    let (s, report) = app.api(Method::POST, "/api/v1/triage/train", &admin, None).await;
    assert_eq!(s, 200, "{report}");
    assert!(report["trained_at"].is_null(), "{report}");
    assert!(report["untrained"][0].as_str().unwrap().contains("too little history"), "{report}");
    let (s, e) =
        app.api(Method::POST, "/api/v1/triage/suggest", &admin, Some(json!({"title": "VPN down"}))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("model")), "{e}");
    assert_eq!(app.api(Method::POST, "/api/v1/triage/train", &requester, None).await.0, 403);
    let (browser, csrf) = app.signed_in("root").await;
    let (s, html) = app.page(&browser, "/triage?lang=en").await;
    assert_eq!(s, 200);
    assert!(html.contains(r#"id="triage-none""#), "{html}");
    let (rita, _) = app.signed_in("rita").await;
    assert_eq!(app.page(&rita, "/triage").await.0, 403);

    for i in 0..24 {
        resolved(&app, &admin, VPN[i % VPN.len()], vpn, network, i).await;
        resolved(&app, &admin, PRINTER[i % PRINTER.len()], printer, desk, i).await;
    }
    let (s, report) = app.api(Method::POST, "/api/v1/triage/train", &admin, None).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["examples"], 48);
    assert!(report["accuracy"]["team"].as_f64().unwrap() >= 0.9, "{report}");
    let (_, shown) = app.api(Method::GET, "/api/v1/triage", &admin, None).await;
    assert_eq!(shown["examples"], 48);

    let (s, suggestions) = app
        .api(Method::POST, "/api/v1/triage/suggest", &admin, Some(json!({"title": "打印机又卡纸了"})))
        .await;
    assert_eq!(s, 200);
    let team: &Value =
        suggestions["items"].as_array().unwrap().iter().find(|s| s["field"] == "team").unwrap();
    assert_eq!(
        (team["label"].as_str(), team["value"].as_str()),
        (Some("Service Desk"), Some(desk.to_string().as_str()))
    );

    // A requester raises a new incident in Chinese, naming no team or category.
    let (s, inc) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &requester,
            Some(json!({"title": "VPN 连不上", "description": "今天早上开始在家连不上公司 VPN，一直提示连接超时。"})),
        )
        .await;
    assert_eq!(s, 201, "{inc}");
    assert_eq!((inc["team_id"].as_i64(), inc["category_id"].as_i64()), (Some(network), Some(vpn)), "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let (_, comments) = app.api(Method::GET, &format!("/api/v1/incidents/{id}/comments"), &admin, None).await;
    let notes = comments["items"].as_array().unwrap();
    assert!(
        notes.iter().any(|c| c["body"].as_str().unwrap_or_default().starts_with("Auto-triage set")
            && c["internal"] == true),
        "{comments}"
    );
    // What the raiser set is never touched; what they left open is filled.
    let (_, own) = app
        .api(
            Method::POST,
            "/api/v1/incidents",
            &admin,
            Some(json!({"title": "VPN 连不上", "category_id": printer})),
        )
        .await;
    assert_eq!(
        (own["team_id"].as_i64(), own["category_id"].as_i64()),
        (Some(network), Some(printer)),
        "{own}"
    );

    // The page shows the accuracy and tries a text; the incident page offers what differs.
    let (_, html) = app.page(&browser, "/triage?lang=zh-CN").await;
    assert!(html.contains(r#"id="triage-accuracy""#) && html.contains("留出准确率"), "{html}");
    let tried = browser
        .post(app.url("/triage?lang=en"))
        .form(&[("_csrf", csrf.as_str()), ("title", "VPN drops at home"), ("description", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(tried.status(), 200);
    let html = tried.text().await.unwrap();
    let table = html.split(r#"id="triage-suggestions""#).nth(1).expect("suggestions");
    assert!(table.contains("Network") && table.contains("VPN"), "{table}");
    let own_id = own["id"].as_i64().unwrap();
    let (_, html) = app.page(&browser, &format!("/incidents/{own_id}?lang=en")).await;
    let section = html.split(r#"id="incident-triage""#).nth(1).expect("the suggestions box");
    assert!(section.contains(r#"id="triage-apply-category""#), "{section}");
    assert!(!section.contains(r#"id="triage-team""#), "the team it has is not suggested again");
    let applied = browser
        .post(app.url(&format!("/incidents/{own_id}/triage")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("field", "category"),
            ("value", vpn.to_string().as_str()),
            ("version", own["version"].to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 303);
    let (_, now) = app.api(Method::GET, &format!("/api/v1/incidents/{own_id}"), &admin, None).await;
    assert_eq!(now["category_id"].as_i64(), Some(vpn), "{now}");
}
