//! CMDB import and export: per-row errors, nothing half-imported, dry runs, idempotent
//! re-imports, and a JSON round trip.

use reqwest::Method;
use steward_app::cmdb::{ImportFile, ImportReport, parse_csv, parse_json};
use steward_core::ids::RelationId;
use steward_test_support::TestApp;

const CIS: &str = "\
external_id,class,name,status,criticality,hostname,ip_address,version
svc-pay,business_service,Payroll,,1,,,
app-pay,application,payroll-app,,,,,4.2
srv-1,server,web01,in_service,2,web01,10.0.0.5,
srv-2,server,web02,,,web02,10.0.0.6,
";

const RELATIONS: &str = "\
from,kind,to
svc-pay,depends_on,app-pay
app-pay,runs_on,srv-1
app-pay,runs_on,srv-2
";

async fn import(app: &TestApp, file: ImportFile, dry_run: bool) -> ImportReport {
    app.app.cmdb().import(None, file, dry_run, &|_, _| {}).await.unwrap()
}

async fn count(app: &TestApp, token: &str) -> usize {
    let (_, list) = app.api(Method::GET, "/api/v1/cis?limit=500", token, None).await;
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn csv_imports_are_checked_whole_and_re_imports_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let dry = import(&app, parse_csv(CIS).unwrap(), true).await;
    assert_eq!((dry.created, dry.errors.len()), (4, 0));
    assert_eq!(count(&app, &agent).await, 0, "a dry run writes nothing");

    let done = import(&app, parse_csv(CIS).unwrap(), false).await;
    assert_eq!((done.created, done.updated, done.unchanged), (4, 0, 0));
    let rel = import(&app, parse_csv(RELATIONS).unwrap(), false).await;
    assert_eq!(rel.relations_added, 3);
    let again = import(&app, parse_csv(CIS).unwrap(), false).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4), "idempotent by external id");
    assert_eq!(import(&app, parse_csv(RELATIONS).unwrap(), false).await.relations_added, 0);
    let changed = CIS.replace("web02,10.0.0.6", "web02,10.0.0.9");
    let upd = import(&app, parse_csv(&changed).unwrap(), false).await;
    assert_eq!((upd.created, upd.updated, upd.unchanged), (0, 1, 3));
    assert_eq!(count(&app, &agent).await, 4);

    // The imported model answers impact questions, and its history shows the import.
    let (_, list) = app.api(Method::GET, "/api/v1/cis?q=web01", &agent, None).await;
    let web01 = list["items"][0]["id"].as_i64().unwrap();
    let (_, impact) = app.api(Method::GET, &format!("/api/v1/cis/{web01}/impact"), &agent, None).await;
    assert_eq!(impact["business_services"][0]["name"], "Payroll", "{impact}");
    let (_, events) = app
        .api(
            Method::GET,
            &format!("/api/v1/audit/events?entity_type=ci&entity_id={web01}"),
            &app.user_with_token("root", "admin").await.1,
            None,
        )
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"create"), "{events}");
    assert_eq!(
        app.app.store().verify_event_chain().await.unwrap().map(|_| ()),
        Ok(()),
        "bulk events keep the chain intact"
    );
}

#[tokio::test]
async fn one_bad_row_in_the_middle_stops_the_whole_file() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    import(&app, parse_csv("external_id,class,name,hostname\nold-1,server,old,taken-host\n").unwrap(), false)
        .await;
    let mut text = String::from("external_id,class,name,hostname,ip_address\n");
    for i in 0..200 {
        text.push_str(&format!("srv-{i},server,host{i},host{i},10.0.{}.{}\n", i / 250, i % 250));
    }
    text.push_str("srv-x,spaceship,x,,\n");
    text.push_str("srv-y,server,y,hosty,10.0.0.300\n");
    text.push_str("srv-5,server,dup,dup,\n");
    text.push_str("srv-z,server,z,taken-host,\n");
    text.push_str("srv-w,server,w,,\n");
    let report = import(&app, parse_csv(&text).unwrap(), false).await;
    let errors: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        errors,
        vec![(202, "class"), (203, "ip_address"), (204, "external_id"), (205, "hostname"), (206, "hostname")],
        "{:?}",
        report.errors
    );
    assert_eq!(count(&app, &agent).await, 1, "nothing half-imported");
    let rel = parse_csv("from,kind,to\nold-1,runs_on,ghost\nold-1,hosts,old-1\n").unwrap();
    let report = import(&app, rel, false).await;
    assert_eq!(report.errors.iter().map(|e| e.column.as_str()).collect::<Vec<_>>(), vec!["to", "kind"]);
    let bad = parse_csv("class,name\nserver,x\n").unwrap_err();
    assert_eq!(bad[0].column, "external_id");
}

