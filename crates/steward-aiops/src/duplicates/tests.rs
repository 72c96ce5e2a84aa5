//! Calibration: rephrased twins are found and ranked first; different troubles about the same
//! thing are not flagged — against 300 incidents of the triage corpus as the open background.

use super::*;

const HOUR: i64 = 3600;

fn incident(id: i64, title: &str, description: &str, at: i64) -> Incident {
    Incident {
        id,
        title: title.into(),
        description: description.into(),
        created_s: at,
        ..Incident::default()
    }
}

/// 300 incidents of the labelled corpus, raised over the two days before the tests' pairs.
fn background() -> Vec<Incident> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/triage/incidents.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take(300)
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            incident(i as i64 + 1, &s("title"), &s("description"), -48 * HOUR + i as i64 * 500)
        })
        .collect()
}

/// (older, newer): the same trouble told by two people.
const TWINS: &[(&str, &str, &str, &str)] = &[
    (
        "Outlook cannot connect to the mail server",
        "Since about 9:00 Outlook says it is disconnected and no new mail arrives.",
        "Outlook disconnected from server, no new mail",
        "My Outlook has shown 'Disconnected' all morning and nothing new comes in.",
    ),
    (
        "VPN 连不上",
        "在家无法连接公司 VPN，客户端一直提示证书错误。",
        "VPN 无法连接，提示证书错误",
        "今天在家办公，VPN 客户端连接时报证书错误，连不上内网。",
    ),
    (
        "Printer on floor 3 jams on every print job",
        "The HP printer next to the kitchen on the third floor jams on every page.",
        "3rd floor printer paper jam",
        "Every print job on the third floor HP printer ends in a paper jam.",
    ),
    (
        "SAP login fails with 'password expired' after reset",
        "I reset my SAP password this morning but the login still says password expired.",
        "Cannot log in to SAP: password expired although reset",
        "Reset the SAP password twice; login keeps answering 'password expired'.",
    ),
    (
        "共享盘 S: 打不开",
        "财务部的共享盘 S: 从早上开始打不开，提示网络路径找不到。",
        "财务共享盘无法访问",
        "S: 盘打不开，显示找不到网络路径，整个财务部都受影响。",
    ),
    (
        "Wi-Fi keeps dropping in meeting room B2",
        "Laptops lose the corporate Wi-Fi every few minutes in meeting room B2.",
        "Meeting room B2 wifi drops constantly",
        "In B2 the wifi connection drops every couple of minutes for everyone.",
    ),
];

/// (older, newer): the same area, different troubles.
const DIFFERENT: &[(&str, &str, &str, &str)] = &[
    (
        "Outlook cannot connect to the mail server",
        "Since about 9:00 Outlook says it is disconnected and no new mail arrives.",
        "Outlook crashes when opening PDF attachments",
        "Outlook closes itself whenever I double-click a PDF attachment in a mail.",
    ),
    (
        "VPN 连不上",
        "在家无法连接公司 VPN，客户端一直提示证书错误。",
        "申请开通 VPN 账号",
        "新入职员工，需要开通 VPN 权限以便出差时使用。",
    ),
    (
        "Printer on floor 3 jams on every print job",
        "The HP printer next to the kitchen on the third floor jams on every page.",
        "Install the new printer driver on my laptop",
        "I need the driver for the new Canon printer in the marketing area installed.",
    ),
    (
        "SAP login fails with 'password expired' after reset",
        "I reset my SAP password this morning but the login still says password expired.",
        "SAP report ZFI_01 runs very slowly",
        "The month-end report ZFI_01 in SAP takes over an hour instead of five minutes.",
    ),
];

fn pool_with(older: &Incident) -> Pool {
    let mut open = background();
    open.push(older.clone());
    Pool::new(open)
}

#[test]
fn rephrased_twins_are_flagged_first() {
    for (i, (t1, d1, t2, d2)) in TWINS.iter().enumerate() {
        let older = incident(1000, t1, d1, 0);
        let newer = incident(1001, t2, d2, 20 * 60);
        let found = pool_with(&older).resembling(&newer);
        eprintln!("twin {i}: {:?}", found.iter().map(|r| (r.id, r.score, r.text)).collect::<Vec<_>>());
        assert_eq!(found.first().map(|r| r.id), Some(1000), "twin {i}: {t2}");
    }
}

#[test]
fn different_troubles_are_not_flagged() {
    for (i, (t1, d1, t2, d2)) in DIFFERENT.iter().enumerate() {
        let older = incident(1000, t1, d1, 0);
        let newer = incident(1001, t2, d2, 20 * 60);
        let found = pool_with(&older).resembling(&newer);
        eprintln!("different {i}: {:?}", found.iter().map(|r| (r.id, r.score, r.text)).collect::<Vec<_>>());
        assert!(!found.iter().any(|r| r.id == 1000), "different {i}: {t2}");
    }
}

#[test]
fn a_shared_ci_and_service_count_but_never_alone() {
    let mut older =
        incident(1000, "Disk almost full on db01", "The /var partition on db01 is at 95 % and growing.", 0);
    older.cis = vec![7];
    older.service = Some("Payroll".into());
    let mut newer = incident(
        1001,
        "db01: /var partition nearly full",
        "Monitoring warns that /var on db01 is almost full.",
        600,
    );
    newer.cis = vec![7];
    newer.service = Some("payroll".into());
    let mut other = incident(1002, "Login page shows error 500", "Users get an error after signing in.", 900);
    other.cis = vec![7];
    other.service = Some("Payroll".into());
    let pool = pool_with(&older);
    let found = pool.resembling(&newer);
    assert_eq!(found[0].id, 1000);
    assert_eq!((found[0].shared_ci, found[0].same_service, found[0].apart_s), (Some(7), true, 600));
    let bare = Incident { cis: Vec::new(), service: None, ..newer.clone() };
    let alone = pool.resembling(&bare);
    assert!(alone.iter().all(|r| r.id != 1000 || r.score + 0.29 < found[0].score), "{alone:?} {found:?}");
    // The same CI and service with unrelated text is not a duplicate.
    assert!(!pool.resembling(&other).iter().any(|r| r.id == 1000));
    // Only older incidents are candidates.
    assert!(pool.resembling(&older).iter().all(|r| r.id < 1000));
}
