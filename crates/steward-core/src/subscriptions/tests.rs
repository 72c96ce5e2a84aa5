use super::*;

fn notice() -> Notice {
    Notice {
        topic: Topic::IncidentOpened,
        seq: 42,
        reference: "INC-000123".into(),
        title: "Disk full on db01".into(),
        link: Some("https://steward.example/incidents/123".into()),
        priority: Some(2),
        team: Some(7),
        team_name: Some("Database".into()),
        service: Some("billing".into()),
        severity: None,
        labels: BTreeMap::from([("priority".into(), "P2".into())]),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

fn at() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_225_600).unwrap()
}

fn body(o: &Outgoing) -> serde_json::Value {
    serde_json::from_str(&o.body).unwrap()
}

#[test]
fn dingtalk_signs_in_the_query_as_its_documentation_computes() {
    // Expected value from Python's hmac/base64/urllib, per DingTalk's signing steps.
    let o = render(
        Channel::DingTalk,
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        Some("SECabc"),
        true,
        &notice(),
        at(),
    );
    assert_eq!(
        o.url,
        "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1767225600000&sign=Tns%2Bq9xy3ZrHUPnf0YouCf2mHINUhrfNLY8ohhAIgfw%3D"
    );
    let b = body(&o);
    assert_eq!(b["msgtype"], "markdown");
    assert_eq!(b["markdown"]["title"], "事件已创建：INC-000123 Disk full on db01");
    assert!(b["markdown"]["text"].as_str().unwrap().contains("- 优先级：P2"));
}

#[test]
fn feishu_signs_in_the_body() {
    let o = render(
        Channel::Feishu,
        "https://open.feishu.cn/open-apis/bot/v2/hook/x",
        Some("SECabc"),
        false,
        &notice(),
        at(),
    );
    let b = body(&o);
    assert_eq!(b["msg_type"], "text");
    assert_eq!(b["timestamp"], "1767225600");
    assert_eq!(b["sign"], "DfQ7sDVtGPJRmOykps/Fdfx+xLohWpgM7406vt7k4oI=");
    assert!(
        b["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Incident opened: INC-000123 Disk full on db01\nPriority: P2")
    );
}

#[test]
fn wecom_and_slack_bodies() {
    let w = body(&render(
        Channel::WeCom,
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        None,
        false,
        &notice(),
        at(),
    ));
    assert_eq!(w["msgtype"], "markdown");
    assert!(
        w["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("[Open in Steward](https://steward.example/incidents/123)")
    );
    let s = body(&render(Channel::Slack, "https://hooks.slack.com/services/x", None, false, &notice(), at()));
    assert_eq!(s["text"], "Incident opened: INC-000123 Disk full on db01");
    assert_eq!(s["blocks"][0]["text"]["type"], "mrkdwn");
    assert!(
        s["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("<https://steward.example/incidents/123|Open in Steward>")
    );
}

#[test]
fn the_webhook_signature_covers_timestamp_and_body() {
    let o = render(Channel::Webhook, "http://127.0.0.1:9/x", Some("s3cret"), false, &notice(), at());
    let header = |k: &str| o.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(header("x-steward-timestamp"), "1767225600");
    let expected = hex::encode(formats_mac(b"s3cret", &format!("1767225600.{}", o.body)));
    assert_eq!(header("x-steward-signature"), format!("sha256={expected}"));
    assert_eq!(body(&o)["event"], "incident.opened");
    let unsigned = render(Channel::Webhook, "http://127.0.0.1:9/x", None, false, &notice(), at());
    assert!(unsigned.headers.iter().all(|(k, _)| k != "x-steward-signature"));
}

fn formats_mac(key: &[u8], text: &str) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(text.as_bytes());
    m.finalize().into_bytes().to_vec()
}

#[test]
fn answers_with_an_error_code_are_refusals() {
    assert!(accepted(Channel::DingTalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
    assert!(accepted(Channel::DingTalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#).is_err());
    assert!(accepted(Channel::WeCom, 200, "not json").is_err());
    assert!(accepted(Channel::Feishu, 200, r#"{"code":19021,"msg":"sign match fail"}"#).is_err());
    assert!(accepted(Channel::Feishu, 200, r#"{"StatusCode":0}"#).is_ok());
    assert!(accepted(Channel::Slack, 200, "ok").is_ok());
    assert_eq!(accepted(Channel::Webhook, 503, "busy"), Err("HTTP 503: busy".into()));
}

#[test]
fn subscriptions_are_checked_and_filter() {
    let topics = vec!["incident.opened".to_owned(), "alert.firing".to_owned()];
    let parse = |channel: &str, target: &str, secret: Option<&str>| {
        Subscription::parse("Ops", &topics, channel, target, secret, "zh-CN", Filter::default())
    };
    assert_eq!(parse("slack", "ftp://x", None).unwrap_err().field, "target");
    assert_eq!(parse("email", "not-an-address", None).unwrap_err().field, "target");
    assert_eq!(parse("slack", "https://hooks.slack.com/x", Some("s")).unwrap_err().field, "secret");
    assert_eq!(parse("fax", "https://x", None).unwrap_err().field, "channel");
    let bad = Subscription::parse(
        "Ops",
        &["incident.eaten".into()],
        "slack",
        "https://x",
        None,
        "en",
        Filter::default(),
    );
    assert_eq!(bad.unwrap_err().field, "topics");
    let mut s =
        parse("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", Some("SEC")).unwrap();
    assert_eq!(s.topics, vec![Topic::IncidentOpened, Topic::AlertFiring]);
    assert!(s.wants(&notice()));
    s.filter = Filter { max_priority: Some(1), ..Filter::default() };
    assert!(!s.wants(&notice()), "P2 is less urgent than P1");
    s.filter = Filter { team: Some(7), service: Some("Billing".into()), ..Filter::default() };
    assert!(s.wants(&notice()));
    s.filter.labels = vec![Matcher::parse("priority=P1").unwrap()];
    assert!(!s.wants(&notice()));
    let resolved = Notice { topic: Topic::IncidentResolved, ..notice() };
    s.filter = Filter::default();
    assert!(!s.wants(&resolved), "not a topic it asked for");
}

#[test]
fn targets_show_no_token() {
    assert_eq!(
        public_target("https://hooks.slack.com/services/T0/B0/secretx7Qa"),
        "https://hooks.slack.com/…x7Qa"
    );
    assert_eq!(
        public_target("https://oapi.dingtalk.com/robot/send?access_token=abcdef"),
        "https://oapi.dingtalk.com/…cdef"
    );
    assert_eq!(public_target("https://user:pw@example.com/hook"), "https://example.com/…hook");
    assert_eq!(public_target("https://example.com"), "https://example.com");
    assert_eq!(public_target("ops@example.com"), "ops@example.com");
}