#[tokio::test]
async fn json_export_imports_into_another_cmdb() {
    let app = TestApp::spawn().await;
    import(&app, parse_csv(CIS).unwrap(), false).await;
    import(&app, parse_csv(RELATIONS).unwrap(), false).await;
    let json = app.app.cmdb().export_json(None).await.unwrap();
    assert_eq!((json["cis"].as_array().unwrap().len(), json["relations"].as_array().unwrap().len()), (4, 3));
    let csv = app.app.cmdb().export_csv(None, false).await.unwrap();
    assert!(
        csv.starts_with("external_id,class,name,status,criticality,hostname,ip_address,version"),
        "{csv}"
    );
    let rels = app.app.cmdb().export_csv(None, true).await.unwrap();
    assert!(rels.contains("app-pay,runs_on,srv-1"), "{rels}");

    let other = TestApp::spawn().await;
    let report = import(&other, parse_json(&json.to_string()).unwrap(), false).await;
    assert_eq!((report.created, report.relations_added), (4, 3));
    assert_eq!(other.app.cmdb().export_json(None).await.unwrap(), json, "the same CMDB");
    assert_eq!(import(&other, parse_csv(&csv).unwrap(), false).await.unchanged, 4);
}

/// A 100 MB file (about 765,000 CIs) with one bad row in the middle: that row is reported, and
/// nothing of the file is written.
#[tokio::test]
async fn a_100_mb_import_with_one_bad_row_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let mut text = String::from("external_id,class,name,criticality\n");
    let filler = "x".repeat(100);
    let mut rows = 0;
    while text.len() < 100 * 1024 * 1024 {
        rows += 1;
        let class = if rows == 345_678 { "spaceship" } else { "location" };
        text.push_str(&format!("loc-{rows:07},{class},Hall {rows:07} {filler},3\n"));
    }
    assert!(rows > 345_678, "the bad row is in the middle ({rows} rows)");
    let file = parse_csv(&text).unwrap();
    drop(text);
    let report = import(&app, file, false).await;
    let errors: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(errors, vec![(345_679, "class")], "row 1 is the header");
    assert_eq!(report.created, rows - 1, "every other row was good");
    assert_eq!(count(&app, &agent).await, 0, "nothing half-imported");
}

/// A database fault in the middle of the write (the second round of inserts) leaves nothing:
/// no CI, no relationship, and an event chain that still verifies.
#[tokio::test]
async fn a_fault_while_writing_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.user_with_token("ada", "agent").await;
    let mut cis = String::from("external_id,class,name\n");
    let mut relations = String::from("from,kind,to\n");
    for i in 0..7_000 {
        cis.push_str(&format!("app-{i},application,app {i}\n"));
        if i > 0 {
            relations.push_str(&format!("app-{i},depends_on,app-{}\n", i - 1));
        }
    }
    let mut file = parse_csv(&cis).unwrap();
    file.relations = parse_csv(&relations).unwrap().relations;
    app.db.refuse_inserts("cis", "name", "app 6000").await;
    let failed = app.app.cmdb().import(None, file, false, &|_, _| {}).await;
    let error = format!("{:?}", failed.expect_err("the refused row fails the import"));
    assert!(error.contains("refused"), "{error}");
    assert_eq!(count(&app, &agent).await, 0, "nothing half-imported");
    assert!(app.app.store().list_ci_relations(RelationId(0), 10).await.unwrap().is_empty());
    assert!(app.app.store().verify_event_chain().await.unwrap().is_ok());
}
